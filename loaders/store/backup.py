"""Backups of the store with its archived exports, and restoring one into an empty store.

A backup is one ZIP file (docs/architecture.md#backups-and-restores):

- ``manifest.json`` says what it is: ``format`` ("teamcar-backup"), ``format_version``, the store
  kind (sqlite or postgresql), the ``method`` of the dump, the Alembic ``schema_revision``, the
  data and calls versions, every table with its columns and row count, and the archived exports
  it holds;
- the store, by ``method``:
  - ``sqlite``: ``store.sqlite``, a copy made with SQLite's online backup API (one read
    transaction: consistent while the app serves and loads run);
  - ``pg_dump``: ``store.pgdump``, ``pg_dump --format=custom`` run on a snapshot exported from
    the transaction the manifest's counts were read in (so both describe the same moment);
  - ``portable``: ``tables/<name>.jsonl``, one JSON array per row, read in one repeatable-read
    transaction. Used for PostgreSQL without ``pg_dump`` and on request (``--portable``); it
    restores into either kind of store;
- ``archive/<xx>/<hash>-<name>``: the original exports the store's batches point at.

A restore refuses a store that holds data unless forced (and then first backs that store up
under ``<data dir>/backups/``), checks every member's CRC before touching the store, rebuilds
the schema at the backup's revision, puts the rows back, checks their counts against the
manifest, upgrades to the latest revision (a backup from an older Team Car comes back at
today's schema), puts the archived exports under this data directory and points the batches at
them, and sets the data version past both the old store's and the backup's, so running apps
redraw on their next poll.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from loaders import clock
from loaders.config import Config, load_config
from loaders.store.engine import alembic_config, get_engine, upgrade
from loaders.store.models import CALLS_VERSION_KEY, SCHEMA_VERSION_KEY

FORMAT = "teamcar-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "store.sqlite"
PGDUMP_MEMBER = "store.pgdump"
TABLES_DIR = "tables/"
ARCHIVE_DIR = "archive/"
ALEMBIC_TABLE = "alembic_version"
# Rows of these tables do not make a store "hold data": the schema's bookkeeping, and derived
# frames any process recomputes.
BOOKKEEPING = {ALEMBIC_TABLE, "meta", "derived_frames"}
CHUNK = 5_000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message names the file and what to do."""


@dataclass
class BackupResult:
    """What a backup or a restore did, for the one-screen summary."""

    path: Path
    store_kind: str
    method: str
    revision: str | None
    data_version: int
    tables: dict[str, int]
    archived: int = 0
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0
    safety_copy: Path | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- backup ---------------------------------------------------------------------------------


def backup(
    path: Path,
    *,
    url: str | None = None,
    config: Config | None = None,
    portable: bool = False,
) -> BackupResult:
    """Write a consistent backup of the store at ``url`` (default: the configured one) to ``path``.

    Safe while the app serves and loads run. The file is written beside ``path`` and renamed
    into place at the end, so an earlier backup of that name survives a backup that fails.

    Args:
        path: the backup file to write (replaced if it exists).
        url: the store.
        config: settings (the data directory, for the archived exports).
        portable: write the rows as JSON lines (restorable into SQLite or PostgreSQL) instead of
            the store's native copy.

    Raises:
        BackupError: no store there, or the file cannot be written.
    """
    started = time.monotonic()
    config = config or load_config()
    url = url or config.database_url
    path = Path(path)
    kind = _store_kind(url)
    if path.is_dir():
        raise BackupError(f"{path}: is a folder; give the backup file's name")
    if not path.parent.is_dir():
        raise BackupError(f"{path}: no folder {path.parent} to write the backup into")
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with (
            tempfile.TemporaryDirectory(dir=path.parent, prefix=".teamcar-backup-") as work,
            zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf,
        ):
            if kind == "sqlite" and not portable:
                facts = _backup_sqlite(url, Path(work), zf)
            elif kind == "postgresql" and not portable and shutil.which("pg_dump"):
                facts = _backup_pg_dump(url, Path(work), zf)
            else:
                facts = _backup_portable(url, Path(work), zf)
                if kind == "postgresql" and not portable:
                    facts["notes"].append("pg_dump was not found: the rows were dumped portably")
            archived, missing = _add_archive(zf, facts.pop("archived_paths"), config)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "store_kind": kind,
                "created_at": clock.now().isoformat(timespec="seconds"),
                "archive": archived,
                "missing_archive": missing,
                **facts,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1, default=str))
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return BackupResult(
        path=path,
        store_kind=kind,
        method=manifest["method"],
        revision=manifest["schema_revision"],
        data_version=manifest["data_version"],
        tables={t: v["rows"] for t, v in manifest["tables"].items()},
        archived=len(archived),
        missing=missing,
        notes=manifest["notes"],
        bytes=path.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _store_kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups cover SQLite and PostgreSQL stores, not {backend}")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url}: an in-memory store has nothing to back up")
    return Path(database)


