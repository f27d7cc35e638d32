"""The Course's, the Review's and the Rider's first picture is in the layout (``first_picture``):
the same figures and words their callbacks draw, for the same viewer, marked with the state and
live version they are for; the callbacks' first call then leaves them, and any later call draws.
Flask's test client on a copy of the demo store; no browser."""

from __future__ import annotations

import json

import pytest
from dash.exceptions import PreventUpdate

from tests.integration.test_first_view import _find, _layout
from tests.support.demo import demo_copy
from tests.support.stores import use_store

HOME = "http://localhost/?quarter=2026-Q4"


@pytest.fixture
def client(tmp_path, monkeypatch):
    from dashboard.app import create_app

    engine = use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    app = create_app()
    with app.server.test_client() as c:
        c.engine = engine
        yield c


def _props(layout, wanted: str) -> dict:
    return _find(layout, wanted)["props"]


def _traces(figure: dict) -> list[tuple]:
    """What a figure draws, trace by trace (name, type, points), comparable across JSON."""
    return [(t.get("name"), t.get("type"), len(t.get("x") or [])) for t in figure["data"]]


def test_the_layout_holds_what_the_callbacks_would_draw(client):
    from dashboard import ids
    from dashboard.pages import course
    from dashboard.reads.catalog import live_version

    layout = _layout(client, HOME)
    version = live_version(client.engine)
    state = _props(layout, ids.COURSE_STATE)["data"]
    assert _props(layout, ids.COURSE_DRAWN)["data"] == {"state": state, "version": version}
    with client.application.test_request_context("/_dash-update-component"):
        drawn = json.loads(json.dumps(course.render(state, version), cls=_Encoder))
        forecast = json.loads(json.dumps(course.render_forecast(state, version), cls=_Encoder))
    course_map = _props(layout, ids.COURSE_MAP)["figure"]
    assert _traces(course_map) == _traces(drawn["map"]) and len(course_map["data"]) > 5
    assert course_map["layout"]["yaxis"]["ticktext"] == drawn["map"]["layout"]["yaxis"]["ticktext"]
    assert _traces(_props(layout, ids.COURSE_PELOTON)["figure"]) == _traces(drawn["peloton"])
    assert _traces(_props(layout, ids.COURSE_FORECAST)["figure"]) == _traces(forecast["figure"])
    assert _props(layout, ids.COURSE_SUBTITLE)["children"] == drawn["subtitle"]
    assert _props(layout, ids.COURSE_TITLE)["children"] == drawn["title"]
    assert _props(layout, ids.COURSE_PAGER)["max_value"] == drawn["pages"]
    assert _props(layout, ids.COURSE_VIEW)["data"] == drawn["shown_view"] == "reps"
    assert _props(layout, ids.COURSE_STRIP)["children"] is not None


def test_the_first_call_leaves_the_layouts_picture_and_later_ones_draw(client):
    from dashboard import ids
    from dashboard.pages import course
    from dashboard.reads.catalog import live_version

    layout = _layout(client, HOME)
    state = _props(layout, ids.COURSE_STATE)["data"]
    mark = _props(layout, ids.COURSE_DRAWN)["data"]
    version = live_version(client.engine)
    with client.application.test_request_context("/_dash-update-component"):
        for callback in (course.render, course.render_forecast):
            with pytest.raises(PreventUpdate):
                callback(state, version, drawn=mark)
        # new data: drawn again, and the mark cleared so a return to this state draws too
        newer = course.render(state, f"{version}-newer", drawn=mark)
        assert newer["drawn"] is None and newer["map"]["data"]
        other = course.render({**state, "since": None}, version, drawn=mark)
        assert other["drawn"] is None
        assert course.render_forecast(state, f"{version}-newer", drawn=mark)["figure"]["data"]


@pytest.mark.parametrize("referrer", [None, "http://localhost/review?quarter=2026-Q4"])
def test_without_the_course_requested_nothing_is_drawn_ahead(client, referrer):
    from dashboard import ids

    layout = _layout(client, referrer)
    assert _find(layout, ids.COURSE_DRAWN) is None  # the router or another page: no Course


