"""URL state and the live check's pure parts (no store, no browser)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import urls
from dashboard.serve import live

TODAY = dt.date(2026, 11, 22)


def test_defaults_fill_what_the_link_leaves_out():
    state = urls.resolve({}, TODAY)
    assert (state.quarter, state.team, state.as_of, state.since) == (
        "2026-Q4",
        None,
        "2026-11-22",
        "2026-11-15",
    )
    assert (state.page, state.q, state.lanes, state.explicit_as_of) == (1, "", "auto", False)


def test_past_quarter_is_seen_from_its_last_day():
    state = urls.resolve({"quarter": "2026-Q3"}, TODAY)
    assert state.as_of == "2026-09-30" and state.since == "2026-09-23"


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ({"quarter": "nonsense"}, "quarter", "2026-Q4"),
        ({"as_of": "2026-13-45"}, "as_of", "2026-11-22"),
        ({"since": "2026-11-30"}, "since", "2026-11-15"),  # not before as_of: default
        ({"page": "-3"}, "page", 1),
        ({"page": "x"}, "page", 1),
        ({"lanes": "sideways"}, "lanes", "auto"),
        ({"team": "*"}, "team", None),
        ({"team": " East "}, "team", "East"),
        ({"q": "  ann "}, "q", "ann"),
    ],
)
def test_bad_or_odd_values_fall_back(query, field, value):
    assert getattr(urls.resolve(query, TODAY), field) == value


def test_state_round_trips_through_a_dict():
    state = urls.resolve({"quarter": "2026-Q4", "team": "East", "page": "2"}, TODAY)
    assert urls.ViewState.from_dict(state.to_dict()) == state


def test_merge_and_carry():
    search = "?quarter=2026-Q4&team=East&page=3&q=ann"
    assert (
        urls.merge(search, page=None, lanes="teams")
        == "?quarter=2026-Q4&team=East&q=ann&lanes=teams"
    )
    assert urls.carry(search) == "?quarter=2026-Q4&team=East"
    assert urls.merge("", team=None) == ""


def test_canonical_adds_the_quarter_in_a_stable_order():
    assert (
        urls.canonical({"team": "East", "page": "2"}, TODAY) == "?quarter=2026-Q4&team=East&page=2"
    )
    assert urls.canonical({"quarter": "2026-Q3"}, TODAY) == "?quarter=2026-Q3"


def test_rider_paths_survive_any_name():
    path = urls.rider_path("Zoë O'Neil/Sales & Co", "?quarter=2026-Q4&page=2")
    assert path == "/rider/Zo%C3%AB%20O%27Neil%2FSales%20%26%20Co?quarter=2026-Q4"
    assert urls.rep_from_path(path.split("/rider/")[1].split("?")[0]) == "Zoë O'Neil/Sales & Co"
    assert urls.rep_from_path(None) is None


def test_quarter_options_around_today():
    values = [o["value"] for o in urls.quarter_options("2025-Q1", TODAY)]
    assert values == ["2027-Q1", "2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4", "2025-Q1"]
    labels = {o["value"]: o["label"] for o in urls.quarter_options(None, TODAY)}
    assert labels["2026-Q4"] == "2026-Q4 · now"


@pytest.mark.parametrize(
    ("latest", "detail", "tone"),
    [
        (dt.date(2026, 11, 22), "today", "fresh"),
        (dt.date(2026, 11, 21), "1 day old", "fresh"),
        (dt.date(2026, 11, 15), "7 days old", "aging"),
        (dt.date(2026, 11, 1), "21 days old", "stale"),
    ],
)
def test_freshness(latest, detail, tone):
    label, got_detail, got_tone = live.freshness(latest, TODAY)
    assert label == f"Data as of {latest.day} {latest:%b %Y}"
    assert (got_detail, got_tone) == (detail, tone)


def test_freshness_without_data():
    assert live.freshness(None, TODAY) == ("No data loaded", "load exports to start", "stale")
