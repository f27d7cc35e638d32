"""Readiness index (docs/metrics.md#readiness_index): a rider's form, from four components with their inputs.

- ``enablement``: required programs completed on time, over the required programs due by
  ``as_of`` or completed by then (100 = all on time).
- ``skill``: mean of assessment and call scores (0-100) dated in the last ``SKILL_DAYS`` days.
- ``activity``: share of the last 8 weeks (7-day weeks ending on ``as_of``; only weeks ending on
  or after the rep's start date) in which the rep's completed activities were at least half the
  median of the rep's team that week.
- ``hygiene``: share of open in-quarter deals not past due, not stale, and with a next step where
  the export has that column.

The index is the weighted mean of the components that have data, weights renormalised over
them; each component is 0-100. Bands on the unrounded value: >= 70 green, 50-70 amber, < 50 red.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.metrics.frames import ts

COMPONENTS = ("enablement", "skill", "activity", "hygiene")
SKILL_DAYS = 90
WEEKS = 8
SCORE_KINDS = ("assessment", "call_score")


def band(value: float | None) -> str | None:
    """``green`` (>= 70), ``amber`` (50-70) or ``red`` (< 50); None without a value."""
    if value is None or pd.isna(value):
        return None
    if value >= 70:
        return "green"
    if value >= 50:
        return "amber"
    return "red"


def enablement(events: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per rep: ``enablement_due``, ``enablement_on_time`` and ``enablement`` (0-100 or NaN)."""
    day = ts(as_of)
    req = events[events["required"].astype(bool)]
    assigned = req["assigned_date"]
    req = req[assigned.isna() | (assigned <= day)]
    done = req["completed_date"].notna() & (req["completed_date"] <= day)
    due = req["due_date"].notna() & (req["due_date"] <= day)
    counted = done | due
    on_time = done & (req["due_date"].isna() | (req["completed_date"] <= req["due_date"]))
    frame = pd.DataFrame(
        {
            "rep": req["rep"],
            "counted": counted.astype(int),
            "on_time": (on_time & counted).astype(int),
        }
    )
    agg = frame.groupby("rep").sum()
    out = pd.DataFrame({"enablement_due": agg["counted"], "enablement_on_time": agg["on_time"]})
    out["enablement"] = (100 * out["enablement_on_time"] / out["enablement_due"]).where(
        out["enablement_due"] > 0
    )
    return out


def skill(events: pd.DataFrame, as_of: dt.date, days: int = SKILL_DAYS) -> pd.DataFrame:
    """Per rep: ``skill_scores`` (how many) and ``skill`` (their mean, 0-100)."""
    day = ts(as_of)
    scored = events[events["kind"].isin(SCORE_KINDS) & events["score"].notna()]
    when = scored["completed_date"].fillna(scored["due_date"]).fillna(scored["assigned_date"])
    recent = (when >= day - pd.Timedelta(days=days - 1)) & (when <= day)
    scored = scored[recent.fillna(False).astype(bool)]
    agg = scored.groupby("rep")["score"].agg(["count", "mean"])
    return pd.DataFrame({"skill_scores": agg["count"], "skill": agg["mean"].clip(0, 100)})


