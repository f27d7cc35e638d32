"""Scoped reads of the store, returning the frames ``dashboard.metrics`` takes.

Every function takes ``scope``: the team names the viewer may see, or None for all teams (the
local single-user default). Scope is applied in SQL, so rows a viewer may not see never leave
the database. Owners that match no roster rep have no team: they are visible only with scope None.
All SQL is built with SQLAlchemy Core and bound parameters.

Only what the figures need is read: for each source, the one snapshot in force on each day asked
for (two with field history: the one before and the one after), and of those only the deals
in the quarter, closed in the win-rate window, or needed to classify movement between the days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Engine,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.sql import ColumnElement, Select

from dashboard.metrics.frames import (
    ACTIVITY_COUNT_COLUMNS,
    DEAL_TOUCH_COLUMNS,
    HISTORY_COLUMNS,
    READINESS_COLUMNS,
    SNAPSHOT_COLUMNS,
    conform,
)
from dashboard.metrics.kpis import WIN_RATE_DAYS
from loaders.identity import name_key
from loaders.schema import EXPERT_ROLES
from loaders.store.models import (
    Activity,
    ImportBatch,
    OpportunityHistory,
    OpportunitySnapshot,
    Quota,
    ReadinessEvent,
    Rep,
    RepAlias,
    Team,
    TeamMembership,
)

Scope = Sequence[str] | None
S = OpportunitySnapshot
_SNAPSHOT_READ = [c for c in SNAPSHOT_COLUMNS]


def _read(engine: Engine, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


def _membership_on(day: dt.date) -> ColumnElement[bool]:
    return and_(
        TeamMembership.effective_from <= day,
        or_(TeamMembership.effective_to.is_(None), TeamMembership.effective_to > day),
    )


def scoped_rep_ids(scope: Scope, day: dt.date) -> Select:
    """Ids of the reps in a team of ``scope`` on ``day``."""
    return (
        select(TeamMembership.rep_id)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(Team.name.in_(list(scope or [])), _membership_on(day))
    )


def scoped_aliases(scope: Scope, day: dt.date) -> Select:
    """Owner keys (aliases) of the reps in a team of ``scope`` on ``day``."""
    return select(RepAlias.alias).where(RepAlias.rep_id.in_(scoped_rep_ids(scope, day)))


def _owner_in_scope(column, scope: Scope, day: dt.date) -> ColumnElement[bool]:
    if scope is None:
        return literal(True)
    if not list(scope):
        return false()
    return column.in_(scoped_aliases(scope, day))


# SQLite keeps no planner statistics (nothing runs ANALYZE: a full one took 22 s at 5M
# activities) and without them reads completed activities in a date range through the covering
# ix_act_done_day (every owner's activities of those days) even when a few owners are asked for.
# For a scope of up to this many teams, ``_completed_for`` writes ``+completed``, which takes
# the term off that index (SQLite's documented way to steer its planner), so ix_act_owner_date
# reads the scope's own owners. Measured at 5M activities, 8 weeks, teams of 20: one team
# 0.78 -> 0.24 s; ten teams 1.32 -> 2.79 s (the owner index is not covering: beyond a few teams
# its row lookups cost more than scanning the days). PostgreSQL plans from its own statistics.
FEW_TEAMS = 3


def _completed_for(engine: Engine, scope: Scope) -> ColumnElement[bool]:
    """An activity is completed, written so that SQLite reads a small scope by owner."""
    if scope is not None and 0 < len(list(scope)) <= FEW_TEAMS and engine.dialect.name == "sqlite":
        return literal_column(f"+{Activity.__tablename__}.completed") == 1
    return Activity.completed == true()


# --- reps, aliases, quotas ------------------------------------------------------------------


def load_reps(
    engine: Engine, scope: Scope, day: dt.date, *, names: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The roster on ``day``: reps (``rep, team, role, start_date``) and their aliases.

    With a scope, only the reps in its teams on ``day``; with None, every rep, the ones without a
    team on ``day`` having ``team`` None. With ``names``, only the reps of those names (one
    rider's row without reading the whole roster).
    """
    m = (
        select(TeamMembership.rep_id, TeamMembership.team_id, TeamMembership.effective_from)
        .where(_membership_on(day))
        .subquery()
    )
    stmt = (
        select(Rep.name, Team.name, Rep.role, Rep.start_date, m.c.effective_from)
        .select_from(Rep)
        .outerjoin(m, m.c.rep_id == Rep.id)
        .outerjoin(Team, Team.id == m.c.team_id)
    )
    if scope is not None:
        stmt = stmt.where(Team.name.in_(list(scope)))
    if names is not None:
        stmt = stmt.where(Rep.name.in_(list(names)))
    reps = _read(engine, stmt, ["rep", "team", "role", "start_date", "_from"])
    reps = (
        reps.sort_values(["rep", "_from"], na_position="first", kind="stable")
        .drop_duplicates("rep", keep="last")
        .drop(columns="_from")
    )
    reps["start_date"] = pd.to_datetime(reps["start_date"]).astype("datetime64[ns]")
    reps["team"] = reps["team"].astype("object").where(reps["team"].notna(), None)
    a_stmt = select(RepAlias.alias, Rep.name).join(Rep, Rep.id == RepAlias.rep_id)
    if scope is not None:
        a_stmt = a_stmt.where(Rep.id.in_(scoped_rep_ids(scope, day)))
    if names is not None:
        a_stmt = a_stmt.where(Rep.name.in_(list(names)))
    aliases = _read(engine, a_stmt, ["alias", "rep"])
    return reps.reset_index(drop=True), aliases


