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

ROW_PX = 13
BASE_PX = 170
MAX_STACK = 9            # riders stacked per side before the swarm wraps onto itself
LABELS = 3               # movers named on the chart, up and down each


def swarm_offsets(x: np.ndarray, width: float) -> np.ndarray:
    """Vertical offsets that stack points closer than ``width`` on x: 0, +1, -1, +2, -2, ...

    Deterministic: points are placed in order of x (then position), so the same riders always
    land in the same spots.
    """
    n = len(x)
    out = np.zeros(n)
    if n == 0 or width <= 0:
        return out
    order = np.argsort(x, kind="stable")
    placed: list[tuple[float, int]] = []
    for i in order:
        xi = x[i]
        near = {lvl for (xp, lvl) in placed if abs(xp - xi) < width}
        level = 0
        k = 0
        while level in near:
            k += 1
            level = (k + 1) // 2 if k % 2 else -(k // 2)
            if abs(level) > MAX_STACK:
                level = int(((i * 7919) % (2 * MAX_STACK + 1)) - MAX_STACK)
                break
        placed.append((xi, level))
        placed = [(xp, lvl) for (xp, lvl) in placed if xi - xp < width]
        out[i] = level
    return out


def zone(attainment: float, pace: float) -> str:
    """``breakaway``, ``peloton`` or ``dropped`` for one rider."""
    gap = round(attainment - pace, 9)          # 0.7 - 0.6 is 0.0999...: points, not float noise
    if gap >= s.BREAKAWAY:
        return "breakaway"
    if gap <= s.DROPPED:
        return "dropped"
    return "peloton"


def make_peloton_figure(riders: pd.DataFrame, *, pace: float, since: dt.date | None = None,
                        highlight: str | None = None) -> go.Figure:
    """The peloton strip.

    Args:
        riders: one row per rep: ``rep``, ``team``, ``attainment`` (NaN for reps without quota:
            they are left out and counted under the chart), optional ``attainment_since`` (their
            attainment on the comparison day), ``rank`` and ``rank_change`` (positive = moved up).
        pace: the share of the quarter elapsed (the pace line).
        since: the comparison day, named in hover text.
        highlight: a rep to ring (the one searched for).

    Returns:
        The figure; each marker's customdata is ``["rider", rep]``.
    """
    df = riders.copy()
    df["attainment"] = pd.to_numeric(df.get("attainment"), errors="coerce")
    placed = df[df["attainment"].notna()].reset_index(drop=True)
    unplaced = len(df) - len(placed)
    top = float(placed["attainment"].quantile(0.99)) + 0.08 if len(placed) else 0.0
    hi = min(max(1.2, pace + 0.3, top), 2.0)
    x = placed["attainment"].clip(upper=hi - 0.02).to_numpy(dtype=float)
    levels = swarm_offsets(x, hi / 70)
    stack = min(int(np.abs(levels).max()) if len(levels) else 0, MAX_STACK)
    layout = s.base_layout(BASE_PX + ROW_PX * 2 * stack)
    layout.update(margin=dict(l=12, r=12, t=34, b=34), hovermode="closest", clickmode="event",
                  xaxis=dict(range=[0, hi], tickformat=".0%", showgrid=False, zeroline=False,
                             fixedrange=True, ticks="outside", tickfont=dict(size=11,
                                                                             color=s.MUTED)),
                  yaxis=dict(range=[-(stack + 1.5), stack + 1.5], visible=False,
                             fixedrange=True))
    shapes, notes = [], []
    # Zones: dropped | peloton | breakaway, around the pace line.
    lo_edge, hi_edge = max(pace + s.DROPPED, 0.0), min(pace + s.BREAKAWAY, hi)
    for x0, x1, colour, label in ((0.0, lo_edge, "rgba(220,38,38,0.06)", "Dropped"),
                                  (lo_edge, hi_edge, "rgba(148,163,184,0.12)", "Peloton"),
                                  (hi_edge, hi, "rgba(15,118,110,0.07)", "Breakaway")):
        if x1 - x0 < 1e-9:
            continue
        shapes.append(dict(type="rect", x0=x0, x1=x1, y0=0, y1=1, yref="paper",
                           fillcolor=colour, line=dict(width=0), layer="below"))
        notes.append(dict(x=(x0 + x1) / 2, y=1, yref="paper", yanchor="bottom", text=label,
                          showarrow=False, font=dict(size=12, color=s.MUTED)))
    shapes += [dict(type="line", x0=pace, x1=pace, y0=0, y1=1, yref="paper",
                    line=dict(color=s.INK, width=2)),
               dict(type="line", x0=1, x1=1, y0=0, y1=1, yref="paper",
                    line=dict(color="#9ca3af", width=1, dash="dot"))]
    notes.append(dict(x=pace, y=0, yref="paper", yanchor="bottom", showarrow=False,
                      text=f"<b>pace {s.pct(pace)}</b>", font=dict(size=12, color=s.INK),
                      bgcolor="rgba(255,255,255,0.85)"))
    if unplaced:
        notes.append(dict(x=1, xref="paper", y=0, yref="paper", yanchor="top", xanchor="right",
                          yshift=-16, showarrow=False, font=dict(size=11, color=s.MUTED),
                          text=f"{unplaced} rider{'s' if unplaced != 1 else ''} without quota "
                               "not placed"))

    change = pd.to_numeric(placed.get("rank_change", pd.Series(np.nan, index=placed.index)),
                           errors="coerce")
    traces = []
    if "attainment_since" in placed.columns:
        before = pd.to_numeric(placed["attainment_since"], errors="coerce").clip(upper=hi - 0.02)
        moved = (before.notna() & (before.round(4) != placed["attainment"].round(4))).to_numpy()
        if moved.any():
            nan = np.full(int(moved.sum()), np.nan)
            traces.append(dict(
                type="scattergl", mode="lines", hoverinfo="skip", name="since",
                x=np.column_stack([before.to_numpy()[moved], x[moved], nan]).ravel(),
                y=np.column_stack([levels[moved], levels[moved], nan]).ravel(),
                line=dict(color="rgba(100,116,139,0.35)", width=2), showlegend=False))
    ring = ((placed["rep"].astype("object") == highlight).to_numpy() if highlight
            else np.zeros(len(placed), dtype=bool))
    records = placed.to_dict("records")
    traces.append(dict(
        type="scattergl", mode="markers", name="riders", x=x, y=levels, showlegend=False,
        customdata=np.column_stack([np.full(len(placed), "rider", dtype=object),
                                    placed["rep"].astype("object").to_numpy()]),
        hovertemplate=[_hover(r, pace, since) for r in records],
        marker=dict(size=np.where(change.fillna(0).to_numpy() != 0, 12, 10),
                    symbol=np.where(change > 0, "triangle-up",
                                    np.where(change < 0, "triangle-down", "circle")),
                    color=[s.pace_colour(a, pace) for a in placed["attainment"]], opacity=0.92,
                    line=dict(color=np.where(ring, s.INK, "#ffffff"),
                              width=np.where(ring, 3, 1)))))
    notes += _mover_labels(placed, x, levels, change)
    layout["shapes"] = shapes
    layout["annotations"] = notes
    return go.Figure(data=traces, layout=layout, _validate=False)


