"""Write canonical frames into the store: one file, one import batch, one transaction.

``load_file`` is what the CLI, the watcher and browser uploads call: it hashes the file (a file
already loaded changes nothing), reads it through ``loaders.formats``, archives the original next to
the database, and stores rows, rejects and the batch record together, bumping the data version in
the same transaction. Any failure rolls everything back and leaves the archive as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import DateTime, Engine, delete, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loaders import clock, schema
from loaders.config import Config, load_config
from loaders.identity import name_key
from loaders.store.engine import (
    bump_data_version,
    get_engine,
    session_scope,
    wait_for_other_writers,
)
from loaders.store.models import (
    Activity,
    ImportBatch,
    OpportunityHistory,
    OpportunitySnapshot,
    Quota,
    ReadinessEvent,
    RejectedRow,
    Rep,
    RepAlias,
    Team,
    TeamMembership,
)

CHUNK = 20_000
_FILE_DATE = re.compile(r"(?<!\d)(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")
# Order in which a folder is loaded: who the reps are before what they did.
_KIND_ORDER = {"roster": 0, "quota": 1, "readiness": 2, "pipeline": 3, "history": 4, "activity": 5}
EARLIEST = dt.date(1900, 1, 1)
EXPORT_SUFFIXES = {".csv", ".xlsx", ".xls", ".txt", ".zip", ".tsv"}
_BUNDLE_MARKERS = {"opportunity.csv", "opportunityhistory.csv"}


@dataclass
class LoadOutcome:
    """What came of loading one file, for the one-screen summary."""

    path: Path
    status: str  # loaded | unchanged | failed
    kind: str | None = None
    format: str | None = None
    source: str | None = None
    as_of: dt.datetime | None = None
    batch_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    message: str = ""


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def date_in_name(name: str) -> dt.datetime | None:
    """The as-of date written in a file name (``..._2026-11-20.csv``, ``20261120``), if any."""
    match = _FILE_DATE.search(name)
    if not match:
        return None
    try:
        return dt.datetime(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def resolve_as_of(
    path: Path, explicit: dt.datetime | None, from_content: dt.datetime | None
) -> dt.datetime:
    """``--as-of``, else a date in the file name, else one found in the content, else the file's time."""
    return (
        explicit
        or date_in_name(path.name)
        or from_content
        or dt.datetime.fromtimestamp(path.stat().st_mtime)
    )


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and files inside folders named (recursively), skipping ``_``/``.`` names.

    Folder contents are ordered so rosters and quotas load before the facts that refer to them,
    and snapshots in as-of order.
    """
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir() and not is_bundle(p):
            bundles = [d for d in sorted(p.rglob("*")) if d.is_dir() and is_bundle(d)]
            found = [
                f
                for f in sorted(p.rglob("*"))
                if f.is_file()
                and not any(part.startswith(("_", ".")) for part in f.relative_to(p).parts)
                and f.suffix.lower() in EXPORT_SUFFIXES
                and not any(b in f.parents for b in bundles)
            ]
            out.extend(sorted(found + bundles, key=_folder_order))
        else:
            out.append(p)
    return out


def is_bundle(path: Path) -> bool:
    """A Salesforce Data Export as delivered: its ZIP, or a folder holding ``Opportunity.csv``."""
    if path.is_dir():
        return any(f.name.lower() in _BUNDLE_MARKERS for f in path.iterdir() if f.is_file())
    return path.suffix.lower() == ".zip"


def _folder_order(path: Path) -> tuple:
    name = path.name.lower()
    rank = 9
    for word, kind in (
        ("roster", "roster"),
        ("quota", "quota"),
        ("enablement", "readiness"),
        ("readiness", "readiness"),
        ("user", "roster"),
    ):
        if word in name:
            rank = _KIND_ORDER[kind]
            break
    stamp = date_in_name(path.name) or dt.datetime.min
    return (rank, stamp, name)


def load_file(
    path: Path,
    *,
    engine: Engine | None = None,
    config: Config | None = None,
    as_of: dt.datetime | None = None,
    format: str | None = None,
    kind: str | None = None,
    mapping: Path | None = None,
    source: str | None = None,
    date_format: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadOutcome:
    """Load one export file into the store, all or nothing.

    Args:
        path: the export.
        engine: the store (default: the configured one).
        config: settings (default: from the environment).
        as_of: the snapshot's as-of time, overriding the file name and content.
        format: force a reader (see ``loaders.formats.FORMATS``).
        kind: force a kind of data when the header could be several.
        mapping: a TOML mapping file for layouts no built-in reader knows.
        source: label the data's source system (default: the reader's, e.g. ``salesforce``).
        date_format: strftime format for dates whose day/month order is ambiguous.
        progress: called with the number of rows read so far, for progress bars.

    Returns:
        The outcome; ``status == "failed"`` carries a user-facing ``message``. Programming errors
        still raise.
    """
    from loaders.formats import LoadError, read_bundle, read_export

    config = config or load_config()
    engine = engine or get_engine(config.database_url)
    path = Path(path)
    outcome = LoadOutcome(path=path, status="failed")
    if not path.exists():
        outcome.message = f"{path}: no such file"
        return outcome
    bundle = is_bundle(path)
    digest = folder_hash(path) if path.is_dir() else file_hash(path)
    if _already_loaded(engine, digest, outcome):
        return outcome
    try:
        if bundle:
            read = read_bundle(path, date_format=date_format, progress=progress)
            members = [(r.extra.get("member", path.name), r) for r in read.results]
            skipped = [f"{name}: skipped, {why}" for name, why in read.skipped]
            if not members:
                raise LoadError(
                    f"{path.name}: no Salesforce Data Export file Team Car loads in it "
                    f"({len(read.skipped)} skipped)"
                )
        else:
            members = [
                (
                    path.name,
                    read_export(
                        path,
                        format=format,
                        kind=kind,
                        mapping=mapping,
                        date_format=date_format,
                        progress=progress,
                    ),
                )
            ]
            skipped = []
    except LoadError as exc:
        outcome.message = str(exc)
        return outcome
    except schema.SchemaError as exc:  # a reader bug: this file fails, the others go on
        outcome.message = f"{path.name}: internal error, the reader produced bad rows: {exc}"
        return outcome
    first = members[0][1]
    stamp = resolve_as_of(path, as_of, first.as_of)
    outcome.kind = first.kind if len(members) == 1 else "bundle"
    outcome.format = first.format if not bundle else "salesforce-data-export"
    outcome.source = source or first.source
    outcome.as_of = stamp
    archived = archive_file(path, digest, config)
    try:
        with session_scope(engine) as session:
            wait_for_other_writers(session)
            ids = []
            for name, result in members:
                ids.append(
                    _store(
                        session,
                        result.kind,
                        result.frame,
                        source=source or result.source,
                        as_of=stamp,
                        source_name=name if not bundle else f"{path.name}/{name}",
                        format=result.format,
                        content_hash=digest if not bundle else _member_hash(digest, name),
                        rejects=result.rejects,
                        warnings=result.warnings + (skipped if name == members[0][0] else []),
                        rows_read=result.rows_read,
                        archived_path=str(archived),
                    )
                )
    except IntegrityError:
        # The same file loaded by another process at the same moment: its batch won the unique
        # (hash, kind) key; this load changes nothing, and the archive is that batch's.
        if _already_loaded(engine, digest, outcome, at_once=True):
            return outcome
        archived.unlink(missing_ok=True)
        raise
    except BaseException:
        archived.unlink(missing_ok=True)
        raise
    outcome.status = "loaded"
    outcome.batch_id = ids[0]
    outcome.rows_read = sum(r.rows_read for _, r in members)
    outcome.rows_loaded = sum(len(r.frame) for _, r in members)
    outcome.rows_rejected = sum(len(r.rejects) for _, r in members)
    outcome.warnings = [w for _, r in members for w in r.warnings] + skipped
    if bundle:
        outcome.warnings.insert(
            0, "read " + ", ".join(f"{n} ({r.kind}, {len(r.frame):,} rows)" for n, r in members)
        )
    return outcome


def _already_loaded(
    engine: Engine, digest: str, outcome: LoadOutcome, at_once: bool = False
) -> bool:
    """Fill ``outcome`` as "unchanged" when a batch with this content is stored already."""
    with session_scope(engine) as session:
        # a bundle's batches carry member hashes; its archive name carries the bundle's own
        prior = session.scalar(
            select(ImportBatch)
            .where(
                (ImportBatch.content_hash == digest)
                | ImportBatch.archived_path.like(f"%{digest[:16]}-%")
            )
            .limit(1)
        )
    if prior is None:
        return False
    outcome.status = "unchanged"
    outcome.kind, outcome.format, outcome.source = prior.kind, prior.format, prior.source
    outcome.batch_id, outcome.as_of = prior.id, prior.as_of
    when = (
        "just now, by another load running at the same time"
        if at_once
        else (f"on {prior.loaded_at:%Y-%m-%d %H:%M}")
    )
    outcome.message = f"already loaded as batch {prior.id} {when}"
    return True


def _member_hash(bundle_digest: str, member: str) -> str:
    return hashlib.sha256(f"{bundle_digest}:{member}".encode()).hexdigest()


def folder_hash(folder: Path) -> str:
    """SHA-256 over a folder's files (names and contents), for Data Export folders."""
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(folder)).encode() + b"\0" + file_hash(f).encode())
    return h.hexdigest()


