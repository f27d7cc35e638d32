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
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from sqlalchemy import Engine

from dashboard.cli.tables import Column, make_table, print_at_natural_width, print_fitted
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


# label, key, format: the team's figures, stacked to the terminal's width (all of them with --wide)
TEAM_FIGURES = (
    ("Quota", "quota", "money"),
    ("Won", "won", "money"),
    ("Attain.", "attainment", "pct"),
    ("Pace gap", "pace_gap", "money"),
    ("Open", "open_pipeline", "money"),
    ("Coverage", "coverage", "times"),
    ("Commit fc.", "commit_forecast", "money"),
    ("Best case fc.", "best_case_forecast", "money"),
    ("Weighted", "weighted_pipeline", "money"),
    ("Win rate", "win_rate", "pct"),
    ("Avg won", "avg_won_deal", "money"),
    ("Cycle d", "cycle_days", "num"),
    ("Past due", "past_due_deals", "num"),
    ("Stale", "stale_deals", "num"),
    ("Need pipe", "needed_pipeline", "money"),
    ("Need deals", "needed_deals", "num"),
    ("Readiness", "readiness_index", "num"),
)
# The riders' columns after #, Δ, Rep and Team: (header, key, format, priority), priority being the
# order in which they claim the terminal's width (lower first); the rest go to a continued table.
RIDER_FIGURES = (
    ("Quota", "quota", "money", 4),
    ("Won", "won", "money", 3),
    ("Attain.", "attainment", "pct", 1),
    ("Pace gap", "pace_gap", "money", 2),
    ("Open", "open_pipeline", "money", 6),
    ("Cover", "coverage", "times", 7),
    ("Commit fc.", "commit_forecast", "money", 9),
    ("Win rate", "win_rate", "pct", 10),
    ("Stale", "stale_deals", "num", 12),
    ("Need deals", "needed_deals", "num", 13),
    ("Ready", "readiness_index", "num", 11),
)
# With --wide: every figure of docs/metrics.md for each rider.
WIDE_RIDER_FIGURES = (
    ("Quota", "quota", "money"),
    ("Won", "won", "money"),
    ("Attain.", "attainment", "pct"),
    ("Pace", "pace", "pct"),
    ("Pace gap", "pace_gap", "money"),
    ("Open", "open_pipeline", "money"),
    ("Past due", "past_due_deals", "num"),
    ("Commit", "commit", "money"),
    ("Best case", "best_case", "money"),
    ("Commit fc.", "commit_forecast", "money"),
    ("Best case fc.", "best_case_forecast", "money"),
    ("Weighted", "weighted_pipeline", "money"),
    ("Cover", "coverage", "times"),
    ("Win rate", "win_rate", "pct"),
    ("Avg won", "avg_won_deal", "money"),
    ("Cycle d", "cycle_days", "num"),
    ("Velocity/d", "velocity", "money"),
    ("Stale", "stale_deals", "num"),
    ("Need pipe", "needed_pipeline", "money"),
    ("Need deals", "needed_deals", "num"),
    ("Ready", "readiness_index", "num"),
)
FORMATS = {"money": _money, "pct": _pct, "num": _num, "times": lambda v: _num(v, "{:.1f}x")}
BAND_STYLE = {"green": "green", "amber": "yellow", "red": "red"}
PAIR_GAP = 3  # spaces between two stacked figures on a line


def _figure(value, fmt: str) -> str:
    return FORMATS[fmt](value)


