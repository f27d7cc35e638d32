"""The forecast calls reader, the roster's chain rows, and the hierarchy's loop cut.

Unit tier: no database, no browser. Expected values are read off the small files below by hand.
Whether a person is on the roster is the store's question (tests/integration/test_calls_store.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.reads.calls import _cut_loops
from loaders import schema
from loaders.formats import detect_format, read_export


def _file(tmp_path: Path, body: str, name: str = "calls.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (["Person", "Quarter", "Submitted", "Commit", "Best Case", "Note"], "calls"),
        (["Person", "Quarter", "Submitted", "Commit", "Best Case"], "calls"),
        (["Rep", "Period", "Call Date", "Commit", "Upside"], "calls"),
        (["Name", "Fiscal Quarter", "Date", "commit_amount", "best case", "Comments"], "calls"),
        # the neighbours keep their own files
        (["Rep", "Quarter", "Quota"], "quotas"),
        (["Rep", "Team", "Manager", "Role"], "roster"),
    ],
)
def test_calls_are_recognised_by_header(header, fmt):
    assert detect_format(header) == fmt


def test_good_calls(tmp_path):
    """Amounts in the usual styles; the quarter in the ways quota files write it; no Note or
    Author column is no warning (both optional); the frame keeps each row's file line."""
    body = (
        "Person,Quarter,Submitted,Commit,Best Case\n"
        'Ann Lee,2026-Q4,2026-11-02,"$100,000.00",150000\n'
        "ann@example.com,Q4 FY26,11/20/2026,90K,95000\n"
        "Bob Ray,FY2026 Q4,2026-11-20,0,0\n"
    )
    r = read_export(_file(tmp_path, body))
    assert (r.kind, r.format, r.source) == ("calls", "calls", "calls")
    assert r.rejects == [] and r.warnings == []
    want = schema.conform(
        pd.DataFrame(
            {
                "person": ["Ann Lee", "ann@example.com", "Bob Ray"],
                "quarter": ["2026-Q4"] * 3,
                "submitted": pd.to_datetime(["2026-11-02", "2026-11-20", "2026-11-20"]),
                "commit": [100_000.0, 90_000.0, 0.0],
                "best_case": [150_000.0, 95_000.0, 0.0],
                "note": [None] * 3,
                "author": [None] * 3,
                "line": [2, 3, 4],
            }
        ),
        "calls",
    )
    pd.testing.assert_frame_equal(r.frame, want)


def test_bad_calls_are_rejected_with_line_column_and_reason(tmp_path):
    body = (
        "Rep,Quarter,Call Date,Commit,Upside,Note\n"  # line 1
        "Ann Lee,2026-Q4,2026-11-02,100,90,below commit: kept\n"  # 2 kept, counted
        "Ann Lee,2026-Q9,2026-11-02,1,2,\n"  # 3
        "Ann Lee,2026-Q4,2026-13-45,1,2,\n"  # 4
        "Ann Lee,2026-Q4,2026-11-02,-1,2,\n"  # 5
        "Ann Lee,2026-Q4,2026-11-02,1,(2.00),\n"  # 6 negative in accounting style
        "Ann Lee,2026-Q4,2026-11-02,n/a,2,\n"  # 7
        ",2026-Q4,2026-11-02,1,2,\n"  # 8
        "Ann Lee,2026-Q4,2026-11-02,,2,\n"  # 9
        "Ann Lee,2026-Q4,,1,2,\n"  # 10
    )
    r = read_export(_file(tmp_path, body))
    got = [(x.row_number, x.column, x.reason) for x in r.rejects]
    assert got == [
        (3, "Quarter", "Quarter '2026-Q9': expected a quarter like 2026-Q4 (or Q4 2026, Q4-FY26, FY2026 Q4)"),
        (4, "Call Date", "Call Date '2026-13-45': expected a date such as YYYY-MM-DD (like 2026-11-20)"),
        (5, "Commit", "Commit '-1': a call cannot be negative"),
        (6, "Upside", "Upside '(2.00)': a call cannot be negative"),
        (7, "Commit", "Commit 'n/a': expected an amount like 1,234.00"),
        (8, "Rep", "Rep is empty: a value is required"),
        (9, "Commit", "Commit is empty: a value is required"),
        (10, "Call Date", "Call Date is empty: a value is required"),
    ]  # fmt: skip
    assert list(r.frame["line"]) == [2]
    assert list(r.frame["note"]) == ["below commit: kept"]
    assert r.warnings == [
        "1 row: best case below commit (kept as written: it is the caller's number)"
    ]


def test_roster_chain_rows_may_leave_the_team_empty(tmp_path):
    """A Director, a VP and a Leader without a team are people of the chain; an AE or an SE
    without a team is rejected (line 5 and 6)."""
    body = (
        "Rep,Team,Manager,Role\n"
        "Dee Dunn,,Vic Vance,Sales Director\n"
        "Vic Vance,,,Vice President\n"
        "Hal Head,,,Head of Sales\n"
        "Ann Lee,,Mia Park,AE\n"
        "Sam Se,,Mia Park,SE\n"
        "Mia Park,East,Dee Dunn,Team Lead\n"
    )
    r = read_export(_file(tmp_path, body, "roster.csv"))
    assert r.format == "roster"
    assert [(x.row_number, x.column) for x in r.rejects] == [(5, "Team"), (6, "Team")]
    assert r.rejects[0].reason.startswith("Team is empty: a team is required")
    assert list(zip(r.frame["rep"], r.frame["role"], r.frame["team"], strict=True)) == [
        ("Dee Dunn", "Director", None),
        ("Vic Vance", "VP", None),
        ("Hal Head", "Leader", None),
        ("Mia Park", "Manager", "East"),
    ]


@pytest.mark.parametrize(
    ("lines", "cut"),
    [
        ({1: 2, 2: 3}, {1: 2, 2: 3}),  # a chain: nothing to cut
        ({1: 2, 2: 1}, {2: 1}),  # Ann <-> Bob: Ann sorts first, her line goes
        ({1: 2, 2: 3, 3: 2, 4: 1}, {1: 2, 3: 2, 4: 1}),  # loop Bob <-> Cat below Ann and Dee
        ({3: 3}, {}),  # someone as their own manager
    ],
)
def test_loops_are_cut_at_the_first_name(lines, cut):
    names = {1: "Ann", 2: "Bob", 3: "Cat", 4: "Dee"}
    assert _cut_loops(lines, names) == cut
