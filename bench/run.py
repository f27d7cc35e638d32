"""The one-command benchmark: load, pages, callbacks, concurrent load and memory, on
SQLite and PostgreSQL, each figure beside its baseline measured in the same run.

    .venv/bin/python bench/run.py --size small --store sqlite      # CI (make bench): under a minute
    .venv/bin/python bench/run.py --size full --store sqlite       # full sizes (make bench-full)
    .venv/bin/python bench/run.py --size full --store sqlite,postgres

Sizes: ``full`` is docs/architecture.md#sizes (2,000 reps, 200,000 open deals, 50 weekly snapshots,
5,000,000 activities; a 200,000-row pipeline report and a 5,000,000-row activity file for load
throughput); ``small`` proves the tool works. The store is seeded by ``bench_summary.seed`` and the
load files are made by ``bench_load.make_files``; both are made once into ``--cache`` (default
``bench/out/cache/<size>/``) and reused by later runs. The SQLite store is served from the cache;
PostgreSQL gets a throwaway database per run, seeded from the same builder and dropped after (also
when the run fails or is interrupted).

For each store:

- load throughput: ``loaders.ingest.load_file`` of each file into a fresh store (its own process),
  rows/s, against pyarrow's multithreaded parse of the same file (the baseline);
- pages (Course, Review, Rider, Data, Season) in headless Chromium against ``teamcar serve
  --workers 2``, each figure against the bare Dash page (``bench/bare_dash.py``, served beside it)
  visited the same way in the same run, alternating: the page's first visit after the server
  started on freshly loaded data (a fresh context: cold browser cache) and one bare visit; ``warm``
  visits of the same context again, each beside the bare page's own context visited again; then
  ``alternate`` cold-cache visits of each, alternating (``bench_pages.usable``). *Usable*: the
  page's main graph or grid shows data, every Plotly graph is drawn and no callback is pending
  (the bare page: its graphs drawn). Figures: seconds and their ratio to the bare page's median
  (targets: first visit ≤ 1.5x, median ≤ 1.2x for the Course, Review and Rider), bytes beside
  the bare page's bytes. ``small`` makes warm visits of the first page only and no extra
  alternating visits, to keep CI short;
- callbacks: every ``POST /_dash-update-component`` a page load made (captured from Chromium),
  replayed ``--repeat`` times over HTTP: median, p95 and the largest figure's JSON bytes.
  Baseline: the live check that finds nothing new (the cheapest round trip through Dash);
- concurrent load: ``--managers`` simulated managers (``bench/loadtest.py``) replaying the
  captured page loads (all teams and single teams, every page) for ``--duration`` seconds;
  p50/p95 and errors. Baseline: one manager;
- memory: each gunicorn worker's peak resident set (VmHWM) after all that. Baseline: a worker
  just after it started.

Writes ``bench/out/run-<size>.json`` (raw figures, per store; a run with fewer stores keeps the
other stores' last figures, marked with their date) and a Markdown table: ``bench/RESULTS.md`` for
``full``, ``bench/out/RESULTS-small.md`` for ``small`` (``--results`` to choose).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))

from bench import _browser  # noqa: E402
from bench.bench_pages import GRAPH, READY_SELECTORS, bare_page, usable, wait_bare  # noqa: E402
from bench.loadtest import free_port, replay, run_load, serve  # noqa: E402

TODAY = "2026-11-22"
PAGES = ("course", "review", "rider", "data", "season")
TARGET_PAGES = ("course", "review", "rider")  # the page targets name these three
SIZES = {
    "small": {
        "reps": 100,
        "deals_per_rep": 20,
        "snapshots": 6,
        "activities": 50_000,
        "pipeline_rows": 20_000,
        "activity_rows": 50_000,
        # CI's run (make bench) proves every part works and stays short: each page once beside
        # the bare page, warm visits of the first page only, fewer replays, a short load test
        "repeat": 2,
        "warm": 1,
        "warm_pages": 1,
        "alternate": 0,
        "teams": 1,
        "team_pages": (),  # the concurrent load replays the all-teams pages only
        "managers": 50,
        "duration": 4,
        "baseline_duration": 1.5,
        "seed_timeout": 600,
        "step_timeout": 300,
        "page_timeout": 120,
        "request_timeout": 120,
    },
    "full": {
        "reps": 2000,
        "deals_per_rep": 100,
        "snapshots": 50,
        "activities": 5_000_000,
        "pipeline_rows": 200_000,
        "activity_rows": 5_000_000,
        "repeat": 20,
        "warm": 2,
        "warm_pages": len(PAGES),
        "alternate": 5,
        "teams": 2,
        "team_pages": ("course", "review", "rider"),
        "managers": 50,
        "duration": 60,
        "baseline_duration": 20,
        "seed_timeout": 4 * 3600,
        "step_timeout": 3600,
        "page_timeout": 600,
        "request_timeout": 300,
    },
}
TARGETS = {
    "usable_s": 2.0,
    # against the bare Dash page in the same run (issue 14): the first visit after the server
    # started, and the median of cold-cache visits
    "first_ratio": 1.5,
    "median_ratio": 1.2,
    "callback_p95_ms": 500.0,
    "figure_bytes": 2_000_000,
    "load_ratio": 3.0,
    "errors": 0,
}
PG_SERVER = os.environ.get(
    "TEAMCAR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/"
)


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# --- children with timeouts ------------------------------------------------------------------


def child(target: str, timeout: float, **kwargs) -> dict:
    """``bench/_measure.py``'s child (own process, own peak memory) with a time limit."""
    cmd = [sys.executable, str(REPO / "bench" / "_measure.py"), target, json.dumps(kwargs)]
    env = {**os.environ, "TEAMCAR_TODAY": TODAY}
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise TimeoutError(f"{target} took more than {timeout:.0f} s") from None
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{target} failed ({proc.returncode}):\n{err.read()[-4000:]}")
    return json.loads(out.strip().splitlines()[-1])


