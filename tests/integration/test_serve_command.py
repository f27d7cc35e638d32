"""``teamcar serve`` and ``teamcar demo`` run gunicorn, never Flask's development server.

One worker of several threads by default, the settings in ``dashboard.serve.gunicorn_conf``
(timeouts, no access log unless ``--access-log``, no shared control socket), and one real
server started as an operator would, answering with its security headers.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from dashboard.cli import main as cli
from dashboard.serve import gunicorn_conf
from loaders.store.engine import upgrade
from tests.support.net import free_port


@pytest.fixture
def exec_calls(monkeypatch):
    """``os.execvp`` replaced: the argv each command would have become."""
    calls: list[list[str]] = []

    def fake_exec(file, argv):
        calls.append(argv)
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execvp", fake_exec)
    return calls


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_serve_runs_gunicorn_with_one_worker_and_no_access_log(data_dir, exec_calls):
    result = CliRunner().invoke(cli.app, ["serve", "--port", "18399"])
    assert result.exit_code == 0, result.output
    (argv,) = exec_calls
    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert _option(argv, "--config") == "python:dashboard.serve.gunicorn_conf"
    assert _option(argv, "--workers") == "1"
    assert _option(argv, "--bind") == "127.0.0.1:18399"
    assert "--access-logfile" not in argv
    assert argv[-1] == "dashboard.serve.wsgi:server"
    assert "gunicorn: 1 worker of 4 threads" in result.output


def test_the_access_log_and_workers_on_request(data_dir, exec_calls):
    runner = CliRunner()
    runner.invoke(cli.app, ["serve", "--access-log", "--workers", "3", "--host", "::1"])
    (argv,) = exec_calls
    assert _option(argv, "--access-logfile") == "-"
    assert _option(argv, "--workers") == "3"
    assert _option(argv, "--bind") == "[::1]:8050"


def test_demo_serves_the_same_way(data_dir, exec_calls, monkeypatch):
    import loaders.demo

    built = SimpleNamespace(outcomes=[], failed=[])
    monkeypatch.setattr(loaders.demo, "build_demo_store", lambda *a, **k: built)
    try:
        result = CliRunner().invoke(cli.app, ["demo", "--port", "18398", "--access-log"])
    finally:
        os.environ.pop("TEAMCAR_DATABASE_URL", None)  # the demo points its process at its store
    assert result.exit_code == 0, result.output
    (argv,) = exec_calls
    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert _option(argv, "--workers") == "1"
    assert _option(argv, "--access-logfile") == "-"


def test_gunicorn_settings(monkeypatch):
    assert gunicorn_conf.worker_class == "gthread" and gunicorn_conf.threads >= 2
    assert 30 <= gunicorn_conf.timeout <= 300
    assert 0 < gunicorn_conf.graceful_timeout <= gunicorn_conf.timeout
    assert 0 < gunicorn_conf.keepalive < 60
    assert gunicorn_conf.accesslog is None
    assert gunicorn_conf.control_socket_disable is True
    monkeypatch.setenv("TEAMCAR_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    try:
        conf = importlib.reload(gunicorn_conf)
        assert conf.forwarded_allow_ips == "10.0.0.0/8,127.0.0.1/32"
    finally:
        monkeypatch.delenv("TEAMCAR_TRUSTED_PROXIES")
        importlib.reload(gunicorn_conf)


def test_a_real_server(tmp_path):
    """Started as an operator would, with the access log on: gunicorn, a threaded worker, one
    line per request, no development-server warning, and the security headers on the wire."""
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    upgrade(url)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "TEAMCAR_DATABASE_URL": url, "TEAMCAR_DATA_DIR": str(tmp_path)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli.main", "serve", "--port", str(port)]
            + ["--access-log"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
                    headers = resp.headers
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert headers["Server"] == "gunicorn"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    text = log.read_text()
    assert "Using worker: gthread" in text and "Booting worker" in text
    assert '"GET / HTTP/1.1" 200' in text  # the access log, asked for
    assert "development server" not in text.lower()
    assert "WARNING" not in text and "Traceback" not in text
