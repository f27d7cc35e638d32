"""Deal plans in the store (DESIGN §12): scoped reads and writes, the audit trail, evidence and
risk on a hand-checked fixture, and a plans file loaded through ``load_file``.

The fixture is the book (tests/support/book.py; today 2026-11-22; East: Ann Lee, Bob Ray, Sam Se
(SE), Dan New; West: Cat Wu) plus three activities on A4 (Ann's, salesforce, closes 2026-12-15):

  E1  Bob Ray  2026-11-18 meeting  "Security questionnaire review"
  E2  Ann Lee  2026-11-05 call     "Demo prep"
  E3  Ann Lee  2026-11-20 email    "Lunch"  (participants: Sam Se)
  and the book's T3: Sam Se 2026-11-15 meeting on A4, no subject.

Steps on A4 (made through the scoped writes, as a manager of East):

  s1 technical "Demo for IT"   owner Sam Se  due 12-01  made 11-10
  s2 security  "Security review" owner Ann  due 12-20  made 11-10
  s3 legal     "MSA redlines"  owner Ann     due 11-20  made 11-19
  s4 pricing   "Discount"      owner Bob     due 11-01  made 11-10, then done
  s5 on C1 (Cat Wu's, West), made with scope None.

By hand:
  at risk (as_of 11-22): s2 (due 12-20 after the close 12-15), s3 (due 11-20 before 11-22);
  s1 (12-01: after as_of, before the close) no; s4 done, so no though overdue.
  A4's plan: 4 steps, 2 at risk.
  evidence s1 (owner Sam, technical: demo/POC): T3 (Sam's, 11-15), E3 (Sam took part, 11-20);
    E2 says "Demo" but was on 11-05, before s1 was made on 11-10: not evidence.
  evidence s2 (owner Ann, security): E1 (subject "Security", 11-18), E3 (Ann's, 11-20); E2 is
    Ann's but before 11-10.
  evidence s3 (owner Ann, legal, made 11-19): E3 (Ann's, 11-20) only; E1 (11-18) is before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.metrics import plans as mp
from dashboard.reads import plans
from loaders.config import load_config
from loaders.ingest import load_file, store_frame
from loaders.store.engine import get_engine, session_scope
from loaders.store.models import AuditEntry, DealPlanStep, RejectedRow
from tests.support.book import frame, make_store, seed_book

EAST = ["East"]
AS_OF = dt.date(2026, 11, 22)


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T09:00")


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """The book, the three activities and the five steps above, on SQLite."""
    saved = os.environ.get("TEAMCAR_TODAY")
    os.environ["TEAMCAR_TODAY"] = "2026-11-22"  # a module fixture runs before the per-test pin
    url, drop = make_store("sqlite", tmp_path_factory.mktemp("plans"))
    engine = get_engine(url)
    seed_book(engine)
    store_frame(
        engine,
        "activity",
        frame(
            "activity",
            [
                dict(
                    activity_id="E1",
                    owner="Bob Ray",
                    activity_date="2026-11-18",
                    type="meeting",
                    deal_id="A4",
                    subject="Security questionnaire review",
                ),
                dict(
                    activity_id="E2",
                    owner="Ann Lee",
                    activity_date="2026-11-05",
                    type="call",
                    deal_id="A4",
                    subject="Demo prep",
                ),
                dict(
                    activity_id="E3",
                    owner="Ann Lee",
                    activity_date="2026-11-20",
                    type="email",
                    deal_id="A4",
                    subject="Lunch",
                    participants="Sam Se",
                ),
            ],
        ),
        source="salesforce",
        as_of=dt.datetime(2026, 11, 22, 7),
        source_name="more_tasks.csv",
    )
    owners = plans.owner_options(engine, None, AS_OF).set_index("name")["id"]
    ids = {}
    for key, kind, title, owner, due, made in (
        ("s1", "technical", "Demo for IT", "Sam Se", "2026-12-01", "2026-11-10"),
        ("s2", "security", "Security review", "Ann Lee", "2026-12-20", "2026-11-10"),
        ("s3", "legal", "MSA redlines", "Ann Lee", "2026-11-20", "2026-11-19"),
        ("s4", "pricing", "Discount", "Bob Ray", "2026-11-01", "2026-11-10"),
    ):
        ids[key] = plans.add_step(
            engine,
            EAST,
            source="salesforce",
            deal_id="A4",
            kind=kind,
            title=title,
            owner=str(owners[owner]),
            due=due,
            note=None,
            author="Maria Manager",
            now=_at(made),
        )
    plans.set_status(engine, EAST, ids["s4"], "done", "Maria Manager", now=_at("2026-11-12"))
    ids["s5"] = plans.add_step(
        engine,
        None,
        source="hubspot",
        deal_id="C1",
        kind="partner",
        title="Bring the reseller in",
        owner=str(owners["Cat Wu"]),
        due="2026-12-01",
        note="West's own",
        author="Wes West",
        now=_at("2026-11-10"),
    )
    if saved is None:
        os.environ.pop("TEAMCAR_TODAY", None)
    else:
        os.environ["TEAMCAR_TODAY"] = saved
    yield engine, ids
    drop()


def _count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_steps_are_read_with_their_deal_and_scoped(planned):
    engine, ids = planned
    east = plans.load_steps(engine, EAST, AS_OF)
    assert sorted(east["id"]) == sorted(ids[k] for k in ("s1", "s2", "s3", "s4"))
    assert set(east["deal_name"]) == {"Deal A4"}
    assert set(east["close_date"].dt.date) == {dt.date(2026, 12, 15)}
    # ordered by due day
    assert east["title"].tolist() == ["Discount", "MSA redlines", "Demo for IT", "Security review"]
    assert east.set_index("title").at["Demo for IT", "owner_role"] == "SE"
    everyone = plans.load_steps(engine, None, AS_OF)
    assert ids["s5"] in set(everyone["id"])
    west = plans.load_steps(engine, ["West"], AS_OF)
    assert west["id"].tolist() == [ids["s5"]]
    assert plans.load_steps(engine, [], AS_OF).empty
    only = plans.load_steps(engine, None, AS_OF, deals=[("hubspot", "C1")])
    assert only["id"].tolist() == [ids["s5"]]


def test_risk_and_plan_state_by_hand(planned):
    engine, ids = planned
    steps = plans.load_steps(engine, EAST, AS_OF)
    risky = steps.loc[mp.at_risk(steps, AS_OF).to_numpy(), "id"]
    assert sorted(risky) == sorted([ids["s2"], ids["s3"]])
    reasons = dict(zip(steps["id"], mp.risk_reason(steps, AS_OF), strict=True))
    assert reasons[ids["s2"]] == "due after the close date (15 Dec)"
    assert reasons[ids["s3"]] == "overdue since 20 Nov"
    state = mp.plan_states(steps, AS_OF)
    assert state.to_dict("records") == [
        dict(
            source="salesforce", deal_id="A4", steps=4, done=1, at_risk=2, plan="4 steps, 2 at risk"
        )
    ]


def test_evidence_by_owner_and_by_subject_by_hand(planned):
    engine, ids = planned
    steps = plans.load_steps(engine, EAST, AS_OF)
    acts = plans.load_deal_activities(engine, EAST, [("salesforce", "A4")], AS_OF)
    # the book's T3 plus E1, E2, E3
    assert len(acts) == 4
    found = mp.evidence(steps, acts)
    by_step = {
        k: [(str(d.date()), o) for d, o in zip(g["activity_date"], g["owner"], strict=True)]
        for k, g in found.groupby("step_id")
    }
    assert by_step[ids["s1"]] == [("2026-11-15", "Sam Se"), ("2026-11-20", "Ann Lee")]
    assert by_step[ids["s2"]] == [("2026-11-18", "Bob Ray"), ("2026-11-20", "Ann Lee")]
    assert by_step[ids["s3"]] == [("2026-11-20", "Ann Lee")]
    s2 = found[found["step_id"] == ids["s2"]].to_dict("records")
    assert [r["by_owner"] for r in s2] == [False, True]
    assert mp.evidence_text(s2[0]) == "Security questionnaire review — AE Bob Ray, 18 Nov"
    # another team's viewer reads no activities of Ann's deal
    assert plans.load_deal_activities(engine, ["West"], [("salesforce", "A4")], AS_OF).empty


def test_forged_writes_on_another_teams_deal_change_nothing(planned):
    engine, ids = planned
    with session_scope(engine) as s:
        before = s.get(DealPlanStep, ids["s5"]).status
    steps, audits = _count(engine, DealPlanStep), _count(engine, AuditEntry)
    owners = plans.owner_options(engine, EAST, AS_OF)
    assert set(owners["name"]) == {"Ann Lee", "Bob Ray", "Sam Se", "Dan New"}
    sam = str(int(owners.set_index("name").at["Sam Se", "id"]))
    with pytest.raises(plans.PlanError, match="not one you can plan"):
        plans.add_step(
            engine,
            EAST,
            source="hubspot",
            deal_id="C1",
            kind="other",
            title="Sneak",
            owner=sam,
            due=None,
            note=None,
            author="Maria Manager",
        )
    with pytest.raises(plans.PlanError, match="not on a deal you can plan"):
        plans.set_status(engine, EAST, ids["s5"], "done", "Maria Manager")
    with pytest.raises(plans.PlanError, match="not on a deal you can plan"):
        plans.delete_step(engine, EAST, ids["s5"], "Maria Manager")
    with pytest.raises(plans.PlanError, match="not on a deal you can plan"):
        plans.set_status(engine, EAST, "1; drop table reps", "done", "Maria Manager")
    # an owner from another team, named by a forged id
    cat = plans.owner_options(engine, None, AS_OF).set_index("name").at["Cat Wu", "id"]
    with pytest.raises(plans.PlanError, match="Pick who owns"):
        plans.add_step(
            engine,
            EAST,
            source="salesforce",
            deal_id="A4",
            kind="other",
            title="x",
            owner=str(int(cat)),
            due=None,
            note=None,
            author="Maria Manager",
        )
    with session_scope(engine) as s:
        assert s.get(DealPlanStep, ids["s5"]).status == before
    assert (_count(engine, DealPlanStep), _count(engine, AuditEntry)) == (steps, audits)


def test_every_write_is_audited_with_who_and_what(planned):
    engine, ids = planned
    with session_scope(engine) as s:
        rows = s.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.subject, AuditEntry.detail)
            .where(AuditEntry.kind == "plan")
            .order_by(AuditEntry.id)
        ).all()
    first = rows[0]
    assert first.action == "step added" and first.actor == "Maria Manager"
    assert first.subject == "Deal A4 (salesforce:A4)"
    assert first.detail.startswith("Technical win: Demo for IT, due 2026-12-01")
    assert ("step done", "Maria Manager") in [(r.action, r.actor) for r in rows]


def test_edit_tick_and_delete_round_trip(planned, tmp_path):
    engine, ids = planned
    sam = plans.owner_options(engine, EAST, AS_OF).set_index("name").at["Sam Se", "id"]
    new = plans.add_step(
        engine,
        EAST,
        source="salesforce",
        deal_id="B2",
        kind="briefing",
        title="",
        owner=str(int(sam)),
        due="2026-11-30",
        note="with the CFO",
        author="Maria Manager",
    )
    step = plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "B2")]).iloc[0]
    assert step["title"] == "Executive briefing" and step["note"] == "with the CFO"
    plans.edit_step(
        engine,
        EAST,
        new,
        kind="briefing",
        title="EBC with the CFO",
        owner=str(int(sam)),
        due="2026-12-02",
        note=None,
        actor="Maria Manager",
    )
    assert plans.set_status(engine, EAST, new, "done", "Maria Manager") is True
    assert plans.set_status(engine, EAST, new, "done", "Maria Manager") is False
    step = plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "B2")]).iloc[0]
    assert (step["title"], step["status"], step["done_by"]) == (
        "EBC with the CFO",
        "done",
        "Maria Manager",
    )
    assert str(step["due"].date()) == "2026-12-02"
    plans.delete_step(engine, EAST, new, "Maria Manager")
    assert plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "B2")]).empty
    with pytest.raises(plans.PlanError, match="free-text step needs a title"):
        plans.add_step(
            engine,
            EAST,
            source="salesforce",
            deal_id="B2",
            kind="other",
            title="  ",
            owner=None,
            due=None,
            note=None,
            author="x",
        )


def test_a_plans_file_loads_as_one_batch_with_rejects(planned, tmp_path: Path):
    engine, _ids = planned
    path = tmp_path / "plans_2026-11-22.csv"
    path.write_text(
        "Deal ID,Opportunity Name,Step,Owner,Due,Status,Note\n"
        "D1,,Exec briefing with CFO,Dan New,2026-12-01,open,\n"  # line 2: kept
        ",Deal D1,MSA redlines,dan@x.com,2026-11-30,Done,legal has it\n"  # 3: kept, by name
        "Q9,,Demo,Sam Se,2026-12-02,,\n"  # 4: no such deal
        "D1,,Book the POC,Nobody Here,2026-12-03,,\n"  # 5: no such owner
        ",Deal Nobody,Pricing,Sam Se,,,\n"  # 6: no deal by that name
        "D1,,exec briefing with cfo,Sam Se,2026-12-05,,\n",  # 7: same step as line 2: updates it
        encoding="utf-8",
    )
    config = dataclasses.replace(
        load_config(), data_dir=tmp_path, database_url=engine.url.render_as_string(False)
    )
    out = load_file(path, engine=engine, config=config)
    assert (out.status, out.kind, out.format) == ("loaded", "plans", "plans")
    assert (out.rows_read, out.rows_loaded, out.rows_rejected) == (6, 3, 3)
    assert any("repeat a step" in w for w in out.warnings)
    with session_scope(engine) as s:
        rejects = s.execute(
            select(RejectedRow.row_number, RejectedRow.column, RejectedRow.reason)
            .where(RejectedRow.batch_id == out.batch_id)
            .order_by(RejectedRow.row_number)
        ).all()
    assert [(r.row_number, r.column) for r in rejects] == [
        (4, "Deal ID"),
        (5, "Owner"),
        (6, "Opportunity Name"),
    ]
    assert "no deal by that id" in rejects[0].reason
    steps = plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "D1")])
    got = steps[["title", "kind", "owner", "status"]].values.tolist()
    assert got == [
        ["MSA redlines", "legal", "Dan New", "done"],
        ["exec briefing with cfo", "briefing", "Sam Se", "open"],
    ]
    assert set(steps["author"]) == {"file plans_2026-11-22.csv"}
    # loading the same file again changes nothing
    assert load_file(path, engine=engine, config=config).status == "unchanged"


# --- the panel's callbacks, called as functions ---------------------------------------------


@pytest.fixture
def as_east(planned, monkeypatch):
    """The plan panel's callbacks on the fixture's store, for a manager of East."""
    from dashboard import auth
    from dashboard.pages import plans as panel

    engine, ids = planned
    monkeypatch.setattr(panel, "get_engine", lambda: engine)
    monkeypatch.setattr(auth, "viewer_scope", lambda: EAST)
    return engine, ids, panel


def _deal(deal_id: str, source: str = "salesforce") -> dict:
    return {"view": "course", "source": source, "deal_id": deal_id, "as_of": "2026-11-22"}


def test_the_panel_shows_the_plan_its_risk_and_evidence(as_east):
    from tests.support.callbacks import texts

    _engine, _ids, panel = as_east
    out = panel.render_plan(_deal("A4"), 0, 1)
    assert texts(out["summary"]) == ["4 steps, 2 at risk"]
    words = [w for item in out["steps"] for w in texts(item)]
    assert "at risk: due after the close date (15 Dec)" in words
    assert "at risk: overdue since 20 Nov" in words
    assert "Security questionnaire review — AE Bob Ray, 18 Nov" in words
    assert "Meeting — SE Sam Se, 15 Nov" in words  # the book's T3, no subject: its type
    assert out["form_hidden"] is False
    assert {o["label"] for o in out["owners"]} == {
        "Ann Lee · AE",
        "Bob Ray · AE",
        "Sam Se · SE",
        "Dan New · AE",
    }
    # another team's deal: nothing of it, and no form
    west = panel.render_plan(_deal("C1", "hubspot"), 0, 1)
    assert west["form_hidden"] is True and "Bring the reseller in" not in str(west["steps"])


def test_the_panels_actions_and_a_forged_one(as_east):
    engine, ids, panel = as_east
    from dashboard import ids as cid

    clicked = [{"prop_id": "x.n_clicks", "value": 1}]
    add = {"type": cid.PLANS_ADD, "view": "course"}
    sam = plans.owner_options(engine, EAST, AS_OF).set_index("name").at["Sam Se", "id"]
    out = panel.act(
        add, clicked, "partner", "Reseller intro", str(int(sam)), "2026-12-03", None, _deal("B2"), 4
    )
    assert out["version"] == 5 and out["title"] == ""
    step = plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "B2")]).iloc[-1]
    assert (step["title"], step["owner"]) == ("Reseller intro", "Sam Se")
    done = {"type": cid.PLANS_DONE, "view": "course", "step": int(step["id"])}
    assert panel.act(done, clicked, None, None, None, None, None, _deal("B2"), 5)["version"] == 6
    again = plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "B2")])
    assert again.set_index("id").at[int(step["id"]), "status"] == "done"
    # a forged tick on West's step: refused in words, nothing bumped, nothing changed
    forged = {"type": cid.PLANS_DONE, "view": "course", "step": ids["s5"]}
    out = panel.act(forged, clicked, None, None, None, None, None, _deal("C1", "hubspot"), 6)
    assert out["version"] is panel.no_update and "not on a deal you can plan" in str(out["message"])
    steps = plans.load_steps(engine, None, AS_OF, deals=[("hubspot", "C1")])
    assert steps["status"].tolist() == ["open"]
    # a button drawn anew (n_clicks 0) is not a click
    assert (
        panel.act(done, [{"prop_id": "x", "value": 0}], *[None] * 5, _deal("B2"), 6)["version"]
        is panel.no_update
    )
    panel.act(
        {"type": cid.PLANS_DELETE, "view": "course", "step": int(step["id"])},
        clicked,
        *[None] * 5,
        _deal("B2"),
        6,
    )
    assert plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "B2")]).empty


def test_ticks_and_plan_state_for_the_views(planned):
    from dashboard.pages import plans as panel

    engine, _ids = planned
    rows = [{"source": "salesforce", "deal_id": "A4"}, {"source": "salesforce", "deal_id": "B1"}]
    got = panel.with_plan_state(rows, engine, EAST, AS_OF)
    assert [(r["plan"], r["plan_at_risk"]) for r in got] == [("4 steps, 2 at risk", 2), ("", 0)]
    # a map with A4 on lane 3 (y 3.0): its 4 steps as ticks in one trace, s2 and s3 red
    figure = {
        "data": [
            {
                "mode": "markers",
                "x": [70.5],
                "y": [3.0],
                "customdata": [["deal", "salesforce", "A4", "Deal A4"]],
            }
        ]
    }
    start, end = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    out = panel.with_ticks(figure, engine, EAST, start, end, AS_OF)
    assert len(out["data"]) == 2 and len(figure["data"]) == 1  # the drawn figure is left as is
    tick = out["data"][1]
    # due 11-01, 11-20, 12-01, 12-20 -> days 31, 50, 61, 80 from 1 Oct, at noon (+0.5)
    assert tick["x"].tolist() == [31.5, 50.5, 61.5, 80.5]
    assert tick["marker"]["line"]["color"] == ["#9ca3af", "#dc2626", "#1d2430", "#dc2626"]


# --- the Review's deal panel ------------------------------------------------------------------


def _review_state(team: str | None = None) -> dict:
    from dashboard import urls

    query = {"quarter": "2026-Q4", **({"team": team} if team else {})}
    return {
        "view": urls.resolve(query).to_dict(),
        "as_of": "2026-11-22",
        "since": "2026-11-01",
        "group": "none",
        "present": False,
    }


def test_a_deal_clicked_in_the_review_opens_its_panel_with_its_plan(as_east, monkeypatch):
    from dashboard.pages import review_deal
    from tests.support.callbacks import texts

    engine, _ids, panel = as_east
    monkeypatch.setattr(review_deal, "get_engine", lambda: engine)
    # a click on A4's row of the focus list (any cell): the deal, its rider and its plan
    cell = {"rowId": "salesforce|A4", "colId": "amount", "value": 40000}
    out = review_deal.open_deal_for(cell, _review_state(), {"search": "?quarter=2026-Q4"})
    assert out["is_open"] is True and out["title"] == "Deal A4"
    words = texts(out["body"])
    assert "Acct A4" in words and "40,000" in " ".join(words)
    assert out["rider_href"] == "/rider/Ann%20Lee?quarter=2026-Q4"
    assert out["plan"] == {
        "view": "review",
        "source": "salesforce",
        "deal_id": "A4",
        "as_of": "2026-11-22",
    }
    plan = panel.render_plan(out["plan"], 0, 1)
    assert texts(plan["summary"]) == ["4 steps, 2 at risk"] and plan["form_hidden"] is False
    # the step's buttons are the Review's own (MATCH on view "review")
    assert {item.children[0].id["view"] for item in plan["steps"]} == {"review"}
    # X1 was removed between the days (in the moved deals, not on "now"): its fields as they were
    gone = review_deal.open_deal_for(
        {"rowId": "salesforce|X1", "colId": "deal_name"}, _review_state(), None
    )
    assert gone["title"] == "Deal X1" and "5,000" in " ".join(texts(gone["body"]))
    assert gone["plan"]["deal_id"] == "X1"
    # West's deal named by a forged row id: not in East's review, no plan store written
    forged = review_deal.open_deal_for(
        {"rowId": "hubspot|C1", "colId": "deal_name"}, _review_state(), None
    )
    assert "not in this review" in str(forged["body"]) and forged["plan"] is review_deal.no_update
    # a review of West asked for by East's manager: nothing
    west = review_deal.open_deal_for(cell, _review_state("West"), None)
    assert west["is_open"] is review_deal.no_update
    # no row id, or one of no deal's shape
    assert review_deal.open_deal_for({"colId": "x"}, _review_state(), None)["plan"] is (
        review_deal.no_update
    )
    assert review_deal.deal_key("no-bar") is None and review_deal.deal_key("a|") is None
    # after an edit in the panel, the focus list's Plan column is read again (B1 has no plan)
    rows = [
        {"source": "salesforce", "deal_id": "A4", "plan": "", "plan_at_risk": 0, "rank": 1},
        {"source": "salesforce", "deal_id": "B1", "plan": "stale", "plan_at_risk": 1, "rank": 2},
    ]
    again = review_deal.plan_words(rows, out["plan"])
    assert [(r["rank"], r["plan"], r["plan_at_risk"]) for r in again] == [
        (1, "4 steps, 2 at risk", 2),
        (2, "", 0),
    ]
    assert review_deal.plan_words([], out["plan"]) is review_deal.no_update


# --- the Course's map follows the panel's edits -----------------------------------------------


def test_an_edit_in_the_course_panel_redraws_the_maps_ticks_alone(as_east):
    """The map's last trace is its ticks (empty without any); after an edit the Patch replaces
    that trace alone, read again, over the Course's cached drawing."""
    import numpy as np

    from dashboard import ids as cid
    from dashboard import urls
    from dashboard.figures.plans import TICK_NAME
    from dashboard.pages import course

    engine, _ids, panel = as_east
    state = urls.resolve({"quarter": "2026-Q4", "as_of": "2026-11-22"})
    q = state.quarter_obj()
    drawn = course._view(engine, state, EAST)["map"]
    k = len(drawn["data"])

    def a4_ticks(trace) -> list[float]:
        custom = np.asarray(trace["customdata"], dtype=object)
        return sorted(float(x) for x, c in zip(trace["x"], custom, strict=True) if c[2] == "A4")

    shown = panel.with_ticks(drawn, engine, EAST, q.start, q.end, AS_OF)
    assert len(shown["data"]) == k + 1 and shown["data"][k]["name"] == TICK_NAME
    # A4's 4 steps (due 11-01, 11-20, 12-01, 12-20: days 31, 50, 61, 80 from 1 Oct, +0.5)
    assert a4_ticks(shown["data"][k]) == [31.5, 50.5, 61.5, 80.5]
    # a viewer with no plan in sight: the ticks' place is kept, empty and out of the legend
    bare = panel.with_ticks(drawn, engine, [], q.start, q.end, AS_OF)["data"][k]
    assert (list(bare["x"]), bare["showlegend"], bare["name"]) == ([], False, TICK_NAME)

    clicked = [{"prop_id": "x.n_clicks", "value": 1}]
    add = {"type": cid.PLANS_ADD, "view": "course"}
    out = panel.act(add, clicked, "legal", "Order form", None, "2026-12-10", None, _deal("A4"), 0)
    assert out["version"] == 1
    try:
        patch = panel.course_tick_patch(state.to_dict()).to_plotly_json()
        (op,) = patch["operations"]
        assert (op["operation"], op["location"]) == ("Assign", ["data", k])
        # 12-10 is day 70 from 1 Oct: the fifth tick, the map's other traces untouched
        assert a4_ticks(op["params"]["value"]) == [31.5, 50.5, 61.5, 70.5, 80.5]
        assert len(course._view(engine, state, EAST)["map"]["data"]) == k
    finally:
        new = plans.load_steps(engine, EAST, AS_OF, deals=[("salesforce", "A4")])
        plans.delete_step(
            engine, EAST, int(new.loc[new["title"] == "Order form", "id"].iloc[0]), "t"
        )
    # West's course asked for by East's manager, or no state: nothing sent
    west = urls.resolve({"quarter": "2026-Q4", "team": "West"}).to_dict()
    assert panel.course_tick_patch(west) is panel.no_update
    assert panel.course_tick_patch(None) is panel.no_update


