"""Growth: how what a load computes, the summary and the Course's first visit grow with the company.

    .venv/bin/python bench/bench_growth.py                                   # the sizes below
    .venv/bin/python bench/bench_growth.py --sizes postgres:10000 --snapshots-for 10000=12
    .venv/bin/python bench/bench_growth.py --render                          # the table again

Each size is ``store:reps`` (``sqlite:200 sqlite:2000 postgres:200 postgres:2000 postgres:10000``
by default). Its store is seeded by ``bench_summary.seed`` scaled per rep as docs/architecture.md#sizes
(DESIGN §7) scales it: 100 open deals and 2,500 activities per rep, ``--snapshots`` weekly
snapshots (50; ``--snapshots-for REPS=N`` gives one size fewer). SQLite stores are files in
``--dir`` (default ``/tmp/teamcar-growth``); PostgreSQL gets a database ``bench_growth_<reps>_<n>``
on ``TEAMCAR_TEST_POSTGRES_URL``'s server (``--db-prefix`` changes ``bench_growth_``;
``--activities-for REPS=N`` gives one size N activities per rep). A seeded store is reused by
later runs (a marker file beside it) until ``--drop`` removes it and its database.

For each size, each step in a process of its own (so its peak RSS is its own):

1. *keep*: ``dashboard.serve.warm.keep``, what ``teamcar load`` computes after a load (the Course,
   Review and Season models for all teams, kept in the store per data version), after deleting
   everything kept before (the first load of this history); seconds per view, peak RSS;
2. *summary*: ``teamcar summary``'s work (``bench_summary.summarize``: compute_summary for all
   teams with movement, then its JSON); seconds, JSON MB, peak RSS;
3. *first visit*: ``bench_course.first_visit``: ``teamcar serve --workers 2`` started on the kept
   store, the Course opened as soon as it answers (the first visit after the server starts), then
   ``--repeat`` cold-cache visits alternating with the bare Dash page (``bench/bare_dash.py``);
   seconds, each as a ratio to the bare page's median in the same run, and the workers' peak RSS.

A watchdog kills any process of the run above ``--max-rss-mb`` (the machine is shared: a size that
does not fit is reported as broken there, not left to the kernel's OOM killer). Raw figures go to
``bench/out/growth.json`` (merged by size, so sizes can be run apart; ``--steps`` measures only
some steps again) and the tables to ``--results`` (bench/RESULTS-growth.md, between its
``growth:begin`` / ``growth:end`` markers, appended with them when it has none); ``--tag T``
makes a run of its own: ``bench/out/growth-T.json`` and ``growth-T`` markers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.run import PG_SERVER, TODAY, child, log, machine  # noqa: E402

OUT = REPO / "bench" / "out"
RAW = OUT / "growth.json"
DEFAULT_SIZES = "sqlite:200,sqlite:2000,postgres:200,postgres:2000,postgres:10000"
DEALS_PER_REP = 100  # open deals (bench_summary.seed adds a quarter as many closed)
ACTIVITIES_PER_REP = 2_500  # 5,000,000 at 2,000 reps
ACTIVITY_CHUNK = 2_500_000  # rows per activity batch: 25M activities in one frame need ~19 GB
BEGIN, END = "<!-- growth:begin -->", "<!-- growth:end -->"
STEPS = ("keep", "summary", "first_visit")


def keep_views(url: str) -> dict:
    """``warm.keep`` on ``url`` after deleting everything kept before (the per-version models
    and the per-snapshot frames: stage changes, forecast batch totals): what the first load of
    this history computes. A later weekly load finds the earlier snapshots' frames kept."""
    from sqlalchemy import text

    from dashboard.serve import warm
    from loaders.store.engine import get_engine

    engine = get_engine(url)
    with engine.begin() as conn:
        forgotten = conn.execute(text("DELETE FROM derived_frames")).rowcount
    took = warm.keep(engine)
    return {"forgotten": forgotten, **{k: round(v, 2) for k, v in took.items()}}


