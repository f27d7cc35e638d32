"""Bulk writes into the store, by database: what SQLite and PostgreSQL each do fastest.

Rules:

* Frames are written in chunks of ``CHUNK`` rows inside the caller's transaction; nothing commits
  here, so a failed load leaves no rows behind.
* PostgreSQL takes each chunk by ``COPY`` (through a temporary table when upserting); SQLite by
  one prepared statement executed many times.
* An upsert rewrites a stored row only when a field other than the batch id changed.
* A first load into an empty table drops the plain indexes and builds them once after the rows
  are in; on PostgreSQL loads into the same table take turns (an advisory lock held to commit)
  from the "is it empty?" question on.
* Column names are spliced into SQL, so only a model's own column names are accepted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import DateTime, select
from sqlalchemy.orm import Session

CHUNK = 20_000


def bulk_insert(
    session: Session, model, frame: pd.DataFrame, upsert_keys: Sequence[str] | None = None
) -> None:
    """Write a frame whose columns are ``model``'s, in chunks, inside the session's transaction.

    PostgreSQL takes each chunk by ``COPY`` (through a temporary table when upserting); SQLite by
    one prepared statement executed many times. Both are several times faster than ORM inserts of
    dicts, and nothing commits until the caller's transaction does.
    """
    if frame.empty:
        return
    conn = session.connection()
    table = model.__table__
    for start in range(0, len(frame), CHUNK):
        _insert_chunk(conn, table, frame.iloc[start : start + CHUNK], upsert_keys)


def _insert_chunk(conn, table, chunk: pd.DataFrame, upsert_keys) -> None:
    # identifiers below are spliced into SQL: they must be our own model's column names
    unknown = set(chunk.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    if conn.dialect.name == "postgresql":
        _copy_postgres(conn, table, chunk, upsert_keys)
    elif conn.dialect.name == "sqlite":
        _executemany_sqlite(conn, table, chunk, upsert_keys)
    else:  # pragma: no cover - SQLite and PostgreSQL are the supported stores
        raise NotImplementedError(f"bulk load into {conn.dialect.name} is not supported")


def _text_column(table, col: str, s: pd.Series, datetime_format: str) -> pd.Series:
    """A column as the database's text form: dates ISO, NaN/NaT as None."""
    sql_type = table.c[col].type
    if pd.api.types.is_datetime64_any_dtype(s):
        fmt = datetime_format if isinstance(sql_type, DateTime) else "%Y-%m-%d"
        out = s.dt.strftime(fmt)
        return out.astype(object).where(s.notna(), None)
    if isinstance(s.dtype, pd.Int64Dtype):
        return s.astype(object).where(s.notna(), None)
    if pd.api.types.is_float_dtype(s):
        return s.astype(object).where(s.notna(), None)
    if pd.api.types.is_bool_dtype(s):
        return s.astype(bool)
    return s.astype(object).where(s.notna(), None)


def _executemany_sqlite(conn, table, chunk: pd.DataFrame, upsert_keys) -> None:
    cols = list(chunk.columns)
    # SQLAlchemy's own SQLite storage format, so its Date/DateTime types read these back
    data = [_text_column(table, c, chunk[c], "%Y-%m-%d %H:%M:%S.%f").tolist() for c in cols]
    rows = list(zip(*data, strict=True))
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'  # noqa: S608
    if upsert_keys:
        sql += _on_conflict(table.name, cols, upsert_keys, "excluded")
    conn.exec_driver_sql(sql, rows)


def _on_conflict(table: str, cols: Sequence[str], keys: Sequence[str], new: str) -> str:
    """``ON CONFLICT`` for an upsert that rewrites a stored row only when a field changed.

    The batch id is not compared: a row exported again unchanged keeps the batch it came from.
    """
    fields = [c for c in cols if c not in keys and c != "batch_id"]
    updates = ", ".join(f'"{c}" = {new}."{c}"' for c in cols if c not in keys)
    old_row = ", ".join(f'"{table}"."{c}"' for c in fields)
    new_row = ", ".join(f'{new}."{c}"' for c in fields)
    changed = f" WHERE ({old_row}) IS DISTINCT FROM ({new_row})" if fields else ""
    return f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}{changed}"


def _copy_postgres(conn, table, chunk: pd.DataFrame, upsert_keys) -> None:
    cols = list(chunk.columns)
    text = pd.DataFrame({c: _text_column(table, c, chunk[c], "%Y-%m-%d %H:%M:%S.%f") for c in cols})
    buffer = text.to_csv(index=False, header=False)
    names = ", ".join(f'"{c}"' for c in cols)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        target = table.name
        if upsert_keys:
            target = f"_load_{table.name}"
            cur.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{target}" '
                f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
            )
            cur.execute(f'TRUNCATE "{target}"')
        with cur.copy(f'COPY "{target}" ({names}) FROM STDIN (FORMAT csv)') as copy:
            copy.write(buffer)
        if upsert_keys:
            cur.execute(
                f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{target}"'  # noqa: S608
                + _on_conflict(table.name, cols, upsert_keys, "EXCLUDED")
            )


# PostgreSQL advisory lock keys: loads into the same table take turns at the "is it empty?" step
_LOCK_KEYS = {"activities": 7316, "opportunity_snapshots": 7317}


def first_load(session: Session, model) -> bool:
    """Whether ``model``'s table is empty: the first load into it (``indexes_rebuilt_after``).

    On PostgreSQL loads into the table take turns from here to their commit, so the answer holds
    until this transaction ends; SQLite already holds its single write lock (the batch row).
    """
    conn = session.connection()
    table = model.__table__
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEYS[table.name]})")
    return conn.execute(select(table.c[next(iter(table.c.keys()))]).limit(1)).first() is None


@contextlib.contextmanager
def indexes_rebuilt_after(session: Session, model):
    """Drop ``model``'s plain (non-unique) indexes, run the block, create them again.

    For a first load: an index built once over all the rows costs a fraction of keeping it up to
    date row by row. All inside the caller's transaction, so a failed load leaves them as they were.
    """
    conn = session.connection()
    indexes = [ix for ix in model.__table__.indexes if not ix.unique]
    for ix in indexes:
        ix.drop(conn)
    yield
    for ix in indexes:
        ix.create(conn)
