"""The import step on the Data page (issue 15 item 2), callbacks called as functions, uploads
through the Flask test client, on a copy of the demo store.

A file no format knows is kept under a token and opens the step; its choices preview the first
rows as they will be read; "Load" loads it and saves the mapping; a later file with the same
header loads by itself. Bad choices get one message and change nothing stored.
"""

from __future__ import annotations

import os
import sys
import time

import pytest
from dash import no_update
from sqlalchemy import func, select

from dashboard import auth, ids
from dashboard.reads import audit as audit_reads
from dashboard.serve import upload
from loaders.store import mappings as saved_store
from loaders.store.models import OpportunitySnapshot
from tests.support import uploads
from tests.support.callbacks import run, texts
from tests.support.uploads import counts, files_under, post

app = uploads.app  # fixtures shared by the upload tests
store = uploads.store

# A small CRM's export no built-in format knows (its own column names), checked by hand:
# amounts 12,500.00 + 8,000 + 4,200.50 + 3,000 = 27,700.50; Signed reads as won, Dropped as lost.
TEACHING = (
    "Ref,Deal Title,Customer,Sales Agent,Phase,Value,Expected Close,Opened On\r\n"
    'T-1,Acme renewal,Acme,Ana Silva,Prospecting,"12,500.00",2026-12-15,2026-09-01\r\n'
    "T-2,Globex expansion,Globex,Ben Ode,Negotiation,8000,2026-11-30,2026-08-10\r\n"
    'T-3,Initech pilot,Initech,Ana Silva,Signed,"4,200.50",2026-10-20,2026-07-05\r\n'
    "T-4,Umbrella deal,Umbrella,Cy Young,Dropped,3000,2026-10-01,2026-06-30\r\n"
)
# The same header a week later: 13,000 + 8,000 + 2,500 = 23,500.
NEXT_WEEK = (
    "Ref,Deal Title,Customer,Sales Agent,Phase,Value,Expected Close,Opened On\r\n"
    'T-1,Acme renewal,Acme,Ana Silva,Negotiation,"13,000.00",2026-12-15,2026-09-01\r\n'
    "T-2,Globex expansion,Globex,Ben Ode,Signed,8000,2026-11-28,2026-08-10\r\n"
    "T-5,Hooli trial,Hooli,Cy Young,Prospecting,2500,2027-01-20,2026-11-25\r\n"
)
NAME = "teaching_crm_deals_2026-11-22.csv"


@pytest.fixture
def step(app):
    return sys.modules["dashboard.pages.import_step"]


@pytest.fixture
def data_page(app):
    return sys.modules["dashboard.pages.data"]


class Screen:
    """The step's form as the browser holds it: the fields' and stages' values by name."""

    def __init__(self, step, state, kind=None):
        self.step, self.state = step, state
        self.fields_div, self.stages_div, self.record = run(
            step.draw_step, f"{ids.IMPORT_STATE}.data", state, state, kind, [], [], None
        )
        self.columns = {f["field"]: f["column"] for f in self.record["fields"]}
        self.orders = [s["order"] for s in self.record["stages"]]
        self.statuses = [s["status"] for s in self.record["stages"]]
        self.source = None
        self.name = None

    def field_ids(self):
        return [{"type": ids.IMPORT_FIELD, "field": f} for f in self.columns]

    def values(self):
        return [c or self.step.NO_COLUMN for c in self.columns.values()]

    def preview(self):
        return run(
            self.step.preview_step,
            f"{ids.IMPORT_DRAFT}.data",
            self.record,
            self.values(),
            self.orders,
            self.statuses,
            self.source,
            self.record,
            self.field_ids(),
            self.state,
        )

    def load(self):
        return run(
            self.step.load_step,
            f"{ids.IMPORT_LOAD}.n_clicks",
            1,
            1,
            self.values(),
            self.field_ids(),
            self.orders,
            self.statuses,
            self.source,
            self.name,
            self.record,
            self.state,
        )


def opened(step, body):
    """``open_step`` on an upload's answer: (state, hidden, kind, source, name)."""
    out = run(step.open_step, f"{ids.DATA_UPLOAD_RESULT}.data", 1, {"results": [body]}, None, None)
    state, hidden, _title, kind, source, name, _message = out
    return state, hidden, kind, source, name


def needs_mapping(app, text=TEACHING, name=NAME) -> dict:
    resp = post(app, text.encode(), name)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["status"] == "needs_mapping", body
    return body


def open_screen(app, step, text=TEACHING, name=NAME) -> Screen:
    body = needs_mapping(app, text, name)
    state, hidden, kind, source, mapping_name = opened(step, body)
    assert hidden is False
    screen = Screen(step, state, kind)
    screen.source, screen.name = source, mapping_name
    return screen


