"""What every format reader shares: field specs, the reading context, rejects and results.

A ``Format`` names its fields (each with the header spellings it answers to), the header groups that
recognise it, and a reader function. The reader gets a ``Sheet``: the raw table with the format's
fields resolved to columns, helpers that parse a whole column at once and reject the rows whose
cells cannot be read, and the warnings collected on the way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders import schema
from loaders.config import load_config
from loaders.formats.salesforce.ids import salesforce_id_values
from loaders.identity import name_key
from loaders.parsing.amounts import (
    parse_amounts,
    parse_durations,
    parse_numbers,
    parse_probabilities,
)
from loaders.parsing.categories import forecast_categories, map_values, parse_bools
from loaders.parsing.columns import (
    Distinct,
    Parsed,
    map_distinct,
    normalize_header,
    surely_unique,
    text_values,
)
from loaders.parsing.dates import DateOrder, date_order, parse_dates
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import RawTable


@dataclass(frozen=True)
class Reject:
    """A row that could not be loaded: its physical line (header = 1), the column, why, the text."""

    row_number: int
    column: str | None
    reason: str
    raw: str | None


@dataclass
class ReadResult:
    """One export read into a canonical frame (see ``loaders.schema.FRAMES``)."""

    kind: str
    format: str
    source: str
    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    as_of: datetime | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Field:
    """A value a format reads, and the header spellings that hold it.

    Attributes:
        name: the reader's name for it (a canonical column or a helper such as ``is_won``).
        aliases: header texts, compared after ``normalize_header`` (case, spaces, punctuation).
        required: the file is refused when no column answers.
        expected: when missing (and not required), say so in a warning.
        type: ``date`` fields take part in the file's day/month decision.
        label: how messages name the field (default: the first alias).
    """

    name: str
    aliases: tuple[str, ...]
    required: bool = False
    expected: bool = True
    type: str = "text"
    label: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(normalize_header(a) for a in self.aliases)

    @property
    def title(self) -> str:
        return self.label or self.aliases[0]


def F(
    name: str,
    *aliases: str,
    required: bool = False,
    expected: bool = True,  # noqa: N802
    type: str = "text",
    label: str | None = None,
) -> Field:
    """Shorthand for ``Field``."""
    return Field(name, aliases, required, expected, type, label)


@dataclass(frozen=True)
class Format:
    """A file shape the loaders recognise by its header."""

    name: str
    kind: str
    source: str
    title: str
    fields: tuple[Field, ...]
    reader: Callable[[Sheet], pd.DataFrame]
    signature: tuple[tuple[str, ...], ...] = ()
    """Groups of header spellings; every group must be present for the header to be this format.
    Empty: the required fields' aliases."""

    def groups(self) -> list[frozenset[str]]:
        if self.signature:
            return [frozenset(normalize_header(a) for a in g) for g in self.signature]
        return [frozenset(f.keys) for f in self.fields if f.required]

    def match(self, header: Sequence[str]) -> float | None:
        """Score of ``header`` as this format's header: None unless every signature group is there;
        otherwise the number of header cells the format reads (more specific wins)."""
        keys = {normalize_header(h) for h in header}
        if not all(g & keys for g in self.groups()):
            return None
        known = set()
        for f in self.fields:
            known.update(f.keys)
        return len(self.groups()) * 100 + len(keys & known)

    def closeness(self, header: Sequence[str]) -> float:
        keys = {normalize_header(h) for h in header}
        groups = self.groups()
        return sum(1 for g in groups if g & keys) / max(1, len(groups))

    def missing(self, header: Sequence[str]) -> list[str]:
        keys = {normalize_header(h) for h in header}
        out = []
        for f in self.fields:
            if f.required and not set(f.keys) & keys:
                out.append(f.title)
        return out

    def key_columns(self) -> list[str]:
        return [f.title for f in self.fields if f.required]


@dataclass
class Options:
    """What the caller told the reader, and lookups found beside the file."""

    date_format: str | None = None
    day_first: bool | None = None
    users: dict[str, str] | None = None  # Salesforce user id (18) -> name
    accounts: dict[str, str] | None = None  # Salesforce account id (18) -> name
    rates: dict[str, float] | None = None  # currency -> units per corporate unit
    corporate_currency: str | None = None
    path: Path | None = None
    max_amount: float | None = None  # None: TEAMCAR_MAX_AMOUNT (loaders.config)


