"""The data desk in real Chromium: upload a valid export and see the data change; drop a broken
one and see a clear error with nothing changed; the rejected rows of a file are listed with their
reasons. The console stays clean.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from loaders.store.engine import dispose_engines, get_engine
from loaders.store.models import ImportBatch
from tests.support.browser import screenshot
from tests.support.demo import demo_copy, edited_export

pytestmark = pytest.mark.browser

DROP_JS = """
([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, {type: 'text/csv'}));
  const zone = document.getElementById('data-upload-zone');
  for (const type of ['dragenter', 'dragover', 'drop']) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
  }
}
"""


@pytest.fixture
def data_store(tmp_path, data_dir):
    return demo_copy(tmp_path / "db")


def batch_count(url: str) -> int:
    engine = get_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(ImportBatch)).scalar()
    dispose_engines()
    return n


def grid_count(page) -> int:
    return page.evaluate(
        "async () => (await window.dash_ag_grid.getApiAsync('data-batches'))"
        ".paginationGetRowCount()"
    )


def test_upload_journey(serve_store, data_store, data_dir, page, console_errors, tmp_path):
    before = batch_count(data_store)
    base = serve_store(data_store, data_dir)
    page.goto(base + "/data")
    page.wait_for_function(
        "async (n) => (await window.dash_ag_grid.getApiAsync('data-batches'))"
        ".paginationGetRowCount() === n",
        arg=before,
        timeout=30_000,
    )
    page.locator(".fresh-item").first.wait_for(timeout=10_000)
    assert page.locator(".fresh-item").count() >= 6

    # A valid export, chosen with the file picker: loaded, listed, its rejects shown.
    good = edited_export(
        tmp_path / "salesforce_opportunities_2026-11-22_late.csv",
        cells={(0, "Amount"): "1,234,567.00", (3, "Close Date"): "someday"},
    )
    with page.expect_file_chooser() as chooser:
        page.click("#data-upload-zone")
    chooser.value.set_files(str(good))
    ok = page.locator(".upload-ok")
    ok.wait_for(timeout=30_000)
    text = ok.inner_text()
    assert text.startswith("Loaded salesforce_opportunities_2026-11-22_late.csv")
    assert "1 rejected" in text and f"batch {before + 1}" in text
    assert batch_count(data_store) == before + 1
    page.wait_for_function(
        "async () => { const api = await window.dash_ag_grid.getApiAsync('data-batches');"
        " const first = api.getDisplayedRowAtIndex(0);"
        " return first && first.data.source_name.endsWith('_late.csv'); }",
        timeout=15_000,
    )
    rejects = page.locator("#data-rejects-title")
    page.wait_for_function(
        "() => document.querySelector('#data-rejects-title').innerText.includes('_late.csv')"
    )
    assert "1 row could not be read" in rejects.inner_text()
    page.wait_for_function(
        "async () => (await window.dash_ag_grid.getApiAsync('data-rejects-grid'))"
        ".getDisplayedRowCount() === 1"
    )
    # The top bar noticed the new data version (the page redraws without a reload).
    page.wait_for_function(
        "async (n) => (await window.dash_ag_grid.getApiAsync('data-batches'))"
        ".paginationGetRowCount() === n",
        arg=before + 1,
        timeout=15_000,
    )
    screenshot(page, "data-upload-ok")

    # A broken export, dropped on the zone: a clear error, nothing changed.
    broken = b"Deal,Value\r\nAcme,12\r\n"
    page.evaluate(DROP_JS, ["pipeline_2026-11-22.csv", base64.b64encode(broken).decode()])
    bad = page.locator(".upload-error")
    bad.wait_for(timeout=30_000)
    words = bad.inner_text()
    assert words.startswith("Not loaded: pipeline_2026-11-22.csv")
    assert "Deal" in words and "Value" in words
    assert "Nothing was changed in the store." in words
    assert page.locator(".upload-ok").count() == 0
    assert batch_count(data_store) == before + 1
    assert grid_count(page) == before + 1
    screenshot(page, "data-upload-error")
    assert console_errors == []
