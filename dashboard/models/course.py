"""What the Course and Rider views draw, read through the metrics engine and cached by data version.

A thin adapter: every number comes from ``dashboard.models.standings.summary_for`` (one all-teams
``compute_summary`` per data version and days, narrowed to the viewer's teams); team figures per
team come from ``metrics.rep_figures`` run over teams (totals, never averaged ratios) and
``metrics.team_readiness``; push counts from ``queries.load_close_date_changes`` and
``metrics.push_counts``. This module only shapes those results into lanes and markers, pages them,
and caches them under the store's data version.

At full size (docs/architecture.md#sizes) the page never carries every deal: lanes come a page at a
time (or one lane per team, with deals grouped per week and kind), and push counts are read only for
the deals of the lanes on screen.

The finish line carries each lane's landing range (docs/metrics.md#landing-range): p10, p50, p90,
the mean and the chance to make quota of each rider from ``forecast_for`` under the view's team and
scope (one all-teams Monte Carlo per data version, narrowed), and of each team from the sum of its
riders' draws (never a sum of percentiles).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard.metrics import band, push_counts, rep_figures, team_readiness
from dashboard.metrics import forecast as fc
from dashboard.metrics.frames import DEAL_KEY
from dashboard.models.forecast import Forecast, ForecastError, forecast_for
from dashboard.models.kinds import aggregate_by_team, largest_amount
from dashboard.models.standings import summary_for
from dashboard.reads import cache, queries
from dashboard.reads.queries import Scope
from dashboard.urls import ViewState
from loaders.config import load_config
from loaders.fiscal import Quarter, parse_quarter

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

LANES_PER_PAGE = 30
MARKERS_PER_PAGE = 2_500  # busy riders (a hundred deals each) come fewer lanes to a page
MIN_LANES_PER_PAGE = 8
NO_TEAM = "No team"
# Rider and team status columns the map and the peloton read.
STATUS = (
    "attainment",
    "pace",
    "coverage",
    "readiness_index",
    "readiness_band",
    "won",
    "quota",
    "rank",
    "rank_change",
    "no_quota",
    "pace_gap",
    "open_pipeline",
)
DEAL_FIELDS = (
    "source",
    "deal_id",
    "deal_name",
    "account",
    "rep",
    "team",
    "amount",
    "stage",
    "forecast_category",
    "status",
    "probability",
    "close_date",
    "created_date",
    "last_activity_date",
    "next_step",
    "push_count",
    "past_due",
)
# Each lane's landing range at the finish (money; the chance a fraction), from the forecast.
LANDING = ("p10", "p50", "p90", "mean", "chance_of_quota")
MOVED = (
    "created",
    "pulled_in",
    "increased",
    "decreased",
    "won",
    "lost",
    "pushed_out",
    "removed",
    "won_new",
)


@dataclass
class CourseModel:
    """One view's numbers: the riders, their teams, the deals on the course, what moved."""

    quarter: Quarter
    as_of: dt.date
    since: dt.date | None
    pace: float
    team: dict  # the view's team figures (docs/metrics.md keys)
    lanes: pd.DataFrame  # one row per rider, in course order
    teams: pd.DataFrame  # one row per team (figures from team totals)
    deals: pd.DataFrame  # in-quarter deals (+ pushed out since), per rider
    moved: dict[str, int] = field(default_factory=dict)
    largest: float | None = None  # the marker scale shared by every page
    landing_method: str | None = None  # the forecast's method; None: no ranges drawn


@dataclass
class CoursePage:
    """One page of lanes, ready for the figure builders."""

    view: str  # "reps" or "teams"
    lanes: pd.DataFrame
    deals: pd.DataFrame
    teams: pd.DataFrame | None
    page: int
    pages: int
    total: int  # lanes matching (riders or teams)
    largest: float | None
    per_page: int = LANES_PER_PAGE


def _order_lanes(reps: pd.DataFrame) -> pd.DataFrame:
    """Riders grouped by team (teams by name, no team last), best placed first within each."""
    df = reps.copy()
    df["_no_team"] = df["team"].isna()
    df["_team"] = df["team"].astype("object").fillna("")
    df["_no_rank"] = df["rank"].isna()
    df["_rank"] = pd.to_numeric(df["rank"], errors="coerce").fillna(0)
    df = df.sort_values(["_no_team", "_team", "_no_rank", "_rank", "lane"], kind="stable")
    return df.drop(columns=["_no_team", "_team", "_no_rank", "_rank"]).reset_index(drop=True)


