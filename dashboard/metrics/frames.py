"""The frames the metrics take, and small helpers every metric shares.

Metric functions take frames with the columns below (``dashboard.reads.queries`` returns them; tests
build them by hand with ``make_*``). Dates are ``datetime64[ns]`` at midnight; text is whatever
pandas gives (``str`` in pandas 3) with missing values as NA; money is ``float64``.

Money sums are exact: amounts are added as integer cents, so the waterfall identity and every
"rows behind a figure re-add to it" check hold to the cent, not to a floating-point tolerance.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

# One row per deal per snapshot (the store's opportunity_snapshots, columns the metrics read).
SNAPSHOT_COLUMNS = {
    "source": "object",
    "deal_id": "object",
    "snapshot_date": "datetime64[ns]",
    "deal_name": "object",
    "account": "object",
    "owner": "object",
    "owner_key": "object",
    "stage": "object",
    "status": "object",
    "amount": "float64",
    "probability": "float64",
    "forecast_category": "object",
    "close_date": "datetime64[ns]",
    "created_date": "datetime64[ns]",
    "next_step": "object",
    "last_activity_date": "datetime64[ns]",
    "push_count": "float64",
}
# Who is who: one row per rep known to the roster (or seen as an owner), team at the day asked.
REP_COLUMNS = {"rep": "object", "team": "object", "role": "object", "start_date": "datetime64[ns]"}
# How exports name reps: alias (identity.name_key of a name, email or CRM id) -> rep.
ALIAS_COLUMNS = {"alias": "object", "rep": "object"}
QUOTA_COLUMNS = {"rep": "object", "quota": "float64"}
# Field history (close_date, amount, stage, forecast_category, owner, probability changes).
HISTORY_COLUMNS = {
    "source": "object",
    "deal_id": "object",
    "changed_at": "datetime64[ns]",
    "field": "object",
    "old_value": "object",
    "new_value": "object",
}
# Completed activities per owner and day (counts), for activity consistency.
ACTIVITY_COUNT_COLUMNS = {"owner_key": "object", "activity_date": "datetime64[ns]", "n": "int64"}
# Last completed activity on or before as_of linked to each deal.
DEAL_TOUCH_COLUMNS = {"source": "object", "deal_id": "object", "last_touch": "datetime64[ns]"}
READINESS_COLUMNS = {
    "owner_key": "object",
    "program": "object",
    "kind": "object",
    "required": "bool",
    "assigned_date": "datetime64[ns]",
    "due_date": "datetime64[ns]",
    "completed_date": "datetime64[ns]",
    "score": "float64",
}

DEAL_KEY = ["source", "deal_id"]


def conform(df: pd.DataFrame, spec: dict[str, str]) -> pd.DataFrame:
    """``df`` with at least the columns of ``spec`` in their dtypes (missing ones added empty)."""
    out = df.copy()
    for col, dtype in spec.items():
        if col not in out.columns:
            out[col] = pd.Series(
                pd.NA if dtype == "object" else None, index=out.index, dtype="object"
            )
        s = out[col]
        if dtype == "datetime64[ns]":
            out[col] = pd.to_datetime(s).astype("datetime64[ns]")
        elif dtype == "float64":
            out[col] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif dtype == "int64":
            out[col] = s.astype("int64")
        elif dtype == "bool":
            out[col] = s.fillna(False).astype(bool)
    return out


def empty(spec: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the columns of ``spec``."""
    return conform(pd.DataFrame(columns=list(spec)), spec)


def ts(day: dt.date | pd.Timestamp | str | None) -> pd.Timestamp | None:
    """A day as a midnight ``Timestamp`` (None stays None)."""
    if day is None:
        return None
    return pd.Timestamp(day).normalize()


def cents(amounts: pd.Series) -> pd.Series:
    """Amounts as integer cents (missing amounts count as 0)."""
    values = amounts.astype("float64").fillna(0.0).to_numpy()
    return pd.Series(np.round(values * 100.0).astype("int64"), index=amounts.index)


def money(total_cents: int | np.integer) -> float:
    """Integer cents back to a plain money number."""
    return int(total_cents) / 100


def none_if_nan(value: object) -> object:
    """``None`` for NaN/NA/NaT, else the value as a plain Python number where it is one."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if isinstance(value, np.integer | bool | np.bool_):
        return value.item() if hasattr(value, "item") else value
    if isinstance(value, np.floating):
        value = float(value)
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def unique_in_order(values: Iterable) -> list:
    """Values without repeats, first occurrence first."""
    return list(dict.fromkeys(values))


def make_snapshots(rows: list[dict], **defaults) -> pd.DataFrame:
    """Snapshot rows from plain dicts (tests, the demo): unspecified columns take ``defaults``.

    ``owner_key`` is derived from ``owner`` when not given; dates may be ISO strings.
    """
    from loaders.identity import name_key

    records = [{**defaults, **row} for row in rows]
    df = pd.DataFrame(
        records, columns=list(dict.fromkeys([*SNAPSHOT_COLUMNS, *(k for r in records for k in r)]))
    )
    if "owner_key" not in df or df["owner_key"].isna().any():
        keys = df["owner"].map(name_key)
        df["owner_key"] = (
            df["owner_key"].where(df["owner_key"].notna(), keys) if "owner_key" in df else keys
        )
    return conform(df, SNAPSHOT_COLUMNS)
