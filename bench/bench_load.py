"""Loading throughput: a big pipeline snapshot and a big activity export into SQLite and PostgreSQL,
each beside pyarrow's parse of the same file (the floor), in the same run.

    .venv/bin/python bench/bench_load.py --pipeline-rows 1000000 --activity-rows 5000000
    .venv/bin/python bench/bench_load.py --small        # what CI runs: proves it works

The sizes of DESIGN section 7 (what bench/RESULTS.md and bench/RESULTS-loads.md report):

    .venv/bin/python bench/bench_load.py --pipeline-rows 200000 --activity-rows 5000000

Files are made by tiling real generator output (Salesforce report and Task.csv shapes) with fresh
ids. Every step runs in its own process so its peak memory is its own; the store's schema is made
in a process of its own before the load is timed, and the modules both sides use (pyarrow; the
loaders) are imported before their clocks start, so each time is the work on the file alone.
On a shared machine wall times swing with what else runs; each side's CPU seconds (its own
process, all threads) are shown beside them, and their ratio, which swings far less; on PostgreSQL
also the server's (its backends for the load's database, read from /proc when the server runs
on this machine), where most of a load's work is.
Writes a Markdown table to bench/out/load.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# What each measured side uses, imported here: _measure imports this module, then starts the clock.
import pyarrow.csv  # noqa: E402, F401

import loaders.formats  # noqa: E402, F401
import loaders.ingest  # noqa: E402, F401
from bench._measure import measure  # noqa: E402

PG_SERVER = os.environ.get(
    "TEAMCAR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/"
)


def make_files(folder: Path, pipeline_rows: int, activity_rows: int) -> dict:
    """Write a pipeline snapshot and a Task export of the asked sizes; return their paths."""
    import pandas as pd

    from loaders.generate import GenerateParams, generate

    seed_dir = folder / "seed"
    generate(
        seed_dir,
        GenerateParams(reps=120, deals_per_rep=20, weeks=2, today=dt.date(2026, 11, 22), seed=11),
    )
    snap = sorted(seed_dir.glob("salesforce_opportunities_*.csv"))[-1]
    tasks = sorted(seed_dir.glob("salesforce_tasks_*.csv"))

    base = pd.read_csv(
        snap, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipfooter=3, engine="python"
    )
    pipe = folder / f"salesforce_opportunities_big_{dt.date(2026, 11, 20)}.csv"
    _tile(base, pipeline_rows, "Opportunity ID", pipe, encoding="utf-8-sig")
    act_base = pd.concat(
        [pd.read_csv(t, dtype=str, keep_default_na=False, encoding="latin-1") for t in tasks]
    )
    act = folder / f"salesforce_tasks_big_{dt.date(2026, 11, 20)}.csv"
    _tile(act_base, activity_rows, "Id", act, encoding="latin-1")
    return {"pipeline": str(pipe), "activity": str(act)}


def _tile(base, rows: int, id_col: str, path: Path, encoding: str) -> None:
    import pandas as pd

    written = 0
    first = True
    while written < rows:
        part = base.iloc[: rows - written].copy()
        n = len(part)
        # fresh 18-character ids, unique across the file
        part[id_col] = [f"{id_col[:3].upper()}{written + i:015d}" for i in range(n)]
        part.to_csv(
            path,
            mode="w" if first else "a",
            header=first,
            index=False,
            quoting=csv.QUOTE_ALL,
            encoding=encoding if first else encoding.replace("-sig", ""),
        )
        written += n
        first = False
    del pd


def parse_with_pyarrow(path: str) -> int:
    """The floor: pyarrow's multithreaded CSV parse of the same file, all columns as strings."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    with open(path, encoding="latin-1") as fh:
        header = next(csv.reader(fh))
    cpu = time.process_time()
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="latin-1"),
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _r: "skip"),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header}),
    )
    return {"rows": table.num_rows, "cpu_s": time.process_time() - cpu}


def make_schema(url: str) -> None:
    """The empty store's tables (Alembic), before the clock starts: a load is timed, not setup."""
    from loaders.store.engine import upgrade

    upgrade(url)


