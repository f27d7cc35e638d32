"""The forecast's pure metrics, worked by hand (no store, no browser): weeks, the call in force,
the roll-up up the manager chain, bucket rates and their shrinkage, deal aggregates, the Monte
Carlo's properties, the backtest and call accuracy (docs/metrics.md#forecast)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.metrics import forecast as fc
from dashboard.metrics.frames import make_snapshots
from loaders.fiscal import parse_quarter

Q4 = parse_quarter("2026-Q4", 1)  # 2026-10-01 .. 2026-12-31, 92 days
Q3 = parse_quarter("2026-Q3", 1)  # 2026-07-01 .. 2026-09-30, 92 days
Q1 = parse_quarter("2026-Q1", 1)  # 2026-01-01 .. 2026-03-31, 90 days
D = dt.date


# --- weeks ----------------------------------------------------------------------------------


def test_weeks_of_a_quarter_end_with_a_short_week():
    # 92 days = 13 weeks of 7 + 1 day: week 14 is 2026-12-31 alone.
    weeks = fc.quarter_weeks(Q4)
    assert fc.week_count(Q4) == 14 and len(weeks) == 14
    assert tuple(weeks.iloc[0]) == (1, D(2026, 10, 1), D(2026, 10, 7))
    assert tuple(weeks.iloc[12]) == (13, D(2026, 12, 24), D(2026, 12, 30))
    assert tuple(weeks.iloc[13]) == (14, D(2026, 12, 31), D(2026, 12, 31))
    # 90 days = 12 weeks of 7 + 6 days: week 13 is 03-26 .. 03-31.
    assert fc.week_count(Q1) == 13
    assert tuple(fc.quarter_weeks(Q1).iloc[-1]) == (13, D(2026, 3, 26), D(2026, 3, 31))
    assert fc.week_end(Q1, 13) == D(2026, 3, 31) and fc.week_end(Q1, 2) == D(2026, 1, 14)


@pytest.mark.parametrize(
    ("day", "clamp", "week"),
    [
        (D(2026, 10, 1), True, 1),
        (D(2026, 10, 7), True, 1),
        (D(2026, 10, 8), True, 2),
        (D(2026, 11, 22), True, 8),  # 52 days in: 52 // 7 + 1
        (D(2026, 12, 31), True, 14),
        (D(2026, 9, 30), True, 1),
        (D(2026, 9, 30), False, 0),
        (D(2027, 1, 5), True, 14),
    ],
)
def test_week_of(day, clamp, week):
    assert fc.week_of(Q4, day, clamp=clamp) == week


def test_stand_in_day_is_the_latest_snapshot_of_each_week():
    days = [D(2026, 9, 30), D(2026, 10, 2), D(2026, 10, 6), D(2026, 10, 9), D(2026, 10, 20)]
    days += [pd.Timestamp("2027-01-01")]
    assert fc.stand_in_days(days, Q4) == {1: D(2026, 10, 6), 2: D(2026, 10, 9), 3: D(2026, 10, 20)}


# --- calls ----------------------------------------------------------------------------------


def call(i, person, submitted, commit, best, quarter="2026-Q4", author=None, created=None):
    return {
        "id": i,
        "person": person,
        "quarter": quarter,
        "submitted": submitted,
        "commit": commit,
        "best_case": best,
        "note": None,
        "author": author or person,
        "created_at": created or f"{submitted} 09:00",
        "source": "browser",
    }


# Calls for 2026-Q4 (week 3 = 10-15 .. 10-21, week 4 = 10-22 .. 10-28):
#   1 Ann 10-05 50,000 / 80,000                     superseded
#   2 Ann 10-20 60,000 / 90,000  09:00              superseded the same day
#   3 Ann 10-20 65,000 / 95,000  17:00              in force from 10-20 (week 3)
#   4 Ann 2026-Q3 (another quarter) 10-21 999       ignored
#   5 Bob 11-30 (after the day)                     ignored on 10-22
#   6 Mia 09-28 (before the quarter) 200,000        week 0, carried
#   7 Cal 10-22 by Max (his manager) 25,000 / 30,000 submitted in week 4
CALLS = pd.DataFrame(
    [
        call(1, "Ann", "2026-10-05", 50000, 80000),
        call(2, "Ann", "2026-10-20", 60000, 90000),
        call(3, "Ann", "2026-10-20", 65000, 95000, created="2026-10-20 17:00"),
        call(4, "Ann", "2026-10-21", 999, 999, quarter="2026-Q3"),
        call(5, "Bob", "2026-11-30", 1, 1),
        call(6, "Mia", "2026-09-28", 200000, 250000),
        call(7, "Cal", "2026-10-22", 25000, 30000, author="Max"),
    ]
)


def test_call_in_force_and_its_status():
    on_22 = fc.calls_in_force(CALLS, Q4, D(2026, 10, 22)).set_index("person")
    assert list(on_22.index) == ["Ann", "Cal", "Mia"]  # Bob's call comes later
    ann = on_22.loc["Ann"]
    assert (ann["commit"], ann["best_case"], ann["id"]) == (65000, 95000, 3)
    assert (ann["status"], ann["week"], ann["submitted"]) == ("carried", 3, D(2026, 10, 20))
    assert (on_22.loc["Cal", "status"], on_22.loc["Cal", "by"]) == ("submitted", "Max")
    assert (on_22.loc["Mia", "status"], on_22.loc["Mia", "week"]) == ("carried", 0)
    on_20 = fc.calls_in_force(CALLS, Q4, D(2026, 10, 20)).set_index("person")
    assert on_20.loc["Ann", "status"] == "submitted" and on_20.loc["Ann", "commit"] == 65000
    on_19 = fc.calls_in_force(CALLS, Q4, D(2026, 10, 19)).set_index("person")
    assert on_19.loc["Ann", "commit"] == 50000 and on_19.loc["Ann", "week"] == 1
    assert fc.calls_in_force(CALLS, Q4, D(2026, 9, 1)).empty


# --- roll-up --------------------------------------------------------------------------------

# Vera (VP)
# ├── Dave (Director)
# │   ├── Mia (Manager): Ann, Bob, Sam (SE, no deals)
# │   └── Max (Manager): Cal, Dee
# └── Eve (AE, reports to Vera directly)
PEOPLE = pd.DataFrame(
    [
        ("Vera", None, "VP", None),
        ("Dave", "Vera", "Director", None),
        ("Mia", "Dave", "Manager", "East"),
        ("Max", "Dave", "Manager", "West"),
        ("Ann", "Mia", "AE", "East"),
        ("Bob", "Mia", "AE", "East"),
        ("Sam", "Mia", "SE", "East"),
        ("Cal", "Max", "AE", "West"),
        ("Dee", "Max", "AE", "West"),
        ("Eve", "Vera", "AE", None),
    ],
    columns=["person", "manager", "role", "team"],
)
CRM = pd.DataFrame(
    {
        "commit_forecast": [40000.0, 30000.0, 20000.0, 10000.0, 5000.0],
        "best_case_forecast": [70000.0, 50000.0, 35000.0, 15000.0, 9000.0],
    },
    index=pd.Index(["Ann", "Bob", "Cal", "Dee", "Eve"], name="rep"),
)
# Calls in force on 10-22 (week 4): Ann 65,000 / 95,000 carried (week 3); Cal 25,000 / 30,000
# by Max; Mia 70,000 / 115,000 carried (week 3); Vera 120,000 / 170,000 submitted.
# Bob's call comes after the day and Dee's is for another quarter: both without a call.
ROLL_CALLS = pd.DataFrame(
    [
        call(3, "Ann", "2026-10-20", 65000, 95000),
        call(5, "Bob", "2026-11-30", 1, 1),
        call(7, "Cal", "2026-10-22", 25000, 30000, author="Max"),
        call(8, "Dee", "2026-10-02", 7, 7, quarter="2027-Q1"),
        call(9, "Mia", "2026-10-16", 70000, 115000),
        call(10, "Vera", "2026-10-22", 120000, 170000),
    ]
)


def test_roll_up_through_four_levels():
    """By hand, commit / best case:

    Ann 65,000 / 95,000 (her call); Bob 30,000 / 50,000 (CRM); Sam 0 / 0 (CRM, no deals).
    Mia: rolled_up = 65 + 30 + 0 = 95,000 / 95 + 50 = 145,000; her call 70,000 / 115,000
      -> adjustment -25,000 / -30,000.
    Cal 25,000 / 30,000 (Max's call for him); Dee 10,000 / 15,000 (CRM).
    Max: no call -> rolled_up 35,000 / 45,000, status rolled_up, adjustment 0.
    Dave: no call -> Mia 70 + Max 35 = 105,000 / 115 + 45 = 160,000.
    Eve 5,000 / 9,000 (CRM).
    Vera: rolled_up = Dave 105 + Eve 5 = 110,000 / 169,000; call 120,000 / 170,000 -> +10,000 / +1,000.
    """
    in_force = fc.calls_in_force(ROLL_CALLS, Q4, D(2026, 10, 22))
    out = fc.roll_up(PEOPLE, in_force, CRM).set_index("person")
    assert list(out.index) == [
        "Vera",
        "Dave",
        "Eve",
        "Max",
        "Mia",
        "Ann",
        "Bob",
        "Cal",
        "Dee",
        "Sam",
    ]
    assert out.loc["Vera", "depth"] == 0 and out.loc["Ann", "depth"] == 3
    assert out.loc["Mia", "reports"] == ("Ann", "Bob", "Sam")

    def row(p):
        r = out.loc[p]
        return (
            r["status"],
            r["value_commit"],
            r["value_best_case"],
            r["rolled_up_commit"],
            r["rolled_up_best_case"],
            r["adjustment_commit"],
            r["adjustment_best_case"],
        )

    assert row("Ann") == ("carried", 65000, 95000, 40000, 70000, 25000, 25000)
    assert row("Bob") == ("crm", 30000, 50000, 30000, 50000, 0, 0)
    assert row("Sam") == ("crm", 0, 0, 0, 0, 0, 0)
    assert row("Mia") == ("carried", 70000, 115000, 95000, 145000, -25000, -30000)
    assert row("Cal") == ("submitted", 25000, 30000, 20000, 35000, 5000, -5000)
    assert row("Dee") == ("crm", 10000, 15000, 10000, 15000, 0, 0)
    assert row("Max") == ("rolled_up", 35000, 45000, 35000, 45000, 0, 0)
    assert row("Dave") == ("rolled_up", 105000, 160000, 105000, 160000, 0, 0)
    assert row("Eve") == ("crm", 5000, 9000, 5000, 9000, 0, 0)
    assert row("Vera") == ("submitted", 120000, 170000, 110000, 169000, 10000, 1000)
    assert out.loc["Cal", "by"] == "Max" and out.loc["Mia", "week"] == 3
    assert pd.isna(out.loc["Max", "by"]) and pd.isna(out.loc["Max", "week"])
    assert out.loc["Max", "is_manager"] and not out.loc["Ann", "is_manager"]
    assert fc.scope_call(out.reset_index()) == {
        "commit": 120000.0,
        "best_case": 170000.0,
        "status": "submitted",
        "week": 4,
        "by": "Vera",
    }


def test_roll_up_of_part_of_the_tree():
    in_force = fc.calls_in_force(ROLL_CALLS, Q4, D(2026, 10, 22))
    west = PEOPLE[PEOPLE["person"].isin(["Max", "Cal", "Dee"])]
    out = fc.roll_up(west, in_force, CRM.loc[["Cal", "Dee"]])
    # Max's manager (Dave) is not in the set: Max is the top.
    assert fc.scope_call(out) == {
        "commit": 35000.0,
        "best_case": 45000.0,
        "status": "rolled_up",
        "week": None,
        "by": None,
    }
    # Three people without their managers: three tops, summed: 65 + 30 + 25 = 120,000.
    some = PEOPLE[PEOPLE["person"].isin(["Ann", "Bob", "Cal"])]
    tops = fc.scope_call(fc.roll_up(some, in_force, CRM.loc[["Ann", "Bob", "Cal"]]))
    assert (tops["commit"], tops["best_case"], tops["status"]) == (120000.0, 175000.0, "rolled_up")


def test_selling_manager_adds_own_figures_and_riders_off_the_chain_join_at_the_top():
    crm = pd.concat(
        [
            CRM,
            pd.DataFrame(
                {"commit_forecast": [8000.0, 1000.0], "best_case_forecast": [9000.0, 2000.0]},
                index=["Mia", "Zed"],
            ),
        ]
    )
    out = fc.roll_up(PEOPLE, fc.calls_in_force(CALLS.iloc[:0], Q4, D(2026, 10, 22)), crm)
    out = out.set_index("person")
    # Mia: Ann 40 + Bob 30 + Sam 0 + her own 8 = 78,000; best 70 + 50 + 9 = 129,000.
    assert (out.loc["Mia", "rolled_up_commit"], out.loc["Mia", "rolled_up_best_case"]) == (
        78000,
        129000,
    )
    assert (out.loc["Mia", "own_commit"], out.loc["Ann", "own_commit"]) == (8000, 40000)
    assert pd.isna(out.loc["Zed", "manager"]) and out.loc["Zed", "status"] == "crm"
    # Without calls, the top's value is every CRM figure: 40 + 30 + 20 + 10 + 5 + 8 (+ Zed apart).
    assert out.loc["Vera", "value_commit"] == 113000


def test_cycles_are_cut_and_outside_managers_are_none():
    people = pd.DataFrame(
        {"person": ["A", "B", "C"], "manager": ["B", "A", "Nobody"], "role": ["Manager"] * 3}
    )
    out = fc.roll_up(people, fc.calls_in_force(CALLS.iloc[:0], Q4, D(2026, 10, 22)))
    parents = out.set_index("person")["manager"]
    assert pd.isna(parents["C"])
    # A -> B -> A: the link found closing the loop (B's, walking from A) is cut.
    assert parents["A"] == "B" and pd.isna(parents["B"])


@st.composite
def trees(draw):
    n = draw(st.integers(1, 12))
    names = [f"P{i}" for i in range(n)]
    managers = [None] + [names[draw(st.integers(0, i - 1))] for i in range(1, n)]
    figures = draw(st.lists(st.integers(0, 10**7), min_size=n, max_size=n))
    return names, managers, figures


@given(trees())
@settings(max_examples=60, deadline=None)
def test_roll_up_without_calls_conserves_the_crm_figures(tree):
    names, managers, figures = tree
    people = pd.DataFrame({"person": names, "manager": managers, "role": "AE"})
    has_reports = {m for m in managers if m}
    leaves = [p for p in names if p not in has_reports]
    crm = pd.DataFrame(
        {
            "commit_forecast": [figures[names.index(p)] / 100 for p in leaves],
            "best_case_forecast": [2 * figures[names.index(p)] / 100 for p in leaves],
        },
        index=leaves,
    )
    out = fc.roll_up(people, fc.calls_in_force(CALLS.iloc[:0], Q4, D(2026, 10, 22)), crm)
    top = fc.scope_call(out)
    assert round(top["commit"] * 100) == sum(figures[names.index(p)] for p in leaves)
    assert round(top["best_case"] * 100) == 2 * sum(figures[names.index(p)] for p in leaves)
    assert (out["adjustment_commit"] == 0).all()


# --- deal aggregates ------------------------------------------------------------------------

# 2026-Q3, stand-in day 07-22 and the quarter's end 09-30:
#   deal on 07-22                               on 09-30
#   D1 Ann open commit 10,000 (08-10)           Ann won 12,000 (08-12)     a commit win
#   D2 Ann open pipeline 5,000 (09-01)          Ann lost                   a pipeline loss
#   D3 Ann won 3,000 (07-10)                    same                       won so far
#   D4 Bob open best case 8,000 (10-15)         Bob won 8,000 (09-25)      pulled in: new business
#   D5 Bob open omitted 2,000 (09-20)           Bob open (10-05)           pushed out
#   D6 Bob open, no category, 4,000 (08-01)     Bob won 4,000 (08-01)      a pipeline win
#   D7 -                                        Cat won 6,000 (09-10)      created later: new
STAND_IN = D(2026, 7, 22)
END = D(2026, 9, 30)


def state(day, rows):
    keys = ("deal_id", "owner", "status", "forecast_category", "amount", "close_date")
    return make_snapshots(
        [dict(zip(keys, r, strict=True)) for r in rows],
        source="salesforce",
        snapshot_date=day,
        probability=0.5,
    )


AT_DAY = state(
    STAND_IN,
    [
        ("D1", "Ann", "open", "commit", 10000.0, "2026-08-10"),
        ("D2", "Ann", "open", "pipeline", 5000.0, "2026-09-01"),
        ("D3", "Ann", "won", "closed", 3000.0, "2026-07-10"),
        ("D4", "Bob", "open", "best_case", 8000.0, "2026-10-15"),
        ("D5", "Bob", "open", "omitted", 2000.0, "2026-09-20"),
        ("D6", "Bob", "open", None, 4000.0, "2026-08-01"),
    ],
)
AT_END = state(
    END,
    [
        ("D1", "Ann", "won", "closed", 12000.0, "2026-08-12"),
        ("D2", "Ann", "lost", "closed", 5000.0, "2026-09-01"),
        ("D3", "Ann", "won", "closed", 3000.0, "2026-07-10"),
        ("D4", "Bob", "won", "closed", 8000.0, "2026-09-25"),
        ("D5", "Bob", "open", "omitted", 2000.0, "2026-10-05"),
        ("D6", "Bob", "won", "closed", 4000.0, "2026-08-01"),
        ("D7", "Cat", "won", "closed", 6000.0, "2026-09-10"),
    ],
)


def test_outcome_counts_by_owner_and_bucket():
    out = fc.outcome_counts(AT_DAY, AT_END, Q3)
    got = {(r.owner, r.bucket): (r.n, r.wins) for r in out.itertuples()}
    assert got == {
        ("Ann", "commit"): (1, 1),
        ("Ann", "pipeline"): (1, 0),
        ("Bob", "omitted"): (1, 0),
        ("Bob", "pipeline"): (1, 1),  # no category counts as pipeline
    }


def test_new_business_is_won_from_deals_not_open_nor_won_on_the_day():
    out = fc.new_business(AT_DAY, AT_END, Q3, STAND_IN)
    got = {r.owner: (r.new_c, r.new_n) for r in out.itertuples()}
    assert got == {"Bob": (800000, 1), "Cat": (600000, 1)}


def test_day_totals():
    day = fc.day_totals(AT_DAY, Q3, STAND_IN).set_index("owner")
    # Ann: won 3,000; open 10,000 + 5,000 (2 deals), commit 10,000; weighted 0.5 x 15,000.
    ann = day.loc["Ann"]
    assert (ann["won_c"], ann["commit_c"], ann["open_c"], ann["open_n"]) == (
        300000,
        1000000,
        1500000,
        2,
    )
    assert ann["weighted"] == pytest.approx(7500.0)
    # Bob: D4 closes outside the quarter; open D5 + D6 = 6,000.
    assert (day.loc["Bob", "open_c"], day.loc["Bob", "best_case_c"]) == (600000, 0)
    end = fc.day_totals(AT_END, Q3, END).set_index("owner")["won_c"].to_dict()
    assert end == {"Ann": 1500000, "Bob": 1200000, "Cat": 600000}


# --- rates ----------------------------------------------------------------------------------

# Observations (East: Ann, Bob, Dan; West: Cy):
#   quarter week rep bucket     n wins
#   P1      4    Ann commit     3  2
#   P2      4    Ann commit     1  1
#   P1      4    Bob commit     1  0
#   P1      5    Ann commit     4  2     (another week: pooled only)
#   P2      6    Bob commit     2  1     (pooled only)
#   P1      4    Ann pipeline  10  1
#   P1      4    Zed commit     9  9     (not a rep asked for: ignored)
OBS = pd.DataFrame(
    [
        ("2026-Q1", 4, "Ann", "commit", 3, 2),
        ("2026-Q2", 4, "Ann", "commit", 1, 1),
        ("2026-Q1", 4, "Bob", "commit", 1, 0),
        ("2026-Q1", 5, "Ann", "commit", 4, 2),
        ("2026-Q2", 6, "Bob", "commit", 2, 1),
        ("2026-Q1", 4, "Ann", "pipeline", 10, 1),
        ("2026-Q1", 4, "Zed", "commit", 9, 9),
    ],
    columns=["quarter", "week", "rep", "bucket", "n", "wins"],
)
REPS = pd.DataFrame({"rep": ["Ann", "Bob", "Dan", "Cy"], "team": ["East", "East", "East", "West"]})


def test_bucket_rates_and_shrinkage_by_hand():
    """East commit: pooled = (2 + 1 + 0 + 2 + 1) / (3 + 1 + 1 + 4 + 2) = 6/11.
    At week 4: n = 5, wins = 3 -> team rate = (3 + 5 x 6/11) / (5 + 5) = 63/110.
    Ann: n = 4, wins = 3, w = 4/14 -> 4/14 x 3/4 + 10/14 x 63/110 = 3/14 + 9/22 = 48/77.
    Bob: n = 1, wins = 0, w = 1/11 -> 10/11 x 63/110 = 63/121.
    Dan: no deals at week 4 -> the team's 63/110.
    East pipeline: pooled 1/10; team (1 + 5 x 0.1) / 15 = 0.1; Ann w = 1/2 -> 0.1.
    West: no history -> undefined (NaN) in every bucket.
    """
    teams, reps = fc.bucket_rates(OBS, 4, REPS)
    t = teams.set_index(["team", "bucket"])
    assert tuple(t.loc[("East", "commit"), ["n", "wins", "pooled_n", "pooled_wins"]]) == (
        5,
        3,
        11,
        6,
    )
    assert t.loc[("East", "commit"), "pooled"] == pytest.approx(6 / 11)
    assert t.loc[("East", "commit"), "rate"] == pytest.approx(63 / 110)
    assert t.loc[("East", "pipeline"), "rate"] == pytest.approx(0.1)
    assert math.isnan(t.loc[("East", "best_case"), "rate"])
    assert t.loc["West"]["rate"].isna().all()
    r = reps.set_index(["rep", "bucket"])
    assert r.loc[("Ann", "commit"), "weight"] == pytest.approx(4 / 14)
    assert r.loc[("Ann", "commit"), "own"] == pytest.approx(3 / 4)
    assert r.loc[("Ann", "commit"), "rate"] == pytest.approx(48 / 77)
    assert r.loc[("Bob", "commit"), "rate"] == pytest.approx(63 / 121)
    assert r.loc[("Dan", "commit"), "rate"] == pytest.approx(63 / 110)
    assert r.loc[("Dan", "commit"), "n"] == 0 and math.isnan(r.loc[("Dan", "commit"), "own"])
    assert r.loc[("Ann", "pipeline"), "rate"] == pytest.approx(0.1)
    assert math.isnan(r.loc[("Cy", "commit"), "rate"])
    assert list(teams["team"].unique()) == ["East", "West"]


def test_deal_rates_fall_back_to_crm_probability_where_history_is_silent():
    _, reps = fc.bucket_rates(OBS, 4, REPS)
    deals = pd.DataFrame(
        {
            "rep": ["Ann", "Ann", "Cy", "Bob"],
            "forecast_category": ["commit", None, "commit", "best_case"],
            "amount": [7700.0, 1000.0, 2000.0, 500.0],
            "probability": [0.9, 0.9, 0.3, None],
        }
    )
    out = fc.deal_rates(deals, reps, fc.REFERENCE)
    assert list(out["bucket"]) == ["commit", "pipeline", "commit", "best_case"]
    assert list(out["rate_source"]) == ["history", "history", "crm", "crm"]
    assert out["rate"].tolist() == pytest.approx([48 / 77, 0.1, 0.3, 0.0])
    assert out["expected"].iloc[0] == pytest.approx(4800.0)  # 7,700 x 48/77
    crm = fc.deal_rates(deals, None, fc.CRM_PROBABILITY)
    assert crm["rate"].tolist() == pytest.approx([0.9, 0.9, 0.3, 0.0])


# --- the landing range ----------------------------------------------------------------------


def landing(reps, deals, new=None, as_of=D(2026, 11, 22), draws=fc.DRAWS):
    reps = pd.DataFrame(reps, columns=["rep", "group", "won", "quota"])
    deals = pd.DataFrame(deals, columns=["rep", "source", "deal_id", "amount", "rate"])
    new = pd.DataFrame(new or [], columns=["rep", "new"])
    return fc.simulate(reps, deals, new, as_of, draws)


def test_sure_and_hopeless_deals_give_an_exact_range():
    # Won 1,000; a deal at rate 1 (always won) and one at rate 0 (never): every draw is 3,000.
    out = landing(
        [("Ann", "East", 1000.0, 3000.0)],
        [("Ann", "sf", "A1", 2000.0, 1.0), ("Ann", "sf", "A2", 5000.0, 0.0)],
    ).reps.loc["Ann"]
    assert (out["p10"], out["p50"], out["p90"], out["mean"]) == (3000.0, 3000.0, 3000.0, 3000.0)
    assert (out["chance_of_quota"], out["from_open"], out["from_new"]) == (1.0, 2000.0, 0.0)


def test_chance_of_quota_on_two_deals():
    """Two deals of 100 at rate 0.5 and quota 200: P(both won) = 0.25 exactly; the draws' share is
    within four standard errors (sqrt(0.25 x 0.75 / 5000) = 0.0061)."""
    out = landing(
        [("Ann", "East", 0.0, 200.0)],
        [("Ann", "sf", "A1", 100.0, 0.5), ("Ann", "sf", "A2", 100.0, 0.5)],
    ).reps.loc["Ann"]
    assert abs(out["chance_of_quota"] - 0.25) < 4 * 0.0061
    assert (out["p10"], out["p50"], out["p90"]) == (0.0, 100.0, 200.0)
    assert out["mean"] == 100.0  # exact: 2 x 100 x 0.5


def test_new_business_is_one_past_quarter_drawn_whole():
    out = landing([("Ann", "East", 0.0, None)], [], new=[("Ann", 100.0), ("Ann", 300.0)])
    ann = out.reps.loc["Ann"]
    assert (ann["p10"], ann["p90"], ann["from_new"], ann["new_quarters"]) == (
        100.0,
        300.0,
        200.0,
        2,
    )
    assert set(np.unique(out.draws["East"])) == {10000.0, 30000.0}
    assert ann["chance_of_quota"] is None


REPS_3 = [("Ann", "East", 1000.0, 9000.0), ("Bob", "East", 0.0, 5000.0), ("Cy", "West", 500.0, 0.0)]
DEALS_3 = [
    ("Ann", "sf", "A1", 4000.0, 0.6),
    ("Ann", "sf", "A2", 3000.0, 0.25),
    ("Ann", "sf", "A3", 1500.0, 1.0),
    ("Bob", "sf", "B1", 6000.0, 0.4),
    ("Bob", "hs", "B2", 2500.0, 0.9),
    ("Cy", "sf", "C1", 8000.0, 0.1),
]
NEW_3 = [("Ann", 500.0), ("Ann", 0.0), ("Bob", 1200.0)]


def test_scope_draws_are_the_sum_of_the_reps_draws():
    out = landing(REPS_3, DEALS_3, NEW_3)
    deals = pd.DataFrame(DEALS_3, columns=["rep", "source", "deal_id", "amount", "rate"])
    deals = deals.sort_values(["rep", "source", "deal_id"])

    def alone(rep, won_c, new):
        own = deals[deals["rep"] == rep]
        return fc.rep_draws(
            rep,
            won_c,
            (own["amount"] * 100).to_numpy(),
            own["rate"].to_numpy(),
            np.asarray(new) * 100,
            D(2026, 11, 22),
        )

    ann, bob = alone("Ann", 100000, [500.0, 0.0]), alone("Bob", 0, [1200.0])
    np.testing.assert_array_equal(out.draws["East"], ann + bob)
    stats = out.group_stats(["East"], 14000.0)
    total = ann + bob
    assert stats["p50"] == np.quantile(total, 0.5, method="inverted_cdf") / 100
    assert stats["chance_of_quota"] == np.mean(total >= 1400000)
    # Every draw of the East team holds both won amounts and Ann's sure deal.
    assert out.draws["East"].min() >= 100000 + 150000
    assert out.won == {"East": 100000, "West": 50000}


def test_a_reps_draws_do_not_depend_on_who_else_is_in_the_view():
    both = landing(REPS_3, DEALS_3, NEW_3)
    ann_only = landing(REPS_3[:1], DEALS_3[:3], NEW_3[:2])
    pd.testing.assert_series_equal(both.reps.loc["Ann"], ann_only.reps.loc["Ann"])
    again = landing(REPS_3, DEALS_3, NEW_3)
    pd.testing.assert_frame_equal(both.reps, again.reps)  # deterministic
    other_day = landing(REPS_3, DEALS_3, NEW_3, as_of=D(2026, 11, 23))
    assert not np.array_equal(both.draws["East"], other_day.draws["East"])


def test_the_draws_mean_is_near_the_exact_mean():
    out = landing(REPS_3, DEALS_3, NEW_3)
    ann = out.reps.loc["Ann"]
    # Exact: won 1,000 + (2,400 + 750 + 1,500) + (500 + 0) / 2 = 5,900.
    assert (ann["from_open"], ann["from_new"], ann["mean"]) == (4650.0, 250.0, 5900.0)
    draws_mean = out.draws["East"].mean() / 100
    exact = out.reps.loc[["Ann", "Bob"], "mean"].sum()
    sd = out.draws["East"].std() / 100
    assert abs(draws_mean - exact) < 4 * sd / math.sqrt(fc.DRAWS)


@st.composite
def books(draw):
    n_reps = draw(st.integers(1, 4))
    reps, deals, new = [], [], []
    for r in range(n_reps):
        reps.append((f"R{r}", "T", float(draw(st.integers(0, 10**6))), 500000.0))
        for d in range(draw(st.integers(0, 6))):
            amount = float(draw(st.integers(0, 10**6)))
            rate = draw(st.sampled_from([0.0, 1.0, 0.5, 0.01, 0.99, 0.3]))
            deals.append((f"R{r}", "sf", f"D{r}-{d}", amount, rate))
        for _ in range(draw(st.integers(0, 3))):
            new.append((f"R{r}", float(draw(st.integers(0, 10**5)))))
    return reps, deals, new


@given(books())
@settings(max_examples=25, deadline=None)
def test_won_le_p10_le_p50_le_p90(book):
    reps, deals, new = book
    out = landing(reps, deals, new, draws=fc.DRAWS)
    for rep, row in out.reps.iterrows():
        assert row["won"] <= row["p10"] <= row["p50"] <= row["p90"], rep
    team = out.group_stats(["T"], 10**6)
    assert out.won["T"] / 100 <= team["p10"] <= team["p50"] <= team["p90"]


# --- backtest and call accuracy -------------------------------------------------------------


def test_backtest_summary():
    """Q1: actual 110 in [80, 120]; |p50 err| 10; commit |90 - 110| 20; weighted |105 - 110| 5.
    Q2: actual 95 outside [50, 90]; 25; |100 - 95| 5; |60 - 95| 35.
    Means: p50 17.5, coverage 0.5, commit 12.5, weighted 20."""
    rows = pd.DataFrame(
        {
            "p10": [80.0, 50.0],
            "p50": [100.0, 70.0],
            "p90": [120.0, 90.0],
            "actual": [110.0, 95.0],
            "commit_forecast": [90.0, 100.0],
            "won_plus_weighted": [105.0, 60.0],
        }
    )
    assert fc.backtest_summary(rows) == {
        "quarters": 2,
        "mae_p50": 17.5,
        "coverage": 0.5,
        "mae_commit_forecast": 12.5,
        "mae_won_plus_weighted": 20.0,
    }
    assert fc.backtest_summary(rows.iloc[:0])["mae_p50"] is None


def test_backtest_is_judged_on_the_quarters_the_reference_method_ran_on():
    """The same two quarters, the first run on the CRM's probabilities (no earlier quarter to
    learn from): the reference part is Q2 alone (p50 25, commit 5, weighted 35, 0 of 1 inside),
    and that part judges the method; with no reference quarter, every quarter does."""
    rows = pd.DataFrame(
        {
            "method": [fc.CRM_PROBABILITY, fc.REFERENCE],
            "p10": [80.0, 50.0],
            "p50": [100.0, 70.0],
            "p90": [120.0, 90.0],
            "actual": [110.0, 95.0],
            "commit_forecast": [90.0, 100.0],
            "won_plus_weighted": [105.0, 60.0],
        }
    )
    summary = fc.backtest_summary(rows)
    assert summary["mae_p50"] == 17.5 and summary["quarters"] == 2
    assert summary["reference"] == {
        "quarters": 1,
        "mae_p50": 25.0,
        "coverage": 0.0,
        "mae_commit_forecast": 5.0,
        "mae_won_plus_weighted": 35.0,
    }
    assert fc.judged(summary) is summary["reference"]
    fallback = fc.backtest_summary(rows.iloc[:1])
    assert fallback["reference"]["quarters"] == 0
    assert fc.judged(fallback) is fallback


def test_call_accuracy_and_bias():
    """2026-Q3 (14 weeks; week 7 starts 08-12, week 9 = 08-26 .. 09-01, week 12 = 09-16 .. 09-22).
    Won at the end: Ann 100,000, Bob 50,000, Cal 0. Mia manages Ann and Bob.

    Ann calls 90,000 on 07-01 and 120,000 on 08-12: weeks 1-6 at -10 %, weeks 7-14 at +20 %;
    bias = (6 x -0.1 + 8 x 0.2) / 14 = 1/14.
    Mia calls 135,000 on 09-20 for an actual of 150,000: weeks 12-14 at -10 %.
    Cal calls 10,000 on 09-01 for an actual of 0: no error % (weeks 9-14 listed, none graded).
    """
    calls = pd.DataFrame(
        [
            call(1, "Ann", "2026-07-01", 90000, 100000, quarter="2026-Q3"),
            call(2, "Ann", "2026-08-12", 120000, 130000, quarter="2026-Q3"),
            call(3, "Mia", "2026-09-20", 135000, 160000, quarter="2026-Q3"),
            call(4, "Cal", "2026-09-01", 10000, 20000, quarter="2026-Q3"),
            call(5, "Ann", "2026-08-01", 1, 1, quarter="2026-Q4"),
        ]
    )
    people = pd.DataFrame({"person": ["Mia", "Ann", "Bob"], "manager": [None, "Mia", "Mia"]})
    won = {"Ann": 100000.0, "Bob": 50000.0, "Cal": 0.0}
    acc = fc.call_accuracy(calls, people, won, Q3)
    ann = acc[acc["person"] == "Ann"]
    assert ann["week"].tolist() == list(range(1, 15))
    assert ann["error_pct"].tolist() == pytest.approx([-0.1] * 6 + [0.2] * 8)
    assert ann["error"].iloc[0] == -10000.0 and ann["week_end"].iloc[0] == D(2026, 7, 7)
    mia = acc[acc["person"] == "Mia"]
    assert mia["week"].tolist() == [12, 13, 14] and (mia["actual"] == 150000.0).all()
    assert mia["error_pct"].tolist() == pytest.approx([-0.1] * 3)
    cal = acc[acc["person"] == "Cal"]
    assert cal["week"].tolist() == [9, 10, 11, 12, 13, 14] and cal["error_pct"].isna().all()
    bias = fc.call_bias(acc)
    assert bias.loc["Ann", "weeks"] == 14 and bias.loc["Ann", "bias"] == pytest.approx(1 / 14)
    assert bias.loc["Ann", "mean_abs_error_pct"] == pytest.approx((0.6 + 1.6) / 14)
    assert bias.loc["Mia", "bias"] == pytest.approx(-0.1)
    assert bias.loc["Cal", "weeks"] == 0 and pd.isna(bias.loc["Cal", "bias"])
