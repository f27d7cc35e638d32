"""Readiness index and its components (no store, no browser).

as_of 2026-11-22; the 8 weeks end on 11-22, 11-15, 11-08, 11-01, 10-25, 10-18, 10-11, 10-04
(week 0 is 11-16..11-22). Team East: Ann, Bob, Cy (joined 11-05), Dee.

Activities per week (w0..w7): Ann 4 every week; Bob 1 in w0..w3, 0 after; Cy 2 in w0..w2 only;
Dee 3 every week. Team medians: w0..w2 median(4,1,2,3) = 2.5 -> bar 1.25; w3 median(4,1,0,3) = 2
-> bar 1; w4..w7 median(4,0,0,3) = 1.5 -> bar 0.75.
  Ann 8/8 = 100; Dee 8/8 = 100; Bob only w3 (1 >= 1) -> 1/8 = 12.5;
  Cy is judged on the 3 weeks ending on or after 11-05 (w0..w2), all >= 1.25 -> 3/3 = 100.

Ann's enablement: P1 due 11-01 done 10-30 (on time), P2 due 11-10 done 11-12 (late), P3 due
12-01 open (not yet due: not counted), P4 due 11-15 open (due: counted, missed), P5 optional
-> 1 of 3 = 33.33. Skill: assessment 80 (11-01), call score 60 (10-15); an assessment of 10 from
06-01 is older than 90 days -> mean 70. Hygiene: 3 of 4 open deals fine -> 75.
Index = (33.33 + 70 + 100 + 75) / 4 = 69.58 -> amber.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.metrics import band, readiness, team_readiness
from dashboard.metrics.frames import READINESS_COLUMNS, conform

AS_OF = "2026-11-22"
DAY = pd.Timestamp(AS_OF)
RIDERS = pd.DataFrame(
    {
        "rep": ["Ann", "Bob", "Cy", "Dee"],
        "team": ["East"] * 4,
        "start_date": pd.to_datetime([None, None, "2026-11-05", None]),
    }
)


def _counts():
    rows = []
    per_week = {
        "Ann": [4] * 8,
        "Bob": [1, 1, 1, 1, 0, 0, 0, 0],
        "Cy": [2, 2, 2, 0, 0, 0, 0, 0],
        "Dee": [3] * 8,
    }
    for rep, weeks in per_week.items():
        for w, n in enumerate(weeks):
            if n:
                rows.append(
                    {"rep": rep, "activity_date": DAY - pd.Timedelta(days=7 * w + 1), "n": n}
                )
    return pd.DataFrame(rows)


def _events():
    def ev(program, kind="course", required=True, due=None, done=None, score=None):
        return {
            "rep": "Ann",
            "owner_key": "ann",
            "program": program,
            "kind": kind,
            "required": required,
            "assigned_date": "2026-09-01",
            "due_date": due,
            "completed_date": done,
            "score": score,
        }

    rows = [
        ev("P1", due="2026-11-01", done="2026-10-30"),
        ev("P2", due="2026-11-10", done="2026-11-12"),
        ev("P3", due="2026-12-01"),
        ev("P4", due="2026-11-15"),
        ev("P5", required=False, due="2026-11-01"),
        ev("A1", kind="assessment", required=False, done="2026-11-01", score=80.0),
        ev("C1", kind="call_score", required=False, done="2026-10-15", score=60.0),
        ev("A0", kind="assessment", required=False, done="2026-06-01", score=10.0),
    ]
    return conform(pd.DataFrame(rows), {**READINESS_COLUMNS, "rep": "object"})


HYGIENE = pd.DataFrame(
    {"open_deals": [4, 0, 2, 1], "hygiene_ok_deals": [3, 0, 1, 1]},
    index=["Ann", "Bob", "Cy", "Dee"],
)


@pytest.fixture
def result():
    return readiness(RIDERS, _events(), _counts(), HYGIENE, AS_OF)


def test_activity_consistency(result):
    assert result["activity"].to_dict() == {"Ann": 100.0, "Bob": 12.5, "Cy": 100.0, "Dee": 100.0}
    assert result.loc["Cy", ["activity_weeks", "activity_weeks_ok"]].tolist() == [3, 3]
    assert result.loc["Bob", ["activity_weeks", "activity_weeks_ok"]].tolist() == [8, 1]


def test_ann_components_and_inputs(result):
    ann = result.loc["Ann"]
    assert ann["enablement_due"] == 3 and ann["enablement_on_time"] == 1
    assert ann["enablement"] == pytest.approx(100 / 3)
    assert ann["skill_scores"] == 2 and ann["skill"] == 70.0
    assert ann["hygiene_deals"] == 4 and ann["hygiene"] == 75.0
    assert ann["readiness_index"] == pytest.approx((100 / 3 + 70 + 100 + 75) / 4)
    assert ann["readiness_band"] == "amber"


def test_missing_components_renormalise(result):
    bob = result.loc["Bob"]
    # No enablement, no scores, no open deals: the index is the activity component alone.
    assert pd.isna(bob["enablement"]) and pd.isna(bob["skill"]) and pd.isna(bob["hygiene"])
    assert bob["readiness_index"] == 12.5 and bob["readiness_band"] == "red"
    assert result.loc["Cy", "readiness_index"] == pytest.approx((100 + 50) / 2)


def test_weights():
    weights = {"enablement": 0.0, "skill": 1.0, "activity": 1.0, "hygiene": 2.0}
    out = readiness(RIDERS, _events(), _counts(), HYGIENE, AS_OF, weights)
    # Ann: (70 + 100 + 2 * 75) / 4 = 80
    assert out.loc["Ann", "readiness_index"] == 80.0
    assert out.loc["Ann", "readiness_band"] == "green"


def test_no_data_at_all():
    out = readiness(RIDERS, _events().iloc[0:0], _counts().iloc[0:0], HYGIENE.iloc[0:0], AS_OF)
    assert out["readiness_index"].isna().all()
    assert out["readiness_band"].isna().all()
    assert team_readiness(out["readiness_index"]) is None


def test_team_index_is_the_mean_of_reps(result):
    expected = ((100 / 3 + 70 + 100 + 75) / 4 + 12.5 + 75 + 100) / 4  # Dee: (100 + 100) / 2
    assert team_readiness(result["readiness_index"]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (70.0, "green"),
        (69.999, "amber"),
        (50.0, "amber"),
        (49.99, "red"),
        (0.0, "red"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_bands_on_the_unrounded_value(value, expected):
    assert band(value) == expected
