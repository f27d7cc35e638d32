"""The season view model (docs/metrics.md#the-season): a fiscal year as four stages.

``season_model`` builds, for a year, an as-of day and a scope: the stage results and the general
classification (with its movement since a comparison day), the team's year against quota and
pace, pipeline generated per week against what next quarter needs, readiness at each quarter end
and on as_of, the stage flow's entries, ramp curves and the riders sitting in. The current
quarter's state (its riders, its deals with reps attached, readiness) is the standings' summary
(``summary_for``), so the season agrees with the Course to the cent; the rest comes from
``dashboard.reads.season``. The model is cached per data version (``reads.cache``).

``season_trace`` lists the rows behind each figure, computed the way the figure was.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.metrics import season as ms
from dashboard.metrics.frames import cents, ts
from dashboard.metrics.state import attach_reps, stage_status_map
from dashboard.models.standings import SummaryError, settings_key, summary_for
from dashboard.models.trace import Trace
from dashboard.reads import queries
from dashboard.reads import season as rs
from dashboard.reads import stage_changes as sc
from loaders import clock
from loaders.config import Config, load_config
from loaders.fiscal import Quarter, make_quarter, quarter_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

WINDOWS = {"ytd": "Year to date", "quarter": "This quarter", "4w": "Last 4 weeks"}
MAX_YEAR_BACK = 30


@dataclass(frozen=True)
class SeasonDays:
    """The year and days a season view is measured on."""

    year: int
    as_of: dt.date
    since: dt.date


def resolve_days(
    year: object = None,
    as_of: object = None,
    since: object = None,
    quarter: object = None,
    *,
    start_month: int = 1,
    today: dt.date | None = None,
) -> SeasonDays:
    """The year, as-of day and comparison day a URL asks for, defaults filled in.

    ``year`` wins, else the fiscal year of ``as_of``, else of ``quarter`` (the shell's picker),
    else of today. ``as_of`` defaults to today, and is held inside the year. ``since`` defaults
    to the end of the previous stage (a week before in the first stage) and is before ``as_of``.
    Bad values fall back to the defaults: a mistyped link still opens a picture.
    """
    from dashboard import urls

    today = today or clock.today()
    day = urls.parse_day(as_of)
    fy = None
    try:
        text = str(year or "").strip()
        fy = int(text) if text and len(text) <= 4 else None
    except ValueError:
        fy = None
    if fy is None and day is not None:
        fy = quarter_of(day, start_month).fiscal_year
    if fy is None and quarter:
        try:
            fy = urls.read_quarter(str(quarter), start_month).fiscal_year
        except urls.PeriodError:
            fy = None
    if fy is None or not urls.EARLIEST_YEAR < fy < urls.LATEST_YEAR:
        fy = quarter_of(today, start_month).fiscal_year
    first, last = make_quarter(fy, 1, start_month).start, make_quarter(fy, 4, start_month).end
    day = day or today
    day = min(max(day, first), last)
    then = urls.parse_day(since)
    if then is None or then >= day:
        q = quarter_of(day, start_month)
        then = q.start - dt.timedelta(days=1) if q.number > 1 else day - dt.timedelta(days=7)
    return SeasonDays(fy, day, then)


def flow_window(window: str, quarters: Sequence[Quarter], as_of: dt.date) -> dt.date:
    """The first day of the stage flow's window (``WINDOWS``)."""
    if window == "quarter":
        return quarter_of(as_of, quarters[0].start_month).start
    if window == "4w":
        return as_of - dt.timedelta(days=ms.SITTING_IN_DAYS - 1)
    return quarters[0].start


@dataclass
class SeasonModel:
    """Everything the season page shows, and the frames it came from (read-only once cached)."""

    year: int
    quarters: list[Quarter]
    as_of: dt.date
    since: dt.date
    scope: list[str] | None
    team: str | None
    riders: pd.DataFrame  # rep, team, start_date
    stages: pd.DataFrame  # per rep and quarter (ms.stage_results)
    gc: pd.DataFrame  # index rep: the general classification and each rider's flags
    team_year: dict
    generated: pd.DataFrame  # per rep and week
    weeks: pd.DataFrame  # the riders' total per week: week, week_start, amount, deals
    next_team: dict  # next quarter: open_next, quota_next, coverage, quarter, need_per_week
    readiness: pd.DataFrame  # label, day, rep, readiness_index (each quarter end and as_of)
    team_readiness: pd.DataFrame  # label, day, readiness_index
    deals: pd.DataFrame  # the current quarter's deals on as_of with reps (won rows)
    year_deals: pd.DataFrame  # the as_of snapshot's deals with reps and created dates
    classified: pd.DataFrame  # stage entries with where each went (ms.classify_entries) + rep
    order: dict = field(default_factory=dict)
    ramp_curves: pd.DataFrame | None = None
    ramp_median: pd.DataFrame | None = None
    history_sources: tuple[str, ...] = ()
    sitting: SittingIn | None = None  # the rows behind sitting in's two numbers

    @property
    def current(self) -> Quarter:
        return quarter_of(self.as_of, self.quarters[0].start_month)

    @property
    def next_quarter(self) -> Quarter:
        return self.current.next()

    def flow(self, window: str = "ytd", reps: Sequence[str] | None = None) -> pd.DataFrame:
        """The stage flow over ``window`` for ``reps`` (None: every rider shown)."""
        start = flow_window(window, self.quarters, self.as_of)
        reps = self.riders["rep"].tolist() if reps is None else list(reps)
        return ms.stage_flow(self.classified, self.order, start, self.as_of, reps)


def _stage_entries(
    engine: Engine,
    view: Sequence[str] | None,
    as_of: dt.date,
    since: dt.date | None = None,
    deals: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """Stage entries with where each went (``ms.classify_entries``), the stage order and the
    sources read from field history: field history where a source has stage changes, else its
    snapshots. With ``since``, only what the stage moves from that day on need (each with the
    stage it left): the deals whose stage changed since then, the snapshots from the last one
    before it. The catalog and, with ``deals`` (``source, deal_id``: the as-of snapshot's deals
    in the view, as ``rs.load_year_deals`` reads them) or for all teams, the snapshots' stage
    changes come from the frames kept per snapshot batch (``reads.stage_changes``: the same
    rows, without scanning every snapshot again)."""
    catalog = sc.stage_catalog(engine, as_of, since)
    known = stage_status_map(catalog.assign(status=catalog["status"]))
    # One pipeline after another (each source's stages in its own order), not interleaved.
    order = ms.stage_order(
        catalog.sort_values(["source", "stage_order", "stage"], na_position="last").assign(
            stage_order=None
        )
    )
    hist_sources = sorted(rs.history_stage_sources(engine))
    parts = []
    if hist_sources:
        changes = rs.load_stage_history(engine, view, as_of, hist_sources, active_since=since)
        parts.append(ms.entries_from_history(changes, known))
    if deals is not None or view is None:
        rows = sc.snapshot_stage_changes(
            engine, as_of, deals, skip_sources=hist_sources, since=since
        )
    else:
        rows = rs.load_snapshot_stage_changes(
            engine, view, as_of, skip_sources=hist_sources, since=since
        )
    parts.append(ms.entries_from_snapshots(rows))
    entries = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[-1]
    )
    for stage in entries["stage"].dropna().unique():
        order.setdefault(stage, max(order.values(), default=0.0) + 1.0)
    classified = ms.classify_entries(
        entries.sort_values(["source", "deal_id", "entered", "seq"], kind="stable"), order, as_of
    )
    return classified, order, hist_sources


# --- sitting in: one all-teams table, narrowed per view ---------------------------------------


@dataclass
class SittingIn:
    """§11 sitting in for every rider on one day, and the rows behind its two numbers."""

    as_of: dt.date
    table: pd.DataFrame  # index rep: ms.sitting_in's columns
    created: pd.DataFrame  # the deals created in the last 4 weeks (ms.generated_rows), with rep
    advances: pd.DataFrame  # the stage advances in the last 4 weeks (ms.advance_rows), with rep

    def narrowed(self, reps: Sequence[str]) -> SittingIn:
        """The same table for ``reps`` only (team medians stay the whole team's)."""
        keep = list(dict.fromkeys(r for r in reps if r in self.table.index))
        return SittingIn(
            self.as_of,
            self.table.loc[keep],
            self.created[self.created["rep"].isin(keep).to_numpy()],
            self.advances[self.advances["rep"].isin(keep).to_numpy()],
        )

    def row(self, rep: str) -> dict | None:
        """One rider's sitting-in row as a dict (None when the rider is not in the table)."""
        if rep not in self.table.index:
            return None
        return {"rep": rep, **self.table.loc[rep].to_dict()}


def build_sitting_in(engine: Engine, quarter: Quarter, as_of: dt.date) -> SittingIn:
    """Sitting in for every rider of every team (uncached; see ``sitting_table``).

    Reads only what the last 4 weeks need: the as-of deals created in them (or with no created
    date), the stage moves in them with the stage each left, and the as-of owners; the riders
    are the all-teams summary's (the one the Course is drawn from).
    """
    summary = summary_for(engine, quarter, as_of)
    riders = summary.riders[summary.riders["rep"].isin(summary.reps.index)][["rep", "team"]]
    reps = riders["rep"].tolist()
    lo = as_of - dt.timedelta(days=ms.SITTING_IN_DAYS - 1)
    reps_frame, aliases = queries.load_reps(engine, None, as_of)
    deals = attach_reps(
        rs.load_year_deals(engine, None, as_of, created_since=lo), aliases, reps_frame
    )
    classified, _order, _sources = _stage_entries(engine, None, as_of, since=lo)
    moves = ms.advance_rows(classified, as_of)
    owners = attach_reps(rs.load_deal_owners(engine, None, as_of), aliases, reps_frame)
    owners = owners[["source", "deal_id", "rep", "team"]].drop_duplicates(["source", "deal_id"])
    moves = moves.merge(owners, on=["source", "deal_id"], how="left")
    table = ms.sitting_in(deals, moves, riders.reset_index(drop=True), as_of)
    return SittingIn(
        as_of,
        table,
        ms.generated_rows(deals, lo, as_of, reps).reset_index(drop=True),
        ms.advance_rows(moves, as_of, reps).reset_index(drop=True),
    )


def sitting_table(engine: Engine, quarter: Quarter, as_of: dt.date) -> SittingIn:
    """``build_sitting_in`` cached under the store's data version (read-only); all teams, so it
    is kept in the store too (``reads.kept``): a new worker reads it instead of building it."""
    from dashboard.reads import cache

    return cache.cached(
        "season-sitting",
        engine,
        (quarter.name, quarter.start_month, as_of.isoformat()),
        lambda: build_sitting_in(engine, quarter, as_of),
        keep=(SittingIn,),
    )


def sitting_for(
    engine: Engine,
    quarter: Quarter,
    as_of: dt.date,
    team: str | None,
    scope: Sequence[str] | None,
) -> SittingIn:
    """Sitting in for the riders of a view (``team`` or the viewer's teams), narrowed from the
    all-teams table with no further store read."""
    summary = summary_for(engine, quarter, as_of, None, team, scope=scope)
    return sitting_table(engine, quarter, as_of).narrowed(summary.reps.index.tolist())


def with_sitting(lanes: pd.DataFrame, sitting: SittingIn, key: str = "lane") -> pd.DataFrame:
    """``lanes`` (one row per rider under ``key``) with ``sitting_in`` and its two numbers
    (``sit_created``, ``sit_advances``) against the team medians (``sit_created_median``,
    ``sit_advances_median``); rows that are no rider, such as team lanes, get nothing."""
    t = sitting.table
    names = lanes[key].astype("object")
    return lanes.assign(
        sitting_in=names.map(t["sitting_in"])
        .astype("boolean")
        .fillna(False)
        .astype(bool)
        .to_numpy(),
        sit_created=names.map(t["created"]).astype("float64").to_numpy(),
        sit_advances=names.map(t["advances"]).astype("float64").to_numpy(),
        sit_created_median=names.map(t["team_created_median"]).astype("float64").to_numpy(),
        sit_advances_median=names.map(t["team_advances_median"]).astype("float64").to_numpy(),
    )


# What an all-teams season kept in the store may hold (``dashboard.reads.kept``).
KEPT_TYPES = (SeasonModel, SittingIn, Quarter)


def _team_readiness(values: pd.Series) -> float | None:
    v = values.dropna()
    return float(v.mean()) if len(v) else None


def build_season(
    engine: Engine,
    year: int,
    as_of: dt.date,
    since: dt.date,
    team: str | None,
    scope: Sequence[str] | None,
    config: Config | None = None,
) -> SeasonModel:
    """Compute the season (uncached; ``season_model`` caches it).

    Raises:
        SummaryError: for a team outside the viewer's scope.
    """
    config = config or load_config()
    sm = config.fiscal_year_start_month
    quarters = [make_quarter(year, n, sm) for n in (1, 2, 3, 4)]
    current = quarter_of(as_of, sm)
    summary = summary_for(engine, current, as_of, None, team, scope=scope, config=config)
    view = summary.scope
    riders = summary.riders[summary.riders["rep"].isin(summary.reps.index)].reset_index(drop=True)
    riders = riders[["rep", "team", "start_date"]]
    deals = summary.flags

    names = [q.name for q in quarters]
    nxt = current.next()
    quotas = rs.load_year_quotas(engine, view, [*names, nxt.name], as_of)
    year_quotas = quotas[quotas["quarter"].isin(names)]
    stages = ms.stage_results(deals, year_quotas, riders, quarters, as_of)
    gc = ms.general_classification(stages, quarters, as_of)

    then_summary = summary_for(
        engine, quarter_of(since, sm), since, None, team, scope=scope, config=config
    )
    then_stages = ms.stage_results(then_summary.flags, year_quotas, riders, quarters, since)
    then = ms.general_classification(then_stages, quarters, since)
    # A rider who had not started by then was not in the race: no place to compare with.
    started = riders.set_index("rep")["start_date"].reindex(then.index)
    then.loc[(started > ts(since)).fillna(False).to_numpy(), "rank"] = pd.NA
    gc["rank_change"] = ms.gc_rank_change(gc, then)
    gc["rank_since"] = then["rank"].reindex(gc.index)

    reps_frame, aliases = queries.load_reps(engine, view, as_of)
    in_scope = rs.load_year_deals(engine, view, as_of)
    year_deals = attach_reps(in_scope, aliases, reps_frame)
    generated = ms.pipeline_generated(year_deals, riders, quarters[0].start, as_of)
    weeks = (
        generated.groupby(["week", "week_start"], as_index=False)[["amount_cents", "deals"]]
        .sum()
        .assign(amount=lambda d: d["amount_cents"] / 100)
    )
    next_quotas = quotas[quotas["quarter"] == nxt.name][["rep", "quota"]]
    per_next, next_team = ms.next_quarter_coverage(year_deals, riders, next_quotas, nxt)
    # What next quarter needs (§5's what must be true, for a quarter not begun): the pipeline
    # that wins its quota at the team's win rate, less what is already open for it.
    win_rate = summary.team.get("win_rate")
    weeks_left = max(1, math.ceil((nxt.start - as_of).days / 7))
    need = None
    if win_rate and next_team["quota_next"] > 0:
        need = max(0.0, next_team["quota_next"] / win_rate - next_team["open_next"])
    next_team["win_rate"] = win_rate
    next_team["weeks_left"] = weeks_left
    next_team["needed"] = need
    next_team["need_per_week"] = None if need is None else need / weeks_left

    classified, order, hist_sources = _stage_entries(
        engine, view, as_of, deals=in_scope[["source", "deal_id"]]
    )
    owners = year_deals[["source", "deal_id", "rep", "team"]].drop_duplicates(["source", "deal_id"])
    classified = classified.merge(owners, on=["source", "deal_id"], how="left")

    # Sitting in: the all-teams table the Course and the Rider show too, narrowed to the riders.
    sitting_in = sitting_table(engine, current, as_of).narrowed(riders["rep"].tolist())
    sitting = sitting_in.table
    curves, median, ramp_reps = ms.ramp(stages, riders, quarters, as_of)

    # Readiness at each ended quarter end of the year, and on as_of (§5's index, via standings).
    points = [(f"Q{q.number} end", q.end, q) for q in quarters if q.end < as_of]
    points.append((f"{as_of:%d %b}", as_of, current))
    ready_parts, team_ready = [], []
    for label, day, q in points:
        s = summary if day == as_of else summary_for(engine, q, day, None, team, scope=scope)
        r = s.reps[["readiness_index"]].reindex(riders["rep"])
        ready_parts.append(r.reset_index().assign(label=label, day=pd.Timestamp(day)))
        team_ready.append(
            {
                "label": label,
                "day": pd.Timestamp(day),
                "readiness_index": _team_readiness(r["readiness_index"]),
            }
        )
    readiness = pd.concat(ready_parts, ignore_index=True)
    readiness.columns = ["rep", "readiness_index", "label", "day"]

    gc = gc.join(summary.reps[["readiness_index", "readiness_band"]].reindex(gc.index)).join(
        per_next[["open_next", "quota_next", "coverage"]]
    )
    gc = gc.join(
        sitting[
            ["created", "advances", "team_created_median", "team_advances_median", "sitting_in"]
        ]
    ).join(ramp_reps[["start_date", "tenure_now", "ramping"]])
    stage_att = stages.pivot(index="rep", columns="quarter", values="attainment")
    stage_won = stages.pivot(index="rep", columns="quarter", values="won")
    for q in quarters:
        gc[f"att_{q.number}"] = stage_att.get(q.name, pd.Series(dtype="float64")).reindex(gc.index)
        gc[f"won_{q.number}"] = stage_won.get(q.name, pd.Series(dtype="float64")).reindex(gc.index)
    gc = gc.sort_values(["rank", "ytd_won"], ascending=[True, False], na_position="last")

    return SeasonModel(
        year=year,
        quarters=quarters,
        as_of=as_of,
        since=since,
        scope=view,
        team=team,
        riders=riders,
        stages=stages,
        gc=gc,
        team_year=ms.team_year(stages, quarters, as_of),
        generated=generated,
        weeks=weeks,
        next_team=next_team,
        readiness=readiness,
        team_readiness=pd.DataFrame(team_ready),
        deals=deals,
        year_deals=year_deals,
        classified=classified,
        order=order,
        ramp_curves=curves,
        ramp_median=median,
        history_sources=tuple(hist_sources),
        sitting=sitting_in,
    )


def season_model(
    engine: Engine,
    year: int,
    as_of: dt.date,
    since: dt.date,
    team: str | None = None,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
) -> SeasonModel:
    """``build_season``'s answer, cached per data version (read-only).

    The all-teams season (no team, no scope) is also kept in the store per data version
    (``reads.kept``; prepared by ``prepare`` when data lands), so a new process reads it instead
    of building it. A view of some teams is built for them, from the reads kept all-teams and
    narrowed on the server (the summaries, the stage changes and catalog per snapshot batch).

    Raises:
        SummaryError: for a team outside the viewer's scope.
    """
    from dashboard.reads import cache

    config = config or load_config()
    if team is not None and scope is not None and team not in scope:
        raise SummaryError(f"team {team!r} is not among the teams you may see")
    settings = settings_key(config)
    key = (
        year,
        as_of.isoformat(),
        since.isoformat(),
        team,
        None if scope is None else tuple(sorted(scope)),
        settings,
    )
    return cache.cached(
        "season",
        engine,
        key,
        lambda: build_season(engine, year, as_of, since, team, scope, config),
        keep=KEPT_TYPES if team is None and scope is None else None,
    )


def prepare(engine: Engine, config: Config | None = None) -> SeasonModel:
    """The all-teams season on the page's default days (this year, as of today, since the end
    of the previous stage) for the store's current data, computed and kept in the store with the
    reads under it (``teamcar load`` and ``teamcar watch`` through ``warm.keep``, a server's
    warming thread through ``warm.warm``)."""
    config = config or load_config()
    days = resolve_days(start_month=config.fiscal_year_start_month)
    return season_model(engine, days.year, days.as_of, days.since, None, None, config)


# --- the rows behind each figure ---------------------------------------------------------------


def _reps(model: SeasonModel, rep: str | None) -> list[str]:
    return [rep] if rep else model.riders["rep"].tolist()


def _money(rows: pd.DataFrame) -> float:
    return int(cents(rows["amount"]).sum()) / 100


def season_trace(
    model: SeasonModel, key: str, rep: str | None = None, window: str = "ytd"
) -> Trace:
    """The rows behind a season figure, and what they add up to.

    Keys: ``ytd_won``; ``stage:<quarter>`` (won in that stage); ``week:<n>`` (pipeline created
    that week); ``next_open`` (open pipeline closing next quarter); ``flow:<stage>`` or
    ``flow:<stage>:<outcome>`` (stage entries in the window); ``created_4w`` and ``advances_4w``
    (the two numbers of sitting in). ``rep`` narrows to one rider.

    Raises:
        KeyError: for a key the season does not know.
    """
    reps = _reps(model, rep)
    who = rep or "the riders shown"
    if key == "ytd_won":
        rows = ms.won_rows(model.deals, model.quarters, model.as_of, reps)
        return Trace(key, f"Won this year · {who}", "deals", rows, _money(rows), len(rows))
    if key.startswith("stage:"):
        name = key.split(":", 1)[1]
        q = next((q for q in model.quarters if q.name == name), None)
        if q is None:
            raise KeyError(key)
        rows = ms.won_rows(model.deals, [q], model.as_of, reps)
        return Trace(key, f"Won in {name} · {who}", "deals", rows, _money(rows), len(rows))
    if key.startswith("week:"):
        n = int(key.split(":", 1)[1])
        start = model.quarters[0].start + dt.timedelta(days=7 * (n - 1))
        end = min(start + dt.timedelta(days=6), model.as_of)
        rows = ms.generated_rows(model.year_deals, start, end, reps)
        title = f"Pipeline created {start:%d %b} – {end:%d %b} · {who}"
        return Trace(key, title, "deals", rows, _money(rows), len(rows))
    if key == "next_open":
        d = model.year_deals
        mask = ms.coverage_mask(d, model.next_quarter) & d["rep"].isin(reps).to_numpy()
        rows = d[mask].sort_values("amount", ascending=False, kind="stable")
        title = f"Open pipeline closing {model.next_quarter.name} · {who}"
        return Trace(key, title, "deals", rows, _money(rows), len(rows))
    if key.startswith("flow:"):
        parts = key.split(":")
        stage = parts[1]
        outcome = parts[2] if len(parts) > 2 and parts[2] else None
        start = flow_window(window, model.quarters, model.as_of)
        rows = ms.flow_rows(model.classified, stage, outcome, start, model.as_of, reps)
        title = f"Entered {stage}" + (f" · {outcome.replace('_', ' ')}" if outcome else "")
        return Trace(key, f"{title} · {who}", "entries", rows, None, len(rows))
    if key == "created_4w":
        made = model.sitting.created
        rows = made[made["rep"].isin(reps).to_numpy()]
        return Trace(
            key, f"Created in the last 4 weeks · {who}", "deals", rows, _money(rows), len(rows)
        )
    if key == "advances_4w":
        moves = model.sitting.advances
        rows = moves[moves["rep"].isin(reps).to_numpy()]
        return Trace(
            key, f"Stage advances in the last 4 weeks · {who}", "entries", rows, None, len(rows)
        )
    raise KeyError(f"no season figure called {key!r}")


# --- paging and search, as the Course does ------------------------------------------------------

PAGE_SIZE = 50


def search_riders(gc: pd.DataFrame, text: str) -> pd.DataFrame:
    """Riders whose name or team holds ``text`` (case-insensitive); all when ``text`` is empty."""
    text = (text or "").strip().casefold()
    if not text:
        return gc
    names = pd.Series(gc.index, index=gc.index).astype(str).str.casefold()
    teams = gc["team"].astype("object").fillna("").astype(str).str.casefold()
    return gc[(names.str.contains(text, regex=False) | teams.str.contains(text, regex=False))]


def gc_page(model: SeasonModel, page: int, text: str = "") -> tuple[pd.DataFrame, int, int]:
    """One page of the general classification: (rows, page shown, pages)."""
    found = search_riders(model.gc, text)
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    page = min(max(1, page), pages)
    return found.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages


def team_overview(model: SeasonModel) -> pd.DataFrame:
    """Per team: riders, won and quota to date, attainment from the team's totals, sitting in."""
    gc = model.gc
    if gc.empty:
        return pd.DataFrame(columns=["team", "riders", "ytd_won", "ytd_quota", "attainment"])
    key = gc["team"].astype("object").fillna("(no team)")
    g = gc.groupby(key.to_numpy())
    out = pd.DataFrame(
        {
            "riders": g.size(),
            "ytd_won": g["ytd_won"].sum(),
            "ytd_quota": g["ytd_quota"].sum(),
            "sitting_in": g["sitting_in"].sum().astype("int64"),
            "ramping": g["ramping"].sum().astype("int64"),
        }
    )
    out["attainment"] = (out["ytd_won"] / out["ytd_quota"]).where(out["ytd_quota"] > 0)
    out.index.name = "team"
    return out.reset_index().sort_values("attainment", ascending=False, na_position="last")


def export_table(model: SeasonModel) -> pd.DataFrame:
    """The general classification as a spreadsheet table (one row per rider)."""
    gc = model.gc
    out = pd.DataFrame(
        {
            "Rank": gc["rank"],
            "Rep": gc.index,
            "Team": gc["team"],
            "Won YTD": gc["ytd_won"],
            "Quota YTD": gc["ytd_quota"],
            "Attainment YTD": gc["attainment"],
            "Pace YTD": gc["pace"],
            "Places gained": gc["rank_change"],
        }
    )
    for q in model.quarters:
        out[f"{q.name} attainment"] = gc[f"att_{q.number}"]
    out[f"Open {model.next_quarter.name}"] = gc["open_next"]
    out[f"Coverage {model.next_quarter.name}"] = gc["coverage"]
    out["Readiness"] = gc["readiness_index"]
    out["Created last 4 weeks"] = gc["created"]
    out["Stage advances last 4 weeks"] = gc["advances"]
    out["Sitting in"] = gc["sitting_in"]
    out["Quarter of tenure"] = gc["tenure_now"]
    out["Ramping"] = gc["ramping"]
    return out.reset_index(drop=True)


__all__ = [
    "PAGE_SIZE",
    "WINDOWS",
    "SeasonDays",
    "SeasonModel",
    "SittingIn",
    "build_season",
    "build_sitting_in",
    "export_table",
    "flow_window",
    "gc_page",
    "prepare",
    "resolve_days",
    "search_riders",
    "season_model",
    "season_trace",
    "sitting_for",
    "sitting_table",
    "team_overview",
    "with_sitting",
]
