"""Which snapshot counts on a day, field history replay, and push counts (no store, no browser)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.metrics import deal_state_at, push_counts
from dashboard.metrics.frames import HISTORY_COLUMNS, conform, make_snapshots


def snap(day, deal, source="salesforce", **kw):
    base = dict(
        snapshot_date=day,
        deal_id=deal,
        source=source,
        owner="Ann",
        status="open",
        close_date="2026-12-01",
        amount=100.0,
        stage="Negotiation",
        created_date="2026-09-01",
    )
    return {**base, **kw}


def hist(deal, at, field, old, new, source="salesforce"):
    return dict(
        source=source,
        deal_id=deal,
        changed_at=pd.Timestamp(at),
        field=field,
        old_value=old,
        new_value=new,
    )


def H(rows):
    return conform(pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)), HISTORY_COLUMNS)


# --- the latest snapshot of each source on or before the day ------------------------------

SNAPS = make_snapshots(
    [
        snap("2026-11-01", "S1"),
        snap("2026-11-01", "S2"),
        snap("2026-11-15", "S1", amount=150.0),  # S2 dropped by salesforce
        snap("2026-11-10", "H1", source="hubspot"),
    ]
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-10-30", set()),  # before any snapshot
        ("2026-11-01", {("salesforce", "S1", 100.0), ("salesforce", "S2", 100.0)}),
        (
            "2026-11-12",
            {("salesforce", "S1", 100.0), ("salesforce", "S2", 100.0), ("hubspot", "H1", 100.0)},
        ),
        # salesforce has a newer snapshot; hubspot's deal stays (absent only when its source drops it)
        ("2026-11-20", {("salesforce", "S1", 150.0), ("hubspot", "H1", 100.0)}),
    ],
)
def test_latest_snapshot_per_source(day, expected):
    state = deal_state_at(SNAPS, day)
    assert set(zip(state["source"], state["deal_id"], state["amount"], strict=True)) == expected


# --- field history ------------------------------------------------------------------------

ONE_EXPORT = make_snapshots(
    [
        snap("2026-11-22", "D1", amount=200.0, close_date="2026-12-20", owner="Bob"),
        snap("2026-11-22", "D2", created_date="2026-11-12"),
        snap("2026-11-22", "D3", stage="Closed Won", status="won"),
        snap("2026-11-22", "D4", stage="Closed Won", status="won", created_date="2026-01-01"),
    ]
)
HISTORY = H(
    [
        hist("D1", "2026-09-01 10:00", "close_date", None, "2026-12-01"),  # set at creation
        hist("D1", "2026-11-05 09:00", "close_date", "2026-12-01", "2026-12-20"),
        hist("D1", "2026-11-10 09:00", "amount", "100", "150"),
        hist("D1", "2026-11-12 09:00", "amount", "150", "200"),
        hist("D1", "2026-11-15 09:00", "owner", "Ann", "Bob"),
        hist("D3", "2026-11-18 09:00", "stage", "Negotiation", "Closed Won"),
        hist("D3", "2026-11-25 09:00", "amount", "100", "999"),  # after the export: ignored
    ]
)


def test_history_rolls_one_export_back():
    # With one Data Export on 11-22 and its OpportunityHistory, 11-01 is known without a snapshot.
    state = deal_state_at(ONE_EXPORT, "2026-11-01", HISTORY).set_index("deal_id")
    assert set(state.index) == {"D1", "D3", "D4"}  # D2 was created on 11-12
    d1 = state.loc["D1"]
    assert d1["amount"] == 100.0  # first change's old value
    assert d1["close_date"] == pd.Timestamp("2026-12-01")
    assert (d1["owner"], d1["owner_key"]) == ("Ann", "ann")
    # The stage before 11-18 was Negotiation: status learnt from the export's own stage names.
    assert (state.loc["D3", "stage"], state.loc["D3", "status"]) == ("Negotiation", "open")
    assert state.loc["D4", "status"] == "won"  # no history: as exported


def test_history_between_two_snapshots():
    snaps = make_snapshots(
        [
            snap("2026-11-01", "D1"),
            snap("2026-11-01", "D9"),  # D9 deleted by 11-22
            snap("2026-11-22", "D1", amount=200.0),
            snap("2026-11-22", "D2", created_date="2026-11-12"),
        ]
    )
    state = deal_state_at(snaps, "2026-11-12", HISTORY).set_index("deal_id")
    # D1 rolled forward from 11-01 (both amount changes by 11-12), D2 rolled back from 11-22,
    # D9 kept from 11-01 (deleted later, it still existed then).
    assert state.loc["D1", "amount"] == 200.0
    assert set(state.index) == {"D1", "D2", "D9"}
    assert state.loc["D1", "close_date"] == pd.Timestamp("2026-12-20")


def test_without_history_the_snapshot_rule_stands():
    state = deal_state_at(ONE_EXPORT, "2026-11-01")
    assert state.empty


# --- push counts --------------------------------------------------------------------------


def test_push_counts_from_snapshots_history_and_export():
    snaps = make_snapshots(
        [
            # P1, snapshots only: 12-01 -> 12-15 (push) -> 12-10 (pulled in) -> 12-20 (push)
            snap("2026-11-01", "P1", close_date="2026-12-01"),
            snap("2026-11-08", "P1", close_date="2026-12-15"),
            snap("2026-11-15", "P1", close_date="2026-12-10"),
            snap("2026-11-22", "P1", close_date="2026-12-20"),
            # P2, history and snapshots see the same two pushes: counted once each
            snap("2026-11-08", "P2", close_date="2026-12-31"),
            snap("2026-11-22", "P2", close_date="2027-01-15"),
            # P3, one snapshot with the export's own Push Count
            snap("2026-11-22", "P3", push_count=5),
        ]
    )
    history = H(
        [
            hist("P2", "2026-10-01 08:00", "close_date", None, "2026-12-01"),  # creation
            hist("P2", "2026-11-03 08:00", "close_date", "2026-12-01", "2026-12-31"),
            hist("P2", "2026-11-20 08:00", "close_date", "2026-12-31", "2027-01-15"),
            hist("P2", "2026-11-25 08:00", "close_date", "2027-01-15", "2027-02-15"),  # after as_of
        ]
    )
    exported = snaps[snaps["snapshot_date"] == "2026-11-22"][["source", "deal_id", "push_count"]]
    got = push_counts(
        snaps[["source", "deal_id", "snapshot_date", "close_date"]], history, "2026-11-22", exported
    ).set_index("deal_id")
    assert (got.loc["P1", "push_count"], got.loc["P1", "push_source"]) == (2, "snapshots")
    assert (got.loc["P2", "push_count"], got.loc["P2", "push_source"]) == (2, "history")
    assert (got.loc["P3", "push_count"], got.loc["P3", "push_source"]) == (5, "export")
    earlier = push_counts(
        snaps[["source", "deal_id", "snapshot_date", "close_date"]], history, "2026-11-10"
    ).set_index("deal_id")
    assert earlier.loc["P1", "push_count"] == 1  # only the 11-08 push by then
    assert earlier.loc["P2", "push_count"] == 1  # only the 11-03 change by then
