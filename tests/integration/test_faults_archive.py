"""A killed load leaves no archive copy that no batch names, on SQLite and PostgreSQL (issue 18,
item 6).

``teamcar load`` runs as a real subprocess and is killed with SIGKILL inside its transaction, or
right after its commit (before its archive copy has its final name). Whatever a killed load left
is cleared by the next load: the archive then holds exactly the files the batches name, each
whole.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from loaders.ingest import file_hash, load_file
from loaders.store.engine import get_engine, session_scope
from loaders.store.models import ImportBatch
from tests.integration.test_faults_load import kill_when, start_load, stats, write_report
from tests.support.stores import make_store

pytestmark = pytest.mark.slow
FMT = "%m/%d/%Y"  # the reports' close dates, month first


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url, drop = make_store(request.param, tmp_path, prefix="archive")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    yield url, data_dir
    drop()


def archive_matches_batches(url: str, data_dir: Path) -> tuple[list[str], list[str]]:
    """(files in the archive, files the batches name), each sorted."""
    files = sorted(str(p) for p in (data_dir / "archive").rglob("*") if p.is_file())
    with session_scope(get_engine(url)) as s:
        named = sorted(set(s.scalars(select(ImportBatch.archived_path)).all()))
    return files, named


def test_a_load_killed_in_its_transaction_leaves_no_orphan_archive(store, tmp_path, monkeypatch):
    url, data_dir = store
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    big = write_report(tmp_path / "in" / "big_2026-11-20.csv", 20_000, "big")
    before = stats(url)
    assert kill_when(start_load(url, data_dir, big), url, "writing") == "writing"
    assert stats(url) == before  # nothing of it in the store
    # the next load (another file) clears what the killed one left
    small = write_report(tmp_path / "in" / "small_2026-11-13.csv", 30, "sml")
    assert load_file(small, engine=get_engine(url), date_format=FMT).status == "loaded"
    files, named = archive_matches_batches(url, data_dir)
    assert files == named and len(named) == 1, (files, named)
    # and the killed file loads again, its archive whole
    assert load_file(big, engine=get_engine(url)).status == "loaded"
    files, named = archive_matches_batches(url, data_dir)
    assert files == named and len(named) == 2, (files, named)
    copy = next(Path(f) for f in files if f.endswith("big_2026-11-20.csv"))
    assert file_hash(copy) == file_hash(big)


KILLED_AFTER_COMMIT = """
import os, signal, sys
from pathlib import Path
from loaders import ingest

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

ingest.publish_archive = killed
ingest.load_file(Path(sys.argv[1]), date_format="%m/%d/%Y")
"""


def test_a_load_killed_after_its_commit_gets_its_archive(store, tmp_path, monkeypatch):
    """The batch committed but its archive copy still has the partial name: the next load gives
    the copy the name the batch holds (it is whole: it was written before the transaction)."""
    url, data_dir = store
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    path = write_report(tmp_path / "in" / "late_2026-11-20.csv", 40, "lat")
    env = {**os.environ, "TEAMCAR_DATABASE_URL": url, "TEAMCAR_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_AFTER_COMMIT), str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr
    files, named = archive_matches_batches(url, data_dir)
    assert len(named) == 1 and named[0] not in files  # committed, copy not named yet
    other = write_report(tmp_path / "in" / "other_2026-11-13.csv", 30, "oth")
    assert load_file(other, engine=get_engine(url), date_format=FMT).status == "loaded"
    files, named = archive_matches_batches(url, data_dir)
    assert files == named and len(named) == 2, (files, named)
    adopted = next(Path(f) for f in files if f.endswith("late_2026-11-20.csv"))
    assert file_hash(adopted) == file_hash(path)
