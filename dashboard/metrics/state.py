"""Deal state on a day: which snapshot counts, field history replay, and who owns what.

docs/metrics.md#as_of-and-the-snapshot-in-force: for each source, the snapshot used for a day is the latest one of that source taken
on or before it, so a deal is absent only when its own source dropped it. When a source's field
history is loaded, it refines that picture: changes dated after the
snapshot and on or before the day are applied to the snapshot's deals, and deals the next
snapshot holds that were created on or before the day (or that no earlier snapshot saw) are taken
from it with the changes after the day undone. A change is applied once, from one side, so no
movement is counted twice.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.metrics.frames import (
    DEAL_KEY,
    HISTORY_COLUMNS,
    SNAPSHOT_COLUMNS,
    conform,
    empty,
    ts,
)
from loaders.identity import name_key

# Field history names -> the snapshot column each one sets.
HISTORY_FIELDS = ("close_date", "amount", "stage", "forecast_category", "owner", "probability")


def snapshot_dates_at(snapshots: pd.DataFrame, day: dt.date) -> dict[str, pd.Timestamp]:
    """For each source, the date of its latest snapshot on or before ``day``."""
    day = ts(day)
    dates = snapshots.loc[snapshots["snapshot_date"] <= day, ["source", "snapshot_date"]]
    return dates.groupby("source")["snapshot_date"].max().to_dict()


def deal_state_at(
    snapshots: pd.DataFrame,
    day: dt.date,
    history: pd.DataFrame | None = None,
    history_reach: dict[str, dt.date] | None = None,
) -> pd.DataFrame:
    """Every deal as it stood on ``day``: one row per (source, deal_id).

    Args:
        snapshots: snapshot rows (``SNAPSHOT_COLUMNS``) of one or more snapshot dates.
        day: the day asked for.
        history: field history (``HISTORY_COLUMNS``), when loaded; refines the snapshot picture.
        history_reach: source -> last day its loaded history covers (default: the last change
            in ``history`` of each source). A later snapshot is rolled back only within it.

    Returns:
        The snapshot rows in force on ``day`` (history applied), with ``snapshot_date`` kept.
    """
    snapshots = conform(snapshots, SNAPSHOT_COLUMNS)
    day = ts(day)
    chosen = snapshot_dates_at(snapshots, day)
    parts = []
    for source, snap_day in chosen.items():
        rows = snapshots[(snapshots["source"] == source) & (snapshots["snapshot_date"] == snap_day)]
        parts.append(rows)
    base = pd.concat(parts, ignore_index=True) if parts else empty(SNAPSHOT_COLUMNS)
    if history is None:
        return base.reset_index(drop=True)
    history = conform(history, HISTORY_COLUMNS)
    if history_reach is None:
        history_reach = history.groupby("source")["changed_at"].max().dt.normalize().to_dict()
    reach = {s: ts(d) for s, d in history_reach.items()}
    out = [base[~base["source"].isin(list(reach))]]
    for source in sorted(reach):
        own = snapshots[snapshots["source"] == source]
        hist = history[history["source"] == source]
        out.append(_state_with_history(own, hist, day, chosen.get(source), reach[source]))
    return pd.concat(out, ignore_index=True)


def _state_with_history(
    snapshots: pd.DataFrame,
    history: pd.DataFrame,
    day: pd.Timestamp,
    base_day: pd.Timestamp | None,
    covered_to: pd.Timestamp,
) -> pd.DataFrame:
    statuses = stage_status_map(snapshots)
    parts = []
    known: set = set()
    if base_day is not None:
        base = snapshots[snapshots["snapshot_date"] == base_day]
        parts.append(roll_forward(base, history, base_day, day, statuses))
        known = set(base["deal_id"])
    later = snapshots.loc[snapshots["snapshot_date"] > day, "snapshot_date"]
    if not later.empty and later.min() <= covered_to:
        nxt_day = later.min()
        nxt = snapshots[(snapshots["snapshot_date"] == nxt_day) & ~snapshots["deal_id"].isin(known)]
        created = nxt["created_date"]
        nxt = nxt[created.isna() | (created <= day)] if base_day is None else nxt[created <= day]
        parts.append(roll_back(nxt, history, day, nxt_day, statuses))
    if not parts:
        return empty(SNAPSHOT_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def stage_status_map(snapshots: pd.DataFrame) -> dict[str, str]:
    """Stage name -> status, as the snapshots of one source use them (most common wins)."""
    pairs = snapshots.dropna(subset=["stage"])[["stage", "status"]]
    if pairs.empty:
        return {}
    counts = pairs.assign(stage=pairs["stage"].str.strip()).value_counts()
    return {stage: status for (stage, status) in counts.index[::-1]}


def _status_of(stage: str, statuses: dict[str, str]) -> str:
    stage = stage.strip()
    if stage in statuses:
        return statuses[stage]
    low = stage.lower()
    if "won" in low:
        return "won"
    if "lost" in low:
        return "lost"
    return "open"


def _parse(field: str, value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    text = str(value).strip()
    if text == "":
        return None
    if field == "close_date":
        try:
            return pd.Timestamp(text[:10]).normalize()
        except ValueError:
            return None
    if field in ("amount", "probability"):
        try:
            number = float(text.replace(",", "").replace("$", "").replace("%", ""))
        except ValueError:
            return None
        if field == "probability" and number > 1:
            number /= 100
        return number
    if field == "forecast_category":
        norm = text.lower().replace(" ", "_")
        return {"bestcase": "best_case", "omit": "omitted"}.get(norm, norm)
    return text


def _apply(
    frame: pd.DataFrame, changes: pd.DataFrame, column: str, statuses: dict[str, str]
) -> pd.DataFrame:
    """Set each deal's fields from ``changes`` (deal_id, field, value), one value per deal+field."""
    if changes.empty or frame.empty:
        return frame
    frame = frame.copy()
    index = pd.Series(np.arange(len(frame)), index=frame["deal_id"].to_numpy())
    for field, rows in changes.groupby("field"):
        rows = rows[rows["deal_id"].isin(index.index)]
        if rows.empty:
            continue
        positions = index.loc[rows["deal_id"].to_numpy()].to_numpy()
        values = [_parse(field, v) for v in rows[column]]
        target = "owner" if field == "owner" else field
        col = frame.columns.get_loc(target)
        for pos, value in zip(positions, values, strict=True):
            frame.iat[pos, col] = value
            if field == "owner":
                frame.iat[pos, frame.columns.get_loc("owner_key")] = name_key(value)
            elif field == "stage" and value is not None:
                frame.iat[pos, frame.columns.get_loc("status")] = _status_of(value, statuses)
    return conform(frame, SNAPSHOT_COLUMNS)


