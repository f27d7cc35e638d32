"""The Rider's trend, read from the all-teams figures kept per day (``rider.trend_day``), equals
the definition it replaces: the rider's team summary (``compute_summary`` for that team, or the
viewer's scope) on each snapshot day, the rider left out of a day they were not in the view.

Checked on the hand-checked book with one rider moved to another team mid-quarter (on SQLite and
PostgreSQL), and on every rider of the demo; and the day's figures are kept in the store, so a new
process reads them without computing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.models import rider as rdm
from dashboard.models import standings
from dashboard.reads import cache
from loaders.fiscal import parse_quarter
from loaders.ingest import store_frame
from loaders.store.engine import get_engine
from tests.support.book import AS_OF, QUARTER, frame, seed_book
from tests.support.demo import TODAY, demo_copy
from tests.support.stores import seeded_store

MOVED_ON = dt.date(2026, 11, 15)  # Bob Ray leaves East for West


def _move_bob(engine) -> None:
    store_frame(
        engine,
        "roster",
        frame(
            "roster",
            [
                dict(
                    rep="Bob Ray",
                    email="bob@x.com",
                    team="West",
                    role="AE",
                    start_date="2024-01-01",
                    effective_from=MOVED_ON.isoformat(),
                )
            ],
        ),
        as_of=dt.datetime(2026, 11, 15, 6),
        source="roster",
        source_name="roster-move.csv",
    )


def _seed(engine) -> None:
    seed_book(engine)
    _move_bob(engine)


@pytest.fixture(params=["sqlite", "postgres"])
def book(request, tmp_path):
    url, drop, _ = seeded_store(request.param, tmp_path, "book-moved", _seed)
    engine = get_engine(url)
    cache.clear_local()
    try:
        yield engine
    finally:
        cache.clear_local()
        drop()


def reference(engine, rep, quarter, as_of, team, scope, summaries=None) -> pd.DataFrame:
    """The trend as first defined: the rider's view summarised on each day. ``summaries`` (a
    dict) keeps each view's summary of a day for the next rider of the same view."""
    q = parse_quarter(quarter)
    rows = []
    for day in rdm.trend_days(rdm.snapshot_days(engine), q, as_of):
        key = (team, tuple(scope) if scope is not None else None, day)
        summary = summaries.get(key) if summaries is not None else None
        if summary is None:
            summary = standings.compute_summary(engine, q, day, None, team, scope=scope)
            if summaries is not None:
                summaries[key] = summary
        if rep not in summary.reps.index:
            continue
        r = summary.reps.loc[rep]
        rows.append(
            {"day": day, **{k: None if pd.isna(r[k]) else float(r[k]) for k in rdm.TREND_KEYS}}
        )
    return pd.DataFrame(rows, columns=["day", *rdm.TREND_KEYS])


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )


@pytest.mark.parametrize(
    ("rep", "team", "scope"),
    [
        ("Ann Lee", "East", None),
        ("Bob Ray", "West", None),  # his team on the day; before the move he was in East
        ("Bob Ray", "East", None),  # the East view: only the days he sat there
        ("Bob Ray", None, ["East", "West"]),  # a manager of both teams sees every day
        ("Dan New", "East", ["East"]),
        ("Cat Wu", None, None),  # all teams
        ("Zed Unknown", None, None),  # an owner off the roster: only in the all-teams view
        ("Zed Unknown", None, ["West"]),  # ... and never in a narrowed one
    ],
)
def test_trend_is_the_views_summary_on_each_day(book, rep, team, scope):
    want = reference(book, rep, QUARTER, AS_OF, team, scope)
    got = rdm.rider_trend(book, rep, QUARTER, AS_OF, team, scope)
    _same(got, want)
    assert len(want) > 0 or (rep, scope) == ("Zed Unknown", ["West"])


def test_moved_rider_leaves_the_old_teams_trend(book):
    days = rdm.trend_days(rdm.snapshot_days(book), parse_quarter(QUARTER), AS_OF)
    east = rdm.rider_trend(book, "Bob Ray", QUARTER, AS_OF, "East", None)
    west = rdm.rider_trend(book, "Bob Ray", QUARTER, AS_OF, "West", None)
    assert list(east["day"]) == [d for d in days if d < MOVED_ON]
    assert list(west["day"]) == [d for d in days if d >= MOVED_ON]
    assert len(east) > 0 and len(west) > 0


def test_days_are_kept_for_a_new_process(book, monkeypatch):
    first = rdm.rider_trend(book, "Ann Lee", QUARTER, AS_OF, "East", None)
    cache.clear_local()  # a new process: nothing in memory, the store holds the days

    def refuse(*_a, **_k):
        raise AssertionError("computed again instead of read from the store")

    monkeypatch.setattr(rdm, "compute_summary", refuse)
    _same(rdm.rider_trend(book, "Ann Lee", QUARTER, AS_OF, "East", None), first)


def test_every_demo_rider_matches(tmp_path):
    engine = get_engine(demo_copy(tmp_path))
    cache.clear_local()
    reps = standings.compute_summary(engine, "2026-Q4", TODAY).riders
    assert len(reps) >= 20
    checked, summaries = 0, {}  # a team's summary of a day, computed once for its riders
    for rep, team in reps[["rep", "team"]].itertuples(index=False):
        want = reference(engine, rep, "2026-Q4", TODAY, team, None, summaries)
        _same(rdm.rider_trend(engine, rep, "2026-Q4", TODAY, team, None), want)
        checked += len(want)
    assert checked >= 20 * 6  # every rider, most days of the quarter
