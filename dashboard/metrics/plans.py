"""Deal plans (DESIGN §12): which steps are at risk, a plan's state in words, and the activities
that are evidence for a step. Pure pandas: frames in, frames out (docs/metrics.md, deal plans).

- At risk: a step not done whose due day is after the deal's close date, or before as_of.
- Evidence: a completed activity on the step's deal, on or after the day the step was made,
  either by the step's owner (its owner, or a participant by name) or whose subject or type has
  a word of the step's kind (``schema.PLAN_KIND_WORDS``: briefing, legal, security, demo/POC,
  partner, pricing). A free-text step has evidence by its owner only.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from loaders.schema import PLAN_KIND_LABELS, PLAN_KIND_WORDS

# The columns a plan's steps come in (``dashboard.reads.plans.load_steps``).
STEP_COLUMNS = (
    "id",
    "source",
    "deal_id",
    "kind",
    "title",
    "owner_id",
    "owner",
    "owner_role",
    "due",
    "status",
    "note",
    "author",
    "created_at",
    "done_at",
    "done_by",
    "deal_name",
    "close_date",
)
# The columns of the activities on the plans' deals (``dashboard.reads.plans.load_deal_activities``).
ACTIVITY_COLUMNS = (
    "source",
    "deal_id",
    "activity_date",
    "type",
    "subject",
    "participants",
    "owner",
    "owner_id",
    "owner_role",
)
_WORDS = {
    kind: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    for kind, words in PLAN_KIND_WORDS.items()
}


def kind_label(kind: object) -> str:
    """``technical`` → ``Technical win``."""
    return PLAN_KIND_LABELS.get(str(kind), str(kind or ""))


def at_risk(steps: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Per step: not done, and due after its deal's close date or before ``as_of``.

    A step without a due day is never at risk; nor is one whose deal has no close date by the
    first rule.
    """
    if steps.empty:
        return pd.Series(dtype=bool, index=steps.index)
    due = pd.to_datetime(steps["due"])
    close = pd.to_datetime(steps["close_date"])
    not_done = (steps["status"] != "done").to_numpy()
    late = (due > close).fillna(False).to_numpy(dtype=bool)
    overdue = (due < pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool)
    return pd.Series(not_done & (late | overdue), index=steps.index)


def risk_reason(steps: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Per step, why it is at risk (``due after the close date (10 Dec)``, ``overdue since 12
    Nov``), or None."""
    risky = at_risk(steps, as_of)
    out = pd.Series([None] * len(steps), index=steps.index, dtype=object)
    for i in steps.index[risky.to_numpy()]:
        due = pd.Timestamp(steps.at[i, "due"])
        close = pd.to_datetime(steps.at[i, "close_date"])
        if pd.notna(close) and due > close:
            out.at[i] = f"due after the close date ({close:%-d %b})"
        else:
            out.at[i] = f"overdue since {due:%-d %b}"
    return out


def plan_text(steps: int, risky: int, done: int = 0) -> str:
    """``3 steps, 1 at risk``; ``2 steps, all done``; ``1 step``."""
    words = f"{steps} step{'s' if steps != 1 else ''}"
    if risky:
        return f"{words}, {risky} at risk"
    if steps and done == steps:
        return f"{words}, all done"
    return words


def plan_states(steps: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Each planned deal's state: ``source, deal_id, steps, done, at_risk, plan`` (the words)."""
    columns = ["source", "deal_id", "steps", "done", "at_risk", "plan"]
    if steps.empty:
        return pd.DataFrame(columns=columns)
    s = steps.assign(_risk=at_risk(steps, as_of), _done=steps["status"] == "done")
    out = (
        s.groupby(["source", "deal_id"], sort=True)
        .agg(steps=("id", "size"), done=("_done", "sum"), at_risk=("_risk", "sum"))
        .reset_index()
    )
    out[["steps", "done", "at_risk"]] = out[["steps", "done", "at_risk"]].astype("int64")
    out["plan"] = [
        plan_text(n, r, d)
        for n, r, d in zip(out["steps"], out["at_risk"], out["done"], strict=True)
    ]
    return out[columns]


def _people(text: object) -> set[str]:
    if not isinstance(text, str):
        return set()
    return {" ".join(p.split()).casefold() for p in text.split(";") if p.strip()}


def evidence(steps: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """The activities that are evidence for each step (see the module's rule).

    Args:
        steps: ``STEP_COLUMNS`` (``created_at`` the time the step was made).
        activities: ``ACTIVITY_COLUMNS``: completed activities on the steps' deals, with the
            roster id, name and role of their owner (None off the roster).

    Returns:
        ``step_id, activity_date, type, subject, owner, owner_role, by_owner`` (True when the
        step's owner did it or took part), oldest first within each step.
    """
    columns = ["step_id", "activity_date", "type", "subject", "owner", "owner_role", "by_owner"]
    if steps.empty or activities.empty:
        return pd.DataFrame(columns=columns)
    pairs = steps[["id", "source", "deal_id", "kind", "owner_id", "owner", "created_at"]].merge(
        activities.rename(columns={"owner_id": "act_owner_id", "owner": "act_owner"}),
        on=["source", "deal_id"],
    )
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    made = pd.to_datetime(pairs["created_at"]).dt.normalize()
    after = (pd.to_datetime(pairs["activity_date"]) >= made).to_numpy()
    same = (
        pairs["act_owner_id"].astype("float64") == pairs["owner_id"].astype("float64")
    ).to_numpy()
    took_part = np.array(
        [
            isinstance(o, str) and " ".join(o.split()).casefold() in _people(p)
            for o, p in zip(pairs["owner"], pairs["participants"], strict=True)
        ],
        dtype=bool,
    )
    text = pairs["subject"].fillna("").astype(str) + " " + pairs["type"].fillna("").astype(str)
    by_kind = np.array(
        [
            k in _WORDS and bool(_WORDS[k].search(t))
            for k, t in zip(pairs["kind"], text, strict=True)
        ],
        dtype=bool,
    )
    by_owner = same | took_part
    keep = after & (by_owner | by_kind)
    out = pairs.loc[keep].assign(by_owner=by_owner[keep])
    out = out.drop(columns=["owner"]).rename(columns={"id": "step_id", "act_owner": "owner"})
    out = out.sort_values(["step_id", "activity_date"], kind="stable")
    return out[columns].reset_index(drop=True)


def evidence_text(row) -> str:
    """``Demo — SE Sam Ortiz, 14 Nov``: the subject (else the type), who did it, the day."""
    subject = row.get("subject") if isinstance(row.get("subject"), str) else None
    what = subject or str(row.get("type") or "activity").capitalize()
    role = row.get("owner_role") if isinstance(row.get("owner_role"), str) else ""
    who = " ".join(p for p in (role, str(row.get("owner") or "")) if p)
    day = pd.Timestamp(row.get("activity_date"))
    return f"{what} — {who}, {day:%-d %b}" if who else f"{what}, {day:%-d %b}"


__all__ = [
    "ACTIVITY_COLUMNS",
    "STEP_COLUMNS",
    "at_risk",
    "evidence",
    "evidence_text",
    "kind_label",
    "plan_states",
    "plan_text",
    "risk_reason",
]
