"""The Rider's picker: every rider of the view when they are few (the demo's 24), the rider's own
team and a way to the directory when there are many (2,000 at full size: the whole list was half
of the page's first response)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def rider():
    """The Rider page as an app registers it (importing it bare would register its callbacks
    with no app, and the next app in this process would get them twice)."""
    from dashboard.app import create_app

    create_app()
    return sys.modules["dashboard.pages.rider"]


def _lanes(teams: int, per_team: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"lane": f"Rep {t:02d}{i:02d}", "team": f"Team {t:02d}"}
            for t in range(teams)
            for i in range(per_team)
        ]
    )


def test_a_few_riders_are_all_listed(rider):
    options = rider._picker_options(_lanes(3, 8), "Team 01")
    assert options[0] == {"label": "Choose a rider…", "value": ""}
    assert len(options) == 1 + 24 and rider.DIRECTORY not in [o["value"] for o in options]
    assert options[1] == {"label": "Rep 0000 · Team 00", "value": "Rep 0000"}  # by name


def test_many_riders_list_the_riders_team_and_the_directory(rider):
    options = rider._picker_options(_lanes(20, 10), "Team 07")
    values = [o["value"] for o in options]
    assert values == ["", *[f"Rep 07{i:02d}" for i in range(10)], rider.DIRECTORY]
    assert options[-1]["label"] == "All riders…"
    # the directory page itself (no rider, so no team) keeps every rider
    assert len(rider._picker_options(_lanes(20, 10))) == 1 + 200


def test_all_riders_opens_the_directory_with_the_shared_state(rider):
    canonical = {"search": "?quarter=2026-Q4&team=East&page=3"}
    data = {"rep": "Rep 0701"}
    assert rider.pick_rider(rider.DIRECTORY, data, canonical) == "/rider?quarter=2026-Q4&team=East"
    assert rider.pick_rider("Rep 0702", data, canonical).startswith("/rider/Rep%200702?")
    assert rider.pick_rider("Rep 0701", data, canonical) is rider.no_update
