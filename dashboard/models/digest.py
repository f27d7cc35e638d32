"""The day's glance as data, for ``teamcar digest`` (a chat post or an e-mail).

Four parts, each taken from what a page already computes, never worked out again here:

- position against pace: the team's figures of the Course and the Review (``summary_for``), and
  each team's when several are shown (``summary_for`` narrowed to that team, as the Course with
  that team picked shows it);
- what moved since the comparison day: the Review's waterfall and its moved deals
  (``review.review_model``, ``review.moved_deals``);
- the deals that decide the quarter: the Review's focus list (``review.focus_list``, DESIGN §9);
- who needs help: riders behind pace (``pace_gap`` < 0), most behind first, with the flags the
  Rider page puts on their open deals (``rider.rider_deals``: stale, past due, pushed 2× or more,
  no next step, large without expert support) and their readiness band.

The comparison day defaults to the snapshot day before the latest one on or before ``as_of``:
"what moved since the previous snapshot".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.metrics import WATERFALL_KEYS
from dashboard.models.review import (
    ReviewModel,
    focus_list,
    moved_deals,
    review_model,
    snapshot_days,
)
from dashboard.models.rider import rider_deals
from dashboard.models.standings import SummaryError, summary_for
from dashboard.reads import catalog
from loaders import clock
from loaders.config import Config, load_config
from loaders.fiscal import Quarter, quarter_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

POSITION_KEYS = (
    "won",
    "quota",
    "attainment",
    "pace",
    "pace_gap",
    "open_pipeline",
    "coverage",
    "commit_forecast",
)
FOCUS_SHOWN = 10  # deals in the message at most (the Review lists more)
FOCUS_WHEN_NO_GAP = 5  # quota met or none: the largest expected wins
HELP_SHOWN = 8  # riders behind pace in the message at most
TEAMS_SHOWN = 12  # teams' own positions in the message at most (most behind first)
MOVES_SHOWN = 5  # the largest moves in the message
# The Rider page's deal flags, in its words (dashboard/figures/rider.py flags_summary).
DEAL_FLAGS = (
    ("past_due", "past due"),
    ("stale", "stale"),
    ("pushed", "pushed 2×+"),
    ("no_next_step", "no next step"),
    ("no_expert", "large without expert"),
)


@dataclass
class Glance:
    """One day's glance for the teams asked for (all of them by default)."""

    quarter: Quarter
    as_of: dt.date
    since: dt.date | None  # None: no earlier snapshot to compare with
    teams: list[str] | None  # the teams asked for; None: every team
    position: dict  # POSITION_KEYS of the view's team figures
    by_team: list[dict] = field(default_factory=list)  # team + POSITION_KEYS, most behind first
    teams_more: int = 0  # teams behind the ones listed
    movement: dict | None = None  # WATERFALL_KEYS + won_new (money), with --since
    moved_counts: dict = field(default_factory=dict)  # deals per movement category
    moves: list[dict] = field(default_factory=list)  # the largest moves (Review's moved deals)
    focus: list[dict] = field(default_factory=list)  # the focus list's first deals
    focus_info: dict = field(default_factory=dict)  # gap, deals, deals_to_gap, open_pipeline
    help: list[dict] = field(default_factory=list)  # riders behind pace, most behind first
    help_more: int = 0  # riders behind pace not listed
    no_quota: list[str] = field(default_factory=list)  # riders flagged "no quota"


class DigestError(ValueError):
    """A request the digest cannot answer (a bad day, an unknown team); a user-facing line."""


def default_since(days: Sequence[dt.date], as_of: dt.date) -> dt.date | None:
    """The snapshot day before the latest one on or before ``as_of`` (None when there is none).

    Args:
        days: snapshot days in the store, oldest first (``review.snapshot_days``).
        as_of: the glance's day.
    """
    upto = [d for d in days if d <= as_of]
    if not upto:
        return None
    before = [d for d in days if d < upto[-1]]
    return before[-1] if before else None


def _view(teams: Sequence[str] | None) -> tuple[str | None, list[str] | None]:
    """(team, scope) as the pages take them: one team picked, or several as the scope."""
    if not teams:
        return None, None
    if len(teams) == 1:
        return teams[0], None
    return None, sorted(set(teams))


def _position(figures: dict) -> dict:
    return {k: _plain(figures.get(k)) for k in POSITION_KEYS}


def _plain(value):
    """A figure as a plain Python value (None when undefined)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _review(
    engine: Engine,
    quarter: Quarter,
    as_of: dt.date,
    since: dt.date | None,
    team: str | None,
    scope: list[str] | None,
) -> ReviewModel:
    """The Review's model for the days (cached as the page caches it). Without a comparison day
    the same model is shaped from the day's summary, with no movement."""
    if since is not None:
        return review_model(engine, quarter.name, as_of, since, team, scope)
    summary = summary_for(engine, quarter, as_of, None, team, scope=scope)
    return ReviewModel(
        quarter,
        summary.as_of,
        summary.as_of,
        team,
        dict(summary.team),
        {},
        pd.DataFrame(),
        summary.reps,
        summary.flags,
        [str(r) for r in summary.reps.index],
        [team] if team else scope,
    )


