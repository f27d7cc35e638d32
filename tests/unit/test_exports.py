"""CSV and XLSX exports: formula neutralisation, types kept, files read back (no store, no browser)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.exports import neutralise, safe_filename, to_csv_bytes, to_xlsx_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2", "'-2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("Acme = big", "Acme = big"),
        ("Ann Lee", "Ann Lee"),
        ("", ""),
        (-250.5, -250.5),
        (-3, -3),
        (None, None),
        (dt.date(2026, 11, 22), dt.date(2026, 11, 22)),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


TABLE = pd.DataFrame(
    {
        "Deal": ["=cmd|' /C calc'!A0", "Acme <b>big</b>", "-Minus deal", "@risk", "plain"],
        "Rep": ["+Ann", "Bo", None, "Cy", "Dee"],
        "Change": [-125_000.0, 40_000.5, np.nan, 0.0, 12.0],
        "Times pushed": pd.array([2, 0, None, 1, 3], dtype="Int64"),
        "Close date": [
            dt.date(2026, 12, 1),
            None,
            dt.date(2027, 1, 5),
            dt.date(2026, 11, 30),
            dt.date(2026, 12, 24),
        ],
        "=Header": ["x", "y", "z", "w", "v"],
    }
)


def test_csv_reads_back_neutralised():
    raw = to_csv_bytes(TABLE)
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Deal", "Rep", "Change", "Times pushed", "Close date", "'=Header"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "'+Ann", "-125000.0", "2", "2026-12-01", "x"]
    assert rows[2][0] == "Acme <b>big</b>"  # user text stays as typed
    assert rows[3][:4] == ["'-Minus deal", "", "", ""]  # missing values are empty cells
    assert rows[4][0] == "'@risk"
    # Every text cell that a spreadsheet could run is inert; numbers stay numbers.
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "@", "\t", "\r"))
        assert not (row[0].startswith("-") and not row[0].startswith("'"))


def test_xlsx_reads_back_with_types():
    book = load_workbook(
        io.BytesIO(to_xlsx_bytes(TABLE, sheet="Moved deals", title="=Moved deals"))
    )
    ws = book["Moved deals"]
    assert ws["A1"].value == "'=Moved deals"
    header = [c.value for c in ws[3]]
    assert header == ["Deal", "Rep", "Change", "Times pushed", "Close date", "'=Header"]
    first = [c for c in ws[4]]
    assert first[0].value == "'=cmd|' /C calc'!A0" and first[0].data_type == "s"
    assert first[1].value == "'+Ann"
    assert first[2].value == -125_000.0 and first[2].data_type == "n"
    assert first[3].value == 2 and first[3].data_type == "n"
    assert first[4].value.date() == dt.date(2026, 12, 1)
    assert first[4].number_format == "yyyy-mm-dd"
    assert ws["A5"].value == "Acme <b>big</b>"
    assert ws["A6"].value == "'-Minus deal" and ws["B6"].value is None and ws["C6"].value is None
    assert ws["A7"].value == "'@risk"
    # No cell anywhere is a formula.
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert ws.freeze_panes == "A4"


def test_xlsx_drops_characters_xml_cannot_hold():
    df = pd.DataFrame({"Deal": ["bell\x07 deal", "tab\tinside"]})
    ws = load_workbook(io.BytesIO(to_xlsx_bytes(df))).active
    assert ws["A2"].value == "bell\ufffd deal"
    assert ws["A3"].value == "tab\tinside"


def test_empty_table_still_has_its_header():
    df = TABLE.iloc[:0]
    rows = list(csv.reader(io.StringIO(to_csv_bytes(df).decode("utf-8-sig"))))
    assert rows == [["Deal", "Rep", "Change", "Times pushed", "Close date", "'=Header"]]
    ws = load_workbook(io.BytesIO(to_xlsx_bytes(df))).active
    assert [c.value for c in ws[1]][0] == "Deal" and ws.max_row == 1


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (
            ("review", "2026-Q4", "Public Sector", "2026-11-15"),
            "review-2026-Q4-Public-Sector-2026-11-15.csv",
        ),
        (("review", "../../etc", None, ""), "review-etc.csv"),
        ((), "export.csv"),
    ],
)
def test_safe_filename(parts, name):
    assert safe_filename(*parts, ext="csv") == name
