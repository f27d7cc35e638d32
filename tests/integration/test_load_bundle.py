"""A Salesforce Data Export as delivered (its folder or its ZIP) loads as one unit, all or nothing."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from loaders.ingest import expand_paths, load_file
from loaders.store.engine import data_version, session_scope
from loaders.store.models import ImportBatch, OpportunityHistory, OpportunitySnapshot

SAMPLE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "salesforce-data-export"
)
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _bundle(tmp_path: Path) -> Path:
    """The real sample's two files (shared/ sits beside the checkout; the fixtures hold a copy)."""
    src = SAMPLE if SAMPLE.is_dir() else next(FIXTURE.rglob("OpportunityHistory.csv")).parent
    folder = tmp_path / "WE_00D000000000001_1"
    folder.mkdir(parents=True)
    for name in ("opportunity.csv", "OpportunityHistory.csv"):
        shutil.copy(src / name, folder / name)
    return folder


def _counts(engine):
    with session_scope(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(ImportBatch)),
            s.scalar(select(func.count()).select_from(OpportunitySnapshot)),
            s.scalar(select(func.count()).select_from(OpportunityHistory)),
            data_version(s),
        )


def test_folder_loads_each_file_as_its_batch_once(engine, tmp_path, data_dir):
    folder = _bundle(tmp_path)
    out = load_file(folder, engine=engine)
    assert out.status == "loaded", out.message
    assert (out.kind, out.format) == ("bundle", "salesforce-data-export")
    batches, snaps, hist, version = _counts(engine)
    assert batches == 2 and snaps == 31 and hist > 0
    with session_scope(engine) as s:
        names = sorted(s.scalars(select(ImportBatch.source_name)))
        stamps = set(s.scalars(select(ImportBatch.as_of)))
    assert names == [f"{folder.name}/OpportunityHistory.csv", f"{folder.name}/opportunity.csv"]
    assert len(stamps) == 1  # every file of a bundle shares the bundle's as-of
    assert load_file(folder, engine=engine).status == "unchanged"
    assert _counts(engine) == (batches, snaps, hist, version)
    assert list((data_dir / "archive").rglob("*.zip"))


def test_zip_loads_like_the_folder(engine, tmp_path, data_dir):
    folder = _bundle(tmp_path)
    archive = tmp_path / "WE_00D000000000001_1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    out = load_file(archive, engine=engine)
    assert out.status == "loaded", out.message
    assert _counts(engine)[:2] == (2, 31)


def test_a_folder_of_exports_keeps_a_data_export_inside_it_whole(tmp_path):
    folder = _bundle(tmp_path / "inbox")
    (tmp_path / "inbox" / "roster.csv").write_text("Rep,Team\nAnn,East\n")
    assert expand_paths([tmp_path / "inbox"]) == [tmp_path / "inbox" / "roster.csv", folder]


def test_a_zip_with_nothing_we_read_fails_clearly(engine, tmp_path, data_dir):
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "hello")
    out = load_file(archive, engine=engine)
    assert out.status == "failed" and "notes.zip" in out.message
    assert _counts(engine)[0] == 0
