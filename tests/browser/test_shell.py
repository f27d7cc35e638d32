"""Journey: every page of the shell opens on a small store, through the top bar, with a clean console.

The pages' own journeys live beside this file; this one proves the shell holds them together:
each navigation link leads to a page that renders its heading and logs no error.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from loaders.ingest import store_frame
from loaders.store.engine import get_engine, upgrade
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def small_store(tmp_path, data_dir):
    url = f"sqlite:///{tmp_path / 'shell.db'}"
    upgrade(url)
    engine = get_engine(url)
    store_frame(
        engine,
        "roster",
        pd.DataFrame(
            {
                "rep": ["Ann Lee", "Bo <b>Chen</b>", "Cy Diaz"],
                "team": ["East", "East", "West"],
                "role": ["AE", "AE", "AE"],
            }
        ),
        as_of=dt.datetime(2026, 11, 1),
        source_name="roster.csv",
    )
    store_frame(
        engine,
        "quota",
        pd.DataFrame(
            {
                "rep": ["Ann Lee", "Bo <b>Chen</b>", "Cy Diaz"],
                "quarter": ["2026-Q4"] * 3,
                "quota": [100.0, 100.0, 100.0],
            }
        ),
        as_of=dt.datetime(2026, 11, 1),
        source_name="quotas.csv",
    )
    for day in (13, 20):
        store_frame(
            engine,
            "pipeline",
            pd.DataFrame(
                {
                    "deal_id": ["D1", "D2"],
                    "deal_name": ["Acme", "<script>alert(1)</script>"],
                    "owner": ["Ann Lee", "Bo <b>Chen</b>"],
                    "status": ["open", "won"],
                    "amount": [10.0, 20.0 + day],
                    "close_date": ["2026-12-01", "2026-11-10"],
                }
            ),
            as_of=dt.datetime(2026, 11, day),
            source_name=f"salesforce_opportunities_2026-11-{day}.csv",
        )
    engine.dispose()
    return url


def test_every_page_opens_from_the_top_bar(
    serve_store, small_store, data_dir, page, console_errors
):
    base = serve_store(small_store, data_dir)
    page.goto(base + "/")
    page.locator(".navbar").wait_for()
    for label in ("Review", "Data", "Course"):
        page.locator(".navbar").get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state("networkidle")
        assert page.locator("h1, h2").first.is_visible()
    # names carrying HTML are shown as text, never run or rendered as markup
    assert page.locator("b", has_text="Chen").count() == 0
    screenshot(page, "shell-course-small")
    assert console_errors == []
