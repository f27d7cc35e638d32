"""Browser uploads through the Flask route, with Flask's test client, on a copy of the demo store.

A valid export changes the data (a new batch, a new data version, the new amounts in the figures);
a broken one is refused with a message naming the problem and changes nothing; a file over the
size limit is refused unread; path tricks in file names write nothing outside the upload folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dashboard.serve.upload import UPLOAD_PATH
from loaders.store.models import ImportBatch, OpportunitySnapshot
from tests.support import uploads
from tests.support.demo import edited_export, export_file
from tests.support.uploads import counts, files_under, post

app = uploads.app  # fixtures shared by the upload tests
store = uploads.store


def test_valid_export_changes_the_data(store, app, tmp_path):
    engine, data_dir = store
    before = counts(engine)
    path = edited_export(
        tmp_path / "salesforce_opportunities_2026-11-22_late.csv",
        cells={(0, "Amount"): "1,234,567.00"},
    )
    resp = post(app, path.read_bytes(), path.name)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["status"] == "loaded"
    assert body["file"] == path.name
    assert (body["kind"], body["format"], body["source"]) == (
        "pipeline",
        "salesforce-report",
        "salesforce",
    )
    assert body["as_of"].startswith("2026-11-22")
    assert body["rows_loaded"] == body["rows_read"] > 100 and body["rows_rejected"] == 0
    after = counts(engine)
    # One more batch; it replaces the Salesforce snapshot of that day (same number of rows).
    assert after[0] == before[0] + 1 and after[1] == before[1]
    with engine.connect() as conn:
        replaced = (
            conn.execute(select(ImportBatch.source_name).where(ImportBatch.status == "replaced"))
            .scalars()
            .all()
        )
    assert replaced == ["salesforce_opportunities_2026-11-22.csv"]
    assert after[2] > before[2]  # open pages will redraw
    with engine.connect() as conn:
        batch = conn.execute(
            select(ImportBatch.source_name, ImportBatch.archived_path).where(
                ImportBatch.id == body["batch_id"]
            )
        ).one()
        assert batch.source_name == path.name
        first = path.read_text(encoding="utf-8").splitlines()[1].split('","')[3]
        amount = conn.execute(
            select(OpportunitySnapshot.amount).where(
                OpportunitySnapshot.batch_id == body["batch_id"],
                OpportunitySnapshot.deal_id.like(first[:15] + "%"),
            )
        ).scalar()
    assert amount == 1_234_567.0
    # The original is archived next to the database; the upload folder is empty again.
    assert Path(batch.archived_path).is_file()
    assert Path(batch.archived_path).is_relative_to(data_dir / "archive")
    assert not files_under(data_dir / "uploads")
    # The same file again changes nothing.
    again = post(app, path.read_bytes(), path.name)
    assert again.status_code == 200 and again.json["status"] == "unchanged"
    assert counts(engine) == after


def test_broken_export_is_refused_and_changes_nothing(store, app):
    engine, data_dir = store
    before = counts(engine)
    resp = post(app, b"Deal,Value\nAcme,12\n", "deals_2026-11-22.csv")
    assert resp.status_code == 200  # read, and refused: an outcome, not an error
    body = resp.json
    assert body["status"] == "failed" and body["file"] == "deals_2026-11-22.csv"
    assert "Deal" in body["message"] and "Value" in body["message"]  # the columns it found
    assert counts(engine) == before
    assert not files_under(data_dir)  # nothing archived, nothing left


def test_rejected_rows_are_kept_with_reasons(store, app, tmp_path):
    engine, _ = store
    path = edited_export(
        tmp_path / "salesforce_opportunities_2026-11-22_b.csv",
        cells={(2, "Close Date"): "someday", (4, "Amount"): "lots"},
    )
    body = post(app, path.read_bytes(), path.name).json
    assert body["status"] == "loaded" and body["rows_rejected"] == 2
    from dashboard.models import data as data_model

    rejects = data_model.rejected_rows(engine, body["batch_id"])
    assert list(rejects["row_number"]) == [4, 6]
    assert rejects["reason"].str.len().min() > 5


def test_oversize_upload_is_refused_unread(store, app, monkeypatch):
    engine, data_dir = store
    monkeypatch.setenv("TEAMCAR_MAX_UPLOAD_MB", "1")
    before = counts(engine)
    big = export_file("salesforce_opportunities_2026-11-22").read_bytes()
    big = big + b"\r\n" * (1024 * 1024)
    resp = post(app, big, "salesforce_opportunities_2026-11-22_big.csv")
    assert resp.status_code == 413
    assert "1 MB limit" in resp.json["message"]
    assert counts(engine) == before
    assert not files_under(data_dir)


@pytest.mark.parametrize(
    "name",
    [
        "../../../../evil_2026-11-22.csv",
        "..\\..\\evil_2026-11-22.csv",
        "/tmp/evil_2026-11-22.csv",
        "sub/../../evil_2026-11-22.csv",
    ],
)
def test_path_tricks_in_names_write_nowhere_else(store, app, tmp_path, name):
    engine, data_dir = store
    outside = files_under(tmp_path.parent)
    content = edited_export(
        tmp_path / "src" / "x.csv", cells={(1, "Amount"): "777.00"}
    ).read_bytes()
    resp = post(app, content, name)
    assert resp.status_code == 200, resp.json
    assert resp.json["stored_as"] == "evil_2026-11-22.csv"
    new = files_under(tmp_path.parent) - outside
    assert all(
        p.is_relative_to(data_dir / "archive")
        or p.is_relative_to(tmp_path / "src")
        or p.is_relative_to(tmp_path / "db")
        for p in new
    ), new
    assert not (tmp_path / "evil_2026-11-22.csv").exists()
    assert not Path("/tmp/evil_2026-11-22.csv").exists()
    assert not files_under(data_dir / "uploads")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("/etc/passwd", b"root:x:0:0", 400),
        ("report.exe", b"MZ", 400),
        ("empty_2026-11-22.csv", b"", 400),
        ("", b"a,b", 400),
    ],
)
def test_not_an_export(store, app, name, content, code):
    engine, _ = store
    before = counts(engine)
    resp = post(app, content, name)
    assert resp.status_code == code
    assert resp.json["status"] == "failed" and resp.json["message"]
    assert counts(engine) == before


def test_cross_site_posts_are_refused(store, app):
    engine, _ = store
    before = counts(engine)
    content = export_file("salesforce_opportunities_2026-11-15").read_bytes()
    resp = post(app, content, "x_2026-11-22.csv", Origin="http://evil.example")
    assert resp.status_code == 403
    assert counts(engine) == before
    ok = post(app, b"Deal,Value\n", "x.csv", Origin="http://localhost")
    assert ok.json["status"] == "failed"  # same origin: read (and refused as broken)
    assert "Deal" in ok.json["message"]


def test_no_file(store, app):
    client = app.server.test_client()
    resp = client.post(UPLOAD_PATH, data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "No file" in resp.json["message"]
