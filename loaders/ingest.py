"""Write canonical frames into the store: one file, one import batch, one transaction.

``load_file`` is what the CLI, the watcher and browser uploads call: it hashes the file (a file
already loaded changes nothing), reads it through ``loaders.formats``, archives the original next to
the database, and stores rows, rejects and the batch record together, bumping the data version in
the same transaction. Any failure rolls everything back and leaves the archive as it was: the
copy is written under a partial name first and takes its own name once the batch has committed,
and what a killed load left (a partial copy, or a committed batch's copy still unnamed) is cleared
or named by the next load (``sweep_archive``).

This module is the flow (read the file, check it, write it in one transaction, record the batch);
how each kind is written is in ``loaders.store.writes``, and the database-specific bulk writes
(``COPY``, ``executemany``, index rebuilds, advisory locks) in ``loaders.store.bulk``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loaders import clock, schema
from loaders.config import Config, load_config
from loaders.store.bulk import build_indexes, defer_indexes, deferred_tables
from loaders.store.engine import (
    bump_data_version,
    get_engine,
    session_scope,
    wait_for_other_writers,
)
from loaders.store.models import ImportBatch
from loaders.store.writes import EARLIEST, WRITERS, store_rejects

_FILE_DATE = re.compile(r"(?<!\d)(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")
# Order in which a folder is loaded: who the reps are before what they did.
_KIND_ORDER = {
    "roster": 0,
    "quota": 1,
    "readiness": 2,
    "rates": 2,  # currency rates before the amounts they convert
    "pipeline": 3,
    "history": 4,
    "activity": 5,
    "calls": 6,
}
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
    # the second step of a large first load: indexes built after the rows' commit, and how long
    indexes_built: list[str] = field(default_factory=list)
    index_seconds: float = 0.0
    index_cpu_seconds: float = 0.0  # this process's (all threads), not a database server's


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
            out.extend(sorted(found + bundles, key=load_order))
        else:
            out.append(p)
    return out


def is_bundle(path: Path) -> bool:
    """A Salesforce Data Export as delivered: its ZIP, or a folder holding ``Opportunity.csv``."""
    if path.is_dir():
        return any(f.name.lower() in _BUNDLE_MARKERS for f in path.iterdir() if f.is_file())
    return path.suffix.lower() == ".zip"


def load_order(path: Path) -> tuple:
    """Sort key of files loaded together: rosters, quotas and readiness first (by a word in the
    name), then the rest; each by the date in its name, then by name. A calls file after the
    roster that names its people (a call for a person not yet on the roster is rejected); deal
    plans last, after the deals their steps name (``_is_plans_file``)."""
    name = path.name.lower()
    rank = 9
    for word, kind in (
        ("currency", "rates"),
        ("rates", "rates"),
        ("roster", "roster"),
        ("quota", "quota"),
        ("enablement", "readiness"),
        ("readiness", "readiness"),
        ("user", "roster"),
    ):
        if word in name:
            rank = _KIND_ORDER[kind]
            break
    if rank == 9 and _is_plans_file(path):
        rank = _PLANS_RANK
    stamp = date_in_name(path.name) or dt.datetime.min
    return (rank, stamp, name)


# Deal plans after everything else: a step names a deal, and a deal not loaded yet is a reject.
_PLANS_RANK = 10


def _is_plans_file(path: Path) -> bool:
    """A deal plans file (``loaders.formats.plans``): "plan" in its name, or a text file whose
    first line is a plans header (a deal column, Step and Owner)."""
    if "plan" in path.name.lower():
        return True
    if path.suffix.lower() not in (".csv", ".txt", ".tsv") or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    lines = head.decode("utf-8-sig", errors="replace").splitlines()
    if not lines:
        return False
    delimiter = max((",", ";", "\t", "|"), key=lines[0].count)
    from loaders.formats.plans import PLANS

    return PLANS.match([c.strip().strip('"') for c in lines[0].split(delimiter)]) is not None


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
    # A batch is the file's content read one way: a file loaded as deals and again as quotas (two
    # mappings) is two batches; the same file read the same way again changes nothing.
    try:
        way = _requested_way(digest, format=format, kind=kind, mapping=mapping)
    except LoadError as exc:
        outcome.message = str(exc)
        return outcome
    if _already_loaded(engine, way[0], outcome, kind=way[1], format=way[2], bundle=bundle):
        return outcome
    if not bundle and format is None and mapping is None and kind in (None, "rates"):
        from loaders.formats.currency import is_rates_file

        if is_rates_file(path):
            return _load_rates(engine, config, path, digest, as_of, source, outcome)
    saved = () if bundle or format or mapping else _saved(engine)
    rates_options, rates_note = (None, None) if bundle else _stored_rates(engine, path)
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
                        saved=saved,
                        options=rates_options,
                    ),
                )
            ]
            skipped = []
            read_as = batch_hash(digest, members[0][1])
            if read_as != digest and _already_loaded(
                engine, read_as, outcome, kind=members[0][1].kind
            ):
                return outcome
        members = _with_also(members)
    except LoadError as exc:
        outcome.message = str(exc)
        return outcome
    except schema.SchemaError as exc:  # a reader bug: this file fails, the others go on
        outcome.message = f"{path.name}: internal error, the reader produced bad rows: {exc}"
        return outcome
    first = members[0][1]
    stamp = resolve_as_of(path, as_of, first.as_of)
    outcome.kind = first.kind if not bundle else "bundle"
    outcome.format = first.format if not bundle else "salesforce-data-export"
    outcome.source = source or first.source
    outcome.as_of = stamp
    sweep_archive(engine, config)
    archived, part = stage_archive(path, digest, config)
    try:
        with session_scope(engine) as session:
            wait_for_other_writers(session)
            defer_indexes(session)
            batches = []
            for name, result in members:
                batch_id = _store(
                    session,
                    result.kind,
                    result.frame,
                    source=source or result.source,
                    as_of=stamp,
                    source_name=name if not bundle else f"{path.name}/{name}",
                    format=result.format,
                    content_hash=batch_hash(digest, result)
                    if not bundle
                    else _member_hash(digest, name),
                    rejects=result.rejects,
                    warnings=result.warnings + (skipped if name == members[0][0] else []),
                    rows_read=result.rows_read,
                    archived_path=str(archived),
                )
                batches.append(session.get(ImportBatch, batch_id))
            deferred = deferred_tables(session)
    except IntegrityError:
        # The same file loaded by another process at the same moment: its batch won the unique
        # (hash, kind) key; this load changes nothing, and the archive is that batch's.
        _discard(part)
        if _already_loaded(
            engine,
            digest if bundle else batch_hash(digest, first),
            outcome,
            at_once=True,
            kind=None if bundle else first.kind,
            bundle=bundle,
        ):
            return outcome
        raise
    except BaseException:
        _discard(part)
        raise
    publish_archive(part, archived)
    outcome.status = "loaded"
    outcome.batch_id = batches[0].id
    main = [not r.extra.get(_ALSO_OF) for _, r in members]
    outcome.rows_read = sum(r.rows_read for (_, r), m in zip(members, main, strict=True) if m)
    # the batches' counts: a writer may reject rows the reader kept (a call for no roster person)
    outcome.rows_loaded = sum(b.rows_loaded for b, m in zip(batches, main, strict=True) if m)
    outcome.rows_rejected = sum(b.rows_rejected for b in batches)
    read_warnings = [w for _, r in members for w in r.warnings] + skipped
    # and what the writers found (a snapshot replaced, calls already kept)
    stored = [w for b in batches for w in b.warnings.splitlines() if w]
    outcome.warnings = read_warnings + [w for w in stored if w not in read_warnings]
    if bundle:
        outcome.warnings.insert(
            0, "read " + ", ".join(f"{n} ({r.kind}, {len(r.frame):,} rows)" for n, r in members)
        )
    else:
        outcome.warnings[:0] = [
            f"also stored from the same file: {b.rows_loaded:,} {b.kind} rows (batch {b.id})"
            for b, m in zip(batches, main, strict=True)
            if not m
        ]
    if rates_note:
        outcome.warnings.append(rates_note)
    _second_step(engine, deferred, outcome)
    return outcome


def _load_rates(
    engine: Engine,
    config: Config,
    path: Path,
    digest: str,
    as_of: dt.datetime | None,
    source: str | None,
    outcome: LoadOutcome,
) -> LoadOutcome:
    """Keep a currency rates file (``loaders.formats.currency``): an import batch of kind
    ``rates`` and the original in the archive, which later loads read the rates from."""
    from loaders.formats import LoadError
    from loaders.formats.currency import FORMAT, KIND, describe, read_rates

    try:
        rates = read_rates(path)
    except LoadError as exc:
        outcome.message = str(exc)
        return outcome
    stamp = resolve_as_of(path, as_of, None)
    sweep_archive(engine, config)
    archived, part = stage_archive(path, digest, config)
    note = describe(rates)
    try:
        with session_scope(engine) as session:
            wait_for_other_writers(session)
            batch = ImportBatch(
                source_name=path.name,
                source=source or "rates",
                kind=KIND,
                format=FORMAT,
                content_hash=digest,
                as_of=stamp,
                rows_read=rates.rows_read,
                rows_loaded=len(rates.rates),
                rows_rejected=len(rates.rejects),
                warnings=note,
                status="loaded",
                archived_path=str(archived),
                loaded_at=clock.now(),
            )
            session.add(batch)
            session.flush()
            store_rejects(session, batch.id, rates.rejects)
            bump_data_version(session)
            batch_id = batch.id
    except IntegrityError:
        _discard(part)
        if _already_loaded(engine, digest, outcome, at_once=True, kind=KIND):
            return outcome
        raise
    except BaseException:
        _discard(part)
        raise
    publish_archive(part, archived)
    outcome.status, outcome.kind, outcome.format = "loaded", KIND, FORMAT
    outcome.source, outcome.as_of, outcome.batch_id = source or "rates", stamp, batch_id
    outcome.rows_read, outcome.rows_loaded = rates.rows_read, len(rates.rates)
    outcome.rows_rejected = len(rates.rejects)
    outcome.warnings = [note, *rates.warnings]
    return outcome


def _stored_rates(engine: Engine, path: Path):
    """Options carrying the latest loaded rates file's rates (None when none was loaded), with the
    lookups beside ``path`` read over them (an export's own ``CurrencyType.csv`` wins); and a
    warning when those rates cannot be read."""
    from loaders.formats import LoadError, Options
    from loaders.formats.currency import KIND, read_rates
    from loaders.formats.salesforce.lookups import load_siblings

    with session_scope(engine) as session:
        batch = session.scalar(
            select(ImportBatch)
            .where(ImportBatch.kind == KIND, ImportBatch.status == "loaded")
            .order_by(ImportBatch.id.desc())
            .limit(1)
        )
        if batch is None:
            return None, None
        archived, name, batch_id = batch.archived_path, batch.source_name, batch.id
    try:
        rates = read_rates(Path(archived or ""), name=name)
    except (LoadError, OSError):
        return None, (
            f"the currency rates of batch {batch_id} ({name}) cannot be read from the archive; "
            "amounts in other currencies are converted only with the export's own rates"
        )
    options = Options(rates=dict(rates.rates), corporate_currency=rates.corporate)
    load_siblings(path, options)
    return options, None


# marks a result made from another one's extra frames (``loaders.formats.common.ALSO``)
_ALSO_OF = "also_of"


def _with_also(members: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Each read result followed by the other frames its file gave (a HubSpot deals export's
    stage history): each is stored as a batch of its own kind in the same transaction, under the
    same content hash (batches are unique by hash and kind)."""
    from loaders.formats import ReadResult
    from loaders.formats.common import ALSO

    out = []
    for name, result in members:
        out.append((name, result))
        for kind, frame in result.extra.get(ALSO, ()):
            also = ReadResult(
                kind=kind,
                format=result.format,
                source=result.source,
                frame=frame,
                rows_read=len(frame),
                as_of=result.as_of,
                extra={
                    _ALSO_OF: result.kind,
                    **{k: v for k, v in result.extra.items() if k == "member"},
                },
            )
            out.append((name, also))
    return out


def batch_hash(digest: str, result) -> str:
    """What a batch read from a file is known by: the file's hash when a built-in format read it
    (as every batch was before mappings were kept), else a hash of the file's and the mapping's
    (``ReadResult.extra["mapping"]``) with the kind, so one file read by two mappings is two
    batches and read by the same one again is the same."""
    mapping = result.extra.get("mapping") if result is not None else None
    if not mapping:
        return digest
    return hashlib.sha256(f"{digest}|{result.kind}|{mapping}".encode()).hexdigest()


def _requested_way(
    digest: str, *, format: str | None, kind: str | None, mapping: Path | None
) -> tuple[str, str | None, str | None]:
    """(hash, kind, format) a stored batch of this file read the way the caller asks would have;
    kind and format None where the file decides. A mapping file decides both before reading.

    Raises:
        LoadError: the mapping file does not read.
    """
    if mapping is None:
        return digest, kind, format
    from loaders.formats.mapping import load_mapping

    fmt = load_mapping(Path(mapping))
    return (
        hashlib.sha256(f"{digest}|{fmt.kind}|{fmt.fingerprint}".encode()).hexdigest(),
        fmt.kind,
        None,
    )


def _saved(engine: Engine):
    from loaders.store.mappings import saved_mappings

    return saved_mappings(engine)


def _already_loaded(
    engine: Engine,
    digest: str,
    outcome: LoadOutcome,
    at_once: bool = False,
    *,
    kind: str | None = None,
    format: str | None = None,
    bundle: bool = False,
) -> bool:
    """Fill ``outcome`` as "unchanged" when a batch of this content read this way (``kind``,
    ``format`` when given) is stored already."""
    with session_scope(engine) as session:
        same = ImportBatch.content_hash == digest
        if kind is not None:
            same &= ImportBatch.kind == kind
        if format is not None:
            same &= ImportBatch.format == format
        if bundle:  # a bundle's batches carry member hashes; its archive name the bundle's own
            same |= ImportBatch.archived_path.like(f"%{digest[:16]}-%")
        prior = session.scalar(select(ImportBatch).where(same).limit(1))
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
    target, part = stage_archive(path, digest, config)
    publish_archive(part, target)
    return target


def stage_archive(path: Path, digest: str, config: Config) -> tuple[Path, Path | None]:
    """Copy the export under a partial name beside where the archive keeps it.

    Returns:
        The archive's name for it, and the partial copy (None when the archive has it already);
        ``publish_archive`` gives the copy its name once the load's batch has committed.
    """
    target = config.archive_dir / digest[:2] / f"{digest[:16]}-{path.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        target = target.with_name(target.name + ".zip")
    if target.exists():
        return target, None
    part = _part_name(target)
    if path.is_dir():
        Path(shutil.make_archive(str(part), "zip", root_dir=path)).replace(part)
    else:
        shutil.copyfile(path, part)
    return target, part


def publish_archive(part: Path | None, target: Path) -> None:
    """Give a staged copy its archive name (a rename: the name holds a whole copy or nothing)."""
    if part is not None:
        part.replace(target)


def _discard(part: Path | None) -> None:
    if part is not None:
        part.unlink(missing_ok=True)


# host and process in a partial copy's name: two loads of one file never write the same part
# file, and the sweep knows a dead loader's copy from a running one's
_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname().split(".")[0]) or "host"
_PART = re.compile(
    r"^(?P<name>.+)\.(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-[0-9a-f]{8}\.part(?:\.zip)?$"
)
# a partial copy this old is a dead loader's even when its process cannot be checked (other host)
STALE_PART_S = 24 * 3600


