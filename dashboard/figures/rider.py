"""Rider (1:1) figures: attainment against pace over the quarter, what must be true, the flagged
deals, activity by week and type against the team, readiness with its components and trend, and
coaching notes.

Pure builders: frames or dicts in, a figure, component or column definitions out. User text (deal,
account and rep names, notes) reaches Plotly through ``style.esc`` and Dash components as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.figures import style as s
from dashboard.figures.common import say_empty
from dashboard.figures.review import MONEY_FMT, kpi_card

TYPE_COLOUR = {"call": "#0f766e", "email": "#2563eb", "meeting": "#ca8a04", "other": "#94a3b8"}
TYPE_LABEL = {"call": "Calls", "email": "Emails", "meeting": "Meetings", "other": "Other"}
COMPONENT_WORDS = {
    "enablement": "Enablement",
    "skill": "Skill",
    "activity": "Activity",
    "hygiene": "Pipeline hygiene",
}
BAND_ZONES = (
    (70, 100, "rgba(22, 163, 74, 0.07)"),
    (50, 70, "rgba(245, 158, 11, 0.08)"),
    (0, 50, "rgba(220, 38, 38, 0.06)"),
)


# --- figures cards ----------------------------------------------------------------------------


def make_rider_kpis(f: Mapping, *, kind: str) -> dbc.Row:
    """The rider's headline figures as cards that open the deals behind them."""
    att, pace = f.get("attainment"), f.get("pace")
    tone = {s.AHEAD: "tone-ahead", s.NEAR: "tone-near", s.BEHIND: "tone-behind"}.get(
        s.pace_colour(att, pace), ""
    )
    no_quota = bool(f.get("no_quota"))
    cards = [
        kpi_card(
            "Attainment",
            "no quota" if no_quota else s.pct(att),
            f"won {s.money(f.get('won'))} of {s.money(f.get('quota'))} · pace {s.pct(pace)}",
            key="won",
            kind=kind,
            tone=tone,
        ),
        kpi_card(
            "Pace gap",
            s.money(f.get("pace_gap"), signed=True),
            "won against the share of quota due by now",
            key="pace_gap",
            kind=kind,
            tone=tone,
        ),
        kpi_card(
            "Open pipeline",
            s.money(f.get("open_pipeline")),
            f"coverage {s.times(f.get('coverage'))} · {int(f.get('open_deals') or 0)} deals",
            key="open_pipeline",
            kind=kind,
        ),
        kpi_card(
            "Commit forecast",
            s.money(f.get("commit_forecast")),
            f"won + {s.money(f.get('commit'))} commit",
            key="commit_forecast",
            kind=kind,
        ),
        kpi_card(
            "Win rate",
            s.pct(f.get("win_rate")),
            f"avg won deal {s.money(f.get('avg_won_deal'))} · last 365 days",
            key="win_rate",
            kind=kind,
        ),
        kpi_card(
            "Needs attention",
            f"{int(f.get('stale_deals') or 0)} stale",
            f"{int(f.get('past_due_deals') or 0)} past due",
            key="stale_deals",
            kind=kind,
            tone="tone-behind" if (f.get("stale_deals") or 0) else "",
        ),
    ]
    return dbc.Row(cards, className="g-2 kpi-strip")


