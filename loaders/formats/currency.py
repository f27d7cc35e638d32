"""A stand-alone currency rates file: ``Currency, Rate`` or Salesforce's ``CurrencyType.csv``.

Loaded on its own (``loaders.ingest``), it is kept as an import batch of kind ``rates`` with its
original in the archive; later loads read the latest one (``read_rates``) and convert amounts in
other currencies to the store's currency with it (``Sheet.amount``), unless the export brings its
own rates (a ``CurrencyType.csv`` beside it). A rate is Salesforce's ``ConversionRate``: units of
the currency per unit of the store's currency (``EUR 0.92`` when 1 USD buys 0.92 EUR). The store's
currency is the row marked ``IsCorporate``, else the one currency whose rate is 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loaders.formats.base import Reject
from loaders.parsing.amounts import parse_numbers
from loaders.parsing.categories import parse_bools
from loaders.parsing.columns import normalize_header, text_values
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import read_table

FORMAT = "currency-rates"
KIND = "rates"

# Header spellings (compared after ``normalize_header``).
CODE = tuple(
    normalize_header(h)
    for h in (
        "IsoCode",
        "ISO Code",
        "Currency",
        "Currency Code",
        "Currency ISO Code",
        "CurrencyIsoCode",
        "Code",
        "Moeda",
        "Moneda",
        "Devise",
        "Währung",
    )
)
RATE = tuple(
    normalize_header(h)
    for h in (
        "ConversionRate",
        "Conversion Rate",
        "Rate",
        "Exchange Rate",
        "FX Rate",
        "Taxa de câmbio",
        "Tipo de cambio",
        "Taux de change",
        "Taux",
        "Wechselkurs",
        "Kurs",
    )
)
CORPORATE = tuple(normalize_header(h) for h in ("IsCorporate", "Corporate", "Is Corporate"))
# Columns a rates file never has: a deals, quota or activity file that mentions a currency.
_NOT_RATES = {
    normalize_header(h)
    for h in ("Amount", "Stage", "Deal Name", "Opportunity Name", "Quota", "Owner", "Subject")
}
_ISO = re.compile(r"^[A-Z]{3}$")


@dataclass
class Rates:
    """A rates file read: {ISO code: units per store-currency unit}, the store's currency."""

    rates: dict[str, float]
    corporate: str
    rows_read: int = 0
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _position(keys: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


def is_rates_header(header: Sequence[str]) -> bool:
    """A currency column and a rate column, and nothing a deals or activity file has."""
    keys = [normalize_header(h) for h in header]
    return (
        _position(keys, CODE) is not None
        and _position(keys, RATE) is not None
        and not (_NOT_RATES & set(keys))
    )


def _match(cells: list[str]) -> float | None:
    return 1.0 if is_rates_header(cells) else None


# How much of a CSV ``is_rates_file`` reads: the header is in its first lines.
_PEEK_BYTES = 64 * 1024
# A workbook is read whole to find its header, so only a small one is looked at.
_PEEK_XLSX_BYTES = 2 * 1024 * 1024


def is_rates_file(path: Path) -> bool:
    """Whether ``path`` is a currency rates file (its header says so); False when unreadable.

    Cheap for any file: a CSV's first 64 KB are read, a workbook only when small.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            if size > _PEEK_XLSX_BYTES:
                return False
            table = read_table(path, match_header=_match)
        else:
            with path.open("rb") as fh:
                head = fh.read(_PEEK_BYTES)
            if len(head) == _PEEK_BYTES and b"\n" in head:
                head = head[: head.rindex(b"\n") + 1]
            table = read_table(path, match_header=_match, data=head)
    except (LoadError, OSError):
        return False
    return table.matched


def read_rates(path: Path, *, data: bytes | None = None, name: str | None = None) -> Rates:
    """Read a currency rates file.

    Rows whose code is not a 3-letter ISO code, whose rate is not a positive number, or that
    repeat a code are rejected with their line; the rest are the rates.

    Raises:
        LoadError: not a rates file, no usable rate, or no way to tell the store's currency
            (no ``IsCorporate`` row and not exactly one rate of 1).
    """
    path = Path(path)
    name = name or path.name
    table = read_table(path, match_header=_match, data=data, name=name)
    if not table.matched:
        raise LoadError(
            f"{name}: not a currency rates file: expected a currency column (Currency, IsoCode) "
            "and a rate column (Rate, ConversionRate)"
        )
    keys = [normalize_header(h) for h in table.header]
    code_at, rate_at = _position(keys, CODE), _position(keys, RATE)
    corp_at = _position(keys, CORPORATE)
    written = text_values(table.columns[code_at])
    codes = np.array([c.upper() if c else None for c in written], dtype=object)
    rates = parse_numbers(table.columns[rate_at]).values
    corporate = (
        parse_bools(table.columns[corp_at]).values
        if corp_at is not None
        else np.full(len(table), None, dtype=object)
    )
    out = Rates(rates={}, corporate="", rows_read=len(table))
    bad = []
    for i, (code, rate) in enumerate(zip(codes, rates, strict=True)):
        if code is None or not _ISO.match(code):
            bad.append((i, table.header[code_at], "expected a 3-letter currency code such as EUR"))
        elif not (rate == rate and rate > 0):
            bad.append((i, table.header[rate_at], "expected a positive rate such as 0.92"))
        elif code in out.rates:
            bad.append((i, table.header[code_at], "repeats a currency of an earlier row"))
        else:
            out.rates[code] = float(rate)
    raws = table.raw_rows(np.array([i for i, *_ in bad], dtype=np.int64)) if bad else []
    cells = {code_at: written, rate_at: text_values(table.columns[rate_at])}
    for (i, column, expected), raw in zip(bad, raws, strict=True):
        at = table.header.index(column)
        value = cells[at][i]
        reason = f"{column} {value!r}: {expected}" if value else f"{column} is empty: {expected}"
        out.rejects.append(Reject(int(table.line_numbers[i]), column, reason, raw))
    if not out.rates:
        raise LoadError(f"{name}: no usable currency rate in the file")
    marked = [c for c, k in zip(codes, corporate, strict=True) if k is True and c in out.rates]
    ones = [c for c, r in out.rates.items() if r == 1.0]
    if len(marked) == 1:
        out.corporate = marked[0]
    elif not marked and len(ones) == 1:
        out.corporate = ones[0]
    else:
        raise LoadError(
            f"{name}: cannot tell the store's currency: expected one row marked IsCorporate, or "
            f"exactly one currency with rate 1 (found {', '.join(marked or ones) or 'none'})"
        )
    if out.rates[out.corporate] != 1.0:
        raise LoadError(
            f"{name}: the store's currency {out.corporate} has rate {out.rates[out.corporate]:g}; "
            "expected 1 (rates are units per unit of the store's currency)"
        )
    return out


def describe(rates: Rates) -> str:
    """One line for the load's warnings: what later loads will convert."""
    others = sorted(c for c in rates.rates if c != rates.corporate)
    return (
        f"currency rates for {len(rates.rates)} currencies against {rates.corporate} "
        f"({', '.join(f'{c} {rates.rates[c]:g}' for c in others[:8])}"
        f"{', ...' if len(others) > 8 else ''}): later loads convert amounts in them to "
        f"{rates.corporate}"
    )
