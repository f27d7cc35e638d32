"""Review figures: the waterfall, the forecast roll-up, the focus list, and their grids' columns.

Pure builders (frames or dicts in, a figure, component or column definitions out). The waterfall
is drawn from integer cents so its bars add up exactly: ``start`` is drawn as a total, every
movement as a step, and ``end`` as the running total Plotly computes, which equals the store's
end pipeline to the cent (``waterfall_steps`` is what a test checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.figures import style as s
from dashboard.metrics.movement import WATERFALL_KEYS
from dashboard.models.trace import WATERFALL_LABEL

UP = "#0f766e"
DOWN = "#dc2626"
TOTAL = "#334155"
WON = "#ca8a04"
COMMIT = s.KIND_COLOUR["commit"]
BEST = s.KIND_COLOUR["best_case"]
PIPE = "#cbd5e1"
SIGN = {
    "created": 1,
    "pulled_in": 1,
    "increased": 1,
    "decreased": -1,
    "won": -1,
    "lost": -1,
    "pushed_out": -1,
    "removed": -1,
}
SHORT = {
    "start": "Start",
    "created": "New",
    "pulled_in": "Pulled in",
    "increased": "Up",
    "decreased": "Down",
    "won": "Won",
    "lost": "Lost",
    "pushed_out": "Pushed out",
    "removed": "Removed",
    "end": "Now",
}
ROLLUP_CHART_MAX = 40  # riders drawn one bar each; more are drawn per team

# dash-ag-grid value formatters (d3 is available to grid function strings).
MONEY_FMT = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
SIGNED_FMT = {
    "function": "params.value == null ? '' : (params.value > 0 ? '+' : '') + "
    "d3.format(',.0f')(params.value)"
}
PCT_FMT = {"function": "params.value == null ? '—' : d3.format('.0%')(params.value)"}
DAYS_FMT = {
    "function": "params.value == null || params.value === 0 ? '' : "
    "(params.value > 0 ? '+' : '') + params.value + ' d'"
}
TONE_RULES = {"tc-up": "params.value > 0", "tc-down": "params.value < 0"}


# --- waterfall --------------------------------------------------------------------------------


def waterfall_steps(waterfall: Mapping[str, float]) -> list[tuple[str, int]]:
    """The bars as signed integer cents: ``start``, each movement (+ or −), then ``end``.

    ``sum(steps[:-1]) == steps[-1]`` exactly when the waterfall identity holds.
    """

    def c(key: str) -> int:
        return int(round(float(waterfall.get(key) or 0) * 100))

    steps = [("start", c("start"))]
    steps += [(k, SIGN[k] * c(k)) for k in WATERFALL_KEYS[1:-1]]
    steps.append(("end", c("end")))
    return steps


def make_waterfall_figure(
    waterfall: Mapping[str, float],
    counts: Mapping[str, int] | None = None,
    *,
    since: dt.date | None = None,
    as_of: dt.date | None = None,
    height: int = 380,
    large: bool = False,
) -> go.Figure:
    """The pipeline waterfall from ``since`` to ``as_of``.

    Args:
        waterfall: ``WATERFALL_KEYS`` as money (``compute_waterfall``).
        counts: deals per movement category (bar hover and labels).
        since, as_of: the days compared (axis labels).
        height: pixels.
        large: projector type sizes (presentation mode).

    Returns:
        A Plotly waterfall; each bar's ``customdata`` is its key, so a click names the bar.
    """
    counts = counts or {}
    steps = waterfall_steps(waterfall)
    keys = [k for k, _ in steps]
    values = [v / 100 for _, v in steps]
    measure = ["absolute"] + ["relative"] * (len(steps) - 2) + ["total"]
    labels = []
    for k in keys:
        label = SHORT[k]
        if k == "start" and since:
            label = f"{label}<br>{s.day(since, '%d %b')}"
        elif k == "end" and as_of:
            label = f"{label}<br>{s.day(as_of, '%d %b')}"
        labels.append(label)
    text = []
    hover = []
    for k, v in zip(keys, values, strict=True):
        n = counts.get(k)
        signed = k not in ("start", "end")
        text.append(s.money(v, signed=signed) if (v or not signed) else "0")
        deals = "" if n is None else f"<br>{n} deal{'s' if n != 1 else ''}"
        hover.append(
            f"<b>{WATERFALL_LABEL[k]}</b><br>{s.money_full(v)}{deals}<br><i>click for the deals</i>"
        )
    fig = go.Figure(
        go.Waterfall(
            x=labels,
            y=values,
            measure=measure,
            text=text,
            textposition="outside",
            customdata=keys,
            hovertext=hover,
            hoverinfo="text",
            cliponaxis=False,
            increasing=dict(marker=dict(color=UP)),
            decreasing=dict(marker=dict(color=DOWN)),
            totals=dict(marker=dict(color=TOTAL)),
            connector=dict(line=dict(color="#94a3b8", width=1, dash="dot")),
            textfont=dict(size=18 if large else 13),
        )
    )
    top = (
        max(
            [
                abs(float(waterfall.get("start") or 0)),
                abs(float(waterfall.get("end") or 0)),
                *_running(values),
            ]
        )
        or 1.0
    )
    fig.update_layout(**s.base_layout(height))
    fig.update_layout(
        # the two-line bar labels ("Start / 27 Nov") below
        margin=dict(l=s.MONEY_AXIS_PX, r=10, t=30, b=48),
        bargap=0.25,
        yaxis=dict(
            range=[0, top * 1.15],
            gridcolor=s.GRID,
            zeroline=False,
            tickformat="~s",
            fixedrange=True,
            tickfont=dict(size=16 if large else 12),
        ),
        xaxis=dict(fixedrange=True, tickfont=dict(size=17 if large else 13)),
    )
    return fig


def _running(values: list[float]) -> list[float]:
    return list(np.cumsum(values[:-1])) if len(values) > 1 else []


def waterfall_note(waterfall: Mapping[str, float], counts: Mapping[str, int]) -> str:
    """The line under the waterfall: the identity in words, and what is shown apart."""
    net = float(waterfall.get("end") or 0) - float(waterfall.get("start") or 0)
    parts = [
        f"Net change {s.money(net, signed=True)} "
        f"({s.money_full(waterfall.get('start'))} → {s.money_full(waterfall.get('end'))})"
    ]
    n_new = counts.get("won_new", 0)
    if n_new:
        parts.append(
            f"{n_new} deal{'s' if n_new != 1 else ''} created and won in between "
            f"({s.money(waterfall.get('won_new'))}) are not in either pipeline and are "
            "listed apart"
        )
    return " · ".join(parts)


# --- KPI cards --------------------------------------------------------------------------------


def kpi_card(
    label: str,
    value: str,
    sub: str | list,
    *,
    key: str,
    kind: str,
    tone: str = "",
    clickable: bool = True,
) -> dbc.Col:
    """A figure card; clicking it (when ``clickable``) lists the rows behind it.

    ``kind`` is the id type (e.g. ``review-kpi``); the card's id is ``{"type": kind, "key": key}``.
    """
    inner = [
        html.Div(label, className="kpi-label"),
        html.Div(value, className=f"kpi-value {tone}".strip()),
        html.Div(sub, className="kpi-sub"),
    ]
    if clickable:
        body = html.Button(
            inner,
            id={"type": kind, "key": key},
            n_clicks=0,
            className="kpi kpi-button",
            title="Show the rows behind this figure",
        )
    else:
        body = html.Div(inner, className="kpi")
    return dbc.Col(body, xs=6, md=4, xl=True, className="kpi-col")


def make_review_kpis(
    figures: Mapping, waterfall: Mapping, counts: Mapping[str, int], *, kind: str
) -> dbc.Row:
    """The review's headline figures: pipeline then and now, won, forecast, the gap to quota."""
    quota = figures.get("quota")
    won = figures.get("won") or 0
    net = float(waterfall.get("end") or 0) - float(waterfall.get("start") or 0)
    moved = sum(v for k, v in counts.items() if k != "unchanged")
    gap = (float(quota) - float(won)) if quota else None
    att = figures.get("attainment")
    pace = figures.get("pace")
    tone = {s.AHEAD: "tone-ahead", s.NEAR: "tone-near", s.BEHIND: "tone-behind"}.get(
        s.pace_colour(att, pace), ""
    )
    cards = [
        kpi_card(
            "Pipeline now",
            s.money(waterfall.get("end")),
            [
                html.Span(
                    s.money(net, signed=True),
                    className="tone-ahead" if net > 0 else "tone-behind" if net < 0 else "",
                ),
                f" since · {moved} deals moved",
            ],
            key="end",
            kind=kind,
        ),
        kpi_card(
            "Won this quarter",
            s.money(won),
            f"{s.pct(att)} of {s.money(quota)} quota · pace {s.pct(pace)}",
            key="won",
            kind=kind,
            tone=tone,
        ),
        kpi_card(
            "Commit forecast",
            s.money(figures.get("commit_forecast")),
            f"won + {s.money(figures.get('commit'))} commit",
            key="commit_forecast",
            kind=kind,
        ),
        kpi_card(
            "Best-case forecast",
            s.money(figures.get("best_case_forecast")),
            f"+ {s.money(figures.get('best_case'))} best case",
            key="best_case_forecast",
            kind=kind,
        ),
        kpi_card(
            "Gap to quota",
            s.MISSING if gap is None else ("Quota met" if gap <= 0 else s.money(gap)),
            f"coverage {s.times(figures.get('coverage'))} of what is left",
            key="open_pipeline",
            kind=kind,
            tone="tone-ahead" if gap is not None and gap <= 0 else "",
        ),
    ]
    return dbc.Row(cards, className="g-2 kpi-strip")