def must_be_true(f: Mapping, days_left: int, *, finished: bool = False) -> html.Div:
    """What must be true to finish on target, at the rider's own win rate and deal size; once the
    quarter has finished, how it finished."""
    quota, won = f.get("quota"), f.get("won") or 0.0
    if s.is_missing(quota) or not quota:
        return html.Div(
            [
                html.Div("No quota loaded for this quarter.", className="must-headline"),
                html.Div("Load quotas to see what it takes.", className="muted"),
            ]
        )
    to_go = float(quota) - float(won)
    if finished:
        return _finished(f, float(won), float(quota))
    rate, avg = f.get("win_rate"), f.get("avg_won_deal")
    need_pipe, need_deals = f.get("needed_pipeline"), f.get("needed_deals")
    if to_go <= 0:
        head = f"Quota met: {s.money(won)} won of {s.money(quota)}."
    elif s.is_missing(need_pipe):
        head = f"{s.money(to_go)} to win; no deals closed in the last year to judge the odds."
    elif float(need_pipe) > 0:
        head = f"Needs {s.money(need_pipe)} more pipeline to win {s.money(to_go)}."
    else:
        head = (
            f"Pipeline is enough: win {s.money(to_go)} of {s.money(f.get('open_pipeline'))} open."
        )
    items = [
        ("Still to win", s.money(max(to_go, 0.0)), f"of {s.money(quota)} quota"),
        (
            "Pipeline needed",
            s.MISSING if s.is_missing(need_pipe) else s.money(need_pipe),
            f"at a {s.pct(rate)} win rate, on top of {s.money(f.get('open_pipeline'))} open",
        ),
        (
            "Wins needed",
            s.MISSING if s.is_missing(need_deals) else f"≈{int(need_deals)}",
            f"at {s.money(avg)} a won deal",
        ),
        ("Days left", f"{days_left}", "to the finish line"),
    ]
    return _must_card(head, items)


def _finished(f: Mapping, won: float, quota: float) -> html.Div:
    """How the rider's finished quarter ended (nothing more must be true)."""
    over = won >= quota
    head = f"Finished at {s.pct(won / quota)}: {s.money(won)} won of {s.money(quota)}."
    items = [
        ("Won", s.money(won), f"of {s.money(quota)} quota"),
        (
            "Over quota by" if over else "Short of quota by",
            s.money(abs(won - quota)),
            "at the finish line",
        ),
        ("Still open", s.money(f.get("open_pipeline")), "in the quarter, not closed by its end"),
        ("Win rate", s.pct(f.get("win_rate")), "over the year to the finish"),
    ]
    return _must_card(head, items)


def _must_card(head: str, items: list[tuple[str, str, str]]) -> html.Div:
    return html.Div(
        [
            html.Div(head, className="must-headline"),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span([html.B(label), html.Span(f" · {hint}", className="muted")]),
                            html.Span(value, className="must-value"),
                        ]
                    )
                    for label, value, hint in items
                ],
                className="must-list",
            ),
        ]
    )


# --- trend ------------------------------------------------------------------------------------


def make_trend_figure(
    trend: pd.DataFrame,
    *,
    quarter_start: dt.date,
    quarter_end: dt.date,
    as_of: dt.date,
    height: int = 260,
) -> go.Figure:
    """Attainment on each snapshot day against the pace line (0 at the start, 100% at the end)."""
    fig = go.Figure()
    end = pd.Timestamp(quarter_end)
    fig.add_trace(
        go.Scatter(
            x=[pd.Timestamp(quarter_start), end],
            y=[1 / ((quarter_end - quarter_start).days + 1), 1],
            mode="lines",
            name="Pace",
            line=dict(color=s.MUTED, width=1.5, dash="dash"),
            hovertemplate="Pace line<extra></extra>",
        )
    )
    t = trend.dropna(subset=["attainment"]) if len(trend) else trend
    if len(t):
        colours = [s.pace_colour(a, p) for a, p in zip(t["attainment"], t["pace"], strict=True)]
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(t["day"]),
                y=t["attainment"],
                mode="lines+markers",
                name="Attainment",
                line=dict(color=s.INK, width=2.5),
                marker=dict(size=8, color=colours, line=dict(color="#fff", width=1)),
                customdata=list(zip(t["pace"], t["won"], strict=True)),
                hovertemplate="%{x|%d %b}: attainment %{y:.0%} · pace %{customdata[0]:.0%}"
                "<br>won %{customdata[1]:,.0f}<extra></extra>",
            )
        )
    top = max(1.05, float(t["attainment"].max()) * 1.1 if len(t) else 1.05)
    fig.update_layout(**s.base_layout(height))
    fig.update_layout(
        showlegend=True,
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),
        margin=dict(l=s.PERCENT_AXIS_PX, r=10, t=2 * s.LEGEND_ROW_PX, b=30),
        xaxis=dict(
            range=[pd.Timestamp(quarter_start), end + pd.Timedelta(days=1)],
            gridcolor=s.GRID,
            tickformat="%d %b",
            fixedrange=True,
        ),
        yaxis=dict(range=[0, top], tickformat=".0%", gridcolor=s.GRID, fixedrange=True),
    )
    fig.add_vline(x=pd.Timestamp(as_of).timestamp() * 1000, line=dict(color=s.TODAY, width=1))
    if not len(t):
        say_empty(fig, "No quota or no snapshots yet")
    return fig