def load_quotas(engine: Engine, scope: Scope, quarter: str, day: dt.date) -> pd.DataFrame:
    """``rep, quota`` for ``quarter`` (e.g. ``2026-Q4``), reps in scope on ``day``."""
    stmt = (
        select(Rep.name, Quota.amount)
        .join(Rep, Rep.id == Quota.rep_id)
        .where(Quota.quarter == quarter)
    )
    if scope is not None:
        stmt = stmt.where(Rep.id.in_(scoped_rep_ids(scope, day)))
    out = _read(engine, stmt, ["rep", "quota"])
    out["quota"] = out["quota"].astype("float64")
    return out


# --- which snapshots ------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotPick:
    """The snapshot batches that describe one day."""

    day: dt.date
    base: dict[str, int]  # source -> batch in force (latest on or before day)
    following: dict[str, int]  # source -> next batch after day (sources with history)
    dates: dict[int, dt.date]  # batch -> snapshot day

    @property
    def batch_ids(self) -> list[int]:
        return sorted(set(self.base.values()) | set(self.following.values()))


def pipeline_batches(engine: Engine) -> pd.DataFrame:
    """Live pipeline snapshot batches (``id, source, as_of``): metadata, no deal rows."""
    stmt = select(ImportBatch.id, ImportBatch.source, ImportBatch.as_of).where(
        ImportBatch.kind == "pipeline", ImportBatch.status == "loaded"
    )
    out = _read(engine, stmt, ["id", "source", "as_of"])
    out["as_of"] = pd.to_datetime(out["as_of"]).astype("datetime64[ns]")
    return out


def history_sources(engine: Engine) -> dict[str, dt.date]:
    """Sources with field history loaded, and the day their history reaches."""
    stmt = (
        select(ImportBatch.source, func.max(ImportBatch.as_of))
        .where(ImportBatch.kind == "history", ImportBatch.status == "loaded")
        .group_by(ImportBatch.source)
    )
    with engine.connect() as conn:
        return {s: pd.Timestamp(a).date() for s, a in conn.execute(stmt).all()}


def pick_snapshots(
    batches: pd.DataFrame, day: dt.date, history: dict[str, dt.date] | None = None
) -> SnapshotPick:
    """For each source the latest snapshot on or before ``day`` (by as-of time), and, for sources
    whose field history reaches past it, the first snapshot after ``day``."""
    history = history or {}
    b = batches.assign(day=batches["as_of"].dt.normalize())
    stamp = pd.Timestamp(day)
    base, following, dates = {}, {}, {}
    for source, rows in b.groupby("source"):
        before = rows[rows["day"] <= stamp].sort_values(["as_of", "id"])
        if not before.empty:
            last = before.iloc[-1]
            base[source] = int(last["id"])
            dates[int(last["id"])] = last["day"].date()
        if source in history:
            after = rows[rows["day"] > stamp].sort_values(["as_of", "id"])
            if not after.empty and after.iloc[0]["day"].date() <= history[source]:
                nxt = after.iloc[0]
                following[source] = int(nxt["id"])
                dates[int(nxt["id"])] = nxt["day"].date()
    return SnapshotPick(day, base, following, dates)


