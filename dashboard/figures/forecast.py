"""Where the quarter will land, drawn (docs/metrics.md#forecast): the forecast trend with the
landing range as a fan, the range in numbers, and "show the math" (the rates with their counts,
each open deal's amount × rate).

Pure builders: the forecast model's frames and dicts in (``dashboard.models.forecast.Forecast``:
its ``trend`` rows for one rep or the scope, a landing dict or row, ``rep_rates``, ``team_rates``
and ``deals``), a Plotly figure or Dash components out. User text (deal and rep names) reaches
Plotly through ``style.esc`` and Dash components as text; grids get values as data.

How the fan is drawn: from what was won on ``as_of`` to the quarter's last day, a band from p10 to
p90 and a line to p50 (each the landing range's value at the finish), labelled at the finish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import dash_ag_grid as dag
import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.figures import style as s
from dashboard.figures.common import say_empty
from dashboard.figures.review import MONEY_FMT
from dashboard.metrics import forecast as fc

# The trend's figures: key, label, colour, line dash, width. Open pipeline starts hidden (a
# click on its legend entry shows it): at about three times quota early in a quarter it would
# squash every other line into the bottom of the chart.
SERIES = (
    ("won", "Won", s.KIND_COLOUR["won"], "solid", 3.0),
    ("commit_forecast", "Commit forecast", s.KIND_COLOUR["commit"], "solid", 2.0),
    ("best_case_forecast", "Best-case forecast", s.KIND_COLOUR["best_case"], "solid", 2.0),
    ("weighted_pipeline", "Weighted pipeline", "#64748b", "dot", 1.8),
    ("open_pipeline", "Open pipeline", "#94a3b8", "dash", 1.5),
)
LABEL = {key: label for key, label, *_ in SERIES}
HIDDEN = {"open_pipeline"}
CALL_COLOUR = s.INK
QUOTA_COLOUR = s.FINISH
PACE_COLOUR = s.MUTED
FAN_FILL = "rgba(202, 138, 4, 0.16)"  # the won colour, faint: the fan is where won may end
FAN_EDGE = "rgba(202, 138, 4, 0.45)"
FAN = "fan"  # customdata kind of the fan's points
CALL = "call"
BUCKET_LABEL = {
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "omitted": "Omitted",
}
STATUS_WORDS = {"rolled_up": "rolled up", "crm": "the CRM's figures"}


def _ts(day) -> pd.Timestamp:
    return pd.Timestamp(day)


def _number(value) -> float | None:
    return None if s.is_missing(value) else float(value)


def status_words(call: Mapping) -> str:
    """A call's status in words: ``submitted week 8``, ``carried from week 7``, ``rolled up``."""
    status = call.get("status")
    week = call.get("week")
    if status == "submitted":
        return f"submitted week {week}" if not s.is_missing(week) else "submitted"
    if status == "carried":
        return f"carried from week {week}" if not s.is_missing(week) else "carried"
    return STATUS_WORDS.get(status, s.MISSING if s.is_missing(status) else str(status))


def pace_line(quota: float, quarter_start: dt.date, quarter_end: dt.date) -> tuple[list, list]:
    """The pace line in money: quota × the share of the quarter elapsed, on its first and last
    day (a straight line between them; docs/metrics.md#pace)."""
    days = (quarter_end - quarter_start).days + 1
    return [_ts(quarter_start), _ts(quarter_end)], [quota / days, quota]


def fan_points(landing: Mapping, as_of: dt.date, quarter_end: dt.date) -> dict | None:
    """The fan's corners: from (as_of, won) to the quarter's end at p10, p50 and p90; None when
    there is nothing to draw forward (no range, or as_of on or after the quarter's last day)."""
    p10, p50, p90 = (_number(landing.get(k)) for k in ("p10", "p50", "p90"))
    if p10 is None or p50 is None or p90 is None or as_of >= quarter_end:
        return None
    won = _number(landing.get("won")) or 0.0
    return {"start": (_ts(as_of), won), "end": _ts(quarter_end), "p10": p10, "p50": p50, "p90": p90}


