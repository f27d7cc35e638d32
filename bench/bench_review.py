"""Benchmark Review, Rider and Data: callback times and response sizes, demo size and 2,000 reps.

    .venv/bin/python bench/bench_review.py --sizes demo          # the generator's demo (24 reps)
    .venv/bin/python bench/bench_review.py --sizes 2000          # bench/out/course-2000.db
    .venv/bin/python bench/bench_review.py                       # both

The demo store is ``teamcar demo``'s (``loaders/demo.py``: the generator's exports loaded by the
CLI's loader); the 2,000-rep store is the Course benchmark's (``bench/bench_course.py`` builds
it under ``bench/out/`` when missing). Each callback is called as Dash would call it, cold (empty
cache) and warm (cached model); the response is measured as the JSON Dash would send. Results go to
``bench/out/bench_review_<size>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
TODAY = dt.date(2026, 11, 22)
sys.path.insert(0, str(REPO))
os.environ.setdefault("TEAMCAR_TODAY", TODAY.isoformat())


def _bytes(value) -> int:
    import plotly

    return len(json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder))


def _run(func, trigger: str, value, *args):
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    def call():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": trigger, "value": value}]))
        return func(*args)

    return copy_context().run(call)


def _timed(fn, *args):
    started = time.perf_counter()
    out = fn(*args)
    return out, round((time.perf_counter() - started) * 1000)


def _build_demo(target: Path) -> None:
    """``teamcar demo``'s store (``loaders.demo``) at ``target``; exports and archive are temporary."""
    import dataclasses
    import sqlite3
    import tempfile

    from loaders.config import load_config
    from loaders.demo import build_demo_store
    from loaders.store.engine import dispose_engines

    with tempfile.TemporaryDirectory(prefix="teamcar-bench-demo-") as tmp:
        root = Path(tmp)
        config = dataclasses.replace(load_config(), data_dir=root)
        built = build_demo_store(
            root / "exports", f"sqlite:///{root / 'demo.db'}", today=TODAY, config=config
        )
        if built.failed:
            raise RuntimeError([o.message for o in built.failed])
        dispose_engines()
        with sqlite3.connect(root / "demo.db") as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(root / "demo.db", target)


def store_url(size: str) -> str:
    if size == "demo":
        target = OUT / "review-demo.db"
        if not target.exists():
            OUT.mkdir(parents=True, exist_ok=True)
            _build_demo(target)
        return f"sqlite:///{target}"
    path = OUT / f"course-{size}.db"
    if not (path.exists() and (OUT / f"course-{size}.done").exists()):
        subprocess_args = [sys.executable, str(REPO / "bench" / "bench_course.py"), "--sizes", size]
        import subprocess

        subprocess.run(subprocess_args, check=True)
    return f"sqlite:///{path}"


def measure(size: str) -> dict:
    from dashboard import ids, urls
    from dashboard.app import create_app
    from dashboard.models.standings import compute_summary
    from dashboard.reads import cache
    from dashboard.serve.live import current_version
    from loaders.store.engine import get_engine

    url = store_url(size)
    os.environ["TEAMCAR_DATABASE_URL"] = url
    os.environ["TEAMCAR_DATA_DIR"] = str(OUT / f"review-{size}-data")
    engine = get_engine(url)
    create_app()
    review = sys.modules["dashboard.pages.review"]
    rider = sys.modules["dashboard.pages.rider"]
    data_page = sys.modules["dashboard.pages.data"]
    version = current_version(engine)
    base = compute_summary(engine, "2026-Q4", TODAY)
    teams = sorted(base.reps["team"].dropna().unique())
    team = teams[0]
    rep = base.reps[base.reps["team"] == team].sort_values("open_deals").index[-1]
    result: dict = {
        "size": size,
        "reps": int(len(base.reps)),
        "teams": len(teams),
        "open_deals": int(base.flags["open_in_quarter"].sum()),
    }

    def review_data(team_name=None):
        state = urls.resolve({"quarter": "2026-Q4", "team": team_name}, TODAY)
        return {
            "view": state.to_dict(),
            "as_of": None,
            "since": None,
            "group": "none",
            "present": False,
        }

    views = {}
    for label, team_name in (("all teams", None), ("one team", team)):
        d = review_data(team_name)
        cache.clear_local()
        out, cold = _timed(review.render, d, version)
        _, warm = _timed(review.render, d, version)
        csv, csv_ms = _timed(
            _run,
            review.export_moved,
            f"{ids.REVIEW_EXPORT_CSV}.n_clicks",
            1,
            1,
            None,
            d,
            None,
            None,
            None,
        )
        xlsx, xlsx_ms = _timed(
            _run,
            review.export_moved,
            f"{ids.REVIEW_EXPORT_XLSX}.n_clicks",
            1,
            None,
            1,
            d,
            None,
            None,
            None,
        )
        views[label] = {
            "render_cold_ms": cold,
            "render_warm_ms": warm,
            "response_bytes": _bytes(list(out.values())),
            "moved_rows_sent": len(out["moved"]),
            "waterfall_bytes": _bytes(out["waterfall"]),
            "rollup_rows": len(out["rollup"]),
            "export_csv_ms": csv_ms,
            "export_xlsx_ms": xlsx_ms,
            "export_csv_bytes": len(csv["content"]) * 3 // 4,
        }
    result["review"] = views

    state = urls.resolve({"quarter": "2026-Q4"}, TODAY).to_dict()
    rd = {"rep": rep, "view": state}
    cache.clear_local()
    lane, lane_cold = _timed(rider.render_rider, rd, version)
    details, details_cold = _timed(rider.render_details, rd, version)
    trend, trend_cold = _timed(rider.render_trend, rd, version)
    _, lane_warm = _timed(rider.render_rider, rd, version)
    _, details_warm = _timed(rider.render_details, rd, version)
    _, trend_warm = _timed(rider.render_trend, rd, version)
    result["rider"] = {
        "rep_team": team,
        "lane_cold_ms": lane_cold,
        "lane_warm_ms": lane_warm,
        "details_cold_ms": details_cold,
        "details_warm_ms": details_warm,
        "trend_cold_ms": trend_cold,
        "trend_warm_ms": trend_warm,
        "response_bytes": sum(_bytes(list(out.values())) for out in (lane, details, trend)),
    }
    out, data_ms = _timed(
        _run,
        data_page.render,
        f"{ids.SHELL_DATA_VERSION}.data",
        version,
        {"batch": None},
        version,
        None,
    )
    result["data"] = {
        "render_ms": data_ms,
        "response_bytes": _bytes(list(out.values())),
        "batches": len(out["batches"]),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["demo", "2000"])
    args = parser.parse_args()
    for size in args.sizes:
        res = measure(size)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"bench_review_{size}.json").write_text(json.dumps(res, indent=2))
        print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
