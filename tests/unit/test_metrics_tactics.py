"""Focus share and the support car's figures (DESIGN §12), on hand-worked frames. No store, no
browser: every expected number is worked out in the comments from the rows above it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.metrics import tactics as t

AS_OF = dt.date(2026, 11, 22)


# --- the focus list ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "gap", "expected"),
    [
        # running 30, 80, 120 against 60: reached at the 2nd deal
        ([3000, 5000, 4000], 60.0, 2),
        # exactly the gap counts as reaching it: 30 + 50 = 80
        ([3000, 5000, 4000], 80.0, 2),
        # the first deal alone: 30 >= 25
        ([3000, 5000], 25.0, 1),
        # quota met: nothing is needed
        ([3000], 0.0, 0),
        # no quota: no gap, no count
        ([3000], None, None),
        # they all fall short: 10 < 20
        ([1000], 20.0, None),
        ([], 5.0, None),
    ],
)
def test_deals_to_gap(cents, gap, expected):
    assert t.deals_to_gap(pd.Series(cents, dtype="int64"), gap) == expected


def test_focus_order_ranks_weighted_then_amount_then_id():
    deals = pd.DataFrame(
        {
            "deal_id": ["d", "c", "b", "a"],
            # weighted 10, 10, 27, 10: b first; the three tens by amount 20 > 10 = 10; a < d by id
            "weighted": [10.0, 10.0, 27.0, 10.0],
            "amount": [10.0, 20.0, 30.0, 10.0],
        }
    )
    assert t.focus_order(deals)["deal_id"].tolist() == ["b", "c", "a", "d"]


def _deal(rep, team, deal_id, amount, probability, open_=True, won_window=False):
    return dict(
        source="sf",
        deal_id=deal_id,
        deal_name=f"Deal {deal_id}",
        account=f"Acct {deal_id}",
        rep=rep,
        team=team,
        amount=float(amount),
        cents=int(round(amount * 100)),
        probability=probability,
        weighted=float(amount) * probability if open_ else 0.0,
        open_in_quarter=open_,
        won_in_window=won_window,
        stage="Negotiation" if open_ else "Closed Won",
        close_date=pd.Timestamp("2026-12-10"),
        forecast_category="pipeline" if open_ else "closed",
    )


# The book of the focus tests (quarter figures in money):
#   East  Ann  quota 100, won 40 -> gap 60. Open: A1 50 × .5 = 25; A2 40 × .5 = 20;
#              A3 30 × .9 = 27; A4 10 × .1 = 1. Order A3, A1, A2, A4; running 30, 80 -> the
#              gap is reached at A1: focus list A3, A1.
#         Bob  quota 50, won 0 -> gap 50. Open: B1 20 × .5 = 10; B2 10 × 1.0 = 10 (tie: the
#              larger amount first): B1, B2; running 20, 30 < 50: they all fall short, so both
#              are on the list.
#         Cid  quota 80, won 80 -> gap 0 (quota met): no list.
#         Dee  no quota: no gap, no list.
#         Eve  quota 40, won 0; E1 50 × .2: focus E1 (50 >= 40). No activities.
#         Fay  quota 30, won 0; F1 40 × .5: focus F1.
#         Gus  quota 20, won 0, no open deal: an empty list.
#   West  Wes  quota 10, won 0; W1 10 × .5: focus W1.
DEALS = pd.DataFrame(
    [
        _deal("Ann Lee", "East", "A1", 50, 0.5),
        _deal("Ann Lee", "East", "A2", 40, 0.5),
        _deal("Ann Lee", "East", "A3", 30, 0.9),
        _deal("Ann Lee", "East", "A4", 10, 0.1),
        _deal("Ann Lee", "East", "AW", 40, 1.0, open_=False, won_window=True),
        _deal("Bob Ray", "East", "B1", 20, 0.5),
        _deal("Bob Ray", "East", "B2", 10, 1.0),
        _deal("Cid Oh", "East", "C1", 70, 0.5),
        _deal("Dee Do", "East", "D1", 70, 0.5),
        _deal("Eve Ng", "East", "E1", 50, 0.2),
        _deal("Fay Ma", "East", "F1", 40, 0.5),
        _deal("Wes Tan", "West", "W1", 10, 0.5),
    ]
)
FIGURES = pd.DataFrame(
    {
        "team": ["East"] * 7 + ["West"],
        "quota": [100.0, 50.0, 80.0, 0.0, 40.0, 30.0, 20.0, 10.0],
        "won": [40.0, 0.0, 80.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "no_quota": [False, False, False, True, False, False, False, False],
    },
    index=pd.Index(
        ["Ann Lee", "Bob Ray", "Cid Oh", "Dee Do", "Eve Ng", "Fay Ma", "Gus Al", "Wes Tan"],
        name="rep",
    ),
)
# Activities in [11-09, 11-22], per rep and deal (None: on no deal):
#   Ann: 4 on A3, 2 on A1 (focus: 6), 3 on A2, 1 on none -> 10 in all, share 6/10 = 0.6
#   Bob: 1 on B1 (focus), 9 on Ann's A3 (Ann's list, not his) -> 1/10 = 0.1
#   Cid: 5 on C1 -> null (quota met); Dee: 2 on D1 -> null (no quota); Eve: none -> null
#   Fay: 3 on F1, 1 on none -> 3/4 = 0.75; Gus: 4 on none -> null (empty list)
#   Wes: 2 on W1 -> 2/2 = 1.0
ACTIVITY = pd.DataFrame(
    [
        ("Ann Lee", "sf", "A3", 4),
        ("Ann Lee", "sf", "A1", 2),
        ("Ann Lee", "sf", "A2", 3),
        ("Ann Lee", None, None, 1),
        ("Bob Ray", "sf", "B1", 1),
        ("Bob Ray", "sf", "A3", 9),
        ("Cid Oh", "sf", "C1", 5),
        ("Dee Do", "sf", "D1", 2),
        ("Fay Ma", "sf", "F1", 3),
        ("Fay Ma", None, None, 1),
        ("Gus Al", None, None, 4),
        ("Wes Tan", "sf", "W1", 2),
    ],
    columns=["rep", "source", "deal_id", "n"],
)


def test_rep_focus_lists_close_each_reps_gap():
    focus = t.rep_focus_lists(DEALS, FIGURES)
    lists = {rep: g["deal_id"].tolist() for rep, g in focus.groupby("rep", sort=False)}
    assert lists == {
        "Ann Lee": ["A3", "A1"],
        "Bob Ray": ["B1", "B2"],
        "Eve Ng": ["E1"],
        "Fay Ma": ["F1"],
        "Wes Tan": ["W1"],
    }
    assert focus.loc[focus["rep"] == "Ann Lee", "focus_rank"].tolist() == [1, 2]


def test_focus_share_by_hand():
    focus = t.rep_focus_lists(DEALS, FIGURES)
    out = t.focus_share(ACTIVITY, focus, FIGURES).set_index("rep")
    share = out["focus_share"]
    assert share["Ann Lee"] == pytest.approx(0.6)
    assert share["Bob Ray"] == pytest.approx(0.1)
    assert share["Fay Ma"] == pytest.approx(0.75)
    assert share["Wes Tan"] == pytest.approx(1.0)
    for rep in ("Cid Oh", "Dee Do", "Eve Ng", "Gus Al"):
        assert np.isnan(share[rep]), rep
    assert out.loc["Ann Lee", ["activities", "on_focus", "focus_deals"]].tolist() == [10, 6, 2]
    assert out.loc["Bob Ray", ["activities", "on_focus", "focus_deals"]].tolist() == [10, 1, 2]
    assert out.loc["Ann Lee", "gap"] == pytest.approx(60.0)
    assert out["why_none"].to_dict() == {
        "Ann Lee": None,
        "Bob Ray": None,
        "Cid Oh": t.QUOTA_MET,
        "Dee Do": t.NO_QUOTA,
        "Eve Ng": t.NO_ACTIVITY,
        "Fay Ma": None,
        "Gus Al": t.NO_DEALS,
        "Wes Tan": None,
    }
    # East's shares: 0.6, 0.1, 0.75 -> median 0.6; half of it 0.3: Bob (0.1) is busy elsewhere.
    # West: Wes alone, median 1.0; 1.0 is not under 0.5.
    assert out.loc[out["team"] == "East", "team_median"].unique().tolist() == [pytest.approx(0.6)]
    assert out.loc["Wes Tan", "team_median"] == pytest.approx(1.0)
    assert out.index[out["busy_elsewhere"]].tolist() == ["Bob Ray"]
    # a null share is never flagged, whatever the median
    assert not out.loc[["Cid Oh", "Dee Do", "Eve Ng", "Gus Al"], "busy_elsewhere"].any()


def test_focus_share_without_any_activity_is_null_everywhere():
    focus = t.rep_focus_lists(DEALS, FIGURES)
    empty = ACTIVITY.iloc[0:0]
    out = t.focus_share(empty, focus, FIGURES)
    assert out["focus_share"].isna().all()
    assert out["team_median"].isna().all()
    assert not out["busy_elsewhere"].any()


def test_windows():
    assert t.focus_window(AS_OF) == (dt.date(2026, 11, 9), AS_OF)
    assert t.support_window(AS_OF) == (dt.date(2026, 10, 26), AS_OF)
    days = pd.Series(pd.to_datetime(["2026-11-22", "2026-11-16", "2026-11-15", "2026-10-26"]))
    # 0, 6, 7 and 27 days back: weeks 4, 4, 3 and 1
    assert t.week_of(days, AS_OF).tolist() == [4, 4, 3, 1]


# --- the support car --------------------------------------------------------------------------

# East won in the window: Ann AW 40, Bob BW 10 -> average 25, large from 50.
# West won: Wes WW 100 -> large from 200.
SUPPORT_FLAGS = pd.DataFrame(
    [
        _deal("Ann Lee", "East", "A1", 50, 0.5),  # large (50 >= 50), supported
        _deal("Ann Lee", "East", "A3", 60, 0.9),  # large, no expert
        _deal("Ann Lee", "East", "AW", 40, 1.0, open_=False, won_window=True),
        _deal("Bob Ray", "East", "B1", 20, 0.5),  # not large
        _deal("Bob Ray", "East", "BW", 10, 1.0, open_=False, won_window=True),
        _deal("Wes Tan", "West", "W1", 150, 0.5),  # not large (< 200)
        _deal("Wes Tan", "West", "W4", 250, 0.5),  # large, no expert
        _deal("Wes Tan", "West", "WW", 100, 1.0, open_=False, won_window=True),
    ]
)
RIDERS = pd.DataFrame(
    {"rep": ["Ann Lee", "Bob Ray", "Wes Tan", "Nat No"], "team": ["East", "East", "West", "North"]}
)


def test_large_thresholds():
    th = t.large_thresholds(SUPPORT_FLAGS, RIDERS)
    # East 2 × (40 + 10) / 2 = 50; West 2 × 100 = 200; North won nothing: no threshold
    assert th["East"] == pytest.approx(50.0)
    assert th["West"] == pytest.approx(200.0)
    assert np.isnan(th["North"])


def test_unsupported_large_deals():
    th = t.large_thresholds(SUPPORT_FLAGS, RIDERS)
    support = pd.DataFrame({"source": ["sf"], "deal_id": ["A1"], "experts": [3]})
    out = t.unsupported_large_deals(SUPPORT_FLAGS, support, th)
    # large: A1 (50), A3 (60), W4 (250); A1 had an expert: W4 and A3, largest first
    assert out["deal_id"].tolist() == ["W4", "A3"]
    assert out["threshold"].tolist() == [200.0, 50.0]


# Expert activities in [10-26, 11-22] by week (1 oldest .. 4 ending on as_of):
#   Sam (SE):      A1 w4 2, w3 1;  B1 w1 3;  AW (won, not open) w2 1
#   Mia (Manager): A1 w4 1
WORK = pd.DataFrame(
    [
        ("Sam Se", "SE", "sf", "A1", 4, 2, pd.Timestamp("2026-11-20")),
        ("Sam Se", "SE", "sf", "A1", 3, 1, pd.Timestamp("2026-11-12")),
        ("Sam Se", "SE", "sf", "B1", 1, 3, pd.Timestamp("2026-10-30")),
        ("Sam Se", "SE", "sf", "AW", 2, 1, pd.Timestamp("2026-11-03")),
        ("Mia Mo", "Manager", "sf", "A1", 4, 1, pd.Timestamp("2026-11-21")),
    ],
    columns=["expert", "role", "source", "deal_id", "week", "n", "last_day"],
)
EXPERTS = pd.DataFrame(
    {
        "expert": ["Sam Se", "Mia Mo", "Cal Csm"],
        "role": ["SE", "Manager", "CSM"],
        "team": ["East", "East", "East"],
    }
)


def test_expert_work_and_summary_by_hand():
    deals = t.expert_work(WORK, SUPPORT_FLAGS)
    sam = deals[deals["expert"] == "Sam Se"].set_index("deal_id")
    # A1: 2 + 1 = 3 (w3 1, w4 2); B1: 3 in w1; AW: 1 in w2
    assert sam.loc["A1", ["w1", "w2", "w3", "w4", "activities"]].tolist() == [0, 0, 1, 2, 3]
    assert sam.loc["B1", "activities"] == 3
    assert sam.loc["A1", "last_day"] == pd.Timestamp("2026-11-20")
    assert not sam.loc["AW", "open_in_quarter"]
    out = t.expert_summary(deals, EXPERTS).set_index("expert")
    # Sam: 3 deals, 3 + 3 + 1 = 7 activities, 7 / 4 = 1.75 a week; weeks 3, 1, 1, 2;
    # open in quarter: A1 50 + B1 20 = 70 (AW is won: not touched pipeline)
    assert out.loc["Sam Se", ["deals", "activities", "open_deals"]].tolist() == [3, 7, 2]
    assert out.loc["Sam Se", "per_week"] == pytest.approx(1.75)
    assert out.loc["Sam Se", ["w1", "w2", "w3", "w4"]].tolist() == [3, 1, 1, 2]
    assert out.loc["Sam Se", "open_amount"] == pytest.approx(70.0)
    # Mia: one activity on A1 (50); Cal worked on none of the view's deals: zeros, still listed
    assert out.loc["Mia Mo", ["deals", "activities", "open_amount"]].tolist() == [1, 1, 50.0]
    assert out.loc["Cal Csm", ["deals", "activities", "open_amount"]].tolist() == [0, 0, 0.0]
    assert out.index.tolist() == ["Sam Se", "Mia Mo", "Cal Csm"]


def test_expert_from_another_team_is_listed_without_a_team():
    work = pd.concat(
        [
            WORK,
            pd.DataFrame(
                [("Pat Ptn", "Partner", "sf", "A3", 4, 2, pd.Timestamp("2026-11-19"))],
                columns=WORK.columns,
            ),
        ],
        ignore_index=True,
    )
    out = t.expert_summary(t.expert_work(work, SUPPORT_FLAGS), EXPERTS).set_index("expert")
    assert out.loc["Pat Ptn", "team"] is None
    assert out.loc["Pat Ptn", ["role", "activities", "open_amount"]].tolist() == [
        "Partner",
        2,
        60.0,
    ]
