"""Scoped queries against a real store (SQLite and PostgreSQL), and field history end to end.

The book is described in ``tests/support/book.py``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import event

from dashboard.cli.summary import summary_json
from dashboard.metrics import push_counts, rows_behind
from dashboard.models.standings import compute_summary
from dashboard.reads import queries
from loaders.fiscal import parse_quarter
from loaders.ingest import store_frame
from tests.support.book import AS_OF, QUARTER, SINCE, frame, seed_book

Q = parse_quarter(QUARTER, 1)


def test_scope_is_applied_in_sql(book_engine):
    west = queries.load_day_states(book_engine, ["West"], [AS_OF], Q)[AS_OF]
    assert set(west["deal_id"]) == {"C1"}  # Zed (no team) and East stay out
    everyone = queries.load_day_states(book_engine, None, [AS_OF], Q)[AS_OF]
    assert {"C1", "Z1", "A3", "D1"} <= set(everyone["deal_id"])
    assert queries.load_day_states(book_engine, [], [AS_OF], Q)[AS_OF].empty
    reps, aliases = queries.load_reps(book_engine, ["West"], AS_OF)
    assert reps["rep"].tolist() == ["Cat Wu"]
    assert set(aliases["rep"]) == {"Cat Wu"}
    assert queries.load_quotas(book_engine, ["West"], QUARTER, AS_OF).empty
    east = queries.load_quotas(book_engine, ["East"], QUARTER, AS_OF)
    assert dict(zip(east["rep"], east["quota"], strict=True)) == {
        "Ann Lee": 100000.0,
        "Bob Ray": 50000.0,
        "Dan New": 20000.0,
    }


def test_membership_is_effective_dated(book_engine):
    reps, _ = queries.load_reps(book_engine, ["East"], dt.date(2026, 11, 9))
    assert "Dan New" not in set(reps["rep"])  # joins 11-10
    reps, _ = queries.load_reps(book_engine, ["East"], dt.date(2026, 11, 10))
    assert "Dan New" in set(reps["rep"])
    everyone, _ = queries.load_reps(book_engine, None, dt.date(2026, 11, 9))
    assert everyone.set_index("rep").loc["Dan New", "team"] is None
    # one rep's row (the Rider's who-is-this), the same as in the whole roster
    for day in (dt.date(2026, 11, 9), dt.date(2026, 11, 10)):
        whole, _ = queries.load_reps(book_engine, None, day)
        one, aliases = queries.load_reps(book_engine, None, day, names=["Dan New"])
        pd.testing.assert_frame_equal(
            one, whole[whole["rep"] == "Dan New"].reset_index(drop=True), check_dtype=False
        )
        assert set(aliases["rep"]) == {"Dan New"}
    east, _ = queries.load_reps(book_engine, ["East"], AS_OF, names=["Cat Wu", "Ann Lee"])
    assert east["rep"].tolist() == ["Ann Lee"]  # Cat Wu is in West


def test_only_needed_rows_and_snapshots(book_engine):
    states = queries.load_day_states(book_engine, None, [AS_OF], Q)
    now = states[AS_OF]
    # A5 is open but closes outside the quarter: not read. A8 closed before the window: not read.
    assert not {"A5", "A8"} & set(now["deal_id"])
    assert set(now["snapshot_date"].dt.date) == {AS_OF, dt.date(2026, 11, 20)}
    both = queries.load_day_states(book_engine, None, [SINCE, AS_OF], Q)
    # P1 is outside the quarter on 11-22 but was in it on 11-01: read for movement.
    assert "P1" in set(both[AS_OF]["deal_id"])
    assert set(both[SINCE]["snapshot_date"].dt.date) == {SINCE, dt.date(2026, 10, 30)}


def test_statements_are_parameterised(book_engine):
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(book_engine, "before_cursor_execute", grab)
    try:
        compute_summary(book_engine, QUARTER, AS_OF, SINCE, team="East")
    finally:
        event.remove(book_engine, "before_cursor_execute", grab)
    assert seen
    for statement, _ in seen:
        assert "'East'" not in statement and "2026-11-22" not in statement


def test_deal_touches_and_activity_counts(book_engine):
    touches = queries.load_deal_touches(book_engine, None, AS_OF, Q)
    got = dict(zip(touches["deal_id"], touches["last_touch"].dt.date, strict=True))
    # T1 on A3 by Ann, T3 on A4 by Sam; T2 on C1 is not completed.
    assert got == {"A3": dt.date(2026, 11, 12), "A4": dt.date(2026, 11, 15)}
    counts = queries.load_activity_counts(book_engine, ["East"], dt.date(2026, 9, 28), AS_OF)
    assert sorted(zip(counts["owner_key"], counts["n"], strict=True)) == [
        ("ann lee", 1),
        ("sam se", 1),
    ]
    assert queries.load_activity_counts(book_engine, ["West"], dt.date(2026, 9, 28), AS_OF).empty


def test_expert_support(book_engine):
    support = queries.load_expert_support(book_engine, None, AS_OF)
    assert support.to_dict("records") == [{"source": "salesforce", "deal_id": "A4", "experts": 1}]
    assert queries.load_expert_support(book_engine, ["West"], AS_OF).empty


def test_an_expert_who_took_part_supports_the_deal(engine):
    """DESIGN §9: expert support is an activity on the deal by an expert, or with one among its
    participants where the export lists them. The book has T3 (Sam Se's own meeting on A4);
    added: T4, Ann's call on A3 with Sam among its participants (counts: A3 1); T5, Ann's call
    on A3 with only a customer (does not); T6, Sam's own call on A4 naming himself too (counts
    once, as his: A4 1 + 1 = 2); T7, Ann's call on A3 with Sam, not completed (does not)."""
    seed_book(engine)
    rows = [
        ("T4", "Ann Lee", "A3", "Sam Se; Pat Customer", True),
        ("T5", "Ann Lee", "A3", "Pat Customer", True),
        ("T6", "Sam Se", "A4", "Sam Se", True),
        ("T7", "Ann Lee", "A3", "Sam Se", False),
    ]
    store_frame(
        engine,
        "activity",
        frame(
            "activity",
            [
                dict(
                    activity_id=a,
                    owner=owner,
                    activity_date="2026-11-16",
                    type="call",
                    deal_id=deal,
                    participants=people,
                    completed=done,
                )
                for a, owner, deal, people, done in rows
            ],
        ),
        source="salesforce",
        as_of=dt.datetime(2026, 11, 21, 6),
        source_name="calls.csv",
    )
    support = queries.load_expert_support(engine, None, AS_OF)
    got = dict(zip(support["deal_id"], support["experts"], strict=True))
    assert got == {"A3": 1, "A4": 2}
    assert queries.load_expert_support(engine, ["West"], AS_OF).empty
    # before the calls, only T3 (15 Nov) supported anything
    early = queries.load_expert_support(engine, None, dt.date(2026, 11, 15))
    assert dict(zip(early["deal_id"], early["experts"], strict=True)) == {"A4": 1}


