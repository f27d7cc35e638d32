"""The Season page's general classification is one grid: its rows (display text, and the numbers
the heat strip is coloured from), the heat strip's colour conditions and the rider's link."""

from __future__ import annotations

import re

import pandas as pd

from dashboard import urls
from dashboard.figures import season as fs


class _Q:
    def __init__(self, number: int) -> None:
        self.number = number
        self.name = f"2026-Q{number}"


QUARTERS = [_Q(n) for n in range(1, 5)]


def _gc() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "rank_change": [3, float("nan")],
            "team": ["East", "West"],
            "ytd_won": [250_000.0, 40_000.0],
            "attainment": [1.25, 0.4],
            "pace": [0.88, 0.88],
            # Ann: Q1 100% (dark green), Q2 95% (green), Q3 60% (amber); Q4 not begun (grey)
            "att_1": [1.0, 0.2],
            "att_2": [0.95, float("nan")],
            "att_3": [0.6, 0.49],
            "att_4": [float("nan"), 0.5],
            "won_1": [100_000.0, 10_000.0],
            "won_2": [95_000.0, 0.0],
            "won_3": [55_000.0, 30_000.0],
            "won_4": [0.0, 0.0],
            "coverage": [2.0, 0.5],
            "readiness_index": [81.4, float("nan")],
            "readiness_band": ["green", None],
            "sitting_in": [False, True],
            "ramping": [False, True],
            "no_quota": [False, False],
            "created": [0.0, 1_000.0],
            "team_created_median": [0.0, 10_000.0],
            "advances": [0, 1],
            "team_advances_median": [0.0, 4.0],
        },
        index=pd.Index(["Ann [Lead] *", "Bob"], name="rep"),
    )


def test_rows_are_the_pages_riders_as_text_and_heat_numbers():
    ann, bob = fs.gc_rows(_gc(), QUARTERS, urls.rider_path)
    assert (ann["rep"], ann["rank"], ann["change"], ann["change_v"]) == (
        "Ann [Lead] *",
        "1",
        "▲ 3",
        3,
    )
    assert (bob["change"], bob["change_v"]) == ("–", 0)
    assert (ann["ytd_won"], ann["attainment"], ann["att_1"], ann["att_4"]) == (
        "250k",
        "125%",
        "100%",
        "—",
    )
    assert (ann["att_2_v"], ann["att_4_v"]) == (0.95, None)
    assert ann["att_3_tip"].startswith("Ann [Lead] * · 2026-Q3: won 55k")
    assert (ann["form"], ann["band"], bob["form"], bob["band"]) == ("81", "green", "—", None)
    assert (ann["flags"], bob["flags"]) == ("", "sitting in · ramping")
    assert ann["flags_tip"] is None and "1 stage advances (team median 4)" in bob["flags_tip"]
    # the name is a markdown link: its characters escaped, the address the rider page's
    assert ann["rider"] == r"[Ann \[Lead\] \*](" + urls.rider_path("Ann [Lead] *") + ")"


def _colour(style: dict, value: float | None) -> str:
    """The background the grid picks: the first condition that holds, else the default."""
    for c in style["styleConditions"]:
        expr = c["condition"].replace("params.data.v", "value")
        m = re.fullmatch(r"value (==|>=) (null|[0-9.]+)", expr)
        op, bound = m.groups()
        if (op == "==" and value is None) or (
            op == ">=" and value is not None and value >= float(bound)
        ):
            return c["style"]["backgroundColor"]
    return style["defaultStyle"]["backgroundColor"]


def test_the_heat_strips_conditions_are_heat_colour():
    style = fs._heat_style("v")
    for value in (None, 0.0, 0.49, 0.5, 0.89, 0.9, 0.99, 1.0, 1.9):
        assert _colour(style, value) == fs.heat_colour(value)
    # white ink on the dark green only (100% and over), as _ink
    inks = {
        c["style"]["backgroundColor"]: c["style"].get("color") for c in style["styleConditions"]
    }
    assert inks["#15803d"] == "#ffffff" and inks["#4ade80"] != "#ffffff"


def test_the_columns_carry_the_stages_names_and_the_clickable_cells():
    cols = {c["field"]: c for c in fs.gc_columns(QUARTERS)}
    assert [cols[f"att_{n}"]["headerName"] for n in range(1, 5)] == ["Q1", "Q2", "Q3", "Q4"]
    assert "2026-Q3" in cols["att_3"]["headerTooltip"]
    assert cols["rider"]["cellRenderer"] == "markdown"
    assert "gc-click" in cols["ytd_won"]["cellClass"]
