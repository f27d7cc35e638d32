"""A bounded load test: 10 simulated managers for 3 s against two gunicorn workers on the demo.

The managers replay what real page loads sent (every page, all teams and one team), captured in
Chromium by the benchmark's own tools (``bench/_browser.py``, ``bench/loadtest.py``). The error
rate is printed and written to ``bench/out/loadtest-test.json``; there must be no errors. Speed
is the benchmark's business (``bench/run.py``), not asserted here.

The same load runs under faults too (issue 18, item 7): on PostgreSQL reached through a TCP
relay the test cuts and restores (the shared server itself is never stopped), while
``teamcar watch`` loads new exports into the store through the same relay, one of them dropped
while the database is away. Every answer outside the outage must be a plain success, every one
during it the outage answer (the shell's alert, whose words are ``outage.MESSAGE``), and every
row of the watched exports must be in the store afterwards.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench import _browser
from bench.loadtest import run_load, serve
from bench.run import pick_people
from dashboard import ids
from dashboard.serve.outage import MESSAGE, alert
from loaders.ingest import load_file
from loaders.store.engine import get_engine, session_scope
from loaders.store.models import ImportBatch, OpportunitySnapshot
from tests.integration.test_faults_load import write_report
from tests.support.demo import demo_copy
from tests.support.net import Proxy
from tests.support.stores import make_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OUT = Path(__file__).resolve().parents[2] / "bench" / "out"


def test_ten_managers_for_three_seconds_see_no_errors(browser, tmp_path, data_dir):
    chromium = browser  # the browser tier's one Playwright and Chromium
    url = demo_copy(tmp_path / "db")
    people = pick_people(url, 1)
    team = people["teams"][0]
    rep = people["reps"][team]
    with serve(url, data_dir, workers=2, env={"TEAMCAR_TODAY": "2026-11-22"}) as server:
        scenarios, console = [], []
        for page, path in (
            ("course", _browser.page_path("course")),
            ("course", _browser.page_path("course", team=team)),
            ("review", _browser.page_path("review", team=team)),
            ("rider", _browser.page_path("rider", rep=rep)),
            ("data", _browser.page_path("data")),
        ):
            ctx = _browser.new_context(chromium)
            try:
                visit = _browser.open_page(ctx, server.base, page, path, timeout_s=60)
            finally:
                ctx.close()
            # A clean console is the browser tier's check; here it is only reported.
            console += [f"{page}: {line}" for line in visit["console"]]
            assert all(c["status"] in (200, 204) for c in visit["callbacks"]), [
                (c["label"], c["status"]) for c in visit["callbacks"]
            ]
            scenarios.append(
                [
                    {"label": f"{page}: {c['label']}", "body": c["body"], "path": c["path"]}
                    for c in visit["callbacks"]
                    if c["status"] == 200
                ]
            )
        result = run_load(server.base, scenarios, managers=10, duration=3, request_timeout=60)
        log_tail = server.tail() if result.errors else ""

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "loadtest-test.json").write_text(
        json.dumps({**result.to_dict(), "console_errors_while_capturing": console}, indent=2) + "\n"
    )
    print(
        f"\n10 managers x 3 s on 2 workers: {result.requests} requests, {result.errors} errors "
        f"(error rate {result.error_rate:.2%}), p50 {result.p50_ms} ms, p95 {result.p95_ms} ms"
        + (f"; console errors while capturing: {console}" if console else "")
    )
    assert result.requests > 0
    assert result.errors == 0, (result.error_samples, log_tail)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
PORTS = range(18600, 18700)  # this suite's own ports: the relay and the server
# the load under faults: the database away from 1 s to 3 s, exports landing at 0.3, 1.5, 3.5 s
MANAGERS, LOAD_S = 6, 5
WATCHED_ROWS = 3_000  # rows in each export the watcher loads; every 97th amount unreadable


def port_in(ports: range, taken: tuple[int, ...] = ()) -> int:
    """The first port of ``ports`` nothing listens on (and not in ``taken``)."""
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def capture(chromium, base: str, pages) -> list[list[dict]]:
    """What each page load sent to the callbacks, as ``run_load`` replays it."""
    scenarios = []
    for page, path in pages:
        ctx = _browser.new_context(chromium)
        try:
            visit = _browser.open_page(ctx, base, page, path, timeout_s=60)
        finally:
            ctx.close()
        assert all(c["status"] in (200, 204) for c in visit["callbacks"]), [
            (c["label"], c["status"]) for c in visit["callbacks"]
        ]
        scenarios.append(
            [
                {"label": f"{page}: {c['label']}", "body": c["body"], "path": c["path"]}
                for c in visit["callbacks"]
                if c["status"] == 200
            ]
        )
    return scenarios


def answer_kind(status: int, content: bytes) -> str:
    """ "outage" for the outage answer (a callback's answer opening the shell's alert, or a 503
    carrying the message), "ok" for any other success, "error" for the rest."""
    try:
        body = json.loads(content) if content else {}
    except ValueError:
        body = {}
    if status == 200 and body.get("sideUpdate", {}).get(ids.SHELL_OUTAGE, {}).get("is_open"):
        return "outage"
    if status == 503 and body.get("message") == MESSAGE:
        return "outage"
    return "ok" if status in (200, 204) else "error"


def alert_words() -> str:
    def text(node) -> str:
        if isinstance(node, str):
            return node
        children = getattr(node, "children", None)
        children = children if isinstance(children, list) else [children]
        return "".join(text(c) for c in children if c is not None)

    return text(alert())


@contextlib.contextmanager
def watching(inbox: Path, database_url: str, data_dir: Path, log: Path):
    """``teamcar watch inbox`` in its own process group until the block ends."""
    env = {**os.environ, "TEAMCAR_DATABASE_URL": database_url, "TEAMCAR_DATA_DIR": str(data_dir)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli.main", "watch", str(inbox)]
            + ["--interval", "0.3", "--settle", "0.3"],
            env={**env, "COLUMNS": "200"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def stored_rows(engine, processed: Path, exports: list[Path]) -> dict[str, tuple]:
    """Per export the watcher filed: (good rows in the file, rows stored under its batch,
    rows its batch rejected, the batch's status)."""
    rows = {}
    with session_scope(engine) as s:
        for path in exports:
            with (processed / path.name).open(newline="") as fh:
                expected = sum(r["Amount"] != "lots" for r in csv.DictReader(fh))
            batch = s.execute(
                select(ImportBatch.id, ImportBatch.status, ImportBatch.rows_rejected).where(
                    ImportBatch.source_name == path.name
                )
            ).one()
            stored = s.scalar(
                select(func.count())
                .select_from(OpportunitySnapshot)
                .where(OpportunitySnapshot.batch_id == batch.id)
            )
            rows[path.name] = (expected, stored, batch.rows_rejected, batch.status)
    return rows


@pytest.mark.postgres
def test_managers_through_a_watched_load_and_a_database_outage(browser, tmp_path, data_dir):
    chromium = browser
    url, drop = make_store("postgres", tmp_path, prefix="loadfaults")
    engine = get_engine(url)
    for name in ("roster.csv", "salesforce_opportunities_2026-10-09.csv"):
        assert load_file(FIXTURES / name, engine=engine).status == "loaded"
    team = pick_people(url, 1)["teams"][0]
    proxy = Proxy(("127.0.0.1", 5432))
    proxy.port = port_in(PORTS)
    proxy.start()
    via_proxy = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert via_proxy != url
    inbox, staging = tmp_path / "inbox", tmp_path / "staging"
    inbox.mkdir()
    exports = [
        write_report(staging / f"watched_2026-11-{d}.csv", WATCHED_ROWS, f"w{d}", bad_every=97)
        for d in (16, 17, 18)
    ]
    moments: dict[str, float] = {"start": time.monotonic()}
    try:
        with (
            serve(
                via_proxy,
                data_dir,
                workers=2,
                env={"TEAMCAR_TODAY": "2026-11-22"},
                port=port_in(PORTS, taken=(proxy.port,)),
            ) as server,
            watching(inbox, via_proxy, data_dir, tmp_path / "watch.log") as watcher,
        ):
            moments["served"] = time.monotonic()
            scenarios = capture(
                chromium,
                server.base,
                (
                    ("course", _browser.page_path("course")),
                    ("review", _browser.page_path("review", team=team)),
                ),
            )

            def faults() -> None:
                # an export lands, the database goes away, another lands while it is away,
                # the database comes back, a last export lands
                def land(path: Path) -> None:
                    os.replace(path, inbox / path.name)

                time.sleep(0.3)
                land(exports[0])
                time.sleep(0.7)
                moments["cut"] = time.monotonic()
                proxy.cut()
                time.sleep(0.5)
                land(exports[1])
                time.sleep(1.5)
                proxy.start()
                moments["back"] = time.monotonic()
                time.sleep(0.5)
                land(exports[2])

            moments["captured"] = time.monotonic()
            driver = threading.Thread(target=faults, daemon=True)
            driver.start()
            result = run_load(
                server.base,
                scenarios,
                managers=MANAGERS,
                duration=LOAD_S,
                request_timeout=30,
                answer_kind=answer_kind,
            )
            driver.join(30)
            moments["loaded"] = time.monotonic()
            deadline = time.monotonic() + 60
            while len(list((inbox / "processed").glob("*.csv"))) < len(exports):
                assert watcher.poll() is None, (tmp_path / "watch.log").read_text()
                assert not list((inbox / "failed").glob("*.csv")), (
                    tmp_path / "watch.log"
                ).read_text()
                assert time.monotonic() < deadline, (tmp_path / "watch.log").read_text()
                time.sleep(0.3)
            moments["watched"] = time.monotonic()
            log_tail = server.tail()
        moments["stopped"] = time.monotonic()
    except BaseException:
        proxy.cut()
        drop()
        raise
    proxy.cut()

    # the requests: an answer is "in the outage" when it was asked or answered while the
    # database was away
    cut, back = moments["cut"], moments["back"]
    inside = [r for r in result.timeline if r[1] <= back and r[2] >= cut]
    outside = [r for r in result.timeline if not (r[1] <= back and r[2] >= cut)]
    figures = {
        "requests": result.requests,
        "outage_s": round(back - cut, 1),
        "inside": len(inside),
        "inside_outage_answers": sum(r[3] == "outage" for r in inside),
        "inside_other_errors": sum(r[3] == "error" for r in inside),
        "outside": len(outside),
        "outside_not_ok": sum(r[3] != "ok" for r in outside),
        "last_outage_answer_after_back_s": round(
            max((r[2] - back for r in inside if r[3] == "outage"), default=0.0), 2
        ),
        "seconds": {  # where the test's time goes
            step: round(moments[step] - moments[before], 1)
            for before, step in (
                ("start", "served"),
                ("served", "captured"),
                ("captured", "loaded"),
                ("loaded", "watched"),
                ("watched", "stopped"),
            )
        },
    }
    # the rows: every watched export whole in the store
    try:
        rows = stored_rows(engine, inbox / "processed", exports)
    finally:
        drop()
    figures["rows_expected"] = sum(e for e, *_ in rows.values())
    figures["rows_loaded"] = sum(st for _, st, *_ in rows.values())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "loadtest-faults-test.json").write_text(
        json.dumps({**result.to_dict(), "faults": figures, "rows": rows}, indent=2) + "\n"
    )
    print(
        f"\n{MANAGERS} managers x {LOAD_S} s, PostgreSQL cut and restored, watcher loading: {figures}"
    )
    assert alert_words() == MESSAGE  # the outage answer opens the alert that says MESSAGE
    assert result.requests > 0 and figures["inside"] > 0 and figures["outside"] > 0, figures
    assert figures["inside_outage_answers"] > 0, figures  # the outage was met
    assert figures["inside_other_errors"] == 0, (figures, result.error_samples, log_tail)
    assert figures["outside_not_ok"] == 0, (figures, result.error_samples, log_tail)
    for name, (expected, stored, rejected, status) in rows.items():
        assert (stored, rejected, status) == (expected, WATCHED_ROWS - expected, "loaded"), name
    assert figures["rows_loaded"] == figures["rows_expected"] == 3 * (WATCHED_ROWS - 31)
