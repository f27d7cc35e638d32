"""Push counts (docs/metrics.md#push_count): how many times a deal's close date moved later.

Sources of evidence, in order: the field history where loaded for the deal's source, else
consecutive snapshots, else the export's own ``Push Count`` column. Where history is loaded the
snapshots are merged into the same timeline of known close dates, so one change seen by both
counts once ("never two of these added for the same period"). The first known close date (the
deal's creation), history rows with no old value (set at creation) and anything after ``as_of``
do not count.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.metrics.frames import DEAL_KEY, ts


def close_date_observations(
    snapshots: pd.DataFrame, history: pd.DataFrame | None, as_of: dt.date
) -> pd.DataFrame:
    """Every known close date of every deal up to ``as_of``, in time order.

    Args:
        snapshots: ``source, deal_id, snapshot_date, close_date`` (all snapshots, or only the rows
            where the close date differs from the deal's previous snapshot: the count is the same).
        history: field history (``source, deal_id, changed_at, field, old_value, new_value``).
        as_of: the last day that counts.

    Returns:
        ``source, deal_id, at, close_date, origin`` (``snapshot`` or ``history``).
    """
    day = ts(as_of) + pd.Timedelta(days=1)  # strictly before the next midnight
    snaps = snapshots[snapshots["snapshot_date"] < day]
    parts = [
        pd.DataFrame(
            {
                "source": snaps["source"],
                "deal_id": snaps["deal_id"],
                # A snapshot is taken during its day: after any change stamped at that midnight.
                "at": snaps["snapshot_date"] + pd.Timedelta(hours=23, minutes=59),
                "close_date": snaps["close_date"],
                "origin": "snapshot",
                "seq": 1,
            }
        )
    ]
    if history is not None and not history.empty:
        h = history[(history["field"] == "close_date") & (history["changed_at"] < day)]
        old = pd.to_datetime(h["old_value"].astype("object").str.slice(0, 10), errors="coerce")
        new = pd.to_datetime(h["new_value"].astype("object").str.slice(0, 10), errors="coerce")
        parts.append(
            pd.DataFrame(
                {
                    "source": h["source"],
                    "deal_id": h["deal_id"],
                    "at": h["changed_at"],
                    "close_date": old.astype("datetime64[ns]"),
                    "origin": "history",
                    "seq": 0,
                }
            )
        )
        parts.append(
            pd.DataFrame(
                {
                    "source": h["source"],
                    "deal_id": h["deal_id"],
                    "at": h["changed_at"],
                    "close_date": new.astype("datetime64[ns]"),
                    "origin": "history",
                    "seq": 1,
                }
            )
        )
    obs = pd.concat(parts, ignore_index=True)
    obs["at"] = pd.to_datetime(obs["at"]).astype("datetime64[ns]")
    obs = obs.dropna(subset=["close_date"])
    return (
        obs.sort_values([*DEAL_KEY, "at", "seq"], kind="stable")
        .drop(columns="seq")
        .reset_index(drop=True)
    )


def push_counts(
    snapshots: pd.DataFrame,
    history: pd.DataFrame | None,
    as_of: dt.date,
    exported: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per deal: ``push_count`` and where it came from (``push_source``).

    Args:
        snapshots: as for ``close_date_observations``.
        history: field history, or None.
        as_of: the day.
        exported: ``source, deal_id, push_count`` from the export's own column (as_of snapshot).

    Returns:
        ``source, deal_id, push_count, push_source`` (``history``, ``snapshots`` or ``export``).
    """
    obs = close_date_observations(snapshots, history, as_of)
    same_deal = obs["source"].eq(obs["source"].shift()) & obs["deal_id"].eq(obs["deal_id"].shift())
    later = same_deal & (obs["close_date"] > obs["close_date"].shift())
    obs = obs.assign(push=later.astype("int64"), seen=1)
    per = obs.groupby(DEAL_KEY, sort=False).agg(
        push_count=("push", "sum"),
        seen=("seen", "sum"),
        has_history=("origin", lambda s: bool((s == "history").any())),
    )
    per = per.reset_index()
    per["push_source"] = np.where(
        per["has_history"], "history", np.where(per["seen"] >= 2, "snapshots", "none")
    )
    if exported is not None and not exported.empty:
        exp = exported.dropna(subset=["push_count"])[[*DEAL_KEY, "push_count"]].rename(
            columns={"push_count": "exported"}
        )
        per = per.merge(exp, on=DEAL_KEY, how="outer")
        use_export = per["push_source"].isna() | (per["push_source"] == "none")
        use_export &= per["exported"].notna()
        per["push_count"] = np.where(use_export, per["exported"], per["push_count"])
        per["push_source"] = np.where(use_export, "export", per["push_source"])
    per["push_count"] = per["push_count"].fillna(0).astype("int64")
    return per[[*DEAL_KEY, "push_count", "push_source"]]


__all__ = ["close_date_observations", "push_counts"]
