"""The store on SQLite and PostgreSQL: schema, batches, writers, transactions, migrations."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from loaders import ingest
from loaders.ingest import store_frame
from loaders.store import bulk
from loaders.store.engine import (
    alembic_config,
    current_revision,
    data_version,
    get_engine,
    session_scope,
    upgrade,
)
from loaders.store.models import (
    Activity,
    Base,
    ImportBatch,
    OpportunitySnapshot,
    Quota,
    ReadinessEvent,
    RejectedRow,
    Rep,
    RepAlias,
    Team,
    TeamMembership,
)
from tests.support.stores import make_store

NOV20 = dt.datetime(2026, 11, 20)


def _count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def _version(engine) -> int:
    with session_scope(engine) as s:
        return data_version(s)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_upgrade_creates_every_table_and_is_repeatable(backend, tmp_path):
    # from an empty database (the tests' other stores are copies of one upgraded once)
    url, drop = make_store(backend, tmp_path, prefix="fresh", migrate=False)
    try:
        assert current_revision(url) is None
        upgrade(url)
        inspector = inspect(get_engine(url))
        tables = set(inspector.get_table_names())
        assert set(Base.metadata.tables) <= tables
        # every index the models declare, on the same columns (a model changed without its
        # migration shows here)
        for name, table in Base.metadata.tables.items():
            built = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes(name)}
            for ix in table.indexes:
                assert built.get(ix.name) == [c.name for c in ix.columns], (name, ix.name)
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert head is not None and current_revision(url) == head
        upgrade(url)  # a second upgrade changes nothing
        assert current_revision(url) == head
    finally:
        drop()


def test_upgrade_keeps_rows_written_at_the_first_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = get_engine(url)
    store_frame(
        engine,
        "quota",
        pd.DataFrame({"rep": ["Ann"], "quarter": ["2026-Q4"], "quota": [100.0]}),
        as_of=NOV20,
    )
    upgrade(url)
    assert _count(engine, Quota) == 1


def test_pipeline_batch_stores_rows_and_bumps_version(engine):
    frame = pd.DataFrame(
        {
            "deal_id": ["D1", "D2"],
            "deal_name": ["Acme renewal", "Beta"],
            "owner": [" Ann  Lee", None],
            "status": ["open", "won"],
            "amount": [1200.5, None],
            "close_date": ["2026-12-01", "2026-11-02"],
            "probability": [0.4, 1.0],
            "push_count": [2, None],
        }
    )
    frame.loc[1, "owner"] = "Unassigned"
    before = _version(engine)
    batch_id = store_frame(engine, "pipeline", frame, source="salesforce", as_of=NOV20)
    assert _version(engine) == before + 1
    with session_scope(engine) as s:
        rows = {r.deal_id: r for r in s.scalars(select(OpportunitySnapshot))}
        batch = s.get(ImportBatch, batch_id)
    assert batch.rows_loaded == 2 and batch.kind == "pipeline" and batch.status == "loaded"
    assert rows["D1"].owner_key == "ann lee"
    assert rows["D1"].snapshot_date == dt.date(2026, 11, 20)
    assert rows["D1"].close_date == dt.date(2026, 12, 1)
    assert rows["D1"].amount == 1200.5 and rows["D1"].push_count == 2
    assert rows["D2"].amount is None and rows["D2"].push_count is None


def test_second_snapshot_of_same_source_and_day_replaces_first(engine):
    one = pd.DataFrame({"deal_id": ["D1"], "owner": ["Ann"], "status": ["open"], "amount": [1.0]})
    two = pd.DataFrame({"deal_id": ["D9"], "owner": ["Ann"], "status": ["open"], "amount": [2.0]})
    first = store_frame(engine, "pipeline", one, as_of=NOV20, source_name="a.csv")
    store_frame(engine, "pipeline", two, as_of=NOV20.replace(hour=17), source_name="b.csv")
    # another source on the same day is untouched
    store_frame(engine, "pipeline", one, source="hubspot", as_of=NOV20, source_name="c.csv")
    with session_scope(engine) as s:
        ids = sorted(
            s.scalars(
                select(OpportunitySnapshot.deal_id).where(
                    OpportunitySnapshot.source == "salesforce"
                )
            )
        )
        assert s.get(ImportBatch, first).status == "replaced"
    assert ids == ["D9"]


def test_failure_midway_leaves_store_unchanged(engine, monkeypatch):
    rows = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(50)],
            "owner": ["Ann"] * 50,
            "status": ["open"] * 50,
            "amount": [10.0] * 50,
        }
    )
    store_frame(
        engine,
        "quota",
        pd.DataFrame({"rep": ["Ann"], "quarter": ["2026-Q4"], "quota": [5.0]}),
        as_of=NOV20,
    )
    before = (_version(engine), _count(engine, ImportBatch), _count(engine, OpportunitySnapshot))
    monkeypatch.setattr(bulk, "CHUNK", 10)
    real = bulk._insert_chunk
    calls = {"n": 0}

    def failing_chunk(conn, table, chunk, upsert_keys):
        # fail after two chunks were already sent to the database
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        real(conn, table, chunk, upsert_keys)

    monkeypatch.setattr(bulk, "_insert_chunk", failing_chunk)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store_frame(engine, "pipeline", rows, as_of=NOV20)
    assert calls["n"] == 3
    after = (_version(engine), _count(engine, ImportBatch), _count(engine, OpportunitySnapshot))
    assert after == before


def test_roster_effective_dated_membership_and_aliases(engine):
    roster = pd.DataFrame(
        {
            "rep": ["Ann Lee", "Bo Chen", "Bo Chen"],
            "team": ["East", "East", "West"],
            "role": ["AE", "AE", "AE"],
            "email": ["ann@example.com", "bo@example.com", None],
            "crm_user_id": ["005000000000001AAA", None, None],
            "start_date": ["2025-01-06", "2026-07-01", None],
            "effective_from": [None, None, "2026-11-02"],
        }
    )
    store_frame(engine, "roster", roster, as_of=NOV20)
    with session_scope(engine) as s:
        members = s.execute(
            select(Rep.name, Team.name, TeamMembership.effective_from, TeamMembership.effective_to)
            .join(TeamMembership, TeamMembership.rep_id == Rep.id)
            .join(Team, Team.id == TeamMembership.team_id)
            .order_by(Rep.name, TeamMembership.effective_from)
        ).all()
        aliases = dict(
            s.execute(select(RepAlias.alias, Rep.name).join(Rep, Rep.id == RepAlias.rep_id)).all()
        )
        bo = s.scalar(select(Rep).where(Rep.name == "Bo Chen"))
    assert members == [
        ("Ann Lee", "East", ingest.EARLIEST, None),
        ("Bo Chen", "East", ingest.EARLIEST, dt.date(2026, 11, 2)),
        ("Bo Chen", "West", dt.date(2026, 11, 2), None),
    ]
    assert aliases["ann@example.com"] == "Ann Lee"
    assert aliases["005000000000001aaa"] == "Ann Lee"
    assert bo.start_date == dt.date(2026, 7, 1)
    # a later roster that moves Ann starts her new team on its own as-of day
    store_frame(
        engine,
        "roster",
        pd.DataFrame({"rep": ["ann lee"], "team": ["West"]}),
        as_of=dt.datetime(2026, 12, 1),
    )
    with session_scope(engine) as s:
        ann = s.execute(
            select(Team.name, TeamMembership.effective_from, TeamMembership.effective_to)
            .join(TeamMembership, TeamMembership.team_id == Team.id)
            .join(Rep, Rep.id == TeamMembership.rep_id)
            .where(Rep.name == "Ann Lee")
            .order_by(TeamMembership.effective_from)
        ).all()
    assert ann == [
        ("East", ingest.EARLIEST, dt.date(2026, 12, 1)),
        ("West", dt.date(2026, 12, 1), None),
    ]


def test_activities_are_keyed_by_source_and_id(engine):
    acts = pd.DataFrame(
        {
            "activity_id": ["a1", "a2"],
            "owner": ["Ann", "Ann"],
            "activity_date": ["2026-11-02", "2026-11-03"],
            "type": ["call", "email"],
        }
    )
    store_frame(engine, "activity", acts, as_of=NOV20, source_name="week1.csv")
    acts.loc[0, "type"] = "meeting"
    store_frame(engine, "activity", acts, as_of=NOV20, source_name="week1-again.csv")
    store_frame(
        engine, "activity", acts.iloc[:1], source="hubspot", as_of=NOV20, source_name="h.csv"
    )
    with session_scope(engine) as s:
        rows = s.execute(
            select(
                Activity.source, Activity.activity_id, Activity.type, Activity.completed
            ).order_by(Activity.source, Activity.activity_id)
        ).all()
    assert rows == [
        ("hubspot", "a1", "meeting", True),
        ("salesforce", "a1", "meeting", True),
        ("salesforce", "a2", "email", True),
    ]


def test_quota_and_readiness_replace_their_earlier_values(engine):
    store_frame(
        engine,
        "quota",
        pd.DataFrame({"rep": ["Ann"], "quarter": ["2026-Q4"], "quota": [100.0]}),
        as_of=NOV20,
        source_name="q1.csv",
    )
    store_frame(
        engine,
        "quota",
        pd.DataFrame({"rep": ["ann"], "quarter": ["2026-Q4"], "quota": [150.0]}),
        as_of=NOV20,
        source_name="q2.csv",
    )
    ready = pd.DataFrame(
        {
            "rep": ["Ann", "Ann"],
            "program": ["MEDDIC", "Demo cert"],
            "kind": ["course", "certification"],
            "score": [70.0, None],
        }
    )
    store_frame(engine, "readiness", ready, as_of=NOV20, source_name="r1.csv")
    ready.loc[0, "score"] = 90.0
    store_frame(engine, "readiness", ready.iloc[:1], as_of=NOV20, source_name="r2.csv")
    with session_scope(engine) as s:
        assert s.scalars(select(Quota.amount)).all() == [150.0]
        scores = dict(s.execute(select(ReadinessEvent.program, ReadinessEvent.score)).all())
    assert scores == {"MEDDIC": 90.0, "Demo cert": None}


def test_rejects_are_stored_with_their_batch(engine):
    class Reject:
        def __init__(self, row_number, column, reason, raw):
            self.row_number, self.column, self.reason, self.raw = row_number, column, reason, raw

    batch = store_frame(
        engine,
        "pipeline",
        pd.DataFrame({"deal_id": ["D1"], "owner": ["A"], "status": ["open"]}),
        as_of=NOV20,
        rejects=[Reject(3, "Amount", "expected an amount, got 'abc'", "x")],
    )
    with session_scope(engine) as s:
        rej = s.scalars(select(RejectedRow)).one()
        b = s.get(ImportBatch, batch)
    assert (rej.batch_id, rej.row_number, rej.column) == (batch, 3, "Amount")
    assert (b.rows_read, b.rows_loaded, b.rows_rejected) == (2, 1, 1)


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_history_rows_already_stored_are_skipped(engine):
    from loaders.store.models import OpportunityHistory

    hist = pd.DataFrame(
        {
            "deal_id": ["D1", "D1"],
            "changed_at": [dt.datetime(2026, 10, 3, 9, 30), dt.datetime(2026, 11, 2, 17, 0)],
            "field": ["close_date", "amount"],
            "old_value": ["2026-11-01", "100"],
            "new_value": ["2026-12-01", "150"],
        }
    )
    store_frame(engine, "history", hist.iloc[:1], as_of=NOV20, source_name="h1.csv")
    store_frame(engine, "history", hist, as_of=NOV20, source_name="h2.csv")
    with session_scope(engine) as s:
        rows = s.execute(
            select(OpportunityHistory.changed_at, OpportunityHistory.field).order_by(
                OpportunityHistory.changed_at
            )
        ).all()
        warnings = s.scalar(select(ImportBatch.warnings).where(ImportBatch.source_name == "h2.csv"))
    assert rows == [
        (dt.datetime(2026, 10, 3, 9, 30), "close_date"),
        (dt.datetime(2026, 11, 2, 17, 0), "amount"),
    ]
    assert "1 history rows were already stored" in warnings


def test_first_activity_load_builds_indexes_after_and_reexports_rewrite_only_changes(engine):
    from sqlalchemy import inspect

    acts = pd.DataFrame(
        {
            "activity_id": ["a1", "a2", "a3"],
            "owner": ["Ann"] * 3,
            "activity_date": ["2026-11-02", "2026-11-03", "2026-11-04"],
            "type": ["call", "email", "call"],
        }
    )
    first = store_frame(engine, "activity", acts, as_of=NOV20, source_name="w1.csv")
    names = {ix["name"] for ix in inspect(engine).get_indexes("activities")}
    assert {ix.name for ix in Activity.__table__.indexes if not ix.unique} <= names
    acts.loc[1, "type"] = "meeting"  # a2 changed, a1 and a3 the same
    second = store_frame(engine, "activity", acts, as_of=NOV20, source_name="w2.csv")
    with session_scope(engine) as s:
        rows = s.execute(
            select(Activity.activity_id, Activity.type, Activity.batch_id).order_by(
                Activity.activity_id
            )
        ).all()
    assert rows == [("a1", "call", first), ("a2", "meeting", second), ("a3", "call", first)]