_DATE_SHAPES = {
    True: "D/M/YYYY (like 20/11/2026)",
    False: "M/D/YYYY (like 11/20/2026)",
    None: "YYYY-MM-DD (like 2026-11-20)",
}


class Sheet:
    """A raw table seen through one format: resolved fields, parsing helpers, rejects, warnings."""

    def __init__(self, table: RawTable, fmt: Format, options: Options | None = None):
        self.table = table
        self.format = fmt
        self.options = options or Options()
        self.n = len(table)
        self.name = table.name
        self.keys = [normalize_header(h) for h in table.header]
        self.warnings: list[str] = []
        self.extra: dict = {}
        self.as_of: datetime | None = None
        self.source = fmt.source
        self._bad = np.zeros(self.n, dtype=bool)
        self._reason = np.full(self.n, -1, dtype=np.int64)
        self._reasons: list[tuple[str | None, str, pa.Array | None]] = []
        self._columns: dict[str, list[int]] = {}
        self._fields = {f.name: f for f in fmt.fields}
        self._day_first: dict[str, bool | None] | None = None
        self._distinct: dict[str, Distinct] = {}
        self.unique_hint: dict[str, bool] = {}  # field -> its values are certainly distinct
        self._resolve()
        for index, problem in table.problems.items():
            mask = np.zeros(self.n, dtype=bool)
            mask[index] = True
            self._add_reject(mask, None, problem, None)

    # -- columns -------------------------------------------------------------------------

    def _resolve(self) -> None:
        missing = []
        for f in self.format.fields:
            for key in f.keys:
                positions = [i for i, k in enumerate(self.keys) if k == key]
                if positions:
                    self._columns[f.name] = positions
                    if len(positions) > 1:
                        self.warnings.append(
                            f"column {self.table.header[positions[0]]!r} appears {len(positions)} "
                            "times; the first non-empty value of each row is used"
                        )
                    break
            else:
                if f.required:
                    missing.append(f.title)
                elif f.expected:
                    self.warnings.append(
                        f"no {f.title!r} column: {f.name.replace('_', ' ')} left empty"
                    )
        if missing:
            raise LoadError(
                f"{self.name}: missing required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(m) for m in missing)} for {self.format.title}; "
                f"columns found: {', '.join(repr(h) for h in self.table.header)}"
            )

    def has(self, name: str) -> bool:
        """Whether the file has a column for field ``name``."""
        return name in self._columns

    def header(self, name: str) -> str:
        """The header text of field ``name`` as found in the file (or the field's title)."""
        if name in self._columns:
            return self.table.header[self._columns[name][0]]
        f = self._fields.get(name)
        return f.title if f else name

    def column(self, name: str) -> pa.Array:
        """Field ``name``'s text column (all empty when absent; duplicates coalesced)."""
        positions = self._columns.get(name)
        if not positions:
            return pa.StringArray.from_buffers(  # all empty, without a million Python strings
                self.n, pa.py_buffer(np.zeros(self.n + 1, dtype=np.int32)), pa.py_buffer(b"")
            )
        col = self.table.columns[positions[0]]
        for p in positions[1:]:
            other = self.table.columns[p]
            col = pc.if_else(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0), other, col)
        return col

    def distinct(self, name: str) -> Distinct:
        """Field ``name``'s column split into distinct values (computed once per field)."""
        if name not in self._distinct:
            self._distinct[name] = Distinct.of(self.column(name))
        return self._distinct[name]

    # -- rejects -------------------------------------------------------------------------

    def _add_reject(
        self, mask: np.ndarray, column: str | None, expected: str, values: pa.Array | None
    ) -> None:
        new = mask & ~self._bad
        if not new.any():
            return
        self._reasons.append((column, expected, values))
        self._reason[new] = len(self._reasons) - 1
        self._bad |= new

    def reject(self, mask: np.ndarray, name: str | None, expected: str) -> None:
        """Reject the rows in ``mask`` because field ``name``'s cell is ``expected`` text.

        The reason reads ``<header> <value>: <expected>``.
        """
        if name is None:
            self._add_reject(np.asarray(mask, dtype=bool), None, expected, None)
            return
        self._add_reject(
            np.asarray(mask, dtype=bool),
            self.header(name),
            expected,
            self.column(name) if self.has(name) else None,
        )

    @property
    def bad(self) -> np.ndarray:
        return self._bad

    def rejects(self) -> list[Reject]:
        """The rejected rows, in file order, each with its first reason and its text."""
        rows = np.flatnonzero(self._bad)
        if not len(rows):
            return []
        take = pa.array(rows)
        raws = self.table.raw_rows(rows)
        reasons = np.empty(len(rows), dtype=object)
        for k, (column, expected, values) in enumerate(self._reasons):
            mine = np.flatnonzero(self._reason[rows] == k)
            if not len(mine):
                continue
            if values is None:
                reasons[mine] = expected
                continue
            cells = values.take(take.take(pa.array(mine))).to_pylist()
            reasons[mine] = [
                f"{column} {c.strip()!r}: {expected}"
                if c.strip()
                else f"{column} is empty: {expected}"
                for c in cells
            ]
        columns = [r[0] for r in self._reasons]
        return [
            Reject(int(line), columns[self._reason[i]], reason, raw)
            for i, line, reason, raw in zip(
                rows, self.table.line_numbers[rows], reasons, raws, strict=True
            )
        ]

    def warn_count(self, mask: np.ndarray, message: str) -> None:
        """Add ``message`` prefixed with the count of ``mask`` rows (kept rows only), when any."""
        count = int((np.asarray(mask, dtype=bool) & ~self._bad).sum())
        if count:
            self.warnings.append(f"{count} row{'s' if count != 1 else ''}: {message}")

    # -- typed columns -------------------------------------------------------------------

    def text(self, name: str, *, required: bool = False) -> np.ndarray:
        """Trimmed text, None when empty; ``required`` rejects rows with an empty cell."""
        values = text_values(self.distinct(name))
        if required and self.has(name):
            self.reject(np.equal(values, None), name, "a value is required")
        return values

    def loose(self, name: str) -> np.ndarray:
        """Field ``name``'s values compared loosely (``normalize_header``): ``""`` when empty."""
        values = map_values(self.distinct(name), normalize_header)
        values[np.equal(values, None)] = ""
        return values

    def per_value(self, name: str, fn, dtype=object) -> np.ndarray:
        """``fn`` of each row's trimmed text (``""`` when empty), computed once per distinct value.

        Meant for columns with few distinct values (stages, statuses, flags, types).
        """
        d = self.distinct(name)
        per = np.array([fn(v) for v in d.values.to_pylist()], dtype=dtype)
        if len(per) == 0:
            return np.zeros(self.n, dtype=dtype)
        return d.spread(per)

    def starts_with(self, name: str, prefix: str) -> np.ndarray:
        """Rows whose trimmed value starts with ``prefix``."""
        d = self.distinct(name)
        return d.spread(
            np.asarray(
                pc.fill_null(pc.starts_with(d.values, prefix), False).to_numpy(
                    zero_copy_only=False
                ),
                dtype=bool,
            )
        )

    def flag(self, name: str, words: Sequence[str]) -> np.ndarray:
        """Rows whose value is one of ``words`` (compared loosely, like headers)."""
        if not self.has(name):
            return np.zeros(self.n, dtype=bool)
        wanted = {normalize_header(w) for w in words}
        return self.per_value(name, lambda v: normalize_header(v) in wanted, bool)

    def truth(self, name: str, *, on_bad: str = "reject") -> np.ndarray:
        """Yes/no column as int8: 1 true, 0 false, -1 empty or missing column."""
        if not self.has(name):
            return np.full(self.n, -1, dtype=np.int8)
        d = self.distinct(name)
        parsed = parse_bools(d.values)  # one verdict per distinct value
        codes = np.full(len(parsed.values), -1, dtype=np.int8)
        codes[parsed.values == True] = 1  # noqa: E712 - object array of True/False/None
        codes[parsed.values == False] = 0  # noqa: E712
        bad = d.spread(parsed.bad) if len(codes) else np.zeros(self.n, dtype=bool)
        expected = "expected true/false, yes/no or 1/0"
        if on_bad == "reject":
            self.reject(bad, name, expected)
        else:
            self.warn_count(bad, f"unreadable {self.header(name)!r} left empty ({expected})")
        return d.spread(codes) if len(codes) else np.full(self.n, -1, dtype=np.int8)

    def owner(self, name: str) -> np.ndarray:
        """Owner names; blanks become ``Unassigned`` with a warning count."""
        values = text_values(self.distinct(name))
        blank = np.equal(values, None)
        if blank.any():
            values = values.copy()
            values[blank] = schema.UNASSIGNED
            self.warn_count(blank, f"no {self.header(name)!r}, shown as {schema.UNASSIGNED}")
        return values

    def ids(self, name: str, *, required: bool = False) -> np.ndarray:
        """Salesforce-style ids (15 -> 18 characters, the empty sentinel -> None)."""
        d = self.distinct(name)
        per_value = salesforce_id_values(d.values)
        values = d.spread(np.asarray(per_value.to_numpy(zero_copy_only=False), dtype=object))
        if d.indices is None:  # one value per row: a cheap proof of uniqueness may exist
            self.unique_hint[name] = surely_unique(per_value)
        if required and self.has(name):
            self.reject(np.equal(values, None), name, "an id is required")
        return values

    def _apply(
        self, name: str, parsed: Parsed, *, required: bool, on_bad: str, expected: str
    ) -> np.ndarray:
        if not self.has(name):
            return parsed.values
        if on_bad == "reject":
            self.reject(parsed.bad, name, expected)
        else:
            self.warn_count(parsed.bad, f"unreadable {self.header(name)!r} left empty ({expected})")
        if required:
            self.reject(parsed.empty, name, "a value is required")
        return parsed.values

    def amount(
        self,
        name: str,
        *,
        required: bool = False,
        on_bad: str = "reject",
        currency: str | None = None,
        decimal: str | None = None,
    ) -> np.ndarray:
        """Money as float (NaN empty), in one currency.

        Rows whose currency (from field ``currency``'s column or the value's own symbol/code)
        differs from the file's main currency are converted with ``Options.rates`` when known,
        else rejected: amounts in different currencies are never summed as one.
        """
        parsed = parse_amounts(self.distinct(name), decimal=decimal)
        values = self._apply(
            name,
            parsed,
            required=required,
            on_bad=on_bad,
            expected="expected an amount like 1,234.00",
        )
        if not self.has(name):
            return values
        index = parsed.note["currency_index"]
        names = list(parsed.note["currency_names"])
        if currency and self.has(currency):
            d = self.distinct(currency)
            per = np.full(len(d.values), -1, dtype=np.int16)
            for i, code in enumerate(d.values.to_pylist()):
                if code:
                    code = code.upper()
                    if code not in names:
                        names.append(code)
                    per[i] = names.index(code)
            explicit = d.spread(per) if len(per) else np.full(self.n, -1, dtype=np.int16)
            index = np.where(explicit >= 0, explicit, index)
        return self._within_bound(name, self._one_currency(name, values, index, names), on_bad)

    def _within_bound(self, name: str, values: np.ndarray, on_bad: str) -> np.ndarray:
        """Amounts beyond ``max_amount`` (an export's garbage such as ``1e36``, never a real
        deal) rejected, or left empty when the field is only informative."""
        limit = self.options.max_amount
        if limit is None:
            limit = load_config().max_amount
        with np.errstate(invalid="ignore"):
            huge = np.abs(values) > limit
        if not huge.any():
            return values
        expected = f"expected an amount of at most {limit:,.0f} (TEAMCAR_MAX_AMOUNT)"
        if on_bad == "reject":
            self.reject(huge, name, expected)
        else:
            self.warn_count(huge, f"{self.header(name)!r} beyond {limit:,.0f} left empty")
        values = values.copy()
        values[huge] = np.nan
        return values

    def _one_currency(
        self, name: str, values: np.ndarray, index: np.ndarray, names: list[str]
    ) -> np.ndarray:
        present = (index >= 0) & ~self._bad
        if not present.any():
            return values
        counts = np.bincount(index[present], minlength=len(names))
        main = self.options.corporate_currency or names[int(counts.argmax())]
        self.extra.setdefault("currency", main)
        main_id = names.index(main) if main in names else -2
        others = present & (index != main_id)
        if not others.any():
            return values
        rates = self.options.rates or {}
        rate_of = np.array([rates.get(c, np.nan) for c in names], dtype=float)
        values = values.copy()
        convertible = others & ~np.isnan(rate_of[np.maximum(index, 0)])
        if convertible.any():
            rate = rate_of[index[convertible]]
            values[convertible] = values[convertible] / rate * rates.get(main, 1.0)
            self.warn_count(convertible, f"converted to {main} with the export's rates")
        missing = others & ~convertible
        if missing.any():
            self.reject(
                missing,
                name,
                f"in a currency other than {main} with no conversion rate "
                f"(amounts are kept in one currency)",
            )
        return values

    def number(self, name: str, *, required: bool = False, on_bad: str = "reject") -> np.ndarray:
        return self._apply(
            name,
            parse_numbers(self.distinct(name)),
            required=required,
            on_bad=on_bad,
            expected="expected a number",
        )

    def probability(
        self, name: str, *, scale: str | None = None, on_bad: str = "reject"
    ) -> np.ndarray:
        parsed = parse_probabilities(self.distinct(name), scale=scale)
        return self._apply(
            name,
            parsed,
            required=False,
            on_bad=on_bad,
            expected="expected a probability such as 40 (%) or 0.4",
        )

    def bools(self, name: str, *, on_bad: str = "reject") -> np.ndarray:
        return self._apply(
            name,
            parse_bools(self.distinct(name)),
            required=False,
            on_bad=on_bad,
            expected="expected true/false, yes/no or 1/0",
        )

    def duration(
        self, name: str, *, number_unit: str = "s", two_part: str = "mm:ss", on_bad: str = "blank"
    ) -> np.ndarray:
        parsed = parse_durations(self.distinct(name), number_unit=number_unit, two_part=two_part)
        return self._apply(
            name,
            parsed,
            required=False,
            on_bad=on_bad,
            expected="expected a duration like 00:12:30 or a number",
        )

    def forecast(self, name: str) -> np.ndarray:
        parsed = forecast_categories(self.distinct(name))
        if self.has(name):
            unknown = parsed.bad
            if unknown.any():
                labels = sorted(
                    set(text_values(self.distinct(name))[unknown & ~self._bad]) - {None}
                )
                if labels:
                    self.warn_count(
                        unknown,
                        f"forecast category Team Car does not know "
                        f"({', '.join(map(repr, labels[:5]))}), left empty",
                    )
        return parsed.values

    def date(self, name: str, *, required: bool = False, on_bad: str = "reject") -> np.ndarray:
        """Dates or datetimes as ``datetime64[ns]``; day/month order decided for the file."""
        if not self.has(name):
            return np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        day_first = self.day_first(name)
        parsed = parse_dates(self.distinct(name), day_first=bool(day_first))
        shape = _DATE_SHAPES[day_first if self._date_numeric(name) else None]
        return self._apply(
            name,
            parsed,
            required=required,
            on_bad=on_bad,
            expected=f"expected a date such as {shape}",
        )

    # -- day/month order -----------------------------------------------------------------

    def _date_evidence(self) -> dict[str, DateOrder]:
        out = {}
        for f in self.format.fields:
            if f.type == "date" and self.has(f.name):
                out[f.name] = date_order(self.distinct(f.name))
        return out

    def _date_numeric(self, name: str) -> bool:
        if self._day_first is None:
            self.day_first(name)
        return name in self._numeric_dates

    def day_first(self, name: str) -> bool | None:
        """Day/month order of field ``name``: from ``--date-format``, else its own values, else the
        other date columns of the file.

        Raises:
            LoadError: the values read both ways and nothing else decides.
        """
        if self._day_first is None:
            evidence = self._date_evidence()
            self._numeric_dates = {k for k, e in evidence.items() if e.matters}
            if self.options.day_first is not None:
                self._day_first = dict.fromkeys(evidence, self.options.day_first)
            else:
                decided = {k: e.decide() for k, e in evidence.items()}
                known = {v for k, v in decided.items() if v is not None and evidence[k].matters}
                for k, e in evidence.items():
                    if e.conflicting and decided[k] is not None:
                        minority = min(e.only_day_first, e.only_month_first)
                        self.warnings.append(
                            f"column {self.header(k)!r} mixes day-first and month-first dates; "
                            f"read as {'D/M/YYYY' if decided[k] else 'M/D/YYYY'} (the majority), "
                            f"{minority} distinct value{'s' if minority != 1 else ''} rejected"
                        )
                undecided = [k for k, v in decided.items() if v is None]
                for k in undecided:
                    if len(known) == 1:
                        decided[k] = next(iter(known))
                    else:
                        e = evidence[k]
                        raise LoadError(
                            f"{self.name}: column {self.header(k)!r} has dates such as "
                            f"{e.example!r} that read both as day/month and month/day; rerun with "
                            "--date-format %d/%m/%Y (day first) or --date-format %m/%d/%Y "
                            "(month first)"
                        )
                self._day_first = decided
        return self._day_first.get(name)

    # -- result --------------------------------------------------------------------------

    def frame(
        self, columns: dict[str, object], kind: str | None = None, drop: np.ndarray | None = None
    ) -> pd.DataFrame:
        """The canonical frame of the kept rows, through ``schema.conform``.

        Args:
            columns: canonical column -> per-row values (arrays as long as the table, or a scalar).
            drop: rows left out without being rejects (deleted records, untracked events).
        """
        kind = kind or self.format.kind
        keep = ~self._bad
        if drop is not None:
            keep = keep & ~np.asarray(drop, dtype=bool)
            self.dropped = int((np.asarray(drop, dtype=bool) & ~self._bad).sum())
        # every row kept (the usual case, also when a reader passes a ``drop`` that drops none):
        # the columns go in as they are, without a copy of each
        everything = bool(keep.all())
        data = {}
        for col, values in columns.items():
            if values is None or np.isscalar(values):
                values = np.full(self.n, values, dtype=object)
            arr = (
                np.asarray(values)
                if not isinstance(values, pd.api.extensions.ExtensionArray)
                else values
            )
            if not everything:
                arr = arr[keep]
            if isinstance(arr, np.ndarray) and arr.dtype == object:
                data[col] = pd.Series(arr, dtype=object, copy=False)
            else:
                data[col] = pd.Series(arr, copy=False)
        df = pd.DataFrame(data, index=pd.RangeIndex(int(keep.sum())), copy=False)
        return schema.conform(df, kind)


