"""``teamcar forecast``: where the quarter will land (docs/metrics.md#forecast), as JSON or tables.

The numbers come from the forecast model (``dashboard.models.forecast``: ``forecast_for`` and,
with ``--backtest``, ``backtest_for``). ``forecast_json`` shapes them as one JSON object (the
command's ``--json`` contract, also the form tests compare): the same data gives the same bytes.
``render_forecast`` prints them with rich; ``forecast_command`` is what the CLI calls.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from dashboard.metrics import forecast as fc
from dashboard.models.forecast import (
    CALL_KEYS,
    Backtest,
    Forecast,
    ForecastError,
    backtest_for,
    forecast_for,
)
from loaders.config import load_config

# The keys of ``team`` and of each of ``reps``, in the contract's order.
LANDING_KEYS = (
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
)
BACKTEST_ROW_KEYS = (
    "quarter",
    "day",
    "week",
    "method",
    "p10",
    "p50",
    "p90",
    "actual",
    "inside",
    "commit_forecast",
    "won_plus_weighted",
)

# --- JSON -------------------------------------------------------------------------------------


def _plain(value):
    """A JSON value: None for missing, plain numbers, ISO days."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _call(values: dict) -> dict:
    return {k: _plain(values.get(k)) for k in CALL_KEYS}


def _rep_order(reps: pd.DataFrame) -> list:
    teams = reps["team"].astype("object")
    key = sorted(
        zip(teams.isna(), teams.fillna(""), reps.index, strict=True),
        key=lambda k: (bool(k[0]), str(k[1]), str(k[2])),
    )
    return [k[2] for k in key]


def backtest_json(backtest: Backtest) -> list[dict]:
    """One object per scope (``scope`` null: the whole view; then each team): its quarters and
    the summary (mean absolute errors of p50 and of both baselines, interval coverage; the same
    over the reference method's quarters under ``reference``)."""
    out = []
    for name, summary in backtest.summary.items():
        rows = backtest.rows[backtest.rows["scope"].map(lambda s, n=name: s == n)]
        out.append(
            {
                "scope": name,
                "quarters": [
                    {k: _plain(row[k]) for k in BACKTEST_ROW_KEYS}
                    for row in rows.to_dict("records")
                ],
                "summary": {k: _plain(v) for k, v in summary.items()},
            }
        )
    return out


def forecast_json(forecast: Forecast, backtest: Backtest | None = None) -> dict:
    """The command's JSON object: money as plain numbers, chances as fractions, null if undefined.

    ``team`` and each of ``reps``: ``rep`` (reps), ``team``, ``LANDING_KEYS`` and ``call``
    (``commit, best_case, status, week, by``). Each of ``people``: ``person, role, reports,
    call, rolled_up, adjustment``. ``backtest``: ``backtest_json`` (empty without one).
    """
    team = {"team": _plain(forecast.team.get("team"))}
    team.update({k: _plain(forecast.team.get(k)) for k in LANDING_KEYS})
    team["call"] = _call(forecast.team["call"])
    reps = []
    for rep in _rep_order(forecast.reps):
        row = forecast.reps.loc[rep]
        item = {"rep": rep, "team": _plain(row["team"])}
        item.update({k: _plain(row[k]) for k in LANDING_KEYS})
        item["call"] = _call({k: row[f"call_{k}"] for k in CALL_KEYS})
        reps.append(item)
    people = []
    for row in forecast.people.to_dict("records"):
        people.append(
            {
                "person": row["person"],
                "role": _plain(row["role"]),
                "reports": list(row["reports"]),
                "call": _call(
                    {
                        "commit": row["value_commit"],
                        "best_case": row["value_best_case"],
                        "status": row["status"],
                        "week": row["week"],
                        "by": row["by"],
                    }
                ),
                "rolled_up": {
                    "commit": _plain(row["rolled_up_commit"]),
                    "best_case": _plain(row["rolled_up_best_case"]),
                },
                "adjustment": {
                    "commit": _plain(row["adjustment_commit"]),
                    "best_case": _plain(row["adjustment_best_case"]),
                },
            }
        )
    return {
        "quarter": forecast.quarter.name,
        "as_of": forecast.as_of.isoformat(),
        "week": forecast.week,
        "method": forecast.method,
        "team": team,
        "reps": reps,
        "people": people,
        "backtest": backtest_json(backtest) if backtest is not None else [],
    }


