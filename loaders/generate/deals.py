"""One event history per deal: the single story every snapshot and activity file is rendered from.

Each field that changes (stage, amount, close date, owner) is a ``History``: the value at creation
and up to K later events (day, new value), in day order. The state on any day is a lookup, for all
deals at once. Histories are drawn backwards from where a deal ends up (today's state, or the state
before it closed), which keeps control of the picture a manager sees today: how many open deals
each rep has in the quarter, which are past due, how much each rep has won so far.

Forecast category and probability follow the stage, with a per-deal twist (a late-stage deal kept in
Best Case, a probability nudged by the rep), so they change exactly when the stage changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.generate import vocab
from loaders.generate.people import HUBSPOT, SALESFORCE, Org
from loaders.generate.text import NEVER, from_codes, join, sf_ids
from loaders.generate.timeline import Timeline

# What part of the story a deal belongs to.
HISTORY, CLOSED_NOW, OPEN_NOW, OPEN_NEXT, DELETED = range(5)
KIND_NAMES = (
    "closed_history",
    "closed_this_quarter",
    "open_this_quarter",
    "open_next_quarter",
    "deleted",
)

_SF_PROB = np.array([p for _, p, _ in vocab.SF_STAGES])
_HS_PROB = np.array([round(p * 100) for _, p, _ in vocab.HS_STAGES])
_DEFAULT_FC = np.array(vocab.STAGE_DEFAULT_FC)


@dataclass
class History:
    """A field's value at creation and its later changes: ``times`` (N, K) in order, NEVER-padded."""

    initial: np.ndarray
    times: np.ndarray
    values: np.ndarray

    def at(self, day: int | np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Value at the end of ``day`` (one day for all, or one per row) for ``rows``."""
        times, values = self.times[rows], self.values[rows]
        day = np.asarray(day)
        n = (times <= (day[:, None] if day.ndim else day)).sum(axis=1)
        last = values[np.arange(len(n)), np.maximum(n - 1, 0)]
        return np.where(n == 0, self.initial[rows], last)

    def changes(self, rows: np.ndarray | slice = slice(None)):
        """(row, day, old, new) of every change of ``rows``; ``row`` indexes into ``rows``."""
        times, values, initial = self.times[rows], self.values[rows], self.initial[rows]
        before = np.concatenate([initial[:, None], values[:, :-1]], axis=1)
        row, slot = np.nonzero(times < NEVER)
        return row, times[row, slot], before[row, slot], values[row, slot]


def _compact(times: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(times, axis=1, kind="stable")
    return np.take_along_axis(times, order, 1), np.take_along_axis(values, order, 1)


def _drop_no_ops(initial, times, values) -> History:
    before = np.concatenate([initial[:, None], values[:, :-1]], axis=1)
    times = np.where(values == before, NEVER, times)
    return History(initial, *_compact(times, values))


def _sample_days(rng, lo, hi, counts, k: int, recent: float = 1.0) -> np.ndarray:
    """Up to ``counts`` distinct days in [lo, hi] per row, sorted, NEVER-padded to ``k`` columns.

    ``recent`` > 1 leans the days towards ``hi``.
    """
    span = hi - lo + 1
    valid = (np.arange(k)[None, :] < counts[:, None]) & (span[:, None] > 0)
    offset = np.floor(rng.random((len(lo), k)) ** recent * np.maximum(span, 0)[:, None])
    days = np.where(valid, hi[:, None] - offset.astype(np.int64), NEVER)
    days.sort(axis=1)
    days[:, 1:] = np.where(days[:, 1:] == days[:, :-1], NEVER, days[:, 1:])
    days.sort(axis=1)
    return days


def _backward(final, times, step) -> History:
    """Walk back from ``final`` through the events at ``times``; ``step(j, new)`` gives the old value."""
    values = np.empty(times.shape, dtype=final.dtype)
    cur = final.copy()
    for j in range(times.shape[1] - 1, -1, -1):
        values[:, j] = cur
        cur = np.where(times[:, j] < NEVER, step(j, cur), cur)
    return _drop_no_ops(cur, times, values)


def _append(h: History, day: np.ndarray, value: np.ndarray) -> History:
    """Add one event per row where ``day`` < NEVER; it must come after the row's other events."""
    times = np.concatenate([h.times, day[:, None]], axis=1)
    values = np.concatenate([h.values, value[:, None].astype(h.values.dtype)], axis=1)
    return _drop_no_ops(h.initial, *_compact(times, values))


def _pick(rng, candidates: np.ndarray, share: float, minimum: int) -> np.ndarray:
    """A random ``share`` of ``candidates`` (row indices), at least ``minimum`` when there are."""
    n = min(len(candidates), max(minimum, round(share * len(candidates))))
    return np.sort(rng.choice(candidates, n, replace=False)) if n else candidates[:0]


def _uniform_days(rng, lo, hi) -> np.ndarray:
    """One day per row in [lo, hi] (lo where hi < lo)."""
    return lo + np.floor(rng.random(len(lo)) * np.maximum(hi - lo + 1, 1)).astype(np.int64)


@dataclass
class Deals:
    """Every deal of the story: fixed attributes and the histories of the fields that change."""

    source: np.ndarray
    rep: np.ndarray  # the rep the deal was drawn for (its owner unless it changed hands)
    kind: np.ndarray
    created: np.ndarray
    closed_on: np.ndarray  # day won or lost, NEVER while open
    deleted: np.ndarray  # day removed from the CRM, NEVER when not
    stale_since: np.ndarray  # no activity after this day (NEVER for active deals)
    account: np.ndarray
    deal_type: np.ndarray
    lead_source: np.ndarray
    fc_twist: np.ndarray  # uniform 0..1: which deals sit in an unusual forecast category
    prob_twist: np.ndarray  # percentage points added to the stage's probability while open
    next_step: np.ndarray  # index into the stage's next steps; -1 = left blank
    hs_close_minute: np.ndarray
    hs_create_minute: np.ndarray
    ids: pa.Array  # Salesforce 18-character id, or HubSpot record id
    names: pa.Array
    account_names: pa.Array  # by account index
    stage: History
    amount: History
    close: History
    owner: History  # person index; -1 = unassigned

    def __len__(self) -> int:
        return len(self.source)

    def present(self, day: int) -> np.ndarray:
        """Deals in the CRM at the end of ``day``."""
        return (self.created <= day) & (self.deleted > day)

    def forecast(self, stage: np.ndarray, rows) -> np.ndarray:
        """Forecast category code of ``stage`` (same shape as ``stage``) for ``rows``."""
        twist = self.fc_twist[rows]
        twist = twist[:, None] if stage.ndim == 2 else twist
        fc = _DEFAULT_FC[stage]
        fc = np.where((stage == 4) & (twist < 0.15), vocab.FC_BEST_CASE, fc)
        fc = np.where((stage == 3) & (twist > 0.9), vocab.FC_COMMIT, fc)
        fc = np.where((stage == 2) & (twist > 0.94), vocab.FC_BEST_CASE, fc)
        return np.where((stage <= 1) & (twist > 0.97), vocab.FC_OMITTED, fc)

    def probability(self, stage: np.ndarray, rows) -> np.ndarray:
        """Probability in percent of ``stage`` for ``rows``."""
        source, twist = self.source[rows], self.prob_twist[rows]
        if stage.ndim == 2:
            source, twist = source[:, None], twist[:, None]
        base = np.where(source == HUBSPOT, _HS_PROB[stage], _SF_PROB[stage])
        return np.where(stage < vocab.OPEN_STAGES, np.clip(base + twist, 5, 95), base)


def _round_to(values: np.ndarray, unit: float) -> np.ndarray:
    return np.maximum(unit, np.round(values / unit) * unit)


def build_deals(rng: np.random.Generator, org: Org, tl: Timeline, deals_per_rep: int) -> Deals:
    """Draw every deal and its history (see the module docstring)."""
    if deals_per_rep < 1:
        raise ValueError("deals_per_rep must be at least 1")
    dpr, today, qs, qe = deals_per_rep, tl.today, tl.q_start, tl.q_end
    n_reps = len(org.rep_person)
    rep_start = org.start_day[org.rep_person]
    rep_team = org.team_after[org.rep_person]
    avg = 2.5 * org.rep_quota / dpr  # mean deal size: about 3x coverage
    unit = 100 if np.median(avg) < 20_000 else 500 if np.median(avg) < 150_000 else 1_000
    grown = np.clip((today - rep_start) / 180, 0.3, 1.0)  # ramping reps hold fewer deals
    q0_share = org.ramp(qs, qe)
    won_target = org.rep_quota * q0_share * tl.pace * org.rep_perf

    reps, kinds, won, closes = [], [], [], []

    def add(counts, kind, lo=None, hi=None, win_rate=None):
        """``counts[r]`` deals of rep r, closing in [lo[r], hi] (open when no lo), won at win_rate."""
        rep = np.repeat(np.arange(n_reps), counts)
        reps.append(rep)
        kinds.append(np.full(len(rep), kind))
        won.append(
            np.zeros(len(rep), bool)
            if win_rate is None
            else rng.random(len(rep)) < np.broadcast_to(win_rate, n_reps)[rep]
        )
        closes.append(
            np.full(len(rep), NEVER, np.int64)
            if lo is None
            else _uniform_days(rng, lo[rep], np.full(len(rep), hi))
        )

    # A year of closed deals, quarter by quarter, from a rep's first weeks on.
    for q in range(tl.q_index - 4, tl.q_index):
        a, b = tl.day(tl.cal.start(q)), tl.day(tl.cal.end(q))
        lo = np.maximum(a, rep_start + 20)
        counts = np.where(lo <= b, rng.poisson(0.5 * dpr * org.ramp(a, b)), 0)
        add(counts, HISTORY, lo, b, org.rep_win_rate)
    # This quarter so far: enough won to put each rep at their own distance from pace.
    lo = np.maximum(qs, rep_start + 20)
    n_won = np.where(lo <= today, np.round(won_target / avg), 0).astype(np.int64)
    n_lost = np.where(
        lo <= today,
        rng.poisson(np.maximum(n_won, 1) * (1 - org.rep_win_rate) / org.rep_win_rate),
        0,
    )
    add(n_won, CLOSED_NOW, lo, today, 1.0)
    add(n_lost, CLOSED_NOW, lo, today, 0.0)
    n_open = np.maximum(1, np.round(dpr * org.rep_coverage * grown)).astype(np.int64)
    add(n_open, OPEN_NOW)
    add(rng.poisson(0.45 * dpr * org.rep_coverage * grown), OPEN_NEXT)
    # Deleted duplicates and junk, drawn from reps who were there before the first snapshot.
    settled = np.flatnonzero(rep_start < tl.snapshots[0] - 30)
    n_deleted = (
        np.bincount(rng.choice(settled, max(2, round(0.03 * n_open.sum()))), minlength=n_reps)
        if len(settled)
        else np.zeros(n_reps, np.int64)
    )
    add(n_deleted, DELETED)

    rep, kind, won = np.concatenate(reps), np.concatenate(kinds), np.concatenate(won)
    closed_on = np.concatenate(closes)
    n = len(rep)
    closed = closed_on < NEVER
    open_now = (kind == OPEN_NOW) | (kind == OPEN_NEXT)
    source = org.team_source[rep_team[rep]]

    # Amounts: lognormal around the rep's deal size; this quarter's wins add up to the target.
    amount = _round_to(avg[rep] * rng.lognormal(-0.245, 0.7, n), unit)
    won_now = (kind == CLOSED_NOW) & won
    won_sum = np.bincount(rep[won_now], weights=amount[won_now], minlength=n_reps)
    scale = np.divide(won_target, won_sum, out=np.ones(n_reps), where=won_sum > 0)
    amount = np.where(won_now, _round_to(amount * scale[rep], unit), amount)

    # Created: a sales cycle before the close, or some weeks before today for open deals.
    cycle = np.clip(rng.lognormal(math.log(50), 0.55, n), 3, 300).astype(np.int64)
    age = np.clip(rng.lognormal(math.log(50), 0.7, n), 0, 330).astype(np.int64)
    created = np.where(closed, closed_on - cycle, today - age)
    created = np.maximum(created, rep_start[rep])
    created = np.where(closed, np.minimum(created, closed_on - 1), np.minimum(created, today))

    deleted = np.full(n, NEVER, np.int64)
    is_del = np.flatnonzero(kind == DELETED)
    if tl.weeks >= 2:
        k = rng.integers(1, tl.weeks, len(is_del))  # gone by snapshot k, there at k - 1
        seen = tl.snapshots[k - 1]
        created[is_del] = np.minimum(created[is_del], seen)
        deleted[is_del] = seen + rng.integers(1, 8, len(is_del))
    else:
        deleted[is_del] = today
    last_change = np.where(closed, closed_on - 1, np.where(deleted < NEVER, deleted - 1, today))

    stage = _build_stage(rng, kind, won, closed_on, created, last_change)
    amount_h = _build_amount(rng, amount, created, last_change, unit)
    close_h = _build_close(rng, tl, kind, closed_on, created, last_change)
    owner_h = _build_owner(rng, org, rep, source, open_now, created, last_change)

    # Stale: open deals nobody has touched for two to eight weeks (or ever, when younger).
    stale_since = np.full(n, NEVER, np.int64)
    stale = _pick(rng, np.flatnonzero(open_now), 0.12, 2)
    stale_since[stale] = np.maximum(today - rng.integers(15, 60, len(stale)), created[stale])

    # Accounts: each rep works a book of about a third as many accounts as deals.
    per_rep = np.bincount(rep, minlength=n_reps)
    book = np.maximum(4, -(-per_rep // 3))
    book_start = np.concatenate([[0], np.cumsum(book)[:-1]])
    account = book_start[rep] + np.floor(rng.random(n) * book[rep]).astype(np.int64)
    account_names = _account_names(rng, int(book.sum()))
    product = rng.integers(0, len(vocab.PRODUCTS), n)
    names = join(account_names.take(pa.array(account)), " - ", from_codes(product, vocab.PRODUCTS))
    deal_type = np.where(
        source == HUBSPOT,
        rng.choice(2, n, p=[0.65, 0.35]),
        rng.choice(4, n, p=[0.55, 0.25, 0.15, 0.05]),
    )

    # Ids follow creation order, as a CRM hands them out.
    serial = np.empty(n, np.int64)
    serial[np.argsort(created, kind="stable")] = np.arange(n)
    ids = pc.if_else(
        pa.array(source == SALESFORCE),
        sf_ids("006", 1_000_000 + 3 * serial),
        pc.cast(pa.array(20_000_000_000 + 11 * serial), pa.string()),
    )
    return Deals(
        source=source,
        rep=rep,
        kind=kind,
        created=created,
        closed_on=closed_on,
        deleted=deleted,
        stale_since=stale_since,
        account=account,
        deal_type=deal_type,
        lead_source=rng.integers(0, len(vocab.LEAD_SOURCES), n),
        fc_twist=rng.random(n),
        prob_twist=rng.choice([0, -10, -5, 5, 10], n, p=[0.88, 0.03, 0.03, 0.03, 0.03]),
        next_step=np.where(rng.random(n) < 0.15, -1, rng.integers(0, 4, n)),
        hs_close_minute=np.where(rng.random(n) < 0.7, 0, rng.integers(8 * 60, 18 * 60, n)),
        hs_create_minute=rng.integers(7 * 60, 19 * 60, n),
        ids=ids,
        names=names,
        account_names=account_names,
        stage=stage,
        amount=amount_h,
        close=close_h,
        owner=owner_h,
    )


def _build_stage(rng, kind, won, closed_on, created, last_change) -> History:
    n = len(kind)
    dists = {
        OPEN_NOW: [0.14, 0.2, 0.26, 0.24, 0.16],
        OPEN_NEXT: [0.35, 0.3, 0.2, 0.1, 0.05],
        DELETED: [0.5, 0.3, 0.2, 0, 0],
    }
    final = np.empty(n, np.int64)
    closed = closed_on < NEVER
    for rows, p in [
        (closed & won, [0.02, 0.05, 0.13, 0.35, 0.45]),
        (closed & ~won, [0.3, 0.3, 0.2, 0.13, 0.07]),
    ] + [(kind == k, p) for k, p in dists.items()]:
        final[rows] = rng.choice(5, rows.sum(), p=p)
    start = np.minimum(final, rng.choice(3, n, p=[0.6, 0.3, 0.1]))
    back = (rng.random(n) < 0.12) & (final >= 1)  # one step back on the way
    count = final - start + 2 * back
    k = 6
    times = _sample_days(rng, created + 1, last_change, count, k, recent=1.3)
    valid = times < NEVER
    steps = np.ones((n, k), np.int64)
    back_at = np.floor(rng.random(n) * np.maximum(valid.sum(1), 1)).astype(np.int64)
    steps[np.flatnonzero(back), back_at[back]] = -1
    h = _backward(final, times, lambda j, new: np.clip(new - steps[:, j], 0, 4))
    outcome = np.where(won, vocab.WON, vocab.LOST)
    return _append(h, np.where(closed, closed_on, NEVER), outcome)


def _build_amount(rng, final, created, last_change, unit) -> History:
    n = len(final)
    count = rng.choice(3, n, p=[0.6, 0.28, 0.12])
    times = _sample_days(rng, created + 1, last_change, count, 2)
    factor = np.exp(rng.normal(0, 0.25, (n, 2)))
    factor = np.where(np.abs(np.log(factor)) < 0.05, 1.15, factor)
    return _backward(
        final.astype(np.float64), times, lambda j, new: _round_to(new / factor[:, j], unit)
    )


def _build_close(rng, tl: Timeline, kind, closed_on, created, last_change) -> History:
    n, today, qs, qe = len(kind), tl.today, tl.q_start, tl.q_end
    closed = closed_on < NEVER
    # Where the close date stands before the last move: open deals' final dates, or for closed
    # deals the planned date, which the close sets to the real day (a late or an early close).
    final = np.empty(n, np.int64)
    rows = np.flatnonzero(kind == OPEN_NOW)
    past_due = (rng.random(len(rows)) < 0.12) & (today > qs)
    final[rows] = np.where(
        past_due,
        _uniform_days(rng, np.full(len(rows), qs), today - 1),
        _uniform_days(rng, np.full(len(rows), today), qe),
    )
    rows = np.flatnonzero(kind == OPEN_NEXT)
    final[rows] = _uniform_days(rng, np.full(len(rows), qe + 1), tl.next_end)
    rows = np.flatnonzero(kind == DELETED)
    final[rows] = _uniform_days(rng, np.maximum(created[rows], today - 20), qe + 30)
    rows = np.flatnonzero(closed)
    offset = rng.choice([0, -1, 1], len(rows), p=[0.55, 0.25, 0.2]) * rng.integers(1, 21, len(rows))
    final[rows] = closed_on[rows] + offset
    final = np.maximum(final, created)

    # Forced last moves inside the snapshot window: pushed out of the quarter, pulled into it.
    forced_day = np.full(n, NEVER, np.int64)
    forced_new = final.copy()
    first = np.maximum(created + 1, tl.window_start + 1)
    can = first <= today
    out = _pick(rng, np.flatnonzero((kind == OPEN_NEXT) & can), 0.4, 2)
    forced_day[out] = _uniform_days(rng, first[out], np.full(len(out), today))
    final[out] = _uniform_days(
        rng,
        np.maximum.reduce([np.full(len(out), qs), forced_day[out] - 10, created[out]]),
        np.full(len(out), qe),
    )
    forced_new[out] = np.maximum(final[out] + rng.integers(14, 60, len(out)), qe + 1)
    into = _pick(rng, np.flatnonzero((kind == OPEN_NOW) & can & (final >= today)), 0.08, 2)
    forced_day[into] = _uniform_days(rng, first[into], np.full(len(into), today))
    forced_new[into] = final[into]
    final[into] = qe + rng.integers(5, 60, len(into))

    # Earlier moves, walked back from there: values first, then days. A push happens around the
    # date that slips (two weeks before to a week after it), a pull-in some days before the new
    # date, so no move sets a date already past. A move that cannot fit after the deal's creation
    # is dropped with the moves before it.
    k = 3
    count = rng.choice(k + 1, n, p=[0.5, 0.28, 0.14, 0.08])
    push = rng.random((n, k)) < 0.78
    delta = np.where(
        push,
        np.where(
            rng.random((n, k)) < 0.8, rng.integers(7, 45, (n, k)), rng.integers(45, 120, (n, k))
        ),
        -rng.integers(5, 30, (n, k)),
    )
    lead = np.where(push, rng.integers(-7, 15, (n, k)), rng.integers(3, 30, (n, k)))
    times = np.full((n, k), NEVER, np.int64)
    values = np.empty((n, k), np.int64)
    value = final.copy()
    latest = np.where(forced_day < NEVER, forced_day - 1, last_change)
    alive = np.ones(n, bool)
    for j in range(k - 1, -1, -1):
        moves = alive & (j < count)
        old = np.maximum(value - delta[:, j], created)
        cap = np.minimum(latest, value)
        fits = moves & (cap >= created + 1)
        day = np.clip(np.where(push[:, j], old, value) - lead[:, j], created + 1, cap)
        times[:, j] = np.where(fits, day, NEVER)
        values[:, j] = value
        alive &= ~(moves & ~fits)
        latest = np.where(fits, day - 1, latest)
        value = np.where(fits, old, value)
    h = _drop_no_ops(value, *_compact(times, values))
    h = _append(h, forced_day, forced_new)
    return _append(h, np.where(closed, closed_on, NEVER), closed_on)


def _build_owner(rng, org: Org, rep, source, open_now, created, last_change) -> History:
    n = len(rep)
    person = org.rep_person[rep]
    final = person.copy()
    hubspot_open = np.flatnonzero(open_now & (source == HUBSPOT))
    unassigned = _pick(rng, hubspot_open, 0.02, 2)
    final[unassigned] = -1
    initial = final.copy()
    times = np.full((n, 1), NEVER, np.int64)

    # A few deals changed hands within the team (territory moves, a rep covering for another).
    team = org.team_after[person]
    team_size = np.bincount(team[final >= 0], minlength=len(org.team_names))
    movable = np.flatnonzero((final >= 0) & (team_size[team] > 1) & (last_change > created))
    moved = _pick(rng, movable, 0.03, 2)
    # The AEs listed team by team; the old owner is another AE of the deal owner's team.
    members = org.rep_person[np.argsort(org.team_after[org.rep_person], kind="stable")]
    team_first = np.searchsorted(org.team_after[members], np.arange(len(org.team_names)))
    aes_in_team = np.bincount(org.team_after[org.rep_person], minlength=len(org.team_names))
    position = np.empty(org.n_people, np.int64)
    position[members] = np.arange(len(members))
    first, size = team_first[team[moved]], aes_in_team[team[moved]]
    other = (position[person[moved]] - first + rng.integers(1, np.maximum(size, 2))) % size
    initial[moved] = members[first + other]
    times[moved, 0] = _uniform_days(rng, created[moved] + 1, last_change[moved])

    # A few inbound HubSpot deals were created unassigned and handed to a rep later.
    assignable = np.setdiff1d(
        hubspot_open[last_change[hubspot_open] > created[hubspot_open]],
        np.concatenate([unassigned, moved]),
    )
    assigned = _pick(rng, assignable, 0.01, 1)
    initial[assigned] = -1
    times[assigned, 0] = _uniform_days(rng, created[assigned] + 1, last_change[assigned])
    return _drop_no_ops(initial, times, final[:, None])


def _account_names(rng, count: int) -> pa.Array:
    names = []
    for pre in vocab.ACCOUNT_PREFIXES:
        for noun in vocab.ACCOUNT_NOUNS:
            for suf in vocab.ACCOUNT_SUFFIXES:
                names.append(f"{pre} {noun}{suf}" if suf.startswith(",") else f"{pre} {noun} {suf}")
    table = pa.array(names, pa.string())
    order = rng.permutation(len(names))
    return table.take(pa.array(order[np.arange(count) % len(names)]))
