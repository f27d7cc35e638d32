"""The season's figures: pure builders, frames or dicts in, a Plotly figure or Dash components out.

- ``gc_grid`` / ``gc_rows``: the general classification as one grid, each rider's stage results
  as a heat strip.
- ``team_year_figure``: each stage's won against its quota, and the year so far against the pace.
- ``generated_figure``: pipeline created per week against what next quarter needs per week.
- ``readiness_figure``: the team's readiness index at each quarter end and on as_of.
- ``flow_figure``: where the deals that entered each stage went, stalls marked.
- ``ramp_figure``: attainment by quarter of tenure against the median of the riders at that tenure.
- ``sitting_words`` / ``sitting_badge``: the two numbers of sitting in, for the Course's hover and
  the Rider's head.
"""

from __future__ import annotations

import dash_ag_grid as dag
import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.figures import style as s
from dashboard.figures.common import say_empty
from dashboard.figures.trace_view import make_trace_body

OUTCOME_LABEL = {
    "advanced": "Moved on",
    "moved_back": "Moved back",
    "won": "Won",
    "lost": "Lost",
    "still_there": "Still there",
}
OUTCOME_COLOUR = {
    "advanced": "#0f766e",
    "moved_back": "#a855f7",
    "won": "#16a34a",
    "lost": "#dc2626",
    "still_there": "#9ca3af",
}


# A stage result's heat: (lowest attainment, background) from the top; under the last, red.
HEAT_STEPS = ((1.0, "#15803d"), (0.9, "#4ade80"), (0.5, "#fbbf24"))
HEAT_LOW = "#f87171"
HEAT_NONE = "#f3f4f6"


def heat_colour(attainment: object) -> str:
    """A stage result's cell colour: red under 50%, amber to 90%, green from 90%, grey without."""
    if s.is_missing(attainment):
        return HEAT_NONE
    a = float(attainment)
    for low, colour in HEAT_STEPS:
        if a >= low:
            return colour
    return HEAT_LOW


def _ink(attainment: object) -> str:
    return "#ffffff" if not s.is_missing(attainment) and float(attainment) >= 1.0 else s.INK


def _heat_style(field: str) -> dict:
    """The grid's cellStyle for one stage column: ``heat_colour`` and ``_ink`` as conditions on
    the row's number ``field`` (first match wins, as in ``heat_colour``)."""
    value = f"params.data.{field}"
    conditions = [
        {"condition": f"{value} == null", "style": {"backgroundColor": HEAT_NONE}},
    ]
    for low, colour in HEAT_STEPS:
        ink = _ink(low)
        conditions.append(
            {"condition": f"{value} >= {low}", "style": {"backgroundColor": colour, "color": ink}}
        )
    return {
        "styleConditions": conditions,
        "defaultStyle": {"backgroundColor": HEAT_LOW, "color": s.INK},
    }


_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+-.!|~&")


