"""Where the quarter will land (docs/metrics.md#forecast): the trend, the landing range with its
math, the people tree of calls, the backtest and call accuracy, for a quarter, a day and a scope.

Reads the store only through ``dashboard.reads`` and computes with
``dashboard.metrics.forecast``. Everything as of a day uses only snapshots on or before it (field
history rebuilds a day's state as the summary does) and the outcomes of quarters that ended on or
before it. ``forecast_for``, ``backtest_for`` and ``accuracy_for`` cache the all-teams answer per
data version (the Monte Carlo runs once per data version) and narrow it to a team or a viewer's
teams without reading the store again (``restrict_forecast``, ``restrict_backtest``,
``restrict_accuracy``); tests check the narrowing equals computing under that scope.

Teams are today's: a rep belongs to their team on as_of, and a team's history (its rates, its
past quarters in the backtest) is the history of the people in it on as_of.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from dashboard import urls
from dashboard.metrics import attach_reps, pace
from dashboard.metrics import forecast as fc
from dashboard.metrics.frames import cents
from dashboard.models import standings
from dashboard.models.standings import SummaryError
from dashboard.reads import calls as call_reads
from dashboard.reads import catalog, queries
from dashboard.reads.history import HistoryReader, remember_batches
from loaders.config import Config, load_config
from loaders.fiscal import Quarter, quarter_of
from loaders.schema import CHAIN_ROLES

if TYPE_CHECKING:
    from sqlalchemy import Engine

TREND_KEYS = (
    "won",
    "commit_forecast",
    "best_case_forecast",
    "open_pipeline",
    "weighted_pipeline",
)
# The figures each rep and scope of the forecast carries besides its landing range.
FIGURES = ("quota", "won", "commit_forecast", "best_case_forecast", "weighted_pipeline")
CALL_KEYS = ("commit", "best_case", "status", "week", "by")
DEAL_MATH = (
    "rep",
    "team",
    "source",
    "deal_id",
    "deal_name",
    "close_date",
    "forecast_category",
    "bucket",
    "amount",
    "probability",
    "rate",
    "rate_source",
    "expected",
)


class ForecastError(SummaryError):
    """A request the forecast cannot answer (bad quarter, day or team); a user-facing message."""


# --- what was known of past quarters ------------------------------------------------------------


@dataclass
class PastQuarters:
    """What the quarters that ended on or before as_of left behind, for the rates and the backtest.

    Reps are named as the roster names them on as_of (owners off the roster as exported).
    """

    quarters: list[Quarter]  # with a snapshot inside, oldest first
    stand_ins: dict[str, dict[int, dt.date]]  # quarter -> week -> stand-in day
    observations: pd.DataFrame  # quarter, week, rep, bucket, n, wins
    new: pd.DataFrame  # quarter, rep, new (money), deals: new business at the forecast's week
    won_at_end: pd.DataFrame  # quarter, rep, won
    present: pd.DataFrame  # quarter, rep: who took part (a quota, a deal open or won)
    week: int  # the week the new business was measured at

    def at_week(self, week: int, until: dt.date | None = None) -> list[Quarter]:
        """The quarters with a stand-in day at ``week`` (ended on or before ``until``)."""
        return [
            q
            for q in self.quarters
            if week in self.stand_ins[q.name] and (until is None or q.end <= until)
        ]

    def new_samples(self, quarters: Sequence[Quarter]) -> pd.DataFrame:
        """``rep, quarter, new``: each rep's new business in each of ``quarters`` they took part
        in (0 where they won none)."""
        names = [q.name for q in quarters]
        present = self.present[self.present["quarter"].isin(names)]
        won = self.new.set_index(["quarter", "rep"])["new"]
        keys = pd.MultiIndex.from_arrays([present["quarter"], present["rep"]])
        out = present.assign(new=won.reindex(keys).fillna(0.0).to_numpy())
        return out[["rep", "quarter", "new"]].reset_index(drop=True)


def _attach(frame: pd.DataFrame, aliases: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Owners as today's roster names them, with their team today."""
    return attach_reps(frame, aliases, reps)


