"""Tactics (DESIGN §12): the focus list per rep, focus share, and the support car's figures.

Pure pandas: frames in (``deal_flags`` output, activity counts, expert work), frames out.

- Focus list (§9): open in-quarter deals ordered by amount × probability (ties: the larger
  amount, then the deal id), with the running amount against the gap to quota (quota − won);
  the deals that close the gap are the top ones up to the deal whose running amount reaches it.
  ``focus_order`` and ``deals_to_gap`` are the one definition: the Review's team focus list and
  each rep's focus list below both use them.
- Focus share: of a rep's completed activities dated in [as_of − 13, as_of], the share linked to
  deals on their own focus list, against the median of their team's riders; under half the team
  median is "busy elsewhere".
- Support car: each expert's work on the deals of the view in the last 4 weeks (deals worked,
  activities per week, the in-quarter open amount they touch), and the large deals (at least 2 ×
  the team's average won deal) with no expert activity in those weeks.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.metrics.frames import DEAL_KEY, ts

FOCUS_DAYS = 14  # [as_of - 13, as_of]
BUSY_FACTOR = 0.5  # under half the team median: busy elsewhere
SUPPORT_WEEKS = 4  # the support car looks back four 7-day weeks ending on as_of
LARGE_FACTOR = 2.0  # a large deal: at least 2 x the team's average won deal (§9)

# Why a rep's focus share is null (None when it is a number).
NO_QUOTA = "no quota"
QUOTA_MET = "quota met"
NO_DEALS = "no open deals this quarter"
NO_ACTIVITY = "no activities in the last 14 days"

FOCUS_COLUMNS = (
    "rep",
    "team",
    "gap",
    "focus_deals",
    "activities",
    "on_focus",
    "focus_share",
    "team_median",
    "busy_elsewhere",
    "why_none",
)


def focus_window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The days focus share counts: ``[as_of - 13, as_of]``."""
    return as_of - dt.timedelta(days=FOCUS_DAYS - 1), as_of


def support_window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The support car's four weeks: ``[as_of - 27, as_of]``."""
    return as_of - dt.timedelta(days=7 * SUPPORT_WEEKS - 1), as_of


# --- the focus list ---------------------------------------------------------------------------


def focus_order(deals: pd.DataFrame) -> pd.DataFrame:
    """``deals`` (``weighted``, ``amount``, ``deal_id``) ordered as the focus list ranks them:
    amount × probability, largest first; then the larger amount; then the deal id."""
    keyed = deals.assign(
        _w=deals["weighted"].astype("float64"), _a=deals["amount"].astype("float64").fillna(0.0)
    )
    keyed = keyed.sort_values(
        ["_w", "_a", "deal_id"], ascending=[False, False, True], kind="stable"
    )
    return keyed.drop(columns=["_w", "_a"])


def deals_to_gap(cents: pd.Series | np.ndarray, gap: float | None) -> int | None:
    """How many of the ordered deals it takes for their running amount to reach ``gap``.

    Args:
        cents: the ordered deals' amounts in integer cents.
        gap: quota − won (at least 0), or None without a quota.

    Returns:
        0 when the gap is 0 (quota met); the count up to and including the deal whose running
        amount reaches the gap; None without a gap, or when all of them fall short.
    """
    if gap is None:
        return None
    if gap == 0:
        return 0
    running = np.cumsum(np.asarray(cents, dtype="int64")) / 100
    if not len(running) or running[-1] < gap:
        return None
    return int(np.argmax(running >= gap)) + 1


