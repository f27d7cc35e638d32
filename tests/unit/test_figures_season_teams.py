"""The Season page's team overview (all teams, above 60 riders) is one grid of the teams."""

from __future__ import annotations

import pandas as pd

from dashboard import ids
from dashboard.figures.season import team_overview_table


def test_each_team_is_one_row_with_its_totals_and_attainment_from_them():
    overview = pd.DataFrame(
        {
            "team": ["East", "West", "(no team)"],
            "riders": [3, 2, 1],
            # East 90,000 of 120,000 = 0.75; West 30,000 of 60,000 = 0.5; no quota: no attainment
            "ytd_won": [90_000.0, 30_000.0, 5_000.0],
            "ytd_quota": [120_000.0, 60_000.0, 0.0],
            "attainment": [0.75, 0.5, float("nan")],
            "sitting_in": [1, 0, 0],
            "ramping": [0, 1, 0],
        }
    )
    grid = team_overview_table(overview, ids.SEASON_TEAMS_GRID)
    assert grid.id == ids.SEASON_TEAMS_GRID
    assert [r["team"] for r in grid.rowData] == ["East", "West", "(no team)"]
    east, west, none = grid.rowData
    assert east == {
        "team": "East",
        "riders": 3,
        "ytd_won": 90_000.0,
        "ytd_quota": 120_000.0,
        "attainment": 0.75,
        "sitting_in": 1,
        "ramping": 0,
    }
    assert west["attainment"] == 0.5 and west["ramping"] == 1
    assert none["attainment"] is None  # shown as '—', never NaN in the browser's JSON
    assert [c["field"] for c in grid.columnDefs] == [
        "team",
        "riders",
        "ytd_won",
        "ytd_quota",
        "attainment",
        "sitting_in",
        "ramping",
    ]
