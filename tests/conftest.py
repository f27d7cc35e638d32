"""Shared fixtures: a pinned clock and a fresh store on SQLite and on PostgreSQL.

PostgreSQL tests create and drop their own database. Where no server is reachable they are
skipped with the reason, unless ``TEAMCAR_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes that a
failure: CI must prove the store on both.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from loaders.store.engine import dispose_engines, get_engine, upgrade

PG_SERVER = os.environ.get("TEAMCAR_TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/")
TODAY = "2026-11-22"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    """Every test runs on 2026-11-22 unless it pins another day."""
    monkeypatch.setenv("TEAMCAR_TODAY", TODAY)
    return TODAY


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A private data folder (archive, default SQLite store) for the test."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(folder))
    monkeypatch.delenv("TEAMCAR_DATABASE_URL", raising=False)
    return folder


def _postgres_admin():
    try:
        engine = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return engine
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        if os.environ.get("TEAMCAR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but not reachable at {PG_SERVER}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_SERVER}: {exc}")


@pytest.fixture
def postgres_url():
    """A new, empty PostgreSQL database, dropped after the test."""
    admin = _postgres_admin()
    name = f"teamcar_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER + name
    yield url
    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path, monkeypatch, data_dir):
    """An upgraded, empty store on each backend; also the configured TEAMCAR_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def engine(store_url):
    """The engine of ``store_url``."""
    return get_engine(store_url)
