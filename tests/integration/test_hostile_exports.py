"""Every export path with hostile cells: no cell of a downloaded file can run as a formula.

The hostile fixture (names starting with ``=``, ``+``, ``-``, ``@``, a tab; markup) is loaded
with a second snapshot in which every deal changed, so all of them are in the Review's moved
deals; the Review's CSV and XLSX and the Data page's rejected-rows CSV are downloaded through
their callbacks and read back. Text cells starting with a formula character carry a leading
apostrophe; numbers stay numbers; no XLSX cell is a formula.
"""

from __future__ import annotations

import base64
import csv
import io
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dashboard import ids, urls
from dashboard.exports import DANGEROUS_FIRST
from loaders.ingest import load_file
from tests.support.callbacks import run
from tests.support.demo import TODAY
from tests.support.stores import use_store

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    create_app()
    return sys.modules["dashboard.pages.review"], sys.modules["dashboard.pages.data"]


def _every_deal_changed(source: Path, target: Path) -> Path:
    with source.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["Amount"] = f"{float(row['Amount'].replace(',', '')) + 1000:,.2f}"
    with target.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    return target


@pytest.fixture
def store(tmp_path, monkeypatch):
    from loaders.store.engine import upgrade

    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    upgrade(url)
    engine = use_store(url, monkeypatch, tmp_path / "data")
    later = _every_deal_changed(
        HOSTILE / "salesforce_opportunities_2026-11-15.csv",
        tmp_path / "salesforce_opportunities_2026-11-22.csv",
    )
    for path in (
        HOSTILE / "roster.csv",
        HOSTILE / "quotas.csv",
        HOSTILE / "salesforce_opportunities_2026-11-15.csv",
        later,
    ):
        assert load_file(path, engine=engine).status == "loaded"
    return engine


def _bytes(result) -> bytes:
    assert result["base64"] is True
    return base64.b64decode(result["content"])


def _inert(value: str) -> bool:
    return not value.startswith(DANGEROUS_FIRST)


def _review_data() -> dict:
    state = urls.resolve(
        {"quarter": "2026-Q4", "as_of": "2026-11-22", "since": "2026-11-15"}, TODAY
    )
    return {
        "view": state.to_dict(),
        "as_of": "2026-11-22",
        "since": "2026-11-15",
        "group": "none",
        "present": False,
    }


def test_review_csv_and_xlsx_neutralise_hostile_cells(store, app):
    review, _ = app
    out = run(
        review.export_moved,
        f"{ids.REVIEW_EXPORT_CSV}.n_clicks",
        1,
        1,
        None,
        _review_data(),
        None,
        None,
        None,
    )
    rows = list(csv.reader(io.StringIO(_bytes(out).decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) >= 7
    cells = [c for row in rows for c in row]
    assert all(_inert(c) for c in cells), [c for c in cells if not _inert(c)]
    deals = {r[header.index("Deal")] for r in body}
    accounts = {r[header.index("Account")] for r in body}
    reps = {r[header.index("Rep")] for r in body}
    assert '\'=HYPERLINK("http://evil","x")' in deals
    assert "'-2+3 deal" in deals
    assert {"'@SUM(1+1)", "'+Plus Corp"} <= accounts  # (a leading tab is trimmed on load)
    assert "'=cmd|' /C calc'!A0" in reps
    assert "<img src=x onerror=alert('deal')>" in deals  # markup stays as typed text
    change = header.index("Change")
    assert all(float(r[change]) == 1000 for r in body if r[change])  # numbers stay numbers

    out = run(
        review.export_moved,
        f"{ids.REVIEW_EXPORT_XLSX}.n_clicks",
        1,
        None,
        1,
        _review_data(),
        None,
        None,
        None,
    )
    ws = load_workbook(io.BytesIO(_bytes(out))).active
    values = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in values)
    texts = [c.value for c in values if isinstance(c.value, str)]
    assert all(_inert(t) for t in texts), [t for t in texts if not _inert(t)]
    assert '\'=HYPERLINK("http://evil","x")' in texts and "'@SUM(1+1)" in texts
    numbers = [c for c in values if c.data_type == "n"]
    assert numbers


def test_rejected_rows_csv_neutralises_hostile_cells(store, app, tmp_path):
    _, data_page = app
    bad = tmp_path / "salesforce_opportunities_2026-11-21.csv"
    with (HOSTILE / "salesforce_opportunities_2026-11-15.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update({"Opportunity Owner": "=cmd|' /C calc'!A0", "Amount": "=1+1"})
    rows[1].update({"Opportunity Owner": "@SUM(A1)", "Close Date": "+tomorrow"})
    rows[2].update({"Opportunity Owner": "\t-2", "Amount": "-@3"})
    with bad.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    outcome = load_file(bad, engine=store)
    assert outcome.status == "loaded" and outcome.rows_rejected == 3, outcome.message
    res = run(
        data_page.download_rejects, f"{ids.DATA_REJECTS_DOWNLOAD}.n_clicks", 1, 1, outcome.batch_id
    )
    table = list(csv.reader(io.StringIO(_bytes(res).decode("utf-8-sig"))))
    cells = [c for row in table for c in row]
    assert len(table) == 4
    assert all(_inert(c) for c in cells), [c for c in cells if not _inert(c)]
    raw = [row[3] for row in table[1:]]
    assert any(r.startswith("'=cmd") or "=cmd" in r for r in raw), raw