# --- roll-up ----------------------------------------------------------------------------------


def make_rollup_figure(rollup: pd.DataFrame, height_per_row: int = 20) -> go.Figure:
    """Forecast roll-up as stacked bars per rider (won, commit, best case) with the quota marked.

    More than ``ROLLUP_CHART_MAX`` riders are summed per team (sums of money, no ratios).
    """
    df = rollup.copy()
    df["label"] = df["rep"].map(lambda v: s.esc(v if len(str(v)) <= 24 else str(v)[:23] + "…"))
    if len(df) > ROLLUP_CHART_MAX:
        df["team"] = df["team"].astype("object").fillna("No team")
        df = df.groupby("team", as_index=False)[
            ["quota", "won", "commit", "best_case", "commit_forecast"]
        ].sum()
        df["label"] = df["team"].map(s.esc)
        df["rep"] = df["team"]
    df = df.iloc[::-1].reset_index(drop=True)  # first row at the top
    y = df["label"].tolist()
    fig = go.Figure()
    for col, name, colour in (
        ("won", "Won", WON),
        ("commit", "Commit", COMMIT),
        ("best_case", "Best case", BEST),
    ):
        vals = df[col].astype("float64").fillna(0.0)
        fig.add_trace(
            go.Bar(
                y=y,
                x=vals,
                name=name,
                orientation="h",
                marker=dict(color=colour),
                customdata=df["rep"].map(s.esc),
                hovertemplate=f"<b>%{{customdata}}</b><br>{name} %{{x:,.0f}}<extra></extra>",
            )
        )
    quota = df["quota"].astype("float64")
    fig.add_trace(
        go.Scatter(
            y=y,
            x=quota.where(quota > 0),
            mode="markers",
            name="Quota",
            marker=dict(symbol="line-ns", size=18, line=dict(width=3, color=s.FINISH)),
            customdata=df["rep"].map(s.esc),
            hovertemplate="<b>%{customdata}</b><br>Quota %{x:,.0f}<extra></extra>",
        )
    )
    height = max(220, 70 + height_per_row * len(df))
    fig.update_layout(**s.base_layout(height))
    fig.update_layout(
        barmode="stack",
        showlegend=True,
        bargap=0.3,
        legend=dict(
            orientation="h", y=1.0, x=0, yanchor="bottom", font=dict(size=11), traceorder="normal"
        ),
        margin=dict(l=s.label_px(list(y), 11), r=20, t=2 * s.LEGEND_ROW_PX, b=30),
        xaxis=dict(gridcolor=s.GRID, tickformat="~s", fixedrange=True),
        yaxis=dict(
            fixedrange=True,
            automargin=True,
            tickmode="array",
            tickvals=y,
            ticktext=y,
            tickfont=dict(size=11),
        ),
    )
    return fig


