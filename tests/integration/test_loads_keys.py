"""A large first load keeps the activities' unique key (source, id) whatever it drops for the write.

The first-load path drops plain indexes (and, on PostgreSQL, the foreign key) for its write; the
unique key ``uq_activity_source_id`` stays, so the committed table always has it (a later load's
upsert finds its conflict target), a load that fails leaves it, and rows repeating a key fail the
whole load. (Dropping it for the COPY and adding it back by one sort was measured and gave no
gain: bench/RESULTS-loads.md.) ``DEFER_MIN_ROWS`` is lowered so a small file takes the path.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from loaders.ingest import load_file
from loaders.store import bulk
from loaders.store.engine import session_scope
from loaders.store.models import Activity, ImportBatch
from tests.integration.test_deferred_indexes import write_tasks

UNIQUE = [("uq_activity_source_id", ["source", "activity_id"])]


def uniques(conn_or_engine) -> list[tuple[str, list[str]]]:
    return [
        (u["name"], u["column_names"])
        for u in inspect(conn_or_engine).get_unique_constraints("activities")
    ]


@pytest.fixture
def first_path(monkeypatch):
    monkeypatch.setattr(bulk, "DEFER_MIN_ROWS", 10)


def test_large_first_load_keeps_its_unique_key_and_a_later_load_upserts_by_it(
    engine, tmp_path, first_path
):
    out = load_file(write_tasks(tmp_path / "tasks_2026-11-20.csv", range(40)), engine=engine)
    assert out.status == "loaded", out.message
    assert uniques(engine) == UNIQUE
    # a later export repeating 20 of those ids (new subjects) and 10 new ones: updated in place
    again = write_tasks(tmp_path / "tasks_2026-11-27.csv", range(20, 50), subject="Demo")
    out = load_file(again, engine=engine)
    assert out.status == "loaded", out.message
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Activity)) == 50
        demo = s.scalar(
            select(func.count()).select_from(Activity).where(Activity.subject.like("Demo %"))
        )
        assert demo == 30


def test_a_failed_first_load_leaves_the_unique_key(engine, tmp_path, first_path, monkeypatch):
    seen = []

    def broken(session, model, frame, *args, **kwargs):
        # inside the load's transaction, while its write runs
        seen.append(uniques(session.connection()))
        raise RuntimeError("the write failed")

    monkeypatch.setattr("loaders.store.writes.bulk_insert", broken)
    with pytest.raises(RuntimeError):
        load_file(write_tasks(tmp_path / "tasks_2026-11-20.csv", range(40)), engine=engine)
    assert seen == [UNIQUE]
    assert uniques(engine) == UNIQUE
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert s.scalar(select(func.count()).select_from(Activity)) == 0


def test_rows_repeating_a_key_fail_the_whole_load(engine, tmp_path, first_path, monkeypatch):
    """The writer drops repeated ids before it writes; were one to reach the table, the key fails
    the whole load: nothing is stored."""
    monkeypatch.setattr("loaders.store.writes._repeated", lambda ids: None)
    real = bulk.bulk_insert

    def twice(session, model, frame, *args, **kwargs):
        real(session, model, frame, *args, **kwargs)
        real(session, model, frame.iloc[:1], *args, **kwargs)

    monkeypatch.setattr("loaders.store.writes.bulk_insert", twice)
    with pytest.raises(Exception, match="uq_activity_source_id|UNIQUE constraint"):
        load_file(write_tasks(tmp_path / "tasks_2026-11-20.csv", range(40)), engine=engine)
    assert uniques(engine) == UNIQUE
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert s.scalar(select(func.count()).select_from(Activity)) == 0
