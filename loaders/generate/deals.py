"""One event history per deal: the single story every snapshot and activity file is rendered from.

Each field that changes (stage, amount, close date, owner) is a ``History``: the value at creation
and up to K later events (day, new value), in day order. The state on any day is a lookup, for all
deals at once.

Every quarter is told the same way, the current one and the next included, from its outcome back:

* Each rep wins, in each quarter they carry quota, their form times a quarter's luck (``Org.rep_perf``
  around the team's 97 %; ``QUARTER_LUCK``): that many won deals, whose amounts add up to it exactly,
  and losses at the rep's win rate (about 27 % by count). Wins lean towards the quarter's end.
* A deal's close date is walked back from its outcome: the date planned just before it, a pull-in
  from a later quarter for some, pushes (some by a quarter) and pull-ins before that; the deal was
  created some weeks before its first planned date. Deals that slip out of one quarter are the
  pipeline of another; a deal created and won in the same quarter is new business.
* The stage climbs to the last stage it reaches before the outcome (far for wins, mostly not for
  losses); forecast category follows the stage, with a per-deal twist that leans the way the deal
  ends (a Proposal a rep keeps in Commit tends to be won, a Negotiation held in Best Case to be lost).

The files show each story up to today only: a deal created later does not exist yet, a change after
today has not happened, and a deal whose outcome is after today is open. So the current quarter's
open pipeline holds, in the same proportions as every past quarter's did, the deals that will be
won, lost or pushed: coverage about 3x at a quarter's start, and a forecast from past quarters'
categories means something (docs/metrics.md, coverage, win_rate, forecast). The knobs below are set
so that the figures land where a real team's do; ``tests/integration/test_generate_story.py`` holds
the generator to that.
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
from loaders.generate.timeline import HISTORY_QUARTERS, Timeline

# What part of the story a deal belongs to.
HISTORY, CLOSED_NOW, OPEN_NOW, OPEN_NEXT, DELETED = range(5)
KIND_NAMES = (
    "closed_history",
    "closed_this_quarter",
    "open_this_quarter",
    "open_next_quarter",
    "deleted",
)

# The story's knobs. Mean deal size as a share of quota over deals_per_rep: about deals_per_rep
# open deals per rep in the quarter mid-way (more at its start, fewer near its end).
DEAL_SIZE = 1.7
FUTURE_QUARTERS = 1  # quarters after the current one whose deals may already be open
QUARTER_LUCK = 0.2  # spread (log) of a rep's quarter around their form
WIN_LEAN = 1.15  # wins pile up towards the quarter's end: share won by pace p is p ** WIN_LEAN
LOST_SIZE = 1.0  # mean size of a lost deal over a won one
# Median days from a deal's creation to its first planned close date (won / lost deals); the
# moves of the date come on top.
WON_LEAD_DAYS, LOST_LEAD_DAYS = 60, 50
LEAD_SPREAD = 0.5  # (log) spread of that lead
# The stage a deal last reaches before it is won / lost (Prospecting .. Negotiation).
WON_LAST_STAGE = [0.02, 0.03, 0.1, 0.3, 0.55]
LOST_LAST_STAGE = [0.25, 0.25, 0.22, 0.2, 0.08]
STAGE_LEAN = 0.8  # < 1: a deal moves through its stages early, then waits on the signature
FC_LEAN = 2.0  # how much a deal's forecast category knows of its outcome (1: nothing)
PULLED_IN = 0.1  # share of closing deals whose date came in from a later quarter
MOVES = [0.4, 0.3, 0.2, 0.1]  # chance of 0, 1, 2, 3 close-date moves before the last
LOST_MOVES = [0.25, 0.3, 0.25, 0.2]  # the same for deals that end lost: they drag on
LONG_PUSH = 0.4  # share of pushes by a month or more ("next quarter"), the rest by 1-4 weeks
LOST_EARLY = (-20, 40)  # days from a lost deal's loss to the date it was planned to close on
PUSH_NOTICE = 30  # a push comes up to this many days before the date it moves (or a week after)

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
    """Each row's events in day order (a stable sort; NEVER, no event, last), without the columns
    no row uses. Only the rows out of order are sorted: most are in order already."""
    bad = np.flatnonzero((times[:, 1:] < times[:, :-1]).any(axis=1))
    if len(bad):
        order = np.argsort(times[bad], axis=1, kind="stable")
        times, values = times.copy(), values.copy()
        times[bad] = np.take_along_axis(times[bad], order, 1)
        values[bad] = np.take_along_axis(values[bad], order, 1)
    width = max(1, int((times < NEVER).sum(axis=1).max(initial=0)))
    return times[:, :width], values[:, :width]


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
    """Add one event per row where ``day`` < NEVER; it must come after the row's other events.

    It goes in the row's first free slot (``h`` is compact and has no no-op events), unless it
    sets the value the row already has.
    """
    n = len(day)
    used = (h.times < NEVER).sum(axis=1)
    rows = np.flatnonzero(day < NEVER)
    slot = used[rows]
    before = np.where(slot > 0, h.values[rows, np.maximum(slot - 1, 0)], h.initial[rows])
    keep = value[rows] != before
    rows, slot = rows[keep], slot[keep]
    width = max(h.times.shape[1], int(slot.max(initial=-1)) + 1)
    times = np.full((n, width), NEVER, np.int64)
    values = np.zeros((n, width), h.values.dtype)
    times[:, : h.times.shape[1]], values[:, : h.values.shape[1]] = h.times, h.values
    times[rows, slot], values[rows, slot] = day[rows], value[rows]
    return History(h.initial, times, values)


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
    outcome_day: np.ndarray  # day the deal is won or lost, today or later (NEVER: deleted)
    won: np.ndarray  # the deal is (or will be) won on outcome_day
    final_amount: np.ndarray  # the amount it closes at (changes after today included)

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
        fc = np.where((stage == 3) & (twist > 0.85), vocab.FC_COMMIT, fc)
        fc = np.where((stage == 2) & (twist > 0.9), vocab.FC_BEST_CASE, fc)
        return np.where((stage <= 1) & (twist < 0.03), vocab.FC_OMITTED, fc)

    def probability(self, stage: np.ndarray, rows) -> np.ndarray:
        """Probability in percent of ``stage`` for ``rows``."""
        source, twist = self.source[rows], self.prob_twist[rows]
        if stage.ndim == 2:
            source, twist = source[:, None], twist[:, None]
        base = np.where(source == HUBSPOT, _HS_PROB[stage], _SF_PROB[stage])
        return np.where(stage < vocab.OPEN_STAGES, np.clip(base + twist, 5, 95), base)


def _round_to(values: np.ndarray, unit: float) -> np.ndarray:
    return np.maximum(unit, np.round(values / unit) * unit)


def _until(h: History, day: int) -> History:
    """``h`` as known at the end of ``day``: later changes have not happened yet."""
    return History(h.initial, np.where(h.times > day, NEVER, h.times), h.values)


def build_deals(rng: np.random.Generator, org: Org, tl: Timeline, deals_per_rep: int) -> Deals:
    """Draw every deal and its history (see the module docstring)."""
    if deals_per_rep < 1:
        raise ValueError("deals_per_rep must be at least 1")
    today = tl.today
    n_reps = len(org.rep_person)
    rep_start = org.start_day[org.rep_person]
    avg = DEAL_SIZE * org.rep_quota / deals_per_rep
    unit = 100 if np.median(avg) < 20_000 else 500 if np.median(avg) < 150_000 else 1_000
    odds = (1 - org.rep_win_rate) / org.rep_win_rate

    reps, won, outcome_day, targets = [], [], [], []
    for q in range(tl.q_index - HISTORY_QUARTERS, tl.q_index + 1 + FUTURE_QUARTERS):
        a, b = tl.day(tl.cal.start(q)), tl.day(tl.cal.end(q))
        lo = np.maximum(a, rep_start + 20)  # a rep's first deal closes some weeks in
        share = org.ramp(a, b)
        active = (lo <= b) & (share > 0)
        # What each rep wins this quarter: their form, give or take a quarter's luck.
        attain = org.rep_perf * np.exp(rng.normal(0, QUARTER_LUCK, n_reps) - QUARTER_LUCK**2 / 2)
        target = np.where(active, org.rep_quota * share * attain, 0.0)
        n_won = np.where(active, np.maximum(1, np.round(target / avg)), 0).astype(np.int64)
        n_lost = np.where(active, rng.poisson(n_won * odds), 0)
        rep_w, rep_l = np.repeat(np.arange(n_reps), n_won), np.repeat(np.arange(n_reps), n_lost)
        span_w, span_l = b - lo[rep_w] + 1, b - lo[rep_l] + 1
        # Wins lean towards the quarter's end; losses come any time.
        day_w = lo[rep_w] + np.floor(rng.random(len(rep_w)) ** (1 / WIN_LEAN) * span_w)
        day_l = lo[rep_l] + np.floor(rng.random(len(rep_l)) * span_l)
        reps += [rep_w, rep_l]
        won += [np.ones(len(rep_w), bool), np.zeros(len(rep_l), bool)]
        outcome_day += [day_w.astype(np.int64), day_l.astype(np.int64)]
        targets += [target[rep_w] / np.maximum(n_won[rep_w], 1), np.zeros(len(rep_l))]

    rep, won = np.concatenate(reps), np.concatenate(won)
    outcome = np.concatenate(outcome_day)
    target_share = np.concatenate(targets)  # a won deal's share of its rep's quarter target
    n = len(rep)

    # The close date's story first: where it was planned, how it moved; the deal was created some
    # weeks before its first planned date. A deal not created by today does not exist yet.
    close_h, created = _closing_dates(rng, tl, won, outcome, rep_start[rep])
    exists = created <= today
    rep, won, outcome, target_share, created = (
        x[exists] for x in (rep, won, outcome, target_share, created)
    )
    close_h = _select(close_h, exists)
    n = len(rep)

    # Amounts: lognormal around the rep's deal size; each rep's wins of a quarter add up to what
    # the rep was drawn to win (target_share carries the quarter's target, split per win).
    amount = _round_to(avg[rep] * np.where(won, 1, LOST_SIZE) * rng.lognormal(-0.245, 0.7, n), unit)
    quarter = np.searchsorted(_quarter_starts(tl), outcome, side="right")
    key = rep * 64 + quarter
    won_sum = np.bincount(key[won], weights=amount[won], minlength=n_reps * 64)
    want = np.bincount(key[won], weights=target_share[won], minlength=n_reps * 64)
    scale = np.divide(want, won_sum, out=np.ones(len(want)), where=won_sum > 0)
    amount = np.where(won, _round_to(amount * scale[key], unit), amount)

    # Deleted duplicates and junk, drawn from reps who were there before the first snapshot.
    n_open = int((outcome > today).sum())
    settled = np.flatnonzero(rep_start < tl.snapshots[0] - 30)
    n_del = min(len(settled) * 50, max(2, round(0.02 * n_open))) if len(settled) else 0
    del_rep = np.sort(rng.choice(settled, n_del)) if n_del else np.zeros(0, np.int64)
    age = np.clip(rng.lognormal(math.log(50), 0.7, n_del), 0, 330).astype(np.int64)
    del_created = np.maximum(today - age, rep_start[del_rep])
    deleted_day = np.full(n_del, NEVER, np.int64)
    if tl.weeks >= 2:
        k = rng.integers(1, tl.weeks, n_del)  # gone by snapshot k, there at k - 1
        seen = tl.snapshots[k - 1]
        del_created = np.minimum(del_created, seen)
        deleted_day = seen + rng.integers(1, 8, n_del)
    else:
        deleted_day[:] = today
    del_amount = _round_to(avg[del_rep] * rng.lognormal(-0.245, 0.7, n_del), unit)
    planned = _uniform_days(rng, np.maximum(del_created, today - 20), np.full(n_del, tl.q_end + 30))
    moves = _walk_back(rng, planned, deleted_day - 1, rng.choice(4, n_del, p=MOVES))
    del_close = _from_day(moves, del_created)

    rep = np.concatenate([rep, del_rep])
    won = np.concatenate([won, np.zeros(n_del, bool)])
    outcome = np.concatenate([outcome, np.full(n_del, NEVER, np.int64)])
    created = np.concatenate([created, del_created])
    amount = np.concatenate([amount, del_amount])
    deleted = np.concatenate([np.full(n, NEVER, np.int64), deleted_day])
    close_h = _until(_stack(close_h, del_close), today)
    is_deleted = deleted < NEVER
    n = len(rep)
    closed_on = np.where(outcome <= today, outcome, NEVER)
    closed = closed_on < NEVER
    source = org.team_source[org.team_after[org.rep_person[rep]]]
    # The whole path runs to the outcome; the files show it only up to today.
    last_change = np.where(is_deleted, deleted - 1, outcome - 1)
    seen_until = np.minimum(last_change, today)

    stage = _until(_build_stage(rng, won, is_deleted, outcome, created, last_change), today)
    amount_h = _until(_build_amount(rng, amount, created, last_change, unit), today)

    close_today = close_h.at(today)
    kind = np.select(
        [is_deleted, closed & (closed_on < tl.q_start), closed, close_today <= tl.q_end],
        [DELETED, HISTORY, CLOSED_NOW, OPEN_NOW],
        OPEN_NEXT,
    )
    open_now = (kind == OPEN_NOW) | (kind == OPEN_NEXT)
    owner_h = _build_owner(rng, org, rep, source, open_now, created, seen_until)

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
        fc_twist=_fc_twist(rng, won, is_deleted),
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
        outcome_day=outcome,
        won=won,
        final_amount=amount,
    )


def _quarter_starts(tl: Timeline) -> np.ndarray:
    """First days of the quarters around the story, for ``np.searchsorted``."""
    first = tl.q_index - HISTORY_QUARTERS - 2
    return np.array([tl.day(tl.cal.start(q)) for q in range(first, tl.q_index + 5)], np.int64)


def _fc_twist(rng, won, is_deleted) -> np.ndarray:
    """Where a deal sits within its stage's forecast category, 0..1 (see ``Deals.forecast``).

    A rep's category carries what the rep knows beyond the stage: deals that go on to be won lean
    high (a Proposal kept in Commit), deals that go on to be lost lean low (a Negotiation held
    back in Best Case).
    """
    u = rng.random(len(won))
    return np.where(won, u ** (1 / FC_LEAN), np.where(is_deleted, u, 1 - (1 - u) ** (1 / FC_LEAN)))


def _build_stage(rng, won, is_deleted, outcome, created, last_change) -> History:
    n = len(won)
    # The stage a deal reaches before its outcome: wins get far, losses mostly stall early.
    final = np.empty(n, np.int64)
    for rows, p in [
        (won, WON_LAST_STAGE),
        (~won & ~is_deleted, LOST_LAST_STAGE),
        (is_deleted, [0.5, 0.3, 0.2, 0, 0]),
    ]:
        final[rows] = rng.choice(5, rows.sum(), p=p)
    start = np.minimum(final, rng.choice(3, n, p=[0.6, 0.3, 0.1]))
    back = (rng.random(n) < 0.12) & (final >= 1)  # one step back on the way
    count = final - start + 2 * back
    k = 6
    times = _sample_days(rng, created + 1, last_change, count, k, recent=STAGE_LEAN)
    valid = times < NEVER
    steps = np.ones((n, k), np.int64)
    back_at = np.floor(rng.random(n) * np.maximum(valid.sum(1), 1)).astype(np.int64)
    steps[np.flatnonzero(back), back_at[back]] = -1
    h = _backward(final, times, lambda j, new: np.clip(new - steps[:, j], 0, 4))
    closes = np.where(is_deleted, NEVER, outcome)
    return _append(h, closes, np.where(won, vocab.WON, vocab.LOST))


def _build_amount(rng, final, created, last_change, unit) -> History:
    n = len(final)
    count = rng.choice(3, n, p=[0.6, 0.28, 0.12])
    times = _sample_days(rng, created + 1, last_change, count, 2)
    factor = np.exp(rng.normal(0, 0.25, (n, 2)))
    factor = np.where(np.abs(np.log(factor)) < 0.05, 1.15, factor)
    return _backward(
        final.astype(np.float64), times, lambda j, new: _round_to(new / factor[:, j], unit)
    )


def _closing_dates(rng, tl: Timeline, won, outcome, first_day) -> tuple[History, np.ndarray]:
    """Close-date history of deals won or lost on ``outcome``, and the day each was created.

    Walked back from the close: the date planned just before it (the close sets the real day: a
    late or an early win; a loss often comes before its date), a pull-in from a later quarter for
    some, earlier pushes and pull-ins; the deal was created some weeks before its first planned
    date, and not before ``first_day`` (the rep's start), where earlier moves are dropped.
    """
    n = len(outcome)
    offset = rng.choice([0, -1, 1], n, p=[0.55, 0.25, 0.2]) * rng.integers(1, 21, n)
    lost_early = rng.integers(LOST_EARLY[0], LOST_EARLY[1] + 1, n)
    final = outcome + np.where(won, offset, lost_early)

    # Some deals are pulled in: the customer moved faster, and the date came in from a later quarter.
    starts = _quarter_starts(tl)
    q_end = starts[np.searchsorted(starts, final, side="right")] - 1
    forced_day = np.full(n, NEVER, np.int64)
    cap = np.minimum(outcome, final) - 1
    into = _pick(rng, np.flatnonzero(final - 60 <= cap), PULLED_IN, 2)
    forced_day[into] = _uniform_days(rng, final[into] - 60, cap[into])
    forced_new = final.copy()
    final[into] = q_end[into] + rng.integers(5, 60, len(into))

    latest = np.where(forced_day < NEVER, forced_day - 1, outcome - 1)
    count = np.where(won, rng.choice(4, n, p=MOVES), rng.choice(4, n, p=LOST_MOVES))
    h = _walk_back(rng, final, latest, count)
    h = _append(h, forced_day, forced_new)
    h = _append(h, outcome, outcome)
    lead = rng.lognormal(math.log(WON_LEAD_DAYS), LEAD_SPREAD, n)
    lead = np.where(won, lead, lead * LOST_LEAD_DAYS / WON_LEAD_DAYS)
    # A pulled-in deal's lead counts to the date it was pulled in to (the later one was a hedge).
    planned = np.where(forced_day < NEVER, np.minimum(h.initial, forced_new), h.initial)
    created = np.minimum(planned - np.clip(lead, 3, 300).astype(np.int64), h.times[:, 0] - 1)
    created = np.maximum(created, first_day)
    return _from_day(h, created), created


def _walk_back(rng, final, latest, count, k: int = 3) -> History:
    """Up to ``k`` close-date moves before the date stood at ``final``, none after ``latest``.

    Values first, then days, walking back from ``final``: a push happens around the date that
    slips (PUSH_NOTICE days before to a week after it), a pull-in some days before the new date,
    so no move sets a date already past.
    """
    n = len(final)
    push = rng.random((n, k)) < 0.85
    delta = np.where(
        push,
        np.where(
            rng.random((n, k)) < LONG_PUSH,
            rng.integers(30, 100, (n, k)),
            rng.integers(7, 30, (n, k)),
        ),
        -rng.integers(5, 30, (n, k)),
    )
    lead = np.where(push, rng.integers(-7, PUSH_NOTICE, (n, k)), rng.integers(3, 30, (n, k)))
    times = np.full((n, k), NEVER, np.int64)
    values = np.empty((n, k), np.int64)
    value = final.copy()
    latest = latest.copy()
    for j in range(k - 1, -1, -1):
        moves = j < count
        old = value - delta[:, j]
        day = np.minimum(np.where(push[:, j], old, value) - lead[:, j], np.minimum(latest, value))
        times[:, j] = np.where(moves, day, NEVER)
        values[:, j] = value
        latest = np.where(moves, day - 1, latest)
        value = np.where(moves, old, value)
    return _drop_no_ops(value, *_compact(times, values))


def _from_day(h: History, day: np.ndarray) -> History:
    """``h`` for a deal created on ``day``: changes until then fold into its first value, which
    is never before ``day``."""
    before = h.times <= day[:, None]
    n = before.sum(axis=1)
    last = h.values[np.arange(len(n)), np.maximum(n - 1, 0)]
    initial = np.maximum(np.where(n > 0, last, h.initial), day)
    return _drop_no_ops(initial, *_compact(np.where(before, NEVER, h.times), h.values))


def _select(h: History, rows: np.ndarray) -> History:
    return History(h.initial[rows], h.times[rows], h.values[rows])


def _stack(*parts: History) -> History:
    """The histories one after the other (rows), padded to the widest."""
    k = max(p.times.shape[1] for p in parts)

    def pad(a: np.ndarray, fill) -> np.ndarray:
        return np.pad(a, ((0, 0), (0, k - a.shape[1])), constant_values=fill)

    return History(
        np.concatenate([p.initial for p in parts]),
        np.concatenate([pad(p.times, NEVER) for p in parts]),
        np.concatenate([pad(p.values, 0) for p in parts]).astype(parts[0].values.dtype),
    )


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
