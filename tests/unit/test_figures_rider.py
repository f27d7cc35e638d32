"""Rider builders: flags, what must be true, trend, activity, readiness, notes (no store)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.figures import rider as fr
from dashboard.models.rider import activity_weeks_by_type, ramp_stage, tenure_words, trend_days
from loaders.fiscal import parse_quarter
from tests.support.callbacks import texts

Q = parse_quarter("2026-Q4")
AS_OF = dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("days", "stage"),
    [
        (None, None),
        (-3, "not started"),
        (0, "onboarding"),
        (90, "onboarding"),
        (91, "ramping"),
        (180, "ramping"),
        (181, "ramped"),
    ],
)
def test_ramp_stage(days, stage):
    assert ramp_stage(days) == stage


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (None, "—"),
        (1, "1 day"),
        (45, "45 days"),
        (75, "2 mo"),
        (365, "1 yr"),
        (800, "2 yr 2 mo"),
        (-4, "starts in 4 days"),
    ],
)
def test_tenure_words(days, words):
    assert tenure_words(days) == words


def test_trend_days_are_the_quarters_snapshots_up_to_now():
    days = [
        dt.date(2026, 9, 27),
        dt.date(2026, 10, 4),
        dt.date(2026, 11, 15),
        dt.date(2026, 11, 22),
        dt.date(2026, 11, 29),
    ]
    assert trend_days(days, Q, AS_OF) == [dt.date(2026, 10, 4), dt.date(2026, 11, 15), AS_OF]
    assert trend_days([], Q, dt.date(2026, 11, 20)) == [dt.date(2026, 11, 20)]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (
            {
                "past_due": True,
                "stale": True,
                "push_count": 3,
                "no_next_step": True,
                "no_expert": True,
            },
            ["past due", "stale", "pushed 3×", "no next step", "large, no expert support"],
        ),
        ({"push_count": 1}, []),
        ({"push_count": 2}, ["pushed 2×"]),
        ({}, []),
    ],
)
def test_flag_words(row, words):
    assert fr.flag_words(row) == words


def test_deal_records_and_summary():
    deals = pd.DataFrame(
        {
            "source": "sf",
            "deal_id": ["A", "B"],
            "deal_name": ["<b>Big</b> deal", "Small"],
            "account": ["Acme", None],
            "stage": ["Proposal", "Discovery"],
            "forecast_category": ["commit", "pipeline"],
            "amount": [300_000.0, 10_000.0],
            "close_date": pd.to_datetime(["2026-12-01", "2026-11-10"]),
            "last_touch": pd.to_datetime(["2026-11-01", None]),
            "push_count": [2, 0],
            "next_step": [None, "Call"],
            "experts": [0, 1],
            "large": [True, False],
            "no_expert": [True, False],
            "stale": [True, False],
            "past_due": [False, True],
            "pushed": [True, False],
            "no_next_step": [True, False],
            "flag_count": [4, 1],
        }
    )
    recs = fr.deal_records(deals)
    assert recs[0]["deal_name"] == "<b>Big</b> deal"  # text for the grid, not HTML
    assert recs[0]["flags"] == "stale · pushed 2× · no next step · large, no expert support"
    assert recs[1]["flags"] == "past due" and recs[1]["last_touch"] is None
    assert recs[0]["close_date"] == "2026-12-01" and recs[0]["amount"] == 300_000.0
    text = fr.flags_summary(deals, 188_000.0)
    assert text.startswith(
        "2 open deals closing this quarter · 2 flagged: 1 stale, 1 past due, "
        "1 pushed 2×+, 1 no next step, 1 large without expert"
    )
    assert "at least 188k" in text
    assert fr.flags_summary(deals.iloc[:0], None) == "no open deals closing this quarter"


FIG = {
    "quota": 500_000.0,
    "won": 150_000.0,
    "attainment": 0.3,
    "pace": 0.58,
    "pace_gap": -140_000.0,
    "open_pipeline": 900_000.0,
    "coverage": 2.57,
    "commit_forecast": 400_000.0,
    "commit": 250_000.0,
    "win_rate": 0.25,
    "avg_won_deal": 80_000.0,
    "needed_pipeline": 500_000.0,
    "needed_deals": 5,
    "stale_deals": 3,
    "past_due_deals": 1,
    "open_deals": 9,
    "no_quota": False,
    "enablement": 50.0,
    "enablement_due": 2,
    "enablement_on_time": 1,
    "skill": 71.0,
    "skill_scores": 3,
    "activity": 87.5,
    "activity_weeks": 8,
    "activity_weeks_ok": 7,
    "hygiene": None,
    "hygiene_deals": 0,
    "hygiene_ok": 0,
    "readiness_index": 69.5,
    "readiness_band": "amber",
}


def test_must_be_true_at_the_reps_own_rates():
    words = texts(fr.must_be_true(FIG, 39))
    assert words[0] == "Needs 500k more pipeline to win 350k."
    assert "350k" in words and "500k" in words and "≈5" in words and "39" in words
    assert " · at a 25% win rate, on top of 900k open" in words
    assert texts(fr.must_be_true({**FIG, "won": 600_000.0}, 10))[0].startswith("Quota met")
    assert (
        texts(fr.must_be_true({**FIG, "quota": 0.0}, 10))[0] == "No quota loaded for this quarter."
    )


def test_a_finished_quarter_says_how_the_rider_finished():
    # 150k won of 500k: 30 %, 350k short
    words = texts(fr.must_be_true(FIG, 0, finished=True))
    assert words[0] == "Finished at 30%: 150k won of 500k."
    assert "Short of quota by" in words and "350k" in words and "Pipeline needed" not in words
    over = texts(fr.must_be_true({**FIG, "won": 600_000.0}, 0, finished=True))
    assert "Over quota by" in over


def test_kpis_open_their_rows():
    row = fr.make_rider_kpis(FIG, kind="rider-kpi")
    keys = [col.children.id["key"] for col in row.children]
    assert keys == [
        "won",
        "pace_gap",
        "open_pipeline",
        "commit_forecast",
        "win_rate",
        "stale_deals",
    ]


def test_readiness_panel_shows_components_and_inputs():
    panel = fr.readiness_panel(FIG, kind="rider-component")
    words = texts(panel)
    assert "70" in words  # 69.5 shown rounded, band from the raw value
    assert "1 of 2 required programs on time" in words
    assert "mean of 3 recent scores" in words
    assert "7 of 8 weeks at half the team median or more" in words
    assert "no open deals" in words and "—" in words
    cards = panel.children[1].children
    assert [c.id["key"] for c in cards] == ["enablement", "skill", "activity", "hygiene"]
    assert "band-amber" in panel.children[0].children[1].className


def test_trend_figure():
    trend = pd.DataFrame(
        {
            "day": [dt.date(2026, 11, 15), AS_OF],
            "attainment": [0.2, 0.3],
            "pace": [0.5, 0.58],
            "won": [100.0, 150.0],
            "readiness_index": [60.0, 65.0],
        }
    )
    fig = fr.make_trend_figure(trend, quarter_start=Q.start, quarter_end=Q.end, as_of=AS_OF)
    assert [t.name for t in fig.data] == ["Pace", "Attainment"]
    assert list(fig.data[1].y) == [0.2, 0.3]
    assert fig.data[0].y[-1] == 1
    ready = fr.make_readiness_trend(trend)
    assert list(ready.data[0].y) == [60.0, 65.0]
    empty = fr.make_trend_figure(
        trend.iloc[:0], quarter_start=Q.start, quarter_end=Q.end, as_of=AS_OF
    )
    assert len(empty.data) == 1 and empty.layout.annotations


def test_activity_by_week_and_type_against_team_median():
    riders = pd.DataFrame({"rep": ["Ann", "Bo", "Cy"], "team": "East"})
    by_type = pd.DataFrame(
        {
            "rep": ["Ann", "Ann", "Ann", "Bo"],
            "activity_date": pd.to_datetime(
                ["2026-11-22", "2026-11-20", "2026-11-10", "2026-11-21"]
            ),
            "type": ["call", "email", "meeting", "call"],
            "n": [3, 2, 1, 9],
        }
    )
    counts = by_type.groupby(["rep", "activity_date"], as_index=False)["n"].sum()
    act = activity_weeks_by_type(by_type, counts, riders, "Ann", AS_OF)
    assert len(act) == 8 and act["week_end"].iloc[-1] == AS_OF
    last = act.iloc[-1]
    assert (last["call"], last["email"], last["meeting"], last["total"]) == (3, 2, 0, 5)
    assert last["team_median"] == 5.0  # Ann 5, Bo 9, Cy 0
    prev = act.iloc[-2]
    assert (prev["meeting"], prev["team_median"]) == (1, 0.0)
    fig = fr.make_activity_figure(act)
    assert [t.name for t in fig.data] == [
        "Calls",
        "Emails",
        "Meetings",
        "Other",
        "Team median",
        "Half the median",
    ]
    assert list(fig.data[5].y)[-1] == 2.5


def test_notes_list_renders_text_with_author_and_time():
    notes = [
        {
            "id": 7,
            "author": "Mia <script>",
            "body": "<b>Call</b> the CFO\nthen send terms",
            "created_at": dt.datetime(2026, 11, 20, 9, 5),
            "updated_at": dt.datetime(2026, 11, 21, 10, 0),
        },
        {
            "id": 3,
            "author": "Mia",
            "body": "First",
            "created_at": dt.datetime(2026, 11, 1, 8, 0),
            "updated_at": dt.datetime(2026, 11, 1, 8, 0),
        },
    ]
    ul = fr.notes_list(notes, edit_kind="rider-note-edit")
    words = texts(ul)
    assert "<b>Call</b> the CFO\nthen send terms" in words
    assert "Mia <script>" in words
    assert " · 20 Nov 2026 09:05" in words and " · edited 21 Nov 2026 10:00" in words
    assert " · edited" not in " ".join(texts(ul.children[1]))
    assert ul.children[0].children[1].children[1].id == {"type": "rider-note-edit", "index": 7}
    assert "No notes yet" in texts(fr.notes_list([], edit_kind="x"))[0]
