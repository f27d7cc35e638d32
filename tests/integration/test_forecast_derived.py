"""The forecast's per-batch sums kept in the store (``dashboard.reads.derived``), on SQLite and
PostgreSQL with the hand-worked forecast book: a new process (the in-process cache emptied) gets
the same forecast without reading a snapshot batch again; every kept frame reads back equal to
what was computed; a store without the table still forecasts."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from dashboard.models import forecast as fm
from dashboard.reads import cache, derived
from dashboard.reads.history import HistoryReader
from loaders.store.engine import get_engine
from loaders.store.models import DerivedFrame
from tests.support.forecast_book import AS_OF, QUARTER, seed_forecast_book
from tests.support.stores import make_store

READS = ("_totals", "_outcomes", "_new")  # HistoryReader's scans of one snapshot batch


@pytest.fixture(params=["sqlite", "postgres"])
def book(request, tmp_path):
    url, drop = make_store(request.param, tmp_path, prefix="teamcar_derived")
    engine = get_engine(url)
    seed_forecast_book(engine)
    cache.clear_local()
    try:
        yield engine
    finally:
        cache.clear_local()
        drop()


def _kept(engine) -> int:
    """Batch sums kept (results kept per data version, named ``name@version``, aside)."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(DerivedFrame).where(DerivedFrame.name.not_like("%@%"))
        ).scalar()


def _same(a: fm.Forecast, b: fm.Forecast) -> None:
    assert a.team == b.team
    pd.testing.assert_frame_equal(a.reps, b.reps)
    pd.testing.assert_frame_equal(a.trend, b.trend)
    pd.testing.assert_frame_equal(a.team_rates, b.team_rates)
    pd.testing.assert_frame_equal(a.deals, b.deals)


def test_a_new_process_reads_the_kept_sums_not_the_snapshots(book, monkeypatch):
    first = fm.compute_forecast(book, QUARTER, AS_OF)
    assert _kept(book) > 0
    cache.clear_local()  # as a new process starts
    for name in READS:
        monkeypatch.setattr(
            HistoryReader, name, lambda *a, **k: pytest.fail("a snapshot batch was read again")
        )
    _same(fm.compute_forecast(book, QUARTER, AS_OF), first)


def test_every_kept_frame_reads_back_as_computed(book, monkeypatch):
    seen: dict[str, pd.DataFrame] = {}
    original = derived.stored

    def spy(engine, name, key, compute):
        def keep():
            frame = compute()
            seen[derived.frame_key(name, key)] = frame
            return frame

        return original(engine, name, key, keep)

    monkeypatch.setattr(derived, "stored", spy)
    fm.compute_forecast(book, QUARTER, AS_OF)
    assert seen and len(seen) == _kept(book)
    with book.connect() as conn:
        rows = dict(conn.execute(select(DerivedFrame.key, DerivedFrame.data)).all())
    for key, frame in seen.items():
        pd.testing.assert_frame_equal(
            derived.from_bytes(rows[key]), frame.reset_index(drop=True), check_dtype=True
        )


def test_a_store_without_the_table_still_forecasts(book):
    expected = fm.compute_forecast(book, QUARTER, AS_OF)
    cache.clear_local()
    with book.begin() as conn:
        conn.execute(text("DROP TABLE derived_frames"))
    _same(fm.compute_forecast(book, QUARTER, AS_OF), expected)
