"""Fiscal quarters as the generator needs them: by index, so ranges of quarters are arithmetic.

A thin view of ``loaders.fiscal`` (the one fiscal calendar): quarter ``q`` is the quarter whose
``fiscal.Quarter.index`` is ``q``. The fiscal year is named by the calendar year in which it ends,
so with a February start the quarter from November 2026 to January 2027 is ``2027-Q4``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loaders import fiscal


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal quarters for a fiscal year starting on the 1st of ``start_month``."""

    start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError(f"fiscal year start month {self.start_month}: expected 1 to 12")

    def quarter(self, q: int) -> fiscal.Quarter:
        """Quarter ``q``."""
        return fiscal.quarter_at(q, self.start_month)

    def index(self, day: dt.date) -> int:
        """Index of the quarter holding ``day``."""
        return fiscal.quarter_of(day, self.start_month).index

    def start(self, q: int) -> dt.date:
        """First day of quarter ``q``."""
        return self.quarter(q).start

    def end(self, q: int) -> dt.date:
        """Last day of quarter ``q``."""
        return self.quarter(q).end

    def fiscal_year(self, q: int) -> int:
        """The fiscal year (named by the year it ends in) of quarter ``q``."""
        return self.quarter(q).fiscal_year

    def name(self, q: int) -> str:
        """``2026-Q4``."""
        return self.quarter(q).name

    def sf_period(self, q: int) -> str:
        """Salesforce's ``Fiscal Period`` column: ``Q4-2026``."""
        quarter = self.quarter(q)
        return f"Q{quarter.number}-{quarter.fiscal_year}"