def _relevant(history: pd.DataFrame) -> pd.DataFrame:
    return history[history["field"].isin(HISTORY_FIELDS)]


def roll_forward(
    base: pd.DataFrame,
    history: pd.DataFrame,
    base_day: pd.Timestamp,
    day: pd.Timestamp,
    statuses: dict[str, str],
) -> pd.DataFrame:
    """Apply the changes dated after ``base_day`` and on or before ``day`` (the last one wins)."""
    changes = _relevant(history)
    day_of = changes["changed_at"].dt.normalize()
    changes = changes[(day_of > base_day) & (day_of <= day)]
    last = (
        changes.sort_values("changed_at", kind="stable")
        .groupby(["deal_id", "field"], as_index=False)
        .last()
    )
    return _apply(base, last, "new_value", statuses)


def roll_back(
    later: pd.DataFrame,
    history: pd.DataFrame,
    day: pd.Timestamp,
    later_day: pd.Timestamp,
    statuses: dict[str, str],
) -> pd.DataFrame:
    """Undo the changes dated after ``day`` and on or before ``later_day`` (the first one's old value)."""
    changes = _relevant(history)
    day_of = changes["changed_at"].dt.normalize()
    changes = changes[(day_of > day) & (day_of <= later_day)]
    first = (
        changes.sort_values("changed_at", kind="stable")
        .groupby(["deal_id", "field"], as_index=False)
        .first()
    )
    out = _apply(later, first, "old_value", statuses)
    out["snapshot_date"] = day
    return out


def attach_reps(
    frame: pd.DataFrame,
    aliases: pd.DataFrame,
    reps: pd.DataFrame,
    key: str = "owner_key",
    name: str = "owner",
) -> pd.DataFrame:
    """Add ``rep`` and ``team``: the roster rep an owner key names, else the owner as exported.

    Owners with no roster match appear as their own rep with no team (``team`` NA). The team is
    the one ``reps`` gives (the membership on the day it was read for).
    """
    alias_map = dict(zip(aliases["alias"], aliases["rep"], strict=False))
    team_map = dict(zip(reps["rep"], reps["team"], strict=False))
    out = frame.copy()
    matched = out[key].map(alias_map)
    fallback = out[name].where(out[name].notna(), out[key])
    out["rep"] = matched.where(matched.notna(), fallback).astype("object")
    out["on_roster"] = matched.notna().to_numpy()
    out["team"] = out["rep"].map(team_map).where(out["on_roster"], None).astype("object")
    out["team"] = out["team"].where(out["team"].notna(), None)
    return out


def in_scope(teams: pd.Series, scope: list[str] | None) -> pd.Series:
    """Rows whose team the viewer may see: every row when ``scope`` is None (all teams)."""
    if scope is None:
        return pd.Series(True, index=teams.index)
    return teams.isin(list(scope))


__all__ = [
    "DEAL_KEY",
    "attach_reps",
    "deal_state_at",
    "in_scope",
    "roll_back",
    "roll_forward",
    "snapshot_dates_at",
    "stage_status_map",
]
