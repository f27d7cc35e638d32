"""Deal plans, read and written under the viewer's scope (DESIGN §12; docs/metrics.md, deal plans).

A step belongs to a deal; a deal belongs to whoever owns it in its latest snapshot on or before
the day asked (today for writes). A scoped viewer reaches a step only when that owner is a rep of
their teams on that day, exactly as coaching notes are scoped through their rep
(``dashboard.reads.notes``): a step on another team's deal is not read, and a write naming one
(a forged id from the browser) changes nothing and says only that the step or deal is not one
the viewer can plan. The scope check and the write happen in one transaction, with the write's
audit entry (``loaders.store.plans``).

Titles, notes and authors are plain text; pages render them as text, never as HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, and_, false, func, select, true, tuple_
from sqlalchemy.orm import Session, aliased

from dashboard.metrics.plans import ACTIVITY_COLUMNS, STEP_COLUMNS
from dashboard.reads import queries
from loaders import clock
from loaders.schema import EXPERT_ROLES
from loaders.store import plans as store
from loaders.store.engine import session_scope
from loaders.store.models import (
    Activity,
    DealPlanStep,
    OpportunitySnapshot,
    Rep,
    RepAlias,
    TeamMembership,
)

Scope = Sequence[str] | None
PlanError = store.PlanError
NOT_YOURS = "That deal is not one you can plan: it is not on a team you can see."
GONE = "That step is not on a deal you can plan any more."
P = DealPlanStep
S = OpportunitySnapshot


def _now() -> dt.datetime:
    """Now on the app's day: the time of day on ``clock.today()`` (a pinned demo day keeps its
    steps made, ticked and matched against evidence on that day)."""
    return dt.datetime.combine(clock.today(), clock.now().time())


def _latest_snapshot(day: dt.date):
    """The deal's snapshot row on its latest snapshot day on or before ``day`` (joined to P)."""
    s2 = aliased(OpportunitySnapshot)
    latest = (
        select(func.max(s2.snapshot_date))
        .where(s2.source == P.source, s2.deal_id == P.deal_id, s2.snapshot_date <= day)
        .correlate(P)
        .scalar_subquery()
    )
    return and_(S.source == P.source, S.deal_id == P.deal_id, S.snapshot_date == latest)


def _in_scope(scope: Scope, day: dt.date):
    if scope is None:
        return true()
    if not list(scope):
        return false()
    return S.owner_key.in_(queries.scoped_aliases(scope, day))


def _deal(session: Session, source: str, deal_id: str, scope: Scope, day: dt.date):
    """The deal's latest snapshot on or before ``day`` when its owner is in scope, else None."""
    s2 = aliased(OpportunitySnapshot)
    latest = (
        select(func.max(s2.snapshot_date))
        .where(s2.source == source, s2.deal_id == deal_id, s2.snapshot_date <= day)
        .scalar_subquery()
    )
    stmt = select(S.deal_name, S.owner_key).where(
        S.source == source, S.deal_id == deal_id, S.snapshot_date == latest, _in_scope(scope, day)
    )
    return session.execute(stmt.limit(1)).first()


def can_plan(
    engine: Engine, source: str, deal_id: str, scope: Scope, day: dt.date | None = None
) -> bool:
    """Whether the viewer may see and plan this deal (its owner on ``day`` is in scope)."""
    if not isinstance(source, str) or not isinstance(deal_id, str):
        return False
    with session_scope(engine) as s:
        return _deal(s, source, deal_id, scope, day or clock.today()) is not None


