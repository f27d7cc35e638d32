"""Loads under faults, on SQLite and PostgreSQL: a loader killed mid-file, and loads at once.

``teamcar load`` runs as a real subprocess (its landing views' keep step left out, see
``LOAD_WITHOUT_KEEP``). A load killed with SIGKILL (no clean-up runs) at several moments, while
it reads, while its transaction writes and a little later, must leave the store exactly as it
was before that file; loading the file again then works. Two loads of
different files at the same moment both land; one file loaded twice at the same moment lands
once, the other load reporting "unchanged" (not an IntegrityError traceback).
"""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from loaders.ingest import load_file
from loaders.store.engine import data_version, get_engine, session_scope
from loaders.store.models import ImportBatch, OpportunitySnapshot, RejectedRow, Rep
from tests.support.stores import make_store

pytestmark = pytest.mark.slow

HEADER = [
    "Opportunity Owner",
    "Account Name",
    "Opportunity Name",
    "Opportunity ID",
    "Stage",
    "Fiscal Period",
    "Amount Currency",
    "Amount",
    "Probability (%)",
    "Close Date",
    "Created Date",
    "Next Step",
    "Lead Source",
    "Type",
    "Forecast Category",
    "Last Activity",
]


def write_report(path: Path, rows: int, tag: str, bad_every: int = 0) -> Path:
    """A Salesforce opportunity report of ``rows`` deals (every ``bad_every``-th amount unreadable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(HEADER)
        for i in range(rows):
            amount = "lots" if bad_every and i % bad_every == 0 else f"{1000 + i % 5000:,}.00"
            w.writerow(
                [
                    f"Rep {tag} {i % 40}",
                    f"Account {i % 997}",
                    f"{tag} deal {i}",
                    f"006{tag.upper():>3.3}{i:012d}",
                    "Prospecting",
                    "Q4-2026",
                    "USD",
                    amount,
                    "10",
                    f"12/{1 + i % 28}/2026",
                    "9/1/2026",
                    "",
                    "Web",
                    "New Business",
                    "Pipeline",
                    "",
                ]
            )
    return path


def stats(url: str) -> dict:
    with session_scope(get_engine(url)) as s:
        return {
            "batches": sorted(
                s.execute(select(ImportBatch.id, ImportBatch.source_name, ImportBatch.status)).all()
            ),
            "snapshots": s.scalar(select(func.count()).select_from(OpportunitySnapshot)),
            "rejects": s.scalar(select(func.count()).select_from(RejectedRow)),
            "reps": s.scalar(select(func.count()).select_from(Rep)),
            "version": data_version(s),
        }


# ``teamcar load`` (the console entry point's main()) without the landing views it computes after
# its last commit (``warm.keep``: 3 s on these files, test_cli_keep's business): what is killed
# and raced here is the load, and a keep that failed would only print a line.
LOAD_WITHOUT_KEEP = (
    "import sys; from dashboard.serve import warm; warm.keep = lambda engine: {}; "
    "from dashboard.cli.main import main; sys.argv[0] = 'teamcar'; main()"
)


def start_load(url: str, data_dir: Path, *paths: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "TEAMCAR_DATABASE_URL": url,
        "TEAMCAR_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
    }
    return subprocess.Popen(
        [sys.executable, "-c", LOAD_WITHOUT_KEEP, "load", *map(str, paths)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def writing(url: str) -> bool:
    """True while another connection holds an open write transaction on the store."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.rollback()
            return False
        except sqlite3.OperationalError:  # "database is locked": the loader writes
            return True
        finally:
            conn.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "select count(*) from pg_stat_activity where datname = current_database() "
                        "and pid <> pg_backend_pid() and backend_xid is not null"
                    )
                ).scalar()
            )
    finally:
        engine.dispose()