def rollup_columns() -> list[dict]:
    """Columns of the roll-up grid."""
    money = {
        "type": "numericColumn",
        "valueFormatter": MONEY_FMT,
        "filter": "agNumberColumnFilter",
        "flex": 1,
        "minWidth": 96,
    }
    return [
        {
            "field": "rep",
            "headerName": "Rep",
            "pinned": "left",
            "minWidth": 150,
            "flex": 2,
            "filter": "agTextColumnFilter",
            "cellClass": "tc-link",
            "tooltipField": "team",
        },
        {
            "field": "team",
            "headerName": "Team",
            "minWidth": 120,
            "flex": 1.4,
            "filter": "agTextColumnFilter",
            "hide": True,
        },
        {"field": "quota", "headerName": "Quota", **money},
        {"field": "won", "headerName": "Won", **money},
        {"field": "commit", "headerName": "Commit", **money},
        {"field": "best_case", "headerName": "Best case", **money},
        {"field": "open_pipeline", "headerName": "Pipeline", **money},
        {"field": "commit_forecast", "headerName": "Won + commit", **money},
        {
            "field": "forecast_vs_quota",
            "headerName": "÷ quota",
            "type": "numericColumn",
            "flex": 1,
            "minWidth": 86,
            "valueFormatter": PCT_FMT,
            "cellClassRules": {
                "tc-up": "params.value >= 1",
                "tc-down": "params.value != null && params.value < 0.8",
            },
        },
    ]