# --- exports and the rows behind a plan's words ------------------------------------------------


def _download(sent: dict) -> bytes:
    import base64

    assert sent["base64"] is True
    return base64.b64decode(sent["content"])


def test_plan_rows_count_evidence_and_re_add_to_the_words(planned):
    from dashboard.models import plans as pm

    engine, ids = planned
    rows = pm.load_plan_rows(engine, EAST, AS_OF, [("salesforce", "A4")])
    by = rows.set_index("id")
    # evidence by hand (module docstring): s1 T3+E3, s2 E1+E3, s3 E3; s4 (Bob's, made 11-10)
    # E1 (Bob's, 11-18)
    assert [int(by.at[ids[k], "evidence"]) for k in ("s1", "s2", "s3", "s4")] == [2, 2, 1, 1]
    assert by.at[ids["s3"], "risk"] == "overdue since 20 Nov" and by.at[ids["s3"], "at_risk"]
    trace = pm.plan_trace(rows, "salesforce", "A4")
    words = mp.plan_states(plans.load_steps(engine, EAST, AS_OF), AS_OF)
    a4 = words.set_index("deal_id").at["A4", "plan"]
    # the rows re-add to the figure: 4 rows, 2 of them at risk, 1 done -> the same words
    assert (trace.count, int(trace.rows["at_risk"].sum())) == (4, 2)
    assert mp.plan_text(trace.count, 2, int((trace.rows["status"] == "done").sum())) == a4
    assert trace.title == "Deal A4 · plan: 4 steps, 2 at risk"
    assert pm.plan_trace(rows, "hubspot", "C1") is None


