"""The in-process cache is bounded by the memory of what it holds, least recently used first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.reads.cache import _Lru, weight


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"a": np.zeros(rows, dtype="float64")})


def test_weight_counts_buffers_inside_containers():
    assert weight(frame(1_000)) >= 8_000
    assert weight(np.zeros(500)) == 4_000
    assert weight({"x": [frame(1_000), np.zeros(500)]}) >= 12_000
    assert weight("abc") < 100


def test_eviction_by_bytes_least_recent_first():
    lru = _Lru(max_bytes=30_000)
    lru.set("a", frame(1_000))  # ~8 kB each
    lru.set("b", frame(1_000))
    lru.set("c", frame(1_000))
    assert lru.get("a") is not None  # a is now the most recent
    lru.set("d", frame(1_000))  # over budget: b (least recent) goes
    assert lru.get("b") is None
    assert all(lru.get(k) is not None for k in "acd")
    assert lru.used <= 30_000


def test_one_value_larger_than_the_budget_is_kept_alone():
    lru = _Lru(max_bytes=1_000)
    lru.set("small", "x")
    lru.set("big", frame(10_000))
    assert lru.get("big") is not None and lru.get("small") is None
    lru.set("big", "replaced")
    assert lru.used < 1_000