# --- moved deals ------------------------------------------------------------------------------

GROUPS = {"rep": ("rep", "Rep"), "category": ("movement", "Movement")}


PRESENT_HIDDEN = (
    "amount_since",
    "close_date_since",
    "close_moved_days",
    "category",
    "owner",
    "account",
    "team",
)


def moved_columns(group: str | None = None, present: bool = False) -> list[dict]:
    """Columns of the moved-deals grid; ``group`` (``rep`` or ``category``) leads and spans rows.

    ``present`` (the projector) keeps the columns a room reads: deal, rep, movement, change, the
    amount and close date now, stage, pushes.
    """
    money = {
        "type": "numericColumn",
        "valueFormatter": MONEY_FMT,
        "filter": "agNumberColumnFilter",
        "width": 120,
    }
    cols = [
        {
            "field": "deal_name",
            "headerName": "Deal",
            "minWidth": 240,
            "flex": 2,
            "filter": "agTextColumnFilter",
            "tooltipField": "deal_name",
        },
        {
            "field": "account",
            "headerName": "Account",
            "minWidth": 150,
            "flex": 1,
            "filter": "agTextColumnFilter",
            "hide": True,
        },
        {"field": "rep", "headerName": "Rep", "minWidth": 140, "filter": "agTextColumnFilter"},
        {
            "field": "team",
            "headerName": "Team",
            "minWidth": 130,
            "filter": "agTextColumnFilter",
            "hide": True,
        },
        {
            "field": "movement",
            "headerName": "Movement",
            "minWidth": 120,
            "filter": "agTextColumnFilter",
            "cellClass": "tc-move",
        },
        {
            "field": "change",
            "headerName": "Change",
            "sort": "desc" if not group else None,
            **{**money, "valueFormatter": SIGNED_FMT},
            "cellClassRules": TONE_RULES,
            "comparator": {"function": "Math.abs(valueA) - Math.abs(valueB)"},
        },
        {"field": "amount_since", "headerName": "Amount then", **money},
        {"field": "amount_now", "headerName": "Amount now", **money},
        {
            "field": "close_date_since",
            "headerName": "Close then",
            "width": 115,
            "filter": "agTextColumnFilter",
        },
        {
            "field": "close_date_now",
            "headerName": "Close now",
            "width": 115,
            "filter": "agTextColumnFilter",
        },
        {
            "field": "close_moved_days",
            "headerName": "Moved",
            "width": 90,
            "type": "numericColumn",
            "valueFormatter": DAYS_FMT,
            "filter": "agNumberColumnFilter",
            "cellClassRules": {"tc-down": "params.value > 0", "tc-up": "params.value < 0"},
        },
        {
            "field": "stage",
            "headerName": "Stage",
            "minWidth": 170,
            "flex": 1,
            "filter": "agTextColumnFilter",
            "tooltipField": "stage",
        },
        {
            "field": "category",
            "headerName": "Category",
            "minWidth": 150,
            "filter": "agTextColumnFilter",
        },
        {
            "field": "owner",
            "headerName": "Owner",
            "minWidth": 140,
            "filter": "agTextColumnFilter",
            "tooltipField": "owner",
        },
        {
            "field": "push_count",
            "headerName": "Pushed",
            "width": 95,
            "type": "numericColumn",
            "filter": "agNumberColumnFilter",
            "valueFormatter": {"function": "params.value == null ? '' : params.value + '×'"},
            "cellClassRules": {"tc-down": "params.value >= 2"},
        },
    ]
    if group in GROUPS:
        field, _ = GROUPS[group]
        lead = next(c for c in cols if c["field"] == field)
        cols.remove(lead)
        lead = {
            **lead,
            "pinned": "left",
            "spanRows": True,
            "sort": "asc",
            "sortIndex": 0,
            "cellClass": "tc-group-cell",
        }
        cols.insert(0, lead)
        change = next(c for c in cols if c["field"] == "change")
        change.update(sort="desc", sortIndex=1)
    if present:
        cols = [{**c, "hide": True} if c["field"] in PRESENT_HIDDEN else c for c in cols]
    return cols


