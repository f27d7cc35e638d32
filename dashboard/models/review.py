"""What the Review (weekly pipeline meeting) shows, read through the metrics engine and cached.

A thin adapter like ``course_model``: every number comes from ``summary_for`` (scoped
queries and ``dashboard.metrics``) between "since" and "now"; push counts from
``queries.load_close_date_changes`` and ``metrics.push_counts``. This module picks the days,
shapes the results into the waterfall, the moved deals, the roll-up by rep and the focus list,
and caches them under the store's data version.

"Since" and "now" default to the last two snapshots a week apart: the latest snapshot on or before
the quarter's default day, and the latest one at least seven days before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard import urls
from dashboard.metrics import push_counts
from dashboard.metrics.frames import DEAL_KEY
from dashboard.metrics.tactics import deals_to_gap, focus_order
from dashboard.models.kinds import CATEGORY_LABEL
from dashboard.models.standings import summary_for
from dashboard.models.trace import MOVE_LABEL
from dashboard.reads import cache, queries
from loaders import clock
from loaders.fiscal import Quarter, parse_quarter

if TYPE_CHECKING:
    from sqlalchemy import Engine

GRID_ROW_LIMIT = 1_000  # moved deals sent to the browser; the export carries them all
FOCUS_MIN, FOCUS_MAX = 15, 100
ROLLUP_KEYS = (
    "quota",
    "won",
    "commit",
    "best_case",
    "commit_forecast",
    "best_case_forecast",
    "open_pipeline",
    "weighted_pipeline",
    "attainment",
)
# The moved-deals table as exported (and, with a few display columns, as the grid shows it).
EXPORT_COLUMNS = (
    ("deal_name", "Deal"),
    ("account", "Account"),
    ("rep", "Rep"),
    ("team", "Team"),
    ("movement", "Movement"),
    ("amount_since", "Amount then"),
    ("amount_now", "Amount now"),
    ("change", "Change"),
    ("close_date_since", "Close date then"),
    ("close_date_now", "Close date now"),
    ("close_moved_days", "Close date moved (days)"),
    ("stage_since", "Stage then"),
    ("stage_now", "Stage now"),
    ("forecast_category_since", "Category then"),
    ("forecast_category_now", "Category now"),
    ("rep_since", "Owner then"),
    ("rep_now", "Owner now"),
    ("push_count", "Times pushed"),
    ("source", "Source"),
    ("deal_id", "Deal id"),
)


@dataclass
class ReviewModel:
    """One review: the days compared, the team's figures, and what moved between the days."""

    quarter: Quarter
    as_of: dt.date  # "now"
    since: dt.date  # "since"
    team: str | None
    figures: dict  # the team's figures on ``as_of``
    waterfall: dict  # WATERFALL_KEYS + won_new (money)
    movement: pd.DataFrame  # every deal of SA or SB (+ created and won), with pushes
    reps: pd.DataFrame  # per rider: team + figures (index rep)
    flags: pd.DataFrame  # the as_of deals with what each counts towards
    riders: list[str]
    view: list[str] | None = None  # the teams read (the team shown, else the scope)


# --- days -------------------------------------------------------------------------------------


def snapshot_days(engine: Engine) -> list[dt.date]:
    """Every day a pipeline snapshot was taken (any source), oldest first."""
    batches = queries.pipeline_batches(engine)
    if batches.empty:
        return []
    days = batches["as_of"].dt.normalize().drop_duplicates().sort_values()
    return [d.date() for d in days]


def resolve_days(
    query: Mapping[str, object],
    days: Sequence[dt.date],
    quarter: str | Quarter,
    today: dt.date | None = None,
) -> tuple[dt.date, dt.date]:
    """The review's (now, since) from the URL's ``as_of`` and ``since``, defaults filled in.

    Args:
        query: the URL's query (``as_of``, ``since`` as ``YYYY-MM-DD`` when given).
        days: snapshot days in the store, oldest first.
        quarter: the quarter under review (``2026-Q4`` or a ``Quarter``).
        today: the clock's today.

    Returns:
        ``now``: the URL's day, else the latest snapshot on or before the quarter's default day
        (the earlier of today and its end), else that day. ``since``: the URL's day when before
        ``now``, else the latest snapshot at least seven days before ``now``, else the latest
        snapshot before it, else a week before it.
    """
    today = today or clock.today()
    limit = urls.resolve_period(quarter, today=today).as_of
    now = urls.parse_day(query.get("as_of"))
    if now is None:
        before = [d for d in days if d <= limit]
        now = before[-1] if before else limit
    since = urls.parse_day(query.get("since"))
    if since is None or since >= now:
        week = [d for d in days if d <= now - dt.timedelta(days=7)]
        earlier = [d for d in days if d < now]
        since = week[-1] if week else earlier[-1] if earlier else now - dt.timedelta(days=7)
    return now, since