# --- flagged deals ----------------------------------------------------------------------------


def flag_words(row: Mapping, push_flag: int = 2) -> list[str]:
    """A deal's flags in words, most urgent first."""
    words = []
    if row.get("past_due"):
        words.append("past due")
    if row.get("stale"):
        words.append("stale")
    if int(row.get("push_count") or 0) >= push_flag:
        words.append(f"pushed {int(row['push_count'])}×")
    if row.get("no_next_step"):
        words.append("no next step")
    if row.get("no_expert"):
        words.append("large, no expert support")
    return words


def deal_records(deals: pd.DataFrame, push_flag: int = 2) -> list[dict]:
    """Rows for the flagged-deals grid (JSON-ready; dates as ISO text)."""
    out = []
    for r in deals.to_dict("records"):

        def day(v):
            return None if v is None or pd.isna(v) else pd.Timestamp(v).date().isoformat()

        out.append(
            {
                "source": r.get("source"),
                "deal_id": r.get("deal_id"),
                "deal_name": r.get("deal_name"),
                "account": r.get("account"),
                "stage": r.get("stage"),
                "forecast_category": r.get("forecast_category"),
                "amount": None if pd.isna(r.get("amount")) else float(r["amount"]),
                "close_date": day(r.get("close_date")),
                "last_touch": day(r.get("last_touch")),
                "push_count": int(r.get("push_count") or 0),
                "next_step": r.get("next_step") if isinstance(r.get("next_step"), str) else None,
                "experts": int(r.get("experts") or 0),
                "large": bool(r.get("large")),
                "flags": " · ".join(flag_words(r, push_flag)),
                "flag_count": int(r.get("flag_count") or 0),
            }
        )
    return out


def deal_columns() -> list[dict]:
    """Columns of the flagged-deals grid."""
    return [
        {
            "field": "deal_name",
            "headerName": "Deal",
            "minWidth": 230,
            "flex": 2,
            "tooltipField": "deal_name",
            "pinned": "left",
        },
        {
            "field": "flags",
            "headerName": "Flags",
            "minWidth": 200,
            "flex": 2,
            "tooltipField": "flags",
            "cellClass": "tc-down",
            "sort": None,
        },
        {
            "field": "amount",
            "headerName": "Amount",
            "type": "numericColumn",
            "width": 115,
            "valueFormatter": MONEY_FMT,
            "cellClassRules": {"tc-strong": "params.data && params.data.large"},
        },
        {"field": "close_date", "headerName": "Close", "width": 110},
        {"field": "stage", "headerName": "Stage", "minWidth": 130},
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
        {
            "field": "push_count",
            "headerName": "Pushed",
            "width": 95,
            "type": "numericColumn",
            "valueFormatter": {"function": "params.value ? params.value + '×' : ''"},
        },
        {"field": "last_touch", "headerName": "Last touch", "width": 115},
        {"field": "experts", "headerName": "Experts", "width": 100, "type": "numericColumn"},
        {
            "field": "next_step",
            "headerName": "Next step",
            "minWidth": 160,
            "flex": 1,
            "tooltipField": "next_step",
        },
    ]


