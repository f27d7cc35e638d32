"""Security headers on every response of the served app, through Flask's test client.

The Content-Security-Policy allows Dash's inline scripts by hash, read from each page as served
(so a script a later change inlines is covered, and only it), and nothing from another origin;
pages cannot be framed, content types are not sniffed, the referrer stays on the site, and HSTS
is sent when Team Car is served over HTTPS. The browser tier (tests/browser/test_csp.py) checks
that the pages run under that policy without a violation.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re

import pytest
from flask import Flask

from dashboard import auth
from dashboard.serve import plotly_js
from dashboard.serve.server import (
    content_security_policy,
    inline_script_hashes,
    security_headers,
    served_app,
)
from loaders.store.engine import get_engine, upgrade
from tests.support.stores import use_store


def _policy(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part
    }


def _assert_hardened(response) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = _policy(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    # No other origin anywhere: every source is a keyword, a hash or a scheme of the page's own.
    for sources in policy.values():
        for source in sources:
            assert source.startswith("'") or source in ("data:", "blob:"), source


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{folder / 'empty.db'}"  # the headers do not depend on the data
    upgrade(url)
    with pytest.MonkeyPatch.context() as patch:
        use_store(url, patch, folder / "data")
        patch.delenv("TEAMCAR_SECURE_COOKIE", raising=False)
        app = served_app()
        yield app, patch


def test_a_page_allows_exactly_its_inline_scripts(served):
    app, _ = served
    client = app.server.test_client()
    page = client.get("/review")
    assert page.status_code == 200
    _assert_hardened(page)
    html = page.get_data(as_text=True)
    allowed = [s for s in _policy(page)["script-src"] if s.startswith("'sha256-")]
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)  # Dash's IE notice is a comment
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    inline.append("var renderer = new DashRenderer();")
    assert inline, "Dash inlines its renderer's start and the clientside callbacks"
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    }
    assert set(allowed) == expected
    # Dash's own list agrees with what is served.
    assert set(app.csp_hashes()) <= set(allowed)
    assert "'unsafe-eval'" in _policy(page)["script-src"]  # scattergl (see server.py)
    assert "Strict-Transport-Security" not in page.headers  # not over HTTPS


def test_a_compressed_page_carries_the_same_policy(served):
    app, _ = served
    client = app.server.test_client()
    packed = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("Content-Encoding") == "gzip"
    html = gzip.decompress(packed.data).decode()
    policy = packed.headers["Content-Security-Policy"]
    assert policy == content_security_policy(inline_script_hashes(html))
    assert "'sha256-" in policy


def test_an_inline_script_added_to_a_page_is_allowed_and_only_it(served):
    """Whatever the page inlines later (say the first view's data) gets its own hash."""
    app, _ = served
    script = "window.firstView = {a: 1};"
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    before = _policy(app.server.test_client().get("/"))["script-src"]
    original = app.index_string
    app.index_string = original.replace(
        "{%app_entry%}", "{%app_entry%}<script>" + script + "</script>"
    )
    try:
        after = _policy(app.server.test_client().get("/"))["script-src"]
    finally:
        app.index_string = original
    assert f"'sha256-{digest}'" not in before
    assert set(after) - set(before) == {f"'sha256-{digest}'"}


def test_only_scripts_that_run_are_hashed():
    server = Flask(__name__)
    server.add_url_rule(
        "/",
        "page",
        lambda: (
            "<html><script>window.firstView = {a: 1};</script>"
            '<script src="/x.js"></script><script type="application/json">{"b": 2}</script>'
            "<!-- <script>alert(1)</script> --></html>"
        ),
    )
    security_headers(server)
    resp = server.test_client().get("/")
    hashes = [s for s in _policy(resp)["script-src"] if s.startswith("'sha256-")]
    digest = base64.b64encode(hashlib.sha256(b"window.firstView = {a: 1};").digest()).decode()
    assert hashes == [f"'sha256-{digest}'"]


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-layout",
        "/_dash-dependencies",
        plotly_js.PATH,
        "/assets/teamcar.css",
        "/_dash-component-suites/dash/dcc/dash_core_components.js",
    ],
)
def test_every_other_response_is_hardened_too(served, path):
    app, _ = served
    resp = app.server.test_client().get(path)
    _assert_hardened(resp)
    assert not [s for s in _policy(resp)["script-src"] if s.startswith("'sha256-")]


def test_sign_in_pages_and_refusals_are_hardened(served):
    app, _ = served
    from loaders.config import load_config

    auth.add_user(
        get_engine(load_config().database_url), "Ada Admin", "admin", password="long enough"
    )
    client = app.server.test_client()
    refused = client.get("/_dash-layout")
    assert refused.status_code == 401
    _assert_hardened(refused)
    login = client.get("/login")
    assert login.status_code == 200
    _assert_hardened(login)
    assert client.get("/").status_code == 302
    _assert_hardened(client.get("/"))


def test_hsts_only_over_https():
    """TEAMCAR_SECURE_COOKIE=1 means served over HTTPS: tell browsers to stay on it."""
    for hsts in (True, False):
        server = Flask(__name__)
        server.add_url_rule("/", "home", lambda: "<p>hello</p>")
        security_headers(server, hsts=hsts)
        resp = server.test_client().get("/")
        assert ("Strict-Transport-Security" in resp.headers) is hsts
        if hsts:
            assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_hsts_follows_the_setting(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    use_store(url, monkeypatch, tmp_path / "data")
    monkeypatch.setenv("TEAMCAR_SECURE_COOKIE", "1")
    resp = served_app().server.test_client().get("/_favicon.ico")
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_inline_script_hashes():
    html = (
        "<script>a()</script><SCRIPT type='module'>b()</SCRIPT>"
        "<script src=x.js></script><script type=application/json>{}</script>"
        "<!--[if IE]><script>c()</script><![endif]--><script>a()</script>"
    )

    def h(s):
        return "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"

    assert inline_script_hashes(html) == [h("a()"), h("b()")]
    assert "script-src 'self' 'unsafe-eval' " + h("a()") in content_security_policy([h("a()")])
