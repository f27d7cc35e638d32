"""``teamcar summary``: every figure of DESIGN.md §5 for a quarter, as JSON or a terminal table.

``compute_summary`` reads the store through ``dashboard.queries`` (scoped) and computes with
``dashboard.metrics``; ``summary_json`` shapes the result exactly as issue 4 specifies;
``render_summary`` prints it with rich; ``summary_command`` is what the CLI calls.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from dashboard import queries
from dashboard.fiscal import Quarter, default_as_of, parse_quarter
from dashboard.metrics import (
    FIGURE_KEYS,
    WATERFALL_KEYS,
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
from dashboard.metrics.figures import COUNT_KEYS
from dashboard.metrics.readiness import WEEKS
from loaders.config import Config, load_config
from loaders.schema import EXPERT_ROLES

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
    """A request the summary cannot answer (bad quarter, day, or team); a user-facing message."""


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


def _day(value: dt.date | str | None, option: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise SummaryError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


def _days(
    quarter: str | Quarter, as_of, since, config: Config
) -> tuple[Quarter, dt.date, dt.date | None]:
    """The quarter and days asked for, defaults filled in and checked."""
    if not isinstance(quarter, Quarter):
        try:
            quarter = parse_quarter(quarter, config.fiscal_year_start_month)
        except ValueError as exc:
            raise SummaryError(str(exc)) from None
    as_of = _day(as_of, "--as-of") or default_as_of(quarter)
    since = _day(since, "--since")
    if since is not None and since >= as_of:
        raise SummaryError(f"--since {since} must be before the as-of day {as_of}")
    return quarter, as_of, since


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
    has a quota (experts such as SEs only then); owners off the roster only for all teams."""
    counted = flags[flags["in_quarter"] | flags["won_in_window"] | flags["lost_in_window"]]
    owners = set(counted["rep"])
    with_quota = set(quotas.loc[quotas["quota"].fillna(0) != 0, "rep"])
    roles = reps["role"].astype("object").fillna("").str.casefold()
    expert = roles.isin([r.casefold() for r in EXPERT_ROLES])
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

    Every view of every viewer on the same days shares that one computation (seconds at DESIGN.md
    §7 sizes); narrowing it to a team or a manager's teams costs milliseconds (``restrict``).
    The result is shared: treat it as read-only.
    """
    from dashboard import cache

    config = config or load_config()
    quarter, as_of, since = _days(quarter, as_of, since, config)
    _scope(team, scope)  # refuse a team outside the scope before any work
    settings = (
        config.fiscal_year_start_month,
        config.stale_days,
        tuple(sorted(config.readiness_weights.items())),
    )
    args = (quarter.name, as_of.isoformat(), since.isoformat() if since else None, settings)
    everyone = cache.cached(
        "summary",
        engine,
        args,
        lambda: compute_summary(engine, quarter, as_of, since, config=config),
    )
    return restrict(everyone, team, scope)


# --- JSON -------------------------------------------------------------------------------------


def _json_value(key: str, value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if np.isnan(value) or np.isinf(value):
            return None
        if key in COUNT_KEYS or key in ("rank", "rank_change"):
            return int(value)
        return float(value)
    return value


def _figures_json(row: dict) -> dict:
    return {k: _json_value(k, row.get(k)) for k in FIGURE_KEYS}


def _rep_order(reps: pd.DataFrame) -> pd.DataFrame:
    key = pd.DataFrame(
        {
            "no_team": reps["team"].isna().to_numpy(),
            "team": reps["team"].astype("object").fillna("").to_numpy(),
            "no_rank": reps["rank"].isna().to_numpy(),
            "rank": reps["rank"].astype("float64").fillna(0).to_numpy(),
            "name": reps.index.to_numpy(),
        }
    )
    order = key.sort_values(["no_team", "team", "no_rank", "rank", "name"], kind="stable").index
    return reps.iloc[order.to_numpy()]


def summary_json(summary: Summary) -> dict:
    """The issue's JSON object: money as plain numbers, ratios as fractions, null if undefined."""
    q = summary.quarter
    out = {
        "quarter": q.name,
        "quarter_start": q.start.isoformat(),
        "quarter_end": q.end.isoformat(),
        "as_of": summary.as_of.isoformat(),
        "since": summary.since.isoformat() if summary.since else None,
        "team": _figures_json(summary.team),
        "reps": [],
    }
    for rep, row in _rep_order(summary.reps).iterrows():
        data = row.to_dict()
        item = {"rep": rep, "team": _json_value("team", data.get("team"))}
        item.update(_figures_json(data))
        item["rank"] = _json_value("rank", data.get("rank"))
        item["rank_change"] = _json_value("rank_change", data.get("rank_change"))
        out["reps"].append(item)
    if summary.since is not None:
        movement = {k: summary.waterfall[k] for k in WATERFALL_KEYS}
        deals = summary.movement[list(DEAL_KEYS)]
        movement["deals"] = [
            {k: _json_value(k, v) for k, v in zip(DEAL_KEYS, row, strict=True)}
            for row in deals.itertuples(index=False, name=None)
        ]
        out["movement"] = movement
    return out


# --- terminal -----------------------------------------------------------------------------------


def _money(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.0f}"


def _pct(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.0%}"


def _num(value, fmt="{:,.0f}") -> str:
    if value is None or pd.isna(value):
        return "—"
    return fmt.format(value)