def _sqlite_copy(url: str, work: Path) -> Path:
    """A consistent copy of the SQLite store at ``url`` in ``work``, by the online backup API."""
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupError(f"{source}: no store there (run teamcar db upgrade, or check the URL)")
    copy = work / SQLITE_MEMBER
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        # One step (pages=-1) is one read transaction on the source: a consistent copy, while
        # WAL lets the app's readers and a load's writer carry on.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    return copy


def _backup_sqlite(url: str, work: Path, zf: zipfile.ZipFile) -> dict:
    copy = _sqlite_copy(url, work)
    engine = create_engine(f"sqlite:///{copy}")
    try:
        with engine.connect() as conn:
            facts = _facts(conn)
    finally:
        engine.dispose()
    zf.write(copy, SQLITE_MEMBER)
    return {**facts, "method": "sqlite", "notes": []}


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """``--dbname`` for libpq tools, with the password in the environment (not the command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return [f"--dbname={plain.render_as_string(hide_password=False)}"], env


def _backup_pg_dump(url: str, work: Path, zf: zipfile.ZipFile) -> dict:
    dump = work / PGDUMP_MEMBER
    dbname, env = _libpq(url)
    engine = get_engine(url)
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        # pg_dump reads the snapshot this transaction holds: its rows are the counts below.
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        facts = _facts(conn)
        done = subprocess.run(
            [
                "pg_dump",
                *dbname,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={dump}",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise BackupError(
            "pg_dump failed: "
            + (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            + "; teamcar db backup --portable needs no pg_dump"
        )
    zf.write(dump, PGDUMP_MEMBER)
    return {**facts, "method": "pg_dump", "notes": []}


def _backup_portable(url: str, work: Path, zf: zipfile.ZipFile) -> dict:
    if _store_kind(url) == "sqlite":
        # rows read from a private copy: consistent, and no transaction held on the store
        engine = create_engine(f"sqlite:///{_sqlite_copy(url, work)}")
        try:
            with engine.connect() as conn:
                return _dump_rows(conn, zf)
        finally:
            engine.dispose()
    engine = get_engine(url)
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        return _dump_rows(conn, zf)


def _dump_rows(conn: Connection, zf: zipfile.ZipFile) -> dict:
    """Every table's rows as JSON lines, read on ``conn`` (one snapshot)."""
    facts = _facts(conn)
    meta = MetaData()
    meta.reflect(conn, only=list(facts["tables"]))
    for name in facts["tables"]:
        table = meta.tables[name]
        order = list(table.primary_key.columns) or list(table.columns)
        result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
            select(*(table.c[c] for c in facts["tables"][name]["columns"])).order_by(*order)
        )
        with zf.open(f"{TABLES_DIR}{name}.jsonl", "w", force_zip64=True) as out:
            for row in result:
                out.write(json.dumps([_encode(v) for v in row]).encode() + b"\n")
    return {**facts, "method": "portable", "notes": []}