def stacked_figures(pairs: Sequence[tuple[str, str]], width: int) -> list[Text]:
    """``label value`` pairs laid out in as many columns as fit ``width`` (at least one), each
    label left and each value right in its column: the team's figures on a narrow terminal."""
    label_w = max(cell_len(label) for label, _ in pairs)
    value_w = max(cell_len(value) for _, value in pairs)
    cell_w = label_w + 1 + value_w
    per_line = max(1, (width + PAIR_GAP) // (cell_w + PAIR_GAP))
    lines = []
    for start in range(0, len(pairs), per_line):
        line = Text()
        for n, (label, value) in enumerate(pairs[start : start + per_line]):
            if n:
                line.append(" " * PAIR_GAP)
            line.append(label.ljust(label_w), style="bold")
            line.append(" " + value.rjust(value_w))
        lines.append(line)
    return lines


def _rank_delta(change) -> str:
    if pd.isna(change):
        return ""
    change = int(change)
    return f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "="


def _rider_rows(
    summary: Summary, figures: Sequence[tuple], team_headings: bool
) -> list[list[Text]]:
    """Cells per rider: Rep, #, Δ, then Team (unless ``team_headings``: a row naming each team
    above its riders instead), then ``figures``."""
    rows = []
    team = None
    for n, (rep, r) in enumerate(_rep_order(summary.reps).iterrows()):
        band = r.get("readiness_band")
        name = str(r["team"] or "Unassigned")
        if team_headings and (n == 0 or name != team):
            rows.append([Text(name, style="bold"), *(Text("") for _ in range(2 + len(figures)))])
        team = name
        row = [Text(str(rep)), Text(_num(r["rank"])), Text(_rank_delta(r["rank_change"]))]
        if not team_headings:
            row.append(Text(name))
        for _, key, fmt, *_ in figures:
            if key == "quota" and r["no_quota"]:
                row.append(Text("no quota"))
            elif key == "readiness_index":
                row.append(Text(_figure(r[key], fmt), style=BAND_STYLE.get(band, "")))
            else:
                row.append(Text(_figure(r[key], fmt)))
        rows.append(row)
    return rows


def render_summary(summary: Summary, console: Console, wide: bool = False) -> None:
    """Print the summary as tables a sales manager can read, within the console's width.

    The team's figures are stacked in as many columns as fit; the riders, under a heading per
    team, keep the columns that fit (attainment and pace gap first) and continue with the rest
    in a second table, so no cell is cut and no line is wider than the terminal. With ``wide``
    the team's figures are one row and the riders' table carries every figure (and a Team
    column), at its natural width.
    """
    q, t = summary.quarter, summary.team
    who = escape(", ".join(summary.scope)) if summary.scope else "all teams"
    console.print(
        f"[bold]{q.name}[/] ({q.start} to {q.end}) · as of [bold]{summary.as_of}[/] · "
        f"pace {_pct(t['pace'])} · {who}"
    )
    team_cells = [(label, _figure(t[key], fmt)) for label, key, fmt in TEAM_FIGURES]
    if wide:
        head = make_table(
            [Column(label) for label, _ in team_cells], [[value for _, value in team_cells]]
        )
        print_at_natural_width(console, head)
    else:
        heading = ", ".join(summary.scope) if summary.scope else "All teams"
        console.print(Text(heading, style="bold underline"))
        for line in stacked_figures(team_cells, console.width):
            console.print(line, overflow="fold")
    console.print()

    rider_figures = WIDE_RIDER_FIGURES if wide else RIDER_FIGURES
    columns = [
        Column("Rep", "left", 0),
        Column("#", "right", 0),
        Column("Δ", "right", 5),
        *([Column("Team", "left", 8)] if wide else []),
        *(
            Column(header, "right", spec[0] if spec else 100)
            for header, _, _, *spec in rider_figures
        ),
    ]
    # Narrow: the riders under a heading row per team (a column fewer); the rep and rank lead
    # every part of a table split to fit.
    rows = _rider_rows(summary, rider_figures, team_headings=not wide)
    print_fitted(console, columns, rows, "Riders", keys=2, wide=wide)

    if summary.since is not None:
        w = summary.waterfall
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
        rows = []
        for key in WATERFALL_KEYS:
            n = "" if key in ("start", "end") else str(int(counts.get(key, 0)))
            label = f"{signs.get(key, '')} {key.replace('_', ' ')}".strip()
            rows.append([Text(label), Text(_money(w[key])), Text(n)])
        rows.append(
            [
                Text("created and won (apart)", style="dim"),
                Text(_money(w["won_new"]), style="dim"),
                Text(str(int(counts.get("won_new", 0))), style="dim"),
            ]
        )
        console.print()
        print_fitted(
            console,
            [Column("", "left", 0), Column("Amount"), Column("Deals")],
            rows,
            f"Movement {summary.since} → {summary.as_of}",
            wide=wide,
        )


def summary_command(
    quarter: str,
    as_of: str | None = None,
    since: str | None = None,
    team: str | None = None,
    as_json: bool = False,
    *,
    wide: bool = False,
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
        wide: tables with every figure at their natural width, wider than the terminal if need
            be (default: what fits the console's width, the rest in continued tables).
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
        render_summary(summary, console or Console(), wide=wide)
    return data
