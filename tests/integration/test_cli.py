"""The ``teamcar`` command as a user runs it: generate, load, reload, watch, demo, errors.

``teamcar demo`` runs as a real subprocess, twice: the entry point's smoke test (what a new
user runs first), and a rebuild replaces the store's file under the engines a process keeps.
The other commands run in the test's process (``tests/support/cli.py``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from loaders.store.engine import data_version, get_engine, session_scope
from loaders.store.models import Activity, ImportBatch, OpportunitySnapshot, Rep
from tests.support.cli import teamcar


def _stats(url: str) -> dict:
    with session_scope(get_engine(url)) as s:
        return {
            "batches": s.scalar(select(func.count()).select_from(ImportBatch)),
            "snapshots": s.scalar(select(func.count()).select_from(OpportunitySnapshot)),
            "activities": s.scalar(select(func.count()).select_from(Activity)),
            "reps": s.scalar(select(func.count()).select_from(Rep)),
            "version": data_version(s),
        }


@pytest.fixture(scope="module")
def small_exports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    teamcar(
        "generate",
        str(out),
        "--reps",
        "24",
        "--deals-per-rep",
        "3",
        "--weeks",
        "3",
        "--today",
        "2026-11-22",
        "--seed",
        "3",
    )
    return out


def test_generate_then_load_everything_once(small_exports, store_url):
    files = [p for p in small_exports.iterdir() if p.is_file()]
    assert any(p.name.startswith("salesforce_opportunities_") for p in files)
    assert any(p.name.startswith("hubspot_deals_") for p in files)
    run = teamcar("load", str(small_exports))
    assert "Load summary" in run.stdout
    first = _stats(store_url)
    assert first["batches"] == len(files)
    assert first["snapshots"] > 0 and first["activities"] > 0 and first["reps"] >= 6
    # every file got its own batch, and every batch loaded without rejects
    with session_scope(get_engine(store_url)) as s:
        rows = s.execute(
            select(ImportBatch.source_name, ImportBatch.status, ImportBatch.rows_rejected)
        ).all()
    assert sorted(r.source_name for r in rows) == sorted(p.name for p in files)
    assert {r.status for r in rows} == {"loaded"}
    assert sum(r.rows_rejected for r in rows) == 0
    # loading the same files again changes nothing, not even the data version
    again = teamcar("load", str(small_exports))
    assert f"0 loaded, {len(files)} unchanged, 0 failed." in again.stdout
    assert _stats(store_url) == first


def test_a_broken_file_fails_clearly_and_changes_nothing(small_exports, store_url, tmp_path):
    good = next(small_exports.glob("salesforce_opportunities_*.csv"))
    teamcar("load", str(good))
    before = _stats(store_url)
    broken = tmp_path / "salesforce_opportunities_2026-11-23.csv"
    broken.write_bytes(good.read_bytes()[:200] + b"\x00\x01\x02garbage\xff" * 50)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    run = teamcar("load", str(broken), str(empty), check=False)
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert "empty.csv" in run.stderr
    assert _stats(store_url) == before


def test_watch_once_loads_and_files_away(small_exports, store_url, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    roster = small_exports / "roster.csv"
    shutil.copy(roster, inbox / roster.name)
    (inbox / "junk.csv").write_text("nothing,we,know\n1,2,3\n")
    run = teamcar("watch", str(inbox), "--once", "--settle", "0.5")
    assert "roster.csv" in run.stdout
    assert (inbox / "processed" / "roster.csv").exists()
    assert (inbox / "failed" / "junk.csv").exists()
    assert (inbox / "failed" / "junk.csv.error.txt").read_text().strip()
    assert _stats(store_url)["batches"] == 1


def test_demo_builds_its_own_store(tmp_path):
    data = tmp_path / "data"
    env = {"TEAMCAR_DATA_DIR": str(data), "TEAMCAR_DATABASE_URL": ""}
    run = teamcar("demo", "--no-serve", "--reps", "6", env=env, subprocess=True)
    assert "Loaded" in run.stdout
    url = f"sqlite:///{data / 'demo.db'}"
    stats = _stats(url)
    assert stats["batches"] > 10 and stats["snapshots"] > 0
    # a second demo rebuilds, it does not pile snapshots up
    teamcar("demo", "--no-serve", "--reps", "6", env=env, subprocess=True)
    get_engine(url).dispose()
    assert _stats(url)["batches"] == stats["batches"]
