"""Import batches and their rejected rows: what the Data page reads about loading.

Scoped like every read. Import batches belong to no team, so only a viewer who may see every team
(scope None, the local default) sees them; any other scope reads nothing and gets empty results.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Sequence

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.sql import Select

from loaders.store.models import ImportBatch, RejectedRow

Scope = Collection[str] | None
REJECT_COLUMNS = ["row_number", "column", "reason", "raw"]
LOADED_COLUMNS = ["source", "kind", "latest", "batches", "rows"]
BATCH_COLUMNS = [
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


def _read(engine: Engine, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


def batch_id_ok(batch_id: object) -> bool:
    """Whether ``batch_id`` (from a link or the browser) is a plain, storable integer."""
    if isinstance(batch_id, bool) or not isinstance(batch_id, numbers.Integral | str):
        return False
    try:
        return 0 < int(str(batch_id)[:12]) < 2**31
    except ValueError:
        return False


def batch_warnings(engine: Engine, batch_ids: Sequence[int], scope: Scope = None) -> pd.DataFrame:
    """The warnings recorded on each of ``batch_ids``: ``id, warnings``."""
    if scope is not None:
        return pd.DataFrame(columns=["id", "warnings"])
    stmt = select(ImportBatch.id, ImportBatch.warnings).where(
        ImportBatch.id.in_([int(i) for i in batch_ids])
    )
    return _read(engine, stmt, ["id", "warnings"])


def import_batch(engine: Engine, batch_id: object, scope: Scope = None) -> dict | None:
    """One batch's record (None when unknown, malformed or not visible)."""
    if scope is not None or not batch_id_ok(batch_id):
        return None
    stmt = select(*BATCH_COLUMNS).where(ImportBatch.id == int(batch_id))
    df = _read(engine, stmt, [c.key for c in BATCH_COLUMNS])
    return None if df.empty else df.iloc[0].to_dict()


def rejected_rows(
    engine: Engine, batch_id: object, scope: Scope = None, limit: int | None = None
) -> pd.DataFrame:
    """The rows of a batch that could not be read: ``row_number, column, reason, raw``."""
    if scope is not None or not batch_id_ok(batch_id):
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
    """The newest batch that has rejected rows."""
    if scope is not None:
        return None
    with engine.connect() as conn:
        value = conn.execute(
            select(func.max(ImportBatch.id)).where(ImportBatch.rows_rejected > 0)
        ).scalar()
    return int(value) if value is not None else None


def loaded_by_source(engine: Engine, scope: Scope = None) -> pd.DataFrame:
    """Per source and kind of data, over the batches that loaded: the latest as-of, how many
    batches, and how many rows (``source, kind, latest, batches, rows``)."""
    if scope is not None:
        return pd.DataFrame(columns=LOADED_COLUMNS)
    B = ImportBatch
    stmt = (
        select(B.source, B.kind, func.max(B.as_of), func.count(), func.sum(B.rows_loaded))
        .where(B.status == "loaded")
        .group_by(B.source, B.kind)
    )
    return _read(engine, stmt, LOADED_COLUMNS)


__all__ = [
    "REJECT_COLUMNS",
    "batch_id_ok",
    "batch_warnings",
    "import_batch",
    "latest_with_rejects",
    "loaded_by_source",
    "rejected_rows",
]
