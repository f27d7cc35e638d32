"""What the support car (``/support``) shows, and focus share for every view, cached by data version.

A thin adapter like the other models: the deals and figures come from ``summary_for`` (one
all-teams summary per data version, narrowed to the viewer); expert work from
``reads.support.load_expert_work`` and expert support from ``queries.load_expert_support`` (the
Rider's flags read, here over the last four weeks); every number from ``metrics.tactics``.

Focus share is computed once per data version and day for all teams (``focus_table``: the same
all-teams summary, one scoped-to-nobody read of the last 14 days' activities) and narrowed to the
riders of a view (``focus_for``), as ``summary_for`` narrows the summary: the Course, the Rider and
the support car all show the same numbers.

At full size (2,000 reps) the page never carries every row: ``page_of`` slices each table on the
server, and the exports carry them all.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.metrics import attach_reps
from dashboard.metrics import tactics as tx
from dashboard.metrics.frames import DEAL_KEY
from dashboard.models.standings import summary_for
from dashboard.models.trace import Trace
from dashboard.reads import cache, queries
from dashboard.reads import support as reads
from dashboard.urls import ViewState
from loaders.fiscal import Quarter, parse_quarter
from loaders.schema import EXPERT_ROLES

if TYPE_CHECKING:
    from sqlalchemy import Engine

PAGE_SIZE = 25  # rows of each table per page; the exports carry every row
WEEK_COLUMNS = tuple(f"w{k}" for k in range(1, tx.SUPPORT_WEEKS + 1))


# --- focus share ------------------------------------------------------------------------------


@dataclass
class FocusTable:
    """Focus share of every rider of a view on one day, and the activity rows behind it."""

    as_of: dt.date
    shares: pd.DataFrame  # tactics.FOCUS_COLUMNS, one row per rider
    activity: pd.DataFrame  # rep, source, deal_id, n, on_focus, focus_rank (the window's)
    focus: pd.DataFrame  # rep, source, deal_id, focus_rank: each rep's focus list

    def narrowed(self, reps: Sequence[str]) -> FocusTable:
        """The same table for ``reps`` only (team medians stay the whole team's)."""
        keep = set(reps)
        return FocusTable(
            self.as_of,
            self.shares[self.shares["rep"].isin(keep)].reset_index(drop=True),
            self.activity[self.activity["rep"].isin(keep)].reset_index(drop=True),
            self.focus[self.focus["rep"].isin(keep)].reset_index(drop=True),
        )

    def row(self, rep: str) -> dict | None:
        """One rider's focus share as a dict (None when the rider is not in the table)."""
        hit = self.shares[self.shares["rep"].astype("object") == rep]
        return None if hit.empty else hit.iloc[0].to_dict()


def build_focus_table(engine: Engine, quarter: Quarter, as_of: dt.date) -> FocusTable:
    """Focus share for every rider of every team (uncached; see ``focus_table``)."""
    summary = summary_for(engine, quarter, as_of)
    day = summary.as_of
    focus = tx.rep_focus_lists(summary.flags, summary.reps)
    start, end = tx.focus_window(day)
    reps, aliases = queries.load_reps(engine, None, day)
    raw = reads.load_rep_deal_activity(engine, None, start, end, team_day=day)
    raw = attach_reps(raw, aliases, reps)
    activity = (
        raw.groupby(["rep", "source", "deal_id"], dropna=False, sort=False)["n"].sum().reset_index()
    )
    activity = activity[activity["rep"].isin(summary.reps.index)]
    shares = tx.focus_share(activity, focus, summary.reps)
    marked = tx.focus_activity(activity, focus).reset_index(drop=True)
    for col in ("source", "deal_id"):
        marked[col] = marked[col].astype("object").where(marked[col].notna(), None)
    return FocusTable(day, shares, marked, focus)


def focus_table(engine: Engine, quarter: str | Quarter, as_of: dt.date) -> FocusTable:
    """``build_focus_table`` cached under the store's data version (read-only); all teams, so
    it is kept in the store too (``reads.kept``): at 2,000 reps it takes about 10 s to build,
    which a new worker's first Rider visit (its focus badge) or team Course paid."""
    quarter = parse_quarter(quarter) if isinstance(quarter, str) else quarter
    return cache.cached(
        "focus-table",
        engine,
        (quarter.name, as_of.isoformat()),
        lambda: build_focus_table(engine, quarter, as_of),
        keep=(FocusTable,),
    )


def focus_for(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date,
    team: str | None,
    scope: Sequence[str] | None,
) -> FocusTable:
    """Focus share of the riders of a view (``team`` or the viewer's teams), narrowed from the
    all-teams table with no further store read."""
    summary = summary_for(engine, quarter, as_of, None, team, scope=scope)
    return focus_table(engine, quarter, as_of).narrowed(summary.reps.index.tolist())


def rider_focus(
    engine: Engine,
    quarter: str | Quarter,
    as_of: dt.date,
    rep: str,
    team: str | None,
    scope: Sequence[str] | None,
) -> dict | None:
    """One rider's focus share row (None when they are no rider of the view)."""
    return focus_for(engine, quarter, as_of, team, scope).row(rep)


def with_focus(lanes: pd.DataFrame, table: FocusTable, key: str = "lane") -> pd.DataFrame:
    """``lanes`` (one row per rider under ``key``) with ``focus_share``, ``focus_team_median``
    and ``busy_elsewhere`` (rows that are no rider, such as team lanes, get nothing)."""
    shares = table.shares.set_index("rep")
    names = lanes[key].astype("object")
    return lanes.assign(
        focus_share=names.map(shares["focus_share"]).astype("float64").to_numpy(),
        focus_team_median=names.map(shares["team_median"]).astype("float64").to_numpy(),
        busy_elsewhere=names.map(shares["busy_elsewhere"]).fillna(False).astype(bool).to_numpy(),
    )


# --- the support car --------------------------------------------------------------------------


@dataclass
class SupportModel:
    """One view of the support car: the experts, their deals, large deals left alone, focus."""

    quarter: Quarter
    as_of: dt.date
    start: dt.date  # the first day of the four weeks
    team: str | None
    experts: pd.DataFrame  # tactics.expert_summary
    work: pd.DataFrame  # tactics.expert_work: one row per expert and deal
    unsupported: pd.DataFrame  # tactics.unsupported_large_deals
    thresholds: pd.Series  # team -> large from this amount
    focus: FocusTable
    flags: pd.DataFrame  # the view's deals on as_of (for the deal panel)

    @property
    def touched(self) -> pd.DataFrame:
        """The distinct open in-quarter deals any expert worked on in the four weeks."""
        w = self.work[self.work["open_in_quarter"]]
        return w.drop_duplicates(DEAL_KEY).reset_index(drop=True)

    def totals(self) -> dict:
        """The head figures: experts at work, deals they touched and their amount, large deals
        without support and their amount, riders busy elsewhere."""
        touched = self.touched
        return {
            "experts": int((self.experts["activities"] > 0).sum()),
            "experts_listed": int(len(self.experts)),
            "activities": int(self.experts["activities"].sum()),
            "touched_deals": int(len(touched)),
            "touched_amount": int(touched["cents"].sum()) / 100,
            "unsupported_deals": int(len(self.unsupported)),
            "unsupported_amount": int(self.unsupported["cents"].sum()) / 100,
            "busy_elsewhere": int(self.focus.shares["busy_elsewhere"].sum()),
            "riders": int(len(self.focus.shares)),
        }


def _experts_of(reps: pd.DataFrame) -> pd.DataFrame:
    roles = reps["role"].astype("object").fillna("").str.casefold()
    hit = reps[roles.isin([r.casefold() for r in EXPERT_ROLES]).to_numpy()]
    return hit.rename(columns={"rep": "expert"})[["expert", "role", "team"]]


def _kept_when_all_teams(
    name: str, engine: Engine, view: list[str] | None, args: tuple, read
) -> pd.DataFrame:
    """``read()``; for all teams also cached and kept in the store per data version.

    At 2,000 reps the all-teams reads behind the support car (every expert's activities of the
    last four weeks, and which deals they supported) took 14 s, in every worker as it started
    (warming the support car's landing view) and again on every restart. Kept, a worker reads
    them back in a fraction of a second. A team's or a manager's reads are quick and run as asked.
    """
    if view is not None:
        return read()
    return cache.cached(name, engine, args, read, keep=())


def build_support(engine: Engine, state: ViewState, scope: list[str] | None) -> SupportModel:
    """The support car's model for the URL's state (uncached; see ``support_model``)."""
    quarter = parse_quarter(state.quarter)
    summary = summary_for(engine, quarter, state.as_of_day, None, state.team, scope=scope)
    as_of = summary.as_of
    view = [state.team] if state.team else (list(scope) if scope is not None else None)
    start, _ = tx.support_window(as_of)
    days = (start.isoformat(), as_of.isoformat())
    raw = _kept_when_all_teams(
        "support-expert-work",
        engine,
        view,
        days,
        lambda: reads.load_expert_work(engine, view, start, as_of, team_day=as_of),
    )
    raw = raw.assign(week=tx.week_of(raw["activity_date"], as_of).to_numpy())
    work = (
        raw.groupby(["expert", "role", *DEAL_KEY, "week"], sort=False)
        .agg(n=("n", "sum"), last_day=("activity_date", "max"))
        .reset_index()
    )
    deals = tx.expert_work(work, summary.flags)
    reps, _ = queries.load_reps(engine, view, as_of)
    experts = tx.expert_summary(deals, _experts_of(reps))
    thresholds = tx.large_thresholds(summary.flags, summary.riders)
    support = _kept_when_all_teams(
        "support-expert-support",
        engine,
        view,
        days,
        lambda: queries.load_expert_support(engine, view, as_of, team_day=as_of, start=start),
    )
    unsupported = tx.unsupported_large_deals(summary.flags, support, thresholds)
    focus = focus_for(engine, quarter, as_of, state.team, scope)
    return SupportModel(
        quarter,
        as_of,
        start,
        state.team,
        experts,
        deals,
        unsupported,
        thresholds,
        focus,
        summary.flags,
    )


def support_model(engine: Engine, state: ViewState, scope: list[str] | None) -> SupportModel:
    """The view's model, cached under the store's data version (read-only)."""
    args = (state.quarter, state.as_of, state.team, tuple(scope) if scope is not None else None)
    return cache.cached("support-model", engine, args, lambda: build_support(engine, state, scope))


# --- tables, pages, exports -------------------------------------------------------------------

# (column, header) of each table as exported; the grids show the same fields.
EXPERT_EXPORT = (
    ("expert", "Expert"),
    ("role", "Role"),
    ("team", "Team"),
    ("deals", "Deals worked (4 weeks)"),
    ("activities", "Activities (4 weeks)"),
    ("per_week", "Activities per week"),
    ("w1", "Week 1"),
    ("w2", "Week 2"),
    ("w3", "Week 3"),
    ("w4", "Week 4 (to as-of)"),
    ("open_deals", "Open in-quarter deals touched"),
    ("open_amount", "Open in-quarter amount touched"),
    ("last_day", "Last activity"),
)
WORK_EXPORT = (
    ("expert", "Expert"),
    ("role", "Role"),
    ("deal_name", "Deal"),
    ("account", "Account"),
    ("rep", "Rep"),
    ("team", "Team"),
    ("activities", "Activities (4 weeks)"),
    ("last_day", "Last activity"),
    ("amount", "Amount"),
    ("stage", "Stage"),
    ("close_date", "Close date"),
    ("open_in_quarter", "Open in quarter"),
    ("source", "Source"),
    ("deal_id", "Deal id"),
)
UNSUPPORTED_EXPORT = (
    ("deal_name", "Deal"),
    ("account", "Account"),
    ("rep", "Rep"),
    ("team", "Team"),
    ("amount", "Amount"),
    ("threshold", "Large from"),
    ("stage", "Stage"),
    ("forecast_category", "Forecast category"),
    ("close_date", "Close date"),
    ("source", "Source"),
    ("deal_id", "Deal id"),
)
FOCUS_EXPORT = (
    ("rep", "Rep"),
    ("team", "Team"),
    ("focus_share", "Focus share"),
    ("team_median", "Team median"),
    ("busy_elsewhere", "Busy elsewhere"),
    ("on_focus", "Activities on focus deals"),
    ("activities", "Activities (14 days)"),
    ("focus_deals", "Deals on the focus list"),
    ("gap", "Gap to quota"),
    ("why_none", "No share because"),
)
TABLES = {
    "experts": EXPERT_EXPORT,
    "work": WORK_EXPORT,
    "unsupported": UNSUPPORTED_EXPORT,
    "focus": FOCUS_EXPORT,
}
TABLE_TITLES = {
    "experts": "Experts",
    "work": "Expert work by deal",
    "unsupported": "Large deals without expert support",
    "focus": "Focus share",
}


def focus_rows(model: SupportModel) -> pd.DataFrame:
    """The focus table in the order the page lists it: busy elsewhere first, then by share
    (lowest first), riders without a share last."""
    df = model.focus.shares
    return df.sort_values(
        ["busy_elsewhere", "focus_share", "rep"],
        ascending=[False, True, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)


def table(model: SupportModel, name: str) -> pd.DataFrame:
    """One of the page's tables, every row, in the page's order (``TABLES`` names)."""
    if name == "experts":
        return model.experts
    if name == "work":
        return model.work
    if name == "unsupported":
        return model.unsupported
    if name == "focus":
        return focus_rows(model)
    raise KeyError(name)


def export_table(model: SupportModel, name: str) -> pd.DataFrame:
    """``table`` with the export's columns and headers (dates as days)."""
    spec = TABLES[name]
    df = table(model, name)
    out = pd.DataFrame({header: df.get(col) for col, header in spec}, index=df.index)
    for col, header in spec:
        if col in ("last_day", "close_date") and col in df:
            out[header] = pd.to_datetime(df[col]).dt.date.astype("object")
    return out


def pages(total: int, size: int = PAGE_SIZE) -> int:
    """Pages of ``size`` rows ``total`` rows fill (at least one)."""
    return max(1, math.ceil(total / size))


def page_of(df: pd.DataFrame, page: int | None, size: int = PAGE_SIZE) -> tuple[pd.DataFrame, int]:
    """Rows of page ``page`` (1-based, clamped to the pages there are) and that page."""
    last = pages(len(df), size)
    page = min(max(1, int(page or 1)), last)
    return df.iloc[(page - 1) * size : page * size], page


def deal_record(model: SupportModel, source: str, deal_id: str) -> dict | None:
    """One deal of the view (None when it is not among the viewer's deals)."""
    f = model.flags
    hit = f[(f["source"].astype(str) == str(source)) & (f["deal_id"].astype(str) == str(deal_id))]
    return None if hit.empty else hit.iloc[0].to_dict()


# --- rows behind ------------------------------------------------------------------------------


def expert_trace(model: SupportModel, expert: str, key: str = "activities") -> Trace | None:
    """The deals behind an expert's figure: ``activities`` (every deal they worked on, adding up
    to their activity count) or ``open_amount`` (the open in-quarter ones, adding up to the
    amount they touch)."""
    rows = model.work[model.work["expert"].astype("object") == expert]
    if expert not in set(model.experts["expert"]):
        return None
    if key == "open_amount":
        rows = rows[rows["open_in_quarter"]]
        return Trace(
            key,
            f"{expert} · open in-quarter amount touched",
            "deals",
            rows.reset_index(drop=True),
            int(rows["cents"].sum()) / 100,
            len(rows),
            note="Open deals closing in the quarter with an activity of theirs in the four weeks",
        )
    return Trace(
        "activities",
        f"{expert} · activities on the deals of this view",
        "deals",
        rows.reset_index(drop=True),
        None,
        len(rows),
        note=f"{int(rows['activities'].sum()):,} activities in the four weeks, by deal",
    )


def totals_trace(model: SupportModel, key: str) -> Trace | None:
    """The rows behind a head figure (``touched_amount``, ``unsupported_amount``)."""
    if key == "touched_amount":
        rows = model.touched
        return Trace(
            key,
            "Open in-quarter deals with expert work",
            "deals",
            rows,
            int(rows["cents"].sum()) / 100,
            len(rows),
            note="Each deal once, whoever of the experts worked on it",
        )
    if key == "unsupported_amount":
        rows = model.unsupported
        return Trace(
            key,
            "Large deals without expert support",
            "deals",
            rows,
            int(rows["cents"].sum()) / 100,
            len(rows),
            note="Open in-quarter deals of at least 2 × their team's average won deal, with no "
            "expert activity in the four weeks",
        )
    return None


def focus_trace(table_: FocusTable, rep: str) -> Trace | None:
    """A rider's activities of the 14 days by deal, marked on or off their focus list: the
    ``n`` of the rows add up to their activities, those ``on_focus`` to the share's numerator."""
    row = table_.row(rep)
    if row is None:
        return None
    rows = table_.activity[table_.activity["rep"].astype("object") == rep]
    rows = rows.sort_values(["on_focus", "n"], ascending=[False, False], kind="stable")
    return Trace(
        "focus_share",
        f"{rep} · focus share",
        "activity",
        rows.reset_index(drop=True),
        None,
        len(rows),
        note=f"{int(rows.loc[rows['on_focus'], 'n'].sum())} of {int(rows['n'].sum())} "
        "activities on deals of their focus list",
    )


__all__ = [
    "PAGE_SIZE",
    "TABLES",
    "FocusTable",
    "SupportModel",
    "build_focus_table",
    "build_support",
    "deal_record",
    "expert_trace",
    "export_table",
    "focus_for",
    "focus_rows",
    "focus_table",
    "focus_trace",
    "page_of",
    "pages",
    "rider_focus",
    "support_model",
    "table",
    "totals_trace",
    "with_focus",
]
