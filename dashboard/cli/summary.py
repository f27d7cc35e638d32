"""``teamcar summary``: every figure of a quarter (docs/metrics.md), as JSON or terminal tables.

The figures come from the standings engine (``dashboard.models.standings.compute_summary``);
``summary_json`` shapes them as one JSON object (the command's ``--json`` contract, also the
form tests compare), ``render_summary`` prints them with rich, ``summary_command`` is what the
CLI calls.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from dashboard.metrics import FIGURE_KEYS, WATERFALL_KEYS
from dashboard.metrics.kpis import COUNT_KEYS
from dashboard.models.standings import DEAL_KEYS, Summary, compute_summary
from loaders.config import load_config

# --- JSON -------------------------------------------------------------------------------------


def _json_value(key: str, value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if np.isnan(value) or np.isinf(value):
            return None
        if key in COUNT_KEYS or key in ("rank", "rank_change"):
            return int(value)
        return float(value)
    return value


def _figures_json(row: dict) -> dict:
    return {k: _json_value(k, row.get(k)) for k in FIGURE_KEYS}


def _rep_order(reps: pd.DataFrame) -> pd.DataFrame:
    key = pd.DataFrame(
        {
            "no_team": reps["team"].isna().to_numpy(),
            "team": reps["team"].astype("object").fillna("").to_numpy(),
            "no_rank": reps["rank"].isna().to_numpy(),
            "rank": reps["rank"].astype("float64").fillna(0).to_numpy(),
            "name": reps.index.to_numpy(),
        }
    )
    order = key.sort_values(["no_team", "team", "no_rank", "rank", "name"], kind="stable").index
    return reps.iloc[order.to_numpy()]


def summary_json(summary: Summary) -> dict:
    """The issue's JSON object: money as plain numbers, ratios as fractions, null if undefined."""
    q = summary.quarter
    out = {
        "quarter": q.name,
        "quarter_start": q.start.isoformat(),
        "quarter_end": q.end.isoformat(),
        "as_of": summary.as_of.isoformat(),
        "since": summary.since.isoformat() if summary.since else None,
        "team": _figures_json(summary.team),
        "reps": [],
    }
    for rep, row in _rep_order(summary.reps).iterrows():
        data = row.to_dict()
        item = {"rep": rep, "team": _json_value("team", data.get("team"))}
        item.update(_figures_json(data))
        item["rank"] = _json_value("rank", data.get("rank"))
        item["rank_change"] = _json_value("rank_change", data.get("rank_change"))
        out["reps"].append(item)
    if summary.since is not None:
        movement = {k: summary.waterfall[k] for k in WATERFALL_KEYS}
        deals = summary.movement[list(DEAL_KEYS)]
        movement["deals"] = [
            {k: _json_value(k, v) for k, v in zip(DEAL_KEYS, row, strict=True)}
            for row in deals.itertuples(index=False, name=None)
        ]
        out["movement"] = movement
    return out


# --- terminal -----------------------------------------------------------------------------------


def _money(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.0f}"


def _pct(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.0%}"


def _num(value, fmt="{:,.0f}") -> str:
    if value is None or pd.isna(value):
        return "—"
    return fmt.format(value)


