"""Journeys on the Course in real Chromium, on the demo's data (today pinned to 2026-11-22).

1. Open the Course: the lanes and the team's figures are the store's; hover a deal and read it;
   click it and see its details; change team and quarter from the top bar; follow a lane to its
   rider; the console stays clean.
2. Leave the Course open (served by two gunicorn workers), load a new snapshot through
   ``loaders.ingest``: the page shows it by itself, without a reload.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from dashboard.figures import style
from dashboard.models.standings import compute_summary
from loaders.ingest import store_frame
from loaders.store.engine import dispose_engines, get_engine
from tests.support.browser import DEAL_POINTS_JS, SCREENSHOTS, screenshot, wait_for_map
from tests.support.demo import demo_copy

pytestmark = pytest.mark.browser
TODAY = dt.date(2026, 11, 22)
MAP = "#course-map .js-plotly-plot"

# Centre of a rider's status bar (the click target that opens the rider).
RIDER_BAR_JS = """
(rep) => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  const fl = gd._fullLayout, box = gd.getBoundingClientRect();
  const t = gd._fullData.find((d) => d.name === 'rider');
  for (let i = 0; i < t.y.length; i++) {
    if (t.customdata[i][0] === 'rider' && t.customdata[i][1] === rep) {
      return [box.left + fl.xaxis2._offset + fl.xaxis2.l2p(0.3),
              box.top + fl.yaxis._offset + fl.yaxis.l2p(t.y[i])];
    }
  }
  return null;
}
"""
LANES_JS = """
() => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  return gd.layout.yaxis.ticktext.filter((t) => !t.startsWith('<b>'));
}
"""
DEAL_IDS_JS = """
() => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  const ids = [];
  gd._fullData.forEach((t) => (t.customdata || []).forEach((c) => {
    if (c && c[0] === 'deal') ids.push(c[2]);
  }));
  return ids;
}
"""


@pytest.fixture
def demo_store(tmp_path, data_dir):
    """A private copy of the demo store (the exports ``teamcar demo`` loads, loaded the same way)."""
    return demo_copy(tmp_path)


def view(page, name: str) -> None:
    """Save what is on screen now (the viewport, not the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def lane_names(page) -> list[str]:
    return list(page.evaluate(LANES_JS))


def label(name: str) -> str:
    """A rider's lane label as the map writes it (escaped, long names shortened)."""
    return style.esc(name if len(name) <= 26 else name[:25] + "…")


def in_view(page, point: dict) -> dict:
    """Scroll the page so the deal's marker is mid-screen; return its new position."""
    page.evaluate("(y) => window.scrollBy(0, y - window.innerHeight / 2)", point["py"])
    page.wait_for_timeout(200)
    return next(p for p in page.evaluate(DEAL_POINTS_JS) if p["id"] == point["id"])


def lone_deal(points: list[dict], kinds=("Commit", "Best case", "Pipeline")) -> dict:
    """The open deal whose marker is farthest from any other (so hover picks it for sure)."""
    best, gap = None, -1.0
    for p in points:
        if p["trace"] not in kinds:
            continue
        near = min(
            ((p["px"] - q["px"]) ** 2 + (p["py"] - q["py"]) ** 2) ** 0.5
            for q in points
            if q is not p
        )
        if near > gap:
            best, gap = p, near
    assert best is not None
    return best


def test_course_journey(demo_server, page, console_errors):
    engine = get_engine(demo_server.store)
    summary = compute_summary(engine, "2026-Q4", TODAY, TODAY - dt.timedelta(days=7))
    dispose_engines()
    base = demo_server.base

    page.goto(base + "/")
    wait_for_map(page)
    # The address bar carries the full state, so the link can be pasted as is (the shell writes
    # it by callback; the map is drawn into the page's first answer, so it can come first).
    page.wait_for_url(re.compile(r"\?quarter=2026-Q4$"), timeout=10_000)
    assert page.locator("#shell-freshness").inner_text().startswith("Data as of 22 Nov 2026")

    # Lanes are the store's riders; the strip is the engine's team figures.
    assert sorted(lane_names(page)) == sorted(label(r) for r in summary.reps.index)
    attainment = page.locator("#course-kpi-attainment .kpi-value").inner_text()
    assert attainment == style.pct(summary.team["attainment"])
    assert page.locator("#course-kpi-commit .kpi-value").inner_text() == style.money(
        summary.team["commit_forecast"]
    )
    screenshot(page, "course-demo")

    # Hover a deal: its name, account and amount appear.
    points = page.evaluate(DEAL_POINTS_JS)
    assert len(points) > 100
    deal = in_view(page, lone_deal(points))
    row = summary.flags[summary.flags["deal_id"] == deal["id"]].iloc[0]
    page.mouse.move(deal["px"], deal["py"])
    hover = page.locator("#course-map .hoverlayer .hovertext")
    hover.first.wait_for(timeout=5_000)
    text = hover.first.text_content()
    assert str(row["deal_name"]) in text
    assert style.money_full(row["amount"]) in text
    view(page, "course-demo-hover")

    # Click it: the deal panel opens with its details.
    page.mouse.click(deal["px"], deal["py"])
    panel = page.locator(".deal-panel")
    panel.wait_for(state="visible", timeout=10_000)
    assert panel.locator(".offcanvas-title").inner_text() == str(row["deal_name"])
    assert style.money_full(row["amount"]) in panel.inner_text()
    page.wait_for_timeout(500)  # the panel slides in
    view(page, "course-demo-deal")
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden", timeout=5_000)

    # Change team from the top bar: the URL and the lanes follow.
    team = sorted(summary.reps["team"].dropna().unique())[1]
    page.select_option("#shell-team", team)
    page.wait_for_url(re.compile(r"team="), timeout=10_000)
    page.wait_for_function(
        "(t) => document.querySelector('#course-title').innerText.endsWith(t)", arg=team
    )
    wait_for_map(page)
    expected = sorted(label(r) for r in summary.reps.index[summary.reps["team"] == team])
    page.wait_for_function(
        "(n) => { const gd = document.querySelector('#course-map .js-plotly-plot');"
        " return gd.layout.yaxis.ticktext.filter((t) => !t.startsWith('<b>')).length === n; }",
        arg=len(expected),
    )
    assert sorted(lane_names(page)) == expected

    # Change quarter: an earlier quarter, seen from its last day.
    page.select_option("#shell-quarter", "2026-Q3")
    page.wait_for_url(re.compile(r"quarter=2026-Q3"), timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('#course-subtitle').innerText.includes('30 Sep 2026')"
    )
    assert page.locator("#course-title").inner_text() == f"2026-Q3 · {team}"
    page.select_option("#shell-quarter", "2026-Q4")
    page.wait_for_function(
        "() => document.querySelector('#course-subtitle').innerText.includes('22 Nov 2026')"
    )
    wait_for_map(page)

    # Follow a lane to its rider.
    rep = summary.reps.index[summary.reps["team"] == team][0]
    page.wait_for_function(RIDER_BAR_JS, arg=rep)
    x, y = page.evaluate(RIDER_BAR_JS, rep)
    page.evaluate("(y) => window.scrollBy(0, y - window.innerHeight / 2)", y)
    page.wait_for_timeout(200)
    x, y = page.evaluate(RIDER_BAR_JS, rep)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"/rider/"), timeout=10_000)
    assert "quarter=2026-Q4" in page.url and f"team={team.replace(' ', '+')}" in page.url
    page.locator("#rider-title").wait_for()
    assert page.locator("#rider-title").inner_text() == rep
    page.wait_for_function(
        "(t) => document.querySelector('#rider-subtitle').innerText.startsWith(t)", arg=team
    )
    page.wait_for_function(
        "() => { const gd = document.querySelector('#rider-lane .js-plotly-plot');"
        " return gd && gd.layout.yaxis && gd.layout.yaxis.ticktext; }"
    )
    screenshot(page, "course-demo-rider")

    # Back: the course as it was.
    page.go_back()
    page.wait_for_url(re.compile(r"^[^?]*/\?"), timeout=10_000)
    wait_for_map(page)
    assert sorted(lane_names(page)) == expected

    # The top bar's links keep the quarter and team: the Data view opens with them.
    page.get_by_role("link", name="Data").click()
    page.wait_for_url(re.compile(r"/data\?quarter=2026-Q4"), timeout=10_000)
    page.locator(".ag-center-cols-container .ag-row").first.wait_for(timeout=15_000)
    assert console_errors == []


