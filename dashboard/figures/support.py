"""The support car's figures (``/support``) and focus share as other views show it.

Pure builders: frames or dicts in, a Plotly figure or Dash components out. Grid cells are data,
rendered as text by AG Grid, never as HTML; figure text goes through ``style.esc``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.figures import style as s
from dashboard.figures.review import kpi_card
from dashboard.models.trace import Trace

MONEY_FMT = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
PCT_FMT = {"function": "params.value == null ? '—' : d3.format('.0%')(params.value)"}
WEEK_COLOURS = ("#cbd5e1", "#94a3b8", "#64748b", "#1e3a5f")  # oldest to latest
CHART_EXPERTS = 12  # experts drawn in the chart (the grid pages through them all)
WHY_WORDS = {
    "no quota": "no quota",
    "quota met": "quota met",
    "no open deals this quarter": "no open deals",
    "no activities in the last 14 days": "no activities",
}


# --- focus share, as any view shows it --------------------------------------------------------


def focus_words(share: object, median: object, busy: object = False) -> str:
    """``Focus 38% · team 21%`` (``busy elsewhere`` appended when flagged), or a dash."""
    if s.is_missing(share):
        return "Focus —"
    words = f"Focus {s.pct(share)} · team {s.pct(median)}"
    return words + (" · busy elsewhere" if bool(busy) else "")


def focus_badge(row: Mapping | None) -> html.Span | None:
    """The rider's focus share as a badge for the Rider's head (None when not a rider)."""
    if row is None:
        return None
    share = row.get("focus_share")
    if s.is_missing(share):
        why = WHY_WORDS.get(row.get("why_none"), row.get("why_none") or "")
        text, tone = f"Focus share — ({why})", ""
    else:
        text = focus_words(share, row.get("team_median"), row.get("busy_elsewhere"))
        tone = "tone-behind" if row.get("busy_elsewhere") else ""
    return html.Span(
        text,
        className=f"rider-badge {tone}".strip(),
        title="Share of the last 14 days' activities on the deals that close the gap to quota "
        "(the focus list), against the team's median; under half of it is 'busy elsewhere'",
    )


# --- head figures -----------------------------------------------------------------------------


def make_support_head(totals: Mapping, *, kind: str) -> dbc.Row:
    """The head figures as cards; the two amounts open the deals behind them."""
    busy = int(totals.get("busy_elsewhere") or 0)
    return dbc.Row(
        [
            kpi_card(
                "Experts at work",
                f"{int(totals.get('experts') or 0)} of {int(totals.get('experts_listed') or 0)}",
                f"{int(totals.get('activities') or 0):,} activities on these deals in 4 weeks",
                key="experts",
                kind=kind,
                clickable=False,
            ),
            kpi_card(
                "Pipeline with experts",
                s.money(totals.get("touched_amount")),
                f"{int(totals.get('touched_deals') or 0)} open in-quarter deals worked on",
                key="touched_amount",
                kind=kind,
            ),
            kpi_card(
                "Large deals alone",
                f"{int(totals.get('unsupported_deals') or 0)}",
                f"{s.money(totals.get('unsupported_amount'))} with no expert in 4 weeks",
                key="unsupported_amount",
                kind=kind,
                tone="tone-behind" if totals.get("unsupported_deals") else "",
            ),
            kpi_card(
                "Busy elsewhere",
                f"{busy}",
                f"of {int(totals.get('riders') or 0)} riders: focus share under half the "
                "team median",
                key="busy",
                kind=kind,
                tone="tone-behind" if busy else "",
                clickable=False,
            ),
        ],
        className="g-2 kpi-strip",
    )


# --- the experts chart ------------------------------------------------------------------------


def make_expert_figure(
    experts: pd.DataFrame, start: dt.date, limit: int = CHART_EXPERTS
) -> go.Figure:
    """Each expert's activities on the view's deals per week (stacked, oldest week first), the
    busiest ``limit``; a bar carries ``["expert", name]`` (click: the deals behind it)."""
    top = experts[experts["activities"] > 0].head(limit)
    n = len(top)
    height = max(150, 70 + 30 * n)
    layout = s.base_layout(height)
    names = top["expert"].astype(str).tolist()
    left = s.label_px(names, 12) + 10 if n else 40
    layout.update(
        barmode="stack",
        margin=dict(l=left, r=24, t=36, b=36),
        showlegend=True,
        legend=dict(
            orientation="h", x=0, y=1.0, yanchor="bottom", font=dict(size=11), traceorder="normal"
        ),
        xaxis=dict(title=dict(text="activities", font=dict(size=11)), gridcolor=s.GRID),
        yaxis=dict(autorange="reversed", tickfont=dict(size=12)),
        hovermode="closest",
        clickmode="event",
    )
    if not n:
        layout["annotations"] = [
            dict(
                text="No expert activity on these deals in the last 4 weeks",
                showarrow=False,
                xref="paper",
                yref="paper",
                x=0.5,
                y=0.5,
                font=dict(color=s.MUTED),
            )
        ]
        return go.Figure(layout=layout)
    labels = [s.esc(x) for x in names]
    roles = [s.esc(x) for x in top["role"].astype(str)]
    traces = []
    for k in range(4):
        first = start + dt.timedelta(days=7 * k)
        week = f"{s.day(first, '%d %b')}–{s.day(first + dt.timedelta(days=6), '%d %b')}"
        custom = np.column_stack(
            [np.full(n, "expert", dtype=object), np.array(names, dtype=object)]
        )
        traces.append(
            go.Bar(
                x=top[f"w{k + 1}"].to_numpy(),
                y=labels,
                orientation="h",
                name=week,
                marker=dict(color=WEEK_COLOURS[k]),
                customdata=custom,
                text=roles,
                hovertemplate="<b>%{y}</b> · %{text}<br>" + week + ": %{x} activities"
                "<br><i>click for their deals</i><extra></extra>",
                textposition="none",
            )
        )
    return go.Figure(data=traces, layout=layout)


# --- grids ------------------------------------------------------------------------------------


def expert_columns() -> list[dict]:
    return [
        {
            "field": "expert",
            "headerName": "Expert",
            "minWidth": 160,
            "flex": 2,
            "cellClass": "tc-link",
            "tooltipField": "expert",
        },
        {"field": "role", "headerName": "Role", "width": 100},
        {"field": "team", "headerName": "Team", "minWidth": 140, "flex": 1},
        {"field": "deals", "headerName": "Deals", "width": 85, "type": "numericColumn"},
        {"field": "activities", "headerName": "Activities", "width": 105, "type": "numericColumn"},
        {
            "field": "per_week",
            "headerName": "Per week",
            "width": 100,
            "type": "numericColumn",
            "valueFormatter": {"function": "d3.format('.2~f')(params.value)"},
        },
        {"field": "weeks", "headerName": "Weeks 1–4", "width": 120, "tooltipField": "weeks"},
        {
            "field": "open_amount",
            "headerName": "In-quarter open amount",
            "width": 170,
            "type": "numericColumn",
            "valueFormatter": MONEY_FMT,
            "cellClass": "tc-link",
        },
        {"field": "last_day", "headerName": "Last activity", "width": 120},
    ]


def work_columns() -> list[dict]:
    return [
        {
            "field": "deal_name",
            "headerName": "Deal",
            "minWidth": 220,
            "flex": 2,
            "tooltipField": "deal_name",
            "cellClass": "tc-link",
        },
        {"field": "expert", "headerName": "Expert", "minWidth": 140, "flex": 1},
        {"field": "rep", "headerName": "Rep", "minWidth": 130, "flex": 1, "cellClass": "tc-link"},
        {"field": "activities", "headerName": "Activities", "width": 105, "type": "numericColumn"},
        {"field": "last_day", "headerName": "Last", "width": 110},
        {
            "field": "amount",
            "headerName": "Amount",
            "width": 115,
            "type": "numericColumn",
            "valueFormatter": MONEY_FMT,
        },
        {"field": "close_date", "headerName": "Close", "width": 110},
        {"field": "stage", "headerName": "Stage", "minWidth": 120, "flex": 1},
    ]


def unsupported_columns() -> list[dict]:
    return [
        {
            "field": "deal_name",
            "headerName": "Deal",
            "minWidth": 220,
            "flex": 2,
            "tooltipField": "deal_name",
            "cellClass": "tc-link",
        },
        {"field": "rep", "headerName": "Rep", "minWidth": 130, "flex": 1, "cellClass": "tc-link"},
        {"field": "team", "headerName": "Team", "minWidth": 130, "flex": 1},
        {
            "field": "amount",
            "headerName": "Amount",
            "width": 115,
            "type": "numericColumn",
            "valueFormatter": MONEY_FMT,
            "cellClass": "tc-strong",
        },
        {
            "field": "threshold",
            "headerName": "Large from",
            "width": 115,
            "type": "numericColumn",
            "valueFormatter": MONEY_FMT,
        },
        {"field": "close_date", "headerName": "Close", "width": 110},
        {"field": "stage", "headerName": "Stage", "minWidth": 120, "flex": 1},
    ]


def focus_columns() -> list[dict]:
    return [
        {"field": "rep", "headerName": "Rider", "minWidth": 150, "flex": 2, "cellClass": "tc-link"},
        {"field": "team", "headerName": "Team", "minWidth": 130, "flex": 1},
        {
            "field": "focus_share",
            "headerName": "Focus share",
            "width": 120,
            "type": "numericColumn",
            "valueFormatter": PCT_FMT,
            "cellClassRules": {"tc-down": "params.data && params.data.busy_elsewhere"},
            "cellClass": "tc-link",
        },
        {
            "field": "team_median",
            "headerName": "Team median",
            "width": 125,
            "type": "numericColumn",
            "valueFormatter": PCT_FMT,
        },
        {
            "field": "flag",
            "headerName": "",
            "minWidth": 130,
            "flex": 1,
            "cellClass": "tc-down",
        },
        {
            "field": "on_focus",
            "headerName": "On focus deals",
            "width": 130,
            "type": "numericColumn",
        },
        {
            "field": "activities",
            "headerName": "Activities (14 d)",
            "width": 140,
            "type": "numericColumn",
        },
        {
            "field": "focus_deals",
            "headerName": "Focus deals",
            "width": 115,
            "type": "numericColumn",
        },
        {
            "field": "gap",
            "headerName": "Gap to quota",
            "width": 125,
            "type": "numericColumn",
            "valueFormatter": MONEY_FMT,
        },
    ]


def _cell(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float | np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def records(df: pd.DataFrame, fields: list[str]) -> list[dict]:
    """Grid rows: only ``fields`` (plus the deal key when present), as plain JSON values."""
    keep = [c for c in dict.fromkeys([*fields, "source", "deal_id"]) if c in df.columns]
    return [{k: _cell(v) for k, v in row.items()} for row in df[keep].to_dict("records")]


def expert_records(df: pd.DataFrame) -> list[dict]:
    out = records(df, [c["field"] for c in expert_columns() if c["field"] != "weeks"])
    weeks = df[["w1", "w2", "w3", "w4"]].to_numpy().tolist() if len(df) else []
    for row, w in zip(out, weeks, strict=True):
        row["weeks"] = " · ".join(str(int(x)) for x in w)
    return out


def focus_records(df: pd.DataFrame) -> list[dict]:
    out = records(
        df,
        [c["field"] for c in focus_columns() if c["field"] != "flag"]
        + ["busy_elsewhere", "why_none"],
    )
    for row in out:
        if row.get("busy_elsewhere"):
            row["flag"] = "busy elsewhere"
        elif row.get("focus_share") is None:
            row["flag"] = WHY_WORDS.get(row.get("why_none"), row.get("why_none"))
        else:
            row["flag"] = ""
    return out


def grid(
    grid_id: str, columns: list[dict], empty: str, height: int = 330, now: bool = False
) -> dag.AgGrid:
    """A grid filled by a callback, one page at a time (cells are text, never HTML); ``now``:
    built at once, wherever it sits (the page's main grid; assets/lazy.js)."""
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={
            "suppressCellFocus": True,
            "tooltipShowDelay": 400,
            "localeText": {"noRowsToShow": empty},
        },
        className="support-grid build-now" if now else "support-grid",
        style={"height": f"{height}px"},
    )


