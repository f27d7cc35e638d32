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

from loaders import schema

# The columns come from the one column contract, ``loaders.schema``, as the store gives them back.
# One row per deal per snapshot (the store's opportunity_snapshots, columns the metrics read).
SNAPSHOT_COLUMNS = schema.stored_columns(
    "pipeline",
    {"source": "object", "deal_id": "object", "snapshot_date": "datetime64[ns]"},
    without=("stage_order", "deal_type", "lead_source"),
    owner_key=True,
)
# Who is who: one row per rep known to the roster (or seen as an owner), team at the day asked.
REP_COLUMNS = schema.stored_columns(
    "roster", {}, without=("email", "crm_user_id", "manager", "effective_from")
)
# How exports name reps: alias (identity.name_key of a name, email or CRM id) -> rep.
ALIAS_COLUMNS = {"alias": "object", "rep": "object"}
QUOTA_COLUMNS = schema.stored_columns("quota", {}, without=("quarter",))
# Field history (close_date, amount, stage, forecast_category, owner, probability changes).
HISTORY_COLUMNS = schema.stored_columns("history", {"source": "object"})
# Completed activities per owner and day (counts), for activity consistency.
ACTIVITY_COUNT_COLUMNS = {"owner_key": "object", "activity_date": "datetime64[ns]", "n": "int64"}
# Last completed activity on or before as_of linked to each deal.
DEAL_TOUCH_COLUMNS = {"source": "object", "deal_id": "object", "last_touch": "datetime64[ns]"}
# Readiness events keyed by the rep's owner_key (the store's form of the roster name).
READINESS_COLUMNS = schema.stored_columns("readiness", {"owner_key": "object"}, without=("rep",))

DEAL_KEY = ["source", "deal_id"]


def conform(df: pd.DataFrame, spec: dict[str, str]) -> pd.DataFrame:
    """``df`` with at least the columns of ``spec`` in their dtypes (missing ones added empty).

    The metrics' form of ``loaders.schema.conform``, built on the same ``schema.cast``; it differs
    because its frames come back from the store or are built by hand, not from a reader: other
    columns are kept, in their order; text is left as pandas gives it (NA for missing, not None);
    an unreadable number becomes NaN rather than an error; dates keep their time of day; nothing
    is required and no value list is checked.
    """
    out = df.copy()
    for col, dtype in spec.items():
        if col not in out.columns:
            out[col] = pd.Series(
                pd.NA if dtype == "object" else None, index=out.index, dtype="object"
            )
        if dtype == "object":
            continue
        s = out[col]
        if dtype == "float64":
            s = pd.to_numeric(s, errors="coerce")
        out[col] = schema.cast(s, dtype)
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
