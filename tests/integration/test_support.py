"""The support car and focus share against stores: scoped reads, callbacks as a manager of one
team, rows behind that re-add, exports.

The book (tests/support/book.py: East Ann, Bob, Sam Se (SE), Dan; West Cat) plus, for these tests,
Wil Pool (SE of West) and six activities:

  Wil  meeting A3 (Ann's, East)  11-19     Sam  meeting C1 (Cat's, West) 11-17 (hubspot)
  Wil  meeting C1 (Cat's, West)  11-18     Ann  email, no deal           11-20
  Cat  call C1                   11-18     Dan  call, no deal            11-18
(the book already has Ann's call on A3 on 11-12 and Sam's meeting on A4 (Ann's) on 11-15).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import sys

import pandas as pd
import pytest

from dashboard import ids, urls
from dashboard.models import support as sm
from dashboard.reads import queries
from dashboard.reads import support as reads
from loaders.ingest import store_frame
from tests.support import book
from tests.support.callbacks import run
from tests.support.demo import TODAY, demo_copy
from tests.support.stores import make_store, use_store

AS_OF = book.AS_OF  # 2026-11-22
START = dt.date(2026, 10, 26)  # the four weeks: [as_of - 27, as_of]


def _activity(i, owner, day, kind, deal=None):
    return dict(
        activity_id=f"S{i}", owner=owner, activity_date=day, type=kind, deal_id=deal, completed=True
    )


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    url, drop = make_store("sqlite", tmp_path_factory.mktemp("support"))
    from loaders.store.engine import get_engine

    e = get_engine(url)
    book.seed_book(e)
    at = dt.datetime(2026, 11, 22, 7)
    roster = [
        dict(rep="Wil Pool", email="wil@x.com", team="West", role="SE", start_date="2024-01-01")
    ]
    store_frame(
        e,
        "roster",
        book.frame("roster", roster),
        as_of=at,
        source="roster",
        source_name="roster-wil.csv",
    )
    sf = [
        _activity(1, "Wil Pool", "2026-11-19", "meeting", "A3"),
        _activity(4, "Ann Lee", "2026-11-20", "email"),
        _activity(5, "Dan New", "2026-11-18", "call"),
    ]
    hs = [
        _activity(2, "Wil Pool", "2026-11-18", "meeting", "C1"),
        _activity(3, "Sam Se", "2026-11-17", "meeting", "C1"),
        _activity(6, "Cat Wu", "2026-11-18", "call", "C1"),
    ]
    store_frame(
        e,
        "activity",
        book.frame("activity", sf),
        source="salesforce",
        as_of=at,
        source_name="tasks-more.csv",
    )
    store_frame(
        e,
        "activity",
        book.frame("activity", hs),
        source="hubspot",
        as_of=at,
        source_name="hs-calls.csv",
    )
    yield e
    drop()


# --- scoped reads -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        # East's deals (A3, A4): Sam on A4, Wil (a West SE) on A3; never their work on C1
        (["East"], {("Sam Se", "A4"), ("Wil Pool", "A3")}),
        # West's deal C1: Wil and Sam both worked on it
        (["West"], {("Wil Pool", "C1"), ("Sam Se", "C1")}),
        (None, {("Sam Se", "A4"), ("Wil Pool", "A3"), ("Wil Pool", "C1"), ("Sam Se", "C1")}),
        ([], set()),
    ],
)
def test_expert_work_only_on_the_scopes_deals(engine, scope, expected):
    out = reads.load_expert_work(engine, scope, START, AS_OF)
    assert set(zip(out["expert"], out["deal_id"], strict=True)) == expected


@pytest.mark.parametrize(
    ("scope", "owners"),
    [
        # T1 Ann A3, Ann's email, Dan's call, Sam's meetings (A4, C1): East reps' own activities
        (
            ["East"],
            {
                ("Ann Lee", "A3"),
                ("Ann Lee", None),
                ("Dan New", None),
                ("Sam Se", "A4"),
                ("Sam Se", "C1"),
            },
        ),
        (["West"], {("Cat Wu", "C1"), ("Wil Pool", "A3"), ("Wil Pool", "C1")}),
        ([], set()),
    ],
)
def test_rep_activity_only_of_the_scopes_reps(engine, scope, owners):
    out = reads.load_rep_deal_activity(engine, scope, dt.date(2026, 11, 9), AS_OF)
    got = {(o, d) for o, d in zip(out["owner"], out["deal_id"], strict=True)}
    assert got == owners


def test_expert_support_from_a_start_day(engine):
    """Sam's meeting on A4 (11-15) is support since 10-26, not since 11-16."""
    every = queries.load_expert_support(engine, ["East"], AS_OF)
    recent = queries.load_expert_support(engine, ["East"], AS_OF, start=dt.date(2026, 11, 16))
    assert set(every["deal_id"]) == {"A4", "A3"}
    assert set(recent["deal_id"]) == {"A3"}