def load_into(path: str, url: str, data_dir: str) -> dict:
    """teamcar's own path: read, normalise, archive, store in one transaction."""
    os.environ["TEAMCAR_DATA_DIR"] = data_dir
    from loaders.config import load_config
    from loaders.ingest import load_file
    from loaders.store.engine import get_engine

    engine = get_engine(url)
    cpu = time.process_time()
    wall = time.perf_counter()
    outcome = load_file(Path(path), engine=engine, config=load_config())
    if outcome.status != "loaded":
        raise RuntimeError(outcome.message)
    server_cpu = _server_cpu(engine)
    # this process's CPU seconds (all its threads; not the database server's on PostgreSQL)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    # a large first load's second step: indexes built after the rows' commit (none before 74d1bef)
    index_s = getattr(outcome, "index_seconds", 0.0)
    index_cpu = getattr(outcome, "index_cpu_seconds", 0.0)
    return {
        "rows": outcome.rows_loaded,
        "rejected": outcome.rows_rejected,
        "cpu_s": cpu,
        "commit_s": wall - index_s,
        "commit_cpu_s": cpu - index_cpu,
        "index_s": index_s,
        "server_cpu_s": server_cpu,
    }


def read_only(path: str) -> dict:
    """The reading alone: the file into its canonical frame (``read_export``), nothing stored."""
    from loaders.formats import read_export

    cpu = time.process_time()
    result = read_export(Path(path))
    return {"rows": len(result.frame), "cpu_s": time.process_time() - cpu}


def write_only(path: str, url: str, data_dir: str) -> dict:
    """The storing alone: the file is read into its canonical frame before the clock starts, then
    stored as one batch by the load's own writer (``ingest.store_frame``: the writer, the bulk
    path, keys, indexes, the commit and the index step after it), no archive."""
    os.environ["TEAMCAR_DATA_DIR"] = data_dir
    from loaders.formats import read_export
    from loaders.ingest import store_frame
    from loaders.store.engine import get_engine

    result = read_export(Path(path))
    engine = get_engine(url)
    cpu = time.process_time()
    wall = time.perf_counter()
    store_frame(
        engine,
        result.kind,
        result.frame,
        source=result.source,
        as_of=dt.datetime(2026, 11, 20),
        source_name=Path(path).name,
        format=result.format,
        content_hash=f"bench-write-only-{uuid.uuid4().hex}",
    )
    return {
        "rows": len(result.frame),
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "server_cpu_s": _server_cpu(engine),
    }