def _past_quarters(
    engine: Engine,
    reader: HistoryReader,
    view: list[str] | None,
    quarter: Quarter,
    as_of: dt.date,
    week: int,
    aliases: pd.DataFrame,
    reps: pd.DataFrame,
) -> PastQuarters:
    days = reader.snapshot_days(until=as_of)
    quarters, stand_ins = [], {}
    obs, new, won, present = [], [], [], []
    if days:
        q = quarter_of(days[0], quarter.start_month)
        while q < quarter and q.end <= as_of:
            stand = fc.stand_in_days([d for d in days if d <= q.end], q)
            if stand:
                quarters.append(q)
                stand_ins[q.name] = stand
            q = q.next()
    for q in quarters:
        stand = stand_ins[q.name]
        week_of_day = {day: k for k, day in stand.items()}
        counts = _attach(reader.outcome_counts(q, stand.values(), q.end), aliases, reps)
        counts = counts.assign(quarter=q.name, week=counts["day"].map(week_of_day))
        obs.append(counts[["quarter", "week", "rep", "bucket", "n", "wins"]])
        end = _attach(reader.day_totals(q, [q.end]), aliases, reps)
        end_won = end.groupby("rep", sort=True)["won_c"].sum()
        won.append(pd.DataFrame({"quarter": q.name, "rep": end_won.index, "won_c": end_won}))
        quotas = queries.load_quotas(engine, view, q.name, as_of)
        members = set(quotas.loc[quotas["quota"].fillna(0) > 0, "rep"])
        members |= set(counts["rep"]) | set(end_won.index[end_won > 0])
        present.append(pd.DataFrame({"quarter": q.name, "rep": sorted(members)}))
        if week in stand:
            fresh = _attach(reader.new_business(q, stand[week], q.end), aliases, reps)
            fresh = fresh.groupby("rep", sort=True)[["new_c", "new_n"]].sum()
            new.append(
                pd.DataFrame(
                    {
                        "quarter": q.name,
                        "rep": fresh.index,
                        "new": fresh["new_c"].to_numpy() / 100,
                        "deals": fresh["new_n"].to_numpy(),
                    }
                )
            )

    def stack(parts, columns):
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        return pd.concat(parts, ignore_index=True)[list(columns)]

    won_frame = stack(won, ["quarter", "rep", "won_c"])
    won_frame["won"] = won_frame["won_c"].astype("float64") / 100
    return PastQuarters(
        quarters,
        stand_ins,
        stack(obs, ["quarter", "week", "rep", "bucket", "n", "wins"]),
        stack(new, ["quarter", "rep", "new", "deals"]),
        won_frame[["quarter", "rep", "won"]],
        stack(present, ["quarter", "rep"]),
        week,
    )


# --- the forecast -------------------------------------------------------------------------------


@dataclass
class Forecast:
    """Everything the forecast of one quarter, day and scope shows (docs/metrics.md#forecast)."""

    quarter: Quarter
    as_of: dt.date
    week: int
    method: str  # fc.REFERENCE, fc.CRM_PROBABILITY or fc.ENDED
    scope: list[str] | None
    team: dict  # the scope: team, FIGURES, landing, open_pipeline, call
    reps: pd.DataFrame  # index rep: team, FIGURES, landing, open_pipeline, call_*
    people: pd.DataFrame  # fc.roll_up on as_of (fc.ROLLUP_COLUMNS)
    deals: pd.DataFrame  # the math: DEAL_MATH, one row per open in-quarter deal
    team_rates: pd.DataFrame  # fc.TEAM_RATE_COLUMNS
    rep_rates: pd.DataFrame  # fc.REP_RATE_COLUMNS
    new: pd.DataFrame  # rep, quarter, new: the past quarters' new business drawn from
    trend: pd.DataFrame  # day, rep (None: the scope), team, TREND_KEYS, quota, pace, call_*
    past: list[str]  # the past quarters at this week the rates and new business come from
    # What restrict_forecast needs to narrow an all-teams forecast without the store:
    landing: fc.Landing | None = None
    people_frame: pd.DataFrame | None = None  # person, manager, role, team on as_of
    calls: pd.DataFrame | None = None  # the quarter's calls (fc.CALL_COLUMNS)
    owners_trend: pd.DataFrame | None = None  # day, rep, team, TREND_KEYS: every owner
    summary: standings.Summary | None = field(default=None, repr=False)


# What a forecast kept in the store may hold (``dashboard.reads.kept``).
KEPT_TYPES = (Forecast, fc.Landing, *standings.KEPT_TYPES)


def _period(quarter, as_of, config: Config) -> tuple[Quarter, dt.date]:
    try:
        period = urls.resolve_period(
            quarter, as_of, None, start_month=config.fiscal_year_start_month
        )
    except urls.PeriodError as exc:
        raise ForecastError(exc.worded(standings.PERIOD_NAMES)) from exc
    return period.quarter, period.as_of


def _view(team: str | None, scope: Sequence[str] | None) -> list[str] | None:
    if team is None:
        return None if scope is None else list(scope)
    if scope is not None and team not in scope:
        raise ForecastError(f"team {team!r} is not among the teams you may see")
    return [team]


