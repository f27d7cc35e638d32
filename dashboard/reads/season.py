"""Scoped reads for the season (docs/metrics.md#the-season): a year's quotas, the deals of the
as-of snapshot with the day each was created, and every stage a deal entered.

Every function takes ``scope`` (the viewer's teams, None for all) and applies it in SQL: a deal
counts for the viewer when its owner in the snapshot in force on ``as_of`` is an alias of a rep in
a team of the scope on ``team_day``. Stage history comes, per source, from the loaded field
history (Salesforce OpportunityHistory or field history, HubSpot stage columns) when that source
has any stage changes, else from consecutive snapshots; only the rows where a deal's stage
changed leave the database (a window function in SQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select, tuple_

from dashboard.metrics.frames import conform
from dashboard.reads import queries
from loaders.store.models import OpportunityHistory, OpportunitySnapshot, Quota, Rep

Scope = Sequence[str] | None
S = OpportunitySnapshot
H = OpportunityHistory

DEAL_COLUMNS = {
    "source": "object",
    "deal_id": "object",
    "deal_name": "object",
    "owner": "object",
    "owner_key": "object",
    "stage": "object",
    "status": "object",
    "amount": "float64",
    "close_date": "datetime64[ns]",
    "created_date": "datetime64[ns]",
    "first_seen": "datetime64[ns]",
}
CATALOG_COLUMNS = {
    "source": "object",
    "stage": "object",
    "status": "object",
    "stage_order": "float64",
}
CHANGE_COLUMNS = {
    "source": "object",
    "deal_id": "object",
    "snapshot_date": "datetime64[ns]",
    "stage": "object",
    "status": "object",
    "created_date": "datetime64[ns]",
}
STAGE_HISTORY_COLUMNS = {
    "source": "object",
    "deal_id": "object",
    "changed_at": "datetime64[ns]",
    "field": "object",
    "old_value": "object",
    "new_value": "object",
}


def load_year_quotas(
    engine: Engine, scope: Scope, quarters: Sequence[str], day: dt.date
) -> pd.DataFrame:
    """``rep, quarter, quota`` for the quarters named, reps in scope on ``day``."""
    stmt = (
        select(Rep.name, Quota.quarter, Quota.amount)
        .join(Rep, Rep.id == Quota.rep_id)
        .where(Quota.quarter.in_(list(quarters)))
    )
    if scope is not None:
        stmt = stmt.where(Rep.id.in_(queries.scoped_rep_ids(scope, day)))
    out = queries._read(engine, stmt, ["rep", "quarter", "quota"])
    out["quota"] = out["quota"].astype("float64")
    return out


def _as_of_batches(engine: Engine, as_of: dt.date) -> list[int]:
    pick = queries.pick_snapshots(queries.pipeline_batches(engine), as_of)
    return sorted(pick.base.values())


def _recent_batches(engine: Engine, as_of: dt.date, since: dt.date | None) -> pd.DataFrame:
    """Live snapshot batches up to ``as_of``; with ``since``, per source only those from the last
    one before ``since`` on (that one holds each deal's stage as the window opens)."""
    batches = queries.pipeline_batches(engine)
    batches = batches[batches["as_of"].dt.normalize() <= pd.Timestamp(as_of)]
    if since is None or batches.empty:
        return batches
    day = batches["as_of"].dt.normalize()
    before = day.where(day < pd.Timestamp(since))
    base = before.groupby(batches["source"].to_numpy()).transform("max")
    keep = base.isna() | (day >= base)
    return batches[keep.to_numpy()]


def _in_scope_deals(batch_ids: list[int], scope: Scope, team_day: dt.date):
    """(source, deal_id) of the as-of snapshot's deals owned in scope."""
    return select(S.source, S.deal_id).where(
        S.batch_id.in_(batch_ids), queries._owner_in_scope(S.owner_key, scope, team_day)
    )


def load_year_deals(
    engine: Engine,
    scope: Scope,
    as_of: dt.date,
    team_day: dt.date | None = None,
    created_since: dt.date | None = None,
) -> pd.DataFrame:
    """Every deal of the snapshots in force on ``as_of`` owned in scope (``DEAL_COLUMNS``).

    ``first_seen`` is the first live snapshot day that held the deal, read only for deals without
    a created date (pipeline generation falls back to it). ``created_since`` keeps only deals
    created on or after that day, and those without a created date (the pipeline created in a
    window needs no more).
    """
    team_day = team_day or as_of
    batch_ids = _as_of_batches(engine, as_of)
    if not batch_ids:
        return conform(pd.DataFrame(columns=list(DEAL_COLUMNS)), DEAL_COLUMNS)
    cols = [
        S.source,
        S.deal_id,
        S.deal_name,
        S.owner,
        S.owner_key,
        S.stage,
        S.status,
        S.amount,
        S.close_date,
        S.created_date,
    ]
    stmt = select(*cols).where(
        S.batch_id.in_(batch_ids), queries._owner_in_scope(S.owner_key, scope, team_day)
    )
    if created_since is not None:
        stmt = stmt.where(or_(S.created_date.is_(None), S.created_date >= created_since))
    out = queries._read(engine, stmt, [c for c in DEAL_COLUMNS if c != "first_seen"])
    out["first_seen"] = pd.NaT
    missing = out.loc[out["created_date"].isna(), ["source", "deal_id"]]
    if not missing.empty:
        live = queries.pipeline_batches(engine)["id"].tolist()
        keys = list(missing.itertuples(index=False, name=None))
        parts = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = (
                select(S.source, S.deal_id, func.min(S.snapshot_date))
                .where(S.batch_id.in_(live), tuple_(S.source, S.deal_id).in_(chunk))
                .group_by(S.source, S.deal_id)
            )
            parts.append(queries._read(engine, q, ["source", "deal_id", "first"]))
        seen = pd.concat(parts, ignore_index=True)
        seen_map = {(s, d): f for s, d, f in seen.itertuples(index=False, name=None)}
        out["first_seen"] = [
            seen_map.get((s, d)) if pd.isna(c) else None
            for s, d, c in zip(out["source"], out["deal_id"], out["created_date"], strict=True)
        ]
    return conform(out, DEAL_COLUMNS)


def load_deal_owners(
    engine: Engine, scope: Scope, as_of: dt.date, team_day: dt.date | None = None
) -> pd.DataFrame:
    """``source, deal_id, owner, owner_key`` of the deals in force on ``as_of`` owned in scope."""
    team_day = team_day or as_of
    cols = ["source", "deal_id", "owner", "owner_key"]
    batch_ids = _as_of_batches(engine, as_of)
    if not batch_ids:
        return pd.DataFrame(columns=cols, dtype="object")
    stmt = select(S.source, S.deal_id, S.owner, S.owner_key).where(
        S.batch_id.in_(batch_ids), queries._owner_in_scope(S.owner_key, scope, team_day)
    )
    return queries._read(engine, stmt, cols)


def load_stage_catalog(
    engine: Engine, as_of: dt.date, since: dt.date | None = None
) -> pd.DataFrame:
    """Stage names with their status and order, as the live snapshots up to ``as_of`` use them
    (with ``since``: the snapshots from the last one before ``since``, ``_recent_batches``).

    Not scoped: stage names and their order are the pipeline's, not any team's data.
    """
    live = _recent_batches(engine, as_of, since)["id"].tolist()
    if not live:
        return conform(pd.DataFrame(columns=list(CATALOG_COLUMNS)), CATALOG_COLUMNS)
    stmt = (
        select(S.source, S.stage, S.status, func.min(S.stage_order))
        .where(S.batch_id.in_(live), S.stage.is_not(None))
        .group_by(S.source, S.stage, S.status)
    )
    return conform(queries._read(engine, stmt, list(CATALOG_COLUMNS)), CATALOG_COLUMNS)


def history_stage_sources(engine: Engine) -> set[str]:
    """Sources whose loaded field history holds stage changes."""
    stmt = select(H.source).where(H.field == "stage").distinct()
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(stmt).all()}


