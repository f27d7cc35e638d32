"""What a load kept in the store is found by any process that opens that store, under whatever
address it is reached: a SQLite file copied or moved, or a server spelled another way."""

from __future__ import annotations

import shutil

import pandas as pd

from dashboard.reads import cache, kept
from loaders.store.engine import dispose_engines, get_engine
from tests.support.book import make_store, seed_book


def test_a_copied_store_finds_what_was_kept_in_it(tmp_path):
    url, drop = make_store("sqlite", tmp_path)
    engine = get_engine(url)
    seed_book(engine)
    try:
        assert kept.kept(engine, "t", 7, ("args",), lambda: {"value": 1}) == {"value": 1}
        source = engine.url.database
        dispose_engines()  # the file is closed before it is copied
        moved = tmp_path / "elsewhere" / "moved.db"
        moved.parent.mkdir()
        shutil.copy(source, moved)
        cache.clear_local()

        def refuse():
            raise AssertionError("computed again: the copy did not find the kept entry")

        assert kept.kept(get_engine(f"sqlite:///{moved}"), "t", 7, ("args",), refuse) == {
            "value": 1
        }
        # a different version or arguments is another entry
        assert kept.kept(get_engine(f"sqlite:///{moved}"), "t", 8, ("args",), lambda: 2) == 2
    finally:
        dispose_engines()
        drop()


def test_a_load_keeps_the_tables_a_riders_page_narrows(tmp_path, monkeypatch):
    """The focus share, sitting-in and trend-day tables (all teams) are kept by ``warm.keep``: a
    worker started on the data reads them instead of building them (about 10 s, 10 s and 25 s at
    2,000 reps)."""
    from sqlalchemy import select

    from dashboard import urls
    from dashboard.models import course as cm
    from dashboard.models import rider as rdm
    from dashboard.models import season as sm
    from dashboard.models import support
    from dashboard.serve import warm
    from loaders.store.models import DerivedFrame
    from tests.support.demo import demo_copy
    from tests.support.stores import use_store

    engine = use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    cache.clear_local()
    took = warm.keep(engine)
    assert {"riders", "support", "trend"} <= set(took)
    with engine.connect() as conn:
        names = list(conn.execute(select(DerivedFrame.name)).scalars())
    assert any(n.startswith("focus-table") for n in names), names
    assert any(n.startswith("season-sitting") for n in names), names
    model = cm.course_model(engine, urls.resolve({}), None)
    days = rdm.trend_days(rdm.snapshot_days(engine), model.quarter, model.as_of)
    assert sum(n.startswith("rider-trend-day") for n in names) == len(days) >= 6, names
    assert any(n.startswith("support-expert-work") for n in names), names
    assert any(n.startswith("support-expert-support") for n in names), names
    state = urls.resolve({})
    support_built = support.build_support(engine, state, None)
    built = support.focus_table(engine, model.quarter, model.as_of)
    cache.clear_local()  # a new worker: nothing in memory

    def refuse(*_a, **_k):
        raise AssertionError("built again instead of read from the store")

    monkeypatch.setattr(support, "build_focus_table", refuse)
    monkeypatch.setattr(sm, "build_sitting_in", refuse)
    monkeypatch.setattr(rdm, "compute_summary", refuse)
    monkeypatch.setattr(support.reads, "load_expert_work", refuse)
    monkeypatch.setattr(support.queries, "load_expert_support", refuse)
    read = support.focus_table(engine, model.quarter, model.as_of)
    assert read.as_of == built.as_of and not read.shares.empty
    assert read.shares.equals(built.shares) and read.focus.equals(built.focus)
    sm.sitting_table(engine, model.quarter, model.as_of)
    rep = model.lanes["lane"].iloc[0]
    team = model.lanes["team"].iloc[0]
    assert len(rdm.rider_trend(engine, rep, model.quarter, model.as_of, team, None)) == len(days)
    support_read = support.support_model(engine, state, None)
    for name in ("experts", "work", "unsupported"):
        got, want = getattr(support_read, name), getattr(support_built, name)
        assert len(want) > 0, name
        pd.testing.assert_frame_equal(got, want)