def group_summary(moved: pd.DataFrame, group: str | None) -> list[dict]:
    """Per group (rep or movement): deals and the net change, largest absolute first."""
    if group not in GROUPS or moved.empty:
        return []
    field, _ = GROUPS[group]
    key = moved[field].astype("object").fillna("—")
    agg = moved.assign(_k=key).groupby("_k").agg(deals=("change", "size"), net=("change", "sum"))
    agg = agg.assign(_abs=agg["net"].abs()).sort_values(["_abs"], ascending=False)
    return [{"name": str(k), "deals": int(r.deals), "net": float(r.net)} for k, r in agg.iterrows()]


# --- focus list -------------------------------------------------------------------------------


def make_focus_figure(focus: pd.DataFrame, gap: float | None, height: int = 300) -> go.Figure:
    """The focus deals as bars (amount, coloured by forecast category) with the running total
    climbing towards the gap to quota."""
    fig = go.Figure()
    if focus.empty:
        fig.update_layout(**s.base_layout(height))
        fig.add_annotation(
            text="No open deals closing this quarter",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        fig.update_layout(xaxis=dict(visible=False), yaxis=dict(visible=False))
        return fig
    x = focus["rank"].tolist()
    colours = [
        s.KIND_COLOUR.get(c, s.KIND_COLOUR["pipeline"])
        if c in s.KIND_COLOUR
        else s.KIND_COLOUR["omitted"]
        for c in focus["forecast_category"]
    ]
    names = focus["deal_name"].map(s.esc)
    reps = focus["rep"].map(s.esc)
    custom = np.stack([names, reps, focus["probability"].fillna(0).to_numpy()], axis=-1)
    fig.add_trace(
        go.Bar(
            x=x,
            y=focus["amount"],
            marker=dict(color=colours),
            name="Amount",
            customdata=custom,
            hovertemplate="<b>#%{x} %{customdata[0]}</b><br>%{customdata[1]}<br>"
            "Amount %{y:,.0f} · probability %{customdata[2]:.0%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=focus["running_amount"],
            mode="lines+markers",
            name="Running total",
            line=dict(color=s.INK, width=2),
            marker=dict(size=5),
            hovertemplate="Top %{x} deals: %{y:,.0f}<extra></extra>",
        )
    )
    if gap:
        fig.add_hline(
            y=gap,
            line=dict(color=s.BEHIND, width=2, dash="dash"),
            annotation_text=f"gap to quota {s.money(gap)}",
            annotation_position="top left",
            annotation_font=dict(color=s.BEHIND, size=12),
        )
    top = max(float(focus["running_amount"].max()), float(gap or 0)) * 1.12
    fig.update_layout(**s.base_layout(height))
    fig.update_layout(
        margin=dict(l=s.SMALL_AXIS_PX, r=10, t=20, b=52),  # ticks and the axis title below
        bargap=0.2,
        xaxis=dict(
            title=dict(text="deals by amount × probability", font=dict(size=12, color=s.MUTED)),
            dtick=1 if len(x) <= 30 else None,
            range=[0.4, len(x) + 0.6],
            fixedrange=True,
        ),
        yaxis=dict(range=[0, top], gridcolor=s.GRID, tickformat="~s", fixedrange=True),
    )
    return fig


def focus_columns() -> list[dict]:
    """Columns of the focus grid."""
    money = {"type": "numericColumn", "valueFormatter": MONEY_FMT, "width": 120}
    return [
        {"field": "rank", "headerName": "#", "width": 60, "pinned": "left"},
        {
            "field": "deal_name",
            "headerName": "Deal",
            "minWidth": 200,
            "flex": 2,
            "tooltipField": "deal_name",
        },
        {"field": "rep", "headerName": "Rep", "minWidth": 120, "flex": 1},
        {"field": "amount", "headerName": "Amount", **money},
        {
            "field": "probability",
            "headerName": "Prob.",
            "width": 80,
            "type": "numericColumn",
            "valueFormatter": PCT_FMT,
        },
        {
            "field": "running_amount",
            "headerName": "Running total",
            **money,
            "cellClassRules": {"tc-up": "params.data && params.data.closes_gap"},
        },
        {
            "field": "close_date",
            "headerName": "Close",
            "width": 110,
            "cellClassRules": {"tc-down": "params.data && params.data.past_due"},
        },
        {
            "field": "forecast_category",
            "headerName": "Category",
            "width": 110,
            "valueFormatter": {
                "function": "({commit: 'Commit', best_case: 'Best case', pipeline: "
                "'Pipeline', omitted: 'Omitted'})[params.value] || "
                "params.value || ''"
            },
        },
        {"field": "weighted", "headerName": "× prob.", **money},
        {"field": "stage", "headerName": "Stage", "minWidth": 120},
    ]


def focus_note(info: Mapping) -> str:
    """What the focus list says in one line."""
    gap = info.get("gap")
    if gap is None:
        return "No quota loaded for this quarter: deals ranked by amount × probability."
    if gap <= 0:
        return "Quota is met: these are the largest expected wins still open."
    reach = info.get("deals_to_gap")
    total = info.get("deals", 0)
    if reach:
        return (
            f"Gap to quota {s.money(gap)}: winning the top {reach} of {total} open deals closes it."
        )
    return (
        f"Gap to quota {s.money(gap)}: even all {total} open deals "
        f"({s.money(info.get('open_pipeline'))}) would not close it."
    )


__all__ = [
    "GROUPS",
    "focus_columns",
    "focus_note",
    "group_summary",
    "kpi_card",
    "make_focus_figure",
    "make_review_kpis",
    "make_rollup_figure",
    "make_waterfall_figure",
    "moved_columns",
    "rollup_columns",
    "waterfall_note",
    "waterfall_steps",
]
