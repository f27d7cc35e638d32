"""A large first load into PostgreSQL builds its unique key after the rows (``bulk.keys_checked_after``).

``COPY`` would maintain ``uq_activity_source_id`` row by row; the load drops it for the write and
adds it back, checked over all the rows, in the same transaction. So the committed table always
has it (a later load's upsert finds its conflict target), and a load that fails leaves it as it
was. ``DEFER_MIN_ROWS`` is lowered so a small file takes the first-load path. SQLite keeps its
unique constraints in the table itself: the same checks hold there with nothing dropped.
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


def test_a_load_failing_after_its_unique_key_was_dropped_leaves_it(
    engine, tmp_path, first_path, monkeypatch
):
    seen = []

    def broken(session, model, frame, *args, **kwargs):
        # inside the load's transaction: PostgreSQL has dropped the key for the write
        seen.append(uniques(session.connection()))
        raise RuntimeError("the write failed")

    monkeypatch.setattr("loaders.store.writes.bulk_insert", broken)
    with pytest.raises(RuntimeError):
        load_file(write_tasks(tmp_path / "tasks_2026-11-20.csv", range(40)), engine=engine)
    assert seen == [[] if engine.dialect.name == "postgresql" else UNIQUE]
    assert uniques(engine) == UNIQUE
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert s.scalar(select(func.count()).select_from(Activity)) == 0


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)  # SQLite drops no key
def test_rows_repeating_a_key_fail_the_load_when_the_key_is_added_back(
    engine, tmp_path, first_path, monkeypatch
):
    """The writer drops repeated ids before it writes; were one to reach the table, adding the
    key back fails the whole load, as COPY into the keyed table did: nothing is stored."""
    monkeypatch.setattr("loaders.store.writes._repeated", lambda ids: None)
    real = bulk.bulk_insert

    def twice(session, model, frame, *args, **kwargs):
        real(session, model, frame, *args, **kwargs)
        real(session, model, frame.iloc[:1], *args, **kwargs)

    monkeypatch.setattr("loaders.store.writes.bulk_insert", twice)
    with pytest.raises(Exception, match="uq_activity_source_id"):
        load_file(write_tasks(tmp_path / "tasks_2026-11-20.csv", range(40)), engine=engine)
    assert uniques(engine) == UNIQUE
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert s.scalar(select(func.count()).select_from(Activity)) == 0
