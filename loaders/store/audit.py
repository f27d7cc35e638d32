"""The audit log: who did what to the store, when, through what (docs/architecture.md#audit-log).

Callers add one line where the action happens:

- loads, whatever started them: ``record_load(engine, outcome, via="cli" | "watcher" |
  "browser", actor=...)`` after ``ingest.load_file`` answered (loaded, unchanged or failed);
  a browser upload refused before reading is ``record(..., LOAD, "refused", ...)``;
- user changes: ``record(session, USER, "added" | "removed" | "password" | "role", ...)``
  inside the transaction that makes the change, so the change and its entry commit together;
- forecast calls made in the browser: ``record(session, CALL, "made", ...)`` likewise;
- mapping changes and deal-plan edits (their features call these when they arrive):
  ``record_mapping_change`` and ``record_plan_edit``;
- backups and restores of the store: ``record(..., STORE, "backed up" | "restored", ...)``.

Who: the signed-in user for the browser; for the terminal and the folder watcher, the operating
system's user running them (``local_actor``). Entries are only ever added; the Data page (for
administrators) and ``teamcar audit`` read them through ``dashboard.reads.audit``.
"""

from __future__ import annotations

import getpass
import logging
import os

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from loaders import clock
from loaders.store.engine import session_scope
from loaders.store.models import AuditEntry

LOAD = "load"
USER = "user"
CALL = "call"
MAPPING = "mapping"
PLAN = "plan"
STORE = "store"
KINDS = (LOAD, USER, CALL, MAPPING, PLAN, STORE)
VIAS = ("cli", "watcher", "browser")
MAX_SUBJECT = 512
MAX_DETAIL = 10_000
log = logging.getLogger(__name__)


def local_actor() -> str:
    """The operating system's user running this process (the terminal's and the watcher's who)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"uid {os.getuid()}"


def record(
    target: Engine | Session,
    kind: str,
    action: str,
    *,
    actor: str | None = None,
    via: str = "cli",
    subject: str = "",
    detail: str = "",
) -> None:
    """Add one entry to the audit log.

    Args:
        target: a session (the entry joins its transaction, so it commits or rolls back with the
            change it describes) or an engine (written in a transaction of its own).
        kind: one of ``KINDS``.
        action: what was done, a short verb: ``loaded``, ``added``, ``removed``, ``made``, ...
        actor: who did it (default: the operating system's user, for the terminal).
        via: ``cli``, ``watcher`` or ``browser``.
        subject: what it was done to: a file, a user, a person and quarter, a mapping, a deal.
        detail: what came of it, in words.

    Raises:
        ValueError: on a kind or via this log does not know.
    """
    if kind not in KINDS:
        raise ValueError(f"audit kind {kind!r}: expected one of {', '.join(KINDS)}")
    if via not in VIAS:
        raise ValueError(f"audit via {via!r}: expected one of {', '.join(VIAS)}")
    entry = AuditEntry(
        at=clock.now(),
        kind=kind,
        action=str(action)[:32],
        actor=(" ".join(str(actor or local_actor()).split()) or "unknown")[:255],
        via=via,
        subject=str(subject or "")[:MAX_SUBJECT],
        detail=str(detail or "")[:MAX_DETAIL],
    )
    if isinstance(target, Session):
        target.add(entry)
        target.flush()
        return
    with session_scope(target) as session:
        session.add(entry)


def record_load(
    target: Engine,
    outcome,
    *,
    via: str,
    actor: str | None = None,
    subject: str | None = None,
    message: str | None = None,
) -> None:
    """Record what came of one load (an ``ingest.LoadOutcome``).

    ``subject`` (default: the file's name) and ``message`` (default: the outcome's) let a caller
    name the file as the person knows it (a browser upload is loaded under a cleaned name).
    The load has committed (or failed) already: an entry that cannot be written is logged as a
    warning and the load's own answer stands (a store that went away is reported by the load).
    """
    name = getattr(outcome, "path", None)
    subject = subject or getattr(name, "name", None) or str(name or "")
    status = str(getattr(outcome, "status", "") or "failed")
    if status == "loaded":
        detail = (
            f"batch {outcome.batch_id}: {outcome.kind} ({outcome.format}, {outcome.source})"
            + (f" as of {outcome.as_of:%Y-%m-%d}" if outcome.as_of else "")
            + f"; {outcome.rows_read:,} rows read, {outcome.rows_loaded:,} loaded, "
            f"{outcome.rows_rejected:,} rejected"
        )
    else:
        detail = message or str(getattr(outcome, "message", "") or "")
    try:
        record(target, LOAD, status, actor=actor, via=via, subject=subject, detail=detail)
    except SQLAlchemyError as exc:
        log.warning("could not add the load of %s to the audit log: %s", subject, exc)


def record_mapping_change(
    target: Engine | Session,
    action: str,
    mapping: str,
    *,
    actor: str,
    via: str = "browser",
    detail: str = "",
) -> None:
    """Record a change to a mapping file kept by Team Car (``created``, ``edited``,
    ``deleted``): the mapping's name as ``subject``, what changed in ``detail``."""
    record(target, MAPPING, action, actor=actor, via=via, subject=mapping, detail=detail)


def record_plan_edit(
    target: Engine | Session,
    action: str,
    deal: str,
    *,
    actor: str,
    via: str = "browser",
    detail: str = "",
) -> None:
    """Record an edit of a deal plan (``step added``, ``step done``, ``step removed``, ...):
    the deal (``source:id`` or its name) as ``subject``, the step in ``detail``."""
    record(target, PLAN, action, actor=actor, via=via, subject=deal, detail=detail)


__all__ = [
    "CALL",
    "KINDS",
    "LOAD",
    "MAPPING",
    "PLAN",
    "STORE",
    "USER",
    "VIAS",
    "local_actor",
    "record",
    "record_load",
    "record_mapping_change",
    "record_plan_edit",
]