def _hover(r: pd.Series, pace: float, since: dt.date | None) -> str:
    att = float(r["attainment"])
    lines = [f"<b>{s.esc(r.get('rep'))}</b> · {s.esc(r.get('team'))}",
             f"Attainment <b>{s.pct(att)}</b> vs pace {s.pct(pace)} ({s.points(att - pace)})",
             f"In the {zone(att, pace)}"]
    rank = r.get("rank")
    if not s.is_missing(rank):
        lines.append(f"Rank {int(rank)}")
    change = r.get("rank_change")
    if since is not None and not s.is_missing(change):
        c = int(change)
        when = s.day(since, "%d %b")
        lines.append(f"{'Up' if c > 0 else 'Down'} {abs(c)} place{'s' if abs(c) != 1 else ''} "
                     f"since {when}" if c else f"Same place as on {when}")
    lines.append("<i>click to open this rider</i>")
    return "<br>".join(lines) + "<extra></extra>"


def _mover_labels(placed: pd.DataFrame, x: np.ndarray, levels: np.ndarray,
                  change: pd.Series) -> list[dict]:
    """Name the riders who moved most (up and down), with staggered leaders so labels clear."""
    if change.notna().sum() == 0:
        return []
    ups = change[change > 0].sort_values(ascending=False, kind="stable").head(LABELS).index
    downs = change[change < 0].sort_values(kind="stable").head(LABELS).index
    chosen = sorted([*ups, *downs], key=lambda i: x[i])
    notes = []
    for k, idx in enumerate(chosen):
        c = int(change[idx])
        up = levels[idx] >= 0
        lift = 22 + 16 * (k % 3)
        notes.append(dict(
            x=x[idx], y=levels[idx], ax=0, ay=-lift if up else lift, showarrow=True,
            arrowhead=0, arrowwidth=1, arrowcolor="#9ca3af",
            text=f"{s.esc(placed.loc[idx, 'rep'])} {'▲' if c > 0 else '▼'}{abs(c)}",
            font=dict(size=11, color=s.AHEAD if c > 0 else s.BEHIND),
            bgcolor="rgba(255,255,255,0.85)"))
    return notes
