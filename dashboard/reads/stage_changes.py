"""Stage changes between consecutive snapshots, and the stage catalog, kept per snapshot batch.

The season's stage flow needs, per in-scope deal, its first snapshot row and each row whose stage
differs from the deal's previous snapshot row (``season.load_snapshot_stage_changes``: a window
function over every live snapshot row, 48 s at 50 weekly snapshots of 250,000 deals on SQLite),
and the stage catalog (a GROUP BY over the same rows, 11 s). A loaded batch's rows never change,
so neither does what changed between two consecutive batches of a source, nor one batch's
catalog: each is computed once, by primary-key lookups of one batch against the one before it,
and kept in ``derived_frames`` under both batches' ids and content hashes (``reads.derived``).
A new snapshot adds one pair; every later reader (any process) reads a few small frames.

The kept pair frames hold every deal's rows, all teams; the viewer's scope is applied on the
server by keeping only the in-scope deals (the as-of snapshot's deals owned in scope, the same set
``season._in_scope_deals`` selects in SQL) before anything else is done with them.

Exactness (the same rows as the window function, so not one number moves): a pair frame keeps
each row of the later batch unless the earlier batch holds the deal with the same non-null stage.
Every row left out therefore carries the stage of the deal's latest row kept before it, so in the
kept rows, sorted by day, the previous kept row's stage *is* the window function's ``LAG`` (even
across a batch that lacks the deal); ``snapshot_stage_changes`` applies the window function's
own test to it. Tests compare both on the demo store and on hand-made edge cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import aliased

from dashboard.metrics.frames import conform
from dashboard.reads import derived, queries
from dashboard.reads.season import CATALOG_COLUMNS, CHANGE_COLUMNS
from loaders.store.models import ImportBatch, OpportunitySnapshot

S = OpportunitySnapshot
PAIR_NAME = "season-stage-pair"
CATALOG_NAME = "season-stage-catalog"
VERSION = 1  # of what a kept frame holds; part of its key


def _hashes(engine: Engine) -> dict[int, str]:
    stmt = select(ImportBatch.id, ImportBatch.content_hash).where(ImportBatch.kind == "pipeline")
    with engine.connect() as conn:
        return {int(i): h for i, h in conn.execute(stmt).all()}


def live_batches(engine: Engine, as_of: dt.date, skip_sources: Sequence[str] = ()) -> pd.DataFrame:
    """Live pipeline batches up to ``as_of`` (``id, source, as_of, day``), sources in
    ``skip_sources`` left out, in the window function's order: per source by day, then id."""
    b = queries.pipeline_batches(engine)
    b = b.assign(day=b["as_of"].dt.normalize())
    b = b[(b["day"] <= pd.Timestamp(as_of)) & ~b["source"].isin(list(skip_sources))]
    return b.sort_values(["source", "day", "id"], kind="stable").reset_index(drop=True)


def chain(batches: pd.DataFrame) -> list[tuple[int | None, int]]:
    """``(previous batch or None, batch)`` for each batch, consecutive within a source."""
    pairs: list[tuple[int | None, int]] = []
    for _source, rows in batches.groupby("source", sort=True):
        prev = None
        for batch in rows["id"].tolist():
            pairs.append((prev, int(batch)))
            prev = int(batch)
    return pairs


def _pair_rows(engine: Engine, prev: int | None, batch: int) -> pd.DataFrame:
    """Rows of ``batch`` (CHANGE_COLUMNS) except those whose deal ``prev`` holds with the same
    non-null stage; every row when there is no ``prev``."""
    cols = (S.source, S.deal_id, S.snapshot_date, S.stage, S.status, S.created_date)
    if prev is None:
        stmt = select(*cols).where(S.batch_id == batch)
    else:
        a = aliased(S)
        stmt = (
            select(*cols)
            .select_from(S)
            .outerjoin(a, and_(a.batch_id == prev, a.deal_id == S.deal_id))
            .where(
                S.batch_id == batch,
                or_(
                    a.deal_id.is_(None),
                    a.stage.is_(None),
                    S.stage.is_(None),
                    a.stage != S.stage,
                    a.source != S.source,
                ),
            )
        )
    return queries._read(engine, stmt, list(CHANGE_COLUMNS))


def pair_rows(
    engine: Engine, prev: int | None, batch: int, hashes: dict[int, str] | None = None
) -> pd.DataFrame:
    """``_pair_rows`` kept in the store under both batches' ids and content hashes."""
    hashes = hashes if hashes is not None else _hashes(engine)
    key = (VERSION, prev, hashes.get(prev) if prev is not None else None, batch, hashes.get(batch))
    return derived.stored(engine, PAIR_NAME, key, lambda: _pair_rows(engine, prev, batch))


