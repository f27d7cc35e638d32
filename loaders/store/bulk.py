"""Bulk writes into the store, by database: what SQLite and PostgreSQL each do fastest.

Rules:

* Frames are written in chunks of ``CHUNK`` rows inside the caller's transaction; nothing commits
  here, so a failed load leaves no rows behind.
* Large frames go through Arrow: each column is converted once to the store's text or number form
  (vectorised, no per-cell Python). PostgreSQL takes them by ``COPY`` of Arrow's own CSV rendering
  in the load's transaction; SQLite gets them from a staging file written by the ADBC SQLite
  driver, attached to the load's connection and copied with one ``INSERT ... SELECT``.
* Small frames (under ``ARROW_MIN_ROWS``) skip the staging: PostgreSQL by ``COPY`` of pandas' CSV,
  SQLite by one prepared statement executed many times.
* An upsert rewrites a stored row only when a field other than the batch id changed.
* A first load into an empty table drops the plain indexes and builds them once after the rows
  are in; on PostgreSQL loads into the same table take turns (an advisory lock held to commit)
  from the "is it empty?" question on.
* Column names are spliced into SQL, so only a model's own column names are accepted.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import DateTime, event, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from loaders.store.models import Activity, OpportunitySnapshot

CHUNK = 20_000
# From this many rows a frame is written through Arrow: staging a file (SQLite) or rendering CSV
# in C++ (PostgreSQL) costs a few milliseconds, binding each cell from Python costs microseconds.
ARROW_MIN_ROWS = 5_000
# Rows rendered per COPY buffer on PostgreSQL: bounds the memory a large frame's text takes.
COPY_ROWS = 100_000
# Building indexes after a first load: SQLite's sorter threads, PostgreSQL's sort memory.
INDEX_THREADS = 2
INDEX_SORT_MB = 256


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
    if len(frame) >= ARROW_MIN_ROWS and conn.dialect.name in ("postgresql", "sqlite"):
        _check_columns(table, frame.columns)
        data = arrow_rows(table, frame)
        if data is not None:
            if conn.dialect.name == "postgresql":
                _copy_postgres_arrow(conn, table, data, upsert_keys)
            else:
                _stage_sqlite(conn, table, data, upsert_keys)
            return
    for start in range(0, len(frame), CHUNK):
        _insert_chunk(conn, table, frame.iloc[start : start + CHUNK], upsert_keys)


def _check_columns(table, columns) -> None:
    # identifiers are spliced into SQL: they must be our own model's column names
    unknown = set(columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")


def arrow_rows(table, frame: pd.DataFrame) -> pa.Table | None:
    """The frame as an Arrow table in the store's own forms, column by column.

    Dates and datetimes become the text SQLAlchemy itself stores on SQLite (``YYYY-MM-DD``,
    ``YYYY-MM-DD HH:MM:SS.ffffff``, which PostgreSQL reads too); numbers stay numbers (NaN and
    NaT are NULL), booleans booleans, text text. None when a text column holds something other
    than strings: the row-by-row path binds those as they are.
    """
    columns = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            stamps = pa.Array.from_pandas(s.astype("datetime64[ns]"))
            if isinstance(table.c[col].type, DateTime):
                # microseconds: Arrow's %S then prints the seconds as SS.ffffff, SQLAlchemy's form
                stamps = stamps.cast(pa.timestamp("us"), safe=False)
                columns[col] = pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S")
            else:
                # a day prints as YYYY-MM-DD by a cast, some fifteen times faster than strftime
                columns[col] = stamps.cast(pa.date32(), safe=False).cast(pa.string())
        elif pd.api.types.is_bool_dtype(s) and not isinstance(s.dtype, pd.BooleanDtype):
            columns[col] = pa.array(s.to_numpy(dtype=bool))
        elif isinstance(s.dtype, pd.Int64Dtype) or pd.api.types.is_float_dtype(s):
            columns[col] = pa.Array.from_pandas(s)
        elif pd.api.types.is_integer_dtype(s):
            columns[col] = pa.array(s.to_numpy(dtype="int64"))
        elif isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
            # pandas' own Arrow strings (a key or a label the writer added): taken as they are,
            # not turned into a million Python strings and back
            columns[col] = pa.array(s.array).cast(pa.string())
        else:
            try:
                columns[col] = pa.array(
                    s.to_numpy(dtype=object), type=pa.string(), from_pandas=True
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return None
    return pa.table(columns)


def _insert_chunk(conn, table, chunk: pd.DataFrame, upsert_keys) -> None:
    _check_columns(table, chunk.columns)
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
    _copy_csv(conn, table, cols, upsert_keys, [buffer])


def _copy_postgres_arrow(conn, table, data: pa.Table, upsert_keys) -> None:
    """COPY the rows as CSV rendered by Arrow (C++), in the caller's transaction.

    Arrow writes NULL as an empty field and an empty text as ``""``, which is what ``COPY ...
    (FORMAT csv)`` reads back; doubles print with the shortest text that reads back exactly.
    """
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")

    def blocks():
        for start in range(0, data.num_rows, COPY_ROWS):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(data.slice(start, COPY_ROWS), sink, options)
            yield memoryview(sink.getvalue())

    _copy_csv(conn, table, data.column_names, upsert_keys, blocks())


def _copy_csv(conn, table, cols: list[str], upsert_keys, blocks) -> None:
    """``COPY ... FROM STDIN (FORMAT csv)`` of ``blocks`` into ``table``; with ``upsert_keys``,
    through a temporary table merged with ``ON CONFLICT`` (COPY itself cannot upsert)."""
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
            for block in blocks:
                copy.write(block)
        if upsert_keys:
            cur.execute(
                f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{target}"'  # noqa: S608
                + _on_conflict(table.name, cols, upsert_keys, "EXCLUDED")
            )


_STAGES = "teamcar_stages"


def _stage_sqlite(conn, table, data: pa.Table, upsert_keys) -> None:
    """Write the rows into a staging file with the ADBC SQLite driver (Arrow in, no Python per
    cell), attach it to the load's connection and copy them with one ``INSERT ... SELECT``.

    The copy is part of the caller's transaction, so a failed load leaves nothing behind; the
    staging file is only ever read here. It sits beside the database (not in a memory-backed
    /tmp) and is detached and removed when the connection goes back to the pool (SQLite cannot
    detach inside a transaction).
    """
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    database = conn.engine.url.database
    folder = (
        Path(database).resolve().parent
        if database and database != ":memory:" and not database.startswith("file:")
        else Path(tempfile.gettempdir())
    )
    fd, name = tempfile.mkstemp(prefix=".teamcar-stage-", suffix=".db", dir=folder)
    os.close(fd)
    schema = f"stage_{uuid.uuid4().hex[:12]}"
    try:
        with adbc_sqlite.connect(name, autocommit=True) as staging, staging.cursor() as cur:
            # a scratch file: no journal, no syncs (the driver ingests in one transaction)
            cur.execute("PRAGMA journal_mode=OFF")
            cur.fetchall()
            cur.execute("PRAGMA synchronous=OFF")
            cur.adbc_ingest("rows", data, mode="create")
        pool = conn.engine.pool
        if not event.contains(pool, "checkin", _drop_stages):
            event.listen(pool, "checkin", _drop_stages)
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {schema}", (name,))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    conn.connection.info.setdefault(_STAGES, []).append((schema, name))
    cols = data.column_names
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {schema}."rows"'  # noqa: S608
    if upsert_keys:
        # "WHERE true": SQLite's parser would read ON CONFLICT as a join's ON otherwise
        sql += " WHERE true" + _on_conflict(table.name, cols, upsert_keys, "excluded")
    conn.exec_driver_sql(sql)


def _drop_stages(dbapi_connection, record) -> None:
    """Pool check-in: detach and remove the staging files a load attached (its transaction is
    over by now, which SQLite requires to detach)."""
    for schema, name in record.info.pop(_STAGES, []):
        with contextlib.suppress(Exception):
            dbapi_connection.execute(f"DETACH DATABASE {schema}")
        Path(name).unlink(missing_ok=True)


# PostgreSQL advisory lock keys: loads into the same table take turns at the "is it empty?" step
_LOCK_KEYS = {"activities": 7316, "opportunity_snapshots": 7317}
# ... and the key space of ``lock_key``'s two-key locks
_KEY_SPACE = 7318


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


def lock_key(session: Session, key: str) -> None:
    """Hold a lock on ``key`` (e.g. a source and day) until this transaction ends.

    On PostgreSQL a transaction-level advisory lock in a key space of its own (two int4 keys never
    meet the one-bigint keys of ``first_load``); SQLite needs none: a writer holds the whole store.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": _KEY_SPACE, "key": key},
        )