def flags_summary(deals: pd.DataFrame, large_from: float | None) -> str:
    """``14 open deals · 5 flagged: 3 stale, 2 past due, 1 pushed 2×+, ...``."""
    n = len(deals)
    if n == 0:
        return "no open deals closing this quarter"
    flagged = int((deals["flag_count"] > 0).sum())
    parts = []
    for col, word in (
        ("stale", "stale"),
        ("past_due", "past due"),
        ("pushed", "pushed 2×+"),
        ("no_next_step", "no next step"),
        ("no_expert", "large without expert"),
    ):
        k = int(deals[col].sum()) if col in deals else 0
        if k:
            parts.append(f"{k} {word}")
    large = (
        f" · large means at least {s.money(large_from)} (2 × the team's average won deal)"
        if large_from
        else ""
    )
    return (
        f"{n} open deal{'s' if n != 1 else ''} closing this quarter · {flagged} flagged"
        + (": " + ", ".join(parts) if parts else "")
        + large
    )


# --- activity ---------------------------------------------------------------------------------


def make_activity_figure(activity: pd.DataFrame, height: int = 260) -> go.Figure:
    """Activities per week, stacked by type, against the team's median week (and half of it,
    the line activity consistency counts from)."""
    fig = go.Figure()
    x = [s.day(d, "%d %b") for d in activity["week_end"]] if len(activity) else []
    for kind in TYPE_COLOUR:
        if kind not in activity:
            continue
        fig.add_trace(
            go.Bar(
                x=x,
                y=activity[kind],
                name=TYPE_LABEL[kind],
                marker=dict(color=TYPE_COLOUR[kind]),
                hovertemplate=f"week to %{{x}}: %{{y}} {TYPE_LABEL[kind].lower()}<extra></extra>",
            )
        )
    if len(activity):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=activity["team_median"],
                mode="lines+markers",
                name="Team median",
                line=dict(color=s.INK, width=2),
                hovertemplate="team median %{y:.1f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=activity["team_median"] / 2,
                mode="lines",
                name="Half the median",
                line=dict(color=s.BEHIND, width=1, dash="dot"),
                hovertemplate="half the median %{y:.1f}<extra></extra>",
            )
        )
    fig.update_layout(**s.base_layout(height))
    fig.update_layout(
        barmode="stack",
        showlegend=True,
        bargap=0.3,
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),
        # two legend rows above; ticks and the axis title below
        margin=dict(l=s.SMALL_AXIS_PX, r=10, t=3 * s.LEGEND_ROW_PX, b=52),
        xaxis=dict(
            fixedrange=True, title=dict(text="week ending", font=dict(size=11, color=s.MUTED))
        ),
        yaxis=dict(gridcolor=s.GRID, fixedrange=True, rangemode="tozero"),
    )
    return fig


# --- readiness --------------------------------------------------------------------------------


def component_inputs(f: Mapping, component: str) -> str:
    """A component's inputs in words (what the number was made of)."""

    def n(key):
        v = f.get(key)
        return 0 if v is None or pd.isna(v) else int(v)

    if component == "enablement":
        return (
            f"{n('enablement_on_time')} of {n('enablement_due')} required programs on time"
            if n("enablement_due")
            else "no required program due yet"
        )
    if component == "skill":
        return (
            f"mean of {n('skill_scores')} recent score{'s' if n('skill_scores') != 1 else ''}"
            if n("skill_scores")
            else "no scores in the last 90 days"
        )
    if component == "activity":
        return (
            f"{n('activity_weeks_ok')} of {n('activity_weeks')} weeks at half the team "
            "median or more"
            if n("activity_weeks")
            else "no weeks to judge"
        )
    if component == "hygiene":
        return (
            f"{n('hygiene_ok')} of {n('hygiene_deals')} open deals clean"
            if n("hygiene_deals")
            else "no open deals"
        )
    return ""