def _server_cpu(engine) -> float | None:
    """CPU seconds of the PostgreSQL backends serving this database (the load's connections, still
    in its pool; a parallel index build's workers have ended and are not counted), when the
    server runs on this machine; None on SQLite (its work is the load's own process)."""
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None  # a server elsewhere
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _pg_database(prefix: str = "teamcar_bench_") -> tuple[str, object]:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return PG_SERVER + name, drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline-rows", type=int, default=1_000_000)
    parser.add_argument("--activity-rows", type=int, default=5_000_000)
    parser.add_argument("--small", action="store_true", help="20,000 and 50,000 rows")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--files", help="a folder holding the files of an earlier run: reuse them")
    parser.add_argument("--kinds", default="pipeline,activity", help="which of the files to load")
    parser.add_argument(
        "--db-prefix",
        default="teamcar_bench_",
        help="name prefix of the PostgreSQL databases made (and dropped) for each load",
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also time the reading alone and the storing alone (a frame read before the clock)",
    )
    args = parser.parse_args(argv)
    if args.small:
        args.pipeline_rows, args.activity_rows = 20_000, 50_000

    work = Path(tempfile.mkdtemp(prefix="teamcar-bench-load-"))
    if args.files:
        # files an earlier run made (same sizes), to compare two versions on the same bytes
        found = Path(args.files)
        files = {
            "pipeline": str(next(found.glob("salesforce_opportunities_big_*.csv"))),
            "activity": str(next(found.glob("salesforce_tasks_big_*.csv"))),
        }
    else:
        print(f"making files in {work} ...", file=sys.stderr)
        files = make_files(work, args.pipeline_rows, args.activity_rows)
    parts: list[str] = []
    lines = [
        "| file | rows | MB | pyarrow parse s (CPU s) | backend | teamcar load s (CPU s) "
        "| of which rows committed s (CPU s) | then indexes s | ratio to pyarrow: committed "
        "(all) | CPU ratio: committed (all) | server CPU s | peak RSS MB | load avg |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, path in files.items():
        if kind not in args.kinds.split(","):
            continue
        size_mb = Path(path).stat().st_size / 1e6
        for backend in args.backends.split(","):
            # the floor right before each load, so both see the same machine
            floor = measure("bench.bench_load:parse_with_pyarrow", path=path)
            drop = None
            if backend == "sqlite":
                url = f"sqlite:///{work / f'{kind}.db'}"
            else:
                url, drop = _pg_database(args.db_prefix)
            try:
                measure("bench.bench_load:make_schema", url=url)
                run = measure(
                    "bench.bench_load:load_into",
                    path=path,
                    url=url,
                    data_dir=str(work / f"data-{backend}"),
                )
            finally:
                if drop:
                    drop()
            res = run["result"]
            rows = res["rows"]
            floor_s, floor_cpu, cpu = floor["seconds"], floor["result"]["cpu_s"], res["cpu_s"]
            commit_s, commit_cpu = res.get("commit_s", run["seconds"]), res.get("commit_cpu_s", cpu)
            server = "–" if res.get("server_cpu_s") is None else f"{res['server_cpu_s']:.1f}"
            line = (
                f"| {kind} | {rows:,} | {size_mb:,.0f} | {floor_s:.1f} ({floor_cpu:.1f}) "
                f"| {backend} | {run['seconds']:.1f} ({cpu:.1f}) | {commit_s:.1f} ({commit_cpu:.1f}) "
                f"| {res.get('index_s', 0.0):.1f} | {commit_s / floor_s:.1f}x "
                f"({run['seconds'] / floor_s:.1f}x) | {commit_cpu / floor_cpu:.1f}x "
                f"({cpu / floor_cpu:.1f}x) | {server} | {run['peak_rss_mb']:,.0f} "
                f"| {os.getloadavg()[0]:.1f} |"
            )
            print(line, flush=True)
            lines.append(line)
            if args.parts:
                parts.append(_parts(kind, path, backend, work, args.db_prefix, floor))
    if parts:
        lines += [
            "",
            "| file | backend | pyarrow parse s (CPU s) | reading alone s (CPU s) "
            "| storing alone s (CPU s) | server CPU s | ratio to pyarrow: reading, storing "
            "| peak RSS MB: reading, storing |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *parts,
        ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _parts(kind: str, path: str, backend: str, work: Path, prefix: str, floor: dict) -> str:
    """A row of the reading alone and the storing alone, beside the same parse of the file."""
    read = measure("bench.bench_load:read_only", path=path)
    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{work / f'{kind}-write-only.db'}"
    else:
        url, drop = _pg_database(prefix)
    try:
        measure("bench.bench_load:make_schema", url=url)
        write = measure(
            "bench.bench_load:write_only", path=path, url=url, data_dir=str(work / "data-parts")
        )
    finally:
        if drop:
            drop()
    floor_s, res = floor["seconds"], write["result"]
    server = "–" if res.get("server_cpu_s") is None else f"{res['server_cpu_s']:.1f}"
    line = (
        f"| {kind} | {backend} | {floor_s:.1f} ({floor['result']['cpu_s']:.1f}) "
        f"| {read['seconds']:.1f} ({read['result']['cpu_s']:.1f}) "
        f"| {res['wall_s']:.1f} ({res['cpu_s']:.1f}) | {server} "
        f"| {read['seconds'] / floor_s:.1f}x, {res['wall_s'] / floor_s:.1f}x "
        f"| {read['peak_rss_mb']:,.0f}, {write['peak_rss_mb']:,.0f} |"
    )
    print(line, flush=True)
    return line


if __name__ == "__main__":
    raise SystemExit(main())
