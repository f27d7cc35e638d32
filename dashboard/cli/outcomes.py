"""``teamcar load``'s summary table: one row per file, within the terminal's width.

Three layouts, the first that fits: every column on one line; what each file was read as (kind,
format, as-of, rows read) on a second line under its name, beside the status and the counts; on a
very narrow terminal, the counts on that second line too. ``--wide`` prints every column on one
line whatever the width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from dashboard.cli.tables import (
    Column,
    make_table,
    overhead,
    print_fitted,
    split_columns,
    widest_line,
)

COLUMNS = (
    Column("file", "left", 0),
    Column("status", "left", 1, no_wrap=True),
    Column("kind", "left", 6),
    Column("format", "left", 8),
    Column("as of", "left", 7),
    Column("read", "right", 5, no_wrap=True),
    Column("loaded", "right", 2, no_wrap=True),
    Column("rejected", "right", 3, no_wrap=True),
    Column("warnings", "right", 4, no_wrap=True),
)
COUNTS = slice(6, 9)  # loaded, rejected, warnings
MIN_NAME = 24  # the file column's least width beside the counts before they move under it
STATUS_COLOUR = {"loaded": "green", "unchanged": "dim", "failed": "red"}
TITLE = "Load summary"


def outcome_rows(outcomes: Sequence) -> list[list[Text]]:
    """The cells of each outcome, in ``COLUMNS`` order (names as text, never markup)."""
    return [
        [
            Text(o.path.name),
            Text(o.status, style=STATUS_COLOUR.get(o.status, "")),
            Text(o.kind or ""),
            Text(o.format or ""),
            Text(f"{o.as_of:%Y-%m-%d}" if o.as_of else ""),
            Text(f"{o.rows_read:,}"),
            Text(f"{o.rows_loaded:,}"),
            Text(f"{o.rows_rejected:,}"),
            Text(str(len(o.warnings))),
        ]
        for o in outcomes
    ]


def _read_as(o) -> list[str]:
    seen = [o.kind, o.format, f"{o.as_of:%Y-%m-%d}" if o.as_of else None]
    return [*(v for v in seen if v), f"{o.rows_read:,} read"]


def print_load_table(console: Console, outcomes: Sequence, wide: bool = False) -> None:
    """Print the load summary in the first layout that fits the console (see the module)."""
    rows = outcome_rows(outcomes)
    if wide or len(split_columns(console, console.width, COLUMNS, rows)) == 1:
        print_fitted(console, COLUMNS, rows, TITLE, wide=wide)
        return
    beside = [COLUMNS[1], *COLUMNS[COUNTS]]
    beside_at = (1, *range(COUNTS.start, COUNTS.stop))
    taken = sum(
        max(widest_line(c.header), *(widest_line(r[i]) for r in rows))
        for i, c in zip(beside_at, beside, strict=True)
    )
    if console.width - taken - overhead(console)(len(beside) + 1) >= MIN_NAME:
        stacked = [
            [Text.assemble(row[0], "\n", (" · ".join(_read_as(o)), "dim")), row[1], *row[COUNTS]]
            for o, row in zip(outcomes, rows, strict=True)
        ]
        console.print(make_table([COLUMNS[0], *beside], stacked, TITLE))
        return
    stacked = []
    for o, row in zip(outcomes, rows, strict=True):
        counts = (
            f"{o.rows_loaded:,} loaded, {o.rows_rejected:,} rejected, "
            f"{len(o.warnings)} warning{'s' if len(o.warnings) != 1 else ''}"
        )
        line = " · ".join([*_read_as(o), counts])
        stacked.append([Text.assemble(row[0], "\n", (line, "dim")), row[1]])
    console.print(make_table([COLUMNS[0], COLUMNS[1]], stacked, TITLE))