def load_stage_history(
    engine: Engine,
    scope: Scope,
    as_of: dt.date,
    sources: Sequence[str],
    team_day: dt.date | None = None,
    active_since: dt.date | None = None,
) -> pd.DataFrame:
    """Stage changes on or before ``as_of`` (field history) of the in-scope deals of ``sources``
    (with ``active_since``: every change of the deals whose stage changed from that day on)."""
    team_day = team_day or as_of
    batch_ids = _as_of_batches(engine, as_of)
    if not batch_ids or not sources:
        return conform(pd.DataFrame(columns=list(STAGE_HISTORY_COLUMNS)), STAGE_HISTORY_COLUMNS)
    deals = _in_scope_deals(batch_ids, scope, team_day)
    end = dt.datetime.combine(as_of, dt.time()) + dt.timedelta(days=1)
    stmt = select(H.source, H.deal_id, H.changed_at, H.field, H.old_value, H.new_value).where(
        H.field == "stage",
        H.source.in_(list(sources)),
        H.changed_at < end,
        tuple_(H.source, H.deal_id).in_(deals),
    )
    if active_since is not None:
        active = select(H.source, H.deal_id).where(
            H.field == "stage",
            H.source.in_(list(sources)),
            H.changed_at >= dt.datetime.combine(active_since, dt.time()),
            H.changed_at < end,
        )
        stmt = stmt.where(tuple_(H.source, H.deal_id).in_(active))
    return conform(queries._read(engine, stmt, list(STAGE_HISTORY_COLUMNS)), STAGE_HISTORY_COLUMNS)


