"""Fiscal quarters (DESIGN.md §5).

The fiscal year starts on the first day of a configurable month (``TEAMCAR_FISCAL_YEAR_START_MONTH``,
default January) and is named by the calendar year in which it ends: with a February start, fiscal
2027 runs from 1 February 2026 to 31 January 2027, and its fourth quarter is ``2027-Q4``
(November 2026 to January 2027).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_NAME = re.compile(r"^\s*(?:FY)?(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


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

    def __contains__(self, day: object) -> bool:
        if isinstance(day, dt.datetime):
            day = day.date()
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return self.name

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


def default_as_of(quarter: Quarter, today: dt.date | None = None) -> dt.date:
    """The earlier of today and the quarter's last day (DESIGN.md §5)."""
    if today is None:
        from loaders.clock import today as clock_today

        today = clock_today()
    return min(today, quarter.end)
