"""Export files -> canonical frames (the read side of the loaders; no database here).

``read_export`` reads one file: it finds the header (skipping report titles), recognises the format
from it (or takes ``format``/``mapping``), parses every column at once, and returns a ``ReadResult``
holding a frame that has passed ``schema.conform``, the rejected rows with their line numbers and
reasons, and warnings. ``read_bundle`` reads a Salesforce Data Export ZIP or folder.

Formats (``FORMATS``): see ``docs/mapping.md`` for the list and for mapping files.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from loaders.formats import hubspot, people, salesforce
from loaders.formats.base import Format, Options, ReadResult, Reject, Sheet
from loaders.formats.mapping import BUILTIN_MAPPINGS, load_mapping
from loaders.parsing import (
    LoadError,
    RawTable,
    check_zip_members,
    day_first_from_format,
    normalize_header,
    parse_bools,
    parse_numbers,
    read_table,
    salesforce_ids,
    text_values,
)
from loaders.schema import FRAMES

__all__ = [
    "FORMATS",
    "BundleResult",
    "Format",
    "LoadError",
    "ReadResult",
    "Reject",
    "UnknownFormatError",
    "detect_format",
    "read_bundle",
    "read_export",
]

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        salesforce.REPORT,
        hubspot.DEALS,
        salesforce.OPPORTUNITY,
        salesforce.OPPORTUNITY_HISTORY,
        salesforce.FIELD_HISTORY,
        salesforce.STAGE_HISTORY,
        salesforce.TASK,
        salesforce.EVENT,
        salesforce.ACTIVITY_REPORT,
        hubspot.CALLS,
        hubspot.EMAILS,
        hubspot.MEETINGS,
        people.ROSTER,
        people.QUOTAS,
        people.READINESS,
        *BUILTIN_MAPPINGS,
    )
}
"""Every built-in format by name, in detection order."""

# Data Export files read only as lookups for the others.
_LOOKUP_FILES = {"user.csv": "users", "account.csv": "accounts", "currencytype.csv": "rates"}
_DATA_EXPORT = {
    "salesforce-opportunity",
    "salesforce-opportunity-history",
    "salesforce-task",
    "salesforce-event",
}


def _candidates(format: str | None, kind: str | None, mapping: Path | None) -> list[Format]:
    if mapping is not None:
        fmt = load_mapping(Path(mapping))
        if kind and fmt.kind != kind:
            raise LoadError(
                f"{Path(mapping).name}: the mapping is for {fmt.kind} files, not {kind}"
            )
        return [fmt]
    if format is not None:
        if format not in FORMATS:
            raise LoadError(f"unknown format {format!r}; formats: {', '.join(FORMATS)}")
        fmt = FORMATS[format]
        if kind and fmt.kind != kind:
            raise LoadError(f"format {format!r} holds {fmt.kind} rows, not {kind}")
        return [fmt]
    if kind is not None:
        if kind not in FRAMES:
            raise LoadError(f"unknown kind {kind!r}; kinds: {', '.join(FRAMES)}")
        return [f for f in FORMATS.values() if f.kind == kind]
    return list(FORMATS.values())


def _best(formats: Sequence[Format], header: Sequence[str]) -> tuple[float, Format] | None:
    best = None
    for f in formats:
        score = f.match(header)
        if score is not None and (best is None or score > best[0]):
            best = (score, f)
    return best


def _matcher(formats: Sequence[Format]) -> Callable[[list[str]], float | None]:
    def match(cells: list[str]) -> float | None:
        found = _best(formats, cells)
        return None if found is None else found[0]

    return match


class UnknownFormatError(LoadError):
    """The file's header matches no format (a ``LoadError``; bundles skip such files)."""