# ---------------------------------------------------------------------------------------------
# Deal rules shared by every pipeline format

_WON = re.compile(
    r"(?<![\w'])(won|ganho|ganha|ganado|ganada|gagn[ée]e?|gewonnen|vinta|vinto)"
    r"(?![\w'])",
    re.I,
)
_LOST = re.compile(
    r"(?<![\w'])(lost|perdido|perdida|perdu|perdue|verloren|persa|perso)(?![\w'])", re.I
)


def status_from_stage_name(stage: str | None) -> str | None:
    """``won``/``lost`` when the stage name says so (``Closed Won``, ``Fechado/Ganho``), else None."""
    if not stage:
        return None
    key = normalize_header(stage)
    if key in ("closedwon", "won"):  # HubSpot's internal stage ids read like this
        return "won"
    if key in ("closedlost", "lost"):
        return "lost"
    if _WON.search(stage):
        return "won"
    if _LOST.search(stage):
        return "lost"
    return None


STATUS_CODES = np.array(["open", "won", "lost"], dtype=object)


def stage_status_code(stage: str | None) -> int:
    """-1 when the stage name says nothing, else 1 (won) or 2 (lost)."""
    return {"won": 1, "lost": 2}.get(status_from_stage_name(stage) or "", -1)


def derive_status(
    stage_code: np.ndarray,
    *,
    is_closed: np.ndarray | None = None,
    is_won: np.ndarray | None = None,
    is_lost: np.ndarray | None = None,
    forecast_closed: np.ndarray | None = None,
    explicit: np.ndarray | None = None,
) -> np.ndarray:
    """Each deal's status (``open``/``won``/``lost``).

    Args:
        stage_code: per row, what the stage name says (``stage_status_code``: -1, 1 won, 2 lost).
        is_closed, is_won, is_lost: flags as ``Sheet.truth`` gives them (1, 0, -1 unknown), or
            None when the export has no such column (Salesforce ``IsClosed``/``IsWon``, HubSpot
            ``Is Deal Closed?``/``Is Closed Won``/``Is closed lost``).
        forecast_closed: rows whose forecast category is ``closed``.
        explicit: a status column's values (``open``/``won``/``lost`` or None).

    Precedence: the explicit status; the flags; the stage name; a ``closed`` forecast category
    counts as won. Otherwise open.
    """
    named = stage_code > 0
    status = np.where(named, stage_code, 0).astype(np.int8)
    if forecast_closed is not None:
        status[forecast_closed & ~named] = 1
    if is_won is not None:
        won = is_won == 1
        status[won] = 1
        if is_closed is not None:
            status[(is_closed == 1) & ~won] = 2
            status[(is_closed == 0) & ~won] = 0
        elif is_lost is None:
            status[(is_won == 0) & (status == 1)] = 0
    elif is_closed is not None:
        status[(is_closed == 1) & (status == 0)] = 2
        status[is_closed == 0] = 0
    if is_lost is not None:
        status[(is_lost == 1) & (status != 1)] = 2
    out = STATUS_CODES[status]
    if explicit is not None:
        given = ~np.equal(explicit, None)
        out[given] = explicit[given]
    return out


