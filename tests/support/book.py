"""A small, hand-checked book of deals stored through ``loaders.ingest.store_frame`` (for the
metrics and summary tests; the ``book_engine`` and ``book_engines`` fixtures in
``tests/integration/conftest.py`` hold it on SQLite and PostgreSQL for a whole session).

The book (quarter 2026-Q4, since 2026-11-01, as_of 2026-11-22):

Roster (East: Ann Lee, Bob Ray, Sam Se (SE), Dan New (joins 2026-11-10); West: Cat Wu).
Quotas 2026-Q4: Ann 100,000; Bob 50,000; Dan 20,000 (Cat none).

salesforce on 11-01 and 11-22, hubspot on 10-30 and 11-20:
  deal  11-01 (A)                          11-22 (B)
  A1    Ann won 10-15 30,000               same                 (won in quarter)
  A2    -                                  Ann won 11-25 5,000  (closes after as_of)
  A3    Ann open 11-10 20,000 commit       same                 (past due at B; activity 11-12)
  A4    Ann open 12-15 30,000 best case    ann@x.com 40,000     (same rep by e-mail: increased)
  A5    Ann open 2027-01-15 99,999         same                 (outside the quarter)
  A6/A7/A8 Ann lost 06-30 10,000 / won 2025-12-01 20,000 / won 2025-11-20 7,777 (both days)
  B1    Bob open 10-31 60,000              Bob won 10-20 60,000 (won)
  B2    Ann open 12-01 10,000              Bob open 12-01 10,000 (transferred, unchanged)
  X1    Ann open 12-05 5,000               (deleted)            (removed)
  P1    Ann open 12-10 8,000               Ann open 2027-01-20  (pushed out)
  D1    -                                  Dan open 12-20 20,000 created 11-12 (created)
  C1    Cat open 12-10 15,000 (hubspot)    same (hubspot 11-20)  (unchanged; stale)
  Z1    Zed lost 10-05 1,000 (hubspot)     same                 (owner not on the roster)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from loaders import schema
from loaders.ingest import store_frame
from tests.support import stores

QUARTER = "2026-Q4"
SINCE = dt.date(2026, 11, 1)
AS_OF = dt.date(2026, 11, 22)


def frame(kind: str, rows: list[dict]) -> pd.DataFrame:
    return schema.conform(pd.DataFrame(rows), kind)


def _deal(deal_id, owner, status, close, amount, **kw):
    row = dict(
        deal_id=deal_id,
        deal_name=f"Deal {deal_id}",
        account=f"Acct {deal_id}",
        owner=owner,
        status=status,
        close_date=close,
        amount=float(amount),
        stage={"open": "Negotiation", "won": "Closed Won", "lost": "Closed Lost"}[status],
        probability=0.5,
        forecast_category="pipeline" if status == "open" else "closed",
        created_date="2026-09-01",
    )
    row.update(kw)
    return row


COMMON = [
    _deal("A1", "Ann Lee", "won", "2026-10-15", 30000, created_date="2026-08-01"),
    _deal("A5", "Ann Lee", "open", "2027-01-15", 99999),
    _deal("A6", "Ann Lee", "lost", "2026-06-30", 10000),
    _deal("A7", "Ann Lee", "won", "2025-12-01", 20000, created_date="2025-11-01"),
    _deal("A8", "Ann Lee", "won", "2025-11-20", 7777),
]
SF_SINCE = COMMON + [
    _deal(
        "A3",
        "Ann Lee",
        "open",
        "2026-11-10",
        20000,
        forecast_category="commit",
        probability=0.8,
        next_step="Call CFO",
    ),
    _deal(
        "A4",
        "Ann Lee",
        "open",
        "2026-12-15",
        30000,
        forecast_category="best_case",
        created_date="2026-10-01",
        last_activity_date="2026-10-20",
    ),
    _deal("B1", "Bob Ray", "open", "2026-10-31", 60000, created_date="2026-10-01"),
    _deal("B2", "Ann Lee", "open", "2026-12-01", 10000, probability=0.1, next_step="Demo"),
    _deal("X1", "Ann Lee", "open", "2026-12-05", 5000),
    _deal("P1", "Ann Lee", "open", "2026-12-10", 8000),
]
SF_NOW = COMMON + [
    _deal("A2", "Ann Lee", "won", "2026-11-25", 5000),
    _deal(
        "A3",
        "Ann Lee",
        "open",
        "2026-11-10",
        20000,
        forecast_category="commit",
        probability=0.8,
        next_step="Call CFO",
    ),
    _deal(
        "A4",
        "ann@x.com",
        "open",
        "2026-12-15",
        40000,
        forecast_category="best_case",
        created_date="2026-10-01",
        last_activity_date="2026-11-01",
    ),
    _deal("B1", "Bob Ray", "won", "2026-10-20", 60000, created_date="2026-10-01"),
    _deal(
        "B2",
        "Bob Ray",
        "open",
        "2026-12-01",
        10000,
        probability=0.1,
        last_activity_date="2026-11-21",
        next_step="Demo",
    ),
    _deal("P1", "Ann Lee", "open", "2027-01-20", 8000),
    _deal(
        "D1", "Dan New", "open", "2026-12-20", 20000, created_date="2026-11-12", next_step="Kickoff"
    ),
]
HS = [
    _deal("C1", "Cat Wu", "open", "2026-12-10", 15000, probability=0.2, created_date="2026-11-01"),
    _deal("Z1", "Zed Unknown", "lost", "2026-10-05", 1000),
]


def seed_book(engine) -> None:
    """Store the book above (roster, quotas, four snapshots, activities, readiness)."""
    jan = dt.datetime(2026, 1, 1)
    store_frame(
        engine,
        "roster",
        frame(
            "roster",
            [
                dict(
                    rep="Ann Lee",
                    email="ann@x.com",
                    crm_user_id="005A",
                    team="East",
                    role="AE",
                    start_date="2024-01-01",
                ),
                dict(
                    rep="Bob Ray",
                    email="bob@x.com",
                    team="East",
                    role="AE",
                    start_date="2024-01-01",
                ),
                dict(
                    rep="Sam Se", email="sam@x.com", team="East", role="SE", start_date="2024-01-01"
                ),
                dict(
                    rep="Cat Wu", email="cat@x.com", team="West", role="AE", start_date="2024-01-01"
                ),
                dict(
                    rep="Dan New",
                    email="dan@x.com",
                    team="East",
                    role="AE",
                    start_date="2026-11-10",
                    effective_from="2026-11-10",
                ),
            ],
        ),
        as_of=jan,
        source="roster",
        source_name="roster.csv",
    )
    store_frame(
        engine,
        "quota",
        frame(
            "quota",
            [
                dict(rep="Ann Lee", quarter=QUARTER, quota=100000.0),
                dict(rep="Bob Ray", quarter=QUARTER, quota=50000.0),
                dict(rep="Dan New", quarter=QUARTER, quota=20000.0),
            ],
        ),
        as_of=jan,
        source="roster",
        source_name="quota.csv",
    )
    at = dt.datetime.combine
    store_frame(
        engine,
        "pipeline",
        frame("pipeline", SF_SINCE),
        source="salesforce",
        as_of=at(SINCE, dt.time(6)),
        source_name="sf_2026-11-01.csv",
    )
    store_frame(
        engine,
        "pipeline",
        frame("pipeline", SF_NOW),
        source="salesforce",
        as_of=at(AS_OF, dt.time(6)),
        source_name="sf_2026-11-22.csv",
    )
    store_frame(
        engine,
        "pipeline",
        frame("pipeline", HS[:1]),
        source="hubspot",
        as_of=dt.datetime(2026, 10, 30),
        source_name="hs_2026-10-30.csv",
    )
    store_frame(
        engine,
        "pipeline",
        frame("pipeline", HS),
        source="hubspot",
        as_of=dt.datetime(2026, 11, 20),
        source_name="hs_2026-11-20.csv",
    )
    store_frame(
        engine,
        "activity",
        frame(
            "activity",
            [
                dict(
                    activity_id="T1",
                    owner="Ann Lee",
                    activity_date="2026-11-12",
                    type="call",
                    deal_id="A3",
                    completed=True,
                ),
                dict(
                    activity_id="T2",
                    owner="Ann Lee",
                    activity_date="2026-11-20",
                    type="call",
                    deal_id="C1",
                    completed=False,
                ),  # not completed: does not count
                dict(
                    activity_id="T3",
                    owner="Sam Se",
                    activity_date="2026-11-15",
                    type="meeting",
                    deal_id="A4",
                    completed=True,
                ),  # expert support on A4 (not Ann's)
            ],
        ),
        source="salesforce",
        as_of=at(AS_OF, dt.time(6)),
        source_name="tasks.csv",
    )
    store_frame(
        engine,
        "readiness",
        frame(
            "readiness",
            [
                dict(
                    rep="Bob Ray",
                    program="Discovery",
                    kind="course",
                    required=True,
                    assigned_date="2026-10-01",
                    due_date="2026-11-01",
                    completed_date="2026-11-05",
                ),
            ],
        ),
        source="lms",
        as_of=at(AS_OF, dt.time(6)),
        source_name="lms.csv",
    )


def make_store(backend: str, folder) -> tuple[str, callable]:
    """An upgraded empty store on ``backend``; returns its URL and a function dropping it."""
    return stores.make_store(backend, folder, prefix="teamcar_metrics")
