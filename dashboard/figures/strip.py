"""The team strip: the handful of team figures a manager reads first, as cards.

Builders here return Dash components (Vizro's habit: figure builders return a figure or a
component). Every value is written as text by Dash, so nothing in it is read as HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import dash_bootstrap_components as dbc
from dash import html

from dashboard.figures import style as s

# Movement categories in the order a manager asks about them, with their words.
MOVE_WORDS = (
    ("pushed_out", "pushed out"),
    ("pulled_in", "pulled in"),
    ("created", "new"),
    ("won", "won"),
    ("lost", "lost"),
    ("increased", "up"),
    ("decreased", "down"),
    ("removed", "removed"),
)


def _card(label: str, value: str, sub: str | list, tone: str = "", key: str = "") -> dbc.Col:
    return dbc.Col(
        html.Div(
            [
                html.Div(label, className="kpi-label"),
                html.Div(value, className=f"kpi-value {tone}".strip()),
                html.Div(sub, className="kpi-sub"),
            ],
            className="kpi",
            id=f"course-kpi-{key}" if key else None,
            title=None,
        ),
        xs=6,
        md=4,
        xl=True,
        className="kpi-col",
    )


def _tone(attainment: object, pace: object) -> str:
    colour = s.pace_colour(attainment, pace)
    return {s.AHEAD: "tone-ahead", s.NEAR: "tone-near", s.BEHIND: "tone-behind"}.get(colour, "")


def must_be_true(team: Mapping, *, finished: bool = False) -> tuple[str, str, str]:
    """The "what must be true" card: value, explanation and tone.

    Once the quarter has finished nothing more must be true: the card says how it finished.
    """
    quota, won = team.get("quota"), team.get("won")
    if s.is_missing(quota) or not quota:
        return s.MISSING, "no quota loaded for this quarter", ""
    to_go = float(quota) - float(won or 0)
    if finished:
        return finished_card(float(won or 0), float(quota))
    if to_go <= 0:
        return "Quota met", f"won {s.money(won)} of {s.money(quota)}", "tone-ahead"
    need = team.get("needed_pipeline")
    deals = team.get("needed_deals")
    rate = team.get("win_rate")
    avg = team.get("avg_won_deal")
    if s.is_missing(need) or s.is_missing(rate):
        return (f"{s.money(to_go)} to go", "no deals closed in the last year to judge the odds", "")
    deal_text = ""
    if not s.is_missing(deals) and not s.is_missing(avg):
        n = int(deals)
        deal_text = f" · ≈{n:,} more win{'s' if n != 1 else ''} of {s.money(avg)}"
    if float(need) > 0:
        return (
            f"+{s.money(need)} pipeline",
            f"to win {s.money(to_go)} at a {s.pct(rate)} win rate{deal_text}",
            "tone-behind",
        )
    open_pipe = team.get("open_pipeline")
    return (
        "Pipeline is enough",
        f"convert {s.money(to_go)} of {s.money(open_pipe)} open at {s.pct(rate)}{deal_text}",
        "tone-ahead",
    )


def finished_card(won: float, quota: float) -> tuple[str, str, str]:
    """How a finished quarter ended: attainment, and how far over or short of quota."""
    share = won / quota
    if won >= quota:
        return (
            f"Finished at {s.pct(share)}",
            f"won {s.money(won)} of {s.money(quota)} · {s.money(won - quota)} over quota",
            "tone-ahead",
        )
    return (
        f"Finished at {s.pct(share)}",
        f"won {s.money(won)} of {s.money(quota)} · {s.money(quota - won)} short of quota",
        "tone-behind",
    )


def moved_summary(movement: Mapping[str, int] | None) -> tuple[int, str]:
    """How many deals moved and the three biggest kinds of move, in words."""
    if not movement:
        return 0, "no earlier snapshot to compare with"
    counts = [(movement.get(k, 0) or 0, word) for k, word in MOVE_WORDS]
    total = sum(c for c, _ in counts)
    if total == 0:
        return 0, "nothing moved"
    parts = [f"{c:,} {word}" for c, word in counts if c][:3]
    return total, " · ".join(parts)


def make_team_strip(
    team: Mapping,
    *,
    pace: float,
    movement: Mapping[str, int] | None = None,
    since: dt.date | None = None,
    label: str = "Team",
    finished: bool = False,
) -> html.Div:
    """The strip of team figures above the course (``finished``: the quarter is over).

    Args:
        team: the team's figures (the keys of docs/metrics.md#figures: ``quota``, ``won``, ``attainment``,
            ``pace_gap``, ``commit_forecast``, ``best_case_forecast``, ``coverage``,
            ``open_pipeline``, ``needed_pipeline``, ``needed_deals``, ``win_rate``,
            ``avg_won_deal``).
        pace: the share of the quarter elapsed.
        movement: deals per movement category since the comparison day (None: no comparison).
        since: the comparison day.
        label: whose figures these are ("All teams", a team's name).

    Returns:
        A row of cards.
    """
    att = team.get("attainment")
    quota = team.get("quota")
    cards = [
        _card(
            f"{label} attainment",
            s.pct(att),
            f"pace {s.pct(pace)} · "
            + (s.points(float(att) - pace) if not s.is_missing(att) else "no quota"),
            _tone(att, pace),
            "attainment",
        ),
        _card(
            "Pace gap",
            s.money(team.get("pace_gap"), signed=True),
            f"won {s.money(team.get('won'))} of {s.money(quota)} quota",
            _tone(att, pace),
            "pace-gap",
        ),
        _card(
            "Commit forecast",
            s.money(team.get("commit_forecast")),
            _of_quota(team.get("commit_forecast"), quota) + " · won + commit",
            "",
            "commit",
        ),
        _card(
            "Best-case forecast",
            s.money(team.get("best_case_forecast")),
            _of_quota(team.get("best_case_forecast"), quota) + " · + best case",
            "",
            "best-case",
        ),
        _card("Coverage", s.times(team.get("coverage")), _coverage_sub(team), "", "coverage"),
    ]
    total, words = moved_summary(movement)
    when = s.day(since, "%d %b") if since else "last snapshot"
    cards.append(
        _card(
            f"Moved since {when}", f"{total:,} deal{'s' if total != 1 else ''}", words, "", "moved"
        )
    )
    value, sub, tone = must_be_true(team, finished=finished)
    title = "How it finished" if finished and value != s.MISSING else "What must be true"
    cards.append(_card(title, value, sub, tone, "must"))
    return dbc.Row(cards, className="g-2 kpi-strip")


def _of_quota(value: object, quota: object) -> str:
    if s.is_missing(value) or s.is_missing(quota) or not quota:
        return "of quota " + s.MISSING
    return f"{s.pct(float(value) / float(quota))} of quota"


def _coverage_sub(team: Mapping) -> str:
    quota, won, open_pipe = team.get("quota"), team.get("won"), team.get("open_pipeline")
    if s.is_missing(quota) or not quota:
        return "no quota"
    to_go = float(quota) - float(won or 0)
    if to_go <= 0:
        return "quota met"
    return f"{s.money(open_pipe)} open for {s.money(to_go)} to go"
