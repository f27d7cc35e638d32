"""After warming a data version, a worker freezes what is alive (``warm._settle``) so Python's
cyclic collections stop walking the kept frames mid-request; before warming the next version it
unfreezes, so the frames that version replaces can be collected."""

from __future__ import annotations

import gc
import threading

from dashboard.serve import warm


def test_each_version_is_warmed_unfrozen_and_frozen_after(monkeypatch):
    versions = iter([1, 1, 2])
    seen_frozen: list[int] = []
    stop = threading.Event()

    def version(_engine):
        try:
            return next(versions)
        except StopIteration:
            stop.set()
            return 2

    def fake_warm(_engine):
        seen_frozen.append(gc.get_freeze_count())
        return {"course": 0.0}

    monkeypatch.setattr(warm, "current_version", version)
    monkeypatch.setattr(warm, "warm", fake_warm)
    try:
        gc.freeze()  # as a worker that warmed an earlier version leaves it
        assert gc.get_freeze_count() > 0
        warm._loop(object(), stop, every=0.01)
        # two versions, each warmed once, each with nothing frozen while it warmed
        assert seen_frozen == [0, 0]
        assert gc.get_freeze_count() > 0  # frozen after the last one
    finally:
        gc.unfreeze()
