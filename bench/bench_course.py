"""Benchmark the Course: callback time and figure size, at the demo's size and at full size
(docs/architecture.md#sizes).

    .venv/bin/python bench/bench_course.py --small             # CI: proves it runs (a few seconds)
    .venv/bin/python bench/bench_course.py                     # demo size and 2,000 reps
    .venv/bin/python bench/bench_course.py --sizes 2000 --screenshots
    .venv/bin/python bench/bench_course.py --url sqlite:///data/demo.db   # any store, e.g. the demo

Each size gets a seeded store (``loaders/generate/course_store.py``: reps in teams of ten, weekly
snapshots, about 100 open deals per rep at 2,000 reps) kept under ``bench/out/`` and reused
when it exists. For each view (all teams, one page of riders, one team, a search) it measures
the Course's ``render`` callback cold (empty cache) and warm (cached model), the JSON bytes of
what the callback sends (the course map, the peloton, the whole response), and the live check.
Results go to ``bench/out/bench_course.json``; ``--screenshots`` also serves each store and saves
the pages to ``bench/out/screenshots/``.

``--first-visit URL`` measures what a manager feels instead: it starts the bare Dash page and
``teamcar serve --workers 2`` on the store (ports 18201 and 18202 unless ``--port``), opens the
Course as soon as the server answers (the first visit after the server started: *cold*), then
``--repeat`` more visits alternating with the bare page (headless Chromium, a fresh context each
visit; *usable* as ``bench/bench_pages.py``: every graph drawn, no callback pending, and the course
map's lanes shown). ``--keep`` first computes and keeps the landing views in the store as
``teamcar load`` does after a load (``dashboard.serve.warm.keep``, timed in its own process);
``--forget`` deletes every kept result first (a store that nothing was kept in).

    .venv/bin/python bench/bench_course.py --first-visit sqlite:///bench/out/summary/full-2000.db \
        --forget --repeat 5        # nothing kept: the workers compute at boot
    .venv/bin/python bench/bench_course.py --first-visit sqlite:///... --keep --repeat 5
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
TODAY = dt.date(2026, 11, 22)
SIZES = {
    # name: reps, teams, open deals per rep (roughly: deals_per_rep in the quarter), weeks
    "small": (40, 4, 10, 3),
    "demo": (24, 3, 12, 8),
    "2000": (2000, 200, 180, 3),
}
sys.path.insert(0, str(REPO))
os.environ.setdefault("TEAMCAR_TODAY", TODAY.isoformat())


def build(name: str) -> str:
    """The store for ``name`` (built once, then reused)."""
    from loaders.generate.course_store import build_course_store
    from loaders.store.engine import get_engine, upgrade

    reps, teams, per_rep, weeks = SIZES[name]
    path = OUT / f"course-{name}.db"
    url = f"sqlite:///{path}"
    done = OUT / f"course-{name}.done"
    if path.exists() and done.exists():
        return url
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    upgrade(url)
    build_course_store(
        get_engine(url), reps=reps, teams=teams, deals_per_rep=per_rep, weeks=weeks, today=TODAY
    )
    done.write_text(f"{time.perf_counter() - started:.1f}s\n")
    print(f"  built {name} store in {time.perf_counter() - started:.1f} s", flush=True)
    return url


def json_bytes(value) -> int:
    from plotly.io.json import to_json_plotly

    if hasattr(value, "to_plotly_json"):
        value = value.to_plotly_json()
    return len(to_json_plotly(value).encode())


def measure(name: str, url: str, repeat: int) -> dict:
    """Time the callbacks of each view against the store at ``url``."""
    os.environ["TEAMCAR_DATABASE_URL"] = url
    os.environ.setdefault("TEAMCAR_DATA_DIR", str(OUT / "data"))
    from dashboard import urls
    from dashboard.app import create_app, poll_data_version
    from dashboard.models.standings import compute_summary
    from dashboard.reads import cache
    from dashboard.reads.catalog import live_version as current_version
    from loaders.store.engine import dispose_engines, get_engine

    create_app()
    course = sys.modules["dashboard.pages.course"]
    engine = get_engine(url)
    version = current_version(engine)
    reps = compute_summary(engine, "2026-Q4", TODAY).reps
    team = sorted(reps["team"].dropna().unique())[0]
    someone = reps.index[len(reps) // 2]
    views = {
        "all teams": {},
        "riders, page 1": {"lanes": "reps"},
        "one team": {"team": team},
        "search": {"q": someone},
    }
    result = {"size": name, "reps": int(len(reps)), "views": {}}
    with engine.connect() as conn:
        from sqlalchemy import text

        result["open_deals"] = int(
            conn.execute(
                text(
                    "select count(*) from opportunity_snapshots where snapshot_date = :d and "
                    "status = 'open'"
                ),
                {"d": TODAY.isoformat()},
            ).scalar()
        )
    for label, query in views.items():
        state = urls.resolve({"quarter": "2026-Q4", **query}, TODAY).to_dict()
        cold = []
        for _ in range(repeat):
            cache.clear_local()
            dispose_engines()
            t = time.perf_counter()
            out = course.render(state, version)
            cold.append(time.perf_counter() - t)
        warm = []
        for _ in range(repeat):
            t = time.perf_counter()
            out = course.render(state, version)
            warm.append(time.perf_counter() - t)
        import plotly.graph_objects as go

        from bench._figures import decoded

        course_fig, peloton = go.Figure(decoded(out["map"])), go.Figure(decoded(out["peloton"]))
        lanes = [x for x in course_fig.layout.yaxis.ticktext if not x.startswith("<b>")]
        markers = sum(
            len(tr.x)
            for tr in course_fig.data
            if tr.type == "scattergl" and tr.customdata is not None
        )
        result["views"][label] = {
            "cold_ms": round(1000 * statistics.median(cold)),
            "warm_ms": round(1000 * statistics.median(warm)),
            "map_bytes": json_bytes(course_fig),
            "peloton_bytes": json_bytes(peloton),
            "response_bytes": json_bytes(list(out.values())),
            "lanes": len(lanes),
            "markers": markers,
            "view": out["lanes_view"],
        }
        print(
            f"  {name:>5} · {label:<15} cold {result['views'][label]['cold_ms']:>6} ms · "
            f"warm {result['views'][label]['warm_ms']:>5} ms · map "
            f"{result['views'][label]['map_bytes'] / 1024:>6.0f} kB · response "
            f"{result['views'][label]['response_bytes'] / 1024:>6.0f} kB · "
            f"{len(lanes)} lanes, {markers} markers",
            flush=True,
        )
    polls = []
    for _ in range(20):
        t = time.perf_counter()
        poll_data_version(1, version)
        polls.append(time.perf_counter() - t)
    result["live_check_ms"] = round(1000 * statistics.median(polls), 2)
    print(f"  {name:>5} · live check (no change) {result['live_check_ms']} ms", flush=True)
    dispose_engines()
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def screenshots(name: str, url: str) -> list[Path]:
    """Serve the store and save the Course's views as PNGs."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "TEAMCAR_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        shots = {
            "": "overview",
            "?quarter=2026-Q4&lanes=reps": "riders",
            "?quarter=2026-Q4&team=Team+010": "team",
            "?quarter=2026-Q4&q=Ann": "search",
        }
        if name != "2000":
            shots = {"": "overview"}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for query, label in shots.items():
                t = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/{query}")
                page.wait_for_function(
                    "() => { const gd = document.querySelector('#course-map .js-plotly-plot');"
                    " return gd && gd.layout && gd.layout.yaxis && gd.layout.yaxis.ticktext"
                    " && gd.layout.yaxis.ticktext.length > 0; }",
                    timeout=180_000,
                )
                page.wait_for_timeout(800)
                path = OUT / "screenshots" / f"course-{name}-{label}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), full_page=True)
                print(
                    f"  {name} · {label}: page ready in {time.perf_counter() - t:.1f} s -> "
                    f"{path.relative_to(REPO)}",
                    flush=True,
                )
                saved.append(path)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return saved


