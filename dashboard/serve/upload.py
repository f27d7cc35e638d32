"""Browser uploads of exports: a Flask route, then the same loader as the CLI (docs/architecture.md#a-load).

``POST /api/upload`` takes one file (multipart field ``file``). The request is refused past
``TEAMCAR_MAX_UPLOAD_MB`` (Flask's ``MAX_CONTENT_LENGTH``, checked again per request) without
being read. The file is saved under a private folder of the data directory
(``<data dir>/uploads/<random>/<cleaned name>``): the folder name is generated, the file name is
reduced to safe characters (``werkzeug.utils.secure_filename``) so path tricks such as
``../../x.csv`` land inside that folder, and the date in the name still sets the snapshot's as-of
day. ``loaders.ingest.load_file`` then loads it exactly as ``teamcar load`` would (all or nothing,
the original archived, a file loaded twice changes nothing) and the upload folder is removed.

The answer is JSON: ``status`` (``loaded``, ``unchanged`` or ``failed``), ``message``, and for a
loaded file its kind, format, source, as-of, batch and row counts. A file that was read is answered
with HTTP 200 whatever came of it (a broken export is an everyday outcome, not a protocol error,
so the browser's console stays clean); a request refused before reading (no file, not an export,
too large, not allowed) gets a 4xx. Either way ``message`` says what happened in words. Uploads
go into the whole store, so only an administrator (or the local demo, which has no accounts) may
upload; the sign-in guard (``dashboard.auth``) has already answered 401 to nobody signed in.

A file no format recognises, but whose columns a drafted mapping can fill
(``loaders.formats.draft``), is not thrown away: it is kept in the staging area
(``<data dir>/uploads/staged/<token>/``, the token random, never a path from the browser) and
answered ``status: needs_mapping`` with its token. The Data page's import step
(``dashboard.pages.import_step``) shows the draft, and ``load_staged`` loads the kept file with the
mapping confirmed there. A staged file is removed once loaded, when the step is cancelled, or after
``STAGED_TTL`` (swept at every upload); at most ``STAGED_MAX`` are kept, in at most ``STAGED_SIZES``
times the upload limit (the oldest go first).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from loaders.config import Config, load_config
from loaders.store import audit

UPLOAD_PATH = "/api/upload"
UPLOAD_DIR = "uploads"
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".zip")
STAGED_DIR = "staged"
STAGED_TTL = 2 * 60 * 60  # seconds a staged upload waits for its mapping
STAGED_MAX = 20  # staged uploads kept at once
STAGED_SIZES = 4  # and in at most this many times the upload limit (TEAMCAR_MAX_UPLOAD_MB)
_TOKEN = re.compile(r"[0-9a-f]{32}")
_META = "staged.json"
log = logging.getLogger(__name__)


def limit_bytes(config: Config) -> int:
    """The largest upload accepted, in bytes."""
    return int(config.max_upload_mb) * 1024 * 1024


def upload_root(config: Config) -> Path:
    """The private folder uploads are saved in while they load."""
    return config.data_dir / UPLOAD_DIR


def register_upload(server: Flask) -> None:
    """Add ``POST /api/upload`` to the Dash app's Flask server."""
    config = load_config()
    current = server.config.get("MAX_CONTENT_LENGTH")
    if current is None or current < limit_bytes(config):
        server.config["MAX_CONTENT_LENGTH"] = limit_bytes(config)
    server.add_url_rule(UPLOAD_PATH, "teamcar_upload", upload_view, methods=["POST"])


