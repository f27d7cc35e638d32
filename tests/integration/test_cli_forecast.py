"""``teamcar forecast`` as a user runs it, on the forecast book (``tests/support/forecast_book.py``,
worked by hand in ``test_forecast_model.py``), on SQLite and PostgreSQL: the JSON contract's keys
and values, the same bytes on every run, the tables, and one clear line for a bad request."""

from __future__ import annotations

import json

import pytest

from loaders.store.engine import get_engine
from tests.support.cli import teamcar
from tests.support.forecast_book import seed_forecast_book
from tests.support.stores import make_store

TOP_KEYS = ["quarter", "as_of", "week", "method", "team", "reps", "people", "backtest"]
LANDING = [
    "quota",
    "won",
    "p10",
    "p50",
    "p90",
    "mean",
    "chance_of_quota",
    "from_open",
    "from_new",
    "commit_forecast",
    "best_case_forecast",
    "weighted_pipeline",
]
CALL = ["commit", "best_case", "status", "week", "by"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def env(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"cli-fc-{request.param}")
    url, drop = make_store(request.param, folder, prefix="teamcar_cli_forecast")
    seed_forecast_book(get_engine(url))
    try:
        yield {
            "TEAMCAR_DATABASE_URL": url,
            "TEAMCAR_TODAY": "2026-10-22",
            "TEAMCAR_CACHE_URL": "",
            "TEAMCAR_DATA_DIR": str(folder),
        }
    finally:
        drop()


def _json(env, *args):
    run = teamcar("forecast", "--quarter", "2026-Q4", "--json", *args, env=env)
    return run.stdout, json.loads(run.stdout)


def test_json_contract_and_same_bytes(env):
    text, data = _json(env, "--as-of", "2026-10-22")
    assert list(data) == TOP_KEYS
    assert (data["quarter"], data["as_of"], data["week"], data["method"]) == (
        "2026-Q4",
        "2026-10-22",
        4,
        "reference",
    )
    assert list(data["team"]) == ["team", *LANDING, "call"]
    assert list(data["team"]["call"]) == CALL
    assert data["team"]["call"] == {
        "commit": 66000.0,
        "best_case": 96000.0,
        "status": "rolled_up",
        "week": None,
        "by": None,
    }
    assert [r["rep"] for r in data["reps"]] == ["Ann Lee", "Bob Ray", "Cy Chen"]
    ann = data["reps"][0]
    assert list(ann) == ["rep", "team", *LANDING, "call"]
    assert ann["call"] == {
        "commit": 33000.0,
        "best_case": 45000.0,
        "status": "carried",
        "week": 3,
        "by": "Ann Lee",
    }
    assert (ann["won"], ann["from_new"], ann["commit_forecast"]) == (15000.0, 2500.0, 35000.0)
    assert ann["mean"] == pytest.approx(34778.138528)
    assert ann["won"] <= ann["p10"] <= ann["p50"] <= ann["p90"]
    people = {p["person"]: p for p in data["people"]}
    assert list(data["people"][0]) == [
        "person",
        "role",
        "reports",
        "call",
        "rolled_up",
        "adjustment",
    ]
    mia = people["Mia Park"]
    assert mia["reports"] == ["Ann Lee", "Bob Ray"] and mia["role"] == "Manager"
    assert mia["call"] == {
        "commit": 60000.0,
        "best_case": 90000.0,
        "status": "submitted",
        "week": 4,
        "by": "Mia Park",
    }
    assert mia["rolled_up"] == {"commit": 33000.0, "best_case": 61000.0}
    assert mia["adjustment"] == {"commit": 27000.0, "best_case": 29000.0}
    assert people["Bob Ray"]["call"]["status"] == "crm"
    assert data["backtest"] == []
    again, _ = _json(env, "--as-of", "2026-10-22")
    assert again == text  # same data, same bytes


def test_team_and_backtest(env):
    text, data = _json(env, "--as-of", "2026-10-22", "--team", "East", "--backtest")
    assert data["team"]["team"] == "East" and data["team"]["quota"] == 180000.0
    assert [r["rep"] for r in data["reps"]] == ["Ann Lee", "Bob Ray"]
    assert "Cy Chen" not in text and "Dave Diaz" not in text
    scopes = [b["scope"] for b in data["backtest"]]
    assert scopes == [None, "East"]
    first = data["backtest"][0]
    assert [q["quarter"] for q in first["quarters"]] == ["2026-Q2", "2026-Q3"]
    assert [q["actual"] for q in first["quarters"]] == [23000.0, 19000.0]
    assert [q["commit_forecast"] for q in first["quarters"]] == [18000.0, 12000.0]
    assert first["summary"]["quarters"] == 2
    assert first["summary"]["mae_commit_forecast"] == pytest.approx(6000.0)
    again, _ = _json(env, "--as-of", "2026-10-22", "--team", "East", "--backtest")
    assert again == text


def test_tables_for_a_person(env):
    wide = {**env, "COLUMNS": "200"}  # one line per row, as in a wide terminal
    run = teamcar("forecast", "--quarter", "2026-Q4", "--as-of", "2026-10-22", env=wide)
    out = run.stdout
    assert "Where we'll land" in out and "Calls up the chain" in out
    assert "Mia Park" in out and "carried from week 3" in out and "submitted week 4" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2026-Q9"], "--quarter '2026-Q9'"),
        (["--quarter", "2026-Q4", "--as-of", "2026-13-01"], "--as-of '2026-13-01'"),
        (["--quarter", "2026-Q4", "--team", "Nope"], "no team named 'Nope' (teams: East, West)"),
    ],
)
def test_a_bad_request_is_one_clear_line(env, args, message):
    run = teamcar("forecast", *args, env=env, check=False)
    assert run.returncode != 0
    assert message in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
