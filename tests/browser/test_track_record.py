"""The forecast's track record in real Chromium, on a small generated store with past quarters
(8 reps, 30 weekly snapshots back from 2026-11-22, weekly calls): the Review's Track record panel
shows the backtest at week 8 (2026-Q2 and 2026-Q3), says where a baseline did better, and grades
the calls of 2026-Q3; the Course map shows each rider's landing range at the finish. The console
stays clean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dashboard.metrics import forecast as fc
from dashboard.models import forecast as fm
from loaders.store.engine import dispose_engines, get_engine, upgrade
from tests.support.browser import screenshot, wait_for_map

pytestmark = pytest.mark.browser
TODAY = dt.date(2026, 11, 22)

LANDING_JS = """
() => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  const find = (name) => gd._fullData.find((t) => t.name === name);
  const line = gd._fullData.find((t) => (t.name || '').startsWith('Lands p10'));
  const odds = find('quota odds');
  if (!line || !odds) return null;
  return {points: Array.from(line.x).filter((v) => v !== null && !Number.isNaN(v)).length,
          odds: Array.from(odds.text), labels: Array.from(gd.layout.yaxis.ticktext)};
}
"""


@pytest.fixture
def history_store(tmp_path, data_dir):
    """Generated exports with two past quarters and calls, loaded (a few seconds)."""
    from loaders.config import load_config
    from loaders.generate import GenerateParams, generate
    from loaders.ingest import expand_paths, load_file

    exports = tmp_path / "exports"
    params = GenerateParams(reps=8, deals_per_rep=6, weeks=30, today=TODAY, calls=True)
    generate(exports, params)
    url = f"sqlite:///{tmp_path / 'history.db'}"
    upgrade(url)
    engine = get_engine(url)
    config = dataclasses.replace(load_config(), data_dir=tmp_path, database_url=url)
    for path in expand_paths([exports]):
        assert load_file(path, engine=engine, config=config).status == "loaded"
    backtest = fm.compute_backtest(engine, "2026-Q4", TODAY)
    dispose_engines()
    return url, backtest


def test_track_record_on_the_review_and_ranges_at_the_finish(
    history_store, data_dir, serve_store, page, console_errors
):
    url, backtest = history_store
    base = serve_store(url, data_dir)

    page.goto(f"{base}/review?quarter=2026-Q4")
    # The summary and its verdict at once; the quarters and the heat grid behind the button.
    page.wait_for_selector(".track-record .track-summary", timeout=60_000)
    assert not page.locator(".track-record .track-table").count()
    page.click("#track-record-more-toggle")
    page.wait_for_selector(".track-record .track-table", timeout=60_000)
    # grids are built as they come on screen (assets/lazy_grid.js): the element is replaced
    page.evaluate("document.querySelector('.track-record .track-grid').scrollIntoView()")
    page.wait_for_function(
        "() => /(over-calls|sandbags) by/.test("
        "(document.querySelector('.track-record .track-grid') || {}).innerText || '')",
        timeout=30_000,
    )
    panel = page.inner_text(".track-record")
    assert "Backtest at week 8" in panel
    quarters = page.eval_on_selector_all(
        ".track-record .track-table:first-of-type tbody tr td:first-child",
        "tds => tds.map(td => td.innerText)",
    )
    assert [q.split(" ")[0] for q in quarters] == sorted(set(backtest.rows["quarter"]))
    summary = fc.judged(backtest.summary[None])
    loses = summary["mae_p50"] > min(
        summary["mae_commit_forecast"], summary["mae_won_plus_weighted"]
    )
    assert ("The projection lost to a baseline here" in panel) == loses
    assert "Calls of ended quarters" in panel
    screenshot(page, "track-record-review")

    page.goto(f"{base}/?quarter=2026-Q4")
    wait_for_map(page, timeout=60_000)
    page.wait_for_function(LANDING_JS, timeout=30_000)
    drawn = page.evaluate(LANDING_JS)
    riders = [label for label in drawn["labels"] if not label.startswith("<b>")]
    assert len(riders) == 8
    assert drawn["points"] >= 2 * 8  # a p10 and a p90 per rider, and their team's
    assert all(text.endswith("%") for text in drawn["odds"])
    assert "Makes quota" in page.inner_text("#course-map")
    screenshot(page, "track-record-course-finish")
    assert console_errors == []