def archive_file(path: Path, digest: str, config: Config) -> Path:
    """Copy the original export next to the database, named by its hash (nothing is lost)."""
    target = config.archive_dir / digest[:2] / f"{digest[:16]}-{path.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        target = target.with_name(target.name + ".zip")
        if not target.exists():
            made = shutil.make_archive(
                str(_part_name(target).with_suffix("")), "zip", root_dir=path
            )
            Path(made).replace(target)
        return target
    if not target.exists():
        tmp = _part_name(target)
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return target


def _part_name(target: Path) -> Path:
    # one partial copy per process: two loads of one file at once never write the same part file
    return target.with_name(f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")


def store_frame(
    engine: Engine,
    kind: str,
    frame: pd.DataFrame,
    *,
    source: str = "salesforce",
    as_of: dt.datetime,
    source_name: str = "frame",
    format: str = "frame",
    content_hash: str | None = None,
    rejects: Sequence = (),
    warnings: Sequence[str] = (),
    rows_read: int | None = None,
    archived_path: str | None = None,
) -> int:
    """Store a canonical frame as one import batch, in one transaction.

    Args:
        engine: the store.
        kind: one of ``schema.FRAMES``.
        frame: rows of that kind (conformed here).
        source: source-system label; deals and activities are keyed by (source, id).
        as_of: the batch's as-of time; a pipeline snapshot's day.
        source_name, format, content_hash, rejects, warnings, rows_read, archived_path: batch
            record fields (a hash is derived from the frame when not given).

    Returns:
        The new batch's id.
    """
    if kind not in schema.FRAMES:
        raise ValueError(f"unknown kind {kind!r}")
    frame = schema.conform(frame, kind)
    if content_hash is None:
        content_hash = hashlib.sha256(
            pd.util.hash_pandas_object(frame, index=False).values.tobytes()
            + f"{kind}|{source}|{as_of}|{source_name}".encode()
        ).hexdigest()
    with session_scope(engine) as session:
        return _store(
            session,
            kind,
            frame,
            source=source,
            as_of=as_of,
            source_name=source_name,
            format=format,
            content_hash=content_hash,
            rejects=rejects,
            warnings=warnings,
            rows_read=rows_read,
            archived_path=archived_path,
        )


def _store(
    session: Session,
    kind: str,
    frame: pd.DataFrame,
    *,
    source: str,
    as_of: dt.datetime,
    source_name: str,
    format: str,
    content_hash: str,
    rejects: Sequence,
    warnings: Sequence[str],
    rows_read: int | None,
    archived_path: str | None,
) -> int:
    """Write one batch inside the caller's transaction; see ``store_frame``."""
    warnings = list(warnings)
    batch = ImportBatch(
        source_name=source_name,
        source=source,
        kind=kind,
        format=format,
        content_hash=content_hash,
        as_of=as_of,
        rows_read=rows_read or len(frame) + len(rejects),
        rows_loaded=len(frame),
        rows_rejected=len(rejects),
        warnings="",
        status="loaded",
        archived_path=archived_path,
        loaded_at=clock.now(),
    )
    session.add(batch)
    session.flush()
    writer = _WRITERS[kind]
    warnings.extend(writer(session, batch, frame) or [])
    batch.warnings = "\n".join(warnings)
    _store_rejects(session, batch.id, rejects)
    bump_data_version(session)
    return batch.id


def _bulk_insert(
    session: Session, model, frame: pd.DataFrame, upsert_keys: Sequence[str] | None = None
) -> None:
    """Write a frame whose columns are ``model``'s, in chunks, inside the session's transaction.

    PostgreSQL takes each chunk by ``COPY`` (through a temporary table when upserting); SQLite by
    one prepared statement executed many times. Both are several times faster than ORM inserts of
    dicts, and nothing commits until the caller's transaction does.
    """
    if frame.empty:
        return
    conn = session.connection()
    table = model.__table__
    for start in range(0, len(frame), CHUNK):
        _insert_chunk(conn, table, frame.iloc[start : start + CHUNK], upsert_keys)


def _insert_chunk(conn, table, chunk: pd.DataFrame, upsert_keys) -> None:
    # identifiers below are spliced into SQL: they must be our own model's column names
    unknown = set(chunk.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    if conn.dialect.name == "postgresql":
        _copy_postgres(conn, table, chunk, upsert_keys)
    elif conn.dialect.name == "sqlite":
        _executemany_sqlite(conn, table, chunk, upsert_keys)
    else:  # pragma: no cover - SQLite and PostgreSQL are the supported stores
        raise NotImplementedError(f"bulk load into {conn.dialect.name} is not supported")


def _text_column(table, col: str, s: pd.Series, datetime_format: str) -> pd.Series:
    """A column as the database's text form: dates ISO, NaN/NaT as None."""
    sql_type = table.c[col].type
    if pd.api.types.is_datetime64_any_dtype(s):
        fmt = datetime_format if isinstance(sql_type, DateTime) else "%Y-%m-%d"
        out = s.dt.strftime(fmt)
        return out.astype(object).where(s.notna(), None)
    if isinstance(s.dtype, pd.Int64Dtype):
        return s.astype(object).where(s.notna(), None)
    if pd.api.types.is_float_dtype(s):
        return s.astype(object).where(s.notna(), None)
    if pd.api.types.is_bool_dtype(s):
        return s.astype(bool)
    return s.astype(object).where(s.notna(), None)


def _executemany_sqlite(conn, table, chunk: pd.DataFrame, upsert_keys) -> None:
    cols = list(chunk.columns)
    # SQLAlchemy's own SQLite storage format, so its Date/DateTime types read these back
    data = [_text_column(table, c, chunk[c], "%Y-%m-%d %H:%M:%S.%f").tolist() for c in cols]
    rows = list(zip(*data, strict=True))
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'  # noqa: S608
    if upsert_keys:
        sql += _on_conflict(table.name, cols, upsert_keys, "excluded")
    conn.exec_driver_sql(sql, rows)


def _on_conflict(table: str, cols: Sequence[str], keys: Sequence[str], new: str) -> str:
    """``ON CONFLICT`` for an upsert that rewrites a stored row only when a field changed.

    The batch id is not compared: a row exported again unchanged keeps the batch it came from.
    """
    fields = [c for c in cols if c not in keys and c != "batch_id"]
    updates = ", ".join(f'"{c}" = {new}."{c}"' for c in cols if c not in keys)
    old_row = ", ".join(f'"{table}"."{c}"' for c in fields)
    new_row = ", ".join(f'{new}."{c}"' for c in fields)
    changed = f" WHERE ({old_row}) IS DISTINCT FROM ({new_row})" if fields else ""
    return f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}{changed}"


def _copy_postgres(conn, table, chunk: pd.DataFrame, upsert_keys) -> None:
    cols = list(chunk.columns)
    text = pd.DataFrame({c: _text_column(table, c, chunk[c], "%Y-%m-%d %H:%M:%S.%f") for c in cols})
    buffer = text.to_csv(index=False, header=False)
    names = ", ".join(f'"{c}"' for c in cols)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        target = table.name
        if upsert_keys:
            target = f"_load_{table.name}"
            cur.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{target}" '
                f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
            )
            cur.execute(f'TRUNCATE "{target}"')
        with cur.copy(f'COPY "{target}" ({names}) FROM STDIN (FORMAT csv)') as copy:
            copy.write(buffer)
        if upsert_keys:
            cur.execute(
                f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{target}"'  # noqa: S608
                + _on_conflict(table.name, cols, upsert_keys, "EXCLUDED")
            )