def _md_text(text: str) -> str:
    """Plain text for the grid's markdown renderer: every markdown character escaped."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


def _change_text(value: object) -> str:
    if s.is_missing(value) or int(value) == 0:
        return "–"
    v = int(value)
    return ("▲" if v > 0 else "▼") + f" {abs(v)}"


def _flags(r: pd.Series) -> list[str]:
    words = []
    if r.get("sitting_in"):
        words.append("sitting in")
    if r.get("ramping"):
        words.append("ramping")
    if r.get("no_quota"):
        words.append("no quota")
    return words


def gc_rows(rows: pd.DataFrame, quarters, rider_href) -> list[dict]:
    """The general classification's rows (one page) as the grid's rowData: display text, and the
    numbers the heat strip and the classes are drawn from.

    Args:
        rows: ``SeasonModel.gc`` rows (index rep).
        quarters: the year's four quarters.
        rider_href: rep -> the rider page's address.
    """
    out = []
    for rep, r in rows.iterrows():
        rep = str(rep)
        change = r.get("rank_change")
        row = {
            "rep": rep,
            "rank": s.MISSING if s.is_missing(r["rank"]) else str(int(r["rank"])),
            "change": _change_text(change),
            "change_v": 0 if s.is_missing(change) else int(change),
            "rider": f"[{_md_text(rep)}]({rider_href(rep)})",
            "team": str(r["team"]) if not s.is_missing(r["team"]) else s.MISSING,
            "ytd_won": s.money(r["ytd_won"]),
            "attainment": s.pct(r["attainment"]),
            "pace": s.pct(r["pace"]),
            "coverage": s.times(r.get("coverage")),
            "form": s.MISSING
            if s.is_missing(r.get("readiness_index"))
            else f"{float(r['readiness_index']):.0f}",
            "band": r.get("readiness_band") if isinstance(r.get("readiness_band"), str) else None,
            "sitting_in": bool(r.get("sitting_in")),
            "ramping": bool(r.get("ramping")),
            "flags": " · ".join(_flags(r)),
            "flags_tip": (
                f"Created {s.money(r.get('created'))} in the last 4 weeks (team median "
                f"{s.money(r.get('team_created_median'))}); {int(r.get('advances') or 0)} "
                f"stage advances (team median {float(r.get('team_advances_median') or 0):g})"
                " — click for the rows behind"
                if r.get("sitting_in")
                else None
            ),
        }
        for q in quarters:
            att = r.get(f"att_{q.number}")
            row[f"att_{q.number}"] = s.MISSING if s.is_missing(att) else s.pct(att)
            row[f"att_{q.number}_v"] = None if s.is_missing(att) else float(att)
            row[f"att_{q.number}_tip"] = (
                f"{rep} · {q.name}: won {s.money(_won(r, q))} — click for the deals"
            )
        out.append(row)
    return out


def gc_columns(quarters) -> list[dict]:
    """The general classification grid's columns: the heat strip as four coloured columns."""
    num = {"type": "rightAligned", "cellClass": "num"}
    band_style = {
        "styleConditions": [
            {"condition": f"params.data.band == '{band}'", "style": {"color": colour}}
            for band, colour in s.BAND_COLOUR.items()
        ],
        "defaultStyle": {"color": s.MUTED},
    }
    clickable = {"cellClass": "num gc-click", "type": "rightAligned"}
    return [
        {"field": "rank", "headerName": "#", "width": 62, **num},
        {
            "field": "change",
            "headerName": "±",
            "headerTooltip": "Places gained since the comparison day",
            "width": 66,
            "cellClassRules": {
                "tc-up": "params.data.change_v > 0",
                "tc-down": "params.data.change_v < 0",
            },
        },
        {
            "field": "rider",
            "headerName": "Rider",
            "cellRenderer": "markdown",
            "tooltipField": "rep",
            "flex": 1,
            "minWidth": 150,
        },
        {"field": "team", "headerName": "Team", "tooltipField": "team", "minWidth": 170, "flex": 1},
        {
            "field": "ytd_won",
            "headerName": "Won YTD",
            "headerTooltip": "Click a figure for the won deals behind it",
            "width": 110,
            **clickable,
        },
        {"field": "attainment", "headerName": "Attainment", "width": 124, **num},
        {
            "field": "pace",
            "headerName": "Pace",
            "width": 80,
            "type": "rightAligned",
            "cellClass": "num muted",
        },
        *[
            {
                "field": f"att_{q.number}",
                "headerName": f"Q{q.number}",
                "headerTooltip": f"{q.name}: attainment; click a cell for its won deals",
                "headerClass": "stage-head",
                "tooltipField": f"att_{q.number}_tip",
                "width": 72,
                "cellClass": "heat-cell",
                "cellStyle": _heat_style(f"att_{q.number}_v"),
            }
            for q in quarters
        ],
        {"field": "coverage", "headerName": "Next Q cover", "width": 134, **num},
        {"field": "form", "headerName": "Form", "width": 76, **num, "cellStyle": band_style},
        {
            "field": "flags",
            "headerName": "Flags",
            "tooltipField": "flags_tip",
            "minWidth": 110,
            "flex": 1,
            "cellClassRules": {
                "gc-flag gc-flag-sitting gc-click": "params.data.sitting_in",
                "gc-flag gc-flag-ramping": "!params.data.sitting_in && params.data.ramping",
            },
        },
    ]


def gc_grid(grid_id: str, quarters=None) -> dag.AgGrid:
    """The general classification as one grid (one page of rows; ``gc_rows`` fills it).

    One grid, not an HTML table: at 2,000 reps the table's ~50 rows x 15 cells were each a Dash
    component (the heat strip buttons with pattern-matching ids), ~3.5 s of the page's main
    thread (bench/RESULTS-season.md); the grid draws its cells itself.
    """
    quarters = quarters or [_Quarter(n) for n in range(1, 5)]
    return dag.AgGrid(
        id=grid_id,
        columnDefs=gc_columns(quarters),
        rowData=[],
        defaultColDef={"sortable": False, "resizable": True, "suppressMovable": True},
        getRowId="params.data.rep",
        dashGridOptions={
            "suppressCellFocus": True,
            "tooltipShowDelay": 400,
            "domLayout": "autoHeight",
            "suppressColumnVirtualisation": True,
            "rowHeight": 34,
            "headerHeight": 36,
        },
        className="season-gc-grid",
        style={"width": "100%"},
    )


