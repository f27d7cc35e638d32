"""The course map: the quarter as a road, one lane per rider, each deal a marker on it.

Pure builders: frames in, a Plotly figure out; nothing here reads the store or the clock.

The x axis counts days from the quarter's start (day ``d`` of the quarter spans ``[d, d + 1)``;
a deal sits at noon of its close date), labelled with week marks and dates, so coordinates travel
as compact typed arrays rather than date strings. Lanes are rows ``0..n-1`` from the top. Beside
the road, narrow columns give each rider's status: attainment against pace, with the landing
range at the finish drawn under the bar on the same scale (p10 to p90 of quota, a diamond at
p50), the chance to make quota, coverage and form (the readiness band). Deal markers carry ``["deal", source, deal_id, ...]`` as customdata,
every status mark ``["rider", rep]``, team lanes and team headers ``["team", team]``, so one
click handler knows what was clicked.

The figure is assembled as plain dicts and wrapped without Plotly's per-attribute validation
(which costs more than everything else at a page of 3,000 deals); the unit tests validate the
output against Plotly's schema instead.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import style as s
from dashboard.figures.common import with_scatter_type
from dashboard.figures.season import sitting_words
from dashboard.models.kinds import marker_kind

LANE_PX = 34
HEADER_PX = 30
TOP_PX = 118
BOTTOM_PX = 30
MIN_MARKER = 7.0
MAX_MARKER = 30.0
ATTAINMENT_CAP = 1.5  # bars longer than 150% of quota are drawn at 150% (text says the truth)
LANDING_CAP = 2.0  # the column reaches 200% of quota: landing ranges beyond end in an arrow
BEYOND = 2.0  # deals closing after the finish sit this many days past it
# road, attainment (+ landing), quota odds, coverage, form, focus share, sitting in
COLUMNS = (0.57, 0.15, 0.07, 0.06, 0.05, 0.05, 0.05)
# The x axis of each column, in COLUMNS' order (quota odds, focus, sitting in came later).
COLUMN_AXES = ("x", "x2", "x5", "x3", "x4", "x6", "x7")
LANDING_OFFSET = 0.31  # the landing whisker sits this far (in lanes) below its lane's bar
LANDING_COLOUR = "#334155"
GAP = 0.012
LABEL_CHARS = 26

# Deal columns the builder reads; optional ones may be absent.
DEAL_COLUMNS = (
    "lane",
    "source",
    "deal_id",
    "deal_name",
    "account",
    "amount",
    "stage",
    "forecast_category",
    "status",
    "close_date",
)
OPTIONAL_DEAL_COLUMNS = (
    "push_count",
    "last_activity_date",
    "close_date_since",
    "past_due",
    "count",
)

# Per trace: the kind's label stands in for the forecast category (won and lost say so).
DEAL_HOVER = (
    "<b>%{customdata[3]}</b><br>%{customdata[4]}<br>"
    "Amount <b>%{customdata[5]}</b><br>Stage %{customdata[6]} · KIND<br>"
    "Close %{customdata[7]} · pushed %{customdata[8]}×<br>"
    "Last activity %{customdata[9]}%{customdata[10]}<br>"
    "<i>click for details</i><extra></extra>"
)
GROUP_HOVER = (
    "<b>%{customdata[2]}</b> · %{customdata[3]}<br>%{customdata[4]}<br>"
    "Amount <b>%{customdata[5]}</b><br><i>click to open this team's riders</i>"
    "<extra></extra>"
)


def marker_sizes(
    amounts: pd.Series, largest: float | None = None, biggest: float = MAX_MARKER
) -> np.ndarray:
    """Marker diameters in pixels, with area proportional to amount (missing amounts smallest)."""
    values = pd.to_numeric(amounts, errors="coerce").fillna(0.0).clip(lower=0.0).to_numpy(float)
    top = float(largest) if largest else (values.max() if len(values) else 0.0)
    if top <= 0:
        return np.full(len(values), MIN_MARKER)
    return MIN_MARKER + (biggest - MIN_MARKER) * np.sqrt(np.minimum(values, top) / top)


def biggest_marker(markers_per_lane: float) -> float:
    """The largest marker for a lane this busy: full size up to 25 deals, smaller beyond."""
    if markers_per_lane <= 25:
        return MAX_MARKER
    return float(max(14.0, MAX_MARKER * math.sqrt(25 / markers_per_lane)))


def day_offset(days: pd.Series, start: dt.date) -> np.ndarray:
    """Close dates as x positions: days since ``start`` plus half a day (noon)."""
    stamps = pd.to_datetime(pd.Series(days)).astype("datetime64[ns]")
    return ((stamps - pd.Timestamp(start)) / pd.Timedelta(days=1) + 0.5).to_numpy(dtype=float)


def lane_rows(
    lanes: pd.DataFrame, teams: pd.DataFrame | None = None, group_by_team: bool = True
) -> pd.DataFrame:
    """The rows of the map, top to bottom: a header row per team, then its riders.

    Args:
        lanes: one row per lane (``lane``, ``team`` and status columns), in display order.
        teams: team figures (``team`` and status columns) shown on each team's header row.
        group_by_team: False draws the lanes without team headers (team lanes, one rider).

    Returns:
        ``lanes`` with ``row`` (0 at the top) and ``header`` (True for team header rows).
    """
    lanes = lanes.reset_index(drop=True)
    if not group_by_team or lanes.empty:
        out = lanes.assign(header=False)
        out["row"] = np.arange(len(out))
        return out
    team_col = lanes["team"].astype("object").where(lanes["team"].notna(), "No team")
    parts = []
    for team in dict.fromkeys(team_col):
        head = {"lane": team, "team": team}
        if teams is not None and not teams.empty:
            match = teams[teams["team"].astype("object") == team]
            if not match.empty:
                head = {**match.iloc[0].to_dict(), **head}
        head["header"] = True
        parts.append(pd.DataFrame([head]))
        parts.append(lanes[(team_col == team).to_numpy()].assign(header=False))
    out = pd.concat(parts, ignore_index=True)
    out["header"] = out["header"].astype(bool)
    out["row"] = np.arange(len(out))
    return out


def _week_ticks(start: dt.date, days: int) -> tuple[list[float], list[str]]:
    vals, text = [], []
    for week, offset in enumerate(range(0, days - 3, 7), start=1):
        vals.append(float(offset))
        text.append(f"Wk {week}<br>{s.day(start + dt.timedelta(days=offset), '%d %b')}")
    return vals, text


def _text(series: pd.Series) -> pd.Series:
    """User text escaped for Plotly labels, missing values as a dash."""
    obj = series.astype("object")
    return obj.map(lambda v: s.MISSING if s.is_missing(v) else s.esc(v))


def _dates(series: pd.Series, fmt: str = "%d %b %Y") -> pd.Series:
    stamps = pd.to_datetime(series.astype("object"), errors="coerce")
    out = stamps.dt.strftime(fmt).str.lstrip("0")
    return out.astype("object").where(stamps.notna(), s.MISSING)


def _column(df: pd.DataFrame, name: str, default: object = None) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype="object")


def deal_customdata(df: pd.DataFrame, since: dt.date | None) -> np.ndarray:
    """Per deal: ``["deal", source, deal_id]`` (raw, for clicks), then the hover fields, escaped.

    Columns 3-10: name, account, amount, stage, close date (+ past due), times pushed, last
    activity, close-date move. The forecast category comes from the trace (one per kind).
    """
    n = len(df)
    if n == 0:
        return np.empty((0, 11), dtype=object)
    amounts = pd.to_numeric(df["amount"], errors="coerce")
    due = _column(df, "past_due", False).fillna(False).astype(bool)
    close_text = _dates(df["close_date"]) + np.where(due, " <b>past due</b>", "")
    pushes = pd.to_numeric(_column(df, "push_count"), errors="coerce").fillna(0).astype(int)
    earlier = pd.to_datetime(_column(df, "close_date_since").astype("object"), errors="coerce")
    close = pd.to_datetime(df["close_date"].astype("object"), errors="coerce")
    moved = earlier.notna() & close.notna() & (earlier != close)
    when = f" since {s.day(since, '%d %b')}" if since else ""
    word = pd.Series(np.where(earlier < close, "pushed", "pulled in"), index=df.index)
    move_text = np.where(moved, "<br>Close date " + word + " from " + _dates(earlier) + when, "")
    return np.column_stack(
        [
            np.full(n, "deal", dtype=object),
            df["source"].astype("object").to_numpy(),
            df["deal_id"].astype("object").to_numpy(),
            _text(df["deal_name"]).to_numpy(),
            _text(df["account"]).to_numpy(),
            amounts.map(s.money_full).to_numpy(dtype=object),
            _text(df["stage"]).to_numpy(),
            close_text.to_numpy(dtype=object),
            pushes.astype(str).to_numpy(dtype=object),
            _dates(_column(df, "last_activity_date")).to_numpy(dtype=object),
            np.asarray(move_text, dtype=object),
        ]
    )


def group_customdata(df: pd.DataFrame) -> np.ndarray:
    """Per group of deals: ``["team", team]`` then the hover fields, escaped."""
    n = len(df)
    if n == 0:
        return np.empty((0, 6), dtype=object)
    count = pd.to_numeric(_column(df, "count", 1), errors="coerce").fillna(1).astype(int)
    what = df["_kind"].map(lambda k: s.KIND_LABEL[k].lower())
    plural = np.where(count != 1, "s", "")
    return np.column_stack(
        [
            np.full(n, "team", dtype=object),
            df["lane"].astype("object").to_numpy(),
            _text(df["lane"]).to_numpy(),
            ("week of " + _dates(df["close_date"], "%d %b")).to_numpy(),
            (count.astype(str) + " " + what + " deal" + plural).to_numpy(dtype=object),
            pd.to_numeric(df["amount"], errors="coerce").map(s.money_full).to_numpy(dtype=object),
        ]
    )


def _landing_text(row: dict, method: str | None) -> str | None:
    """``Lands 310k–505k at the finish (p50 402k) · 42% chance to make quota``, or None."""
    p10, p50, p90 = row.get("p10"), row.get("p50"), row.get("p90")
    if s.is_missing(p10) or s.is_missing(p90):
        return None
    chance = row.get("chance_of_quota")
    odds = (
        "no quota to make"
        if s.is_missing(chance)
        else f"<b>{s.pct(chance)}</b> chance to make quota"
    )
    how = "<br><i>from the CRM's probabilities (no past quarter at this week)</i>"
    return (
        f"Lands <b>{s.money(p10)}–{s.money(p90)}</b> at the finish (p50 {s.money(p50)}) · "
        f"{odds}" + (how if method == "crm_probability" else "")
    )


def _odds_colour(value: object) -> str:
    if s.is_missing(value):
        return s.MUTED
    v = float(value)
    if v >= 0.7:
        return s.AHEAD
    if v >= 0.3:
        return s.NEAR
    return s.BEHIND


def _status_hover(
    row: dict, since: dt.date | None, clickable: str, method: str | None = None
) -> str:
    name = s.esc(row.get("lane"))
    att, pace = row.get("attainment"), row.get("pace")
    if s.is_missing(att):
        head = f"<b>{name}</b><br>No quota this quarter: attainment not measured"
    else:
        head = (
            f"<b>{name}</b><br>Attainment <b>{s.pct(att)}</b> vs pace {s.pct(pace)} "
            f"({s.points(float(att) - float(pace))})"
        )
    lines = [
        head,
        f"Won {s.money(row.get('won'))} of quota {s.money(row.get('quota'))}",
        f"Coverage {s.times(row.get('coverage'))} (open pipeline ÷ quota still to win)",
        f"Form {_form_text(row)}",
    ]
    if not s.is_missing(row.get("focus_share")):
        lines.append(
            f"Focus share {s.pct(row.get('focus_share'))} of the last 14 days' activities on "
            f"the deals that close the gap (team median {s.pct(row.get('focus_team_median'))})"
            + (" · <b>busy elsewhere</b>" if _flagged(row.get("busy_elsewhere")) else "")
        )
    if not s.is_missing(row.get("sit_created")):
        words = sitting_words(
            row.get("sit_created"),
            row.get("sit_created_median"),
            row.get("sit_advances"),
            row.get("sit_advances_median"),
        )
        if _flagged(row.get("sitting_in")):
            lines.append(f"<b>Sitting in</b>: {words}: both under half the team's median")
        else:
            lines.append(f"{words[0].upper()}{words[1:]}")
    landing = _landing_text(row, method)
    if landing:
        lines.insert(2, landing)
    change = row.get("rank_change")
    if since and not s.is_missing(change) and int(change) != 0:
        c = int(change)
        lines.append(
            f"Moved {'up' if c > 0 else 'down'} {abs(c)} place"
            f"{'s' if abs(c) != 1 else ''} since {s.day(since, '%d %b')}"
        )
    lines.append(f"<i>{clickable}</i>")
    return "<br>".join(lines) + "<extra></extra>"


def _flagged(value: object) -> bool:
    """A flag set on the lane (a bool True; missing on team rows)."""
    return isinstance(value, bool | np.bool_) and bool(value)


def _form_text(row: dict) -> str:
    value = row.get("readiness_index")
    if s.is_missing(value):
        return "no readiness data"
    band = row.get("readiness_band")
    return f"{float(value):.0f}/100 ({s.BAND_LABEL.get(band, band)})"


def _coverage_colour(value: object) -> str:
    if s.is_missing(value):
        return s.MUTED
    v = float(value)
    if v < 1:
        return s.BEHIND
    if v < 2:
        return s.NEAR
    return s.INK


def _domains() -> list[list[float]]:
    usable = 1.0 - GAP * (len(COLUMNS) - 1)
    out, x = [], 0.0
    for w in COLUMNS:
        out.append([round(x, 6), round(min(x + w * usable, 1.0), 6)])
        x += w * usable + GAP
    out[-1][1] = 1.0
    return out


def make_course_figure(
    lanes: pd.DataFrame,
    deals: pd.DataFrame,
    *,
    quarter_start: dt.date,
    quarter_end: dt.date,
    as_of: dt.date,
    since: dt.date | None = None,
    teams: pd.DataFrame | None = None,
    group_by_team: bool = True,
    largest_amount: float | None = None,
    quarter_name: str | None = None,
    landing_method: str | None = None,
) -> go.Figure:
    """The course map of one page of lanes.

    Args:
        lanes: one row per lane in display order: ``lane`` (the rider, or the team for team
            lanes), ``team``, and status columns ``attainment``, ``pace``, ``coverage``,
            ``readiness_index``, ``readiness_band``, ``won``, ``quota``, ``rank_change``
            (missing ones show a dash). ``kind`` = ``"team"`` marks team lanes.
        deals: the markers: ``DEAL_COLUMNS`` plus any of ``OPTIONAL_DEAL_COLUMNS``; rows with
            a ``count`` column are groups of deals (team lanes). Rows whose ``lane`` is not
            among ``lanes`` are left out.
        quarter_start, quarter_end: the course (end inclusive).
        as_of: the day the map shows: the "today" line.
        since: the comparison day that close-date trails start from.
        teams: team figures for the team header rows (same status columns, keyed by ``team``).
        group_by_team: header rows per team (rider lanes); False for team lanes or one rider.
        largest_amount: the amount that gets the largest marker (default: the largest shown), so
            the pages of one map share a scale.
        quarter_name: shown at the finish line, e.g. ``2026-Q4``.
        landing_method: how the lanes' landing ranges (optional columns ``p10``, ``p50``,
            ``p90``, ``chance_of_quota``, in money and as a fraction) were made: the forecast's
            method, said in the hover (``crm_probability``: from the CRM's probabilities).

    Returns:
        The figure; its height grows with the number of lanes.
    """
    days = (quarter_end - quarter_start).days + 1
    rows = lane_rows(lanes, teams, group_by_team)
    n = len(rows)
    n_head = int(rows["header"].sum()) if n else 0
    height = max(220, TOP_PX + BOTTOM_PX + LANE_PX * (n - n_head) + HEADER_PX * n_head)
    today_x = min(max(float((as_of - quarter_start).days) + 0.5, 0.0), float(days))

    layout = s.base_layout(height)
    layout.update(
        margin=dict(l=_label_margin(rows), r=16, t=TOP_PX, b=BOTTOM_PX),
        barmode="overlay",
        hovermode="closest",
        hoverdistance=14,
        clickmode="event",
        showlegend=True,
        legend=dict(
            orientation="h",
            x=0,
            xanchor="left",
            y=1,
            yanchor="top",
            yref="container",
            font=dict(size=12),
            itemsizing="constant",
            bgcolor="rgba(0,0,0,0)",
        ),
    )
    layout.update(_axes(quarter_start, days, n, rows))
    shapes, annotations = _furniture(days, today_x, as_of, rows, quarter_name)
    layout["shapes"] = shapes
    layout["annotations"] = annotations

    riders = rows[~rows["header"]] if n else rows
    lane_row = dict(zip(riders["lane"].astype("object"), riders["row"], strict=True))
    d = deals if deals is not None else pd.DataFrame(columns=list(DEAL_COLUMNS))
    if len(d):
        d = d[d["lane"].astype("object").isin(lane_row).to_numpy()]
    traces = [_roads(rows, days)]
    traces += _deal_traces(d, lane_row, quarter_start, days, since, largest_amount)
    traces += _status_traces(rows, since, landing_method)
    # The lanes' markers (deals, their trails and rings, the roads) with WebGL only when many.
    traces = with_scatter_type(traces, len(d) + len(rows))
    return go.Figure(data=traces, layout=layout, _validate=False)


def _lane_label(lane: str, header: bool) -> str:
    name = str(lane)
    if len(name) > LABEL_CHARS:  # long names would squeeze the road; hover has them whole
        name = name[: LABEL_CHARS - 1] + "…"
    # upper-cased before escaping: Plotly decodes "&lt;", not "&LT;"
    return f"<b>{s.esc(name.upper())}</b>" if header else s.esc(name)


def _label_margin(rows: pd.DataFrame) -> int:
    """The left margin the lane names need (drawn once: ``style.label_px``)."""
    if not len(rows):
        return 10
    plain = [str(r.lane)[:LABEL_CHARS] for r in rows.itertuples(index=False) if not r.header]
    heads = [str(r.lane)[:LABEL_CHARS].upper() for r in rows.itertuples(index=False) if r.header]
    return max(s.label_px(plain, 13), s.label_px(heads, 13, bold=True))


def _axes(start: dt.date, days: int, n: int, rows: pd.DataFrame) -> dict:
    vals, text = _week_ticks(start, days)
    dom = dict(zip(COLUMN_AXES, _domains(), strict=True))
    labels = [_lane_label(r.lane, r.header) for r in rows.itertuples(index=False)]
    fixed = dict(showgrid=False, zeroline=False, fixedrange=True)
    return dict(
        xaxis=dict(
            domain=dom["x"],
            range=[-1.0, days + BEYOND + 1.5],
            tickvals=vals,
            ticktext=text,
            side="top",
            showgrid=True,
            gridcolor=s.GRID,
            zeroline=False,
            fixedrange=True,
            tickfont=dict(size=11, color=s.MUTED),
            ticks="",
            anchor="y",
        ),
        xaxis2=dict(
            domain=dom["x2"],
            range=[0, LANDING_CAP + 0.02],
            showticklabels=False,
            anchor="y",
            **fixed,
        ),
        xaxis3=dict(domain=dom["x3"], range=[0, 1], showticklabels=False, anchor="y", **fixed),
        xaxis4=dict(domain=dom["x4"], range=[0, 1], showticklabels=False, anchor="y", **fixed),
        xaxis5=dict(domain=dom["x5"], range=[0, 1], showticklabels=False, anchor="y", **fixed),
        xaxis6=dict(domain=dom["x6"], range=[0, 1], showticklabels=False, anchor="y", **fixed),
        xaxis7=dict(domain=dom["x7"], range=[0, 1], showticklabels=False, anchor="y", **fixed),
        yaxis=dict(
            range=[n - 0.5, -0.5],
            ticks="",
            automargin=True,
            tickvals=list(range(n)),
            ticktext=labels,
            tickfont=dict(size=13, color=s.INK),
            anchor="x",
            **fixed,
        ),
    )


def _furniture(
    days: int, today_x: float, as_of: dt.date, rows: pd.DataFrame, quarter_name: str | None
) -> tuple[list[dict], list[dict]]:
    """Shaded road so far, team header bands, today and finish lines, column headings."""
    shapes = [
        dict(
            type="rect",
            xref="x",
            yref="y domain",
            x0=0,
            x1=today_x,
            y0=0,
            y1=1,
            fillcolor=s.ELAPSED,
            line=dict(width=0),
            layer="below",
        )
    ]
    for r in rows[rows["header"]].itertuples(index=False) if len(rows) else []:
        shapes.append(
            dict(
                type="rect",
                xref="paper",
                yref="y",
                x0=0,
                x1=1,
                y0=r.row - 0.5,
                y1=r.row + 0.5,
                fillcolor="#eef2f6",
                line=dict(width=0),
                layer="below",
            )
        )
    shapes += [
        dict(
            type="line",
            xref="x",
            yref="y domain",
            x0=0,
            x1=0,
            y0=0,
            y1=1,
            line=dict(color="#9ca3af", width=1),
        ),
        dict(
            type="line",
            xref="x",
            yref="y domain",
            x0=today_x,
            x1=today_x,
            y0=0,
            y1=1,
            line=dict(color=s.TODAY, width=2, dash="dot"),
        ),
        dict(
            type="line",
            xref="x",
            yref="y domain",
            x0=days,
            x1=days,
            y0=0,
            y1=1,
            line=dict(color=s.FINISH, width=3),
        ),
        dict(
            type="line",
            xref="x2",
            yref="y domain",
            x0=1,
            x1=1,
            y0=0,
            y1=1,
            line=dict(color="#cbd5e1", width=1, dash="dot"),
        ),
    ]
    finish = "<b>Finish</b>" + (f" {s.esc(quarter_name)}" if quarter_name else "")
    annotations = [
        dict(
            x=today_x,
            xref="x",
            y=0,
            yref="y domain",
            yanchor="top",
            showarrow=False,
            text=f"<b>Today</b> {s.day(as_of, '%d %b')}",
            font=dict(color=s.TODAY, size=12),
            bgcolor="rgba(255,255,255,0.85)",
        ),
        dict(
            x=days,
            xref="x",
            y=0,
            yref="y domain",
            yanchor="top",
            xanchor="center",
            showarrow=False,
            text=finish,
            font=dict(color=s.FINISH, size=12),
            bgcolor="rgba(255,255,255,0.85)",
        ),
    ]
    for axis, label in (
        ("x2", "Attainment vs pace"),
        ("x5", "Makes quota"),
        ("x3", "Coverage"),
        ("x4", "Form"),
        ("x6", "Focus"),
        ("x7", "Sits in"),
    ):
        annotations.append(
            dict(
                x=0.5,
                xref=f"{axis} domain",
                y=1,
                yref="paper",
                yanchor="bottom",
                yshift=34,
                text=f"<b>{label}</b>",
                showarrow=False,
                font=dict(size=12, color=s.MUTED),
            )
        )
    return shapes, annotations


def _roads(rows: pd.DataFrame, days: int) -> dict:
    """One thin line per rider lane, the road the deals sit on (one trace for all of them)."""
    r = rows.loc[~rows["header"], "row"].to_numpy(dtype=float) if len(rows) else np.array([])
    xs = np.tile(np.array([0.0, float(days), np.nan]), len(r))
    ys = np.repeat(r, 3)
    ys[2::3] = np.nan
    return dict(
        type="scattergl",
        x=xs,
        y=ys,
        mode="lines",
        hoverinfo="skip",
        showlegend=False,
        line=dict(color="#d5dbe3", width=1),
        name="lanes",
        xaxis="x",
        yaxis="y",
    )


def _deal_traces(
    d: pd.DataFrame,
    lane_row: dict,
    start: dt.date,
    days: int,
    since: dt.date | None,
    largest: float | None,
) -> list[dict]:
    grouped = "count" in d.columns
    d = d.assign(
        _kind=marker_kind(d["status"], d["forecast_category"])
        if len(d)
        else pd.Series(dtype="object")
    )
    y = d["lane"].astype("object").map(lane_row).to_numpy(dtype=float) if len(d) else np.array([])
    x = day_offset(d["close_date"], start) if len(d) else np.array([])
    # A deal closing after the finish is drawn just past it; its hover keeps the real date.
    x = np.where(x > days, days + BEYOND, x).astype(np.float32)  # 4 bytes a value on the wire
    y = y.astype(np.float32)
    busy = len(d) / max(1, len(lane_row))
    size = (
        marker_sizes(d["amount"], largest, biggest_marker(busy)) if len(d) else np.array([])
    ).astype(np.float32)
    d = d.assign(_x=x, _y=y, _size=size)
    traces: list[dict] = []
    if "close_date_since" in d.columns and len(d):
        earlier = pd.to_datetime(d["close_date_since"].astype("object"), errors="coerce")
        close = pd.to_datetime(d["close_date"].astype("object"), errors="coerce")
        m = d[(earlier.notna() & (earlier != close)).to_numpy()]
        if len(m):
            x0 = np.clip(day_offset(m["close_date_since"], start), -0.5, days + BEYOND).astype(
                np.float32
            )
            nan = np.full(len(m), np.nan)
            traces.append(
                dict(
                    type="scattergl",
                    x=np.column_stack([x0, m["_x"].to_numpy(), nan]).ravel(),
                    y=np.column_stack([m["_y"].to_numpy(), m["_y"].to_numpy(), nan]).ravel(),
                    mode="lines",
                    line=dict(color="rgba(100,116,139,0.55)", width=2),
                    hoverinfo="skip",
                    name="Close date moved",
                    legendgroup="moved",
                    xaxis="x",
                    yaxis="y",
                )
            )
            traces.append(
                dict(
                    type="scattergl",
                    x=x0,
                    y=m["_y"].to_numpy(),
                    mode="markers",
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup="moved",
                    name="Where it was",
                    xaxis="x",
                    yaxis="y",
                    marker=dict(
                        size=m["_size"].to_numpy() * 0.7,
                        color="rgba(0,0,0,0)",
                        line=dict(color="rgba(100,116,139,0.7)", width=1.5),
                    ),
                )
            )
    for kind in s.KINDS:
        k = d[(d["_kind"] == kind).to_numpy()]
        if grouped:
            custom, template = group_customdata(k), GROUP_HOVER
        else:
            custom = deal_customdata(k, since)
            template = DEAL_HOVER.replace("KIND", s.KIND_LABEL[kind])
        marker = dict(
            size=k["_size"].to_numpy(),
            color=s.KIND_COLOUR[kind],
            symbol=s.KIND_SYMBOL[kind],
            opacity=0.9,
            line=dict(color="rgba(255,255,255,0.9)", width=1),
        )
        if kind == "lost":
            # Lost deals matter less than open ones: drawn light, so they do not crowd the road.
            marker.update(
                opacity=0.5,
                size=k["_size"].to_numpy() * 0.7,
                line=dict(color=s.KIND_COLOUR[kind], width=1.5),
            )
        traces.append(
            dict(
                type="scattergl",
                x=k["_x"].to_numpy(),
                y=k["_y"].to_numpy(),
                mode="markers",
                name=s.KIND_LABEL[kind],
                customdata=custom,
                hovertemplate=template,
                marker=marker,
                legendgroup=kind,
                xaxis="x",
                yaxis="y",
            )
        )
    if not grouped:
        # Past-due deals get a red ring drawn over their marker (not hoverable itself).
        due = (
            d[d["past_due"].fillna(False).astype(bool).to_numpy()]
            if "past_due" in d
            else d.iloc[0:0]
        )
        traces.append(
            dict(
                type="scattergl",
                x=due["_x"].to_numpy(),
                y=due["_y"].to_numpy(),
                mode="markers",
                name="Past due",
                xaxis="x",
                yaxis="y",
                hoverinfo="skip",
                legendgroup="past_due",
                marker=dict(
                    size=due["_size"].to_numpy() + 3,
                    color="rgba(0,0,0,0)",
                    line=dict(color=s.BEHIND, width=2.5),
                ),
            )
        )
    return traces


def _status_traces(
    rows: pd.DataFrame, since: dt.date | None, method: str | None = None
) -> list[dict]:
    if rows.empty:
        return []
    rows = rows.reset_index(drop=True)
    y = rows["row"].to_numpy(dtype=float)
    is_team = rows["header"].to_numpy(dtype=bool)
    if "kind" in rows.columns:
        is_team = is_team | (rows["kind"].astype("object") == "team").to_numpy(dtype=bool)
    custom = np.column_stack(
        [
            np.where(is_team, "team", "rider").astype(object),
            rows["lane"].astype("object").to_numpy(),
        ]
    )
    records = rows.to_dict("records")
    hover = [
        _status_hover(
            r,
            since,
            "click to open this team's riders" if t else "click to open this rider",
            method,
        )
        for r, t in zip(records, is_team, strict=True)
    ]

    def col(name: str) -> pd.Series:
        if name in rows.columns:
            return pd.to_numeric(rows[name], errors="coerce")
        return pd.Series(np.nan, index=rows.index)

    att, pace, cov, ready = col("attainment"), col("pace"), col("coverage"), col("readiness_index")
    odds, focus = col("chance_of_quota"), col("focus_share")
    busy = [_flagged(b) for b in _column(rows, "busy_elsewhere")]
    sitting = [_flagged(b) for b in _column(rows, "sitting_in")]
    band = _column(rows, "readiness_band").astype("object")
    band = band.where(band.notna(), None)
    traces = [
        # An invisible full-width bar per lane: the click target that opens the rider (or team).
        dict(
            type="bar",
            x=np.full(len(rows), LANDING_CAP),
            y=y,
            orientation="h",
            base=0,
            marker=dict(color="rgba(0,0,0,0)", line=dict(width=0)),
            width=0.9,
            customdata=custom,
            hovertemplate=hover,
            showlegend=False,
            name="rider",
            xaxis="x2",
            yaxis="y",
        ),
        dict(
            type="bar",
            x=att.clip(upper=ATTAINMENT_CAP).fillna(0.0).to_numpy(),
            y=y,
            orientation="h",
            base=0,
            xaxis="x2",
            yaxis="y",
            showlegend=False,
            name="attainment",
            hoverinfo="skip",
            marker=dict(
                color=[s.pace_colour(a, p) for a, p in zip(att, pace, strict=True)],
                line=dict(width=0),
            ),
            width=np.where(rows["header"], 0.5, 0.42),
            text=[s.pct(a) for a in att],
            textposition="outside",
            cliponaxis=False,
            textfont=dict(size=12, color=s.INK),
        ),
        dict(
            type="scatter",
            x=pace.to_numpy(),
            y=y,
            mode="markers",
            hoverinfo="skip",
            showlegend=False,
            name="pace",
            xaxis="x2",
            yaxis="y",
            marker=dict(symbol="line-ns", size=22, line=dict(color=s.INK, width=2.5)),
        ),
        *_landing_traces(rows, y, col),
        _text_column(
            "quota odds", "x5", y, [s.pct(c) for c in odds], [_odds_colour(c) for c in odds], custom
        ),
        _text_column(
            "coverage",
            "x3",
            y,
            [s.times(c) for c in cov],
            [_coverage_colour(c) for c in cov],
            custom,
        ),
        _text_column(
            "focus",
            "x6",
            y,
            ["" if s.is_missing(f) else s.pct(f) for f in focus],
            [s.BEHIND if b else s.MUTED for b in busy],
            custom,
        ),
        _text_column(
            "sitting in",
            "x7",
            y,
            ["sits in" if b else "" for b in sitting],
            [s.BEHIND] * len(sitting),
            custom,
        ),
        dict(
            type="scatter",
            x=np.full(len(rows), 0.22),
            y=y,
            mode="markers+text",
            marker=dict(size=13, color=[s.BAND_COLOUR.get(b, s.BAND_COLOUR[None]) for b in band]),
            text=["" if s.is_missing(v) else f"{float(v):.0f}" for v in ready],
            textposition="middle right",
            textfont=dict(size=12, color=s.MUTED),
            customdata=custom,
            hoverinfo="none",
            showlegend=False,
            name="form",
            xaxis="x4",
            yaxis="y",
        ),
    ]
    return traces


def _text_column(
    name: str, axis: str, y: np.ndarray, text: list[str], colours: list[str], custom
) -> dict:
    """A status column of coloured words, one per lane, hovering as the lane's status."""
    return dict(
        type="scatter",
        x=np.full(len(y), 0.5),
        y=y,
        mode="text",
        text=text,
        customdata=custom,
        hoverinfo="none",
        textfont=dict(size=13, color=colours),
        showlegend=False,
        name=name,
        xaxis=axis,
        yaxis="y",
    )


def _landing_traces(rows: pd.DataFrame, y: np.ndarray, col) -> list[dict]:
    """The landing range under each bar, on the bar's scale (won at the finish ÷ quota): a line
    from p10 to p90 with end ticks and a diamond at p50; a range reaching past the column's end
    (``LANDING_CAP``) ends in an arrow there, and a p50 past it is not drawn. Lanes without a
    quota or a range have none."""
    quota = col("quota").where(col("quota") > 0)
    if "no_quota" in rows.columns:
        quota = quota.where(~rows["no_quota"].astype("boolean").fillna(False).astype(bool))
    p10, p50, p90 = (col(k) / quota for k in ("p10", "p50", "p90"))
    keep = (p10.notna() & p90.notna()).to_numpy()
    if not keep.any():
        return []
    lo, hi = (v.clip(lower=0.0, upper=LANDING_CAP).to_numpy()[keep] for v in (p10, p90))
    mid = p50.where(p50 <= LANDING_CAP).to_numpy()[keep]
    beyond = p90.to_numpy()[keep] > LANDING_CAP
    ly = y[keep] + LANDING_OFFSET
    nan = np.full(len(ly), np.nan)
    common = dict(hoverinfo="skip", xaxis="x2", yaxis="y", legendgroup="landing")
    return [
        dict(
            type="scatter",
            x=np.column_stack([lo, hi, nan]).ravel(),
            y=np.column_stack([ly, ly, nan]).ravel(),
            mode="lines",
            line=dict(color=LANDING_COLOUR, width=2),
            name="Lands p10–p90 at the finish (◆ p50)",
            showlegend=True,
            **common,
        ),
        dict(
            type="scatter",
            x=np.concatenate([np.where(lo < LANDING_CAP, lo, np.nan), hi]),
            y=np.concatenate([ly, ly]),
            mode="markers",
            marker=dict(
                symbol=["line-ns"] * len(ly)
                + ["triangle-right" if b else "line-ns" for b in beyond],
                size=7,
                color=LANDING_COLOUR,
                line=dict(color=LANDING_COLOUR, width=1.5),
            ),
            name="landing ends",
            showlegend=False,
            **common,
        ),
        dict(
            type="scatter",
            x=mid,
            y=ly,
            mode="markers",
            marker=dict(
                symbol="diamond", size=8, color=LANDING_COLOUR, line=dict(color="#ffffff", width=1)
            ),
            name="landing p50",
            showlegend=False,
            **common,
        ),
    ]


def figure_bytes(fig: go.Figure | dict) -> int:
    """The size of the figure as Dash sends it (JSON), for benchmarks."""
    from plotly.io.json import to_json_plotly

    data = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig
    return len(to_json_plotly(data).encode())
