"""The weekly review in real Chromium, on the demo's data (today pinned to 2026-11-22).

Run a review from "since" to "now" and check the waterfall and the moved deals against the store;
pick another "since" and see both follow; open the deals behind a bar; group the table; export it
to CSV and XLSX and read the files back; save a chart as PNG; switch to presentation mode. The
console stays clean throughout.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from dashboard.models.standings import compute_summary
from loaders.store.engine import dispose_engines, get_engine
from tests.support.browser import SCREENSHOTS, screenshot
from tests.support.demo import TODAY

pytestmark = pytest.mark.browser
SIGNS = {"decreased": -1, "won": -1, "lost": -1, "pushed_out": -1, "removed": -1}
KEYS = (
    "start",
    "created",
    "pulled_in",
    "increased",
    "decreased",
    "won",
    "lost",
    "pushed_out",
    "removed",
    "end",
)

BARS_JS = """
() => {
  const gd = document.querySelector('#review-waterfall .js-plotly-plot');
  if (!gd || !gd.data || !gd.data.length || gd.data[0].type !== 'waterfall') return null;
  return {keys: gd.data[0].customdata, y: gd.data[0].y};
}
"""
GRID_ROWS_JS = """
async (id) => {
  const api = await window.dash_ag_grid.getApiAsync(id);
  const out = [];
  api.forEachNodeAfterFilterAndSort((n) => out.push(n.data));
  return out;
}
"""
BAR_POINT_JS = """
(key) => {
  const gd = document.querySelector('#review-waterfall .js-plotly-plot');
  const i = gd.data[0].customdata.indexOf(key);
  const bar = gd.querySelectorAll('.waterfalllayer .point')[i];
  const r = bar.getBoundingClientRect();
  return [r.left + r.width / 2, r.top + Math.max(2, r.height / 2)];
}
"""


def view(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def waterfall(page, timeout: float = 30_000) -> dict:
    page.wait_for_function(BARS_JS, timeout=timeout)
    return page.evaluate(BARS_JS)


def expected_bars(summary) -> list[int]:
    w = summary.waterfall
    return [round(w[k] * 100) * SIGNS.get(k, 1) for k in KEYS]


def grid_rows(page, grid_id: str) -> list[dict]:
    return page.evaluate(GRID_ROWS_JS, grid_id)


def wait_rows(page, grid_id: str, n: int) -> None:
    page.wait_for_function(
        "async ([id, n]) => { const api = await window.dash_ag_grid.getApiAsync(id);"
        " return api.getDisplayedRowCount() === n; }",
        arg=[grid_id, n],
        timeout=20_000,
    )


def test_review_journey(demo_server, page, console_errors, tmp_path):
    engine = get_engine(demo_server.store)
    now = compute_summary(engine, "2026-Q4", TODAY, TODAY - dt.timedelta(days=7))
    earlier = compute_summary(engine, "2026-Q4", TODAY, dt.date(2026, 10, 25))
    dispose_engines()
    base = demo_server.base

    # Since the last review: the last two snapshots a week apart.
    page.goto(base + "/review")
    bars = waterfall(page)
    assert bars["keys"] == list(KEYS)
    assert [round(y * 100) for y in bars["y"]] == expected_bars(now)
    page.wait_for_function(
        "() => document.querySelector('#review-since-picker').value === '2026-11-15'"
        " && document.querySelector('#review-now-picker').value === '2026-11-22'",
        timeout=10_000,
    )
    moved = now.movement[now.movement["category"] != "unchanged"]
    wait_rows(page, "review-moved-grid", len(moved))
    rows = grid_rows(page, "review-moved-grid")
    assert {r["deal_id"] for r in rows} == set(moved["deal_id"])
    assert round(sum(r["change"] for r in rows) * 100) == round(
        (now.waterfall["end"] - now.waterfall["start"]) * 100
    )
    screenshot(page, "review-demo")

    # Another "since": the URL carries it, the waterfall and the table follow.
    page.select_option("#review-since-picker", "2026-10-25")
    page.wait_for_url(re.compile(r"since=2026-10-25"), timeout=10_000)
    page.wait_for_function(
        "(y) => { const gd = document.querySelector('#review-waterfall .js-plotly-plot');"
        " return gd && gd.data[0] && Math.round(gd.data[0].y[0] * 100) === y; }",
        arg=expected_bars(earlier)[0],
        timeout=20_000,
    )
    assert [round(y * 100) for y in waterfall(page)["y"]] == expected_bars(earlier)
    moved = earlier.movement[earlier.movement["category"] != "unchanged"]
    wait_rows(page, "review-moved-grid", len(moved))

    # The deals behind a bar.
    x, y = page.evaluate(BAR_POINT_JS, "pushed_out")
    page.mouse.click(x, y)
    panel = page.locator(".trace-panel")
    panel.wait_for(state="visible", timeout=10_000)
    n_pushed = int((earlier.movement["category"] == "pushed_out").sum())
    summary_line = panel.locator(".trace-summary").inner_text()
    assert summary_line.startswith(f"{n_pushed} deal")
    assert f"{earlier.waterfall['pushed_out']:,.0f}" in summary_line
    page.wait_for_timeout(400)
    view(page, "review-demo-trace")
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden", timeout=5_000)

    # Group by rep: the rep leads the table.
    page.get_by_text("By rep", exact=True).click()
    page.wait_for_url(re.compile(r"group=rep"), timeout=10_000)
    page.wait_for_function(
        "() => { const h = document.querySelector('#review-moved-grid .ag-header-cell-text');"
        " return h && h.innerText === 'Rep'; }",
        timeout=20_000,
    )
    wait_rows(page, "review-moved-grid", len(moved))
    reps = [r["rep"] for r in grid_rows(page, "review-moved-grid")]
    assert reps == sorted(reps, key=lambda r: r.casefold()) or reps == sorted(reps)

    # Export the table: CSV and XLSX hold the moved deals.
    with page.expect_download() as dl:
        page.click("#review-export-csv")
    path = tmp_path / "moved.csv"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.endswith("2026-10-25-to-2026-11-22.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {r["Deal id"] for r in rows} == set(moved["deal_id"])
    assert sum(float(r["Change"]) for r in rows) == pytest.approx(
        earlier.waterfall["end"] - earlier.waterfall["start"]
    )
    with page.expect_download() as dl:
        page.click("#review-export-xlsx")
    path = tmp_path / "moved.xlsx"
    dl.value.save_as(path)
    ws = load_workbook(path).active
    header = [c.value for c in ws[3]]
    body = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(body) == len(moved)
    ids = {r[header.index("Deal id")] for r in body}
    assert ids == set(moved["deal_id"])

    # Save the waterfall as PNG.
    with page.expect_download() as dl:
        page.click("#review-waterfall-png")
    png = tmp_path / "waterfall.png"
    dl.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000

    # Presentation mode: no top bar, large type; and back.
    page.click("#review-present")
    page.wait_for_url(re.compile(r"present=1"), timeout=10_000)
    page.locator(".present-mode").wait_for(timeout=10_000)
    waterfall(page)
    assert not page.locator(".shell-bar").is_visible()
    page.wait_for_timeout(600)
    view(page, "review-demo-present")
    page.click("#review-present")
    page.wait_for_function("() => !document.querySelector('.present-mode')", timeout=10_000)
    assert page.locator(".shell-bar").is_visible()
    assert console_errors == []
