"""Reading one export file into a canonical frame (``read_export``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from loaders.formats.base import Options, ReadResult, Sheet
from loaders.formats.detect import best, candidates, matcher, unknown
from loaders.formats.salesforce.lookups import READ_WITH_LOOKUPS, load_siblings
from loaders.parsing.dates import day_first_from_format
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import read_table


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
    formats = candidates(format, kind, mapping)
    table = read_table(path, match_header=matcher(formats), data=data)
    if progress:
        progress(len(table))
    found = best(formats, table.header) if table.matched else None
    if found is None:
        raise unknown(table, formats, chosen=format is not None or mapping is not None)
    fmt = found[1]
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
