"""Reading one export file into a canonical frame (``read_export``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from loaders.formats.base import Format, Options, ReadResult, Sheet
from loaders.formats.detect import best, candidates, matcher, unknown
from loaders.formats.mapping import SavedFormat, header_fingerprint
from loaders.formats.salesforce.lookups import READ_WITH_LOOKUPS, load_siblings
from loaders.parsing.columns import normalize_header
from loaders.parsing.dates import day_first_from_format
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import RawTable, read_table


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
    saved: Sequence[SavedFormat] = (),
    mapped: Format | None = None,
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
        saved: mappings kept in the store (``loaders.store.mappings.saved_mappings``): when no
            built-in format recognises the header (and none is named), the one whose header key
            fits reads the file.
        mapped: a mapping already built (``mapping_from_dict``), instead of a file; the result's
            ``extra["line_numbers"]`` then holds each table row's line (for previews).

    Returns:
        A ``ReadResult``; rejected rows are not in its frame.

    Raises:
        LoadError: unreadable/binary/empty/corrupt file, unknown format, missing required
            columns, or dates whose day/month order cannot be decided.
    """
    path = Path(path)
    if data is None and path.is_dir():
        raise LoadError(f"{path.name}: is a folder; load a Data Export folder with read_bundle")
    formats = [mapped] if mapped is not None else candidates(format, kind, mapping)
    table = read_table(path, match_header=matcher(formats), data=data)
    if progress:
        progress(len(table))
    found = best(formats, table.header) if table.matched else None
    notes: list[str] = []
    if found is None and saved and format is None and mapping is None and mapped is None:
        fitting = _saved_format(path, data, saved, kind, notes)
        if fitting is not None:
            found = (0.0, fitting[0])
            table = fitting[1]
    if found is None:
        raise unknown(
            table, formats, chosen=format is not None or mapping is not None or mapped is not None
        )
    fmt = found[1]
    _check_mapped_columns(table, fmt)
    opts = options or Options()
    opts.path = path
    if date_format:
        opts.date_format = date_format
        opts.day_first = day_first_from_format(date_format)
    elif getattr(fmt, "day_first", None) is not None and opts.day_first is None:
        opts.day_first = fmt.day_first
    if fmt.name in READ_WITH_LOOKUPS and data is None and options is None:
        load_siblings(path, opts)
    sheet = Sheet(table, fmt, opts)
    sheet.warnings.extend(notes)
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
    if mapped is not None:
        extra["line_numbers"] = table.line_numbers
    if getattr(fmt, "strict", False):  # a user's mapping: part of what the batch is known by
        extra["mapping"] = fmt.fingerprint  # type: ignore[attr-defined]
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


# A saved mapping is taken for a changed version of a file's layout when this share of the columns
# it was saved for are still there.
NEAR_SHARE = 2 / 3
_KIND_ORDER = ("roster", "quota", "readiness", "pipeline", "history", "activity", "calls")


def _overlap(saved: SavedFormat, header: Sequence[str]) -> float:
    theirs = {normalize_header(h) for h in saved.header} - {""}
    ours = {normalize_header(h) for h in header} - {""}
    return len(theirs & ours) / max(1, len(theirs))


def _saved_format(
    path: Path,
    data: bytes | None,
    saved: Sequence[SavedFormat],
    kind: str | None,
    notes: list[str],
) -> tuple[Format, RawTable] | None:
    """The saved mapping that reads this file, and the table read with its header; None when
    none fits.

    Raises:
        LoadError: a saved mapping made for this layout names a column the file no longer has.
    """
    usable = [s for s in saved if kind is None or s.format.kind == kind]
    if not usable:
        return None
    keys = {s.key for s in usable}

    def match(cells: list[str]) -> float | None:
        if header_fingerprint(cells) in keys:
            return 2.0
        near = max(_overlap(s, cells) for s in usable)
        return near if near >= NEAR_SHARE else None

    table = read_table(path, match_header=match, data=data)
    if not table.matched:
        return None
    key = header_fingerprint(table.header)
    fits = sorted(
        (s for s in usable if s.key == key),
        key=lambda s: (_KIND_ORDER.index(s.format.kind), s.name),
    )
    if fits:
        if len(fits) > 1:
            notes.append(
                f"read with the saved mapping {fits[0].name!r} ({fits[0].format.kind}); "
                + ", ".join(f"{s.name!r} reads it as {s.format.kind}" for s in fits[1:])
                + " (load again with --kind)"
            )
        return fits[0].format, table
    near = max(usable, key=lambda s: _overlap(s, table.header))
    gone = near.format.absent_columns(table.header)
    if gone:
        field, column = gone[0]
        more = f" (and {len(gone) - 1} more)" if len(gone) > 1 else ""
        raise LoadError(
            f"{table.name}: the saved mapping {near.name!r} no longer fits: its column {column!r} "
            f"({field}){more} is gone; expected the columns it was saved for "
            f"({', '.join(repr(h) for h in near.header if h)}). Draft a new one with "
            f"`teamcar map {table.name}`"
        )
    added = [
        h
        for h in table.header
        if h and normalize_header(h) not in {normalize_header(x) for x in near.header}
    ]
    notes.append(
        f"the columns changed since the saved mapping {near.name!r} was made"
        + (f" (new: {', '.join(repr(h) for h in added[:5])})" if added else "")
        + "; every column it reads is there, so it read the file"
    )
    return near.format, table


def _check_mapped_columns(table: RawTable, fmt: Format) -> None:
    """A user's mapping that names a column the file lacks is refused, naming that column.

    Raises:
        LoadError: naming the file, the column, its field and the columns found.
    """
    if not getattr(fmt, "strict", False):
        return
    gone = fmt.absent_columns(table.header)  # type: ignore[attr-defined]
    if not gone:
        return
    named = ", ".join(f"{column!r} (for {field})" for field, column in gone)
    raise LoadError(
        f"{table.name}: {fmt.title} names column{'s' if len(gone) > 1 else ''} {named} that "
        f"the file lacks; expected one of the columns found (line {table.header_line}): "
        + ", ".join(repr(h) for h in table.header if h)
    )