def learn_stage_order(
    stage: np.ndarray,
    status: np.ndarray,
    *,
    explicit: np.ndarray | None = None,
    known: Sequence[str] = (),
) -> pd.arrays.IntegerArray:
    """Each row's stage order: the export's own sort order where it has one, else a known
    default order when every stage is a standard one, else first appearance per status
    (open stages, then won, then lost)."""
    codes, uniques = pd.factorize(np.asarray(stage, dtype=object), use_na_sentinel=True)
    per = np.full(len(uniques), np.nan)
    if explicit is not None:
        given = np.asarray(explicit, dtype=float)
        ok = (codes >= 0) & ~np.isnan(given)
        if ok.any():
            mins = pd.Series(given[ok]).groupby(codes[ok]).min()
            per[mins.index.to_numpy()] = mins.to_numpy()
    missing = np.flatnonzero(np.isnan(per))
    if len(missing):
        known_keys = {normalize_header(k): i + 1 for i, k in enumerate(known)}
        names = [uniques[i] for i in missing]
        if all(normalize_header(n) in known_keys for n in names):
            per[missing] = [known_keys[normalize_header(n)] for n in names]
        else:
            # first appearance (factorize order) within open, then won, then lost stages
            first_row = np.zeros(len(uniques), dtype=np.int64)
            seen = codes >= 0
            first_row[codes[seen][::-1]] = np.flatnonzero(seen)[::-1]
            stat = np.asarray(status, dtype=object)[first_row]
            rank = np.array([{"won": 1, "lost": 2}.get(x, 0) for x in stat])
            ordered = sorted(missing, key=lambda i: (rank[i], i))
            per[ordered] = np.arange(1, len(ordered) + 1)
    order = np.append(per, np.nan)[codes]
    return pd.array(order, dtype="Int64")


