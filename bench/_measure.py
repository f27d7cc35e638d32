"""Run one measured step in a child process, so each has its own peak memory.

python bench/_measure.py MODULE:FUNCTION JSON_KWARGS  ->  prints {"seconds", "peak_rss_mb", "result"}
"""

from __future__ import annotations

import importlib
import json
import resource
import subprocess
import sys
import time


def measure(target: str, **kwargs) -> dict:
    """Run ``target`` (``module:function``) with ``kwargs`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, __file__, target, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{target} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _main() -> None:
    target, raw = sys.argv[1], sys.argv[2]
    module, func = target.split(":")
    fn = getattr(importlib.import_module(module), func)
    started = time.perf_counter()
    result = fn(**json.loads(raw))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "result": result}, default=str))


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    _main()