def _team_rows(summary, riders: pd.DataFrame) -> pd.DataFrame:
    """Each team's figures from its totals: ``rep_figures`` run with teams as the riders."""
    if riders.empty:
        return pd.DataFrame(columns=["team", "lane", *STATUS])
    team_of = riders.set_index("rep")["team"].astype("object").fillna(NO_TEAM)
    flags = summary.flags[summary.flags["rep"].isin(riders["rep"])]
    flags = flags.assign(rep=flags["rep"].map(team_of).to_numpy())
    names = sorted(team_of.unique(), key=lambda t: (t == NO_TEAM, t))
    quota = summary.reps["quota"].where(~summary.reps["no_quota"].astype(bool), 0.0)
    quotas = quota.groupby(team_of.reindex(summary.reps.index).to_numpy()).sum().reset_index()
    quotas.columns = ["rep", "quota"]
    out = rep_figures(
        flags, pd.DataFrame({"rep": names, "team": names}), quotas, summary.quarter, summary.as_of
    )
    # Each team's riders by position, found once (get_group per team took 0.7 s for 100 teams).
    index = summary.reps["readiness_index"]
    rows = index.groupby(team_of.reindex(summary.reps.index).to_numpy()).indices
    out["readiness_index"] = [
        team_readiness(index.iloc[rows[t]]) if t in rows else None for t in out.index
    ]
    out["readiness_band"] = [band(v) for v in out["readiness_index"]]
    out["rank"] = np.nan
    out["rank_change"] = np.nan
    out = out.reset_index().rename(columns={"rep": "lane"})
    out["team"] = out["lane"]
    out["kind"] = "team"
    return out


def _deals(summary, riders: pd.DataFrame) -> pd.DataFrame:
    """The deals on the course: in the quarter on ``as_of`` (open, won or lost), plus those pushed
    out of it since the comparison day, with where their close date was then."""
    f = summary.flags
    keep = f["in_quarter"].to_numpy(dtype=bool, copy=True)
    moved = summary.movement
    if moved is not None and not moved.empty:
        out_keys = moved.loc[moved["category"] == "pushed_out", DEAL_KEY]
        if len(out_keys):
            pushed = f[DEAL_KEY].merge(out_keys.assign(_out=True), on=DEAL_KEY, how="left")
            keep |= pushed["_out"].fillna(False).to_numpy(dtype=bool)
    deals = f.loc[keep & f["rep"].isin(riders["rep"]).to_numpy()]
    cols = [c for c in DEAL_FIELDS if c in deals.columns]
    deals = deals[cols].copy()
    deals["lane"] = deals["rep"]
    deals["team"] = deals["team"].astype("object").fillna(NO_TEAM)
    if moved is not None and not moved.empty:
        since = moved[[*DEAL_KEY, "close_date_since"]]
        deals = deals.merge(since, on=DEAL_KEY, how="left")
    else:
        deals["close_date_since"] = pd.NaT
    deals["close_date_since"] = pd.to_datetime(deals["close_date_since"]).astype("datetime64[ns]")
    return deals.reset_index(drop=True)


def _no_landing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{k: np.nan for k in LANDING})


def _team_group(landing: fc.Landing, team: str) -> list:
    """The landing's group keys of a team's lane (riders without a team are one group)."""
    if team != NO_TEAM:
        return [team]
    return [g for g in landing.draws if g is None or (isinstance(g, float) and math.isnan(g))]


