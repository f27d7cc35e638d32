"""The standings: every figure of a quarter (docs/metrics.md) for every rep and team in a scope.

The engine every view and ``teamcar summary`` read through. ``compute_summary`` reads the store
through ``dashboard.reads.queries`` (scoped) and computes with ``dashboard.metrics``: the
figures, rank and rank change, readiness, movement and the waterfall. ``summary_for`` caches the
all-teams result per data version and ``restrict`` narrows it to a viewer's teams without reading
the store again. Terminal and JSON output live with the CLI (``dashboard.cli.summary``).
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from dashboard import urls
from dashboard.metrics import (
    attach_reps,
    compute_movement,
    compute_waterfall,
    deal_flags,
    rank_change,
    rank_reps,
    readiness,
    rep_figures,
    rep_waterfalls,
    team_figures,
    team_readiness,
)
from dashboard.metrics.readiness import WEEKS
from dashboard.reads import queries
from loaders.config import Config, load_config
from loaders.fiscal import Quarter
from loaders.schema import CHAIN_ROLES, EXPERT_ROLES

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEAL_KEYS = (
    "deal_id",
    "deal_name",
    "rep",
    "category",
    "amount_since",
    "amount_now",
    "close_date_since",
    "close_date_now",
)


class SummaryError(ValueError):
    """A request the summary cannot answer (bad quarter, day, or team); a user-facing message.

    For a bad quarter or day it is raised from the ``urls.PeriodError``, which a caller with its
    own names for the fields (the CLI's options) can word again.
    """


# What the summary's messages call the quarter and days (a caller may word them its own way).
PERIOD_NAMES = {"quarter": "quarter", "as_of": "as-of day", "since": "comparison day"}


@dataclass
class Summary:
    """Everything behind one summary: the figures and the frames they came from."""

    quarter: Quarter
    as_of: dt.date
    since: dt.date | None
    scope: list[str] | None
    team: dict  # FIGURE_KEYS -> value (None when undefined)
    reps: pd.DataFrame  # index rep: team, FIGURE_KEYS, no_quota, rank, rank_change,
    # readiness components and inputs
    flags: pd.DataFrame  # the as_of deals with what each counts towards
    movement: pd.DataFrame | None  # one row per moved deal (with --since)
    waterfall: dict | None  # team waterfall (+ won_new)
    rep_waterfalls: pd.DataFrame | None
    # What ``restrict`` needs to narrow an all-teams summary to some teams without the store:
    riders: pd.DataFrame | None = None  # rep, team, start_date: the reps shown
    quotas: pd.DataFrame | None = None  # rep, quota
    then: pd.DataFrame | None = None  # rep figures on ``since`` (for rank change)


# What a summary kept in the store may hold (``dashboard.reads.kept``).
KEPT_TYPES = (Summary, Quarter)


def _days(
    quarter: str | Quarter, as_of, since, config: Config
) -> tuple[Quarter, dt.date, dt.date | None]:
    """The quarter and days asked for, defaults filled in and checked (``urls.resolve_period``)."""
    try:
        period = urls.resolve_period(
            quarter, as_of, since, start_month=config.fiscal_year_start_month
        )
    except urls.PeriodError as exc:
        raise SummaryError(exc.worded(PERIOD_NAMES)) from exc
    return period.quarter, period.as_of, period.since


def _scope(team: str | None, scope: Sequence[str] | None) -> list[str] | None:
    if team is None:
        return None if scope is None else list(scope)
    if scope is not None and team not in scope:
        raise SummaryError(f"team {team!r} is not among the teams you may see")
    return [team]


def _riders(
    reps: pd.DataFrame, flags: pd.DataFrame, quotas: pd.DataFrame, scope: list[str] | None
) -> pd.DataFrame:
    """The reps to show: roster sellers in scope, plus anyone in scope who owns a counted deal or
    has a quota (experts such as SEs, and people in the reporting chain such as managers,
    directors and VPs, only then); owners off the roster only for all teams."""
    counted = flags[flags["in_quarter"] | flags["won_in_window"] | flags["lost_in_window"]]
    owners = set(counted["rep"])
    with_quota = set(quotas.loc[quotas["quota"].fillna(0) != 0, "rep"])
    roles = reps["role"].astype("object").fillna("").str.casefold()
    expert = roles.isin([r.casefold() for r in (*EXPERT_ROLES, *CHAIN_ROLES)])
    active = reps["rep"].isin(owners | with_quota)
    keep = active | (~expert & reps["team"].notna())
    riders = reps.loc[keep, ["rep", "team", "start_date"]]
    if scope is None:
        off = counted.loc[~counted["on_roster"], ["rep"]].drop_duplicates()
        off = off[~off["rep"].isin(riders["rep"])].assign(team=None, start_date=pd.NaT)
        riders = pd.concat([riders, off], ignore_index=True)
    riders["team"] = riders["team"].astype("object").where(riders["team"].notna(), None)
    return riders.sort_values("rep", kind="stable").reset_index(drop=True)


def compute_summary(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
) -> Summary:
    """Compute every figure for ``quarter`` on ``as_of``, and movement since ``since``.

    Args:
        engine: the store.
        quarter: ``2026-Q4`` or a ``Quarter``.
        as_of: the day (default: the earlier of today and the quarter's end).
        since: the comparison day for movement and rank change (before ``as_of``), or None.
        team: one team to show (None: every team the viewer may see).
        scope: the teams the viewer may see (None: all teams).
        config: settings (fiscal start month, stale days, readiness weights).

    Raises:
        SummaryError: on a bad quarter, day or team.
    """
    config = config or load_config()
    quarter, as_of, since = _days(quarter, as_of, since, config)
    view = _scope(team, scope)

    days = [as_of] if since is None else [since, as_of]
    states = queries.load_day_states(engine, view, days, quarter, team_day=as_of)
    reps, aliases = queries.load_reps(engine, view, as_of)
    quotas = queries.load_quotas(engine, view, quarter.name, as_of)
    touches = queries.load_deal_touches(engine, view, as_of, quarter)
    state = attach_reps(states[as_of], aliases, reps)
    flags = deal_flags(state, quarter, as_of, touches, config.stale_days)
    riders = _riders(reps, flags, quotas, view)
    figures = rep_figures(flags, riders, quotas, quarter, as_of)

    counts = queries.load_activity_week_counts(engine, view, as_of, WEEKS, team_day=as_of)
    counts = attach_reps(counts, aliases, reps)
    events = attach_reps(
        queries.load_readiness_events(engine, view, as_of), aliases, reps, name="owner_key"
    )
    ready = readiness(
        riders,
        events,
        counts,
        figures[["open_deals", "hygiene_ok_deals"]],
        as_of,
        config.readiness_weights,
    )
    figures = figures.join(ready)
    # Owners off the roster ("Unassigned" included) are not riders with a form to measure.
    off_roster = riders.set_index("rep")["team"].isna().reindex(figures.index).fillna(False)
    figures.loc[off_roster.to_numpy(), ["readiness_index", "readiness_band"]] = None
    figures["rank"] = rank_reps(figures)

    movement = waterfall = by_rep = then = None
    since_rank = None
    if since is not None:
        state_a = attach_reps(states[since], aliases, reps)
        flags_a = deal_flags(state_a, quarter, since, None, config.stale_days)
        then = rep_figures(flags_a, riders, quotas, quarter, since)
        # A rep who had not started by then was not in the race: no position to compare.
        started = riders.set_index("rep")["start_date"].reindex(then.index)
        then.loc[(started > pd.Timestamp(since)).fillna(False).to_numpy(), "no_quota"] = True
        since_rank = rank_reps(then)
        then = then[["attainment", "pace", "no_quota"]]
        moved = compute_movement(state_a, state, quarter)
        by_rep = rep_waterfalls(moved)
        by_rep = by_rep[by_rep.index.isin(riders["rep"])]
        if view is not None:
            moved = moved[moved["team"].isin(view)]
        movement = moved.reset_index(drop=True)
        waterfall = compute_waterfall(movement)
    figures["rank_change"] = rank_change(figures["rank"], since_rank)

    team_fig = team_figures(flags, riders, quotas, quarter, as_of)
    team_fig["readiness_index"] = team_readiness(figures["readiness_index"])
    return Summary(
        quarter,
        as_of,
        since,
        view,
        team_fig,
        figures,
        flags,
        movement,
        waterfall,
        by_rep,
        riders,
        quotas,
        then,
    )


def restrict(
    summary: Summary, team: str | None = None, scope: Sequence[str] | None = None
) -> Summary:
    """An all-teams summary narrowed to ``team`` (or the teams of ``scope``), with no store read.

    Equal to ``compute_summary`` run for that team or scope (a test compares them on every team
    of the fixtures): per-rep figures do not depend on who else is shown, so the narrowing keeps
    the view's riders and their deals, then recomputes what does depend on the set: rank (and
    rank change), the team's totals and readiness, the movement list and its waterfall. Owners
    off the roster are never in a narrowed view, as in ``_riders``.

    Raises:
        SummaryError: when ``team`` is outside ``scope``.
    """
    view = _scope(team, scope)
    if view is None:
        return summary
    if summary.scope is not None or summary.riders is None:
        raise ValueError("restrict needs an all-teams summary from compute_summary")
    riders = summary.riders[summary.riders["team"].isin(view)].reset_index(drop=True)
    keep = summary.reps.index.isin(riders["rep"])
    figures = summary.reps.loc[keep].copy()
    own = summary.flags["team"].isin(view).to_numpy()
    flags = summary.flags.loc[own].reset_index(drop=True)
    quotas = summary.quotas[summary.quotas["rep"].isin(riders["rep"])]
    figures["rank"] = rank_reps(figures)
    movement = waterfall = by_rep = then = None
    since_rank = None
    if summary.since is not None:
        then = summary.then.loc[summary.then.index.isin(riders["rep"])]
        since_rank = rank_reps(then)
        by_rep = summary.rep_waterfalls
        by_rep = by_rep[by_rep.index.isin(riders["rep"])]
        moved = summary.movement
        movement = moved[moved["team"].isin(view).to_numpy()].reset_index(drop=True)
        waterfall = compute_waterfall(movement)
    figures["rank_change"] = rank_change(figures["rank"], since_rank)
    team_fig = team_figures(flags, riders, quotas, summary.quarter, summary.as_of)
    team_fig["readiness_index"] = team_readiness(figures["readiness_index"])
    return Summary(
        summary.quarter,
        summary.as_of,
        summary.since,
        view,
        team_fig,
        figures,
        flags,
        movement,
        waterfall,
        by_rep,
        riders,
        quotas,
        then,
    )


def settings_key(config: Config) -> tuple:
    """The settings a summary's figures depend on, for a cache key (fiscal start month, stale
    days, readiness weights): a result computed under other settings is another entry."""
    return (
        config.fiscal_year_start_month,
        config.stale_days,
        tuple(sorted(config.readiness_weights.items())),
    )


def summary_for(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
) -> Summary:
    """``compute_summary``'s answer, narrowed from one all-teams summary cached per data version.

    Every view of every viewer on the same days shares that one computation (seconds at the full
    sizes of docs/architecture.md#sizes); narrowing it to a team or a manager's teams costs
    milliseconds (``restrict``). The all-teams summary is also kept in the store under the data
    version (``reads.kept``): the process that computes it first (warming when data lands,
    ``teamcar load``) saves every other process the computation. The result is shared: treat it
    as read-only.
    """
    from dashboard.reads import cache

    config = config or load_config()
    quarter, as_of, since = _days(quarter, as_of, since, config)
    _scope(team, scope)  # refuse a team outside the scope before any work
    settings = settings_key(config)
    args = (quarter.name, as_of.isoformat(), since.isoformat() if since else None, settings)
    everyone = cache.cached(
        "summary",
        engine,
        args,
        lambda: compute_summary(engine, quarter, as_of, since, config=config),
        keep=KEPT_TYPES,
    )
    return narrowed(everyone, team, scope)


# The last views ``narrowed`` answered, per all-teams summary: a Rider's first picture narrows
# the same summary to the rider's team four times (the rider, the focus badge, sitting in, the
# forecast) and each of its callbacks again, 35-40 ms each at 2,000 reps.
NARROWED_KEPT = 64
_narrowed: OrderedDict[tuple[int, tuple[str, ...]], tuple[weakref.ref, Summary]] = OrderedDict()
_narrowed_lock = threading.Lock()


def narrowed(
    everyone: Summary, team: str | None = None, scope: Sequence[str] | None = None
) -> Summary:
    """``restrict``, remembered for the last ``NARROWED_KEPT`` views of this process while
    ``everyone`` (a cached all-teams summary) lives: the same narrowed summary is shared, so treat
    it as read-only, as the all-teams one."""
    view = _scope(team, scope)
    if view is None:
        return everyone
    key = (id(everyone), tuple(view))
    with _narrowed_lock:
        hit = _narrowed.get(key)
        if hit is not None and hit[0]() is everyone:
            _narrowed.move_to_end(key)
            return hit[1]
    out = restrict(everyone, team, scope)
    with _narrowed_lock:
        for stale in [k for k, (ref, _) in _narrowed.items() if ref() is None]:
            del _narrowed[stale]  # the summary of an older data version is gone
        _narrowed[key] = (weakref.ref(everyone), out)
        _narrowed.move_to_end(key)
        while len(_narrowed) > NARROWED_KEPT:
            _narrowed.popitem(last=False)
    return out
