"""The Course map's finish line on the hand-worked forecast book (``tests/support/forecast_book.py``):
each rider's and each team's landing range is the forecast's, under the viewer's scope.

As of 2026-10-22 (week 4 of 2026-Q4) the forecast uses the reference method (2026-Q2 and 2026-Q3
at week 4); the book works out each rep's mean: Ann 34,778.14, Bob 9,172.73, Cy 2,642.86. The
percentiles and chances are draws, so they are compared with ``forecast_for``'s, which the
forecast's own tests check by hand.
"""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard import urls
from dashboard.figures.course import LANDING_OFFSET, make_course_figure
from dashboard.metrics import forecast as fc
from dashboard.models import course as cm
from dashboard.models.forecast import forecast_for
from dashboard.reads import cache
from loaders.store.engine import get_engine
from tests.support.callbacks import decoded
from tests.support.forecast_book import AS_OF, QUARTER, seed_forecast_book
from tests.support.stores import make_store

KEYS = ["p10", "p50", "p90", "chance_of_quota"]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    url, drop = make_store("sqlite", tmp_path_factory.mktemp("landing"), prefix="landing")
    engine = get_engine(url)
    seed_forecast_book(engine)
    try:
        yield engine
    finally:
        drop()


def _model(engine, scope=None, **query) -> cm.CourseModel:
    cache.clear_local()
    state = urls.resolve({"quarter": QUARTER, "as_of": AS_OF.isoformat(), **query})
    return cm.build_model(engine, state, scope)


def test_riders_and_teams_land_where_the_forecast_says(book):
    model = _model(book)
    forecast = forecast_for(book, QUARTER, AS_OF)
    assert model.landing_method == fc.REFERENCE
    lanes = model.lanes.set_index("lane")
    assert sorted(lanes.index) == ["Ann Lee", "Bob Ray", "Cy Chen"]
    for rep in lanes.index:
        assert lanes.loc[rep, KEYS].tolist() == pytest.approx(
            forecast.reps.loc[rep, KEYS].astype(float).tolist()
        )
    assert lanes["mean"].tolist() == pytest.approx(
        [forecast.reps.loc[r, "mean"] for r in lanes.index]
    )
    assert lanes.loc["Ann Lee", "mean"] == pytest.approx(34778.14, abs=0.01)
    teams = model.teams.set_index("lane")
    for team in ("East", "West"):
        alone = forecast_for(book, QUARTER, AS_OF, team).team
        assert teams.loc[team, KEYS].tolist() == pytest.approx([alone[k] for k in KEYS])
        assert teams.loc[team, "mean"] == pytest.approx(alone["mean"])
    # East's mean is Ann's and Bob's: 34,778.14 + 9,172.73.
    assert teams.loc["East", "mean"] == pytest.approx(43950.87, abs=0.01)


def test_a_manager_of_east_sees_only_easts_ranges(book):
    model = _model(book, scope=["East"])
    assert model.lanes["lane"].tolist() == ["Ann Lee", "Bob Ray"]
    assert model.teams["lane"].tolist() == ["East"]
    east = forecast_for(book, QUARTER, AS_OF, scope=["East"])
    lanes = model.lanes.set_index("lane")
    for rep in lanes.index:
        assert lanes.loc[rep, KEYS].tolist() == pytest.approx(
            east.reps.loc[rep, KEYS].astype(float).tolist()
        )
    assert model.teams.iloc[0][KEYS].tolist() == pytest.approx([east.team[k] for k in KEYS])


def test_the_map_draws_each_range_under_its_bar_on_the_quota_scale(book):
    model = _model(book)
    page = cm.course_page(book, model, urls.resolve({"quarter": QUARTER}), None)
    fig = go.Figure(
        decoded(
            make_course_figure(
                page.lanes,
                page.deals,
                quarter_start=model.quarter.start,
                quarter_end=model.quarter.end,
                as_of=model.as_of,
                teams=page.teams,
                landing_method=model.landing_method,
            ).to_plotly_json()
        )
    )
    whisker = next(t for t in fig.data if t.name and t.name.startswith("Lands p10"))
    p50 = next(t for t in fig.data if t.name == "landing p50")
    labels = list(fig.layout.yaxis.ticktext)
    ann = labels.index("Ann Lee")
    lanes = model.lanes.set_index("lane")
    quota = lanes.loc["Ann Lee", "quota"]
    i = [round(v, 6) for v in p50.y].index(round(ann + LANDING_OFFSET, 6))
    assert p50.x[i] == pytest.approx(lanes.loc["Ann Lee", "p50"] / quota)
    assert list(whisker.x[3 * i : 3 * i + 2]) == pytest.approx(
        [lanes.loc["Ann Lee", "p10"] / quota, lanes.loc["Ann Lee", "p90"] / quota]
    )
    odds = next(t for t in fig.data if t.name == "quota odds")
    assert odds.text[ann] == f"{lanes.loc['Ann Lee', 'chance_of_quota']:.0%}"
    rider = next(t for t in fig.data if t.name == "rider")
    assert "Lands <b>" in rider.hovertemplate[ann]