def _encode(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _store_tables(conn: Connection) -> list[str]:
    """Every table of the store (SQLite's own excluded), by name."""
    return sorted(t for t in inspect(conn).get_table_names() if not t.startswith("sqlite_"))


def _count(table: str):
    return select(sa.func.count()).select_from(sa.table(table))


def _facts(conn: Connection) -> dict:
    """What the manifest says of a store, read on ``conn`` (inside the backup's transaction)."""
    names = _store_tables(conn)
    if ALEMBIC_TABLE not in names:
        raise BackupError(
            "the store has no schema yet (run teamcar db upgrade): nothing to back up"
        )
    insp = inspect(conn)
    tables = {}
    for name in names:
        rows = conn.execute(_count(name)).scalar_one()
        tables[name] = {"rows": int(rows), "columns": [c["name"] for c in insp.get_columns(name)]}
    revision = conn.execute(
        select(sa.column("version_num")).select_from(sa.table(ALEMBIC_TABLE))
    ).scalar()
    versions = {}
    if "meta" in names:
        versions = dict(conn.execute(text("SELECT key, value FROM meta")).all())
    archived: list[str] = []
    if "import_batches" in names:
        archived = list(
            conn.execute(
                text(
                    "SELECT DISTINCT archived_path FROM import_batches "
                    "WHERE archived_path IS NOT NULL ORDER BY archived_path"
                )
            ).scalars()
        )
    return {
        "schema_revision": revision,
        "data_version": int(versions.get(SCHEMA_VERSION_KEY) or 0),
        "calls_version": int(versions.get(CALLS_VERSION_KEY) or 0),
        "tables": tables,
        "archived_paths": archived,
    }


def _archive_member(original: str) -> str:
    """Where an archived export goes in the backup: ``archive/<xx>/<hash>-<name>`` as stored."""
    p = Path(original)
    return f"{ARCHIVE_DIR}{p.parent.name}/{p.name}"


def _add_archive(
    zf: zipfile.ZipFile, paths: list[str], config: Config
) -> tuple[list[dict], list[str]]:
    """Add the archived exports the batches point at; returns what was added and what was gone.

    Archive copies are never changed once written (named by their content's hash), so copying
    them after the store's snapshot still matches it.
    """
    added, missing, members = [], [], set()
    for original in paths:
        source = Path(original)
        if not source.is_absolute():
            source = config.data_dir / source
        member = _archive_member(original)
        if not source.is_file():
            missing.append(original)
            continue
        if member not in members:
            stored = source.suffix.lower() in (".zip", ".xlsx", ".gz")  # compressed already
            zf.write(source, member, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            members.add(member)
        added.append({"path": original, "member": member, "bytes": source.stat().st_size})
    return added, missing


# --- reading a backup -----------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    """The manifest of the backup at ``path``, checked for what this Team Car can restore.

    Raises:
        BackupError: the file is missing, not a ZIP, not a Team Car backup, damaged, or from a
            newer Team Car; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as zf:
            try:
                raw = zf.read(MANIFEST)
            except KeyError:
                raise BackupError(
                    f"{path}: not a Team Car backup (a ZIP file without {MANIFEST})"
                ) from None
            names = set(zf.namelist())
    except zipfile.BadZipFile as exc:
        raise BackupError(f"{path}: not a Team Car backup, or damaged ({exc})") from None
    except (OSError, EOFError) as exc:
        raise BackupError(f"{path}: cannot be read ({exc})") from None
    try:
        manifest = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{path}: damaged: its {MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a Team Car backup ({MANIFEST} is not a {FORMAT}'s)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"{path}: backup format {version}, made by a newer Team Car (this one reads up to "
            f"{FORMAT_VERSION}); restore it with that version"
        )
    needed = {"sqlite": {SQLITE_MEMBER}, "pg_dump": {PGDUMP_MEMBER}}.get(
        manifest.get("method"),
        {f"{TABLES_DIR}{t}.jsonl" for t in manifest.get("tables", {})},
    )
    needed |= {a["member"] for a in manifest.get("archive", [])}
    lost = sorted(needed - names)
    if lost or not manifest.get("tables"):
        raise BackupError(f"{path}: damaged: missing {', '.join(lost[:5]) or 'its tables'}")
    return manifest


def _check_members(path: Path) -> None:
    """Read every member once, checking its CRC, before the store is touched."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path}: damaged ({exc})") from None
    if bad is not None:
        raise BackupError(f"{path}: damaged: {bad} does not match its checksum")


# --- restore --------------------------------------------------------------------------------


def store_counts(engine: Engine) -> dict[str, int]:
    """Rows in each table of the store at ``engine`` (empty when it has no tables)."""
    with engine.connect() as conn:
        return {name: int(conn.execute(_count(name)).scalar_one()) for name in _store_tables(conn)}


def holds_data(engine: Engine) -> bool:
    """Whether the store holds anything a restore would replace (its bookkeeping aside)."""
    return any(n for t, n in store_counts(engine).items() if t not in BOOKKEEPING)


def restore(
    path: Path,
    *,
    url: str | None = None,
    config: Config | None = None,
    force: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
) -> BackupResult:
    """Restore the backup at ``path`` into the store at ``url`` (default: the configured one).

    Args:
        path: a file written by ``backup``.
        url: the store to restore into: empty (no tables, or only empty ones) unless ``force``.
        config: settings (the data directory, where the archived exports go).
        force: replace a store that holds data (it is backed up first under
            ``<data dir>/backups/``).
        progress: told each step in words.

    Returns:
        What was restored: the tables and row counts as of the backup, the revision it was made
        at, and the data version the store is at now.

    Raises:
        BackupError: a damaged or foreign file, a store that holds data (without ``force``), a
            backup from a newer schema, or a pg_dump backup for a store that is not PostgreSQL.
    """
    started = time.monotonic()
    config = config or load_config()
    url = url or config.database_url
    path = Path(path)
    manifest = read_manifest(path)
    kind = _store_kind(url)
    method = manifest.get("method")
    revision = manifest.get("schema_revision")
    _known_revision(path, revision, url)
    if method == "pg_dump" and kind != "postgresql":
        raise BackupError(
            f"{path}: made by pg_dump, so it restores into PostgreSQL only; make a portable "
            "backup (teamcar db backup --portable) to move a store to SQLite"
        )
    if method == "pg_dump" and not shutil.which("pg_restore"):
        raise BackupError(f"{path}: made by pg_dump; restoring it needs pg_restore on the PATH")
    progress("checking the backup")
    _check_members(path)
    engine = get_engine(url)
    if kind == "sqlite":
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    safety = None
    if holds_data(engine):
        if not force:
            raise BackupError(
                f"the store at {_safe(url)} holds data: restoring {path} would replace it. "
                "Restore into an empty store, or add --force (the store is backed up first)"
            )
        safety = config.data_dir / "backups" / f"before-restore-{clock.now():%Y%m%d-%H%M%S}.zip"
        safety.parent.mkdir(parents=True, exist_ok=True)
        progress(f"backing up the store first to {safety}")
        backup(safety, url=url, config=config)
    before = _versions(engine)
    with (
        tempfile.TemporaryDirectory(prefix="teamcar-restore-") as work,
        zipfile.ZipFile(path) as zf,
    ):
        work = Path(work)
        progress(f"restoring the rows ({method}, schema {revision})")
        if method == "pg_dump":
            _restore_pg_dump(zf, work, url, engine)
        elif method == "sqlite" and kind == "sqlite":
            _restore_sqlite_file(zf, work, url, engine)
        else:
            with _row_source(zf, work, manifest) as rows:
                _restore_rows(rows, engine, url, revision)
        counts = store_counts(engine)
        wrong = {
            t: (v["rows"], counts.get(t))
            for t, v in manifest["tables"].items()
            if counts.get(t) != v["rows"]
        }
        if wrong:
            raise BackupError(
                f"{path}: restored row counts differ from the backup's: "
                + ", ".join(f"{t} {got} of {want}" for t, (want, got) in sorted(wrong.items()))
            )
        progress("putting the archived exports back")
        archived = _restore_archive(zf, manifest, engine, config)
    progress("upgrading to the latest schema")
    upgrade(url)
    version = _advance_versions(engine, before)
    from loaders.store.audit import STORE, record

    record(
        engine,
        STORE,
        "restored",
        subject=path.name,
        detail=f"{manifest['store_kind']} backup of {manifest.get('created_at')} "
        f"({method}, schema {revision}); {sum(v['rows'] for v in manifest['tables'].values()):,} "
        f"rows, {archived} archived exports"
        + (f"; the store's former data was backed up to {safety}" if safety else ""),
    )
    return BackupResult(
        path=path,
        store_kind=kind,
        method=method,
        revision=revision,
        data_version=version,
        tables={t: v["rows"] for t, v in manifest["tables"].items()},
        archived=archived,
        missing=list(manifest.get("missing_archive", [])),
        notes=list(manifest.get("notes", [])),
        bytes=path.stat().st_size,
        seconds=time.monotonic() - started,
        safety_copy=safety,
    )


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _known_revision(path: Path, revision: str | None, url: str) -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(url))
    if revision is None:
        raise BackupError(f"{path}: damaged: the manifest names no schema revision")
    try:
        known = scripts.get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        known = None
    if known is None:
        raise BackupError(
            f"{path}: made at schema revision {revision}, which this Team Car does not know "
            f"(it goes up to {scripts.get_current_head()}); restore it with a newer Team Car"
        )


def _versions(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        if "meta" not in _store_tables(conn):
            return 0, 0
        values = dict(conn.execute(text("SELECT key, value FROM meta")).all())
    return int(values.get(SCHEMA_VERSION_KEY) or 0), int(values.get(CALLS_VERSION_KEY) or 0)


def _advance_versions(engine: Engine, before: tuple[int, int]) -> int:
    """Set the data and calls versions past both the replaced store's and the backup's: a
    running app has never seen the new values, so it redraws and its caches miss."""
    from loaders.store.engine import bump_calls_version, bump_data_version, session_scope
    from loaders.store.models import Meta

    with session_scope(engine) as s:
        for key, old in zip((SCHEMA_VERSION_KEY, CALLS_VERSION_KEY), before, strict=True):
            row = s.get(Meta, key)
            if row is None:
                s.add(Meta(key=key, value=str(old)))
            elif int(row.value) < old:
                row.value = str(old)
        s.flush()
        bump_calls_version(s)
        return bump_data_version(s)


def _drop_all(engine: Engine) -> None:
    """Drop every table of the store (a forced restore, or leftovers of an empty one)."""
    meta = MetaData()
    with engine.begin() as conn:
        meta.reflect(conn, only=_store_tables(conn))
        meta.drop_all(conn)


def _restore_sqlite_file(zf: zipfile.ZipFile, work: Path, url: str, engine: Engine) -> None:
    copy = Path(zf.extract(SQLITE_MEMBER, work))
    engine.dispose()
    target = _sqlite_path(url)
    src = sqlite3.connect(copy)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # The backup API again, the other way: the target's pages are replaced in one write
        # transaction, so an app reading the store sees the old data or the new, never half.
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _restore_pg_dump(zf: zipfile.ZipFile, work: Path, url: str, engine: Engine) -> None:
    dump = Path(zf.extract(PGDUMP_MEMBER, work))
    _drop_all(engine)
    dbname, env = _libpq(url)
    done = subprocess.run(
        [
            "pg_restore",
            *dbname,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(
            "pg_restore failed: " + (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        )


class _Rows:
    """Rows of each table of a backup, as (columns, iterator of row tuples), from a SQLite copy
    or the portable JSON lines."""

    def __init__(self, zf: zipfile.ZipFile, work: Path, manifest: dict) -> None:
        self.zf, self.manifest = zf, manifest
        self.engine = None
        if manifest["method"] == "sqlite":
            copy = Path(zf.extract(SQLITE_MEMBER, work))
            self.engine = create_engine(f"sqlite:///{copy}")
            self.meta = MetaData()
            self.meta.reflect(self.engine)

    def columns(self, table: str) -> list[str]:
        return list(self.manifest["tables"][table]["columns"])

    def rows(self, table: str) -> Iterator[tuple]:
        if self.engine is not None:
            with self.engine.connect() as conn:
                source = self.meta.tables[table]
                cols = [source.c[c] for c in self.columns(table)]
                yield from conn.execution_options(yield_per=CHUNK).execute(select(*cols))
            return
        with self.zf.open(f"{TABLES_DIR}{table}.jsonl") as fh:
            for line in fh:
                yield tuple(json.loads(line))

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


class _row_source:  # noqa: N801 - used as a context manager
    def __init__(self, zf, work, manifest) -> None:
        self.rows = _Rows(zf, work, manifest)

    def __enter__(self) -> _Rows:
        return self.rows

    def __exit__(self, *_exc) -> None:
        self.rows.close()


def _decoder(column_type) -> Callable | None:
    """How a JSON value becomes the column's Python value (None: it already is one)."""
    if isinstance(column_type, sa.DateTime):
        return lambda v: dt.datetime.fromisoformat(v) if isinstance(v, str) else v
    if isinstance(column_type, sa.Date):
        return lambda v: dt.date.fromisoformat(v[:10]) if isinstance(v, str) else v
    if isinstance(column_type, sa.LargeBinary):
        return lambda v: base64.b64decode(v) if isinstance(v, str) else v
    if isinstance(column_type, sa.Boolean):
        return lambda v: bool(v) if v is not None else None
    return None


def _decoded(row: tuple, decode: dict[int, Callable]) -> tuple:
    values = list(row)
    for i, f in decode.items():
        values[i] = f(values[i])
    return tuple(values)


def _restore_rows(source: _Rows, engine: Engine, url: str, revision: str) -> None:
    """Rebuild the schema at the backup's revision, then insert every row in one transaction."""
    _drop_all(engine)
    upgrade(url, revision)
    meta = MetaData()
    with engine.begin() as conn:
        meta.reflect(conn)
        wanted = set(source.manifest["tables"])
        missing = wanted - set(meta.tables)
        if missing:
            raise BackupError(
                f"the schema at revision {revision} has no table {', '.join(sorted(missing))}"
            )
        # The migrations at that revision may have written rows of their own (the version).
        for table in reversed(meta.sorted_tables):
            conn.execute(table.delete())
        for table in meta.sorted_tables:
            if table.name not in wanted:
                continue
            columns = source.columns(table.name)
            rows = source.rows(table.name)
            decode = {i: _decoder(table.c[c].type) for i, c in enumerate(columns)}
            decode = {i: f for i, f in decode.items() if f is not None}
            if source.engine is None and decode:  # JSON lines carry days and bytes as text
                rows = (_decoded(row, decode) for row in rows)
            if conn.dialect.name == "postgresql":
                _copy_rows(conn, table.name, columns, rows)
                continue
            batch: list[dict] = []
            for row in rows:
                batch.append(dict(zip(columns, row, strict=True)))
                if len(batch) >= CHUNK:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, meta)


def _copy_rows(conn: Connection, table: str, columns: list[str], rows) -> None:
    """PostgreSQL's COPY, on the transaction's own connection (executemany is ~10x slower)."""
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor as cur, cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def _reset_sequences(conn: Connection, meta: MetaData) -> None:
    """Move each serial key's sequence past the restored ids, so the next row gets a new one."""
    for table in meta.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        key, most = keys[0], sa.func.max(keys[0])
        sequence = sa.func.pg_get_serial_sequence(table.name, key.name)
        conn.execute(
            select(
                sa.func.setval(sequence, sa.func.coalesce(most, 1), most.is_not(None))
            ).select_from(table)
        )


def _restore_archive(zf: zipfile.ZipFile, manifest: dict, engine: Engine, config: Config) -> int:
    """Put the archived exports under this data directory and point their batches at them."""
    moved: dict[str, str] = {}
    for item in manifest.get("archive", []):
        relative = item["member"][len(ARCHIVE_DIR) :]
        target = config.archive_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(f"{target.name}.{os.getpid()}.part")
            with zf.open(item["member"]) as src, part.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            part.replace(target)
        moved[item["path"]] = str(target)
    changed = {old: new for old, new in moved.items() if old != new}
    if changed:
        with engine.begin() as conn:
            for old, new in changed.items():
                conn.execute(
                    text(
                        "UPDATE import_batches SET archived_path = :new WHERE archived_path = :old"
                    ),
                    {"new": new, "old": old},
                )
    return len(moved)


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BackupError",
    "BackupResult",
    "backup",
    "holds_data",
    "read_manifest",
    "restore",
    "store_counts",
]
