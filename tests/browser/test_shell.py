"""Journey: open Team Car on a store, read the overview, go to Data and see the imports."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from loaders.ingest import store_frame
from loaders.store.engine import get_engine, upgrade
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def small_store(tmp_path, data_dir):
    url = f"sqlite:///{tmp_path / 'shell.db'}"
    upgrade(url)
    engine = get_engine(url)
    store_frame(engine, "roster", pd.DataFrame({
        "rep": ["Ann Lee", "Bo <b>Chen</b>", "Cy Diaz"], "team": ["East", "East", "West"]}),
        as_of=dt.datetime(2026, 11, 1), source_name="roster.csv")
    store_frame(engine, "pipeline", pd.DataFrame({
        "deal_id": ["D1", "D2"], "owner": ["Ann Lee", "Cy Diaz"], "status": ["open", "won"],
        "amount": [10.0, 20.0]}), as_of=dt.datetime(2026, 11, 20),
        source_name="salesforce_opportunities_2026-11-20.csv")
    engine.dispose()
    return url


def test_overview_and_data_pages(serve_store, small_store, data_dir, page, console_errors):
    base = serve_store(small_store, data_dir)
    page.goto(base + "/")
    kpis = page.locator(".kpi")
    kpis.first.wait_for()
    texts = [t.strip() for t in kpis.all_inner_texts()]
    assert texts[0].split() == ["TEAMS", "2"] or texts[0].split() == ["Teams", "2"]
    assert "20 Nov 2026" in texts[3]
    assert page.get_by_role("cell", name="East").is_visible()
    screenshot(page, "shell-overview")

    page.get_by_role("link", name="Data").click()
    page.wait_for_url(base + "/data")
    grid = page.locator(".ag-center-cols-container .ag-row")
    grid.first.wait_for()
    assert grid.count() == 2
    assert page.get_by_text("salesforce_opportunities_2026-11-20.csv").is_visible()
    screenshot(page, "shell-data")
    assert console_errors == []
