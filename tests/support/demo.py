"""The demo's store for the tests: built once per test run, copied per test.

``loaders.demo.build_demo_store`` (what ``teamcar demo`` runs: the generator's exports for 24 reps
with seed 7, loaded through ``loaders.ingest.load_file``) fills a SQLite file once, with today
pinned to 2026-11-22; each test that may change the store gets its own copy of that file (a copy
takes milliseconds, a build seconds). Under pytest-xdist the workers share one build in the run's
temporary folder (``share_between_workers``, called by ``tests/conftest.py``): the first worker to
need it builds it under a lock, the others wait for it and read it (10 s of a worker each, and
both used to build it at the same time at the start of a run).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

TODAY = dt.date(2026, 11, 22)
_BUILT: dict[str, Path] = {}


@contextlib.contextmanager
def pinned_today(day: dt.date = TODAY) -> Iterator[None]:
    """``TEAMCAR_TODAY`` set to ``day`` inside the block (readers count meetings up to today)."""
    saved = os.environ.get("TEAMCAR_TODAY")
    os.environ["TEAMCAR_TODAY"] = day.isoformat()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TEAMCAR_TODAY", None)
        else:
            os.environ["TEAMCAR_TODAY"] = saved


def build_demo(root: Path) -> str:
    """The demo's exports in ``root/exports`` loaded into ``root/demo.db``; returns its URL.

    The loads archive the exports under ``root`` too, never in the configured data folder.
    """
    from loaders.config import load_config
    from loaders.demo import build_demo_store

    url = f"sqlite:///{root / 'demo.db'}"
    config = dataclasses.replace(load_config(), data_dir=Path(root))
    with pinned_today():
        built = build_demo_store(root / "exports", url, today=TODAY, config=config)
    failed = [o.message for o in built.failed]
    assert not failed, failed
    return url


def _build(root: Path) -> Path:
    from loaders.store.engine import dispose_engines

    build_demo(root)
    dispose_engines()
    with sqlite3.connect(root / "demo.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return root


def share_between_workers(folder: Path) -> None:
    """Build the demo in ``folder`` (one the run's workers share, removed with the run's
    temporary files), once for all of them."""
    _BUILT["shared"] = folder


def _shared_build(folder: Path) -> Path:
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    root, done = folder / "demo", folder / "built"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes (or its process dies)
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # a build whose worker died
            root.mkdir()
            _build(root)
            done.touch()
    return root


def demo_root() -> Path:
    """The folder holding the built demo (``demo.db`` and ``exports/``); read-only for tests."""
    if "root" not in _BUILT:
        if "shared" in _BUILT:
            _BUILT["root"] = _shared_build(_BUILT["shared"])
        else:
            root = Path(tempfile.mkdtemp(prefix="teamcar-review-demo-"))
            atexit.register(shutil.rmtree, root, True)
            _BUILT["root"] = _build(root)
    return _BUILT["root"]


def demo_copy(folder: Path) -> str:
    """A private copy of the demo store in ``folder``; returns its SQLite URL."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo.db"
    shutil.copyfile(demo_root() / "demo.db", target)
    return f"sqlite:///{target}"


def export_file(name_part: str) -> Path:
    """One of the demo's export files whose name contains ``name_part`` (the newest such)."""
    files = sorted(p for p in (demo_root() / "exports").iterdir() if name_part in p.name)
    assert files, name_part
    return files[-1]


def edited_export(
    target: Path,
    *,
    source: str = "salesforce_opportunities_2026-11-22.csv",
    cells: dict[tuple[int, str], str] | None = None,
) -> Path:
    """A copy of one of the demo's Salesforce report exports with some cells changed.

    Args:
        target: where to write it (its name sets the as-of day, as for any export).
        source: the demo export to start from.
        cells: ``{(data row index, header): new text}`` (row 0 is the first deal).

    Returns:
        ``target``.
    """
    import csv
    import io

    text = (demo_root() / "exports" / source).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for (row, column), value in (cells or {}).items():
        rows[row + 1][header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(out.getvalue(), encoding="utf-8")
    return target
