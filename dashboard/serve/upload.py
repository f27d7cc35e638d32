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
"""

from __future__ import annotations

import logging
import shutil
import uuid
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
        return _load(target, original, config)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _load(path: Path, original: str, config: Config):
    from loaders.ingest import load_file
    from loaders.store.engine import get_engine

    try:
        outcome = load_file(path, engine=get_engine(config.database_url), config=config)
    except Exception:  # noqa: BLE001 - a server fault, reported without a traceback in the page
        log.exception("upload of %s failed", original)
        return _answer(
            500,
            file=original,
            message="The store could not take this file (a server error; see the "
            "server's log). Nothing was changed.",
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
    audit.record_load(
        get_engine(config.database_url),
        outcome,
        via="browser",
        actor=_who(),
        subject=original,
        message=body["message"],
    )
    return _answer(200, **body)


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
    "SUFFIXES",
    "UPLOAD_PATH",
    "limit_bytes",
    "register_upload",
    "upload_root",
    "upload_view",
]