def count_rows(url: str) -> dict:
    """Rows in the store's big tables, the open deals on the as-of day, and its size on disk."""
    from sqlalchemy import text

    from loaders.store.engine import dispose_engines, get_engine

    engine = get_engine(url)
    with engine.connect() as conn:
        out = {
            "snapshot_rows": conn.execute(
                text("select count(*) from opportunity_snapshots")
            ).scalar_one(),
            "activity_rows": conn.execute(text("select count(*) from activities")).scalar_one(),
            "open_deals": conn.execute(
                text(
                    "select count(*) from opportunity_snapshots where status = 'open' and "
                    "batch_id = (select max(batch_id) from opportunity_snapshots)"
                )
            ).scalar_one(),
            "reps": conn.execute(text("select count(*) from reps")).scalar_one(),
        }
        if engine.dialect.name == "postgresql":
            # the database's own setting (bench_growth_10000_12 needed more: RESULTS-growth.md)
            out["work_mem"] = conn.execute(text("show work_mem")).scalar_one()
            out["store_mb"] = round(
                conn.execute(text("select pg_database_size(current_database())")).scalar_one() / 1e6
            )
    if engine.dialect.name == "sqlite":
        out["store_mb"] = round(Path(engine.url.database).stat().st_size / 1e6)
    dispose_engines()
    return out


# --- the watchdog ----------------------------------------------------------------------------


class Watchdog:
    """Kill any descendant process whose resident memory passes ``limit_mb``; remember it."""

    def __init__(self, limit_mb: float) -> None:
        self.limit_mb = limit_mb
        self.killed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.5):
            for proc in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    rss = proc.memory_info().rss / 2**20
                    if rss > self.limit_mb:
                        what = " ".join(proc.cmdline()[1:4])[:120]
                        proc.kill()
                        self.killed.append(f"{what} (RSS {rss:,.0f} MB)")
                        log(f"watchdog: killed {what} at {rss:,.0f} MB")


# --- stores ----------------------------------------------------------------------------------


DB_PREFIX = "bench_growth_"  # --db-prefix: the stores' names (PostgreSQL databases, SQLite files)


def store_url(store: str, reps: int, snapshots: int, folder: Path) -> str:
    name = f"{DB_PREFIX}{reps}_{snapshots}"
    if store == "sqlite":
        return f"sqlite:///{folder / (name + '.db')}"
    return PG_SERVER + name


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def _marker(store: str, reps: int, snapshots: int, folder: Path) -> Path:
    return folder / f"{DB_PREFIX}{store}-{reps}-{snapshots}.seed.json"


def ensure_store(
    store: str,
    reps: int,
    snapshots: int,
    folder: Path,
    timeout: float,
    activities_per_rep: int = ACTIVITIES_PER_REP,
) -> dict:
    """The seeded store (seeded now, or the marker of an earlier seed)."""
    url = store_url(store, reps, snapshots, folder)
    marker = _marker(store, reps, snapshots, folder)
    if marker.exists():
        return {**json.loads(marker.read_text()), "url": url, "reused": True}
    name = url.rsplit("/", 1)[-1]
    if store == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{folder / name}{suffix}").unlink(missing_ok=True)
    else:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{name}"')
    log(f"{store}:{reps}: seeding ({snapshots} snapshots) ...")
    run = child(
        "bench.bench_summary:seed",
        timeout,
        url=url,
        reps=reps,
        deals_per_rep=DEALS_PER_REP,
        snapshots=snapshots,
        activities=reps * activities_per_rep,
        activity_chunk=ACTIVITY_CHUNK,
    )
    started = time.perf_counter()
    child("bench.bench_summary:_analyze", timeout, url=url)
    info = {
        "seed_s": round(run["seconds"], 1),
        "analyze_s": round(time.perf_counter() - started, 1),
        "seed_peak_rss_mb": round(run["peak_rss_mb"]),
        "seeded": _now(),
        "activities_per_rep": activities_per_rep,
    }
    marker.write_text(json.dumps(info, indent=2))
    return {**info, "url": url, "reused": False}


def drop_store(store: str, reps: int, snapshots: int, folder: Path) -> None:
    url = store_url(store, reps, snapshots, folder)
    _marker(store, reps, snapshots, folder).unlink(missing_ok=True)
    if store == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
    else:
        _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)')


# --- one size ----------------------------------------------------------------------------------