def load_snapshot_stage_changes(
    engine: Engine,
    scope: Scope,
    as_of: dt.date,
    skip_sources: Sequence[str] = (),
    team_day: dt.date | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Per in-scope deal, its first snapshot row and each row whose stage differs from the
    deal's previous snapshot (live snapshots up to ``as_of``), for sources not in ``skip_sources``.

    With ``since``, only the snapshots from the last one before ``since`` (``_recent_batches``):
    a deal's first row there is its stage as the window opens, so each stage it entered from
    ``since`` on comes with the stage it left.
    """
    team_day = team_day or as_of
    batches = _recent_batches(engine, as_of, since)
    batches = batches[~batches["source"].isin(list(skip_sources))]
    batch_ids = _as_of_batches(engine, as_of)
    if batches.empty or not batch_ids:
        return conform(pd.DataFrame(columns=list(CHANGE_COLUMNS)), CHANGE_COLUMNS)
    deals = _in_scope_deals(batch_ids, scope, team_day)
    prev = (
        func.lag(S.stage)
        .over(partition_by=(S.source, S.deal_id), order_by=(S.snapshot_date, S.batch_id))
        .label("prev")
    )
    inner = (
        select(S.source, S.deal_id, S.snapshot_date, S.stage, S.status, S.created_date, prev)
        .where(S.batch_id.in_(batches["id"].tolist()), tuple_(S.source, S.deal_id).in_(deals))
        .subquery()
    )
    moved = and_(inner.c.stage.is_not(None), inner.c.stage != inner.c.prev)
    cols = ["source", "deal_id", "snapshot_date", "stage", "status", "created_date"]
    if since is not None:
        # Only the deals whose stage moved from ``since`` on (the rest add no entry there).
        in_window = case((and_(moved, inner.c.snapshot_date >= since), 1), else_=0)
        marked = select(
            *[inner.c[c] for c in cols],
            inner.c.prev,
            func.max(in_window)
            .over(partition_by=(inner.c.source, inner.c.deal_id))
            .label("moved_since"),
        ).subquery()
        inner, extra = marked, [marked.c.moved_since == 1]
        moved = and_(inner.c.stage.is_not(None), inner.c.stage != inner.c.prev)
    else:
        extra = []
    stmt = select(*[inner.c[c] for c in cols]).where(or_(inner.c.prev.is_(None), moved), *extra)
    return conform(queries._read(engine, stmt, list(CHANGE_COLUMNS)), CHANGE_COLUMNS)


__all__ = [
    "CATALOG_COLUMNS",
    "CHANGE_COLUMNS",
    "DEAL_COLUMNS",
    "history_stage_sources",
    "load_deal_owners",
    "load_snapshot_stage_changes",
    "load_stage_catalog",
    "load_stage_history",
    "load_year_deals",
    "load_year_quotas",
]