def _unknown(table: RawTable, formats: Sequence[Format], chosen: bool) -> LoadError:
    header = ", ".join(repr(h) for h in table.header if h) or "(none)"
    keys = {normalize_header(h) for h in table.header}
    for what, needs in _LOOKUP_NEEDS.items():
        named = Path(table.name).name.lower() == f"{what.rstrip('s')}.csv"
        if set(needs) <= keys and not chosen and (what != "accounts" or named):
            return UnknownFormatError(
                f"{table.name}: is a Salesforce Data Export lookup ({what}), read beside "
                "Opportunity.csv, Task.csv or Event.csv (or with the whole export folder or ZIP), "
                "not loaded on its own"
            )
    if chosen:
        fmt = formats[0]
        missing = fmt.missing(table.header)
        return LoadError(
            f"{table.name}: missing required column{'s' if len(missing) != 1 else ''} "
            f"{', '.join(repr(m) for m in missing) or '(header not recognised)'} for {fmt.title}; "
            f"columns found (line {table.header_line}): {header}"
        )
    close = sorted(((f.closeness(table.header), f) for f in formats), key=lambda t: -t[0])
    hint = ""
    if close and close[0][0] >= 0.5:
        f = close[0][1]
        hint = (
            f" It looks like {f.title} but lacks "
            f"{', '.join(repr(m) for m in f.missing(table.header)) or 'some key columns'}."
        )
    known = "; ".join(f"{f.name} ({', '.join(f.key_columns()[:4])})" for f in formats)
    return UnknownFormatError(
        f"{table.name}: not an export Team Car recognises. Columns found (line "
        f"{table.header_line}): {header}.{hint} Known formats: {known}. "
        "Name one with --format, or describe the columns in a mapping file (--mapping)."
    )


def detect_format(path_or_header: Path | str | Sequence[str], *, kind: str | None = None) -> str:
    """The name of the built-in format a file (or a header row) is in.

    Args:
        path_or_header: a file, or its header cells.
        kind: only consider formats of this kind.

    Raises:
        LoadError: the header matches no format (the message lists the formats).
    """
    formats = _candidates(None, kind, None)
    if isinstance(path_or_header, str | Path):
        table = read_table(Path(path_or_header), match_header=_matcher(formats))
        header = table.header
    else:
        header = list(path_or_header)
        table = RawTable(name="header", header=header, columns=[], line_numbers=[])
    found = _best(formats, header)
    if found is None:
        raise _unknown(table, formats, chosen=False)
    return found[1].name


def read_export(
    path: Path,
    *,
    format: str | None = None,
    kind: str | None = None,
    mapping: Path | None = None,
    date_format: str | None = None,
    progress: Callable[[int], None] | None = None,
    options: Options | None = None,
    data: bytes | None = None,
) -> ReadResult:
    """Read one export file into a canonical frame.

    Args:
        path: a CSV or XLSX file.
        format: a name from ``FORMATS`` (default: recognised from the header).
        kind: restrict recognition to formats of this kind (``pipeline``, ``activity``...).
        mapping: a TOML mapping file describing the columns (see ``docs/mapping.md``).
        date_format: day/month order for ambiguous dates (``%d/%m/%Y``, ``%m/%d/%Y``, ``DMY``).
        progress: called with the number of rows read so far (after reading, and at the end).
        options: lookups (users, accounts, rates) when the caller already has them.
        data: the file's bytes, when already in memory.

    Returns:
        A ``ReadResult``; rejected rows are not in its frame.

    Raises:
        LoadError: unreadable/binary/empty/corrupt file, unknown format, missing required
            columns, or dates whose day/month order cannot be decided.
    """
    path = Path(path)
    if data is None and path.is_dir():
        raise LoadError(f"{path.name}: is a folder; load a Data Export folder with read_bundle")
    formats = _candidates(format, kind, mapping)
    table = read_table(path, match_header=_matcher(formats), data=data)
    if progress:
        progress(len(table))
    found = _best(formats, table.header) if table.matched else None
    if found is None:
        raise _unknown(table, formats, chosen=format is not None or mapping is not None)
    fmt = found[1]
    opts = options or Options()
    opts.path = path
    if date_format:
        opts.date_format = date_format
        opts.day_first = day_first_from_format(date_format)
    elif getattr(fmt, "day_first", None) is not None and opts.day_first is None:
        opts.day_first = fmt.day_first
    if fmt.name in _DATA_EXPORT and data is None and options is None:
        _load_siblings(path, opts)
    sheet = Sheet(table, fmt, opts)
    frame = fmt.reader(sheet)
    rejects = sheet.rejects()
    if len(table) == 0:
        sheet.warnings.append("the file has a header but no rows")
    extra = dict(sheet.extra)
    extra.update(
        {
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "sheet": table.sheet,
            "header_line": table.header_line,
            "columns": list(table.header),
            "skipped_lines": table.skipped_lines,
            "parser": table.parser,
            "dropped": getattr(sheet, "dropped", 0),
        }
    )
    if progress:
        progress(len(table))
    return ReadResult(
        kind=fmt.kind,
        format=fmt.name,
        source=sheet.source,
        frame=frame,
        rejects=rejects,
        warnings=sheet.warnings,
        rows_read=len(table),
        as_of=sheet.as_of,
        extra=extra,
    )


