"""The support car in real Chromium, on the demo's data (today pinned to 2026-11-22).

Open /support for one team; the head figures and the tables say what the model says; click an
expert's amount and see the deals behind it re-add; click a deal and see its panel; click a rider
and land on their page, whose head carries their focus share. The console stays clean.
"""

from __future__ import annotations

import re

import pytest

from dashboard import urls
from dashboard.figures import style
from dashboard.models import support as sm
from loaders.store.engine import dispose_engines, get_engine
from tests.support.browser import screenshot
from tests.support.demo import TODAY, pinned_today

pytestmark = pytest.mark.browser
TEAM = "Enterprise West"


def test_support_car_journey(demo_server, page, console_errors):
    engine = get_engine(demo_server.store)
    with pinned_today():
        state = urls.resolve({"quarter": "2026-Q4", "team": TEAM}, TODAY)
        model = sm.build_support(engine, state, None)
    totals = model.totals()
    expert = model.experts.iloc[0]
    focus = sm.focus_rows(model).iloc[0]
    dispose_engines()
    base = demo_server.base

    page.goto(base + "/support?quarter=2026-Q4&team=" + TEAM.replace(" ", "+"))
    head = page.locator("#support-head .kpi-value")
    head.first.wait_for(timeout=30_000)
    assert head.nth(1).inner_text() == style.money(totals["touched_amount"])
    assert head.nth(2).inner_text() == str(totals["unsupported_deals"])
    rows = page.locator("#support-experts-grid .ag-center-cols-container .ag-row")
    rows.first.wait_for(timeout=20_000)
    assert rows.count() == len(model.experts)
    # below the fold: built when it comes on screen (assets/lazy.js), as a manager scrolls to it
    page.locator("#support-focus-grid").scroll_into_view_if_needed()
    page.locator("#support-focus-grid .ag-row").first.wait_for(timeout=20_000)
    first_rider = page.locator(
        "#support-focus-grid .ag-pinned-left-cols-container .ag-row, "
        "#support-focus-grid .ag-center-cols-container .ag-row"
    ).first
    assert focus["rep"] in first_rider.inner_text()
    screenshot(page, "support-demo")

    # The busiest expert's in-quarter amount: the deals behind it add up to it.
    cell = page.locator(
        f"#support-experts-grid .ag-row[row-id='{expert['expert']}'] [col-id='open_amount']"
    )
    cell.click()
    panel = page.locator("#support-trace")
    panel.wait_for(state="visible", timeout=10_000)
    summary = page.locator("#support-trace .trace-summary").inner_text()
    assert style.money_full(expert["open_amount"]) in summary
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden", timeout=10_000)

    # A large deal left alone opens the deal panel.
    if len(model.unsupported):
        deal = model.unsupported.iloc[0]
        page.locator("#support-unsupported-grid .ag-row [col-id='deal_name']").first.click()
        title = page.locator("#support-deal .offcanvas-title")
        title.wait_for(timeout=10_000)
        assert title.inner_text() == deal["deal_name"]
        page.keyboard.press("Escape")
        page.locator("#support-deal").wait_for(state="hidden", timeout=10_000)

    # A rider's name opens their page, whose head carries their focus share.
    page.locator("#support-focus-grid .ag-row [col-id='rep']").first.click()
    page.wait_for_url(re.compile(r"/rider/"), timeout=10_000)
    badge = page.locator("#rider-badges .rider-badge", has_text="Focus")
    badge.wait_for(timeout=20_000)
    if not style.is_missing(focus["focus_share"]):
        assert style.pct(focus["focus_share"]) in badge.inner_text()
    assert console_errors == []