def _people(hierarchy: pd.DataFrame, riders: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """The people who call or are called for: riders, people in the chain (a chain role, or
    someone's manager) and riders who are not in the hierarchy (owners off the roster), with
    roles. Experts on the roster (an SE, a CSM) who own no counted deal and carry no quota are
    not: no one calls a number for them."""
    people = hierarchy[["person", "manager", "role", "team"]].copy()
    in_chain = (
        people["person"].isin(riders["rep"])
        | people["role"].isin(CHAIN_ROLES)
        | people["person"].isin(people["manager"].dropna())
    )
    people = people[in_chain]
    role_of = dict(zip(reps["rep"], reps["role"], strict=False))
    extra = riders[~riders["rep"].isin(people["person"])]
    if not extra.empty:
        people = pd.concat(
            [
                people,
                pd.DataFrame(
                    {
                        "person": extra["rep"].to_numpy(),
                        "manager": None,
                        "role": [role_of.get(r) for r in extra["rep"]],
                        "team": extra["team"].to_numpy(),
                    },
                    dtype=object,
                ),
            ],
            ignore_index=True,
        )
    return people.reset_index(drop=True)


def _crm(figures: pd.DataFrame) -> pd.DataFrame:
    return figures[["commit_forecast", "best_case_forecast"]].astype("float64")


def _trend_figures(totals: pd.DataFrame) -> pd.DataFrame:
    """``day, rep, team`` totals (cents) -> ``TREND_KEYS`` in money."""
    out = totals[["day", "rep", "team"]].copy()
    out["won"] = totals["won_c"] / 100
    out["commit_forecast"] = (totals["won_c"] + totals["commit_c"]) / 100
    out["best_case_forecast"] = (totals["won_c"] + totals["commit_c"] + totals["best_case_c"]) / 100
    out["open_pipeline"] = totals["open_c"] / 100
    out["weighted_pipeline"] = totals["weighted"].astype("float64")
    return out


def _owner_trend(totals: pd.DataFrame, aliases, reps) -> pd.DataFrame:
    attached = _attach(totals, aliases, reps)
    keys = ["won_c", "commit_c", "best_case_c", "open_c", "weighted"]
    if attached.empty:
        summed = pd.DataFrame(columns=["day", "rep", "team", *keys])
    else:
        attached["team"] = attached["team"].astype("object")
        summed = (
            attached.groupby(["day", "rep"], sort=True, dropna=False)
            .agg({**{k: "sum" for k in keys}, "team": "first"})
            .reset_index()
        )
    return _trend_figures(summed)


TREND_COLUMNS = (
    "day",
    "rep",
    "team",
    *TREND_KEYS,
    "quota",
    "pace",
    "call_commit",
    "call_best_case",
    "call_status",
)


def _trend(
    quarter: Quarter,
    days: list[dt.date],
    owners: pd.DataFrame,
    riders: pd.DataFrame,
    view_teams: list[str] | None,
    people: pd.DataFrame,
    calls: pd.DataFrame,
) -> pd.DataFrame:
    """Per day: each rider's figures and call in force, and the scope's (rep None): the sum over
    every owner in the view, with the call that stands for the scope that day."""
    if view_teams is not None:
        owners = owners[owners["team"].isin(view_teams)]
    names = riders["rep"].tolist()
    quota = riders.set_index("rep")["quota"].astype("float64").fillna(0.0)
    parts = []
    for day in days:
        today = owners[owners["day"] == day].set_index("rep")
        in_force = fc.calls_in_force(calls, quarter, day).set_index("person")
        share = pace(quarter, day)
        part = today.reindex(names)[list(TREND_KEYS)].astype("float64").fillna(0.0)
        part.insert(0, "team", riders["team"].to_numpy())
        part.insert(0, "rep", names)
        part.insert(0, "day", day)
        part["quota"] = quota.reindex(names).to_numpy()
        part["pace"] = share
        called = in_force.reindex(names)
        part["call_commit"] = called["commit"].astype("float64").to_numpy()
        part["call_best_case"] = called["best_case"].astype("float64").to_numpy()
        part["call_status"] = called["status"].astype("object").to_numpy()
        top = fc.scope_call(fc.roll_up(people, in_force.reset_index(), _crm(today)))
        scope_row = {"day": day, "rep": None, "team": None}
        for key in TREND_KEYS:
            scope_row[key] = (
                float(today[key].sum())
                if key == "weighted_pipeline"
                else int(cents(today[key]).sum()) / 100
            )
        scope_row.update(
            quota=float(quota.sum()),
            pace=share,
            call_commit=top["commit"],
            call_best_case=top["best_case"],
            call_status=top["status"],
        )
        parts.append(part.reset_index(drop=True))
        parts.append(pd.DataFrame([scope_row]))
    if not parts:
        return pd.DataFrame(columns=list(TREND_COLUMNS))
    out = pd.concat(parts, ignore_index=True)[list(TREND_COLUMNS)]
    for col in ("rep", "team", "call_status"):
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    return out


def _rates_reps(reps: pd.DataFrame, riders: pd.DataFrame, past: PastQuarters) -> pd.DataFrame:
    """Everyone whose history counts, with today's team: the roster in view, riders off it, and
    past owners off the roster (no team)."""
    frame = pd.concat(
        [reps[["rep", "team"]], riders[["rep", "team"]]], ignore_index=True
    ).drop_duplicates("rep", keep="first")
    seen = set(past.observations["rep"]) - set(frame["rep"])
    if seen:
        frame = pd.concat(
            [frame, pd.DataFrame({"rep": sorted(seen), "team": None}, dtype=object)],
            ignore_index=True,
        )
    frame["team"] = frame["team"].astype("object").where(frame["team"].notna(), None)
    return frame.reset_index(drop=True)


def _call_dict(row) -> dict:
    week = row["week"]
    return {
        "commit": float(row["value_commit"]),
        "best_case": float(row["value_best_case"]),
        "status": row["status"],
        "week": None if week is None or pd.isna(week) else int(week),
        "by": None if row["by"] is None or pd.isna(row["by"]) else row["by"],
    }


def _scope_team(
    summary: standings.Summary,
    view: list[str] | None,
    reps_out: pd.DataFrame,
    landing: fc.Landing,
    people: pd.DataFrame,
) -> dict:
    t = summary.team
    groups = list(landing.draws) if view is None else [g for g in landing.draws if g in view]
    stats = landing.group_stats(groups, t["quota"])
    won = sum(landing.won.get(g, 0) for g in groups) / 100
    from_open = float(reps_out["from_open"].sum()) if not reps_out.empty else 0.0
    from_new = float(reps_out["from_new"].sum()) if not reps_out.empty else 0.0
    out = {
        "team": view[0] if view is not None and len(view) == 1 else None,
        "quota": t["quota"],
        "won": won,
        **{k: stats[k] for k in ("p10", "p50", "p90")},
        "mean": won + from_open + from_new,
        "chance_of_quota": stats["chance_of_quota"],
        "from_open": from_open,
        "from_new": from_new,
        "commit_forecast": t["commit_forecast"],
        "best_case_forecast": t["best_case_forecast"],
        "weighted_pipeline": t["weighted_pipeline"],
        "open_pipeline": t["open_pipeline"],
        "call": fc.scope_call(people),
    }
    return out


def _reps_out(figures: pd.DataFrame, landing: fc.Landing, people: pd.DataFrame) -> pd.DataFrame:
    out = figures[["team", "quota", "no_quota", "won", "commit_forecast", "best_case_forecast"]]
    out = out.join(figures[["weighted_pipeline", "open_pipeline"]])
    cols = ["p10", "p50", "p90", "mean", "chance_of_quota", "from_open", "from_new"]
    out = out.join(landing.reps[[*cols, "open_deals", "new_quarters"]])
    tree = people.set_index("person")
    calls = [_call_dict(tree.loc[rep]) for rep in out.index]
    for key in CALL_KEYS:
        out[f"call_{key}"] = pd.Series([c[key] for c in calls], index=out.index, dtype="object")
    return out


def compute_forecast(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
    draws: int = fc.DRAWS,
    replay: bool = False,
) -> Forecast:
    """The forecast of ``quarter`` as of ``as_of`` for a team or the viewer's teams.

    Args:
        engine: the store.
        quarter: ``2026-Q4`` or a ``Quarter``.
        as_of: the day (default: the earlier of today and the quarter's end).
        team: one team (None: every team the viewer may see).
        scope: the teams the viewer may see (None: all).
        config: settings.
        draws: Monte Carlo draws (at least 5,000 for the contract).
        replay: read every source's days through rebuilt states (tests; see
            ``dashboard.reads.history``).

    Raises:
        ForecastError: on a bad quarter, day or team.
    """
    config = config or load_config()
    quarter, as_of = _period(quarter, as_of, config)
    view = _view(team, scope)
    summary = standings.summary_for(engine, quarter, as_of, None, team, scope=scope, config=config)
    reader = HistoryReader(engine, view, as_of, replay=replay, memo=remember_batches(engine))
    reps, aliases = queries.load_reps(engine, view, as_of)
    week = fc.week_of(quarter, as_of)
    past = _past_quarters(engine, reader, view, quarter, as_of, week, aliases, reps)
    riders = summary.riders[["rep", "team"]].copy()
    riders["quota"] = summary.reps["quota"].reindex(riders["rep"]).to_numpy()

    at_week = past.at_week(week)
    if as_of > quarter.end:
        method = fc.ENDED
    elif at_week:
        method = fc.REFERENCE
    else:
        method = fc.CRM_PROBABILITY
    team_rates, rep_rates = fc.bucket_rates(
        past.observations, week, _rates_reps(reps, riders, past)
    )
    flags = summary.flags
    open_deals = flags[flags["open_in_quarter"] & flags["rep"].isin(riders["rep"])]
    if method == fc.ENDED:
        open_deals = open_deals.iloc[:0]
    deals = fc.deal_rates(open_deals, rep_rates if method == fc.REFERENCE else None, method)
    new = past.new_samples(at_week) if method == fc.REFERENCE else past.new_samples([])
    new = new[new["rep"].isin(riders["rep"])].reset_index(drop=True)
    landing = fc.simulate(
        pd.DataFrame(
            {
                "rep": riders["rep"],
                "group": riders["team"],
                "won": summary.reps["won"].reindex(riders["rep"]).to_numpy(),
                "quota": riders["quota"],
            }
        ),
        deals,
        new,
        as_of,
        draws,
    )

    hierarchy = call_reads.load_hierarchy(engine, view, as_of)
    calls = fc.conform_calls(call_reads.load_calls(engine, view, quarter.name))
    people_frame = _people(hierarchy, riders, reps)
    in_force = fc.calls_in_force(calls, quarter, as_of)
    people = fc.roll_up(people_frame, in_force, _crm(summary.reps))

    days = [d for d in reader.snapshot_days(until=as_of) if d >= quarter.start and d <= quarter.end]
    days = sorted(set(days) | {as_of})
    owners = _owner_trend(reader.day_totals(quarter, days), aliases, reps)
    trend = _trend(quarter, days, owners, riders, view, people_frame, calls)

    reps_out = _reps_out(summary.reps, landing, people)
    deals_out = deals.assign(team=deals["team"].astype("object"))
    deals_out = deals_out.reindex(columns=list(DEAL_MATH)).sort_values(
        ["rep", "expected", "source", "deal_id"], ascending=[True, False, True, True], kind="stable"
    )
    return Forecast(
        quarter=quarter,
        as_of=as_of,
        week=week,
        method=method,
        scope=view,
        team=_scope_team(summary, view, reps_out, landing, people),
        reps=reps_out,
        people=people,
        deals=deals_out.reset_index(drop=True),
        team_rates=team_rates[team_rates["team"].isin(set(riders["team"]))].reset_index(drop=True),
        rep_rates=rep_rates[rep_rates["rep"].isin(riders["rep"])].reset_index(drop=True),
        new=new,
        trend=trend,
        past=[q.name for q in at_week] if method == fc.REFERENCE else [],
        landing=landing,
        people_frame=people_frame,
        calls=calls,
        owners_trend=owners,
        summary=summary,
    )


def restrict_forecast(
    forecast: Forecast,
    team: str | None = None,
    scope: Sequence[str] | None = None,
    summary: standings.Summary | None = None,
) -> Forecast:
    """An all-teams forecast narrowed to ``team`` (or the teams of ``scope``), with no store read.

    Equal to ``compute_forecast`` for that team or scope: a rep's range, rates and new business
    do not depend on who else is shown (each rep's draws have their own seed; a team's rates come
    from its own people), so the narrowing keeps the view's reps and deals, sums the view's
    teams' draws for its range, and rolls the calls up again over the people in view.

    ``summary`` is the all-teams summary the forecast was made from, for a forecast that does
    not carry it (``forecast_for``'s).

    Raises:
        ForecastError: when ``team`` is outside ``scope``.
    """
    view = _view(team, scope)
    if view is None:
        return forecast
    everyone = summary if summary is not None else forecast.summary
    if forecast.scope is not None or everyone is None or everyone.scope is not None:
        raise ValueError("restrict_forecast needs an all-teams forecast from compute_forecast")
    summary = standings.narrowed(everyone, team, scope)
    riders = summary.riders[["rep", "team"]].copy()
    riders["quota"] = summary.reps["quota"].reindex(riders["rep"]).to_numpy()
    frame = forecast.people_frame
    people_frame = frame[frame["team"].isin(view)].reset_index(drop=True)
    calls = forecast.calls[forecast.calls["person"].isin(people_frame["person"])]
    in_force = fc.calls_in_force(calls, forecast.quarter, forecast.as_of)
    people = fc.roll_up(people_frame, in_force, _crm(summary.reps))
    reps_out = forecast.reps[forecast.reps.index.isin(riders["rep"])].copy()
    tree = people.set_index("person")
    for rep in reps_out.index:
        call = _call_dict(tree.loc[rep])
        for key in CALL_KEYS:
            reps_out.at[rep, f"call_{key}"] = call[key]
    days = sorted(set(forecast.trend["day"]))
    trend = _trend(forecast.quarter, days, forecast.owners_trend, riders, view, people_frame, calls)
    deals = forecast.deals[forecast.deals["team"].isin(view)].reset_index(drop=True)
    team_rates = forecast.team_rates[forecast.team_rates["team"].isin(view)]
    rep_rates = forecast.rep_rates[forecast.rep_rates["rep"].isin(riders["rep"])]
    new = forecast.new[forecast.new["rep"].isin(riders["rep"])]
    return Forecast(
        quarter=forecast.quarter,
        as_of=forecast.as_of,
        week=forecast.week,
        method=forecast.method,
        scope=view,
        team=_scope_team(summary, view, reps_out, forecast.landing, people),
        reps=reps_out,
        people=people,
        deals=deals,
        team_rates=team_rates.reset_index(drop=True),
        rep_rates=rep_rates.reset_index(drop=True),
        new=new.reset_index(drop=True),
        trend=trend,
        past=forecast.past,
        landing=forecast.landing,
        people_frame=people_frame,
        calls=calls,
        owners_trend=forecast.owners_trend[forecast.owners_trend["team"].isin(view)],
        summary=summary,
    )


def _settings(config: Config, draws: int) -> tuple:
    return (
        config.fiscal_year_start_month,
        config.stale_days,
        tuple(sorted(config.readiness_weights.items())),
        draws,
        fc.SEED,
    )


def forecast_for(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
    draws: int = fc.DRAWS,
) -> Forecast:
    """``compute_forecast``'s answer, narrowed from one all-teams forecast cached per data version
    and calls' version (the Monte Carlo runs once per version, not per viewer); each narrowing
    (a team, a viewer's teams) is cached too, since it sums the trend again. Treat it as
    read-only.

    The all-teams forecast is cached and kept without the summary it was made from (its
    ``summary`` is None): that summary is kept on its own (``standings.summary_for``), and a
    forecast carrying it held it twice in the store (13 of 24 MB at full size) and unpacked it on
    every first read, though only a narrowing needs it."""
    from dashboard.reads import cache

    config = config or load_config()
    quarter, as_of = _period(quarter, as_of, config)
    view = _view(team, scope)  # refuse a team outside the scope before any work
    # The calls' version too: a call made in the browser changes the people tree and the call
    # columns, not the data version the summary and the batch sums are cached by.
    calls = catalog.current_calls_version(engine)
    settings = (quarter.name, as_of.isoformat(), _settings(config, draws), calls)

    def everyone() -> Forecast:
        return cache.cached(
            "forecast",
            engine,
            settings,
            lambda: dataclasses.replace(
                compute_forecast(engine, quarter, as_of, config=config, draws=draws), summary=None
            ),
            keep=KEPT_TYPES,
        )

    if view is None:
        return everyone()

    def narrowed() -> Forecast:
        summary = standings.summary_for(engine, quarter, as_of, None, config=config)
        return restrict_forecast(everyone(), team, scope, summary=summary)

    key = (*settings, team, tuple(scope) if scope is not None else None)
    return cache.cached("forecast-view", engine, key, narrowed)


# --- the backtest -------------------------------------------------------------------------------

BACKTEST_COLUMNS = (
    "scope",
    "quarter",
    "day",
    "week",
    "method",
    "p10",
    "p50",
    "p90",
    "actual",
    "inside",
    "commit_forecast",
    "won_plus_weighted",
)


@dataclass
class BacktestRun:
    """The projection re-run on one past quarter's stand-in day at the forecast's week."""

    quarter: Quarter
    day: dt.date
    method: str
    landing: fc.Landing  # drawn as of ``day``, groups = today's teams
    reps: pd.DataFrame  # rep, team, actual, commit_forecast, won_plus_weighted


@dataclass
class Backtest:
    """The backtest (docs/metrics.md#backtest) per scope: the view and each team in it."""

    quarter: Quarter
    as_of: dt.date
    week: int
    scope: list[str] | None
    rows: pd.DataFrame  # BACKTEST_COLUMNS; scope None = the whole view
    summary: dict  # scope (None = the whole view) -> fc.backtest_summary
    runs: list[BacktestRun] = field(default_factory=list, repr=False)


def _backtest_rows(runs: list[BacktestRun], view: list[str] | None) -> tuple[pd.DataFrame, dict]:
    teams = sorted(
        {t for run in runs for t in run.reps["team"] if t is not None and pd.notna(t)}
        & (set(view) if view is not None else {t for run in runs for t in run.landing.draws})
    )
    scopes: list[tuple[str | None, list]] = [(None, view)] + [(t, [t]) for t in teams]
    rows = []
    for name, groups in scopes:
        for run in runs:
            keep = list(run.landing.draws) if groups is None else groups
            own = run.reps[run.reps["team"].isin(keep)] if groups is not None else run.reps
            stats = run.landing.group_stats([g for g in keep if g in run.landing.draws], None)
            actual = int(cents(own["actual"]).sum()) / 100
            p10, p90 = stats["p10"], stats["p90"]
            if p10 is None:  # nobody to project: the range is what was won, 0
                p10 = stats["p50"] = p90 = 0.0
            rows.append(
                {
                    "scope": name,
                    "quarter": run.quarter.name,
                    "day": run.day,
                    "week": fc.week_of(run.quarter, run.day),
                    "method": run.method,
                    "p10": p10,
                    "p50": stats["p50"],
                    "p90": p90,
                    "actual": actual,
                    "inside": bool(p10 <= actual <= p90),
                    "commit_forecast": int(cents(own["commit_forecast"]).sum()) / 100,
                    "won_plus_weighted": float(own["won_plus_weighted"].sum()),
                }
            )
    out = pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))
    out["scope"] = out["scope"].astype("object").where(out["scope"].notna(), None)
    summary = {
        name: fc.backtest_summary(out[out["scope"].map(lambda s, n=name: s == n)])
        for name, _ in scopes
    }
    return out, summary


