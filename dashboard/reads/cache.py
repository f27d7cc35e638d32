"""Results of expensive reads, cached under the store's data version (docs/architecture.md#caching).

Every lookup first reads the data version from the store (one tiny query), so a worker never
serves a result computed before the latest import, and several workers or machines agree without
talking to each other. Each worker keeps results in memory (an LRU bounded by size); when
``TEAMCAR_CACHE_URL`` names a Redis server, a worker's miss is looked up there before it is
computed, so the workers share one computation and each unpickles a result once. Either way it is
only a cache: losing it costs time, never correctness.

Cached values are shared between requests: callers must treat them as read-only (copy a frame
before changing it).

A miss is computed once: requests that ask for the same key meanwhile wait for that result
instead of computing it again (in a worker with a lock; across workers with a short-lived lock
key in Redis). Fifty managers opening the Course after a load cost one computation, not fifty.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from dashboard.reads.catalog import current_version

T = TypeVar("T")
log = logging.getLogger(__name__)
LOCAL_BYTES = 1_500_000_000  # each worker's cache: about 1.5 GB of frames and figures
REDIS_TTL_SECONDS = 6 * 3600
REDIS_MAX_BYTES = 400_000_000  # Redis refuses values over 512 MB
LOCK_SECONDS = 300  # a worker computing a key holds its Redis lock at most this long
_LOCAL: dict[int, _Lru] = {}
_REDIS: dict[tuple[int, str], Any] = {}
_FLIGHTS: dict[str, threading.Lock] = {}
_FLIGHTS_LOCK = threading.Lock()


class _Lru:
    """A least-recently-used map bounded by the approximate memory of its values, safe across
    the threads of one worker. One value larger than the whole budget is still kept (alone)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.used = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            return self.items[key][0]

    def set(self, key: str, value: Any) -> None:
        size = weight(value)
        with self.lock:
            if key in self.items:
                self.used -= self.items.pop(key)[1]
            self.items[key] = (value, size)
            self.used += size
            while self.used > self.max_bytes and len(self.items) > 1:
                _, (_, dropped) = self.items.popitem(last=False)
                self.used -= dropped

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.used = 0


def weight(value: Any, depth: int = 0) -> int:
    """Roughly the bytes ``value`` holds: frames and arrays by their buffers, containers summed."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return (
            int(value.memory_usage(index=True, deep=False).sum())
            if isinstance(value, pd.DataFrame)
            else int(value.memory_usage(index=True))
        )
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, str | bytes):
        return len(value) + 50
    if depth > 6:
        return 64
    if isinstance(value, dict):
        return 64 + sum(weight(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple | set):
        return 64 + sum(weight(v, depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return 64 + sum(
            weight(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)
        )
    return 64


def _local() -> _Lru:
    pid = os.getpid()  # a forked worker starts with an empty cache of its own
    if pid not in _LOCAL:
        _LOCAL[pid] = _Lru(LOCAL_BYTES)
    return _LOCAL[pid]


def _redis(url: str):
    key = (os.getpid(), url)
    if key not in _REDIS:
        import redis

        _REDIS[key] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _REDIS[key]


def cache_key(name: str, engine: Engine, version: int, args: Hashable) -> str:
    """A key stable across processes: the name, the store, its data version and the arguments."""
    raw = repr((name, engine.url.render_as_string(hide_password=True), version, args))
    return f"teamcar:{name}:{version}:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached(
    name: str,
    engine: Engine,
    args: Hashable,
    compute: Callable[[], T],
    cache_url: str | None = None,
    version: int | None = None,
    keep: tuple[type, ...] | None = None,
) -> T:
    """``compute()``'s result for ``args`` at the store's current data version.

    Args:
        name: what is cached (part of the key).
        engine: the store; its data version is read on every call.
        args: everything the result depends on besides the data (quarter, day, team, scope...).
        compute: makes the result on a miss.
        cache_url: a Redis URL to share the cache between workers (default:
            ``TEAMCAR_CACHE_URL``; none means this process only).
        version: a fixed version instead of the store's, for a result that depends only on rows
            that never change once loaded, named in ``args`` (a snapshot batch's sums, by batch
            id): it then outlives later imports. Nothing else may use it.
        keep: also keep the result in the store under this data version
            (``dashboard.reads.kept``) so other processes read it instead of computing it: the
            dataclasses it may hold. Only for results every viewer is narrowed from (all teams).

    Returns:
        The cached or fresh result (read-only).
    """
    if cache_url is None:
        from loaders.config import load_config

        cache_url = load_config().cache_url
    if version is None:
        version = current_version(engine)
    key = cache_key(name, engine, version, args)
    if keep is not None:
        from dashboard.reads import kept

        compute = _kept_compute(engine, name, version, args, compute, keep, kept.kept)
    local = _local()
    hit = local.get(key)
    if hit is not None:
        return hit
    with _flight(key):  # threads of this worker wait here for one computation
        hit = local.get(key)
        if hit is not None:
            return hit
        if cache_url:
            try:
                value = _shared(_redis(cache_url), key, compute)
            except _Unavailable as exc:
                log.warning("cache at %s unavailable (%s); computing without it", cache_url, exc)
                value = compute()
        else:
            value = compute()
        local.set(key, value)
        return value


def _kept_compute(engine, name, version, args, compute, keep, kept_fn) -> Callable[[], Any]:
    """``compute`` behind the store tier: read what another process kept, else compute and keep."""

    def read_or_compute():
        return kept_fn(engine, name, version, args, compute, keep)

    return read_or_compute


class _Unavailable(Exception):
    """Redis could not be reached or answered an error."""


def _flight(key: str) -> threading.Lock:
    """The lock that lets one thread of this process compute ``key`` while others wait."""
    with _FLIGHTS_LOCK:
        if len(_FLIGHTS) > 1024:
            for k in [k for k, lock in _FLIGHTS.items() if not lock.locked()]:
                del _FLIGHTS[k]
        return _FLIGHTS.setdefault(key, threading.Lock())


def _redis_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any Redis failure means: go on without it
        raise _Unavailable(str(exc)) from exc


def _shared(client, key: str, compute: Callable[[], T]) -> T:
    """``key`` from Redis; on a miss computed once across every worker sharing that Redis."""
    blob = _redis_call(client.get, key)
    if blob is not None:
        return pickle.loads(blob)  # noqa: S301 - our own values, in our own Redis
    lock = key + ":computing"
    deadline = time.monotonic() + LOCK_SECONDS
    # Another worker computing it: wait for its result rather than compute it twice.
    while not _redis_call(client.set, lock, os.getpid(), nx=True, ex=LOCK_SECONDS):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
        blob = _redis_call(client.get, key)
        if blob is not None:
            return pickle.loads(blob)  # noqa: S301
    try:
        value = compute()
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(blob) <= REDIS_MAX_BYTES:
            _redis_call(client.set, key, blob, ex=REDIS_TTL_SECONDS)
        else:
            log.info("%s is %d MB: kept in this worker only", key, len(blob) // 1_000_000)
    finally:
        with contextlib.suppress(Exception):  # the lock expires on its own
            client.delete(lock)
    return value


def clear_local() -> None:
    """Empty this process's cache (tests)."""
    _local().clear()
