"""One live pipeline snapshot per source and day, on SQLite and PostgreSQL (issue 18, item 6).

A snapshot is its source and day: a second one of the same source and day replaces the first,
whichever order the loads commit in and however long the first stays inside its transaction. The
loads here run in threads of one process (each with its own connection), paused at the point
where a race would do harm: after a load has decided what it replaces and before it commits.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from loaders.ingest import load_file
from loaders.store import writes
from loaders.store.engine import get_engine, session_scope
from loaders.store.models import ImportBatch, OpportunitySnapshot
from tests.integration.test_faults_load import HEADER, write_report
from tests.support.stores import make_store

DAY = dt.date(2026, 11, 20)
FMT = "%m/%d/%Y"  # the reports' close dates, month first


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url, drop = make_store(request.param, tmp_path, prefix="snapday")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    yield url, data_dir
    drop()


def live(url: str) -> list[tuple[str, int]]:
    """The live pipeline batches of ``DAY``: (file, rows stored under it)."""
    with session_scope(get_engine(url)) as s:
        rows = s.execute(
            select(ImportBatch.source_name, ImportBatch.id).where(
                ImportBatch.kind == "pipeline", ImportBatch.status == "loaded"
            )
        ).all()
        out = []
        for name, batch_id in rows:
            n = s.scalar(
                select(func.count())
                .select_from(OpportunitySnapshot)
                .where(OpportunitySnapshot.batch_id == batch_id)
            )
            out.append((name, n))
    return sorted(out)


def test_a_snapshot_without_rows_is_replaced_like_any_other(store, tmp_path, monkeypatch):
    """A header-only export of a day, then a full one of the same day: the full one is the day's
    snapshot. The empty batch used to stay "loaded" (only batches with rows were looked for), and
    readers take the day's latest as-of, so with a later as-of the day read as no pipeline."""
    url, data_dir = store
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    engine = get_engine(url)
    empty = tmp_path / "in" / "empty.csv"
    empty.parent.mkdir(parents=True)
    empty.write_text(",".join(f'"{h}"' for h in HEADER) + "\n")
    full = write_report(tmp_path / "in" / "full.csv", 30, "ful")
    evening, morning = dt.datetime(2026, 11, 20, 18), dt.datetime(2026, 11, 20, 9)
    assert load_file(empty, engine=engine, as_of=evening, date_format=FMT).status == "loaded"
    outcome = load_file(full, engine=engine, as_of=morning, date_format=FMT)
    assert outcome.status == "loaded", outcome.message
    assert live(url) == [("full.csv", 30)]
    assert any("replaces the salesforce snapshot of 2026-11-20" in w for w in outcome.warnings)


def test_two_snapshots_of_one_day_loaded_at_once_leave_one_live(store, tmp_path, monkeypatch):
    """Load A is held inside its transaction, after deciding what it replaces, until load B of
    the same source and day has decided too (or 1.5 s have passed). Were both to decide before
    either commits, neither would see the other and both would stay live. The day's own lock
    makes B wait for A's commit, so B replaces A.

    The table-wide lock PostgreSQL loads take to ask "is the table empty?" (``first_load``) is
    replaced by the question alone here, so the test proves the day's lock and not that one."""
    url, data_dir = store
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    engine = get_engine(url)
    earlier = write_report(tmp_path / "in" / "earlier.csv", 10, "ear")
    # so neither load below is a first load (that one rebuilds indexes)
    week_before = dt.datetime(2026, 11, 13)
    assert load_file(earlier, engine=engine, as_of=week_before, date_format=FMT).status == "loaded"
    a = write_report(tmp_path / "in" / "a.csv", 200, "aaa")
    b = write_report(tmp_path / "in" / "b.csv", 300, "bbb")

    def emptiness_only(session, model):
        table = model.__table__
        first = select(table.c[next(iter(table.c.keys()))]).limit(1)
        return session.connection().execute(first).first() is None

    a_decided, b_decided = threading.Event(), threading.Event()
    real_insert = writes.bulk_insert

    def insert_after_deciding(session, model, frame, *args, **kwargs):
        if model is OpportunitySnapshot and len(frame) == 200:  # load A
            a_decided.set()
            b_decided.wait(1.5)
        elif model is OpportunitySnapshot and len(frame) == 300:  # load B
            b_decided.set()
        return real_insert(session, model, frame, *args, **kwargs)

    monkeypatch.setattr(writes, "first_load", emptiness_only)
    monkeypatch.setattr(writes, "bulk_insert", insert_after_deciding)
    outcomes = {}

    def run(path):
        outcomes[path.name] = load_file(
            path, engine=engine, as_of=dt.datetime(2026, 11, 20), date_format=FMT
        )

    first = threading.Thread(target=run, args=(a,))
    first.start()
    assert a_decided.wait(30)
    second = threading.Thread(target=run, args=(b,))
    second.start()
    first.join(60)
    second.join(60)
    assert {n: o.status for n, o in outcomes.items()} == {"a.csv": "loaded", "b.csv": "loaded"}
    assert [o for o in live(url) if o[0] != "earlier.csv"] == [("b.csv", 300)]
    with session_scope(engine) as s:
        day_rows = s.scalar(
            select(func.count())
            .select_from(OpportunitySnapshot)
            .where(OpportunitySnapshot.snapshot_date == DAY)
        )
    assert day_rows == 300
