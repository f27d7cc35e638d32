"""The forecast (docs/metrics.md#forecast): weeks of a quarter, the call in force, the roll-up up
the manager chain, bucket rates with shrinkage, the landing range by Monte Carlo, the backtest
and call accuracy.

Pure pandas and numpy: frames in (from ``dashboard.reads`` or built by hand in tests), frames,
dicts and arrays out. The rules each function keeps are stated in docs/metrics.md under
"Forecast"; the main ones:

- Week k of a quarter covers ``[start + 7(k - 1), start + 7k - 1]``; the last week ends on the
  quarter's last day and may be short.
- Money is added in integer cents, so the roll-up's sums and the landing range's draws are exact
  (draws are integer cents held in float64, exact below 2**53 cents).
- The landing range is drawn per rep from a random stream seeded by the rep's name, the as-of day
  and ``SEED`` only: a rep's draws do not depend on who else is in the view, and a scope's draws
  are the sum of its reps' draws (never a sum of percentiles).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.metrics.frames import cents, ts
from loaders.schema import CHAIN_ROLES  # roles that make a person a link of the manager chain

BUCKETS = ("commit", "best_case", "pipeline", "omitted")
PRIOR_DEALS = 5  # the team's rate counts the pooled rate as this many pseudo-deals
SHRINK_DEALS = 10  # a rep's own rate weighs n_rep / (n_rep + SHRINK_DEALS)
DRAWS = 5000
SEED = 13
STATUSES = ("submitted", "carried", "rolled_up", "crm")
REFERENCE = "reference"  # bucket rates from past quarters, new business from past quarters
CRM_PROBABILITY = "crm_probability"  # no past quarter at this week: the CRM's probabilities
ENDED = "ended"  # as_of after the quarter's end: the landing is what was won
# Draws compare 16-bit random integers with rate x 65536 (0 < rate < 1 becomes 1..65535).
_RATE_STEPS = 65536
_BLOCK_ELEMENTS = 1 << 18  # deals x draws drawn at once: small enough to stay in cache
_SUM_ROWS = 32  # deals summed per matrix product (its float copy stays in cache too)
PERCENTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}

CALL_COLUMNS = (
    "id",
    "person",
    "quarter",
    "submitted",
    "commit",
    "best_case",
    "note",
    "author",
    "created_at",
    "source",
)


# --- weeks ----------------------------------------------------------------------------------


def _date(day) -> dt.date:
    return ts(day).date()


def week_count(quarter) -> int:
    """How many weeks the quarter has (the last one may be short)."""
    return math.ceil(quarter.days / 7)


def quarter_weeks(quarter) -> pd.DataFrame:
    """The quarter's weeks: ``week`` (1-based), ``start`` and ``end`` (dates, both inside it)."""
    rows = []
    for k in range(1, week_count(quarter) + 1):
        start = quarter.start + dt.timedelta(days=7 * (k - 1))
        end = min(quarter.start + dt.timedelta(days=7 * k - 1), quarter.end)
        rows.append((k, start, end))
    return pd.DataFrame(rows, columns=["week", "start", "end"])


def week_of(quarter, day, clamp: bool = True) -> int:
    """The week of the quarter holding ``day``.

    Args:
        quarter: the fiscal quarter.
        day: any day.
        clamp: days before the quarter count as week 1 and days after as its last week; with
            False, a day before the quarter is week 0 and a day after it is past the last week.
    """
    k = (_date(day) - quarter.start).days // 7 + 1
    if not clamp:
        return max(k, 0)
    return min(max(k, 1), week_count(quarter))


def week_end(quarter, week: int) -> dt.date:
    """The last day of week ``week`` of the quarter."""
    return min(quarter.start + dt.timedelta(days=7 * week - 1), quarter.end)


def stand_in_days(days: Iterable, quarter) -> dict[int, dt.date]:
    """For each week of ``quarter`` that holds a snapshot day, the latest such day.

    A past quarter's "week k" is read as of this day (docs/metrics.md#stand-in-day-of-a-week).

    Args:
        days: snapshot days (any source).
        quarter: the quarter.

    Returns:
        week -> day, for the weeks with a snapshot day.
    """
    out: dict[int, dt.date] = {}
    for day in sorted({_date(d) for d in days}):
        if quarter.start <= day <= quarter.end:
            out[week_of(quarter, day)] = day  # sorted: the latest day of the week wins
    return out


# --- calls ----------------------------------------------------------------------------------