def measure_size(store: str, reps: int, snapshots: int, args, dog: Watchdog) -> dict:
    """Every step for one size; a step that fails (time limit, memory, error) is recorded as
    where this size broke, and the steps after it still run when they can."""
    from bench.bench_course import first_visit
    from bench.loadtest import free_port

    entry: dict = {
        "store": store,
        "reps": reps,
        "snapshots": snapshots,
        "date": _now(),
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
        "git": machine().get("git"),
    }

    def step(name: str, fn):
        before = len(dog.killed)
        started = time.perf_counter()
        try:
            entry[name] = fn()
        except Exception as exc:  # noqa: BLE001 - report where it broke, go on
            killed = dog.killed[before:]
            entry.setdefault("broke", {})[name] = (
                f"killed by the watchdog: {killed[0]}" if killed else f"{type(exc).__name__}: {exc}"
            )[:600]
            log(f"{store}:{reps}: {name} broke: {entry['broke'][name][:300]}")
        entry.setdefault("wall_s", {})[name] = round(time.perf_counter() - started, 1)

    per_rep = args.activities.get(reps, ACTIVITIES_PER_REP)
    step("seed", lambda: ensure_store(store, reps, snapshots, args.dir, args.timeout, per_rep))
    if "seed" not in entry:
        return entry
    url = entry["seed"].pop("url")
    step("rows", lambda: count_rows(url))
    log(f"{store}:{reps}: {entry.get('rows')}")

    def keep():
        run = child("bench.bench_growth:keep_views", args.timeout, url=url)
        return {
            **run["result"],
            "seconds": round(run["seconds"], 1),
            "peak_rss_mb": round(run["peak_rss_mb"]),
        }

    if "keep" in args.steps:
        step("keep", keep)
    log(f"{store}:{reps}: keep {entry.get('keep')}")

    def summary():
        run = child("bench.bench_summary:summarize", args.timeout, url=url, repeat=1)
        return {**run["result"], "child_peak_rss_mb": round(run["peak_rss_mb"])}

    if "summary" in args.steps:
        step("summary", summary)
    log(f"{store}:{reps}: summary {entry.get('summary')}")

    def visit():
        port = args.port or free_port()
        while not args.port and (port < 1100 or _busy(port - 1)):
            port = free_port()
        return first_visit(url, args.repeat, port, workers=2, timeout_s=args.page_timeout)

    if "first_visit" in args.steps:
        step("first_visit", visit)
    log(f"{store}:{reps}: first visit {entry.get('first_visit')}")
    entry["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    return entry


def _busy(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- the report ----------------------------------------------------------------------------------


def render(raw: dict) -> str:
    """The tables between the markers: one row per size, then how each figure grew."""
    sizes = sorted(
        raw["sizes"].values(), key=lambda e: (e["store"] != "sqlite", -e["snapshots"], e["reps"])
    )
    lines = [
        BEGIN,
        "",
        f"*Tables made by `bench/bench_growth.py` (raw: `bench/out/{RAW.name}`); last run "
        f"{max((e['date'] for e in sizes), default='—')}.*",
        "",
        "| store | reps | snapshots | open deals | snapshot rows | activities | store MB | "
        "load avg (start) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in sizes:
        r = e.get("rows") or {}
        lines.append(
            f"| {e['store']} | {e['reps']:,} | {e['snapshots']} | {_n(r.get('open_deals'))} | "
            f"{_n(r.get('snapshot_rows'))} | {_n(r.get('activity_rows'))} | "
            f"{_n(r.get('store_mb'))} | {', '.join(str(x) for x in e['load_average_at_start'])} |"
        )
    lines += [
        "",
        "What a load computes (`warm.keep`: Course, Review, Season for all teams, kept in the "
        "store) and the summary (`teamcar summary`'s compute and JSON), each in its own process:",
        "",
        "| store | reps | keep s (course / riders / review / season) | keep peak RSS MB | summary s "
        "(compute + JSON) | summary JSON MB | summary peak RSS MB |",
        "|---|---:|---|---:|---|---:|---:|",
    ]
    for e in sizes:
        k, s = e.get("keep") or {}, e.get("summary") or {}
        parts = [k.get(x) for x in ("course", "riders", "review", "season")]
        keep = (
            f"{k['seconds']:.1f} ({' / '.join('—' if x is None else f'{x:.1f}' for x in parts)})"
            if k
            else _broke(e, "keep")
        )
        summ = (
            f"{s['compute_seconds'] + s['json_seconds']:.1f} ({s['compute_seconds']:.1f} + "
            f"{s['json_seconds']:.1f})"
            if s
            else _broke(e, "summary")
        )
        lines.append(
            f"| {e['store']} | {e['reps']:,} | {keep} | {_n(k.get('peak_rss_mb'))} | {summ} | "
            f"{_n(s.get('json_mb'), 1)} | {_n(s.get('peak_rss_mb'))} |"
        )
    lines += [
        "",
        "The Course's first visit after `teamcar serve --workers 2` starts on the kept store, and "
        "cold-cache visits alternating with the bare Dash page (headless Chromium, a fresh "
        "context each visit; *usable* = every graph drawn, no callback pending, the map's "
        "lanes shown); ratios to the bare page's median in the same run (targets: first "
        "≤ 1.5×, median ≤ 1.2×):",
        "",
        "| store | reps | server answers s | first visit s | bare median s | first / bare | "
        "median s | median / bare | worker peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in sizes:
        v = e.get("first_visit")
        if not v:
            lines.append(
                f"| {e['store']} | {e['reps']:,} | {_broke(e, 'first_visit')} | | | | | | |"
            )
            continue
        lines.append(
            f"| {e['store']} | {e['reps']:,} | {v['server_answers_s']:.1f} | {v['cold_s']:.2f} | "
            f"{_n(v.get('bare_median_s'), 2)} | {_x(v.get('cold_ratio'))} | "
            f"{_n(v.get('median_s'), 2)} | {_x(v.get('median_ratio'))} | "
            f"{' / '.join(str(x) for x in v.get('worker_peak_rss_mb', [])) or '—'} |"
        )
    lines += ["", *_growth_lines(sizes), "", END]
    return "\n".join(lines)


def _growth_lines(sizes: list[dict]) -> list[str]:
    """Each figure at the larger size over the same figure at the smaller, same store."""
    pairs = []
    for store in ("sqlite", "postgres"):
        mine = sorted((e for e in sizes if e["store"] == store), key=lambda e: e["reps"])
        pairs += list(zip(mine, mine[1:], strict=False))
    if not pairs:
        return []
    figures = {
        "open deals": lambda e: e["rows"]["open_deals"],
        "snapshot rows": lambda e: e["rows"]["snapshot_rows"],
        "keep s": lambda e: e["keep"]["seconds"],
        "keep peak RSS": lambda e: e["keep"]["peak_rss_mb"],
        "summary compute s": lambda e: e["summary"]["compute_seconds"],
        "summary JSON s": lambda e: e["summary"]["json_seconds"],
        "summary peak RSS": lambda e: e["summary"]["peak_rss_mb"],
        "server answers s": lambda e: e["first_visit"]["server_answers_s"],
        "first visit s": lambda e: e["first_visit"]["cold_s"],
        "first visit / bare": lambda e: e["first_visit"]["cold_ratio"],
        "median visit / bare": lambda e: e["first_visit"]["median_ratio"],
        "worker peak RSS": lambda e: max(e["first_visit"]["worker_peak_rss_mb"]),
    }
    head = " | ".join(
        f"{a['store']} {a['reps']:,} → {b['reps']:,} ({a['snapshots']}"
        + (f" → {b['snapshots']}" if b["snapshots"] != a["snapshots"] else "")
        + " snapshots)"
        for a, b in pairs
    )
    out = [
        "Growth: each figure at the larger size over the same figure at the smaller one (same "
        "store; reps grew by the factor in the first row):",
        "",
        f"| figure | {head} |",
        "|---|" + "---:|" * len(pairs),
        "| reps | " + " | ".join(f"{b['reps'] / a['reps']:.1f}×" for a, b in pairs) + " |",
    ]
    for name, get in figures.items():
        cells = []
        for a, b in pairs:
            try:
                cells.append(f"{get(b) / get(a):.1f}×")
            except (KeyError, TypeError, ZeroDivisionError, ValueError):
                cells.append("—")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def _broke(e: dict, step: str) -> str:
    why = (e.get("broke") or {}).get(step)
    return f"broke: {re.sub(r'[`|]', ' ', why)[:160]}" if why else "—"


def _n(x, digits: int = 0) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def _x(x) -> str:
    return "—" if x is None else f"{x:.2f}×"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def write_results(raw: dict, results: Path) -> None:
    """The tables between the markers of ``results`` (appended, with their markers, to a file
    that has none: an earlier run's tables under other markers are left as they are)."""
    tables = render(raw)
    text = results.read_text() if results.exists() else "# Growth\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        results.write_text(head + tables + rest.split(END, 1)[1])
    else:
        results.write_text(text.rstrip("\n") + "\n\n" + tables + "\n")


def main(argv: list[str] | None = None) -> int:
    global DB_PREFIX
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"default {DEFAULT_SIZES}")
    parser.add_argument("--snapshots", type=int, default=50)
    parser.add_argument(
        "--snapshots-for",
        action="append",
        default=[],
        metavar="REPS=N",
        help="fewer snapshots at one size (e.g. 10000=12)",
    )
    parser.add_argument(
        "--activities-for",
        action="append",
        default=[],
        metavar="REPS=N",
        help=f"activities per rep at one size (default {ACTIVITIES_PER_REP}; e.g. 10000=1000)",
    )
    parser.add_argument(
        "--db-prefix",
        default=DB_PREFIX,
        help=f"the stores' names start with this (default {DB_PREFIX})",
    )
    parser.add_argument(
        "--tag",
        help="a run of its own: raw figures in bench/out/growth-TAG.json and its tables between "
        "growth-TAG markers (default: growth.json, the growth markers)",
    )
    parser.add_argument(
        "--port", type=int, help="the server's port for the first visit (the bare page: PORT-1)"
    )
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help="the steps to measure (the others keep their figures from the raw file)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="alternating visits per size")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/teamcar-growth"))
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per step")
    parser.add_argument("--page-timeout", type=float, default=600, help="seconds per visit")
    parser.add_argument("--max-rss-mb", type=float, default=12_000)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS-growth.md")
    parser.add_argument("--drop", action="store_true", help="drop the stores of --sizes, then stop")
    parser.add_argument("--render", action="store_true", help="only rewrite the tables")
    parser.add_argument(
        "--seed-only", action="store_true", help="seed the stores of --sizes (no measures)"
    )
    args = parser.parse_args(argv)
    args.steps = [x.strip() for x in args.steps.split(",")]
    if unknown := set(args.steps) - set(STEPS):
        parser.error(f"unknown steps {sorted(unknown)}")
    if args.tag:
        global RAW, BEGIN, END
        RAW = OUT / f"growth-{args.tag}.json"
        BEGIN, END = f"<!-- growth-{args.tag}:begin -->", f"<!-- growth-{args.tag}:end -->"
    os.environ["TEAMCAR_TODAY"] = TODAY
    per = {int(k): int(v) for k, v in (x.split("=") for x in args.snapshots_for)}
    args.activities = {int(k): int(v) for k, v in (x.split("=") for x in args.activities_for)}
    DB_PREFIX = args.db_prefix
    sizes = []
    for item in args.sizes.split(","):
        store, reps = item.strip().split(":")
        if store not in ("sqlite", "postgres"):
            parser.error(f"unknown store {store}")
        sizes.append((store, int(reps), per.get(int(reps), args.snapshots)))
    raw = json.loads(RAW.read_text()) if RAW.exists() else {"sizes": {}}
    if args.render:
        write_results(raw, args.results)
        return 0
    if args.drop:
        for store, reps, snaps in sizes:
            drop_store(store, reps, snaps, args.dir)
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    with Watchdog(args.max_rss_mb) as dog:
        for store, reps, snaps in sizes:
            if args.seed_only:
                per_rep = args.activities.get(reps, ACTIVITIES_PER_REP)
                seeded = ensure_store(store, reps, snaps, args.dir, args.timeout, per_rep)
                log(f"{store}:{reps}: {seeded}")
                continue
            entry = measure_size(store, reps, snaps, args, dog)
            earlier = raw["sizes"].get(f"{store}:{reps}:{snaps}", {})
            for name in STEPS:
                if name not in args.steps and name in earlier:
                    entry[name] = earlier[name]
                    entry.setdefault("measured_apart", {})[name] = earlier["date"]
            raw["sizes"][f"{store}:{reps}:{snaps}"] = entry
            OUT.mkdir(parents=True, exist_ok=True)
            RAW.write_text(json.dumps(raw, indent=2, default=str) + "\n")
            write_results(raw, args.results)
    if not args.seed_only:
        print(args.results.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
