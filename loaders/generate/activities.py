"""Calls, emails, meetings and tasks over the snapshot weeks, drawn from the deals' own histories.

An activity on a deal falls between the deal's creation and its close, deletion or the day it went
stale, and belongs to whoever owned the deal that day. Some meetings have an expert along (the
team's SE, its manager, their director, the VP): the expert's own meeting on the same deal, as a CRM records it.
Reps differ in volume, and some have near-empty weeks. Deals also carry a last activity from before
the first file, so a snapshot's Last Activity column is complete without files nobody was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loaders.generate.deals import Deals
from loaders.generate.people import HUBSPOT, SALESFORCE, Org
from loaders.generate.timeline import Timeline

CALL, EMAIL, MEETING, OTHER = range(4)
MEETING_COMPLETED, MEETING_SCHEDULED = 0, 4
# Activities per open deal per week; with the unlinked ones and the experts' meetings this gives
# about the design size's 5,000,000 activities (docs/architecture.md#sizes) for 2,000 reps, 100 open deals each, over 13 weeks.
PER_DEAL_WEEK = 1.15
UNLINKED_SHARE = 0.3  # unlinked calls and emails per rep-week, per open deal of the rep


@dataclass
class Activities:
    """One row per activity, in time order; ``week`` is the index of the file that holds it."""

    deal: np.ndarray  # deal index; -1 when not linked to a deal
    owner: np.ndarray  # person index
    source: np.ndarray
    day: np.ndarray
    minute: np.ndarray
    kind: np.ndarray  # CALL, EMAIL, MEETING, OTHER
    completed: np.ndarray
    outcome: np.ndarray  # call outcome or meeting outcome code
    seconds: np.ndarray  # call or meeting duration
    inbound: np.ndarray
    subject: np.ndarray  # index into the kind's subjects
    created_lag: np.ndarray  # days between booking a meeting and holding it
    expert: np.ndarray  # True for an expert's meeting on a rep's deal
    week: np.ndarray

    def __len__(self) -> int:
        return len(self.day)


def _weekday_shift(day, lo, hi):
    """Move Saturdays and Sundays to the nearest weekday inside [lo, hi] (1970-01-01 is a Thursday)."""
    weekday = (day + 3) % 7
    back = day - np.where(weekday == 5, 1, 2)
    fwd = day + np.where(weekday == 5, 2, 1)
    weekend = weekday >= 5
    return np.where(weekend & (back >= lo), back, np.where(weekend & (fwd <= hi), fwd, day))


def build_activities(rng: np.random.Generator, org: Org, deals: Deals, tl: Timeline) -> Activities:
    """Draw the activities of the snapshot weeks (see the module docstring)."""
    w0, today = tl.window_start, tl.today
    n_reps = len(org.rep_person)
    rep_of_person = np.full(org.n_people, -1)
    rep_of_person[org.rep_person] = np.arange(n_reps)

    # On deals: Poisson over each deal's active days inside the window.
    lo = np.maximum(deals.created, w0)
    hi = np.minimum.reduce(
        [np.full(len(deals), today), deals.closed_on, deals.deleted - 1, deals.stale_since]
    )
    span = np.maximum(hi - lo + 1, 0)
    rate = PER_DEAL_WEEK / 7 * rng.gamma(2.0, 0.5, len(deals)) * org.rep_activity[deals.rep]
    row = np.repeat(np.arange(len(deals)), rng.poisson(rate * span))
    day = lo[row] + np.floor(rng.random(len(row)) * span[row]).astype(np.int64)
    day = _weekday_shift(day, lo[row], hi[row])
    owner = deals.owner.at(day, row)
    keep = owner >= 0  # nobody works an unassigned deal
    row, day, owner = row[keep], day[keep], owner[keep]

    # Unlinked prospecting calls and emails.
    rep_start = org.start_day[org.rep_person]
    first = np.maximum(rep_start, w0)
    open_deals = np.bincount(
        deals.rep, weights=(deals.kind >= 2) & (deals.kind <= 3), minlength=n_reps
    )
    unlinked = rng.poisson(
        UNLINKED_SHARE * open_deals * org.rep_activity * np.maximum(today - first + 1, 0) / 7
    )
    rep = np.repeat(np.arange(n_reps), unlinked)
    u_day = _weekday_shift(
        first[rep] + np.floor(rng.random(len(rep)) * (today - first[rep] + 1)).astype(np.int64),
        first[rep],
        np.full(len(rep), today),
    )

    deal = np.concatenate([row, np.full(len(rep), -1)])
    owner = np.concatenate([owner, org.rep_person[rep]])
    day = np.concatenate([day, u_day])
    n = len(day)
    kind = np.where(
        deal >= 0, rng.choice(4, n, p=[0.33, 0.42, 0.18, 0.07]), rng.choice(2, n, p=[0.6, 0.4])
    )
    source = org.person_source[owner]
    kind = np.where((source == HUBSPOT) & (kind == OTHER), EMAIL, kind)

    # Patchy reps have a couple of near-empty weeks.
    week = np.searchsorted(tl.snapshots, day, side="left")
    keep_p = np.ones((n_reps, tl.weeks))
    patchy = np.flatnonzero(org.rep_patchy)
    for _ in range(2):
        keep_p[patchy, rng.integers(0, tl.weeks, len(patchy))] = 0.15
    keep = rng.random(n) < keep_p[rep_of_person[owner], week]
    deal, owner, day, kind, source, week = (a[keep] for a in (deal, owner, day, kind, source, week))

    # Experts join some meetings, more often on large deals: their own meeting on the same deal.
    amount = deals.amount.initial
    typical = np.bincount(deals.rep, weights=amount) / np.maximum(np.bincount(deals.rep), 1)
    large = (deal >= 0) & (amount[deal] >= 2 * typical[deals.rep[deal]])
    joined = np.flatnonzero(
        (kind == MEETING) & (deal >= 0) & (rng.random(len(day)) < np.where(large, 0.45, 0.12))
    )
    team = org.team_on(day[joined], owner[joined])
    who = rng.choice(4, len(joined), p=[0.55, 0.3, 0.1, 0.05])
    expert_person = np.choose(
        who,
        [
            org.team_se[team],
            org.team_manager[team],
            org.team_director[team],
            np.full(len(joined), org.executive),
        ],
    )

    n = len(day)
    minute = np.where(
        kind == MEETING, rng.integers(16, 34, n) * 30, rng.integers(8 * 60, 18 * 60, n)
    )
    call_outcome = rng.choice(5, n, p=[0.45, 0.25, 0.2, 0.05, 0.05])
    meeting_outcome = rng.choice(4, n, p=[0.85, 0.05, 0.06, 0.04])
    meeting_outcome = np.where(
        (day == today) & (minute >= 13 * 60), MEETING_SCHEDULED, meeting_outcome
    )
    outcome = np.where(kind == CALL, call_outcome, np.where(kind == MEETING, meeting_outcome, -1))
    talk = np.clip(rng.lognormal(np.log(420), 0.6, n), 60, 3600)
    seconds = np.select(
        [
            kind == MEETING,
            (kind == CALL) & (outcome == 0),
            (kind == CALL) & (outcome == 1),
            kind == CALL,
        ],
        [
            rng.choice([30, 45, 60], n, p=[0.5, 0.2, 0.3]) * 60,
            talk,
            rng.integers(20, 60, n),
            rng.integers(0, 25, n),
        ],
        0,
    ).astype(np.int64)
    not_started = (source == SALESFORCE) & (kind != MEETING) & (rng.random(n) < 0.05)
    completed = ~not_started & ~(
        (source == HUBSPOT) & (kind == MEETING) & (outcome != MEETING_COMPLETED)
    )
    inbound = rng.random(n) < np.where(kind == EMAIL, 0.3, 0.15)
    subject = rng.integers(0, 60, n)
    created_lag = rng.integers(0, 11, n)

    def with_experts(a):
        return np.concatenate([a, a[joined]])

    expert = np.zeros(n + len(joined), bool)
    expert[n:] = True
    owner = np.concatenate([owner, expert_person])
    source_all = with_experts(source)
    cols = dict(
        deal=with_experts(deal),
        owner=owner,
        source=source_all,
        day=with_experts(day),
        minute=with_experts(minute),
        kind=with_experts(kind),
        completed=with_experts(completed),
        outcome=with_experts(outcome),
        seconds=with_experts(seconds),
        inbound=with_experts(inbound),
        subject=with_experts(subject),
        created_lag=with_experts(created_lag),
        expert=expert,
        week=with_experts(week),
    )
    order = np.lexsort((cols["owner"], cols["minute"], cols["day"]))
    return Activities(**{k: v[order] for k, v in cols.items()})


def last_activity(
    rng: np.random.Generator, deals: Deals, acts: Activities, tl: Timeline
) -> np.ndarray:
    """Each deal's last completed activity (day * 1440 + minute, -1 for none) at every snapshot.

    Returns:
        An array of shape (deals, weeks).
    """
    w0 = tl.window_start
    # Before the window: a last touch some days before it (or before going stale or closing).
    limit = np.minimum.reduce(
        [np.full(len(deals), w0 - 1), deals.stale_since, deals.closed_on, deals.deleted - 1]
    )
    room = np.maximum(limit - deals.created, 0)
    pre_day = limit - np.floor(rng.random(len(deals)) * np.minimum(room + 1, 21)).astype(np.int64)
    pre = pre_day * 1440 + rng.integers(8 * 60, 18 * 60, len(deals))
    pre = np.where((deals.created > limit) | (rng.random(len(deals)) < 0.06), -1, pre)

    grid = np.full((len(deals), tl.weeks), -1, np.int64)
    done = np.flatnonzero(acts.completed & (acts.deal >= 0))
    np.maximum.at(
        grid, (acts.deal[done], acts.week[done]), acts.day[done] * 1440 + acts.minute[done]
    )
    grid = np.maximum.accumulate(grid, axis=1)
    return np.maximum(grid, pre[:, None])
