"""Sitting in and the rider's season outside the Season page, as callbacks on the demo's store.

On the demo on 2026-11-15 one rider sits in: Jacob Williams (Enterprise West). The light all-teams
table the Course and the Rider read (``season.sitting_table``, only the last 4 weeks' reads) is
checked against the whole season's computation (``metrics.season.sitting_in`` on the season
model's year of deals and stage entries); the Course shows the flag beside his lane with his two
numbers, the Rider a badge; the Rider's season section draws his stage flow and ramp. The hand-
worked values (Ben on the small year) are in tests/unit/test_season_sitting_views.py.
"""

from __future__ import annotations

import datetime as dt
import sys

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import urls
from dashboard.metrics import season as ms
from dashboard.models import season as sm
from dashboard.reads.catalog import live_version
from loaders.fiscal import make_quarter
from loaders.store.engine import get_engine
from tests.support.callbacks import decoded
from tests.support.demo import TODAY, demo_copy, pinned_today
from tests.support.stores import use_store

DAY = dt.date(2026, 11, 15)
REP, TEAM = "Jacob Williams", "Enterprise West"
COLUMNS = ["created", "advances", "team_created_median", "team_advances_median", "sitting_in"]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    return demo_copy(tmp_path_factory.mktemp("season-views"))


@pytest.fixture
def demo(demo_url, monkeypatch, tmp_path):
    monkeypatch.setenv("TEAMCAR_TODAY", TODAY.isoformat())
    return use_store(demo_url, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def pages():
    from dashboard.app import create_app

    create_app()
    return sys.modules["dashboard.pages.course"], sys.modules["dashboard.pages.rider"]


def test_the_light_table_is_the_seasons_computation(demo):
    engine = get_engine()
    with pinned_today():
        days = sm.resolve_days(as_of=DAY.isoformat(), today=TODAY)
        model = sm.season_model(engine, days.year, days.as_of, days.since)
    full = ms.sitting_in(model.year_deals, model.classified, model.riders, DAY)
    light = sm.sitting_table(engine, make_quarter(2026, 4), DAY).table
    pd.testing.assert_frame_equal(full[COLUMNS], light.loc[full.index, COLUMNS])
    assert full.index[full["sitting_in"]].tolist() == [REP]
    # the season page's classification takes its flag from that table, not a second computation
    assert model.gc.loc[REP, "sitting_in"] and model.sitting.row(REP)["sitting_in"]
    # its rows behind re-add to the two numbers
    made = sm.season_trace(model, "created_4w", REP)
    assert made.total == pytest.approx(model.gc.loc[REP, "created"])
    assert sm.season_trace(model, "advances_4w", REP).count == model.gc.loc[REP, "advances"]


def test_the_course_marks_him_beside_his_lane(demo, pages):
    course, _ = pages
    state = urls.resolve({"quarter": "2026-Q4", "as_of": DAY.isoformat(), "team": TEAM}, TODAY)
    with pinned_today():
        out = course.render(state.to_dict(), live_version(get_engine()))
    fig = go.Figure(decoded(out["map"]) if isinstance(out["map"], dict) else out["map"])
    column = next(t for t in fig.data if t.name == "sitting in")
    rider = next(t for t in fig.data if t.name == "rider")
    names = [c[-1] for c in rider.customdata]
    marked = [n for n, text in zip(names, column.text, strict=True) if text == "sits in"]
    assert marked == [REP]
    row = sm.sitting_table(get_engine(), make_quarter(2026, 4), DAY).row(REP)
    hover = rider.hovertemplate[names.index(REP)]
    assert "<b>Sitting in</b>: created " + f"{row['created']:,.0f} in the last 4 weeks" in hover
    assert f"(team median {row['team_created_median']:,.0f})" in hover
    assert f"{int(row['advances'])} stage advances (team median " in hover


def test_the_rider_gets_a_badge_and_their_season(demo, pages):
    _, rider = pages
    state = urls.resolve({"quarter": "2026-Q4", "as_of": DAY.isoformat()}, TODAY)
    data = {"rep": REP, "view": state.to_dict()}
    version = live_version(get_engine())
    with pinned_today():
        out = rider.render_details(data, version)
        season = rider.render_season(data, version)
    badges = [b for b in out["badges"] if b is not None]
    sits = [b for b in badges if getattr(b, "children", None) == "Sitting in"]
    assert len(sits) == 1 and "team median" in sits[0].title
    # the stage flow of his deals this year and his ramp against the median
    flow, ramp = season["flow"], season["ramp"]
    with pinned_today():
        days = sm.resolve_days(as_of=DAY.isoformat(), today=TODAY)
        model = sm.season_model(get_engine(), days.year, days.as_of, days.since, None, None)
    mine = model.flow("ytd", [REP])
    bars = [t for t in flow.data if t.type == "bar"]
    assert sum(sum(t.x) for t in bars) == int(mine["entered"].sum()) > 0
    assert any(t.line.color == "#2563eb" for t in ramp.data if t.type == "scatter")
    assert "quarter" in season["info"] and "of tenure" in season["info"]
    # a rider the viewer may not see (or nobody) gets nothing drawn
    assert rider.render_season({"rep": "Nobody", "view": state.to_dict()}, version)["info"] == ""