def audit_actions(engine, kind) -> list[str]:
    return list(audit_reads.load_audit(engine, kind=kind)["action"])


def test_the_step_maps_previews_loads_and_saves(store, app, step, data_page):
    engine, data_dir = store
    before = counts(engine)
    body = needs_mapping(app)
    # Kept under a random token in the staging area; nothing stored, the holding audited.
    assert len(body["token"]) == 32 and body["file"] == NAME
    kept = upload.staged(body["token"])
    assert kept is not None and kept.path.is_relative_to(data_dir / "uploads" / "staged")
    assert kept.path.read_bytes() == TEACHING.encode()
    assert counts(engine) == before
    assert audit_actions(engine, "load")[0] == "needs mapping"
    # The page says so in words.
    alert = data_page.upload_alert(body)
    assert alert.color == "info" and "Needs a mapping: " in texts(alert)

    state, hidden, kind, source, name = opened(step, body)
    assert hidden is False and state["token"] == body["token"]
    assert (kind, source, name) == ("pipeline", "teaching-crm-deals", "teaching crm deals")

    screen = Screen(step, state, kind)
    chosen = {f: c for f, c in screen.columns.items() if c}
    assert chosen == {
        "stage": "Phase",
        "deal_name": "Deal Title",
        "account": "Customer",
        "owner": "Sales Agent",
        "amount": "Value",
        "close_date": "Expected Close",
        "created_date": "Opened On",
    }
    doubtful = [f["field"] for f in screen.record["fields"] if f["confidence"] == "doubtful"]
    assert doubtful == ["created_date"]
    assert "check" in texts(screen.fields_div)  # the doubtful choice is marked
    assert screen.record["stages"] == [
        {"name": "Prospecting", "order": 1, "status": "open"},
        {"name": "Negotiation", "order": 2, "status": "open"},
        {"name": "Signed", "order": 3, "status": "won"},
        {"name": "Dropped", "order": 4, "status": "lost"},
    ]
    screen.source, screen.name = source, "Teaching CRM deals"

    # The preview reads the first rows as a load would: amounts, days, statuses.
    table, note, message = screen.preview()
    assert message is None  # a change clears what an earlier Load said
    words = texts(table)
    assert note is None
    for cell in ("Acme renewal", "12,500.00", "4,200.50", "15 Dec 2026", "won", "lost"):
        assert cell in words, cell
    assert words.count("open") == 2
    # A choice changed: read again (Signed as open: no won deal left).
    screen.statuses[2] = "open"
    words = texts(screen.preview()[0])
    assert "won" not in words and words.count("open") == 3
    screen.statuses[2] = "won"

    out, message = screen.load()
    assert message is None
    loaded = out["results"][0]
    assert loaded["status"] == "loaded", loaded
    assert (loaded["rows_read"], loaded["rows_loaded"], loaded["rows_rejected"]) == (4, 4, 0)
    assert loaded["mapping"] == "Teaching CRM deals" and loaded["file"] == NAME
    with engine.connect() as conn:
        amounts = conn.execute(
            select(func.sum(OpportunitySnapshot.amount)).where(
                OpportunitySnapshot.batch_id == loaded["batch_id"]
            )
        ).scalar()
        statuses = dict(
            conn.execute(
                select(OpportunitySnapshot.deal_name, OpportunitySnapshot.status).where(
                    OpportunitySnapshot.batch_id == loaded["batch_id"]
                )
            ).all()
        )
    assert amounts == pytest.approx(27_700.50)
    assert statuses == {
        "Acme renewal": "open",
        "Globex expansion": "open",
        "Initech pilot": "won",
        "Umbrella deal": "lost",
    }
    after = counts(engine)
    assert after[0] == before[0] + 1 and after[2] > before[2]
    # The kept file is gone; the mapping is saved (and audited) and listed on the page.
    assert upload.staged(body["token"]) is None
    assert not files_under(data_dir / "uploads")
    assert audit_actions(engine, "mapping") == ["created"]
    rows, title, _ = run(
        data_page.render_mappings, f"{ids.DATA_MAPPINGS_CHANGED}.data", 1, 1, None, 1
    )
    assert [r["name"] for r in rows] == ["Teaching CRM deals"]
    assert rows[0]["kind"] == "pipeline" and rows[0]["author"] == "local (no sign-in)"
    assert rows[0]["columns"].startswith("Ref · Deal Title · Customer")
    assert title.startswith("1 mapping")
    ok = data_page.upload_alert(loaded)
    assert any("Teaching CRM deals" in t for t in texts(ok))
    # The step closes once the load's outcome reaches the page.
    assert opened(step, loaded)[1] is True

    # The same header a week later loads by itself, with the saved mapping.
    again = post(app, NEXT_WEEK.encode(), "teaching_crm_deals_2026-11-29.csv").json
    assert again["status"] == "loaded", again
    assert again["format"] == "mapping:Teaching CRM deals"
    assert (again["rows_read"], again["rows_loaded"]) == (3, 3)
    with engine.connect() as conn:
        total = conn.execute(
            select(func.sum(OpportunitySnapshot.amount)).where(
                OpportunitySnapshot.batch_id == again["batch_id"]
            )
        ).scalar()
    assert total == pytest.approx(23_500.0)


