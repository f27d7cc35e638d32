"""Sitting in where it is shown beside the rider: the Course's column and hover, the Rider's badge.

Unit tests: no store, no browser. The small year of ``test_metrics_season`` (team East, as_of
2026-11-15, the last 4 weeks Oct 19 - Nov 15): Ann created N1 20k + N2 10k = 30k and made 4 stage
advances; Ben created N3 5k (N4 on Oct 1 is before) and made none (B2 was won on Oct 15). Team
medians: created (30k + 5k) / 2 = 17.5k, advances (4 + 0) / 2 = 2. Ben: 5k < 8.75k and 0 < 1, so
he sits in; Ann is over both halves.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.figures.course import make_course_figure
from dashboard.figures.season import sitting_badge, sitting_words
from dashboard.metrics import season as ms
from dashboard.models.season import SittingIn, with_sitting
from tests.unit.test_metrics_season import AS_OF, RIDERS, _classified, _deals

BEN_WORDS = (
    "created 5,000 in the last 4 weeks (team median 17,500) and 0 stage advances (team median 2)"
)


def _sitting() -> SittingIn:
    deals, classified = _deals(), _classified()
    lo = AS_OF - dt.timedelta(days=ms.SITTING_IN_DAYS - 1)
    return SittingIn(
        AS_OF,
        ms.sitting_in(deals, classified, RIDERS, AS_OF),
        ms.generated_rows(deals, lo, AS_OF, ["Ann", "Ben"]),
        ms.advance_rows(classified, AS_OF, ["Ann", "Ben"]),
    )


def _lanes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lane": ["Ann", "Ben"],
            "team": ["East", "East"],
            "attainment": [0.72, 0.69],
            "pace": [0.5, 0.5],
            "coverage": [1.2, 0.4],
            "readiness_index": [70.0, 40.0],
            "readiness_band": ["green", "red"],
            "won": [70_000.0, 50_000.0],
            "quota": [100_000.0, 80_000.0],
        }
    )


def test_the_two_numbers_in_words():
    row = _sitting().row("Ben")
    assert row["sitting_in"]
    words = sitting_words(
        row["created"], row["team_created_median"], row["advances"], row["team_advances_median"]
    )
    assert words == BEN_WORDS
    assert "1 stage advance (" in sitting_words(10, 20, 1, 2)


def test_the_course_marks_ben_beside_his_lane_with_the_numbers_in_the_hover():
    lanes = with_sitting(_lanes(), _sitting())
    assert lanes["sitting_in"].tolist() == [False, True]
    assert lanes["sit_created"].tolist() == [30_000.0, 5_000.0]
    assert lanes["sit_advances_median"].tolist() == [2.0, 2.0]
    fig = make_course_figure(
        lanes,
        None,
        quarter_start=dt.date(2026, 10, 1),
        quarter_end=dt.date(2026, 12, 31),
        as_of=AS_OF,
        group_by_team=False,
        quarter_name="2026-Q4",
    )
    column = next(t for t in fig.data if t.name == "sitting in")
    assert list(column.text) == ["", "sits in"]
    assert column.xaxis == "x7"
    heads = [a.text for a in fig.layout.annotations]
    assert "<b>Sits in</b>" in heads
    hover = next(t for t in fig.data if t.name == "rider").hovertemplate
    assert f"<b>Sitting in</b>: {BEN_WORDS}: both under half the team's median" in hover[1]
    # Ann is not sitting in: her numbers are there, unflagged.
    assert (
        "Created 30,000 in the last 4 weeks (team median 17,500) and 4 stage advances" in hover[0]
    )
    assert "Sitting in" not in hover[0]


def test_a_lane_without_the_table_gets_no_column_text():
    fig = make_course_figure(
        _lanes(),
        None,
        quarter_start=dt.date(2026, 10, 1),
        quarter_end=dt.date(2026, 12, 31),
        as_of=AS_OF,
        group_by_team=False,
    )
    column = next(t for t in fig.data if t.name == "sitting in")
    assert list(column.text) == ["", ""]


def test_the_riders_badge():
    table = _sitting()
    badge = sitting_badge(table.row("Ben"))
    assert badge.children == "Sitting in"
    assert "tone-behind" in badge.className
    assert BEN_WORDS in badge.title
    assert sitting_badge(table.row("Ann")) is None
    assert sitting_badge(None) is None
    # narrowed to Ben alone, the team medians stay the whole team's
    ben = table.narrowed(["Ben", "Nobody"])
    assert ben.table.index.tolist() == ["Ben"]
    assert ben.row("Ben")["team_created_median"] == 17_500
    assert ben.advances.empty and ben.created["deal_id"].tolist() == ["N3"]
