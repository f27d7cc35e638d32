"""Benchmark: each page's time to usable against the bare Dash page, in one run.

The way pages are judged here (docs/architecture.md#sizes): headless Chromium opens a Team Car
page and the bare Dash + Plotly page (``bench/bare_dash.py``: one scatter, one bar chart)
alternately, A B A B, each visit in a fresh browser context (cold cache); *usable* = every Plotly
graph on the page drawn and no Dash callback pending (and, for a page without graphs, its main
grid holding rows). The figure is the median over ``--runs`` visits and its ratio to the bare
page's median in the same run; ratios, not seconds, because the machine is shared. The first
visit of the first page after the server started is reported as ``cold``.

    .venv/bin/python bench/bench_pages.py                        # the demo (24 reps), 5 runs
    .venv/bin/python bench/bench_pages.py --url sqlite:///big.db --rep "Rep 0001" --workers 2

By default it builds the demo's store in a temporary folder (``loaders.demo``) and serves it as
``teamcar serve`` does; ``--url`` serves an existing store instead.

``--results FILE`` also writes the table (default for the demo: bench/RESULTS-pages.md, the
figures people read; the target is ≤ 1.0x the bare page).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import _browser  # noqa: E402
from bench.loadtest import free_port, serve  # noqa: E402

# The same test the team's pageratio.py makes (every graph drawn, no callback pending), and what
# must be on each page besides: kept in ``_browser`` beside the other readiness checks.
READY = _browser.SETTLED
GRAPH = _browser.GRAPH
READY_SELECTORS = _browser.READY_SELECTORS


def usable(browser, url: str, selector: str, timeout_ms: int = 120_000) -> float:
    """Seconds from navigation to a usable page, in a fresh context (cold cache)."""
    ctx = _browser.new_context(browser)
    try:
        return _browser.visit(ctx, url, selector, timeout_ms)["usable_s"]
    finally:
        ctx.close()


@contextlib.contextmanager
def bare_page(port: int):
    """Serve the bare Dash page on ``port`` until the block ends; yields its base URL once it
    answers. The process starts on entry, so a server started inside the block boots beside it."""
    proc = start_bare(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def start_bare(port: int) -> subprocess.Popen:
    """Start the bare Dash page on ``port`` (``wait_bare`` waits for its first answer)."""
    return subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bare_dash.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_bare(port: int, timeout: float = 60) -> None:
    """Wait until the bare Dash page on ``port`` answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError("the bare Dash page did not start")


def _bare(port: int) -> subprocess.Popen:
    proc = start_bare(port)
    try:
        wait_bare(port)
    except TimeoutError:
        proc.kill()
        raise
    return proc


def measure(base: str, bare: str, rep: str, runs: int, pages: list[str]) -> dict:
    """Each page against the bare page, alternating, in one browser."""
    from playwright.sync_api import sync_playwright

    paths = {
        "course": "/",
        "review": "/review",
        "rider": "/rider/" + quote(rep, safe=""),
        "data": "/data",
        "support": "/support",
        "season": "/season",
    }
    out: dict = {}
    with sync_playwright() as pw:
        browser = _browser.launch(pw)
        try:
            usable(browser, bare + "/", GRAPH)  # the bare server, warmed once
            first = pages[0]
            out["cold_s"] = usable(browser, base + paths[first], READY_SELECTORS[first])
            for name in pages:
                mine, floor = [], []
                for _ in range(runs):
                    mine.append(usable(browser, base + paths[name], READY_SELECTORS[name]))
                    floor.append(usable(browser, bare + "/", GRAPH))
                a, z = statistics.median(mine), statistics.median(floor)
                out[name] = {
                    "median_s": a,
                    "bare_median_s": z,
                    "ratio": round(a / z, 2),
                    "runs": mine,
                    "bare_runs": floor,
                }
                print(f"{name}: {a:.2f} s vs bare {z:.2f} s = {a / z:.2f}x", file=sys.stderr)
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="serve this store (default: the demo, built here)")
    parser.add_argument("--rep", help="the rider whose page is opened (default: the demo's first)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1, help="as teamcar serve --workers")
    parser.add_argument(
        "--pages", nargs="+", choices=sorted(READY_SELECTORS), default=list(READY_SELECTORS)
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="write the Markdown table here (default: none with --url, "
        "bench/RESULTS-pages.md for the demo)",
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    url = args.url
    if url is None:
        from loaders.demo import build_demo_store

        url = f"sqlite:///{work / 'demo.db'}"
        print("building the demo store ...", file=sys.stderr)
        build_demo_store(work / "exports", url)
    rep = args.rep
    if rep is None:
        from sqlalchemy import text

        from loaders.store.engine import get_engine

        with get_engine(url).connect() as conn:
            rep = conn.execute(
                text("SELECT name FROM reps WHERE role = 'AE' ORDER BY name LIMIT 1")
            ).scalar_one()
    port = free_port()
    bare = _bare(port)
    try:
        with serve(url, work / "data", workers=args.workers, start_timeout=300) as server:
            report = measure(server.base, f"http://127.0.0.1:{port}", rep, args.runs, args.pages)
    finally:
        bare.kill()
    report.update(runs=args.runs, workers=args.workers, rep=rep)
    print(json.dumps(report, indent=2))
    results = args.results or (None if args.url else REPO / "bench" / "RESULTS-pages.md")
    if results:
        results.write_text(render_markdown(report, "the demo (24 reps)" if not args.url else url))
    return 0


def render_markdown(report: dict, store: str) -> str:
    """The table: page, Team Car's median, the bare page's median in the same run, the ratio."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Pages against the bare Dash page",
        "",
        f"Made by `bench/bench_pages.py` on {stamp}, commit {commit}: {store}, served by "
        f"`teamcar serve --workers {report['workers']}`; headless Chromium, each visit a fresh "
        f"context (cold cache), Team Car and the bare page (`bench/bare_dash.py`) alternating, "
        f"{report['runs']} runs each; *usable* = every Plotly graph drawn, no callback "
        "pending and every grid on screen built (the Data page: its imports grid has rows). "
        "Target: ≤ 1.0× the bare page.",
        "",
        "| page | Team Car, median (s) | bare Dash page, median (s) | ratio | met? |",
        "|---|---:|---:|---:|:-:|",
    ]
    for name in READY_SELECTORS:
        if name not in report:
            continue
        r = report[name]
        met = "yes" if r["ratio"] <= 1.0 else "**no**"
        lines.append(
            f"| {name.capitalize()} | {r['median_s']:.2f} | {r['bare_median_s']:.2f} | "
            f"{r['ratio']:.2f}× | {met} |"
        )
    lines += [
        "",
        f"First visit after the server started ({next(iter(READY_SELECTORS))}): {report['cold_s']:.2f} s.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