def _focus(model: ReviewModel) -> tuple[list[dict], dict]:
    rows, info = focus_list(model)
    reach, gap = info.get("deals_to_gap"), info.get("gap")
    if reach:
        shown = min(reach, FOCUS_SHOWN)
    elif gap:  # even every open deal would not close it: the largest of them
        shown = FOCUS_SHOWN
    else:  # quota met, or no quota
        shown = FOCUS_WHEN_NO_GAP
    keep = [
        "rank",
        "deal_name",
        "account",
        "rep",
        "team",
        "stage",
        "forecast_category",
        "close_date",
        "probability",
        "amount",
        "weighted",
        "running_amount",
        "closes_gap",
        "past_due",
    ]
    return _records(rows.head(shown)[keep]), {k: _plain(v) for k, v in info.items()}


def _help(
    engine: Engine,
    glance: Glance,
    model: ReviewModel,
    since: dt.date | None,
    scope: list[str] | None,
) -> None:
    """Riders behind pace, most behind first (attainment − pace, as rank orders them), with the
    Rider page's deal flags; and the riders flagged for having no quota."""
    reps = model.reps
    no_quota = reps["no_quota"].astype(bool)
    behind = reps[~no_quota & (reps["pace_gap"].astype("float64") < 0)]
    order = behind.assign(
        _margin=behind["attainment"].astype("float64") - behind["pace"].astype("float64"),
        _gap=behind["pace_gap"].astype("float64"),
        _rep=behind.index.astype(str),
    ).sort_values(["_margin", "_gap", "_rep"], kind="stable")
    glance.help_more = max(0, len(order) - HELP_SHOWN)
    glance.no_quota = sorted(str(r) for r in reps.index[no_quota.to_numpy()])
    for rep, r in order.head(HELP_SHOWN).iterrows():
        team = r["team"] if isinstance(r["team"], str) else None
        # The Rider page reads the rider within their team (its "large" is 2 x that team's
        # average won deal).
        summary = summary_for(engine, glance.quarter, glance.as_of, since, team, scope=scope)
        deals = rider_deals(engine, summary, str(rep), [team] if team else scope)
        flags = {word: int(deals[col].sum()) for col, word in DEAL_FLAGS if col in deals}
        glance.help.append(
            {
                "rep": str(rep),
                "team": team,
                "attainment": _plain(r["attainment"]),
                "pace": _plain(r["pace"]),
                "pace_gap": _plain(r["pace_gap"]),
                "won": _plain(r["won"]),
                "quota": _plain(r["quota"]),
                "coverage": _plain(r["coverage"]),
                "readiness_index": _plain(r.get("readiness_index")),
                "readiness_band": _plain(r.get("readiness_band")),
                "open_deals": len(deals),
                "flags": {word: n for word, n in flags.items() if n},
            }
        )


def build_glance(
    engine: Engine,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    teams: Sequence[str] | None = None,
    *,
    config: Config | None = None,
) -> Glance:
    """The glance of ``as_of``'s quarter for ``teams`` (all teams by default).

    Args:
        engine: the store.
        as_of: the day (default: today, from the one clock).
        since: the comparison day (default: ``default_since`` of the snapshot days).
        teams: the teams to cover (None or empty: every team; the CLI's local user sees all).
        config: settings (fiscal start month and the summary's).

    Raises:
        DigestError: a comparison day not before ``as_of``, or a team the store does not know.
    """
    config = config or load_config()
    as_of = as_of or clock.today()
    quarter = quarter_of(as_of, config.fiscal_year_start_month)
    known = set(catalog.teams(engine)["team"])
    unknown = [t for t in teams or () if t not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none loaded"
        raise DigestError(f"unknown team {unknown[0]!r} (teams: {listed})")
    if since is None:
        since = default_since(snapshot_days(engine), as_of)
    elif since >= as_of:
        raise DigestError(f"--since {since} must be before the glance's day {as_of}")
    team, scope = _view(teams)
    try:
        model = _review(engine, quarter, as_of, since, team, scope)
    except SummaryError as exc:
        raise DigestError(str(exc)) from None
    glance = Glance(quarter, model.as_of, since, list(teams) if teams else None, {})
    glance.position = _position(model.figures)

    if team is None:
        names = sorted({t for t in model.reps["team"] if isinstance(t, str)})
        if len(names) > 1:
            rows = []
            for name in names:
                figures = summary_for(engine, quarter, as_of, since, name, scope=scope).team
                rows.append({"team": name, **_position(figures)})
            rows.sort(key=lambda r: (r["pace_gap"] is None, r["pace_gap"] or 0, r["team"]))
            glance.by_team = rows[:TEAMS_SHOWN]
            glance.teams_more = max(0, len(rows) - TEAMS_SHOWN)

    if since is not None:
        glance.movement = {k: _plain(model.waterfall[k]) for k in (*WATERFALL_KEYS, "won_new")}
        counts = model.movement["category"].value_counts()
        glance.moved_counts = {str(k): int(v) for k, v in counts.items()}
        moves = moved_deals(model, limit=MOVES_SHOWN)
        glance.moves = _records(
            moves[["deal_name", "account", "rep", "team", "movement", "change", "amount_now"]]
        )

    glance.focus, glance.focus_info = _focus(model)
    _help(engine, glance, model, since, scope)
    return glance


__all__ = [
    "DEAL_FLAGS",
    "DigestError",
    "Glance",
    "POSITION_KEYS",
    "build_glance",
    "default_since",
]