def readiness_panel(f: Mapping, *, kind: str) -> html.Div:
    """The index with its band and the four components (clickable: their inputs)."""
    index = f.get("readiness_index")
    band = s.MISSING if s.is_missing(index) else f.get("readiness_band")
    value = s.MISSING if s.is_missing(index) else f"{float(index):.0f}"
    cards = []
    for comp, word in COMPONENT_WORDS.items():
        v = f.get(comp)
        text = s.MISSING if s.is_missing(v) else f"{float(v):.0f}"
        cls = "band-none" if s.is_missing(v) else f"band-{_band(v)}"
        cards.append(
            html.Button(
                [
                    html.Div(word, className="component-name"),
                    html.Div(text, className=f"component-value {cls}"),
                    html.Div(component_inputs(f, comp), className="component-inputs"),
                ],
                id={"type": kind, "key": comp},
                n_clicks=0,
                className="component-card",
                title="Show the inputs of this component",
            )
        )
    head = html.Div(
        [
            html.Span("Readiness index ", className="muted"),
            html.Span(
                value,
                className=f"component-value band-{band if band in ('green', 'amber', 'red') else 'none'}",
            ),
            html.Span(
                f" · {s.BAND_LABEL.get(band if band in s.BAND_LABEL else None)}", className="muted"
            ),
        ],
        className="readiness-head",
    )
    return html.Div([head, html.Div(cards, className="component-list")])


def _band(value: float) -> str:
    return "green" if value >= 70 else "amber" if value >= 50 else "red"


def make_readiness_trend(trend: pd.DataFrame, height: int = 200) -> go.Figure:
    """The readiness index on each snapshot day, over the band zones."""
    fig = go.Figure()
    t = trend.dropna(subset=["readiness_index"]) if len(trend) else trend
    for lo, hi, colour in BAND_ZONES:
        fig.add_hrect(y0=lo, y1=hi, fillcolor=colour, line_width=0, layer="below")
    if len(t):
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(t["day"]),
                y=t["readiness_index"],
                mode="lines+markers",
                name="Readiness",
                line=dict(color=s.INK, width=2),
                marker=dict(size=7),
                hovertemplate="%{x|%d %b}: %{y:.0f}<extra></extra>",
            )
        )
    else:
        say_empty(fig, "No readiness data yet")
    fig.update_layout(**s.base_layout(height))
    fig.update_layout(
        margin=dict(l=s.SMALL_AXIS_PX, r=30, t=18, b=28),  # the last day's label reaches right
        xaxis=dict(tickformat="%d %b", gridcolor=s.GRID, fixedrange=True),
        yaxis=dict(range=[0, 100], gridcolor=s.GRID, fixedrange=True, tickvals=[0, 50, 70, 100]),
    )
    return fig


# --- notes ------------------------------------------------------------------------------------


def _stamp(value: dt.datetime | None) -> str:
    if value is None:
        return s.MISSING
    return f"{s.day(value)} {value:%H:%M}"


def notes_list(notes: Sequence[Mapping], *, edit_kind: str) -> html.Div:
    """The rep's coaching notes, newest first, each with its author, time and an Edit button."""
    if not notes:
        return html.Div(
            "No notes yet. What did you agree in the last 1:1?", className="muted notes-empty"
        )
    items = []
    for n in notes:
        edited = n.get("updated_at") and n.get("created_at") and n["updated_at"] != n["created_at"]
        meta = [
            html.Span(
                [
                    html.B(str(n.get("author") or "")),
                    f" · {_stamp(n.get('created_at'))}",
                    f" · edited {_stamp(n.get('updated_at'))}" if edited else "",
                ]
            ),
            dbc.Button(
                "Edit",
                id={"type": edit_kind, "index": int(n["id"])},
                size="sm",
                color="link",
                className="p-0 note-edit",
                n_clicks=0,
            ),
        ]
        items.append(
            html.Li(
                [
                    html.Div(str(n.get("body") or ""), className="note-body"),
                    html.Div(meta, className="note-meta"),
                ],
                className="note-item",
            )
        )
    return html.Ul(items, className="notes-list")


__all__ = [
    "component_inputs",
    "deal_columns",
    "deal_records",
    "flag_words",
    "flags_summary",
    "make_activity_figure",
    "make_readiness_trend",
    "make_rider_kpis",
    "make_trend_figure",
    "must_be_true",
    "notes_list",
    "readiness_panel",
]