# --- deal states ----------------------------------------------------------------------------


def _snapshot_frame(rows: pd.DataFrame) -> pd.DataFrame:
    return conform(rows, SNAPSHOT_COLUMNS)


def _open_in_quarter(table, start: dt.date, end: dt.date) -> ColumnElement[bool]:
    return and_(table.status == "open", table.close_date >= start, table.close_date <= end)


def load_day_states(
    engine: Engine, scope: Scope, days: Sequence[dt.date], quarter, team_day: dt.date | None = None
) -> dict[dt.date, pd.DataFrame]:
    """The deals in force on each of ``days`` (one or two), as ``deal_state_at`` gives them.

    Rows read per day: deals with a close date in ``quarter``; deals closed in that day's
    win-rate window; and deals open in the quarter on another of ``days`` (for movement). With a
    scope, deals owned by its reps (team membership on ``team_day``, default the last day), plus
    the rows of deals such a rep owns on another of ``days`` (ownership transfers).
    Sources with field history are read whole (history can move a deal into the quarter) and the
    history between their snapshots is replayed.

    Returns:
        day -> snapshot rows (``SNAPSHOT_COLUMNS``), one row per deal.
    """
    from dashboard.metrics.state import deal_state_at

    days = list(days)
    team_day = team_day or max(days)
    batches = pipeline_batches(engine)
    hist = history_sources(engine)
    picks = {day: pick_snapshots(batches, day, hist) for day in days}
    out = {}
    for day in days:
        pick = picks[day]
        if not pick.batch_ids:
            out[day] = _snapshot_frame(pd.DataFrame(columns=_SNAPSHOT_READ))
            continue
        others = [sorted(picks[o].base.values()) for o in days if o != day and picks[o].base]
        stmt = _day_rows(day, pick.batch_ids, others, list(hist), quarter, scope, team_day)
        rows = _snapshot_frame(_read(engine, stmt, _SNAPSHOT_READ))
        reach = {s: hist[s] for s in set(pick.base) | set(pick.following) if s in hist}
        history = load_history(engine, scope, rows, pick) if reach else None
        out[day] = deal_state_at(rows, day, history, reach if reach else None)
    return out


def _day_rows(
    day: dt.date,
    batch_ids: Sequence[int],
    others: Sequence[Sequence[int]],
    history_sources: Sequence[str],
    quarter,
    scope: Scope,
    team_day: dt.date,
) -> Select:
    """The snapshot rows ``load_day_states`` reads for ``day`` from ``batch_ids``; ``others``
    holds the batches in force on each other day (one per source).

    A row's deal on another day (open in the quarter there; owned in scope there) is found by
    outer-joining that day's batches on ``(source, deal_id)``, not by ``(source, deal_id) IN
    (subquery)`` beside the other conditions: inside an OR, PostgreSQL can only run such a
    subquery as a subplan, hashed while it fits in ``work_mem`` and otherwise rescanned for
    every row (at 10,000 reps it did not end in 5 minutes: bench/RESULTS-growth.md). A join is
    hashed in batches that spill to disk, merged, or looked up in the primary key (SQLite), so
    the plan stays linear whatever the memory. One join per other day: a day holds one batch
    per source and a batch a deal once, so a join matches a row at most once and no row
    doubles; ``deal_id`` is never null, so a joined one says the deal was found.
    """
    qs, qe = quarter.start, quarter.end
    wanted = [
        and_(S.close_date >= qs, S.close_date <= qe),
        and_(
            S.status.in_(("won", "lost")),
            S.close_date >= day - dt.timedelta(days=WIN_RATE_DAYS - 1),
            S.close_date <= day,
        ),
        S.source.in_(list(history_sources)),
    ]
    visible = [_owner_in_scope(S.owner_key, scope, team_day)]
    cols = [S.source, S.deal_id, S.snapshot_date, *(getattr(S, c) for c in _SNAPSHOT_READ[3:])]
    stmt = select(*cols).select_from(S)
    for k, ids in enumerate(others):
        stmt, found = _join_other_day(
            stmt, f"moving_{k}", ids, lambda o: _open_in_quarter(o, qs, qe)
        )
        wanted.append(found)
        if scope is not None:
            stmt, found = _join_other_day(
                stmt, f"owned_{k}", ids, lambda o: _owner_in_scope(o.owner_key, scope, team_day)
            )
            visible.append(found)
    return stmt.where(S.batch_id.in_(list(batch_ids)), or_(*wanted), or_(*visible))


