"""Backups and restores of the store with its archived exports, on SQLite and PostgreSQL.

Every table of the models (and Alembic's version) holds rows before the backup, and holds the same
rows after a restore into an empty store: SQLite to SQLite (the online backup API), PostgreSQL to
PostgreSQL (pg_dump), PostgreSQL to SQLite (the portable dump) and SQLite to PostgreSQL (the rows
of the SQLite copy). Then what an operator runs into: a store that holds data, a backup taken
while a load is writing, a backup made at an older schema, damaged and foreign files, and the
data version that running apps poll.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text

from dashboard import auth
from loaders.config import load_config
from loaders.ingest import load_file
from loaders.store import audit
from loaders.store.backup import BackupError, backup, read_manifest, restore
from loaders.store.engine import (
    alembic_config,
    calls_version,
    current_revision,
    data_version,
    get_engine,
    session_scope,
    upgrade,
)
from loaders.store.models import (
    AuditEntry,
    Base,
    CoachingNote,
    DealPlanStep,
    DerivedFrame,
    ForecastCall,
    ImportBatch,
    Rep,
    SavedMapping,
)
from tests.support.book import seed_book
from tests.support.cli import teamcar
from tests.support.stores import make_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _words(text: str) -> str:
    """Output as words (the terminal wraps long lines)."""
    return " ".join(text.split())


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def _config(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    return dataclasses.replace(load_config(), data_dir=data_dir)


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def fill_every_table(url: str, config) -> None:
    """Rows in every table: the book, real exports (archived, with rejects and history), a user,
    a note, a call, a derived frame and an audit entry."""
    engine = get_engine(url)
    seed_book(engine)
    for name in ("roster.csv", "salesforce_report_messy.csv", "opportunity_field_history.csv"):
        outcome = load_file(FIXTURES / name, engine=engine, config=config)
        assert outcome.status == "loaded", outcome.message
    auth.add_user(engine, "Mia Manager", "manager", ["East"], "a long password")
    with session_scope(engine) as s:
        ann = s.scalar(select(Rep.id).where(Rep.name == "Ann Lee"))
        stamp = dt.datetime(2026, 11, 20, 9, 30, 15, 123456)
        s.add(
            CoachingNote(
                rep_id=ann, author="Mia", body="=cmd|' ök", created_at=stamp, updated_at=stamp
            )
        )
        s.add(DerivedFrame(key="k" * 64, name="batch-sums", data=b"\x00\x01\xff", created_at=stamp))
        s.add(
            ForecastCall(
                person_id=ann,
                quarter="2026-Q4",
                submitted=dt.date(2026, 11, 20),
                commit=1234.5,
                best_case=2000.25,
                note=None,
                author="Mia",
                created_at=stamp,
            )
        )
        s.add(
            SavedMapping(
                name="Warehouse deals",
                kind="pipeline",
                header_key="h" * 64,
                header="Deal\nOwner",
                spec='kind = "pipeline"\n',
                author="Mia",
                created_at=stamp,
                updated_at=stamp,
            )
        )
        s.add(
            DealPlanStep(
                source="salesforce",
                deal_id="006000000000001AAA",
                kind="legal",
                title="Contract review ‘ök’",
                owner_id=ann,
                due=dt.date(2026, 12, 1),
                status="open",
                note="=SUM(A1)",
                author="Mia",
                created_at=stamp,
                updated_at=stamp,
            )
        )
    audit.record(engine, audit.USER, "added", actor="tester", subject="Mia Manager")
    counts = _rows(engine)
    empty = sorted(t for t, rows in counts.items() if not rows)
    assert not empty, f"give these tables a row in fill_every_table: {empty}"


def _rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table of the models, and Alembic's version, in a stable order."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            out[table.name] = sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
        out["alembic_version"] = [
            tuple(r) for r in conn.execute(text("SELECT * FROM alembic_version"))
        ]
    return out


def _comparable(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Rows with what a restore changes on purpose set aside: the archive's folder (it moves to
    the new data directory), the versions (advanced) and the restore's own audit entry."""
    out = dict(rows)
    cols = [c.name for c in ImportBatch.__table__.columns]
    at = cols.index("archived_path")
    out["import_batches"] = [
        r[:at] + ((Path(r[at]).name if r[at] else None),) + r[at + 1 :]
        for r in rows["import_batches"]
    ]
    out["meta"] = []
    action = [c.name for c in AuditEntry.__table__.columns].index("action")
    out["audit_log"] = [r for r in rows["audit_log"] if r[action] != "restored"]
    return out