def page_info(total: int, page: int, size: int, what: str) -> str:
    """``126 experts · 26–50 shown`` (no range when one page holds them all)."""
    words = f"{total:,} {what}"
    if total > size:
        first = (page - 1) * size + 1
        words += f" · {first:,}–{min(total, page * size):,} shown"
    return words


# --- rows behind ------------------------------------------------------------------------------

ACTIVITY_COLUMNS = [
    {"field": "deal", "headerName": "Deal", "minWidth": 220, "flex": 2, "tooltipField": "deal"},
    {"field": "n", "headerName": "Activities", "width": 110, "type": "numericColumn"},
    {
        "field": "on_focus",
        "headerName": "On the focus list",
        "width": 140,
        "valueFormatter": {
            "function": "params.value ? 'yes (#' + params.data.focus_rank + ')' : ''"
        },
        "cellClassRules": {"tc-up": "params.value"},
    },
]


def focus_trace_body(trace: Trace, deal_names: Mapping, grid_id: str) -> html.Div:
    """A rider's activities of the 14 days by deal, the focus list's ones marked."""
    rows = []
    for r in trace.rows.to_dict("records"):
        key = (r.get("source"), r.get("deal_id"))
        deal = deal_names.get(key) or (r.get("deal_id") or "(no deal)")
        rank = r.get("focus_rank")
        rows.append(
            {
                "deal": deal,
                "n": int(r["n"]),
                "on_focus": bool(r.get("on_focus")),
                "focus_rank": None if rank is None or pd.isna(rank) else int(rank),
            }
        )
    height = min(560, 90 + 38 * max(len(rows), 1))
    return html.Div(
        [
            html.Div(trace.note, className="trace-summary"),
            html.Div(
                "Focus list: the open in-quarter deals that, by amount × probability, close the "
                "gap to quota.",
                className="trace-note muted",
            ),
            dag.AgGrid(
                id=grid_id,
                rowData=rows,
                columnDefs=ACTIVITY_COLUMNS,
                defaultColDef={"sortable": True, "resizable": True},
                dashGridOptions={
                    "suppressCellFocus": True,
                    "localeText": {"noRowsToShow": "No activities"},
                },
                className="trace-grid",
                style={"height": f"{height}px"},
            ),
        ]
    )


__all__ = [
    "expert_columns",
    "expert_records",
    "focus_badge",
    "focus_columns",
    "focus_records",
    "focus_trace_body",
    "focus_words",
    "grid",
    "make_expert_figure",
    "make_support_head",
    "page_info",
    "records",
    "unsupported_columns",
    "work_columns",
]
