"""The days the story is told over, as day numbers (days since 1970-01-01)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from loaders.generate.calendar import FiscalCalendar
from loaders.generate.text import day_number, to_date

HISTORY_QUARTERS = 4


@dataclass(frozen=True)
class Timeline:
    """Today, its fiscal quarter, the closed-history year before it, and the weekly snapshot days."""

    today_date: dt.date
    weeks: int
    cal: FiscalCalendar = field(default_factory=FiscalCalendar)

    def __post_init__(self) -> None:
        if self.weeks < 1:
            raise ValueError("weeks must be at least 1")

    @staticmethod
    def day(date: dt.date) -> int:
        """Day number of ``date``."""
        return day_number(date)

    @staticmethod
    def date(day: int) -> dt.date:
        """Date of day number ``day``."""
        return to_date(day)

    @property
    def today(self) -> int:
        return day_number(self.today_date)

    @property
    def q_index(self) -> int:
        """Index of the current quarter (the one holding today)."""
        return self.cal.index(self.today_date)

    @property
    def q_start(self) -> int:
        return day_number(self.cal.start(self.q_index))

    @property
    def q_end(self) -> int:
        return day_number(self.cal.end(self.q_index))

    @property
    def next_end(self) -> int:
        """Last day of the next quarter."""
        return day_number(self.cal.end(self.q_index + 1))

    @property
    def history_start(self) -> int:
        """First day of the closed history: the quarter four quarters back."""
        return day_number(self.cal.start(self.q_index - HISTORY_QUARTERS))

    @property
    def snapshots(self) -> np.ndarray:
        """Snapshot days, oldest first, weekly, the last on today."""
        return self.today - 7 * np.arange(self.weeks - 1, -1, -1, dtype=np.int64)

    @property
    def window_start(self) -> int:
        """First day covered by the activity files (each covers the 7 days ending on its date)."""
        return self.today - 7 * self.weeks + 1

    @property
    def pace(self) -> float:
        """Share of the current quarter elapsed, today included (docs/metrics.md#pace)."""
        return (self.today - self.q_start + 1) / (self.q_end - self.q_start + 1)
