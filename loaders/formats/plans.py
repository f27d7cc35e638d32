"""Deal plans kept in a spreadsheet (DESIGN §12): ``Deal ID`` or ``Opportunity Name``, ``Step``,
``Owner``, ``Due``, ``Status``, ``Note``.

Rules (``docs/metrics.md``, deal plans):

* A row is one step of the plan of one deal, named by its id (``Deal ID``) or, without one, by
  its name (``Opportunity Name``); a row naming neither is rejected.
* ``Step`` is the step as written. Its kind (executive briefing, legal/contract, security review,
  technical win, partner, pricing approval, or free text) comes from a ``Kind`` column when the
  file has one, else from the words of the step (``schema.PLAN_KIND_WORDS``): "Exec briefing
  with CFO" is a briefing, "MSA redlines" legal, "Book the POC" a technical win; anything else
  is free text (``other``).
* ``Owner`` is a roster name, e-mail or CRM user id; ``Due`` a day (optional); ``Status`` open or
  done (``Done``, ``Complete``, ``Yes``, ``x``... are done; empty is open); ``Note`` optional.
* Whether the deal and the owner exist is the store's question: the writer rejects such rows by
  the ``line`` this reader keeps (``loaders/store/plans.py`` ``write_plans``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from loaders.formats.base import F, Format, Sheet
from loaders.parsing.categories import map_values
from loaders.parsing.columns import normalize_header
from loaders.schema import PLAN_KIND_WORDS, PLAN_KINDS

PLAN_FIELDS = (
    F(
        "deal_id",
        "Deal ID",
        "Opportunity ID",
        "Deal Id",
        "Record ID",
        "Opportunity Id",
        "Deal",
        expected=False,
        label="Deal ID",
    ),
    F(
        "deal_name",
        "Opportunity Name",
        "Deal Name",
        "Opportunity",
        expected=False,
        label="Opportunity Name",
    ),
    F("step", "Step", "Plan Step", "Action", "Task", "Step Name", required=True, label="Step"),
    F("kind", "Kind", "Step Kind", "Step Type", "Type", "Category", expected=False),
    F(
        "owner",
        "Owner",
        "Step Owner",
        "Assigned To",
        "Assignee",
        "Who",
        "Responsible",
        required=True,
        label="Owner",
    ),
    F("due", "Due", "Due Date", "Due On", "Deadline", "Target Date", type="date"),
    F("status", "Status", "State", "Done", expected=False),
    F("note", "Note", "Notes", "Comment", "Comments", expected=False),
)
# Recognised by its header: a deal column, Step and Owner (a task export has no Step column).
PLAN_SIGNATURE = (
    ("Deal ID", "Opportunity ID", "Opportunity Name", "Deal Name", "Opportunity", "Deal"),
    ("Step", "Plan Step"),
    ("Owner", "Step Owner", "Assigned To", "Assignee", "Responsible"),
)

DONE_WORDS = frozenset(
    normalize_header(w)
    for w in ("done", "complete", "completed", "closed", "finished", "yes", "y", "x", "true", "1")
)
OPEN_WORDS = frozenset(
    normalize_header(w)
    for w in (
        "open",
        "to do",
        "todo",
        "not started",
        "in progress",
        "pending",
        "planned",
        "no",
        "n",
        "false",
        "0",
    )
)
_KIND_NAMES = {
    **{normalize_header(k): k for k in PLAN_KINDS},
    normalize_header("executive briefing"): "briefing",
    normalize_header("legal/contract"): "legal",
    normalize_header("contract"): "legal",
    normalize_header("security review"): "security",
    normalize_header("technical win"): "technical",
    normalize_header("pricing approval"): "pricing",
    normalize_header("free text"): "other",
}
_WORDS = [
    (kind, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE))
    for kind, words in PLAN_KIND_WORDS.items()
]


def classify_step(text: str | None) -> str:
    """The kind of a step from its words (``schema.PLAN_KIND_WORDS``): ``other`` when none."""
    if not text:
        return "other"
    for kind, pattern in _WORDS:
        if pattern.search(text):
            return kind
    return "other"


def _status(value: str) -> str | None:
    key = normalize_header(value)
    if not key or key in OPEN_WORDS:
        return "open"
    if key in DONE_WORDS:
        return "done"
    return None


def read_plans(s: Sheet) -> pd.DataFrame:
    """Plan steps: a deal (``Deal ID`` or ``Opportunity Name``), ``Step``, ``Owner`` (``Due``,
    ``Status``, ``Note``, ``Kind`` optional)."""
    deal_id = s.text("deal_id")
    deal_name = s.text("deal_name")
    s.reject(
        np.equal(deal_id, None) & np.equal(deal_name, None),
        None,
        "a deal is required: give its Deal ID or its Opportunity Name",
    )
    step = s.text("step", required=True)
    owner = s.text("owner", required=True)
    due = s.date("due")
    status = s.per_value("status", _status) if s.has("status") else np.full(s.n, "open", object)
    s.reject(np.equal(status, None), "status", "expected open or done")
    by_words = np.array([classify_step(t) for t in step], dtype=object)
    if s.has("kind"):
        named = map_values(s.column("kind"), lambda v: _KIND_NAMES.get(normalize_header(v)))
        given = ~np.equal(s.text("kind"), None)
        s.reject(
            given & np.equal(named, None),
            "kind",
            "expected one of executive briefing, legal, security, technical win, partner, "
            "pricing, other",
        )
        kind = np.where(given, named, by_words)
    else:
        kind = by_words
    return s.frame(
        {
            "deal_id": deal_id,
            "deal_name": deal_name,
            "step": step,
            "kind": kind,
            "owner": owner,
            "due": due,
            "status": status,
            "note": s.text("note"),
            "line": s.table.line_numbers,
        }
    )


PLANS = Format(
    name="plans",
    kind="plans",
    source="plans",
    title="a deal plans file",
    fields=PLAN_FIELDS,
    reader=read_plans,
    signature=PLAN_SIGNATURE,
)