# A first load of this many rows builds some of its table's plain indexes after its commit, in a
# second step (``defer_indexes``/``build_indexes``); smaller ones build them all in the load's
# transaction.
DEFER_MIN_ROWS = 50_000
# The indexes that may wait for that step: a read without them scans the table once (a window's
# activity counts per owner and day, a batch's rows on its delete). The others serve lookups made
# once per deal (ix_act_deal_done: a deal's last touch, its activities), where a read without the
# index would scan the table once per deal; they, and every snapshot index (every page reads the
# snapshots by batch, owner and deal), are built in the load's transaction.
DEFERRABLE = {
    "activities": frozenset({"ix_act_owner_date", "ix_act_done_day", "ix_activities_batch_id"})
}
_DEFERRED = "teamcar_deferred_indexes"


def defer_indexes(session: Session) -> None:
    """Let this session's first loads of large frames leave their tables' plain indexes to be
    built after the commit (``build_indexes``); the caller must then call it."""
    session.info[_DEFERRED] = set()


def deferred_tables(session: Session) -> list[str]:
    """The tables whose plain indexes this session's loads left to build after the commit."""
    return sorted(session.info.get(_DEFERRED, ()))


def _plain_indexes(table) -> list:
    return [ix for ix in table.indexes if not ix.unique]


