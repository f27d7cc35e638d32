"""The figures of docs/metrics.md for reps and teams, and the deals behind each one.

``deal_flags`` marks every deal of the ``as_of`` state with what it counts towards (won in
quarter, open in quarter, past due, stale, ...). Every figure is then a sum, count, mean or median
of flagged rows, so ``rows_behind`` returns exactly the rows a figure was made from.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.metrics.frames import DEAL_KEY, cents, ts

# The keys of a figure set, in the order of the JSON.
FIGURE_KEYS = (
    "quota",
    "won",
    "attainment",
    "pace",
    "pace_gap",
    "open_pipeline",
    "past_due_deals",
    "commit",
    "best_case",
    "commit_forecast",
    "best_case_forecast",
    "weighted_pipeline",
    "coverage",
    "win_rate",
    "avg_won_deal",
    "cycle_days",
    "velocity",
    "stale_deals",
    "needed_pipeline",
    "needed_deals",
    "readiness_index",
)
MONEY_KEYS = (
    "quota",
    "won",
    "pace_gap",
    "open_pipeline",
    "commit",
    "best_case",
    "commit_forecast",
    "best_case_forecast",
    "weighted_pipeline",
    "avg_won_deal",
    "velocity",
    "needed_pipeline",
)
COUNT_KEYS = ("past_due_deals", "stale_deals", "needed_deals")
WIN_RATE_DAYS = 365  # [as_of - 364, as_of]

# Which flagged rows stand behind each figure (OR of the flags).
ROWS_BEHIND = {
    "won": ("won_in_quarter",),
    "attainment": ("won_in_quarter",),
    "pace_gap": ("won_in_quarter",),
    "open_pipeline": ("open_in_quarter",),
    "past_due_deals": ("past_due",),
    "commit": ("commit",),
    "best_case": ("best_case",),
    "commit_forecast": ("won_in_quarter", "commit"),
    "best_case_forecast": ("won_in_quarter", "commit", "best_case"),
    "weighted_pipeline": ("open_in_quarter",),
    "coverage": ("open_in_quarter", "won_in_quarter"),
    "win_rate": ("won_in_window", "lost_in_window"),
    "avg_won_deal": ("won_in_window",),
    "cycle_days": ("in_cycle",),
    "velocity": ("open_in_quarter", "won_in_window", "lost_in_window"),
    "stale_deals": ("stale",),
    "needed_pipeline": ("open_in_quarter", "won_in_quarter", "won_in_window", "lost_in_window"),
    "needed_deals": ("won_in_quarter", "won_in_window"),
    "hygiene": ("open_in_quarter",),
}


def pace(quarter, as_of: dt.date) -> float:
    """Share of the quarter elapsed on ``as_of``: ((as_of - start) + 1) clamped to [0, days] / days."""
    elapsed = (ts(as_of) - ts(quarter.start)).days + 1
    return min(max(elapsed, 0), quarter.days) / quarter.days


def _text_present(s: pd.Series) -> pd.Series:
    return s.notna() & (s.astype("object").fillna("").astype(str).str.strip() != "")


def deal_flags(
    state: pd.DataFrame,
    quarter,
    as_of: dt.date,
    touches: pd.DataFrame | None = None,
    stale_days: int = 14,
) -> pd.DataFrame:
    """Mark each deal of the ``as_of`` state with the figures it counts towards.

    Args:
        state: the deals on ``as_of`` (``deal_state_at``), with ``rep``/``team`` if attached.
        quarter: the fiscal quarter (``start``, ``end``, ``days``).
        as_of: the day of the figures.
        touches: last completed activity on or before ``as_of`` per deal
            (``source, deal_id, last_touch``); None when no activities are loaded.
        stale_days: a deal with no activity in ``[as_of - (stale_days - 1), as_of]`` is stale.

    Returns:
        ``state`` plus ``cents``, ``in_quarter``, ``open_in_quarter``, ``won_in_quarter``,
        ``past_due``, ``commit``, ``best_case``, ``weighted``, ``won_in_window``,
        ``lost_in_window``, ``cycle_days``, ``in_cycle``, ``last_touch``, ``stale``, ``no_next_step``
        and ``hygiene_ok``.
    """
    day = ts(as_of)
    start, end = ts(quarter.start), ts(quarter.end)
    df = state.copy()
    close, status = df["close_date"], df["status"]
    df["cents"] = cents(df["amount"])
    df["in_quarter"] = ((close >= start) & (close <= end)).fillna(False).astype(bool)
    is_open = (status == "open").fillna(False).astype(bool)
    df["open_in_quarter"] = is_open & df["in_quarter"]
    df["won_in_quarter"] = (
        (status == "won").fillna(False).astype(bool)
        & df["in_quarter"]
        & (close <= day).fillna(False).astype(bool)
    )
    df["past_due"] = df["open_in_quarter"] & (close < day).fillna(False).astype(bool)
    category = df["forecast_category"]
    df["commit"] = df["open_in_quarter"] & (category == "commit").fillna(False).astype(bool)
    df["best_case"] = df["open_in_quarter"] & (category == "best_case").fillna(False).astype(bool)
    df["weighted"] = np.where(
        df["open_in_quarter"], df["amount"].fillna(0.0) * df["probability"].fillna(0.0), 0.0
    )
    in_window = (
        ((close >= day - pd.Timedelta(days=WIN_RATE_DAYS - 1)) & (close <= day))
        .fillna(False)
        .astype(bool)
    )
    df["won_in_window"] = in_window & (status == "won").fillna(False).astype(bool)
    df["lost_in_window"] = in_window & (status == "lost").fillna(False).astype(bool)
    span = (close - df["created_date"]).dt.days.astype("float64")
    df["in_cycle"] = df["won_in_window"] & span.notna() & (span >= 0)
    df["cycle_days"] = span.where(df["in_cycle"])

    if touches is not None and not touches.empty:
        merged = df[DEAL_KEY].merge(touches[[*DEAL_KEY, "last_touch"]], on=DEAL_KEY, how="left")
        activity = pd.to_datetime(merged["last_touch"]).astype("datetime64[ns]").to_numpy()
        activity = pd.Series(activity, index=df.index)
    else:
        activity = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    exported = df["last_activity_date"]
    # A deal with neither an activity nor an exported last-activity date counts from its creation.
    fallback = df["created_date"].where(activity.isna() & exported.isna())
    lo = day - pd.Timedelta(days=stale_days - 1)

    def recent(s: pd.Series) -> pd.Series:
        return ((s >= lo) & (s <= day)).fillna(False).astype(bool)

    df["last_touch"] = pd.concat(
        [activity.where(activity <= day), exported.where(exported <= day), fallback], axis=1
    ).max(axis=1)
    df["stale"] = df["open_in_quarter"] & ~(recent(activity) | recent(exported) | recent(fallback))
    # Next step counts only where the export has that column (some value in the source's rows).
    has_step = _text_present(df["next_step"])
    source_has_column = has_step.groupby(df["source"]).transform("any").astype(bool)
    df["no_next_step"] = df["open_in_quarter"] & source_has_column & ~has_step
    df["hygiene_ok"] = df["open_in_quarter"] & ~df["past_due"] & ~df["stale"] & ~df["no_next_step"]
    return df


def _totals(flags: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """Per-group raw totals (integer cents and counts) of the flagged rows."""
    c = flags["cents"].to_numpy()
    parts = pd.DataFrame(
        {
            "won_c": np.where(flags["won_in_quarter"], c, 0),
            "open_c": np.where(flags["open_in_quarter"], c, 0),
            "open_n": flags["open_in_quarter"].astype("int64"),
            "past_due_deals": flags["past_due"].astype("int64"),
            "commit_c": np.where(flags["commit"], c, 0),
            "best_case_c": np.where(flags["best_case"], c, 0),
            "weighted_pipeline": flags["weighted"].astype("float64"),
            "won_w_n": flags["won_in_window"].astype("int64"),
            "lost_w_n": flags["lost_in_window"].astype("int64"),
            "won_w_c": np.where(flags["won_in_window"], c, 0),
            "stale_deals": flags["stale"].astype("int64"),
            "hygiene_ok_n": flags["hygiene_ok"].astype("int64"),
        },
        index=flags.index,
    )
    grouped = parts.groupby(key.to_numpy(), sort=False).sum()
    cycles = flags["cycle_days"].groupby(key.to_numpy(), sort=False).median()
    grouped["cycle_days"] = cycles.reindex(grouped.index)
    return grouped


def _ratios(t: pd.DataFrame, quota: pd.Series, pace_value: float) -> pd.DataFrame:
    """Figures from raw totals; NaN where a figure is undefined."""
    out = pd.DataFrame(index=t.index)
    q = quota.reindex(t.index).fillna(0.0).astype("float64")
    won = t["won_c"] / 100
    open_ = t["open_c"] / 100
    out["quota"] = q
    out["won"] = won
    out["attainment"] = (won / q).where(q > 0)
    out["pace"] = pace_value
    out["pace_gap"] = won - q * pace_value
    out["open_pipeline"] = open_
    out["past_due_deals"] = t["past_due_deals"].astype("int64")
    out["commit"] = t["commit_c"] / 100
    out["best_case"] = t["best_case_c"] / 100
    out["commit_forecast"] = (t["won_c"] + t["commit_c"]) / 100
    out["best_case_forecast"] = (t["won_c"] + t["commit_c"] + t["best_case_c"]) / 100
    out["weighted_pipeline"] = t["weighted_pipeline"].astype("float64")
    gap = q - won
    out["coverage"] = (open_ / gap).where(gap > 0)
    closed = t["won_w_n"] + t["lost_w_n"]
    win_rate = (t["won_w_n"] / closed).where(closed > 0)
    avg_won = (t["won_w_c"] / 100 / t["won_w_n"]).where(t["won_w_n"] > 0)
    cycle = t["cycle_days"].astype("float64")
    out["win_rate"] = win_rate
    out["avg_won_deal"] = avg_won
    out["cycle_days"] = cycle
    out["velocity"] = (t["open_n"] * win_rate * avg_won / cycle).where(cycle != 0)
    out["stale_deals"] = t["stale_deals"].astype("int64")
    usable = win_rate.notna() & (win_rate != 0) & avg_won.notna() & (avg_won != 0)
    out["needed_pipeline"] = np.maximum(0.0, gap / win_rate - open_).where(usable)
    deals = np.ceil(gap / avg_won)
    out["needed_deals"] = (
        pd.Series(np.maximum(0.0, deals), index=t.index).where(usable).astype("Int64")
    )
    out["open_deals"] = t["open_n"].astype("int64")
    out["hygiene_ok_deals"] = t["hygiene_ok_n"].astype("int64")
    return out


def rep_figures(
    flags: pd.DataFrame, riders: pd.DataFrame, quotas: pd.DataFrame, quarter, as_of: dt.date
) -> pd.DataFrame:
    """Every figure (docs/metrics.md#figures) for each rider (rep shown), readiness aside.

    Args:
        flags: ``deal_flags`` output with a ``rep`` column.
        riders: the reps to report (``rep``, ``team``): their rows only, every one of them.
        quotas: ``rep, quota`` for the quarter; a rider without one counts 0 and is flagged.
        quarter: the fiscal quarter.
        as_of: the day of the figures.

    Returns:
        One row per rider (index ``rep``), columns ``team``, ``FIGURE_KEYS`` (bar readiness),
        ``no_quota``, ``open_deals`` and ``hygiene_ok_deals``.
    """
    reps = riders["rep"].tolist()
    own = flags[flags["rep"].isin(reps)]
    totals = _totals(own, own["rep"]).reindex(reps)
    totals = totals.fillna({c: 0 for c in totals.columns if c != "cycle_days"})
    for col in totals.columns:
        if col.endswith(("_c", "_n")) or col in ("past_due_deals", "stale_deals"):
            totals[col] = totals[col].astype("int64")
    quota = quotas.groupby("rep")["quota"].sum(min_count=1)
    out = _ratios(totals, quota, pace(quarter, as_of))
    has_quota = quota.reindex(out.index)
    out["no_quota"] = (has_quota.isna() | (has_quota == 0)).to_numpy()
    out.insert(0, "team", riders.set_index("rep")["team"].reindex(out.index))
    out.index.name = "rep"
    return out


def team_figures(
    flags: pd.DataFrame, riders: pd.DataFrame, quotas: pd.DataFrame, quarter, as_of: dt.date
) -> dict:
    """The figures (docs/metrics.md#figures) of a group of riders from its totals (never averaged from reps' ratios).

    Args: as ``rep_figures``; ``riders`` is the team (every rider shown, for "all teams").

    Returns:
        A dict of ``FIGURE_KEYS`` (bar readiness) plus ``open_deals`` and ``hygiene_ok_deals``;
        undefined figures are None.
    """
    reps = riders["rep"].tolist()
    own = flags[flags["rep"].isin(reps)]
    key = pd.Series("team", index=own.index)
    totals = _totals(own, key).reindex(["team"])
    totals = totals.fillna({c: 0 for c in totals.columns if c != "cycle_days"})
    quota = quotas[quotas["rep"].isin(reps)]["quota"].sum()
    out = _ratios(totals, pd.Series({"team": float(quota)}), pace(quarter, as_of))
    row = out.iloc[0].to_dict()
    return {k: _plain(v) for k, v in row.items()}


def _plain(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def rank_reps(figures: pd.DataFrame) -> pd.Series:
    """Peloton position: 1 = highest attainment - pace; ties share the best rank; no quota -> NA."""
    score = (figures["attainment"] - figures["pace"]).where(~figures["no_quota"])
    return score.rank(method="min", ascending=False).astype("Int64")


def rank_change(rank_now: pd.Series, rank_since: pd.Series | None) -> pd.Series:
    """``rank at since - rank now`` (positive = moved up); NA without a rank at either day."""
    if rank_since is None:
        return pd.Series(pd.NA, index=rank_now.index, dtype="Int64")
    return (rank_since.reindex(rank_now.index) - rank_now).astype("Int64")


def rows_behind(
    figure: str, flags: pd.DataFrame, reps: Sequence[str] | None = None
) -> pd.DataFrame:
    """The deals a figure was computed from (for a rep or a set of reps, or all rows).

    Args:
        figure: a key of ``ROWS_BEHIND`` (most of ``FIGURE_KEYS``).
        flags: ``deal_flags`` output.
        reps: restrict to these reps' deals (None: every row of ``flags``).

    Returns:
        The flagged rows, largest amount first.
    """
    if figure not in ROWS_BEHIND:
        raise KeyError(f"no deals stand behind {figure!r}; known: {', '.join(ROWS_BEHIND)}")
    mask = np.zeros(len(flags), dtype=bool)
    for col in ROWS_BEHIND[figure]:
        mask |= flags[col].to_numpy(dtype=bool)
    if reps is not None:
        mask &= flags["rep"].isin(list(reps)).to_numpy()
    return flags[mask].sort_values("amount", ascending=False, kind="stable")


__all__ = [
    "FIGURE_KEYS",
    "ROWS_BEHIND",
    "deal_flags",
    "pace",
    "rank_change",
    "rank_reps",
    "rep_figures",
    "rows_behind",
    "team_figures",
]
