"""The audit log: what each way of changing the store records (who, when, what), who may read it
on the Data page (administrators, checked on the server), its downloads, and ``teamcar audit``.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import insert

from dashboard import auth, ids
from dashboard.auth.access import Access
from dashboard.reads import cache
from dashboard.reads.audit import load_audit
from dashboard.reads.calls import CallError, record_call
from dashboard.serve.upload import UPLOAD_PATH
from loaders.store import audit
from loaders.store.audit import local_actor
from loaders.store.engine import get_engine
from loaders.store.models import AuditEntry
from tests.support.book import seed_book
from tests.support.callbacks import run
from tests.support.cli import teamcar
from tests.support.client import PASSWORD, sign_in
from tests.support.stores import make_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _entries(engine, kind=None) -> list[dict]:
    return load_audit(engine, kind=kind).to_dict("records")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app, built on a store of its own (each test points it at its store afterwards)."""
    from dashboard.app import create_app

    url, _drop = make_store("sqlite", tmp_path_factory.mktemp("app"), prefix="app")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEAMCAR_DATABASE_URL", url)
        return create_app()


@pytest.fixture
def store(store_url, monkeypatch):
    monkeypatch.delenv("TEAMCAR_AUTH_HEADER", raising=False)
    monkeypatch.delenv("TEAMCAR_CACHE_URL", raising=False)
    monkeypatch.setattr(auth.web, "FAIL_DELAY_SECONDS", 0)
    cache.clear_local()
    return get_engine(store_url)


# --- what is recorded -----------------------------------------------------------------------


def test_user_changes_are_recorded_with_the_change(store):
    auth.add_user(store, "Mia Manager", "manager", ["East", "West"], PASSWORD)
    auth.set_password(store, "Mia Manager", "another long password")
    auth.remove_user(store, "Mia Manager")
    got = [(e["action"], e["subject"], e["detail"], e["actor"], e["via"]) for e in _entries(store)]
    me = local_actor()
    assert got == [
        ("removed", "Mia Manager", "was manager", me, "cli"),
        ("password", "Mia Manager", "sessions ended", me, "cli"),
        ("added", "Mia Manager", "manager, sees East, West; password", me, "cli"),
    ]
    assert all(PASSWORD not in str(e) for e in _entries(store))
    # A change refused leaves no entry: the entry is written in the change's transaction.
    with pytest.raises(auth.AuthError):
        auth.add_user(store, "Ada", "admin", [], "short")
    with pytest.raises(auth.AuthError):
        auth.remove_user(store, "Nobody")
    assert len(_entries(store)) == 3


def test_calls_mapping_and_plan_edits_are_recorded(store):
    seed_book(store)
    record_call(
        store,
        person="Ann Lee",
        quarter="2026-Q4",
        commit=120000,
        best_case=150000.5,
        note="two deals",
        author="Mia Manager",
        submitted=dt.date(2026, 11, 20),
        scope=["East"],
    )
    with pytest.raises(CallError):  # not in her scope: no call, no entry
        record_call(
            store,
            person="Cat Wu",
            quarter="2026-Q4",
            commit=1,
            best_case=1,
            note=None,
            author="Mia Manager",
            submitted=dt.date(2026, 11, 20),
            scope=["East"],
        )
    audit.record_mapping_change(
        store, "edited", "warehouse.toml", actor="Ada Admin", detail="Amount: 'ARR' -> 'TCV'"
    )
    audit.record_plan_edit(
        store, "step added", "salesforce:006A1", actor="Mia Manager", detail="legal by 2026-12-01"
    )
    got = {e["kind"]: e for e in _entries(store)}
    assert set(got) == {"call", "mapping", "plan"}
    call = got["call"]
    assert (call["actor"], call["via"], call["action"]) == ("Mia Manager", "browser", "made")
    assert call["subject"] == "Ann Lee · 2026-Q4"
    assert call["detail"] == "commit 120,000.00, best case 150,000.50, submitted 2026-11-20"
    assert (got["mapping"]["subject"], got["mapping"]["actor"]) == ("warehouse.toml", "Ada Admin")
    assert got["plan"]["detail"] == "legal by 2026-12-01"
    with pytest.raises(ValueError, match="audit kind"):
        audit.record(store, "coffee", "made", actor="x")


