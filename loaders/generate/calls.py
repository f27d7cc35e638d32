"""Forecast calls as a team keeps them in a spreadsheet: ``calls.csv`` (FORMATS.md).

Rules (the weeks and the roll-up are docs/metrics.md's):

* Calls cover every week of every quarter that has a day in the snapshot window, up to today.
  Week k of a quarter starts on its first day + 7(k - 1); the last week may be short.
* Reps call on one of the week's first three days, managers on its fourth, directors on its
  fifth, the VP on its sixth (never after the quarter's last day), so a manager rolls up the calls
  their reports made that week.
* Everyone calls in their first week of a quarter; later, some weeks are skipped (most people
  rarely, a few often). A rep calls in a quarter they carry quota in, from the week they start.
* A rep's commit is what they end up winning that quarter (the story's wins closing in it, today's
  open deals that will close won included) times one plus their bias (``Org.call_bias``:
  sandbaggers 20-30 % under, over-callers 20-40 % over, honest reps within a few percent), with
  an error that shrinks as the quarter goes on, and never below what they have already won.
  Their best case is 15-40 % above their commit.
* A manager, director or VP calls the roll-up of their direct reports (each report's call in
  force; a rep without one counts what they have won so far; a manager without one counts their
  own roll-up) times one plus their own adjustment (``Org.call_bias``).
* Amounts are whole thousands.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from loaders.generate import vocab
from loaders.generate.deals import Deals
from loaders.generate.people import CALL_STYLES, ROLE_DIRECTOR, ROLE_MANAGER, ROLE_SE, ROLE_VP, Org
from loaders.generate.timeline import Timeline

CALL_COLUMNS = ["Person", "Quarter", "Submitted", "Commit", "Best Case", "Note"]
# The day of the week each level calls on (0 = the week's first day); reps pick one of three.
_CHAIN_DAY = {ROLE_MANAGER: 3, ROLE_DIRECTOR: 4, ROLE_VP: 5}
_NOTE_SHARE = 0.3


def _thousands(values: np.ndarray) -> np.ndarray:
    return (np.round(np.asarray(values, float) / 1000) * 1000).astype(np.int64)


def call_quarters(tl: Timeline) -> range:
    """Indexes of the quarters the calls cover: those with a day in the snapshot window."""
    return range(tl.cal.index(tl.date(tl.window_start)), tl.q_index + 1)


def final_won(org: Org, deals: Deals, tl: Timeline, q: int) -> np.ndarray:
    """What each rep ends up winning in quarter ``q`` (the story's truth, later wins included)."""
    a, b = tl.day(tl.cal.start(q)), tl.day(tl.cal.end(q))
    rows = deals.won & (deals.outcome_day >= a) & (deals.outcome_day <= b)
    return np.bincount(
        deals.rep[rows], weights=deals.final_amount[rows], minlength=len(org.rep_person)
    )


def build_calls(rng: np.random.Generator, org: Org, deals: Deals, tl: Timeline) -> pd.DataFrame:
    """Every call of the window (see the module docstring), oldest first.

    Returns:
        One row per call: ``person`` (index), ``quarter`` (name), ``day``, ``commit``,
        ``best_case``, ``note``.
    """
    n_reps, today = len(org.rep_person), tl.today
    rep_start = org.start_day[org.rep_person]
    rep_bias = org.call_bias[org.rep_person]
    # Most people skip a week now and then; a few skip often.
    skip = np.where(rng.random(org.n_people) < 0.2, 0.35, 0.08)
    chain = {role: np.flatnonzero(org.roles == role) for role in _CHAIN_DAY}
    manager_team = np.full(org.n_people, -1)
    manager_team[org.team_manager] = np.arange(len(org.team_manager))

    out: list[pd.DataFrame] = []
    for q in call_quarters(tl):
        a, b = tl.day(tl.cal.start(q)), tl.day(tl.cal.end(q))
        name = tl.cal.name(q)
        carries = org.ramp(a, b) > 0
        final = final_won(org, deals, tl, q)
        wins = np.flatnonzero(deals.won & (deals.outcome_day >= a) & (deals.outcome_day <= b))
        wins = wins[np.argsort(deals.outcome_day[wins], kind="stable")]
        in_force = np.full((org.n_people, 2), np.nan)  # commit, best case of the call in force
        weeks = math.ceil((b - a + 1) / 7)
        for k in range(weeks):
            start = a + 7 * k
            if start > today:
                break
            # Reps.
            day = np.minimum(start + rng.integers(0, 3, n_reps), b)
            first = np.isnan(in_force[org.rep_person, 0])
            calls = (
                carries
                & (rep_start <= day)
                & (day <= today)
                & (first | (rng.random(n_reps) >= skip[org.rep_person]))
            )
            won = _won_by(deals, wins, day, n_reps)
            error = np.exp(rng.normal(0, 0.15 * (1 - k / weeks), n_reps))
            commit = np.maximum(won, final * (1 + rep_bias) * error)
            best = commit * rng.uniform(1.15, 1.4, n_reps)
            commit, best = _thousands(commit), _thousands(best)
            who = np.flatnonzero(calls)
            in_force[org.rep_person[who]] = np.column_stack([commit[who], best[who]])
            out.append(
                _rows(rng, org.rep_person[who], name, day[who], commit[who], best[who], True)
            )
            # The chain, bottom up: each level rolls up the values of the level below that day.
            rolled = np.zeros((org.n_people, 2))
            value = np.where(np.isnan(in_force), 0.0, in_force)
            value[org.rep_person] = np.where(
                np.isnan(in_force[org.rep_person]),
                won[:, None].repeat(2, axis=1),
                in_force[org.rep_person],
            )
            for role, offset in _CHAIN_DAY.items():
                people = chain[role]
                when = min(start + offset, b)
                if when > today or not len(people):
                    continue
                rolled[people] = _roll_up(org, role, people, when, value, manager_team)
                first = np.isnan(in_force[people, 0])
                calls = first | (rng.random(len(people)) >= skip[people])
                adjust = 1 + org.call_bias[people] + rng.normal(0, 0.02, len(people))
                commit = _thousands(rolled[people, 0] * adjust)
                best = _thousands(np.maximum(rolled[people, 1] * adjust, commit))
                who = np.flatnonzero(calls)
                in_force[people[who]] = np.column_stack([commit[who], best[who]])
                value[people] = np.where(
                    np.isnan(in_force[people]), rolled[people], in_force[people]
                )
                days = np.full(len(who), when)
                out.append(_rows(rng, people[who], name, days, commit[who], best[who], False))
    frame = pd.concat(out, ignore_index=True)
    return frame.sort_values(["day", "level", "person"], kind="stable").reset_index(drop=True)


def _won_by(deals: Deals, wins: np.ndarray, day: np.ndarray, n_reps: int) -> np.ndarray:
    """Each rep's wins of the quarter closed on or before their own ``day``."""
    rep = deals.rep[wins]
    done = deals.outcome_day[wins] <= day[rep]
    return np.bincount(rep[done], weights=deals.final_amount[wins][done], minlength=n_reps)


def _roll_up(
    org: Org, role: str, people: np.ndarray, day: int, value: np.ndarray, manager_team: np.ndarray
) -> np.ndarray:
    """Sum of the direct reports' values on ``day``, one (commit, best case) row per person."""
    if role == ROLE_MANAGER:
        reps = org.rep_person[org.start_day[org.rep_person] <= day]
        team = org.team_on(day, reps)
        boss = org.team_manager[team]
        reports, bosses = reps, boss
    elif role == ROLE_DIRECTOR:
        reports = org.team_manager
        bosses = org.team_director[manager_team[reports]]
    else:
        reports = np.flatnonzero(org.roles == ROLE_DIRECTOR)
        bosses = np.full(len(reports), org.executive)
    total = np.zeros((org.n_people, 2))
    np.add.at(total, bosses, value[reports])
    return total[people]


def _rows(rng, person, quarter, day, commit, best, rep: bool) -> pd.DataFrame:
    notes = vocab.REP_CALL_NOTES if rep else vocab.MANAGER_CALL_NOTES
    pick = rng.integers(0, len(notes), len(person))
    noted = rng.random(len(person)) < _NOTE_SHARE
    return pd.DataFrame(
        {
            "person": person,
            "quarter": quarter,
            "day": day,
            "commit": commit,
            "best_case": best,
            "note": np.where(noted, np.array(notes, object)[pick], ""),
            "level": 0 if rep else 1,
        }
    )


def caller_truth(org: Org, deals: Deals, tl: Timeline) -> dict:
    """``_truth/calls.json``: each caller's style and bias, and what each rep won in ended quarters."""
    people = np.flatnonzero(org.roles != ROLE_SE)
    ended = [q for q in call_quarters(tl) if tl.day(tl.cal.end(q)) <= tl.today]
    won = {tl.cal.name(q): final_won(org, deals, tl, q) for q in ended}
    return {
        "people": [
            {
                "person": org.names[p],
                "role": str(org.roles[p]),
                "style": CALL_STYLES[org.call_style[p]],
                "bias": round(float(org.call_bias[p]), 3),
            }
            for p in people.tolist()
        ],
        "won": {
            org.names[p]: {q: float(w[r]) for q, w in won.items()}
            for r, p in enumerate(org.rep_person.tolist())
        },
        "note": "bias: a rep's commit call over what they end up winning, minus one; a manager's, "
        "director's or VP's call over the roll-up of their reports, minus one",
    }
