"""Filters and pickers cannot reach SQL, and callbacks check what they receive.

Links with hostile or broken values (SQL in the team, garbage quarters and days, dates at the
calendar's ends, huge page numbers) open the default picture or an empty one with a message,
never a server error and never another team's data. The same values forged straight into the
callbacks' requests (``/_dash-update-component``, as a script could send them) get the same.
"""

from __future__ import annotations

import json

import dash
import pytest
from sqlalchemy import func, select

from dashboard import ids, urls
from loaders.store.models import OpportunitySnapshot, Rep
from tests.support.demo import TODAY, demo_copy
from tests.support.stores import use_store

INJECTIONS = [
    "x' OR 1=1--",
    'x" OR "1"="1',
    "'; DROP TABLE reps; --",
    "%",
    "_",
    "East' UNION SELECT name FROM reps--",
    "\x00",
    "<script>alert(1)</script>",
    "a" * 5000,
]
GARBAGE = [
    {"quarter": "x' OR 1=1--"},
    {"quarter": "2026-Q9"},
    {"quarter": "0001-Q1"},
    {"quarter": "9999-Q4"},
    {"quarter": "-1-Q1"},
    {"quarter": "2026-Q4" * 1000},
    {"as_of": "0001-01-01"},
    {"as_of": "9999-12-31"},
    {"as_of": "2026-02-30"},
    {"as_of": "' OR 1=1--"},
    {"since": "0001-01-01"},
    {"since": "9999-12-31"},
    {"since": "2026-13-01"},
    {"page": "99999999999999999999999"},
    {"page": "-1"},
    {"page": "1e9"},
    {"lanes": "<img src=x onerror=alert(1)>"},
    {"q": "' OR 1=1--"},
    {"q": "%"},
    {"group": "'; DROP TABLE reps; --"},
    {"present": "<b>"},
    *({"team": t} for t in INJECTIONS),
]


@pytest.mark.parametrize("query", GARBAGE, ids=lambda q: repr(q)[:40])
def test_resolve_never_fails_and_keeps_days_in_range(query):
    state = urls.resolve(query, TODAY)
    assert 1900 <= state.as_of_day.year <= 2199
    assert state.since_day is None or 1900 <= state.since_day.year <= 2199
    assert 1 <= state.page <= urls.MAX_PAGE
    assert state.lanes in ("auto", *urls.LANE_VIEWS)
    urls.canonical(query, TODAY)
    urls.quarter_options(state.quarter, TODAY)


@pytest.mark.parametrize(
    "forged",
    [
        None,
        [],
        "x",
        {"quarter": "x' OR 1=1--"},
        {"as_of": "0001-01-01", "explicit_as_of": True},
        {"quarter": ["2026-Q4"], "team": {"$ne": 1}},
        {"unknown": 1, "page": 10**30},
        {"team": 7, "since": 3.5},
    ],
)
def test_a_forged_state_from_the_browser_is_checked_again(forged):
    state = urls.ViewState.from_dict(forged)
    assert state.quarter and 1900 <= state.as_of_day.year <= 2199 and state.page >= 1
    assert state.team in (None, "7")


