"""Warming gives way to requests (``warm.serving``, ``warm._give_way``): between its steps a
worker's warming thread waits while the worker answers a request, at most a bounded time."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.serve import warm


def _slow_app(release: threading.Event):
    def app(environ, start_response):
        release.wait(5)
        start_response("200 OK", [])
        return [b"ok"]

    return app


def test_warming_waits_while_a_request_is_answered_and_goes_on_after():
    release = threading.Event()
    app = warm.serving(_slow_app(release))
    request = threading.Thread(target=app, args=({}, lambda *a: None))
    request.start()
    deadline = time.monotonic() + 5
    while warm._SERVING[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert warm._SERVING[0] == 1
    waited = threading.Thread(target=warm._give_way, args=(5.0,))
    waited.start()
    time.sleep(0.2)
    assert waited.is_alive()  # still giving way: the request is being answered
    release.set()
    request.join(5)
    waited.join(5)
    assert not waited.is_alive() and warm._SERVING[0] == 0


def test_warming_gives_way_at_most_its_limit_and_counts_a_failed_request_out():
    release = threading.Event()
    app = warm.serving(_slow_app(release))
    request = threading.Thread(target=app, args=({}, lambda *a: None))
    request.start()
    while warm._SERVING[0] == 0:
        time.sleep(0.005)
    started = time.monotonic()
    warm._give_way(0.1)
    assert 0.1 <= time.monotonic() - started < 2
    release.set()
    request.join(5)

    def failing(environ, start_response):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        warm.serving(failing)({}, lambda *a: None)
    assert warm._SERVING[0] == 0
    started = time.monotonic()
    warm._give_way(5.0)  # nothing being answered: no wait
    assert time.monotonic() - started < 0.1
