"""Running the real ``teamcar`` console entry point, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys


def teamcar(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli.main", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"teamcar {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc
