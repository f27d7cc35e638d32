"""Sign-in throttling per client address: many failures from one address get 429 for a while.

The account pause (``users.verify_login``) stops guessing one account's password; it does not
slow someone trying a few passwords on each of many names from one address. This counts failed
sign-ins per client address (``access.client_address``: behind a trusted proxy, the address it
forwards) in a fixed window of ``WINDOW``: once ``limit`` failures have been counted
(``TEAMCAR_SIGNIN_ADDRESS_LIMIT``), the address is answered 429 with ``Retry-After`` until the
window that began with its first failure ends, without a password being checked (so a flood
also costs no hashing). A success does not clear an address's count: an attacker signed in to
an account of their own must not be able to reset it between guesses.

Where the count lives: in Redis when ``TEAMCAR_CACHE_URL`` names one (every worker and machine
behind a balancer shares it, as the cache does); otherwise in the process, which is exact for
the default single worker (``teamcar serve``), and per worker with ``--workers N``. A Redis that
cannot be reached falls back to the process's own count rather than failing the sign-in.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable

from dashboard.auth.users import PAUSE

WINDOW_SECONDS = int(PAUSE.total_seconds())
MAX_ADDRESSES = 100_000  # the in-process table is pruned of ended windows beyond this
REDIS_PREFIX = "teamcar:signin-failures:"
log = logging.getLogger(__name__)


class MemoryCounts:
    """Failures per address in this process: ``{address: (count, window end)}``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def count(self, address: str) -> tuple[int, float]:
        """(failures counted, seconds until the window ends) for ``address``."""
        now = self._clock()
        with self._lock:
            count, ends = self._counts.get(address, (0, now))
        if ends <= now:
            return 0, 0.0
        return count, ends - now

    def add(self, address: str, window: float) -> None:
        now = self._clock()
        with self._lock:
            count, ends = self._counts.get(address, (0, now))
            if ends <= now:
                count, ends = 0, now + window
            self._counts[address] = (count + 1, ends)
            if len(self._counts) > MAX_ADDRESSES:
                self._counts = {a: v for a, v in self._counts.items() if v[1] > now}


class RedisCounts:
    """Failures per address in Redis, shared by every worker using it (a key expiring with its
    window; ``prefix`` keeps deployments sharing one Redis apart)."""

    def __init__(self, client, prefix: str = REDIS_PREFIX):
        self._client = client
        self._prefix = prefix

    def count(self, address: str) -> tuple[int, float]:
        key = self._prefix + address
        pipe = self._client.pipeline()
        pipe.get(key)
        pipe.pttl(key)
        raw, ttl_ms = pipe.execute()
        if raw is None or ttl_ms is None or ttl_ms <= 0:
            return 0, 0.0
        return int(raw), ttl_ms / 1000

    def add(self, address: str, window: float) -> None:
        key = self._prefix + address
        pipe = self._client.pipeline()
        # The window starts with the first failure: the key is made with its expiry once, and
        # INCR keeps that expiry (any Redis version, unlike EXPIRE ... NX).
        pipe.set(key, 0, ex=max(1, int(window)), nx=True)
        pipe.incr(key)
        pipe.execute()


class AddressThrottle:
    """Failed sign-ins per client address, and how long an address must wait.

    Args:
        limit: failures in one window after which the address waits (0: never).
        window: the window's length in seconds.
        counts: where the counts live (``MemoryCounts`` or ``RedisCounts``).
    """

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, counts=None):
        self.limit = limit
        self.window = window
        self.counts = counts or MemoryCounts()
        self._fallback: MemoryCounts | None = None

    def retry_after(self, address: str) -> int:
        """Whole seconds ``address`` must wait before trying again; 0 when it may try now."""
        if self.limit <= 0:
            return 0
        count, left = self._call("count", address)
        return max(1, math.ceil(left)) if count >= self.limit else 0

    def failed(self, address: str) -> None:
        """Count a failed sign-in from ``address``."""
        if self.limit > 0:
            self._call("add", address, self.window)

    def _call(self, method: str, *args):
        try:
            return getattr(self.counts, method)(*args)
        except Exception as exc:  # noqa: BLE001 - a Redis failure must not fail the sign-in
            if isinstance(self.counts, MemoryCounts):
                raise
            log.warning("sign-in throttle: Redis unreachable (%s); counting in this process", exc)
            if self._fallback is None:
                self._fallback = MemoryCounts()
            return getattr(self._fallback, method)(*args)


_THROTTLES: dict[tuple[int, str | None, str], AddressThrottle] = {}
_LOCK = threading.Lock()


def throttle_for(limit: int, cache_url: str | None, database_url: str) -> AddressThrottle:
    """The process's throttle for these settings: one per limit, Redis and store (the counts
    belong to one deployment, which its store names)."""
    key = (limit, cache_url, database_url)
    with _LOCK:
        found = _THROTTLES.get(key)
        if found is None:
            counts = None
            if cache_url:
                import redis

                store = hashlib.sha256(database_url.encode()).hexdigest()[:12]
                counts = RedisCounts(
                    redis.Redis.from_url(cache_url, socket_timeout=2, socket_connect_timeout=2),
                    prefix=f"{REDIS_PREFIX}{store}:",
                )
            found = _THROTTLES[key] = AddressThrottle(limit, counts=counts)
        return found


def forget() -> None:
    """Drop every process's count (tests start each from nothing)."""
    with _LOCK:
        _THROTTLES.clear()