@pytest.mark.parametrize(
    ("source", "target", "portable", "method"),
    [
        ("sqlite", "sqlite", False, "sqlite"),
        ("postgres", "postgres", False, "pg_dump"),
        ("postgres", "sqlite", True, "portable"),
        ("sqlite", "postgres", False, "sqlite"),
    ],
)
def test_every_table_round_trips(tmp_path, source, target, portable, method):
    src_url, drop_src = make_store(source, tmp_path / "src", prefix="backup_src")
    dst_url, drop_dst = make_store(target, tmp_path / "dst", prefix="backup_dst", migrate=False)
    try:
        src_config, dst_config = _config(tmp_path / "src-data"), _config(tmp_path / "dst-data")
        fill_every_table(src_url, src_config)
        before = _rows(get_engine(src_url))
        with session_scope(get_engine(src_url)) as s:
            versions = data_version(s), calls_version(s)

        made = backup(
            tmp_path / "store.teamcar.zip", url=src_url, config=src_config, portable=portable
        )
        assert made.method == method and made.revision == _head()
        manifest = read_manifest(made.path)
        assert manifest["format"] == "teamcar-backup" and manifest["format_version"] == 1
        assert manifest["store_kind"] == ("sqlite" if source == "sqlite" else "postgresql")
        assert manifest["schema_revision"] == _head() and manifest["data_version"] == versions[0]
        assert {t: v["rows"] for t, v in manifest["tables"].items()} == {
            t: len(r) for t, r in before.items()
        }
        assert made.archived == 3 and not made.missing

        done = restore(made.path, url=dst_url, config=dst_config)
        engine = get_engine(dst_url)
        after = _rows(engine)
        assert _comparable(after) == _comparable(before)
        assert current_revision(dst_url) == _head()
        # Running apps see a version they have never drawn: past the backup's and the old store's.
        with session_scope(engine) as s:
            assert done.data_version == data_version(s) > versions[0]
            assert calls_version(s) > versions[1]
        # The archived exports came along, under this data directory, and the batches point there.
        with session_scope(engine) as s:
            paths = set(
                s.scalars(
                    select(ImportBatch.archived_path).where(ImportBatch.archived_path.is_not(None))
                )
            )
        assert len(paths) == 3
        for p in paths:
            assert Path(p).parent.parent == dst_config.archive_dir
            original = next(f for f in FIXTURES.iterdir() if Path(p).name.endswith("-" + f.name))
            assert Path(p).read_bytes() == original.read_bytes()
        # The restored store goes on working: a file loaded before is known, new rows get new keys.
        again = load_file(FIXTURES / "roster.csv", engine=engine, config=dst_config)
        assert again.status == "unchanged"
        new = load_file(FIXTURES / "quotas.csv", engine=engine, config=dst_config)
        assert new.status == "loaded", new.message
        assert new.batch_id > max(r[0] for r in before["import_batches"])
        audit.record(engine, audit.PLAN, "step added", actor="Mia", subject="salesforce:A1")
    finally:
        drop_src()
        drop_dst()


def test_a_store_with_data_is_replaced_only_when_forced(tmp_path, store_url, data_dir):
    config = load_config()
    engine = get_engine(store_url)
    seed_book(engine)
    made = backup(tmp_path / "book.zip")
    other, drop = make_store(_backend(store_url), tmp_path / "other", prefix="other")
    try:
        load_file(FIXTURES / "roster.csv", engine=get_engine(other), config=config)
        with pytest.raises(BackupError, match="holds data") as refused:
            restore(made.path, url=other, config=config)
        assert "--force" in str(refused.value)
        assert _rows(get_engine(other))["reps"]  # untouched

        done = restore(made.path, url=other, config=config, force=True)
        assert _comparable(_rows(get_engine(other)))["reps"] == _rows(engine)["reps"]
        # the replaced store was backed up first, and that backup restores
        assert done.safety_copy is not None and done.safety_copy.parent == data_dir / "backups"
        assert read_manifest(done.safety_copy)["tables"]["import_batches"]["rows"] == 1
    finally:
        drop()


def test_an_empty_store_is_one_with_only_its_schema(tmp_path, store_url):
    seed_book(get_engine(store_url))
    made = backup(tmp_path / "book.zip")
    fresh, drop = make_store(_backend(store_url), tmp_path / "fresh", prefix="fresh")  # no rows
    try:
        restore(made.path, url=fresh)
        assert len(_rows(get_engine(fresh))["opportunity_snapshots"]) == len(
            _rows(get_engine(store_url))["opportunity_snapshots"]
        )
    finally:
        drop()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_backup_taken_during_a_load_is_consistent(tmp_path, backend):
    """A load's transaction open while the backup runs: the backup neither waits for it nor holds
    half of it, and it holds what was committed (on SQLite, rows still in the WAL file)."""
    url, drop = make_store(backend, tmp_path, prefix="during")
    try:
        engine = get_engine(url)
        seed_book(engine)  # committed; on SQLite much of it is in the WAL, not the main file
        committed = len(_rows(engine)["opportunity_snapshots"])
        with engine.connect() as writer:
            tx = writer.begin()
            writer.execute(delete(Base.metadata.tables["opportunity_snapshots"]))
            writer.execute(
                insert(AuditEntry).values(
                    at=dt.datetime(2026, 1, 1),
                    kind="load",
                    action="half",
                    actor="x",
                    via="cli",
                    subject="",
                    detail="",
                )
            )
            made = backup(tmp_path / "during.zip", url=url, portable=backend == "postgres")
            tx.rollback()
        manifest = read_manifest(made.path)
        assert manifest["tables"]["opportunity_snapshots"]["rows"] == committed > 0
        assert manifest["tables"]["audit_log"]["rows"] == 0
    finally:
        drop()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_backup_from_an_older_schema_is_upgraded(tmp_path, backend):
    old, drop_old = make_store(backend, tmp_path / "old", prefix="old", migrate=False)
    new, drop_new = make_store(backend, tmp_path / "new", prefix="new", migrate=False)
    try:
        upgrade(old, "0005")
        with get_engine(old).begin() as conn:
            conn.execute(text("INSERT INTO reps (id, name, manager) VALUES (1, 'Ann Lee', NULL)"))
        made = backup(tmp_path / "old.zip", url=old, portable=backend == "postgres")
        assert made.revision == "0005"
        restore(made.path, url=new)
        assert current_revision(new) == _head()
        with session_scope(get_engine(new)) as s:
            assert s.scalar(select(Rep.name)) == "Ann Lee"
            assert s.scalar(select(AuditEntry.action)) == "restored"  # a table 0005 did not have
    finally:
        drop_old()
        drop_new()