def compute_backtest(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
    draws: int = fc.DRAWS,
    replay: bool = False,
) -> Backtest:
    """The projection re-run as of the same week's stand-in day in every past quarter, against
    what each won by its end, with both baselines (docs/metrics.md#backtest).

    Each run uses only what was known on its day: the rates and new business of the quarters
    that had ended by then (none: the CRM's probabilities, as the forecast does), and that day's
    deals. Args as ``compute_forecast``.

    Raises:
        ForecastError: on a bad quarter, day or team.
    """
    config = config or load_config()
    quarter, as_of = _period(quarter, as_of, config)
    view = _view(team, scope)
    reader = HistoryReader(engine, view, as_of, replay=replay, memo=remember_batches(engine))
    reps, aliases = queries.load_reps(engine, view, as_of)
    week = fc.week_of(quarter, as_of)
    past = _past_quarters(engine, reader, view, quarter, as_of, week, aliases, reps)
    team_of = dict(zip(reps["rep"], reps["team"], strict=False))
    runs = []
    for q in past.at_week(week):
        day = past.stand_ins[q.name][week]
        earlier = [p for p in past.quarters if p.end <= day]
        earlier_at_week = [p for p in past.at_week(week) if p.end <= day]
        method = fc.REFERENCE if earlier_at_week else fc.CRM_PROBABILITY
        state = _attach(reader.open_deals(q, day), aliases, reps)
        totals = _attach(fc.day_totals(state, q, day), aliases, reps)
        per_rep = totals.groupby("rep", sort=True)[["won_c", "commit_c", "weighted"]].sum()
        ended = past.won_at_end[past.won_at_end["quarter"] == q.name].set_index("rep")["won"]
        names = sorted(set(per_rep.index) | set(ended.index))
        rep_frame = pd.DataFrame({"rep": names})
        rep_frame["team"] = [team_of.get(r) for r in names]
        rep_frame["team"] = (
            rep_frame["team"].astype("object").where(rep_frame["team"].notna(), None)
        )
        per_rep = per_rep.reindex(names).fillna(0)
        rep_frame["won"] = per_rep["won_c"].to_numpy() / 100
        rep_frame["actual"] = ended.reindex(names).fillna(0.0).to_numpy()
        rep_frame["commit_forecast"] = (per_rep["won_c"] + per_rep["commit_c"]).to_numpy() / 100
        rep_frame["won_plus_weighted"] = rep_frame["won"] + per_rep["weighted"].to_numpy()
        obs = past.observations[past.observations["quarter"].isin([p.name for p in earlier])]
        rates_reps = pd.concat(
            [
                reps[["rep", "team"]],
                rep_frame[["rep", "team"]],
                pd.DataFrame({"rep": sorted(set(obs["rep"])), "team": None}, dtype=object),
            ],
            ignore_index=True,
        ).drop_duplicates("rep", keep="first")
        rates_reps["team"] = [team_of.get(r) for r in rates_reps["rep"]]
        rates_reps["team"] = (
            rates_reps["team"].astype("object").where(rates_reps["team"].notna(), None)
        )
        _, rep_rates = fc.bucket_rates(obs, week, rates_reps)
        in_q = (state["status"] == "open").fillna(False) & state["close_date"].between(
            pd.Timestamp(q.start), pd.Timestamp(q.end)
        ).fillna(False)
        deals = fc.deal_rates(
            state[in_q.to_numpy()], rep_rates if method == fc.REFERENCE else None, method
        )
        new = past.new_samples(earlier_at_week) if method == fc.REFERENCE else past.new_samples([])
        new = new[new["rep"].isin(names)]
        landing = fc.simulate(
            rep_frame.assign(group=rep_frame["team"], quota=None)[["rep", "group", "won", "quota"]],
            deals,
            new,
            day,
            draws,
        )
        runs.append(
            BacktestRun(
                q,
                day,
                method,
                landing,
                rep_frame[["rep", "team", "actual", "commit_forecast", "won_plus_weighted"]],
            )
        )
    rows, summary = _backtest_rows(runs, view)
    return Backtest(quarter, as_of, week, view, rows, summary, runs)


