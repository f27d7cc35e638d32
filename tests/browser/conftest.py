"""Browser tier: the real app in a subprocess, driven by Playwright in Debian's Chromium.

Each journey gets a page whose console errors are collected; ``console_errors`` must be empty at
the end of every journey (a clean console, as Vizro's integration tests insist).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.demo import TODAY as DEMO_TODAY
from tests.support.demo import demo_copy
from tests.support.net import free_port

CHROMIUM = os.environ.get("TEAMCAR_CHROMIUM", "/usr/bin/chromium")


def _wait_for(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"server did not listen on {port} within {timeout}s")


def _start(database_url: str, data_dir: Path, workers: int = 1, env: dict | None = None):
    """``teamcar serve`` on a free port: (its base URL, its process)."""
    port = free_port()
    env = {
        **os.environ,
        "TEAMCAR_DATABASE_URL": database_url,
        "TEAMCAR_DATA_DIR": str(data_dir),
        **(env or {}),
    }
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
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(port, proc)
    except BaseException:
        proc.kill()
        proc.wait(10)
        raise
    return f"http://127.0.0.1:{port}", proc


@pytest.fixture(scope="session")
def stopping_servers():
    """Servers told to stop (SIGTERM), waited for at the end of the session.

    gunicorn takes about a second to stop; each test's server goes away meanwhile instead of
    holding up the next test (each has its own store and port).
    """
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def serve_store(stopping_servers):
    """Start ``teamcar serve`` on a store URL; yields a function returning the base URL."""
    procs: list[subprocess.Popen] = []

    def start(database_url: str, data_dir: Path, workers: int = 1) -> str:
        base, proc = _start(database_url, data_dir, workers)
        procs.append(proc)
        return base

    yield start
    for proc in procs:
        proc.terminate()
        stopping_servers.append(proc)


@dataclasses.dataclass(frozen=True)
class DemoServer:
    store: str  # the SQLite URL of its copy of the demo (read it, never write it)
    base: str  # http://127.0.0.1:PORT


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory, stopping_servers):
    """One server on a copy of the demo per test process (today pinned to 2026-11-22), for the
    journeys that only read it: each of them starting its own cost a server's start and stop
    and its first, cold views. Journeys that write (notes, plans, calls, uploads, new data)
    serve their own copy with ``serve_store``."""
    folder = tmp_path_factory.mktemp("demo-server")
    (folder / "data").mkdir()
    store = demo_copy(folder / "db")
    base, proc = _start(store, folder / "data", env={"TEAMCAR_TODAY": DEMO_TODAY.isoformat()})
    yield DemoServer(store, base)
    proc.terminate()
    stopping_servers.append(proc)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium required in CI but not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def console_errors():
    """Console errors and page errors seen by ``page``."""
    return []


# Content-Security-Policy violations, kept in the page (``window.__cspViolations``) and written to
# the console as errors: Chromium logs a refused inline script, but not a refused eval() that the
# page's code catches (regl's), so every journey's clean console covers the policy this way.
CSP_VIOLATIONS_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const text = `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` (${e.sourceFile || 'page'}:${e.lineNumber})`;
  window.__cspViolations.push(text);
  console.error(text);
});
"""


@pytest.fixture
def page(browser, console_errors):
    """A fresh 1440x900 page that records console errors (CSP violations among them)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(CSP_VIOLATIONS_JS)
    pg = context.new_page()
    pg.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: console_errors.append(str(e)))
    yield pg
    context.close()