def _part_name(target: Path) -> Path:
    return target.with_name(f"{target.name}.{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}.part")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep_archive(engine: Engine, config: Config, now: float | None = None) -> list[Path]:
    """Clear what killed loads left in the archive; called at the start of each load.

    A partial copy whose loader is gone (its process ended on this host, or it is older than
    ``STALE_PART_S``) is given its archive name when a committed batch names that (the load was
    killed between its commit and the rename; the copy was whole before the transaction began),
    else removed. A running load's copies are left alone.

    Returns:
        The partial copies handled.
    """
    root = config.archive_dir
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    handled = []
    for part in sorted(root.glob("*/*.part*")):
        match = _PART.match(part.name)
        if match is None:
            continue
        try:
            age = now - part.stat().st_mtime
        except FileNotFoundError:  # its load finished or failed meanwhile
            continue
        ours = match["host"] == _HOST
        if age < STALE_PART_S and (not ours or _alive(int(match["pid"]))):
            continue
        target = part.with_name(match["name"])
        with session_scope(engine) as session:
            named = session.scalar(
                select(ImportBatch.id).where(ImportBatch.archived_path == str(target)).limit(1)
            )
        if named is not None and not target.exists() and not part.name.endswith(".zip"):
            part.replace(target)
        else:
            part.unlink(missing_ok=True)
        handled.append(part)
    return handled


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
        defer_indexes(session)
        batch_id = _store(
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
        deferred = deferred_tables(session)
    outcome = LoadOutcome(path=Path(source_name), status="loaded")
    _second_step(engine, deferred, outcome)
    return batch_id


def _second_step(engine: Engine, tables: list[str], outcome: LoadOutcome) -> None:
    """After a large first load's commit: build the indexes it left (``bulk.build_indexes``).

    The rows were announced at the commit (the data version moved with them): every query reads
    them correctly without these indexes, only more slowly until this step ends. When it fails
    the load stays loaded; the next load into the table builds what is missing first
    (``bulk.ensure_indexes``), and the outcome says so.
    """
    if not tables:
        return
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with session_scope(engine) as session:
            wait_for_other_writers(session)
            outcome.indexes_built = build_indexes(session, tables)
    except Exception as exc:  # noqa: BLE001 - the load itself has committed
        outcome.warnings.append(
            f"the indexes of {', '.join(tables)} could not be built after the load ({exc}); "
            "the next load into them builds them first, until then pages read more slowly"
        )
    outcome.index_seconds = time.perf_counter() - started
    outcome.index_cpu_seconds = time.process_time() - cpu


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
    writer = WRITERS[kind]
    warnings.extend(writer(session, batch, frame) or [])
    batch.warnings = "\n".join(warnings)
    store_rejects(session, batch.id, rejects)
    bump_data_version(session)
    return batch.id


__all__ = [
    "EARLIEST",
    "LoadOutcome",
    "expand_paths",
    "load_file",
    "load_order",
    "resolve_as_of",
    "store_frame",
]