def test_focus_share_of_the_book_by_hand(engine, monkeypatch, tmp_path):
    """Ann: quota 100,000, won A1 30,000 -> gap 70,000; open A4 40,000 × .5 = 20,000 and A3
    20,000 × .8 = 16,000: running 40,000, 60,000 < 70,000, so both are her focus list. Her
    14 days: the call on A3 (focus) and an email on no deal -> 1 / 2 = 0.5.
    Dan: gap 20,000, D1 20,000 is his list; one call on no deal -> 0 / 1 = 0.
    Bob won B1 60,000 of 50,000 (quota met), Sam and Cat have no quota: no share.
    East median of (0.5, 0.0) = 0.25; half of it 0.125: Dan is busy elsewhere."""
    use_store(str(engine.url), monkeypatch, tmp_path)
    table = sm.focus_for(engine, book.QUARTER, AS_OF, "East", None)
    shares = table.shares.set_index("rep")
    assert shares.loc["Ann Lee", "focus_share"] == pytest.approx(0.5)
    assert shares.loc["Dan New", "focus_share"] == pytest.approx(0.0)
    assert pd.isna(shares.loc["Bob Ray", "focus_share"])
    assert shares.loc["Bob Ray", "why_none"] == "quota met"
    assert shares.loc["Ann Lee", "team_median"] == pytest.approx(0.25)
    assert shares.index[shares["busy_elsewhere"]].tolist() == ["Dan New"]
    assert "Cat Wu" not in shares.index  # West is not in this view
    trace = sm.focus_trace(table, "Ann Lee")
    assert (
        int(trace.rows["n"].sum()) == 2
        and int(trace.rows.loc[trace.rows["on_focus"], "n"].sum()) == 1
    )


# --- callbacks as a manager of East ----------------------------------------------------------


@pytest.fixture
def page(engine, monkeypatch, tmp_path):
    use_store(str(engine.url), monkeypatch, tmp_path)
    from dashboard import auth
    from dashboard.app import create_app

    create_app()
    monkeypatch.setattr(auth, "viewer_scope", lambda: ["East"])
    return sys.modules["dashboard.pages.support"]


def _state(**query):
    return urls.resolve(
        {"quarter": book.QUARTER, "as_of": AS_OF.isoformat(), **query}, TODAY
    ).to_dict()


def test_a_manager_sees_only_their_teams_expert_work(page):
    state = _state(team="East")
    rows, _info, _last, _cls = page.render_experts(state, 1, 1)
    # East's roster experts (Sam) plus Wil, who worked on East's A3; nobody's West work
    got = {r["expert"]: (r["deals"], r["activities"]) for r in rows}
    assert got == {"Sam Se": (1, 1), "Wil Pool": (1, 1)}
    work = page.render_work(state, 1, 1, None)[0]
    assert {(r["expert"], r["deal_id"]) for r in work} == {("Sam Se", "A4"), ("Wil Pool", "A3")}
    focus = page.render_focus(state, 1, 1)[0]
    assert {r["rep"] for r in focus} <= {"Ann Lee", "Bob Ray", "Dan New", "Sam Se"}
    assert [r["rep"] for r in focus if r["flag"] == "busy elsewhere"] == ["Dan New"]


def test_a_forged_team_gets_nothing(page):
    state = _state(team="West")
    assert page.render_experts(state, 1, 1)[0] == []
    assert page.render_work(state, 1, 1, None)[0] == []
    assert page.render_focus(state, 1, 1)[0] == []
    out = page.render(state, 1)
    assert out["head"] is None and out["message"] is not None
    # a forged deal id from another team opens no deal
    cell = {"colId": "deal_name", "rowId": "hubspot|C1", "value": "Deal C1"}
    opened = run(
        page.open_deal,
        f"{ids.SUPPORT_UNSUPPORTED}.cellClicked",
        cell,
        None,
        cell,
        _state(team="East"),
        None,
    )
    assert "not among this view's deals" in str(opened["body"])


def test_export_carries_every_row(page):
    state = _state(team="East")
    trigger = '{"fmt":"csv","table":"work","type":"support-export"}.n_clicks'
    sent = run(page.export, trigger, 1, [1], state)
    assert sent["base64"]  # dcc.send_bytes
    df = pd.read_csv(io.BytesIO(base64.b64decode(sent["content"])), encoding="utf-8-sig")
    assert sorted(df["Deal id"]) == ["A3", "A4"]
    assert sent["filename"].startswith("support-work-2026-Q4-East")


# --- rows behind re-add, on the demo ----------------------------------------------------------


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    url = demo_copy(tmp_path_factory.mktemp("support-demo"))
    from loaders.store.engine import get_engine

    mp = pytest.MonkeyPatch()
    use_store(url, mp, tmp_path_factory.mktemp("support-data"))
    engine = get_engine(url)
    state = urls.resolve({"quarter": "2026-Q4"}, TODAY)
    yield engine, sm.build_support(engine, state, None)
    mp.undo()


def test_rows_behind_re_add(demo_model):
    _engine, model = demo_model
    assert len(model.experts) and model.work["activities"].sum() > 0  # the demo has expert work
    for r in model.experts.itertuples():
        trace = sm.expert_trace(model, r.expert, "open_amount")
        assert trace.total == pytest.approx(r.open_amount)
        assert trace.count == r.open_deals
        worked = sm.expert_trace(model, r.expert)
        assert int(worked.rows["activities"].sum()) == r.activities
    totals = model.totals()
    assert sm.totals_trace(model, "touched_amount").total == pytest.approx(totals["touched_amount"])
    assert sm.totals_trace(model, "unsupported_amount").total == pytest.approx(
        totals["unsupported_amount"]
    )
    for r in model.focus.shares.itertuples():
        trace = sm.focus_trace(model.focus, r.rep)
        assert int(trace.rows["n"].sum()) == r.activities
        assert int(trace.rows.loc[trace.rows["on_focus"], "n"].sum()) == r.on_focus


def test_large_deals_use_the_riders_threshold(demo_model):
    """The support car's threshold per team is the Rider's (2 × the team's average won deal)."""
    engine, model = demo_model
    from dashboard.models import rider as rdm
    from dashboard.models.standings import summary_for

    for team, threshold in model.thresholds.items():
        summary = summary_for(engine, model.quarter, model.as_of, None, team)
        assert threshold == pytest.approx(rdm.large_threshold(summary.team))
    assert (model.unsupported["amount"] >= model.unsupported["threshold"]).all()
