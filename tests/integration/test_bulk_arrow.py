"""The Arrow write path (``loaders.store.bulk``) stores exactly what the row-by-row path stores.

Large frames go through Arrow (COPY of Arrow's CSV on PostgreSQL, an ADBC staging file attached
on SQLite); ``ARROW_MIN_ROWS`` is lowered here so small hand-made frames take that path. Every
value is read back and compared with the same frame written row by row, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, text

from loaders.ingest import store_frame
from loaders.store import bulk
from loaders.store.engine import data_version, session_scope
from loaders.store.models import Activity, ImportBatch, OpportunitySnapshot

NOV20 = dt.datetime(2026, 11, 20)
NOV21 = dt.datetime(2026, 11, 21)

PIPELINE = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3", "D4"],
        "deal_name": ["Plain", "", 'Quote " and, comma', "Ünïcödé €"],
        "account": ["Acme", None, "Beta", "Gamma"],
        "owner": ["Ann Lee", "Bo Chen", "Ann Lee", "Unassigned"],
        "stage": ["Prospecting", "Closed Won", "Closed Lost", "Negotiation"],
        "stage_order": pd.array([1, 5, 6, None], dtype="Int64"),
        "status": ["open", "won", "lost", "open"],
        "amount": [1234.56, np.nan, 0.1 + 0.2, 999_999_999.99],
        "probability": [0.1, 1.0, 0.0, np.nan],
        "forecast_category": ["pipeline", "closed", None, "commit"],
        "close_date": pd.to_datetime(["2026-12-01", "2026-11-02", None, "2027-01-31"]),
        "created_date": pd.to_datetime(["2026-01-05", None, "2025-12-31", "2026-06-30"]),
        "next_step": ["Call\nback", None, "", "Send contract"],
        "last_activity_date": pd.to_datetime([None, None, "2026-11-19", "2026-11-18"]),
        "deal_type": ["New", None, None, "Upgrade"],
        "lead_source": [None, "Web", None, None],
        "push_count": pd.array([None, 2, 0, None], dtype="Int64"),
    }
)

ACTIVITIES = pd.DataFrame(
    {
        "activity_id": ["A1", "A2", "A3"],
        "owner": ["Ann Lee", "Bo Chen", "Ann Lee"],
        "activity_date": pd.to_datetime(["2026-11-02", "2026-11-03", "2026-11-04"]),
        "type": ["call", "email", "meeting"],
        "deal_id": ["D1", None, "D3"],
        "account": [None, "Acme", ""],
        "duration_seconds": [90.0, np.nan, 1800.5],
        "subject": ["Intro", "Re: ‘quotes’", None],
        "participants": [None, "Cy Dee; Eve Fox", None],
        "completed": [True, False, True],
    }
)


def _rows(engine, model, order) -> list[tuple]:
    cols = [c for c in model.__table__.c if c.name != "id"]
    with session_scope(engine) as s:
        return [tuple(r) for r in s.execute(select(*cols).order_by(*order)).all()]


def _both_ways(engine, monkeypatch, kind, frame, model, order):
    """Store ``frame`` row by row, then again (next day) through Arrow; rows of each batch."""
    monkeypatch.setattr(bulk, "ARROW_MIN_ROWS", 10**9)
    first = store_frame(engine, kind, frame, as_of=NOV20)
    monkeypatch.setattr(bulk, "ARROW_MIN_ROWS", 1)
    second = store_frame(engine, kind, frame.assign(), as_of=NOV21, source_name="again")
    rows = _rows(engine, model, order)
    by_batch = {first: [], second: []}
    for r in rows:
        by_batch[r[0]].append(r[1:])
    return by_batch[first], by_batch[second]


def test_arrow_path_stores_snapshots_exactly_as_row_by_row(engine, monkeypatch):
    slow, fast = _both_ways(
        engine,
        monkeypatch,
        "pipeline",
        PIPELINE,
        OpportunitySnapshot,
        (OpportunitySnapshot.batch_id, OpportunitySnapshot.deal_id),
    )
    assert len(fast) == 4
    # the snapshot day differs (the as-of); every other value is the same, type and all
    day = [c.name for c in OpportunitySnapshot.__table__.c][1:].index("snapshot_date")

    def strip(rows):
        # the row-by-row COPY on PostgreSQL wrote an empty text as NULL; Arrow keeps it empty,
        # as SQLite always did (readers never produce empty texts: an empty cell is None)
        return [tuple(None if v == "" else v for i, v in enumerate(r) if i != day) for r in rows]

    assert strip(fast) == strip(slow)
    d3 = fast[2]
    cols = [c.name for c in OpportunitySnapshot.__table__.c][1:]
    got = dict(zip(cols, d3, strict=True))
    assert got["deal_name"] == 'Quote " and, comma'
    assert got["amount"] == 0.1 + 0.2  # the double read back bit for bit
    assert got["next_step"] == ""  # an empty text stays empty, not NULL, on both stores
    assert got["close_date"] is None and got["stage_order"] == 6 and got["push_count"] == 0
    assert got["last_activity_date"] == dt.date(2026, 11, 19)
    assert dict(zip(cols, fast[0], strict=True))["next_step"] == "Call\nback"


def test_arrow_path_stores_activities_exactly_and_upserts(engine, monkeypatch):
    monkeypatch.setattr(bulk, "ARROW_MIN_ROWS", 1)
    store_frame(engine, "activity", ACTIVITIES, as_of=NOV20)
    first = _rows(engine, Activity, (Activity.activity_id,))
    assert [(r[2], r[5], r[9], r[12]) for r in first] == [
        ("A1", dt.date(2026, 11, 2), 90.0, True),
        ("A2", dt.date(2026, 11, 3), None, False),
        ("A3", dt.date(2026, 11, 4), 1800.5, True),
    ]
    assert first[1][10] == "Re: ‘quotes’" and first[2][8] == ""
    # a later export: A2 changed, A3 unchanged (keeps its batch), A4 new
    later = pd.concat(
        [
            ACTIVITIES.iloc[1:].assign(subject=["Re: changed", None]),
            ACTIVITIES.iloc[:1].assign(activity_id="A4"),
        ],
        ignore_index=True,
    )
    batch = store_frame(engine, "activity", later, as_of=NOV21, source_name="later")
    rows = {r[2]: r for r in _rows(engine, Activity, (Activity.activity_id,))}
    assert sorted(rows) == ["A1", "A2", "A3", "A4"]
    assert rows["A2"][10] == "Re: changed" and rows["A2"][0] == batch
    assert rows["A3"][0] == first[2][0]  # unchanged: left alone
    assert rows["A4"][0] == batch


def test_arrow_path_failure_leaves_store_and_folder_as_they_were(engine, store_url, monkeypatch):
    store_frame(engine, "activity", ACTIVITIES, as_of=NOV20)
    with session_scope(engine) as s:
        before = (data_version(s), s.scalar(select(ImportBatch.id).order_by(ImportBatch.id.desc())))
    monkeypatch.setattr(bulk, "ARROW_MIN_ROWS", 1)
    sent = {"n": 0}

    def then_fail(conn, table, data, upsert_keys):
        writer = copy if conn.dialect.name == "postgresql" else stage
        writer(conn, table, data, upsert_keys)  # the rows reach the database ...
        sent["n"] += len(data)
        raise RuntimeError("disk on fire")  # ... and then the load fails

    stage, copy = bulk._stage_sqlite, bulk._copy_postgres_arrow
    monkeypatch.setattr(bulk, "_stage_sqlite", then_fail)
    monkeypatch.setattr(bulk, "_copy_postgres_arrow", then_fail)
    later = ACTIVITIES.assign(activity_id=["B1", "B2", "B3"])
    with pytest.raises(RuntimeError, match="disk on fire"):
        store_frame(engine, "activity", later, as_of=NOV21, source_name="later")
    assert sent["n"] == 3
    with session_scope(engine) as s:
        after = (data_version(s), s.scalar(select(ImportBatch.id).order_by(ImportBatch.id.desc())))
        ids = sorted(s.scalars(select(Activity.activity_id)))
    assert after == before and ids == ["A1", "A2", "A3"]
    if store_url.startswith("sqlite"):
        folder = Path(engine.url.database).parent
        assert not list(folder.glob(".teamcar-stage-*")), "staging files are removed"
        with engine.connect() as conn:  # and detached from the pooled connection
            names = [r[1] for r in conn.execute(text("PRAGMA database_list"))]
        assert set(names) <= {"main", "temp"}
