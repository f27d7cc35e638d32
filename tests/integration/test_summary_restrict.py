"""``restrict``: an all-teams summary narrowed to a team or a scope equals ``compute_summary`` run
for that team or scope, figure for figure, on the hand-checked book and on the generated demo.

This is what lets every manager's view be derived from one all-teams summary per data version.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.cli.summary import summary_json
from dashboard.models import standings
from dashboard.models.standings import SummaryError, compute_summary, narrowed, restrict
from tests.support.book import AS_OF, QUARTER, SINCE
from tests.support.demo import demo_copy


def _same(narrowed, direct) -> None:
    assert summary_json(narrowed) == summary_json(direct)
    pd.testing.assert_frame_equal(narrowed.reps, direct.reps, check_like=True)
    cols = ["source", "deal_id", "rep", "team", "in_quarter", "amount"]
    key = ["source", "deal_id"]
    pd.testing.assert_frame_equal(
        narrowed.flags[cols].sort_values(key).reset_index(drop=True),
        direct.flags[cols].sort_values(key).reset_index(drop=True),
    )
    if direct.movement is None:
        assert narrowed.movement is None
    else:
        assert narrowed.waterfall == direct.waterfall
        pd.testing.assert_frame_equal(
            narrowed.rep_waterfalls.sort_index(),
            direct.rep_waterfalls.sort_index(),
            check_like=True,
        )


@pytest.mark.parametrize("since", [None, SINCE])
@pytest.mark.parametrize("team", ["East", "West"])
def test_book_team(book_engine, team, since):
    everyone = compute_summary(book_engine, QUARTER, AS_OF, since)
    _same(restrict(everyone, team), compute_summary(book_engine, QUARTER, AS_OF, since, team))


def test_narrowed_is_restrict_remembered_per_summary_and_view(book_engine, monkeypatch):
    everyone = compute_summary(book_engine, QUARTER, AS_OF, SINCE)
    east = narrowed(everyone, "East")
    _same(east, compute_summary(book_engine, QUARTER, AS_OF, SINCE, "East"))
    assert narrowed(everyone, "East") is east  # the same view again: no second narrowing
    assert narrowed(everyone, scope=["East"]) is east  # the same teams asked another way
    west = narrowed(everyone, "West")
    _same(west, compute_summary(book_engine, QUARTER, AS_OF, SINCE, "West"))
    assert narrowed(everyone) is everyone
    with pytest.raises(SummaryError, match="not among the teams"):
        narrowed(everyone, "West", scope=["East"])
    # another all-teams summary (a new data version) is narrowed afresh, never answered from
    # the one before
    again = compute_summary(book_engine, QUARTER, AS_OF, SINCE)
    assert narrowed(again, "East") is not east
    # bounded: the oldest view is forgotten first
    monkeypatch.setattr(standings, "NARROWED_KEPT", 1)
    narrowed(again, "West")  # a view not asked before
    assert narrowed(everyone, "East") is not east


def test_book_scope_and_refusals(book_engine):
    everyone = compute_summary(book_engine, QUARTER, AS_OF, SINCE)
    both = ["East", "West"]
    _same(
        restrict(everyone, scope=both),
        compute_summary(book_engine, QUARTER, AS_OF, SINCE, scope=both),
    )
    _same(
        restrict(everyone, "West", scope=both),
        compute_summary(book_engine, QUARTER, AS_OF, SINCE, "West", scope=both),
    )
    assert restrict(everyone) is everyone
    with pytest.raises(SummaryError, match="not among the teams"):
        restrict(everyone, "West", scope=["East"])
    with pytest.raises(ValueError, match="all-teams summary"):
        restrict(restrict(everyone, "East"), "East")


def test_demo_every_team(tmp_path):
    from loaders.store.engine import get_engine

    engine = get_engine(demo_copy(tmp_path))
    as_of, since = dt.date(2026, 11, 22), dt.date(2026, 11, 15)
    everyone = compute_summary(engine, "2026-Q4", as_of, since)
    teams = sorted(t for t in everyone.reps["team"].dropna().unique())
    assert len(teams) >= 3
    for team in teams:
        _same(restrict(everyone, team), compute_summary(engine, "2026-Q4", as_of, since, team))
    _same(
        restrict(everyone, scope=teams[:2]),
        compute_summary(engine, "2026-Q4", as_of, since, scope=teams[:2]),
    )
