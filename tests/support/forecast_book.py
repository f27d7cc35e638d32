"""A small, hand-worked store for the forecast (two past quarters and the current one), stored
through ``loaders.ingest.store_frame``. Every figure the forecast tests expect is worked out below.

Org (roster loaded 2026-01-01, reporting lines from the start of time):

    Dave Diaz (Director, no team)
    ├── Mia Park (Manager, East): Ann Lee, Bob Ray (AE, East)
    └── Max Moss (Manager, West): Cy Chen (AE, West)

Quotas: every AE 2026-Q2, Q3 and Q4: Ann 100,000; Bob 80,000; Cy 50,000 (team 230,000).
One source (salesforce), no field history. Snapshots (week of its quarter):
2026-Q2: 04-08 (wk 2), 04-24 (wk 4), 06-30 (wk 13, the quarter's end);
2026-Q3: 07-08 (wk 2), 07-24 (wk 4), 09-30 (wk 14, the end);
2026-Q4: 10-08 (wk 2), 10-22 (wk 4: the as-of day of the tests), and 11-05 (after it:
``LATE``, stored only by ``seed_forecast_book(late=True)``, for the no-peeking test).

Deals (amount, close date, category, probability):
  2026-Q2   04-08              04-24              06-30 (end)
  A21 Ann   commit 10,000 0.9  same               won 05-15
  A22 Ann   pipeline 20,000 .2 same               lost
  A23 Ann   -                  -                  won 5,000 06-10 (created 05-01: new business)
  B21 Bob   pipeline 8,000 0.7 commit 8,000 0.7   won 05-20
  B22 Bob   best case 6,000 .4 same               lost
  C21 Cy    commit 4,000 0.6   same               open, pushed to 07-15
  2026-Q3   07-08              07-24              09-30 (end)
  A31 Ann   commit 12,000 0.8  same               lost
  A32 Ann   best case 9,000 .5 same               won 09-05
  B31 Bob   pipeline 7,000 0.3 same               won 08-30
  B32 Bob   -                  -                  won 3,000 09-20 (created 08-01: new business)
  C31 Cy    commit 5,000 0.9   same               won 08-01
  C21 Cy    commit 4,000 (07-15) lost 07-15       lost
  2026-Q4   10-08              10-22              11-05 (LATE)
  A41 Ann   pipeline 20,000 .3 commit 20,000 0.6  won 11-01
  A42 Ann   -                  pipeline 10,000 .2 same
  A43 Ann   commit 15,000 0.8  won 10-15          same
  B41 Bob   best case 16,000 .5 same              lost
  B42 Bob   -                  omitted 4,000 0.1  same
  C41 Cy    commit 6,000 0.7   same               same

Calls: Ann 2026-Q4 10-05 30,000 / 40,000 and 10-20 33,000 / 45,000; Mia 2026-Q4 10-22
60,000 / 90,000; Cy 2026-Q4 10-23 (after the as-of day) 9,999 / 9,999; Cy 2026-Q3 09-01
6,000 / 7,000; Mia 2026-Q3 07-20 30,000 / 40,000.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from loaders import schema
from loaders.ingest import store_frame

QUARTER = "2026-Q4"
AS_OF = dt.date(2026, 10, 22)
LATE = dt.date(2026, 11, 5)


def _frame(kind: str, rows: list[dict]) -> pd.DataFrame:
    return schema.conform(pd.DataFrame(rows), kind)


def _deal(deal_id, owner, status, close, amount, category, probability, created="2026-01-01"):
    stage = {"open": "Negotiation", "won": "Closed Won", "lost": "Closed Lost"}[status]
    return dict(
        deal_id=deal_id,
        deal_name=f"Deal {deal_id}",
        owner=owner,
        status=status,
        close_date=close,
        amount=float(amount),
        stage=stage,
        probability=probability,
        forecast_category=category if status == "open" else "closed",
        created_date=created,
    )


A, B, C = "Ann Lee", "Bob Ray", "Cy Chen"
SNAPSHOTS = {
    dt.date(2026, 4, 8): [
        _deal("A21", A, "open", "2026-05-15", 10000, "commit", 0.9),
        _deal("A22", A, "open", "2026-06-20", 20000, "pipeline", 0.2),
        _deal("B21", B, "open", "2026-05-20", 8000, "pipeline", 0.7),
        _deal("B22", B, "open", "2026-06-01", 6000, "best_case", 0.4),
        _deal("C21", C, "open", "2026-06-15", 4000, "commit", 0.6),
    ],
    dt.date(2026, 4, 24): [
        _deal("A21", A, "open", "2026-05-15", 10000, "commit", 0.9),
        _deal("A22", A, "open", "2026-06-20", 20000, "pipeline", 0.2),
        _deal("B21", B, "open", "2026-05-20", 8000, "commit", 0.7),
        _deal("B22", B, "open", "2026-06-01", 6000, "best_case", 0.4),
        _deal("C21", C, "open", "2026-06-15", 4000, "commit", 0.6),
    ],
    dt.date(2026, 6, 30): [
        _deal("A21", A, "won", "2026-05-15", 10000, None, 1.0),
        _deal("A22", A, "lost", "2026-06-20", 20000, None, 0.0),
        _deal("A23", A, "won", "2026-06-10", 5000, None, 1.0, created="2026-05-01"),
        _deal("B21", B, "won", "2026-05-20", 8000, None, 1.0),
        _deal("B22", B, "lost", "2026-06-01", 6000, None, 0.0),
        _deal("C21", C, "open", "2026-07-15", 4000, "commit", 0.6),
    ],
    dt.date(2026, 7, 8): [
        _deal("A31", A, "open", "2026-08-10", 12000, "commit", 0.8),
        _deal("A32", A, "open", "2026-09-05", 9000, "best_case", 0.5),
        _deal("B31", B, "open", "2026-08-30", 7000, "pipeline", 0.3),
        _deal("C31", C, "open", "2026-08-01", 5000, "commit", 0.9),
        _deal("C21", C, "open", "2026-07-15", 4000, "commit", 0.6),
    ],
    dt.date(2026, 7, 24): [
        _deal("A31", A, "open", "2026-08-10", 12000, "commit", 0.8),
        _deal("A32", A, "open", "2026-09-05", 9000, "best_case", 0.5),
        _deal("B31", B, "open", "2026-08-30", 7000, "pipeline", 0.3),
        _deal("C31", C, "open", "2026-08-01", 5000, "commit", 0.9),
        _deal("C21", C, "lost", "2026-07-15", 4000, None, 0.0),
    ],
    dt.date(2026, 9, 30): [
        _deal("A31", A, "lost", "2026-08-10", 12000, None, 0.0),
        _deal("A32", A, "won", "2026-09-05", 9000, None, 1.0),
        _deal("B31", B, "won", "2026-08-30", 7000, None, 1.0),
        _deal("B32", B, "won", "2026-09-20", 3000, None, 1.0, created="2026-08-01"),
        _deal("C31", C, "won", "2026-08-01", 5000, None, 1.0),
        _deal("C21", C, "lost", "2026-07-15", 4000, None, 0.0),
    ],
    dt.date(2026, 10, 8): [
        _deal("A41", A, "open", "2026-11-10", 20000, "pipeline", 0.3),
        _deal("A43", A, "open", "2026-10-15", 15000, "commit", 0.8),
        _deal("B41", B, "open", "2026-11-30", 16000, "best_case", 0.5),
        _deal("C41", C, "open", "2026-11-20", 6000, "commit", 0.7),
    ],
    AS_OF: [
        _deal("A41", A, "open", "2026-11-10", 20000, "commit", 0.6),
        _deal("A42", A, "open", "2026-12-15", 10000, "pipeline", 0.2, created="2026-10-15"),
        _deal("A43", A, "won", "2026-10-15", 15000, None, 1.0),
        _deal("B41", B, "open", "2026-11-30", 16000, "best_case", 0.5),
        _deal("B42", B, "open", "2026-12-01", 4000, "omitted", 0.1, created="2026-10-20"),
        _deal("C41", C, "open", "2026-11-20", 6000, "commit", 0.7),
    ],
}
LATE_SNAPSHOT = [
    _deal("A41", A, "won", "2026-11-01", 20000, None, 1.0),
    _deal("A42", A, "open", "2026-12-15", 10000, "pipeline", 0.2, created="2026-10-15"),
    _deal("A43", A, "won", "2026-10-15", 15000, None, 1.0),
    _deal("B41", B, "lost", "2026-11-30", 16000, None, 0.0),
    _deal("B42", B, "open", "2026-12-01", 4000, "omitted", 0.1, created="2026-10-20"),
    _deal("C41", C, "open", "2026-11-20", 6000, "commit", 0.7),
]
ROSTER = [
    dict(rep=A, team="East", manager="Mia Park", role="AE", email="ann@x.com"),
    dict(rep=B, team="East", manager="Mia Park", role="AE", email="bob@x.com"),
    dict(rep=C, team="West", manager="Max Moss", role="AE", email="cy@x.com"),
    dict(rep="Mia Park", team="East", manager="Dave Diaz", role="Manager", email="mia@x.com"),
    dict(rep="Max Moss", team="West", manager="Dave Diaz", role="Manager", email="max@x.com"),
    dict(rep="Dave Diaz", team=None, manager=None, role="Director", email="dave@x.com"),
]
QUOTAS = {A: 100000.0, B: 80000.0, C: 50000.0}
CALLS = [
    dict(person=A, quarter="2026-Q4", submitted="2026-10-05", commit=30000.0, best_case=40000.0),
    dict(person=A, quarter="2026-Q4", submitted="2026-10-20", commit=33000.0, best_case=45000.0),
    dict(
        person="Mia Park",
        quarter="2026-Q4",
        submitted="2026-10-22",
        commit=60000.0,
        best_case=90000.0,
    ),
    dict(person=C, quarter="2026-Q4", submitted="2026-10-23", commit=9999.0, best_case=9999.0),
    dict(person=C, quarter="2026-Q3", submitted="2026-09-01", commit=6000.0, best_case=7000.0),
    dict(
        person="Mia Park",
        quarter="2026-Q3",
        submitted="2026-07-20",
        commit=30000.0,
        best_case=40000.0,
    ),
]


def seed_forecast_book(
    engine, late: bool = False, snapshots: dict[dt.date, list[dict]] | None = None
) -> None:
    """Store the book above; with ``late``, also the 11-05 snapshot (after the as-of day);
    ``snapshots`` replaces the rows of the days it names."""
    jan = dt.datetime(2026, 1, 1)
    roster = [{**r, "start_date": "2024-01-01"} for r in ROSTER]
    store_frame(engine, "roster", _frame("roster", roster), source="roster", as_of=jan)
    quotas = [
        dict(rep=rep, quarter=q, quota=amount)
        for q in ("2026-Q2", "2026-Q3", "2026-Q4")
        for rep, amount in QUOTAS.items()
    ]
    store_frame(engine, "quota", _frame("quota", quotas), source="roster", as_of=jan)
    days = {**SNAPSHOTS, **(snapshots or {})}
    if late:
        days[LATE] = LATE_SNAPSHOT
    for day, rows in sorted(days.items()):
        store_frame(
            engine,
            "pipeline",
            _frame("pipeline", rows),
            source="salesforce",
            as_of=dt.datetime.combine(day, dt.time(6)),
            source_name=f"sf_{day}.csv",
        )
    store_frame(
        engine,
        "calls",
        _frame("calls", [{**c, "author": None} for c in CALLS]),
        source="calls",
        as_of=dt.datetime(2026, 10, 23, 12),
        source_name="calls.csv",
    )