def test_bad_choices_get_one_message_and_change_nothing(store, app, step):
    engine, data_dir = store
    screen = open_screen(app, step)
    before = counts(engine)
    mapping_audit = audit_actions(engine, "mapping")

    def refused(expected: str):
        out, message = screen.load()
        assert out is no_update
        words = " ".join(texts(message))
        assert expected in words, words
        assert counts(engine) == before
        assert saved_store.list_mappings(engine) == []
        assert audit_actions(engine, "mapping") == mapping_audit
        assert upload.staged(screen.state["token"]) is not None  # kept for another try

    # One column for two fields: said in the preview and on Load.
    screen.columns["deal_name"] = "Value"
    _, note, _ = screen.preview()
    assert "“Value” is chosen for Deal name and Amount" in " ".join(texts(note))
    refused("The column “Value” is chosen for Deal name and Amount")
    screen.columns["deal_name"] = "Deal Title"

    # A field the kind needs, without a column.
    screen.columns["stage"] = None
    refused("Choose a column for Stage: every pipeline file needs one.")
    screen.columns["stage"] = "Phase"

    # No name; a stage order that is not a whole number; a column the file lacks (forged).
    screen.name = "  "
    refused("Give the mapping a name")
    screen.name = "Teaching"
    screen.orders[0] = 1.5
    refused("Stage “Prospecting”: the order must be a whole number")
    screen.orders[0] = 1
    screen.columns["owner"] = "../../etc/passwd"
    refused("“../../etc/passwd” (for Owner) is not a column of this file.")
    screen.columns["owner"] = "Sales Agent"

    # A name already taken by another saved mapping.
    saved_store.save_mapping(
        engine,
        name="Teaching",
        kind="quota",
        header=["Rep", "Quarter", "Quota"],
        spec_toml='kind = "quota"\n[columns]\nrep = "Rep"\nquarter = "Quarter"\nquota = "Quota"\n',
        author="test",
        via="cli",
    )
    mapping_audit = audit_actions(engine, "mapping")
    out, message = screen.load()
    assert "A saved mapping is called “Teaching” already" in " ".join(texts(message))
    assert counts(engine) == before and len(saved_store.list_mappings(engine)) == 1

    # Once the choices are right it loads.
    screen.name = "Teaching deals"
    out, message = screen.load()
    assert message is None and out["results"][0]["status"] == "loaded"


def test_kind_can_be_changed(store, app, step):
    screen = open_screen(app, step)
    roster = Screen(step, screen.state, "roster")
    assert roster.record["kind"] == "roster"
    assert {"rep", "team"} <= set(roster.columns)
    assert roster.record["stages"] == [] and roster.stages_div is None


def test_another_stage_column_fills_the_stage_table(store, app, step):
    screen = open_screen(app, step)
    values = screen.values()
    values[list(screen.columns).index("stage")] = "Customer"
    _fields, stages, record = run(
        step.draw_step,
        '{"field":"stage","type":"data-import-field"}.value',
        "Customer",
        screen.state,
        "pipeline",
        values,
        screen.field_ids(),
        screen.record,
    )
    assert record["stage_column"] == "Customer"
    # The four customers, open, in the order they first appear.
    assert [(s["name"], s["order"], s["status"]) for s in record["stages"]] == [
        ("Acme", 1, "open"),
        ("Globex", 2, "open"),
        ("Initech", 3, "open"),
        ("Umbrella", 4, "open"),
    ]
    assert "Umbrella" in texts(stages)


def test_cancel_removes_the_kept_file(store, app, step):
    _, data_dir = store
    screen = open_screen(app, step)
    out = run(step.open_step, f"{ids.IMPORT_CANCEL}.n_clicks", 1, None, 1, screen.state)
    assert out[0] is None and out[1] is True
    assert upload.staged(screen.state["token"]) is None
    assert not files_under(data_dir / "uploads")


