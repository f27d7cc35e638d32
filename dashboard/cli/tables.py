"""Terminal tables that fit the terminal: no cell cut to an ellipsis, no line wider than the width.

A table with more columns than the terminal holds is split: the first part carries the columns
that fit, taken in order of importance (and shown in their own order), and each further part
repeats the key columns (the rep, the file) with the next columns that fit. Every cell is printed
somewhere, whole. ``--wide`` callers print one table at its natural width instead
(``natural_width``), which may be wider than the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

UNBOUNDED = 1_000_000  # a width no table reaches: measures a table's natural width


@dataclass(frozen=True)
class Column:
    """One column: its header, how it is justified, and how important it is (lower first)."""

    header: str
    justify: str = "right"
    priority: int = 100
    no_wrap: bool = False  # never wrapped while another column can give way


def natural_width(console: Console, renderable) -> int:
    """The width ``renderable`` takes when nothing limits it (its widest line)."""
    return Measurement.get(console, console.options.update_width(UNBOUNDED), renderable).maximum


def _cell(value: Text | str) -> Text:
    return value if isinstance(value, Text) else Text(value)


def widest_line(value: Text | str) -> int:
    return max(cell_len(line) for line in _cell(value).plain.split("\n"))


def overhead(console: Console):
    """``n -> `` the width a table adds to ``n`` columns' own widths (padding, separators)."""
    one = natural_width(console, make_table([Column("x")], [["x"]])) - 1
    two = natural_width(console, make_table([Column("x"), Column("x")], [["x", "x"]])) - 2
    return lambda n: one + (two - one) * (n - 1)


def make_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Text | str]],
    title: str | None = None,
) -> Table:
    """A table of ``columns`` and ``rows`` (cells as ``Text``, or plain strings taken as text,
    never as markup); cells fold rather than end in an ellipsis if ever squeezed."""
    table = Table(
        title=title,
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for col in columns:
        table.add_column(col.header, justify=col.justify, overflow="fold", no_wrap=col.no_wrap)
    for row in rows:
        table.add_row(*(_cell(cell) for cell in row))
    return table


def split_columns(
    console: Console,
    width: int,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Text | str]],
    keys: int = 1,
) -> list[list[int]]:
    """Which columns go into each part so that every part fits ``width``.

    Args:
        console: measures the cells.
        width: the terminal's width.
        columns: every column; the first ``keys`` of them identify a row (repeated in each part).
        rows: the cells, one sequence per row, in the order of ``columns``.
        keys: how many leading columns are repeated in every part.

    Returns:
        Column positions per part, each in the columns' own order. Every column appears in one
        part (the key columns in all). Columns are added by ``priority``; one that does not fit
        next to the key columns even alone still gets a part of its own (it folds).
    """
    key_cols = list(range(min(keys, len(columns))))
    rest = sorted(range(len(key_cols), len(columns)), key=lambda i: (columns[i].priority, i))
    # Each column's natural width once (header or widest cell), and what the table adds around
    # n columns, measured on a table of that shape: a part's width is their sum, with no
    # table built per trial (2,000 riders x 15 columns would take seconds).
    widths = [
        max([cell_len(col.header), *(widest_line(row[i]) for row in rows)])
        for i, col in enumerate(columns)
    ]
    extra = overhead(console)

    def fits(chosen: list[int]) -> bool:
        return sum(widths[i] for i in chosen) + extra(len(chosen)) <= width

    parts: list[list[int]] = []
    while rest:
        chosen = list(key_cols)
        left = []
        for i in rest:
            if fits(sorted([*chosen, i])):
                chosen = sorted([*chosen, i])
            else:
                left.append(i)
        if len(chosen) == len(key_cols):  # not even one more fits: give it a part and fold
            chosen = sorted([*chosen, left.pop(0)])
        parts.append(chosen)
        rest = left
    return parts or [key_cols]


def print_fitted(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Text | str]],
    title: str | None = None,
    *,
    keys: int = 1,
    wide: bool = False,
) -> None:
    """Print ``rows`` as one table if it fits the console, else as parts that each fit.

    With ``wide`` the whole table is printed at its natural width, whatever the terminal's.
    """
    if wide:
        table = make_table(columns, rows, title)
        print_at_natural_width(console, table)
        return
    parts = split_columns(console, console.width, columns, rows, keys)
    for n, part in enumerate(parts):
        name = title if n == 0 or title is None else f"{title} (continued)"
        if n:
            console.print()
        console.print(
            make_table([columns[i] for i in part], [[row[i] for i in part] for row in rows], name)
        )


def print_at_natural_width(console: Console, renderable) -> None:
    """Print ``renderable`` as wide as it wants to be (``--wide``), then restore the width."""
    before = console.width
    console.width = max(before, natural_width(console, renderable))
    try:
        console.print(renderable)
    finally:
        console.width = before
