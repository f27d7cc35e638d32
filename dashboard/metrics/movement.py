"""Movement between two days and the waterfall (docs/metrics.md#movement-and-the-waterfall).

Between days A < B, over the deals open and in the quarter at A (set SA) or at B (set SB):

- in SB, absent at A: ``created``; in SB, present at A but not in SA: ``pulled_in``;
- in SA: ``won`` or ``lost`` (closed at B), ``pushed_out`` (open at B, close date outside the
  quarter), ``removed`` (absent at B); in both sets: ``increased``, ``decreased`` or ``unchanged``.

Leaving amounts are A's, arriving amounts B's, so
``start + created + pulled_in + increased - decreased - won - lost - pushed_out - removed = end``
holds exactly (sums are integer cents).

Owners: a deal is credited to its owner at B (at A when it is gone by B). Per rep, a deal of SA
that changed owner is first moved to its new owner at A's amount (``transferred_out`` of the old,
``transferred_in`` of the new), then classified under the new owner; so each rep's waterfall holds
with ``+ transferred_in - transferred_out`` and the reps' waterfalls add up to the team's.
A deal created and won between A and B is in neither set: it is listed apart as ``won_new``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.frames import DEAL_KEY, cents, ts

CATEGORIES = (
    "created",
    "pulled_in",
    "increased",
    "decreased",
    "unchanged",
    "won",
    "lost",
    "pushed_out",
    "removed",
    "won_new",
)
ARRIVING = ("created", "pulled_in")
LEAVING = ("won", "lost", "pushed_out", "removed")
WATERFALL_KEYS = (
    "start",
    "created",
    "pulled_in",
    "increased",
    "decreased",
    "won",
    "lost",
    "pushed_out",
    "removed",
    "end",
)
REP_WATERFALL_KEYS = (
    "start",
    "transferred_in",
    "transferred_out",
    "created",
    "pulled_in",
    "increased",
    "decreased",
    "won",
    "lost",
    "pushed_out",
    "removed",
    "end",
)
_SIDE_COLUMNS = (
    "deal_name",
    "account",
    "rep",
    "team",
    "status",
    "amount",
    "close_date",
    "forecast_category",
    "stage",
    "owner",
)


def _side(state: pd.DataFrame, quarter, suffix: str) -> pd.DataFrame:
    cols = [c for c in _SIDE_COLUMNS if c in state.columns]
    side = state[[*DEAL_KEY, *cols]].copy()
    in_q = (side["close_date"] >= ts(quarter.start)) & (side["close_date"] <= ts(quarter.end))
    side["in_set"] = (side["status"] == "open").fillna(False).astype(bool) & in_q.fillna(
        False
    ).astype(bool)
    side["in_quarter"] = in_q.fillna(False).astype(bool)
    side["cents"] = cents(side["amount"])
    side["present"] = True
    return side.rename(columns={c: f"{c}_{suffix}" for c in side.columns if c not in DEAL_KEY})


def compute_movement(state_a: pd.DataFrame, state_b: pd.DataFrame, quarter) -> pd.DataFrame:
    """Classify every deal of SA or SB (and deals created and won in between).

    Args:
        state_a: the deals at A (``deal_state_at``), with ``rep`` and ``team`` attached.
        state_b: the deals at B, likewise.
        quarter: the fiscal quarter both sets are measured against.

    Returns:
        One row per deal: ``source, deal_id, deal_name, rep, team`` (credited owner),
        ``rep_since, rep_now, category, amount_since, amount_now, close_date_since,
        close_date_now, status_since, status_now, forecast_category_since,
        forecast_category_now, stage_since, stage_now, account, in_sa, in_sb, transferred,
        cents_since, cents_now, delta_cents`` (stage and account as exported, for display).
    """
    a = _side(state_a, quarter, "a")
    b = _side(state_b, quarter, "b")
    m = a.merge(b, on=DEAL_KEY, how="outer")
    for col in ("in_set_a", "in_set_b", "present_a", "present_b", "in_quarter_b"):
        m[col] = m[col].astype("boolean").fillna(False).astype(bool)
    for col in ("cents_a", "cents_b"):
        m[col] = m[col].fillna(0).astype("int64")
    in_sa, in_sb = m["in_set_a"], m["in_set_b"]
    present_a, present_b = m["present_a"], m["present_b"]
    status_b = m["status_b"].astype("object")
    won_new = (
        ~present_a & present_b & (status_b == "won").fillna(False).astype(bool) & m["in_quarter_b"]
    )
    m = m[in_sa | in_sb | won_new].copy()
    in_sa, in_sb = m["in_set_a"], m["in_set_b"]
    present_a, present_b = m["present_a"], m["present_b"]
    status_b = m["status_b"].astype("object")
    delta = m["cents_b"] - m["cents_a"]
    conditions = [
        in_sb & ~present_a,
        in_sb & ~in_sa,
        in_sa & ~present_b,
        in_sa & (status_b == "won").fillna(False).astype(bool),
        in_sa & (status_b == "lost").fillna(False).astype(bool),
        in_sa & ~in_sb,
        in_sa & in_sb & (delta > 0),
        in_sa & in_sb & (delta < 0),
        in_sa & in_sb,
    ]
    choices = [
        "created",
        "pulled_in",
        "removed",
        "won",
        "lost",
        "pushed_out",
        "increased",
        "decreased",
        "unchanged",
    ]
    m["category"] = np.select(conditions, choices, default="won_new")
    rep_a = m["rep_a"].astype("object") if "rep_a" in m else pd.Series(None, index=m.index)
    rep_b = m["rep_b"].astype("object") if "rep_b" in m else pd.Series(None, index=m.index)
    team_a = m["team_a"].astype("object") if "team_a" in m else pd.Series(None, index=m.index)
    team_b = m["team_b"].astype("object") if "team_b" in m else pd.Series(None, index=m.index)
    out = pd.DataFrame(
        {
            "source": m["source"],
            "deal_id": m["deal_id"],
            "deal_name": m["deal_name_b"].where(present_b, m["deal_name_a"]).astype("object"),
            "rep": rep_b.where(present_b, rep_a),
            "team": team_b.where(present_b, team_a),
            "rep_since": rep_a.where(present_a, None),
            "rep_now": rep_b.where(present_b, None),
            "category": m["category"],
            "amount_since": m["amount_a"].where(present_a),
            "amount_now": m["amount_b"].where(present_b),
            "close_date_since": m["close_date_a"],
            "close_date_now": m["close_date_b"],
            "status_since": m["status_a"].astype("object"),
            "status_now": m["status_b"].astype("object"),
            "forecast_category_since": m["forecast_category_a"].astype("object"),
            "forecast_category_now": m["forecast_category_b"].astype("object"),
            "stage_since": _column(m, "stage_a"),
            "stage_now": _column(m, "stage_b"),
            "account": _column(m, "account_b").where(present_b, _column(m, "account_a")),
            "in_sa": in_sa,
            "in_sb": in_sb,
            "cents_since": m["cents_a"],
            "cents_now": m["cents_b"],
        }
    )
    out["team"] = out["team"].where(out["team"].notna(), None)
    out["delta_cents"] = np.where(in_sa & in_sb, out["cents_now"] - out["cents_since"], 0)
    out["transferred"] = (
        in_sa & present_b & (rep_a != rep_b).fillna(False).astype(bool)
    ).to_numpy()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    out = (
        out.assign(_o=out["category"].map(order))
        .sort_values(
            ["_o", "cents_now", "cents_since", "source", "deal_id"],
            ascending=[True, False, False, True, True],
            kind="stable",
        )
        .drop(columns="_o")
    )
    return out.reset_index(drop=True)


def _column(m: pd.DataFrame, name: str) -> pd.Series:
    """A text column of the merged sides as objects (all missing when the states lack it)."""
    if name not in m:
        return pd.Series(None, index=m.index, dtype="object")
    return m[name].astype("object")


def _category_cents(movement: pd.DataFrame, key) -> pd.DataFrame:
    cat = movement["category"]
    parts = pd.DataFrame(
        {
            "created": np.where(cat == "created", movement["cents_now"], 0),
            "pulled_in": np.where(cat == "pulled_in", movement["cents_now"], 0),
            "increased": np.where(cat == "increased", movement["delta_cents"], 0),
            "decreased": np.where(cat == "decreased", -movement["delta_cents"], 0),
            "won": np.where(cat == "won", movement["cents_since"], 0),
            "lost": np.where(cat == "lost", movement["cents_since"], 0),
            "pushed_out": np.where(cat == "pushed_out", movement["cents_since"], 0),
            "removed": np.where(cat == "removed", movement["cents_since"], 0),
        },
        index=movement.index,
    )
    return parts.groupby(key, sort=False).sum()


def waterfall_cents(movement: pd.DataFrame) -> dict[str, int]:
    """The team waterfall in integer cents (``WATERFALL_KEYS`` plus ``won_new``)."""
    key = np.zeros(len(movement), dtype="int64")
    parts = _category_cents(movement, key).reindex([0]).fillna(0).astype("int64").iloc[0]
    out = {"start": int(movement.loc[movement["in_sa"], "cents_since"].sum())}
    out.update({k: int(parts[k]) for k in WATERFALL_KEYS[1:-1]})
    out["end"] = int(movement.loc[movement["in_sb"], "cents_now"].sum())
    out["won_new"] = int(movement.loc[movement["category"] == "won_new", "cents_now"].sum())
    return out


def compute_waterfall(movement: pd.DataFrame) -> dict[str, float]:
    """The waterfall of the deals in ``movement`` (filter it to a team first).

    Returns:
        ``start, created, pulled_in, increased, decreased, won, lost, pushed_out, removed, end``
        as money, plus ``won_new`` (created and won between the days: shown apart).
    """
    return {k: v / 100 for k, v in waterfall_cents(movement).items()}


def rep_waterfalls_cents(movement: pd.DataFrame) -> pd.DataFrame:
    """Each rep's waterfall in integer cents (``REP_WATERFALL_KEYS`` plus ``won_new``).

    ``movement`` must hold every deal that left or reached the reps asked about, including those
    credited to reps outside the view (their ``transferred_out`` side).
    """
    rep = movement["rep"].astype("object").fillna("")
    parts = _category_cents(movement, rep.to_numpy())
    sa = movement[movement["in_sa"]]
    start = sa.groupby(sa["rep_since"].astype("object").fillna("").to_numpy())["cents_since"].sum()
    moved = movement[movement["transferred"]]
    t_out = moved.groupby(moved["rep_since"].astype("object").fillna("").to_numpy())[
        "cents_since"
    ].sum()
    t_in = moved.groupby(moved["rep_now"].astype("object").fillna("").to_numpy())[
        "cents_since"
    ].sum()
    sb = movement[movement["in_sb"]]
    end = sb.groupby(sb["rep_now"].astype("object").fillna("").to_numpy())["cents_now"].sum()
    new = movement[movement["category"] == "won_new"]
    won_new = new.groupby(new["rep"].astype("object").fillna("").to_numpy())["cents_now"].sum()
    reps = list(dict.fromkeys([*parts.index, *start.index, *t_in.index, *t_out.index, *end.index]))
    out = pd.DataFrame(index=pd.Index(reps, name="rep"))
    out["start"] = start
    out["transferred_in"] = t_in
    out["transferred_out"] = t_out
    out = out.join(parts)
    out["end"] = end
    out["won_new"] = won_new
    return out[[*REP_WATERFALL_KEYS, "won_new"]].fillna(0).astype("int64")


def rep_waterfalls(movement: pd.DataFrame) -> pd.DataFrame:
    """Each rep's waterfall as money (see ``rep_waterfalls_cents``)."""
    return rep_waterfalls_cents(movement) / 100


__all__ = [
    "ARRIVING",
    "CATEGORIES",
    "LEAVING",
    "REP_WATERFALL_KEYS",
    "WATERFALL_KEYS",
    "compute_movement",
    "compute_waterfall",
    "rep_waterfalls",
    "rep_waterfalls_cents",
    "waterfall_cents",
]
