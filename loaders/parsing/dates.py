"""Dates in export text, and the day/month order of a column.

Rules:

* ISO dates and datetimes (``2026-11-20``, ``2024-01-23T17:50:51.000+0000``), numeric
  ``M/D/YYYY`` or ``D/M/YYYY`` (``.`` and ``-`` separators too, two-digit years, ``3:15 PM``),
  ``YYYYMMDD`` and dates with month names (``Nov 20, 2026``, ``20-Nov-2026``) are read.
* A time with an offset is converted to UTC; dates without one are taken as they are.
* Impossible dates (``2026-02-30``) and years outside 1678..2261 are unreadable, never rolled over.
* Day/month order is decided per column (``date_order``): a first number above 12 means day first,
  a second above 12 month first; ``.`` or ``-`` separators mean day first; when the values do not
  tell, the reader asks for ``--date-format`` (``day_first_from_format``).
* Two-digit years below 70 are 20xx, the others 19xx.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.parsing.columns import Distinct, Parsed, group, group_float, np_bool, np_float
from loaders.parsing.errors import LoadError

_TIME = (
    r"(?:(?:T|,?\s+|\s*-\s*)(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<ap>[AaPp]\.?\s?[Mm]\.?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
_ISO_RE = r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME
_NUMERIC_RE = r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})\.?" + _TIME
_COMPACT_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"


@dataclass
class DateOrder:
    """What a column's numeric ``a/b/yyyy`` dates say about day/month order."""

    only_day_first: int = 0  # a > 12: must be D/M
    only_month_first: int = 0  # b > 12: must be M/D
    either: int = 0  # both <= 12 and different: reads both ways
    dotted: int = 0  # written with . or - (no locale writes M.D.Y)
    example: str | None = None  # an ambiguous value, for messages

    def decide(self) -> bool | None:
        """True for day first, False for month first, None when the values do not tell."""
        if self.only_day_first and self.only_month_first:
            if self.only_day_first == self.only_month_first:
                return None
            return self.only_day_first > self.only_month_first
        if self.only_day_first:
            return True
        if self.only_month_first:
            return False
        if self.either == 0:
            return False  # same either way
        if self.dotted:
            return True
        return None

    @property
    def conflicting(self) -> bool:
        return bool(self.only_day_first and self.only_month_first)

    @property
    def matters(self) -> bool:
        return bool(self.either or self.only_day_first or self.only_month_first)


