"""The figures of docs/metrics.md per rep and per team on a small hand-made book of deals (no store, no browser).

The book (quarter 2026-Q4 = 2026-10-01..2026-12-31, 92 days; as_of 2026-11-22, so pace = 53/92
and the win-rate window is 2025-11-23..2026-11-22, the stale window 2026-11-09..2026-11-22):

Ann Lee (East, quota 100,000)
  A1 won   close 10-15  30,000  created 08-01 -> won in quarter; in window; cycle 75 days
  A2 won   close 11-25   5,000  -> close after as_of: neither won nor in the window
  A3 open  close 11-10  20,000  commit p=.8, activity on 11-12 -> past due, not stale
  A4 open  close 12-15  40,000  best case p=.5, owner as e-mail, last activity 11-01 -> stale
  A5 open  close 2027-01-15 99,999 -> outside the quarter: ignored
  A6 lost  close 06-30  10,000  -> lost in window
  A7 won   close 2025-12-01 20,000 created 2025-11-01 -> in window; cycle 30 days
  A8 won   close 2025-11-20 7,777 -> before the window: ignored
Bob Ray (East, quota 50,000)
  B1 won   close 10-20  60,000  created 10-01 -> quota met; cycle 19 days
  B2 open  close 12-01  10,000  pipeline p=.1, last activity 11-21, next step
Cat Wu (West, no quota)
  C1 open  close 12-10  15,000  hubspot (no next-step column), created 11-01, no activity -> stale
Zed Unknown (not on the roster)
  Z1 lost  close 10-05   1,000  hubspot
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard.metrics import (
    FIGURE_KEYS,
    attach_reps,
    deal_flags,
    pace,
    rank_change,
    rank_reps,
    rep_figures,
    rows_behind,
    team_figures,
)
from dashboard.metrics.frames import make_snapshots
from loaders.fiscal import parse_quarter

Q = parse_quarter("2026-Q4", 1)
AS_OF = dt.date(2026, 11, 22)
PACE = 53 / 92  # (Nov 22 - Oct 1) = 52 days, + 1


def _book():
    sf = dict(
        source="salesforce",
        snapshot_date="2026-11-22",
        created_date="2026-09-01",
        probability=0.5,
        forecast_category="pipeline",
    )
    hs = dict(sf, source="hubspot")
    rows = [
        dict(
            sf,
            deal_id="A1",
            owner="Ann Lee",
            status="won",
            close_date="2026-10-15",
            amount=30000,
            created_date="2026-08-01",
            forecast_category="closed",
        ),
        dict(sf, deal_id="A2", owner="Ann Lee", status="won", close_date="2026-11-25", amount=5000),
        dict(
            sf,
            deal_id="A3",
            owner="Ann Lee",
            status="open",
            close_date="2026-11-10",
            amount=20000,
            forecast_category="commit",
            probability=0.8,
            next_step="Call CFO",
        ),
        dict(
            sf,
            deal_id="A4",
            owner="ann@x.com",
            status="open",
            close_date="2026-12-15",
            amount=40000,
            forecast_category="best_case",
            probability=0.5,
            created_date="2026-10-01",
            last_activity_date="2026-11-01",
        ),
        dict(
            sf, deal_id="A5", owner="Ann Lee", status="open", close_date="2027-01-15", amount=99999
        ),
        dict(
            sf, deal_id="A6", owner="Ann Lee", status="lost", close_date="2026-06-30", amount=10000
        ),
        dict(
            sf,
            deal_id="A7",
            owner="Ann Lee",
            status="won",
            close_date="2025-12-01",
            amount=20000,
            created_date="2025-11-01",
        ),
        dict(sf, deal_id="A8", owner="Ann Lee", status="won", close_date="2025-11-20", amount=7777),
        dict(
            sf,
            deal_id="B1",
            owner="Bob Ray",
            status="won",
            close_date="2026-10-20",
            amount=60000,
            created_date="2026-10-01",
        ),
        dict(
            sf,
            deal_id="B2",
            owner="Bob Ray",
            status="open",
            close_date="2026-12-01",
            amount=10000,
            probability=0.1,
            last_activity_date="2026-11-21",
            next_step="Demo",
        ),
        dict(
            hs,
            deal_id="C1",
            owner="Cat Wu",
            status="open",
            close_date="2026-12-10",
            amount=15000,
            probability=0.2,
            created_date="2026-11-01",
        ),
        dict(
            hs,
            deal_id="Z1",
            owner="Zed Unknown",
            status="lost",
            close_date="2026-10-05",
            amount=1000,
        ),
    ]
    return make_snapshots(rows)


REPS = pd.DataFrame(
    {
        "rep": ["Ann Lee", "Bob Ray", "Cat Wu"],
        "team": ["East", "East", "West"],
        "role": ["AE"] * 3,
        "start_date": pd.NaT,
    }
)
ALIASES = pd.DataFrame(
    {
        "alias": ["ann lee", "ann@x.com", "bob ray", "cat wu"],
        "rep": ["Ann Lee", "Ann Lee", "Bob Ray", "Cat Wu"],
    }
)
QUOTAS = pd.DataFrame({"rep": ["Ann Lee", "Bob Ray"], "quota": [100000.0, 50000.0]})
TOUCHES = pd.DataFrame(
    {"source": ["salesforce"], "deal_id": ["A3"], "last_touch": [pd.Timestamp("2026-11-12")]}
)
RIDERS = pd.DataFrame(
    {"rep": ["Ann Lee", "Bob Ray", "Cat Wu", "Zed Unknown"], "team": ["East", "East", "West", None]}
)


@pytest.fixture
def flags():
    state = attach_reps(_book(), ALIASES, REPS)
    return deal_flags(state, Q, AS_OF, touches=TOUCHES, stale_days=14)


@pytest.fixture
def reps(flags):
    return rep_figures(flags, RIDERS, QUOTAS, Q, AS_OF)


def test_pace_clamps_to_the_quarter():
    assert pace(Q, AS_OF) == PACE
    assert pace(Q, dt.date(2026, 10, 1)) == 1 / 92
    assert pace(Q, dt.date(2026, 9, 1)) == 0.0  # before the quarter: nothing elapsed
    assert pace(Q, dt.date(2027, 3, 1)) == 1.0  # after it: all of it
    assert pace(Q, Q.end) == 1.0


def test_owner_resolution(flags):
    owners = flags.set_index("deal_id")[["rep", "team"]]
    assert owners.loc["A4"].tolist() == ["Ann Lee", "East"]  # matched by e-mail alias
    assert owners.loc["Z1", "rep"] == "Zed Unknown"  # unmatched: own name, no team
    assert owners.loc["Z1", "team"] is None


def test_ann(reps):
    ann = reps.loc["Ann Lee"]
    expected = {
        "quota": 100000.0,
        "won": 30000.0,  # A1 only (A2 closes after as_of)
        "attainment": 0.3,
        "pace": PACE,
        "pace_gap": 30000 - 100000 * PACE,
        "open_pipeline": 60000.0,  # A3 + A4
        "past_due_deals": 1,  # A3 (11-10 < 11-22)
        "commit": 20000.0,
        "best_case": 40000.0,
        "commit_forecast": 50000.0,
        "best_case_forecast": 90000.0,
        "weighted_pipeline": 20000 * 0.8 + 40000 * 0.5,  # 36,000
        "coverage": 60000 / 70000,
        "win_rate": 2 / 3,  # A1, A7 won; A6 lost
        "avg_won_deal": 25000.0,  # (30,000 + 20,000) / 2
        "cycle_days": 52.5,  # median(75, 30)
        "velocity": 2 * (2 / 3) * 25000 / 52.5,
        "stale_deals": 1,  # A4
        "needed_pipeline": 70000 / (2 / 3) - 60000,  # 45,000
        "needed_deals": 3,  # ceil(70,000 / 25,000)
    }
    for key, value in expected.items():
        assert ann[key] == pytest.approx(value, rel=1e-12), key
    assert not ann["no_quota"]


def test_bob_quota_met(reps):
    bob = reps.loc["Bob Ray"]
    assert bob["won"] == 60000.0
    assert bob["attainment"] == 1.2
    assert math.isnan(bob["coverage"])  # quota met: coverage undefined
    assert bob["win_rate"] == 1.0
    assert bob["cycle_days"] == 19.0  # Oct 1 -> Oct 20
    assert bob["velocity"] == pytest.approx(1 * 1.0 * 60000 / 19)
    assert bob["needed_pipeline"] == 0.0  # max(0, -10,000/1 - 10,000)
    assert bob["needed_deals"] == 0
    assert bob["stale_deals"] == 0  # B2 last activity 11-21


def test_cat_without_quota_or_closed_deals(reps):
    cat = reps.loc["Cat Wu"]
    assert cat["no_quota"]
    assert cat["quota"] == 0.0  # counts 0, flagged
    assert math.isnan(cat["attainment"])
    assert cat["pace_gap"] == 0.0
    assert math.isnan(cat["coverage"])  # quota - won = 0: "met"
    for key in ("win_rate", "avg_won_deal", "cycle_days", "velocity"):
        assert math.isnan(cat[key]), key
    assert pd.isna(cat["needed_pipeline"]) and pd.isna(cat["needed_deals"])
    assert cat["stale_deals"] == 1  # created 11-01, nothing since


def test_zero_win_rate_makes_needed_undefined(reps):
    zed = reps.loc["Zed Unknown"]
    assert zed["win_rate"] == 0.0  # Z1 lost, none won
    assert pd.isna(zed["needed_pipeline"]) and pd.isna(zed["needed_deals"])


def test_team_from_totals(flags):
    east = team_figures(flags, RIDERS[RIDERS["team"] == "East"], QUOTAS, Q, AS_OF)
    assert set(FIGURE_KEYS) - {"readiness_index"} <= set(east)
    assert east["quota"] == 150000.0
    assert east["won"] == 90000.0
    assert east["attainment"] == 0.6  # 90/150, not the mean of 0.3 and 1.2
    assert east["open_pipeline"] == 70000.0
    assert east["coverage"] == pytest.approx(70000 / 60000)
    assert east["win_rate"] == 0.75  # A1, A7, B1 won; A6 lost
    assert east["avg_won_deal"] == pytest.approx(110000 / 3)
    assert east["cycle_days"] == 30.0  # median(75, 30, 19)
    assert east["velocity"] == pytest.approx(3 * 0.75 * (110000 / 3) / 30)  # 2,750
    assert east["needed_pipeline"] == pytest.approx(60000 / 0.75 - 70000)  # 10,000
    assert east["needed_deals"] == 2  # ceil(60,000 / 36,666.67)
    assert east["stale_deals"] == 1 and east["past_due_deals"] == 1
    assert east["weighted_pipeline"] == pytest.approx(36000 + 1000)


def test_team_with_no_deals(flags):
    empty_team = pd.DataFrame({"rep": ["Nobody"], "team": ["North"]})
    t = team_figures(flags, empty_team, QUOTAS, Q, AS_OF)
    assert t["won"] == 0.0 and t["quota"] == 0.0 and t["open_pipeline"] == 0.0
    assert t["win_rate"] is None and t["coverage"] is None and t["attainment"] is None


def test_rank_and_change(reps):
    rank = rank_reps(reps)
    # Bob 1.2 - pace beats Ann 0.3 - pace; Cat and Zed have no quota.
    assert (rank["Ann Lee"], rank["Bob Ray"]) == (2, 1)
    assert pd.isna(rank["Cat Wu"]) and pd.isna(rank["Zed Unknown"])
    since = pd.Series({"Ann Lee": 1, "Bob Ray": 2}, dtype="Int64")
    change = rank_change(rank, since)
    assert change["Ann Lee"] == -1 and change["Bob Ray"] == 1 and pd.isna(change["Cat Wu"])
    assert rank_change(rank, None).isna().all()


def test_ties_share_the_best_rank():
    figs = pd.DataFrame(
        {"attainment": [0.5, 0.5, 0.2], "pace": [0.4] * 3, "no_quota": [False] * 3},
        index=["a", "b", "c"],
    )
    assert rank_reps(figs).tolist() == [1, 1, 3]


@pytest.mark.parametrize(
    ("figure", "deals"),
    [
        ("won", {"A1"}),
        ("open_pipeline", {"A3", "A4"}),
        ("past_due_deals", {"A3"}),
        ("commit", {"A3"}),
        ("best_case", {"A4"}),
        ("stale_deals", {"A4"}),
        ("win_rate", {"A1", "A6", "A7"}),
        ("avg_won_deal", {"A1", "A7"}),
        ("cycle_days", {"A1", "A7"}),
    ],
)
def test_rows_behind_ann(flags, figure, deals):
    assert set(rows_behind(figure, flags, ["Ann Lee"])["deal_id"]) == deals


@pytest.mark.parametrize(
    "figure",
    ["won", "open_pipeline", "commit", "best_case", "commit_forecast", "best_case_forecast"],
)
def test_rows_behind_re_add_to_the_figure(flags, reps, figure):
    for rep in RIDERS["rep"]:
        rows = rows_behind(figure, flags, [rep])
        assert rows["cents"].sum() / 100 == reps.loc[rep, figure], (rep, figure)


def test_rows_behind_counts_and_weighted(flags, reps):
    for rep in RIDERS["rep"]:
        assert len(rows_behind("past_due_deals", flags, [rep])) == reps.loc[rep, "past_due_deals"]
        assert len(rows_behind("stale_deals", flags, [rep])) == reps.loc[rep, "stale_deals"]
        w = rows_behind("weighted_pipeline", flags, [rep])
        assert (w["amount"] * w["probability"]).sum() == pytest.approx(
            reps.loc[rep, "weighted_pipeline"]
        )


def test_hygiene_inputs(reps):
    # Ann: A3 past due, A4 stale -> 0 of 2; Bob: B2 fine -> 1 of 1; Cat: C1 stale (hubspot has no
    # next-step column, so its absence is not held against it) -> 0 of 1.
    assert reps.loc["Ann Lee", ["open_deals", "hygiene_ok_deals"]].tolist() == [2, 0]
    assert reps.loc["Bob Ray", ["open_deals", "hygiene_ok_deals"]].tolist() == [1, 1]
    assert reps.loc["Cat Wu", ["open_deals", "hygiene_ok_deals"]].tolist() == [1, 0]


def test_no_next_step_only_where_the_export_has_the_column(flags):
    f = flags.set_index("deal_id")
    assert bool(f.loc["A4", "no_next_step"])  # salesforce rows carry next steps
    assert not bool(f.loc["C1", "no_next_step"])  # hubspot rows never do


def test_stale_window_is_configurable(flags):
    state = attach_reps(_book(), ALIASES, REPS)
    # With 30 days, A4 (last activity 11-01, within 10-24..11-22) is no longer stale; C1 too.
    wide = deal_flags(state, Q, AS_OF, touches=TOUCHES, stale_days=30)
    assert set(wide.loc[wide["stale"], "deal_id"]) == set()
