"""A database that goes away and comes back: the server survives, says so, and recovers by itself.

``teamcar serve`` runs as a subprocess on a PostgreSQL store reached through a small TCP proxy
run by the test: closing the proxy (and every connection through it) is the database going away,
opening it again is the database coming back. Meanwhile pages and callbacks answer without a
server error and open the "Database unreachable, retrying" alert; afterwards the same requests
succeed again without restarting anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from loaders.ingest import load_file
from loaders.store.engine import get_engine
from tests.support.net import Proxy, free_port
from tests.support.stores import make_store

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _callback(base: str, dep: dict, inputs: dict, state: dict | None = None) -> tuple[int, dict]:
    """Call one callback as the browser would (``/_dash-update-component``)."""
    outputs = [
        dict(zip(("id", "property"), o.split("@")[0].rsplit(".", 1), strict=True))
        for o in dep["output"].strip(".").split("...")
    ]
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{**i, "value": inputs.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "state": [
            {**s, "value": (state or {}).get(f"{s['id']}.{s['property']}")} for s in dep["state"]
        ],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
    }
    req = urllib.request.Request(
        base + "/_dash-update-component",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read().decode()
            return resp.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode()[:500]}


def _dep(deps: list[dict], output_part: str, input_id: str | None = None) -> dict:
    """The callback writing ``output_part`` (and reading ``input_id`` when given: the course
    map has a second writer, the deal plans' tick patch)."""
    return next(
        d
        for d in deps
        if output_part in d["output"]
        and (input_id is None or any(i["id"] == input_id for i in d["inputs"]))
    )


@pytest.fixture(params=[1, 2], ids=["one-process", "two-gunicorn-workers"])
def served(request, tmp_path, monkeypatch):
    url, drop = make_store("postgres", tmp_path, prefix="outage")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    engine = get_engine(url)
    for name in ("roster.csv", "salesforce_opportunities_2026-10-09.csv"):
        assert load_file(FIXTURES / name, engine=engine).status == "loaded"
    proxy = Proxy(("127.0.0.1", 5432))
    proxy.start()
    via_proxy = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert via_proxy != url
    port = free_port()
    env = {
        **os.environ,
        "TEAMCAR_DATABASE_URL": via_proxy,
        "TEAMCAR_DATA_DIR": str(data_dir),
        "TEAMCAR_TODAY": "2026-10-09",
    }
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dashboard.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(request.param),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while _try_get(base) is None:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.3)
    yield base, proxy, proc, tmp_path / "serve.log"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    proxy.cut()
    drop()


def _try_get(base: str):
    try:
        return _get(base + "/")
    except OSError:
        return None


def test_the_server_survives_a_database_outage_and_recovers(served):
    base, proxy, proc, log = served
    deps = json.loads(_get(base + "/_dash-dependencies")[1])
    poll = _dep(deps, "shell-freshness.children")
    retry = _dep(deps, "shell-outage.is_open")
    course = _dep(deps, "course-map.figure", "course-state")
    state = {
        "quarter": "2026-Q4",
        "team": None,
        "as_of": "2026-10-09",
        "since": "2026-10-02",
        "page": 1,
        "q": "",
        "lanes": "auto",
        "explicit_as_of": False,
    }
    code, body = _callback(base, poll, {"shell-poll.n_intervals": 1})
    assert code == 200, body
    version = body["response"]["shell-data-version"]["data"]
    assert version >= 2
    code, body = _callback(
        base, course, {"course-state.data": state, "shell-data-version.data": version}
    )
    assert code == 200 and "Dana Whitfield" in json.dumps(body)

    proxy.cut()  # the database goes away
    for n in (2, 3):
        code, body = _callback(
            base, poll, {"shell-poll.n_intervals": n}, {"shell-data-version.data": None}
        )
        assert code == 200, body  # no server error
        assert body["sideUpdate"]["shell-outage"] == {"is_open": True}
        assert "response" not in body or all(  # nothing on the page is replaced meanwhile
            v == {} for v in body.get("response", {}).values()
        )
    code, body = _callback(
        base, course, {"course-state.data": state, "shell-data-version.data": version + 1}
    )
    assert code == 200 and body["sideUpdate"]["shell-outage"] == {"is_open": True}
    code, body = _callback(
        base, retry, {"shell-poll.n_intervals": 4}, {"shell-outage.is_open": True}
    )
    assert code == 200 and body["sideUpdate"]["shell-outage"] == {"is_open": True}
    code, page = _get(base + "/")  # the page loads, or says plainly what is wrong
    assert (code == 200 and "dash" in page) or (
        code == 503 and "Traceback" not in page and ("store" in page or "database" in page)
    )
    code, layout = _get(base + "/_dash-layout")
    assert code == 200
    assert "shell-outage" in layout or "Database unreachable, retrying" in layout
    assert proc.poll() is None  # the server is still up

    proxy.start()  # the database is back
    deadline = time.monotonic() + 30
    while True:
        code, body = _callback(
            base, retry, {"shell-poll.n_intervals": 5}, {"shell-outage.is_open": True}
        )
        if code == 200 and body.get("response", {}).get("shell-outage") == {"is_open": False}:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    # the pages are told to redraw; they do, with the data
    assert body["response"]["shell-data-version"] == {"data": None}
    code, body = _callback(
        base, poll, {"shell-poll.n_intervals": 6}, {"shell-data-version.data": None}
    )
    assert code == 200 and body["response"]["shell-data-version"]["data"] == version
    code, body = _callback(
        base, course, {"course-state.data": state, "shell-data-version.data": version}
    )
    assert code == 200 and "Dana Whitfield" in json.dumps(body)
    assert "sideUpdate" not in body
    # a closed alert costs nothing: the retry callback does not touch the store
    code, body = _callback(
        base, retry, {"shell-poll.n_intervals": 7}, {"shell-outage.is_open": False}
    )
    assert code in (200, 204)
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]


