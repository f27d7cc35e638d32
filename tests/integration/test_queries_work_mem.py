"""The day states' read on PostgreSQL runs with the memory its hashed subplan needs, for its
own transaction only (``queries.BIG_READ_WORK_MEM``)."""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.reads import queries
from loaders.store.engine import get_engine


def test_a_big_read_sets_work_mem_for_its_transaction_only(postgres_url):
    engine = get_engine(postgres_url)
    setting = select(func.current_setting("work_mem"))
    with engine.connect() as conn:
        default = conn.execute(setting).scalar_one()
    big = queries._read(engine, setting, ["work_mem"], big=True)
    assert big["work_mem"].iloc[0] == queries.BIG_READ_WORK_MEM
    assert queries._read(engine, setting, ["work_mem"])["work_mem"].iloc[0] == default
    assert default != queries.BIG_READ_WORK_MEM


def test_sqlite_reads_the_same_with_or_without_it(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'x.db'}")
    one = select(func.abs(-1))
    assert queries._read(engine, one, ["n"], big=True)["n"].tolist() == [1]