def test_a_layout_built_by_dashs_router_is_a_skeleton(client):
    """Dash's router calls the page's layout from a callback: no picture, no mark; the
    callbacks draw it."""
    from dashboard import ids
    from dashboard.pages import course

    with client.application.test_request_context("/_dash-update-component"):
        page = course.layout(quarter="2026-Q4")
    drawn = _find(json.loads(json.dumps(page, cls=_Encoder)), ids.COURSE_DRAWN)
    assert drawn is not None and drawn["props"]["data"] is None


def test_a_team_the_viewer_may_not_see_is_not_drawn_into_the_layout(client, monkeypatch):
    from dashboard import auth, ids

    monkeypatch.setattr(auth, "viewer_scope", lambda: ["Enterprise West"])
    layout = _layout(client, "http://localhost/?quarter=2026-Q4&team=Commercial%20Central")
    course_map = _props(layout, ids.COURSE_MAP)["figure"]
    assert not course_map["data"]  # the blank figure of a view with nothing to draw
    message = json.dumps(_props(layout, ids.COURSE_MESSAGE)["children"])
    assert "Commercial Central" in message or "not" in message.lower()
    assert "Caleb Miller" not in json.dumps(layout)  # a Commercial Central rider


class _Encoder(json.JSONEncoder):
    def default(self, o):
        from plotly.utils import PlotlyJSONEncoder

        return json.loads(json.dumps(o, cls=PlotlyJSONEncoder))


def test_the_reviews_layout_holds_its_picture_and_the_first_call_leaves_it(client):
    from dashboard import ids
    from dashboard.pages import review
    from dashboard.reads.catalog import live_version

    layout = _layout(client, "http://localhost/review?quarter=2026-Q4")
    version = live_version(client.engine)
    data = _props(layout, ids.REVIEW_STATE)["data"]
    mark = _props(layout, ids.REVIEW_DRAWN)["data"]
    assert mark == {"state": data, "version": version}
    with client.application.test_request_context("/_dash-update-component"):
        with pytest.raises(PreventUpdate):
            review.render(data, version, drawn=mark)
        drawn = json.loads(
            json.dumps(review.render(data, f"{version}-newer", drawn=mark), cls=_Encoder)
        )
    assert drawn["drawn"] is None
    waterfall = _props(layout, ids.REVIEW_WATERFALL)["figure"]
    assert waterfall["data"][0]["type"] == "waterfall"
    assert waterfall["data"][0]["y"] == drawn["waterfall"]["data"][0]["y"]
    assert _props(layout, ids.REVIEW_MOVED)["rowData"] == drawn["moved"] != []
    assert _props(layout, ids.REVIEW_ROLLUP)["rowData"] == drawn["rollup"]
    assert _props(layout, ids.REVIEW_FOCUS)["rowData"] == drawn["focus"]
    options = _props(layout, ids.REVIEW_ROLLUP)["dashGridOptions"]
    assert options["pinnedBottomRowData"] == drawn["rollup_options"]["pinnedBottomRowData"]
    assert _props(layout, ids.REVIEW_SINCE)["value"] == drawn["since"] is not None


