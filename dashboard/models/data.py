"""What the Data page reads: import batches, their rejected rows, and how fresh each source is.

The reads are ``dashboard.reads.imports`` and ``catalog``, scoped like every read: import batches
belong to no team, so only a viewer who may see every team (scope None, the local default) sees
them; anyone else gets empty frames. This module adds the warnings to the batch list and says how
fresh each source is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.reads import catalog, imports
from dashboard.reads.imports import REJECT_COLUMNS

if TYPE_CHECKING:
    from sqlalchemy import Engine

Scope = Collection[str] | None
FRESH_COLUMNS = ["source", "kind", "latest", "batches", "rows", "deals"]
# How old data of each kind may be before it is flagged (days).
AGING = {"pipeline": 1, "activity": 1, "history": 7, "roster": 92, "quota": 92, "readiness": 31}
STALE = {"pipeline": 7, "activity": 7, "history": 31, "roster": 366, "quota": 366, "readiness": 92}
# Calls are made weekly: a calls file older than a week is aging, older than two is stale.
AGING["calls"], STALE["calls"] = 7, 14


def batches(engine: Engine, scope: Scope = None, limit: int = 500) -> pd.DataFrame:
    """The latest import batches, newest first (``catalog.import_batches`` plus ``warnings``)."""
    df = catalog.import_batches(engine, scope, limit)
    if df.empty or scope is not None:
        return df.assign(warnings=pd.Series(dtype="object"))
    warn = imports.batch_warnings(engine, list(df["id"]), scope)
    return df.merge(warn, on="id", how="left")


def batch(engine: Engine, batch_id: int, scope: Scope = None) -> dict | None:
    """One batch's record (None when unknown or not visible)."""
    return imports.import_batch(engine, batch_id, scope)


def rejected_rows(
    engine: Engine, batch_id: int, scope: Scope = None, limit: int | None = None
) -> pd.DataFrame:
    """The rows of a batch that could not be read: ``row_number, column, reason, raw``."""
    return imports.rejected_rows(engine, batch_id, scope, limit)


def latest_with_rejects(engine: Engine, scope: Scope = None) -> int | None:
    """The newest batch that has rejected rows (what the page opens on)."""
    return imports.latest_with_rejects(engine, scope)


def freshness(engine: Engine, today: dt.date, scope: Scope = None) -> pd.DataFrame:
    """Per source and kind of data: the latest as-of, how many batches and rows, and its age.

    Returns:
        ``source, kind, latest, batches, rows, deals`` (deals in the latest pipeline snapshot),
        ``age_days`` and ``tone`` (``fresh``, ``aging`` or ``stale``), pipelines first.
    """
    if scope is not None:
        return pd.DataFrame(columns=[*FRESH_COLUMNS, "age_days", "tone"])
    df = imports.loaded_by_source(engine, scope)
    if df.empty:
        return pd.DataFrame(columns=[*FRESH_COLUMNS, "age_days", "tone"])
    deals = catalog.freshness(engine)
    deals = deals.rename(columns={"latest_snapshot": "_day"})[["source", "deals"]]
    df = df.merge(deals.assign(kind="pipeline"), on=["source", "kind"], how="left")
    df["latest"] = pd.to_datetime(df["latest"])
    df["age_days"] = [(today - d.date()).days if pd.notna(d) else None for d in df["latest"]]
    df["tone"] = [_tone(k, a) for k, a in zip(df["kind"], df["age_days"], strict=True)]
    order = {
        k: i
        for i, k in enumerate(
            ("pipeline", "history", "activity", "readiness", "calls", "roster", "quota")
        )
    }
    df["_o"] = df["kind"].map(order).fillna(9)
    return df.sort_values(["_o", "source"]).drop(columns="_o").reset_index(drop=True)


def _tone(kind: str, age: int | None) -> str:
    if age is None:
        return "stale"
    if age <= AGING.get(kind, 7):
        return "fresh"
    if age <= STALE.get(kind, 31):
        return "aging"
    return "stale"


__all__ = [
    "REJECT_COLUMNS",
    "batch",
    "batches",
    "freshness",
    "latest_with_rejects",
    "rejected_rows",
]


def split_message(message: str, file: str) -> tuple[str, str]:
    """A loader's message as (what went wrong, what to do about it): the file name the alert
    already shows is dropped; the lines after the first (an unknown layout's advice on drafting
    a mapping) go behind a disclosure."""
    if file and message.startswith(file + ": "):
        message = message[len(file) + 2 :]
    head, _, tail = message.partition("\n")
    return head, tail.strip()
