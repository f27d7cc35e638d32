"""The first layout carries the requested view and the live version (``app.page_container``):
the browser's layout request names its page in the Referer; without one, or from another site,
Dash routes as before. Flask's test client on a copy of the demo store; no browser."""

from __future__ import annotations

import json

import pytest

from tests.support.demo import demo_copy
from tests.support.stores import use_store


@pytest.fixture
def client(tmp_path, monkeypatch):
    from dashboard.app import create_app

    engine = use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    app = create_app()
    with app.server.test_client() as c:
        c.engine = engine
        yield c


def _find(node, wanted: str):
    """The component with id ``wanted`` in a layout's JSON, or None."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == wanted:
            return node
        for value in props.values():
            found = _find(value, wanted)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = _find(item, wanted)
            if found is not None:
                return found
    return None


def _layout(client, referrer: str | None):
    headers = {"Referer": referrer} if referrer else {}
    resp = client.get("/_dash-layout", headers=headers)
    assert resp.status_code == 200
    return json.loads(resp.data)


def test_the_layout_holds_the_page_the_browser_is_on(client):
    from dashboard import ids
    from dashboard.reads.catalog import live_version

    layout = _layout(client, "http://localhost/review?quarter=2026-Q4")
    location = _find(layout, "_pages_location")["props"]
    assert location["pathname"] == "/review" and location["search"] == "?quarter=2026-Q4"
    assert _find(layout, ids.REVIEW_TITLE) is not None  # the Review's skeleton, not the Course's
    assert _find(layout, ids.COURSE_TITLE) is None
    assert _find(layout, ids.SHELL_DATA_VERSION)["props"]["data"] == live_version(client.engine)


def test_a_rider_address_gives_that_riders_page(client):
    from dashboard import ids

    layout = _layout(client, "http://localhost/rider/Alex%20Nu%C3%B1ez")
    state = _find(layout, ids.RIDER_STATE)["props"]["data"]
    assert state["rep"] == "Alex Nuñez"


@pytest.mark.parametrize(
    "referrer", [None, "http://elsewhere.example/review", "http://localhost/no-such-page"]
)
def test_without_a_page_of_ours_dash_routes_as_before(client, referrer):
    from dashboard import ids

    layout = _layout(client, referrer)
    content = _find(layout, "_pages_content")["props"]
    assert not content.get("children")  # Dash's router fills it
    assert _find(layout, ids.REVIEW_TITLE) is None
    # the live version comes with the layout all the same
    assert isinstance(_find(layout, ids.SHELL_DATA_VERSION)["props"]["data"], int)
