"""Time the demo-data generator at a given size: wall time, peak memory, rows and bytes written.

    .venv/bin/python bench/bench_generate.py --reps 2000 --deals-per-rep 100 --weeks 13

Full sizes (docs/architecture.md#sizes) are 2,000 reps, 200,000 open deals and 5,000,000 activities.
Run by hand and report the figures; CI runs it at a small size only to prove it works.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from loaders.generate import GenerateParams, generate


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 / 1024 / 1024 if sys.platform == "darwin" else 1 / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--deals-per-rep", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 22))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, help="keep the files here (default: a temporary folder)"
    )
    args = parser.parse_args(argv)

    out = args.out or Path(tempfile.mkdtemp(prefix="teamcar-bench-"))
    params = GenerateParams(
        reps=args.reps,
        deals_per_rep=args.deals_per_rep,
        weeks=args.weeks,
        today=args.today,
        seed=args.seed,
    )
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def progress(step: str, done: int, total: int) -> None:
        steps[step] = time.perf_counter() - started
        print(f"  {steps[step]:7.1f}s  {step} {done}/{total}", file=sys.stderr, flush=True)

    try:
        summary = generate(out, params, progress)
        wall = time.perf_counter() - started
        snapshots = sum(
            v
            for k, v in summary.files.items()
            if k.startswith(("salesforce_opportunities", "hubspot_deals"))
        )
        print(
            f"size         reps={args.reps} deals_per_rep={args.deals_per_rep} weeks={args.weeks}"
        )
        print(f"wall time    {wall:.1f} s")
        print(f"peak RSS     {_peak_rss_mb():.0f} MB")
        print(f"deals        {summary.deals:,}")
        print(f"activities   {summary.activities:,}")
        print(f"event log    {summary.events:,} rows")
        print(f"snapshots    {snapshots:,} rows")
        print(
            f"files        {len(summary.files)}, {summary.rows:,} rows, "
            f"{summary.bytes_written / 1e6:,.1f} MB"
        )
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