# ---------------------------------------------------------------------------------------------
# Data Export lookups and bundles


def _lookup_table(
    name: str, data: bytes | None, path: Path | None, needed: tuple[str, ...]
) -> RawTable | None:
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
    return salesforce.users_from_table(
        ids, first, last, text_values(utype) if utype is not None else None
    )


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


_LOOKUP_NEEDS = {
    "users": ("id", "firstname", "lastname"),
    "accounts": ("id", "name"),
    "rates": ("isocode", "conversionrate"),
}


def _apply_lookup(what: str, table: RawTable, opts: Options) -> None:
    if what == "users":
        opts.users = users_from(table)
    elif what == "accounts":
        opts.accounts = accounts_from(table)
    else:
        opts.rates, opts.corporate_currency = rates_from(table)


def _load_siblings(path: Path, opts: Options) -> None:
    """Users, accounts and currency rates from the Data Export files beside ``path``."""
    try:
        siblings = {p.name.lower(): p for p in path.parent.iterdir() if p.is_file()}
    except OSError:
        return
    for fname, what in _LOOKUP_FILES.items():
        p = siblings.get(fname)
        if p is None:
            continue
        table = _lookup_table(p.name, None, p, _LOOKUP_NEEDS[what])
        if table is not None:
            _apply_lookup(what, table, opts)


@dataclass
class BundleResult:
    """A Salesforce Data Export (ZIP or folder) read file by file."""

    results: list[ReadResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    as_of: datetime | None = None


def read_bundle(
    path: Path, *, date_format: str | None = None, progress: Callable[[int], None] | None = None
) -> BundleResult:
    """Read a Salesforce Data Export as delivered: the ZIP, or its folder.

    Files are recognised by their header (any name); ``User.csv``, ``Account.csv`` and
    ``CurrencyType.csv`` are used as lookups; other files are listed in ``skipped``. The bundle's
    as-of is the latest ``SystemModstamp`` of the files read; every result carries it (its own is
    in ``extra["file_as_of"]``).

    Raises:
        LoadError: the path is neither a folder nor a ZIP, or a recognised file is unreadable.
    """
    path = Path(path)
    members: list[tuple[str, Callable[[], bytes]]] = []
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path)
            if p.is_file() and not any(part.startswith(("_", ".")) for part in rel.parts):
                members.append((str(rel), p.read_bytes))
    else:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise LoadError(f"{path.name}: not a ZIP archive or folder ({exc})") from None
        check_zip_members(zf, path.name)
        for info in zf.infolist():
            parts = Path(info.filename).parts
            if info.is_dir() or any(part.startswith(("_", ".")) for part in parts):
                continue
            members.append((info.filename, lambda n=info.filename: zf.read(n)))
    opts = Options()
    if date_format:
        opts.date_format = date_format
        opts.day_first = day_first_from_format(date_format)
    others = []
    for name, read in members:
        what = _LOOKUP_FILES.get(Path(name).name.lower())
        if what:
            table = _lookup_table(Path(name).name, read(), None, _LOOKUP_NEEDS[what])
            if table is not None:
                _apply_lookup(what, table, opts)
                continue
        others.append((name, read))
    out = BundleResult()
    for name, read in others:
        if not name.lower().endswith((".csv", ".xlsx", ".txt")):
            out.skipped.append((name, "not a CSV or XLSX file"))
            continue
        data = read()
        try:
            result = read_export(Path(name), data=data, options=_copy(opts), progress=progress)
        except UnknownFormatError:
            out.skipped.append((name, "not a file Team Car loads"))
            continue
        result.extra["member"] = name
        out.results.append(result)
    stamps = [r.as_of for r in out.results if r.as_of is not None]
    out.as_of = max(stamps) if stamps else None
    for r in out.results:
        r.extra["file_as_of"] = r.as_of
        r.as_of = out.as_of
    return out


def _copy(opts: Options) -> Options:
    return Options(
        date_format=opts.date_format,
        day_first=opts.day_first,
        users=opts.users,
        accounts=opts.accounts,
        rates=opts.rates,
        corporate_currency=opts.corporate_currency,
    )
