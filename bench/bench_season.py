"""Benchmark the Season page (issue 16) on a store: its model's pieces timed one by one, cold and
warm, and the page in Chromium against the bare Dash page.

    .venv/bin/python bench/bench_season.py --url sqlite:///bench/out/cache/full/store.db \
        --forget --forget-batches                                      # nothing kept at all
    .venv/bin/python bench/bench_season.py --url sqlite:///... --keep          # as after a load
    .venv/bin/python bench/bench_season.py --first-visit sqlite:///... --repeat 5 --keep

``--url`` runs ``season_model`` in a fresh process (its own caches empty: *cold*) with each read
and each metric ``build_season`` calls wrapped in a timer (the model is unchanged; the wrappers
only add up seconds per piece), then again (*warm*: the worker's cache), then for one team (a
manager: narrowed from what is kept), and times drawing the page's figures from the model.
``--forget`` first deletes every result kept per data version (the first visitor after a server
start on new data pays for everything), ``--forget-batches`` also the season's frames kept per
snapshot batch (``reads.stage_changes``: as on a store where they were never made);
``--keep`` first runs ``warm.keep`` in its own process, as ``teamcar load`` does after a load
(its seconds reported).

``--first-visit URL`` starts the bare Dash page and ``teamcar serve --workers 2`` on the store,
opens ``/season`` as soon as the server answers (*cold*: the first visit after the server
started), then ``--repeat`` visits alternating with the bare page, each in a fresh browser
context; *usable* as ``bench/bench_pages.py`` (every graph drawn, no callback pending, the
classification table drawn). Results are printed as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
TODAY = dt.date(2026, 11, 22)
sys.path.insert(0, str(REPO))
os.environ.setdefault("TEAMCAR_TODAY", TODAY.isoformat())

READS = (
    "load_year_quotas",
    "load_year_deals",
    "load_stage_catalog",
    "history_stage_sources",
    "load_stage_history",
    "load_snapshot_stage_changes",
)
METRICS = (
    "stage_results",
    "general_classification",
    "pipeline_generated",
    "next_quarter_coverage",
    "entries_from_history",
    "entries_from_snapshots",
    "classify_entries",
    "sitting_in",
    "ramp",
)


def _instrument(steps: dict) -> list:
    """Wrap what ``build_season`` calls so each piece's seconds add up in ``steps``."""
    from dashboard.metrics import season as ms
    from dashboard.models import season as sm
    from dashboard.reads import queries
    from dashboard.reads import season as rs

    undo = []

    def wrap(module, name, label=None):
        fn = getattr(module, name, None)
        if fn is None:
            return

        def timed(*args, **kwargs):
            key = label(args, kwargs) if label else name
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                steps[key] = round(steps.get(key, 0.0) + time.perf_counter() - t0, 3)

        setattr(module, name, timed)
        undo.append((module, name, fn))

    def summary_label(args, kwargs):
        day = args[2] if len(args) > 2 else kwargs.get("as_of")
        return f"summary_for {day}"

    from dashboard.reads import stage_changes as sc

    for name in READS:
        wrap(rs, name)
    for name in ("snapshot_stage_changes", "stage_catalog"):
        wrap(sc, name, lambda args, kwargs, n=name: f"kept {n}")
    for name in METRICS:
        wrap(ms, name)
    wrap(queries, "load_reps")
    wrap(sm, "summary_for", summary_label)
    for helper in ("_stage_entries", "sitting_table"):
        wrap(sm, helper)
    return undo


def _forget(url: str) -> int:
    """Delete every result kept per data version (``name@version`` rows of derived_frames)."""
    from sqlalchemy import text

    from loaders.store.engine import get_engine

    with get_engine(url).begin() as conn:
        return conn.execute(text("DELETE FROM derived_frames WHERE name LIKE '%@%'")).rowcount


def _forget_season(url: str) -> int:
    """Delete what the season keeps in the store (per data version and per snapshot batch)."""
    from sqlalchemy import text

    from loaders.store.engine import get_engine

    with get_engine(url).begin() as conn:
        return conn.execute(text("DELETE FROM derived_frames WHERE name LIKE 'season%'")).rowcount


