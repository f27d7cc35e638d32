"""Integration fixtures: the hand-checked book on SQLite and PostgreSQL, and a Redis of our own.

The book (``tests/support/book.py``) is stored once per test process on each backend; tests only
read it. Under pytest-xdist each worker stores its own copy in its own PostgreSQL database.
"""

from __future__ import annotations

import os

import pytest

from loaders.store.engine import get_engine
from tests.support.book import make_store, seed_book
from tests.support.stores import redis_url_for_worker


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def book_engine(request, tmp_path_factory):
    """The book, stored once per session on each backend (tests only read it)."""
    url, drop = make_store(request.param, tmp_path_factory.mktemp(f"book-{request.param}"))
    engine = get_engine(url)
    try:
        seed_book(engine)
        yield engine
    finally:
        drop()


@pytest.fixture(scope="session")
def book_engines(tmp_path_factory):
    """The book on SQLite and on PostgreSQL at once, to compare their answers."""
    stores = []
    try:
        for backend in ("sqlite", "postgres"):
            url, drop = make_store(backend, tmp_path_factory.mktemp(f"pair-{backend}"))
            stores.append(drop)
            seed_book(get_engine(url))
            stores[-1] = (get_engine(url), drop)
        yield [s[0] for s in stores]
    finally:
        for s in stores:
            (s[1] if isinstance(s, tuple) else s)()


@pytest.fixture
def redis_url():
    """An empty Redis database of this worker's own (flushed before and after the test).

    Skipped where Redis is not reachable, unless ``TEAMCAR_REQUIRE_POSTGRES=1`` (CI) makes that a
    failure.
    """
    url = redis_url_for_worker()
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        if os.environ.get("TEAMCAR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Redis required in CI but not reachable at {url}: {exc}")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