def date_order(column: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> DateOrder:
    """Evidence of day/month order in a column of date texts."""
    d = column if isinstance(column, Distinct) else Distinct.of(column)
    m = pc.extract_regex(d.values, _NUMERIC_RE)
    a = group_float(m, "a")
    b = group_float(m, "b")
    sep = np.asarray(pc.fill_null(group(m, "sep"), "").to_numpy(zero_copy_only=False), dtype=object)
    valid = ~np.isnan(a) & ~np.isnan(b) & (a >= 1) & (b >= 1) & (a <= 31) & (b <= 31)
    dayfirst_only = valid & (a > 12) & (b <= 12)
    monthfirst_only = valid & (b > 12) & (a <= 12)
    either = valid & (a <= 12) & (b <= 12) & (a != b)
    dotted = valid & ((sep == ".") | (sep == "-"))
    example = None
    if either.any():
        example = d.values[int(np.flatnonzero(either)[0])].as_py()
    return DateOrder(
        int(dayfirst_only.sum()),
        int(monthfirst_only.sum()),
        int(either.sum()),
        int(dotted.sum()),
        example,
    )


def day_first_from_format(date_format: str) -> bool:
    """Day/month order of a ``--date-format`` such as ``%d/%m/%Y``, ``DD/MM/YYYY`` or ``dmy``.

    Raises:
        LoadError: when the text names no order.
    """
    f = date_format.strip()
    low = f.lower()
    if "%d" in f and "%m" in f:
        return f.index("%d") < f.index("%m")
    letters = re.sub(r"[^dmy]", "", low)
    compact = re.sub(r"(.)\1+", r"\1", letters)
    if compact in ("dmy", "ymd", "mdy", "ydm"):
        return compact in ("dmy", "ydm")
    raise LoadError(
        f"date format {date_format!r}: expected something like %d/%m/%Y, %m/%d/%Y, "
        "DD/MM/YYYY or MDY"
    )


def _compose(
    y: np.ndarray,
    mo: np.ndarray,
    d: np.ndarray,
    hh: np.ndarray,
    mi: np.ndarray,
    ss: np.ndarray,
    frac_ns: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[ns] from component arrays (floats, NaN where missing) and a validity mask."""
    ok = ~(np.isnan(y) | np.isnan(mo) | np.isnan(d))
    ok &= (mo >= 1) & (mo <= 12) & (d >= 1) & (y >= 1678) & (y <= 2261)
    hh = np.nan_to_num(hh)
    mi = np.nan_to_num(mi)
    ss = np.nan_to_num(ss)
    ok &= (hh < 24) & (mi < 60) & (ss < 62)
    yi = np.where(ok, y, 1970).astype(np.int64)
    mon = np.where(ok, mo, 1).astype(np.int64)
    month_start = ((yi - 1970) * 12 + (mon - 1)).astype("datetime64[M]")
    days_in = (
        (month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")
    ).astype(np.int64)
    ok &= d <= days_in
    day = np.where(ok, d, 1).astype(np.int64)
    out = (
        month_start.astype("datetime64[D]").astype("datetime64[ns]")
        + (day - 1).astype("timedelta64[D]")
        + hh.astype(np.int64).astype("timedelta64[h]")
        + mi.astype(np.int64).astype("timedelta64[m]")
        + np.minimum(ss, 59).astype(np.int64).astype("timedelta64[s]")
        + np.nan_to_num(frac_ns).astype(np.int64).astype("timedelta64[ns]")
    )
    out[~ok] = np.datetime64("NaT")
    return out, ok


def _struct_time(m: pa.StructArray) -> tuple[np.ndarray, ...]:
    hh = group_float(m, "H")
    mi = group_float(m, "M")
    ss = group_float(m, "S")
    ftxt = group(m, "f")
    frac = np_float(pc.binary_join_element_wise("0.", pc.fill_null(ftxt, "0"), "")) * 1e9
    ap = np.asarray(
        pc.fill_null(pc.utf8_lower(group(m, "ap")), "").to_numpy(zero_copy_only=False),
        dtype=object,
    )
    pm = np.array([a.startswith("p") for a in ap], dtype=bool) if len(ap) else np.zeros(0, bool)
    am = np.array([a.startswith("a") for a in ap], dtype=bool) if len(ap) else np.zeros(0, bool)
    bad_ap = (pm | am) & ((hh < 1) | (hh > 12))
    hh = np.where(pm & (hh < 12), hh + 12, hh)
    hh = np.where(am & (hh == 12), 0, hh)
    tz = np.asarray(pc.fill_null(group(m, "tz"), "").to_numpy(zero_copy_only=False), dtype=object)
    offset = np.zeros(len(tz))
    for i in np.flatnonzero(np.array([bool(t) and t[0] in "+-" for t in tz], dtype=bool)):
        t = tz[i].replace(":", "")
        offset[i] = (1 if t[0] == "+" else -1) * (int(t[1:3]) * 60 + int(t[3:5]))
    return hh, mi, ss, frac, offset, bad_ap


def _two_digit_year(y: np.ndarray) -> np.ndarray:
    return np.where(y < 100, np.where(y < 70, y + 2000, y + 1900), y)


def parse_dates(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None], *, day_first: bool | None = False
) -> Parsed:
    """Date and datetime texts to ``datetime64[ns]`` (UTC when an offset is given).

    Reads ISO (``2026-11-20``, ``2024-01-23T17:50:51.000+0000``, ``2023-01-17 17:00:04``,
    ``2024-05-02 14:31``), numeric ``M/D/YYYY`` or ``D/M/YYYY`` (``day_first`` says which; ``.`` and
    ``-`` separators too; two-digit years; ``3:15 PM`` times), ``YYYYMMDD`` and dates with month
    names (``Nov 20, 2026``, ``20-Nov-2026``).
    """
    d = Distinct.of(column)
    n = len(d.values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    done = d.empty.copy()
    bad = np.zeros(n, dtype=bool)
    _fast_iso(d.values, out, done)
    for step in (_iso_dates, _numeric_dates, _compact_dates):
        rows = np.flatnonzero(~done)
        if not len(rows):
            break
        matched, values, ok = step(d.values.take(pa.array(rows)), day_first)
        hit = rows[matched]
        out[hit] = values[matched]
        bad[hit] = ~ok[matched]
        done[hit] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        texts = d.values.take(pa.array(rest)).to_pylist()
        for i, text in zip(rest, texts, strict=True):
            value = _parse_worded_date(text, bool(day_first))
            if value is None:
                bad[i] = True
            else:
                out[i] = np.datetime64(value, "ns")
    empty = d.empty
    out[bad | empty] = np.datetime64("NaT")
    return Parsed(d.spread(out), d.spread(bad), d.spread(empty))


def _iso_dates(
    values: pa.Array, day_first: bool | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = pc.extract_regex(values, _ISO_RE)
    hh, mi, ss, frac, offset, bad_ap = _struct_time(m)
    out, ok = _compose(
        group_float(m, "y"), group_float(m, "m"), group_float(m, "d"), hh, mi, ss, frac
    )
    out = out - offset.astype(np.int64).astype("timedelta64[m]")
    return np_bool(m.is_valid()), out, ok & ~bad_ap


def _numeric_dates(
    values: pa.Array, day_first: bool | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = pc.extract_regex(values, _NUMERIC_RE)
    a = group_float(m, "a")
    b = group_float(m, "b")
    day, mon = (a, b) if day_first else (b, a)
    hh, mi, ss, frac, offset, bad_ap = _struct_time(m)
    out, ok = _compose(_two_digit_year(group_float(m, "y")), mon, day, hh, mi, ss, frac)
    out = out - offset.astype(np.int64).astype("timedelta64[m]")
    return np_bool(m.is_valid()), out, ok & ~bad_ap


def _compact_dates(
    values: pa.Array, day_first: bool | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = pc.extract_regex(values, _COMPACT_RE)
    z = np.zeros(len(values))
    out, ok = _compose(group_float(m, "y"), group_float(m, "m"), group_float(m, "d"), z, z, z, z)
    return np_bool(m.is_valid()), out, ok


_FAST_ISO = (
    (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d", False),
    (r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", "%Y-%m-%d %H:%M:%S", True),
    (r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", "%Y-%m-%dT%H:%M:%S", True),
    (r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", "%Y-%m-%d %H:%M", False),
)


def _fast_iso(values: pa.Array, out: np.ndarray, done: np.ndarray) -> None:
    """Zero-padded ISO dates and datetimes through arrow's strptime, checked against rollover
    (``2026-02-30`` would otherwise become March 2); fills ``out`` and ``done`` in place."""
    for pattern, fmt, seconds in _FAST_ISO:
        if done.all():
            return
        hit = np_bool(pc.match_substring_regex(values, pattern)) & ~done
        if not hit.any():
            continue
        rows = np.flatnonzero(hit)
        sub = values.take(pa.array(rows))
        ts = pc.strptime(sub, format=fmt, unit="s", error_is_null=True)
        ok = pc.and_(
            pc.is_valid(ts),
            pc.equal(pc.day(ts), pc.cast(pc.utf8_slice_codeunits(sub, 8, 10), pa.int64())),
        )
        years = pc.year(ts)
        ok = pc.and_(ok, pc.and_(pc.greater_equal(years, 1678), pc.less_equal(years, 2261)))
        if seconds:
            ok = pc.and_(
                ok,
                pc.equal(pc.second(ts), pc.cast(pc.utf8_slice_codeunits(sub, 17, 19), pa.int64())),
            )
        ok_np = np_bool(ok)
        good = rows[ok_np]
        out[good] = np.asarray(
            ts.filter(pa.array(ok_np)).cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False),
            dtype="datetime64[ns]",
        )
        done[good] = True


_MONTH_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")


def _parse_worded_date(text: str, day_first: bool) -> dt.datetime | None:
    """A date written with a month name; None unless day, month and year are all there."""
    if not _MONTH_WORD.search(text) or len(text) > 40:
        return None
    from dateutil import parser as dparser

    try:
        one = dparser.parse(text, dayfirst=day_first, default=dt.datetime(1904, 1, 1))
        two = dparser.parse(text, dayfirst=day_first, default=dt.datetime(1908, 2, 2))
    except (ValueError, OverflowError, TypeError):
        return None
    if (one.year, one.month, one.day) != (two.year, two.month, two.day):
        return None
    if one.tzinfo is not None:
        one = one.astimezone(dt.UTC).replace(tzinfo=None)
    if not 1678 <= one.year <= 2261:
        return None
    return one
