"""The course map builder as a pure function (no store, no browser).

Expected values are worked out by hand from the small frames below: the quarter is 2026-Q4
(1 Oct - 31 Dec, 92 days), so a deal closing on 3 Oct sits at x = 2 days + noon = 2.5, and the
finish line is at x = 92.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.figures import style
from dashboard.figures.course import (
    BEYOND,
    DEAL_HOVER,
    MAX_MARKER,
    MIN_MARKER,
    day_offset,
    deal_customdata,
    lane_rows,
    make_course_figure,
    marker_sizes,
)
from dashboard.models.kinds import aggregate_by_team, marker_kind

START, END, AS_OF = dt.date(2026, 10, 1), dt.date(2026, 12, 31), dt.date(2026, 11, 22)


def lanes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lane": ["Ann Lee", "Bo <b>Chen</b>", "Cy Diaz"],
            "team": ["East", "East", "West"],
            "attainment": [0.62, 2.4, np.nan],
            "pace": [0.576, 0.576, 0.576],
            "coverage": [2.5, None, 0.5],
            "readiness_index": [72.0, 48.0, None],
            "readiness_band": ["green", "red", None],
            "won": [310_000.0, 1_200_000.0, 0.0],
            "quota": [500_000.0, 500_000.0, 0.0],
            "rank_change": [2, -1, None],
        }
    )


def deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lane": ["Ann Lee", "Ann Lee", "Bo <b>Chen</b>", "Cy Diaz", "Cy Diaz", "Nobody"],
            "source": ["salesforce"] * 6,
            "deal_id": ["D1", "D2", "D<3>", "D4", "D5", "D6"],
            "deal_name": [
                "Acme renewal",
                "<script>alert(1)</script>",
                "Big one",
                "Lost one",
                "Slipping",
                "Not on this page",
            ],
            "account": ["Acme", "Evil & Co", None, "Zed", "Yak", "X"],
            "amount": [100_000.0, 25_000.0, 400_000.0, 50_000.0, 10_000.0, 1.0],
            "stage": ["Negotiation", "Proposal", "Closed Won", "Closed Lost", "Discovery", "x"],
            "forecast_category": ["commit", "best_case", "closed", "closed", None, "pipeline"],
            "status": ["open", "open", "won", "lost", "open", "open"],
            "close_date": pd.to_datetime(
                ["2026-10-03", "2026-12-01", "2026-11-02", "2026-10-20", "2027-01-15", "2026-11-01"]
            ),
            "push_count": [0, 2, 0, 0, 3, 0],
            "last_activity_date": pd.to_datetime(
                ["2026-11-20", None, "2026-11-01", None, "2026-09-30", None]
            ),
            "close_date_since": pd.to_datetime(
                [None, "2026-11-15", None, None, "2026-12-20", None]
            ),
            "past_due": [True, False, False, False, False, False],
        }
    )


def figure(**kw) -> go.Figure:
    args = dict(
        quarter_start=START,
        quarter_end=END,
        as_of=AS_OF,
        since=dt.date(2026, 11, 15),
        quarter_name="2026-Q4",
    )
    args.update(kw)
    return make_course_figure(lanes(), deals(), **args)


def trace(fig: go.Figure, name: str):
    found = [t for t in fig.data if t.name == name]
    assert found, f"no trace {name!r} in {[t.name for t in fig.data]}"
    return found[0]


@pytest.mark.parametrize(
    ("status", "category", "kind"),
    [
        ("open", "commit", "commit"),
        ("open", "best_case", "best_case"),
        ("open", "pipeline", "pipeline"),
        ("open", "omitted", "omitted"),
        ("open", None, "omitted"),
        ("won", "closed", "won"),
        ("won", "commit", "won"),
        ("lost", "closed", "lost"),
    ],
)
def test_marker_kind(status, category, kind):
    got = marker_kind(pd.Series([status], dtype="object"), pd.Series([category], dtype="object"))
    assert got.tolist() == [kind]


def test_marker_area_grows_with_amount():
    # Area ~ amount: a quarter of the largest amount gets half the extra diameter.
    sizes = marker_sizes(pd.Series([400.0, 100.0, 0.0, None, 800.0]), largest=400.0)
    assert sizes[0] == pytest.approx(MAX_MARKER)
    assert sizes[1] == pytest.approx(MIN_MARKER + (MAX_MARKER - MIN_MARKER) / 2)
    assert sizes[2] == sizes[3] == pytest.approx(MIN_MARKER)
    assert sizes[4] == pytest.approx(MAX_MARKER)  # beyond the scale: capped


def test_day_offset_is_noon_of_the_close_date():
    got = day_offset(pd.Series(pd.to_datetime(["2026-10-01", "2026-10-03", "2026-12-31"])), START)
    assert got.tolist() == [0.5, 2.5, 91.5]


def test_lane_rows_put_a_header_above_each_team():
    rows = lane_rows(lanes(), pd.DataFrame({"team": ["West"], "attainment": [0.3]}))
    assert rows["lane"].tolist() == ["East", "Ann Lee", "Bo <b>Chen</b>", "West", "Cy Diaz"]
    assert rows["header"].tolist() == [True, False, False, True, False]
    assert rows["row"].tolist() == [0, 1, 2, 3, 4]
    assert rows.loc[3, "attainment"] == 0.3
    assert pd.isna(rows.loc[0, "attainment"])


def test_figure_is_valid_plotly():
    fig = figure()
    go.Figure(fig.to_dict())  # raises on any attribute Plotly does not know


def test_lane_labels_are_escaped_and_grouped():
    fig = figure()
    assert list(fig.layout.yaxis.ticktext) == [
        "<b>EAST</b>",
        "Ann Lee",
        "Bo &lt;b&gt;Chen&lt;/b&gt;",
        "<b>WEST</b>",
        "Cy Diaz",
    ]
    assert list(fig.layout.yaxis.range) == [4.5, -0.5]  # first lane at the top


def test_deals_sit_at_their_close_date_on_their_lane():
    fig = figure()
    commit = trace(fig, "Commit")
    assert list(commit.x) == [2.5]  # 3 Oct
    assert list(commit.y) == [1.0]  # Ann Lee's row (East header is row 0)
    won = trace(fig, "Won")
    assert list(won.x) == [32.5] and list(won.y) == [2.0]
    assert won.marker.symbol == "star"
    lost = trace(fig, "Lost")
    assert list(lost.y) == [4.0] and lost.marker.symbol.startswith("x")
    # A deal closing after the finish is drawn just past it.
    omitted = trace(fig, "Omitted / none")
    assert list(omitted.x) == [92 + BEYOND]
    # A deal whose lane is not on the page is left out.
    assert sum(len(t.x) for t in fig.data if t.name in style.KIND_LABEL.values()) == 5


def test_past_due_deals_get_a_red_ring():
    ring = trace(figure(), "Past due")
    assert list(ring.x) == [2.5] and list(ring.y) == [1.0]  # D1, Ann Lee's commit deal
    assert ring.hoverinfo == "skip" and ring.marker.line.color == style.BEHIND


def test_trails_run_from_the_earlier_close_date():
    moved = trace(figure(), "Close date moved")
    x = np.asarray(moved.x, dtype=float)
    y = np.asarray(moved.y, dtype=float)
    # D2: 15 Nov (x 45.5) -> 1 Dec (x 61.5) on row 1; D5: 20 Dec (x 80.5) -> past the finish.
    assert x[:2].tolist() == [45.5, 61.5] and np.isnan(x[2])
    assert x[3:5].tolist() == [80.5, 92 + BEYOND]
    assert y[:2].tolist() == [1.0, 1.0] and y[3:5].tolist() == [4.0, 4.0]


def test_hover_text_is_escaped_and_ids_stay_raw():
    fig = figure()
    best = trace(fig, "Best case")
    custom = best.customdata[0]
    assert list(custom[:3]) == ["deal", "salesforce", "D2"]
    assert custom[3] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert custom[4] == "Evil &amp; Co"
    assert custom[5] == "25,000"
    assert custom[6] == "Proposal"
    assert custom[7] == "1 Dec 2026"
    assert custom[8] == "2"
    assert "pushed from 15 Nov 2026" in custom[10]
    assert "Stage %{customdata[6]} · Best case" in best.hovertemplate
    won = trace(fig, "Won").customdata[0]
    assert won[2] == "D<3>"  # raw: the click handler looks it up
    assert won[4] == style.MISSING  # no account
    assert "past due" in trace(fig, "Commit").customdata[0][7]


def test_customdata_columns_line_up_with_the_hover_template():
    data = deal_customdata(deals(), dt.date(2026, 11, 15))
    assert data.shape == (6, 11)
    assert data[4][10] == "<br>Close date pushed from 20 Dec 2026 since 15 Nov"
    fields = {int(i) for i in re.findall(r"customdata\[(\d+)\]", DEAL_HOVER)}
    assert fields == set(range(3, 11))


def test_status_columns_beside_each_lane():
    fig = figure(
        teams=pd.DataFrame(
            {"team": ["East", "West"], "attainment": [1.0, 0.1], "pace": [0.576, 0.576]}
        )
    )
    bar = trace(fig, "attainment")
    # Rows: East header, Ann, Bo, West header, Cy. Bo's 240% is drawn at the 150% cap.
    assert list(bar.x) == [1.0, 0.62, 1.5, 0.1, 0.0]
    assert list(bar.text) == ["100%", "62%", "240%", "10%", style.MISSING]
    handle = trace(fig, "rider")
    assert [list(c) for c in handle.customdata] == [
        ["team", "East"],
        ["rider", "Ann Lee"],
        ["rider", "Bo <b>Chen</b>"],
        ["team", "West"],
        ["rider", "Cy Diaz"],
    ]
    assert "Bo &lt;b&gt;Chen&lt;/b&gt;" in handle.hovertemplate[2]
    assert "No quota" in handle.hovertemplate[4]
    assert list(trace(fig, "coverage").text) == [
        style.MISSING,
        "2.5×",
        style.MISSING,
        style.MISSING,
        "0.5×",
    ]
    form = trace(fig, "form")
    assert list(form.marker.color)[1:3] == [style.BAND_COLOUR["green"], style.BAND_COLOUR["red"]]
    assert list(form.text)[1:3] == ["72", "48"]


def test_today_and_finish_lines():
    fig = figure()
    lines = [sh for sh in fig.layout.shapes if sh.type == "line" and sh.xref == "x"]
    xs = sorted(sh.x0 for sh in lines)
    # the start (0), today (22 Nov = day 52, noon) and the finish (92)
    assert xs == [0, 52.5, 92]
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>Today</b> 22 Nov" in texts and "<b>Finish</b> 2026-Q4" in texts


def test_height_grows_with_lanes():
    small = make_course_figure(
        lanes().head(1), deals(), quarter_start=START, quarter_end=END, as_of=AS_OF
    )
    big = figure()
    assert big.layout.height > small.layout.height


def test_empty_page_still_draws_the_course():
    fig = make_course_figure(
        lanes().iloc[0:0], deals().iloc[0:0], quarter_start=START, quarter_end=END, as_of=AS_OF
    )
    go.Figure(fig.to_dict())
    assert fig.layout.height >= 220


def test_aggregate_by_team_groups_deals_per_week_and_kind():
    d = deals().assign(team=["East", "East", "East", "West", "West", "East"])
    g = aggregate_by_team(d, START)
    east_best = g[(g["lane"] == "East") & (g["forecast_category"] == "best_case")]
    # D2 closes 1 Dec: offset 61 -> week 8 (offsets 56-62), drawn mid-week at offset 59 (29 Nov)
    # less 0.7 day, where best-case groups sit.
    assert east_best["amount"].tolist() == [25_000.0]
    assert east_best["close_date"].tolist() == [pd.Timestamp("2026-11-28 07:00")]  # - 17 h
    east_pipe = g[(g["lane"] == "East") & (g["forecast_category"] == "pipeline")]
    assert east_pipe["count"].tolist() == [1]
    two = pd.concat([d.iloc[[0]], d.iloc[[0]].assign(deal_id="D1b", amount=5.0)])
    g2 = aggregate_by_team(two, START)
    assert g2["count"].tolist() == [2] and g2["amount"].tolist() == [100_005.0]
    assert g2["status"].tolist() == ["open"] and g2["forecast_category"].tolist() == ["commit"]


def test_team_lanes_draw_groups_with_team_clicks():
    d = deals().assign(team=["East", "East", "East", "West", "West", "East"])
    g = aggregate_by_team(d, START)
    teams = pd.DataFrame(
        {
            "lane": ["East", "West"],
            "team": ["East", "West"],
            "kind": "team",
            "attainment": [0.5, 0.2],
            "pace": [0.576, 0.576],
        }
    )
    fig = make_course_figure(
        teams, g, quarter_start=START, quarter_end=END, as_of=AS_OF, group_by_team=False
    )
    go.Figure(fig.to_dict())
    commit = trace(fig, "Commit")
    assert list(commit.customdata[0][:2]) == ["team", "East"]
    assert "1 commit deal" in commit.customdata[0][4]
    assert [list(c) for c in trace(fig, "rider").customdata] == [["team", "East"], ["team", "West"]]