def _join_other_day(
    stmt: Select, name: str, ids: Sequence[int], condition
) -> tuple[Select, ColumnElement[bool]]:
    """``stmt`` outer-joined to the rows of batches ``ids`` that have ``condition`` (a function
    of their columns), by ``(source, deal_id)``; and the test that a row's deal was found."""
    other = OpportunitySnapshot.__table__.alias(name)
    on = and_(
        other.c.batch_id.in_(list(ids)),
        other.c.source == S.source,
        other.c.deal_id == S.deal_id,
        condition(other.c),
    )
    return stmt.outerjoin(other, on), other.c.deal_id.is_not(None)


def load_history(
    engine: Engine, scope: Scope, rows: pd.DataFrame, pick: SnapshotPick
) -> pd.DataFrame:
    """Field history of the deals in ``rows`` between their sources' snapshots around the day.

    ``scope`` is already applied: only deals of ``rows`` (read under it) are asked for.
    """
    del scope
    parts = []
    for source in set(pick.base) | set(pick.following):
        lo = pick.dates.get(pick.base.get(source), dt.date(1900, 1, 1))
        hi = pick.dates.get(pick.following.get(source), pick.day)
        deal_ids = rows.loc[rows["source"] == source, "deal_id"].unique().tolist()
        H = OpportunityHistory
        for start in range(0, len(deal_ids), 1000):
            stmt = select(
                H.source, H.deal_id, H.changed_at, H.field, H.old_value, H.new_value
            ).where(
                H.source == source,
                H.deal_id.in_(deal_ids[start : start + 1000]),
                H.changed_at >= dt.datetime.combine(lo, dt.time()),
                H.changed_at < dt.datetime.combine(hi, dt.time()) + dt.timedelta(1),
            )
            parts.append(_read(engine, stmt, list(HISTORY_COLUMNS)))
    if not parts:
        return conform(pd.DataFrame(columns=list(HISTORY_COLUMNS)), HISTORY_COLUMNS)
    return conform(pd.concat(parts, ignore_index=True), HISTORY_COLUMNS)


# --- activities -----------------------------------------------------------------------------


def load_deal_touches(
    engine: Engine, scope: Scope, as_of: dt.date, quarter, team_day: dt.date | None = None
) -> pd.DataFrame:
    """Last completed activity on or before ``as_of`` of each deal open in the quarter then.

    The deals are those of the snapshots in force on ``as_of`` (sources with history: all of that
    snapshot's deals), owned by reps in scope. Each deal's touch is one seek of the covering
    index ``ix_act_deal_done`` (source, deal_id, completed, activity_date): the activities table
    is never scanned, however many activities there are.
    """
    batches = pipeline_batches(engine)
    hist = history_sources(engine)
    pick = pick_snapshots(batches, as_of, hist)
    if not pick.batch_ids:
        return conform(pd.DataFrame(columns=list(DEAL_TOUCH_COLUMNS)), DEAL_TOUCH_COLUMNS)
    deals = (
        select(S.source, S.deal_id)
        .distinct()
        .where(
            S.batch_id.in_(pick.batch_ids),
            or_(_open_in_quarter(S, quarter.start, quarter.end), S.source.in_(list(hist))),
            _owner_in_scope(S.owner_key, scope, team_day or as_of),
        )
    ).subquery("d")
    A = Activity
    last = (
        select(A.activity_date)
        .where(
            A.source == deals.c.source,
            A.deal_id == deals.c.deal_id,
            A.completed == true(),
            A.activity_date <= as_of,
        )
        .order_by(A.activity_date.desc())
        .limit(1)
        .correlate(deals)
        .scalar_subquery()
    )
    # Deals without a touch are dropped here, not in SQL: SQLite would run the seek twice.
    out = _read(engine, select(deals.c.source, deals.c.deal_id, last), list(DEAL_TOUCH_COLUMNS))
    out = out[out["last_touch"].notna()].reset_index(drop=True)
    return conform(out, DEAL_TOUCH_COLUMNS)