def restrict_backtest(
    backtest: Backtest, team: str | None = None, scope: Sequence[str] | None = None
) -> Backtest:
    """An all-teams backtest narrowed to a team or a viewer's teams, with no store read."""
    view = _view(team, scope)
    if view is None:
        return backtest
    if backtest.scope is not None:
        raise ValueError("restrict_backtest needs an all-teams backtest from compute_backtest")
    runs = [
        BacktestRun(
            run.quarter,
            run.day,
            run.method,
            run.landing,
            run.reps[run.reps["team"].isin(view)].reset_index(drop=True),
        )
        for run in backtest.runs
    ]
    rows, summary = _backtest_rows(runs, view)
    return Backtest(backtest.quarter, backtest.as_of, backtest.week, view, rows, summary, runs)


def backtest_for(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
    draws: int = fc.DRAWS,
) -> Backtest:
    """``compute_backtest``'s answer, narrowed from one all-teams backtest cached per data
    version. Treat it as read-only."""
    from dashboard.reads import cache

    config = config or load_config()
    quarter, as_of = _period(quarter, as_of, config)
    _view(team, scope)
    everyone = cache.cached(
        "forecast-backtest",
        engine,
        (quarter.name, as_of.isoformat(), _settings(config, draws)),
        lambda: compute_backtest(engine, quarter, as_of, config=config, draws=draws),
        keep=(Backtest, BacktestRun, *KEPT_TYPES),
    )
    return restrict_backtest(everyone, team, scope)


