"""Warming: the landing views are computed when data lands, under the new data version."""

from __future__ import annotations

import time

from dashboard.reads import cache
from dashboard.reads.catalog import current_version
from dashboard.serve import warm
from tests.support.demo import demo_copy, edited_export
from tests.support.stores import use_store


def _keys(version: int) -> set[str]:
    return {k.split(":")[1] for k in cache._local().items if k.split(":")[2] == str(version)}


def test_warm_fills_the_landing_views(tmp_path, monkeypatch):
    from dashboard.app import create_app

    engine = use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    create_app()  # the pages register their landing views
    took = warm.warm(engine)
    assert {"course", "review", "course-view", "review-view", "trend", "a-rider"} <= set(took)
    assert {
        "summary",
        "course-model",
        "review-model",
        "course-render",
        "review-render",
        "rider-trend-day",  # every rider's trend, for all teams
        "rider-view",  # the Rider's code run once, with the standings' leader
        "rider-model",
    } <= _keys(current_version(engine))


def test_the_warming_thread_follows_new_data(tmp_path, monkeypatch):
    from loaders.config import load_config
    from loaders.ingest import load_file

    engine = use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    stop = warm.start(engine, every=0.1)
    assert stop is not None
    try:
        assert warm.start(engine) is None  # one thread per process
        before = current_version(engine)
        deadline = time.monotonic() + 60
        while "course-model" not in _keys(before) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "course-model" in _keys(before)
        new = edited_export(
            tmp_path / "salesforce_opportunities_2026-11-22.csv", cells={(0, "Amount"): "123456"}
        )
        assert load_file(new, engine=engine, config=load_config()).status == "loaded"
        after = current_version(engine)
        assert after > before
        deadline = time.monotonic() + 60
        wanted = {"summary", "course-model", "review-model"}
        while not wanted <= _keys(after) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert wanted <= _keys(after)
    finally:
        stop.set()
        warm._STARTED.clear()
