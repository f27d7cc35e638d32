"""The peloton builder as a pure function (no store, no browser)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.figures import style
from dashboard.figures.peloton import make_peloton_figure, swarm_offsets, zone


def riders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep": ["Ann Lee", "Bo <i>Chen</i>", "Cy Diaz", "Dee Okafor"],
            "team": ["East", "East", "West", "West"],
            "attainment": [0.80, 0.55, 0.20, np.nan],
            "attainment_since": [0.70, 0.55, 0.20, np.nan],
            "rank": [1, 2, 3, None],
            "rank_change": [2, 0, -1, None],
        }
    )


@pytest.mark.parametrize(
    ("attainment", "pace", "where"),
    [
        (0.70, 0.60, "breakaway"),  # exactly +10 pts
        (0.69, 0.60, "peloton"),
        (0.51, 0.60, "peloton"),
        (0.50, 0.60, "dropped"),  # exactly -10 pts
        (0.00, 0.05, "peloton"),  # early in the quarter everyone rides together
    ],
)
def test_zone(attainment, pace, where):
    assert zone(attainment, pace) == where


def test_swarm_stacks_riders_that_would_overlap():
    # Three riders at the same place: middle, above, below; a fourth far away stays on the line.
    got = swarm_offsets(np.array([0.5, 0.5, 0.5, 0.9]), width=0.02)
    assert got.tolist() == [0, 1, -1, 0]


def test_swarm_wraps_past_its_depth():
    got = swarm_offsets(np.zeros(7), width=0.02, max_stack=2)
    assert got.tolist() == [0, 1, -1, 2, -2, 0, 1]


def test_swarm_is_deterministic():
    x = np.random.default_rng(1).uniform(0, 1, 200)
    assert swarm_offsets(x, 0.02).tolist() == swarm_offsets(x, 0.02).tolist()


def riders_traces(fig):
    return [t for t in fig.data if t.type in ("scatter", "scattergl") and t.customdata is not None]


def test_peloton_places_riders_with_quota():
    fig = make_peloton_figure(riders(), pace=0.6, since=dt.date(2026, 11, 15))
    go.Figure(fig.to_dict())
    by_name = {t.name: t for t in riders_traces(fig)}
    # Ann +20 pts: ahead; Bo -5: a little behind; Cy -40: dropped (one trace per colour).
    assert list(by_name) == ["ahead of pace", "a little behind", "dropped"]
    ahead, near, dropped = by_name.values()
    assert list(ahead.x) == pytest.approx([0.80]) and ahead.marker.color == style.AHEAD
    assert list(near.x) == pytest.approx([0.55]) and near.marker.color == style.NEAR
    assert list(dropped.x) == pytest.approx([0.20]) and dropped.marker.color == style.BEHIND
    # Symbols: 5 = triangle-up (moved up), 0 = circle, 6 = triangle-down.
    assert [list(t.marker.symbol) for t in by_name.values()] == [[5], [0], [6]]
    assert list(ahead.customdata[0]) == [
        "Ann Lee",
        "East",
        "80%",
        "+20 pts",
        "breakaway",
        "1",
        "▲2",
    ]
    assert list(near.customdata[0]) == [
        "Bo &lt;i&gt;Chen&lt;/i&gt;",
        "East",
        "55%",
        "−5 pts",
        "peloton",
        "2",
        "=",
    ]
    assert "vs pace 60%" in ahead.hovertemplate and "since 15 Nov" in ahead.hovertemplate
    notes = [a.text for a in fig.layout.annotations]
    assert "1 rider without quota not placed" in notes
    assert "<b>pace 60%</b>" in notes
    assert "Ann Lee ▲2" in notes and "Cy Diaz ▼1" in notes


def test_trails_from_the_comparison_day():
    fig = make_peloton_figure(riders(), pace=0.6)
    trail = [t for t in fig.data if t.name == "since"][0]
    # Only Ann moved (70% -> 80%).
    assert list(trail.x)[:2] == [0.70, 0.80] and np.isnan(trail.x[2])


def test_pace_line_and_zones():
    fig = make_peloton_figure(riders(), pace=0.6)
    line = [s for s in fig.layout.shapes if s.type == "line" and s.x0 == 0.6]
    assert line
    rects = sorted((round(s.x0, 6), round(s.x1, 6)) for s in fig.layout.shapes if s.type == "rect")
    assert rects[0] == (0.0, 0.5) and rects[1] == (0.5, 0.7)


def test_searched_rider_is_ringed():
    fig = make_peloton_figure(riders(), pace=0.6, highlight="Cy Diaz")
    ring = [t for t in fig.data if t.name == "searched"][0]
    assert list(ring.x) == pytest.approx([0.20])


def test_no_riders():
    fig = make_peloton_figure(riders().iloc[0:0], pace=0.3)
    go.Figure(fig.to_dict())


@pytest.mark.parametrize(
    ("count", "kind"), [(4, "scatter"), (4999, "scatter"), (5000, "scattergl")]
)
def test_the_peloton_uses_webgl_only_for_a_large_company(count, kind):
    """SVG below 5,000 riders (faster to draw in Chromium without a GPU), WebGL from 5,000."""
    base = riders().iloc[[0]]
    many = pd.concat([base] * count, ignore_index=True)
    many["rep"] = [f"Rep {i}" for i in range(count)]
    fig = make_peloton_figure(many, pace=0.6)
    assert {t.type for t in riders_traces(fig)} == {kind}
