"""Forecast builders (no store, no browser): the trend with its fan, the range in numbers, the
math. Every expected value is worked out by hand from the tiny frames below."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.figures import forecast as ff
from dashboard.metrics import forecast as fc
from tests.support.callbacks import texts

START, END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)  # 92 days
AS_OF = dt.date(2026, 10, 22)
LANDING = {
    "quota": 92000.0,
    "won": 15000.0,
    "p10": 20000.0,
    "p50": 30000.0,
    "p90": 45000.0,
    "mean": 34778.14,
    "chance_of_quota": 0.25,
    "from_open": 17278.14,
    "from_new": 2500.0,
}


def _trend() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": [dt.date(2026, 10, 8), AS_OF],
            "won": [0.0, 15000.0],
            "commit_forecast": [15000.0, 35000.0],
            "best_case_forecast": [15000.0, 35000.0],
            "open_pipeline": [35000.0, 30000.0],
            "weighted_pipeline": [18000.0, 14000.0],
            "quota": [92000.0, 92000.0],
            "pace": [8 / 92, 22 / 92],
            "call_commit": [30000.0, 33000.0],
            "call_status": ["carried", "carried"],
        }
    )


def _figure(trend=None, landing=LANDING, as_of=AS_OF):
    return ff.make_trend_figure(
        _trend() if trend is None else trend,
        landing,
        quarter_start=START,
        quarter_end=END,
        as_of=as_of,
    )


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_the_fan_ends_at_the_landing_range():
    fig = _figure()
    end = pd.Timestamp(END)
    band = _trace(fig, "Landing range p10–p90")
    # from won on as_of up to p90 at the finish, down to p10, back to won
    assert list(band.x) == [pd.Timestamp(AS_OF), end, end, pd.Timestamp(AS_OF)]
    assert list(band.y) == [15000, 45000, 20000, 15000]
    p50 = _trace(fig, "Landing p50")
    assert list(p50.y) == [15000, 30000] and list(p50.x)[-1] == end
    finish = _trace(fig, "At the finish")
    assert list(finish.y) == [20000, 30000, 45000]
    assert [c[0] for c in finish.customdata] == ["fan"] * 3
    label = fig.layout.annotations[0].text
    assert "p50 30k" in label and "p10 20k" in label and "p90 45k" in label


def test_the_commit_call_is_a_step_and_quota_and_pace_are_lines():
    fig = _figure()
    call = _trace(fig, "Commit call")
    assert call.line.shape == "hv"
    assert list(call.y) == [30000, 33000]
    quota = _trace(fig, "Quota")
    assert list(quota.y) == [92000, 92000]
    pace = _trace(fig, "Pace")
    # quota x share of the quarter elapsed: 1/92 of quota on day 1, all of it on the last day
    assert list(pace.y) == [pytest.approx(1000.0), 92000]
    assert list(pace.x) == [pd.Timestamp(START), pd.Timestamp(END)]


def test_trend_points_carry_their_figure_and_day():
    fig = _figure()
    won = _trace(fig, "Won")
    assert list(won.y) == [0, 15000]
    assert [list(c) for c in won.customdata] == [["won", "2026-10-08"], ["won", "2026-10-22"]]
    assert "15,000" in won.text[-1]
    assert _trace(fig, "Open pipeline").visible == "legendonly"
    assert _trace(fig, "Commit forecast").visible is True


@pytest.mark.parametrize(
    ("landing", "as_of"),
    [
        ({**LANDING, "p10": None, "p50": None, "p90": None}, AS_OF),  # no range
        (LANDING, END),  # the last day: nothing left to draw forward
    ],
)
def test_no_fan_without_a_range_or_a_future(landing, as_of):
    fig = _figure(landing=landing, as_of=as_of)
    assert not [t for t in fig.data if t.name and t.name.startswith("Landing")]


def test_an_empty_trend_says_so():
    fig = _figure(trend=_trend().iloc[:0])
    assert any("No snapshots" in (a.text or "") for a in fig.layout.annotations)


@pytest.mark.parametrize(
    ("customdata", "point"),
    [
        (["won", "2026-10-22"], ("won", "2026-10-22")),
        (["fan", "p50"], ("fan", "p50")),
        (["call", "2026-10-22"], None),
        (["won", "not a day"], None),
        (["secret", "2026-10-22"], None),
        ("won", None),
    ],
)
def test_trend_point(customdata, point):
    assert ff.trend_point({"points": [{"customdata": customdata}]}) == point
    assert ff.trend_point(None) is None


def test_method_sentences():
    crm = ff.method_sentence(fc.CRM_PROBABILITY, 8, [])
    assert crm.startswith("No past quarter has a snapshot in week 8 of its quarter")
    assert "CRM's probability" in crm and "no new business" in crm
    ref = ff.method_sentence(fc.REFERENCE, 4, ["2026-Q2", "2026-Q3"])
    assert ref.startswith("Made from 2 past quarters at week 4 (2026-Q2, 2026-Q3)")
    assert ff.method_sentence(fc.ENDED, 14, []).startswith("The quarter has ended")


def test_range_summary_in_numbers():
    call = {"commit": 33000.0, "status": "carried", "week": 3, "by": None}
    words = texts(
        ff.make_range_summary(LANDING, method=fc.REFERENCE, week=4, past=["2026-Q2"], call=call)
    )
    assert "30k" in words  # p50
    assert "33% of quota 92k" in words  # 30,000 / 92,000
    assert "20k – 45k" in words and "25%" in words
    # mean = won so far + from open + from new
    assert words[words.index("34,778") : words.index("34,778") + 5] == [
        "34,778",
        " = won so far ",
        "15,000",
        " + from open deals ",
        "17,278",
    ]
    assert "2,500" in words and "33,000" in words and " · carried from week 3" in words
    no_quota = texts(
        ff.make_range_summary(
            {**LANDING, "quota": None, "chance_of_quota": None},
            method=fc.CRM_PROBABILITY,
            week=8,
            past=[],
        )
    )
    assert "no quota loaded" in no_quota
    assert any(w.startswith("No past quarter has a snapshot in week 8") for w in no_quota)


def test_rates_with_their_counts():
    # Ann's commit bucket at week 4 of the forecast book: she 1 of 2, East 2 of 3, pooled 3/5
    rep = pd.DataFrame(
        [("Ann", "East", "commit", 2, 1, 0.5, 2 / 12, 5 / 8, 29 / 48)],
        columns=list(fc.REP_RATE_COLUMNS),
    )
    team = pd.DataFrame(
        [("East", "commit", 3, 2, 5, 3, 0.6, 5 / 8)], columns=list(fc.TEAM_RATE_COLUMNS)
    )
    rows = ff.rate_rows(rep, team, fc.REFERENCE)
    assert rows[0] == {
        "bucket": "Commit",
        "rep_count": "1 / 2",
        "team_count": "2 / 3",
        "pooled": "3 / 5 = 60%",
        "team_rate": "62%",
        "weight": "0.17",
        "rate": "60%",
        "source": "history",
    }
    assert [r["bucket"] for r in rows] == ["Commit", "Best case", "Pipeline", "Omitted"]
    assert rows[3]["rate"] == "—" and rows[3]["source"] == "CRM probability"
    assert ff.rate_rows(rep, team, fc.CRM_PROBABILITY)[0]["source"] == "CRM probability"


def test_deals_times_rate_largest_expected_first():
    deals = pd.DataFrame(
        {
            "source": ["sf", "sf"],
            "deal_id": ["A42", "A41"],
            "deal_name": ["<b>Deal</b> A42", "Deal A41"],
            "close_date": [pd.Timestamp("2026-12-15"), pd.Timestamp("2026-11-10")],
            "forecast_category": ["pipeline", "commit"],
            "bucket": ["pipeline", "commit"],
            "amount": [10000.0, 20000.0],
            "rate": [40 / 77, 29 / 48],
            "rate_source": ["history", "history"],
            "expected": [10000 * 40 / 77, 20000 * 29 / 48],
        }
    )
    records = ff.deal_math_records(deals)
    assert [r["deal_name"] for r in records] == ["Deal A41", "<b>Deal</b> A42"]
    assert records[0]["expected"] == pytest.approx(12083.33, abs=0.01)
    assert records[0]["category"] == "Commit" and records[0]["close_date"] == "2026-11-10"
    body = ff.make_deal_math(deals, "grid")
    assert texts(body)[0] == (
        "2 open deals closing this quarter · Σ amount × rate = 17,278 (from open deals)"
    )
