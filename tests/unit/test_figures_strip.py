"""The team strip, deal details and number formats (pure builders, no store, no browser)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.figures import style
from dashboard.figures.details import make_deal_details
from dashboard.figures.strip import make_team_strip, moved_summary, must_be_true
from tests.support.callbacks import texts


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_234_567, "1.23M"),
        (12_345_678, "12.3M"),
        (340_000, "340k"),
        (9_500, "9.5k"),
        (950, "950"),
        (-4_405_886.9, "−4.41M"),
        (None, "—"),
        (float("nan"), "—"),
        (2_500_000_000, "2.50B"),
    ],
)
def test_money(value, text):
    assert style.money(value) == text


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (0.423, False, "42%"),
        (0.0, True, "0%"),
        (0.05, True, "+5%"),
        (-0.004, False, "0%"),
        (None, False, "—"),
    ],
)
def test_pct(value, signed, text):
    assert style.pct(value, signed=signed) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0.07, "+7 pts"), (-0.123, "−12 pts"), (0.001, "on pace")]
)
def test_points(value, text):
    assert style.points(value) == text


def test_esc_shows_markup_as_text():
    assert style.esc("<b>Ann</b> & co") == "&lt;b&gt;Ann&lt;/b&gt; &amp; co"
    assert style.esc(None) == "—"


TEAM = {
    "quota": 1_000_000.0,
    "won": 400_000.0,
    "attainment": 0.4,
    "pace_gap": -176_000.0,
    "commit_forecast": 700_000.0,
    "best_case_forecast": 900_000.0,
    "coverage": 1.5,
    "open_pipeline": 900_000.0,
    "needed_pipeline": 300_000.0,
    "needed_deals": 6,
    "win_rate": 0.5,
    "avg_won_deal": 100_000.0,
}


def test_must_be_true_when_pipeline_is_short():
    # 600k to go at a 50% win rate needs 1.2M of pipeline; 900k is open: 300k more.
    value, sub, tone = must_be_true(TEAM)
    assert value == "+300k pipeline"
    assert sub == "to win 600k at a 50% win rate · ≈6 more wins of 100k"
    assert tone == "tone-behind"


def test_must_be_true_when_pipeline_is_enough():
    value, sub, _ = must_be_true({**TEAM, "needed_pipeline": 0.0, "open_pipeline": 1_500_000.0})
    assert value == "Pipeline is enough"
    assert sub.startswith("convert 600k of 1.50M open at 50%")


def test_must_be_true_when_quota_is_met_or_unknown():
    assert must_be_true({**TEAM, "won": 1_200_000.0})[0] == "Quota met"
    assert must_be_true({**TEAM, "quota": 0.0})[0] == "—"
    no_rate = must_be_true({**TEAM, "win_rate": None, "needed_pipeline": None})
    assert no_rate[0] == "600k to go"


def test_a_finished_quarter_says_how_it_finished():
    # 400k won of 1M: 40 %, 600k short; no pipeline is asked for once the quarter is over.
    value, sub, tone = must_be_true(TEAM, finished=True)
    assert (value, sub, tone) == (
        "Finished at 40%",
        "won 400k of 1.00M · 600k short of quota",
        "tone-behind",
    )
    value, sub, tone = must_be_true({**TEAM, "won": 1_250_000.0}, finished=True)
    assert (value, sub, tone) == (
        "Finished at 125%",
        "won 1.25M of 1.00M · 250k over quota",
        "tone-ahead",
    )
    strip = texts(make_team_strip(TEAM, pace=1.0, finished=True))
    assert "How it finished" in strip and "What must be true" not in strip
    assert "What must be true" in texts(make_team_strip(TEAM, pace=0.5))


def test_moved_summary():
    assert moved_summary(None) == (0, "no earlier snapshot to compare with")
    assert moved_summary({"won": 0}) == (0, "nothing moved")
    total, words = moved_summary(
        {"pushed_out": 3, "pulled_in": 1, "created": 2, "won": 4, "lost": 0}
    )
    assert total == 10
    assert words == "3 pushed out · 1 pulled in · 2 new"


def test_team_strip_cards():
    strip = make_team_strip(
        TEAM,
        pace=0.576,
        movement={"pushed_out": 2, "won": 1},
        since=dt.date(2026, 11, 15),
        label="East",
    )
    words = texts(strip)
    assert words[:3] == ["East attainment", "40%", "pace 58% · −18 pts"]
    for expected in (
        "Pace gap",
        "−176k",
        "won 400k of 1.00M quota",
        "Commit forecast",
        "700k",
        "70% of quota · won + commit",
        "Best-case forecast",
        "900k",
        "Coverage",
        "1.5×",
        "900k open for 600k to go",
        "Moved since 15 Nov",
        "3 deals",
        "2 pushed out · 1 won",
        "What must be true",
        "+300k pipeline",
    ):
        assert expected in words, expected


def test_deal_details_show_text_as_text():
    deal = {
        "deal_name": "<b>x</b>",
        "account": "<script>",
        "rep": "Ann",
        "team": "East",
        "amount": 12_345.0,
        "stage": "Proposal",
        "forecast_category": "best_case",
        "probability": 0.4,
        "status": "open",
        "close_date": pd.Timestamp("2026-12-01"),
        "push_count": 2,
        "next_step": None,
        "source": "salesforce",
        "deal_id": "D1",
    }
    trail = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2026-11-15", "2026-11-22"]),
            "close_date": pd.to_datetime(["2026-11-20", "2026-12-01"]),
            "amount": [12_000.0, 12_345.0],
            "stage": ["Proposal", "Proposal"],
            "forecast_category": ["commit", "best_case"],
        }
    )
    words = texts(make_deal_details(deal, trail))
    assert "<script>" in words  # Dash writes it as text, not markup
    for expected in (
        "12,345",
        "Best case",
        "40%",
        "1 Dec 2026",
        "2×",
        "—",
        "Snapshot by snapshot",
        "15 Nov",
        "20 Nov 2026",
        "12,000",
        "Commit",
    ):
        assert expected in words, expected
