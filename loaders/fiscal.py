"""Fiscal quarters: the one fiscal calendar of the loaders, the generator and the dashboard.

The fiscal year starts on the first day of a configurable month (``TEAMCAR_FISCAL_YEAR_START_MONTH``,
default January) and is named by the calendar year in which it ends: with a February start, fiscal
2027 runs from 1 February 2026 to 31 January 2027, and its fourth quarter is ``2027-Q4``
(November 2026 to January 2027). See "Periods and fiscal quarters" in ``docs/metrics.md``.

Quarters are written ``2026-Q4`` everywhere; ``quarter_name`` reads the other ways exports write
them. ``Quarter.index`` numbers quarters consecutively, for arithmetic over ranges of quarters.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_NAME = re.compile(r"^\s*(?:FY)?(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
# How exports and spreadsheets write a quarter (quota files): 2026-Q4, Q4 2026, Q4-FY26, 2026.4
_EXPORT_NAMES = (
    re.compile(r"^(?:FY\s*)?(?P<y>\d{4}|\d{2})\s*[-/ ]?\s*Q(?P<q>[1-4])$", re.I),
    re.compile(r"^Q(?P<q>[1-4])\s*[-/ ]?\s*(?:FY\s*)?(?P<y>\d{4}|\d{2})$", re.I),
    re.compile(r"^(?:FY\s*)?(?P<y>\d{4})\s*[-/ .]\s*(?P<q>[1-4])$", re.I),
)


def _start_month(start_month: int | None) -> int:
    if start_month is None:
        from loaders.config import load_config

        start_month = load_config().fiscal_year_start_month
    if not 1 <= start_month <= 12:
        raise ValueError(f"fiscal year start month {start_month}: expected 1 to 12")
    return start_month


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class Quarter:
    """One fiscal quarter: ``start`` and ``end`` are both inside it (end inclusive)."""

    fiscal_year: int
    number: int
    start: dt.date
    end: dt.date
    start_month: int = 1

    @property
    def name(self) -> str:
        """The quarter as written everywhere: ``2026-Q4``."""
        return f"{self.fiscal_year}-Q{self.number}"

    @property
    def days(self) -> int:
        """Calendar days in the quarter."""
        return (self.end - self.start).days + 1

    def finished(self, as_of: dt.date, today: dt.date) -> bool:
        """Seen as of ``as_of``, the quarter is over: its last day is behind both ``as_of`` and
        ``today`` (on its last day the quarter is still being raced)."""
        return as_of >= self.end and self.end < today

    def __contains__(self, day: object) -> bool:
        if isinstance(day, dt.datetime):
            day = day.date()
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return self.name

    @property
    def index(self) -> int:
        """Quarters counted from the fiscal year starting in year 0: the next quarter is one more."""
        return (self.start.year * 12 + self.start.month - self.start_month) // 3

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return quarter_of(self.start - dt.timedelta(days=1), self.start_month)

    def next(self) -> Quarter:
        """The quarter after this one."""
        return quarter_of(self.end + dt.timedelta(days=1), self.start_month)


def make_quarter(fiscal_year: int, number: int, start_month: int | None = None) -> Quarter:
    """Quarter ``number`` (1-4) of fiscal year ``fiscal_year``."""
    month = _start_month(start_month)
    if not 1 <= number <= 4:
        raise ValueError(f"quarter {number}: expected 1 to 4")
    # Fiscal year Y ends in calendar year Y; it starts in Y-1 unless it starts in January.
    first_year = fiscal_year if month == 1 else fiscal_year - 1
    y0, m0 = _add_months(first_year, month, 3 * (number - 1))
    y1, m1 = _add_months(y0, m0, 3)
    return Quarter(
        fiscal_year, number, dt.date(y0, m0, 1), dt.date(y1, m1, 1) - dt.timedelta(days=1), month
    )


def parse_quarter(name: str, start_month: int | None = None) -> Quarter:
    """Parse ``2026-Q4`` (also ``2026Q4``, ``FY2026-Q4``).

    Raises:
        ValueError: when ``name`` is not a quarter.
    """
    match = _NAME.match(str(name))
    if not match:
        raise ValueError(f"{name!r} is not a quarter; expected for example 2026-Q4")
    return make_quarter(int(match.group(1)), int(match.group(2)), start_month)


def quarter_of(day: dt.date, start_month: int | None = None) -> Quarter:
    """The fiscal quarter holding ``day``."""
    month = _start_month(start_month)
    if isinstance(day, dt.datetime):
        day = day.date()
    offset = (day.month - month) % 12  # months since the fiscal year started
    number = offset // 3 + 1
    fy_start_year = day.year if day.month >= month else day.year - 1
    fiscal_year = fy_start_year if month == 1 else fy_start_year + 1
    return make_quarter(fiscal_year, number, month)


def quarter_at(index: int, start_month: int | None = None) -> Quarter:
    """The quarter whose ``Quarter.index`` is ``index``."""
    month = _start_month(start_month)
    months = index * 3 + month - 1  # months from January of year 0 to the quarter's first month
    return quarter_of(dt.date(months // 12, months % 12 + 1, 1), month)


def quarter_name(text: str | None) -> str | None:
    """``2026-Q4`` from the ways exports write a quarter; None when ``text`` is not one.

    Reads ``2026-Q4``, ``2026Q4``, ``Q4 2026``, ``Q4-FY26``, ``FY2026 Q4`` and ``2026.4``; a
    two-digit year is 20xx. The name is not checked against a calendar (any fiscal year has Q1-Q4).
    """
    if not text:
        return None
    t = text.strip()
    for pattern in _EXPORT_NAMES:
        m = pattern.match(t)
        if m:
            year = int(m.group("y"))
            if year < 100:
                year += 2000
            return f"{year}-Q{m.group('q')}"
    return None


def default_as_of(quarter: Quarter, today: dt.date | None = None) -> dt.date:
    """The earlier of today and the quarter's last day (``docs/metrics.md``, as_of)."""
    if today is None:
        from loaders.clock import today as clock_today

        today = clock_today()
    return min(today, quarter.end)
