"""What the Data page reads: import batches, their rejected rows, and how fresh each source is.

Scoped like every query. Import batches belong to no team, so only a viewer who may see every team
(scope None, the local default) sees them; anyone else gets empty frames.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Collection

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard.reads import catalog
from loaders.store.models import ImportBatch, RejectedRow

Scope = Collection[str] | None
REJECT_COLUMNS = ["row_number", "column", "reason", "raw"]
FRESH_COLUMNS = ["source", "kind", "latest", "batches", "rows", "deals"]
# How old data of each kind may be before it is flagged (days).
AGING = {"pipeline": 1, "activity": 1, "history": 7, "roster": 92, "quota": 92, "readiness": 31}
STALE = {"pipeline": 7, "activity": 7, "history": 31, "roster": 366, "quota": 366, "readiness": 92}


def _read(engine: Engine, stmt, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def batches(engine: Engine, scope: Scope = None, limit: int = 500) -> pd.DataFrame:
    """The latest import batches, newest first (``catalog.import_batches`` plus ``warnings``)."""
    df = catalog.import_batches(engine, scope, limit)
    if df.empty or scope is not None:
        return df.assign(warnings=pd.Series(dtype="object"))
    stmt = select(ImportBatch.id, ImportBatch.warnings).where(
        ImportBatch.id.in_([int(i) for i in df["id"]])
    )
    warn = _read(engine, stmt, ["id", "warnings"])
    return df.merge(warn, on="id", how="left")


def _batch_id_ok(batch_id: object) -> bool:
    # ids come from links and the browser: a forged one must be a plain, storable integer
    if isinstance(batch_id, bool) or not isinstance(batch_id, numbers.Integral | str):
        return False
    try:
        return 0 < int(str(batch_id)[:12]) < 2**31
    except ValueError:
        return False


def batch(engine: Engine, batch_id: int, scope: Scope = None) -> dict | None:
    """One batch's record (None when unknown or not visible)."""
    if scope is not None or not _batch_id_ok(batch_id):
        return None
    cols = [
        ImportBatch.id,
        ImportBatch.source_name,
        ImportBatch.source,
        ImportBatch.kind,
        ImportBatch.format,
        ImportBatch.as_of,
        ImportBatch.rows_read,
        ImportBatch.rows_loaded,
        ImportBatch.rows_rejected,
        ImportBatch.status,
        ImportBatch.loaded_at,
    ]
    df = _read(engine, select(*cols).where(ImportBatch.id == int(batch_id)), [c.key for c in cols])
    return None if df.empty else df.iloc[0].to_dict()


def rejected_rows(
    engine: Engine, batch_id: int, scope: Scope = None, limit: int | None = None
) -> pd.DataFrame:
    """The rows of a batch that could not be read: ``row_number, column, reason, raw``."""
    if scope is not None or not _batch_id_ok(batch_id):
        return pd.DataFrame(columns=REJECT_COLUMNS)
    R = RejectedRow
    stmt = (
        select(R.row_number, R.column, R.reason, R.raw)
        .where(R.batch_id == int(batch_id))
        .order_by(R.row_number, R.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return _read(engine, stmt, REJECT_COLUMNS)


def latest_with_rejects(engine: Engine, scope: Scope = None) -> int | None:
    """The newest batch that has rejected rows (what the page opens on)."""
    if scope is not None:
        return None
    with engine.connect() as conn:
        value = conn.execute(
            select(func.max(ImportBatch.id)).where(ImportBatch.rows_rejected > 0)
        ).scalar()
    return int(value) if value is not None else None


def freshness(engine: Engine, today: dt.date, scope: Scope = None) -> pd.DataFrame:
    """Per source and kind of data: the latest as-of, how many batches and rows, and its age.

    Returns:
        ``source, kind, latest, batches, rows, deals`` (deals in the latest pipeline snapshot),
        ``age_days`` and ``tone`` (``fresh``, ``aging`` or ``stale``), pipelines first.
    """
    if scope is not None:
        return pd.DataFrame(columns=[*FRESH_COLUMNS, "age_days", "tone"])
    B = ImportBatch
    stmt = (
        select(B.source, B.kind, func.max(B.as_of), func.count(), func.sum(B.rows_loaded))
        .where(B.status == "loaded")
        .group_by(B.source, B.kind)
    )
    df = _read(engine, stmt, ["source", "kind", "latest", "batches", "rows"])
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
        for i, k in enumerate(("pipeline", "history", "activity", "readiness", "roster", "quota"))
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
