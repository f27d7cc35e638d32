"""Movement between two days and the waterfall (no store, no browser).

Quarter 2026-Q4; A = 2026-11-01, B = 2026-11-22. One deal per category, worked by hand:

  deal  at A                        at B                          category (team)
  M1    Ann open Q 10,000           Ann open Q 10,000             unchanged
  M2    Ann open Q 10,000           Ann open Q 15,000             increased  +5,000
  M3    Bob open Q 20,000           Bob open Q 12,000             decreased  -8,000
  M4    Ann open Q  7,000           Ann won    8,000              won         7,000 (A's amount)
  M5    Ann open Q  3,000           Ann lost                      lost        3,000
  M6    Ann open Q  6,000           Ann open, closes 2027-02-01   pushed_out  6,000
  M7    Ann open Q  4,000           (gone: deleted)               removed     4,000
  M8    (absent)                    Ann open Q  9,000             created     9,000
  M9    Ann open, closes 2027-01-10 Ann open Q  5,500             pulled_in   5,500 (B's amount)
  M10   Ann lost (10-20)            Ann open Q  2,500 (reopened)  pulled_in   2,500
  M11   Ann open Q 10,000           Bob open Q 11,000             increased  +1,000; Ann->Bob
  M12   (absent)                    Ann won 11-15 3,333           won_new (in neither set)
  M13   Bob open Q  5,000           Ann lost                      lost        5,000; Bob->Ann

Team: start 75,000 (M1..M7, M11, M13); created 9,000; pulled_in 8,000; increased 6,000;
decreased 8,000; won 7,000; lost 8,000; pushed_out 6,000; removed 4,000; end 65,000
(M1, M2, M3, M8, M9, M10, M11) and 75 + 9 + 8 + 6 - 8 - 7 - 8 - 6 - 4 = 65.
Ann: start 50,000; transferred in 5,000 (M13), out 10,000 (M11); created 9,000; pulled_in 8,000;
increased 5,000; won 7,000; lost 8,000; pushed_out 6,000; removed 4,000; end 42,000.
Bob: start 25,000; in 10,000 (M11); out 5,000 (M13); increased 1,000; decreased 8,000; end 23,000.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.metrics import (
    REP_WATERFALL_KEYS,
    WATERFALL_KEYS,
    compute_movement,
    compute_waterfall,
    rep_waterfalls_cents,
    waterfall_cents,
)
from dashboard.metrics.frames import make_snapshots
from loaders.fiscal import parse_quarter

Q = parse_quarter("2026-Q4", 1)
A, B = "2026-11-01", "2026-11-22"
TEAMS = {"Ann": "East", "Bob": "East", "Cy": "West"}


def _state(day, rows):
    frame = make_snapshots(rows, source="salesforce", snapshot_date=day)
    frame["rep"] = frame["owner"]
    frame["team"] = frame["rep"].map(TEAMS).astype("object")
    return frame


def d(deal, owner, status, close, amount):
    return dict(
        deal_id=deal,
        owner=owner,
        status=status,
        close_date=close,
        amount=amount,
        deal_name=f"Deal {deal}",
    )


STATE_A = [
    d("M1", "Ann", "open", "2026-12-01", 10000),
    d("M2", "Ann", "open", "2026-12-01", 10000),
    d("M3", "Bob", "open", "2026-12-01", 20000),
    d("M4", "Ann", "open", "2026-11-20", 7000),
    d("M5", "Ann", "open", "2026-12-01", 3000),
    d("M6", "Ann", "open", "2026-12-20", 6000),
    d("M7", "Ann", "open", "2026-12-01", 4000),
    d("M9", "Ann", "open", "2027-01-10", 5000),
    d("M10", "Ann", "lost", "2026-10-20", 2500),
    d("M11", "Ann", "open", "2026-12-05", 10000),
    d("M13", "Bob", "open", "2026-12-01", 5000),
]
STATE_B = [
    d("M1", "Ann", "open", "2026-12-01", 10000),
    d("M2", "Ann", "open", "2026-12-01", 15000),
    d("M3", "Bob", "open", "2026-12-01", 12000),
    d("M4", "Ann", "won", "2026-11-20", 8000),
    d("M5", "Ann", "lost", "2026-11-21", 3000),
    d("M6", "Ann", "open", "2027-02-01", 6000),
    d("M8", "Ann", "open", "2026-12-10", 9000),
    d("M9", "Ann", "open", "2026-12-15", 5500),
    d("M10", "Ann", "open", "2026-12-30", 2500),
    d("M11", "Bob", "open", "2026-12-05", 11000),
    d("M12", "Ann", "won", "2026-11-15", 3333),
    d("M13", "Ann", "lost", "2026-11-21", 5000),
]


@pytest.fixture
def movement():
    return compute_movement(_state(A, STATE_A), _state(B, STATE_B), Q)


def test_every_category(movement):
    got = dict(zip(movement["deal_id"], movement["category"], strict=True))
    assert got == {
        "M1": "unchanged",
        "M2": "increased",
        "M3": "decreased",
        "M4": "won",
        "M5": "lost",
        "M6": "pushed_out",
        "M7": "removed",
        "M8": "created",
        "M9": "pulled_in",
        "M10": "pulled_in",
        "M11": "increased",
        "M12": "won_new",
        "M13": "lost",
    }


def test_amounts_leaving_use_a_arriving_use_b(movement):
    m = movement.set_index("deal_id")
    assert m.loc["M4", ["amount_since", "amount_now"]].tolist() == [7000, 8000]
    assert pd.isna(m.loc["M7", "amount_now"]) and m.loc["M7", "rep"] == "Ann"
    assert pd.isna(m.loc["M8", "amount_since"])
    assert m.loc["M11", "rep"] == "Bob" and bool(m.loc["M11", "transferred"])
    assert m.loc["M13", ["rep_since", "rep_now"]].tolist() == ["Bob", "Ann"]


def test_team_waterfall(movement):
    w = compute_waterfall(movement)
    assert w == {
        "start": 75000,
        "created": 9000,
        "pulled_in": 8000,
        "increased": 6000,
        "decreased": 8000,
        "won": 7000,
        "lost": 8000,
        "pushed_out": 6000,
        "removed": 4000,
        "end": 65000,
        "won_new": 3333,
    }


def test_rep_waterfalls(movement):
    reps = (rep_waterfalls_cents(movement) // 100).to_dict("index")
    assert reps["Ann"] == {
        "start": 50000,
        "transferred_in": 5000,
        "transferred_out": 10000,
        "created": 9000,
        "pulled_in": 8000,
        "increased": 5000,
        "decreased": 0,
        "won": 7000,
        "lost": 8000,
        "pushed_out": 6000,
        "removed": 4000,
        "end": 42000,
        "won_new": 3333,
    }
    assert reps["Bob"] == {
        "start": 25000,
        "transferred_in": 10000,
        "transferred_out": 5000,
        "created": 0,
        "pulled_in": 0,
        "increased": 1000,
        "decreased": 8000,
        "won": 0,
        "lost": 0,
        "pushed_out": 0,
        "removed": 0,
        "end": 23000,
        "won_new": 0,
    }


def test_same_day_means_no_movement():
    s = _state(B, STATE_B)
    m = compute_movement(s, s, Q)
    assert set(m["category"]) <= {"unchanged"}
    w = compute_waterfall(m)
    assert w["start"] == w["end"] == 10000 + 15000 + 12000 + 9000 + 5500 + 2500 + 11000


def test_empty_days():
    empty = _state(A, [])
    w = compute_waterfall(compute_movement(empty, empty, Q))
    assert all(v == 0 for v in w.values())


def _identity(w, transfers=False):
    total = (
        w["start"]
        + w["created"]
        + w["pulled_in"]
        + w["increased"]
        - w["decreased"]
        - w["won"]
        - w["lost"]
        - w["pushed_out"]
        - w["removed"]
    )
    if transfers:
        total += w["transferred_in"] - w["transferred_out"]
    return total


# --- the identity on random books -------------------------------------------------------------

CLOSES = ["2026-09-15", "2026-10-05", "2026-11-10", "2026-12-31", "2027-01-05", None]
deal_side = st.one_of(
    st.none(),  # absent from that day's snapshot
    st.fixed_dictionaries(
        {
            "owner": st.sampled_from(["Ann", "Bob", "Cy", "Unassigned"]),
            "status": st.sampled_from(["open", "open", "won", "lost"]),
            "close_date": st.sampled_from(CLOSES),
            "amount": st.one_of(st.none(), st.integers(0, 10**9).map(lambda c: c / 100)),
        }
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(deal_side, deal_side), max_size=40))
def test_waterfall_identity_holds_exactly(pairs):
    rows_a, rows_b = [], []
    for i, (a, b) in enumerate(pairs):
        if a is not None:
            rows_a.append({"deal_id": f"D{i}", **a})
        if b is not None:
            rows_b.append({"deal_id": f"D{i}", **b})
    m = compute_movement(_state(A, rows_a), _state(B, rows_b), Q)
    team = waterfall_cents(m)
    assert _identity(team) == team["end"]  # exact, in integer cents
    reps = rep_waterfalls_cents(m)
    for rep, row in reps.iterrows():
        assert _identity(row, transfers=True) == row["end"], rep
    # The reps' waterfalls add up to the team's, category by category.
    for key in WATERFALL_KEYS[1:-1]:
        assert reps[key].sum() == team[key], key
    assert reps["end"].sum() == team["end"]
    assert reps["start"].sum() == team["start"]
    assert reps["transferred_in"].sum() == reps["transferred_out"].sum()
    # A team on its own: deals credited to its reps; transfers across its border explain starts.
    for name in ("East", "West"):
        own = m[m["team"] == name]
        tw = waterfall_cents(own)
        assert _identity(tw) == tw["end"]
        members = reps.loc[[r for r in reps.index if TEAMS.get(r) == name]]
        assert (
            members["start"] + members["transferred_in"] - members["transferred_out"]
        ).sum() == tw["start"]
        for key in WATERFALL_KEYS[1:]:
            assert members[key].sum() == tw[key], (name, key)
    assert set(REP_WATERFALL_KEYS) <= set(reps.columns)


def test_money_is_exact_to_the_cent():
    rows_a = [d("X1", "Ann", "open", "2026-12-01", 0.1), d("X2", "Ann", "open", "2026-12-01", 0.2)]
    rows_b = [d("X1", "Ann", "open", "2026-12-01", 0.1), d("X2", "Ann", "open", "2026-12-01", 0.2)]
    w = compute_waterfall(compute_movement(_state(A, rows_a), _state(B, rows_b), Q))
    assert w["start"] == 0.3 and w["end"] == 0.3  # 0.1 + 0.2 would be 0.30000000000000004


def test_dates_are_compared_as_days():
    # Both snapshot frames may come with any datetime resolution.
    a = _state(A, [d("X", "Ann", "open", "2026-12-01", 5)])
    a["close_date"] = a["close_date"].astype("datetime64[s]")
    m = compute_movement(a, _state(B, [d("X", "Ann", "open", "2026-12-01", 5)]), Q)
    assert m["category"].tolist() == ["unchanged"]
    assert isinstance(m.loc[0, "close_date_since"], pd.Timestamp | dt.date)
