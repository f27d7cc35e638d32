"""Canonical frames: the columns every reader produces and every writer stores.

Readers turn an export into one of these frames; after ``conform`` the rest of the code trusts the
columns (dtypes below). Dates are ``datetime64[ns]`` normalised to midnight; money is ``float64``
in the database's one currency; text is ``object`` with ``None`` for missing.

These column lists are the one column contract: the store's tables hold them, and the frames the
dashboard's metrics take (``dashboard.metrics.frames``) are derived from them. No dash and no
sqlalchemy here: the metrics import this module.
"""

from __future__ import annotations

import pandas as pd

# Deal status (``docs/metrics.md``, deal flags).
STATUSES = ("open", "won", "lost")
# Forecast categories, normalised from Salesforce API values/labels and HubSpot's names.
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
ACTIVITY_TYPES = ("call", "email", "meeting", "other")
READINESS_KINDS = ("course", "certification", "assessment", "call_score")
# Roster roles of the people in the reporting chain above the riders: not riders unless they own
# counted deals or have a quota; they may have no team (``docs/metrics.md``, owners, riders and
# teams; calls and the hierarchy).
CHAIN_ROLES = ("Manager", "Director", "VP", "Executive", "Leader")
# Roster roles that count as expert support on a deal (``docs/metrics.md``): the specialists and
# everyone in the chain (a director or VP on a call is executive support).
EXPERT_ROLES = ("SE", "CSM", "Partner", *CHAIN_ROLES)
UNASSIGNED = "Unassigned"
# Deal plans (DESIGN §12): the kinds of step and their statuses.
PLAN_KINDS = ("briefing", "legal", "security", "technical", "partner", "pricing", "other")
PLAN_STATUSES = ("open", "done")
PLAN_KIND_LABELS = {
    "briefing": "Executive briefing",
    "legal": "Legal / contract",
    "security": "Security review",
    "technical": "Technical win",
    "partner": "Partner",
    "pricing": "Pricing approval",
    "other": "Other",
}
# Words that mark a step (its text, in a plans file) or an activity (its subject or type, as
# evidence) as one kind; matched whole, case-insensitively, the first kind in this order wins.
PLAN_KIND_WORDS = {
    "briefing": ("executive briefing", "exec briefing", "briefing", "ebc", "exec sponsor"),
    "legal": ("legal", "contract", "msa", "redline", "redlines", "nda", "terms", "procurement"),
    "security": ("security", "infosec", "questionnaire", "soc 2", "soc2", "pen test", "dpa"),
    "technical": (
        "technical win",
        "technical",
        "demo",
        "poc",
        "proof of concept",
        "pilot",
        "workshop",
    ),
    "partner": ("partner", "reseller", "alliance", "channel"),
    "pricing": ("pricing", "price", "discount", "quote", "deal desk"),
}

# column -> pandas dtype. Order is the canonical order.
PIPELINE = {
    "deal_id": "object",
    "deal_name": "object",
    "account": "object",
    "owner": "object",  # rep name as in the export; UNASSIGNED when blank
    "stage": "object",
    "stage_order": "Int64",
    "status": "object",  # one of STATUSES
    "amount": "float64",  # NaN when the export has none
    "probability": "float64",  # fraction 0..1
    "forecast_category": "object",  # one of FORECAST_CATEGORIES or None
    "close_date": "datetime64[ns]",
    "created_date": "datetime64[ns]",
    "next_step": "object",
    "last_activity_date": "datetime64[ns]",
    "deal_type": "object",
    "lead_source": "object",
    "push_count": "Int64",  # the export's own Push Count column, when it has one
}

# One row per field change of a deal (Salesforce OpportunityHistory / Field History, HubSpot).
HISTORY = {
    "deal_id": "object",
    "changed_at": "datetime64[ns]",  # keeps the time of day: order within a day matters
    "field": "object",  # close_date | amount | stage | forecast_category | owner | probability
    "old_value": "object",  # ISO dates, plain numbers, names as text
    "new_value": "object",
}

ACTIVITY = {
    "activity_id": "object",
    "owner": "object",  # rep name as in the export
    "activity_date": "datetime64[ns]",
    "type": "object",  # one of ACTIVITY_TYPES
    "deal_id": "object",  # None when not linked to a deal
    "account": "object",
    "duration_seconds": "float64",
    "subject": "object",
    "participants": "object",  # '; '-joined names of others who took part (SE, manager, ...)
    "completed": "bool",
}

ROSTER = {
    "rep": "object",
    "email": "object",
    "crm_user_id": "object",
    "team": "object",
    "manager": "object",
    "role": "object",  # AE, SDR, SE, CSM, Manager, Executive, ...
    "start_date": "datetime64[ns]",
    "effective_from": "datetime64[ns]",  # team membership starts; NaT = file's as-of
}

QUOTA = {
    "rep": "object",
    "quarter": "object",  # '2026-Q4'
    "quota": "float64",
}

# Forecast calls kept in a spreadsheet (``docs/metrics.md``, calls and the hierarchy).
CALLS = {
    "person": "object",  # roster name (or alias) of whom the call is for
    "quarter": "object",  # '2026-Q4'
    "submitted": "datetime64[ns]",
    "commit": "float64",
    "best_case": "float64",
    "note": "object",
    "author": "object",  # who made the call; None = the person it names
    "line": "Int64",  # the file's line, so the store can reject a row (unknown person) by line
}