@contextlib.contextmanager
def indexes_rebuilt_after(session: Session, model, rows: int = 0):
    """Drop ``model``'s plain (non-unique) indexes, run the block, create them again.

    For a first load: an index built once over all the rows costs a fraction of keeping it up to
    date row by row. All inside the caller's transaction, so a failed load leaves them as they
    were. A frame of ``DEFER_MIN_ROWS`` or more in a session that ``defer_indexes`` marked leaves
    the table's ``DEFERRABLE`` ones to ``build_indexes`` after the commit: the rows are then
    stored and announced without them (every query reads the same rows without them; the reads
    they serve scan the table once instead), and they are built in a transaction of their own.
    """
    conn = session.connection()
    indexes = _plain_indexes(model.__table__)
    for ix in indexes:
        # checkfirst: a load killed between its commit and its index step left them unbuilt
        ix.drop(conn, checkfirst=True)
    yield
    pending = session.info.get(_DEFERRED)
    later = DEFERRABLE.get(model.__table__.name, frozenset())
    if pending is not None and rows >= DEFER_MIN_ROWS and later:
        pending.add(model.__table__.name)
        indexes = [ix for ix in indexes if ix.name not in later]
    _create_indexes(conn, indexes)


@contextlib.contextmanager
def foreign_keys_checked_after(session: Session, model, rows: int):
    """PostgreSQL, a first load of ``DEFER_MIN_ROWS`` or more: drop ``model``'s foreign keys, run
    the block, add them again.

    ``COPY`` checks a foreign key row by row (a trigger looks the batch up for each row): half
    the server's work of a first load. Added again after the rows are in, each key is checked
    once over all of them (one join), in the same transaction, so no row can be stored without
    its batch. Adding a key locks the table it refers to against writes until the commit; the
    lock is asked for without waiting (``NOWAIT``, in a savepoint) before anything is dropped, so
    when another transaction is writing there (another load's batch row) the keys simply stay
    and are checked row by row: never a deadlock. Other loads then wait for this one's commit to
    add their batch. SQLite checks nothing here (its foreign keys cost no trigger).
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql" or rows < DEFER_MIN_ROWS:
        yield
        return
    keys = conn.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid), confrelid::regclass::text "
        "FROM pg_constraint WHERE conrelid = %(t)s::regclass AND contype = 'f' ORDER BY conname",
        {"t": model.__table__.name},
    ).all()
    if not keys:
        yield
        return
    try:
        with conn.begin_nested():
            for referred in sorted({k[2] for k in keys}):
                conn.exec_driver_sql(f"LOCK TABLE {referred} IN SHARE ROW EXCLUSIVE MODE NOWAIT")
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        yield
        return
    table = model.__table__.name
    for name, _definition, _referred in keys:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    yield
    for name, definition, _referred in keys:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def ensure_indexes(session: Session, model) -> list[str]:
    """Create those of ``model``'s plain indexes that are missing, in the caller's transaction
    (a load killed after its commit, before its index step); their names."""
    conn = session.connection()
    table = model.__table__
    existing = {ix["name"] for ix in inspect(conn).get_indexes(table.name)}
    missing = [ix for ix in _plain_indexes(table) if ix.name not in existing]
    if missing:
        _create_indexes(conn, missing)
    return [ix.name for ix in missing]


def _create_indexes(conn, indexes) -> None:
    if not indexes:
        return
    if conn.dialect.name == "sqlite":
        # the sorter behind CREATE INDEX may use helper threads (SQLite's default is none)
        conn.exec_driver_sql(f"PRAGMA threads={INDEX_THREADS}")
    elif conn.dialect.name == "postgresql":
        # sort each index in memory rather than in temporary files (4 MB by default)
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_SORT_MB}MB'")
    for ix in indexes:
        ix.create(conn, checkfirst=True)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA threads=0")


def build_indexes(session: Session, tables: Sequence[str]) -> list[str]:
    """The second step of a large first load, after its commit: build the plain indexes of
    ``tables`` that are missing, in this session's transaction; their names.

    On PostgreSQL it takes the table's load lock first (``first_load``), so a load into the
    table waits for the indexes rather than finding them half built; on SQLite the write lock
    does that.
    """
    conn = session.connection()
    built = []
    for name in tables:
        model = {m.__table__.name: m for m in (Activity, OpportunitySnapshot)}[name]
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEYS[name]})")
        built += ensure_indexes(session, model)
    return built