def test_push_counts_from_the_store(book_engine):
    snaps, history = queries.load_close_date_changes(book_engine, None, AS_OF)
    counts = push_counts(snaps, history, AS_OF).set_index("deal_id")["push_count"]
    # P1 moved from 2026-12-10 to 2027-01-20 between the two salesforce snapshots; B1 moved
    # earlier (10-31 -> 10-20), which is not a push.
    assert counts["P1"] == 1
    assert counts.drop("P1").eq(0).all()
    assert "C1" in counts.index and "X1" not in counts.index  # X1 is gone by as_of


def test_rows_behind_re_add_from_the_store(book_engine):
    summary = compute_summary(book_engine, QUARTER, AS_OF)
    for rep, row in summary.reps.iterrows():
        for figure in (
            "won",
            "open_pipeline",
            "commit",
            "best_case",
            "commit_forecast",
            "best_case_forecast",
        ):
            rows = rows_behind(figure, summary.flags, [rep])
            assert rows["cents"].sum() / 100 == row[figure], (rep, figure)
        assert len(rows_behind("stale_deals", summary.flags, [rep])) == row["stale_deals"]
        assert len(rows_behind("past_due_deals", summary.flags, [rep])) == row["past_due_deals"]


# --- one Salesforce Data Export with its OpportunityHistory ------------------------------------


