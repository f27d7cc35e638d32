"""Which format an export is in, from its header.

Every built-in format (``FORMATS``, in detection order) scores a header row; the best score wins.
When none scores, the error says in two lines what was found, the closest format and what it lacks,
and how to draft a mapping (``teamcar map FILE``); a Data Export lookup file gets its own message
(it is read beside the others).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from loaders.formats import calls, hubspot, people, plans
from loaders.formats.base import Format
from loaders.formats.mapping import BUILTIN_MAPPINGS, load_mapping
from loaders.formats.salesforce import data_export, report
from loaders.formats.salesforce.lookups import lookup_kind
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import RawTable, read_table
from loaders.schema import FRAMES

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        report.REPORT,
        hubspot.DEALS,
        data_export.OPPORTUNITY,
        data_export.OPPORTUNITY_HISTORY,
        report.FIELD_HISTORY,
        report.STAGE_HISTORY,
        data_export.TASK,
        data_export.EVENT,
        report.ACTIVITY_REPORT,
        hubspot.CALLS,
        hubspot.EMAILS,
        hubspot.MEETINGS,
        hubspot.NOTES,
        people.ROSTER,
        people.QUOTAS,
        people.READINESS,
        calls.CALLS,
        plans.PLANS,
        *BUILTIN_MAPPINGS,
    )
}
"""Every built-in format by name, in detection order."""


def candidates(format: str | None, kind: str | None, mapping: Path | None) -> list[Format]:
    """The formats a file may be in: the mapping, the named format, those of ``kind``, or all."""
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


def best(formats: Sequence[Format], header: Sequence[str]) -> tuple[float, Format] | None:
    """The best-scoring format for ``header`` and its score; None when none matches."""
    best = None
    for f in formats:
        score = f.match(header)
        if score is not None and (best is None or score > best[0]):
            best = (score, f)
    return best


def matcher(formats: Sequence[Format]) -> Callable[[list[str]], float | None]:
    """A ``HeaderMatcher`` scoring a row by the best of ``formats``."""

    def match(cells: list[str]) -> float | None:
        found = best(formats, cells)
        return None if found is None else found[0]

    return match


class UnknownFormatError(LoadError):
    """The file's header matches no format (a ``LoadError``; bundles skip such files)."""


def unknown(table: RawTable, formats: Sequence[Format], chosen: bool) -> LoadError:
    """The error for a header no format matches (``chosen``: the caller named the format)."""
    header = ", ".join(repr(h) for h in table.header if h) or "(none)"
    what = None if chosen else lookup_kind(table)
    if what is not None:
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
    shown = [h for h in table.header if h]
    cols = ", ".join(repr(h) for h in shown[:6]) or "(none)"
    if len(shown) > 6:
        cols += f" and {len(shown) - 6} more"
    hint = ""
    if close and close[0][0] >= 0.5:
        f = close[0][1]
        lacks = ", ".join(repr(m) for m in f.missing(table.header)) or "some key columns"
        hint = f"; it looks like {f.title} but lacks {lacks}"
    return UnknownFormatError(
        f"{table.name}: no format Team Car knows reads these columns (line {table.header_line}: "
        f"{cols}){hint}.\n"
        f"Draft a mapping for it with `teamcar map {table.name}` (then load with --mapping, or "
        "save it with --save NAME to have it read by itself)."
    )


def detect_format(path_or_header: Path | str | Sequence[str], *, kind: str | None = None) -> str:
    """The name of the built-in format a file (or a header row) is in.

    Args:
        path_or_header: a file, or its header cells.
        kind: only consider formats of this kind.

    Raises:
        LoadError: the header matches no format (the message lists the formats).
    """
    formats = candidates(None, kind, None)
    if isinstance(path_or_header, str | Path):
        table = read_table(Path(path_or_header), match_header=matcher(formats))
        header = table.header
    else:
        header = list(path_or_header)
        table = RawTable(name="header", header=header, columns=[], line_numbers=[])
    found = best(formats, header)
    if found is None:
        raise unknown(table, formats, chosen=False)
    return found[1].name
