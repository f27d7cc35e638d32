"""The folder watcher with a stand-in loader: settling, filing away, surviving bad files.

No database and no browser: the loader is replaced by a function.
"""

from __future__ import annotations

from pathlib import Path

from loaders.ingest import LoadOutcome
from loaders.watch import Watcher


def _watcher(folder: Path, loaded: list[str]) -> Watcher:
    def fake_load(path: Path) -> LoadOutcome:
        loaded.append(path.name)
        if "bad" in path.name:
            return LoadOutcome(
                path=path,
                status="failed",
                message=f"{path.name}: row 3, Amount: expected an amount",
            )
        if "crash" in path.name:
            raise RuntimeError("boom")
        return LoadOutcome(path=path, status="loaded", rows_loaded=1)

    return Watcher(folder, settle=5, load=fake_load)


def test_loads_only_after_the_file_stops_growing(tmp_path):
    loaded: list[str] = []
    w = _watcher(tmp_path, loaded)
    f = tmp_path / "deals_2026-11-20.csv"
    f.write_text("a,b\n")
    assert w.poll(now=0) == []  # first sight
    f.write_text("a,b\n1,2\n")  # still growing
    assert w.poll(now=10) == []
    assert w.poll(now=12) == []  # still for 2s < settle
    out = w.poll(now=16)  # still for 6s
    assert [o.status for o in out] == ["loaded"]
    assert loaded == ["deals_2026-11-20.csv"]
    assert (tmp_path / "processed" / "deals_2026-11-20.csv").exists()
    assert w.poll(now=30) == []  # moved away: never loaded twice


def test_bad_and_crashing_files_go_to_failed_and_the_watch_goes_on(tmp_path):
    loaded: list[str] = []
    w = _watcher(tmp_path, loaded)
    for name in ("bad.csv", "crash.csv", "good.csv", ".hidden.csv", "notes.pdf"):
        (tmp_path / name).write_text("x\n")
    w.poll(now=0)
    out = w.poll(now=10)
    assert sorted(o.status for o in out) == ["failed", "failed", "loaded"]
    assert sorted(loaded) == ["bad.csv", "crash.csv", "good.csv"]
    assert "Amount" in (tmp_path / "failed" / "bad.csv.error.txt").read_text()
    assert "unexpected error: boom" in (tmp_path / "failed" / "crash.csv.error.txt").read_text()
    assert (tmp_path / "processed" / "good.csv").exists()
    assert (tmp_path / ".hidden.csv").exists() and (tmp_path / "notes.pdf").exists()


def test_a_second_file_of_the_same_name_does_not_overwrite(tmp_path):
    loaded: list[str] = []
    w = _watcher(tmp_path, loaded)
    for _ in range(2):
        (tmp_path / "good.csv").write_text("x\n")
        w.poll(now=0)
        w.poll(now=10)
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["good-2.csv", "good.csv"]