# --- PostgreSQL throwaway databases ------------------------------------------------------------


class Databases:
    """Throwaway PostgreSQL databases, all dropped by ``drop_all`` (called however the run ends).

    Names carry the creating process's id (``teamcar_benchrun_<pid>_...``), so a later run drops
    what a killed one left behind, and never another live run's databases.
    """

    PREFIX = "teamcar_benchrun_"

    def __init__(self) -> None:
        self.names: list[str] = []

    def drop_orphans(self) -> None:
        """Drop databases of earlier runs whose process is gone."""
        from sqlalchemy import create_engine, text

        try:
            admin = create_engine(PG_SERVER + "postgres", connect_args={"connect_timeout": 5})
            with admin.connect() as conn:
                names = [
                    r[0]
                    for r in conn.execute(
                        text("select datname from pg_database where datname like :p"),
                        {"p": self.PREFIX + "%"},
                    )
                ]
            admin.dispose()
        except Exception:  # noqa: BLE001 - no server: nothing to clean
            return
        for name in names:
            pid = name[len(self.PREFIX) :].split("_", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                log(f"dropping {name}, left by an earlier run")
                try:
                    self.drop(PG_SERVER + name)
                except Exception as exc:  # noqa: BLE001
                    log(f"could not drop {name}: {exc}")

    def create(self, label: str) -> str:
        import uuid

        from sqlalchemy import create_engine, text

        name = f"{self.PREFIX}{os.getpid()}_{label}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        self.names.append(name)
        return PG_SERVER + name

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[-1]
        from sqlalchemy import create_engine, text

        admin = create_engine(
            PG_SERVER + "postgres",
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 10},
        )
        try:
            with admin.connect() as conn:
                conn.execute(text("SET statement_timeout = '120s'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
        if name in self.names:
            self.names.remove(name)

    def drop_all(self) -> None:
        for name in list(self.names):
            try:
                self.drop(PG_SERVER + name)
            except Exception as exc:  # noqa: BLE001 - report and go on dropping the others
                log(f"could not drop {name}: {exc}")


# --- data, made once per size ------------------------------------------------------------------


def prepare(size: str, cache: Path) -> dict:
    """The cached SQLite store and load files for ``size`` (built when missing)."""
    p = SIZES[size]
    cache.mkdir(parents=True, exist_ok=True)
    info_path = cache / "built.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    db = cache / "store.db"
    if not info.get("store"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        log(f"seeding the {size} SQLite store (once; cached in {cache}) ...")
        run = child(
            "bench.bench_summary:seed", p["seed_timeout"], url=f"sqlite:///{db}", **_seed_args(p)
        )
        info["store"] = {"seconds": round(run["seconds"], 1), "built": _now()}
        info_path.write_text(json.dumps(info, indent=2))
    files = cache / "files"
    if not info.get("files"):
        shutil.rmtree(files, ignore_errors=True)
        files.mkdir(parents=True)
        log(f"writing the load files ({p['pipeline_rows']:,} and {p['activity_rows']:,} rows) ...")
        run = child(
            "bench.run:make_load_files",
            p["seed_timeout"],
            folder=str(files),
            pipeline_rows=p["pipeline_rows"],
            activity_rows=p["activity_rows"],
        )
        info["files"] = run["result"]
        info_path.write_text(json.dumps(info, indent=2))
    return {"sqlite_url": f"sqlite:///{db}", "files": info["files"], "built": info}


def make_load_files(folder: str, pipeline_rows: int, activity_rows: int) -> dict:
    """``bench_load.make_files`` from a child (its arguments arrive as JSON)."""
    from bench.bench_load import make_files

    return make_files(Path(folder), pipeline_rows, activity_rows)


def keep_store(url: str) -> dict:
    """``warm.keep`` on ``url`` (what ``teamcar load`` does after a load), on the run's today."""
    from dashboard.serve import warm
    from loaders.store.engine import get_engine

    return {k: round(v, 1) for k, v in warm.keep(get_engine(url)).items()}


def make_schema(url: str) -> None:
    """An empty store at the latest schema."""
    from loaders.store.engine import upgrade

    upgrade(url)


def _seed_args(p: dict) -> dict:
    return {
        "reps": p["reps"],
        "deals_per_rep": p["deals_per_rep"],
        "snapshots": p["snapshots"],
        "activities": p["activities"],
    }


# --- measurements --------------------------------------------------------------------------------


def _parsed_rows(result: int | dict) -> int:
    """Rows pyarrow parsed (``parse_with_pyarrow`` answers a dict with its CPU time now)."""
    return result["rows"] if isinstance(result, dict) else result


def measure_loads(
    files: dict, store: str, work: Path, dbs: Databases, timeout: float, floors: dict
) -> dict:
    """Each file loaded into a fresh store of kind ``store``, beside pyarrow's parse."""
    out = {}
    for kind, path in files.items():
        if kind not in floors:
            log(f"pyarrow parse of the {kind} file ...")
            floors[kind] = child("bench.bench_load:parse_with_pyarrow", timeout, path=path)
        floor = floors[kind]
        url = (
            f"sqlite:///{work / f'load-{kind}.db'}"
            if store == "sqlite"
            else dbs.create(f"load_{kind}")
        )
        try:
            # an empty store at the latest schema, not part of the load's time (SQLite: made
            # once and copied, one child process fewer per file)
            if store == "sqlite":
                template = work / "schema-template.db"
                if not template.exists():
                    child("bench.run:make_schema", timeout, url=f"sqlite:///{template}")
                shutil.copyfile(template, work / f"load-{kind}.db")
            else:
                child("bench.run:make_schema", timeout, url=url)
            log(f"{store}: loading the {kind} file ...")
            run = child(
                "bench.bench_load:load_into",
                timeout,
                path=path,
                url=url,
                data_dir=str(work / f"load-data-{kind}"),
            )
        finally:
            if store == "postgres":
                dbs.drop(url)
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{work / f'load-{kind}.db'}{suffix}").unlink(missing_ok=True)
        rows = run["result"]["rows"]
        out[kind] = {
            "rows": rows,
            "rejected": run["result"]["rejected"],
            "mb": round(Path(path).stat().st_size / 1e6, 1),
            "seconds": round(run["seconds"], 2),
            "rows_per_s": round(rows / run["seconds"]),
            "peak_rss_mb": round(run["peak_rss_mb"]),
            "pyarrow_seconds": round(floor["seconds"], 3),
            "pyarrow_rows_per_s": round(_parsed_rows(floor["result"]) / floor["seconds"]),
            "ratio": round(run["seconds"] / floor["seconds"], 2),
        }
        log(
            f"{store}: {kind} {rows:,} rows in {run['seconds']:.1f} s "
            f"({out[kind]['ratio']}x pyarrow's {floor['seconds']:.2f} s)"
        )
    return out


def pick_people(url: str, n_teams: int) -> dict:
    """Teams (first ``n_teams`` by name) and one rep in each, from the store."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            teams = [
                r[0]
                for r in conn.execute(
                    text(
                        "select t.name from teams t join team_memberships m on m.team_id = t.id "
                        "where m.effective_to is null group by t.name order by t.name"
                    )
                )
            ]
            reps = {}
            for team in teams[: max(n_teams, 1)]:
                reps[team] = conn.execute(
                    text(
                        "select r.name from reps r join team_memberships m on m.rep_id = r.id "
                        "join teams t on t.id = m.team_id where t.name = :t and m.effective_to "
                        "is null order by r.name limit 1"
                    ),
                    {"t": team},
                ).scalar()
    finally:
        engine.dispose()
    return {"teams": teams[:n_teams], "reps": reps}


def measure_server(url: str, store: str, p: dict, work: Path) -> dict:
    """Pages, callbacks, concurrent load and worker memory against ``teamcar serve --workers 2``."""
    from playwright.sync_api import sync_playwright

    people = pick_people(url, p["teams"])
    first_team = people["teams"][0] if people["teams"] else None
    rep = people["reps"].get(first_team) if first_team else None
    result: dict = {"pages": {}, "callbacks": {}, "people": people}
    timeout = p["page_timeout"]
    env = {"TEAMCAR_TODAY": TODAY, "TEAMCAR_CACHE_URL": p.get("cache_url") or ""}
    bare_port = free_port()
    with (
        bare_page(bare_port) as bare,  # boots while Team Car's workers boot
        serve(url, work / f"serve-{store}", workers=2, start_timeout=300, env=env) as server,
    ):
        result["idle_rss_mb"] = _rss_now(server.worker_pids())
        scenarios: list[list[dict]] = []
        wait_bare(bare_port)
        with sync_playwright() as pw:
            browser = _browser.launch(pw)
            try:
                usable(browser, bare + "/", GRAPH)  # the bare server, warmed once
                for i, name in enumerate(PAGES):
                    path = _browser.page_path(name, rep=rep)
                    log(f"{store}: {name} ...")
                    warm = p["warm"] if i < p.get("warm_pages", len(PAGES)) else 0
                    try:
                        result["pages"][name] = _page_against_bare(
                            browser, server.base, bare, name, path, {**p, "warm": warm}, timeout
                        )
                    except Exception as exc:  # noqa: BLE001 - one page failing: measure the rest
                        log(f"{store}: {name} failed: {exc}")
                        result["pages"][name] = {"error": str(exc)[:2000], "cold_calls": []}
                        result["errors"] = result.get("errors", 0) + 1
                        continue
                    cold = result["pages"][name]["cold"]
                    scenarios.append(
                        _scenario(name, {"callbacks": result["pages"][name]["cold_calls"]})
                    )
                    log(
                        f"{store}: {name} usable: first visit {cold['usable_s']:.2f} s, bare "
                        f"{statistics.median(result['pages'][name]['bare_s']):.2f} s; "
                        f"{cold['bytes'] / 1e6:.1f} MB"
                    )
                # More page loads for the concurrent load: the same pages for single teams.
                for team in people["teams"]:
                    for name in p["team_pages"]:
                        path = _browser.page_path(name, team=team, rep=people["reps"][team])
                        ctx = _browser.new_context(browser)
                        try:
                            seen = _browser.open_page(ctx, server.base, name, path, timeout)
                            scenarios.append(_scenario(name, seen))
                        except Exception as exc:  # noqa: BLE001 - a scenario fewer
                            log(f"{store}: {name} for {team} failed: {exc}")
                        finally:
                            ctx.close()
            finally:
                browser.close()

        log(f"{store}: replaying callbacks x{p['repeat']} ...")
        live = None
        for name in PAGES:
            done = set()
            for call in result["pages"][name]["cold_calls"]:
                if call["output"] in done or call["status"] != 200 or call["response_bytes"] <= 200:
                    continue  # "nothing to update" answers: not a callback's work
                done.add(call["output"])
                stats = replay(
                    server.base,
                    call["body"],
                    p["repeat"],
                    timeout=p["request_timeout"],
                    path=call["path"],
                )
                stats.update(label=call["label"], captured_bytes=call["response_bytes"], main=True)
                result["callbacks"].setdefault(name, []).append(stats)
        # The baseline: the live check when nothing changed (the browser's later polls).
        polls = [
            c
            for name in PAGES
            for c in result["pages"][name]["cold_calls"]
            if c["output"].startswith("..shell-data-version.data") and c["response_bytes"] < 100
        ]
        if polls:
            live = replay(
                server.base,
                polls[-1]["body"],
                max(p["repeat"], 20),
                timeout=p["request_timeout"],
                path=polls[-1]["path"],
            )
        result["live_check"] = live
        for name in PAGES:
            result["pages"][name].pop("cold_calls")

        if not any(scenarios):
            raise RuntimeError("no page loaded: nothing to replay; server log:\n" + server.tail())
        log(f"{store}: load, 1 manager x {p['baseline_duration']} s ...")
        one = run_load(
            server.base,
            scenarios,
            managers=1,
            duration=p["baseline_duration"],
            request_timeout=p["request_timeout"],
        )
        log(f"{store}: load, {p['managers']} managers x {p['duration']} s ...")
        many = run_load(
            server.base,
            scenarios,
            managers=p["managers"],
            duration=p["duration"],
            request_timeout=p["request_timeout"],
        )
        result["load_1"] = one.to_dict()
        result["load_n"] = many.to_dict()
        log(
            f"{store}: {p['managers']} managers: p50 {many.p50_ms} ms, p95 {many.p95_ms} ms, "
            f"{many.errors} errors of {many.requests}"
        )
        result["peak_rss_mb"] = {str(k): round(v) for k, v in server.peak_rss_mb().items()}
        result["server_log_tail"] = (
            server.tail(3000) if many.errors or one.errors or result.get("errors") else ""
        )
    return result


def _page_against_bare(
    browser, base: str, bare: str, name: str, path: str, p: dict, timeout: float
) -> dict:
    """One page against the bare Dash page (``bench/bare_dash.py``), every visit alternating
    with one of the bare page made the same way: the first visit after the server started (a
    fresh context: cold browser cache; its callbacks captured for replaying) beside a bare
    visit in a fresh context; ``warm`` visits of the same context again beside the bare page's
    own context visited again; ``alternate`` more cold-cache visits of each
    (``bench_pages.usable``, as bench_pages.py and the team's pageratio.py measure)."""
    ctx, bare_ctx = _browser.new_context(browser), _browser.new_context(browser)
    try:
        cold = _browser.open_page(ctx, base, name, path, timeout)
        bare_cold = _browser.visit(bare_ctx, bare + "/", GRAPH, timeout * 1000)
        warm, bare_warm = [], []
        for _ in range(p["warm"]):
            warm.append(_browser.open_page(ctx, base, name, path, timeout))
            bare_warm.append(_browser.visit(bare_ctx, bare + "/", GRAPH, timeout * 1000))
    finally:
        ctx.close()
        bare_ctx.close()
    mine, theirs = [], [bare_cold["usable_s"]]
    for _ in range(p["alternate"]):
        mine.append(usable(browser, base + path, READY_SELECTORS[name], timeout * 1000))
        theirs.append(usable(browser, bare + "/", GRAPH, timeout * 1000))
    return {
        "cold": _slim(cold),
        "warm": [_slim(w) for w in warm],
        "fresh_s": mine,
        "bare_s": theirs,
        "bare_bytes": bare_cold["bytes"],
        "bare_warm_s": [b["usable_s"] for b in bare_warm],
        "bare_warm_bytes": [b["bytes"] for b in bare_warm],
        "cold_calls": cold["callbacks"],
    }


def _rss_now(pids: list[int]) -> float | None:
    values = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    values.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return round(max(values)) if values else None


def _slim(visit: dict) -> dict:
    """A visit without the payloads (kept: what each callback sent back and how fast)."""
    keep = {k: v for k, v in visit.items() if k != "callbacks"}
    keep["callbacks"] = [
        {k: c[k] for k in ("label", "status", "response_bytes", "ms", "done_at_s")}
        for c in visit["callbacks"]
    ]
    return keep


def _scenario(page: str, visit: dict) -> list[dict]:
    calls = [c for c in visit["callbacks"] if c["status"] == 200]
    return [{"label": f"{page}: {c['label']}", "body": c["body"], "path": c["path"]} for c in calls]


# --- the report ----------------------------------------------------------------------------------


def machine() -> dict:
    info = {
        "date": _now(),
        "host": platform.node(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "cores": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        info["load_average_at_start"] = os.getloadavg()
    except OSError:
        pass
    for key, cmd in (
        ("chromium", [_browser.CHROMIUM, "--version"]),
        ("git", ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
    ):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            info[key] = subprocess.run(
                cmd, capture_output=True, text=True, timeout=20, check=False
            ).stdout.strip()
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_SERVER + "postgres", connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            info["postgres"] = conn.execute(text("show server_version")).scalar()
        engine.dispose()
    except Exception:  # noqa: BLE001 - not reachable: the report says so by leaving it out
        pass
    return info


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fmt(x, unit: str = "", digits: int = 0) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    return f"{x:,.{digits}f}{unit}"


def render_markdown(report: dict) -> str:
    """The table people read: figure | SQLite | PostgreSQL | baseline | ratio | target | met?"""
    stores = report["stores"]
    order = [s for s in ("sqlite", "postgres") if s in stores]
    size = report["size"]
    p = report["params"]
    lines = [
        f"# Team Car benchmark — {size} size",
        "",
        "Made by `bench/run.py` (`make bench-full` for the full sizes of "
        "docs/architecture.md#sizes, `make bench` for the small size CI runs); raw figures in "
        "`bench/out/run-<size>.json`.",
        "",
        f"Run `{report['command']}` on {report['machine'].get('date')}; "
        f"machine: {report['machine'].get('cpu', '?')}, {report['machine'].get('cores')} cores, "
        f"{report['machine'].get('memory_gb', '?')} GB, {report['machine'].get('os', '')}; "
        f"Python {report['machine'].get('python')}, SQLite {report['machine'].get('sqlite')}, "
        f"PostgreSQL {report['machine'].get('postgres', '—')}, "
        f"{report['machine'].get('chromium', 'Chromium ?')}; commit "
        f"{report['machine'].get('git', '?')}; load average at start "
        f"{', '.join(f'{x:.1f}' for x in report['machine'].get('load_average_at_start', []))}.",
        "",
        f"Store: {p['reps']:,} reps, {p['reps'] * p['deals_per_rep']:,} open deals, "
        f"{p['snapshots']} weekly snapshots, {p['activities']:,} activities "
        f"(`bench_summary.seed`). Load files: a {p['pipeline_rows']:,}-row pipeline report and a "
        f"{p['activity_rows']:,}-row activity file (`bench_load.make_files`). Served by "
        f"`teamcar serve --workers 2` (gunicorn); pages in headless Chromium; callbacks replayed "
        f"over HTTP ×{p['repeat']} after one unmeasured call; concurrent load: "
        f"{p['managers']} managers × {p['duration']} s. Query cache: "
        f"{'shared, ' + p['cache_url'].split('@')[-1] if p.get('cache_url') else 'in each worker'}.",
        "",
    ]
    for s in stores:
        meta = stores[s]
        if meta.get("from_earlier_run"):
            lines.append(f"*{s}: figures from an earlier run ({meta.get('date')}).*")
        for part, name in (("loads_from", "load"), ("server_from", "server")):
            if meta.get(part):
                lines.append(f"*{s}: {name} figures from an earlier run ({meta[part]}).*")
        if meta.get("keep_seconds") is not None:
            lines.append(
                f"*{s}: the landing views were kept first (`warm.keep`, as `teamcar load` does): "
                f"{meta['keep_seconds']:.0f} s.*"
            )
        if meta.get("error"):
            lines.append(f"*{s}: the run failed: `{_one_line(meta['error'], 300)}`*")
        for page, data in (meta.get("server") or {}).get("pages", {}).items():
            if data.get("error"):
                lines.append(f"*{s}: {page} page failed: `{_one_line(data['error'], 400)}`*")
    lines += [
        "",
        "| figure | SQLite | PostgreSQL | baseline | ratio | target | met? |",
        "|---|---:|---:|---:|---:|---:|:-:|",
    ]

    def row(
        figure: str, get, base, ratio=None, target: str = "—", met=None, shared_base: bool = False
    ) -> None:
        vals, bases, ratios, mets = [], [], [], []
        for s in ("sqlite", "postgres"):
            data = stores.get(s, {})
            try:
                v = get(data) if data and not data.get("error_only") else None
            except (KeyError, TypeError, IndexError, ValueError):  # not measured at this size
                v = None
            vals.append(v)
            if s in order and v is not None:
                try:
                    bases.append(base(data))
                    ratios.append(ratio(data) if ratio else None)
                    mets.append(met(data) if met else None)
                except (KeyError, TypeError, IndexError, ValueError, ZeroDivisionError):
                    bases.append(None)
                    ratios.append(None)
                    mets.append(None)
        cells = [_fmt(v) if not isinstance(v, str) else v for v in vals]
        base_texts = [_fmt(b) if not isinstance(b, str) else b for b in bases]
        if shared_base and len(set(base_texts)) == 1:  # the same file parsed: one baseline
            base_texts = base_texts[:1]
        base_cell = " ; ".join(base_texts) or "—"
        ratio_cell = " ; ".join("—" if r is None else f"{r:.1f}×" for r in ratios) or "—"
        met_cell = " ; ".join("—" if m is None else ("yes" if m else "**no**") for m in mets) or "—"
        lines.append(
            f"| {figure} | {cells[0]} | {cells[1]} | {base_cell} | {ratio_cell} | "
            f"{target} | {met_cell} |"
        )

    # load throughput
    for kind, name in (("pipeline", "pipeline report"), ("activity", "activity file")):

        def g(d, k=kind):
            x = d["loads"][k]
            return f"{x['rows_per_s']:,} rows/s ({x['seconds']:.1f} s)"

        row(
            f"load {name}, {p[kind + '_rows']:,} rows (rows/s; baseline: pyarrow parse)",
            g,
            lambda d, k=kind: (
                f"{d['loads'][k]['pyarrow_rows_per_s']:,} rows/s "
                f"({d['loads'][k]['pyarrow_seconds']:.1f} s)"
            ),
            lambda d, k=kind: d["loads"][k]["ratio"],
            f"≤ {TARGETS['load_ratio']:.0f}× parse time",
            lambda d, k=kind: d["loads"][k]["ratio"] <= TARGETS["load_ratio"],
            shared_base=True,
        )
    # pages, each figure against the bare Dash page measured the same way in the same run
    for name in PAGES:
        label = name.capitalize()
        targeted = name in TARGET_PAGES

        def pages(d, n=name):
            return d["server"]["pages"][n]

        def bare_median(d, n=name):
            return statistics.median(pages(d, n)["bare_s"])

        row(
            f"{label}: usable, first visit after the server started (s; baseline: the bare "
            f"Dash page's median, cold cache, alternating)",
            lambda d, n=name: f"{pages(d, n)['cold']['usable_s']:.2f}",
            lambda d, n=name: f"{bare_median(d, n):.2f}",
            lambda d, n=name: pages(d, n)["cold"]["usable_s"] / bare_median(d, n),
            f"≤ {TARGETS['first_ratio']:.1f}× bare" if targeted else "—",
            (
                lambda d, n=name: (
                    pages(d, n)["cold"]["usable_s"] <= TARGETS["first_ratio"] * bare_median(d, n)
                )
            )
            if targeted
            else None,
        )
        row(
            f"{label}: usable, median of cold-cache visits alternating with the bare Dash page "
            f"(s; baseline: the bare page's median)",
            lambda d, n=name: f"{statistics.median(pages(d, n)['fresh_s']):.2f}",
            lambda d, n=name: f"{bare_median(d, n):.2f}",
            lambda d, n=name: statistics.median(pages(d, n)["fresh_s"]) / bare_median(d, n),
            f"≤ {TARGETS['median_ratio']:.1f}× bare" if targeted else "—",
            (
                lambda d, n=name: (
                    statistics.median(pages(d, n)["fresh_s"])
                    <= TARGETS["median_ratio"] * bare_median(d, n)
                )
            )
            if targeted
            else None,
        )
        row(
            f"{label}: usable, the same browser again (warm cache; s, median; baseline: the bare "
            f"page visited again in its own context)",
            lambda d, n=name: f"{_median_of(pages(d, n)['warm'], 'usable_s'):.2f}",
            lambda d, n=name: f"{statistics.median(pages(d, n)['bare_warm_s']):.2f}",
            lambda d, n=name: (
                _median_of(pages(d, n)["warm"], "usable_s")
                / statistics.median(pages(d, n)["bare_warm_s"])
            ),
            f"< {TARGETS['usable_s']:.0f} s",
            lambda d, n=name: _median_of(pages(d, n)["warm"], "usable_s") < TARGETS["usable_s"],
        )
        row(
            f"{label}: main graph or grid showing data / last data answer arrived, first visit "
            f"(s; the rest of *usable* is the browser's work)",
            lambda d, n=name: (
                f"{_fmt(pages(d, n)['cold'].get('main_s'), '', 2)}"
                f" / {_fmt(pages(d, n)['cold'].get('data_answered_s'), '', 2)}"
            ),
            lambda d: "—",
        )
        row(
            f"{label}: bytes transferred, first visit / warm (MB; baseline: the bare page's first "
            f"visit)",
            lambda d, n=name: (
                f"{pages(d, n)['cold']['bytes'] / 1e6:.2f} / "
                + (
                    f"{_median_of(pages(d, n)['warm'], 'bytes') / 1e6:.2f}"
                    if pages(d, n)["warm"]
                    else "—"
                )
            ),
            lambda d, n=name: f"{pages(d, n)['bare_bytes'] / 1e6:.2f}",
            lambda d, n=name: pages(d, n)["cold"]["bytes"] / pages(d, n)["bare_bytes"],
        )
    # callbacks
    labels, figures = [], set()
    for s in order:
        for page, calls in stores[s].get("server", {}).get("callbacks", {}).items():
            for c in calls:
                shared = c["label"].startswith("shell-") and any(
                    lb == c["label"] for _, lb in labels
                )  # the top bar's, on every page
                if c["main"] and not shared and (page, c["label"]) not in labels:
                    labels.append((page, c["label"]))
                if c["figure_bytes"]:
                    figures.add((page, c["label"]))
    for page, label in labels:

        def find(d, page=page, label=label):
            # A store whose page opened with other callbacks (another run, other code) has none
            # of this label: its cell is "—", as for a figure not measured at this size.
            hit = next((c for c in d["server"]["callbacks"][page] if c["label"] == label), None)
            if hit is None:
                raise KeyError(label)
            return hit

        row(
            f"{page.capitalize()} callback `{label}`: p95 (median) ms; baseline: live check median",
            lambda d, f=find: f"{f(d)['p95_ms']:,.0f} ({f(d)['median_ms']:,.0f})",
            lambda d: f"{d['server']['live_check']['median_ms']:.0f}",
            lambda d, f=find: f(d)["p95_ms"] / d["server"]["live_check"]["median_ms"],
            f"< {TARGETS['callback_p95_ms']:.0f} ms",
            lambda d, f=find: f(d)["p95_ms"] < TARGETS["callback_p95_ms"],
        )
        if (page, label) not in figures:
            continue
        row(
            f"{page.capitalize()} callback `{label}`: largest figure JSON (kB; response kB)",
            lambda d, f=find: (
                f"{f(d)['figure_bytes'] / 1e3:,.0f} ({f(d)['response_bytes'] / 1e3:,.0f})"
                if f(d)["figure_bytes"]
                else f"— ({f(d)['response_bytes'] / 1e3:,.0f})"
            ),
            lambda d: "—",
            None,
            "< 2 MB",
            lambda d, f=find: f(d)["figure_bytes"] < TARGETS["figure_bytes"],
        )
    # concurrent load
    m = p["managers"]
    row(
        f"concurrent load, {m} managers: p50 / p95 ms (baseline: 1 manager)",
        lambda d: (
            f"{_fmt(d['server']['load_n']['p50_ms'])} / {_fmt(d['server']['load_n']['p95_ms'])}"
        ),
        lambda d: (
            f"{_fmt(d['server']['load_1']['p50_ms'])} / {_fmt(d['server']['load_1']['p95_ms'])}"
        ),
        lambda d: d["server"]["load_n"]["p95_ms"] / d["server"]["load_1"]["p95_ms"],
    )
    row(
        f"concurrent load, {m} managers: requests/s",
        lambda d: f"{d['server']['load_n']['requests_per_s']:,.1f}",
        lambda d: f"{d['server']['load_1']['requests_per_s']:,.1f}",
        lambda d: d["server"]["load_n"]["requests_per_s"] / d["server"]["load_1"]["requests_per_s"],
    )
    row(
        f"concurrent load, {m} managers: errors / requests",
        lambda d: f"{d['server']['load_n']['errors']} / {d['server']['load_n']['requests']:,}",
        lambda d: f"{d['server']['load_1']['errors']} / {d['server']['load_1']['requests']:,}",
        None,
        "0 errors",
        lambda d: d["server"]["load_n"]["errors"] == 0,
    )
    # memory
    row(
        "peak RSS of a worker (MB, the larger of 2; baseline: a worker just started)",
        lambda d: f"{max(d['server']['peak_rss_mb'].values()):,}",
        lambda d: f"{d['server']['idle_rss_mb']:,}",
        lambda d: max(d["server"]["peak_rss_mb"].values()) / d["server"]["idle_rss_mb"],
    )
    lines += [
        "",
        "Notes:",
        "",
        "- *usable*: navigation start to the page's main graph or grid showing data (Course: "
        "the course map's lanes; Review: the waterfall; Rider: the rider's lane and figures; "
        "Data: a row in the imports grid; Season: the classification's rows) and the page "
        "settled as the bare page is judged: every Plotly graph drawn, no Dash callback "
        "pending (`bench/bench_pages.py`, the team's pageratio.py).",
        "- the baseline of every page figure is the bare Dash page (`bench/bare_dash.py`: one "
        "scatter, one bar chart) served beside Team Car and visited the same way in the same "
        "run, alternating: after each first visit, one bare visit in a fresh context; after "
        "each warm visit, the bare page's own context visited again; then "
        f"{p['alternate']} cold-cache visit(s) of each, alternating (fresh contexts). The bare "
        "median is over its cold-cache visits. The machine is shared: compare ratios, not "
        "seconds across runs.",
        "- *first visit*: the first visit of the page after the server started on the data "
        "(the Course is the first page opened: empty caches in the workers and the browser); "
        "*warm*: the same browser again. Targets (issue 14, full size): Course, Review and "
        "Rider first visit ≤ 1.5× and median ≤ 1.2× the bare page; at the demo's size (24 "
        "reps) ≤ 1.0×, measured by `bench/bench_pages.py` (bench/RESULTS-pages.md).",
        "- bytes: Chromium's count of what crossed the wire (CDP `encodedDataLength`).",
        "- callbacks: each one a page load made, captured in Chromium and replayed over "
        "HTTP (`POST /_dash-update-component`); only those that send data are listed "
        f"(all are in `bench/out/run-{size}.json`).",
        "- concurrent load: `bench/loadtest.py`; each manager replays whole page loads "
        "(every page, all teams and single teams) back to back, without pauses.",
        "- baseline, ratio, met?: SQLite ; PostgreSQL when both ran (one baseline when it "
        "is the same for both). Ratio: the figure over its baseline.",
        "- load: `loaders.ingest.load_file` in a child process into a fresh store whose "
        "schema was made beforehand; pyarrow: `pyarrow.csv.read_csv` of the same file, all "
        "columns as strings (`bench_load.parse_with_pyarrow`).",
        "",
    ]
    return "\n".join(lines)


def _one_line(text: str, n: int) -> str:
    return " ".join(str(text).replace("`", "'").split())[:n]


def _median_of(visits: list[dict], key: str) -> float:
    return statistics.median(v[key] for v in visits)


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument(
        "--store", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    parser.add_argument(
        "--cache", type=Path, help="where the data is made once (default bench/out/cache/<size>)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="the Markdown table (default: "
        "bench/RESULTS.md for full, "
        "bench/out/RESULTS-small.md for small)",
    )
    for key in ("repeat", "warm", "teams", "managers"):
        parser.add_argument(f"--{key}", type=int)
    for key in ("duration", "baseline_duration"):
        parser.add_argument(f"--{key.replace('_', '-')}", dest=key, type=float)
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("TEAMCAR_BENCH_CACHE_URL"),
        help="TEAMCAR_CACHE_URL for the served app (e.g. redis://127.0.0.1:6379/0); "
        "default: none, each worker caches in its own memory",
    )
    parser.add_argument(
        "--parts",
        default="load,server",
        help="what to measure: load (throughput), server (pages, callbacks, "
        "concurrent load, memory); a part left out keeps the last run's "
        "figures for that store",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="only rewrite the Markdown from bench/out/run-<size>.json",
    )
    args = parser.parse_args(argv)
    p = dict(SIZES[args.size])
    p["cache_url"] = args.cache_url
    for key in ("repeat", "warm", "teams", "managers", "duration", "baseline_duration"):
        if getattr(args, key) is not None:
            p[key] = getattr(args, key)
    stores = [s.strip() for s in args.store.split(",") if s.strip()]
    parts = {x.strip() for x in args.parts.split(",") if x.strip()}
    if not parts <= {"load", "server"}:
        parser.error("--parts: load, server")
    unknown = set(stores) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown store(s): {', '.join(sorted(unknown))}")
    cache = args.cache or OUT / "cache" / args.size
    results = args.results or (
        REPO / "bench" / "RESULTS.md" if args.size == "full" else OUT / "RESULTS-small.md"
    )
    os.environ["TEAMCAR_TODAY"] = TODAY
    raw_path = OUT / f"run-{args.size}.json"
    if args.render:
        results.write_text(render_markdown(json.loads(raw_path.read_text())))
        print(results.read_text())
        return 0

    dbs = Databases()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    started = time.monotonic()
    previous = json.loads(raw_path.read_text()) if raw_path.exists() else {}
    report = {
        "size": args.size,
        "params": p,
        "machine": machine(),
        "command": "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "stores": {},
    }
    work = Path(tempfile.mkdtemp(prefix="teamcar-bench-run-"))
    failed = False
    if "postgres" in stores:
        dbs.drop_orphans()
    try:
        data = prepare(args.size, cache)
        report["built"] = data["built"]
        floors: dict = {}
        for store in stores:
            entry: dict = {"date": _now()}
            report["stores"][store] = entry
            url = None
            try:
                if store == "sqlite":
                    url = data["sqlite_url"]
                elif "server" not in parts:
                    url = None
                else:
                    url = dbs.create("store")
                    log("postgres: seeding a throwaway database ...")
                    run = child(
                        "bench.bench_summary:seed", p["seed_timeout"], url=url, **_seed_args(p)
                    )
                    child("bench.bench_summary:_analyze", p["step_timeout"], url=url)
                    entry["seed_seconds"] = round(run["seconds"], 1)
                earlier = (previous.get("stores") or {}).get(store) or {}
                if "load" in parts:
                    entry["loads"] = measure_loads(
                        data["files"], store, work, dbs, p["step_timeout"], floors
                    )
                elif earlier.get("loads"):
                    entry["loads"] = earlier["loads"]
                    entry["loads_from"] = earlier.get("date")
                if "server" in parts:
                    # The store as `teamcar load` leaves it: the landing views kept (warm.keep).
                    log(f"{store}: keeping the landing views (warm.keep) ...")
                    kept = child("bench.run:keep_store", p["step_timeout"], url=url)
                    entry["keep_seconds"] = round(kept["seconds"], 1)
                    entry["server"] = measure_server(url, store, p, work)
                    if entry["server"].get("errors"):  # a page could not be measured
                        failed = True
                elif earlier.get("server"):
                    entry["server"] = earlier["server"]
                    entry["server_from"] = earlier.get("date")
            except Exception as exc:  # noqa: BLE001 - report it, go on with the other store
                failed = True
                entry["error"] = f"{type(exc).__name__}: {exc}"
                log(f"{store} failed:\n{traceback.format_exc()}")
            finally:
                if store == "postgres" and url:
                    dbs.drop(url)
            _write(report, previous, raw_path, results)
    finally:
        dbs.drop_all()
        shutil.rmtree(work, ignore_errors=True)
    log(f"done in {time.monotonic() - started:.0f} s: {results}")
    print(results.read_text() if results.exists() else "")
    return 1 if failed else 0


def _write(report: dict, previous: dict, raw_path: Path, results: Path) -> None:
    """The raw JSON and the Markdown; stores not run this time keep their earlier figures."""
    merged = json.loads(json.dumps(report, default=str))
    for store, entry in (previous.get("stores") or {}).items():
        if store not in merged["stores"] and "server" in entry:
            merged["stores"][store] = {**entry, "from_earlier_run": True}
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    raw_path.write_text(json.dumps(merged, indent=2) + "\n")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (raw_path.parent / f"run-{report['size']}-{stamp}.json").write_text(
        json.dumps(report, indent=2, default=str) + "\n"
    )
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(render_markdown(merged))


if __name__ == "__main__":
    raise SystemExit(main())
