"""Deal kinds: what the course calls each deal, and the markers it groups deals into.

A deal on the course is a ``commit``, ``best_case``, ``pipeline`` or ``omitted`` open deal (its
forecast category), or ``won`` or ``lost``. Team lanes at scale group deals per team, week and
kind; one amount (a high percentile) sets the marker scale every page shares. Pure pandas: the
course model computes these and the figure builders draw them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

# Marker kinds on the course: open deals by forecast category, then closed ones.
KINDS = ("commit", "best_case", "pipeline", "omitted", "won", "lost")
CATEGORY_LABEL = {
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "closed": "Closed",
    "omitted": "Omitted",
}
# Days from mid-week where each kind's group of deals sits on a team lane.
KIND_SHIFT = {
    "commit": -2.1,
    "best_case": -0.7,
    "pipeline": 0.7,
    "omitted": 2.1,
    "won": -1.2,
    "lost": 1.2,
}


def marker_kind(status: pd.Series, category: pd.Series) -> pd.Series:
    """The marker kind of each deal: won, lost, or the open deal's forecast category."""
    cat = category.astype("object")
    cat = cat.where(cat.isin(["commit", "best_case", "pipeline"]), "omitted")
    st = status.astype("object")
    return cat.where(st != "won", "won").where(st != "lost", "lost")


def aggregate_by_team(
    deals: pd.DataFrame, quarter_start: dt.date, kinds: Sequence[str] = KINDS
) -> pd.DataFrame:
    """Deals grouped into one marker per team, week and kind (team lanes at scale).

    Args:
        deals: deals with ``team`` plus ``DEAL_COLUMNS``.
        quarter_start: weeks count from here.
        kinds: the marker kinds kept.

    Returns:
        One row per (team, week, kind): ``lane`` (the team), ``close_date`` (the middle of the
        week), ``amount`` (the sum), ``count``, and ``status``/``forecast_category`` standing for
        the kind, so ``make_course_figure`` draws it like a deal.
    """
    cols = [
        "lane",
        "team",
        "close_date",
        "amount",
        "count",
        "status",
        "forecast_category",
        "source",
        "deal_id",
        "deal_name",
        "account",
        "stage",
    ]
    if deals.empty:
        return pd.DataFrame(columns=cols)
    d = deals.assign(kind=marker_kind(deals["status"], deals["forecast_category"]))
    d = d[d["kind"].isin(list(kinds)).to_numpy()]
    start = pd.Timestamp(quarter_start)
    offset = (pd.to_datetime(d["close_date"]).astype("datetime64[ns]") - start).dt.days
    d = d.assign(
        _week=(offset // 7).clip(lower=-1),
        _amount=pd.to_numeric(d["amount"], errors="coerce").fillna(0.0),
        _team=d["team"].astype("object"),
    )
    g = (
        d.groupby(["_team", "_week", "kind"], sort=True)
        .agg(amount=("_amount", "sum"), count=("_amount", "size"))
        .reset_index()
    )
    g["lane"] = g["_team"]
    g["team"] = g["_team"]
    # Kinds sit side by side within their week (a group per kind would otherwise hide another).
    shift = g["kind"].map(KIND_SHIFT).fillna(0.0)
    hours = (g["_week"] * 7 + 3) * 24 + (shift * 24).round()
    g["close_date"] = start + pd.to_timedelta(hours, unit="h")
    g["status"] = np.where(g["kind"] == "won", "won", np.where(g["kind"] == "lost", "lost", "open"))
    g["forecast_category"] = np.where(g["kind"].isin(["won", "lost"]), "closed", g["kind"])
    for c in ("source", "deal_id", "deal_name", "account", "stage"):
        g[c] = None
    return g[cols]


def largest_amount(amounts: pd.Series) -> float | None:
    """The 98th percentile of amounts (so one outlier does not shrink every other marker)."""
    values = pd.to_numeric(amounts, errors="coerce").dropna()
    values = values[values > 0]
    if values.empty:
        return None
    q = float(values.quantile(0.98))
    return q if q > 0 and not math.isnan(q) else None