# --- terminal ---------------------------------------------------------------------------------


def _money(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:,.0f}"


def _pct(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.0%}"


def _status(call: dict) -> str:
    status = call.get("status")
    if status == "carried":
        return f"carried from week {call['week']}"
    if status == "submitted":
        return f"submitted week {call['week']}"
    return {"rolled_up": "rolled up", "crm": "CRM"}.get(status, "—")


METHOD_WORDS = {
    "reference": "bucket rates and new business from past quarters at this week",
    "crm_probability": "no past quarter at this week: the CRM's probabilities, no new business",
    "ended": "the quarter has ended: the landing is what was won",
}


def _short(value) -> str:
    """Money in a narrow column: 950, 35k, 1.2M."""
    if value is None or pd.isna(value):
        return "—"
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:,.0f}k"
    if size >= 1e3:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.0f}"


def _range(item: dict) -> str:
    return f"{_short(item['p10'])} · {_short(item['p50'])} · {_short(item['p90'])}"


def render_forecast(data: dict, console: Console) -> None:
    """Print the forecast's JSON object as tables a sales manager can read."""
    t = data["team"]
    who = escape(t["team"]) if t["team"] else "all teams in view"
    console.print(
        f"[bold]{data['quarter']}[/] · as of [bold]{data['as_of']}[/] (week {data['week']}) · {who}"
    )
    console.print(f"[dim]{METHOD_WORDS.get(data['method'], data['method'])}[/]")
    head = Table(title="Where we'll land", header_style="bold", show_header=False)
    head.add_column("", justify="left")
    head.add_column("", justify="right")
    for label, value in (
        ("Quota", _money(t["quota"])),
        ("Won so far", _money(t["won"])),
        (
            "Landing p10 · p50 · p90",
            f"{_money(t['p10'])} · {_money(t['p50'])} · {_money(t['p90'])}",
        ),
        (
            "Mean = won + from open + from new",
            f"{_money(t['mean'])} = {_money(t['won'])} + "
            f"{_money(t['from_open'])} + {_money(t['from_new'])}",
        ),
        ("Chance to make quota", _pct(t["chance_of_quota"])),
        ("Commit forecast (CRM)", _money(t["commit_forecast"])),
        ("Won + weighted pipeline", _money((t["won"] or 0) + (t["weighted_pipeline"] or 0))),
        ("Call", f"{_money(t['call']['commit'])} ({_status(t['call'])})"),
    ):
        head.add_row(label, value)
    console.print(head)

    reps = Table(title="Riders", header_style="bold")
    for label, justify in (
        ("Rep", "left"),
        ("Team", "left"),
        ("Quota", "right"),
        ("Won", "right"),
        ("p10 · p50 · p90", "right"),
        ("Make quota", "right"),
        ("Call", "right"),
        ("Status", "left"),
    ):
        reps.add_column(label, justify=justify)
    for r in data["reps"]:
        reps.add_row(
            escape(r["rep"]),
            escape(r["team"] or "Unassigned"),
            _short(r["quota"]),
            _short(r["won"]),
            _range(r),
            _pct(r["chance_of_quota"]),
            _short(r["call"]["commit"]),
            _status(r["call"]),
        )
    console.print(reps)

    people = Table(title="Calls up the chain (commit)", header_style="bold")
    for label, justify in (
        ("Person", "left"),
        ("Call", "right"),
        ("Status", "left"),
        ("Rolled up", "right"),
        ("Adjust.", "right"),
        ("By", "left"),
    ):
        people.add_column(label, justify=justify)
    depth = _depths(data["people"])
    for p in data["people"]:
        adjust = p["adjustment"]["commit"]
        role = f" [dim]{escape(p['role'])}[/]" if p["role"] else ""
        people.add_row(
            "  " * depth[p["person"]] + escape(p["person"]) + role,
            _short(p["call"]["commit"]),
            _status(p["call"]),
            _short(p["rolled_up"]["commit"]),
            "" if not adjust else ("+" if adjust > 0 else "") + _short(adjust),
            escape(p["call"]["by"] or ""),
        )
    console.print(people)

    for scope in data["backtest"]:
        name = escape(scope["scope"]) if scope["scope"] else "all teams in view"
        table = Table(title=f"Backtest: {name}", header_style="bold")
        for label, justify in (
            ("Quarter", "left"),
            ("Day", "left"),
            ("p10 · p50 · p90", "right"),
            ("Actual", "right"),
            ("In", "left"),
            ("Commit fc.", "right"),
            ("Won + wtd", "right"),
        ):
            table.add_column(label, justify=justify)
        for q in scope["quarters"]:
            method = "" if q["method"] == "reference" else " [dim](CRM %)[/]"
            table.add_row(
                q["quarter"] + method,
                q["day"],
                _range(q),
                _short(q["actual"]),
                "yes" if q["inside"] else "no",
                _short(q["commit_forecast"]),
                _short(q["won_plus_weighted"]),
            )
        console.print(table)
        s = scope["summary"]
        if s["quarters"]:
            console.print(_errors_line("mean absolute error", s))
            ref = s.get("reference") or {}
            if ref.get("quarters") and ref["quarters"] < s["quarters"]:
                console.print(_errors_line("with history (the reference method)", ref))
            j = fc.judged(s)
            best = min(j["mae_commit_forecast"], j["mae_won_plus_weighted"])
            if j["mae_p50"] > best:
                console.print("  [yellow]a baseline did better than the projection here[/]")


