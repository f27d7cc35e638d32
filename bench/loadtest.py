"""Concurrent load on a served Team Car: simulated managers replaying real callback requests.

Usable from the benchmark (``bench/run.py``) and from tests (``tests/browser/
test_loadtest.py``)::

    with serve(url, data_dir, workers=2) as server:
        scenarios = capture_scenarios(server.base, pages)        # bench/_browser.py, real Chromium
        result = run_load(server.base, scenarios, managers=50, duration=30)
        result.error_rate, result.p95_ms, server.peak_rss_mb()

A *scenario* is what one page load sent to ``POST /_dash-update-component`` (payloads captured
from Chromium, never written by hand, so they cannot drift from the app). Each manager is a thread
with its own HTTP session that loops until the time is up: pick a scenario (a page, a team), send
its requests in the order the browser sent them, pick the next. A request that fails to connect,
times out, or answers other than 200/204 (Dash's "nothing to update") counts as an error.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
ENDPOINT = "/_dash-update-component"
OK_STATUS = (200, 204)


def free_port() -> int:
    """A TCP port nobody listens on now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``teamcar serve`` process (gunicorn master and workers when ``workers`` > 1)."""

    def __init__(self, proc: subprocess.Popen, base: str, log: Path) -> None:
        self.proc = proc
        self.base = base
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        """The pids serving requests: gunicorn's children, or the process itself."""
        import psutil

        try:
            children = psutil.Process(self.pid).children()
        except psutil.NoSuchProcess:
            return []
        return sorted(c.pid for c in children) or [self.pid]

    def peak_rss_mb(self) -> dict[int, float]:
        """Each worker's peak resident memory so far (the kernel's high-water mark, VmHWM)."""
        peaks = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) / 1024
        return peaks

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """Stop the server and its workers (its own process group), waiting at most ``timeout``."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


@contextmanager
def serve(
    database_url: str,
    data_dir: Path,
    workers: int = 2,
    start_timeout: float = 120,
    env: dict | None = None,
    log: Path | None = None,
    port: int | None = None,
) -> Iterator[Server]:
    """Run ``teamcar serve --workers N`` on ``database_url`` until the block ends.

    The server gets a process group of its own, so stopping it stops every worker even when the
    block fails. Yields once the workers answer HTTP (not merely once the port listens).

    Args:
        database_url: the store to serve.
        data_dir: TEAMCAR_DATA_DIR for the server (archive, uploads).
        workers: gunicorn workers (1: the single-process server).
        start_timeout: seconds to wait for the first answer.
        env: extra environment variables.
        log: file for the server's output (default: ``data_dir/serve-<port>.log``).
        port: the port to serve on (default: one the OS picks).
    """
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = log or data_dir / f"serve-{port}.log"
    full_env = {
        **os.environ,
        "TEAMCAR_DATABASE_URL": database_url,
        "TEAMCAR_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dashboard.cli.main",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=REPO,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server, workers, start_timeout)
        yield server
    finally:
        server.stop()


def _wait_until_up(server: Server, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.tail()}")
        try:
            if requests.get(server.base + "/_dash-layout", timeout=5).status_code == 200 and (
                workers == 1 or len(server.worker_pids()) >= workers
            ):
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"server did not answer within {timeout:.0f} s:\n{server.tail()}")


@dataclass
class LoadResult:
    """What a load run measured (latencies in milliseconds)."""

    managers: int
    duration_s: float
    requests: int
    errors: int
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    requests_per_s: float
    by_label: dict = field(default_factory=dict)
    error_samples: list = field(default_factory=list)
    # with ``answer_kind``: every request as (label, start, end, kind), times in time.monotonic()
    timeline: list = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("timeline")
        return out


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by linear interpolation; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def post_callback(
    session: requests.Session, base: str, body: str | bytes, timeout: float, path: str = ENDPOINT
) -> tuple[int, bytes]:
    """POST one captured callback payload to ``path`` (as the browser sent it); returns
    (status, body)."""
    resp = session.post(
        base + path, data=body, timeout=timeout, headers={"Content-Type": "application/json"}
    )
    return resp.status_code, resp.content


def run_load(
    base: str,
    scenarios: list[list[dict]],
    managers: int = 50,
    duration: float = 30,
    request_timeout: float = 60,
    seed: int = 7,
    answer_kind: Callable[[int, bytes], str] | None = None,
) -> LoadResult:
    """``managers`` threads replay ``scenarios`` against ``base`` for ``duration`` seconds.

    Args:
        base: the server's URL (``http://127.0.0.1:PORT``).
        scenarios: page loads, each a list of ``{"label", "body"}`` (``body``: the JSON sent to
            ``/_dash-update-component``), in the order the browser sent them.
        managers: concurrent simulated managers (threads, each with its own connection).
        duration: seconds to start new requests; one in flight then finishes (or times out).
        request_timeout: seconds before a request counts as an error.
        seed: random seed for the managers' choices.
        answer_kind: names each answer (status, body), e.g. "ok" or "outage"; when given, the
            result's ``timeline`` holds every request with its start, end and that name
            ("error" for a request that failed to connect or timed out).

    Returns:
        Counts, error rate and latency percentiles over every request, and per request label.
    """
    if not scenarios or not any(scenarios):
        raise ValueError("no scenarios to replay")
    samples: list[tuple[str, float, bool]] = []
    errors: list[str] = []
    timeline: list[tuple[str, float, float, str]] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + duration

    def manager(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        session = requests.Session()
        local: list[tuple[str, float, bool]] = []
        kinds: list[tuple[str, float, float, str]] = []
        try:
            while time.monotonic() < deadline:
                for req in rng.choice(scenarios):
                    if time.monotonic() >= deadline:
                        break
                    t0, start = time.perf_counter(), time.monotonic()
                    ok, why, kind = True, "", "error"
                    try:
                        status, content = post_callback(
                            session, base, req["body"], request_timeout, req.get("path", ENDPOINT)
                        )
                        if status not in OK_STATUS:
                            ok, why = False, f"HTTP {status}"
                        if answer_kind is not None:
                            kind = answer_kind(status, content)
                    except requests.RequestException as exc:
                        ok, why = False, f"{type(exc).__name__}: {exc}"[:300]
                    local.append((req["label"], (time.perf_counter() - t0) * 1000, ok))
                    if answer_kind is not None:
                        kinds.append((req["label"], start, time.monotonic(), kind))
                    if not ok:
                        with lock:
                            if len(errors) < 20:
                                errors.append(f"{req['label']}: {why}")
        finally:
            session.close()
            with lock:
                samples.extend(local)
                timeline.extend(kinds)

    threads = [threading.Thread(target=manager, args=(i,), daemon=True) for i in range(managers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + request_timeout + 30)
    elapsed = time.monotonic() - started
    lat = [ms for _, ms, _ in samples]
    n_err = sum(not ok for _, _, ok in samples)
    by_label: dict[str, dict] = {}
    for label in sorted({s[0] for s in samples}):
        xs = [ms for lb, ms, _ in samples if lb == label]
        by_label[label] = {
            "requests": len(xs),
            "p50_ms": _r(percentile(xs, 0.5)),
            "p95_ms": _r(percentile(xs, 0.95)),
            "errors": sum(not ok for lb, _, ok in samples if lb == label),
        }
    return LoadResult(
        managers=managers,
        duration_s=round(elapsed, 1),
        requests=len(samples),
        errors=n_err,
        error_rate=round(n_err / len(samples), 4) if samples else 1.0,
        p50_ms=_r(percentile(lat, 0.5)),
        p95_ms=_r(percentile(lat, 0.95)),
        max_ms=_r(max(lat) if lat else None),
        requests_per_s=round(len(samples) / elapsed, 1) if elapsed else 0.0,
        by_label=by_label,
        error_samples=errors,
        timeline=sorted(timeline, key=lambda r: r[1]),
    )


def replay(
    base: str,
    body: str | bytes,
    repeat: int,
    timeout: float = 60,
    path: str = ENDPOINT,
    warmup: int = 1,
) -> dict:
    """One callback sent ``warmup`` + ``repeat`` times in a row.

    Returns:
        ``first_ms`` (the first call), ``median_ms``, ``p95_ms`` and ``max_ms`` over the
        ``repeat`` calls after the warm-up ones, ``errors`` (over all calls), and the response's
        bytes and its largest figure's JSON bytes.
    """
    session = requests.Session()
    times, statuses, size = [], [], 0
    content = b""
    try:
        for _ in range(warmup + repeat):
            t0 = time.perf_counter()
            try:
                status, content = post_callback(session, base, body, timeout, path)
            except requests.RequestException:
                status = 0
            times.append((time.perf_counter() - t0) * 1000)
            statuses.append(status)
            size = max(size, len(content))
    finally:
        session.close()
    measured = times[warmup:] or times
    return {
        "first_ms": _r(times[0]),
        "median_ms": _r(statistics.median(measured)),
        "p95_ms": _r(percentile(measured, 0.95)),
        "max_ms": _r(max(measured)),
        "repeat": len(measured),
        "errors": sum(s not in OK_STATUS for s in statuses),
        "response_bytes": size,
        "figure_bytes": figure_bytes(content),
    }


def figure_bytes(content: bytes) -> int:
    """The largest ``figure`` property in a callback response, as JSON bytes (0: none)."""
    try:
        response = json.loads(content)["response"]
    except (ValueError, KeyError, TypeError):
        return 0
    sizes = [
        len(json.dumps(props["figure"], separators=(",", ":")).encode())
        for props in response.values()
        if isinstance(props, dict) and "figure" in props
    ]
    return max(sizes, default=0)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