def with_landing(
    lanes: pd.DataFrame, teams: pd.DataFrame, forecast: Forecast | None
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """``lanes`` and ``teams`` with ``LANDING`` columns, and the forecast's method.

    A rider's range is the forecast's for that rep; a team's is drawn from the sum of its riders'
    draws (``Landing.group_stats``) with the team's quota, as ``forecast_for`` for that team gives
    it. An ended quarter lands on what was won: no range is drawn (the columns are empty).
    """
    if forecast is None or forecast.landing is None or forecast.method == fc.ENDED:
        method = forecast.method if forecast is not None else None
        return _no_landing(lanes), _no_landing(teams), method
    reps = forecast.reps.reindex(lanes["lane"].astype("object"))
    lanes = lanes.assign(**{k: reps[k].astype("float64").to_numpy() for k in LANDING})
    mean = lanes.groupby("team", sort=False)["mean"].sum(min_count=1)
    rows = []
    for team, quota in zip(teams["lane"], teams["quota"], strict=True):
        stats = forecast.landing.group_stats(_team_group(forecast.landing, team), quota)
        rows.append({**stats, "mean": mean.get(team, np.nan)})
    extra = pd.DataFrame(rows, columns=list(LANDING), index=teams.index, dtype="float64")
    return lanes, teams.assign(**{k: extra[k] for k in LANDING}), forecast.method


def _forecast(engine: Engine, summary, state: ViewState, scope) -> Forecast | None:
    """The view's forecast (cached per data version), or None when it cannot be made."""
    try:
        return forecast_for(engine, summary.quarter, summary.as_of, state.team, scope=scope)
    except ForecastError as exc:  # the course still draws; its ranges are left out
        log.warning("no landing ranges on the course: %s", exc)
        return None


def build_model(engine: Engine, state: ViewState, scope: list[str] | None) -> CourseModel:
    """Compute the view's model (uncached; see ``course_model``)."""
    quarter = parse_quarter(state.quarter)
    summary = summary_for(
        engine, quarter, state.as_of_day, state.since_day, state.team, scope=scope
    )
    reps = summary.reps.reset_index()
    riders = reps[["rep", "team"]]
    lanes = reps.rename(columns={"rep": "lane"})
    lanes["team"] = lanes["team"].astype("object").where(lanes["team"].notna(), None)
    keep = ["lane", "team", *[c for c in STATUS if c in lanes.columns]]
    lanes = _order_lanes(lanes[keep])
    lanes["team"] = lanes["team"].astype("object").fillna(NO_TEAM)
    teams = _team_rows(summary, riders)
    lanes, teams, method = with_landing(lanes, teams, _forecast(engine, summary, state, scope))
    deals = _deals(summary, riders)
    moved: dict[str, int] = {}
    if summary.movement is not None:
        counts = summary.movement["category"].value_counts()
        moved = {k: int(counts.get(k, 0)) for k in MOVED}
    pace = float(summary.team.get("pace") or 0.0)
    return CourseModel(
        quarter,
        summary.as_of,
        summary.since,
        pace,
        dict(summary.team),
        lanes,
        teams,
        deals,
        moved,
        largest_amount(deals["amount"]),
        method,
    )


# What a course model kept in the store may hold (``dashboard.reads.kept``).
KEPT_TYPES = (CourseModel, Quarter)


def course_model(engine: Engine, state: ViewState, scope: list[str] | None) -> CourseModel:
    """The view's model, cached under the store's data version (read-only: copy to change).

    The all-teams model (no team, no scope: the view everyone lands on and ``warm`` prepares) is
    also kept in the store per data version: a new worker reads it (8 MB at full size) instead of
    unpacking the summary and the forecast and shaping them again. A narrower view is never read
    from it: it is built from the all-teams summary narrowed on the server (``summary_for``).
    """
    config = load_config()
    args = (
        state.quarter,
        state.as_of,
        state.since,
        state.team,
        tuple(scope) if scope is not None else None,
        config.fiscal_year_start_month,
        config.stale_days,
        tuple(sorted(config.readiness_weights.items())),
    )
    everyone = state.team is None and scope is None
    return cache.cached(
        "course-model",
        engine,
        args,
        lambda: build_model(engine, state, scope),
        keep=KEPT_TYPES if everyone else None,
    )


def lane_view(model: CourseModel, state: ViewState) -> str:
    """``teams`` when the riders would not fit one page and nobody is searched for, else ``reps``."""
    if state.q:
        return "reps"
    if state.lanes in ("reps", "teams"):
        return state.lanes
    return (
        "teams"
        if len(model.lanes) > LANES_PER_PAGE and model.teams["lane"].nunique() > 1
        else "reps"
    )


def search_lanes(lanes: pd.DataFrame, text: str) -> pd.DataFrame:
    """Riders whose name (or team) contains ``text``, case and accents aside."""
    if not text:
        return lanes
    needle = text.casefold()
    hay = (
        lanes["lane"].astype("object").fillna("").astype(str)
        + " · "
        + lanes["team"].astype("object").fillna("").astype(str)
    ).str.casefold()
    return lanes[hay.str.contains(needle, regex=False).to_numpy()]


def lanes_per_page(model: CourseModel) -> int:
    """Rider lanes on a page: 30, fewer when riders carry so many deals that a page of them would
    send more than ``MARKERS_PER_PAGE`` markers."""
    per_rider = len(model.deals) / max(1, len(model.lanes))
    if per_rider <= 0:
        return LANES_PER_PAGE
    return int(min(LANES_PER_PAGE, max(MIN_LANES_PER_PAGE, MARKERS_PER_PAGE // per_rider)))


def course_page(
    engine: Engine,
    model: CourseModel,
    state: ViewState,
    scope: list[str] | None,
    per_page: int | None = None,
) -> CoursePage:
    """The lanes of the page asked for, and their markers (with push counts)."""
    view = lane_view(model, state)
    if per_page is None:
        per_page = LANES_PER_PAGE if view == "teams" else lanes_per_page(model)
    lanes = model.teams if view == "teams" else search_lanes(model.lanes, state.q)
    total = len(lanes)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, state.page), pages)
    shown = lanes.iloc[(page - 1) * per_page : page * per_page].reset_index(drop=True)
    if view == "teams":
        deals = model.deals[model.deals["team"].isin(shown["lane"])]
        grouped = aggregate_by_team(deals, model.quarter.start)
        return CoursePage(
            view,
            shown,
            grouped,
            None,
            page,
            pages,
            total,
            largest_amount(grouped["amount"]) if len(grouped) else None,
            per_page,
        )
    deals = model.deals[model.deals["lane"].isin(shown["lane"])].copy()
    deals = with_push_counts(engine, deals, model, state, scope)
    teams = model.teams[model.teams["lane"].isin(shown["team"])]
    return CoursePage(view, shown, deals, teams, page, pages, total, model.largest, per_page)


def with_push_counts(
    engine: Engine,
    deals: pd.DataFrame,
    model: CourseModel,
    state: ViewState,
    scope: list[str] | None,
) -> pd.DataFrame:
    """``deals`` with ``push_count`` from snapshots and field history (docs/metrics.md)."""
    if deals.empty:
        return deals.assign(push_count=pd.Series(dtype="Int64"))
    ids = sorted(deals["deal_id"].astype(str).unique())
    view = [state.team] if state.team else scope

    def compute() -> pd.DataFrame:
        snaps, history = queries.load_close_date_changes(
            engine, view, model.as_of, deal_ids=ids, team_day=model.as_of
        )
        exported = deals[[*DEAL_KEY, "push_count"]] if "push_count" in deals else None
        return push_counts(snaps, history, model.as_of, exported)

    key = (state.quarter, state.as_of, state.team, tuple(scope) if scope else None, tuple(ids))
    counts = cache.cached("course-pushes", engine, key, compute)
    out = deals.drop(columns=["push_count"], errors="ignore").merge(
        counts[[*DEAL_KEY, "push_count"]], on=DEAL_KEY, how="left"
    )
    return out


def deal_record(model: CourseModel, source: str, deal_id: str) -> dict | None:
    """One deal of the model as a dict (None when it is not on this course for this viewer)."""
    d = model.deals
    hit = d[(d["source"].astype(str) == str(source)) & (d["deal_id"].astype(str) == str(deal_id))]
    if hit.empty:
        return None
    return hit.iloc[0].to_dict()


def deal_trail(
    engine: Engine,
    source: str,
    deal_id: str,
    as_of: dt.date,
    quarter: Quarter,
    *,
    scope: Scope,
) -> pd.DataFrame:
    """The deal in each snapshot from a week before the quarter up to ``as_of`` (oldest first),
    for its details.

    Called for a deal already in the viewer's (scoped) model; ``scope`` checks it again in SQL.
    """
    start = quarter.start - dt.timedelta(days=7)
    return queries.load_deal_trail(engine, scope, source, deal_id, start, as_of)


def rider_lane(model: CourseModel, rep: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One rider's lane and deals (empty frames when the rider is not in the view)."""
    lane = model.lanes[model.lanes["lane"].astype("object") == rep]
    deals = model.deals[model.deals["lane"].astype("object") == rep]
    return lane.reset_index(drop=True), deals.reset_index(drop=True)
