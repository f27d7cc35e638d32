"""The Course and Rider callbacks called as plain functions against a demo store.

The store is the demo's: the generator's exports for 24 reps (today pinned to 2026-11-22) loaded
through the same loaders as the CLI. Every number the page shows is checked against
``compute_summary`` on the same store, i.e. against the metrics engine, not against the page's
own arithmetic.
"""

from __future__ import annotations

import datetime as dt
import sys

import pandas as pd
import pytest
from dash import html, no_update

from dashboard import ids, urls
from dashboard.figures import style
from dashboard.models.standings import compute_summary
from dashboard.reads import cache
from loaders.ingest import store_frame
from loaders.store.engine import get_engine
from tests.support.callbacks import decoded
from tests.support.demo import demo_copy

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A private copy of the demo store (once for the module)."""
    return demo_copy(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def store(demo_store, monkeypatch, tmp_path):
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", demo_store)
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TEAMCAR_CACHE_URL", raising=False)
    cache.clear_local()
    return get_engine(demo_store)


@pytest.fixture(scope="module")
def pages():
    """The app (pages registered) and the page modules whose callbacks we call."""
    from dashboard.app import create_app

    app = create_app()
    return app, sys.modules["dashboard.pages.course"], sys.modules["dashboard.pages.rider"]


def state(**query) -> dict:
    return urls.resolve({"quarter": "2026-Q4", **query}, TODAY).to_dict()


def version(engine) -> int:
    from dashboard.reads.catalog import live_version as current_version

    return current_version(engine)


def render(course, engine, **query):
    import plotly.graph_objects as go

    got = dict(course.render(state(**query), version(engine)))  # a copy: the cache keeps its own
    for name in ("peloton", "map"):  # figures travel as plain dicts (cached as such)
        if isinstance(got[name], dict):
            got[name] = go.Figure(decoded(got[name]))
    return got


def strip_texts(component) -> list[str]:
    out = []
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return out
    for child in children if isinstance(children, list | tuple) else [children]:
        out += strip_texts(child)
    return out


def lane_labels(fig) -> list[str]:
    return [t for t in fig.layout.yaxis.ticktext if not t.startswith("<b>")]


def test_course_matches_the_store(store, pages):
    _, course, _ = pages
    out = render(course, store)
    summary = compute_summary(store, "2026-Q4", TODAY, TODAY - dt.timedelta(days=7))
    assert out["title"] == "2026-Q4"
    assert out["subtitle"].startswith("All teams · day 53 of 92 · 39 days to the finish")
    # Every rider of the store has a lane, in team order, nobody else.
    labels = lane_labels(out["map"])
    assert sorted(labels) == sorted(
        style.esc(r)[:26] if len(r) <= 26 else style.esc(r[:25]) + "…" for r in summary.reps.index
    )
    teams = [t for t in out["map"].layout.yaxis.ticktext if t.startswith("<b>")]
    expected_teams = sorted({t for t in summary.reps["team"].dropna()})
    assert teams[: len(expected_teams)] == [f"<b>{t.upper()}</b>" for t in expected_teams]
    # The strip shows the team's figures as the engine computed them.
    words = strip_texts(out["strip"])
    team = summary.team
    assert style.pct(team["attainment"]) in words
    assert style.money(team["pace_gap"], signed=True) in words
    assert style.money(team["commit_forecast"]) in words
    assert style.money(team["best_case_forecast"]) in words
    assert style.times(team["coverage"]) in words
    moved = int((summary.movement["category"] != "unchanged").sum())
    assert f"{moved} deals" in words
    # One marker per deal in the quarter (and per deal pushed out of it since), riders only.
    flags = summary.flags
    pushed = summary.movement.loc[summary.movement["category"] == "pushed_out", "deal_id"]
    on_course = flags[
        (flags["in_quarter"] | flags["deal_id"].isin(pushed))
        & flags["rep"].isin(summary.reps.index)
    ]
    kinds = set(style.KIND_LABEL.values())
    shown = sum(
        len(t.x)
        for t in out["map"].data
        if t.name in kinds and t.x is not None and t.name != "Past due"
    )
    assert shown == len(on_course)
    # The peloton places every rider with a quota.
    placed = sum(
        len(t.x)
        for t in out["peloton"].data
        if t.type in ("scatter", "scattergl") and t.customdata is not None
    )
    assert placed == int(summary.reps["attainment"].notna().sum())


def test_team_filter_keeps_that_teams_riders(store, pages):
    _, course, _ = pages
    summary = compute_summary(store, "2026-Q4", TODAY)
    team = sorted(summary.reps["team"].dropna().unique())[0]
    out = render(course, store, team=team)
    assert out["title"] == f"2026-Q4 · {team}"
    expected = sorted(summary.reps.index[summary.reps["team"] == team])
    assert sorted(lane_labels(out["map"])) == sorted(style.esc(r) for r in expected)
    assert [t for t in out["map"].layout.yaxis.ticktext if t.startswith("<b>")] == [
        f"<b>{team.upper()}</b>"
    ]


def test_an_earlier_quarter_is_seen_from_its_end(store, pages):
    _, course, _ = pages
    out = render(course, store, quarter="2026-Q3")
    assert "as of 30 Sep 2026" in out["subtitle"]
    assert "day 92 of 92 · quarter finished" in out["subtitle"]
    # nothing more must be true of a finished quarter: the strip says how it finished
    words = strip_texts(out["strip"])
    assert "How it finished" in words and "What must be true" not in words
    summary = compute_summary(store, "2026-Q3")
    share = summary.team["won"] / summary.team["quota"]
    assert f"Finished at {style.pct(share)}" in words


def test_nothing_to_show_says_so(store, pages):
    _, course, _ = pages
    out = render(course, store, quarter="2020-Q1")
    assert "Nothing on this course yet. " in strip_texts(out["message"])


def test_render_waits_for_the_first_version_check(store, pages):
    _, course, _ = pages
    assert course.render(state(), None) is no_update  # every output unchanged


def test_search_pages_and_team_lanes(store, pages):
    _, course, _ = pages
    summary = compute_summary(store, "2026-Q4", TODAY)
    rep = summary.reps.index[0]
    out = render(course, store, q=rep.split()[0].lower())
    assert rep in [label for label in lane_labels(out["map"])]
    assert out["lanes_view"] == "reps"
    teams = render(course, store, lanes="teams")
    assert teams["lanes_view"] == "teams"
    assert lane_labels(teams["map"]) == sorted(summary.reps["team"].dropna().unique().tolist()) + (
        ["No team"] if summary.reps["team"].isna().any() else []
    )
    assert "one lane per team" in teams["lanes_info"]


def test_controls_write_the_url(pages):
    _, course, _ = pages
    st = state()
    search = "?quarter=2026-Q4&page=2"
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    def call(trigger, **values):
        args = dict(since=st["since"], lanes=None, text="", page=2)
        args.update(values)
        context_value.set(
            AttributeDict(triggered_inputs=[{"prop_id": f"{trigger}.value", "value": None}])
        )
        return course.controls_to_url(
            args["since"], args["lanes"], args["text"], args["page"], st, "reps", {"search": search}
        )

    assert call(ids.COURSE_SINCE, since="2026-11-08") == "?quarter=2026-Q4&page=2&since=2026-11-08"
    assert call(ids.COURSE_SINCE) is no_update  # unchanged
    assert call(ids.COURSE_SEARCH, text=" Ann ") == "?quarter=2026-Q4&q=Ann"
    assert call(ids.COURSE_LANES_VIEW, lanes="teams") == "?quarter=2026-Q4&lanes=teams"
    assert call(ids.COURSE_LANES_VIEW, lanes="reps") is no_update  # already shown


def test_clicks_follow_riders_and_teams(pages):
    _, course, _ = pages
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": f"{ids.COURSE_MAP}.clickData", "value": None}])
    )
    search = "?quarter=2026-Q4&team=East&page=2"
    rider = {"points": [{"customdata": ["rider", "Zoë <b>O'Neil</b>"]}]}
    search = {"search": search}
    assert (
        course.follow_click(rider, None, search)
        == "/rider/Zo%C3%AB%20%3Cb%3EO%27Neil%3C%2Fb%3E?quarter=2026-Q4&team=East"
    )
    team = {"points": [{"customdata": ["team", "West"]}]}
    assert course.follow_click(team, None, search) == "/?quarter=2026-Q4&team=West"
    context_value.set(
        AttributeDict(
            triggered_inputs=[{"prop_id": f"{ids.COURSE_PELOTON}.clickData", "value": None}]
        )
    )
    peloton = {"points": [{"customdata": ["Zoë &lt;b&gt;O&#x27;Neil&lt;/b&gt;", "East", "80%"]}]}
    assert (
        course.follow_click(None, peloton, search)
        == "/rider/Zo%C3%AB%20%3Cb%3EO%27Neil%3C%2Fb%3E?quarter=2026-Q4&team=East"
    )
    context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": f"{ids.COURSE_MAP}.clickData", "value": None}])
    )
    deal = {"points": [{"customdata": ["deal", "salesforce", "D1"]}]}
    assert course.follow_click(deal, None, search) is no_update
    assert course.follow_click(None, None, search) is no_update


def test_a_deal_click_opens_its_details(store, pages):
    _, course, _ = pages
    summary = compute_summary(store, "2026-Q4", TODAY, TODAY - dt.timedelta(days=7))
    flags = summary.flags
    deal = flags[flags["in_quarter"] & (flags["status"] == "open")].iloc[0]
    click = {"points": [{"customdata": ["deal", deal["source"], deal["deal_id"]]}]}
    out = course.open_deal(click, state(), {"search": "?quarter=2026-Q4"})
    assert out["is_open"] is True
    assert out["title"] == str(deal["deal_name"])
    words = strip_texts(out["body"])
    assert style.money_full(deal["amount"]) in words
    assert out["rider_href"].startswith("/rider/")
    missing = {"points": [{"customdata": ["deal", "salesforce", "no-such-deal"]}]}
    assert course.open_deal(missing, state(), "")["is_open"] is True
    rider = {"points": [{"customdata": ["rider", "Ann"]}]}
    assert course.open_deal(rider, state(), "") is no_update  # every output unchanged


def test_rider_page(store, pages):
    _, _, rider = pages
    summary = compute_summary(store, "2026-Q4", TODAY)
    rep = summary.reps.index[1]
    data = {"rep": rep, "view": state()}
    out = rider.render_rider(data, version(store))
    assert out["subtitle"].startswith(
        f"{summary.reps.loc[rep, 'team']} · 2026-Q4 · attainment "
        f"{style.pct(summary.reps.loc[rep, 'attainment'])}"
    )
    assert out["message"] is None
    assert lane_labels(out["lane"]) == [style.esc(rep)]
    assert {o["value"] for o in out["picker_options"]} >= set(summary.reps.index)
    out = rider.render_rider({"rep": "Nobody Here", "view": state()}, version(store))
    assert out["message"] is not None and out["lane"] is no_update
    assert rider.layout() is not None  # Dash calls it bare
    assert (
        rider.pick_rider("Ann Lee", {"rep": None}, {"search": "?quarter=2026-Q4&page=3"})
        == "/rider/Ann%20Lee?quarter=2026-Q4"
    )


def test_shell_keeps_pickers_and_url_in_step(store, pages):
    from dashboard import app as shell

    out = shell.sync_url("?team=East&page=2", "/")
    assert out["canonical"] == {"search": "?quarter=2026-Q4&team=East&page=2"}
    assert out["quarter"] == "2026-Q4" and out["team"] == "East"
    assert out["hrefs"] == [
        "/?quarter=2026-Q4&team=East",
        "/review?quarter=2026-Q4&team=East",
        "/rider?quarter=2026-Q4&team=East",
        "/season?quarter=2026-Q4&team=East",
        "/support?quarter=2026-Q4&team=East",
        "/data?quarter=2026-Q4&team=East",
    ]
    assert out["active"] == [True, False, False, False, False, False]
    rider = shell.sync_url("", "/rider/Ann%20Lee")["active"]
    assert rider == [False, False, True, False, False, False]
    assert shell.sync_url("", "/season")["active"] == [False, False, False, True, False, False]
    # Pickers set from the URL agree with it: nothing is written.
    assert shell.pick("2026-Q4", "East", "?team=East&page=2", "/") is no_update
    assert shell.pick("2026-Q4", urls.ALL_TEAMS, "", "/") is no_update
    # A picker change writes the URL and starts the view over.
    assert (
        shell.pick("2026-Q3", "East", "?quarter=2026-Q4&team=East&page=2&since=2026-11-01", "/")
        == "/?quarter=2026-Q3&team=East"
    )
    assert (
        shell.pick("2026-Q4", urls.ALL_TEAMS, "?quarter=2026-Q4&team=East&q=ann", "/rider/Ann")
        == "/rider/Ann?quarter=2026-Q4"
    )


def test_live_check_answers_no_update_until_new_data(store, pages):
    from dashboard import app as shell

    known = version(store)
    assert shell.poll_data_version(5, known) == (no_update, no_update, no_update)
    new, children, tone = shell.poll_data_version(0, None)
    assert new == known and tone.startswith("freshness tone-")
    assert strip_texts(html.Div(children))[0] == "Data as of 22 Nov 2026"


def test_new_data_redraws_with_the_new_version(demo_store, tmp_path, monkeypatch, pages):
    """A new snapshot bumps the version: the cached model is not reused, the figures change."""
    import shutil

    _, course, _ = pages
    copy = tmp_path / "copy.db"
    shutil.copyfile(demo_store.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    engine = get_engine(url)
    cache.clear_local()
    before = render(course, engine)
    summary = compute_summary(engine, "2026-Q4", TODAY)
    rep = summary.reps.index[0]
    store_frame(
        engine,
        "pipeline",
        pd.DataFrame(
            {
                "deal_id": ["NEW-1"],
                "deal_name": ["Fresh <deal>"],
                "account": ["New account"],
                "owner": [rep],
                "stage": ["Negotiation"],
                "status": ["open"],
                "amount": [123_456.0],
                "probability": [0.5],
                "forecast_category": ["commit"],
                "close_date": [pd.Timestamp("2026-12-10")],
                "created_date": [pd.Timestamp("2026-11-22")],
            }
        ),
        source="manual",
        as_of=dt.datetime(2026, 11, 22, 12),
        source_name="manual_2026-11-22.csv",
    )
    after = render(course, engine)
    commits = [t for t in after["map"].data if t.name == "Commit"][0]
    assert "Fresh &lt;deal&gt;" in {row[3] for row in commits.customdata}
    old = [t for t in before["map"].data if t.name == "Commit"][0]
    assert len(commits.x) == len(old.x) + 1
