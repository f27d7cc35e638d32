"""The import step in real Chromium: drop an export no format knows, see the drafted columns and
the preview, change a stage's status and see the preview read again, load it, and see the mapping
saved; the same header a week later loads by itself. The console stays clean.
"""

from __future__ import annotations

import base64

import pytest

from tests.support.browser import screenshot
from tests.support.demo import demo_copy

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
HEADER = "Ref,Deal Title,Customer,Sales Agent,Phase,Value,Expected Close,Opened On\r\n"
# Amounts 12,500.00 and 4,200.50 as the preview writes them; Signed reads as won.
TEACHING = HEADER + (
    'T-1,Acme renewal,Acme,Ana Silva,Prospecting,"12,500.00",2026-12-15,2026-09-01\r\n'
    "T-2,Globex expansion,Globex,Ben Ode,Negotiation,8000,2026-11-30,2026-08-10\r\n"
    'T-3,Initech pilot,Initech,Ana Silva,Signed,"4,200.50",2026-10-20,2026-07-05\r\n'
    "T-4,Umbrella deal,Umbrella,Cy Young,Dropped,3000,2026-10-01,2026-06-30\r\n"
)
NEXT_WEEK = HEADER + (
    'T-1,Acme renewal,Acme,Ana Silva,Negotiation,"13,000.00",2026-12-15,2026-09-01\r\n'
    "T-5,Hooli trial,Hooli,Cy Young,Prospecting,2500,2027-01-20,2026-11-25\r\n"
)


def field(name: str) -> str:
    """The selector of a pattern-matching component (Dash writes its id as sorted JSON)."""
    return f"[id='{name}']"


def drop(page, name: str, text: str) -> None:
    page.evaluate(DROP_JS, [name, base64.b64encode(text.encode()).decode()])


STATUSES_JS = (
    "(want) => { const t = document.querySelector('#data-import-preview table');"
    " if (!t) return false;"
    " const i = [...t.querySelectorAll('th')].findIndex((h) => h.innerText === 'Status');"
    " if (i < 0) return false;"
    " const got = [...t.querySelectorAll('tbody tr')].map((r) => r.cells[i] && r.cells[i].innerText);"
    " return JSON.stringify(got) === JSON.stringify(want); }"
)


def wait_for_statuses(page, want: list[str]) -> None:
    """The preview's Status column reads ``want`` (waited for: the preview is read again and
    redrawn after each change, and a read in the middle of the redraw sees half a table)."""
    page.wait_for_function(STATUSES_JS, arg=want, timeout=30_000)


def test_import_step_journey(serve_store, data_dir, page, console_errors, tmp_path):
    base = serve_store(demo_copy(tmp_path / "db"), data_dir)
    page.goto(base + "/data")
    page.locator(".fresh-item").first.wait_for(timeout=30_000)
    assert page.locator("#data-import-panel").is_hidden()

    drop(page, "teaching_crm_deals_2026-11-22.csv", TEACHING)
    page.locator(".upload-needs-mapping").wait_for(timeout=30_000)
    panel = page.locator("#data-import-panel")
    panel.wait_for(state="visible")
    page.locator("#data-import-preview table").wait_for(timeout=30_000)
    assert "teaching_crm_deals_2026-11-22.csv" in page.locator("#data-import-title").inner_text()
    stage = page.locator(field('{"field":"stage","type":"data-import-field"}'))
    assert stage.input_value() == "Phase"
    created = page.locator(field('{"field":"created_date","type":"data-import-field"}'))
    assert created.input_value() == "Opened On" and "import-doubtful" in created.get_attribute(
        "class"
    )
    preview = page.locator("#data-import-preview").inner_text()
    assert "12,500.00" in preview and "4,200.50" in preview and "15 Dec 2026" in preview
    wait_for_statuses(page, ["open", "open", "won", "lost"])
    assert page.locator(".import-stage-table tbody tr").count() == 4
    screenshot(page, "import-step-open")

    # Signed as open: the preview reads the rows again.
    signed = page.locator(field('{"index":2,"type":"data-import-stage-status"}'))
    signed.select_option("open")
    wait_for_statuses(page, ["open", "open", "open", "lost"])
    signed.select_option("won")
    wait_for_statuses(page, ["open", "open", "won", "lost"])

    page.fill("#data-import-name", "Teaching CRM deals")
    page.click("#data-import-load")
    ok = page.locator(".upload-ok")
    ok.wait_for(timeout=30_000)
    text = ok.inner_text()
    assert text.startswith("Loaded teaching_crm_deals_2026-11-22.csv")
    assert "4 rows read, 4 loaded, 0 rejected" in text and "Teaching CRM deals" in text
    panel.wait_for(state="hidden")
    page.wait_for_function(
        "async () => (await window.dash_ag_grid.getApiAsync('data-mappings-grid'))"
        ".getDisplayedRowCount() === 1"
    )
    screenshot(page, "import-step-loaded")

    # The same header a week later: loaded by itself with the saved mapping, no step.
    drop(page, "teaching_crm_deals_2026-11-29.csv", NEXT_WEEK)
    page.wait_for_function(
        "() => { const ok = document.querySelector('.upload-ok');"
        " return ok && ok.innerText.includes('teaching_crm_deals_2026-11-29.csv'); }",
        timeout=30_000,
    )
    again = page.locator(".upload-ok").inner_text()
    assert "mapping:Teaching CRM deals" in again and "2 rows read, 2 loaded" in again
    assert panel.is_hidden()
    assert console_errors == []