# --- call accuracy ------------------------------------------------------------------------------


@dataclass
class Accuracy:
    """Call accuracy (docs/metrics.md#call-accuracy) for the quarters ended on or before as_of."""

    as_of: dt.date
    scope: list[str] | None
    rows: pd.DataFrame  # fc.ACCURACY_COLUMNS
    bias: pd.DataFrame  # index person: weeks, bias, mean_abs_error_pct


def compute_accuracy(
    engine: Engine,
    as_of: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
) -> Accuracy:
    """Each person's commit call at each week's end against what was won by the quarter's end,
    for every quarter with calls that ended on or before ``as_of``.

    A person's actual is their won plus the won of everyone below them in the chain on the
    quarter's last day, as far as the view reaches.
    """
    config = config or load_config()
    if as_of is None:
        from loaders import clock

        as_of = clock.today()
    try:
        day = urls.read_day(as_of, "as_of")
    except urls.PeriodError as exc:
        raise ForecastError(exc.worded(standings.PERIOD_NAMES)) from exc
    view = _view(team, scope)
    calls = fc.conform_calls(call_reads.load_calls(engine, view))
    reps, aliases = queries.load_reps(engine, view, day)
    reader = HistoryReader(engine, view, day, memo=remember_batches(engine))
    parts = []
    for name in sorted(set(calls["quarter"].dropna())):
        q = urls.read_quarter(name, config.fiscal_year_start_month)
        if q.end > day:
            continue
        people = call_reads.load_hierarchy(engine, view, q.end)
        end = _attach(reader.day_totals(q, [q.end]), aliases, reps)
        won = (end.groupby("rep")["won_c"].sum() / 100).to_dict()
        parts.append(fc.call_accuracy(calls, people, won, q))
    parts = [p for p in parts if not p.empty]
    rows = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=list(fc.ACCURACY_COLUMNS))
    )
    return Accuracy(day, view, rows, fc.call_bias(rows))


def accuracy_for(
    engine: Engine,
    as_of: dt.date | str | None = None,
    team: str | None = None,
    *,
    scope: Sequence[str] | None = None,
    config: Config | None = None,
) -> Accuracy:
    """``compute_accuracy`` cached per data version, day and view. Treat it as read-only."""
    from dashboard.reads import cache

    config = config or load_config()
    view = _view(team, scope)
    key = (str(as_of), tuple(view) if view is not None else None, config.fiscal_year_start_month)
    return cache.cached(
        "forecast-accuracy",
        engine,
        key,
        lambda: compute_accuracy(engine, as_of, team, scope=scope, config=config),
    )


__all__ = [
    "BACKTEST_COLUMNS",
    "DEAL_MATH",
    "FIGURES",
    "TREND_COLUMNS",
    "TREND_KEYS",
    "Accuracy",
    "Backtest",
    "BacktestRun",
    "Forecast",
    "ForecastError",
    "PastQuarters",
    "accuracy_for",
    "backtest_for",
    "compute_accuracy",
    "compute_backtest",
    "compute_forecast",
    "forecast_for",
    "restrict_backtest",
    "restrict_forecast",
]