def render_summary(summary: Summary, console: Console) -> None:
    """Print the summary as tables a sales manager can read."""
    q, t = summary.quarter, summary.team
    who = escape(", ".join(summary.scope)) if summary.scope else "all teams"
    console.print(
        f"[bold]{q.name}[/] ({q.start} to {q.end}) · as of [bold]{summary.as_of}[/] · "
        f"pace {_pct(t['pace'])} · {who}"
    )
    head = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for label in (
        "Quota",
        "Won",
        "Attain.",
        "Pace gap",
        "Open",
        "Coverage",
        "Commit fc.",
        "Best case fc.",
        "Weighted",
        "Win rate",
        "Avg won",
        "Cycle d",
        "Past due",
        "Stale",
        "Need pipe",
        "Need deals",
        "Readiness",
    ):
        head.add_column(label, justify="right")
    head.add_row(
        _money(t["quota"]),
        _money(t["won"]),
        _pct(t["attainment"]),
        _money(t["pace_gap"]),
        _money(t["open_pipeline"]),
        _num(t["coverage"], "{:.1f}x"),
        _money(t["commit_forecast"]),
        _money(t["best_case_forecast"]),
        _money(t["weighted_pipeline"]),
        _pct(t["win_rate"]),
        _money(t["avg_won_deal"]),
        _num(t["cycle_days"]),
        _num(t["past_due_deals"]),
        _num(t["stale_deals"]),
        _money(t["needed_pipeline"]),
        _num(t["needed_deals"]),
        _num(t["readiness_index"]),
    )
    console.print(head)

    table = Table(title="Riders", header_style="bold")
    for label, justify in (
        ("#", "right"),
        ("Δ", "right"),
        ("Rep", "left"),
        ("Team", "left"),
        ("Quota", "right"),
        ("Won", "right"),
        ("Attain.", "right"),
        ("Pace gap", "right"),
        ("Open", "right"),
        ("Cover", "right"),
        ("Commit fc.", "right"),
        ("Win rate", "right"),
        ("Stale", "right"),
        ("Need deals", "right"),
        ("Ready", "right"),
    ):
        table.add_column(label, justify=justify)
    for rep, r in _rep_order(summary.reps).iterrows():
        change = r["rank_change"]
        delta = (
            ""
            if pd.isna(change)
            else (f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "=")
        )
        quota = "no quota" if r["no_quota"] else _money(r["quota"])
        band = r.get("readiness_band")
        colour = {"green": "green", "amber": "yellow", "red": "red"}.get(band, "white")
        ready = _num(r["readiness_index"])
        table.add_row(
            _num(r["rank"]),
            delta,
            escape(str(rep)),
            escape(r["team"] or "Unassigned"),
            quota,
            _money(r["won"]),
            _pct(r["attainment"]),
            _money(r["pace_gap"]),
            _money(r["open_pipeline"]),
            _num(r["coverage"], "{:.1f}x"),
            _money(r["commit_forecast"]),
            _pct(r["win_rate"]),
            _num(r["stale_deals"]),
            _num(r["needed_deals"]),
            f"[{colour}]{ready}[/]",
        )
    console.print(table)

    if summary.since is not None:
        w = summary.waterfall
        fall = Table(title=f"Movement {summary.since} → {summary.as_of}", header_style="bold")
        fall.add_column("", justify="left")
        fall.add_column("Amount", justify="right")
        fall.add_column("Deals", justify="right")
        counts = summary.movement["category"].value_counts()
        signs = {
            "created": "+",
            "pulled_in": "+",
            "increased": "+",
            "decreased": "−",
            "won": "−",
            "lost": "−",
            "pushed_out": "−",
            "removed": "−",
        }
        for key in WATERFALL_KEYS:
            n = "" if key in ("start", "end") else str(int(counts.get(key, 0)))
            fall.add_row(f"{signs.get(key, '')} {key.replace('_', ' ')}".strip(), _money(w[key]), n)
        fall.add_row(
            "[dim]created and won (apart)[/]",
            f"[dim]{_money(w['won_new'])}[/]",
            f"[dim]{int(counts.get('won_new', 0))}[/]",
        )
        console.print(fall)


def summary_command(
    quarter: str,
    as_of: str | None = None,
    since: str | None = None,
    team: str | None = None,
    as_json: bool = False,
    *,
    scope: Sequence[str] | None = None,
    engine: Engine | None = None,
    console: Console | None = None,
) -> dict:
    """What ``teamcar summary`` runs: one JSON object on stdout, or readable tables.

    Args:
        quarter: ``2026-Q4``.
        as_of: ``YYYY-MM-DD`` (default: the earlier of today and the quarter's end).
        since: ``YYYY-MM-DD`` comparison day (adds movement and rank change), or None.
        team: one team's name, or None for all teams in scope.
        as_json: print the JSON object instead of tables.
        scope: teams the caller may see (None: all).
        engine: the store (default: the configured one).
        console: where tables go (default: stdout).

    Returns:
        The JSON-shaped dict (also when printing tables).

    Raises:
        SummaryError: a user-facing problem (print its message, exit non-zero).
    """
    from loaders.store.engine import get_engine

    config = load_config()
    engine = engine or get_engine(config.database_url)
    summary = compute_summary(engine, quarter, as_of, since, team, scope=scope, config=config)
    data = summary_json(summary)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")
        sys.stdout.flush()
    else:
        render_summary(summary, console or Console())
    return data


__all__ = [
    "Summary",
    "SummaryError",
    "compute_summary",
    "render_summary",
    "summary_command",
    "summary_json",
]
