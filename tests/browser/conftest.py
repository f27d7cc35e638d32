"""Browser tier: the real app in a subprocess, driven by Playwright in Debian's Chromium.

Each journey gets a page whose console errors are collected; ``console_errors`` must be empty at
the end of every journey (a clean console, as Vizro's integration tests insist).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


@pytest.fixture
def serve_store():
    """Start ``teamcar serve`` on a store URL; yields a function returning the base URL."""
    procs: list[subprocess.Popen] = []

    def start(database_url: str, data_dir: Path, workers: int = 1) -> str:
        port = free_port()
        env = {
            **os.environ,
            "TEAMCAR_DATABASE_URL": database_url,
            "TEAMCAR_DATA_DIR": str(data_dir),
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
        procs.append(proc)
        _wait_for(port, proc)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
