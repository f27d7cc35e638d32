"""A worker takes its first request once it has warmed the data there
(``warm.start(ready_wait=...)``); with nothing to warm, or a store that cannot answer, at once;
and a start waits no longer than asked."""

from __future__ import annotations

import threading
import time

from dashboard.serve import warm


def _stopper(after: int):
    calls = [0]
    stop = threading.Event()

    def version(_engine):
        calls[0] += 1
        if calls[0] >= after:
            stop.set()
        return 1

    return stop, version


def test_start_returns_once_the_data_there_is_warmed(monkeypatch):
    warmed: list[float] = []

    def quick_warm(_engine):
        time.sleep(0.2)
        warmed.append(time.monotonic())
        return {}

    stop, version = _stopper(after=10**6)
    monkeypatch.setattr(warm, "current_version", version)
    monkeypatch.setattr(warm, "warm", quick_warm)
    monkeypatch.setattr(warm, "_settle", lambda: None)
    monkeypatch.setattr(warm, "_STARTED", set())
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

    stop, version = _stopper(after=10**6)
    monkeypatch.setattr(warm, "current_version", version)
    monkeypatch.setattr(warm, "warm", slow_warm)
    monkeypatch.setattr(warm, "_settle", lambda: None)
    monkeypatch.setattr(warm, "_STARTED", set())
    started = time.monotonic()
    stopper = warm.start(object(), every=0.01, ready_wait=0.3)
    waited = time.monotonic() - started
    assert 0.3 <= waited < 3  # the warming still runs: start gave up waiting
    release.set()
    stopper.set()
