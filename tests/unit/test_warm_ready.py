"""A worker takes its first request once it has warmed the data there
(``warm.start(ready_wait=...)``); with nothing to warm, or a store that cannot answer, at once;
and a start waits no longer than asked."""

from __future__ import annotations

import threading
import time

from dashboard.serve import warm


def _warming_with(monkeypatch, fake_warm) -> None:
    """A store at data version 1 that ``fake_warm`` warms, in a process that started none."""
    monkeypatch.setattr(warm, "current_version", lambda _engine: 1)
    monkeypatch.setattr(warm, "warm", fake_warm)
    monkeypatch.setattr(warm, "_settle", lambda: None)
    monkeypatch.setattr(warm, "_STARTED", set())


def test_start_returns_once_the_data_there_is_warmed(monkeypatch):
    warmed: list[float] = []

    def quick_warm(_engine):
        time.sleep(0.2)
        warmed.append(time.monotonic())
        return {}

    _warming_with(monkeypatch, quick_warm)
    stopper = warm.start(object(), every=0.01, ready_wait=5)
    returned = time.monotonic()
    try:
        assert warmed and warmed[0] <= returned  # not before the warming was done
        assert returned - warmed[0] < 1  # and not much after
    finally:
        stopper.set()


def test_ready_at_once_with_nothing_to_warm_or_a_failing_store(monkeypatch):
    for answer in (lambda e: 0, lambda e: (_ for _ in ()).throw(RuntimeError("store down"))):
        stop, ready = threading.Event(), threading.Event()
        monkeypatch.setattr(warm, "current_version", answer)
        thread = threading.Thread(target=warm._loop, args=(object(), stop, 0.01, True, ready))
        thread.start()
        assert ready.wait(5)
        stop.set()
        thread.join(5)


def test_start_waits_for_ready_at_most_as_long_as_asked(monkeypatch):
    release = threading.Event()

    def slow_warm(_engine):
        release.wait(5)
        return {}

    _warming_with(monkeypatch, slow_warm)
    started = time.monotonic()
    stopper = warm.start(object(), every=0.01, ready_wait=0.3)
    waited = time.monotonic() - started
    assert 0.3 <= waited < 3  # the warming still runs: start gave up waiting
    release.set()
    stopper.set()