def test_only_an_administrator_maps_and_deletes(store, app, step, data_page, monkeypatch):
    engine, _ = store
    screen = open_screen(app, step)
    screen.name = "Teaching deals"
    before = counts(engine)
    monkeypatch.setattr(auth, "may_manage_data", lambda: False)
    body = {"status": "needs_mapping", "token": screen.state["token"], "file": NAME}
    assert opened(step, body)[:2] == (None, True)
    drawn = run(
        step.draw_step, f"{ids.IMPORT_STATE}.data", 1, screen.state, "pipeline", [], [], None
    )
    assert drawn == ([], None, None)
    assert screen.preview() == (None, None, None)
    out, message = screen.load()
    assert "Only an administrator may load data." in texts(message)
    assert counts(engine) == before and saved_store.list_mappings(engine) == []
    rows, title, _ = run(
        data_page.render_mappings, f"{ids.DATA_MAPPINGS_CHANGED}.data", 1, 1, None, 1
    )
    assert rows == [] and title == "shown to administrators only"
    message, _ = run(
        data_page.delete_mapping, f"{ids.DATA_MAPPINGS_DELETE}.n_clicks", 1, 1, [{"name": "x"}]
    )
    assert "Only an administrator may delete a mapping." in texts(message)


def test_deleting_a_saved_mapping_is_audited_and_the_step_opens_again(store, app, step, data_page):
    engine, _ = store
    screen = open_screen(app, step)
    screen.name = "Teaching deals"
    assert screen.load()[0]["results"][0]["status"] == "loaded"
    assert run(data_page.pick_mapping, f"{ids.DATA_MAPPINGS}.selectedRows", [], []) is True
    picked = [{"name": "Teaching deals"}]
    assert run(data_page.pick_mapping, f"{ids.DATA_MAPPINGS}.selectedRows", picked, picked) is False
    message, changed = run(
        data_page.delete_mapping, f"{ids.DATA_MAPPINGS_DELETE}.n_clicks", 1, 1, picked
    )
    assert "Deleted the mapping “Teaching deals”" in " ".join(texts(message)) and changed == 1
    assert saved_store.list_mappings(engine) == []
    assert audit_actions(engine, "mapping") == ["deleted", "created"]
    # The files it read stay loaded; a new file of that layout asks for a mapping again.
    assert needs_mapping(app, NEXT_WEEK, "teaching_crm_deals_2026-11-29.csv")["token"]


def test_tokens_are_never_paths(store, app):
    _, data_dir = store
    body = needs_mapping(app)
    for token in (
        "../../etc",
        "/etc/passwd",
        body["token"] + "/..",
        body["token"].upper(),
        7,
        None,
    ):
        assert upload.staged(token) is None
    answer = upload.load_staged("../" * 5 + "x", 'kind = "pipeline"')
    assert answer["status"] == "failed" and "no longer kept" in answer["message"]
    assert upload.staged(body["token"]) is not None


def test_staging_is_bounded_and_expires(store, monkeypatch, tmp_path):
    from loaders.config import load_config

    config = load_config()
    monkeypatch.setattr(upload, "STAGED_MAX", 3)

    def stage(i: int, size: int = 8) -> str:
        f = tmp_path / f"f{i}.csv"
        f.write_bytes(b"a,b\n1,2\n".ljust(size, b" "))
        kept = upload.stage_file(f, f.name, config)
        at = time.time() - 100 + i  # distinct folder times, so "oldest" is well defined
        os.utime(kept.path.parent, (at, at))
        return kept.token

    def still() -> list[str]:
        return [t for t in tokens if upload.staged(t, config) is not None]

    tokens = [stage(i) for i in range(5)]
    assert still() == tokens[-3:]  # at most 3: the oldest went first
    # At most STAGED_SIZES (4) times the upload limit in bytes: with a 1 MB limit, 3 files of
    # 1.5 MB are 4.5 MB, so the oldest of them makes room for the third.
    monkeypatch.setenv("TEAMCAR_MAX_UPLOAD_MB", "1")
    config = load_config()
    big = 3 * 1024 * 1024 // 2
    tokens = [stage(10 + i, big) for i in range(3)]
    assert still() == tokens[1:]
    upload.sweep_staged(config, now=time.time() + upload.STAGED_TTL + 1)
    assert still() == []
    assert upload.staged_root(config).is_dir() and not any(upload.staged_root(config).iterdir())


def test_several_files_wait_their_turn(store, app, step):
    engine, _ = store
    first = needs_mapping(app)
    second = needs_mapping(app, NEXT_WEEK, "teaching_crm_deals_2026-11-29.csv")
    out = run(
        step.open_step,
        f"{ids.DATA_UPLOAD_RESULT}.data",
        1,
        {"results": [first, second]},
        None,
        None,
    )
    state, title = out[0], out[2]
    assert state["token"] == first["token"]
    assert state["queue"] == [{"token": second["token"], "file": second["file"]}]
    assert title[1] == " · 1 more file after this one"
    screen = Screen(step, state, "pipeline")
    screen.source, screen.name = "teaching", "Teaching deals"
    result, _ = screen.load()
    # The load's outcome, then the file still waiting: the step opens for it next.
    assert [r["status"] for r in result["results"]] == ["loaded", "needs_mapping"]
    assert opened(step, result["results"][1])[0]["token"] == second["token"]