def conform_calls(calls: pd.DataFrame | None) -> pd.DataFrame:
    """Calls with ``CALL_COLUMNS``: ``submitted`` and ``created_at`` as timestamps, money float."""
    if calls is None:
        calls = pd.DataFrame(columns=list(CALL_COLUMNS))
    out = calls.copy()
    for col in CALL_COLUMNS:
        if col not in out.columns:
            out[col] = None
    out["submitted"] = pd.to_datetime(out["submitted"]).astype("datetime64[ns]").dt.normalize()
    out["created_at"] = pd.to_datetime(out["created_at"]).astype("datetime64[ns]")
    for col in ("commit", "best_case"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out["id"] = pd.to_numeric(out["id"], errors="coerce")
    return out


IN_FORCE_COLUMNS = (
    "person",
    "commit",
    "best_case",
    "submitted",
    "week",
    "status",
    "by",
    "note",
    "id",
)


def calls_in_force(calls: pd.DataFrame, quarter, day) -> pd.DataFrame:
    """The call in force for each person on ``day``, with its status.

    The call in force is the person's latest call for ``quarter`` submitted on or before ``day``
    (ties on the same day: the later ``created_at``, then the higher ``id``). Its status is
    ``submitted`` when it was made in ``day``'s week, else ``carried``; ``week`` is the week it
    was made in (0 for a call made before the quarter started).

    Args:
        calls: every call (``CALL_COLUMNS``; other quarters are ignored).
        quarter: the quarter called.
        day: the day asked for.

    Returns:
        One row per person with a call in force: ``IN_FORCE_COLUMNS`` (``by`` is the author).
    """
    calls = conform_calls(calls)
    own = calls[(calls["quarter"] == quarter.name) & (calls["submitted"] <= ts(day))]
    if own.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in IN_FORCE_COLUMNS})
    own = own.sort_values(["person", "submitted", "created_at", "id"], kind="stable")
    latest = own.groupby("person", sort=True).tail(1)
    day_week = week_of(quarter, day, clamp=False)
    weeks = [week_of(quarter, s, clamp=False) for s in latest["submitted"]]
    out = pd.DataFrame(
        {
            "person": latest["person"].to_numpy(),
            "commit": latest["commit"].to_numpy(),
            "best_case": latest["best_case"].to_numpy(),
            "submitted": latest["submitted"].dt.date.to_numpy(),
            "week": weeks,
            "status": ["submitted" if w == day_week else "carried" for w in weeks],
            "by": latest["author"].to_numpy(),
            "note": latest["note"].to_numpy(),
            "id": latest["id"].to_numpy(),
        }
    )
    return out.sort_values("person", kind="stable").reset_index(drop=True)


# --- the roll-up ----------------------------------------------------------------------------

ROLLUP_COLUMNS = (
    "person",
    "manager",
    "role",
    "team",
    "depth",
    "reports",
    "is_manager",
    "own_commit",
    "own_best_case",
    "call_commit",
    "call_best_case",
    "status",
    "week",
    "by",
    "submitted",
    "rolled_up_commit",
    "rolled_up_best_case",
    "value_commit",
    "value_best_case",
    "adjustment_commit",
    "adjustment_best_case",
)


def _is_chain_role(role) -> bool:
    if role is None or (isinstance(role, float) and math.isnan(role)) or role is pd.NA:
        return False
    return str(role).strip().casefold() in {r.casefold() for r in CHAIN_ROLES}


def _parents(people: pd.DataFrame) -> dict[str, str | None]:
    """person -> manager within ``people`` (None at the top, for a manager outside the set, and
    where a manager link would close a cycle: that link is cut)."""
    names = set(people["person"])
    parent: dict[str, str | None] = {}
    for person, manager in zip(people["person"], people["manager"], strict=True):
        ok = isinstance(manager, str) and manager in names and manager != person
        parent[person] = manager if ok else None
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(parent):
        path = []
        node = start
        while node is not None and state.get(node) != 2:
            if state.get(node) == 1:  # a cycle: cut the link that closes it
                parent[path[-1]] = None
                break
            state[node] = 1
            path.append(node)
            node = parent[node]
        for p in path:
            state[p] = 2
    return parent