def _write_pipeline(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    warnings = []
    dupes = frame["deal_id"].duplicated(keep="last")
    if dupes.any():
        warnings.append(f"{int(dupes.sum())} duplicate deal ids; the last row of each was kept")
        frame = frame[~dupes]
    day = batch.as_of.date()
    # before any read of the snapshots: on PostgreSQL a first load drops indexes, and a load that
    # had read the table while waiting its turn would deadlock with it
    first = _first_load(session, OpportunitySnapshot)
    # A second snapshot of the same source and day replaces the first, so a day has one picture.
    replaced = session.scalars(
        select(ImportBatch.id)
        .where(
            ImportBatch.kind == "pipeline",
            ImportBatch.source == batch.source,
            ImportBatch.id != batch.id,
        )
        .join(OpportunitySnapshot, OpportunitySnapshot.batch_id == ImportBatch.id)
        .where(OpportunitySnapshot.snapshot_date == day)
        .distinct()
    ).all()
    if replaced:
        session.execute(
            delete(OpportunitySnapshot).where(OpportunitySnapshot.batch_id.in_(replaced))
        )
        session.execute(
            update(ImportBatch).where(ImportBatch.id.in_(replaced)).values(status="replaced")
        )
        warnings.append(
            f"replaces the {batch.source} snapshot of {day} from batch(es) "
            + ", ".join(map(str, replaced))
        )
    frame = frame.assign(
        owner_key=_name_keys(frame["owner"]),
        batch_id=batch.id,
        source=batch.source,
        snapshot_date=pd.Timestamp(day),
    )
    frame = frame.sort_values("deal_id", kind="stable")  # primary-key order: sequential B-tree fill
    if first:
        with _indexes_rebuilt_after(session, OpportunitySnapshot):
            _bulk_insert(session, OpportunitySnapshot, frame)
        return warnings
    _bulk_insert(session, OpportunitySnapshot, frame)
    return warnings


def _write_history(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    frame = frame.copy()
    frame["changed_at"] = frame["changed_at"].astype("datetime64[ns]")
    key_cols = ["deal_id", "changed_at", "field"]
    existing = set()
    ids = frame["deal_id"].dropna().unique().tolist()
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                OpportunityHistory.deal_id, OpportunityHistory.changed_at, OpportunityHistory.field
            ).where(
                OpportunityHistory.source == batch.source,
                OpportunityHistory.deal_id.in_(ids[start : start + 500]),
            )
        ).all()
        existing.update((d, pd.Timestamp(c), f) for d, c, f in rows)
    keep = [tuple(k) not in existing for k in frame[key_cols].itertuples(index=False)]
    skipped = len(frame) - sum(keep)
    frame = frame[keep]
    _bulk_insert(session, OpportunityHistory, frame.assign(batch_id=batch.id, source=batch.source))
    return [f"{skipped} history rows were already stored"] if skipped else []


