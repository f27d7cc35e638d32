"""The import step's preview: the first rows of a file as a mapping reads them (a table).

Pure builders: a canonical frame (``loaders.schema``) and its rejected rows in, Dash components out.
Values are written as the pages write them (amounts with separators, days as ``20 Nov 2026``,
probabilities as percentages, statuses as words); every cell is text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.figures import style as s

# Columns a reader fills even when no column maps to them (a deal without a name is named by its
# account; a closed deal without a close date takes its last stage change; no amount is empty):
# worth seeing before loading.
DERIVED = {
    "pipeline": ("deal_name", "stage", "status", "stage_order", "amount", "close_date"),
    "activity": ("type", "completed"),
}
# Shown first, in this order (what a person checks); ids last (long, and rarely wrong).
FIRST = (
    "deal_name",
    "account",
    "owner",
    "stage",
    "status",
    "amount",
    "close_date",
    "rep",
    "person",
    "activity_date",
    "type",
)
LAST = ("deal_id", "activity_id", "crm_user_id")
# How a canonical column is written in the preview.
MONEY = {"amount", "quota", "commit", "best_case"}
PERCENT = {"probability"}
FLAGS = {"completed", "required"}
STATUS_CLASS = {"won": "preview-won", "lost": "preview-lost", "open": "preview-open"}


def field_label(name: str) -> str:
    """A canonical field's name in words: ``close_date`` -> ``Close date``."""
    words = {
        "deal_id": "Deal id",
        "activity_id": "Activity id",
        "crm_user_id": "CRM user id",
        "duration_seconds": "Duration (s)",
    }
    return words.get(name, name.replace("_", " ").capitalize())


def cell_text(column: str, value: object) -> str:
    """One value of the canonical frame as the pages write it."""
    if s.is_missing(value):
        return s.MISSING
    if column in MONEY:
        return f"{float(value):,.2f}"
    if column in PERCENT:
        return s.pct(value)
    if column in FLAGS:
        return "yes" if bool(value) else "no"
    if isinstance(value, pd.Timestamp):
        if column == "changed_at" and (value.hour or value.minute):
            return f"{s.day(value)} {value:%H:%M}"
        return s.day(value)
    if column == "duration_seconds":
        return f"{float(value):,.0f}"
    return str(value)


def preview_columns(frame: pd.DataFrame, kind: str, mapped: Sequence[str]) -> list[str]:
    """The frame's columns worth showing: those mapped and those the reader fills by itself,
    what a person checks first (``FIRST``), ids last."""
    wanted = set(mapped) | set(DERIVED.get(kind, ()))
    if "duration" in wanted:
        wanted.add("duration_seconds")
    if "rep" in wanted or "email" in wanted or "user" in wanted:
        wanted.add("rep")
    present = [c for c in frame.columns if c in wanted]
    first = [c for c in FIRST if c in present]
    last = [c for c in LAST if c in present]
    return first + [c for c in present if c not in first and c not in last] + last


def preview_table(frame: pd.DataFrame, kind: str, mapped: Sequence[str]) -> html.Div:
    """The first rows as they will be read: one column per field shown, statuses coloured."""
    columns = preview_columns(frame, kind, mapped)
    if frame.empty or not columns:
        return html.Div("No row of the file reads yet with these choices.", className="muted")
    head = html.Thead(html.Tr([html.Th(field_label(c)) for c in columns]))
    rows = []
    for record in frame[columns].to_dict("records"):
        cells = []
        for c in columns:
            text = cell_text(c, record[c])
            cls = STATUS_CLASS.get(text) if c == "status" else None
            if c in MONEY or c in PERCENT or c == "stage_order" or c == "duration_seconds":
                cls = "text-end"
            cells.append(html.Td(text, className=cls))
        rows.append(html.Tr(cells))
    return html.Div(
        dbc.Table(
            [head, html.Tbody(rows)],
            size="sm",
            hover=True,
            className="preview-table mb-0",
        ),
        className="preview-scroll",
    )


def reject_notes(rejects: Sequence, shown: int, limit: int = 3) -> html.Div | None:
    """What the first rows would lose: how many are rejected, and the first reasons."""
    if not rejects:
        return None
    n = len(rejects)
    items = [
        html.Li(
            f"Row {getattr(r, 'row_number', '?')}: {getattr(r, 'reason', '')}",
            className="preview-reject",
        )
        for r in list(rejects)[:limit]
    ]
    more = [html.Li(f"and {n - limit} more", className="muted")] if n > limit else []
    return html.Div(
        [
            html.Div(
                f"{n} of the first {shown} rows would be rejected with these choices:",
                className="preview-reject-head",
            ),
            html.Ul(items + more, className="preview-rejects"),
        ],
        className="preview-reject-box",
    )


__all__ = ["cell_text", "field_label", "preview_columns", "preview_table", "reject_notes"]
