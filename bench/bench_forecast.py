"""Benchmark: the forecast model (``teamcar forecast``'s) against ``compute_summary`` on the same
store, in the same run, each in a fresh child process (its own peak memory).

The store is seeded here with a year of weekly snapshots in which deals live and die as in a real
book, so past quarters hold the open deals, wins and new business the forecast reads: each rep
has about ``--deals-per-rep`` open deals on any day; deals are created every day, live 30-180
days, one in five slips once, about 30 % are won; the forecast category follows the days left to
the close date and the outcome; each snapshot holds the open deals and those closed in the last 90
days. No field history (every source is summed in SQL). Reps in teams of 20 under managers,
directors (five teams each) and one VP, with quotas for every quarter.

    .venv/bin/python bench/bench_forecast.py                              # small: proves it works
    .venv/bin/python bench/bench_forecast.py --reps 500 --deals-per-rep 100 --snapshots 50
    .venv/bin/python bench/bench_forecast.py --reps 2000 --deals-per-rep 100 --snapshots 50  # full
    .venv/bin/python bench/bench_forecast.py --url postgresql+psycopg://postgres@127.0.0.1/bench

Measured 2026-12-04 on the 2-core machine (other work running beside it), seconds; the forecast
is ``compute_forecast`` (5,000 draws); "after import" = the data version moved (the summary is
computed again) with each snapshot batch's sums already cached, the steady state of a served
store; ratios against ``compute_summary`` on ``as_of`` alone:

    size (open deals drawn)         store     summary  +since  forecast cold  after import  MC
    500 reps, 50 snap. (20,699)     SQLite    1.11     2.34    10.1 (9.1x)    2.51 (2.3x)   0.38
    500 reps, 50 snap. (20,699)     Postgres  1.06     2.39    8.6  (8.1x)    2.08 (2.0x)   0.35
    2,000 reps, 50 snap. (83,049)   SQLite    4.29     9.55    35.6 (8.3x)    8.36 (1.95x)  1.52

Since the batch sums are also kept in the store (``derived_frames``, dashboard/reads/derived.py),
"new process" = nothing in memory, the store holding the sums a first forecast kept (another
worker, ``teamcar forecast`` again, a restarted server). Measured 2026-12-04, same machine, SQLite:

    size                            summary  forecast cold  after import  new process
    500 reps, 50 snap.              0.82     6.75 (8.2x)    1.47 (1.8x)   1.53 (1.9x)
    2,000 reps, 50 snap.            3.54     19.0 (5.4x)    5.43 (1.5x)   4.68 (1.3x)

Peak memory at 2,000 reps: 1,098 MB for the summary's child, 1,210 MB for the forecast's (which
also computes the summary). The cold run reads every past quarter's weekly snapshot once (42
batches here, 80 % of its time in those scans); after that only new batches are read, by any
process on the same store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUARTER = "2026-Q4"
AS_OF = dt.date(2026, 11, 22)
KEEP_CLOSED_DAYS = 90


def _roster(reps: int) -> tuple[pd.DataFrame, list[str]]:
    names = [f"Rep {i:04d}" for i in range(reps)]
    teams = [f"Team {i // 20:03d}" for i in range(reps)]
    n_teams = (reps + 19) // 20
    managers = [f"Manager {t:03d}" for t in range(n_teams)]
    directors = [f"Director {d:02d}" for d in range((n_teams + 4) // 5)]
    rows = [
        dict(rep=n, team=t, manager=managers[i // 20], role="AE", email=f"r{i}@x.com")
        for i, (n, t) in enumerate(zip(names, teams, strict=True))
    ]
    rows += [
        dict(
            rep=m,
            team=f"Team {t:03d}",
            manager=directors[t // 5],
            role="Manager",
            email=f"m{t}@x.com",
        )
        for t, m in enumerate(managers)
    ]
    rows += [
        dict(rep=d, team=None, manager="Vera VP", role="Director", email=f"d{i}@x.com")
        for i, d in enumerate(directors)
    ]
    rows.append(dict(rep="Vera VP", team=None, manager=None, role="VP", email="vp@x.com"))
    frame = pd.DataFrame(rows)
    frame["start_date"] = pd.Timestamp("2024-01-01")
    return frame, names


def seed(url: str, reps: int, deals_per_rep: int, snapshots: int, seed_value: int = 7) -> dict:
    """Fill the store at ``url`` with the synthetic year described in the module docstring."""
    from loaders import schema
    from loaders.fiscal import parse_quarter
    from loaders.ingest import store_frame
    from loaders.store.engine import get_engine, upgrade

    upgrade(url)
    engine = get_engine(url)
    rng = np.random.default_rng(seed_value)
    t0 = time.perf_counter()
    jan = dt.datetime(2025, 1, 1)
    roster, names = _roster(reps)
    store_frame(engine, "roster", schema.conform(roster, "roster"), source="roster", as_of=jan)
    q = parse_quarter(QUARTER, 1)
    quarters = []
    for _ in range(6):
        quarters.append(q.name)
        q = q.previous()
    base_quota = rng.integers(150, 450, reps) * 1000.0
    quotas = pd.DataFrame(
        [
            {"rep": n, "quarter": qn, "quota": float(base_quota[i])}
            for qn in quarters
            for i, n in enumerate(names)
        ]
    )
    store_frame(engine, "quota", schema.conform(quotas, "quota"), source="roster", as_of=jan)

    days = [pd.Timestamp(AS_OF) - pd.Timedelta(weeks=w) for w in range(snapshots - 1, -1, -1)]
    first = days[0] - pd.Timedelta(days=200)
    span = (pd.Timestamp(AS_OF) - first).days
    mean_life = 105.0
    per_day = reps * deals_per_rep / mean_life
    n = int(per_day * span)
    created = first + pd.to_timedelta(rng.integers(0, span, n), unit="D")
    life = rng.integers(30, 181, n)
    planned = created + pd.to_timedelta(life, unit="D")
    slips = rng.random(n) < 0.2
    slip_by = rng.integers(20, 61, n)
    push_day = planned - pd.to_timedelta(rng.integers(5, 25, n), unit="D")
    final = planned + pd.to_timedelta(np.where(slips, slip_by, 0), unit="D")
    won = rng.random(n) < 0.3
    owner = np.array(names, dtype=object)[rng.integers(0, reps, n)]
    amount = np.round(rng.lognormal(np.log(25000), 0.8, n), -2)
    quality = rng.random(n)
    created, planned, push_day, final = (
        np.asarray(x, dtype="datetime64[ns]") for x in (created, planned, push_day, final)
    )
    deal_ids = np.array([f"D{i:08d}" for i in range(n)], dtype=object)
    for k, day in enumerate(days):
        stamp = day.to_datetime64()
        keep_from = (day - pd.Timedelta(days=KEEP_CLOSED_DAYS)).to_datetime64()
        idx = np.flatnonzero((created <= stamp) & (final >= keep_from))
        close = np.where((slips[idx]) & (day < push_day[idx]), planned[idx], final[idx]).astype(
            "datetime64[ns]"
        )
        is_open = day < final[idx]
        status = np.where(is_open, "open", np.where(won[idx], "won", "lost")).astype(object)
        left = (close - stamp) // np.timedelta64(1, "D")
        hot = won[idx] | (quality[idx] < 0.25)
        category = np.where(
            hot & (left <= 30),
            "commit",
            np.where((hot & (left <= 75)) | (~hot & (left <= 30)), "best_case", "pipeline"),
        ).astype(object)
        category = np.where(is_open, category, "closed").astype(object)
        probability = np.select(
            [~is_open & won[idx], ~is_open, category == "commit", category == "best_case"],
            [1.0, 0.0, 0.8, 0.5],
            0.2,
        )
        frame = pd.DataFrame(
            {
                "deal_id": deal_ids[idx],
                "deal_name": deal_ids[idx],
                "owner": owner[idx],
                "status": status,
                "amount": amount[idx],
                "probability": probability,
                "forecast_category": category,
                "close_date": close,
                "created_date": created[idx],
                "stage": np.where(
                    is_open, "Negotiation", np.where(won[idx], "Closed Won", "Closed Lost")
                ),
                "last_activity_date": day - pd.to_timedelta(rng.integers(0, 30, len(idx)), "D"),
            }
        )
        store_frame(
            engine,
            "pipeline",
            schema.conform(frame, "pipeline"),
            source="salesforce",
            as_of=day.to_pydatetime(),
            source_name=f"sf_{day.date()}.csv",
        )
        print(
            f"  snapshot {k + 1}/{snapshots} ({len(idx):,} deals, {int(is_open.sum()):,} open) "
            f"{time.perf_counter() - t0:,.0f}s",
            file=sys.stderr,
            flush=True,
        )
    return {"seed_seconds": round(time.perf_counter() - t0, 1), "deals_total": n}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _measure_summary(url: str, queue) -> None:
    from dashboard.models.standings import compute_summary
    from loaders.store.engine import get_engine

    engine = get_engine(url)
    t0 = time.perf_counter()
    summary = compute_summary(engine, QUARTER, AS_OF)
    t1 = time.perf_counter()
    compute_summary(engine, QUARTER, AS_OF, AS_OF - dt.timedelta(days=7))
    t2 = time.perf_counter()
    queue.put(
        {
            "summary_seconds": round(t1 - t0, 2),
            "summary_with_since_seconds": round(t2 - t1, 2),
            "open_in_quarter": int(summary.flags["open_in_quarter"].sum()),
            "riders": len(summary.reps),
            "peak_rss_mb": _peak_mb(),
        }
    )


def _measure_forecast(url: str, queue, draws: int, backtest: bool) -> None:
    """The forecast cold (nothing cached or kept), then as after an import (the data version
    moves: the summary is computed again, each snapshot batch's sums come from the cache), then
    with the summary of that version already cached (as when the Course was drawn first), then as
    a new process on the same store (nothing in memory; the batch sums kept in the store)."""
    from dashboard.cli.forecast import forecast_json
    from dashboard.metrics import forecast as fc
    from dashboard.models import forecast as fm
    from dashboard.models import standings
    from dashboard.reads import cache
    from loaders.store.engine import bump_data_version, get_engine, session_scope

    engine = get_engine(url)
    timed: dict = {}
    original = fc.simulate

    def simulate(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timed["monte_carlo_seconds"] = round(time.perf_counter() - t, 2)

    fm.fc.simulate = simulate
    cache.clear_local()
    t0 = time.perf_counter()
    forecast = fm.compute_forecast(engine, QUARTER, AS_OF, draws=draws)
    cold = time.perf_counter() - t0
    json_text = json.dumps(forecast_json(forecast))
    rss_cold = _peak_mb()
    with session_scope(engine) as s:
        bump_data_version(s)  # as an import does: cached summaries are of the old version
    t1 = time.perf_counter()
    fm.compute_forecast(engine, QUARTER, AS_OF, draws=draws)
    after_import = time.perf_counter() - t1
    with session_scope(engine) as s:
        bump_data_version(s)
    standings.summary_for(engine, QUARTER, AS_OF)  # the Course drew first
    t2 = time.perf_counter()
    fm.compute_forecast(engine, QUARTER, AS_OF, draws=draws)
    summary_cached = time.perf_counter() - t2
    cache.clear_local()  # a new process: nothing in memory, the batch sums kept in the store
    with session_scope(engine) as s:
        bump_data_version(s)
    t3 = time.perf_counter()
    fm.compute_forecast(engine, QUARTER, AS_OF, draws=draws)
    new_process = time.perf_counter() - t3
    out = {
        "forecast_cold_seconds": round(cold, 2),
        "forecast_after_import_seconds": round(after_import, 2),
        "forecast_after_import_summary_cached_seconds": round(summary_cached, 2),
        "forecast_new_process_seconds": round(new_process, 2),
        **timed,
        "method": forecast.method,
        "past_quarters": forecast.past,
        "open_deals_drawn": len(forecast.deals),
        "draws": draws,
        "trend_days": int(forecast.trend["day"].nunique()),
        "json_mb": round(len(json_text) / 1e6, 2),
        "peak_rss_mb_after_cold": rss_cold,
    }
    if backtest:
        t3 = time.perf_counter()
        bt = fm.compute_backtest(engine, QUARTER, AS_OF, draws=draws)
        out["backtest_seconds"] = round(time.perf_counter() - t3, 2)
        out["backtest_summary_all"] = bt.summary.get(None)
    out["peak_rss_mb"] = _peak_mb()
    queue.put(out)


def _child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args[:1], queue, *args[1:]))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _analyze(url: str) -> None:
    from sqlalchemy import text

    from loaders.store.engine import get_engine

    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="store URL (default: a new SQLite file)")
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--deals-per-rep", type=int, default=40)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--backtest", action="store_true", help="also time the backtest")
    parser.add_argument("--no-seed", action="store_true", help="the store at --url is seeded")
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench_forecast.db'}"
    report = {"url": url.split("@")[-1]}
    if not args.no_seed:
        report.update(
            reps=args.reps, open_deals_per_rep=args.deals_per_rep, snapshots=args.snapshots
        )
        report.update(seed(url, args.reps, args.deals_per_rep, args.snapshots))
        _analyze(url)
    else:
        from loaders.store.engine import upgrade

        upgrade(url)
    report["summary"] = _child(_measure_summary, url)
    report["forecast"] = _child(_measure_forecast, url, args.draws, args.backtest)
    s, f = report["summary"], report["forecast"]
    report["ratio_cold_to_summary"] = round(f["forecast_cold_seconds"] / s["summary_seconds"], 2)
    report["ratio_cold_to_summary_with_since"] = round(
        f["forecast_cold_seconds"] / s["summary_with_since_seconds"], 2
    )
    report["ratio_after_import_to_summary"] = round(
        f["forecast_after_import_seconds"] / s["summary_seconds"], 2
    )
    report["ratio_new_process_to_summary"] = round(
        f["forecast_new_process_seconds"] / s["summary_seconds"], 2
    )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