def activity_consistency(
    riders: pd.DataFrame, counts: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """Per rider: ``activity_weeks`` considered, ``activity_weeks_ok`` and ``activity`` (0-100).

    Args:
        riders: ``rep, team`` (+ ``start_date``): each rep is compared with the median of its team.
        counts: completed activities per rep and day (``rep, activity_date, n``).
        as_of: the last day of the last week.
    """
    day = ts(as_of)
    reps = riders["rep"].tolist()
    first = day - pd.Timedelta(days=7 * WEEKS - 1)
    c = counts[
        counts["rep"].isin(reps)
        & (counts["activity_date"] >= first)
        & (counts["activity_date"] <= day)
    ]
    week = ((day - c["activity_date"]).dt.days // 7).astype(int)  # 0 = the week ending as_of
    per_week = c.groupby([c["rep"], week])["n"].sum().unstack(fill_value=0)
    per_week = per_week.reindex(index=reps, columns=range(WEEKS), fill_value=0)
    team = riders.set_index("rep")["team"].reindex(reps).astype("object").fillna("\0none")
    medians = per_week.groupby(team.to_numpy()).transform("median")
    ok = per_week >= medians / 2
    # Weeks that ended before the rep started are not held against them.
    start = riders.set_index("rep").get("start_date")
    week_end = pd.Series([day - pd.Timedelta(days=7 * w) for w in range(WEEKS)])
    if start is not None:
        start = pd.to_datetime(start.reindex(reps)).astype("datetime64[ns]")
        eligible = pd.DataFrame(
            {w: (start.isna() | (week_end[w] >= start)).to_numpy() for w in range(WEEKS)},
            index=reps,
        )
    else:
        eligible = pd.DataFrame(True, index=reps, columns=range(WEEKS))
    team_has_data = per_week.sum(axis=1).groupby(team.to_numpy()).transform("sum") > 0
    weeks = eligible.sum(axis=1)
    weeks_ok = (ok & eligible).sum(axis=1)
    out = pd.DataFrame({"activity_weeks": weeks, "activity_weeks_ok": weeks_ok}, index=reps)
    out["activity"] = (100 * weeks_ok / weeks).where((weeks > 0) & team_has_data)
    return out


def readiness(
    riders: pd.DataFrame,
    events: pd.DataFrame,
    activity_counts: pd.DataFrame,
    hygiene: pd.DataFrame,
    as_of: dt.date,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Readiness index, band and every component with its inputs, per rider.

    Args:
        riders: ``rep, team`` (+ ``start_date``).
        events: readiness events with ``rep`` attached (``READINESS_COLUMNS``).
        activity_counts: completed activities per rep and day (``rep, activity_date, n``).
        hygiene: per rep ``open_deals`` and ``hygiene_ok_deals`` (from ``rep_figures``).
        as_of: the day.
        weights: component -> weight (default: equal); renormalised over components with data.

    Returns:
        One row per rider (index ``rep``): the components, their inputs, ``readiness_index`` and
        ``readiness_band``.
    """
    weights = weights or dict.fromkeys(COMPONENTS, 1.0)
    reps = riders["rep"].tolist()
    out = pd.DataFrame(index=pd.Index(reps, name="rep"))
    out = out.join(enablement(events, as_of)).join(skill(events, as_of))
    out = out.join(activity_consistency(riders, activity_counts, as_of))
    hyg = hygiene.reindex(reps)
    out["hygiene_deals"] = hyg["open_deals"].fillna(0).astype("int64").to_numpy()
    out["hygiene_ok"] = hyg["hygiene_ok_deals"].fillna(0).astype("int64").to_numpy()
    out["hygiene"] = (100 * out["hygiene_ok"] / out["hygiene_deals"]).where(
        out["hygiene_deals"] > 0
    )
    for col in ("enablement_due", "enablement_on_time", "skill_scores"):
        out[col] = out[col].fillna(0).astype("int64")
    values = out[list(COMPONENTS)].astype("float64")
    w = pd.Series({c: float(weights.get(c, 0.0)) for c in COMPONENTS})
    has = values.notna()
    total_w = (has * w).sum(axis=1)
    weighted = (values.fillna(0.0) * w).sum(axis=1)
    out["readiness_index"] = (weighted / total_w).where(total_w > 0)
    out["readiness_band"] = [band(v) for v in out["readiness_index"]]
    return out


def team_readiness(rep_readiness: pd.Series) -> float | None:
    """The team's index: the mean of its reps' indexes (None when none has one)."""
    values = rep_readiness.dropna()
    return float(np.mean(values)) if len(values) else None


__all__ = [
    "COMPONENTS",
    "activity_consistency",
    "band",
    "enablement",
    "readiness",
    "skill",
    "team_readiness",
]