def _write_activity(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    warnings = []
    dupes = frame["activity_id"].duplicated(keep="last")
    if dupes.any():
        warnings.append(f"{int(dupes.sum())} duplicate activity ids; the last row of each was kept")
        frame = frame[~dupes]
    frame = frame.assign(
        owner_key=_name_keys(frame["owner"]), batch_id=batch.id, source=batch.source
    ).sort_values("activity_id", kind="stable")
    # rows in key order fill the unique index's B-tree in sequence (about a third faster)
    if _first_load(session, Activity):
        # no row can conflict with an empty table: a plain insert, indexes built after
        with _indexes_rebuilt_after(session, Activity):
            _bulk_insert(session, Activity, frame)
        return warnings
    # activities re-exported in a later file are updated in place, keyed by (source, id);
    # rows identical to the stored ones are left alone (a weekly full export rewrites nothing)
    _bulk_insert(session, Activity, frame, upsert_keys=("source", "activity_id"))
    return warnings


# PostgreSQL advisory lock keys: loads into the same table take turns at the "is it empty?" step
_LOCK_KEYS = {"activities": 7316, "opportunity_snapshots": 7317}


def _first_load(session: Session, model) -> bool:
    """Whether ``model``'s table is empty: the first load into it (``_indexes_rebuilt_after``).

    On PostgreSQL loads into the table take turns from here to their commit, so the answer holds
    until this transaction ends; SQLite already holds its single write lock (the batch row).
    """
    conn = session.connection()
    table = model.__table__
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEYS[table.name]})")
    return conn.execute(select(table.c[next(iter(table.c.keys()))]).limit(1)).first() is None


