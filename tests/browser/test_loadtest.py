"""A bounded load test: 10 simulated managers for 15 s against two gunicorn workers on the demo.

The managers replay what real page loads sent (every page, all teams and one team), captured in
Chromium by the benchmark's own tools (``bench/_browser.py``, ``bench/loadtest.py``). The error
rate is printed and written to ``bench/out/loadtest-test.json``; there must be no errors. Speed
is the benchmark's business (``bench/run.py``), not asserted here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import _browser
from bench.loadtest import run_load, serve
from bench.run import pick_people
from tests.support.demo import demo_copy

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OUT = Path(__file__).resolve().parents[2] / "bench" / "out"


def test_ten_managers_for_fifteen_seconds_see_no_errors(browser, tmp_path, data_dir):
    chromium = browser  # the browser tier's one Playwright and Chromium
    url = demo_copy(tmp_path / "db")
    people = pick_people(url, 1)
    team = people["teams"][0]
    rep = people["reps"][team]
    with serve(url, data_dir, workers=2, env={"TEAMCAR_TODAY": "2026-11-22"}) as server:
        scenarios, console = [], []
        for page, path in (
            ("course", _browser.page_path("course")),
            ("course", _browser.page_path("course", team=team)),
            ("review", _browser.page_path("review", team=team)),
            ("rider", _browser.page_path("rider", rep=rep)),
            ("data", _browser.page_path("data")),
        ):
            ctx = _browser.new_context(chromium)
            try:
                visit = _browser.open_page(ctx, server.base, page, path, timeout_s=60)
            finally:
                ctx.close()
            # A clean console is the browser tier's check; here it is only reported.
            console += [f"{page}: {line}" for line in visit["console"]]
            assert all(c["status"] in (200, 204) for c in visit["callbacks"]), [
                (c["label"], c["status"]) for c in visit["callbacks"]
            ]
            scenarios.append(
                [
                    {"label": f"{page}: {c['label']}", "body": c["body"], "path": c["path"]}
                    for c in visit["callbacks"]
                    if c["status"] == 200
                ]
            )
        result = run_load(server.base, scenarios, managers=10, duration=15, request_timeout=60)
        log_tail = server.tail() if result.errors else ""

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "loadtest-test.json").write_text(
        json.dumps({**result.to_dict(), "console_errors_while_capturing": console}, indent=2) + "\n"
    )
    print(
        f"\n10 managers x 15 s on 2 workers: {result.requests} requests, {result.errors} errors "
        f"(error rate {result.error_rate:.2%}), p50 {result.p50_ms} ms, p95 {result.p95_ms} ms"
        + (f"; console errors while capturing: {console}" if console else "")
    )
    assert result.requests > 0
    assert result.errors == 0, (result.error_samples, log_tail)
