"""The rows behind a figure, drawn: a short summary and a grid of the rows (``dashboard.models.trace``).

Every value goes to the grid as data and is rendered as text by AG Grid, never as HTML.
"""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import numpy as np
import pandas as pd
from dash import html

from dashboard.figures import style as s
from dashboard.models.trace import MOVE_LABEL, Trace

MONEY = {
    "type": "numericColumn",
    "width": 115,
    "valueFormatter": {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"},
}
YES_NO = {"width": 95, "valueFormatter": {"function": "params.value ? 'yes' : ''"}}
COLUMNS = {
    "movement": [
        {
            "field": "deal_name",
            "headerName": "Deal",
            "minWidth": 220,
            "flex": 2,
            "tooltipField": "deal_name",
        },
        {"field": "rep", "headerName": "Rep", "minWidth": 120},
        {"field": "movement", "headerName": "Movement", "width": 120},
        {"field": "value", "headerName": "In this bar", **MONEY},
        {"field": "amount_since", "headerName": "Then", **MONEY},
        {"field": "amount_now", "headerName": "Now", **MONEY},
        {"field": "close_date_now", "headerName": "Close", "width": 110},
    ],
    "deals": [
        {
            "field": "deal_name",
            "headerName": "Deal",
            "minWidth": 220,
            "flex": 2,
            "tooltipField": "deal_name",
        },
        {"field": "rep", "headerName": "Rep", "minWidth": 120},
        {"field": "stage", "headerName": "Stage", "minWidth": 110},
        {"field": "status", "headerName": "Status", "width": 85},
        {"field": "amount", "headerName": "Amount", **MONEY},
        {"field": "close_date", "headerName": "Close", "width": 110},
        {
            "field": "flags",
            "headerName": "Flags",
            "minWidth": 150,
            "flex": 1,
            "tooltipField": "flags",
        },
    ],
    "events": [
        {
            "field": "program",
            "headerName": "Program or score",
            "minWidth": 200,
            "flex": 2,
            "tooltipField": "program",
        },
        {"field": "kind", "headerName": "Kind", "width": 110},
        {"field": "due_date", "headerName": "Due", "width": 110},
        {"field": "completed_date", "headerName": "Done", "width": 110},
        {"field": "score", "headerName": "Score", "width": 85, "type": "numericColumn"},
        {"field": "counted", "headerName": "Counts", **YES_NO},
        {"field": "on_time", "headerName": "On time", **YES_NO},
    ],
    "weeks": [
        {"field": "week", "headerName": "Week", "minWidth": 150, "flex": 1},
        {"field": "activities", "headerName": "Activities", "width": 105, "type": "numericColumn"},
        {
            "field": "team_median",
            "headerName": "Team median",
            "width": 120,
            "type": "numericColumn",
        },
        {
            "field": "ok",
            "headerName": "≥ half median",
            "width": 125,
            "valueFormatter": {"function": "params.value ? 'yes' : 'no'"},
            "cellClassRules": {"tc-up": "params.value", "tc-down": "!params.value"},
        },
        {"field": "counted", "headerName": "Counts", **YES_NO},
    ],
    # a deal plan's steps (dashboard.models.plans.plan_trace)
    "steps": [
        {"field": "step", "headerName": "Step", "minWidth": 170, "flex": 2, "tooltipField": "step"},
        {"field": "owner", "headerName": "Owner", "width": 115, "tooltipField": "owner"},
        {"field": "due", "headerName": "Due", "width": 108},
        {"field": "status", "headerName": "Status", "width": 82},
        {
            "field": "risk",
            "headerName": "At risk",
            "minWidth": 130,
            "flex": 1,
            "tooltipField": "risk",
            "cellClassRules": {"tc-down": "params.data && params.data.at_risk"},
        },
        {"field": "evidence", "headerName": "Evidence", "width": 92, "type": "numericColumn"},
    ],
}


def _value(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float | np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def deal_flag_words(row: dict) -> str:
    """A deal's flags in words: ``past due · stale · no next step``."""
    words = [
        w
        for key, w in (
            ("past_due", "past due"),
            ("stale", "stale"),
            ("no_next_step", "no next step"),
        )
        if row.get(key) is True
    ]
    return " · ".join(words)


ROWS_SHOWN = 500  # rows sent to the panel; the summary line counts and adds them all


def trace_records(trace: Trace, limit: int = ROWS_SHOWN) -> list[dict]:
    """The trace's first ``limit`` rows as grid records (only the columns its kind shows)."""
    fields = [c["field"] for c in COLUMNS[trace.kind]]
    df = trace.rows.head(limit)
    out = []
    for row in df.to_dict("records"):
        row = {k: _value(v) for k, v in row.items()}
        if trace.kind == "movement":
            row["movement"] = MOVE_LABEL.get(row.get("category"), row.get("category"))
        if trace.kind == "deals":
            row["flags"] = deal_flag_words(row)
        if trace.kind == "weeks":
            row["week"] = (
                f"{s.day(row.get('week_start'), '%d %b')} – {s.day(row.get('week_end'), '%d %b')}"
            )
        if trace.kind == "steps":  # "Legal / contract · MSA redlines" (the kind alone if no more)
            kind, title = row.get("kind_label") or "", row.get("title") or ""
            row["step"] = title if title == kind or not kind else f"{kind} · {title}"
            row["risk"] = row.get("risk") or ""
        rec = {f: row.get(f) for f in fields}
        if trace.kind == "steps":
            rec["at_risk"] = bool(row.get("at_risk"))
        rec["_key"] = f"{row.get('source', '')}|{row.get('deal_id', '')}|{len(out)}"
        out.append(rec)
    return out


def trace_summary(trace: Trace) -> str:
    """``14 deals · adding up to 1,052,500`` (or the note, for figures that are not sums)."""
    what = {
        "movement": "deal",
        "deals": "deal",
        "events": "record",
        "weeks": "week",
        "steps": "step",
    }[trace.kind]
    head = f"{trace.count:,} {what}{'s' if trace.count != 1 else ''}"
    if trace.total is not None:
        head += f" · adding up to {s.money_full(trace.total)}"
    if trace.count > ROWS_SHOWN:
        head += f" · the first {ROWS_SHOWN:,} listed"
    return head


def make_trace_body(trace: Trace, grid_id: str) -> html.Div:
    """What the trace panel shows: the summary, the note, and the rows."""
    height = min(640, 90 + 38 * max(min(trace.count, ROWS_SHOWN), 1))
    return html.Div(
        [
            html.Div(trace_summary(trace), className="trace-summary"),
            html.Div(trace.note, className="trace-note muted") if trace.note else None,
            dag.AgGrid(
                id=grid_id,
                rowData=trace_records(trace),
                columnDefs=COLUMNS[trace.kind],
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                dashGridOptions={
                    "suppressCellFocus": True,
                    "tooltipShowDelay": 300,
                    "localeText": {"noRowsToShow": "No rows"},
                },
                getRowId="params.data._key",
                className="trace-grid",
                style={"height": f"{height}px"},
            ),
        ]
    )


__all__ = ["COLUMNS", "deal_flag_words", "make_trace_body", "trace_records", "trace_summary"]