def roll_up(
    people: pd.DataFrame, in_force: pd.DataFrame, crm: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each person's value up the manager chain: their call, else their CRM figures (a rep) or
    the sum of their direct reports' values (a manager), with ``rolled_up`` and ``adjustment``.

    Rules (docs/metrics.md#roll-up-and-adjustment):

    - A manager is a person with direct reports in ``people``, or whose role is a chain role
      (``CHAIN_ROLES``). Everyone else is a rep.
    - ``rolled_up`` of a manager = the sum over direct reports of their value, plus the manager's
      own CRM figures when they sell (they are in ``crm``). ``rolled_up`` of a rep = their own
      CRM figures (0 when they have none): what stands for them without a call.
    - value = the call in force, else ``rolled_up``. Status: the call's (``submitted``,
      ``carried``), else ``rolled_up`` (a manager) or ``crm`` (a rep).
    - ``adjustment`` = call - rolled_up, 0 without a call; ``by`` is the call's author.
    - A manager outside ``people`` counts as none (the person is at the top); a link that would
      close a cycle is cut. People in ``crm`` but not in ``people`` join at the top.

    Args:
        people: ``person, manager`` and optionally ``role, team`` (one row per person).
        in_force: ``calls_in_force`` of the day.
        crm: index person, ``commit_forecast, best_case_forecast`` (the riders' figures).

    Returns:
        One row per person (``ROLLUP_COLUMNS``; money as floats, ``reports`` a tuple of names),
        ordered by depth (0 at the top), then name.
    """
    people = people.copy()
    for col in ("manager", "role", "team"):
        if col not in people.columns:
            people[col] = None
    people = people.drop_duplicates("person", keep="last")
    crm = (
        crm if crm is not None else pd.DataFrame(columns=["commit_forecast", "best_case_forecast"])
    )
    known = set(people["person"])
    extra = [p for p in crm.index if p not in known]
    if extra:
        people = pd.concat(
            [people, pd.DataFrame({"person": extra, "manager": None, "role": None, "team": None})],
            ignore_index=True,
        )
    parent = _parents(people)
    children: dict[str, list[str]] = {p: [] for p in parent}
    for person, manager in parent.items():
        if manager is not None:
            children[manager].append(person)
    depth: dict[str, int] = {}
    for person in parent:
        chain, node = 0, parent[person]
        while node is not None:
            chain += 1
            node = parent[node]
        depth[person] = chain

    own_c = {
        p: (int(c), int(b))
        for p, c, b in zip(
            crm.index,
            cents(crm["commit_forecast"].astype("float64")),
            cents(crm["best_case_forecast"].astype("float64")),
            strict=True,
        )
    }
    calls = {row.person: row for row in in_force.itertuples(index=False)}
    role_of = dict(zip(people["person"], people["role"], strict=True))
    team_of = dict(zip(people["person"], people["team"], strict=True))
    value: dict[str, tuple[int, int]] = {}
    rows = {}
    for person in sorted(parent, key=lambda p: (-depth[p], p)):  # deepest first
        reports = tuple(sorted(children[person]))
        is_manager = bool(reports) or _is_chain_role(role_of[person])
        own = own_c.get(person)
        if is_manager:
            sums = [sum(value[r][i] for r in reports) for i in (0, 1)]
            if own is not None:
                sums = [sums[0] + own[0], sums[1] + own[1]]
            rolled = (sums[0], sums[1])
        else:
            rolled = own if own is not None else (0, 0)
        call = calls.get(person)
        if call is not None:
            called = (_cents(call.commit), _cents(call.best_case))
            # A call that leaves one figure blank keeps what stands there without it.
            called = tuple(rolled[i] if called[i] is None else called[i] for i in (0, 1))
            value[person] = called
            adjust = (called[0] - rolled[0], called[1] - rolled[1])
            status, week, by, submitted = call.status, call.week, call.by, call.submitted
        else:
            value[person] = rolled
            adjust = (0, 0)
            status = "rolled_up" if is_manager else "crm"
            week = by = submitted = None
        rows[person] = {
            "person": person,
            "manager": parent[person],
            "role": _none(role_of[person]),
            "team": _none(team_of[person]),
            "depth": depth[person],
            "reports": reports,
            "is_manager": is_manager,
            "own_commit": None if own is None else own[0] / 100,
            "own_best_case": None if own is None else own[1] / 100,
            "call_commit": None if call is None else value[person][0] / 100,
            "call_best_case": None if call is None else value[person][1] / 100,
            "status": status,
            "week": None if week is None else int(week),
            "by": _none(by),
            "submitted": submitted,
            "rolled_up_commit": rolled[0] / 100,
            "rolled_up_best_case": rolled[1] / 100,
            "value_commit": value[person][0] / 100,
            "value_best_case": value[person][1] / 100,
            "adjustment_commit": adjust[0] / 100,
            "adjustment_best_case": adjust[1] / 100,
        }
    order = sorted(rows, key=lambda p: (depth[p], p))
    out = pd.DataFrame([rows[p] for p in order], columns=list(ROLLUP_COLUMNS))
    out["week"] = out["week"].astype("Int64")
    return out


def _cents(value) -> int | None:
    if value is None or pd.isna(value):
        return None
    return int(round(float(value) * 100))


def _none(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def scope_call(rolled: pd.DataFrame) -> dict:
    """The call that stands for a whole scope: the value of its top person (their call in force,
    else their rolled-up sum), or the sum of the tops' values when several people are at the top
    (status ``rolled_up``).

    Args:
        rolled: ``roll_up`` of the scope's people.

    Returns:
        ``commit, best_case, status, week, by`` (None values for an empty scope).
    """
    tops = rolled[rolled["manager"].isna()]
    if tops.empty:
        return {"commit": None, "best_case": None, "status": None, "week": None, "by": None}
    if len(tops) == 1:
        top = tops.iloc[0]
        return {
            "commit": float(top["value_commit"]),
            "best_case": float(top["value_best_case"]),
            "status": top["status"],
            "week": None if pd.isna(top["week"]) else int(top["week"]),
            "by": _none(top["by"]),
        }
    return {
        "commit": int(cents(tops["value_commit"]).sum()) / 100,
        "best_case": int(cents(tops["value_best_case"]).sum()) / 100,
        "status": "rolled_up",
        "week": None,
        "by": None,
    }


# --- deal aggregates (what the reads return per owner; the same rules in SQL and here) ------

OWNER = ["owner_key", "owner"]
DAY_TOTAL_COLUMNS = (
    "owner_key",
    "owner",
    "won_c",
    "commit_c",
    "best_case_c",
    "open_c",
    "open_n",
    "weighted",
)
OUTCOME_COLUMNS = ("owner_key", "owner", "bucket", "n", "wins")
NEW_BUSINESS_COLUMNS = ("owner_key", "owner", "new_c", "new_n")


def bucket_of(categories: pd.Series) -> pd.Series:
    """The forecast bucket of open deals: ``commit``, ``best_case``, ``omitted``, else ``pipeline``
    (a missing or other category counts as pipeline)."""
    cat = categories.astype("object")
    known = cat.isin(["commit", "best_case", "omitted"]).fillna(False).astype(bool)
    return cat.where(known, "pipeline").astype("object")


def _in_quarter(state: pd.DataFrame, quarter) -> pd.Series:
    close = state["close_date"]
    return ((close >= ts(quarter.start)) & (close <= ts(quarter.end))).fillna(False).astype(bool)


def _status(state: pd.DataFrame, value: str) -> pd.Series:
    return (state["status"] == value).fillna(False).astype(bool)


def _owner_frame(state: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "owner_key": state["owner_key"].astype("object").to_numpy(),
            "owner": state["owner"].astype("object").to_numpy(),
        },
        index=state.index,
    )


def _group(frame: pd.DataFrame, keys: list[str], columns: tuple[str, ...]) -> pd.DataFrame:
    """Sums per owner key (and the other ``keys``), keeping one spelling of the owner: the least,
    as the reads' SQL keeps it."""
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    by = [k for k in keys if k != "owner"]
    values = [c for c in frame.columns if c not in keys]
    agg = {c: "sum" for c in values}
    if "owner" in keys:
        agg["owner"] = "min"
    out = frame.groupby(by, dropna=False, sort=True).agg(agg).reset_index()
    return out[list(columns)]


def day_totals(state: pd.DataFrame, quarter, day) -> pd.DataFrame:
    """Per owner, the quarter's totals in the state of ``day`` (docs/metrics.md#forecast-trend):
    won in quarter by ``day``, open commit and best case, open pipeline (amount and count) and
    the weighted pipeline. Money in integer cents, bar ``weighted``.

    Returns:
        ``DAY_TOTAL_COLUMNS``, one row per ``owner_key, owner``.
    """
    inq = _in_quarter(state, quarter)
    is_open = _status(state, "open") & inq
    won = _status(state, "won") & inq & (state["close_date"] <= ts(day)).fillna(False)
    c = cents(state["amount"]).to_numpy()
    cat = state["forecast_category"].astype("object")
    parts = _owner_frame(state).assign(
        won_c=np.where(won, c, 0),
        commit_c=np.where(is_open & (cat == "commit").fillna(False), c, 0),
        best_case_c=np.where(is_open & (cat == "best_case").fillna(False), c, 0),
        open_c=np.where(is_open, c, 0),
        open_n=is_open.astype("int64").to_numpy(),
        weighted=np.where(
            is_open, state["amount"].fillna(0.0) * state["probability"].fillna(0.0), 0.0
        ),
    )
    parts = parts[(won | is_open).to_numpy()]
    return _group(parts, OWNER, DAY_TOTAL_COLUMNS)


def outcome_counts(state_day: pd.DataFrame, state_end: pd.DataFrame, quarter) -> pd.DataFrame:
    """Per owner on the stand-in day and bucket: the deals open in ``quarter`` then (``n``) and
    how many of them were won in the quarter by its end (``wins``: won, close date in the
    quarter, in the state of its last day).

    Returns:
        ``OUTCOME_COLUMNS``.
    """
    is_open = _status(state_day, "open") & _in_quarter(state_day, quarter)
    rows = state_day[is_open]
    end_won = state_end[_status(state_end, "won") & _in_quarter(state_end, quarter)]
    won_keys = set(zip(end_won["source"], end_won["deal_id"], strict=True))
    wins = [(s, d) in won_keys for s, d in zip(rows["source"], rows["deal_id"], strict=True)]
    parts = _owner_frame(rows).assign(
        bucket=bucket_of(rows["forecast_category"]).to_numpy(),
        n=1,
        wins=np.asarray(wins, dtype="int64"),
    )
    return _group(parts, [*OWNER, "bucket"], OUTCOME_COLUMNS)


def new_business(state_day: pd.DataFrame, state_end: pd.DataFrame, quarter, day) -> pd.DataFrame:
    """Per owner at the quarter's end: the amount won in ``quarter`` by its end from deals that on
    ``day`` were neither open in the quarter nor won in it by then (created later, pulled in, or
    reopened), in integer cents (``new_c``) and deals (``new_n``).

    Returns:
        ``NEW_BUSINESS_COLUMNS``.
    """
    inq = _in_quarter(state_day, quarter)
    counted = inq & (
        _status(state_day, "open")
        | (_status(state_day, "won") & (state_day["close_date"] <= ts(day)).fillna(False))
    )
    known = set(
        zip(state_day.loc[counted, "source"], state_day.loc[counted, "deal_id"], strict=True)
    )
    end_won = state_end[_status(state_end, "won") & _in_quarter(state_end, quarter)]
    fresh = [
        (s, d) not in known for s, d in zip(end_won["source"], end_won["deal_id"], strict=True)
    ]
    rows = end_won[np.asarray(fresh, dtype=bool)]
    parts = _owner_frame(rows).assign(new_c=cents(rows["amount"]).to_numpy(), new_n=1)
    return _group(parts, OWNER, NEW_BUSINESS_COLUMNS)


# --- rates ----------------------------------------------------------------------------------

TEAM_RATE_COLUMNS = (
    "team",
    "bucket",
    "n",
    "wins",
    "pooled_n",
    "pooled_wins",
    "pooled",
    "rate",
)
REP_RATE_COLUMNS = (
    "rep",
    "team",
    "bucket",
    "n",
    "wins",
    "own",
    "weight",
    "team_rate",
    "rate",
)


def bucket_rates(
    observations: pd.DataFrame, week: int, reps: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Win rates per bucket for each team and each rep at ``week`` (docs/metrics.md#bucket-rates).

    - The team's pooled rate = its wins / deals over every week of every past quarter.
    - The team's rate at the week = (wins + 5 x pooled) / (n + 5), wins and n over the past
      quarters at that week; undefined (NaN) when the team has no deal in the bucket at all.
    - A rep's rate = w x (wins_rep / n_rep) + (1 - w) x the team's rate, w = n_rep / (n_rep + 10),
      counts at that week (with n_rep = 0 it is the team's rate).

    A rep's team is the one ``reps`` gives (today's); the team's counts are those of every rep
    of ``reps`` in it. Observations of reps not in ``reps`` are ignored.

    Args:
        observations: ``quarter, week, rep, bucket, n, wins`` (one row per past quarter, week, rep
            and bucket; the rep as the roster names them today).
        week: the week of the quarter asked for.
        reps: ``rep, team``: every rep to rate and the team each belongs to (None for owners
            without a team, who form one group).

    Returns:
        (team rates: ``TEAM_RATE_COLUMNS``; rep rates: ``REP_RATE_COLUMNS``), every bucket of
        every team and rep, teams in name order (no team last), reps in name order.
    """
    reps = reps.drop_duplicates("rep", keep="last")
    team_of = {r: _team_key(t) for r, t in zip(reps["rep"], reps["team"], strict=True)}
    obs = observations[observations["rep"].isin(list(team_of))].copy()
    obs["team"] = obs["rep"].map(team_of).astype("object")
    obs["n"] = obs["n"].astype("int64")
    obs["wins"] = obs["wins"].astype("int64")
    at_week = obs[obs["week"] == week]

    def sums(frame: pd.DataFrame, keys: list[str]) -> dict:
        if frame.empty:
            return {}
        grouped = frame.groupby(keys, sort=False)[["n", "wins"]].sum()
        return {
            k: (int(n), int(w))
            for k, n, w in zip(grouped.index, grouped["n"], grouped["wins"], strict=True)
        }

    pooled = sums(obs, ["team", "bucket"])
    now = sums(at_week, ["team", "bucket"])
    rep_now = sums(at_week, ["rep", "bucket"])
    teams = sorted(set(team_of.values()), key=lambda t: (t == _NO_TEAM, t))

    team_rows, team_rate = [], {}
    for team in teams:
        for bucket in BUCKETS:
            n, wins = now.get((team, bucket), (0, 0))
            pn, pw = pooled.get((team, bucket), (0, 0))
            pooled_rate = pw / pn if pn else math.nan
            rate = (wins + PRIOR_DEALS * pooled_rate) / (n + PRIOR_DEALS) if pn else math.nan
            team_rate[(team, bucket)] = rate
            name = None if team == _NO_TEAM else team
            team_rows.append((name, bucket, n, wins, pn, pw, pooled_rate, rate))
    rep_rows = []
    for rep in sorted(team_of):
        team = team_of[rep]
        for bucket in BUCKETS:
            n, wins = rep_now.get((rep, bucket), (0, 0))
            own = wins / n if n else math.nan
            weight = n / (n + SHRINK_DEALS)
            t_rate = team_rate[(team, bucket)]
            rate = t_rate if n == 0 else weight * own + (1 - weight) * t_rate
            name = None if team == _NO_TEAM else team
            rep_rows.append((rep, name, bucket, n, wins, own, weight, t_rate, rate))
    teams_out = pd.DataFrame(team_rows, columns=list(TEAM_RATE_COLUMNS))
    reps_out = pd.DataFrame(rep_rows, columns=list(REP_RATE_COLUMNS))
    # Text columns keep None for "no team" (pandas would infer a string type with NaN).
    teams_out["team"] = pd.Series([r[0] for r in team_rows], dtype="object")
    reps_out["team"] = pd.Series([r[1] for r in rep_rows], dtype="object")
    return teams_out, reps_out


_NO_TEAM = "\x00no team"  # owners without a team form one group


def _team_key(team) -> str:
    return _NO_TEAM if _none(team) is None else str(team)


def deal_rates(deals: pd.DataFrame, rep_rates: pd.DataFrame | None, method: str) -> pd.DataFrame:
    """Each open deal's chance to be won in the quarter and its expected amount.

    With the reference method a deal takes its rep's rate for its bucket; where that is
    undefined (the team has no history in the bucket) and with ``CRM_PROBABILITY`` it takes
    the CRM's probability (missing counts as 0), clipped to [0, 1].

    Args:
        deals: open in-quarter deals: ``rep, forecast_category, amount, probability`` (others kept).
        rep_rates: ``bucket_rates``'s rep rates (None with ``CRM_PROBABILITY``).
        method: ``REFERENCE`` or ``CRM_PROBABILITY``.

    Returns:
        ``deals`` plus ``bucket``, ``rate``, ``rate_source`` (``history`` or ``crm``) and
        ``expected`` = amount x rate (a missing amount counts as 0).
    """
    out = deals.copy()
    out["bucket"] = bucket_of(out["forecast_category"]).to_numpy()
    crm = out["probability"].astype("float64").fillna(0.0).clip(0.0, 1.0)
    rate = pd.Series(np.nan, index=out.index, dtype="float64")
    if method == REFERENCE and rep_rates is not None and not rep_rates.empty:
        lookup = rep_rates.set_index(["rep", "bucket"])["rate"]
        keys = pd.MultiIndex.from_arrays([out["rep"].astype("object"), out["bucket"]])
        rate = pd.Series(lookup.reindex(keys).to_numpy(), index=out.index, dtype="float64")
    from_history = rate.notna()
    out["rate"] = rate.where(from_history, crm).clip(0.0, 1.0)
    out["rate_source"] = np.where(from_history, "history", "crm")
    out["expected"] = out["amount"].astype("float64").fillna(0.0) * out["rate"]
    return out


# --- the landing range ----------------------------------------------------------------------


def _seed_words(rep: str, as_of, seed: int) -> list[int]:
    """The entropy of a rep's stream: the base seed, the day and a stable hash of the name
    (``hash()`` changes between processes; blake2b does not)."""
    digest = hashlib.blake2b(str(rep).encode("utf-8"), digest_size=16).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return [seed, _date(as_of).toordinal(), *words]


def rep_draws(
    rep: str,
    won_c: int,
    amounts_c: np.ndarray,
    rates: np.ndarray,
    new_c: np.ndarray,
    as_of,
    draws: int = DRAWS,
    seed: int = SEED,
) -> np.ndarray:
    """One rep's landing draws in integer cents (float64): won so far + each open deal won or not
    with its rate + one past quarter's new business.

    The random stream is seeded by ``seed``, the as-of day and a hash of the rep's name only, so
    the draws do not depend on which other reps are computed. Deals with rate 1 are always won
    and rate 0 never; others are drawn by comparing 16-bit random integers with rate x 65536
    (rounded, kept in 1..65535), in blocks of bounded size.

    Args:
        rep: the rep's name.
        won_c: won so far, cents.
        amounts_c: the open deals' amounts in cents, in a fixed order (the caller sorts them).
        rates: each deal's rate, in [0, 1].
        new_c: the rep's new business in each past quarter, cents (empty: none drawn).
        as_of: the day of the projection.
        draws: how many draws.
        seed: the base seed.

    Returns:
        ``draws`` totals in cents (float64 holding integers).
    """
    deal_seq, new_seq = np.random.SeedSequence(_seed_words(rep, as_of, seed)).spawn(2)
    total = np.full(draws, float(won_c))
    amounts = np.asarray(amounts_c, dtype="float64")
    rates = np.asarray(rates, dtype="float64")
    sure = rates >= 1.0
    total += amounts[sure].sum()
    drawn = (rates > 0.0) & ~sure
    amounts, rates = amounts[drawn], rates[drawn]
    if len(amounts):
        gen = np.random.Generator(np.random.PCG64(deal_seq))
        steps = np.clip(np.round(rates * _RATE_STEPS), 1, _RATE_STEPS - 1).astype(np.uint16)
        block = max(1, _BLOCK_ELEMENTS // draws)
        for start in range(0, len(amounts), block):
            stop = min(start + block, len(amounts))
            n = (stop - start) * draws
            raw = gen.bit_generator.random_raw((n + 3) // 4).view(np.uint16)[:n]
            won = raw.reshape(stop - start, draws) < steps[start:stop, None]
            for sub in range(0, stop - start, _SUM_ROWS):
                rows = slice(start + sub, min(start + sub + _SUM_ROWS, stop))
                total += amounts[rows] @ won[sub : sub + _SUM_ROWS]
    new_c = np.asarray(new_c, dtype="float64")
    if len(new_c):
        gen = np.random.Generator(np.random.PCG64(new_seq))
        total += new_c[gen.integers(0, len(new_c), draws)]
    return total


def landing_stats(draws_c: np.ndarray, quota: float | None) -> dict:
    """p10, p50, p90 (each an actual draw: the empirical quantile, ``inverted_cdf``) and
    ``chance_of_quota`` = the share of draws at or above quota (None without a quota), in money."""
    if len(draws_c) == 0:
        out = {k: None for k in PERCENTILES}
        out["chance_of_quota"] = None
        return out
    qs = np.quantile(draws_c, list(PERCENTILES.values()), method="inverted_cdf")
    out = {k: float(v) / 100 for k, v in zip(PERCENTILES, qs, strict=True)}
    quota_c = None if quota is None or pd.isna(quota) or quota <= 0 else _cents(quota)
    out["chance_of_quota"] = (
        None if quota_c is None else float(np.count_nonzero(draws_c >= quota_c) / len(draws_c))
    )
    return out


LANDING_COLUMNS = (
    "won",
    "from_open",
    "from_new",
    "mean",
    "p10",
    "p50",
    "p90",
    "chance_of_quota",
    "quota",
    "open_deals",
    "new_quarters",
)


@dataclass
class Landing:
    """The landing range: per rep, and the summed draws of each group of reps."""

    reps: pd.DataFrame  # index rep: LANDING_COLUMNS
    draws: dict[Hashable, np.ndarray] = field(default_factory=dict)  # group -> cents
    won: dict[Hashable, int] = field(default_factory=dict)  # group -> won so far, cents
    n_draws: int = DRAWS

    def group_stats(self, groups: Iterable[Hashable], quota: float | None) -> dict:
        """The range of the union of ``groups``: their draws summed (never their percentiles)."""
        groups = [g for g in groups if g in self.draws]
        total = np.zeros(self.n_draws)
        for g in groups:
            total += self.draws[g]
        return landing_stats(total, quota)


def simulate(
    reps: pd.DataFrame,
    deals: pd.DataFrame,
    new: pd.DataFrame,
    as_of,
    draws: int = DRAWS,
    seed: int = SEED,
) -> Landing:
    """The landing range of each rep and of each group of reps (docs/metrics.md#landing-range).

    Args:
        reps: ``rep, group, won, quota``: every rep to project (``group`` keys the summed draws,
            e.g. the team; ``quota`` None or 0 for none).
        deals: their open in-quarter deals: ``rep, source, deal_id, amount, rate``.
        new: the reps' new business per past quarter: ``rep, new`` (money; one row per quarter).
        as_of: the day of the projection (part of each rep's seed).
        draws: how many draws (at least 5,000 for the contract).
        seed: the base seed.

    Returns:
        A ``Landing``: per rep ``LANDING_COLUMNS`` with the mean and its split as exact
        expectations (won + sum of amount x rate + the mean of the past quarters' new business)
        and the percentiles and chance from the draws; per group the summed draws.
    """
    deals = deals.sort_values(["rep", "source", "deal_id"], kind="stable")
    amounts = cents(deals["amount"].astype("float64")).to_numpy()
    rates = deals["rate"].astype("float64").fillna(0.0).clip(0.0, 1.0).to_numpy()
    rep_col = deals["rep"].astype("object").to_numpy()
    bounds = _segments(rep_col)
    new = new.sort_values("rep", kind="stable")
    new_c = cents(new["new"].astype("float64")).to_numpy()
    new_bounds = _segments(new["rep"].astype("object").to_numpy())
    new_by_rep = {rep: new_c[lo:hi] for rep, (lo, hi) in new_bounds.items()}
    rows, group_draws, group_won = [], {}, {}
    for rec in reps.sort_values("rep", kind="stable").itertuples(index=False):
        lo, hi = bounds.get(rec.rep, (0, 0))
        won_c = _cents(rec.won) or 0
        samples = new_by_rep.get(rec.rep, np.zeros(0, dtype="int64"))
        vector = rep_draws(
            rec.rep, won_c, amounts[lo:hi], rates[lo:hi], samples, as_of, draws, seed
        )
        from_open = float(np.sum(amounts[lo:hi] * rates[lo:hi])) / 100
        from_new = float(samples.mean()) / 100 if len(samples) else 0.0
        quota = None if rec.quota is None or pd.isna(rec.quota) else float(rec.quota)
        stats = landing_stats(vector, quota)
        rows.append(
            {
                "rep": rec.rep,
                "won": won_c / 100,
                "from_open": from_open,
                "from_new": from_new,
                "mean": won_c / 100 + from_open + from_new,
                **stats,
                "quota": quota,
                "open_deals": hi - lo,
                "new_quarters": len(samples),
            }
        )
        key = rec.group
        if key in group_draws:
            group_draws[key] += vector
            group_won[key] += won_c
        else:
            group_draws[key] = vector.copy()
            group_won[key] = won_c
    out = pd.DataFrame(rows, columns=["rep", *LANDING_COLUMNS]).set_index("rep")
    return Landing(out, group_draws, group_won, draws)


def _segments(keys: np.ndarray) -> dict:
    """key -> (start, stop) of its run in ``keys`` (sorted by key)."""
    if len(keys) == 0:
        return {}
    change = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
    return {keys[a]: (int(a), int(b)) for a, b in zip(change[:-1], change[1:], strict=True)}


# --- backtest and call accuracy ------------------------------------------------------------


def _errors(rows: pd.DataFrame) -> dict:
    n = len(rows)
    if n == 0:
        return {
            "quarters": 0,
            "mae_p50": None,
            "coverage": None,
            "mae_commit_forecast": None,
            "mae_won_plus_weighted": None,
        }
    actual = rows["actual"].astype("float64")
    inside = (rows["p10"] <= actual) & (actual <= rows["p90"])
    return {
        "quarters": n,
        "mae_p50": float((rows["p50"] - actual).abs().mean()),
        "coverage": float(inside.mean()),
        "mae_commit_forecast": float((rows["commit_forecast"] - actual).abs().mean()),
        "mae_won_plus_weighted": float((rows["won_plus_weighted"] - actual).abs().mean()),
    }


def backtest_summary(rows: pd.DataFrame) -> dict:
    """How the projection did on past quarters (docs/metrics.md#backtest).

    Args:
        rows: one row per past quarter: ``p10, p50, p90, actual, commit_forecast,
            won_plus_weighted`` and, when known, ``method``.

    Returns:
        ``quarters``; ``mae_p50``: mean |p50 - actual|; ``coverage``: share of actuals in
        [p10, p90]; ``mae_commit_forecast`` and ``mae_won_plus_weighted``: the baselines' mean
        absolute errors (None without rows); with ``method``, ``reference``: the same over the
        quarters the reference method ran on (those with an earlier quarter to learn from),
        which is what judges the method.
    """
    out = _errors(rows)
    if "method" in rows.columns:
        out["reference"] = _errors(rows[rows["method"] == REFERENCE])
    return out


def judged(summary: dict) -> dict:
    """The part of a ``backtest_summary`` that judges the projection: its reference-method
    quarters when there are any, else every quarter (the fallback's own record)."""
    reference = summary.get("reference") or {}
    return reference if reference.get("quarters") else summary


ACCURACY_COLUMNS = (
    "person",
    "quarter",
    "week",
    "week_end",
    "commit",
    "by",
    "actual",
    "error",
    "error_pct",
)


def below(people: pd.DataFrame) -> dict[str, set[str]]:
    """person -> everyone below them in the chain (their reports, their reports' reports, ...)."""
    parent = _parents(people)
    out: dict[str, set[str]] = {p: set() for p in parent}
    for person in parent:
        node = parent[person]
        while node is not None:
            out[node].add(person)
            node = parent[node]
    return out


def call_accuracy(
    calls: pd.DataFrame, people: pd.DataFrame, won_at_end: Mapping[str, float], quarter
) -> pd.DataFrame:
    """For an ended quarter, each person's commit call in force at the end of each week against
    what was won by the quarter's end (docs/metrics.md#call-accuracy).

    A person's actual is their own won plus the won of everyone below them in ``people`` (the
    chain on the quarter's last day). ``error`` = call - actual; ``error_pct`` = error / actual,
    None when the actual is 0. Weeks without a call in force are left out.

    Args:
        calls: every call (``CALL_COLUMNS``).
        people: ``person, manager`` on the quarter's last day.
        won_at_end: rep -> won at the quarter's end (money).
        quarter: the ended quarter.

    Returns:
        ``ACCURACY_COLUMNS``, by person then week.
    """
    under = below(people) if not people.empty else {}
    rows = []
    for k in range(1, week_count(quarter) + 1):
        end = week_end(quarter, k)
        for call in calls_in_force(calls, quarter, end).itertuples(index=False):
            if call.commit is None or pd.isna(call.commit):
                continue
            team = {call.person} | under.get(call.person, set())
            actual_c = sum(_cents(won_at_end.get(p, 0.0)) or 0 for p in team)
            error_c = _cents(call.commit) - actual_c
            rows.append(
                {
                    "person": call.person,
                    "quarter": quarter.name,
                    "week": k,
                    "week_end": end,
                    "commit": float(call.commit),
                    "by": _none(call.by),
                    "actual": actual_c / 100,
                    "error": error_c / 100,
                    "error_pct": error_c / actual_c if actual_c else None,
                }
            )
    out = pd.DataFrame(rows, columns=list(ACCURACY_COLUMNS))
    return out.sort_values(["person", "quarter", "week"], kind="stable").reset_index(drop=True)


def call_bias(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Per person over the graded weeks: ``weeks`` (with a defined error %), ``bias`` = mean
    signed error % (positive: over-calls; negative: sandbagging) and ``mean_abs_error_pct``.

    Returns:
        index person: ``weeks, bias, mean_abs_error_pct`` (None where no week has an error %).
    """
    rows = []
    for person, own in accuracy.groupby("person", sort=True):
        pct = own["error_pct"].dropna().astype("float64")
        rows.append(
            {
                "person": person,
                "weeks": len(pct),
                "bias": float(pct.mean()) if len(pct) else None,
                "mean_abs_error_pct": float(pct.abs().mean()) if len(pct) else None,
            }
        )
    cols = ["person", "weeks", "bias", "mean_abs_error_pct"]
    return pd.DataFrame(rows, columns=cols).set_index("person")


__all__ = [
    "BUCKETS",
    "CALL_COLUMNS",
    "CHAIN_ROLES",
    "CRM_PROBABILITY",
    "DRAWS",
    "ENDED",
    "REFERENCE",
    "SEED",
    "STATUSES",
    "Landing",
    "backtest_summary",
    "below",
    "bucket_of",
    "bucket_rates",
    "call_accuracy",
    "call_bias",
    "calls_in_force",
    "day_totals",
    "deal_rates",
    "landing_stats",
    "new_business",
    "outcome_counts",
    "quarter_weeks",
    "rep_draws",
    "roll_up",
    "scope_call",
    "simulate",
    "stand_in_days",
    "week_count",
    "week_end",
    "week_of",
]