def _damaged(made: Path, tmp_path: Path) -> dict[str, Path]:
    files = {}
    files["text"] = tmp_path / "notes.txt"
    files["text"].write_text("not a backup at all\n")
    files["zip without manifest"] = tmp_path / "photos.zip"
    with zipfile.ZipFile(files["zip without manifest"], "w") as zf:
        zf.writestr("a.jpg", b"\xff\xd8")
    files["someone else's manifest"] = tmp_path / "other.zip"
    with zipfile.ZipFile(files["someone else's manifest"], "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "wordpress-backup"}))
    files["from a newer Team Car"] = tmp_path / "newer.zip"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(files["from a newer Team Car"], "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json":
                data = json.dumps({**json.loads(data), "format_version": 99}).encode()
            dst.writestr(item, data)
    raw = made.read_bytes()
    files["truncated"] = tmp_path / "truncated.zip"
    files["truncated"].write_bytes(raw[: len(raw) // 2])
    files["bit rot"] = tmp_path / "rot.zip"
    with zipfile.ZipFile(made) as zf:
        info = zf.getinfo("store.sqlite")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    files["bit rot"].write_bytes(
        raw[:start] + bytes(b ^ 0xFF for b in raw[start : start + 64]) + raw[start + 64 :]
    )
    return files


def test_damaged_or_foreign_files_are_refused_by_name(tmp_path):
    source, drop_source = make_store("sqlite", tmp_path / "s", prefix="source")
    seed_book(get_engine(source))
    made = backup(tmp_path / "good.zip", url=source)
    drop_source()
    target, drop = make_store("sqlite", tmp_path / "t", prefix="target", migrate=False)
    try:
        for what, path in _damaged(made.path, tmp_path).items():
            with pytest.raises(BackupError) as refused:
                restore(path, url=target)
            assert str(path) in str(refused.value), what
            assert not _rows_if_any(target), f"{what}: the store was touched"
        # and through the command: one line naming the file, no traceback
        run = teamcar(
            "db",
            "restore",
            str(tmp_path / "notes.txt"),
            check=False,
            env={"TEAMCAR_DATABASE_URL": target},
        )
        assert run.returncode == 2 and "notes.txt: not a Team Car backup" in _words(run.stderr)
        assert "Traceback" not in run.stderr
    finally:
        drop()


def _rows_if_any(url: str) -> bool:
    from loaders.store.backup import holds_data

    return holds_data(get_engine(url))


def test_the_commands(tmp_path, data_dir):
    """As an operator types them, on the default SQLite store in the data folder."""
    load = teamcar("load", str(FIXTURES / "roster.csv"))
    assert "1 loaded" in load.stdout
    file = tmp_path / "nightly.zip"
    run = teamcar("db", "backup", str(file))
    assert (
        file.is_file() and "Backed up" in run.stdout and "1 archived export " in _words(run.stdout)
    )
    # into a store that holds data: refused, then forced
    refused = teamcar("db", "restore", str(file), check=False)
    assert (
        refused.returncode == 2
        and "holds data" in _words(refused.stderr)
        and "--force" in refused.stderr
    )
    forced = teamcar("db", "restore", str(file), "--force")
    assert "Restored" in forced.stdout and "backed up first" in _words(forced.stdout)
    # into an empty store elsewhere
    target = tmp_path / "elsewhere" / "teamcar.db"
    env = {
        "TEAMCAR_DATABASE_URL": f"sqlite:///{target}",
        "TEAMCAR_DATA_DIR": str(tmp_path / "elsewhere"),
    }
    restored = teamcar("db", "restore", str(file), env=env)
    assert "Restored" in restored.stdout
    with session_scope(get_engine(f"sqlite:///{target}")) as s:
        assert s.scalar(select(Rep.name).where(Rep.name == "Dana Whitfield")) == "Dana Whitfield"
    assert any((tmp_path / "elsewhere" / "archive").rglob("*roster.csv"))
    shutil.rmtree(tmp_path / "elsewhere")
