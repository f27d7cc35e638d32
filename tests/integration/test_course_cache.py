"""The Course's cache is keyed by the store's data version: an import makes it recompute.

On SQLite and PostgreSQL (the ``engine`` fixture), in this process's cache and in Redis (when a
Redis server is reachable; CI starts one and requires it).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.reads import cache
from dashboard.reads.catalog import current_version
from dashboard.serve.live import check_version
from loaders.ingest import store_frame


def load_something(engine, n: int) -> None:
    store_frame(
        engine,
        "roster",
        pd.DataFrame({"rep": [f"Rep {n}"], "team": ["East"]}),
        as_of=dt.datetime(2026, 11, 1),
        source_name=f"roster-{n}.csv",
    )


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "redis"])
def test_an_import_invalidates_the_cache(engine, shared, request):
    url = request.getfixturevalue("redis_url") if shared else ""
    cache.clear_local()
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    first = cache.cached("test", engine, ("q",), compute, cache_url=url)
    again = cache.cached("test", engine, ("q",), compute, cache_url=url)
    assert first == again == {"n": 1} and len(calls) == 1
    other = cache.cached("test", engine, ("other",), compute, cache_url=url)
    assert other == {"n": 2}
    load_something(engine, 1)
    fresh = cache.cached("test", engine, ("q",), compute, cache_url=url)
    assert fresh == {"n": 3}


def test_an_unreachable_redis_only_costs_time(engine):
    cache.clear_local()
    got = cache.cached("test", engine, ("q",), lambda: 42, cache_url="redis://127.0.0.1:1/0")
    assert got == 42


def test_live_check(engine):
    before = current_version(engine)
    from dash import no_update

    assert check_version(before, engine) is no_update
    load_something(engine, 2)
    assert check_version(before, engine) == before + 1
    assert check_version(None, engine) == before + 1


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "redis"])
def test_a_miss_is_computed_once_for_everyone_waiting(engine, shared, request):
    """Twelve requests for the same cold key: one computation, twelve identical answers."""
    import threading
    import time

    url = request.getfixturevalue("redis_url") if shared else ""
    cache.clear_local()
    calls = []
    start = threading.Barrier(12)
    results = []

    def compute():
        calls.append(1)
        time.sleep(0.3)  # long enough for every thread to arrive meanwhile
        return {"n": len(calls)}

    def ask():
        start.wait()
        results.append(cache.cached("flight", engine, ("q",), compute, cache_url=url))

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(calls) == 1
    assert results == [{"n": 1}] * 12


def test_a_failed_computation_is_not_cached(engine):
    cache.clear_local()

    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        cache.cached("fails", engine, ("q",), broken, cache_url="")
    assert cache.cached("fails", engine, ("q",), lambda: 7, cache_url="") == 7


def test_redis_serves_a_second_worker_without_computing(engine, redis_url):
    """A worker with an empty memory (another process) reads the result from Redis."""
    cache.clear_local()
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert cache.cached("shared", engine, ("q",), compute, cache_url=redis_url) == {"n": 1}
    cache.clear_local()  # as if another worker asked
    assert cache.cached("shared", engine, ("q",), compute, cache_url=redis_url) == {"n": 1}
    assert len(calls) == 1
