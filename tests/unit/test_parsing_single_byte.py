"""Windows-1252 and Latin-1 exports are parsed in their own encoding, block by block, without a
UTF-8 copy of the file (``loaders.parsing.encodings.SINGLE_BYTE``): the cells, line numbers and
header offsets are the same as a transcoded file's."""

from __future__ import annotations

from pathlib import Path

from loaders.parsing.tables import read_table

HEADER = "Opportunity Owner,Opportunity Name,Stage,Close Date"


def _match(cells):
    return 1.0 if "Opportunity Owner" in cells else None


def table(data: bytes):
    return read_table(Path("export.csv"), match_header=_match, data=data)


def cells(t):
    return [list(r) for r in zip(*(c.to_pylist() for c in t.columns), strict=True)]


def test_accented_title_above_the_header_keeps_the_body_offset():
    data = (
        f"Rapport « Pipeline » – Société Générale\n\n{HEADER}\n"
        "Zoë Ærø,Café €5,Won,1/2/2026\nAda,Deal,Lost,3/4/2026\n"
    ).encode("cp1252")
    t = table(data)
    assert t.encoding == "cp1252"
    assert t.header_line == 3
    assert cells(t) == [
        ["Zoë Ærø", "Café €5", "Won", "1/2/2026"],
        ["Ada", "Deal", "Lost", "3/4/2026"],
    ]
    assert t.line_numbers.tolist() == [4, 5]


def test_a_byte_windows_1252_leaves_undefined_reads_as_latin_1():
    data = f"{HEADER}\nZoë,Deal \x81x,Won,1/2/2026\n".encode("latin-1")
    t = table(data)
    assert t.encoding == "latin-1"
    assert cells(t) == [["Zoë", "Deal \x81x", "Won", "1/2/2026"]]


def test_quoted_line_breaks_in_a_windows_1252_file_keep_line_numbers():
    rows = "".join(f"Ada,Deal {i},Won,1/2/2026\n" for i in range(3000))
    data = (f'{HEADER}\n"Zoë","Two\nlines – é",Won,1/2/2026\n{rows}Bo,Last,Won,1/2/2026\n').encode(
        "cp1252"
    )
    t = table(data)
    assert t.encoding == "cp1252"
    assert cells(t)[0] == ["Zoë", "Two\nlines – é", "Won", "1/2/2026"]
    assert t.line_numbers[0] == 2 and t.line_numbers[1] == 4
    assert t.line_numbers[-1] == 3004
    assert cells(t)[-1] == ["Bo", "Last", "Won", "1/2/2026"]


def test_ragged_windows_1252_rows_go_to_the_careful_reader():
    data = f"{HEADER}\nZoë,Café,Won,1/2/2026\nÆ,only two\n".encode("cp1252")
    t = table(data)
    assert t.parser == "python"
    assert cells(t)[0] == ["Zoë", "Café", "Won", "1/2/2026"]
    assert 1 in t.problems and t.line_numbers.tolist() == [2, 3]