def fallback_deal_keys(
    name: np.ndarray, account: np.ndarray, owner: np.ndarray | None = None
) -> np.ndarray:
    """A deal key when the export has no id: ``name|account`` (``name||owner`` without account)."""
    n = pd.Series(map_distinct(name, name_key), dtype=object).fillna("")
    a = pd.Series(map_distinct(account, name_key), dtype=object).fillna("")
    key = "name:" + n + "|" + a
    if owner is not None:
        o = pd.Series(map_distinct(owner, name_key), dtype=object).fillna("")
        key = key.where(a != "", key + "|" + o)
    key = key.where(n != "", None)
    return key.to_numpy(dtype=object)


def reject_duplicates(sheet: Sheet, keys: np.ndarray, name: str, what: str) -> None:
    """Reject later rows whose key repeats an earlier kept row's."""
    kept = ~sheet.bad & ~np.equal(keys, None)
    if kept.all() and sheet.unique_hint.get(name):
        return
    if kept.all():
        dup = pd.Series(keys, dtype=object, copy=False).duplicated(keep="first").to_numpy()
    else:
        dup = np.zeros(len(keys), dtype=bool)
        d = pd.Series(keys[kept], dtype=object).duplicated(keep="first").to_numpy()
        dup[np.flatnonzero(kept)[d]] = True
    if not dup.any():
        return
    sheet.reject(dup, name, f"repeats the {what} of an earlier row (the first one is kept)")