@contextlib.contextmanager
def _indexes_rebuilt_after(session: Session, model):
    """Drop ``model``'s plain (non-unique) indexes, run the block, create them again.

    For a first load: an index built once over all the rows costs a fraction of keeping it up to
    date row by row. All inside the caller's transaction, so a failed load leaves them as they were.
    """
    conn = session.connection()
    indexes = [ix for ix in model.__table__.indexes if not ix.unique]
    for ix in indexes:
        ix.drop(conn)
    yield
    for ix in indexes:
        ix.create(conn)


def _name_keys(names: pd.Series) -> pd.Series:
    """identity.name_key over a column, computed once per distinct name."""
    uniques = names.dropna().unique()
    return names.map(dict(zip(uniques, map(name_key, uniques), strict=True))).fillna("")


def _rep_for(session: Session, name: str, cache: dict[str, Rep]) -> Rep:
    """The rep known by ``name`` (an alias), created with that alias when new."""
    key = name_key(name)
    if key in cache:
        return cache[key]
    rep = session.scalar(
        select(Rep).join(RepAlias, RepAlias.rep_id == Rep.id).where(RepAlias.alias == key)
    )
    if rep is None:
        rep = session.scalar(select(Rep).where(Rep.name == name.strip()))
    if rep is None:
        rep = Rep(name=" ".join(name.split()))
        session.add(rep)
        session.flush()
    _add_alias(session, rep, key)
    cache[key] = rep
    return rep


