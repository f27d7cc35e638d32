"""The Data Export's lookup files: ``User.csv``, ``Account.csv`` and ``CurrencyType.csv``.

They are never loaded on their own: they name the owners and accounts (ids in the object files)
and convert amounts to the corporate currency. ``read_export`` reads them from beside an object
file; ``read_bundle`` from the same ZIP or folder. Users other than ``Standard`` ones (integration,
guest and portal users) are left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from loaders.formats.base import Options
from loaders.formats.salesforce.ids import salesforce_ids
from loaders.parsing.amounts import parse_numbers
from loaders.parsing.categories import parse_bools
from loaders.parsing.columns import normalize_header, text_values
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import RawTable, read_table

# Data Export files read only as lookups for the others.
LOOKUP_FILES = {"user.csv": "users", "account.csv": "accounts", "currencytype.csv": "rates"}
# Formats whose files name owners and accounts by id: read with the lookups beside them.
READ_WITH_LOOKUPS = {
    "salesforce-opportunity",
    "salesforce-opportunity-history",
    "salesforce-task",
    "salesforce-event",
}
# The columns (normalised) each lookup must have.
LOOKUP_NEEDS = {
    "users": ("id", "firstname", "lastname"),
    "accounts": ("id", "name"),
    "rates": ("isocode", "conversionrate"),
}


def users_from_table(
    ids: np.ndarray, first: np.ndarray, last: np.ndarray, user_type: np.ndarray | None
) -> dict[str, str]:
    """``User.csv`` rows to {user id: "First Last"}, skipping non-Standard users."""
    out = {}
    for i, uid in enumerate(ids):
        if uid is None:
            continue
        if user_type is not None and user_type[i] not in (None, "Standard"):
            continue
        name = " ".join(p for p in (first[i], last[i]) if p)
        if name:
            out[uid] = name
    return out


def lookup_table(
    name: str, data: bytes | None, path: Path | None, needed: tuple[str, ...]
) -> RawTable | None:
    """A lookup file's table when its header has the ``needed`` columns; None otherwise."""

    def match(cells: list[str]) -> float | None:
        keys = {normalize_header(c) for c in cells}
        return 1.0 if set(needed) <= keys else None

    try:
        table = read_table(path or Path(name), match_header=match, data=data, name=name)
    except LoadError:
        return None
    return table if table.matched else None


def _column(table: RawTable, key: str):
    for i, h in enumerate(table.header):
        if normalize_header(h) == key:
            return table.columns[i]
    return None


def users_from(table: RawTable) -> dict[str, str]:
    """``User.csv`` -> {18-character user id: "First Last"}; non-Standard users are skipped."""
    ids = salesforce_ids(_column(table, "id"))
    first = text_values(_column(table, "firstname"))
    last = text_values(_column(table, "lastname"))
    utype = _column(table, "usertype")
    return users_from_table(ids, first, last, text_values(utype) if utype is not None else None)


def accounts_from(table: RawTable) -> dict[str, str]:
    """``Account.csv`` -> {18-character account id: name}."""
    ids = salesforce_ids(_column(table, "id"))
    names = text_values(_column(table, "name"))
    return {i: n for i, n in zip(ids, names, strict=True) if i and n}


def rates_from(table: RawTable) -> tuple[dict[str, float], str | None]:
    """``CurrencyType.csv`` -> ({ISO code: units per corporate unit}, corporate code)."""
    codes = text_values(_column(table, "isocode"))
    rates = parse_numbers(_column(table, "conversionrate")).values
    corp_col = _column(table, "iscorporate")
    corporate = parse_bools(corp_col).values if corp_col is not None else [None] * len(codes)
    out = {c: float(r) for c, r in zip(codes, rates, strict=True) if c and r == r and r > 0}
    corp = next((c for c, k in zip(codes, corporate, strict=True) if k), None)
    return out, corp


def apply_lookup(what: str, table: RawTable, opts: Options) -> None:
    """Store the lookup read from ``table`` in ``opts`` (users, accounts, or rates)."""
    if what == "users":
        opts.users = users_from(table)
    elif what == "accounts":
        opts.accounts = accounts_from(table)
    else:
        opts.rates, opts.corporate_currency = rates_from(table)


def load_siblings(path: Path, opts: Options) -> None:
    """Users, accounts and currency rates from the Data Export files beside ``path``."""
    try:
        siblings = {p.name.lower(): p for p in path.parent.iterdir() if p.is_file()}
    except OSError:
        return
    for fname, what in LOOKUP_FILES.items():
        p = siblings.get(fname)
        if p is None:
            continue
        table = lookup_table(p.name, None, p, LOOKUP_NEEDS[what])
        if table is not None:
            apply_lookup(what, table, opts)


def lookup_kind(table: RawTable) -> str | None:
    """Which lookup (``users``, ``accounts``, ``rates``) a table is, from its header; None if none.

    An ``id, name`` header is taken for accounts only in a file named ``Account.csv``.
    """
    keys = {normalize_header(h) for h in table.header}
    for what, needs in LOOKUP_NEEDS.items():
        named = Path(table.name).name.lower() == f"{what.rstrip('s')}.csv"
        if set(needs) <= keys and (what != "accounts" or named):
            return what
    return None