class _Quarter:
    """A stage's number and name for the grid's headers before the year is known."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.name = f"Q{number}"


def sitting_words(
    created: object, created_median: object, advances: object, advances_median: object
) -> str:
    """The two numbers of sitting in against the team's medians, in words (plain text)."""
    n = 0 if s.is_missing(advances) else int(advances)
    m = s.MISSING if s.is_missing(advances_median) else f"{float(advances_median):g}"
    return (
        f"created {s.money_full(created)} in the last 4 weeks (team median "
        f"{s.money_full(created_median)}) and {n} stage advance{'' if n == 1 else 's'} "
        f"(team median {m})"
    )


def sitting_badge(row: dict | None) -> html.Span | None:
    """A 'Sitting in' badge for the Rider's head (None unless the rider is sitting in), its
    title the two numbers that raised it."""
    if not row or not bool(row.get("sitting_in")):
        return None
    words = sitting_words(
        row.get("created"),
        row.get("team_created_median"),
        row.get("advances"),
        row.get("team_advances_median"),
    )
    return html.Span(
        "Sitting in",
        className="rider-badge tone-behind",
        title=f"Sitting in: {words}: both under half the team's median (DESIGN §11)",
    )


def _won(row: pd.Series, q) -> object:
    return row.get(f"won_{q.number}")


_OVERVIEW_MONEY = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
_OVERVIEW_PCT = {"function": "params.value == null ? '—' : d3.format('.0%')(params.value)"}


def team_overview_table(overview: pd.DataFrame, grid_id: str) -> dag.AgGrid:
    """Per team: riders, won and quota to date, attainment, riders sitting in and ramping.

    One grid, not an HTML table: at 2,000 reps (100 teams) the table's 800 cells were each a
    component for Dash's renderer to draw, about 4 s of the page's main thread (bench/
    RESULTS-season.md); the grid draws the rows on screen and sorts them all.
    """
    rows = [
        {
            "team": str(r["team"]),
            "riders": int(r["riders"]),
            "ytd_won": float(r["ytd_won"]),
            "ytd_quota": float(r["ytd_quota"]),
            "attainment": None if pd.isna(r["attainment"]) else float(r["attainment"]),
            "sitting_in": int(r["sitting_in"]),
            "ramping": int(r["ramping"]),
        }
        for _, r in overview.iterrows()
    ]
    num = {"type": "numericColumn", "width": 120}
    columns = [
        {"field": "team", "headerName": "Team", "flex": 2, "minWidth": 180, "tooltipField": "team"},
        {"field": "riders", "headerName": "Riders", **num},
        {"field": "ytd_won", "headerName": "Won YTD", "valueFormatter": _OVERVIEW_MONEY, **num},
        {"field": "ytd_quota", "headerName": "Quota YTD", "valueFormatter": _OVERVIEW_MONEY, **num},
        {"field": "attainment", "headerName": "Attainment", "valueFormatter": _OVERVIEW_PCT, **num},
        {"field": "sitting_in", "headerName": "Sitting in", **num},
        {"field": "ramping", "headerName": "Ramping", **num},
    ]
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=rows,
        defaultColDef={"sortable": True, "resizable": True},
        getRowId="params.data.team",
        dashGridOptions={"suppressCellFocus": True, "tooltipShowDelay": 400},
        className="season-teams-grid",
        style={"height": f"{min(12, max(len(rows), 1)) * 42 + 50}px"},
    )


def team_year_figure(year: dict, height: int = 260) -> go.Figure:
    """Each stage's won (bars) against its quota (markers), and the year so far in the title."""
    fig = go.Figure()
    names = list(year["by_quarter"])
    won = [year["by_quarter"][n]["won"] for n in names]
    quota = [year["by_quarter"][n]["quota"] for n in names]
    state = [year["by_quarter"][n]["state"] for n in names]
    colour = [
        s.AHEAD if st == "ended" else (s.NEAR if st == "current" else s.NO_VALUE) for st in state
    ]
    fig.add_bar(
        x=names,
        y=won,
        marker_color=colour,
        name="Won",
        customdata=[f"stage:{n}" for n in names],
        hovertemplate="%{x}: won %{y:,.0f}<extra></extra>",
    )
    fig.add_scatter(
        x=names,
        y=quota,
        mode="markers",
        marker=dict(
            symbol="line-ew-open", size=38, color=s.FINISH, line=dict(width=3, color=s.FINISH)
        ),
        name="Quota",
        hovertemplate="%{x}: quota %{y:,.0f}<extra></extra>",
    )
    fig.update_layout(
        **s.base_layout(height),
        margin=dict(l=s.MONEY_AXIS_PX + 8, r=10, t=8, b=30),
        bargap=0.45,
    )
    fig.update_yaxes(tickformat="~s", gridcolor=s.GRID, zeroline=False)
    return fig


