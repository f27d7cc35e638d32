"""The watcher with the real loader and store, through bad files and a store that goes away.

Good exports land; broken ones (a CSV with unknown columns, binary noise named .xlsx, an empty
file, a file deleted before it could be filed) go to ``failed/`` with the reason beside them,
and the watch goes on to load what comes next. When the store cannot be reached the file is not
blamed: it stays in the folder and loads once the store answers again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from loaders.ingest import load_file
from loaders.store.engine import get_engine
from loaders.store.models import ImportBatch
from loaders.watch import Watcher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def batches(url: str) -> int:
    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(ImportBatch)).scalar()


def test_the_watcher_goes_on_through_bad_files(store_url, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "roster.csv", inbox / "roster.csv")
    (inbox / "broken_2026-11-20.csv").write_text("Deal,Value\nAcme,12\n")
    (inbox / "noise_2026-11-20.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(1000))
    (inbox / "empty_2026-11-20.csv").write_bytes(b"")
    (inbox / "vanishing_2026-11-20.csv").write_text("x\n")
    outcomes = []
    w = Watcher(
        inbox,
        settle=5,
        on_outcome=outcomes.append,
        load=lambda p: load_file(p, engine=get_engine(store_url)),
    )
    assert w.poll(now=0) == []
    (inbox / "vanishing_2026-11-20.csv").unlink()  # gone before it settled
    w.poll(now=10)
    status = {o.path.name: o.status for o in outcomes}
    assert status == {
        "roster.csv": "loaded",
        "broken_2026-11-20.csv": "failed",
        "noise_2026-11-20.xlsx": "failed",
        "empty_2026-11-20.csv": "failed",
    }
    for name in ("broken_2026-11-20.csv", "noise_2026-11-20.xlsx", "empty_2026-11-20.csv"):
        reason = (inbox / "failed" / f"{name}.error.txt").read_text()
        assert name in reason and len(reason) > len(name) + 10
    assert (inbox / "processed" / "roster.csv").exists()
    assert batches(store_url) == 1
    # the next export still loads
    shutil.copy(FIXTURES / "salesforce_opportunities_2026-10-09.csv", inbox)
    w.poll(now=20)
    out = w.poll(now=30)
    assert [o.status for o in out] == ["loaded"]
    assert batches(store_url) == 2


def test_a_store_outage_leaves_the_file_to_retry(store_url, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "roster.csv", inbox / "roster.csv")
    down = [True]

    def load(path):
        if down[0]:
            raise OperationalError("select 1", {}, ConnectionRefusedError("connection refused"))
        return load_file(path, engine=get_engine(store_url))

    w = Watcher(inbox, settle=5, load=load)
    w.poll(now=0)
    out = w.poll(now=10)
    assert [o.status for o in out] == ["failed"] and "will retry" in out[0].message
    assert (inbox / "roster.csv").exists() and not (inbox / "failed").exists()
    down[0] = False  # the store is back
    assert w.poll(now=11) == []  # seen again: waits to settle
    out = w.poll(now=20)
    assert [o.status for o in out] == ["loaded"]
    assert (inbox / "processed" / "roster.csv").exists() and batches(store_url) == 1


def test_a_folder_that_disappears_does_not_stop_the_watch(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    w = Watcher(inbox, settle=0)
    inbox.rmdir()
    polls = []
    w.run(interval=0.01, stop=lambda: polls.append(1) or len(polls) > 3)
    assert len(polls) == 4