def make_trend_figure(
    trend: pd.DataFrame,
    landing: Mapping,
    *,
    quarter_start: dt.date,
    quarter_end: dt.date,
    as_of: dt.date,
    height: int = 340,
) -> go.Figure:
    """The forecast trend of one rep or a scope, with the landing range drawn forward as a fan.

    Args:
        trend: ``Forecast.trend`` rows of one rep (or of the scope, rep None), one per day:
            ``day``, the ``SERIES`` keys, ``quota``, ``call_commit``, ``call_status``.
        landing: ``won``, ``p10``, ``p50``, ``p90`` (a ``Forecast.reps`` row or ``Forecast.team``).
        quarter_start: the quarter's first day.
        quarter_end: its last day (the fan's finish).
        as_of: the forecast's day (the fan's start).
        height: pixels.

    Returns:
        A figure whose trend points carry ``customdata`` ``[key, ISO day]`` (a click lists the
        deals behind that figure on that day) and whose fan points carry ``["fan", key]``.
    """
    fig = go.Figure()
    t = trend.sort_values("day") if len(trend) else trend
    x = list(pd.to_datetime(t["day"])) if len(t) else []
    iso = [pd.Timestamp(d).date().isoformat() for d in x]
    quota = _number(t["quota"].iloc[-1]) if len(t) and "quota" in t else None
    if quota is None:
        quota = _number(landing.get("quota"))
    start, end = _ts(quarter_start), _ts(quarter_end)

    if quota:
        px, py = pace_line(quota, quarter_start, quarter_end)
        fig.add_trace(
            go.Scatter(
                x=px,
                y=py,
                mode="lines",
                name="Pace",
                line=dict(color=PACE_COLOUR, width=1.2, dash="dash"),
                hovertemplate="Pace line: quota × share of the quarter elapsed<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[start, end],
                y=[quota, quota],
                mode="lines",
                name="Quota",
                line=dict(color=QUOTA_COLOUR, width=1.2, dash="dot"),
                hovertemplate=f"Quota {s.money_full(quota)}<extra></extra>",
            )
        )

    if len(t) and "call_commit" in t:
        calls = [_number(v) for v in t["call_commit"]]
        statuses = list(t["call_status"]) if "call_status" in t else [None] * len(calls)
        if any(v is not None for v in calls):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=calls,
                    mode="lines+markers",
                    name="Commit call",
                    line=dict(color=CALL_COLOUR, width=1.6, dash="dashdot", shape="hv"),
                    marker=dict(size=5, color=CALL_COLOUR),
                    connectgaps=False,
                    customdata=[[CALL, d] for d in iso],
                    text=[
                        f"{s.day(d, '%d %b')} · commit call {s.money_full(v)}"
                        f" ({STATUS_WORDS.get(st, st) if st else '—'})"
                        if v is not None
                        else ""
                        for d, v, st in zip(x, calls, statuses, strict=True)
                    ],
                    hovertemplate="%{text}<extra></extra>",
                )
            )

    for key, label, colour, dash, width in SERIES:
        if not len(t) or key not in t:
            continue
        values = [_number(v) for v in t[key]]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=values,
                mode="lines+markers",
                name=label,
                visible="legendonly" if key in HIDDEN else True,
                line=dict(color=colour, width=width, dash=dash),
                marker=dict(size=6 if key == "won" else 5, color=colour),
                customdata=[[key, d] for d in iso],
                text=[
                    f"{s.day(d, '%d %b')} · {label.lower()} {s.money_full(v)}"
                    for d, v in zip(x, values, strict=True)
                ],
                hovertemplate="%{text}<br><i>click for the deals</i><extra></extra>",
            )
        )

    fan = fan_points(landing, as_of, quarter_end)
    if fan is not None:
        x0, won = fan["start"]
        fig.add_trace(
            go.Scatter(
                x=[x0, end, end, x0],
                y=[won, fan["p90"], fan["p10"], won],
                mode="lines",
                fill="toself",
                fillcolor=FAN_FILL,
                line=dict(color=FAN_EDGE, width=1),
                name="Landing range p10–p90",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[x0, end],
                y=[won, fan["p50"]],
                mode="lines",
                name="Landing p50",
                line=dict(color=s.KIND_COLOUR["won"], width=2, dash="dash"),
                hoverinfo="skip",
            )
        )
        keys = ("p10", "p50", "p90")
        fig.add_trace(
            go.Scatter(
                x=[end, end, end],
                y=[fan[k] for k in keys],
                mode="markers",
                name="At the finish",
                showlegend=False,
                marker=dict(
                    size=[7, 10, 7],
                    color=s.KIND_COLOUR["won"],
                    line=dict(color="#fff", width=1),
                ),
                customdata=[[FAN, k] for k in keys],
                text=[f"{k} at the finish {s.money_full(fan[k])}" for k in keys],
                hovertemplate="%{text}<br><i>click for the math</i><extra></extra>",
            )
        )
        fig.add_annotation(
            x=1,
            xref="paper",
            xanchor="left",
            xshift=8,
            y=fan["p50"],
            yref="y",
            align="left",
            showarrow=False,
            text=(
                f"<span style='color:{s.MUTED}'>p90 {s.money(fan['p90'])}</span><br>"
                f"<b>p50 {s.money(fan['p50'])}</b><br>"
                f"<span style='color:{s.MUTED}'>p10 {s.money(fan['p10'])}</span>"
            ),
            font=dict(size=12, color=s.INK),
        )

    fig.update_layout(**s.base_layout(height))
    fig.update_layout(
        showlegend=True,
        hovermode="closest",
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom", font=dict(size=12)),
        # the legend's rows (two at the widths the views give it) above the plot
        margin=dict(
            l=s.MONEY_AXIS_PX, r=92 if fan is not None else 16, t=4 * s.LEGEND_ROW_PX, b=30
        ),
        xaxis=dict(
            range=[start, end + pd.Timedelta(days=1)],
            gridcolor=s.GRID,
            tickformat="%d %b",
            fixedrange=True,
        ),
        yaxis=dict(gridcolor=s.GRID, tickformat="~s", fixedrange=True, rangemode="tozero"),
    )
    fig.add_shape(
        type="line",
        x0=_ts(as_of),
        x1=_ts(as_of),
        y0=0,
        y1=1,
        yref="paper",
        line=dict(color=s.TODAY, width=1),
    )
    if not len(t):
        say_empty(fig, "No snapshots in this quarter yet")
    return fig