def generated_figure(weeks: pd.DataFrame, need_per_week: object, height: int = 260) -> go.Figure:
    """Pipeline created per week, against what next quarter needs per week from now."""
    fig = go.Figure()
    if weeks.empty:
        say_empty(fig, "No deals created this year")
    else:
        fig.add_bar(
            x=weeks["week_start"],
            y=weeks["amount"],
            marker_color="#2563eb",
            customdata=[f"week:{int(w)}" for w in weeks["week"]],
            hovertemplate="Week of %{x|%d %b}: %{y:,.0f} created<extra></extra>",
        )
        if not s.is_missing(need_per_week):
            fig.add_scatter(
                x=[weeks["week_start"].iloc[0], weeks["week_start"].iloc[-1]],
                y=[need_per_week, need_per_week],
                mode="lines",
                line=dict(color=s.BEHIND, dash="dash", width=2),
                hovertemplate="Next quarter needs %{y:,.0f} a week<extra></extra>",
            )
    fig.update_layout(**s.base_layout(height), margin=dict(l=s.MONEY_AXIS_PX + 8, r=10, t=8, b=30))
    fig.update_yaxes(tickformat="~s", gridcolor=s.GRID, zeroline=False)
    fig.update_xaxes(tickformat="%d %b")
    return fig


def readiness_figure(team: pd.DataFrame, height: int = 220) -> go.Figure:
    """The team's readiness index at each quarter end and on as_of (bands shaded)."""
    fig = go.Figure()
    for lo, hi, band in ((0, 50, "red"), (50, 70, "amber"), (70, 100, "green")):
        fig.add_hrect(y0=lo, y1=hi, fillcolor=s.BAND_COLOUR[band], opacity=0.08, line_width=0)
    if team.empty or team["readiness_index"].isna().all():
        say_empty(fig, "No readiness data")
    else:
        fig.add_scatter(
            x=team["label"],
            y=team["readiness_index"],
            mode="lines+markers+text",
            text=[s.MISSING if pd.isna(v) else f"{v:.0f}" for v in team["readiness_index"]],
            textposition="top center",
            line=dict(color=s.INK, width=2),
            marker=dict(size=9),
            hovertemplate="%{x}: %{y:.1f}<extra></extra>",
        )
    fig.update_layout(**s.base_layout(height), margin=dict(l=s.SMALL_AXIS_PX, r=10, t=8, b=30))
    fig.update_yaxes(range=[0, 105], gridcolor=s.GRID)
    return fig