def _answer(code: int, **body):
    body.setdefault("status", "failed")
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_origin() -> bool:
    """A browser's cross-site form post carries another site's Origin: refuse it."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def _short(name: str, limit: int = 120) -> str:
    """A file name the file system takes (255 bytes at most), keeping its start, end and suffix
    (the end often carries the as-of date)."""
    if len(name) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 8:
        stem, suffix = name, ""
    keep = (limit - len(suffix) - 2) // 2
    return f"{stem[:keep]}-{stem[-keep:]}" + (f".{suffix}" if suffix else "")


def upload_view():
    """Save the uploaded export privately, load it, answer with what came of it."""
    from dashboard.auth import may_manage_data

    config = load_config()
    limit = limit_bytes(config)
    mb = config.max_upload_mb
    if not may_manage_data():
        _refused(config, "Only an administrator may load data.")
        return _answer(403, message="Only an administrator may load data.")
    if not _same_origin():
        _refused(config, "Uploads are accepted from Team Car's own pages only.")
        return _answer(403, message="Uploads are accepted from Team Car's own pages only.")
    if request.content_length is not None and request.content_length > limit:
        return _answer(
            413,
            message=f"The file is larger than the {mb} MB limit "
            "(TEAMCAR_MAX_UPLOAD_MB); load it with `teamcar load` instead.",
        )
    request.max_content_length = limit
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _answer(
            413,
            message=f"The file is larger than the {mb} MB limit "
            "(TEAMCAR_MAX_UPLOAD_MB); load it with `teamcar load` instead.",
        )
    if upload is None or not upload.filename:
        return _answer(
            400, message="No file was sent. Drop an export on the upload area or choose one."
        )
    original = upload.filename
    name = _short(secure_filename(original.replace("\\", "/").rsplit("/", 1)[-1]) or "")
    if not name.lower().endswith(SUFFIXES):
        return _answer(
            400,
            file=original,
            message=f"“{original}” is not an export Team Car reads: upload a CSV, TSV, "
            "TXT, XLSX or ZIP file.",
        )
    sweep_staged(config)
    root = upload_root(config).resolve()
    folder = root / uuid.uuid4().hex
    try:
        folder.mkdir(parents=True, mode=0o700)
        target = (folder / name).resolve()
        if target.parent != folder:  # secure_filename makes this impossible; be sure
            return _answer(400, file=original, message="That file name cannot be used.")
        upload.save(target)
        if target.stat().st_size > limit:
            return _answer(
                413,
                file=original,
                message=f"The file is larger than the {mb} MB limit (TEAMCAR_MAX_UPLOAD_MB).",
            )
        if target.stat().st_size == 0:
            return _answer(400, file=original, message=f"“{original}” is empty.")
        code, body, outcome = _load(target, original, config)
        if outcome is None:
            return _answer(code, **body)
        if outcome.status != "failed" or not _offer_mapping(target, config):
            _record(config, outcome, original, body)
            return _answer(code, **body)
        kept = stage_file(target, original, config)
        _record_held(config, original)
        why = str(body.get("message") or "")
        body = {
            "status": "needs_mapping",
            "file": original,
            "token": kept.token,
            "message": "No format Team Car knows reads this layout yet: check the columns "
            "it found below, then load it.",
            # a saved mapping made for an earlier version of this layout says what changed
            "reason": why if "saved mapping" in why else None,
        }
        return _answer(code, **body)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _load(
    path: Path, original: str, config: Config, mapping: Path | None = None
) -> tuple[int, dict, object]:
    """Load one saved upload (with ``mapping``, a TOML file, when given); return the HTTP code,
    the answer's body and the loader's outcome (None after a server fault)."""
    from loaders.ingest import load_file
    from loaders.store.engine import get_engine

    try:
        outcome = load_file(
            path, engine=get_engine(config.database_url), config=config, mapping=mapping
        )
    except Exception:  # noqa: BLE001 - a server fault, reported without a traceback in the page
        log.exception("upload of %s failed", original)
        return (
            500,
            {
                "status": "failed",
                "file": original,
                "message": "The store could not take this file (a server error; see the "
                "server's log). Nothing was changed.",
            },
            None,
        )
    body = {
        "status": outcome.status,
        "file": original,
        "stored_as": path.name,
        "kind": outcome.kind,
        "format": outcome.format,
        "source": outcome.source,
        "as_of": outcome.as_of.isoformat(sep=" ", timespec="minutes") if outcome.as_of else None,
        "batch_id": outcome.batch_id,
        "rows_read": outcome.rows_read,
        "rows_loaded": outcome.rows_loaded,
        "rows_rejected": outcome.rows_rejected,
        "warnings": list(outcome.warnings),
        "message": outcome.message,
    }
    if outcome.status == "failed":
        # The loader's message names the file by its stored name; the person knows it by theirs.
        body["message"] = outcome.message.replace(str(path), original).replace(path.name, original)
    return 200, body, outcome


def _record(config: Config, outcome, original: str, body: dict) -> None:
    """What came of a browser load, in the audit log."""
    from loaders.store.engine import get_engine

    audit.record_load(
        get_engine(config.database_url),
        outcome,
        via="browser",
        actor=_who(),
        subject=original,
        message=body["message"],
    )


def _record_held(config: Config, original: str) -> None:
    """An upload kept for the import step, in the audit log (nothing is stored yet)."""
    from sqlalchemy.exc import SQLAlchemyError

    from loaders.store.engine import get_engine

    try:
        audit.record(
            get_engine(config.database_url),
            audit.LOAD,
            "needs mapping",
            actor=_who(),
            via="browser",
            subject=original,
            detail="no format reads its layout; kept for the import step",
        )
    except SQLAlchemyError:
        log.warning("could not add a held upload to the audit log", exc_info=True)


@dataclass(frozen=True)
class Staged:
    """An upload kept between the import step's screens."""

    token: str
    path: Path  # the file, under the staging area
    file: str  # its name as the person knows it
    at: float  # when it was kept (seconds since the epoch)


