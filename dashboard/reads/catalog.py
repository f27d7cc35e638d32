"""What the store holds: import batches, freshness per source, teams. Scoped like every query."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
from sqlalchemy import Engine, func, select

from loaders.store.engine import calls_version, data_version, get_engine, session_scope
from loaders.store.models import (
    ImportBatch,
    OpportunitySnapshot,
    Rep,
    Team,
    TeamMembership,
)

Scope = Collection[str] | None  # team names the viewer may see; None = all teams


def import_batches(engine: Engine, scope: Scope = None, limit: int = 500) -> pd.DataFrame:
    """The latest import batches, newest first.

    Batches are not per team, so a scoped viewer (not an admin) sees none.
    """
    if scope is not None:
        return pd.DataFrame(
            columns=[
                "id",
                "source_name",
                "source",
                "kind",
                "format",
                "as_of",
                "rows_read",
                "rows_loaded",
                "rows_rejected",
                "status",
                "loaded_at",
            ]
        )
    cols = [
        ImportBatch.id,
        ImportBatch.source_name,
        ImportBatch.source,
        ImportBatch.kind,
        ImportBatch.format,
        ImportBatch.as_of,
        ImportBatch.rows_read,
        ImportBatch.rows_loaded,
        ImportBatch.rows_rejected,
        ImportBatch.status,
        ImportBatch.loaded_at,
    ]
    with session_scope(engine) as s:
        rows = s.execute(select(*cols).order_by(ImportBatch.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=[c.key for c in cols])


def current_version(engine: Engine | None = None) -> int:
    """The store's data version (0 for a store nothing was loaded into)."""
    with session_scope(engine or get_engine()) as session:
        return data_version(session)


def current_calls_version(engine: Engine | None = None) -> int:
    """How many calls were made in the browser: part of the key of what shows calls."""
    with session_scope(engine or get_engine()) as session:
        return calls_version(session)


def live_version(engine: Engine | None = None) -> int:
    """What open pages compare to redraw: the data version plus the calls' version. Both only
    grow, so the sum changes whenever either does."""
    with session_scope(engine or get_engine()) as session:
        return data_version(session) + calls_version(session)


def freshness(engine: Engine) -> pd.DataFrame:
    """Per source: the latest pipeline snapshot day and its deal count (cached by data version:
    every open page asks after each import; read-only)."""
    from dashboard.reads import cache

    return cache.cached("freshness", engine, (), lambda: _freshness(engine))


def _freshness(engine: Engine) -> pd.DataFrame:
    latest = (
        select(OpportunitySnapshot.source, func.max(OpportunitySnapshot.snapshot_date).label("day"))
        .group_by(OpportunitySnapshot.source)
        .subquery()
    )
    stmt = (
        select(latest.c.source, latest.c.day, func.count().label("deals"))
        .join(
            OpportunitySnapshot,
            (OpportunitySnapshot.source == latest.c.source)
            & (OpportunitySnapshot.snapshot_date == latest.c.day),
        )
        .group_by(latest.c.source, latest.c.day)
        .order_by(latest.c.source)
    )
    with session_scope(engine) as s:
        return pd.DataFrame(s.execute(stmt).all(), columns=["source", "latest_snapshot", "deals"])


def teams(engine: Engine, scope: Scope = None) -> pd.DataFrame:
    """Teams with their current member counts."""
    stmt = (
        select(Team.name.label("team"), func.count(TeamMembership.id).label("members"))
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.effective_to.is_(None))
        .group_by(Team.name)
        .order_by(Team.name)
    )
    if scope is not None:
        stmt = stmt.where(Team.name.in_(list(scope)))
    with session_scope(engine) as s:
        return pd.DataFrame(s.execute(stmt).all(), columns=["team", "members"])


def counts(engine: Engine) -> dict[str, int]:
    """Headline counts: reps, teams, batches, and the data version."""
    with session_scope(engine) as s:
        return {
            "reps": s.scalar(select(func.count()).select_from(Rep)) or 0,
            "teams": s.scalar(select(func.count()).select_from(Team)) or 0,
            "batches": s.scalar(select(func.count()).select_from(ImportBatch)) or 0,
            "data_version": data_version(s),
        }
