"""Hostile uploads through ``/api/upload`` (Flask test client, on a copy of the demo store).

Names with NUL bytes, drive letters, only dots, right-to-left overrides or thousands of
characters; files that lie about their type; a ZIP bomb that would unpack to hundreds of MB from
a few hundred KB. Each is answered with a message (never a server error), writes nothing outside
the upload folder, leaves nothing behind, and changes the store only when the file really is an
export.
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from tests.support import uploads
from tests.support.demo import edited_export
from tests.support.uploads import counts, files_under, post

app = uploads.app  # fixtures shared by the upload tests
store = uploads.store


@pytest.mark.parametrize(
    "name",
    [
        "evil\x00.csv",
        "x.csv\x00.exe",
        "C:\\Windows\\evil_2026-11-22.csv",
        "..",
        "....csv",
        ".csv",
        "\u202egpj.csv",
        "a" * 5000 + ".csv",
        "CON.csv",
        "../../.bashrc.csv",
        "%2e%2e%2fevil.csv",
        "evil\r\nX-Injected: 1.csv",
    ],
)
def test_hostile_names_write_nowhere_else(store, app, tmp_path, name):
    engine, data_dir = store
    outside = files_under(tmp_path.parent)
    content = edited_export(
        tmp_path / "src" / "x.csv", cells={(1, "Amount"): "777.00"}
    ).read_bytes()
    resp = post(app, content, name)
    assert resp.status_code in (200, 400), resp.data[:300]
    body = resp.json
    assert body["status"] in ("loaded", "unchanged", "failed") and body["message"] is not None
    stored = body.get("stored_as") or ""
    assert "/" not in stored and "\\" not in stored and "\x00" not in stored
    assert len(stored) < 300
    new = files_under(tmp_path.parent) - outside
    assert all(
        p.is_relative_to(data_dir / "archive")
        or p.is_relative_to(tmp_path / "src")
        or p.is_relative_to(tmp_path / "db")
        for p in new
    ), new
    assert not files_under(data_dir / "uploads")
    assert "X-Injected" not in resp.headers


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deals_2026-11-22.csv", os.urandom(4096)),  # binary noise
        ("deals_2026-11-22.xlsx", b"PK\x03\x04" + os.urandom(2048)),  # a broken workbook
        ("deals_2026-11-22.xlsx", b"Deal,Amount\nA,1\n"),  # text named .xlsx
        ("deals_2026-11-22.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),  # old .xls
        ("deals_2026-11-22.zip", b"PK\x05\x06" + b"\0" * 18),  # an empty ZIP
        ("deals_2026-11-22.csv", "Deal,Amount\n".encode("utf-16") + b"\xff" * 33),
    ],
)
def test_files_lying_about_their_type_are_refused_with_a_message(store, app, name, content):
    engine, data_dir = store
    before = counts(engine)
    resp = post(app, content, name)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.json["status"] == "failed" and len(resp.json["message"]) > 10
    assert counts(engine) == before
    assert not files_under(data_dir)


def test_a_zip_bomb_is_refused_unread(store, app, tmp_path):
    engine, data_dir = store
    before = counts(engine)
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("Opportunity.csv", "w", force_zip64=True) as member,
    ):
        member.write(b'"Id","Name","StageName","Amount","CloseDate"\r\n')
        block = b"0" * (1 << 20)
        for _ in range(300):  # 300 MB of zeros
            member.write(block)
    packed = bomb.getvalue()
    assert len(packed) < 2 * 1024 * 1024
    resp = post(app, packed, "export_2026-11-22.zip")
    assert resp.status_code == 200
    assert resp.json["status"] == "failed" and "unsafe" in resp.json["message"]
    assert counts(engine) == before
    assert not files_under(data_dir)


def test_a_chunked_body_past_the_limit_is_refused(store, app, monkeypatch):
    engine, data_dir = store
    monkeypatch.setenv("TEAMCAR_MAX_UPLOAD_MB", "1")
    before = counts(engine)
    boundary = "teamcarboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big_2026-11-22.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    body = head + b"a,b\r\n" * (600 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    client = app.server.test_client()
    resp = client.post(
        "/api/upload",
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Transfer-Encoding": "chunked"},
    )
    assert resp.status_code in (400, 413), resp.data[:300]  # refused, unread
    assert resp.json["status"] == "failed"
    assert counts(engine) == before
    assert not files_under(data_dir)