# Deal plan steps kept in a spreadsheet (DESIGN §12; ``loaders/formats/plans.py``).
PLANS = {
    "deal_id": "object",  # the deal as the file names it (or None: by name)
    "deal_name": "object",  # its opportunity name (or None: by id)
    "step": "object",  # the step as written
    "kind": "object",  # one of PLAN_KINDS
    "owner": "object",  # roster name (or alias) of who does it
    "due": "datetime64[ns]",
    "status": "object",  # one of PLAN_STATUSES
    "note": "object",
    "line": "Int64",  # the file's line, so the store can reject a row (unknown deal) by line
}

READINESS = {
    "rep": "object",
    "program": "object",
    "kind": "object",  # one of READINESS_KINDS
    "required": "bool",
    "assigned_date": "datetime64[ns]",
    "due_date": "datetime64[ns]",
    "completed_date": "datetime64[ns]",
    "score": "float64",  # 0..100
}

# Values a missing column takes (otherwise empty): an exported activity is done unless it says not.
DEFAULTS = {("activity", "completed"): True}
# Datetime columns that keep their time of day (every other date is normalised to midnight).
KEEP_TIME = {("history", "changed_at")}

# Columns that must hold a value in every row, and the values a column may take.
REQUIRED = {
    "pipeline": ("deal_id", "owner", "status"),
    "history": ("deal_id", "changed_at", "field"),
    "activity": ("activity_id", "owner", "activity_date", "type"),
    "roster": ("rep",),
    "quota": ("rep", "quarter", "quota"),
    "readiness": ("rep", "program", "kind"),
    "calls": ("person", "quarter", "submitted", "commit", "best_case"),
    "plans": ("step", "kind", "owner", "status"),
}
CHOICES = {
    ("pipeline", "status"): STATUSES,
    ("pipeline", "forecast_category"): FORECAST_CATEGORIES,
    ("activity", "type"): ACTIVITY_TYPES,
    ("readiness", "kind"): READINESS_KINDS,
    ("plans", "kind"): PLAN_KINDS,
    ("plans", "status"): PLAN_STATUSES,
}

FRAMES = {
    "pipeline": PIPELINE,
    "history": HISTORY,
    "activity": ACTIVITY,
    "roster": ROSTER,
    "quota": QUOTA,
    "readiness": READINESS,
    "calls": CALLS,
    "plans": PLANS,
}


class SchemaError(ValueError):
    """A reader produced a frame that breaks the canonical contract (a bug, not bad input)."""


def empty(kind: str) -> pd.DataFrame:
    """An empty canonical frame of ``kind`` with the right dtypes."""
    spec = FRAMES[kind]
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in spec.items()})


def cast(s: pd.Series, dtype: str) -> pd.Series:
    """One column in a canonical dtype.

    ``datetime64[ns]`` keeps the time of day; ``bool`` reads missing as False; ``object`` holds
    ``None`` for missing; any other dtype is ``astype``.

    Raises:
        TypeError, ValueError: values that cannot take the dtype.
    """
    if dtype == "datetime64[ns]":
        return pd.to_datetime(s).astype("datetime64[ns]")
    if dtype == "bool":
        return s.fillna(False).astype(bool)
    if dtype == "object":
        return s.astype(object).where(s.notna(), None)
    return s.astype(dtype)


def conform(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns of ``kind``, in order, with their dtypes.

    Missing optional columns are added empty (or with their ``DEFAULTS``); dates are normalised to
    midnight unless listed in ``KEEP_TIME``. Values that cannot take the dtype, an empty
    ``REQUIRED`` cell, or a value outside ``CHOICES`` are a reader bug (``SchemaError``).
    """
    spec = FRAMES[kind]
    out = pd.DataFrame(index=df.index)
    for col, dtype in spec.items():
        if col in df.columns:
            s = df[col]
        else:
            s = pd.Series(DEFAULTS.get((kind, col)), index=df.index, dtype="object")
        try:
            s = cast(s, dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"{kind}.{col}: cannot hold {dtype}: {exc}") from exc
        if dtype == "datetime64[ns]" and (kind, col) not in KEEP_TIME:
            s = s.dt.normalize()
        out[col] = s
    for col in REQUIRED[kind]:
        if out[col].isna().any():
            raise SchemaError(f"{kind}.{col}: {int(out[col].isna().sum())} row(s) without a value")
    for (k, col), allowed in CHOICES.items():
        if k == kind:
            bad = set(out[col].dropna().unique()) - set(allowed)
            if bad:
                raise SchemaError(f"{kind}.{col}: {sorted(map(str, bad))[:5]} not among {allowed}")
    return out.reset_index(drop=True)


def stored_columns(
    kind: str,
    keys: dict[str, str],
    *,
    without: tuple[str, ...] = (),
    owner_key: bool = False,
) -> dict[str, str]:
    """The columns of ``kind`` as the store gives its rows back, for readers of the store.

    Args:
        kind: one of ``FRAMES``.
        keys: columns the store adds in front (``source``, ``snapshot_date``...), with dtypes.
        without: canonical columns the reader does not take.
        owner_key: add the store's ``owner_key`` (``identity.name_key`` of ``owner``) after
            ``owner``.

    Returns:
        column -> dtype, in order; nullable integers (``Int64``) become ``float64`` (NaN for
        missing), as a database read returns them.
    """
    out = dict(keys)
    for col, dtype in FRAMES[kind].items():
        if col in out or col in without:
            continue
        out[col] = "float64" if dtype == "Int64" else dtype
        if col == "owner" and owner_key:
            out["owner_key"] = "object"
    return out
