"""The season's view model on the demo's store: every figure re-adds from the rows behind it, the
current stage agrees with the standings (the Course's numbers), and a scope narrows every read.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.models import season as sm
from dashboard.models.standings import compute_summary
from loaders.store.engine import get_engine
from tests.support.demo import TODAY, demo_copy, pinned_today
from tests.support.stores import use_store


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    return demo_copy(tmp_path_factory.mktemp("season"))


@pytest.fixture
def store(demo_url, monkeypatch, tmp_path):
    return use_store(demo_url, monkeypatch, tmp_path)


@pytest.fixture
def model(store):
    with pinned_today():
        days = sm.resolve_days(today=TODAY)
        yield sm.build_season(get_engine(), days.year, days.as_of, days.since, None, None)


def test_days_default_to_the_year_of_today_and_the_last_stage_end():
    days = sm.resolve_days(today=TODAY)
    assert (days.year, days.as_of, days.since) == (2026, TODAY, dt.date(2026, 9, 30))
    # as_of is held inside the year asked for; a bad year falls back to today's
    assert sm.resolve_days(year="2025", today=TODAY).as_of == dt.date(2025, 12, 31)
    assert sm.resolve_days(year="x", today=TODAY).year == 2026
    assert sm.resolve_days(quarter="2025-Q2", today=TODAY).year == 2025
    assert sm.resolve_days(as_of="2026-02-03", today=TODAY).since == dt.date(2026, 1, 27)


def test_every_figure_re_adds_from_its_rows(model):
    gc = model.gc
    t = sm.season_trace(model, "ytd_won")
    assert t.total == pytest.approx(model.team_year["won"], abs=0.005)
    rep = gc.index[0]
    assert sm.season_trace(model, "ytd_won", rep).total == pytest.approx(gc.loc[rep, "ytd_won"])
    for q in model.quarters[:3]:
        won = model.stages[(model.stages["rep"] == rep) & (model.stages["quarter"] == q.name)]
        assert sm.season_trace(model, f"stage:{q.name}", rep).total == pytest.approx(
            float(won["won"].iloc[0])
        )
    week = model.weeks.iloc[-3]
    assert sm.season_trace(model, f"week:{int(week['week'])}").total == pytest.approx(
        week["amount"]
    )
    assert sm.season_trace(model, "next_open").total == pytest.approx(model.next_team["open_next"])
    flow = model.flow("ytd").set_index("stage")
    stage = flow.index[0]
    assert sm.season_trace(model, f"flow:{stage}").count == flow.loc[stage, "entered"]
    assert (
        sm.season_trace(model, f"flow:{stage}:still_there").count == flow.loc[stage, "still_there"]
    )
    assert sm.season_trace(model, "created_4w", rep).total == pytest.approx(gc.loc[rep, "created"])
    assert sm.season_trace(model, "advances_4w", rep).count == gc.loc[rep, "advances"]


def test_the_current_stage_is_the_courses_quarter(model, store):
    with pinned_today():
        summary = compute_summary(get_engine(), "2026-Q4", TODAY)
    q4 = model.stages[model.stages["quarter"] == "2026-Q4"].set_index("rep")
    won = summary.reps["won"].reindex(q4.index)
    assert (q4["won"] - won).abs().max() < 0.005
    assert set(model.gc.index) == set(summary.reps.index)


def test_a_scope_narrows_the_season(store, model):
    team = sorted(model.gc["team"].dropna().unique())[0]
    with pinned_today():
        narrowed = sm.build_season(get_engine(), model.year, model.as_of, model.since, None, [team])
    assert set(narrowed.gc["team"]) == {team}
    assert set(narrowed.year_deals["team"].dropna()) <= {team}
    assert set(narrowed.classified["team"].dropna()) <= {team}
    mine = model.gc[model.gc["team"] == team]
    assert narrowed.gc["ytd_won"].sum() == pytest.approx(mine["ytd_won"].sum())
    with pytest.raises(Exception, match="not among the teams"):
        sm.season_model(get_engine(), model.year, model.as_of, model.since, "Nope", [team])