def load_steps(
    engine: Engine,
    scope: Scope,
    day: dt.date | None = None,
    deals: Sequence[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The steps of the plans the viewer may see, with their deal's name and close date on
    ``day`` (its latest snapshot on or before it).

    Args:
        deals: only these deals' plans (``(source, deal_id)`` pairs); None for every plan.

    Returns:
        ``STEP_COLUMNS``, by deal, then due day (steps without one last), then id.
    """
    day = day or clock.today()
    owner = aliased(Rep)
    stmt = (
        select(
            P.id,
            P.source,
            P.deal_id,
            P.kind,
            P.title,
            P.owner_id,
            owner.name,
            owner.role,
            P.due,
            P.status,
            P.note,
            P.author,
            P.created_at,
            P.done_at,
            P.done_by,
            S.deal_name,
            S.close_date,
        )
        .select_from(P)
        .join(S, _latest_snapshot(day))
        .outerjoin(owner, owner.id == P.owner_id)
        .where(_in_scope(scope, day))
    )
    if deals is not None:
        pairs = sorted({(str(a), str(b)) for a, b in deals})
        if not pairs:
            return _steps_frame([])
        stmt = stmt.where(tuple_(P.source, P.deal_id).in_(pairs))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return _steps_frame(rows)


def _steps_frame(rows) -> pd.DataFrame:
    df = pd.DataFrame([tuple(r) for r in rows], columns=list(STEP_COLUMNS))
    for col in ("due", "close_date"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
    for col in ("created_at", "done_at"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
    df["owner_id"] = df["owner_id"].astype("Int64")
    df = df.sort_values(["source", "deal_id", "due", "id"], na_position="last", kind="stable")
    return df.reset_index(drop=True)


def load_deal_activities(
    engine: Engine, scope: Scope, deals: Sequence[tuple[str, str]], day: dt.date | None = None
) -> pd.DataFrame:
    """Completed activities on or before ``day`` on the given deals the viewer may see, with the
    roster id, name and role of who did each (None off the roster): what evidence is made of.

    Returns:
        ``ACTIVITY_COLUMNS``, oldest first.
    """
    day = day or clock.today()
    pairs = sorted({(str(a), str(b)) for a, b in deals})
    with session_scope(engine) as s:
        pairs = [p for p in pairs if _deal(s, p[0], p[1], scope, day) is not None]
    if not pairs:
        return pd.DataFrame(columns=list(ACTIVITY_COLUMNS))
    A = Activity
    who = aliased(Rep)
    stmt = (
        select(
            A.source,
            A.deal_id,
            A.activity_date,
            A.type,
            A.subject,
            A.participants,
            func.coalesce(who.name, A.owner),
            who.id,
            who.role,
        )
        .select_from(A)
        .outerjoin(RepAlias, RepAlias.alias == A.owner_key)
        .outerjoin(who, who.id == RepAlias.rep_id)
        .where(
            A.completed.is_(True),
            A.activity_date <= day,
            tuple_(A.source, A.deal_id).in_(pairs),
        )
        .order_by(A.activity_date, A.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=list(ACTIVITY_COLUMNS))
    df["activity_date"] = pd.to_datetime(df["activity_date"]).astype("datetime64[ns]")
    df["owner_id"] = df["owner_id"].astype("Int64")
    return df


def owner_options(engine: Engine, scope: Scope, day: dt.date | None = None) -> pd.DataFrame:
    """Who may own a step: the reps of the viewer's teams on ``day`` and the experts (roster
    roles SE, CSM, Partner, the chain) without a team then; everyone for scope None.

    Returns:
        ``id, name, role``, by name.
    """
    day = day or clock.today()
    stmt = select(Rep.id, Rep.name, Rep.role)
    if scope is not None:
        in_team = select(TeamMembership.rep_id).where(
            TeamMembership.effective_from <= day,
            (TeamMembership.effective_to.is_(None)) | (TeamMembership.effective_to > day),
        )
        experts = [r.casefold() for r in EXPERT_ROLES]
        stmt = stmt.where(
            Rep.id.in_(queries.scoped_rep_ids(scope, day))
            | (Rep.id.not_in(in_team) & func.lower(Rep.role).in_(experts))
        )
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(Rep.name)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["id", "name", "role"])


def _owner_id(engine: Engine, owner: object, scope: Scope, day: dt.date) -> int | None:
    """The owner the form names (a rep id) when the viewer may give them a step."""
    if owner in (None, ""):
        return None
    try:
        wanted = int(owner)
    except (TypeError, ValueError) as exc:
        raise PlanError("Pick who owns the step from the list.") from exc
    ids = set(owner_options(engine, scope, day)["id"].astype(int))
    if wanted not in ids:
        raise PlanError("Pick who owns the step from the list.")
    return wanted


def add_step(
    engine: Engine,
    scope: Scope,
    *,
    source: str,
    deal_id: str,
    kind: str,
    title: str | None,
    owner: object,
    due: object,
    note: str | None,
    author: str | None,
    now: dt.datetime | None = None,
) -> int:
    """Add a step to a deal the viewer may plan; returns its id.

    Raises:
        PlanError: a deal outside the viewer's scope (nothing is written), an owner not offered
            to them, or a step that cannot be kept (``loaders.store.plans.clean_step``).
    """
    now = now or _now()
    day = clock.today()
    owner_id = _owner_id(engine, owner, scope, day)
    with session_scope(engine) as s:
        deal = _deal(s, str(source), str(deal_id), scope, day)
        if deal is None:
            raise PlanError(NOT_YOURS)
        return store.add_step(
            s,
            source=source,
            deal_id=deal_id,
            kind=kind,
            title=title,
            owner_id=owner_id,
            due=due,
            note=note,
            author=author,
            now=now,
            deal=store.deal_label(source, deal_id, deal.deal_name),
        )


def _step(session: Session, step_id: object, scope: Scope, day: dt.date):
    """The step and its deal's name when the viewer may plan its deal, else (None, None)."""
    try:
        step = session.get(DealPlanStep, int(step_id))
    except (TypeError, ValueError):
        return None, None
    if step is None:
        return None, None
    deal = _deal(session, step.source, step.deal_id, scope, day)
    if deal is None:
        return None, None
    return step, store.deal_label(step.source, step.deal_id, deal.deal_name)


def set_status(
    engine: Engine,
    scope: Scope,
    step_id: object,
    status: str,
    actor: str | None,
    now: dt.datetime | None = None,
) -> bool:
    """Mark a step done or open; False when it already was.

    Raises:
        PlanError: a step on a deal outside the viewer's scope, or gone (nothing changes).
    """
    now = now or _now()
    with session_scope(engine) as s:
        step, label = _step(s, step_id, scope, clock.today())
        if step is None:
            raise PlanError(GONE)
        return store.set_status(s, step, status, actor=actor, now=now, deal=label)


def edit_step(
    engine: Engine,
    scope: Scope,
    step_id: object,
    *,
    kind: str,
    title: str | None,
    owner: object,
    due: object,
    note: str | None,
    actor: str | None,
    now: dt.datetime | None = None,
) -> None:
    """Change a step's kind, title, owner, due day and note.

    Raises:
        PlanError: as for ``add_step`` and ``set_status``.
    """
    now = now or _now()
    day = clock.today()
    owner_id = _owner_id(engine, owner, scope, day)
    with session_scope(engine) as s:
        step, label = _step(s, step_id, scope, day)
        if step is None:
            raise PlanError(GONE)
        store.edit_step(
            s,
            step,
            kind=kind,
            title=title,
            owner_id=owner_id,
            due=due,
            note=note,
            actor=actor,
            now=now,
            deal=label,
        )


def delete_step(engine: Engine, scope: Scope, step_id: object, actor: str | None) -> None:
    """Remove a step from its plan.

    Raises:
        PlanError: as for ``set_status``.
    """
    with session_scope(engine) as s:
        step, label = _step(s, step_id, scope, clock.today())
        if step is None:
            raise PlanError(GONE)
        store.delete_step(s, step, actor=actor, deal=label)


__all__ = [
    "GONE",
    "NOT_YOURS",
    "PlanError",
    "add_step",
    "can_plan",
    "delete_step",
    "edit_step",
    "load_deal_activities",
    "load_steps",
    "owner_options",
    "set_status",
]
