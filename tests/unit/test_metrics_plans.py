"""Deal plans' pure rules (DESIGN §12; docs/metrics.md, deal plans): at risk, plan state, evidence.

Unit tier: no database, no browser. Frames built by hand; expected values worked out in comments.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics import plans as mp

AS_OF = dt.date(2026, 11, 22)


def _steps(rows: list[dict]) -> pd.DataFrame:
    base = dict(
        source="sf",
        deal_id="D",
        kind="other",
        title="t",
        owner_id=1,
        owner="Sam Ortiz",
        owner_role="SE",
        status="open",
        note=None,
        author="m",
        created_at=pd.Timestamp("2026-11-10 09:00"),
        done_at=None,
        done_by=None,
        deal_name="Deal D",
        close_date=pd.Timestamp("2026-12-15"),
    )
    out = pd.DataFrame([{**base, **r} for r in rows], columns=list(mp.STEP_COLUMNS))
    out["due"] = pd.to_datetime(out["due"])
    return out


@pytest.mark.parametrize(
    ("due", "status", "close", "risky", "why"),
    [
        ("2026-12-20", "open", "2026-12-15", True, "due after the close date (15 Dec)"),
        ("2026-11-21", "open", "2026-12-15", True, "overdue since 21 Nov"),  # before as_of 22 Nov
        ("2026-11-22", "open", "2026-12-15", False, None),  # due today: not overdue yet
        ("2026-12-15", "open", "2026-12-15", False, None),  # on the close day: in time
        ("2026-12-20", "done", "2026-12-15", False, None),  # done: never at risk
        ("2026-11-01", "done", "2026-12-15", False, None),
        (None, "open", "2026-12-15", False, None),  # no due day
        ("2026-12-20", "open", None, False, None),  # no close date, not overdue
    ],
)
def test_at_risk_by_both_rules(due, status, close, risky, why):
    steps = _steps([dict(id=1, due=due, status=status, close_date=pd.to_datetime(close))])
    assert bool(mp.at_risk(steps, AS_OF).iloc[0]) is risky
    assert mp.risk_reason(steps, AS_OF).iloc[0] == why


def test_plan_state_counts_steps_done_and_at_risk():
    # deal D: 3 steps, one overdue (11-01), one done, one fine -> "3 steps, 1 at risk"
    # deal E: 2 steps, both done -> "2 steps, all done"; deal F: 1 open step -> "1 step"
    steps = _steps(
        [
            dict(id=1, due="2026-11-01"),
            dict(id=2, due="2026-11-01", status="done"),
            dict(id=3, due="2026-12-01"),
            dict(id=4, deal_id="E", due="2026-12-01", status="done"),
            dict(id=5, deal_id="E", due=None, status="done"),
            dict(id=6, deal_id="F", due=None),
        ]
    )
    state = mp.plan_states(steps, AS_OF).set_index("deal_id")
    assert state.loc["D", ["steps", "done", "at_risk"]].tolist() == [3, 1, 1]
    assert state["plan"].to_dict() == {
        "D": "3 steps, 1 at risk",
        "E": "2 steps, all done",
        "F": "1 step",
    }
    assert mp.plan_states(steps.iloc[0:0], AS_OF).empty


def _acts(rows: list[dict]) -> pd.DataFrame:
    base = dict(
        source="sf",
        deal_id="D",
        type="meeting",
        subject=None,
        participants=None,
        owner="Ann Lee",
        owner_id=2,
        owner_role="AE",
    )
    out = pd.DataFrame([{**base, **r} for r in rows], columns=list(mp.ACTIVITY_COLUMNS))
    out["activity_date"] = pd.to_datetime(out["activity_date"])
    return out


def test_evidence_by_owner_by_subject_and_not_before_the_step():
    # step 1: technical, owner Sam (id 1), made 11-10; step 2: legal, owner Ann (id 2), made 11-16
    steps = _steps(
        [
            dict(id=1, kind="technical", due="2026-12-01"),
            dict(
                id=2,
                kind="legal",
                owner_id=2,
                owner="Ann Lee",
                owner_role="AE",
                due=None,
                created_at=pd.Timestamp("2026-11-16 15:00"),
            ),
        ]
    )
    acts = _acts(
        [
            # a: Sam's own call, 11-14 -> step 1 by owner; step 2 no (not Ann's, not legal, early)
            dict(
                activity_date="2026-11-14",
                owner="Sam Ortiz",
                owner_id=1,
                owner_role="SE",
                type="call",
                subject="Check-in",
            ),
            # b: Ann's "POC kickoff" 11-09 -> before step 1 was made (11-10): not evidence
            dict(activity_date="2026-11-09", subject="POC kickoff"),
            # c: Ann's "Demo to IT" 11-12 -> step 1 by subject (demo)
            dict(activity_date="2026-11-12", subject="Demo to IT"),
            # d: Ann's meeting with Sam taking part, 11-16 -> step 1 (participant) and step 2
            #    (Ann's own; made 11-16 15:00, same day counts)
            dict(activity_date="2026-11-16", participants="Sam Ortiz; Dana CFO"),
            # e: another deal's demo -> nothing
            dict(activity_date="2026-11-17", deal_id="X", subject="Demo"),
            # f: Bob's "Contract redlines" 11-18 -> step 2 by subject (contract, redlines)
            dict(
                activity_date="2026-11-18", owner="Bob Ray", owner_id=3, subject="Contract redlines"
            ),
        ]
    )
    found = mp.evidence(steps, acts)
    got = {
        k: [(str(d.date()), b) for d, b in zip(g["activity_date"], g["by_owner"], strict=True)]
        for k, g in found.groupby("step_id")
    }
    assert got == {
        1: [("2026-11-12", False), ("2026-11-14", True), ("2026-11-16", True)],
        2: [("2026-11-16", True), ("2026-11-18", False)],
    }
    row = found.iloc[1].to_dict()
    assert mp.evidence_text(row) == "Check-in — SE Sam Ortiz, 14 Nov"
    assert mp.evidence(steps, acts.iloc[0:0]).empty


def test_free_text_steps_take_evidence_by_owner_only():
    steps = _steps([dict(id=1, kind="other", due=None)])
    acts = _acts([dict(activity_date="2026-11-12", subject="Demo and legal and pricing")])
    assert mp.evidence(steps, acts).empty


@pytest.mark.parametrize(
    ("n", "risky", "done", "text"),
    [(1, 0, 0, "1 step"), (3, 1, 0, "3 steps, 1 at risk"), (2, 0, 2, "2 steps, all done")],
)
def test_plan_text(n, risky, done, text):
    assert mp.plan_text(n, risky, done) == text
