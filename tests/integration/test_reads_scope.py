"""Reads moved into the read layer keep the viewer's scope (the hand-checked book of
tests/support/book.py, on SQLite and PostgreSQL).

East: Ann Lee, Bob Ray, Sam Se (SE), Dan New. West: Cat Wu.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.reads import imports, queries
from tests.support.book import AS_OF

QUARTER_START = dt.date(2026, 10, 1)
TRAIL_START = QUARTER_START - dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("scope", "days"),
    [
        (None, [dt.date(2026, 11, 1), dt.date(2026, 11, 22)]),
        (["East"], [dt.date(2026, 11, 1), dt.date(2026, 11, 22)]),
        (["West"], []),
        ([], []),
    ],
)
def test_deal_trail_only_for_a_deal_the_viewer_may_see(book_engine, scope, days):
    """A3 is Ann's (East) in both salesforce snapshots; a West manager reads nothing of it."""
    trail = queries.load_deal_trail(book_engine, scope, "salesforce", "A3", TRAIL_START, AS_OF)
    assert [d.date() if hasattr(d, "date") else d for d in trail["snapshot_date"]] == days


def test_deal_trail_follows_a_transferred_deal_for_its_teams(book_engine):
    """B2 moved from Ann to Bob (both East): East sees both snapshots, West neither."""
    east = queries.load_deal_trail(book_engine, ["East"], "salesforce", "B2", TRAIL_START, AS_OF)
    west = queries.load_deal_trail(book_engine, ["West"], "salesforce", "B2", TRAIL_START, AS_OF)
    assert len(east) == 2 and list(east["amount"]) == [10_000.0, 10_000.0]
    assert west.empty


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        # T1 Ann call 11-12 and T3 Sam meeting 11-15 are completed; T2 (Ann, 11-20) is not.
        (None, {("Ann Lee", "call"): 1, ("Sam Se", "meeting"): 1}),
        (["East"], {("Ann Lee", "call"): 1, ("Sam Se", "meeting"): 1}),
        (["West"], {}),
        ([], {}),
    ],
)
def test_activity_by_type_is_scoped(book_engine, scope, expected):
    out = queries.load_activity_by_type(book_engine, scope, dt.date(2026, 11, 1), AS_OF)
    got = {(r.owner, r.type): int(r.n) for r in out.itertuples()}
    assert got == expected


def test_import_reads_are_an_administrators(book_engine):
    """Batches and their rejects are whole-store facts: only the unscoped viewer reads them."""
    everything = imports.loaded_by_source(book_engine, None)
    assert len(everything) > 0
    for scope in (["East"], []):
        assert imports.loaded_by_source(book_engine, scope).empty
        assert imports.latest_with_rejects(book_engine, scope) is None