def math_open(button: bool, click: Mapping | None, is_open: bool) -> bool | None:
    """Whether "Show the math" is open after a press of its button (``button``) or a click on
    the trend (``click``): the button turns it over, a click on the fan opens it; None leaves
    it as it is."""
    if button:
        return not is_open
    point = trend_point(click)
    return True if point and point[0] == FAN else None


def trend_point(click: Mapping | None) -> tuple[str, str | None] | None:
    """What a click on the trend figure names: ``(key, ISO day)`` for a trend point (a key of
    ``SERIES``), ``("fan", "p50")`` for the fan, ``None`` for anything else (the call, quota and
    pace lines, or a forged click)."""
    try:
        data = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    if not isinstance(data, list | tuple) or len(data) != 2:
        return None
    kind, value = data
    if kind == FAN and value in ("p10", "p50", "p90"):
        return FAN, value
    if kind in LABEL and isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return None
        return kind, value
    return None


# --- the range in numbers -------------------------------------------------------------------


def method_sentence(method: str, week: int, past: Sequence[str], draws: int = fc.DRAWS) -> str:
    """How the range was made, in words (docs/metrics.md#forecast-method)."""
    if method == fc.REFERENCE:
        n = len(past)
        return (
            f"Made from {n} past quarter{'s' if n != 1 else ''} at week {week} "
            f"({', '.join(past)}): each open deal is won at its bucket's rate (the rep's own "
            "record, shrunk toward the team's), plus new business drawn from those quarters; "
            f"{draws:,} draws."
        )
    if method == fc.CRM_PROBABILITY:
        return (
            f"No past quarter has a snapshot in week {week} of its quarter, so each open deal's "
            "chance is the CRM's probability and no new business is added "
            f"({draws:,} draws)."
        )
    if method == fc.ENDED:
        return "The quarter has ended: the landing is what was won."
    return str(method)


def _stat(label: str, value: str, sub: str = "", tone: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(label, className="kpi-label"),
            html.Div(value, className=f"forecast-stat-value {tone}".strip()),
            html.Div(sub, className="kpi-sub") if sub else None,
        ],
        className="forecast-stat",
    )


def chance_tone(chance) -> str:
    """Teal from a 70 % chance to make quota, amber from 30 %, red below."""
    if s.is_missing(chance):
        return ""
    c = float(chance)
    return "tone-ahead" if c >= 0.7 else "tone-near" if c >= 0.3 else "tone-behind"


