"""What the forecast reads of many days at once: per-owner totals of a quarter on each day, the
outcome of a past quarter's open deals, and its new business (docs/metrics.md#forecast).

The forecast needs the state of dozens of days (every snapshot day of this quarter for the trend,
one day per week of every past quarter for the rates), far more than the summary's one or two.
Reading each day's deals would cost what dozens of summaries cost, so for sources without field
history the per-owner sums are made in SQL, one query per snapshot batch, over the snapshot in
force on each day (the latest of that source on or before it: that is the day's state, exactly
as ``dashboard.reads.queries.load_day_states`` gives it). Only aggregated rows leave the
database, and a batch's sums can be kept across imports (``memo``, ``remember_batches``): a
loaded batch never changes. Sources with field history need the day's state rebuilt from the history
(``load_day_states``); their deals are read day by day and summed by the same rules in pandas
(``dashboard.metrics.forecast.day_totals``, ``outcome_counts``, ``new_business``). Both paths
give the same frames; ``replay=True`` sends every source through the second one (tests compare
them).

Every read takes ``scope`` (the viewer's teams, None for all) and ``team_day``: deals count when
their owner, on the day read, is an alias of a rep in a team of the scope on ``team_day``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Engine,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.sql import ColumnElement

from dashboard.metrics import forecast as fc
from dashboard.metrics.frames import ts
from dashboard.reads import queries
from loaders.store.models import ImportBatch, OpportunitySnapshot

S = OpportunitySnapshot
Scope = Sequence[str] | None


def _cents(amount) -> ColumnElement:
    return cast(func.round(func.coalesce(amount, 0.0) * 100), BigInteger)


def _sum_if(condition, value) -> ColumnElement:
    return func.sum(case((condition, value), else_=0))


def _visible(owner_key, scope: Scope, team_day: dt.date) -> ColumnElement[bool]:
    if scope is None:
        return true()
    if not list(scope):
        return false()
    return owner_key.in_(queries.scoped_aliases(scope, team_day))


def _in_batches(table, batch_ids: Sequence[int]) -> ColumnElement[bool]:
    """Rows of these batches, read along the primary key (batch, deal): the rows of a batch lie
    together there, so SQLite reads them in order. The always-true ``deal_id >= ''`` is what
    makes SQLite prefer that index to the (batch, owner) one, whose rows are scattered (twice
    as slow over whole batches); PostgreSQL plans as before."""
    return and_(table.batch_id.in_(list(batch_ids)), table.deal_id >= "")


def _frame(rows, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


class HistoryReader:
    """Reads for one forecast: the store's snapshot batches are listed once, and each day's
    rebuilt state (sources with field history) is read once however many figures need it.

    Args:
        engine: the store.
        scope: the viewer's teams (None: all).
        team_day: the day team membership is taken on (the forecast's as-of day).
        replay: read every source through the rebuilt day states (slower; what sources with
            field history always get).
        memo: ``memo(name, key, compute)`` keeps a result that depends only on the batches named
            in ``key`` (``remember_batches`` gives one that outlives later imports); None
            computes each time.
    """

    def __init__(
        self,
        engine: Engine,
        scope: Scope,
        team_day: dt.date,
        replay: bool = False,
        memo: Callable[[str, tuple, Callable[[], pd.DataFrame]], pd.DataFrame] | None = None,
    ):
        self.engine = engine
        self.memo = memo
        self.scope = None if scope is None else list(scope)
        self.team_day = team_day
        self.batches = queries.pipeline_batches(engine)
        self.history = queries.history_sources(engine)
        self._hashes: dict[int, str] = {}
        self.replay = replay
        self._states: dict[tuple[str, dt.date], pd.DataFrame] = {}
        # Per source, its batches by as-of time: the one in force on a day is the last one whose
        # day is on or before it (``queries.pick_snapshots``'s rule, looked up by bisection).
        self._order: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        ordered = self.batches.sort_values(["as_of", "id"], kind="stable")
        for source, rows in ordered.groupby("source", sort=True):
            days = rows["as_of"].dt.normalize().to_numpy(dtype="datetime64[ns]")
            self._order[source] = (days, rows["id"].to_numpy(dtype="int64"))

    @contextlib.contextmanager
    def _connect(self):
        """A connection for one of these aggregate queries. On PostgreSQL, JIT compilation is off
        for its transaction: each query is estimated costly enough to compile, and compiling
        costs more than it saves on queries of a tenth of a second (a third of their time)."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL jit = off"))
            yield conn

    # --- which batches ---------------------------------------------------------------------

    def snapshot_days(self, until: dt.date | None = None) -> list[dt.date]:
        """Every day a pipeline snapshot was taken (any source), on or before ``until``."""
        days = sorted({d.date() for d in self.batches["as_of"].dt.normalize()})
        return [d for d in days if until is None or d <= until]

    def _sql_sources(self) -> set[str]:
        if self.replay:
            return set()
        return set(self.batches["source"]) - set(self.history)

    def _replayed(self) -> bool:
        return self.replay or bool(set(self.batches["source"]) & set(self.history))

    def _base(self, day: dt.date) -> dict[str, int]:
        """source -> the batch in force on ``day``, for the sources summed in SQL."""
        stamp = np.datetime64(ts(day).to_datetime64(), "ns")
        out = {}
        for source in self._sql_sources():
            days, ids = self._order[source]
            at = int(np.searchsorted(days, stamp, side="right")) - 1
            if at >= 0:
                out[source] = int(ids[at])
        return out

    def _state(self, quarter, day: dt.date) -> pd.DataFrame:
        """The deals of ``day`` of the sources read through rebuilt states (quarter's rows)."""
        key = (quarter.name, day)
        if key not in self._states:
            states = queries.load_day_states(
                self.engine, self.scope, [day], quarter, team_day=self.team_day
            )
            state = states[day]
            if not self.replay:
                state = state[state["source"].isin(list(self.history))]
            self._states[key] = state.reset_index(drop=True)
        return self._states[key]

    # --- per-owner totals of a quarter on many days ------------------------------------------

    def day_totals(self, quarter, days: Iterable[dt.date]) -> pd.DataFrame:
        """Per day and owner, the quarter's totals in that day's state (``fc.day_totals``).

        Returns:
            ``day`` plus ``fc.DAY_TOTAL_COLUMNS``, one row per day and ``owner_key, owner``.
        """
        days = sorted(set(days))
        parts = [self._sql_day_totals(quarter, days)]
        if self._replayed():
            for day in days:
                totals = fc.day_totals(self._state(quarter, day), quarter, day)
                parts.append(totals.assign(day=day))
        return _sum_by(parts, ["day", *fc.OWNER], fc.DAY_TOTAL_COLUMNS)

    def _sql_day_totals(self, quarter, days: list[dt.date]) -> pd.DataFrame:
        serves: dict[int, list[dt.date]] = {}
        for day in days:
            for batch in self._base(day).values():
                serves.setdefault(batch, []).append(day)
        parts = []
        for batch, served in sorted(serves.items()):
            found = self._remember(
                "forecast-batch-totals",
                (quarter.name, batch),
                lambda b=batch: self._totals(quarter, b),
            )
            for day in served:
                counted = found["late"].isna() | (found["late"] <= ts(day))
                part = found[counted.to_numpy()].drop(columns=["late"])
                parts.append(part.assign(day=day))
        return _sum_by(parts, ["day", *fc.OWNER], fc.DAY_TOTAL_COLUMNS)

    def _remember(self, name: str, key: tuple, compute: Callable[[], pd.DataFrame]):
        """``compute()``, kept by ``memo`` under ``key`` (batch ids), each batch named by its
        content hash too: a store built again at the same address reuses ids, not contents."""
        if self.memo is None:
            return compute()
        if not self._hashes:
            stmt = select(ImportBatch.id, ImportBatch.content_hash).where(
                ImportBatch.kind == "pipeline"
            )
            with self._connect() as conn:
                self._hashes = {int(i): h for i, h in conn.execute(stmt).all()}
        batches = tuple(self._hashes.get(k) for k in key if isinstance(k, int))
        scope = None if self.scope is None else (tuple(self.scope), self.team_day.isoformat())
        return self.memo(name, (*key, batches, scope), compute)

    def _totals(self, quarter, batch: int) -> pd.DataFrame:
        """One batch's per-owner totals of ``quarter``; wins dated after the snapshot's own day
        (rare) keep their close date apart, because the batch may stand for several days (another
        source took a snapshot between) and such a win counts from its close date on."""
        in_q = and_(S.close_date >= quarter.start, S.close_date <= quarter.end)
        is_open = S.status == "open"
        won = S.status == "won"
        c = _cents(S.amount)
        late = case((won & (S.close_date > S.snapshot_date), S.close_date), else_=None)
        # Grouped by owner key alone (one spelling of the owner kept): half the cost of
        # grouping by both texts.
        stmt = (
            select(
                S.owner_key,
                func.min(S.owner),
                late,
                _sum_if(won, c),
                _sum_if(is_open & (S.forecast_category == "commit"), c),
                _sum_if(is_open & (S.forecast_category == "best_case"), c),
                _sum_if(is_open, c),
                _sum_if(is_open, 1),
                _sum_if(is_open, func.coalesce(S.amount, 0.0) * func.coalesce(S.probability, 0.0)),
            )
            .where(
                _in_batches(S, [batch]),
                in_q,
                S.status.in_(("open", "won")),
                _visible(S.owner_key, self.scope, self.team_day),
            )
            .group_by(S.owner_key, late)
        )
        with self._connect() as conn:
            found = _frame(conn.execute(stmt).all(), [*fc.OWNER, "late", *fc.DAY_TOTAL_COLUMNS[2:]])
        found["late"] = pd.to_datetime(found["late"]).astype("datetime64[ns]")
        return found

    # --- outcomes of a past quarter ----------------------------------------------------------

    def outcome_counts(self, quarter, days: Iterable[dt.date], end_day: dt.date) -> pd.DataFrame:
        """Per stand-in day, owner and bucket: the deals open in ``quarter`` that day and those of
        them won in the quarter in the state of ``end_day`` (``fc.outcome_counts``).

        Returns:
            ``day`` plus ``fc.OUTCOME_COLUMNS``.
        """
        days = sorted(set(days))
        parts = [self._sql_outcomes(quarter, days, end_day)]
        if self._replayed():
            end = self._state(quarter, end_day)
            for day in days:
                counts = fc.outcome_counts(self._state(quarter, day), end, quarter)
                parts.append(counts.assign(day=day))
        return _sum_by(parts, ["day", *fc.OWNER, "bucket"], fc.OUTCOME_COLUMNS)

    def _sql_outcomes(self, quarter, days: list[dt.date], end_day: dt.date) -> pd.DataFrame:
        end = self._base(end_day)
        parts = []
        for day in days:
            for source, batch in sorted(self._base(day).items()):
                end_batch = end.get(source)
                found = self._remember(
                    "forecast-batch-outcomes",
                    (quarter.name, batch, end_batch),
                    lambda b=batch, e=end_batch: self._outcomes(quarter, b, e),
                )
                parts.append(found.assign(day=day))
        return _sum_by(parts, ["day", *fc.OWNER, "bucket"], fc.OUTCOME_COLUMNS)

    def _outcomes(self, quarter, batch: int, end_batch: int | None) -> pd.DataFrame:
        """One batch's open deals of ``quarter`` per owner and bucket, and how many of them the
        batch ``end_batch`` (the same source, on the quarter's last day) holds won in it."""
        E = OpportunitySnapshot.__table__.alias("at_end")
        if end_batch is not None:
            won_ids = select(E.c.deal_id).where(
                E.c.batch_id == end_batch,
                E.c.status == "won",
                E.c.close_date >= quarter.start,
                E.c.close_date <= quarter.end,
            )
            wins = _sum_if(S.deal_id.in_(won_ids), 1)
        else:
            wins = func.sum(0)
        stmt = (
            select(S.owner_key, func.min(S.owner), S.forecast_category, func.count(), wins)
            .where(
                _in_batches(S, [batch]),
                S.status == "open",
                S.close_date >= quarter.start,
                S.close_date <= quarter.end,
                _visible(S.owner_key, self.scope, self.team_day),
            )
            .group_by(S.owner_key, S.forecast_category)
        )
        with self._connect() as conn:
            found = _frame(conn.execute(stmt).all(), fc.OUTCOME_COLUMNS)
        # Categories become buckets here; rows of one bucket are added up with the day's others.
        found["bucket"] = fc.bucket_of(found["bucket"]).to_numpy()
        return found

    def new_business(self, quarter, day: dt.date, end_day: dt.date) -> pd.DataFrame:
        """Per owner at ``end_day``: won in ``quarter`` from deals neither open in it nor won in it
        on ``day`` (``fc.new_business``).

        Returns:
            ``fc.NEW_BUSINESS_COLUMNS``.
        """
        parts = [self._sql_new_business(quarter, day, end_day)]
        if self._replayed():
            state_day, state_end = self._state(quarter, day), self._state(quarter, end_day)
            parts.append(fc.new_business(state_day, state_end, quarter, day))
        return _sum_by(parts, fc.OWNER, fc.NEW_BUSINESS_COLUMNS)

    def _sql_new_business(self, quarter, day: dt.date, end_day: dt.date) -> pd.DataFrame:
        at_day, at_end = self._base(day), self._base(end_day)
        parts = []
        for source, end_batch in sorted(at_end.items()):
            day_batch = at_day.get(source)
            parts.append(
                self._remember(
                    "forecast-batch-new",
                    (quarter.name, day.isoformat(), day_batch, end_batch),
                    lambda d=day_batch, e=end_batch: self._new(quarter, day, d, e),
                )
            )
        return _sum_by(parts, fc.OWNER, fc.NEW_BUSINESS_COLUMNS)

    def _new(self, quarter, day: dt.date, day_batch: int | None, end_batch: int) -> pd.DataFrame:
        K = OpportunitySnapshot.__table__.alias("on_day")
        where = [
            S.batch_id == end_batch,
            S.status == "won",
            S.close_date >= quarter.start,
            S.close_date <= quarter.end,
            _visible(S.owner_key, self.scope, self.team_day),
        ]
        if day_batch is not None:
            known = select(K.c.deal_id).where(
                K.c.batch_id == day_batch,
                K.c.close_date >= quarter.start,
                K.c.close_date <= quarter.end,
                or_(K.c.status == "open", and_(K.c.status == "won", K.c.close_date <= day)),
            )
            where.append(S.deal_id.not_in(known))
        stmt = (
            select(S.owner_key, func.min(S.owner), func.sum(_cents(S.amount)), func.count())
            .where(*where)
            .group_by(S.owner_key)
        )
        with self._connect() as conn:
            return _frame(conn.execute(stmt).all(), fc.NEW_BUSINESS_COLUMNS)

    # --- one day's deals ---------------------------------------------------------------------

    def open_deals(self, quarter, day: dt.date) -> pd.DataFrame:
        """The deals of ``day``'s state (every source), as ``load_day_states`` gives them:
        what the backtest projects from on a past quarter's stand-in day."""
        states = queries.load_day_states(
            self.engine, self.scope, [day], quarter, team_day=self.team_day
        )
        return states[day]