def _forget(url: str) -> int:
    """Delete every result kept per data version (``name@version`` rows of derived_frames)."""
    from sqlalchemy import text

    from loaders.store.engine import get_engine

    with get_engine(url).begin() as conn:
        return conn.execute(text("DELETE FROM derived_frames WHERE name LIKE '%@%'")).rowcount


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


def first_visit(url: str, repeat: int, port: int, workers: int = 2, timeout_s: float = 180) -> dict:
    """The Course's first visit after ``teamcar serve`` started on ``url``, then ``repeat``
    visits alternating with the bare Dash page; seconds and ratios to the bare page's median,
    and each worker's peak resident memory (VmHWM) when the visits were over."""
    from playwright.sync_api import sync_playwright

    from bench import _browser
    from bench.bench_pages import GRAPH, READY

    lanes = _browser.READY["course"]
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"first-visit-{port}.log"
    env = {**os.environ, "TEAMCAR_DATABASE_URL": url, "TEAMCAR_DATA_DIR": str(OUT / "data")}
    bare = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bare_dash.py"), str(port - 1)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = None
    result: dict = {"url": url.split("@")[-1], "workers": workers}
    try:
        _wait_http(f"http://127.0.0.1:{port - 1}/", 60)
        with sync_playwright() as pw:
            browser = _browser.launch(pw)

            def visit(address: str, course: bool) -> float:
                ctx = _browser.new_context(browser)
                try:
                    page = ctx.new_page()
                    t0 = time.monotonic()
                    wait = timeout_s * 1000
                    page.goto(address, wait_until="domcontentloaded", timeout=wait)
                    page.wait_for_function(READY, arg=GRAPH, timeout=wait, polling=50)
                    if course:
                        page.wait_for_function(lanes, timeout=wait, polling=50)
                        page.wait_for_function(READY, arg=GRAPH, timeout=wait, polling=50)
                    return round(time.monotonic() - t0, 3)
                finally:
                    ctx.close()

            bare_url, base = f"http://127.0.0.1:{port - 1}/", f"http://127.0.0.1:{port}/"
            visit(bare_url, False)  # the bare server, warmed once
            started = time.monotonic()
            with open(log, "w") as out:
                server = subprocess.Popen(
                    [sys.executable, "-m", "dashboard.cli.main", "serve", "--port", str(port)]
                    + ["--workers", str(workers)],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=REPO,
                )
                result["server_answers_s"] = round(
                    _wait_http(base + "_dash-layout", max(300, timeout_s)), 2
                )
                result["cold_s"] = visit(base, True)
                result["cold_since_start_s"] = round(time.monotonic() - started, 2)
                mine, floor = [], []
                for _ in range(repeat):
                    floor.append(visit(bare_url, False))
                    mine.append(visit(base, True))
                result["worker_peak_rss_mb"] = _workers_peak_rss(server.pid)
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
        for proc in (server, bare):
            if proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(20)
    return result