def make_range_summary(
    landing: Mapping,
    *,
    method: str,
    week: int,
    past: Sequence[str],
    call: Mapping | None = None,
) -> html.Div:
    """The landing range in numbers: p50 with p10–p90, the chance to make quota, the mean split
    into won so far + from open deals + from new business, the call in force and the method.

    Args:
        landing: ``quota, won, p10, p50, p90, mean, chance_of_quota, from_open, from_new``.
        method: ``Forecast.method``.
        week: ``Forecast.week``.
        past: ``Forecast.past`` (the quarters the rates come from).
        call: ``commit, status, week, by`` of the call in force (None: not shown).
    """
    quota = _number(landing.get("quota"))
    chance = landing.get("chance_of_quota")
    stats = [
        _stat(
            "Likely landing (p50)",
            s.money(landing.get("p50")),
            f"{s.pct(landing['p50'] / quota)} of quota {s.money(quota)}"
            if quota and not s.is_missing(landing.get("p50"))
            else "no quota loaded",
        ),
        _stat(
            "Range p10 – p90",
            f"{s.money(landing.get('p10'))} – {s.money(landing.get('p90'))}",
            "8 in 10 draws land inside",
        ),
        _stat(
            "Chance to make quota",
            s.pct(chance) if quota else s.MISSING,
            "share of draws at or above quota" if quota else "no quota loaded",
            tone=chance_tone(chance) if quota else "",
        ),
    ]
    mean = html.Div(
        [
            html.Span("Mean ", className="muted"),
            html.B(s.money_full(landing.get("mean"))),
            html.Span(" = won so far ", className="muted"),
            html.Span(s.money_full(landing.get("won"))),
            html.Span(" + from open deals ", className="muted"),
            html.Span(s.money_full(landing.get("from_open"))),
            html.Span(" + from new business ", className="muted"),
            html.Span(s.money_full(landing.get("from_new"))),
        ],
        className="forecast-mean",
    )
    parts = [html.Div(stats, className="forecast-stats"), mean]
    if call is not None and not s.is_missing(call.get("commit")):
        by = call.get("by")
        parts.append(
            html.Div(
                [
                    html.Span("Commit call in force ", className="muted"),
                    html.B(s.money_full(call.get("commit"))),
                    html.Span(
                        f" · {status_words(call)}"
                        + (f" · by {by}" if by and not s.is_missing(by) else ""),
                        className="muted",
                    ),
                ],
                className="forecast-call",
            )
        )
    tone = "forecast-method-crm" if method == fc.CRM_PROBABILITY else ""
    parts.append(
        html.P(method_sentence(method, week, past), className=f"forecast-method {tone}".strip())
    )
    return html.Div(parts, className="forecast-range")


# --- show the math --------------------------------------------------------------------------


def _count(wins, n) -> str:
    n = 0 if s.is_missing(n) else int(n)
    wins = 0 if s.is_missing(wins) else int(wins)
    return f"{wins} / {n}" if n else "—"


def _rate(value) -> str:
    return s.MISSING if s.is_missing(value) else f"{float(value):.0%}"


def _pooled(team_rate) -> str:
    """A team's bucket over all weeks of the past quarters: ``won / deals = rate`` (a dash when
    it has none)."""
    pooled_n = team_rate.get("pooled_n") if len(team_rate) else None
    if s.is_missing(pooled_n) or not int(pooled_n):
        return "—"
    return f"{_count(team_rate.get('pooled_wins'), pooled_n)} = {_rate(team_rate.get('pooled'))}"


def rate_rows(rep_rates: pd.DataFrame, team_rates: pd.DataFrame, method: str) -> list[dict]:
    """One row per bucket for one rep: the counts at the week, the team's pooled rate, the
    shrinkage weight, the rep's rate and where a deal in the bucket takes its rate from.

    Args:
        rep_rates: ``Forecast.rep_rates`` rows of the rep (``fc.REP_RATE_COLUMNS``).
        team_rates: ``Forecast.team_rates`` rows of the rep's team (``fc.TEAM_RATE_COLUMNS``).
        method: ``Forecast.method``.

    Returns:
        ``bucket, rep_count, team_count, pooled, team_rate, weight, rate, source`` (text), in
        bucket order.
    """
    rep = rep_rates.set_index("bucket") if len(rep_rates) else pd.DataFrame()
    team = team_rates.set_index("bucket") if len(team_rates) else pd.DataFrame()
    out = []
    for bucket in fc.BUCKETS:
        r = rep.loc[bucket] if bucket in rep.index else {}
        t = team.loc[bucket] if bucket in team.index else {}
        rate = r.get("rate") if len(r) else None
        from_history = method == fc.REFERENCE and not s.is_missing(rate)
        out.append(
            {
                "bucket": BUCKET_LABEL[bucket],
                "rep_count": _count(r.get("wins"), r.get("n")) if len(r) else "—",
                "team_count": _count(t.get("wins"), t.get("n")) if len(t) else "—",
                "pooled": _pooled(t),
                "team_rate": _rate(t.get("rate")) if len(t) else s.MISSING,
                "weight": s.MISSING if not len(r) else f"{float(r.get('weight') or 0):.2f}",
                "rate": _rate(rate),
                "source": "history" if from_history else "CRM probability",
            }
        )
    return out