def _add_alias(session: Session, rep: Rep, key: str) -> None:
    if not key:
        return
    alias = session.get(RepAlias, key)
    if alias is None:
        session.add(RepAlias(alias=key, rep_id=rep.id))
        session.flush()
    elif alias.rep_id != rep.id:
        alias.rep_id = rep.id


def _write_roster(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    warnings: list[str] = []
    cache: dict[str, Rep] = {}
    teams: dict[str, Team] = {t.name: t for t in session.scalars(select(Team))}
    file_day = batch.as_of.date()
    # Rows of one rep load oldest first, so a re-org row (with Effective From) ends the old team.
    frame = frame.assign(_from=frame["effective_from"].fillna(pd.Timestamp(EARLIEST)))
    frame = frame.sort_values(["_from"], kind="stable")
    for row in frame.itertuples(index=False):
        rep = _rep_for(session, row.rep, cache)
        for attr in ("email", "crm_user_id", "role", "manager"):
            value = getattr(row, attr)
            if value:
                setattr(rep, attr, value)
        if pd.notna(row.start_date):
            rep.start_date = row.start_date.date()
        _add_alias(session, rep, name_key(row.email))
        _add_alias(session, rep, name_key(row.crm_user_id))
        if not row.team:
            continue
        team = teams.get(row.team)
        if team is None:
            team = teams[row.team] = Team(name=row.team)
            session.add(team)
            session.flush()
        current = session.scalars(
            select(TeamMembership)
            .where(TeamMembership.rep_id == rep.id)
            .order_by(TeamMembership.effective_from.desc())
        ).first()
        if pd.notna(row.effective_from):
            start = row.effective_from.date()
        elif current is None:
            # A first membership covers the rep's whole history, so past snapshots have a team.
            start = EARLIEST
        else:
            start = file_day
        if current is not None and current.team_id == team.id:
            continue
        if current is not None and current.effective_from >= start:
            if current.effective_from == start:
                current.team_id = team.id
                current.batch_id = batch.id
                continue
            warnings.append(
                f"{row.rep}: membership of {row.team} from {start} is older than the "
                f"stored one from {current.effective_from}; kept the stored one"
            )
            continue
        if current is not None:
            current.effective_to = start
        session.add(
            TeamMembership(rep_id=rep.id, team_id=team.id, effective_from=start, batch_id=batch.id)
        )
        session.flush()
    return warnings


def _write_quota(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    cache: dict[str, Rep] = {}
    for row in frame.itertuples(index=False):
        rep = _rep_for(session, row.rep, cache)
        quota = session.get(Quota, (rep.id, row.quarter))
        if quota is None:
            session.add(
                Quota(
                    rep_id=rep.id, quarter=row.quarter, amount=float(row.quota), batch_id=batch.id
                )
            )
        else:
            quota.amount, quota.batch_id = float(row.quota), batch.id
    session.flush()
    return []


def _write_readiness(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    frame = frame.rename(columns={"rep": "owner"})
    frame = frame.assign(owner_key=_name_keys(frame["owner"]))
    # An LMS export is the current state of the programs it lists: it replaces their earlier rows.
    pairs = list({(k, p) for k, p in zip(frame["owner_key"], frame["program"], strict=True)})
    for start in range(0, len(pairs), 400):
        session.execute(
            delete(ReadinessEvent).where(
                tuple_(ReadinessEvent.owner_key, ReadinessEvent.program).in_(
                    pairs[start : start + 400]
                )
            )
        )
    _bulk_insert(session, ReadinessEvent, frame.assign(batch_id=batch.id))
    return []


def _store_rejects(session: Session, batch_id: int, rejects: Sequence) -> None:
    frame = pd.DataFrame(
        {
            "batch_id": batch_id,
            "row_number": [int(r.row_number) for r in rejects],
            "column": [r.column for r in rejects],
            "reason": [r.reason for r in rejects],
            "raw": [r.raw for r in rejects],
        }
    )
    _bulk_insert(session, RejectedRow, frame)


_WRITERS = {
    "pipeline": _write_pipeline,
    "history": _write_history,
    "activity": _write_activity,
    "roster": _write_roster,
    "quota": _write_quota,
    "readiness": _write_readiness,
}

__all__ = ["LoadOutcome", "expand_paths", "load_file", "resolve_as_of", "store_frame"]
