"""Shared fixtures: a pinned clock and a fresh store on SQLite and on PostgreSQL.

PostgreSQL tests create and drop their own database. Where no server is reachable they are
skipped with the reason, unless ``TEAMCAR_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes that a
failure: CI must prove the store on both.

Every test that reaches PostgreSQL carries the ``postgres`` marker, including the PostgreSQL case
of a fixture parametrized over both backends, so ``-m "not postgres"`` (``make test-fast``) runs
exactly the SQLite side.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.store.engine import get_engine
from tests.support import demo
from tests.support.stores import drop_templates, make_store

TODAY = "2026-11-22"
# Fixtures that always reach PostgreSQL (the others take the backend as their parameter).
POSTGRES_FIXTURES = {"postgres_url", "book_engines"}


def pytest_collection_modifyitems(items):
    """Mark every test that reaches PostgreSQL ``postgres``."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_postgres = any(isinstance(v, str) and v == "postgres" for v in params.values())
        if on_postgres or POSTGRES_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.postgres)


def pytest_configure(config):
    """Under pytest-xdist the workers build the demo once, in the run's temporary folder
    (each worker's base temporary folder is inside it)."""
    if hasattr(config, "workerinput") and config.option.basetemp:
        demo.share_between_workers(Path(config.option.basetemp).parent / "demo")


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest's hook signature
    """Drop the PostgreSQL template this process's stores were copied from (each xdist worker
    has its own)."""
    drop_templates()


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


@pytest.fixture
def postgres_url(tmp_path):
    """A new, empty PostgreSQL database (not migrated), dropped after the test."""
    url, drop = make_store("postgres", tmp_path, migrate=False)
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path, monkeypatch, data_dir):
    """An upgraded, empty store on each backend; also the configured TEAMCAR_DATABASE_URL."""
    url, drop = make_store(request.param, tmp_path, prefix="store")
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    yield url
    drop()


@pytest.fixture
def engine(store_url):
    """The engine of ``store_url``."""
    return get_engine(store_url)