def rep_focus_lists(flags: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Each rep's focus list: the open in-quarter deals that close their gap to quota.

    Args:
        flags: ``deal_flags`` output with ``rep`` (``cents``, ``weighted``, ``amount``,
            ``open_in_quarter``).
        figures: the riders' figures (index ``rep``; ``quota``, ``won``, ``no_quota``).

    Returns:
        ``rep, source, deal_id, focus_rank`` (1 = first), one row per deal on a list. A rep whose
        open deals all fall short of the gap has all of them on the list (every one is needed);
        a rep whose quota is met, or who has no quota, has none.
    """
    open_ = flags[flags["open_in_quarter"].to_numpy(dtype=bool)]
    open_ = open_[open_["rep"].isin(figures.index)]
    parts = []
    for rep, deals in focus_order(open_).groupby("rep", sort=False):
        gap = rep_gap(figures.loc[rep])
        if not gap:  # None (no quota) or 0 (quota met): no list
            continue
        reach = deals_to_gap(deals["cents"], gap)
        top = deals.head(reach if reach is not None else len(deals))
        parts.append(
            pd.DataFrame(
                {
                    "rep": rep,
                    "source": top["source"].to_numpy(),
                    "deal_id": top["deal_id"].to_numpy(),
                    "focus_rank": np.arange(1, len(top) + 1),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "rep": pd.Series(dtype=object),
                "source": pd.Series(dtype=object),
                "deal_id": pd.Series(dtype=object),
                "focus_rank": pd.Series(dtype="int64"),
            }
        )
    return pd.concat(parts, ignore_index=True)


def rep_gap(row: pd.Series) -> float | None:
    """quota − won, at least 0; None for a rep without a quota."""
    quota = row.get("quota")
    if bool(row.get("no_quota")) or quota is None or pd.isna(quota) or float(quota) <= 0:
        return None
    won = row.get("won")
    won = 0.0 if won is None or pd.isna(won) else float(won)
    return max(0.0, float(quota) - won)


# --- focus share ------------------------------------------------------------------------------


def focus_activity(activity: pd.DataFrame, focus: pd.DataFrame) -> pd.DataFrame:
    """Each rep's activities of the window per deal, marked ``on_focus`` when the deal is on
    that rep's own focus list.

    Args:
        activity: ``rep, source, deal_id, n`` (``deal_id`` None for activities on no deal).
        focus: ``rep_focus_lists`` output.

    Returns:
        ``activity`` plus ``on_focus`` (bool) and ``focus_rank`` (NA off the list).
    """
    keys = focus[["rep", *DEAL_KEY, "focus_rank"]].assign(
        deal_id=focus["deal_id"].astype("object"), source=focus["source"].astype("object")
    )
    out = activity.assign(
        deal_id=activity["deal_id"].astype("object"), source=activity["source"].astype("object")
    ).merge(keys, on=["rep", *DEAL_KEY], how="left")
    out["on_focus"] = out["focus_rank"].notna().to_numpy()
    out["focus_rank"] = out["focus_rank"].astype("Int64")
    return out


def focus_share(activity: pd.DataFrame, focus: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Focus share per rider, with the team median and the "busy elsewhere" flag.

    Args:
        activity: ``rep, source, deal_id, n``: completed activities in ``focus_window``.
        focus: ``rep_focus_lists`` output.
        figures: the riders' figures (index ``rep``; ``team``, ``quota``, ``won``,
            ``no_quota``): every rider gets a row.

    Returns:
        One row per rider (``FOCUS_COLUMNS``). ``focus_share`` = on_focus / activities, null
        (``why_none`` says why) without a quota, with the quota met, with no open in-quarter deal
        (an empty focus list), or with no activities. ``team_median`` is the median of the
        non-null shares of the rider's team (riders without a team form one group);
        ``busy_elsewhere`` when share < ``BUSY_FACTOR`` × team median (never for a null share).
    """
    marked = focus_activity(activity, focus)
    marked = marked[marked["rep"].isin(figures.index)]
    total = marked.groupby("rep")["n"].sum()
    on = marked.loc[marked["on_focus"]].groupby("rep")["n"].sum()
    listed = focus.groupby("rep").size()
    reps = figures.index
    out = pd.DataFrame(index=reps)
    out["team"] = figures["team"].astype("object").where(figures["team"].notna(), None)
    out["gap"] = [rep_gap(figures.loc[r]) for r in reps]
    out["focus_deals"] = listed.reindex(reps).fillna(0).astype("int64").to_numpy()
    out["activities"] = total.reindex(reps).fillna(0).astype("int64").to_numpy()
    out["on_focus"] = on.reindex(reps).fillna(0).astype("int64").to_numpy()
    why = np.full(len(reps), None, dtype=object)
    gap = out["gap"]
    why[(out["activities"] == 0).to_numpy()] = NO_ACTIVITY
    why[((gap.notna()) & (gap > 0) & (out["focus_deals"] == 0)).to_numpy()] = NO_DEALS
    why[(gap == 0).to_numpy()] = QUOTA_MET
    why[gap.isna().to_numpy()] = NO_QUOTA
    out["why_none"] = why
    share = out["on_focus"] / out["activities"].where(out["activities"] > 0)
    out["focus_share"] = share.where(pd.isna(out["why_none"])).astype("float64")
    group = out["team"].where(out["team"].notna(), "\x00no team")
    out["team_median"] = out.groupby(group.to_numpy())["focus_share"].transform("median")
    out["busy_elsewhere"] = (
        (out["focus_share"] < BUSY_FACTOR * out["team_median"]).fillna(False).astype(bool)
    )
    out.index.name = "rep"
    out = out.reset_index()[list(FOCUS_COLUMNS)]
    out["why_none"] = out["why_none"].astype("object").where(out["why_none"].notna(), None)
    return out


# --- the support car --------------------------------------------------------------------------


def large_thresholds(flags: pd.DataFrame, riders: pd.DataFrame) -> pd.Series:
    """Each team's large-deal threshold: ``LARGE_FACTOR`` × its average won deal (§5: the mean
    amount of the deals its riders won in [as_of − 364, as_of]); NaN without won deals.

    Args:
        flags: ``deal_flags`` output with ``rep`` (``won_in_window``, ``cents``).
        riders: ``rep, team``: the team's riders, as the team's figures count them.

    Returns:
        Threshold in money per team name.
    """
    team_of = riders.set_index("rep")["team"]
    won = flags[flags["won_in_window"].to_numpy(dtype=bool) & flags["rep"].isin(team_of.index)]
    teams = won["rep"].map(team_of)
    grouped = won["cents"].groupby(teams.to_numpy())
    avg = grouped.sum() / 100 / grouped.count()
    names = pd.Index(sorted(t for t in team_of.dropna().unique()))
    return (LARGE_FACTOR * avg).reindex(names).astype("float64")


def week_of(days: pd.Series, as_of: dt.date) -> pd.Series:
    """Week 1..``SUPPORT_WEEKS`` of each day (1 = the oldest, the last ends on ``as_of``)."""
    back = (ts(as_of) - pd.to_datetime(days)).dt.days // 7
    return (SUPPORT_WEEKS - back).astype("int64")


def expert_work(work: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Each expert's deals in the window with the deal's fields.

    Args:
        work: ``expert, role, source, deal_id, week, n, last_day``: completed activities by
            expert roster members on the view's deals, per week of ``support_window``.
        flags: ``deal_flags`` output (the deals of the view on ``as_of``).

    Returns:
        One row per expert and deal: ``expert, role, source, deal_id, activities, last_day``,
        ``w1..w4`` and the deal's ``deal_name, account, rep, team, amount, cents, stage,
        close_date, forecast_category, open_in_quarter``; largest activity count first.
    """
    weeks = [f"w{k}" for k in range(1, SUPPORT_WEEKS + 1)]
    if work.empty:
        per = pd.DataFrame(columns=["expert", "role", *DEAL_KEY, *weeks, "activities", "last_day"])
    else:
        per = work.pivot_table(
            index=["expert", "role", *DEAL_KEY],
            columns="week",
            values="n",
            aggfunc="sum",
            fill_value=0,
        )
        per = per.reindex(columns=range(1, SUPPORT_WEEKS + 1), fill_value=0)
        per.columns = weeks
        per["activities"] = per[weeks].sum(axis=1)
        last = work.groupby(["expert", "role", *DEAL_KEY])["last_day"].max()
        per["last_day"] = last.reindex(per.index)
        per = per.reset_index()
    fields = [
        *DEAL_KEY,
        "deal_name",
        "account",
        "rep",
        "team",
        "amount",
        "cents",
        "stage",
        "close_date",
        "forecast_category",
        "open_in_quarter",
    ]
    out = per.merge(flags[fields], on=DEAL_KEY, how="left")
    out["open_in_quarter"] = out["open_in_quarter"].fillna(False).astype(bool)
    # a deal outside this quarter's deals (neither closing in it nor closed in the last year)
    out["deal_name"] = out["deal_name"].where(out["deal_name"].notna(), out["deal_id"])
    out["cents"] = out["cents"].fillna(0).astype("int64")
    for col in (*weeks, "activities"):
        out[col] = out[col].astype("int64")
    out = out.sort_values(
        ["expert", "activities", "amount"], ascending=[True, False, False], kind="stable"
    )
    return out.reset_index(drop=True)


def expert_summary(deals: pd.DataFrame, experts: pd.DataFrame) -> pd.DataFrame:
    """One row per expert: deals worked, activities (in all and per week), in-quarter amount.

    Args:
        deals: ``expert_work`` output.
        experts: ``expert, role, team``: the roster's experts of the view (so an expert who
            worked on none of its deals shows with zeros); experts in ``deals`` but not here
            (another team's SE on this team's deals) are added with their role and no team.

    Returns:
        ``expert, role, team, deals, activities, per_week, w1..w4, open_deals, open_amount,
        last_day``: ``per_week`` = activities / ``SUPPORT_WEEKS``; ``open_amount`` = the sum of
        the amounts of the distinct open in-quarter deals they worked on (each deal once per
        expert); most activities first.
    """
    weeks = [f"w{k}" for k in range(1, SUPPORT_WEEKS + 1)]
    base = experts[["expert", "role", "team"]].drop_duplicates("expert")
    extra = deals.loc[~deals["expert"].isin(base["expert"]), ["expert", "role"]].drop_duplicates(
        "expert"
    )
    base = pd.concat([base, extra.assign(team=None)], ignore_index=True)
    g = deals.groupby("expert")
    open_rows = deals[deals["open_in_quarter"]]
    summary = pd.DataFrame(
        {
            "deals": g.size(),
            "activities": g["activities"].sum(),
            **{w: g[w].sum() for w in weeks},
            "open_deals": open_rows.groupby("expert").size(),
            "open_cents": open_rows.groupby("expert")["cents"].sum(),
            "last_day": g["last_day"].max(),
        }
    )
    out = base.merge(summary, left_on="expert", right_index=True, how="left")
    for col in ("deals", "activities", *weeks, "open_deals", "open_cents"):
        out[col] = out[col].fillna(0).astype("int64")
    out["per_week"] = out["activities"] / SUPPORT_WEEKS
    out["open_amount"] = out["open_cents"] / 100
    out["team"] = out["team"].astype("object").where(out["team"].notna(), None)
    out = out.sort_values(
        ["activities", "open_amount", "expert"], ascending=[False, False, True], kind="stable"
    )
    cols = [
        "expert",
        "role",
        "team",
        "deals",
        "activities",
        "per_week",
        *weeks,
        "open_deals",
        "open_amount",
        "open_cents",
        "last_day",
    ]
    return out[cols].reset_index(drop=True)


def unsupported_large_deals(
    flags: pd.DataFrame, support: pd.DataFrame, thresholds: pd.Series
) -> pd.DataFrame:
    """Large open in-quarter deals with no expert activity in the window.

    Args:
        flags: ``deal_flags`` output of the view (``team``, ``open_in_quarter``, ``amount``).
        support: ``source, deal_id, experts``: deals with expert activities in the window
            (``queries.load_expert_support`` with the window's start).
        thresholds: ``large_thresholds`` output.

    Returns:
        The deals (flags' columns plus ``threshold``), largest first.
    """
    open_ = flags[flags["open_in_quarter"].to_numpy(dtype=bool)]
    threshold = open_["team"].map(thresholds).astype("float64")
    large = open_.assign(threshold=threshold.to_numpy())
    large = large[(large["amount"] >= large["threshold"]).fillna(False).to_numpy(dtype=bool)]
    helped = large[DEAL_KEY].merge(support[DEAL_KEY].assign(_helped=True), on=DEAL_KEY, how="left")
    out = large[~helped["_helped"].fillna(False).to_numpy(dtype=bool)]
    out = out.sort_values(["amount", "deal_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


__all__ = [
    "BUSY_FACTOR",
    "FOCUS_COLUMNS",
    "FOCUS_DAYS",
    "LARGE_FACTOR",
    "SUPPORT_WEEKS",
    "deals_to_gap",
    "expert_summary",
    "expert_work",
    "focus_activity",
    "focus_order",
    "focus_share",
    "focus_window",
    "large_thresholds",
    "rep_focus_lists",
    "rep_gap",
    "support_window",
    "unsupported_large_deals",
    "week_of",
]