def test_browser_uploads_are_recorded_by_who_uploaded(app, store, data_dir):
    auth.add_user(store, "Ada Admin", "admin", [], PASSWORD)
    auth.add_user(store, "Max Manager", "manager", ["East"], PASSWORD)
    admin = app.server.test_client()
    sign_in(admin, "Ada Admin")
    content = (FIXTURES / "quotas.csv").read_bytes()
    for name in ("my quotas.csv", "my quotas.csv", "broken.csv"):
        body = content if name != "broken.csv" else b"a,b\n1,2\n"
        resp = admin.post(
            UPLOAD_PATH,
            data={"file": (io.BytesIO(body), name)},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 200
    manager = app.server.test_client()
    sign_in(manager, "Max Manager")
    assert manager.post(UPLOAD_PATH, data={}).status_code == 403
    loads = _entries(store, "load")
    got = [(e["action"], e["subject"], e["actor"], e["via"]) for e in loads]
    assert got == [
        ("refused", "(upload not read)", "Max Manager", "browser"),
        ("failed", "broken.csv", "Ada Admin", "browser"),
        ("unchanged", "my quotas.csv", "Ada Admin", "browser"),
        ("loaded", "my quotas.csv", "Ada Admin", "browser"),
    ]
    assert loads[3]["detail"].startswith("batch ") and "quota" in loads[3]["detail"]
    assert "broken.csv" in loads[1]["detail"] and "uploads/" not in loads[1]["detail"]
    assert "Only an administrator may load data." in loads[0]["detail"]


# --- who may read it ------------------------------------------------------------------------


@pytest.fixture
def data_page(app):
    return sys.modules["dashboard.pages.data"]


def _as(app, viewer):
    """A request context in which ``viewer`` is signed in (None: the local demo)."""
    from flask import g

    ctx = app.server.test_request_context("/_dash-update-component", method="POST")
    ctx.push()
    g.teamcar_access = Access(open=True) if viewer is None else Access(viewer=viewer)
    return ctx


def _filled(store) -> None:
    with store.begin() as conn:
        conn.execute(
            insert(AuditEntry),
            [
                dict(
                    at=dt.datetime(2026, 11, d, 9),
                    kind=k,
                    action="made" if k == "call" else "loaded",
                    actor=who,
                    via="browser",
                    subject=subject,
                    detail="",
                )
                for d, k, who, subject in (
                    (1, "load", "Ada", '=HYPERLINK("http://x","x")'),
                    (2, "call", "Mia", "Ann Lee · 2026-Q4"),
                    (3, "load", "Ada", "roster.csv"),
                )
            ],
        )


@pytest.mark.parametrize(
    ("role", "teams", "shown"),
    [("admin", (), True), ("leader", (), False), ("manager", ("East",), False), (None, (), True)],
)
def test_the_data_page_shows_the_log_to_administrators_only(
    app, store, data_page, role, teams, shown
):
    _filled(store)
    viewer = None if role is None else auth.Viewer("Someone", role, teams)
    ctx = _as(app, viewer)
    try:
        rows, title = run(data_page.render_audit, f"{ids.DATA_AUDIT_KIND}.value", "all", "all", 1)
        csv_file = run(
            data_page.download_audit, f"{ids.DATA_AUDIT_CSV}.n_clicks", 1, 1, None, "all"
        )
    finally:
        ctx.pop()
    if not shown:
        assert rows == [] and title == "shown to administrators only"
        assert csv_file is data_page.no_update
        return
    assert [r["subject"] for r in rows] == ["roster.csv", "Ann Lee · 2026-Q4", rows[2]["subject"]]
    assert rows[0]["at"] == "2026-11-03 09:00:00" and "3 entries" in title


def test_filter_by_kind_and_download_neutralised(app, store, data_page):
    _filled(store)
    ctx = _as(app, auth.Viewer("Ada", "admin"))
    try:
        rows, title = run(data_page.render_audit, f"{ids.DATA_AUDIT_KIND}.value", "load", "load", 1)
        csv_file = run(
            data_page.download_audit, f"{ids.DATA_AUDIT_CSV}.n_clicks", 1, 1, None, "load"
        )
        xlsx = run(data_page.download_audit, f"{ids.DATA_AUDIT_XLSX}.n_clicks", 1, None, 1, "load")
    finally:
        ctx.pop()
    assert [r["subject"] for r in rows] == ["roster.csv", '=HYPERLINK("http://x","x")']
    assert "loads · 2 entries" in title
    text = base64.b64decode(csv_file["content"]).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["When (UTC)", "Kind", "Action", "Who", "Via", "What", "Detail"]
    assert table[2][5] == '\'=HYPERLINK("http://x","x")'
    assert csv_file["filename"].startswith("audit-load-") and xlsx["filename"].endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x","x")' in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


# --- the terminal ---------------------------------------------------------------------------


def test_loads_from_the_terminal_and_the_watcher_and_teamcar_audit(tmp_path, data_dir):
    teamcar("load", str(FIXTURES / "roster.csv"))
    teamcar("load", str(FIXTURES / "roster.csv"))
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(FIXTURES / "quotas.csv", drop / "=quotas.csv")
    teamcar("watch", str(drop), "--once", "--settle", "0")
    engine = get_engine(f"sqlite:///{data_dir / 'teamcar.db'}")
    got = [(e["action"], e["subject"], e["via"], e["actor"]) for e in _entries(engine)]
    me = local_actor()
    assert got == [
        ("loaded", "=quotas.csv", "watcher", me),
        ("unchanged", "roster.csv", "cli", me),
        ("loaded", "roster.csv", "cli", me),
    ]
    with engine.begin() as conn:  # an entry from long ago, left out by --since
        conn.execute(
            insert(AuditEntry).values(
                at=dt.datetime(2020, 1, 1),
                kind="user",
                action="added",
                actor="old",
                via="cli",
                subject="someone",
                detail="",
            )
        )
    out = teamcar("audit", "--since", "2021-01-01", "--format", "csv").stdout
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["When", "Kind", "Action", "Who", "Via", "Subject", "Detail"]
    assert [r[5] for r in table[1:]] == ["'=quotas.csv", "roster.csv", "roster.csv"]
    everything = teamcar("audit").stdout
    assert "Audit log (4 entries" in everything and "someone" in everything
    users = teamcar("audit", "--kind", "user", "--format", "csv").stdout
    assert len(list(csv.reader(io.StringIO(users)))) == 2
    wrong = teamcar("audit", "--kind", "coffee", check=False)
    assert wrong.returncode == 2 and "audit kind 'coffee'" in wrong.stderr