def kill_when(proc: subprocess.Popen, url: str, moment: str) -> str:
    """SIGKILL ``proc`` at ``moment``; returns where it was when killed."""
    deadline = time.monotonic() + 60
    if moment.startswith("after "):
        time.sleep(float(moment.split()[1]))
    else:
        while not writing(url):
            assert proc.poll() is None, "the load finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(float(moment.split("+")[1]) if "+" in moment else 0)
    seen = "writing" if writing(url) else "not writing"
    if proc.poll() is not None:
        pytest.fail(f"the load ended by itself before the kill ({moment}): {proc.stderr.read()}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return seen


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url, drop = make_store(request.param, tmp_path, prefix="faults")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    yield url, data_dir
    drop()


def test_a_load_killed_at_any_moment_leaves_the_store_as_it_was(store, tmp_path, monkeypatch):
    url, data_dir = store
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    first = write_report(tmp_path / "in" / "first_2026-11-13.csv", 50, "fst", bad_every=10)
    assert load_file(first, engine=get_engine(url)).status == "loaded"
    # before the store is touched, as soon as the transaction writes, and deeper into it at a
    # moment drawn at random (printed, so a failure can be replayed). How long the transaction
    # lasts depends on the machine (60,000 rows: 0.2-0.6 s here), so a kill meant for "deeper
    # into it" may come after the commit: each moment kills the load of its own file, and a file
    # that landed whole is as good an answer as one that left no trace; a half-written file is
    # the failure.
    moments = (
        "after 0.8",
        "writing",
        f"writing+{random.Random().uniform(0.02, 0.3):.2f}",
    )
    print("kill moments:", moments)
    rows, bad = 60_000, 61  # every 997th amount is unreadable: 61 of 60,000
    files = [
        write_report(
            tmp_path / "in" / f"big{i}_2026-11-{20 + i}.csv", rows, f"bg{i}", bad_every=997
        )
        for i in range(len(moments))
    ]

    def landed(before: dict, now: dict, files: int = 1) -> bool:
        return (
            len(now["batches"]) == len(before["batches"]) + files
            and now["snapshots"] == before["snapshots"] + files * (rows - bad)
            and now["rejects"] == before["rejects"] + files * bad
            and now["version"] == before["version"] + files
        )

    seen, pending = {}, []
    for moment, big in zip(moments, files, strict=True):
        before = stats(url)
        seen[moment] = kill_when(start_load(url, data_dir, big), url, moment)
        now = stats(url)
        # all or nothing: as before, or (a kill that came after the commit) the whole file
        assert now == before or landed(before, now), (moment, seen)
        if now == before:
            pending.append(big)
    print("at each kill:", seen)
    assert seen["writing"] == "writing", seen
    assert pending, f"every kill came after its load committed: {seen}"
    # loading the killed files again works, and counts each once
    before = stats(url)
    proc = start_load(url, data_dir, *pending)
    out, errors = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + errors
    assert landed(before, stats(url), files=len(pending))
    # killed copies left no half-written archive behind the one the batch names
    archived = [p for p in (data_dir / "archive").rglob("*") if p.is_file()]
    assert not [p for p in archived if p.name.endswith(".part")], archived


def test_two_loads_of_different_files_at_once_both_land(store, tmp_path):
    url, data_dir = store
    before = stats(url)  # an empty store: not even a data version yet
    a = write_report(tmp_path / "in" / "east_2026-11-19.csv", 10_000, "eas")
    b = write_report(tmp_path / "in" / "west_2026-11-20.csv", 10_000, "wes")
    procs = [start_load(url, data_dir, a), start_load(url, data_dir, b)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, errors) in zip(procs, results, strict=True):
        assert proc.returncode == 0, out + errors
        assert "Traceback" not in errors and "1 loaded" in out, out + errors
    after = stats(url)
    assert [name for _, name, _ in after["batches"]] in ([a.name, b.name], [b.name, a.name])
    assert after["snapshots"] == 20_000
    assert after["version"] == before["version"] + 2


def test_one_file_loaded_twice_at_once_lands_once(store, tmp_path):
    url, data_dir = store
    big = write_report(tmp_path / "in" / "same_2026-11-20.csv", 10_000, "sam")
    procs = [start_load(url, data_dir, big), start_load(url, data_dir, big)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, errors) in zip(procs, results, strict=True):
        assert proc.returncode == 0, out + errors
        assert "Traceback" not in errors and "IntegrityError" not in out + errors
    outs = sorted(out for out, _ in results)
    assert any("1 loaded" in o for o in outs) and any("1 unchanged" in o for o in outs), outs
    after = stats(url)
    assert len(after["batches"]) == 1 and after["snapshots"] == 10_000
    assert after["version"] == 1


def test_the_same_file_finishing_first_elsewhere_answers_unchanged(store, tmp_path, monkeypatch):
    """Deterministic form of the race: another load of the file commits while this one reads."""
    from loaders import formats

    url, data_dir = store
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    path = write_report(tmp_path / "in" / "race_2026-11-20.csv", 30, "rac")
    real = formats.read_export
    calls = []

    def read_while_another_load_lands(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            assert load_file(path, engine=get_engine(url)).status == "loaded"
        return real(*args, **kwargs)

    monkeypatch.setattr(formats, "read_export", read_while_another_load_lands)
    outcome = load_file(path, engine=get_engine(url))
    assert outcome.status == "unchanged", outcome.message
    assert "same time" in outcome.message
    after = stats(url)
    assert len(after["batches"]) == 1 and after["snapshots"] == 30
    batch_archive = session_scope(get_engine(url))
    with batch_archive as s:
        archived = s.scalar(select(ImportBatch.archived_path))
    assert Path(archived).is_file()  # the losing load kept the winner's archive


def test_a_load_waits_for_another_loads_long_transaction_on_sqlite(tmp_path, monkeypatch):
    """SQLite has one writer at a time: a load queued behind a long one must land, not fail
    with "database is locked" once the ordinary busy timeout runs out."""
    import threading

    from loaders.store import engine as store_engine

    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 300)  # the ordinary wait
    url, drop = make_store("sqlite", tmp_path, prefix="queued")
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(tmp_path / "data"))
    path = write_report(tmp_path / "in" / "queued_2026-11-20.csv", 200, "que")
    stats(url)  # the store is in WAL mode from here on
    other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=5, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock for 2 s
    release = threading.Timer(2.0, other.rollback)
    release.start()
    try:
        outcome = load_file(path, engine=get_engine(url))
    finally:
        release.join()
        other.close()
    assert outcome.status == "loaded", outcome.message
    assert stats(url)["snapshots"] == 200
    drop()
