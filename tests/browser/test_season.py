"""The Season page in real Chromium, on the demo's data (today pinned to 2026-11-22).

One page load of /season on 15 Nov (the day the demo has a rider sitting in): the general
classification grid shows every rider with the sitting-in flag where the model has it; a
heat-strip cell opens the deals won in that stage, which add up to it; the stage flow and the ramp charts
draw; the console stays clean.
"""

from __future__ import annotations

import pytest

from dashboard import urls
from dashboard.figures import season as fs
from dashboard.figures import style
from dashboard.models import season as sm
from loaders.store.engine import dispose_engines, get_engine
from tests.support.browser import screenshot
from tests.support.demo import TODAY, pinned_today

pytestmark = pytest.mark.browser
DAY = "2026-11-15"


def test_season_journey(demo_server, page, console_errors):
    season_store = demo_server.store
    with pinned_today():
        days = sm.resolve_days(year="2026", as_of=DAY, today=TODAY)
        model = sm.build_season(get_engine(season_store), 2026, days.as_of, days.since, None, None)
    gc = model.gc
    leader = str(gc.index[0])
    won_q3 = float(gc.loc[leader, "won_3"])
    sitting = sorted(str(r) for r in gc.index[gc["sitting_in"].astype(bool)])
    dispose_engines()
    base = demo_server.base

    page.goto(f"{base}/season?year=2026&as_of={DAY}")
    grid = "#season-gc-grid .ag-center-cols-container"
    page.locator(f"{grid} .ag-row [col-id='att_3']").first.wait_for(timeout=40_000)
    # the classification grid: one page of riders (up to 50), the leader first, the flags the
    # model's, the heat strip coloured (the leader's Q3 cell in heat_colour's colour)
    first = page.locator(f"{grid} .ag-row[row-index='0']").inner_text()
    assert leader in first
    assert page.locator(f"{grid} .gc-flag-sitting").count() == len(sitting) > 0
    assert page.locator(f"{grid} .ag-row").count() == min(len(gc), sm.PAGE_SIZE)
    q3 = page.locator(f'{grid} .ag-row[row-id="{leader}"] [col-id="att_3"]')
    colour = q3.evaluate("el => getComputedStyle(el).backgroundColor")
    hex_colour = fs.heat_colour(gc.loc[leader, "att_3"]).lstrip("#")
    assert colour == "rgb({}, {}, {})".format(*(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4)))
    link = page.locator(f'{grid} .ag-row[row-id="{leader}"] [col-id="rider"] a')
    assert link.get_attribute("href") == urls.rider_path(leader)

    # the stage flow and the ramp have drawn
    page.wait_for_function(
        "() => ['season-flow-chart', 'season-ramp-chart'].every(id => {"
        " const gd = document.querySelector('#' + id + ' .js-plotly-plot');"
        " return gd && gd.data && gd.data.length > 0; })",
        timeout=30_000,
    )
    assert page.locator("#season-flow-chart .barlayer .point").count() > 0
    screenshot(page, "season-demo")

    # the leader's Q3 cell opens the deals won in Q3, which add up to it
    q3.click()
    panel = page.locator("#season-trace")
    panel.wait_for(state="visible", timeout=15_000)
    assert leader in page.locator("#season-trace .offcanvas-title").inner_text()
    assert style.money_full(won_q3) in page.locator("#season-trace-body").inner_text()
    assert console_errors == []
