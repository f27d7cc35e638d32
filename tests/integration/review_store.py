"""The demo's store for the Review, Rider and Data tests: built once per test run, copied per test.

The generator's exports for 24 reps (today pinned to 2026-11-22, weekly snapshots) are loaded
through ``loaders.ingest.load_file``, the CLI's loader, into a SQLite file once; each test that
may change the store gets its own copy of that file (a copy takes milliseconds, a build seconds).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

TODAY = dt.date(2026, 11, 22)
_BUILT: dict[str, Path] = {}


def _build() -> Path:
    from loaders.config import load_config
    from loaders.generate import GenerateParams, generate
    from loaders.ingest import expand_paths, load_file
    from loaders.store.engine import dispose_engines, get_engine, upgrade

    root = Path(tempfile.mkdtemp(prefix="teamcar-review-demo-"))
    atexit.register(shutil.rmtree, root, True)
    generate(root / "exports", GenerateParams(reps=24, today=TODAY, seed=7))
    db = root / "demo.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    saved = {
        k: os.environ.get(k) for k in ("TEAMCAR_DATA_DIR", "TEAMCAR_DATABASE_URL", "TEAMCAR_TODAY")
    }
    os.environ.update(
        TEAMCAR_DATA_DIR=str(root), TEAMCAR_DATABASE_URL=url, TEAMCAR_TODAY=TODAY.isoformat()
    )
    try:
        config = load_config()
        engine = get_engine(url)
        outcomes = [
            load_file(p, engine=engine, config=config) for p in expand_paths([root / "exports"])
        ]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    failed = [o.message for o in outcomes if o.status == "failed"]
    assert not failed, failed
    dispose_engines()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return root


def demo_root() -> Path:
    """The folder holding the built demo (``demo.db`` and ``exports/``); read-only for tests."""
    if "root" not in _BUILT:
        _BUILT["root"] = _build()
    return _BUILT["root"]


def demo_copy(folder: Path) -> str:
    """A private copy of the demo store in ``folder``; returns its SQLite URL."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo.db"
    shutil.copyfile(demo_root() / "demo.db", target)
    return f"sqlite:///{target}"


def use_store(url: str, monkeypatch, data_dir: Path):
    """Point the app at ``url`` with a private data folder and an empty in-process cache."""
    from dashboard.reads import cache
    from loaders.store.engine import get_engine

    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    monkeypatch.delenv("TEAMCAR_CACHE_URL", raising=False)
    cache.clear_local()
    return get_engine(url)


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
