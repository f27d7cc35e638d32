"""The season on the demo's store, built from the reads kept per snapshot batch, is the season
built from the window function and the GROUP BY, frame for frame (all teams and one team); the
all-teams season is kept in the store by ``season.prepare`` (``warm.keep``, as ``teamcar load``
runs it) and a new process reads it back equal without building it; a team's view is never kept.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard.models import season as sm
from dashboard.reads import cache
from dashboard.reads import season as rs
from dashboard.reads import stage_changes as sc
from loaders.store.engine import get_engine
from loaders.store.models import DerivedFrame
from tests.support.demo import TODAY, demo_copy, pinned_today
from tests.support.stores import use_store


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    return demo_copy(tmp_path_factory.mktemp("season_kept"))


@pytest.fixture
def store(demo_url, monkeypatch, tmp_path):
    return use_store(demo_url, monkeypatch, tmp_path)


def _same(a, b, path="model") -> None:
    """Every frame, series, dict and value of two season models equal (NaN equal to NaN)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=path)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=path)
    elif dataclasses.is_dataclass(a):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and a != a:
        assert isinstance(b, float) and b != b, path
    else:
        assert a == b, (path, a, b)


def _build(team=None, scope=None):
    days = sm.resolve_days(today=TODAY)
    cache.clear_local()
    return sm.build_season(get_engine(), days.year, days.as_of, days.since, team, scope)


def test_the_kept_reads_build_the_same_season(store, monkeypatch):
    with pinned_today():
        kept = _build()
        # the scans as they were: the window function and the GROUP BY (the sitting-in table's
        # reads from the last snapshot before its 4 weeks too)
        monkeypatch.setattr(
            sc,
            "stage_catalog",
            lambda engine, as_of, since=None: rs.load_stage_catalog(engine, as_of, since),
        )
        monkeypatch.setattr(
            sc,
            "snapshot_stage_changes",
            lambda engine, as_of, deals, skip_sources=(), since=None: (
                rs.load_snapshot_stage_changes(
                    engine, None, as_of, skip_sources=skip_sources, since=since
                )
            ),
        )
        scanned = _build()
    assert len(kept.classified) > 1000
    _same(kept, scanned)


def _kept_names(engine) -> set[str]:
    with engine.connect() as conn:
        return {n.split("@")[0] for n in conn.execute(select(DerivedFrame.name)).scalars()}


def test_the_all_teams_season_is_kept_and_read_back(store, monkeypatch):
    engine = get_engine()
    with pinned_today():
        days = sm.resolve_days(today=TODAY)
        built = sm.prepare(engine)
        assert {"season", sc.PAIR_NAME, sc.CATALOG_NAME} <= _kept_names(engine)
        cache.clear_local()  # as a new process starts
        build = sm.build_season
        monkeypatch.setattr(sm, "build_season", lambda *a, **k: pytest.fail("built again"))
        read = sm.season_model(engine, days.year, days.as_of, days.since)
        _same(read, built)
        # a team's view is built for it (from the kept reads), never kept itself
        monkeypatch.setattr(sm, "build_season", build)
        cache.clear_local()
        mine = sm.season_model(engine, days.year, days.as_of, days.since, None, ["Enterprise West"])
    assert set(mine.gc["team"]) == {"Enterprise West"}
    with engine.connect() as conn:
        seasons = conn.execute(
            select(DerivedFrame.name).where(DerivedFrame.name.like("season@%"))
        ).all()
    assert len(seasons) == 1


def test_a_load_prepares_the_season(store, monkeypatch):
    """``warm.keep`` (``teamcar load``, ``teamcar watch``) runs ``season.prepare``."""
    from dashboard.serve import warm

    prepared = []
    monkeypatch.setattr(warm.cm, "course_model", lambda *a, **k: None)
    monkeypatch.setattr(warm.rm, "review_model", lambda *a, **k: None)
    monkeypatch.setattr(warm, "_riders", lambda *a, **k: None)  # it reads the course model
    monkeypatch.setattr(warm, "_support", lambda *a, **k: None)
    monkeypatch.setattr(warm, "_trend", lambda *a, **k: None)  # it reads the course model
    monkeypatch.setattr(sm, "prepare", lambda engine: prepared.append(engine))
    with pinned_today():
        took = warm.keep(get_engine())
    assert prepared == [get_engine()] and "season" in took