def test_the_reviews_plans_export_is_scoped_and_neutralised(as_east, monkeypatch):
    import csv
    import io

    from dashboard.pages import review_deal

    engine, _ids, panel = as_east
    monkeypatch.setattr(review_deal, "get_engine", lambda: engine)
    bob = plans.owner_options(engine, EAST, AS_OF).set_index("name").at["Bob Ray", "id"]
    risky = plans.add_step(
        engine,
        EAST,
        source="salesforce",
        deal_id="B2",
        kind="other",
        title="=cmd|' /C calc'!A0",
        owner=str(int(bob)),
        due="2026-12-01",
        note="@SUM(1)",
        author="Maria Manager",
    )
    try:
        sent = review_deal.plans_export("csv", _review_state())
        assert sent["filename"] == "plans-2026-Q4-all-teams-2026-11-22.csv"
        table = list(csv.DictReader(io.StringIO(_download(sent).decode("utf-8-sig"))))
        a4 = [r for r in table if r["Deal ID"] == "A4"]
        assert [r["Step"] for r in a4] == [
            "Discount",
            "MSA redlines",
            "Demo for IT",
            "Security review",
        ]
        assert [(r["At risk"], r["Why at risk"]) for r in a4] == [
            ("no", ""),
            ("yes", "overdue since 20 Nov"),
            ("no", ""),
            ("yes", "due after the close date (15 Dec)"),
        ]
        assert [r["Evidence (activities)"] for r in a4] == ["1", "1", "2", "2"]
        assert a4[0]["Status"] == "done" and a4[2]["Owner"] == "Sam Se"
        assert a4[0]["Due"] == "2026-11-01" and a4[0]["Close date"] == "2026-12-15"
        # West's step (C1) is not East's to export
        assert "C1" not in {r["Deal ID"] for r in table}
        b2 = next(r for r in table if r["Deal ID"] == "B2")
        assert (b2["Step"], b2["Note"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1)")
        # XLSX: the same rows under a title line, the formula inert there too
        from openpyxl import load_workbook

        book = load_workbook(
            io.BytesIO(_download(review_deal.plans_export("xlsx", _review_state())))
        )
        cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
        assert "'=cmd|' /C calc'!A0" in cells and "Security review" in cells
        # a review of West, asked for by East's manager: no file
        assert review_deal.plans_export("csv", _review_state("West")) is review_deal.no_update
    finally:
        plans.delete_step(engine, EAST, risky, "t")


def test_a_plan_cell_opens_its_steps_and_the_riders_export(as_east, monkeypatch):
    from dashboard import ids as cid
    from dashboard import urls
    from dashboard.pages import review_deal
    from tests.support.callbacks import run, texts

    engine, _ids, panel = as_east
    monkeypatch.setattr(review_deal, "get_engine", lambda: engine)
    cell = {"colId": "plan", "value": "4 steps, 2 at risk", "rowId": "salesforce|A4"}
    out = review_deal.show_plan_rows(cell, _review_state())
    assert out["is_open"] is True and out["title"] == "Deal A4 · plan: 4 steps, 2 at risk"
    assert texts(out["body"])[0] == "4 steps"
    grid = out["body"].children[2]
    assert [r["step"] for r in grid.rowData] == [
        "Pricing approval · Discount",
        "Legal / contract · MSA redlines",
        "Technical win · Demo for IT",
        "Security review",  # the kind's own words: said once
    ]
    assert [r["at_risk"] for r in grid.rowData] == [False, True, False, True]
    # the same click does not open the deal panel; a click on another cell does
    got = run(
        review_deal.open_deal,
        f"{cid.REVIEW_FOCUS}.cellClicked",
        cell,
        cell,
        None,
        _review_state(),
        None,
    )
    assert got["is_open"] is review_deal.no_update
    # a forged row of West's deal: nothing
    forged = dict(cell, rowId="hubspot|C1")
    assert review_deal.show_plan_rows(forged, _review_state()) is review_deal.no_update

    # the Rider: Ann's deals' steps (A4's four; B2 is Bob's), its Plan cell and the XLSX
    data = {
        "rep": "Ann Lee",
        "view": urls.resolve({"quarter": "2026-Q4", "as_of": "2026-11-22"}).to_dict(),
    }
    rows = panel.rider_plan_rows(data)
    assert set(rows["deal_id"]) == {"A4"} and len(rows) == 4
    assert (
        panel.plan_rows_trace(
            panel.rider_plan_rows(data, ("salesforce", "A4")), "salesforce|A4"
        ).count
        == 4
    )
    trace = panel.rider_plan_trace(cell, data)
    assert trace["title"] == "Deal A4 · plan: 4 steps, 2 at risk"
    sent = panel.rider_plans_export("xlsx", data)
    assert sent["filename"] == "plans-Ann-Lee-2026-Q4-2026-11-22.xlsx"
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_download(sent)))
    values = list(book.active.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(values) if r and r[0] == "Deal")
    assert len([r for r in values[header + 1 :] if r and r[0]]) == 4
    # a forged rider name: nothing
    assert (
        panel.rider_plans_export("csv", {"rep": "x" * 300, "view": data["view"]}) is panel.no_update
    )