def test_callbacks_meeting_an_outage_open_the_alert_and_other_errors_stay_errors():
    """The ``on_error`` handler and Flask handlers alone, on a small app (no store, no sign-in)."""
    import dash
    from dash import Input, Output, dcc, html
    from sqlalchemy.exc import IntegrityError, OperationalError

    from dashboard import ids
    from dashboard.serve import outage

    app = dash.Dash(__name__, on_error=outage.on_callback_error)
    app.layout = html.Div(
        [
            dcc.Input(id="x", value="a"),
            html.Div(id="out"),
            html.Div(id="bug"),
            outage.alert(),
            dcc.Store(id=ids.SHELL_DATA_VERSION),
            dcc.Interval(id=ids.SHELL_POLL),
        ]
    )
    outage.register(app.server)

    @app.callback(Output("out", "children"), Input("x", "value"))
    def needs_store(value):
        raise OperationalError("select 1", {}, ConnectionRefusedError("connection refused"))

    @app.callback(Output("bug", "children"), Input("x", "id"))
    def has_a_bug(value):
        raise IntegrityError("insert", {}, ValueError("duplicate key"))

    @app.server.route("/page-reading-the-store")
    def page():
        raise OperationalError("select 1", {}, ConnectionRefusedError("connection refused"))

    client = app.server.test_client()

    def call(output: str, prop: str):
        return client.post(
            "/_dash-update-component",
            json={
                "output": f"{output}.children",
                "outputs": {"id": output, "property": "children"},
                "inputs": [{"id": "x", "property": prop, "value": "a"}],
                "changedPropIds": [f"x.{prop}"],
                "state": [],
            },
        )

    resp = call("out", "value")
    assert resp.status_code == 200
    assert resp.json["sideUpdate"] == {ids.SHELL_OUTAGE: {"is_open": True}}
    assert "out" not in resp.json.get("response", {})
    assert call("bug", "id").status_code == 500  # a bug is not an outage: still an error
    resp = client.get("/page-reading-the-store")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert b"Database unreachable, retrying" in resp.data and b"Traceback" not in resp.data
    assert outage.is_outage(RuntimeError("wrapped")) is False


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (lambda: __import__("psycopg").OperationalError("connection refused"), True),
        (lambda: __import__("sqlite3").OperationalError("database is locked"), True),
        (lambda: __import__("sqlite3").OperationalError("unable to open database file"), True),
        (lambda: __import__("sqlite3").OperationalError("no such table: reps"), False),
        (lambda: __import__("sqlite3").OperationalError('near "x": syntax error'), False),
    ],
)
def test_what_counts_as_an_outage(exc, outage):
    from sqlalchemy.exc import OperationalError

    from dashboard.serve.outage import is_outage

    wrapped = OperationalError("select 1", {}, exc())
    assert is_outage(wrapped) is outage
    try:
        raise RuntimeError("while drawing") from wrapped
    except RuntimeError as chained:
        assert is_outage(chained) is outage
