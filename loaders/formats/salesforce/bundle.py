"""A Salesforce Data Export as delivered: the weekly ZIP, or the folder it was unpacked into.

Files are recognised by their header, whatever their names; the lookups (``lookups``) are read
first and shared by every file; files Team Car does not load are listed as skipped, not errors.
Names starting with ``_`` or ``.`` (``__MACOSX``, ``.DS_Store``) are ignored. The bundle's as-of is
the latest ``SystemModstamp`` of the files read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from loaders.formats.base import Options, ReadResult
from loaders.formats.detect import UnknownFormatError
from loaders.formats.read import read_export
from loaders.formats.salesforce.lookups import (
    LOOKUP_FILES,
    LOOKUP_NEEDS,
    apply_lookup,
    lookup_table,
)
from loaders.parsing.dates import day_first_from_format
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import check_zip_members


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
        what = LOOKUP_FILES.get(Path(name).name.lower())
        if what:
            table = lookup_table(Path(name).name, read(), None, LOOKUP_NEEDS[what])
            if table is not None:
                apply_lookup(what, table, opts)
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