def test_course_updates_by_itself(serve_store, demo_store, data_dir, page, console_errors):
    engine = get_engine(demo_store)
    summary = compute_summary(engine, "2026-Q4", TODAY)
    rep = summary.reps.index[0]
    dispose_engines()
    # Two gunicorn workers: whichever answers the poll, no worker keeps state of its own.
    base = serve_store(demo_store, data_dir, workers=2)
    page.goto(base + "/")
    wait_for_map(page)
    before = set(page.evaluate(DEAL_IDS_JS))
    assert "LIVE-1" not in before
    page.evaluate("() => { window.__sameDocument = true; }")

    # A new snapshot arrives (what `teamcar load` or `teamcar watch` does).
    engine = get_engine(demo_store)
    store_frame(
        engine,
        "pipeline",
        pd.DataFrame(
            {
                "deal_id": ["LIVE-1"],
                "deal_name": ["Walk-in <b>deal</b>"],
                "account": ["Live account"],
                "owner": [rep],
                "stage": ["Negotiation"],
                "status": ["open"],
                "amount": [250_000.0],
                "probability": [0.6],
                "forecast_category": ["commit"],
                "close_date": [pd.Timestamp("2026-12-12")],
                "created_date": [pd.Timestamp("2026-11-22")],
            }
        ),
        source="manual",
        as_of=dt.datetime(2026, 11, 22, 15),
        source_name="manual_2026-11-22.csv",
    )
    dispose_engines()
    # Generous: how fast the page catches up is measured in bench/, not asserted here.
    page.wait_for_function(
        "() => { const gd = document.querySelector('#course-map .js-plotly-plot');"
        " return gd._fullData.some((t) => (t.customdata || []).some("
        "   (c) => c && c[0] === 'deal' && c[2] === 'LIVE-1')); }",
        timeout=60_000,
    )
    assert page.evaluate("() => window.__sameDocument") is True  # no reload happened
    after = set(page.evaluate(DEAL_IDS_JS))
    assert after - before == {"LIVE-1"}
    assert console_errors == []
