"""Fresh stores for tests: SQLite in a folder, or a PostgreSQL database made and dropped per use.

Where no PostgreSQL server is reachable the test is skipped with the reason, unless
``TEAMCAR_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes that a failure: CI proves both stores.

Safe under pytest-xdist: each PostgreSQL database has a random name (its own per test or session,
whichever worker makes it), SQLite files live in the test's own temporary folder, and each worker
gets its own Redis database number.

An upgraded store is a copy of one that this process upgraded from empty once per backend (a
SQLite file, a PostgreSQL template database): running every migration for each of hundreds of
stores took 0.5-1 s apiece, a copy takes milliseconds (SQLite) or a tenth of that (PostgreSQL's
``CREATE DATABASE ... TEMPLATE``). ``make_store(..., migrate=False)`` and ``upgrade`` are what
the migration tests use, from an empty database.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Engine, create_engine, text

from loaders.store.engine import dispose_engines, get_engine, upgrade

PG_SERVER = os.environ.get(
    "TEAMCAR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/"
)
REDIS_SERVER = os.environ.get("TEAMCAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def postgres_admin() -> Engine:
    """An autocommit engine on the server's ``postgres`` database, or skip/fail the test."""
    try:
        engine = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return engine
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        if os.environ.get("TEAMCAR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but not reachable at {PG_SERVER}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_SERVER}: {exc}")


def make_store(
    backend: str, folder: Path, prefix: str = "teamcar_test", migrate: bool = True
) -> tuple[str, Callable[[], None]]:
    """An empty store on ``backend`` (upgraded unless ``migrate`` is false).

    Returns:
        Its URL and a function that disposes of it (drops the PostgreSQL database).
    """
    if backend == "sqlite":
        path = folder / f"{prefix}.db"
        url = f"sqlite:///{path}"
        if migrate:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_sqlite_template(), path)
        return url, lambda: get_engine(url).dispose()
    admin = postgres_admin()
    return _postgres_copy(admin, prefix, _postgres_template(admin) if migrate else None)


def _postgres_copy(admin: Engine, prefix: str, template: str | None) -> tuple[str, Callable]:
    """A new PostgreSQL database (a copy of ``template`` when given): its URL and its drop."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        if template:
            # nothing may be connected to a template while it is copied: none of ours should be
            conn.execute(
                text(
                    "select pg_terminate_backend(pid) from pg_stat_activity"
                    " where datname = :t and pid <> pg_backend_pid()"
                ),
                {"t": template},
            )
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    url = PG_SERVER + name

    def drop() -> None:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def seeded_store(
    backend: str, folder: Path, key: str, seed: Callable[[Engine], Any], prefix: str = "seeded"
) -> tuple[str, Callable[[], None], Any]:
    """A copy of an upgraded store that ``seed(engine)`` filled once in this process under
    ``key``, for tests that each need the same rows and may change them.

    Returns:
        The copy's URL, the function that disposes of it, and what ``seed`` returned.
    """
    cached = _SEEDED.get((backend, key))
    if cached is None:
        if backend == "sqlite":
            where = Path(tempfile.mkdtemp(prefix="teamcar-seeded-"))
            atexit.register(shutil.rmtree, where, True)
            url, _ = make_store("sqlite", where, prefix="seeded")
        else:
            url, _ = make_store("postgres", folder, prefix=f"{SEEDED_PREFIX}{os.getpid()}")
        value = seed(get_engine(url))
        get_engine(url).dispose()
        if backend == "sqlite":
            path = url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cached = (path, value)
        else:
            cached = (url.removeprefix(PG_SERVER), value)
            _SEEDED_POSTGRES.append(cached[0])
        _SEEDED[(backend, key)] = cached
    source, value = cached
    if backend == "sqlite":
        path = folder / f"{prefix}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        url = f"sqlite:///{path}"
        return url, lambda: get_engine(url).dispose(), value
    url, drop = _postgres_copy(postgres_admin(), prefix, source)
    return url, drop, value


# Databases a test process keeps for its session, named with its process id: a process killed
# before its session's end (so before ``drop_templates``) leaves them, and the next process to
# make a template drops those whose process is gone.
TEMPLATE_PREFIX = "teamcar_template_"
SEEDED_PREFIX = "teamcar_seeded_"
_TEMPLATES: dict[str, str] = {}
_SEEDED: dict[tuple[str, str], tuple[str, Any]] = {}
_SEEDED_POSTGRES: list[str] = []  # the seeded PostgreSQL databases, dropped with the templates


def _sqlite_template() -> Path:
    """A SQLite store this process upgraded from empty (checkpointed: one file to copy)."""
    if "sqlite" not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="teamcar-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        get_engine(url).dispose()
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _TEMPLATES["sqlite"] = str(path)
    return Path(_TEMPLATES["sqlite"])


def _postgres_template(admin: Engine) -> str:
    """A PostgreSQL database this process upgraded from empty (``drop_templates`` drops it).

    Nothing stays connected to it (``CREATE DATABASE ... TEMPLATE`` needs that).
    """
    if "postgres" not in _TEMPLATES:
        _drop_orphans(admin)
        name = f"{TEMPLATE_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER + name
        upgrade(url)
        get_engine(url).dispose()
        _TEMPLATES["postgres"] = name
    return _TEMPLATES["postgres"]


def _drop_orphans(admin: Engine) -> None:
    """Drop templates and seeded stores left by test processes that are gone."""
    with admin.connect() as conn:
        names = conn.execute(
            text("select datname from pg_database where datname like :a or datname like :b"),
            {
                "a": TEMPLATE_PREFIX.replace("_", r"\_") + "%",
                "b": SEEDED_PREFIX.replace("_", r"\_") + "%",
            },
        ).scalars()
        for name in list(names):
            pid = name.removeprefix(TEMPLATE_PREFIX).removeprefix(SEEDED_PREFIX).split("_")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def drop_templates() -> None:
    """Drop this process's PostgreSQL templates and seeded stores (the end of a test session)."""
    names = [_TEMPLATES.pop("postgres", None), *_SEEDED_POSTGRES]
    _SEEDED_POSTGRES.clear()
    _SEEDED.clear()
    names = [n for n in names if n]
    if not names:
        return
    admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def use_store(url: str, monkeypatch, data_dir: Path) -> Engine:
    """Point the app at ``url`` with a private data folder and an empty in-process cache."""
    from dashboard.reads import cache

    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    monkeypatch.delenv("TEAMCAR_CACHE_URL", raising=False)
    cache.clear_local()
    return get_engine(url)


def redis_url_for_worker() -> str:
    """``TEAMCAR_TEST_REDIS_URL`` with a database number of this pytest-xdist worker's own.

    Tests flush their Redis database; two workers sharing one would flush each other's entries.
    Worker ``gwN`` counts down from the configured number (15, 14, ...); without xdist it is the
    configured number itself.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    parts = urlsplit(REDIS_SERVER)
    number = int(parts.path.strip("/") or 0) - index
    if number < 0:
        pytest.skip(f"no Redis database left for worker {worker} below {REDIS_SERVER}")
    return urlunsplit(parts._replace(path=f"/{number}"))
