"""Deal plans on the course (DESIGN §12): each step a small tick on its deal's lane at its due
day; at-risk steps in red, done ones grey.

Pure builders: a drawn course figure (as Plotly's plain dict) and the plans' steps in, the same
figure with ONE more trace out (all ticks in one trace, however many steps, always the figure's
last: an edit replaces that trace alone, ``plan_tick_slot``). The deals' rows are
read from the figure's own deal markers (customdata ``["deal", source, deal_id, ...]``), so the
ticks land on the lanes the figure drew, and a click on a tick opens its deal like a click on
the deal does.
"""

from __future__ import annotations

import base64
import datetime as dt

import numpy as np
import pandas as pd

from dashboard.figures import style as s
from dashboard.figures.course import BEYOND
from dashboard.metrics.plans import kind_label

TICK_NAME = "Plan steps (red: at risk)"
DONE_COLOUR = "#9ca3af"
TICK_HOVER = (
    "<b>%{customdata[3]}</b><br>%{customdata[4]}<br>%{customdata[5]}"
    "<br><i>click for the deal and its plan</i><extra></extra>"
)


def _array(value, dtype=None) -> np.ndarray:
    """A trace's array as drawn: a list, an array, or Plotly's base64 typed array (``bdata``)."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if shape:
            dims = [int(n) for n in str(shape).split(",")] if isinstance(shape, str) else shape
            out = out.reshape(dims)
        return out.astype(dtype) if dtype else out
    return np.asarray(value, dtype=dtype)


def deal_positions(figure: dict) -> pd.DataFrame:
    """``source, deal_id, y`` of every deal marker the figure draws (one row per deal)."""
    parts = []
    for trace in figure.get("data") or []:
        custom = trace.get("customdata")
        if custom is None or trace.get("mode") != "markers" or len(custom) == 0:
            continue
        custom = _array(custom, object)
        if custom.ndim != 2 or custom.shape[1] < 3:
            continue
        is_deal = custom[:, 0] == "deal"
        if not is_deal.any():
            continue
        ys = _array(trace.get("y"), float)
        parts.append(
            pd.DataFrame(
                {
                    "source": custom[is_deal, 1].astype(str),
                    "deal_id": custom[is_deal, 2].astype(str),
                    "y": ys[is_deal],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["source", "deal_id", "y"])
    return pd.concat(parts, ignore_index=True).drop_duplicates(["source", "deal_id"])


def plan_tick_trace(
    steps: pd.DataFrame, positions: pd.DataFrame, quarter_start: dt.date, days: int
) -> dict | None:
    """One scatter trace of ticks: each step with a due day, on its deal's lane (``positions``).

    Args:
        steps: ``dashboard.metrics.plans.STEP_COLUMNS`` plus ``at_risk`` (bool) and ``risk``
            (why, or None).
        positions: ``deal_positions`` of the figure.
        quarter_start, days: the course's x axis (day 0 is the quarter's first day).

    Returns:
        The trace, or None when no step of a drawn deal has a due day.
    """
    if steps.empty or positions.empty:
        return None
    on = steps[steps["due"].notna()].merge(positions, on=["source", "deal_id"])
    if on.empty:
        return None
    due = pd.to_datetime(on["due"])
    x = ((due - pd.Timestamp(quarter_start)) / pd.Timedelta(days=1) + 0.5).to_numpy(float)
    x = np.clip(x, -0.5, days + BEYOND)
    done = (on["status"] == "done").to_numpy()
    risky = on["at_risk"].astype(bool).to_numpy()
    colour = np.where(risky, s.BEHIND, np.where(done, DONE_COLOUR, s.INK))
    what = [
        s.esc(f"{kind_label(k)}: {t}" if kind_label(k) != t else t)
        for k, t in zip(on["kind"], on["title"], strict=True)
    ]
    who = [s.esc(o) if isinstance(o, str) else "no owner" for o in on["owner"].astype("object")]
    state = [
        f"Due {d:%-d %b} · " + ("done" if dn else f"<b>at risk</b>: {s.esc(r)}" if rk else "open")
        for d, dn, rk, r in zip(due, done, risky, on["risk"], strict=True)
    ]
    custom = np.column_stack(
        [
            np.full(len(on), "deal", dtype=object),
            on["source"].astype(str).to_numpy(dtype=object),
            on["deal_id"].astype(str).to_numpy(dtype=object),
            np.asarray(what, dtype=object),
            np.asarray(who, dtype=object),
            np.asarray(state, dtype=object),
        ]
    )
    return dict(
        type="scatter",
        x=x.astype(np.float32),
        # a hair above the road, so a tick under a deal's marker still shows its ends
        y=(on["y"].to_numpy(float) - 0.12).astype(np.float32),
        mode="markers",
        name=TICK_NAME,
        legendgroup="plans",
        customdata=custom,
        hovertemplate=TICK_HOVER,
        marker=dict(
            symbol="line-ns",
            size=13,
            color=colour.tolist(),
            line=dict(color=colour.tolist(), width=3),
        ),
        xaxis="x",
        yaxis="y",
    )


def no_ticks() -> dict:
    """The tick trace with no tick in it: it keeps the ticks' place (the figure's last trace), so
    an edit can replace that one trace in the browser (``plan_tick_slot``)."""
    return dict(
        type="scatter",
        x=[],
        y=[],
        mode="markers",
        name=TICK_NAME,
        legendgroup="plans",
        showlegend=False,
        hoverinfo="skip",
        xaxis="x",
        yaxis="y",
    )


def plan_tick_slot(
    figure: dict, steps: pd.DataFrame, quarter_start: dt.date, days: int
) -> tuple[int, dict]:
    """Where the ticks go on a drawn course figure (without ticks) and what goes there: the
    index after its traces and the tick trace (``no_ticks`` when no step falls on it)."""
    trace = plan_tick_trace(steps, deal_positions(figure), quarter_start, days) or no_ticks()
    data = figure.get("data") or []
    # the deals' own trace type: WebGL markers are drawn above SVG ones, so ticks in SVG would
    # hide under a large deal; in the same layer, drawn last, they sit on top
    if any(t.get("type") == "scattergl" for t in data):
        trace = {**trace, "type": "scattergl"}
    return len(data), trace


def with_plan_ticks(figure: dict, steps: pd.DataFrame, quarter_start: dt.date, days: int) -> dict:
    """``figure`` with the ticks of its deals' plans added as its last trace (a new dict: the
    drawn figure is shared by the cache and left as it was); with no tick on it, that trace is
    ``no_ticks()``, so the ticks always have their place."""
    _at, trace = plan_tick_slot(figure, steps, quarter_start, days)
    return {**figure, "data": [*(figure.get("data") or []), trace]}


__all__ = [
    "TICK_NAME",
    "deal_positions",
    "no_ticks",
    "plan_tick_slot",
    "plan_tick_trace",
    "with_plan_ticks",
]