# --- a folder with deals and plans --------------------------------------------------------------


def test_a_folder_loads_its_deals_before_the_plans_that_name_them(tmp_path: Path):
    """The steps file sorts first by its date (1 Oct before 9 Oct) and has no "plan" in its
    name: it is known by its header and loaded after the pipeline, so its step finds its deal."""
    import shutil

    from loaders.ingest import expand_paths

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(fixtures / "roster.csv", folder / "roster.csv")
    shutil.copy(fixtures / "salesforce_opportunities_2026-10-09.csv", folder)
    (folder / "next_steps_2026-10-01.csv").write_text(
        "Deal ID,Step,Owner,Due,Status,Note\n"
        "006Hp00001AbCdEIAV,Send the MSA redlines,Dana Whitfield,2026-11-15,,legal has it\n",
        encoding="utf-8",
    )
    (folder / "deal_plans_2026-10-02.txt").write_text("ignored header\n", encoding="utf-8")
    order = [p.name for p in expand_paths([folder])]
    assert order == [
        "roster.csv",
        "salesforce_opportunities_2026-10-09.csv",
        "next_steps_2026-10-01.csv",
        "deal_plans_2026-10-02.txt",  # "plan" in its name is enough
    ]
    url, drop = make_store("sqlite", tmp_path / "db")
    try:
        engine = get_engine(url)
        config = dataclasses.replace(load_config(), data_dir=tmp_path / "data", database_url=url)
        outs = [load_file(folder / name, engine=engine, config=config) for name in order[:3]]
        assert [o.status for o in outs] == ["loaded", "loaded", "loaded"]
        assert (outs[2].kind, outs[2].rows_loaded, outs[2].rows_rejected) == ("plans", 1, 0)
        steps = plans.load_steps(engine, None, dt.date(2026, 10, 9))
        assert steps[["deal_name", "title", "owner"]].values.tolist() == [
            ["Northwind - Platform Expansion", "Send the MSA redlines", "Dana Whitfield"]
        ]
    finally:
        drop()