_INT_COLUMNS = ("won_c", "commit_c", "best_case_c", "open_c", "open_n", "n", "wins", "new_c")


def _sum_by(parts: list[pd.DataFrame], keys: list[str], columns: Sequence[str]) -> pd.DataFrame:
    """The parts stacked and summed per ``keys``; integer columns as int64, ``weighted`` float."""
    columns = [c for c in dict.fromkeys([*keys, *columns])]
    parts = [p for p in parts if p is not None and not p.empty]
    values = [c for c in columns if c not in keys]
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        for col in values:
            empty[col] = empty[col].astype("float64" if col == "weighted" else "int64")
        return empty
    frame = pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)
    for col in values:
        frame[col] = pd.to_numeric(frame[col]).fillna(0)
    for col in keys:
        frame[col] = frame[col].astype("object")
    out = frame.groupby(keys, dropna=False, sort=True)[values].sum().reset_index()
    for col in values:
        out[col] = out[col].astype("float64" if col == "weighted" else "int64")
    for col in keys:
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    return out[columns]


def remember_batches(engine: Engine) -> Callable:
    """A ``memo`` for ``HistoryReader`` that keeps each batch's sums in the shared cache
    (``dashboard.reads.cache``) under a fixed version: a loaded batch's rows never change (a
    snapshot loaded again for the same day and source is a new batch), so its sums, keyed by
    batch id, quarter and scope, outlive later imports. The next forecast after an import reads
    only the batches it has not seen. Behind the cache the sums are kept in the store too
    (``dashboard.reads.derived``), so a new process reads them instead of the snapshots."""
    from dashboard.reads import cache, derived

    def memo(name: str, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        return cache.cached(
            name,
            engine,
            key,
            lambda: derived.stored(engine, name, (BATCH_SUMS_VERSION, key), compute),
            version=BATCH_SUMS_VERSION,
        )

    return memo


# The fixed cache version of per-batch sums (also part of their key in the store): change it when
# what they hold changes.
BATCH_SUMS_VERSION = -1


__all__ = ["BATCH_SUMS_VERSION", "HistoryReader", "remember_batches"]