def render_summary(summary: Summary, console: Console) -> None:
    """Print the summary as tables a sales manager can read."""
    q, t = summary.quarter, summary.team
    who = escape(", ".join(summary.scope)) if summary.scope else "all teams"
    console.print(
        f"[bold]{q.name}[/] ({q.start} to {q.end}) · as of [bold]{summary.as_of}[/] · "
        f"pace {_pct(t['pace'])} · {who}"
    )
    head = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for label in (
        "Quota",
        "Won",
        "Attain.",
        "Pace gap",
        "Open",
        "Coverage",
        "Commit fc.",
        "Best case fc.",
        "Weighted",
        "Win rate",
        "Avg won",
        "Cycle d",
        "Past due",
        "Stale",
        "Need pipe",
        "Need deals",
        "Readiness",
    ):
        head.add_column(label, justify="right")
    head.add_row(
        _money(t["quota"]),
        _money(t["won"]),
        _pct(t["attainment"]),
        _money(t["pace_gap"]),
        _money(t["open_pipeline"]),
        _num(t["coverage"], "{:.1f}x"),
        _money(t["commit_forecast"]),
        _money(t["best_case_forecast"]),
        _money(t["weighted_pipeline"]),
        _pct(t["win_rate"]),
        _money(t["avg_won_deal"]),
        _num(t["cycle_days"]),
        _num(t["past_due_deals"]),
        _num(t["stale_deals"]),
        _money(t["needed_pipeline"]),
        _num(t["needed_deals"]),
        _num(t["readiness_index"]),
    )
    console.print(head)

    table = Table(title="Riders", header_style="bold")
    for label, justify in (
        ("#", "right"),
        ("Δ", "right"),
        ("Rep", "left"),
        ("Team", "left"),
        ("Quota", "right"),
        ("Won", "right"),
        ("Attain.", "right"),
        ("Pace gap", "right"),
        ("Open", "right"),
        ("Cover", "right"),
        ("Commit fc.", "right"),
        ("Win rate", "right"),
        ("Stale", "right"),
        ("Need deals", "right"),
        ("Ready", "right"),
    ):
        table.add_column(label, justify=justify)
    for rep, r in _rep_order(summary.reps).iterrows():
        change = r["rank_change"]
        delta = (
            ""
            if pd.isna(change)
            else (f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "=")
        )
        quota = "no quota" if r["no_quota"] else _money(r["quota"])
        band = r.get("readiness_band")
        colour = {"green": "green", "amber": "yellow", "red": "red"}.get(band, "white")
        ready = _num(r["readiness_index"])
        table.add_row(
            _num(r["rank"]),
            delta,
            escape(str(rep)),
            escape(r["team"] or "Unassigned"),
            quota,
            _money(r["won"]),
            _pct(r["attainment"]),
            _money(r["pace_gap"]),
            _money(r["open_pipeline"]),
            _num(r["coverage"], "{:.1f}x"),
            _money(r["commit_forecast"]),
            _pct(r["win_rate"]),
            _num(r["stale_deals"]),
            _num(r["needed_deals"]),
            f"[{colour}]{ready}[/]",
        )
    console.print(table)

    if summary.since is not None:
        w = summary.waterfall
        fall = Table(title=f"Movement {summary.since} → {summary.as_of}", header_style="bold")
        fall.add_column("", justify="left")
        fall.add_column("Amount", justify="right")
        fall.add_column("Deals", justify="right")
        counts = summary.movement["category"].value_counts()
        signs = {
            "created": "+",
            "pulled_in": "+",
            "increased": "+",
            "decreased": "−",
            "won": "−",
            "lost": "−",
            "pushed_out": "−",
            "removed": "−",
        }
        for key in WATERFALL_KEYS:
            n = "" if key in ("start", "end") else str(int(counts.get(key, 0)))
            fall.add_row(f"{signs.get(key, '')} {key.replace('_', ' ')}".strip(), _money(w[key]), n)
        fall.add_row(
            "[dim]created and won (apart)[/]",
            f"[dim]{_money(w['won_new'])}[/]",
            f"[dim]{int(counts.get('won_new', 0))}[/]",
        )
        console.print(fall)


def summary_command(
    quarter: str,
    as_of: str | None = None,
    since: str | None = None,
    team: str | None = None,
    as_json: bool = False,
    *,
    scope: Sequence[str] | None = None,
    engine: Engine | None = None,
    console: Console | None = None,
) -> dict:
    """What ``teamcar summary`` runs: one JSON object on stdout, or readable tables.

    Args:
        quarter: ``2026-Q4``.
        as_of: ``YYYY-MM-DD`` (default: the earlier of today and the quarter's end).
        since: ``YYYY-MM-DD`` comparison day (adds movement and rank change), or None.
        team: one team's name, or None for all teams in scope.
        as_json: print the JSON object instead of tables.
        scope: teams the caller may see (None: all).
        engine: the store (default: the configured one).
        console: where tables go (default: stdout).

    Returns:
        The JSON-shaped dict (also when printing tables).

    Raises:
        SummaryError: a user-facing problem (print its message, exit non-zero).
    """
    from loaders.store.engine import get_engine

    config = load_config()
    engine = engine or get_engine(config.database_url)
    summary = compute_summary(engine, quarter, as_of, since, team, scope=scope, config=config)
    data = summary_json(summary)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")
        sys.stdout.flush()
    else:
        render_summary(summary, console or Console())
    return data