def _errors_line(label: str, s: dict) -> str:
    return (
        f"  {label}: p50 {_money(s['mae_p50'])}, commit forecast "
        f"{_money(s['mae_commit_forecast'])}, won + weighted "
        f"{_money(s['mae_won_plus_weighted'])}; actual inside \\[p10, p90] in "
        f"{_pct(s['coverage'])} of {s['quarters']} quarter(s)"
    )


def _depths(people: list[dict]) -> dict[str, int]:
    parent = {}
    for p in people:
        for child in p["reports"]:
            parent[child] = p["person"]
    out = {}
    for p in people:
        depth, node = 0, p["person"]
        while node in parent and depth < len(people):
            node = parent[node]
            depth += 1
        out[p["person"]] = depth
    return out


def forecast_command(
    quarter: str,
    as_of: str | None = None,
    team: str | None = None,
    backtest: bool = False,
    as_json: bool = False,
    *,
    scope: Sequence[str] | None = None,
    engine: Engine | None = None,
    console: Console | None = None,
) -> dict:
    """What ``teamcar forecast`` runs: one JSON object on stdout, or readable tables.

    Args:
        quarter: ``2026-Q4``.
        as_of: ``YYYY-MM-DD`` (default: the earlier of today and the quarter's end).
        team: one team's name, or None for all teams in scope.
        backtest: add the backtest of every past quarter at this week.
        as_json: print the JSON object instead of tables.
        scope: teams the caller may see (None: all).
        engine: the store (default: the configured one).
        console: where tables go (default: stdout).

    Returns:
        The JSON-shaped dict (also when printing tables).

    Raises:
        ForecastError: a user-facing problem (print its message, exit non-zero).
    """
    from dashboard.reads.catalog import teams
    from loaders.store.engine import get_engine

    config = load_config()
    engine = engine or get_engine(config.database_url)
    if team is not None:
        known = teams(engine, scope)["team"].tolist()
        if team not in known:
            listed = ", ".join(known) if known else "none loaded"
            raise ForecastError(f"no team named {team!r} (teams: {listed})")
    forecast = forecast_for(engine, quarter, as_of, team, scope=scope, config=config)
    tested = (
        backtest_for(engine, quarter, forecast.as_of, team, scope=scope, config=config)
        if backtest
        else None
    )
    data = forecast_json(forecast, tested)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")
        sys.stdout.flush()
    else:
        render_forecast(data, console or Console())
    return data
