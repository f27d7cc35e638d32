"""The peloton: every rider placed by attainment against the pace line.

Riders ahead of pace by ``style.BREAKAWAY`` or more are in the breakaway, those behind by more
than ``style.DROPPED`` are dropped, the rest ride in the peloton. Each rider's marker says whether
they moved up or down the ranking since the comparison day, with a faint trail from where their
attainment stood then. Riders are stacked where they bunch (a beeswarm), so none hides another.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import style as s
from dashboard.figures.common import with_scatter_type

BASE_PX = 170
PLOT_PX = 1300  # the strip's usual width in pixels, to space riders by marker size
MAX_STACK = 9  # riders stacked per side before the swarm wraps onto itself
LABELS = 3  # movers named on the chart, up and down each


def swarm_offsets(x: np.ndarray, width: float, max_stack: int = MAX_STACK) -> np.ndarray:
    """Vertical offsets that stack riders who would overlap: 0, +1, -1, +2, -2, ...

    Riders are binned by ``width`` along x and stacked within their bin in order of x, so the
    same riders always land in the same spots; past ``max_stack`` on each side the stack wraps.
    Linear in the number of riders (2,000 riders take a millisecond).
    """
    n = len(x)
    if n == 0 or width <= 0:
        return np.zeros(n)
    order = np.argsort(x, kind="stable")
    bins = np.floor(np.asarray(x, dtype=float)[order] / width).astype(np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(bins)) + 1]
    counts = np.diff(np.r_[starts, n])
    rank = (np.arange(n) - np.repeat(starts, counts)) % (2 * max_stack + 1)
    level = np.where(rank % 2 == 1, (rank + 1) // 2, -(rank // 2))
    out = np.empty(n)
    out[order] = level
    return out


def zone(attainment: float, pace: float) -> str:
    """``breakaway``, ``peloton`` or ``dropped`` for one rider."""
    gap = round(attainment - pace, 9)  # 0.7 - 0.6 is 0.0999...: points, not float noise
    if gap >= s.BREAKAWAY:
        return "breakaway"
    if gap <= s.DROPPED:
        return "dropped"
    return "peloton"


def make_peloton_figure(
    riders: pd.DataFrame, *, pace: float, since: dt.date | None = None, highlight: str | None = None
) -> go.Figure:
    """The peloton strip.

    Args:
        riders: one row per rep: ``rep``, ``team``, ``attainment`` (NaN for reps without quota:
            they are left out and counted under the chart), optional ``attainment_since`` (their
            attainment on the comparison day), ``rank`` and ``rank_change`` (positive = moved up).
        pace: the share of the quarter elapsed (the pace line).
        since: the comparison day, named in hover text.
        highlight: a rep to ring (the one searched for).

    Returns:
        The figure; each marker's customdata starts with the rider's name, HTML-escaped.
    """
    df = riders.copy()
    df["attainment"] = pd.to_numeric(df.get("attainment"), errors="coerce")
    placed = df[df["attainment"].notna()].reset_index(drop=True)
    unplaced = len(df) - len(placed)
    top = float(placed["attainment"].quantile(0.99)) + 0.08 if len(placed) else 0.0
    hi = min(max(1.2, pace + 0.3, top), 2.0)
    x = placed["attainment"].clip(upper=hi - 0.02).to_numpy(dtype=float)
    size, row_px, max_stack = density(len(placed))
    levels = swarm_offsets(x, hi * (size + 1) / PLOT_PX, max_stack)
    stack = int(np.abs(levels).max()) if len(levels) else 0
    layout = s.base_layout(BASE_PX + row_px * 2 * stack)
    layout.update(
        margin=dict(l=12, r=12, t=34, b=34),
        hovermode="closest",
        clickmode="event",
        xaxis=dict(
            range=[0, hi],
            tickformat=".0%",
            showgrid=False,
            zeroline=False,
            fixedrange=True,
            ticks="outside",
            tickfont=dict(size=11, color=s.MUTED),
        ),
        yaxis=dict(range=[-(stack + 1.5), stack + 1.5], visible=False, fixedrange=True),
    )
    shapes, notes = [], []
    # Zones: dropped | peloton | breakaway, around the pace line.
    lo_edge, hi_edge = max(pace + s.DROPPED, 0.0), min(pace + s.BREAKAWAY, hi)
    for x0, x1, colour, label in (
        (0.0, lo_edge, "rgba(220,38,38,0.06)", "Dropped"),
        (lo_edge, hi_edge, "rgba(148,163,184,0.12)", "Peloton"),
        (hi_edge, hi, "rgba(15,118,110,0.07)", "Breakaway"),
    ):
        if x1 - x0 < 1e-9:
            continue
        shapes.append(
            dict(
                type="rect",
                x0=x0,
                x1=x1,
                y0=0,
                y1=1,
                yref="paper",
                fillcolor=colour,
                line=dict(width=0),
                layer="below",
            )
        )
        notes.append(
            dict(
                x=(x0 + x1) / 2,
                y=1,
                yref="paper",
                yanchor="bottom",
                text=label,
                showarrow=False,
                font=dict(size=12, color=s.MUTED),
            )
        )
    shapes += [
        dict(
            type="line", x0=pace, x1=pace, y0=0, y1=1, yref="paper", line=dict(color=s.INK, width=2)
        ),
        dict(
            type="line",
            x0=1,
            x1=1,
            y0=0,
            y1=1,
            yref="paper",
            line=dict(color="#9ca3af", width=1, dash="dot"),
        ),
    ]
    notes.append(
        dict(
            x=pace,
            y=0,
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            text=f"<b>pace {s.pct(pace)}</b>",
            font=dict(size=12, color=s.INK),
            bgcolor="rgba(255,255,255,0.85)",
        )
    )
    if unplaced:
        notes.append(
            dict(
                x=1,
                xref="paper",
                y=0,
                yref="paper",
                yanchor="top",
                xanchor="right",
                yshift=-16,
                showarrow=False,
                font=dict(size=11, color=s.MUTED),
                text=f"{unplaced} rider{'s' if unplaced != 1 else ''} without quota not placed",
            )
        )

    change = pd.to_numeric(
        placed.get("rank_change", pd.Series(np.nan, index=placed.index)), errors="coerce"
    )
    when = s.day(since, "%d %b") if since is not None else "the comparison day"
    traces = []
    if "attainment_since" in placed.columns:
        before = pd.to_numeric(placed["attainment_since"], errors="coerce").clip(upper=hi - 0.02)
        moved = (before.notna() & (before.round(4) != placed["attainment"].round(4))).to_numpy()
        if moved.any():
            nan = np.full(int(moved.sum()), np.nan)
            traces.append(
                dict(
                    type="scattergl",
                    mode="lines",
                    hoverinfo="skip",
                    name="since",
                    x=np.column_stack([before.to_numpy()[moved], x[moved], nan]).ravel(),
                    y=np.column_stack([levels[moved], levels[moved], nan]).ravel(),
                    line=dict(color="rgba(100,116,139,0.35)", width=2),
                    showlegend=False,
                )
            )
    custom = rider_customdata(placed, pace, since)
    colour = np.array([s.pace_colour(a, pace) for a in placed["attainment"]], dtype=object)
    ch = change.fillna(0).to_numpy()
    # One trace per colour (a colour per point would cost 9 bytes each at 2,000 riders);
    # symbols as Plotly's numbers: 0 circle, 5 triangle-up, 6 triangle-down.
    for tone, name in (
        (s.AHEAD, "ahead of pace"),
        (s.NEAR, "a little behind"),
        (s.BEHIND, "dropped"),
        (s.NO_VALUE, "no pace"),
    ):
        m = colour == tone
        if not m.any():
            continue
        traces.append(
            dict(
                type="scattergl",
                mode="markers",
                name=name,
                x=x[m].astype(np.float32),
                y=levels[m].astype(np.float32),
                showlegend=False,
                customdata=custom[m],
                hovertemplate=HOVER.replace("PACE", s.pct(pace)).replace("SINCE", when),
                marker=dict(
                    size=np.where(ch[m] != 0, size + 2, size).astype(np.int8),
                    symbol=np.where(ch[m] > 0, 5, np.where(ch[m] < 0, 6, 0)).astype(np.int8),
                    color=tone,
                    opacity=0.92,
                    line=dict(color="#ffffff", width=1),
                ),
            )
        )
    if highlight is not None:
        ring = (placed["rep"].astype("object") == highlight).to_numpy()
        if ring.any():
            traces.append(
                dict(
                    type="scattergl",
                    mode="markers",
                    name="searched",
                    x=x[ring],
                    y=levels[ring],
                    hoverinfo="skip",
                    showlegend=False,
                    marker=dict(
                        size=size + 10, color="rgba(0,0,0,0)", line=dict(color=s.INK, width=3)
                    ),
                )
            )
    notes += _mover_labels(placed, x, levels, change)
    layout["shapes"] = shapes
    layout["annotations"] = notes
    traces = with_scatter_type(traces, len(riders))  # WebGL only for a large company
    return go.Figure(data=traces, layout=layout, _validate=False)


HOVER = (
    "<b>%{customdata[0]}</b> · %{customdata[1]}<br>"
    "Attainment <b>%{customdata[2]}</b> vs pace PACE (%{customdata[3]})<br>"
    "In the %{customdata[4]} · rank %{customdata[5]}, %{customdata[6]} since SINCE<br>"
    "<i>click to open this rider</i><extra></extra>"
)


def density(n: int) -> tuple[int, int, int]:
    """Marker size, pixels per stacked row and stack depth for ``n`` riders."""
    if n <= 150:
        return 10, 13, MAX_STACK
    if n <= 600:
        return 8, 8, 14
    return 6, 5, 30


def rider_customdata(placed: pd.DataFrame, pace: float, since: dt.date | None) -> np.ndarray:
    """Per rider, escaped for the hover: name (unescaped again to follow a click), team,
    attainment, gap to pace, zone, rank and places moved (``▲2``, ``▼1``, ``=``)."""
    n = len(placed)
    if n == 0:
        return np.empty((0, 7), dtype=object)
    att = placed["attainment"].astype(float).to_numpy()
    rank = pd.to_numeric(placed.get("rank", pd.Series(np.nan, index=placed.index)), errors="coerce")
    change = pd.to_numeric(
        placed.get("rank_change", pd.Series(np.nan, index=placed.index)), errors="coerce"
    )
    moves = [
        "—"
        if since is None or pd.isna(c)
        else ("=" if int(c) == 0 else f"{'▲' if c > 0 else '▼'}{abs(int(c))}")
        for c in change
    ]
    team = placed["team"] if "team" in placed else pd.Series([None] * n, index=placed.index)
    return np.column_stack(
        [
            placed["rep"].map(s.esc).to_numpy(dtype=object),
            team.map(s.esc).to_numpy(dtype=object),
            np.array([s.pct(a) for a in att], dtype=object),
            np.array([s.points(a - pace) for a in att], dtype=object),
            np.array([zone(a, pace) for a in att], dtype=object),
            np.array([s.MISSING if pd.isna(r) else str(int(r)) for r in rank], dtype=object),
            np.array(moves, dtype=object),
        ]
    )


def _mover_labels(
    placed: pd.DataFrame, x: np.ndarray, levels: np.ndarray, change: pd.Series
) -> list[dict]:
    """Name the riders who moved most (up and down), with staggered leaders so labels clear."""
    if change.notna().sum() == 0:
        return []
    labels = LABELS if len(placed) <= 150 else 1  # a crowd leaves room for few names
    ups = change[change > 0].sort_values(ascending=False, kind="stable").head(labels).index
    downs = change[change < 0].sort_values(kind="stable").head(labels).index
    chosen = sorted([*ups, *downs], key=lambda i: x[i])
    notes = []
    for k, idx in enumerate(chosen):
        c = int(change[idx])
        up = levels[idx] >= 0
        lift = 22 + 16 * (k % 3)
        edge = x[idx] / max(float(x.max()), 1e-9) if len(x) else 0.5
        notes.append(
            dict(
                x=x[idx],
                y=levels[idx],
                ax=0,
                ay=-lift if up else lift,
                showarrow=True,
                xanchor="right" if edge > 0.85 else ("left" if edge < 0.15 else "center"),
                arrowhead=0,
                arrowwidth=1,
                arrowcolor="#9ca3af",
                text=f"{s.esc(placed.loc[idx, 'rep'])} {'▲' if c > 0 else '▼'}{abs(c)}",
                font=dict(size=11, color=s.AHEAD if c > 0 else s.BEHIND),
                bgcolor="rgba(255,255,255,0.85)",
            )
        )
    return notes
