"""Deal plans as tables (DESIGN §12; docs/metrics.md, deal plans): every step a viewer may see
with its risk and its evidence counted, the export of them, and the rows behind a plan's words.

- ``plan_rows``: one row per step (``STEP_COLUMNS`` + ``at_risk``, ``risk``, ``evidence``: the
  activities that are evidence for it, counted by ``metrics.plans.evidence``).
- ``export_table``: those rows with the export's headers (CSV and XLSX through
  ``dashboard.exports``, formula cells neutralised there).
- ``plan_trace``: the rows behind "4 steps, 2 at risk" for one deal: its steps, which re-add to
  the words (as many rows as steps; the at-risk ones as many as it says).

Scope: the steps and the activities are read by ``dashboard.reads.plans`` under the viewer's
scope (``load_plan_rows``); the rest is pure pandas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dashboard.metrics import plans as mp
from dashboard.models.trace import Trace
from dashboard.reads import plans as plan_reads

# (column, export header), in the export's order
EXPORT_COLUMNS = (
    ("deal_name", "Deal"),
    ("close_date", "Close date"),
    ("kind_label", "Kind"),
    ("title", "Step"),
    ("owner", "Owner"),
    ("owner_role", "Owner role"),
    ("due", "Due"),
    ("status", "Status"),
    ("at_risk", "At risk"),
    ("risk", "Why at risk"),
    ("evidence", "Evidence (activities)"),
    ("note", "Note"),
    ("author", "Made by"),
    ("created_at", "Made"),
    ("done_by", "Done by"),
    ("done_at", "Done"),
    ("source", "Source"),
    ("deal_id", "Deal ID"),
)
ROW_COLUMNS = (*mp.STEP_COLUMNS, "kind_label", "at_risk", "risk", "evidence")


def plan_rows(steps: pd.DataFrame, activities: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Each step with its risk on ``as_of`` and its evidence counted.

    Args:
        steps: ``metrics.plans.STEP_COLUMNS``.
        activities: ``metrics.plans.ACTIVITY_COLUMNS`` on the steps' deals.
        as_of: the day risk is judged on.

    Returns:
        ``ROW_COLUMNS``, in the steps' order (by deal, then due day).
    """
    if steps.empty:
        return pd.DataFrame(columns=list(ROW_COLUMNS))
    found = mp.evidence(steps, activities)
    counts = found.groupby("step_id").size() if len(found) else pd.Series(dtype="int64")
    out = steps.assign(
        kind_label=[mp.kind_label(k) for k in steps["kind"]],
        at_risk=mp.at_risk(steps, as_of).to_numpy(dtype=bool),
        risk=mp.risk_reason(steps, as_of).to_numpy(),
        evidence=steps["id"].map(counts).fillna(0).astype("int64").to_numpy(),
    )
    return out[list(ROW_COLUMNS)].reset_index(drop=True)


def load_plan_rows(
    engine,
    scope: Sequence[str] | None,
    as_of: dt.date,
    deals: Sequence[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """``plan_rows`` of the steps the viewer may see (of ``deals`` only, when given)."""
    steps = plan_reads.load_steps(engine, scope, as_of, deals)
    if steps.empty:
        return plan_rows(steps, pd.DataFrame(columns=list(mp.ACTIVITY_COLUMNS)), as_of)
    keys = sorted(set(zip(steps["source"], steps["deal_id"], strict=True)))
    acts = plan_reads.load_deal_activities(engine, scope, keys, as_of)
    return plan_rows(steps, acts, as_of)


def export_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The steps with the export's headers: days as days, at risk as yes/no."""
    out = rows.reindex(columns=[c for c, _ in EXPORT_COLUMNS]).copy()
    for col in ("close_date", "due"):
        out[col] = pd.to_datetime(out[col]).dt.date.astype("object")
    for col in ("created_at", "done_at"):
        out[col] = pd.to_datetime(out[col]).dt.floor("min").astype("object")
    out["at_risk"] = ["yes" if bool(v) else "no" for v in out["at_risk"]]
    out = out.astype("object").where(out.notna(), None)
    return out.rename(columns=dict(EXPORT_COLUMNS))


def plan_trace(rows: pd.DataFrame, source: str, deal_id: str) -> Trace | None:
    """The rows behind one deal's plan words ("4 steps, 2 at risk"): its steps.

    Returns:
        A ``Trace`` of kind ``steps`` (no money total: the figure is a count), or None when the
        deal has no step in ``rows``.
    """
    mine = rows[(rows["source"].astype(str) == source) & (rows["deal_id"].astype(str) == deal_id)]
    if mine.empty:
        return None
    n, risky = len(mine), int(mine["at_risk"].sum())
    done = int((mine["status"] == "done").sum())
    name = mine["deal_name"].iloc[0]
    words = mp.plan_text(n, risky, done)
    return Trace(
        key="plan",
        title=f"{name if isinstance(name, str) else deal_id} · plan: {words}",
        kind="steps",
        rows=mine.reset_index(drop=True),
        total=None,
        count=n,
        note=f"{risky} at risk · {done} done · evidence: activities on the deal that match a step",
    )


__all__ = [
    "EXPORT_COLUMNS",
    "ROW_COLUMNS",
    "export_table",
    "load_plan_rows",
    "plan_rows",
    "plan_trace",
]