def day_options(
    days: Sequence[dt.date],
    quarter: Quarter,
    chosen: Sequence[dt.date],
    today: dt.date | None = None,
) -> list[dt.date]:
    """Days to offer in the pickers: snapshots from two weeks before the quarter to its end (and
    not after today), plus the days chosen; newest first."""
    today = today or clock.today()
    lo = quarter.start - dt.timedelta(days=14)
    hi = min(quarter.end, today)
    offered = {d for d in days if lo <= d <= hi} | set(chosen)
    return sorted(offered, reverse=True)


# --- the model --------------------------------------------------------------------------------


def build_review(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date,
    since: dt.date,
    team: str | None,
    scope: Sequence[str] | None,
) -> ReviewModel:
    """Compute the review (uncached; see ``review_model``)."""
    quarter = parse_quarter(quarter) if isinstance(quarter, str) else quarter
    summary = summary_for(engine, quarter, as_of, since, team, scope=scope)
    riders = [str(r) for r in summary.reps.index]
    view = [team] if team else (list(scope) if scope is not None else None)
    return ReviewModel(
        quarter,
        summary.as_of,
        summary.since,
        team,
        dict(summary.team),
        dict(summary.waterfall),
        summary.movement,
        summary.reps,
        summary.flags,
        riders,
        view,
    )


def review_model(
    engine: Engine,
    quarter: str,
    as_of: dt.date,
    since: dt.date,
    team: str | None,
    scope: Sequence[str] | None,
) -> ReviewModel:
    """The review, cached under the store's data version (read-only: copy to change)."""
    args = (
        quarter,
        as_of.isoformat(),
        since.isoformat(),
        team,
        tuple(scope) if scope is not None else None,
    )
    return cache.cached(
        "review-model",
        engine,
        args,
        lambda: build_review(engine, quarter, as_of, since, team, scope),
    )


def push_counts_for(engine: Engine, model: ReviewModel, deals: pd.DataFrame) -> pd.DataFrame:
    """``source, deal_id, push_count`` (docs/metrics.md) of ``deals``, cached by data version.

    Only the deals asked for are read (the rows on screen, or every moved deal for an export):
    at 2,000 reps a week moves tens of thousands of deals, and their history costs seconds.
    """
    ids = sorted(deals["deal_id"].astype(str).unique())
    if not ids:
        return pd.DataFrame({"source": [], "deal_id": [], "push_count": []})

    def compute() -> pd.DataFrame:
        snaps, history = queries.load_close_date_changes(
            engine, model.view, model.as_of, deal_ids=ids, team_day=model.as_of
        )
        exported = model.flags[[*DEAL_KEY, "push_count"]]
        exported = exported[exported["deal_id"].astype(str).isin(ids)]
        return push_counts(snaps, history, model.as_of, exported)[[*DEAL_KEY, "push_count"]]

    key = (
        model.quarter.name,
        model.as_of.isoformat(),
        model.team,
        tuple(model.view) if model.view is not None else None,
        tuple(ids),
    )
    return cache.cached("review-pushes", engine, key, compute)


# --- tables -----------------------------------------------------------------------------------