def _workers_peak_rss(pid: int) -> list[float]:
    """The peak resident memory (VmHWM, MB) of each gunicorn worker under ``pid``."""
    import psutil

    peaks = []
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(pid).children() or [psutil.Process(pid)]:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{child.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(round(int(line.split()[1]) / 1024))
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick run for CI")
    parser.add_argument("--sizes", nargs="*", default=None, choices=sorted(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshots", action="store_true")
    parser.add_argument("--first-visit", metavar="URL", help="serve URL; time the first visit")
    parser.add_argument("--keep", action="store_true", help="keep the landing views first")
    parser.add_argument("--forget", action="store_true", help="delete kept results first")
    parser.add_argument("--port", type=int, default=18202, help="Team Car's port (bare: one less)")
    parser.add_argument(
        "--url",
        help="measure this store instead (e.g. sqlite:///data/demo.db "
        "after `teamcar demo --no-serve`)",
    )
    args = parser.parse_args()
    if args.first_visit:
        report: dict = {}
        if args.forget:
            report["forgotten"] = _forget(args.first_visit)
        if args.keep:
            report["keep_s"] = _keep(args.first_visit)
        report.update(first_visit(args.first_visit, args.repeat, args.port))
        print(json.dumps(report, indent=2))
        return
    if args.url:
        result = measure("store", args.url, args.repeat)
        (OUT / "bench_course_store.json").write_text(json.dumps([result], indent=2) + "\n")
        if args.screenshots:
            screenshots("store", args.url)
        return
    sizes = args.sizes or (["small"] if args.small else ["demo", "2000"])
    results = []
    for name in sizes:
        print(f"{name}:", flush=True)
        url = build(name)
        # Each size in a fresh process: the app and its caches start clean.
        if len(sizes) > 1:
            cmd = [sys.executable, __file__, "--sizes", name, "--repeat", str(args.repeat)]
            if args.screenshots:
                cmd.append("--screenshots")
            subprocess.run(cmd, check=True)
            continue
        results.append(measure(name, url, 1 if args.small else args.repeat))
        path = OUT / ("bench_course_small.json" if args.small else f"bench_course_{name}.json")
        path.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {path.relative_to(REPO)}")
        if args.screenshots:
            screenshots(name, url)


if __name__ == "__main__":
    main()