def staged_root(config: Config) -> Path:
    """The staging area: one folder per kept upload, named by its token."""
    return upload_root(config) / STAGED_DIR


def _staged_folders(config: Config) -> list[tuple[float, Path]]:
    root = staged_root(config)
    if not root.is_dir():
        return []
    out = []
    for folder in root.iterdir():
        try:
            out.append((folder.stat().st_mtime, folder))
        except OSError:
            continue
    return sorted(out)


def staged_bytes_limit(config: Config) -> int:
    """The most the staging area holds, in bytes: ``STAGED_SIZES`` uploads of the largest size."""
    return STAGED_SIZES * limit_bytes(config)


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def sweep_staged(
    config: Config, *, room: int = 0, room_bytes: int = 0, now: float | None = None
) -> None:
    """Remove staged uploads older than ``STAGED_TTL``, then the oldest until at most
    ``STAGED_MAX - room`` are kept in at most ``staged_bytes_limit - room_bytes`` bytes."""
    now = time.time() if now is None else now
    keep = []
    for at, folder in _staged_folders(config):
        if now - at > STAGED_TTL or not folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            try:
                keep.append((folder, _size(folder)))
            except OSError:
                continue
    budget = staged_bytes_limit(config) - room_bytes
    total = sum(size for _, size in keep)
    while keep and (len(keep) > STAGED_MAX - room or total > budget):
        folder, size = keep.pop(0)
        shutil.rmtree(folder, ignore_errors=True)
        total -= size


def stage_file(path: Path, original: str, config: Config) -> Staged:
    """Keep an uploaded file for the import step under a new random token (the file is moved);
    the oldest kept files make room (``sweep_staged``)."""
    sweep_staged(config, room=1, room_bytes=path.stat().st_size)
    token = uuid.uuid4().hex
    folder = staged_root(config) / token
    folder.mkdir(parents=True, mode=0o700)
    target = folder / path.name
    shutil.move(str(path), target)
    at = time.time()
    meta = {"file": original, "name": path.name, "at": at}
    (folder / _META).write_text(json.dumps(meta), encoding="utf-8")
    return Staged(token=token, path=target, file=original, at=at)


