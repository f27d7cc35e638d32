"""Tables to CSV and XLSX files a manager can open in a spreadsheet, safely.

Spreadsheet formula neutralisation: a text cell whose first character is ``=``,
``+``, ``-``, ``@``, a tab or a carriage return could be run as a formula by Excel, LibreOffice or
Google Sheets when the file is opened, so such cells get a leading apostrophe (``'=1+1``) and
stay inert text. Numbers, dates and booleans stay what they are: a negative amount is still a
number a spreadsheet can add up. Column names are text too and get the same treatment.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (so XLSX) cannot hold; openpyxl refuses them. Tab, LF and CR are allowed.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: object) -> object:
    """A cell value safe to open in a spreadsheet: risky text gets a leading ``'``.

    Args:
        value: any cell value.

    Returns:
        Text starting with ``=``, ``+``, ``-``, ``@``, tab or CR prefixed with ``'``; every
        other value unchanged (numbers stay numbers).
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def _plain(value: object) -> object:
    """A cell as a plain Python value: missing as None, numpy scalars unwrapped, days as dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is None and value == value.normalize():
            return value.date()
        return value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date | int | float | str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def export_rows(df: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    """The header and rows of ``df`` as plain, neutralised values (what both formats write)."""
    header = [str(neutralise(str(c))) for c in df.columns]
    rows = [[neutralise(_plain(v)) for v in row] for row in df.itertuples(index=False, name=None)]
    return header, rows


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as CSV (UTF-8 with a BOM so Excel reads accents; dates as ``YYYY-MM-DD``)."""
    header, rows = export_rows(df)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row]
        )
    return out.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(
    df: pd.DataFrame,
    sheet: str = "Sheet1",
    title: str | None = None,
    widths: Sequence[int] | None = None,
) -> bytes:
    """``df`` as an XLSX workbook: a bold header row (frozen), numbers as numbers, dates as dates.

    Written in openpyxl's write-only mode (rows streamed, tens of thousands of rows in seconds).
    No text reaches the file starting with ``=``: neutralised cells start with ``'``, so openpyxl
    never takes one for a formula.

    Args:
        df: the table.
        sheet: the worksheet's name (cut to Excel's 31 characters).
        title: a line written above the table (neutralised too), or None.
        widths: column widths in characters (default: from the header and the first rows).

    Returns:
        The workbook's bytes.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.views import Pane

    header, rows = export_rows(df)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "Sheet1")
    for j, name in enumerate(header, start=1):
        if widths is not None and j <= len(widths):
            width = widths[j - 1]
        else:
            sample = [len(str(r[j - 1])) for r in rows[:200] if r[j - 1] is not None]
            width = min(60, max([len(name), 8, *sample]) + 2)
        ws.column_dimensions[get_column_letter(j)].width = width
    first = 3 if title else 1
    # A write-only sheet writes its view before the first row and ignores ``freeze_panes``.
    ws.sheet_view.pane = Pane(
        ySplit=first, topLeftCell=f"A{first + 1}", activePane="bottomLeft", state="frozen"
    )
    if title:
        cell = WriteOnlyCell(ws, value=_xml_text(neutralise(title)))
        cell.font = Font(bold=True, size=12)
        ws.append([cell])
        ws.append([])
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = WriteOnlyCell(ws, value=_xml_text(name))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        out = []
        for value in row:
            if isinstance(value, dt.datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                out.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(_xml_text(value))
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xml_text(value: object) -> object:
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("\ufffd", value)
    return value


def safe_filename(*parts: object, ext: str) -> str:
    """A download name from parts (``review-2026-Q4-East-2026-11-22.csv``): letters, digits, dashes."""
    words = [re.sub(r"[^A-Za-z0-9]+", "-", str(p)).strip("-") for p in parts if p not in (None, "")]
    stem = "-".join(w for w in words if w) or "export"
    return f"{stem[:120]}.{ext}"


__all__ = [
    "CSV_MEDIA_TYPE",
    "DANGEROUS_FIRST",
    "XLSX_MEDIA_TYPE",
    "export_rows",
    "neutralise",
    "safe_filename",
    "to_csv_bytes",
    "to_xlsx_bytes",
]