def _keep(url: str) -> float:
    """``warm.keep`` in a process of its own, as ``teamcar load`` runs it; its seconds."""
    code = (
        "import sys, time; from loaders.store.engine import get_engine; "
        "from dashboard.serve import warm; t = time.perf_counter(); "
        f"warm.keep(get_engine({url!r})); print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    return round(float(out.stdout.strip().splitlines()[-1]), 2)


def server(url: str, team: str | None = None) -> dict:
    """The season model cold, warm and for one team, in this (fresh) process; seconds."""
    from dashboard.figures import season as fs
    from dashboard.models import season as sm
    from loaders.store.engine import get_engine

    os.environ["TEAMCAR_DATABASE_URL"] = url
    engine = get_engine(url)
    days = sm.resolve_days(today=TODAY)
    out: dict = {"days": [days.year, days.as_of.isoformat(), days.since.isoformat()]}

    def timed_model(team, scope):
        steps: dict = {}
        undo = _instrument(steps)
        t0 = time.perf_counter()
        try:
            model = sm.season_model(engine, days.year, days.as_of, days.since, team, scope)
        finally:
            for module, name, fn in undo:
                setattr(module, name, fn)
        total = round(time.perf_counter() - t0, 2)
        return model, total, dict(sorted(steps.items(), key=lambda kv: -kv[1]))

    model, out["cold_s"], out["cold_steps"] = timed_model(None, None)
    _, out["warm_s"], _ = timed_model(None, None)
    team = team or sorted(model.gc["team"].dropna().unique())[0]
    _, out["team_cold_s"], out["team_steps"] = timed_model(team, [team])
    t0 = time.perf_counter()
    fs.team_year_figure(model.team_year)
    fs.generated_figure(model.weeks, model.next_team.get("need_per_week"))
    fs.readiness_figure(model.team_readiness)
    fs.team_overview_table(sm.team_overview(model), "x")
    rows, _, _ = sm.gc_page(model, 1, "")
    fs.gc_rows(rows, model.quarters, lambda r: "/rider/" + r)
    fs.flow_figure(model.flow("ytd"))
    fs.ramp_figure(model.ramp_curves, model.ramp_median, None)
    out["draw_s"] = round(time.perf_counter() - t0, 2)
    out["riders"] = len(model.gc)
    out["entries"] = len(model.classified)
    out["year_deals"] = len(model.year_deals)
    return out


def _child_server(url: str, team: str | None) -> dict:
    code = (
        "import json, sys; sys.path.insert(0, '.'); from bench.bench_season import server; "
        f"print(json.dumps(server({url!r}, {team!r})))"
    )
    env = {**os.environ, "TEAMCAR_TODAY": TODAY.isoformat(), "TEAMCAR_DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wait_http(url: str, timeout: float) -> float:
    import requests

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return time.monotonic() - t0
        except requests.RequestException:
            time.sleep(0.1)
    raise TimeoutError(url)


def first_visit(url: str, repeat: int, port: int, workers: int = 2) -> dict:
    """The Season's first visit after ``teamcar serve`` started on ``url``, then ``repeat``
    visits alternating with the bare Dash page; seconds and ratios to the bare page's median."""
    from playwright.sync_api import sync_playwright

    from bench import _browser
    from bench.bench_pages import GRAPH, READY, READY_SELECTORS

    ready = READY_SELECTORS["season"]
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"first-visit-season-{port}.log"
    env = {
        **os.environ,
        "TEAMCAR_DATABASE_URL": url,
        "TEAMCAR_DATA_DIR": str(OUT / "data"),
        "TEAMCAR_TODAY": TODAY.isoformat(),
    }
    bare = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bare_dash.py"), str(port - 1)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server_proc = None
    result: dict = {"url": url.split("@")[-1], "workers": workers}
    try:
        _wait_http(f"http://127.0.0.1:{port - 1}/", 60)
        with sync_playwright() as pw:
            browser = _browser.launch(pw)

            def visit(address: str, selector: str) -> float:
                ctx = _browser.new_context(browser)
                try:
                    page = ctx.new_page()
                    t0 = time.monotonic()
                    page.goto(address, wait_until="domcontentloaded", timeout=600_000)
                    page.wait_for_function(READY, arg=selector, timeout=600_000, polling=50)
                    return round(time.monotonic() - t0, 3)
                finally:
                    ctx.close()

            bare_url = f"http://127.0.0.1:{port - 1}/"
            base = f"http://127.0.0.1:{port}"
            visit(bare_url, GRAPH)  # the bare server, warmed once
            started = time.monotonic()
            with open(log, "w") as out:
                server_proc = subprocess.Popen(
                    [sys.executable, "-m", "dashboard.cli.main", "serve", "--port", str(port)]
                    + ["--workers", str(workers)],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=REPO,
                )
                result["server_answers_s"] = round(_wait_http(base + "/_dash-layout", 300), 2)
                result["cold_s"] = visit(base + "/season", ready)
                result["cold_since_start_s"] = round(time.monotonic() - started, 2)
                mine, floor = [], []
                for _ in range(repeat):
                    floor.append(visit(bare_url, GRAPH))
                    mine.append(visit(base + "/season", ready))
            browser.close()
        z = statistics.median(floor) if floor else None
        result.update(
            bare_median_s=z,
            median_s=statistics.median(mine) if mine else None,
            runs=mine,
            bare_runs=floor,
        )
        if z:
            result["cold_ratio"] = round(result["cold_s"] / z, 2)
            result["median_ratio"] = round(result["median_s"] / z, 2)
    finally:
        for proc in (server_proc, bare):
            if proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(20)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="time the season model on this store")
    parser.add_argument("--first-visit", metavar="URL", help="serve URL; time the first visit")
    parser.add_argument("--team", help="the team timed as a manager's view (default: the first)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the landing views first")
    parser.add_argument(
        "--forget", action="store_true", help="delete results kept per data version first"
    )
    parser.add_argument(
        "--forget-batches",
        action="store_true",
        help="also delete the season's frames kept per snapshot batch (stage changes, catalog)",
    )
    parser.add_argument("--port", type=int, default=18212, help="Team Car's port (bare: one less)")
    args = parser.parse_args()
    url = args.first_visit or args.url
    if not url:
        parser.error("--url or --first-visit")
    report: dict = {}
    if args.forget:
        report["forgotten"] = _forget(url)
    if args.forget_batches:
        report["forgotten_batches"] = _forget_season(url)
    if args.keep:
        report["keep_s"] = _keep(url)
    if args.first_visit:
        report.update(first_visit(url, args.repeat, args.port))
    else:
        report.update(_child_server(url, args.team))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