RATE_HEAD = (
    ("bucket", "Bucket"),
    ("rep_count", "Rep at week (won / deals)"),
    ("team_count", "Team at week"),
    ("pooled", "Team, all weeks"),
    ("team_rate", "Team rate"),
    ("weight", "Rep weight"),
    ("rate", "Rep rate"),
    ("source", "Deals use"),
)


def make_rates_table(
    rep_rates: pd.DataFrame, team_rates: pd.DataFrame, method: str, week: int
) -> html.Div:
    """The bucket rates with their counts, as a small table, and the formulas in words."""
    rows = rate_rows(rep_rates, team_rates, method)
    head = html.Thead(html.Tr([html.Th(label) for _, label in RATE_HEAD]))
    body = html.Tbody(
        [html.Tr([html.Td(row[key]) for key, _ in RATE_HEAD]) for row in rows],
    )
    words = (
        f"{_team_rate_formula(week)}; rep rate = weight × the rep's own rate + (1 − weight) × "
        f"the team rate, weight = deals ÷ (deals + {fc.SHRINK_DEALS}). Where the team has no "
        "history in a bucket, the CRM's probability stands."
    )
    return _rates_block(head, body, _rates_words(method, week, words))


TEAM_RATE_HEAD = (
    ("team", "Team"),
    ("bucket", "Bucket"),
    ("count", "At week (won / deals)"),
    ("pooled", "All weeks (won / deals)"),
    ("rate", "Team rate"),
)


def team_rate_rows(team_rates: pd.DataFrame) -> list[dict]:
    """One row per team and bucket: the counts at the week, pooled over all weeks, and the
    shrunk team rate (text), teams in name order, buckets in bucket order."""
    out = []
    for team in sorted(team_rates["team"].dropna().unique()) if len(team_rates) else []:
        t = team_rates[team_rates["team"] == team].set_index("bucket")
        for bucket in fc.BUCKETS:
            if bucket not in t.index:
                continue
            r = t.loc[bucket]
            out.append(
                {
                    "team": team,
                    "bucket": BUCKET_LABEL[bucket],
                    "count": _count(r.get("wins"), r.get("n")),
                    "pooled": _pooled(r),
                    "rate": _rate(r.get("rate")),
                }
            )
    return out


def make_team_rates_table(team_rates: pd.DataFrame, method: str, week: int) -> html.Div:
    """Each team's bucket rates with their counts (a rep's own rate shrinks toward these; each
    rep's own is on their Rider page), and the formula in words."""
    rows = team_rate_rows(team_rates)
    head = html.Thead(html.Tr([html.Th(label) for _, label in TEAM_RATE_HEAD]))
    body = html.Tbody([html.Tr([html.Td(r[k]) for k, _ in TEAM_RATE_HEAD]) for r in rows])
    words = (
        f"{_team_rate_formula(week)}. Each rep's rate shrinks toward it (weight = the rep's "
        f"deals ÷ (deals + {fc.SHRINK_DEALS})): see their Rider page."
    )
    return _rates_block(head, body if rows else None, _rates_words(method, week, words))


def _team_rate_formula(week: int) -> str:
    return (
        f"Team rate = (won + {fc.PRIOR_DEALS} × pooled) ÷ (deals + {fc.PRIOR_DEALS}), "
        f"counts at week {week} of the past quarters"
    )


def _rates_words(method: str, week: int, reference: str) -> str:
    """The formula in words when the rates were used, else why they were not."""
    if method == fc.REFERENCE:
        return reference
    return (
        f"Not used at week {week}: without a past quarter at this week each deal's rate is "
        "its CRM probability. The counts are shown for reference."
    )


def _rates_block(head, body, words: str) -> html.Div:
    """A rates table (or, without rows, that there is nothing to count from) and its words."""
    table = (
        html.Table([head, body], className="forecast-rates")
        if body is not None
        else html.P("No past quarter to count from.", className="muted")
    )
    return html.Div([table, html.P(words, className="forecast-note muted")])


