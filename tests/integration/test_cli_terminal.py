"""``teamcar summary`` and ``teamcar load`` in a terminal of 80 and 120 columns, and with --wide.

Every line fits the width (no wider than ``COLUMNS``), no cell ends in an ellipsis, and every
figure is still printed somewhere: the riders' figures on their rep's lines (a table too wide is
continued in a second one, the rep repeated), the team's figures stacked as ``label value``.
Run through the real console entry point (``tests/support/cli.py``) on the hand-checked book
(``tests/support/book.py``; SQLite only: the layout does not depend on the store).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from dashboard.cli.outcomes import print_load_table
from dashboard.cli.summary import (
    RIDER_FIGURES,
    TEAM_FIGURES,
    WIDE_RIDER_FIGURES,
    _figure,
    summary_command,
    summary_json,
)
from dashboard.models.standings import compute_summary
from loaders.store.engine import get_engine
from tests.support.book import make_store, seed_book
from tests.support.cli import teamcar

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
ARGS = ("summary", "--quarter", "2026-Q4", "--as-of", "2026-11-22", "--since", "2026-11-01")


@pytest.fixture(scope="module")
def book_url(tmp_path_factory):
    url, drop = make_store("sqlite", tmp_path_factory.mktemp("terminal-book"))
    seed_book(get_engine(url))
    yield url
    drop()


@pytest.fixture(scope="module")
def book_json(book_url):
    """The ``--json`` object (its contract is tested in test_summary_book.py)."""
    return summary_json(
        compute_summary(get_engine(book_url), "2026-Q4", "2026-11-22", "2026-11-01")
    )


def _run(book_url, *extra, columns=80):
    """What ``teamcar summary`` prints at ``columns`` (in process: the rendering is the CLI's)."""
    console = Console(record=True, width=columns)
    summary_command(
        "2026-Q4",
        "2026-11-22",
        "2026-11-01",
        None,
        False,
        wide="--wide" in extra,
        engine=get_engine(book_url),
        console=console,
    )
    return console.export_text()


def _token(value: str) -> re.Pattern:
    return re.compile(rf"(?<!\S){re.escape(value)}(?!\S)")


def _rep_lines(out: str, rep: str) -> str:
    return "\n".join(line for line in out.splitlines() if line.startswith(rep + " "))


def _check_riders(out: str, data: dict, figures) -> None:
    for rep in data["reps"]:
        lines = _rep_lines(out, rep["rep"])
        assert lines, rep["rep"]
        for _, key, fmt, *_ in figures:
            no_quota = key == "quota" and rep["quota"] == 0  # Cat (West) and Zed (off roster)
            want = "no quota" if no_quota else _figure(rep[key], fmt)
            assert _token(want).search(lines), (rep["rep"], key, want, lines)


@pytest.mark.parametrize("columns", [80, 120])
def test_summary_fits_the_terminal(book_url, book_json, columns):
    out = _run(book_url, columns=columns)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "…" not in out
    # The team's figures stacked as "label value" (hand-checked in test_summary_book.py:
    # won A1 30,000 + B1 60,000; pace gap 90,000 - 170,000 x 53/92 = -7,934.78).
    assert re.search(r"Won\s+90,000", out) and re.search(r"Pace gap\s+-7,935", out)
    for label, key, fmt in TEAM_FIGURES:
        assert re.search(
            rf"{re.escape(label)}\s+{re.escape(_figure(book_json['team'][key], fmt))}", out
        ), label
    # Every rider figure on the rep's lines: Ann's pace gap 30,000 - 100,000 x 53/92 = -27,609.
    assert _token("-27,609").search(_rep_lines(out, "Ann Lee"))
    _check_riders(out, book_json, RIDER_FIGURES)
    # Riders under a heading per team, and the movement (start 148,000, end 105,000).
    assert re.search(r"^East\s*$", out, re.M) and re.search(r"^West\s*$", out, re.M)
    assert re.search(r"start\s+148,000", out) and re.search(r"end\s+105,000", out)
    if columns == 80:
        assert "Riders (continued)" in out  # 11 figures do not fit 80 columns in one table


def test_summary_wide_shows_every_figure_in_one_table(book_url, book_json):
    out = _run(book_url, "--wide", columns=80)
    assert "…" not in out and "(continued)" not in out
    _check_riders(out, book_json, WIDE_RIDER_FIGURES)
    assert max(len(line) for line in out.splitlines()) > 80  # wider than the terminal, whole
    header = next(line for line in out.splitlines() if line.startswith("Rep "))
    for label, *_ in WIDE_RIDER_FIGURES:
        assert label in header


def test_the_command_takes_the_terminal_width(book_url):
    # The real entry point, COLUMNS=80 as a terminal of 80 columns sets it.
    out = teamcar(*ARGS, env={"TEAMCAR_DATABASE_URL": book_url, "COLUMNS": "80"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out and "Riders (continued)" in out
    assert out == _run(book_url, columns=80)


def _first_tokens(out: str) -> str:
    """The first word of every line, joined: a file name folded over lines comes out whole."""
    return "".join(line.split()[0] for line in out.splitlines() if line.strip())


LONG = "salesforce_opportunities_for_the_quarterly_review_2026-10-09.csv"


def _outcomes():
    def outcome(name, status, kind, fmt, day, read, loaded, rejected, warnings=()):
        return SimpleNamespace(
            path=Path(name),
            status=status,
            kind=kind,
            format=fmt,
            as_of=dt.datetime.fromisoformat(day) if day else None,
            rows_read=read,
            rows_loaded=loaded,
            rows_rejected=rejected,
            warnings=list(warnings),
            message="",
        )

    return [
        outcome("roster.csv", "loaded", "roster", "roster", "2026-10-09", 35, 35, 0),
        outcome(
            LONG, "loaded", "pipeline", "salesforce-report", "2026-10-09", 1691, 1689, 2, ["w"]
        ),
        outcome("[bold]odd.csv", "failed", None, None, None, 0, 0, 0),
    ]


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_load_summary_fits_the_terminal(columns):
    console = Console(record=True, width=columns)
    print_load_table(console, _outcomes())
    out = console.export_text()
    assert max(len(line) for line in out.splitlines()) <= columns
    assert "…" not in out
    assert LONG in _first_tokens(out)  # whole, maybe folded over lines
    assert "[bold]odd.csv" in out  # a name is text, not markup
    for word in ("pipeline", "salesforce-report", "2026-10-09", "roster", "1,691", "1,689"):
        assert word in out, word
    if columns == 200:  # everything on one line per file
        assert re.search(r"pipeline\s+salesforce-report\s+2026-10-09\s+1,691\s+1,689\s+2\s+1", out)


def test_load_summary_wide():
    console = Console(record=True, width=40)
    print_load_table(console, _outcomes(), wide=True)
    header = next(line for line in console.export_text().splitlines() if line.startswith("file"))
    assert header.split() == [
        "file",
        "status",
        "kind",
        "format",
        "as",
        "of",
        "read",
        "loaded",
        "rejected",
        "warnings",
    ]


def test_load_command_at_80_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    long = tmp_path / LONG
    shutil.copy(EXPORTS / "salesforce_opportunities_2026-10-09.csv", long)
    out = teamcar("load", str(EXPORTS / "roster.csv"), str(long), env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out and LONG in _first_tokens(out)
    assert "2 loaded, 0 unchanged, 0 failed." in out
