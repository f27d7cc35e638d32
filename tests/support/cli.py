"""Running the ``teamcar`` command: in this process through its entry point, or as a subprocess.

``teamcar(...)`` calls ``dashboard.cli.main.main()`` (what the console script runs: the Typer app
inside the handler that turns user errors into one line and an exit code) with ``sys.argv``,
standard input and output, and the environment set as a subprocess would have them (Click's
``CliRunner.isolation``). It proves what a subprocess proves about the command's words, exit code
and effects, without starting an interpreter and importing pandas and SQLAlchemy again for each
run (0.7-1 s apiece). An exception the handler does not turn into a line fails the test with its
traceback, as a traceback in a subprocess's output did.

``teamcar(..., subprocess=True)`` runs the real console entry point in a subprocess: the smoke
tests of the entry point itself, and commands that must be a process of their own (killed,
concurrent, serving).
"""

from __future__ import annotations

import os
import subprocess as _subprocess
import sys


class Ran:
    """What a run printed and how it ended (the fields of ``subprocess.CompletedProcess``)."""

    def __init__(self, args: list[str], returncode: int, stdout: str, stderr: str) -> None:
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def teamcar(
    *args: str,
    env: dict | None = None,
    check: bool = True,
    input: str | None = None,  # noqa: A002 - subprocess.run's name for it
    subprocess: bool = False,
) -> Ran | _subprocess.CompletedProcess:
    """Run ``teamcar ARGS`` (in this process unless ``subprocess``); ``env`` adds to the
    environment, ``input`` is standard input. ``check``: a non-zero exit fails the test."""
    if subprocess:
        proc = _subprocess.run(
            [sys.executable, "-m", "dashboard.cli.main", *args],
            input=input,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=600,
        )
    else:
        proc = _in_process(list(args), env, input)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"teamcar {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def _in_process(args: list[str], env: dict | None, input: str | None) -> Ran:  # noqa: A002
    from click.testing import CliRunner
    from rich.console import Console

    from dashboard.cli import main as cli

    saved = cli.console, cli.err, sys.argv
    code: int | str | None = 0
    with CliRunner().isolation(input=input or "", env=env) as (out, err, _):
        # the command's consoles made as the process would make them: width from COLUMNS (80
        # when unset), no terminal, no colour
        cli.console = Console()
        cli.err = Console(stderr=True, soft_wrap=True)
        sys.argv = ["teamcar", *args]
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code
        finally:
            cli.console, cli.err, sys.argv = saved
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    if code is None:
        code = 0
    elif isinstance(code, str):  # sys.exit("message"): printed to stderr, exit 1
        stderr, code = stderr + code + "\n", 1
    return Ran(["teamcar", *args], code, stdout, stderr)
