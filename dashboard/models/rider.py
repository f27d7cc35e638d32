"""What the Rider page (the 1:1) shows, read through the metrics engine and cached.

Every figure comes from ``compute_summary`` run for the rider's team (scoped queries and
``dashboard.metrics``); the trend is the same summary on each snapshot day of the quarter up to
"now", so a point of the trend is exactly what the Course showed that day. Push counts come from
``queries.load_close_date_changes`` and ``metrics.push_counts``; expert support from
``queries.load_expert_support``. This module picks the rows of one rider, adds the flags of the 1:1
(pushed N times, a large deal without expert support), counts activity by week and type, and
caches it all under the store's data version.

Ramp stages (by days since the rep's start date on "now"): ``onboarding`` (first 90 days),
``ramping`` (days 91-180), ``ramped`` (after that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.metrics import attach_reps, push_counts
from dashboard.metrics.frames import DEAL_KEY, ts
from dashboard.metrics.readiness import COMPONENTS, WEEKS
from dashboard.models.review import snapshot_days
from dashboard.models.standings import Summary, compute_summary, settings_key, summary_for
from dashboard.reads import cache, queries
from loaders.config import load_config
from loaders.fiscal import Quarter, parse_quarter

if TYPE_CHECKING:
    from sqlalchemy import Engine

LARGE_FACTOR = 2.0  # a large deal: at least 2 x the team's average won deal
PUSHED_FLAG = 2  # "pushed N times" is flagged from this many pushes
ONBOARDING_DAYS, RAMP_DAYS = 90, 180
TREND_POINTS = 14
ACTIVITY_TYPES = ("call", "email", "meeting", "other")


@dataclass
class RiderModel:
    """One rider in one view: figures, deals with flags, trend, activity, readiness inputs."""

    rep: str
    quarter: Quarter
    as_of: dt.date
    since: dt.date | None
    team: str | None
    role: str | None
    start_date: dt.date | None
    figures: dict  # the rider's figures (+ readiness components, inputs)
    team_figures: dict  # the team's figures (average won deal for "large")
    flags: pd.DataFrame  # every deal of the team's summary (for the rows behind)
    deals: pd.DataFrame  # the rider's open in-quarter deals with the 1:1's flags
    events: pd.DataFrame  # the rider's readiness events (``rep`` attached)
    counts: pd.DataFrame  # completed activities per rep and day, the team's riders
    riders: pd.DataFrame  # the team's riders: rep, team, start_date
    activity: pd.DataFrame  # the rider's activities per week and type, with the median
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def tenure_days(self) -> int | None:
        return None if self.start_date is None else (self.as_of - self.start_date).days

    @property
    def ramp_stage(self) -> str | None:
        return ramp_stage(self.tenure_days)

    @property
    def days_left(self) -> int:
        return max(0, (self.quarter.end - self.as_of).days)


def ramp_stage(tenure_days: int | None) -> str | None:
    """``onboarding``, ``ramping`` or ``ramped`` by days since the start date (None unknown)."""
    if tenure_days is None:
        return None
    if tenure_days < 0:
        return "not started"
    if tenure_days <= ONBOARDING_DAYS:
        return "onboarding"
    if tenure_days <= RAMP_DAYS:
        return "ramping"
    return "ramped"


def tenure_words(tenure_days: int | None) -> str:
    """``2 yr 3 mo``, ``5 mo``, ``12 days``; an em dash when unknown."""
    if tenure_days is None:
        return "—"
    if tenure_days < 0:
        return f"starts in {-tenure_days} days"
    if tenure_days < 60:
        return f"{tenure_days} day{'s' if tenure_days != 1 else ''}"
    months = round(tenure_days / 30.44)
    years, months = divmod(months, 12)
    if years:
        return f"{years} yr {months} mo" if months else f"{years} yr"
    return f"{months} mo"


# --- who -------------------------------------------------------------------------------------


def rider_team(
    engine: Engine, rep: str, day: dt.date, scope: Sequence[str] | None
) -> tuple[bool, str | None, str | None, dt.date | None]:
    """(known, team on ``day``, role, start date) of ``rep`` in the viewer's scope."""
    reps, _ = queries.load_reps(engine, scope, day, names=[rep])
    hit = reps[reps["rep"].astype("object") == rep]
    if hit.empty:
        return False, None, None, None
    r = hit.iloc[0]
    start = r["start_date"]
    start = None if pd.isna(start) else pd.Timestamp(start).date()
    team = r["team"] if isinstance(r["team"], str) else None
    role = r["role"] if isinstance(r["role"], str) else None
    return True, team, role, start


# --- the model --------------------------------------------------------------------------------


def _side_by_side(*reads: Callable[[], object]) -> list:
    """Independent store reads run in threads, their answers in order: the store answers some
    while Python turns the first answers into frames."""
    with ThreadPoolExecutor(max_workers=len(reads), thread_name_prefix="rider-read") as pool:
        return [f.result() for f in [pool.submit(read) for read in reads]]


@dataclass(frozen=True)
class RiderView:
    """Who the rider is in one view, and the view's summary: what a drawing that reads only kept
    tables needs (the trend, the season, the plans), without the rider's own reads."""

    rep: str
    quarter: Quarter
    as_of: dt.date
    since: dt.date | None
    team: str | None
    role: str | None
    start_date: dt.date | None
    summary: Summary  # the rider's team (or the viewer's scope), narrowed from the kept one


def find_rider(
    engine: Engine,
    rep: str,
    quarter: str | Quarter,
    as_of: dt.date,
    since: dt.date | None,
    scope: Sequence[str] | None,
) -> RiderView | None:
    """The rider in the viewer's view (uncached; see ``rider_view``); None when they cannot see
    the rep: one roster read and a narrowing of the kept all-teams summary."""
    quarter = parse_quarter(quarter) if isinstance(quarter, str) else quarter
    known, team, role, start = rider_team(engine, rep, as_of, scope)
    summary = summary_for(engine, quarter, as_of, since, team, scope=scope)
    if rep not in summary.reps.index and not known:
        return None
    return RiderView(rep, quarter, summary.as_of, summary.since, team, role, start, summary)


def rider_view(
    engine: Engine,
    rep: str,
    quarter: str,
    as_of: dt.date,
    since: dt.date | None,
    scope: Sequence[str] | None,
) -> RiderView | None:
    """``find_rider`` cached under the store's data version (read-only). A worker that has not
    built this rider's model answers the trend, the season and the plans from it: at 2,000 reps
    the model's own reads took 0.5 s in a new worker, on every callback that landed there first."""
    if not isinstance(rep, str) or not rep.strip() or len(rep) > 255:
        return None
    args = (
        rep,
        quarter,
        as_of.isoformat(),
        since.isoformat() if since else None,
        tuple(scope) if scope is not None else None,
    )
    return cache.cached(
        "rider-view", engine, args, lambda: find_rider(engine, rep, quarter, as_of, since, scope)
    )