def moved_deals(
    model: ReviewModel, engine: Engine | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Every deal that moved between the days (unchanged ones left out), largest change first.

    Args:
        model: the review.
        engine: the store, to add each deal's ``push_count`` (None: left empty).
        limit: keep the ``limit`` largest changes (None: all).

    Returns:
        The keys of ``EXPORT_COLUMNS``. ``change`` is what the deal did to the pipeline of the
        quarter (arrivals +, departures −, amount changes by their difference), so the changes
        add up to ``end − start`` (created-and-won deals, shown apart, add 0).
    """
    m = model.movement[model.movement["category"] != "unchanged"].copy()
    cat = m["category"]
    since_amt = m["amount_since"].astype("float64")
    now_amt = m["amount_now"].astype("float64")
    change_cents = np.select(
        [
            cat.isin(["created", "pulled_in"]),
            cat.isin(["increased", "decreased"]),
            cat.isin(["won", "lost", "pushed_out", "removed"]),
        ],
        [m["cents_now"], m["delta_cents"], -m["cents_since"]],
        default=0,
    )
    m["change"] = change_cents / 100
    m["movement"] = cat.map(MOVE_LABEL).fillna(cat)
    m["amount_since"] = since_amt
    m["amount_now"] = now_amt
    close_a = pd.to_datetime(m["close_date_since"])
    close_b = pd.to_datetime(m["close_date_now"])
    m["close_moved_days"] = (close_b - close_a).dt.days.astype("Int64")
    for col in ("close_date_since", "close_date_now"):
        m[col] = pd.to_datetime(m[col]).dt.date.astype("object")
        m[col] = m[col].where(pd.notna(m[col]), None)
    m["_abs"] = np.abs(change_cents)
    m = m.sort_values(["_abs", "deal_id"], ascending=[False, True], kind="stable")
    if limit is not None:
        m = m.head(limit)
    m["push_count"] = pd.Series(pd.NA, index=m.index, dtype="Int64")
    if engine is not None and len(m):
        pushes = push_counts_for(engine, model, m)
        m = m.drop(columns="push_count").merge(pushes, on=DEAL_KEY, how="left")
        m["push_count"] = m["push_count"].astype("Int64")
    cols = [c for c, _ in EXPORT_COLUMNS]
    out = m.reindex(columns=cols)
    for col in (
        "deal_name",
        "account",
        "rep",
        "team",
        "stage_since",
        "stage_now",
        "forecast_category_since",
        "forecast_category_now",
        "rep_since",
        "rep_now",
        "source",
        "deal_id",
    ):
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    return out.reset_index(drop=True)


def export_table(moved: pd.DataFrame) -> pd.DataFrame:
    """The moved deals with the export's headers (what CSV and XLSX files hold)."""
    return moved[[c for c, _ in EXPORT_COLUMNS]].rename(columns=dict(EXPORT_COLUMNS))


def grid_records(moved: pd.DataFrame, limit: int = GRID_ROW_LIMIT) -> list[dict]:
    """Rows for the moved-deals grid: JSON-ready values, dates as ISO text (which sorts right)."""
    shown = moved.head(limit)
    records = []
    for row in shown.to_dict("records"):
        rec = {}
        for k, v in row.items():
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                rec[k] = None
            elif isinstance(v, dt.date):
                rec[k] = v.isoformat()
            elif isinstance(v, np.integer):
                rec[k] = int(v)
            elif isinstance(v, np.floating):
                rec[k] = float(v)
            else:
                rec[k] = v
        rec["stage"] = _pair(rec.get("stage_since"), rec.get("stage_now"))
        rec["category"] = _pair(
            _cat(rec.get("forecast_category_since")), _cat(rec.get("forecast_category_now"))
        )
        rec["owner"] = _pair(rec.get("rep_since"), rec.get("rep_now"))
        records.append(rec)
    return records


def _cat(value: object) -> object:
    return CATEGORY_LABEL.get(value, value) if value is not None else None


def _pair(then: object, now: object) -> str:
    """``Proposal → Negotiation`` when a field changed, else its one value."""
    a = None if then is None else str(then)
    b = None if now is None else str(now)
    if a == b or a is None:
        return b or ""
    if b is None:
        return f"{a} → (gone)"
    return f"{a} → {b}"


def rollup(model: ReviewModel) -> pd.DataFrame:
    """The forecast roll-up by rep: won, commit, best case, pipeline, against quota.

    Returns:
        One row per rider (``rep``, ``team`` and ``ROLLUP_KEYS`` plus ``no_quota`` and
        ``forecast_vs_quota`` = commit forecast ÷ quota), team then commit forecast order.
    """
    r = model.reps
    out = r[[c for c in ("team", *ROLLUP_KEYS, "no_quota") if c in r.columns]].copy()
    out.insert(0, "rep", out.index.astype(str))
    out = out.reset_index(drop=True)
    quota = out["quota"].astype("float64")
    out["forecast_vs_quota"] = (out["commit_forecast"] / quota).where(quota > 0)
    out["team"] = out["team"].astype("object").where(out["team"].notna(), None)
    out = out.sort_values(
        ["team", "commit_forecast", "rep"],
        ascending=[True, False, True],
        na_position="last",
        kind="stable",
    )
    return out.reset_index(drop=True)


def rollup_total(model: ReviewModel) -> dict:
    """The roll-up's total row: the team's figures (from totals, never averaged)."""
    f = model.figures
    quota = f.get("quota") or 0
    total = {k: f.get(k) for k in ROLLUP_KEYS}
    total.update(
        rep="Total",
        team=model.team or "All teams",
        forecast_vs_quota=(f["commit_forecast"] / quota) if quota else None,
    )
    return total


def focus_list(model: ReviewModel, limit: int | None = None) -> tuple[pd.DataFrame, dict]:
    """The deals that decide the quarter: open in-quarter deals by amount × probability.

    Args:
        model: the review.
        limit: rows to return (default: enough to close the gap, at least ``FOCUS_MIN`` and at
            most ``FOCUS_MAX``).

    Returns:
        (rows, info). Rows: ``rank, deal_name, account, rep, team, stage, forecast_category,
        close_date, probability, amount, weighted, running_amount, running_weighted,
        closes_gap`` (True from the deal whose running amount reaches the gap).
        Info: ``gap`` (quota − won, at least 0; None without quota), ``deals`` (open in-quarter
        deals in all), ``deals_to_gap`` (how many of the top deals it takes, None if all of
        them do not), ``open_pipeline``.
    """
    f = model.flags
    mask = f["open_in_quarter"].to_numpy(dtype=bool) & f["rep"].isin(model.riders).to_numpy()
    deals = focus_order(f.loc[mask])
    quota = model.figures.get("quota")
    won = model.figures.get("won") or 0.0
    gap = max(0.0, float(quota) - float(won)) if quota else None
    running = deals["cents"].cumsum() / 100
    reach = deals_to_gap(deals["cents"], gap)
    if limit is None:
        limit = min(FOCUS_MAX, max(FOCUS_MIN, (reach or 0) + 3))
    top = deals.head(limit)
    rows = pd.DataFrame(
        {
            "rank": np.arange(1, len(top) + 1),
            "deal_name": top["deal_name"].astype("object"),
            "account": top["account"].astype("object"),
            "rep": top["rep"].astype("object"),
            "team": top["team"].astype("object"),
            "stage": top["stage"].astype("object"),
            "forecast_category": top["forecast_category"].astype("object"),
            "close_date": pd.to_datetime(top["close_date"]).dt.date.astype("object"),
            "probability": top["probability"].astype("float64"),
            "amount": top["amount"].astype("float64"),
            "weighted": top["weighted"].astype("float64"),
            "running_amount": running.head(limit).to_numpy(),
            "running_weighted": top["weighted"].astype("float64").cumsum().to_numpy(),
            "past_due": top["past_due"].astype(bool),
            "source": top["source"].astype("object"),
            "deal_id": top["deal_id"].astype("object"),
        }
    ).reset_index(drop=True)
    rows["closes_gap"] = (rows["rank"] >= reach) if reach else False
    for col in rows.columns:
        if rows[col].dtype == object:
            rows[col] = rows[col].where(rows[col].notna(), None)
    info = {
        "gap": gap,
        "deals": int(len(deals)),
        "deals_to_gap": reach,
        "open_pipeline": model.figures.get("open_pipeline"),
    }
    return rows, info


__all__ = [
    "EXPORT_COLUMNS",
    "GRID_ROW_LIMIT",
    "ReviewModel",
    "build_review",
    "day_options",
    "export_table",
    "focus_list",
    "grid_records",
    "moved_deals",
    "push_counts_for",
    "resolve_days",
    "review_model",
    "rollup",
    "rollup_total",
    "snapshot_days",
]