def staged(token: object, config: Config | None = None) -> Staged | None:
    """The upload kept under ``token``; None for anything else (a malformed or unknown token, a
    file past ``STAGED_TTL``). A token is only ever a folder name under the staging area."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    config = config or load_config()
    root = staged_root(config).resolve()
    folder = root / token
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        name, file, at = str(meta["name"]), str(meta["file"]), float(meta["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    path = (folder / name).resolve()
    if path.parent != folder or name == _META or not path.is_file():
        return None
    if time.time() - at > STAGED_TTL:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Staged(token=token, path=path, file=file, at=at)


def discard_staged(token: object, config: Config | None = None) -> None:
    """Remove the upload kept under ``token`` (nothing for a token that names none)."""
    kept = staged(token, config)
    if kept is not None:
        shutil.rmtree(kept.path.parent, ignore_errors=True)


def load_staged(token: object, mapping_toml: str, config: Config | None = None) -> dict:
    """Load the upload kept under ``token`` with a mapping (TOML text) as an upload is loaded
    (audited, via the browser), and answer as the route does. The kept file is removed once
    loaded (or found loaded before); after a failure it stays, for another try."""
    config = config or load_config()
    kept = staged(token, config)
    if kept is None:
        return {
            "status": "failed",
            "file": None,
            "message": "The uploaded file is no longer kept (it waited more than "
            f"{STAGED_TTL // 3600} hours, or was loaded or cancelled): drop it again.",
        }
    mapping = kept.path.parent / "mapping.toml"
    mapping.write_text(mapping_toml, encoding="utf-8")
    try:
        _, body, outcome = _load(kept.path, kept.file, config, mapping=mapping)
    finally:
        mapping.unlink(missing_ok=True)
    if outcome is not None:
        _record(config, outcome, kept.file, body)
    if body.get("status") in ("loaded", "unchanged"):
        shutil.rmtree(kept.path.parent, ignore_errors=True)
    return body


def _offer_mapping(path: Path, config: Config) -> bool:
    """Whether a file that failed to load goes to the import step: no built-in format recognises
    its header, no saved mapping was made for exactly this header (its load failed for another
    reason, which the message says), and the drafted mapping reads as a mapping (a column for
    each field its kind needs); a file with nothing to map keeps its plain error."""
    from loaders.formats.detect import UnknownFormatError, detect_format
    from loaders.formats.draft import draft_mapping
    from loaders.formats.mapping import mapping_from_dict
    from loaders.ingest import is_bundle
    from loaders.parsing.errors import LoadError
    from loaders.store.engine import get_engine
    from loaders.store.mappings import saved_formats

    if is_bundle(path):
        return False
    try:
        detect_format(path)
    except UnknownFormatError as exc:
        if "Data Export lookup" in str(exc):
            return False
    except LoadError:
        return False
    else:
        return False
    try:
        draft = draft_mapping(path)
        if saved_formats(get_engine(config.database_url), draft.header):
            return False
        mapping_from_dict(draft.spec(), where=path.name)
    except LoadError:
        return False
    return True


def _who() -> str:
    """Who is uploading, for the audit log."""
    from dashboard.auth import current_viewer

    viewer = current_viewer()
    return viewer.name if viewer is not None else "local (no sign-in)"


def _refused(config: Config, why: str) -> None:
    """An upload refused at the door goes in the audit log too: who tried, and from where (the
    file itself is not read)."""
    from sqlalchemy.exc import SQLAlchemyError

    from loaders.store.engine import get_engine

    try:
        audit.record(
            get_engine(config.database_url),
            audit.LOAD,
            "refused",
            actor=_who(),
            via="browser",
            subject="(upload not read)",
            detail=f"{why} (from {request.remote_addr})",
        )
    except SQLAlchemyError:
        log.warning("could not add a refused upload to the audit log", exc_info=True)


__all__ = [
    "STAGED_MAX",
    "STAGED_SIZES",
    "STAGED_TTL",
    "SUFFIXES",
    "UPLOAD_PATH",
    "Staged",
    "discard_staged",
    "limit_bytes",
    "load_staged",
    "register_upload",
    "stage_file",
    "staged",
    "staged_bytes_limit",
    "staged_root",
    "sweep_staged",
    "upload_root",
    "upload_view",
]