def build_rider(
    engine: Engine,
    rep: str,
    quarter: str | Quarter,
    as_of: dt.date,
    since: dt.date | None,
    scope: Sequence[str] | None,
) -> RiderModel | None:
    """The rider's model (uncached; see ``rider_model``); None when the rep is not in scope."""
    name = quarter.name if isinstance(quarter, Quarter) else quarter
    who = rider_view(engine, rep, name, as_of, since, scope)
    if who is None:
        return None
    quarter, team, role, start, summary = (
        who.quarter,
        who.team,
        who.role,
        who.start_date,
        who.summary,
    )
    # A rep on the roster with nothing in this view (an SE, say) gets empty figures.
    figures = summary.reps.loc[rep].to_dict() if rep in summary.reps.index else {}
    view = [team] if team else (list(scope) if scope is not None else None)
    first = as_of - dt.timedelta(days=7 * WEEKS - 1)
    # The rider's own reads are independent of each other (0.27 s one after another at 2,000
    # reps, the team's activity by day and type 0.15 s of it).
    by_type, deals, (reps, aliases), raw_events = _side_by_side(
        lambda: queries.load_activity_by_type(engine, view, first, as_of),
        lambda: rider_deals(engine, summary, rep, view),
        lambda: queries.load_reps(engine, view, as_of),
        lambda: queries.load_readiness_events(engine, view, as_of),
    )
    riders = reps[reps["rep"].isin(summary.reps.index)][["rep", "team", "start_date"]]
    riders = riders.reset_index(drop=True)
    events = attach_reps(raw_events, aliases, reps, name="owner_key")
    events = events[events["rep"].astype("object") == rep].reset_index(drop=True)
    counts = attach_reps(queries.counts_of_types(by_type), aliases, reps)
    by_type = attach_reps(by_type, aliases, reps)
    activity = activity_weeks_by_type(by_type, counts, riders, rep, as_of)
    return RiderModel(
        rep,
        quarter,
        summary.as_of,
        summary.since,
        team,
        role,
        start,
        figures,
        dict(summary.team),
        summary.flags,
        deals,
        events,
        counts,
        riders,
        activity,
    )


def rider_model(
    engine: Engine,
    rep: str,
    quarter: str,
    as_of: dt.date,
    since: dt.date | None,
    scope: Sequence[str] | None,
) -> RiderModel | None:
    """The rider's model, cached under the store's data version (read-only)."""
    if not isinstance(rep, str) or not rep.strip() or len(rep) > 255:
        return None  # a forged or stale request names no rider we know
    args = (
        rep,
        quarter,
        as_of.isoformat(),
        since.isoformat() if since else None,
        tuple(scope) if scope is not None else None,
    )
    return cache.cached(
        "rider-model", engine, args, lambda: build_rider(engine, rep, quarter, as_of, since, scope)
    )


def rider_deals(
    engine: Engine, summary: Summary, rep: str, view: Sequence[str] | None
) -> pd.DataFrame:
    """The rider's open in-quarter deals with the 1:1's flags.

    Adds ``push_count``, ``experts`` (expert activities on the deal), ``large`` (amount at least
    ``LARGE_FACTOR`` x the team's average won deal), ``no_expert`` (large and no expert support),
    ``pushed`` (pushed ``PUSHED_FLAG`` times or more) and ``flag_count``.
    """
    f = summary.flags
    own = f[(f["rep"].astype("object") == rep) & f["open_in_quarter"]].copy()
    if own.empty:
        return own.assign(
            push_count=pd.Series(dtype="int64"),
            experts=pd.Series(dtype="int64"),
            large=pd.Series(dtype=bool),
            no_expert=pd.Series(dtype=bool),
            pushed=pd.Series(dtype=bool),
            flag_count=pd.Series(dtype="int64"),
        )
    ids = sorted(own["deal_id"].astype(str).unique())
    day = summary.as_of
    (snaps, history), experts = _side_by_side(
        lambda: queries.load_close_date_changes(engine, view, day, deal_ids=ids, team_day=day),
        lambda: queries.load_expert_support(engine, view, day, team_day=day, deal_ids=ids),
    )
    counts = push_counts(snaps, history, summary.as_of, own[[*DEAL_KEY, "push_count"]])
    own = own.drop(columns="push_count").merge(
        counts[[*DEAL_KEY, "push_count"]], on=DEAL_KEY, how="left"
    )
    own["push_count"] = own["push_count"].fillna(0).astype("int64")
    own = own.merge(experts, on=DEAL_KEY, how="left")
    own["experts"] = own["experts"].fillna(0).astype("int64")
    avg = summary.team.get("avg_won_deal")
    threshold = LARGE_FACTOR * float(avg) if avg else None
    own["large"] = (own["amount"] >= threshold).fillna(False).astype(bool) if threshold else False
    own["no_expert"] = own["large"] & (own["experts"] == 0)
    own["pushed"] = own["push_count"] >= PUSHED_FLAG
    marks = ["stale", "past_due", "pushed", "no_next_step", "no_expert"]
    own["flag_count"] = own[marks].astype(int).sum(axis=1)
    own = own.sort_values(["flag_count", "amount"], ascending=[False, False], kind="stable")
    return own.reset_index(drop=True)


