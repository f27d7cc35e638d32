"""Vectorised text: Salesforce ids, date and number formats, string columns from codes.

Columns are built as pyarrow string arrays: a small table of distinct strings and an index into it
(dates, amounts and names repeat a lot), so millions of cells cost a ``take``, not a Python loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)
NEVER = 2**30  # a day number later than any real day: "not happened"
_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_SF_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", np.uint8)
SF_EMPTY_ID = "000000000000000AAA"


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def to_date(day: int) -> dt.date:
    """Inverse of ``day_number``."""
    return EPOCH + dt.timedelta(days=int(day))


def sf_ids(key_prefix: str, numbers: np.ndarray) -> pa.Array:
    """18-character Salesforce ids (``006Hp0000...``) for the given serial numbers.

    The 15-character body is the 3-character key prefix, a fixed pod part and the number in base 62;
    the 3-character suffix is Salesforce's case checksum, so
    ``loaders.formats.salesforce.ids.salesforce_id18`` of the first 15 characters gives the id back.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    n = len(numbers)
    body = np.empty((n, 15), np.uint8)
    body[:, :9] = np.frombuffer((key_prefix + "Hp0000").encode("ascii"), np.uint8)
    rest = numbers.copy()
    for pos in range(14, 8, -1):
        body[:, pos] = _BASE62[rest % 62]
        rest //= 62
    upper = (body >= ord("A")) & (body <= ord("Z"))
    weights = (1 << np.arange(5)).astype(np.int64)
    out = np.empty((n, 18), np.uint8)
    out[:, :15] = body
    for chunk in range(3):
        bits = upper[:, chunk * 5 : (chunk + 1) * 5] @ weights
        out[:, 15 + chunk] = _SF_SUFFIX[bits]
    return pa.array(out.view("S18").ravel(), pa.binary(18)).cast(pa.string())


def padded(table: Sequence[str] | pa.Array) -> pa.Array:
    """``table`` as a string array with an empty string added at the end, for ``take``."""
    table = table if isinstance(table, pa.Array) else pa.array(list(table), pa.string())
    return pa.concat_arrays([table, pa.array([""], pa.string())])


def take(padded_table: pa.Array, codes: np.ndarray) -> pa.Array:
    """String column ``padded_table[code]``, empty text where the code is negative."""
    codes = np.asarray(codes, np.int64)
    return padded_table.take(pa.array(np.where(codes < 0, len(padded_table) - 1, codes)))


def from_codes(codes: np.ndarray, table: Sequence[str] | pa.Array) -> pa.Array:
    """String column: ``table[code]``, empty text where the code is negative."""
    return take(padded(table), codes)


def format_values(values: np.ndarray, fmt: Callable[[object], str]) -> pa.Array:
    """String column: ``fmt`` applied once per distinct value."""
    uniq, inverse = np.unique(np.asarray(values), return_inverse=True)
    return from_codes(inverse.ravel(), [fmt(v) for v in uniq.tolist()])


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise concatenation of string columns (and constant strings)."""
    return pc.binary_join_element_wise(*parts, sep)


class DayFormats:
    """Date formats of every day in a range, looked up by day number."""

    def __init__(self, first: int, last: int) -> None:
        self.first = first
        days = [to_date(d) for d in range(first, last + 1)]
        self.mdy = pa.array([f"{d.month}/{d.day}/{d.year}" for d in days], pa.string())
        self.iso = pa.array([d.isoformat() for d in days], pa.string())

    def column(self, days: np.ndarray, style: str) -> pa.Array:
        """``style`` is ``mdy`` (``11/2/2026``) or ``iso`` (``2026-11-02``); NEVER becomes empty."""
        days = np.asarray(days, dtype=np.int64)
        codes = np.where(days >= NEVER, -1, days - self.first)
        if ((codes < -1) | (codes >= len(self.iso))).any():
            raise ValueError("a day outside the range these formats were made for")
        return from_codes(codes, getattr(self, style))


CLOCK_HM = pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)], pa.string())
CLOCK_HMS = pa.array([f"{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)], pa.string())


def clock_column(minutes: np.ndarray, seconds: bool) -> pa.Array:
    """``HH:MM`` (or ``HH:MM:00``) of a minute of the day."""
    return from_codes(np.asarray(minutes) % 1440, CLOCK_HMS if seconds else CLOCK_HM)


def duration_column(seconds: np.ndarray) -> pa.Array:
    """``HH:mm:ss`` of a duration in seconds."""
    return format_values(
        np.asarray(seconds, np.int64), lambda s: f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    )
