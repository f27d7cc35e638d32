"""The rows behind a figure (docs/metrics.md): click a bar, a KPI or a readiness component and see
what it was made of.

Pure functions over the frames the figures came from (``compute_summary``'s flags and movement,
readiness events, activity counts): no store, no dash. Each returns the rows and what they add up
to, computed the way the figure was, so a test can check that the rows re-add to the figure and
the page can say so ("14 deals · 1.05M").

- Waterfall bars: the movement rows of the bar's category (``start``: the deals of the starting
  set at their starting amounts; ``end``: the deals of the end set at their current amounts;
  ``increased``/``decreased``: the change of each deal in both sets).
- KPIs: ``metrics.rows_behind`` over the flagged deals of the riders shown.
- Readiness components: enablement programs and scores (counted by the metric's own functions,
  one row at a time), the eight weeks of activity against the team's median, the deals of the
  hygiene check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.metrics import ROWS_BEHIND, rows_behind
from dashboard.metrics.frames import ts
from dashboard.metrics.movement import WATERFALL_KEYS
from dashboard.metrics.readiness import WEEKS, enablement, skill

WATERFALL_LABEL = {
    "start": "Pipeline at the start",
    "created": "New deals",
    "pulled_in": "Pulled in",
    "increased": "Amounts up",
    "decreased": "Amounts down",
    "won": "Won",
    "lost": "Lost",
    "pushed_out": "Pushed out",
    "removed": "Removed",
    "end": "Pipeline now",
    "won_new": "Created and won in between",
}
MOVE_LABEL = {
    "created": "New",
    "pulled_in": "Pulled in",
    "increased": "Amount up",
    "decreased": "Amount down",
    "unchanged": "Unchanged",
    "won": "Won",
    "lost": "Lost",
    "pushed_out": "Pushed out",
    "removed": "Removed",
    "won_new": "Created and won",
}
FIGURE_LABEL = {
    "won": "Won this quarter",
    "attainment": "Attainment (won ÷ quota)",
    "pace_gap": "Pace gap (won against pace)",
    "open_pipeline": "Open pipeline",
    "past_due_deals": "Past-due deals",
    "commit": "Commit",
    "best_case": "Best case",
    "commit_forecast": "Commit forecast (won + commit)",
    "best_case_forecast": "Best-case forecast (won + commit + best case)",
    "weighted_pipeline": "Weighted pipeline (amount × probability)",
    "coverage": "Coverage (open pipeline ÷ what is left to win)",
    "win_rate": "Win rate (won ÷ closed, last 365 days)",
    "avg_won_deal": "Average won deal (last 365 days)",
    "cycle_days": "Sales cycle (days)",
    "velocity": "Velocity",
    "stale_deals": "Stale deals",
    "needed_pipeline": "What must be true: pipeline needed",
    "needed_deals": "What must be true: wins needed",
    "hygiene": "Pipeline hygiene",
}
COMPONENT_LABEL = {
    "enablement": "Enablement",
    "skill": "Skill",
    "activity": "Activity consistency",
    "hygiene": "Pipeline hygiene",
}


@dataclass
class Trace:
    """Rows behind one figure, and what they add up to."""

    key: str
    title: str
    kind: str  # movement | deals | events | weeks
    rows: pd.DataFrame
    total: float | None  # money the rows add up to (None when the figure is no sum)
    count: int
    note: str = ""


# --- waterfall --------------------------------------------------------------------------------


def waterfall_rows(movement: pd.DataFrame, key: str) -> pd.DataFrame:
    """The movement rows behind one waterfall bar, with ``value``: what each adds to the bar.

    Args:
        movement: ``compute_movement`` output (already narrowed to the team shown).
        key: one of ``WATERFALL_KEYS`` or ``won_new``.

    Returns:
        The rows, largest contribution first; ``value_cents`` holds each row's integer cents.
    """
    if key not in (*WATERFALL_KEYS, "won_new"):
        raise KeyError(f"no waterfall bar called {key!r}")
    m = movement
    if key == "start":
        rows, cents = m[m["in_sa"]], m.loc[m["in_sa"], "cents_since"]
    elif key == "end":
        rows, cents = m[m["in_sb"]], m.loc[m["in_sb"], "cents_now"]
    else:
        hit = m["category"] == key
        rows = m[hit]
        if key in ("created", "pulled_in", "won_new"):
            cents = rows["cents_now"]
        elif key == "increased":
            cents = rows["delta_cents"]
        elif key == "decreased":
            cents = -rows["delta_cents"]
        else:
            cents = rows["cents_since"]
    out = rows.assign(value_cents=cents.astype("int64").to_numpy())
    out = out.assign(value=out["value_cents"] / 100)
    return out.sort_values(
        ["value_cents", "deal_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def waterfall_trace(movement: pd.DataFrame, key: str) -> Trace:
    """``waterfall_rows`` with its title and total (the bar's value, to the cent)."""
    rows = waterfall_rows(movement, key)
    total = int(rows["value_cents"].sum()) / 100
    return Trace(key, WATERFALL_LABEL.get(key, key), "movement", rows, total, len(rows))


# --- KPIs -------------------------------------------------------------------------------------


def figure_trace(flags: pd.DataFrame, figure: str, reps: Sequence[str] | None) -> Trace:
    """The deals behind a figure for ``reps`` (``metrics.rows_behind``).

    ``total`` is the sum of the amounts of the rows where the figure is that sum (won, open
    pipeline, commit, ...), else None (a ratio or a count: the rows are its inputs).
    """
    rows = rows_behind(figure, flags, reps).reset_index(drop=True)
    sums = {
        "won": "won_in_quarter",
        "open_pipeline": "open_in_quarter",
        "commit": "commit",
        "best_case": "best_case",
        "commit_forecast": None,
        "best_case_forecast": None,
    }
    total = None
    if figure in sums:
        total = int(rows["cents"].sum()) / 100
    elif figure == "weighted_pipeline":
        total = float(rows["weighted"].sum())
    return Trace(
        figure,
        FIGURE_LABEL.get(figure, figure),
        "deals",
        rows,
        total,
        len(rows),
        note=_figure_note(figure),
    )


def _figure_note(figure: str) -> str:
    parts = ROWS_BEHIND.get(figure, ())
    words = {
        "won_in_quarter": "won in the quarter",
        "open_in_quarter": "open, closing in the quarter",
        "past_due": "open and past their close date",
        "commit": "open in commit",
        "best_case": "open in best case",
        "won_in_window": "won in the last 365 days",
        "lost_in_window": "lost in the last 365 days",
        "in_cycle": "won in the last 365 days",
        "stale": "open with no activity in the stale window",
    }
    return "Deals " + " or ".join(words.get(p, p) for p in parts) if parts else ""


# --- readiness --------------------------------------------------------------------------------


def enablement_rows(events: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One rep's required programs with ``counted`` and ``on_time`` as the metric counts them.

    Each event is run through ``metrics.readiness.enablement`` on its own, so a row counts
    exactly when the component counts it.
    """
    req = events[events["required"].astype(bool)].reset_index(drop=True)
    if req.empty:
        return req.assign(counted=pd.Series(dtype=bool), on_time=pd.Series(dtype=bool))
    one = req.assign(rep=np.arange(len(req)))
    per = enablement(one, as_of).reindex(range(len(req)))
    out = req.assign(
        counted=per["enablement_due"].fillna(0).astype(int).to_numpy() > 0,
        on_time=per["enablement_on_time"].fillna(0).astype(int).to_numpy() > 0,
    )
    return out.sort_values(
        ["counted", "due_date"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)


def skill_rows(events: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One rep's assessment and call scores with ``counted`` (inside the skill window)."""
    scored = events[events["score"].notna()].reset_index(drop=True)
    if scored.empty:
        return scored.assign(counted=pd.Series(dtype=bool))
    one = scored.assign(rep=np.arange(len(scored)))
    per = skill(one, as_of).reindex(range(len(scored)))
    out = scored.assign(counted=per["skill_scores"].fillna(0).astype(int).to_numpy() > 0)
    when = out["completed_date"].fillna(out["due_date"]).fillna(out["assigned_date"])
    return (
        out.assign(when=when)
        .sort_values(["counted", "when"], ascending=[False, False], kind="stable")
        .reset_index(drop=True)
    )


def activity_weeks(
    counts: pd.DataFrame, riders: pd.DataFrame, rep: str, as_of: dt.date
) -> pd.DataFrame:
    """The eight weeks behind activity consistency: the rep's count, the team's median, ok.

    Weeks are the metric's: seven days ending on ``as_of`` (week 0), then the seven before...

    Args:
        counts: completed activities per rep and day (``rep, activity_date, n``).
        riders: ``rep, team`` (+ ``start_date``) of the rep's team.
        rep: the rep.
        as_of: the day.

    Returns:
        ``week_start, week_end, activities, team_median, threshold, ok, counted`` (newest first).
    """
    day = ts(as_of)
    team_of = riders.set_index("rep")["team"]
    team = team_of.get(rep)
    mates = (
        riders.loc[riders["team"].astype("object") == team, "rep"].tolist()
        if team is not None and not pd.isna(team)
        else [rep]
    )
    if rep not in mates:
        mates.append(rep)
    first = day - pd.Timedelta(days=7 * WEEKS - 1)
    c = counts[
        counts["rep"].isin(mates)
        & (counts["activity_date"] >= first)
        & (counts["activity_date"] <= day)
    ]
    week = ((day - c["activity_date"]).dt.days // 7).astype(int)
    per = c.groupby([c["rep"], week])["n"].sum().unstack(fill_value=0)
    per = per.reindex(index=mates, columns=range(WEEKS), fill_value=0)
    median = per.median(axis=0)
    start = riders.set_index("rep").get("start_date")
    started = pd.NaT if start is None else pd.to_datetime(start.get(rep))
    rows = []
    for w in range(WEEKS):
        end = day - pd.Timedelta(days=7 * w)
        n = int(per.loc[rep, w])
        counted = bool(pd.isna(started) or end >= started)
        rows.append(
            {
                "week_start": (end - pd.Timedelta(days=6)).date(),
                "week_end": end.date(),
                "activities": n,
                "team_median": float(median[w]),
                "threshold": float(median[w]) / 2,
                "ok": bool(n >= median[w] / 2),
                "counted": counted,
            }
        )
    return pd.DataFrame(rows)


def component_trace(
    component: str,
    *,
    rep: str,
    as_of: dt.date,
    events: pd.DataFrame,
    counts: pd.DataFrame,
    riders: pd.DataFrame,
    flags: pd.DataFrame,
) -> Trace:
    """The inputs behind one readiness component of ``rep``.

    Args:
        component: ``enablement``, ``skill``, ``activity`` or ``hygiene``.
        rep: the rep.
        as_of: the day.
        events: readiness events with ``rep`` attached (any reps; the rep's are used).
        counts: completed activities per rep and day, the rep's team included.
        riders: ``rep, team`` (+ ``start_date``) of the rep's team.
        flags: ``deal_flags`` output with ``rep``.
    """
    title = COMPONENT_LABEL.get(component, component)
    own = events[events["rep"].astype("object") == rep] if "rep" in events else events.iloc[:0]
    if component == "enablement":
        rows = enablement_rows(own, as_of)
        n = int(rows["counted"].sum()) if len(rows) else 0
        ok = int((rows["counted"] & rows["on_time"]).sum()) if len(rows) else 0
        return Trace(
            component,
            title,
            "events",
            rows,
            None,
            len(rows),
            note=f"{ok} of {n} required programs due or done by now were done on time",
        )
    if component == "skill":
        rows = skill_rows(own, as_of)
        used = rows[rows["counted"]] if len(rows) else rows
        mean = float(used["score"].mean()) if len(used) else None
        note = (
            f"mean of {len(used)} scores from the last 90 days: {mean:.0f}"
            if mean is not None
            else "no scores in the last 90 days"
        )
        return Trace(component, title, "events", rows, None, len(rows), note=note)
    if component == "activity":
        rows = activity_weeks(counts, riders, rep, as_of)
        n, ok = int(rows["counted"].sum()), int((rows["ok"] & rows["counted"]).sum())
        return Trace(
            component,
            title,
            "weeks",
            rows,
            None,
            len(rows),
            note=f"{ok} of {n} weeks with at least half the team's median activity",
        )
    if component == "hygiene":
        rows = rows_behind("hygiene", flags, [rep]).reset_index(drop=True)
        ok = int(rows["hygiene_ok"].sum()) if len(rows) else 0
        return Trace(
            component,
            title,
            "deals",
            rows,
            None,
            len(rows),
            note=f"{ok} of {len(rows)} open deals closing this quarter are not past due, "
            "not stale and have a next step",
        )
    raise KeyError(f"no readiness component called {component!r}")


__all__ = [
    "COMPONENT_LABEL",
    "FIGURE_LABEL",
    "MOVE_LABEL",
    "Trace",
    "WATERFALL_LABEL",
    "activity_weeks",
    "component_trace",
    "enablement_rows",
    "figure_trace",
    "skill_rows",
    "waterfall_rows",
    "waterfall_trace",
]
