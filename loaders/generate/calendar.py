"""Fiscal quarters as the generator needs them: by index, so ranges of quarters are arithmetic.

Quarter index ``q`` counts quarters from the fiscal year that starts in year 0; the fiscal year is
named by the calendar year in which it ends (DESIGN.md §5), so with a February start the quarter
from November 2026 to January 2027 is ``2027-Q4``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal quarters for a fiscal year starting on the 1st of ``start_month``."""

    start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError(f"fiscal year start month {self.start_month}: expected 1 to 12")

    def index(self, day: dt.date) -> int:
        """Index of the quarter holding ``day``."""
        return (day.year * 12 + day.month - 1 - (self.start_month - 1)) // 3

    def start(self, q: int) -> dt.date:
        """First day of quarter ``q``."""
        month = q * 3 + self.start_month - 1
        return dt.date(month // 12, month % 12 + 1, 1)

    def end(self, q: int) -> dt.date:
        """Last day of quarter ``q``."""
        return self.start(q + 1) - dt.timedelta(days=1)

    def fiscal_year(self, q: int) -> int:
        """The fiscal year (named by the year it ends in) of quarter ``q``."""
        first_year = (q // 4 * 12 + self.start_month - 1) // 12
        return first_year if self.start_month == 1 else first_year + 1

    def name(self, q: int) -> str:
        """``2026-Q4``."""
        return f"{self.fiscal_year(q)}-Q{q % 4 + 1}"

    def sf_period(self, q: int) -> str:
        """Salesforce's ``Fiscal Period`` column: ``Q4-2026``."""
        return f"Q{q % 4 + 1}-{self.fiscal_year(q)}"
