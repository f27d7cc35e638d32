"""Fiscal quarters: pure date arithmetic, no store, no browser."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders.fiscal import default_as_of, make_quarter, parse_quarter, quarter_of

D = dt.date


@pytest.mark.parametrize(
    ("name", "start_month", "start", "end", "days"),
    [
        # January start: the fiscal year is the calendar year.
        ("2026-Q1", 1, D(2026, 1, 1), D(2026, 3, 31), 90),
        ("2026-Q4", 1, D(2026, 10, 1), D(2026, 12, 31), 92),
        ("2024-Q1", 1, D(2024, 1, 1), D(2024, 3, 31), 91),  # leap year: 31 + 29 + 31
        # February start: FY2027 runs 2026-02-01 .. 2027-01-31, named by the year it ends in.
        ("2027-Q1", 2, D(2026, 2, 1), D(2026, 4, 30), 89),
        ("2027-Q4", 2, D(2026, 11, 1), D(2027, 1, 31), 92),
        # July start: FY2026 runs 2025-07-01 .. 2026-06-30.
        ("2026-Q1", 7, D(2025, 7, 1), D(2025, 9, 30), 92),
        ("2026-Q3", 7, D(2026, 1, 1), D(2026, 3, 31), 90),
        ("2026-Q4", 7, D(2026, 4, 1), D(2026, 6, 30), 91),
        # December start: FY2026 runs 2025-12-01 .. 2026-11-30.
        ("2026-Q1", 12, D(2025, 12, 1), D(2026, 2, 28), 90),
        ("2026-Q4", 12, D(2026, 9, 1), D(2026, 11, 30), 91),
    ],
)
def test_quarter_bounds(name, start_month, start, end, days):
    q = parse_quarter(name, start_month)
    assert (q.start, q.end, q.days, q.name) == (start, end, days, name)


@pytest.mark.parametrize(
    ("day", "start_month", "name"),
    [
        (D(2026, 11, 22), 1, "2026-Q4"),
        (D(2026, 1, 1), 1, "2026-Q1"),
        (D(2026, 1, 31), 2, "2026-Q4"),  # last day of FY2026 with a February start
        (D(2026, 2, 1), 2, "2027-Q1"),
        (D(2026, 6, 30), 7, "2026-Q4"),
        (D(2026, 7, 1), 7, "2027-Q1"),
        (D(2025, 12, 1), 12, "2026-Q1"),
    ],
)
def test_quarter_of(day, start_month, name):
    q = quarter_of(day, start_month)
    assert q.name == name
    assert day in q


@pytest.mark.parametrize("start_month", range(1, 13))
def test_quarters_tile_the_calendar(start_month):
    # Walking quarter by quarter over three years leaves no gap and no overlap.
    q = quarter_of(D(2025, 1, 1), start_month)
    for _ in range(12):
        nxt = q.next()
        assert nxt.start == q.end + dt.timedelta(days=1)
        assert nxt.previous() == q
        q = nxt


@pytest.mark.parametrize("text", ["2026Q4", "FY2026-Q4", " 2026-q4 "])
def test_parse_variants(text):
    assert parse_quarter(text, 1) == make_quarter(2026, 4, 1)


@pytest.mark.parametrize("text", ["2026-Q5", "Q4-2026", "", "2026"])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parse_quarter(text, 1)


def test_start_month_from_config(monkeypatch):
    monkeypatch.setenv("TEAMCAR_FISCAL_YEAR_START_MONTH", "2")
    assert parse_quarter("2027-Q4").start == D(2026, 11, 1)


def test_default_as_of_is_earlier_of_today_and_quarter_end():
    q = parse_quarter("2026-Q4", 1)
    assert default_as_of(q, D(2026, 11, 22)) == D(2026, 11, 22)
    assert default_as_of(q, D(2027, 2, 1)) == D(2026, 12, 31)
    # The clock is pinned to 2026-11-22 by tests/conftest.py.
    assert default_as_of(q) == D(2026, 11, 22)