DEAL_COLUMNS = [
    {
        "field": "deal_name",
        "headerName": "Deal",
        "minWidth": 200,
        "flex": 2,
        "tooltipField": "deal_name",
    },
    {"field": "category", "headerName": "Category", "width": 150, "tooltipField": "category"},
    {"field": "close_date", "headerName": "Close", "width": 110},
    {
        "field": "amount",
        "headerName": "Amount",
        "type": "numericColumn",
        "width": 115,
        "valueFormatter": MONEY_FMT,
    },
    {
        "field": "rate",
        "headerName": "× Rate",
        "type": "numericColumn",
        "width": 95,
        "valueFormatter": {
            "function": "params.value == null ? '' : d3.format('.1%')(params.value)"
        },
    },
    {
        "field": "expected",
        "headerName": "= Expected",
        "type": "numericColumn",
        "width": 140,
        "valueFormatter": MONEY_FMT,
        "sort": "desc",
    },
    {"field": "rate_source", "headerName": "Rate from", "minWidth": 150, "flex": 1},
]


def deal_math_records(deals: pd.DataFrame) -> list[dict]:
    """``Forecast.deals`` rows as grid records, largest expected amount first."""
    if not len(deals):
        return []
    d = deals.sort_values(["expected", "deal_id"], ascending=[False, True], kind="stable")
    out = []
    for r in d.to_dict("records"):
        category = r.get("forecast_category")
        bucket = BUCKET_LABEL.get(r.get("bucket"), r.get("bucket"))
        label = s.CATEGORY_LABEL.get(category) if isinstance(category, str) else None
        close = r.get("close_date")
        out.append(
            {
                "key": f"{r.get('source')}|{r.get('deal_id')}",
                "rep": r.get("rep"),
                "deal_name": r.get("deal_name")
                if not s.is_missing(r.get("deal_name"))
                else r.get("deal_id"),
                "category": bucket if not label or label == bucket else f"{label} → {bucket}",
                "close_date": None if s.is_missing(close) else _ts(close).date().isoformat(),
                "amount": _number(r.get("amount")),
                "rate": _number(r.get("rate")),
                "expected": _number(r.get("expected")),
                "rate_source": "history"
                if r.get("rate_source") == "history"
                else "CRM probability",
            }
        )
    return out


REP_COLUMN = {
    "field": "rep",
    "headerName": "Rep",
    "minWidth": 140,
    "flex": 1,
    "tooltipField": "rep",
}


def make_deal_math(
    deals: pd.DataFrame, grid_id: str, *, limit: int | None = None, with_rep: bool = False
) -> html.Div:
    """The open deals × their rate: a line that adds them up (= from open deals) and a grid.

    Args:
        deals: ``Forecast.deals`` rows.
        grid_id: the grid's component id.
        limit: list only this many, largest expected first (the sum still covers every deal).
        with_rep: add the deal owner's column (a team's math).
    """
    records = deal_math_records(deals)
    total = float(deals["expected"].sum()) if len(deals) else 0.0
    n = len(records)
    shown = records if limit is None else records[:limit]
    line = (
        f"{n:,} open deal{'s' if n != 1 else ''} closing this quarter · Σ amount × rate = "
        f"{s.money_full(total)} (from open deals)"
    )
    if len(shown) < n:
        line += f" · listing the {len(shown):,} largest by expected amount"
    height = min(420, 90 + 36 * max(len(shown), 1))
    columns = [DEAL_COLUMNS[0], REP_COLUMN, *DEAL_COLUMNS[1:]] if with_rep else DEAL_COLUMNS
    return html.Div(
        [
            html.Div(line, className="forecast-deals-sum"),
            dag.AgGrid(
                id=grid_id,
                rowData=shown,
                columnDefs=columns,
                defaultColDef={"sortable": True, "resizable": True},
                getRowId="params.data.key",
                dashGridOptions={
                    "suppressCellFocus": True,
                    "tooltipShowDelay": 300,
                    "localeText": {"noRowsToShow": "No open deals closing this quarter"},
                },
                className="forecast-grid",
                style={"height": f"{height}px"},
            ),
        ]
    )


__all__ = [
    "DEAL_COLUMNS",
    "LABEL",
    "SERIES",
    "chance_tone",
    "deal_math_records",
    "fan_points",
    "make_deal_math",
    "make_range_summary",
    "make_rates_table",
    "make_team_rates_table",
    "make_trend_figure",
    "math_open",
    "method_sentence",
    "pace_line",
    "rate_rows",
    "status_words",
    "team_rate_rows",
    "trend_point",
]