def large_threshold(team_figures: dict) -> float | None:
    """The amount from which a deal counts as large for this team (None without won deals)."""
    avg = team_figures.get("avg_won_deal")
    return LARGE_FACTOR * float(avg) if avg else None


# --- activity ---------------------------------------------------------------------------------


def activity_weeks_by_type(
    by_type: pd.DataFrame, counts: pd.DataFrame, riders: pd.DataFrame, rep: str, as_of: dt.date
) -> pd.DataFrame:
    """The rider's last ``WEEKS`` weeks (7 days ending on ``as_of``, as readiness counts them):
    activities per type, the total, and the team's median total that week.

    Returns:
        One row per week, oldest first: ``week``, ``week_start``, ``week_end``, one column per
        ``ACTIVITY_TYPES``, ``total`` and ``team_median``.
    """
    day = ts(as_of)
    mine = by_type[by_type["rep"].astype("object") == rep] if len(by_type) else by_type
    week = (
        ((day - mine["activity_date"]).dt.days // 7).astype(int)
        if len(mine)
        else pd.Series(dtype=int)
    )
    kind = (
        mine["type"].where(mine["type"].isin(ACTIVITY_TYPES), "other")
        if len(mine)
        else pd.Series(dtype=object)
    )
    table = (
        mine.assign(_w=week, _t=kind).groupby(["_w", "_t"])["n"].sum().unstack(fill_value=0)
        if len(mine)
        else pd.DataFrame()
    )
    table = table.reindex(index=range(WEEKS), columns=list(ACTIVITY_TYPES), fill_value=0)
    team = riders.set_index("rep")["team"].get(rep) if len(riders) else None
    mates = (
        riders.loc[riders["team"].astype("object") == team, "rep"].tolist()
        if isinstance(team, str)
        else [rep]
    )
    if rep not in mates:
        mates.append(rep)
    c = counts[counts["rep"].isin(mates)] if len(counts) else counts
    w = ((day - c["activity_date"]).dt.days // 7).astype(int) if len(c) else pd.Series(dtype=int)
    per = (
        c.assign(_w=w).groupby(["rep", "_w"])["n"].sum().unstack(fill_value=0)
        if len(c)
        else pd.DataFrame()
    )
    per = per.reindex(index=mates, columns=range(WEEKS), fill_value=0)
    out = table.copy()
    out["total"] = out[list(ACTIVITY_TYPES)].sum(axis=1)
    out["team_median"] = per.median(axis=0).reindex(range(WEEKS)).fillna(0).to_numpy()
    out["week"] = out.index
    out["week_end"] = [(day - pd.Timedelta(days=7 * k)).date() for k in out.index]
    out["week_start"] = [(day - pd.Timedelta(days=7 * k + 6)).date() for k in out.index]
    out = out.iloc[::-1].reset_index(drop=True)
    return out[["week", "week_start", "week_end", *ACTIVITY_TYPES, "total", "team_median"]]


# --- trend ------------------------------------------------------------------------------------


def trend_days(days: Sequence[dt.date], quarter: Quarter, as_of: dt.date) -> list[dt.date]:
    """Snapshot days of the quarter up to ``as_of`` (at most ``TREND_POINTS``, ``as_of`` last)."""
    inside = [d for d in days if quarter.start <= d < as_of]
    inside = inside[-(TREND_POINTS - 1) :]
    return [*inside, as_of]


TREND_KEYS = (
    "attainment",
    "pace",
    "won",
    "quota",
    "pace_gap",
    "open_pipeline",
    "readiness_index",
    *COMPONENTS,
)


def trend_day(engine: Engine, quarter: Quarter, day: dt.date) -> pd.DataFrame:
    """Every rider's trend figures on ``day``: ``rep, team`` and ``TREND_KEYS``, one row per rep
    of the all-teams summary on that day.

    Cached per data version and kept in the store (``reads.kept``): it is computed once for the
    whole company (an all-teams ``compute_summary``, about 3 s at 2,000 reps) when data lands
    (``warm.keep``), and every Rider's trend is read from it. Before, each worker computed the
    rider's team summary on every snapshot day on the team's first visit (10 s cold at 2,000 reps).
    Per-rep figures do not depend on who else is shown (``standings.restrict``), so a row is the
    figure the rider's team summary on that day shows.
    """
    config = load_config()
    settings = settings_key(config)

    def compute() -> pd.DataFrame:
        summary = compute_summary(engine, quarter, day, None, config=config)
        figures = summary.reps.reindex(columns=list(TREND_KEYS)).astype("float64")
        team = summary.riders.set_index("rep")["team"].reindex(figures.index)
        out = figures.reset_index(names="rep")
        out.insert(1, "team", team.astype("object").where(team.notna(), None).to_numpy())
        return out

    args = (quarter.name, day.isoformat(), settings)
    return cache.cached("rider-trend-day", engine, args, compute, keep=())


def trend_table(engine: Engine, quarter: str | Quarter, as_of: dt.date) -> list[pd.DataFrame]:
    """``trend_day`` on each day of the trend up to ``as_of`` (what ``warm.keep`` computes)."""
    quarter = parse_quarter(quarter) if isinstance(quarter, str) else quarter
    return [
        trend_day(engine, quarter, d) for d in trend_days(snapshot_days(engine), quarter, as_of)
    ]


def rider_trend(
    engine: Engine,
    rep: str,
    quarter: str | Quarter,
    as_of: dt.date,
    team: str | None,
    scope: Sequence[str] | None,
) -> pd.DataFrame:
    """The rider's attainment, pace and readiness on each snapshot day of the quarter.

    Each point is what ``compute_summary`` for the rider's team (or the viewer's scope when the
    rider has none) shows for the rider on that day, read from the all-teams ``trend_day`` and
    narrowed as ``standings.restrict`` narrows: on a day the rider sat in another team, or
    outside the view, the point is left out.

    Returns:
        ``day`` and ``TREND_KEYS``, one row per day (days without the rider in the view left out).
    """
    quarter = parse_quarter(quarter) if isinstance(quarter, str) else quarter
    view = [team] if team is not None else (list(scope) if scope is not None else None)
    cols = ["day", *TREND_KEYS]
    rows = []
    for day in trend_days(snapshot_days(engine), quarter, as_of):
        table = trend_day(engine, quarter, day)
        hit = table[table["rep"].to_numpy() == rep]
        if view is not None:
            hit = hit[hit["team"].isin(view).to_numpy()]
        if hit.empty:
            continue
        r = hit.iloc[0]
        rows.append({"day": day, **{k: None if pd.isna(r[k]) else float(r[k]) for k in TREND_KEYS}})
    return pd.DataFrame(rows, columns=cols)


__all__ = [
    "ACTIVITY_TYPES",
    "LARGE_FACTOR",
    "PUSHED_FLAG",
    "RiderModel",
    "RiderView",
    "activity_weeks_by_type",
    "build_rider",
    "find_rider",
    "large_threshold",
    "ramp_stage",
    "rider_deals",
    "rider_model",
    "rider_team",
    "rider_trend",
    "rider_view",
    "tenure_words",
    "trend_day",
    "trend_days",
    "trend_table",
]
