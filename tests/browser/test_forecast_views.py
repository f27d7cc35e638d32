"""Where we'll land, in real Chromium on the demo's data (today pinned to 2026-11-22, week 8; the
demo's thirty weeks hold two past quarters at this week, so the range is the reference method's
and names them).

The Course draws the scope's trend and fan with the range beside it; a Rider's page draws theirs,
"Show the math" opens the rates and their deals × rate, and a click on a point of the trend lists
the deals behind it. The console stays clean.
"""

from __future__ import annotations

import pytest

from dashboard.models.forecast import forecast_for
from loaders.store.engine import dispose_engines, get_engine
from tests.support.browser import screenshot
from tests.support.demo import TODAY

pytestmark = pytest.mark.browser

DRAWN_JS = """
(sel) => { const gd = document.querySelector(sel + ' .js-plotly-plot');
  return !!(gd && gd.data && gd.data.some((t) => t.name === 'Landing p50')); }
"""
# Pixel position of the last point of a trace (by name) in a graph.
POINT_JS = """
([sel, name]) => {
  const gd = document.querySelector(sel + ' .js-plotly-plot');
  const fl = gd._fullLayout, box = gd.getBoundingClientRect();
  const t = gd._fullData.find((d) => d.name === name);
  const i = t.x.length - 1;
  return [box.left + fl.xaxis._offset + fl.xaxis.l2p(fl.xaxis.d2l(t.x[i])),
          box.top + fl.yaxis._offset + fl.yaxis.l2p(t.y[i])];
}
"""


def _click_point(page, selector, name):
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    x, y = page.evaluate(POINT_JS, [selector, name])
    page.mouse.move(x, y)
    page.wait_for_timeout(200)
    page.mouse.click(x, y)


def test_where_we_and_they_will_land(demo_server, page, console_errors):
    engine = get_engine(demo_server.store)
    f = forecast_for(engine, "2026-Q4", TODAY)
    rep = f.reps.sort_values("open_deals", ascending=False).index[0]
    open_deals = int(f.reps.loc[rep, "open_deals"])
    dispose_engines()
    base = demo_server.base

    # The Course: the scope's trend and fan, the range beside it, the method said plainly.
    page.goto(base + "/?quarter=2026-Q4")
    page.wait_for_function(DRAWN_JS, arg="#course-forecast-trend", timeout=60_000)
    range_text = page.locator("#course-forecast-range").inner_text()
    assert f.method == "reference" and f.past == ["2026-Q2", "2026-Q3"]
    assert "Made from 2 past quarters at week 8 (2026-Q2, 2026-Q3)" in range_text
    assert "LIKELY LANDING" in range_text.upper()
    page.wait_for_timeout(300)
    screenshot(page, "forecast-course")

    # The math opens on demand: each team's rates, and every open deal × rate in the sum.
    page.click("#course-forecast-math-toggle")
    page.locator("#course-forecast-math-body .forecast-rates").wait_for(timeout=20_000)
    assert "Enterprise West" in page.locator("#course-forecast-math-body").inner_text()
    total = f"{f.deals['expected'].sum():,.0f}"
    assert f"= {total} (from open deals)" in page.inner_text("#course-forecast-math-body")
    page.wait_for_timeout(400)
    screenshot(page, "forecast-course-math")
    page.click("#course-forecast-math-toggle")

    # A point of the trend lists the deals behind it.
    _click_point(page, "#course-forecast-trend", "Won")
    panel = page.locator(".trace-panel")
    panel.wait_for(state="visible", timeout=15_000)
    assert panel.locator(".offcanvas-title").inner_text().startswith("All teams · Won on ")
    assert "adding up to" in panel.locator(".trace-summary").inner_text()
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden", timeout=5_000)

    # The Rider: their trend and fan; the math opens with their open deals × rate.
    page.goto(base + f"/rider/{rep.replace(' ', '%20')}?quarter=2026-Q4")
    page.wait_for_function(DRAWN_JS, arg="#rider-forecast-trend", timeout=60_000)
    page.click("#rider-forecast-math-toggle")
    page.locator("#rider-forecast-math").wait_for(state="visible", timeout=10_000)
    page.wait_for_function(
        "async ([id, n]) => (await window.dash_ag_grid.getApiAsync(id)).getDisplayedRowCount()"
        " === n",
        arg=["rider-forecast-deals-grid", open_deals],
        timeout=20_000,
    )
    assert "Bucket" in page.locator("#rider-forecast-rates").inner_text()
    page.wait_for_timeout(500)
    screenshot(page, "forecast-rider")

    _click_point(page, "#rider-forecast-trend", "Commit forecast")
    panel = page.locator(".trace-panel")
    panel.wait_for(state="visible", timeout=15_000)
    assert panel.locator(".offcanvas-title").inner_text().startswith(f"{rep} · Commit forecast on ")
    page.wait_for_timeout(400)
    screenshot(page, "forecast-rider-rows")
    assert console_errors == []
