"""The season's numbers (docs/metrics.md#the-season) on a small year worked out by hand.

Unit tests: no browser, no store. Fiscal year 2026 starts in January: Q1 Jan 1-Mar 31, Q2 Apr 1-
Jun 30, Q3 Jul 1-Sep 30, Q4 Oct 1-Dec 31 (92 days). as_of = 2026-11-15, in Q4: Q4's pace =
((Nov 15 - Oct 1) + 1) / 92 = 46 / 92 = 0.5.

Two riders of team East: Ann (started 2025-06-01, quota 100k every quarter) and Ben, who starts
mid-year (2026-05-10; quota 50k in Q3 and 80k in Q4, none before).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics import season as ms
from loaders.fiscal import make_quarter

AS_OF = dt.date(2026, 11, 15)
SINCE = dt.date(2026, 9, 30)  # the end of stage 3
QUARTERS = ms.year_quarters(2026)
NEXT = make_quarter(2027, 1)

RIDERS = pd.DataFrame(
    {
        "rep": ["Ann", "Ben"],
        "team": ["East", "East"],
        "start_date": pd.to_datetime(["2025-06-01", "2026-05-10"]),
    }
)
QUOTAS = pd.DataFrame(
    [
        ("Ann", "2026-Q1", 100_000.0),
        ("Ann", "2026-Q2", 100_000.0),
        ("Ann", "2026-Q3", 100_000.0),
        ("Ann", "2026-Q4", 100_000.0),
        ("Ben", "2026-Q3", 50_000.0),
        ("Ben", "2026-Q4", 80_000.0),
    ],
    columns=["rep", "quarter", "quota"],
)
NEXT_QUOTAS = pd.DataFrame({"rep": ["Ann", "Ben"], "quota": [120_000.0, 90_000.0]})


def _deals() -> pd.DataFrame:
    rows = [
        # deal, rep, status, amount, close, created, first seen
        ("A1", "Ann", "won", 60_000, "2026-02-10", "2025-11-01", None),
        ("A2", "Ann", "won", 90_000, "2026-05-20", "2026-03-01", None),
        ("A3", "Ann", "won", 120_000, "2026-08-01", "2026-04-10", None),
        ("A4", "Ann", "won", 30_000, "2026-10-20", "2026-09-20", None),
        ("A5", "Ann", "won", 40_000, "2026-11-20", "2026-10-05", None),  # closes after as_of
        ("A6", "Ann", "lost", 70_000, "2026-07-01", "2026-02-01", None),
        ("A7", "Ann", "won", 25_000, "2025-12-20", "2025-09-01", None),  # last year
        ("B1", "Ben", "won", 40_000, "2026-09-15", "2026-06-01", None),
        ("B2", "Ben", "won", 50_000, "2026-10-15", "2026-08-15", None),
        ("N1", "Ann", "open", 20_000, "2027-01-15", "2026-11-02", None),
        ("N2", "Ann", "open", 10_000, "2027-02-10", "2026-11-10", None),
        ("N3", "Ben", "open", 5_000, "2027-03-31", None, "2026-11-12"),  # no created date
        ("N4", "Ben", "open", 15_000, "2027-04-02", "2026-10-01", None),  # closes after next Q
    ]
    df = pd.DataFrame(
        rows,
        columns=["deal_id", "rep", "status", "amount", "close_date", "created_date", "first_seen"],
    )
    df["source"] = "crm"
    df["team"] = "East"
    df["amount"] = df["amount"].astype("float64")
    for col in ("close_date", "created_date", "first_seen"):
        df[col] = pd.to_datetime(df[col])
    return df


def _history() -> pd.DataFrame:
    """Stage changes; N1 moves back from Proposal to Qualify (a regression)."""
    rows = [
        ("A6", "2026-06-01", None, "Proposal"),
        ("A6", "2026-07-01", "Proposal", "Closed Lost"),
        ("B2", "2026-08-15", None, "Prospect"),
        ("B2", "2026-09-01", "Prospect", "Qualify"),
        ("B2", "2026-10-03", "Qualify", "Proposal"),
        ("B2", "2026-10-15", "Proposal", "Closed Won"),
        ("A4", "2026-09-20", None, "Qualify"),
        ("A4", "2026-10-05", "Qualify", "Proposal"),
        ("A4", "2026-10-12", "Proposal", "Negotiate"),
        ("A4", "2026-10-20", "Negotiate", "Closed Won"),
        ("N4", "2026-10-01", None, "Prospect"),
        ("N1", "2026-11-02", None, "Prospect"),
        ("N1", "2026-11-05", "Prospect", "Qualify"),
        ("N1", "2026-11-09", "Qualify", "Proposal"),
        ("N1", "2026-11-12", "Proposal", "Qualify"),
        ("N2", "2026-11-10", None, "Prospect"),
        ("N2", "2026-11-14", "Prospect", "Qualify"),
        ("N3", "2026-11-12", None, "Prospect"),
        ("N2", "2026-11-18", "Qualify", "Proposal"),  # after as_of: not counted
    ]
    df = pd.DataFrame(rows, columns=["deal_id", "changed_at", "old_value", "new_value"])
    df["source"] = "crm"
    df["field"] = "stage"
    df["changed_at"] = pd.to_datetime(df["changed_at"])
    # a change of another field is not a stage entry
    other = pd.DataFrame(
        [("crm", "N1", pd.Timestamp("2026-11-06"), "amount", "15000", "20000")],
        columns=["source", "deal_id", "changed_at", "field", "old_value", "new_value"],
    )
    return pd.concat([df, other], ignore_index=True)


ORDER = ms.stage_order(
    pd.DataFrame(
        {
            "stage": ["Prospect", "Qualify", "Proposal", "Negotiate", "Closed Won", "Closed Lost"],
            "stage_order": [1, 2, 3, 4, 5, 6],
        }
    )
)


def _classified() -> pd.DataFrame:
    entries = ms.entries_from_history(_history())
    c = ms.classify_entries(entries, ORDER, AS_OF)
    return c.merge(_deals()[["source", "deal_id", "rep"]], on=["source", "deal_id"], how="left")


# --- the general classification ----------------------------------------------------------------


def test_stage_results_by_hand():
    stages = ms.stage_results(_deals(), QUOTAS, RIDERS, QUARTERS, AS_OF).set_index(
        ["rep", "quarter"]
    )
    # Ann: Q1 A1 60k / 100k = 0.6; Q2 A2 90k -> 0.9; Q3 A3 120k -> 1.2; Q4 A4 30k -> 0.3
    # (A5 closes Nov 20, after as_of; A7 closed in 2025; A6 was lost).
    assert stages.loc[("Ann", "2026-Q1"), "won"] == 60_000
    assert stages.loc[("Ann", "2026-Q3"), "attainment"] == pytest.approx(1.2)
    assert stages.loc[("Ann", "2026-Q4"), "attainment"] == pytest.approx(0.3)
    assert stages.loc[("Ann", "2026-Q4"), "state"] == "current"
    assert stages.loc[("Ann", "2026-Q1"), "state"] == "ended"
    # Ben: no quota before he started: won 0, attainment null; Q3 40k / 50k = 0.8; Q4 50k / 80k
    assert pd.isna(stages.loc[("Ben", "2026-Q1"), "attainment"])
    assert stages.loc[("Ben", "2026-Q3"), "attainment"] == pytest.approx(0.8)
    assert stages.loc[("Ben", "2026-Q4"), "attainment"] == pytest.approx(50 / 80)


def test_general_classification_and_rank_movement():
    deals = _deals()
    now = ms.general_classification(
        ms.stage_results(deals, QUOTAS, RIDERS, QUARTERS, AS_OF), QUARTERS, AS_OF
    )
    # Ann: won 60+90+120+30 = 300k; quota 4 x 100k = 400k (Q4 counted whole) -> 0.75.
    # Due by Nov 15: 100+100+100 + 100 x 0.5 = 350k -> pace 350/400 = 0.875; gap 300-350 = -50k.
    assert now.loc["Ann", "ytd_won"] == 300_000
    assert now.loc["Ann", "ytd_quota"] == 400_000
    assert now.loc["Ann", "attainment"] == pytest.approx(0.75)
    assert now.loc["Ann", "pace"] == pytest.approx(0.875)
    assert now.loc["Ann", "pace_gap"] == pytest.approx(-50_000)
    # Ben: won 40+50 = 90k over 50+80 = 130k; due 50 + 80 x 0.5 = 90k: attainment = pace.
    assert now.loc["Ben", "attainment"] == pytest.approx(90 / 130)
    assert now.loc["Ben", "pace"] == pytest.approx(90 / 130)
    # attainment - pace: Ann -0.125, Ben 0 -> Ben 1st, Ann 2nd.
    assert now["rank"].to_dict() == {"Ann": 2, "Ben": 1}
    # On Sep 30 (Q4 ahead): Ann 270k / 300k = 0.9, pace 1 -> -0.1; Ben 40k / 50k = 0.8,
    # pace 1 -> -0.2: Ann 1st, Ben 2nd. Ben moved up one place, Ann down one.
    then = ms.general_classification(
        ms.stage_results(deals, QUOTAS, RIDERS, QUARTERS, SINCE), QUARTERS, SINCE
    )
    assert then["rank"].to_dict() == {"Ann": 1, "Ben": 2}
    assert ms.gc_rank_change(now, then).to_dict() == {"Ann": -1, "Ben": 1}


def test_rank_ties_share_the_best_and_no_quota_is_null():
    stages = ms.stage_results(_deals(), QUOTAS, RIDERS, QUARTERS, dt.date(2026, 3, 31))
    gc = ms.general_classification(stages, QUARTERS, dt.date(2026, 3, 31))
    # On Mar 31 Ben has no quota yet: no rank; Ann alone is 1st.
    assert pd.isna(gc.loc["Ben", "rank"]) and bool(gc.loc["Ben", "no_quota"])
    assert gc.loc["Ann", "rank"] == 1
    twin = pd.concat([stages, stages[stages["rep"] == "Ann"].assign(rep="Ann2")])
    gc2 = ms.general_classification(twin, QUARTERS, dt.date(2026, 3, 31))
    assert gc2.loc["Ann", "rank"] == 1 and gc2.loc["Ann2", "rank"] == 1


def test_team_year_and_rows_behind_re_add():
    deals = _deals()
    stages = ms.stage_results(deals, QUOTAS, RIDERS, QUARTERS, AS_OF)
    year = ms.team_year(stages, QUARTERS, AS_OF)
    # won 300k + 90k = 390k; the year's quota 400k + 130k = 530k; due 350k + 90k = 440k
    assert year["won"] == 390_000
    assert year["year_quota"] == 530_000
    assert year["due"] == pytest.approx(440_000)
    assert year["pace_gap"] == pytest.approx(-50_000)
    assert year["attainment"] == pytest.approx(390 / 530)
    rows = ms.won_rows(deals, QUARTERS, AS_OF)
    assert sorted(rows["deal_id"]) == ["A1", "A2", "A3", "A4", "B1", "B2"]
    assert rows["amount"].sum() == year["won"]
    q4 = ms.won_rows(deals, [QUARTERS[3]], AS_OF, ["Ann"])
    assert q4["deal_id"].tolist() == ["A4"]


# --- pipeline generation and next quarter ------------------------------------------------------


def test_pipeline_generated_per_week():
    gen = ms.pipeline_generated(_deals(), RIDERS, dt.date(2026, 1, 1), AS_OF)
    # Jan 1 to Nov 15 is 318 days after Jan 1 -> weeks 1..46 (46 = 318 // 7 + 1).
    assert gen["week"].max() == 46 and len(gen) == 2 * 46
    g = gen.set_index(["rep", "week"])
    # N1 created Nov 2 = Jan 1 + 305 days -> week 305 // 7 + 1 = 44 (starts Oct 29).
    assert g.loc[("Ann", 44), "amount"] == 20_000
    assert g.loc[("Ann", 44), "week_start"] == pd.Timestamp("2026-10-29")
    # N2 Nov 10 = +313 -> week 45; N3 has no created date: first seen Nov 12 = +315 -> week 46.
    assert g.loc[("Ann", 45), "amount"] == 10_000
    assert g.loc[("Ben", 46), "amount"] == 5_000
    # A1 (created in 2025) is not this year's; Ann's year: A2 90 + A3 120 + A4 30 + A5 40 +
    # A6 70 + N1 20 + N2 10 = 380k.
    assert gen.loc[gen["rep"] == "Ann", "amount"].sum() == 380_000
    rows = ms.generated_rows(_deals(), dt.date(2026, 10, 29), dt.date(2026, 11, 4), ["Ann"])
    assert rows["amount"].sum() == g.loc[("Ann", 44), "amount"]


def test_next_quarter_coverage():
    per, team = ms.next_quarter_coverage(_deals(), RIDERS, NEXT_QUOTAS, NEXT)
    # open closing 2027-Q1: Ann N1 20k + N2 10k = 30k / 120k = 0.25; Ben N3 5k / 90k
    # (N4 closes Apr 2, after it); team 35k / 210k.
    assert per.loc["Ann", "coverage"] == pytest.approx(0.25)
    assert per.loc["Ben", "coverage"] == pytest.approx(5 / 90)
    assert team["coverage"] == pytest.approx(35 / 210)
    assert team["open_next"] == 35_000


# --- stage flow --------------------------------------------------------------------------------


def test_stage_flow_with_a_regression():
    flow = ms.stage_flow(_classified(), ORDER, dt.date(2026, 10, 1), AS_OF).set_index("stage")
    # Entries into open stages Oct 1 - Nov 15 and where they went by Nov 15:
    # Prospect: N4 (still), N1 (to Qualify after 3 d), N2 (to Qualify after 4 d), N3 (still)
    assert flow.loc["Prospect", ["entered", "advanced", "still_there"]].tolist() == [4, 2, 2]
    assert flow.loc["Prospect", "median_days"] == pytest.approx(3.5)
    # Qualify: N1 Nov 5 (to Proposal after 4 d), N1 again Nov 12 after moving back (still), N2
    # Nov 14 (still; its Nov 18 move is after as_of).
    assert flow.loc["Qualify", ["entered", "advanced", "still_there"]].tolist() == [3, 1, 2]
    assert flow.loc["Qualify", "median_days"] == 4
    # Proposal: A4 (to Negotiate, 7 d), B2 (won, 12 d), N1 (moved back, 3 d): median 7;
    # to won: A4 and B2 are won, N1 is not -> 2/3.
    row = flow.loc["Proposal"]
    assert [row["advanced"], row["won"], row["moved_back"], row["still_there"]] == [1, 1, 1, 0]
    assert row["median_days"] == 7
    assert row["to_won"] == pytest.approx(2 / 3)
    # Negotiate: A4 won after 8 d.
    assert flow.loc["Negotiate", ["entered", "won"]].tolist() == [1, 1]
    assert flow.loc["Negotiate", "to_won"] == 1
    # outcomes add up to the entries
    outcomes = flow[list(ms.OUTCOMES)].sum(axis=1)
    assert (outcomes == flow["entered"]).all()
    # Stalls: Negotiate has the longest median (8 d); Prospect 2/4 and Qualify 2/3 still there.
    assert flow.index[flow["stall"]].tolist() == ["Prospect", "Qualify", "Negotiate"]
    # Ben alone: N4 and N3 still in Prospect, B2 won from Proposal.
    ben = ms.stage_flow(_classified(), ORDER, dt.date(2026, 10, 1), AS_OF, ["Ben"])
    ben = ben.set_index("stage")
    assert ben.loc["Prospect", ["entered", "still_there"]].tolist() == [2, 2]
    assert ben.loc["Proposal", ["entered", "won"]].tolist() == [1, 1]
    cell = ms.flow_rows(_classified(), "Qualify", "still_there", dt.date(2026, 10, 1), AS_OF)
    assert sorted(cell["deal_id"]) == ["N1", "N2"]


def test_entries_from_snapshots_match_a_weekly_picture():
    snaps = pd.DataFrame(
        [
            ("N1", "2026-11-01", "Prospect", "open", "2026-10-28"),
            ("N1", "2026-11-08", "Qualify", "open", "2026-10-28"),
            ("N1", "2026-11-15", "Prospect", "open", "2026-10-28"),  # moved back
            ("N2", "2026-11-08", "Qualify", "open", None),
            ("N2", "2026-11-15", "Closed Won", "won", None),
        ],
        columns=["deal_id", "snapshot_date", "stage", "status", "created_date"],
    ).assign(source="crm")
    snaps["snapshot_date"] = pd.to_datetime(snaps["snapshot_date"])
    snaps["created_date"] = pd.to_datetime(snaps["created_date"])
    e = ms.entries_from_snapshots(snaps)
    # N1 enters Prospect on its created day Oct 28, Qualify on Nov 8, Prospect again Nov 15;
    # N2 (no created date) enters Qualify when first seen, Nov 8, and Closed Won on Nov 15.
    got = list(zip(e["deal_id"], e["stage"], e["entered"].dt.strftime("%m-%d"), strict=True))
    assert got == [
        ("N1", "Prospect", "10-28"),
        ("N1", "Qualify", "11-08"),
        ("N1", "Prospect", "11-15"),
        ("N2", "Qualify", "11-08"),
        ("N2", "Closed Won", "11-15"),
    ]
    c = ms.classify_entries(e, ORDER, AS_OF)
    assert c["outcome"].tolist() == ["advanced", "moved_back", "still_there", "won", "still_there"]


# --- ramp and sitting in -----------------------------------------------------------------------


def test_tenure_quarters():
    # Ann started Jun 1 2025, inside 2025-Q2: her quarter 1 is 2025-Q3, so 2026-Q1 is her 3rd.
    assert ms.tenure(pd.Timestamp("2025-06-01"), QUARTERS[0]) == 3
    # Ben started May 10 2026: 2026-Q3 is his 1st, the quarter he started in is 0.
    assert ms.tenure(pd.Timestamp("2026-05-10"), QUARTERS[2]) == 1
    assert ms.tenure(pd.Timestamp("2026-05-10"), QUARTERS[1]) == 0
    # starting on a quarter's first day makes that quarter the 1st
    assert ms.tenure(pd.Timestamp("2026-07-01"), QUARTERS[2]) == 1
    assert ms.tenure(None, QUARTERS[2]) is None


def test_ramp_against_the_median_at_the_same_tenure():
    stages = ms.stage_results(_deals(), QUOTAS, RIDERS, QUARTERS, AS_OF)
    # A third rider, Cat, started Jan 1 2026 (Q1 = her 1st): attainment 0.5, 0.7, 1.0 by hand.
    cat = pd.DataFrame(
        {
            "rep": "Cat",
            "team": "East",
            "quarter": [q.name for q in QUARTERS],
            "state": ["ended", "ended", "ended", "current"],
            "won": [50_000.0, 70_000.0, 100_000.0, 0.0],
            "won_cents": [5_000_000, 7_000_000, 10_000_000, 0],
            "deals": [1, 1, 1, 0],
            "quota": 100_000.0,
            "attainment": [0.5, 0.7, 1.0, 0.0],
        }
    )
    riders = pd.concat(
        [RIDERS, pd.DataFrame({"rep": ["Cat"], "team": ["East"], "start_date": ["2026-01-01"]})]
    ).astype({"start_date": "datetime64[ns]"})
    curves, median, reps = ms.ramp(pd.concat([stages, cat]), riders, QUARTERS, AS_OF)
    # Ended stages only (Q4 is current). Tenure 1: Ben Q3 0.8 and Cat Q1 0.5 -> median 0.65.
    # Tenure 3: Ann Q1 0.6 and Cat Q3 1.0 -> median 0.8. Ann Q2 (4th) 0.9, Q3 (5th) 1.2 alone.
    m = median.set_index("tenure")["median"]
    assert m[1] == pytest.approx(0.65)
    assert m[3] == pytest.approx(0.8)
    assert m[5] == pytest.approx(1.2)
    ben = curves[curves["rep"] == "Ben"].iloc[0]
    assert (ben["tenure"], ben["vs_median"]) == (1, pytest.approx(0.15))
    # Ben's Q1/Q2 have no quota: no stage result, not on his curve.
    assert curves[curves["rep"] == "Ben"]["quarter"].tolist() == ["2026-Q3"]
    # Now (2026-Q4): Ann is in her 6th quarter, Ben his 2nd (ramping), Cat her 4th.
    assert reps["tenure_now"].to_dict() == {"Ann": 6, "Ben": 2, "Cat": 4}
    assert reps["ramping"].to_dict() == {"Ann": False, "Ben": True, "Cat": False}


def test_sitting_in_needs_both_numbers_under_half_the_team_median():
    out = ms.sitting_in(_deals(), _classified(), RIDERS, AS_OF)
    # Last 4 weeks = Oct 19 - Nov 15. Created: Ann N1 20k + N2 10k = 30k; Ben N3 5k (N4 Oct 1 is
    # before). Median of (30k, 5k) = 17.5k, half 8.75k: Ben under.
    assert out.loc["Ann", "created"] == 30_000 and out.loc["Ben", "created"] == 5_000
    assert out.loc["Ben", "team_created_median"] == 17_500
    # Advances: Ann's A4 to Closed Won Oct 20, N1 to Qualify Nov 5 and to Proposal Nov 9 (its
    # move back Nov 12 is not one), N2 to Qualify Nov 14 = 4; Ben's B2 was won Oct 15, before:
    # 0. Median 2, half 1: Ben under.
    assert out["advances"].to_dict() == {"Ann": 4, "Ben": 0}
    assert out["sitting_in"].to_dict() == {"Ann": False, "Ben": True}
    rows = ms.advance_rows(_classified(), AS_OF, ["Ann"])
    assert len(rows) == out.loc["Ann", "advances"]
    # One number under half is not enough: with Ben's N4 created on Oct 20 (15k -> Ben 20k,
    # median 25k, half 12.5k) Ben is not sitting in.
    deals = _deals()
    deals.loc[deals["deal_id"] == "N4", "created_date"] = pd.Timestamp("2026-10-20")
    again = ms.sitting_in(deals, _classified(), RIDERS, AS_OF)
    assert not again.loc["Ben", "sitting_in"]
