"""The audit log, read for administrators (the Data page) and the terminal (``teamcar audit``).

The log spans every team and every user, so it takes no team scope: callers decide who may read
it (administrators; ``dashboard.pages.data`` checks on the server before calling). Entries are
written by ``loaders.store.audit``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, select

from loaders.store.audit import KINDS
from loaders.store.models import AuditEntry

AUDIT_COLUMNS = ("id", "at", "kind", "action", "actor", "via", "subject", "detail")


def load_audit(
    engine: Engine,
    *,
    kind: str | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Audit entries, newest first.

    Args:
        engine: the store.
        kind: only entries of this kind (one of ``loaders.store.audit.KINDS``); None for all.
        since: only entries made on or after this day.
        limit: at most this many (the newest); None for all.

    Returns:
        A frame with ``AUDIT_COLUMNS``.

    Raises:
        ValueError: on an unknown kind.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"audit kind {kind!r}: expected one of {', '.join(KINDS)}")
    q = select(*(getattr(AuditEntry, c) for c in AUDIT_COLUMNS)).order_by(
        AuditEntry.at.desc(), AuditEntry.id.desc()
    )
    if kind is not None:
        q = q.where(AuditEntry.kind == kind)
    if since is not None:
        q = q.where(AuditEntry.at >= dt.datetime.combine(since, dt.time()))
    if limit is not None:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def count_audit(engine: Engine, *, kind: str | None = None) -> int:
    """How many entries the log holds (of ``kind``, or all)."""
    q = select(func.count(AuditEntry.id))
    if kind is not None:
        q = q.where(AuditEntry.kind == kind)
    with engine.connect() as conn:
        return int(conn.execute(q).scalar() or 0)


__all__ = ["AUDIT_COLUMNS", "count_audit", "load_audit"]