def test_a_valid_state_survives_the_check():
    state = urls.resolve(
        {
            "quarter": "2026-Q4",
            "team": "East",
            "as_of": "2026-11-20",
            "since": "2026-11-13",
            "page": "2",
            "q": "ann",
            "lanes": "reps",
        },
        TODAY,
    )
    assert urls.ViewState.from_dict(state.to_dict()) == state


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    return create_app()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One copy of the demo for the module's links and forged requests.

    They only read it (each test checks it is whole afterwards), so its cache is kept from one
    test to the next, as a server keeps it from one request to the next: a link that resolves
    to a view already drawn is answered from it, any other (another team, day, page) is
    computed. A fresh copy and an empty cache per test cost a second each.
    """
    folder = tmp_path_factory.mktemp("hostile-urls")
    with pytest.MonkeyPatch.context() as mp:
        engine = use_store(demo_copy(folder / "db"), mp, folder / "data")
        with engine.connect() as conn:
            reps = conn.execute(select(Rep.name)).scalars().all()
            deals = conn.execute(select(func.count()).select_from(OpportunitySnapshot)).scalar()
        yield engine, reps, deals


def _find(component, wanted: str):
    if getattr(component, "id", None) == wanted:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, wanted)
            if found is not None:
                return found
    return None


def _call(client, deps, output_part: str, values: dict):
    # the callback writing ``output_part`` from these inputs (the course map has a second
    # writer, the deal plans' tick patch, which would answer 204 and test nothing)
    dep = next(
        d
        for d in deps
        if output_part in d["output"]
        and all(
            any(f"{i['id']}.{i['property']}" == k for i in d["inputs"] + d.get("state", []))
            for k in values
        )
    )
    outputs = [
        dict(zip(("id", "property"), o.split("@")[0].rsplit(".", 1), strict=True))
        for o in dep["output"].strip(".").split("...")
    ]
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
    }
    return client.post("/_dash-update-component", json=body)


PAGES = [  # page module, its state store, an output of its main callback
    ("dashboard.pages.course", ids.COURSE_STATE, "course-map.figure"),
    ("dashboard.pages.review", ids.REVIEW_STATE, "review-waterfall.figure"),
    ("dashboard.pages.rider", ids.RIDER_STATE, "rider-lane.figure"),
    ("dashboard.pages.data", ids.DATA_STATE, "data-batches.rowData"),
]


def _layout(module: str, query: dict):
    page = next(p for p in dash.page_registry.values() if p["module"] == module)
    if module == "dashboard.pages.rider":
        return page["layout"](rep=query.get("team", "Nobody"), **query)
    if module == "dashboard.pages.data":
        return page["layout"](batch=query.get("page"), **query)
    return page["layout"](**query)


LINKS = GARBAGE


@pytest.mark.parametrize("query", LINKS, ids=lambda q: repr(q)[:40])
def test_hostile_links_open_a_picture_never_an_error(app, store, query):
    engine, reps, _ = store
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").json
    version = 1
    for module, state_id, output in PAGES:
        tree = _layout(module, query)  # the page's skeleton, from the link
        state = _find(tree, state_id).data
        resp = _call(
            client, deps, output, {f"{state_id}.data": state, "shell-data-version.data": version}
        )
        assert resp.status_code in (200, 204), (module, resp.data[:300])
        if "team" in query and module in ("dashboard.pages.course", "dashboard.pages.review"):
            # a team no one is in: no rider of another team is shown
            shown = json.dumps(resp.json)
            assert not [r for r in reps if json.dumps(r)[1:-1] in shown], module
    # the store is whole afterwards
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Rep)).scalar() == len(reps)


@pytest.mark.parametrize(
    "forged",
    [
        {
            "quarter": "x' OR 1=1--",
            "team": "x' OR 1=1--",
            "as_of": "0001-01-01",
            "since": "9999-12-31",
            "page": -5,
            "q": "%",
            "lanes": 3,
            "explicit_as_of": "yes",
        },
        {"bogus": True},
        "not a dict",
        [1, 2],
        None,
    ],
    ids=["garbage-fields", "unknown-key", "string", "list", "none"],
)
def test_forged_callback_states_get_no_error(app, store, forged):
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").json
    for state_id, output, value in (
        (ids.COURSE_STATE, "course-map.figure", forged),
        (
            ids.REVIEW_STATE,
            "review-waterfall.figure",
            {"view": forged, "as_of": forged, "since": forged, "group": forged, "present": forged},
        ),
        (ids.RIDER_STATE, "rider-lane.figure", {"rep": forged, "view": forged}),
    ):
        resp = _call(
            client, deps, output, {f"{state_id}.data": value, "shell-data-version.data": 1}
        )
        assert resp.status_code in (200, 204), (output, resp.data[:500])


def test_the_course_by_its_name_is_the_home_page(app):
    """``/course`` (the view's name, as people type it) lands on the Course, its state kept."""
    client = app.server.test_client()
    resp = client.get("/course?quarter=2026-Q4&team=East")
    assert resp.status_code in (301, 302, 308)
    assert resp.headers["Location"].endswith("/?quarter=2026-Q4&team=East")