def test_movement_from_field_history(engine):
    """Only the 11-22 export is loaded; its history says what the deals were on 11-01.

    H1: amount 10,000 -> 15,000 on 11-05 (increased +5,000).
    H2: close 2026-12-01 -> 2027-01-15 on 11-10 (pushed out, 8,000).
    H3: stage Negotiation -> Closed Won on 11-12 (won, 6,000).
    H4: created 11-15 (created, 4,000).
    H5: close 2027-02-01 -> 2026-12-20 on 11-03 (pulled in, 3,000).
    H6: unchanged, 1,000.
    start = 10,000 + 8,000 + 6,000 + 1,000 = 25,000; end = 15,000 + 4,000 + 3,000 + 1,000 = 23,000;
    25 + 4 + 3 + 5 - 8 - 6 = 23.
    """
    store_frame(
        engine,
        "roster",
        frame("roster", [dict(rep="Ann Lee", team="East", role="AE")]),
        source="roster",
        as_of=dt.datetime(2026, 1, 1),
    )
    stage = {"open": "Negotiation", "won": "Closed Won"}
    rows = [
        ("H1", "open", "2026-12-01", 15000, "2026-09-01"),
        ("H2", "open", "2027-01-15", 8000, "2026-09-01"),
        ("H3", "won", "2026-11-12", 6000, "2026-09-01"),
        ("H4", "open", "2026-12-10", 4000, "2026-11-15"),
        ("H5", "open", "2026-12-20", 3000, "2026-09-01"),
        ("H6", "open", "2026-12-05", 1000, "2026-09-01"),  # teaches "Negotiation" = open
    ]
    store_frame(
        engine,
        "pipeline",
        frame(
            "pipeline",
            [
                dict(
                    deal_id=d,
                    deal_name=d,
                    owner="Ann Lee",
                    status=s,
                    stage=stage[s],
                    close_date=c,
                    amount=float(a),
                    created_date=cr,
                )
                for d, s, c, a, cr in rows
            ],
        ),
        source="salesforce",
        as_of=dt.datetime(2026, 11, 22, 6),
    )

    def h(deal, at, field, old, new):
        return dict(
            deal_id=deal, changed_at=pd.Timestamp(at), field=field, old_value=old, new_value=new
        )

    store_frame(
        engine,
        "history",
        frame(
            "history",
            [
                h("H1", "2026-11-05 10:00", "amount", "10000", "15000"),
                h("H2", "2026-11-10 10:00", "close_date", "2026-12-01", "2027-01-15"),
                h("H3", "2026-11-12 10:00", "stage", "Negotiation", "Closed Won"),
                h("H3", "2026-11-12 10:00", "close_date", "2026-12-15", "2026-11-12"),
                h("H5", "2026-11-03 10:00", "close_date", "2027-02-01", "2026-12-20"),
            ],
        ),
        source="salesforce",
        as_of=dt.datetime(2026, 11, 22, 6),
    )
    out = summary_json(compute_summary(engine, QUARTER, AS_OF, SINCE))
    m = out["movement"]
    assert {k: m[k] for k in m if k != "deals"} == {
        "start": 25000.0,
        "created": 4000.0,
        "pulled_in": 3000.0,
        "increased": 5000.0,
        "decreased": 0.0,
        "won": 6000.0,
        "lost": 0.0,
        "pushed_out": 8000.0,
        "removed": 0.0,
        "end": 23000.0,
    }
    cats = {d["deal_id"]: d["category"] for d in m["deals"]}
    assert cats == {
        "H1": "increased",
        "H2": "pushed_out",
        "H3": "won",
        "H4": "created",
        "H5": "pulled_in",
        "H6": "unchanged",
    }
    snaps, history = queries.load_close_date_changes(engine, None, AS_OF)
    counts = push_counts(snaps, history, AS_OF).set_index("deal_id")
    assert counts.loc["H2", ["push_count", "push_source"]].tolist() == [1, "history"]
    assert counts.loc["H5", "push_count"] == 0 and counts.loc["H3", "push_count"] == 0


@pytest.mark.parametrize("day", [dt.date(2026, 10, 1), dt.date(2026, 10, 31)])
def test_days_before_any_snapshot_are_empty(book_engine, day):
    state = queries.load_day_states(book_engine, None, [day], Q)[day]
    assert set(state["source"]) <= {"hubspot"}
