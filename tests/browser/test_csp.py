"""Journey: every page runs under the served Content-Security-Policy without a violation.

A generated store with an administrator, served by ``teamcar serve`` (gunicorn): the sign-in
page, then signed in the Course, the Review, the Rider and the Data page (each with the top bar's
sign-out form), and signing out. The Course draws scattergl (WebGL) from 5,000 points
(``dashboard/figures/common.py``), the trace type the policy's 'unsafe-eval' is for (see
``dashboard/serve/server.py``): without it its WebGL calls are refused. A store that large would
cost this journey more than all the rest, so on the Course the app's own plotly.js draws a
scattergl figure of 5,000 points into the served page, as a large peloton would.
Violations are caught as the browser's ``securitypolicyviolation`` events, which the
``page`` fixture also writes to the console (so every other journey checks them too).
"""

from __future__ import annotations

import re

import pytest

from dashboard import auth
from loaders.generate.course_store import build_course_store
from loaders.store.engine import dispose_engines, get_engine, upgrade

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
USABLE_JS = """
() => !document.querySelector('._dash-loading') && !document.querySelector('[data-dash-is-loading]')
"""
# The served page's plotly.js draws a scattergl figure beside the Course's (what the peloton
# draws from 5,000 riders); the types drawn, once drawn.
WEBGL_JS = """
() => new Promise((done) => {
  // drawn in a task of the page's own (code run by Playwright's evaluate is exempt from CSP)
  setTimeout(() => {
    const div = document.createElement('div');
    div.style.width = '600px';
    div.style.height = '300px';
    document.body.appendChild(div);
    const x = Array.from({length: 5000}, (_, i) => i % 97);
    const y = Array.from({length: 5000}, (_, i) => i % 31);
    window.Plotly.newPlot(div, [{type: 'scattergl', mode: 'markers', x: x, y: y}]).then(
      () => setTimeout(() => done({
        types: div._fullData.map((t) => t.type),
        canvas: Boolean(div.querySelector('canvas.gl-canvas-context')),
      }), 300),
      (error) => done({error: String(error)}),
    );
  }, 0);
})
"""


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function(USABLE_JS, timeout=30_000)
    page.wait_for_timeout(300)  # charts draw after their data arrives


def test_no_page_violates_the_content_security_policy(
    serve_store, tmp_path, data_dir, page, console_errors
):
    url = f"sqlite:///{tmp_path / 'csp.db'}"
    upgrade(url)
    build_course_store(get_engine(url), reps=12, teams=2, deals_per_rep=90, weeks=2)
    auth.add_user(get_engine(url), "Ada Admin", "admin", password=PASSWORD)
    dispose_engines()
    base = serve_store(url, data_dir)
    violations: list[str] = []

    def seen(where: str) -> None:
        violations.extend(f"{where}: {v}" for v in page.evaluate("window.__cspViolations"))

    response = page.goto(base + "/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    seen("/login")
    page.locator("#signin-name").fill("Ada Admin")
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^[^?]*/(\?.*)?$"))
    _settle(page)
    seen("/")

    for path in ("/?quarter=2026-Q4&lanes=reps", "/review", "/rider", "/data"):
        response = page.goto(base + path)
        assert response.ok and "'sha256-" in response.headers["content-security-policy"]
        _settle(page)
        if "lanes=reps" in path:
            drawn = page.evaluate(WEBGL_JS)  # the WebGL path is exercised
            assert drawn == {"types": ["scattergl"], "canvas": True}
        seen(path)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    seen("signed out")
    assert violations == []
    assert console_errors == []
