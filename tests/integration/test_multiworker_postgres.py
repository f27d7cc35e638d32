"""Two gunicorn workers on one PostgreSQL store serve the same data, and fresh data after a load.

``teamcar serve --workers 2`` runs against a throwaway database holding some of the demo's exports
(its roster, quotas and last four Salesforce pipeline snapshots: what is served is not the point
here, and the whole demo made each worker's warming and each answer after the load slower). Each
check sends the same callback to *both* workers, deterministically: a request's headers go out on
two connections while their bodies are held back, so the first worker to take one is busy reading
it and the other worker must take the second (a sync worker serves one request at a time); which
worker holds which connection is read from the kernel's socket table (psutil), not from timing.
Then ``teamcar load`` brings a new snapshot into the same database, and every answer from either
worker shows it: the new import in the Data page's list and the new data version.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from bench.loadtest import serve
from loaders.config import load_config
from loaders.ingest import expand_paths, load_file
from loaders.store.engine import dispose_engines, get_engine
from tests.support.demo import demo_root, edited_export
from tests.support.stores import make_store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
NEW_FILE = "salesforce_opportunities_2026-11-22_late.csv"


@pytest.fixture
def demo_postgres(tmp_path, data_dir):
    """A throwaway PostgreSQL database holding the demo's roster, quotas and last four
    Salesforce pipeline snapshots (dropped after)."""
    url, drop = make_store("postgres", tmp_path, prefix="teamcar_multiworker")
    try:
        engine = get_engine(url)
        config = load_config()
        exports = demo_root() / "exports"
        files = [exports / "roster.csv", exports / "quotas.csv"]
        files += sorted(exports.glob("salesforce_opportunities_*.csv"))[-4:]
        outcomes = [load_file(p, engine=engine, config=config) for p in expand_paths(files)]
        assert len(outcomes) == 6
        assert not [o.message for o in outcomes if o.status == "failed"]
        dispose_engines()
        yield url
    finally:
        drop()


def callback_body(base: str, first_output: str, values: dict) -> bytes:
    """A request for the callback whose first output is ``first_output``, built from the app's own
    ``/_dash-dependencies`` (ids and properties as the app declares them); ``values`` gives each
    input's or state's value by ``id.property`` (None when not given)."""
    deps = requests.get(base + "/_dash-dependencies", timeout=30).json()
    dep = next(
        d
        for d in deps
        if d["output"].strip(".").split("...")[0] == first_output
        and not d.get("clientside_function")
    )
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in dep["output"].strip(".").split("...")
    ]

    def filled(items):
        return [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in items]

    return json.dumps(
        {
            "output": dep["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": filled(dep["inputs"]),
            "state": filled(dep.get("state", [])),
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
        }
    ).encode()


def _holder(pids: list[int], client_port: int, timeout: float = 30) -> int:
    """The worker whose socket table shows our connection (by our local port)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in pids:
            try:
                conns = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            if any(c.raddr and c.raddr.port == client_port for c in conns):
                return pid
        time.sleep(0.02)
    raise TimeoutError(f"no worker took the connection from port {client_port}")


def ask_each_worker(
    server, body: bytes, path: str = "/_dash-update-component", max_connections: int = 40
) -> list[tuple[int, dict]]:
    """Send ``body`` on new connections until every worker holds one; returns each worker's
    (pid, JSON answer).

    Each connection gets the request's headers and waits for its body, so it stays with the
    worker that accepted it; which worker that is comes from that worker's socket table. Once
    each worker holds one, the other connections are closed unanswered (a worker answered the
    ones it held one after another, 2 s apart), and one body per worker is sent and answered.
    """
    host, port = urlsplit(server.base).hostname, urlsplit(server.base).port
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    workers = set(server.worker_pids())
    held: list[tuple[int, socket.socket]] = []
    try:
        while len(held) < max_connections and {pid for pid, _ in held} != workers:
            sock = socket.create_connection((host, port), timeout=120)
            sock.sendall(head)  # the body waits: the connection stays put
            held.append((_holder(list(workers), sock.getsockname()[1]), sock))
        asked = {}
        for pid, sock in held:
            if pid in asked:
                sock.close()
            else:
                asked[pid] = sock
        answers = []
        for pid, sock in asked.items():
            sock.sendall(body)
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
            status_line, _, rest = raw.partition(b"\r\n")
            assert b" 200 " in status_line + b" ", status_line
            answers.append((pid, json.loads(rest.partition(b"\r\n\r\n")[2])))
        return answers
    finally:
        for _, sock in held:
            sock.close()


def test_two_workers_serve_the_same_fresh_data(demo_postgres, data_dir, tmp_path):
    with serve(demo_postgres, data_dir, workers=2, env={"TEAMCAR_TODAY": "2026-11-22"}) as server:
        workers = server.worker_pids()
        assert len(workers) == 2
        poll = callback_body(server.base, "shell-data-version.data", {})
        before = ask_each_worker(server, poll)
        assert {pid for pid, _ in before} == set(workers)  # both workers answered
        versions = {a["response"]["shell-data-version"]["data"] for _, a in before}
        assert len(versions) == 1  # ... the same version
        old_version = versions.pop()

        data = callback_body(
            server.base,
            "data-batches.rowData",
            {"data-state.data": {"batch": None}, "shell-data-version.data": old_version},
        )
        lists = ask_each_worker(server, data)
        assert {pid for pid, _ in lists} == set(workers)
        rows = [a["response"]["data-batches"]["rowData"] for _, a in lists]
        first = rows[0]
        assert first and all(r == first for r in rows)  # the same imports, from either worker
        assert NEW_FILE not in json.dumps(first)

        # A new snapshot arrives through the command line, into the same database.
        new = edited_export(tmp_path / "exports" / NEW_FILE, cells={(0, "Amount"): "1,234,567.00"})
        env = {
            **os.environ,
            "TEAMCAR_DATABASE_URL": demo_postgres,
            "TEAMCAR_DATA_DIR": str(data_dir),
            "TEAMCAR_TODAY": "2026-11-22",
        }
        done = subprocess.run(
            [sys.executable, "-m", "dashboard.cli.main", "load", str(new)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr

        # Every answer from either worker shows it (no worker keeps the old data).
        for _ in range(3):
            after = ask_each_worker(server, poll)
            assert {pid for pid, _ in after} == set(workers)
            new_versions = {a["response"]["shell-data-version"]["data"] for _, a in after}
            assert len(new_versions) == 1 and new_versions != {old_version}
            (new_version,) = new_versions
            data = callback_body(
                server.base,
                "data-batches.rowData",
                {"data-state.data": {"batch": None}, "shell-data-version.data": new_version},
            )
            lists = ask_each_worker(server, data)
            assert {pid for pid, _ in lists} == set(workers)
            rows = [a["response"]["data-batches"]["rowData"] for _, a in lists]
            assert all(r == rows[0] for r in rows)
            assert NEW_FILE in json.dumps(rows[0])
            assert len(rows[0]) == len(first) + 1
