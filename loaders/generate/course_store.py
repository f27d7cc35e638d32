"""A seeded store shaped for the Course: teams, quotas, weekly snapshots, written directly.

Built straight from canonical frames through ``loaders.ingest.store_frame`` (no export files), so
it is quick at the demo's size and reaches the benchmarks' full size (2,000 reps, 200,000 open
deals) in a minute; the tests and ``bench/bench_course.py`` use it. Each deal has one story
rendered into every snapshot: created on a day, a close date that may be pushed or pulled in on
later days, and for some a win or loss. The same seed gives the same store.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from loaders.fiscal import quarter_of
from loaders.ingest import store_frame

STAGES = ("Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation")
FIRST = (
    "Ann",
    "Bo",
    "Cy",
    "Dee",
    "Eli",
    "Fay",
    "Gus",
    "Hal",
    "Ida",
    "Jo",
    "Kai",
    "Lu",
    "Max",
    "Ned",
    "Ola",
    "Pia",
    "Quinn",
    "Rae",
    "Sam",
    "Tia",
    "Uma",
    "Vic",
    "Wes",
    "Xena",
    "Yul",
    "Zoe",
)
LAST = (
    "Lee",
    "Chen",
    "Diaz",
    "Okafor",
    "Novak",
    "Sato",
    "Berg",
    "Costa",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Olsen",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Young",
    "Zhou",
)
TEAMS = ("East", "West", "Central", "North", "South", "Enterprise", "Public Sector", "Partners")


def rep_names(n: int) -> list[str]:
    """``n`` distinct, readable names (a number is added once the combinations run out)."""
    names = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST) + i) % len(LAST)]
        cycle = i // (len(FIRST) * len(LAST))
        names.append(f"{first} {last}" + (f" {cycle + 1}" if cycle else ""))
    return names


def team_names(n: int) -> list[str]:
    return [TEAMS[i] if i < len(TEAMS) else f"Team {i + 1:03d}" for i in range(n)]


def build_course_store(
    engine: Engine,
    *,
    reps: int = 24,
    teams: int = 3,
    deals_per_rep: int = 12,
    today: dt.date = dt.date(2026, 11, 22),
    weeks: int = 8,
    seed: int = 7,
    snapshot_days: list[dt.date] | None = None,
) -> dict:
    """Fill ``engine`` (an upgraded, empty store) and return what was written.

    Args:
        engine: the store.
        reps: account executives, spread over ``teams`` teams.
        deals_per_rep: open deals per rep closing in the current quarter (roughly: some are won,
            lost or pushed out by the last snapshot).
        today: the last snapshot's day; the quarter is the one holding it.
        weeks: weekly snapshots, the last on ``today``.
        seed: random seed.
        snapshot_days: explicit snapshot days instead of ``weeks`` weekly ones.

    Returns:
        ``{"quarter", "reps", "teams", "snapshot_days", "deals"}`` (``deals``: one row per deal
        with its story).
    """
    rng = np.random.default_rng(seed)
    quarter = quarter_of(today)
    names = rep_names(reps)
    team_of = [team_names(teams)[i % teams] for i in range(reps)]
    days = snapshot_days or [today - dt.timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
    first_day = min(days)

    roster = pd.DataFrame(
        {
            "rep": names,
            "team": team_of,
            "role": "AE",
            "email": [n.lower().replace(" ", ".") + "@example.com" for n in names],
            "start_date": [
                pd.Timestamp(today) - pd.Timedelta(days=int(d))
                for d in rng.integers(60, 1500, reps)
            ],
        }
    )
    # Quotas in proportion to the book (about half of the quarter's deals by value), so
    # attainment lands around pace with a spread; one rep without quota is always on show.
    typical = deals_per_rep * float(np.exp(10.6 + 0.7**2 / 2))
    quota = np.round(typical * rng.uniform(0.35, 0.6, reps), -4)
    quotas = pd.DataFrame({"rep": names, "quarter": quarter.name, "quota": quota})
    if reps > 3:
        quotas = quotas.drop(index=3)

    # Deals in the quarter: close dates spread over it; past ones mostly closed by now.
    n = reps * deals_per_rep
    owner = np.repeat(np.arange(reps), deals_per_rep)
    q_days = quarter.days
    close_off = rng.integers(0, q_days, n)
    close0 = np.array([quarter.start + dt.timedelta(days=int(o)) for o in close_off])
    created = np.array(
        [
            min(c, first_day) - dt.timedelta(days=int(x))
            for c, x in zip(close0, rng.integers(20, 120, n), strict=True)
        ]
    )
    amount = np.round(rng.lognormal(10.6, 0.7, n), -2)
    past = np.array([c <= today for c in close0])
    outcome = np.where(
        past,
        rng.choice(["won", "lost", "open"], n, p=[0.55, 0.3, 0.15]),
        rng.choice(["open", "won"], n, p=[0.95, 0.05]),
    )
    # Some deals get their close date moved on a snapshot day (pushed, a few pulled in).
    moves = rng.random(n) < 0.25
    move_day = (
        np.array([days[int(k)] for k in rng.integers(1, max(len(days), 2), n)])
        if len(days) > 1
        else np.array([days[0]] * n)
    )
    shift = np.where(rng.random(n) < 0.8, rng.integers(7, 40, n), -rng.integers(5, 20, n))
    category = rng.choice(
        ["commit", "best_case", "pipeline", "omitted"], n, p=[0.3, 0.3, 0.32, 0.08]
    )
    stage = rng.choice(list(STAGES), n)
    deals = pd.DataFrame(
        {
            "deal_id": [f"006D{i:07d}" for i in range(n)],
            "rep": [names[o] for o in owner],
            "deal_name": [
                f"{LAST[i % len(LAST)]} Holdings — {('Renewal', 'Expansion', 'New logo')[i % 3]}"
                f" {i}"
                for i in range(n)
            ],
            "account": [f"{LAST[i % len(LAST)]} Holdings {i % 97}" for i in range(n)],
            "amount": amount,
            "close0": close0,
            "created": created,
            "outcome": outcome,
            "moves": moves,
            "move_day": move_day,
            "shift": shift,
            "category": category,
            "stage": stage,
        }
    )
    # Closed history for win rate, average deal and cycle: a year before the quarter.
    h = reps * max(4, deals_per_rep // 2)
    h_owner = rng.integers(0, reps, h)
    h_close = np.array([quarter.start - dt.timedelta(days=int(x)) for x in rng.integers(1, 360, h)])
    history = pd.DataFrame(
        {
            "deal_id": [f"006H{i:07d}" for i in range(h)],
            "owner": [names[o] for o in h_owner],
            "deal_name": [f"Closed deal {i}" for i in range(h)],
            "account": [f"Past account {i % 53}" for i in range(h)],
            "status": rng.choice(["won", "lost"], h, p=[0.35, 0.65]),
            "amount": np.round(rng.lognormal(10.6, 0.7, h), -2),
            "close_date": pd.to_datetime(h_close),
            "created_date": pd.to_datetime(
                [
                    c - dt.timedelta(days=int(x))
                    for c, x in zip(h_close, rng.integers(20, 150, h), strict=True)
                ]
            ),
            "stage": "Closed",
            "probability": 0.0,
            "forecast_category": "closed",
        }
    )
    history["stage"] = np.where(history["status"] == "won", "Closed Won", "Closed Lost")
    history["probability"] = np.where(history["status"] == "won", 1.0, 0.0)

    store_frame(
        engine,
        "roster",
        roster,
        as_of=dt.datetime.combine(first_day, dt.time()),
        source_name="roster.csv",
    )
    store_frame(
        engine,
        "quota",
        quotas,
        as_of=dt.datetime.combine(first_day, dt.time()),
        source_name="quotas.csv",
    )
    for day in days:
        store_frame(
            engine,
            "pipeline",
            snapshot(deals, history, day, quarter),
            as_of=dt.datetime.combine(day, dt.time()),
            source_name=f"salesforce_opportunities_{day.isoformat()}.csv",
        )
    ready = readiness_events(names, today, rng)
    store_frame(
        engine,
        "readiness",
        ready,
        as_of=dt.datetime.combine(today, dt.time()),
        source_name=f"lms_{today.isoformat()}.csv",
    )
    return {
        "quarter": quarter,
        "reps": names,
        "teams": dict(zip(names, team_of, strict=True)),
        "snapshot_days": days,
        "deals": deals,
    }


def snapshot(deals: pd.DataFrame, history: pd.DataFrame, day: dt.date, quarter) -> pd.DataFrame:
    """Every deal as an export taken on ``day`` shows it."""
    d = deals[deals["created"] <= day]
    moved = d["moves"] & (d["move_day"] <= day)
    close = pd.to_datetime(d["close0"]) + pd.to_timedelta(np.where(moved, d["shift"], 0), unit="D")
    closed = (d["outcome"] != "open") & (close.dt.date <= day)
    status = np.where(closed, d["outcome"], "open")
    stage = np.where(
        status == "won", "Closed Won", np.where(status == "lost", "Closed Lost", d["stage"])
    )
    cat = np.where(status == "open", d["category"], "closed")
    prob = np.where(status == "won", 1.0, np.where(status == "lost", 0.0, 0.4))
    # Last activity: recent for most, weeks old for some (stale deals).
    last = pd.Timestamp(day) - pd.to_timedelta((d["amount"].to_numpy() % 23).astype(int), unit="D")
    frame = pd.DataFrame(
        {
            "deal_id": d["deal_id"],
            "deal_name": d["deal_name"],
            "account": d["account"],
            "owner": d["rep"],
            "stage": stage,
            "status": status,
            "amount": d["amount"],
            "probability": prob,
            "forecast_category": cat,
            "close_date": close,
            "created_date": pd.to_datetime(d["created"]),
            "last_activity_date": last,
            "next_step": np.where(d["amount"].to_numpy() % 5 < 4, "Call with sponsor", None),
        }
    )
    past = history[history["created_date"] <= pd.Timestamp(day)].rename(columns={})
    return pd.concat([frame, past], ignore_index=True)


def readiness_events(names: list[str], today: dt.date, rng) -> pd.DataFrame:
    """A required course and a recent call score per rep."""
    n = len(names)
    due = pd.Timestamp(today) - pd.Timedelta(days=20)
    done = rng.random(n) < 0.7
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "rep": names,
                    "program": "Negotiation essentials",
                    "kind": "course",
                    "required": True,
                    "assigned_date": due - pd.Timedelta(days=30),
                    "due_date": due,
                    "completed_date": [due - pd.Timedelta(days=3) if x else pd.NaT for x in done],
                    "score": np.nan,
                }
            ),
            pd.DataFrame(
                {
                    "rep": names,
                    "program": "Discovery call review",
                    "kind": "call_score",
                    "required": False,
                    "assigned_date": pd.NaT,
                    "due_date": pd.NaT,
                    "completed_date": pd.Timestamp(today) - pd.Timedelta(days=10),
                    "score": rng.uniform(35, 95, n).round(0),
                }
            ),
        ],
        ignore_index=True,
    )
