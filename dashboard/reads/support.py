"""Scoped reads for the tactics views (DESIGN §12): focus share's activities and the support
car's expert work.

Like every read, each function takes ``scope`` (the viewer's teams, None for all) and applies it
in SQL, so rows a viewer may not see never leave the database:

- a rep's activities are read only for owners who are reps of the scope's teams;
- expert work is read only on deals owned by reps of the scope's teams (in the snapshot in force
  on ``as_of``, as ``queries.load_expert_support`` reads expert support). An expert of another
  team (a pooled SE) shows with their work on these deals only, never their work elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, false, func, literal, select, true, tuple_
from sqlalchemy.sql import ColumnElement

from dashboard.reads import queries
from dashboard.reads.queries import Scope
from loaders.schema import EXPERT_ROLES
from loaders.store.models import Activity, OpportunitySnapshot, Rep, RepAlias

S = OpportunitySnapshot


def _owned_in_scope(column, scope: Scope, day: dt.date) -> ColumnElement[bool]:
    if scope is None:
        return literal(True)
    if not list(scope):
        return false()
    return column.in_(queries.scoped_aliases(scope, day))


def load_rep_deal_activity(
    engine: Engine, scope: Scope, start: dt.date, end: dt.date, team_day: dt.date | None = None
) -> pd.DataFrame:
    """Completed activities in ``[start, end]`` per owner and deal, owners in scope.

    Returns:
        ``owner_key, owner, source, deal_id, n``; ``source`` and ``deal_id`` None for
        activities on no deal (``owner`` is one spelling of the owner, for unmatched owners).
    """
    A = Activity
    stmt = (
        select(A.owner_key, func.min(A.owner), A.source, A.deal_id, func.count())
        .where(
            A.completed == true(),
            A.activity_date >= start,
            A.activity_date <= end,
            _owned_in_scope(A.owner_key, scope, team_day or end),
        )
        .group_by(A.owner_key, A.source, A.deal_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = pd.DataFrame(
        [tuple(r) for r in rows], columns=["owner_key", "owner", "source", "deal_id", "n"]
    )
    out["n"] = out["n"].astype("int64")
    # An activity on no deal belongs to no source's deal either.
    out.loc[out["deal_id"].isna(), "source"] = None
    for col in ("owner_key", "owner", "source", "deal_id"):
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    return out


def load_expert_work(
    engine: Engine,
    scope: Scope,
    start: dt.date,
    as_of: dt.date,
    team_day: dt.date | None = None,
    roles: Sequence[str] = EXPERT_ROLES,
) -> pd.DataFrame:
    """Completed activities in ``[start, as_of]`` by roster members whose role is an expert one,
    on deals owned by reps in scope (snapshot in force on ``as_of``), per expert, deal and day.

    Returns:
        ``expert, role, source, deal_id, activity_date, n`` (``expert`` the roster name).
    """
    batches = queries.pipeline_batches(engine)
    pick = queries.pick_snapshots(batches, as_of)
    role_ci = [r.casefold() for r in roles]
    deals = select(S.source, S.deal_id).where(
        S.batch_id.in_(pick.batch_ids or [-1]),
        _owned_in_scope(S.owner_key, scope, team_day or as_of),
    )
    A = Activity
    stmt = (
        select(Rep.name, Rep.role, A.source, A.deal_id, A.activity_date, func.count())
        .select_from(A)
        .join(RepAlias, RepAlias.alias == A.owner_key)
        .join(Rep, Rep.id == RepAlias.rep_id)
        .where(
            A.completed.is_(True),
            A.activity_date >= start,
            A.activity_date <= as_of,
            func.lower(Rep.role).in_(role_ci),
            tuple_(A.source, A.deal_id).in_(deals),
        )
        .group_by(Rep.name, Rep.role, A.source, A.deal_id, A.activity_date)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["expert", "role", "source", "deal_id", "activity_date", "n"],
    )
    out["activity_date"] = pd.to_datetime(out["activity_date"]).astype("datetime64[ns]")
    out["n"] = out["n"].astype("int64")
    return out


__all__ = ["load_expert_work", "load_rep_deal_activity"]