def load_activity_counts(
    engine: Engine, scope: Scope, start: dt.date, end: dt.date, team_day: dt.date | None = None
) -> pd.DataFrame:
    """Completed activities per owner key and day in ``[start, end]``, owners in scope.

    Returns:
        ``owner_key, activity_date, n, owner`` (one spelling of the owner, for unmatched owners).
    """
    stmt = (
        select(Activity.owner_key, Activity.activity_date, func.count(), func.min(Activity.owner))
        .where(
            _completed_for(engine, scope),
            Activity.activity_date >= start,
            Activity.activity_date <= end,
            _owner_in_scope(Activity.owner_key, scope, team_day or end),
        )
        .group_by(Activity.owner_key, Activity.activity_date)
    )
    out = _read(engine, stmt, [*ACTIVITY_COUNT_COLUMNS, "owner"])
    return conform(out, ACTIVITY_COUNT_COLUMNS)


def load_activity_by_type(
    engine: Engine, scope: Scope, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Completed activities per owner, day and type in ``[start, end]``, owners in scope (team
    membership on ``end``).

    Returns:
        ``owner_key, owner, activity_date, type, n``.
    """
    A = Activity
    stmt = (
        select(A.owner_key, func.min(A.owner), A.activity_date, A.type, func.count())
        .where(_completed_for(engine, scope), A.activity_date >= start, A.activity_date <= end)
        .group_by(A.owner_key, A.activity_date, A.type)
    )
    if scope is not None:
        stmt = stmt.where(A.owner_key.in_(scoped_aliases(scope, end)))
    out = _read(engine, stmt, ["owner_key", "owner", "activity_date", "type", "n"])
    out["activity_date"] = pd.to_datetime(out["activity_date"]).astype("datetime64[ns]")
    out["n"] = out["n"].astype("int64")
    return out


def counts_of_types(by_type: pd.DataFrame) -> pd.DataFrame:
    """``load_activity_counts``'s answer from ``load_activity_by_type``'s over the same days and
    scope (types summed, the least owner spelling kept), with no second read of the same rows:
    a view that needs both (the Rider) paid the first read of a team's activity rows twice, up to
    a second at 5M activities on SQLite."""
    day = ["owner_key", "activity_date"]
    out = (
        by_type.groupby(day, sort=True, dropna=False)
        .agg(n=("n", "sum"), owner=("owner", "min"))
        .reset_index()
    )
    out["n"] = out["n"].astype("int64")
    return conform(out[[*ACTIVITY_COUNT_COLUMNS, "owner"]], ACTIVITY_COUNT_COLUMNS)


def load_activity_week_counts(
    engine: Engine, scope: Scope, as_of: dt.date, weeks: int = 8, team_day: dt.date | None = None
) -> pd.DataFrame:
    """``load_activity_counts`` over the ``weeks`` 7-day weeks ending on ``as_of``, summed per week
    in SQL: what activity consistency needs, in a few rows per owner instead of one per day.

    Each row's ``activity_date`` is the last day of its week (``as_of - 7 * w``), so a metric
    that buckets days into weeks ending on ``as_of`` puts it in the same week as its days. The
    owner spelling is the one ``load_activity_counts`` gives each day (the least of that day's),
    and days are summed only within one spelling, so the reps attached are the same too.

    Returns:
        ``owner_key, activity_date, n, owner``.
    """
    first = as_of - dt.timedelta(days=7 * weeks - 1)
    A = Activity
    week = case(
        *((A.activity_date >= as_of - dt.timedelta(days=7 * w + 6), w) for w in range(weeks - 1)),
        else_=weeks - 1,
    )
    daily = (
        select(
            A.owner_key.label("owner_key"),
            week.label("week"),
            func.count().label("n"),
            func.min(A.owner).label("owner"),
        )
        .where(
            _completed_for(engine, scope),
            A.activity_date >= first,
            A.activity_date <= as_of,
            _owner_in_scope(A.owner_key, scope, team_day or as_of),
        )
        # Day first: the order of ix_act_done_day, so SQLite aggregates without sorting.
        .group_by(A.activity_date, A.owner_key)
    ).subquery("daily")
    stmt = select(
        daily.c.owner_key, daily.c.week, cast(func.sum(daily.c.n), BigInteger), daily.c.owner
    ).group_by(daily.c.owner_key, daily.c.week, daily.c.owner)
    out = _read(engine, stmt, ["owner_key", "week", "n", "owner"])
    ends = pd.Series([pd.Timestamp(as_of) - pd.Timedelta(days=7 * w) for w in range(weeks)])
    out["activity_date"] = ends.reindex(out["week"].astype("int64").to_numpy()).to_numpy()
    out = out[["owner_key", "activity_date", "n", "owner"]]
    return conform(out, ACTIVITY_COUNT_COLUMNS)


def load_expert_support(
    engine: Engine,
    scope: Scope,
    as_of: dt.date,
    team_day: dt.date | None = None,
    roles: Sequence[str] = EXPERT_ROLES,
    start: dt.date | None = None,
    deal_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Deals (``source, deal_id``) with a completed activity on or before ``as_of`` (and on or
    after ``start`` when given: the support car's four weeks) by a roster member whose role is
    an expert one, with ``experts`` (how many such activities).

    Deals owned by reps in scope (in the snapshot in force on ``as_of``), optionally only
    ``deal_ids`` (a rider's own deals: at 2,000 reps a team's deals took 0.5 s to read, every
    activity of 1,000 deals looked up, where the rider's 30 took a twentieth of it).
    """
    batches = pipeline_batches(engine)
    pick = pick_snapshots(batches, as_of)
    role_ci = [r.casefold() for r in roles]
    experts = (
        select(RepAlias.alias)
        .join(Rep, Rep.id == RepAlias.rep_id)
        .where(func.lower(Rep.role).in_(role_ci))
    )
    deals = select(S.source, S.deal_id).where(
        S.batch_id.in_(pick.batch_ids or [-1]),
        _owner_in_scope(S.owner_key, scope, team_day or as_of),
    )
    if deal_ids is not None:
        deals = deals.where(S.deal_id.in_(list(deal_ids)))
    on_deals = [
        Activity.completed.is_(True),
        Activity.activity_date <= as_of,
        tuple_(Activity.source, Activity.deal_id).in_(deals),
    ]
    if start is not None:
        on_deals.append(Activity.activity_date >= start)
    stmt = (
        select(Activity.source, Activity.deal_id, func.count())
        .where(*on_deals, Activity.owner_key.in_(experts))
        .group_by(Activity.source, Activity.deal_id)
    )
    by_owner = _read(engine, stmt, ["source", "deal_id", "experts"])
    # An expert who took part without owning the activity (an SE on the rep's call, where the
    # export lists participants) supports the deal too (DESIGN §9). Participants are names as
    # exported, "; "-joined: matched to the experts' aliases here, not in SQL.
    joined = _read(
        engine,
        select(Activity.source, Activity.deal_id, Activity.participants).where(
            *on_deals,
            Activity.participants.is_not(None),
            Activity.owner_key.not_in(experts),
        ),
        ["source", "deal_id", "participants"],
    )
    if joined.empty:
        return by_owner
    with engine.connect() as conn:
        aliases = set(conn.scalars(experts))
    took_part = joined["participants"].map(
        lambda names: any(name_key(n) in aliases for n in str(names).split(";"))
    )
    extra = (
        joined[took_part.astype(bool)]
        .groupby(["source", "deal_id"], as_index=False)
        .size()
        .rename(columns={"size": "experts"})
    )
    if extra.empty:
        return by_owner
    both = pd.concat([by_owner, extra], ignore_index=True)
    return both.groupby(["source", "deal_id"], as_index=False)["experts"].sum()


# --- readiness ------------------------------------------------------------------------------


def load_readiness_events(engine: Engine, scope: Scope, day: dt.date) -> pd.DataFrame:
    """Readiness events of the reps in scope on ``day`` (``READINESS_COLUMNS``)."""
    R = ReadinessEvent
    stmt = select(
        R.owner_key,
        R.program,
        R.kind,
        R.required,
        R.assigned_date,
        R.due_date,
        R.completed_date,
        R.score,
        R.owner,
    ).where(_owner_in_scope(R.owner_key, scope, day))
    out = _read(engine, stmt, [*READINESS_COLUMNS, "owner"])
    return conform(out, READINESS_COLUMNS)


# --- push counts ----------------------------------------------------------------------------


def load_close_date_changes(
    engine: Engine,
    scope: Scope,
    as_of: dt.date,
    deal_ids: Sequence[str] | None = None,
    team_day: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What push counts need: close-date changes seen by snapshots, and field history.

    Snapshots are reduced in SQL to the rows where a deal's close date differs from its previous
    snapshot (plus each deal's first), so 50 weekly snapshots cost what the changes cost.

    Returns:
        (``source, deal_id, snapshot_date, close_date`` rows, close-date field history rows),
        for deals owned in scope in the snapshot in force on ``as_of`` (optionally only
        ``deal_ids``).
    """
    batches = pipeline_batches(engine)
    live = batches[batches["as_of"].dt.normalize() <= pd.Timestamp(as_of)]["id"].tolist()
    pick = pick_snapshots(batches, as_of)
    current = select(S.source, S.deal_id).where(
        S.batch_id.in_(pick.batch_ids or [-1]),
        _owner_in_scope(S.owner_key, scope, team_day or as_of),
    )
    if deal_ids is not None:
        current = current.where(S.deal_id.in_(list(deal_ids)))
    # The deals drive the read, each through its (source, deal_id, snapshot_date) index: as an
    # IN list SQLite scanned every snapshot row of the source (8.4 s for 500 deals at 4.3M rows).
    deals = current.distinct().subquery("deals")
    prev = func.lag(S.close_date).over(
        partition_by=(S.source, S.deal_id), order_by=(S.snapshot_date, S.batch_id)
    )
    inner = (
        select(S.source, S.deal_id, S.snapshot_date, S.close_date, prev.label("prev"))
        .select_from(deals)
        .join(S, (S.source == deals.c.source) & (S.deal_id == deals.c.deal_id))
        .where(S.batch_id.in_(live or [-1]))
        .subquery()
    )
    stmt = select(inner.c.source, inner.c.deal_id, inner.c.snapshot_date, inner.c.close_date).where(
        or_(
            inner.c.prev.is_(None), inner.c.close_date.is_(None), inner.c.close_date != inner.c.prev
        )
    )
    snaps = _read(engine, stmt, ["source", "deal_id", "snapshot_date", "close_date"])
    for col in ("snapshot_date", "close_date"):
        snaps[col] = pd.to_datetime(snaps[col]).astype("datetime64[ns]")
    H = OpportunityHistory
    h_stmt = select(H.source, H.deal_id, H.changed_at, H.field, H.old_value, H.new_value).where(
        H.field == "close_date",
        H.changed_at < dt.datetime.combine(as_of, dt.time()) + dt.timedelta(1),
        tuple_(H.source, H.deal_id).in_(current),
    )
    history = conform(_read(engine, h_stmt, list(HISTORY_COLUMNS)), HISTORY_COLUMNS)
    return snaps, history


# --- one deal -------------------------------------------------------------------------------


def load_deal_trail(
    engine: Engine, scope: Scope, source: str, deal_id: str, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """One deal in each snapshot taken in ``[start, end]``, oldest first (its details' trail).

    With a scope, the deal is read only when a rep of its teams (membership on ``end``) owned it
    in some snapshot up to ``end``; then every row of the trail is returned, whoever owned it.

    Returns:
        ``snapshot_date, close_date, amount, stage, forecast_category``.
    """
    columns = ["snapshot_date", "close_date", "amount", "stage", "forecast_category"]
    S = OpportunitySnapshot
    stmt = (
        select(S.snapshot_date, S.close_date, S.amount, S.stage, S.forecast_category)
        .where(
            S.source == source,
            S.deal_id == deal_id,
            S.snapshot_date <= end,
            S.snapshot_date >= start,
        )
        .order_by(S.snapshot_date)
    )
    if scope is not None:
        held = OpportunitySnapshot.__table__.alias("owned")
        owned = select(held.c.batch_id).where(
            held.c.source == source,
            held.c.deal_id == deal_id,
            held.c.snapshot_date <= end,
            _owner_in_scope(held.c.owner_key, scope, end),
        )
        stmt = stmt.where(owned.exists())
    return _read(engine, stmt, columns)


__all__ = [
    "Scope",
    "SnapshotPick",
    "counts_of_types",
    "history_sources",
    "load_activity_by_type",
    "load_activity_counts",
    "load_activity_week_counts",
    "load_close_date_changes",
    "load_day_states",
    "load_deal_touches",
    "load_deal_trail",
    "load_expert_support",
    "load_history",
    "load_quotas",
    "load_readiness_events",
    "load_reps",
    "pick_snapshots",
    "pipeline_batches",
    "scoped_aliases",
    "scoped_rep_ids",
]