def flow_figure(flow: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Per stage, the entries stacked by where they went; stalls marked beside the stage."""
    height = height or max(200, 60 + 34 * len(flow))
    fig = go.Figure()
    if flow.empty or int(flow["entered"].sum()) == 0:
        say_empty(fig, "No deal entered a stage in this window")
        fig.update_layout(**s.base_layout(height))
        return fig
    labels = [
        f"{'⚠ ' if stall else ''}{stage}"
        for stage, stall in zip(flow["stage"], flow["stall"], strict=True)
    ]
    for key, label in OUTCOME_LABEL.items():
        fig.add_bar(
            y=labels,
            x=flow[key],
            orientation="h",
            name=label,
            marker_color=OUTCOME_COLOUR[key],
            customdata=[[f"flow:{st}:{key}"] for st in flow["stage"]],
            hovertemplate=f"%{{y}}: %{{x}} {label.lower()}<extra></extra>",
        )
    notes = [
        f"{int(e)} in · {s.MISSING if pd.isna(d) else f'{d:.0f} d'} median · {s.pct(w)} to won"
        for e, d, w in zip(flow["entered"], flow["median_days"], flow["to_won"], strict=True)
    ]
    fig.add_scatter(
        y=labels,
        x=flow["entered"],
        mode="text",
        text=notes,
        textposition="middle right",
        textfont=dict(size=12, color=s.MUTED),
        hoverinfo="skip",
        showlegend=False,
    )
    width = s.label_px(labels, 13)
    fig.update_layout(
        **{**s.base_layout(height), "showlegend": True},
        barmode="stack",
        margin=dict(l=width + 12, r=10, t=8, b=30 + s.LEGEND_ROW_PX),
        legend=dict(orientation="h", y=-0.12, x=0),
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, float(flow["entered"].max()) * 1.6], gridcolor=s.GRID)
    return fig


def ramp_figure(
    curves: pd.DataFrame, median: pd.DataFrame, rep: str | None = None, height: int = 260
) -> go.Figure:
    """Attainment by quarter of tenure: every rider's points faint, the median line, one rider."""
    fig = go.Figure()
    if median is None or median.empty:
        say_empty(fig, "No ended stage with a quota and a start date")
    else:
        others = curves if rep is None else curves[curves["rep"] != rep]
        trace = go.Scattergl if len(others) > 1000 else go.Scatter
        fig.add_trace(
            trace(
                x=others["tenure"],
                y=others["attainment"],
                mode="markers",
                marker=dict(color="rgba(107,114,128,0.35)", size=6),
                text=others["rep"],
                hovertemplate="%{text}: quarter %{x}, %{y:.0%}<extra></extra>",
            )
        )
        fig.add_scatter(
            x=median["tenure"],
            y=median["median"],
            mode="lines+markers",
            line=dict(color=s.INK, width=2),
            hovertemplate="Median at quarter %{x}: %{y:.0%}<extra></extra>",
        )
        if rep is not None:
            mine = curves[curves["rep"] == rep]
            fig.add_scatter(
                x=mine["tenure"],
                y=mine["attainment"],
                mode="lines+markers",
                line=dict(color="#2563eb", width=3),
                marker=dict(size=10),
                hovertemplate=f"{s.esc(rep)}: quarter %{{x}}, %{{y:.0%}}<extra></extra>",
            )
    fig.update_layout(
        **s.base_layout(height), margin=dict(l=s.PERCENT_AXIS_PX, r=10, t=8, b=s.DATE_AXIS_PX + 14)
    )
    fig.update_yaxes(tickformat=".0%", gridcolor=s.GRID, zeroline=False)
    fig.update_xaxes(title_text="Quarter of tenure", dtick=1, gridcolor=s.GRID)
    return fig


ENTRY_COLUMNS = [
    {"field": "deal_id", "headerName": "Deal", "minWidth": 160, "flex": 1},
    {"field": "rep", "headerName": "Rep", "minWidth": 120},
    {"field": "stage", "headerName": "Stage", "minWidth": 130},
    {"field": "entered", "headerName": "Entered", "width": 115},
    {"field": "next_stage", "headerName": "Then", "minWidth": 130},
    {"field": "days", "headerName": "Days", "width": 85, "type": "numericColumn"},
    {"field": "outcome", "headerName": "Outcome", "width": 120},
]


def trace_body(trace, grid_id: str) -> html.Div:
    """The rows behind a season figure: deals as everywhere, stage entries as a list of moves."""
    if trace.kind != "entries":
        return make_trace_body(trace, grid_id)
    rows = trace.rows.head(500)
    records = []
    for i, r in enumerate(rows.to_dict("records")):
        records.append(
            {
                "deal_id": str(r.get("deal_id")),
                "rep": None if pd.isna(r.get("rep")) else str(r.get("rep")),
                "stage": r.get("stage"),
                "entered": s.day(r.get("entered")),
                "next_stage": None if pd.isna(r.get("next_stage")) else r.get("next_stage"),
                "days": None if pd.isna(r.get("days")) else round(float(r["days"]), 1),
                "outcome": OUTCOME_LABEL.get(r.get("outcome"), r.get("outcome")),
                "_key": f"{r.get('source')}|{r.get('deal_id')}|{i}",
            }
        )
    head = f"{trace.count:,} stage entr{'y' if trace.count == 1 else 'ies'}"
    return html.Div(
        [
            html.Div(head, className="trace-summary"),
            dag.AgGrid(
                id=grid_id,
                rowData=records,
                columnDefs=ENTRY_COLUMNS,
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                dashGridOptions={"suppressCellFocus": True},
                getRowId="params.data._key",
                className="trace-grid",
                style={"height": f"{min(640, 90 + 38 * max(len(records), 1))}px"},
            ),
        ]
    )


__all__ = [
    "flow_figure",
    "gc_columns",
    "gc_grid",
    "gc_rows",
    "generated_figure",
    "heat_colour",
    "ramp_figure",
    "readiness_figure",
    "team_overview_table",
    "team_year_figure",
    "trace_body",
]