def test_the_riders_layout_holds_its_first_picture_and_its_callbacks_skip_the_first_call(client):
    from dashboard import ids
    from dashboard.pages import rider
    from dashboard.reads.catalog import live_version

    layout = _layout(client, "http://localhost/rider/Caleb%20Miller?quarter=2026-Q4")
    version = live_version(client.engine)
    data = _props(layout, ids.RIDER_STATE)["data"]
    mark = _props(layout, ids.RIDER_DRAWN)["data"]
    assert data["rep"] == "Caleb Miller" and mark == {"state": data, "version": version}
    with client.application.test_request_context("/_dash-update-component"):
        head = json.loads(json.dumps(rider.render_rider(data, version), cls=_Encoder))
        details = json.loads(json.dumps(rider.render_details(data, version), cls=_Encoder))
        season = json.loads(json.dumps(rider.render_season(data, version), cls=_Encoder))
        trend = json.loads(json.dumps(rider.render_trend(data, version), cls=_Encoder))
    lane = _props(layout, ids.RIDER_LANE)["figure"]
    assert _traces(lane) == _traces(head["lane"]) and lane["data"]
    assert _props(layout, ids.RIDER_SUBTITLE)["children"] == head["subtitle"]
    assert _props(layout, ids.RIDER_FLAGS)["rowData"] == details["flags"]
    assert _props(layout, ids.RIDER_KPIS)["children"] is not None
    assert _props(layout, ids.RIDER_FORECAST)["figure"]["data"]
    # the trend and the season (the foot of the page) too: no second round after the layout
    assert season["ramp"]["data"] and season["info"]
    assert _traces(_props(layout, ids.RIDER_SEASON_RAMP)["figure"]) == _traces(season["ramp"])
    assert _props(layout, ids.RIDER_SEASON_INFO)["children"] == season["info"]
    assert _traces(_props(layout, ids.RIDER_TREND)["figure"]) == _traces(trend["trend"])
    assert _props(layout, ids.RIDER_TREND)["figure"]["data"]


def _dependencies(client) -> list[dict]:
    return json.loads(client.get("/_dash-dependencies").data)


GATES = {  # page: (state store, mark, the gate's store, an output of each drawing callback)
    "course": (
        "course-state",
        "course-drawn",
        "course-need",
        ("course-map", "course-forecast-trend"),
    ),
    "review": ("review-state", "review-drawn", "review-need", ("review-waterfall",)),
    "rider": (
        "rider-state",
        "rider-drawn",
        "rider-need",
        ("rider-lane", "rider-kpis", "rider-forecast-trend", "rider-trend", "rider-season-ramp"),
    ),
}


@pytest.mark.parametrize("page", sorted(GATES))
def test_the_drawing_callbacks_wait_for_the_browsers_gate(client, page):
    """Dash does not call the callbacks of a page's first picture as the page starts (no round
    trip that answers "no change"); the browser's gate, which runs as the page starts, fires
    them when the layout holds no picture for the live version (``first_picture.gate``), and
    so does a new data version."""
    from dashboard import ids

    state, mark, need, outputs = GATES[page]
    # by output: an app built after others in one test process can list a page's callbacks
    # more than once (each app re-runs the page modules); a served app has one of each
    deps = {d["output"]: d for d in json.loads(client.get("/_dash-dependencies").data)}
    deps = list(deps.values())
    drawing = [d for d in deps if {"id": need, "property": "data"} in d["inputs"]]
    assert len(drawing) == len(outputs)  # one callback for each output named
    for output in outputs:
        assert any(f"{output}." in d["output"] for d in drawing), output
    for d in drawing:
        assert d["prevent_initial_call"] is True
        inputs = {(i["id"], i["property"]) for i in d["inputs"]}
        assert {(ids.SHELL_DATA_VERSION, "data"), (state, "data")} <= inputs
    (gate,) = [d for d in deps if d["output"] == f"{need}.data"]
    assert gate["clientside_function"] and not gate["prevent_initial_call"]
    assert [(i["id"], i["property"]) for i in gate["inputs"]] == [(state, "data")]
    assert {(s["id"], s["property"]) for s in gate["state"]} == {
        (mark, "data"),
        (ids.SHELL_DATA_VERSION, "data"),
    }


def test_the_rider_picker_page_draws_its_directory_into_the_layout(client):
    from dashboard import ids

    layout = _layout(client, "http://localhost/rider?quarter=2026-Q4")
    assert _props(layout, ids.RIDER_STATE)["data"]["rep"] is None
    assert len(_props(layout, ids.RIDER_PICK)["options"]) > 20  # every rider of the demo
    assert _props(layout, ids.RIDER_MESSAGE)["children"] is not None  # the directory