def recent(batches: pd.DataFrame, since: dt.date | None) -> pd.DataFrame:
    """``batches`` (``live_batches``) per source from the last one before ``since`` on (all of
    them when none is before it), as ``season._recent_batches`` picks them."""
    if since is None or batches.empty:
        return batches
    day = batches["day"]
    before = day.where(day < pd.Timestamp(since))
    base = before.groupby(batches["source"].to_numpy()).transform("max")
    return batches[(base.isna() | (day >= base)).to_numpy()]


def _keys(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays(
        [frame["source"].astype(object), frame["deal_id"].astype(object)]
    )


def _as_of_deals(engine: Engine, as_of: dt.date) -> pd.DataFrame:
    """``source, deal_id`` of every deal of the snapshots in force on ``as_of``."""
    pick = queries.pick_snapshots(queries.pipeline_batches(engine), as_of)
    ids = sorted(pick.base.values())
    if not ids:
        return pd.DataFrame(columns=["source", "deal_id"])
    return queries._read(
        engine, select(S.source, S.deal_id).where(S.batch_id.in_(ids)), ["source", "deal_id"]
    )


def _head_rows(engine: Engine, batch: int, deal_ids: list[str]) -> pd.DataFrame:
    """The rows of ``batch`` of the deals named (primary-key lookups, in chunks)."""
    cols = (S.source, S.deal_id, S.snapshot_date, S.stage, S.status, S.created_date)
    parts = [
        queries._read(
            engine,
            select(*cols).where(S.batch_id == batch, S.deal_id.in_(deal_ids[i : i + 900])),
            list(CHANGE_COLUMNS),
        )
        for i in range(0, len(deal_ids), 900)
    ]
    return pd.concat(parts, ignore_index=True) if parts else _pair_rows_empty()


def _pair_rows_empty() -> pd.DataFrame:
    return conform(pd.DataFrame(columns=list(CHANGE_COLUMNS)), CHANGE_COLUMNS)


def _with_prev(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """``rows`` sorted by deal and day, and each row's previous row's stage (NaN for a deal's
    first): the window function's ``LAG`` when ``rows`` are kept pair rows."""
    rows = conform(rows, CHANGE_COLUMNS)
    rows = rows.sort_values(["source", "deal_id", "snapshot_date"], kind="stable")
    stage = rows["stage"].astype(object)
    deal = rows["source"].astype(object) + "\x1f" + rows["deal_id"].astype(object)
    same = (deal.shift(1) == deal).to_numpy()
    return rows, stage.shift(1).where(same)


def snapshot_stage_changes(
    engine: Engine,
    as_of: dt.date,
    deals: pd.DataFrame | None,
    skip_sources: Sequence[str] = (),
    since: dt.date | None = None,
) -> pd.DataFrame:
    """The rows ``season.load_snapshot_stage_changes`` returns, for the deals in ``deals``
    (``source, deal_id``: the as-of snapshot's deals owned in the viewer's scope; None: every
    deal of the as-of snapshot, as for no scope), from the kept pair frames.

    Per deal: its first snapshot row (live snapshots up to ``as_of``, sources not in
    ``skip_sources``) and each row whose stage differs from the deal's previous row's (a row
    after one without a stage counts too), as ``CHANGE_COLUMNS``, sorted by deal and day.

    With ``since``: the snapshots from the last one before ``since`` (``recent``), and only the
    deals whose stage moved from ``since`` on. The first of those snapshots is read for those
    deals only (its rows open the window: what each deal's stage was); the rest are kept pairs.
    """
    batches = live_batches(engine, as_of, skip_sources)
    if deals is None and not batches.empty:
        deals = _as_of_deals(engine, as_of)
    if batches.empty or deals.empty:
        return _pair_rows_empty()
    wanted = _keys(deals)
    hashes = _hashes(engine)
    window = recent(batches, since)
    firsts = set(window.groupby("source")["id"].first().astype(int))
    pairs = chain(batches)
    if since is not None:
        inside = set(window["id"].astype(int))
        # pairs inside the window, and a first snapshot of the chain whole (a kept pair too)
        pairs = [(a, b) for a, b in pairs if b in inside and (b not in firsts or a is None)]
    parts = [pair_rows(engine, prev, batch, hashes) for prev, batch in pairs]
    rows = pd.concat([p for p in parts if len(p)] or [_pair_rows_empty()], ignore_index=True)
    rows = conform(rows[_keys(rows).isin(wanted)], CHANGE_COLUMNS)
    if since is None:
        rows, prev = _with_prev(rows)
        keep = prev.isna() | (rows["stage"].astype(object).notna() & (rows["stage"] != prev))
        return _as_read(rows[keep.to_numpy()], CHANGE_COLUMNS)
    # The deals seen from ``since`` on (every deal that moved then is among them), with their
    # rows of the window's first snapshot where that is not a whole kept pair already.
    later = rows[(rows["snapshot_date"] >= pd.Timestamp(since)).to_numpy()]
    seen = _keys(later).unique()
    rows = rows[_keys(rows).isin(seen)]
    heads = []
    for batch in sorted(firsts):
        if (None, batch) in pairs:
            continue
        source = window.loc[window["id"] == batch, "source"].iloc[0]
        ids = sorted({d for s, d in seen if s == source})
        if ids:
            heads.append(conform(_head_rows(engine, batch, ids), CHANGE_COLUMNS))
    rows = pd.concat([*heads, rows], ignore_index=True) if heads else rows
    rows, prev = _with_prev(rows)
    stage = rows["stage"].astype(object)
    moved = stage.notna() & prev.notna() & (stage != prev)
    moved_since = moved & (rows["snapshot_date"] >= pd.Timestamp(since))
    deal = rows["source"].astype(object) + "\x1f" + rows["deal_id"].astype(object)
    active = moved_since.groupby(deal.to_numpy()).transform("any").to_numpy()
    keep = (prev.isna() | moved).to_numpy() & active
    return _as_read(rows[keep], CHANGE_COLUMNS)


def _as_read(frame: pd.DataFrame, spec: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the dtypes a direct read gives (``queries._read``: text inferred from
    Python objects), so it compares equal to one."""
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col, dtype in spec.items():
        values = frame[col].to_numpy(dtype=object) if dtype == "object" else frame[col].to_numpy()
        out[col] = pd.Series(values, index=out.index)
    return conform(out, spec)


def _batch_catalog(engine: Engine, batch: int) -> pd.DataFrame:
    stmt = (
        select(S.source, S.stage, S.status, func.min(S.stage_order))
        .where(S.batch_id == batch, S.stage.is_not(None))
        .group_by(S.source, S.stage, S.status)
    )
    return queries._read(engine, stmt, list(CATALOG_COLUMNS))


def stage_catalog(engine: Engine, as_of: dt.date, since: dt.date | None = None) -> pd.DataFrame:
    """``season.load_stage_catalog``'s frame from one kept catalog per batch: stage names with
    their status and smallest order, over the live snapshots up to ``as_of`` (with ``since``:
    from the last one before it, ``recent``), ordered by source, stage and status (as SQLite's
    GROUP BY gives them)."""
    batches = recent(live_batches(engine, as_of), since)
    if batches.empty:
        return conform(pd.DataFrame(columns=list(CATALOG_COLUMNS)), CATALOG_COLUMNS)
    hashes = _hashes(engine)
    parts = [
        derived.stored(
            engine,
            CATALOG_NAME,
            (VERSION, b, hashes.get(b)),
            lambda b=b: _batch_catalog(engine, b),
        )
        for b in batches["id"].astype(int).tolist()
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return conform(pd.DataFrame(columns=list(CATALOG_COLUMNS)), CATALOG_COLUMNS)
    both = pd.concat(parts, ignore_index=True)
    both["stage_order"] = pd.to_numeric(both["stage_order"], errors="coerce")
    keys = ["source", "stage", "status"]
    out = both.groupby(keys, sort=False, dropna=False)["stage_order"].min().reset_index()
    out = out.sort_values(keys, key=lambda s: s.astype(object), kind="stable")
    return _as_read(out, CATALOG_COLUMNS)


def prepare(engine: Engine, as_of: dt.date) -> int:
    """Compute and keep every pair frame and batch catalog up to ``as_of`` (after a load);
    returns how many batches were looked at."""
    stage_catalog(engine, as_of)
    batches = live_batches(engine, as_of)
    hashes = _hashes(engine)
    for prev, batch in chain(batches):
        pair_rows(engine, prev, batch, hashes)
    return len(batches)


__all__ = [
    "chain",
    "recent",
    "live_batches",
    "pair_rows",
    "prepare",
    "snapshot_stage_changes",
    "stage_catalog",
]
