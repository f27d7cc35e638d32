"""Engine factory, sessions and schema upgrades.

An engine is made per process on first use (never at import, never shared across a fork): the
factory keys its cache by process id, so a gunicorn worker forked after the master touched the
store builds its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from loaders.config import load_config
from loaders.store.models import CALLS_VERSION_KEY, SCHEMA_VERSION_KEY, Meta

_ENGINES: dict[tuple[int, str], Engine] = {}
CONNECT_TIMEOUT_S = 5
SQLITE_BUSY_TIMEOUT_MS = 30_000
# A load waits this long for another load's transaction on SQLite (one writer at a time): a
# large file can hold the write lock for minutes, and the second load must land, not fail.
SQLITE_LOAD_WAIT_MS = 30 * 60_000
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers and one writer work at once; the timeout lets two loads queue, not fail.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # 256 MB of page cache: bulk loads into indexed tables of millions of rows stay off the disk
    cur.execute("PRAGMA cache_size=-262144")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the configured store) in this process."""
    url = url or load_config().database_url
    key = (os.getpid(), url)
    engine = _ENGINES.get(key)
    if engine is None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            # A pooled connection to a server that restarted is tested before use and replaced;
            # an unreachable server fails a request within seconds instead of hanging a worker.
            engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_recycle=1800,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
            )
        _ENGINES[key] = engine
    return engine


def wait_for_other_writers(session: Session) -> None:
    """Let this session's transaction wait for another load's on SQLite, however long it takes.

    Only a loader calls this (its connection goes back to the pool with the longer wait);
    PostgreSQL writers do not lock each other out of a table, so nothing is needed there.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_LOAD_WAIT_MS}")


def dispose_engines() -> None:
    """Close every engine of this process (tests and forks)."""
    for key in [k for k in _ENGINES if k[0] == os.getpid()]:
        _ENGINES.pop(key).dispose()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    session = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    """An Alembic configuration pointing at our migrations and ``url``."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the store at ``url`` to ``revision``, keeping its rows (never drops)."""
    from alembic import command

    url = url or load_config().database_url
    get_engine(url)  # makes the SQLite folder
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """The Alembic revision the store at ``url`` is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def data_version(session: Session) -> int:
    """The store's data version: bumped by every import, read by live pages and caches."""
    return _counter(session, SCHEMA_VERSION_KEY)


def calls_version(session: Session) -> int:
    """How many forecast calls were made in the browser (the calls' own version): the forecast
    and what shows calls are cached by it as well as by the data version."""
    return _counter(session, CALLS_VERSION_KEY)


def _counter(session: Session, key: str) -> int:
    value = session.scalar(select(Meta.value).where(Meta.key == key))
    return int(value) if value is not None else 0


def bump_data_version(session: Session) -> int:
    """Increase the data version inside the caller's transaction, and return the new one.

    Two loads may commit at once, into a store that has no version yet: the row is created with
    "insert unless present" (the second waits for the first and inserts nothing), then locked and
    re-read, so neither load fails on the key and no bump is lost.
    """
    return _bump(session, SCHEMA_VERSION_KEY)


def bump_calls_version(session: Session) -> int:
    """Increase the calls' version inside the caller's transaction (a call made in the browser),
    as ``bump_data_version`` does the data version."""
    return _bump(session, CALLS_VERSION_KEY)


def _bump(session: Session, key: str) -> int:
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(Meta)
        session.execute(
            insert.values(key=key, value="0").on_conflict_do_nothing(index_elements=["key"])
        )
    elif session.get(Meta, key) is None:  # pragma: no cover - other stores
        session.add(Meta(key=key, value="0"))
        session.flush()
    row = session.get(Meta, key, with_for_update=True, populate_existing=True)
    row.value = str(int(row.value) + 1)
    session.flush()
    return int(row.value)
