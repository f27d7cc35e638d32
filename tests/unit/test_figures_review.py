"""Review builders and the rows behind figures (pure functions: no store, no browser).

Expected values are worked out by hand from the small movement below.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.figures import review as fr
from dashboard.figures.trace_view import deal_flag_words, trace_records, trace_summary
from dashboard.metrics import compute_movement, compute_waterfall
from dashboard.metrics.frames import make_snapshots
from dashboard.models.review import day_options, resolve_days
from dashboard.models.trace import activity_weeks, enablement_rows, waterfall_rows, waterfall_trace
from loaders.fiscal import parse_quarter

Q = parse_quarter("2026-Q4")
A, B = dt.date(2026, 11, 15), dt.date(2026, 11, 22)


def deal(deal_id, owner, status, close, amount, **kw):
    return {
        "source": "sf",
        "deal_id": deal_id,
        "deal_name": kw.pop("name", deal_id),
        "owner": owner,
        "status": status,
        "close_date": close,
        "amount": amount,
        "stage": kw.pop("stage", "Proposal"),
        "forecast_category": "pipeline",
        **kw,
    }


def state(day, rows):
    df = make_snapshots(rows, snapshot_date=day)
    df["rep"] = df["owner"].astype("object")
    df["team"] = "East"
    return df


# SA: K (100, stays), U (50 -> 70), D (40 -> 30), W (20, won), P (10, pushed out), R (5, removed)
# SB adds: N (8, new), I (12, pulled in from January).
STATE_A = [
    deal("K", "Ann", "open", "2026-12-01", 100),
    deal("U", "Ann", "open", "2026-12-02", 50),
    deal("D", "Bo", "open", "2026-12-03", 40),
    deal("W", "Bo", "open", "2026-11-20", 20),
    deal("P", "Ann", "open", "2026-12-20", 10),
    deal("R", "Bo", "open", "2026-12-21", 5),
    deal("I", "Ann", "open", "2027-01-10", 12),
]
STATE_B = [
    deal("K", "Ann", "open", "2026-12-01", 100),
    deal("U", "Ann", "open", "2026-12-02", 70),
    deal("D", "Bo", "open", "2026-12-03", 30),
    deal("W", "Bo", "won", "2026-11-20", 20, stage="Closed Won"),
    deal("P", "Ann", "open", "2027-02-01", 10),
    deal("N", "Bo", "open", "2026-12-15", 8, name="<b>New</b> & co"),
    deal("I", "Ann", "open", "2026-12-12", 12),
]


@pytest.fixture
def movement():
    return compute_movement(state(A, STATE_A), state(B, STATE_B), Q)


def test_waterfall_steps_add_up_exactly(movement):
    w = compute_waterfall(movement)
    steps = fr.waterfall_steps(w)
    # start 225 (100+50+40+20+10+5); +8 new, +12 pulled in, +20 up, -10 down, -20 won, -10 pushed out, -5 removed
    assert steps == [
        ("start", 22500),
        ("created", 800),
        ("pulled_in", 1200),
        ("increased", 2000),
        ("decreased", -1000),
        ("won", -2000),
        ("lost", 0),
        ("pushed_out", -1000),
        ("removed", -500),
        ("end", 22000),
    ]
    assert sum(v for _, v in steps[:-1]) == steps[-1][1]


def test_waterfall_figure_bars(movement):
    w = compute_waterfall(movement)
    counts = movement["category"].value_counts().to_dict()
    fig = fr.make_waterfall_figure(w, counts, since=A, as_of=B)
    trace = fig.data[0]
    assert list(trace.customdata) == [
        "start",
        "created",
        "pulled_in",
        "increased",
        "decreased",
        "won",
        "lost",
        "pushed_out",
        "removed",
        "end",
    ]
    assert list(trace.measure) == ["absolute"] + ["relative"] * 8 + ["total"]
    assert list(trace.y) == [225, 8, 12, 20, -10, -20, 0, -10, -5, 220]
    assert trace.x[0] == "Start<br>15 Nov" and trace.x[-1] == "Now<br>22 Nov"
    assert "1 deal" in trace.hovertext[1] and "<b>New deals</b>" in trace.hovertext[1]


def test_waterfall_note_names_deals_shown_apart():
    w = {"start": 100.0, "end": 90.0, "won_new": 25.0}
    assert fr.waterfall_note(w, {"won_new": 1}).startswith("Net change −10 (100 → 90)")
    assert "1 deal created and won in between (25)" in fr.waterfall_note(w, {"won_new": 1})
    assert "created and won" not in fr.waterfall_note(w, {})


@pytest.mark.parametrize(
    "key",
    [
        "start",
        "created",
        "pulled_in",
        "increased",
        "decreased",
        "won",
        "lost",
        "pushed_out",
        "removed",
        "end",
    ],
)
def test_rows_behind_each_bar_re_add_to_it(movement, key):
    w = compute_waterfall(movement)
    trace = waterfall_trace(movement, key)
    assert trace.total == pytest.approx(w[key], abs=0.001)
    assert int(trace.rows["value_cents"].sum()) == round(w[key] * 100)


def test_rows_behind_bars_are_the_right_deals(movement):
    assert list(waterfall_rows(movement, "start")["deal_id"]) == ["K", "U", "D", "W", "P", "R"]
    assert list(waterfall_rows(movement, "created")["deal_id"]) == ["N"]
    assert list(waterfall_rows(movement, "increased")["value"]) == [20.0]
    assert list(waterfall_rows(movement, "decreased")["value"]) == [10.0]
    with pytest.raises(KeyError):
        waterfall_rows(movement, "nonsense")


def test_trace_records_keep_user_text_as_data(movement):
    trace = waterfall_trace(movement, "created")
    rec = trace_records(trace)
    assert rec[0]["deal_name"] == "<b>New</b> & co"  # the grid renders it as text
    assert rec[0]["movement"] == "New" and rec[0]["value"] == 8.0
    assert trace_summary(trace) == "1 deal · adding up to 8"


def test_deal_flag_words():
    assert (
        deal_flag_words({"past_due": True, "stale": True, "no_next_step": False})
        == "past due · stale"
    )
    assert deal_flag_words({}) == ""


def test_moved_columns_group_leads_and_spans():
    plain = fr.moved_columns(None)
    assert plain[0]["field"] == "deal_name" and not any(c.get("spanRows") for c in plain)
    by_rep = fr.moved_columns("rep")
    assert by_rep[0]["field"] == "rep" and by_rep[0]["spanRows"] and by_rep[0]["sort"] == "asc"
    by_cat = fr.moved_columns("category")
    assert by_cat[0]["field"] == "movement" and by_cat[0]["pinned"] == "left"
    # Nothing in any grid renders HTML: no cell renderers at all.
    assert not any("cellRenderer" in c for c in plain + by_rep)


def test_group_summary():
    moved = pd.DataFrame(
        {
            "rep": ["Ann", "Bo", "Ann"],
            "movement": ["Won", "New", "New"],
            "change": [-20.0, 8.0, 12.0],
        }
    )
    assert fr.group_summary(moved, "rep") == [
        {"name": "Ann", "deals": 2, "net": -8.0},
        {"name": "Bo", "deals": 1, "net": 8.0},
    ]
    assert fr.group_summary(moved, None) == []


def test_rollup_figure_escapes_names_and_marks_quota():
    roll = pd.DataFrame(
        {
            "rep": ["<i>Ann</i>", "Bo"],
            "team": ["East", "East"],
            "quota": [100.0, 0.0],
            "won": [40.0, 10.0],
            "commit": [30.0, 0.0],
            "best_case": [20.0, 5.0],
            "commit_forecast": [70.0, 10.0],
        }
    )
    fig = fr.make_rollup_figure(roll)
    assert [t.name for t in fig.data] == ["Won", "Commit", "Best case", "Quota"]
    assert list(fig.data[0].y) == ["Bo", "&lt;i&gt;Ann&lt;/i&gt;"]  # first rep on top
    quota = list(fig.data[3].x)
    assert quota[1] == 100.0 and pd.isna(quota[0])  # no quota: no marker


def test_rollup_figure_sums_teams_past_the_limit():
    n = fr.ROLLUP_CHART_MAX + 1
    roll = pd.DataFrame(
        {
            "rep": [f"R{i}" for i in range(n)],
            "team": ["East" if i % 2 else "West" for i in range(n)],
            "quota": 10.0,
            "won": 1.0,
            "commit": 2.0,
            "best_case": 3.0,
            "commit_forecast": 3.0,
        }
    )
    fig = fr.make_rollup_figure(roll)
    assert sorted(fig.data[0].y) == ["East", "West"]
    assert sorted(fig.data[0].x) == [20.0, 21.0]


def test_focus_figure_and_note():
    focus = pd.DataFrame(
        {
            "rank": [1, 2],
            "deal_name": ["<b>X</b>", "Y"],
            "rep": ["Ann", "Bo"],
            "forecast_category": ["commit", "pipeline"],
            "probability": [0.8, 0.5],
            "amount": [100.0, 50.0],
            "running_amount": [100.0, 150.0],
        }
    )
    fig = fr.make_focus_figure(focus, gap=120.0)
    assert fig.data[0].customdata[0][0] == "&lt;b&gt;X&lt;/b&gt;"
    assert list(fig.data[1].y) == [100.0, 150.0]
    assert fig.layout.shapes[0].y0 == 120.0
    assert (
        fr.focus_note({"gap": 120.0, "deals": 2, "deals_to_gap": 2})
        == "Gap to quota 120: winning the top 2 of 2 open deals closes it."
    )
    assert fr.focus_note({"gap": 0.0}).startswith("Quota is met")
    assert fr.focus_note({"gap": None}).startswith("No quota loaded")
    assert "would not close it" in fr.focus_note(
        {"gap": 500.0, "deals": 2, "deals_to_gap": None, "open_pipeline": 150.0}
    )


def test_review_kpis_are_clickable_cards():
    figures = {
        "quota": 1000.0,
        "won": 400.0,
        "attainment": 0.4,
        "pace": 0.5,
        "commit_forecast": 700.0,
        "commit": 300.0,
        "best_case_forecast": 900.0,
        "best_case": 200.0,
        "coverage": 1.5,
    }
    row = fr.make_review_kpis(
        figures,
        {"start": 900.0, "end": 1000.0},
        {"won": 2, "created": 1, "unchanged": 5},
        kind="review-kpi",
    )
    buttons = [col.children for col in row.children]
    assert [b.id["key"] for b in buttons] == [
        "end",
        "won",
        "commit_forecast",
        "best_case_forecast",
        "open_pipeline",
    ]
    gap = buttons[-1].children[1].children
    assert gap == "600"


# --- days --------------------------------------------------------------------------------------

DAYS = [
    dt.date(2026, 9, 27),
    dt.date(2026, 10, 4),
    dt.date(2026, 11, 8),
    dt.date(2026, 11, 15),
    dt.date(2026, 11, 22),
    dt.date(2026, 11, 23),
]


@pytest.mark.parametrize(
    ("query", "today", "now", "since"),
    [
        # The last two snapshots a week apart (today's is the latest on or before today).
        ({}, dt.date(2026, 11, 22), dt.date(2026, 11, 22), dt.date(2026, 11, 15)),
        # A snapshot after today is not "now".
        ({}, dt.date(2026, 11, 22), dt.date(2026, 11, 22), dt.date(2026, 11, 15)),
        # Mid-week: the latest snapshot, and the one a week or more before it.
        ({}, dt.date(2026, 11, 19), dt.date(2026, 11, 15), dt.date(2026, 11, 8)),
        # Explicit days win; a since not before now falls back to the default.
        (
            {"as_of": "2026-11-15", "since": "2026-10-04"},
            dt.date(2026, 11, 22),
            dt.date(2026, 11, 15),
            dt.date(2026, 10, 4),
        ),
        (
            {"as_of": "2026-11-15", "since": "2026-11-20"},
            dt.date(2026, 11, 22),
            dt.date(2026, 11, 15),
            dt.date(2026, 11, 8),
        ),
        # A gap in snapshots: the latest at least a week back.
        (
            {"as_of": "2026-11-08"},
            dt.date(2026, 11, 22),
            dt.date(2026, 11, 8),
            dt.date(2026, 10, 4),
        ),
        # Bad text is ignored.
        (
            {"as_of": "tuesday", "since": "x"},
            dt.date(2026, 11, 22),
            dt.date(2026, 11, 22),
            dt.date(2026, 11, 15),
        ),
    ],
)
def test_resolve_days(query, today, now, since):
    assert resolve_days(query, DAYS, Q, today) == (now, since)


def test_resolve_days_without_snapshots():
    assert resolve_days({}, [], Q, dt.date(2026, 11, 22)) == (
        dt.date(2026, 11, 22),
        dt.date(2026, 11, 15),
    )


def test_day_options_cover_the_quarter_and_the_choice():
    days = day_options(DAYS, Q, [dt.date(2026, 11, 1)], dt.date(2026, 11, 22))
    assert days == [
        dt.date(2026, 11, 22),
        dt.date(2026, 11, 15),
        dt.date(2026, 11, 8),
        dt.date(2026, 11, 1),
        dt.date(2026, 10, 4),
        dt.date(2026, 9, 27),
    ]


# --- readiness inputs -------------------------------------------------------------------------


def test_enablement_rows_count_as_the_metric_does():
    events = pd.DataFrame(
        {
            "rep": "Ann",
            "program": ["On time", "Late", "Not due", "Overdue", "Optional"],
            "kind": "course",
            "required": [True, True, True, True, False],
            "assigned_date": pd.to_datetime(["2026-10-01"] * 5),
            "due_date": pd.to_datetime(
                ["2026-11-01", "2026-11-01", "2026-12-15", "2026-11-10", "2026-11-01"]
            ),
            "completed_date": pd.to_datetime(["2026-10-30", "2026-11-05", None, None, None]),
            "score": float("nan"),
        }
    )
    rows = enablement_rows(events, B).set_index("program")
    assert rows.loc["On time", ["counted", "on_time"]].tolist() == [True, True]
    assert rows.loc["Late", ["counted", "on_time"]].tolist() == [True, False]
    assert rows.loc["Overdue", ["counted", "on_time"]].tolist() == [True, False]
    assert rows.loc["Not due", ["counted", "on_time"]].tolist() == [False, False]
    assert "Optional" not in rows.index


def test_activity_weeks_against_team_median():
    riders = pd.DataFrame(
        {
            "rep": ["Ann", "Bo", "Cy"],
            "team": "East",
            "start_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2026-11-10"]),
        }
    )
    counts = pd.DataFrame(
        {
            "rep": ["Ann", "Bo", "Cy", "Ann"],
            "activity_date": pd.to_datetime(
                ["2026-11-22", "2026-11-20", "2026-11-21", "2026-11-12"]
            ),
            "n": [2, 10, 6, 1],
        }
    )
    weeks = activity_weeks(counts, riders, "Cy", B)
    assert len(weeks) == 8
    # Week 0 (16-22 Nov): Ann 2, Bo 10, Cy 6 -> median 6, half 3: Cy ok.
    assert weeks.loc[0, ["activities", "team_median", "ok", "counted"]].tolist() == [
        6,
        6.0,
        True,
        True,
    ]
    # Week 1 (9-15 Nov): Ann 1, others 0 -> median 0: everyone ok; Cy started on the 10th.
    assert weeks.loc[1, ["activities", "team_median", "ok", "counted"]].tolist() == [
        0,
        0.0,
        True,
        True,
    ]
    assert weeks.loc[2, "counted"] is False or not weeks.loc[2, "counted"]


def test_long_traces_list_their_first_rows_but_count_them_all():
    from dashboard.figures.trace_view import ROWS_SHOWN
    from dashboard.models.trace import Trace

    n = ROWS_SHOWN + 100
    rows = pd.DataFrame(
        {
            "deal_name": [f"D{i}" for i in range(n)],
            "rep": "Ann",
            "category": "created",
            "value": 1.0,
            "source": "sf",
            "deal_id": [str(i) for i in range(n)],
        }
    )
    trace = Trace("created", "New deals", "movement", rows, float(n), n)
    assert len(trace_records(trace)) == ROWS_SHOWN
    assert trace_summary(trace) == (
        f"{n:,} deals · adding up to {n:,} · the first {ROWS_SHOWN:,} listed"
    )
