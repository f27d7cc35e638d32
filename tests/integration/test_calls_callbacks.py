"""The forecast calls panel's callbacks (``dashboard/pages/calls.py``) on the hand-worked
forecast book (``tests/support/forecast_book.py``), on SQLite, with today pinned to its as-of
day (2026-10-22, a Thursday of week 4 of 2026-Q4: days 10-22 to 10-28).

Org: Dave Diaz (Director, no team) → Mia Park (Manager, East: Ann Lee, Bob Ray) and Max Moss
(Manager, West: Cy Chen). Calls in force on 10-22 (Cy's 10-23 call is not yet):

    person     status                commit / best   rolled up        adjustment
    Ann Lee    carried from week 3   33,000/45,000   35,000/35,000    −2,000/+10,000  (CRM)
    Bob Ray    CRM                    0/16,000        0/16,000         0
    Mia Park   submitted (10-22)     60,000/90,000   33,000/61,000   +27,000/+29,000
    Cy Chen    CRM                    6,000/6,000     6,000/6,000      0
    Max Moss   rolled up              6,000/6,000     6,000/6,000      0
    Dave Diaz  rolled up             66,000/96,000   66,000/96,000    0

Everyone above is expected to call (managers, and reps with CRM figures); only Mia called in
week 4, so five have not.
"""

from __future__ import annotations

import shutil
import sys

import pytest
from dash import no_update
from sqlalchemy import func, select

from dashboard import auth, ids, urls
from dashboard.reads import calls as call_reads
from dashboard.reads import catalog
from dashboard.reads.catalog import live_version as current_version
from loaders.store.engine import dispose_engines, get_engine
from loaders.store.models import ForecastCall
from tests.support.callbacks import texts
from tests.support.client import PASSWORD, sign_in
from tests.support.forecast_book import AS_OF, QUARTER, seed_forecast_book
from tests.support.stores import make_store, use_store

TODAY = AS_OF.isoformat()


@pytest.fixture(scope="module")
def book_file(tmp_path_factory):
    """The book stored once; each test gets a copy (tests write calls)."""
    folder = tmp_path_factory.mktemp("calls-book")
    url, _drop = make_store("sqlite", folder, prefix="calls")
    seed_forecast_book(get_engine(url))
    dispose_engines()
    return folder / "calls.db"


@pytest.fixture
def store(book_file, tmp_path, monkeypatch):
    target = tmp_path / "calls.db"
    shutil.copyfile(book_file, target)
    monkeypatch.setenv("TEAMCAR_TODAY", TODAY)
    return use_store(f"sqlite:///{target}", monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    return create_app()


@pytest.fixture
def calls(app):
    return sys.modules["dashboard.pages.calls"]


def as_manager(monkeypatch, teams: list[str] | None, name: str | None = None) -> None:
    """Call the callbacks as a viewer with ``teams`` (None: all) and, if given, signed in."""
    viewer = None if name is None else auth.Viewer(name, "manager", tuple(teams or ()), "password")
    monkeypatch.setattr(auth, "viewer_scope", lambda: teams)
    monkeypatch.setattr(auth, "current_viewer", lambda: viewer)


def panel(view="course", rep=None, **query) -> dict:
    state = urls.resolve({"quarter": QUARTER, **query})
    return {"panel": view, "view": state.to_dict(), "rep": rep}


def rows_by_person(out) -> dict[str, dict]:
    return {r["person"]: r for r in out["rows"]}


def kept(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(ForecastCall))


def newest(engine) -> dict:
    """The call kept last (``load_calls`` orders by day, and the book has one after today)."""
    frame = call_reads.load_calls(engine, None, QUARTER)
    return frame.sort_values("id").iloc[-1].to_dict()


def test_leader_sees_the_chain_with_statuses_roll_up_and_who_has_not_called(store, calls):
    out = calls.render_calls(panel(), current_version(store), 0, None, None)
    assert [r["person"] for r in out["rows"]] == [
        "Dave Diaz",
        "Max Moss",
        "Cy Chen",
        "Mia Park",
        "Ann Lee",
        "Bob Ray",
    ]
    rows = rows_by_person(out)

    def line(p):
        r = rows[p]
        return [
            r["depth"],
            r["status"],
            r["commit"],
            r["best_case"],
            r["rolled_commit"],
            r["rolled_best"],
            r["adj_commit"],
            r["adj_best"],
            r["missing"],
        ]

    assert line("Dave Diaz") == [0, "rolled up", 66000, 96000, 66000, 96000, 0, 0, True]
    assert line("Max Moss") == [1, "rolled up", 6000, 6000, 6000, 6000, 0, 0, True]
    assert line("Mia Park") == [
        1,
        "submitted this week",
        60000,
        90000,
        33000,
        61000,
        27000,
        29000,
        False,
    ]
    # reps: their call (or CRM figures); the roll-up and adjustment columns are the managers'
    assert line("Ann Lee") == [2, "carried from week 3", 33000, 45000, None, None, None, None, True]
    assert line("Bob Ray") == [2, "CRM", 0, 16000, None, None, None, None, True]
    assert line("Cy Chen") == [2, "CRM", 6000, 6000, None, None, None, None, True]
    assert rows["Mia Park"]["by"] == "Mia Park · 22 Oct"
    assert (rows["Dave Diaz"]["not_called"], rows["Mia Park"]["not_called"]) == (4, 2)
    words = texts(calls.html.Div(out["summary"]))
    assert "Dave Diaz's call" in words and "rolled up" in words
    assert words[words.index("Not called in week 4 (5 of 6):") + 1 :] == [
        "Dave Diaz",
        "Max Moss",
        "Cy Chen",
        "Ann Lee",
        "Bob Ray",
    ]
    assert "week 4" in out["hint"] and "22 Oct 2026" in out["hint"]
    # the form: today's view of a running quarter takes a call for anyone on the roster
    assert out["form_hidden"] is False
    assert {o["value"] for o in out["options"]} == {
        "Ann Lee",
        "Bob Ray",
        "Cy Chen",
        "Dave Diaz",
        "Max Moss",
        "Mia Park",
    }


def test_a_manager_sees_and_calls_only_their_people(store, calls, monkeypatch):
    as_manager(monkeypatch, ["East"], "Mia Park")
    out = calls.render_calls(panel(), current_version(store), 0, None, None)
    assert [r["person"] for r in out["rows"]] == ["Mia Park", "Ann Lee", "Bob Ray"]
    mia = out["rows"][0]
    assert (mia["depth"], mia["rolled_commit"], mia["adj_commit"], mia["adj_best"]) == (
        0,
        33000,
        27000,
        29000,
    )
    words = texts(calls.html.Div(out["summary"]))
    assert "Mia Park's call" in words
    assert "adjustment +27,000 / +29,000 by Mia Park" in words
    assert "Not called in week 4 (2 of 3):" in words
    assert [o["value"] for o in out["options"]] == ["Mia Park", "Ann Lee", "Bob Ray"]
    assert out["person"] == "Mia Park"  # the viewer themself first
    # another team, named in a forged state: nothing of it
    west = calls.render_calls(panel(team="West"), current_version(store), 0, None, None)
    assert west["rows"] == [] and west["options"] == [] and west["form_hidden"] is True
    assert "Cy Chen" not in str(west)


def test_a_call_made_in_the_browser_is_kept_and_shown_as_submitted(store, calls, monkeypatch):
    as_manager(monkeypatch, ["East"], "Mia Park")
    before, version = kept(store), current_version(store)
    data = catalog.current_version(store)
    out = calls.make_call(
        1, "Ann Lee", "40,000", "50k", "  two deals moved up  ", "forged", panel(), 3
    )
    assert out["saved"] == 4 and (out["commit"], out["best"], out["note"]) == ("", "", "")
    assert "Recorded Ann Lee's call for 2026-Q4" in texts(out["message"])[0]
    # the same person again on the same day: a second row, nothing overwritten
    calls.make_call(1, "Ann Lee", "41000", "52000", None, None, panel(), 4)
    assert kept(store) == before + 2
    assert current_version(store) == version + 2  # every open page redraws on its next poll
    assert catalog.current_version(store) == data  # the summary and models stay cached
    ann = call_reads.load_calls(store, None, QUARTER)
    ann = ann[ann["person"] == "Ann Lee"].tail(2)
    assert list(ann["commit"]) == [40000.0, 41000.0]
    assert list(ann["best_case"]) == [50000.0, 52000.0]
    assert list(ann["author"]) == ["Mia Park", "Mia Park"]  # the signed-in viewer, not the form
    assert list(ann["source"]) == ["browser", "browser"]
    assert list(ann["note"]) == ["two deals moved up", None]
    assert ann["created_at"].notna().all()
    assert (ann["submitted"].dt.date == AS_OF).all()

    out = calls.render_calls(panel(), current_version(store), 5, None, None)
    rows = rows_by_person(out)
    assert (rows["Ann Lee"]["status"], rows["Ann Lee"]["commit"], rows["Ann Lee"]["missing"]) == (
        "submitted this week",
        41000,
        False,
    )
    # Mia's call stays, her roll-up follows Ann's new call: 41,000 + Bob's 0
    assert (rows["Mia Park"]["rolled_commit"], rows["Mia Park"]["adj_commit"]) == (41000, 19000)
    # the Rider shows Ann's calls this quarter, newest first, with author and time
    rider = calls.render_calls(panel("rider", "Ann Lee"), current_version(store), 0, None, None)
    assert [(r["commit"], r["author"], r["source"]) for r in rider["rows"][:3]] == [
        (41000, "Mia Park", "browser"),
        (40000, "Mia Park", "browser"),
        (33000, "Ann Lee", "calls file"),  # a file names its person as author
    ]
    assert rider["options"] == [{"label": "Ann Lee · AE · East", "value": "Ann Lee"}]


def test_the_local_mode_takes_the_author_from_the_form_and_remembers_it(store, calls):
    out = calls.make_call(1, "Dave Diaz", "70000", "100000", "", "  Lee   Leader ", panel(), 0)
    assert out["remembered"] == "Lee Leader"
    assert newest(store)["author"] == "Lee Leader"
    nobody = calls.make_call(1, "Dave Diaz", "70000", "100000", "", "", panel(), 1)
    assert "author is empty" in texts(nobody["message"])[0]


@pytest.mark.parametrize(
    ("commit", "best", "field", "words"),
    [
        ("", "5", "commit_error", "Enter the commit"),
        ("-5", "5", "commit_error", "cannot be negative"),
        ("abc", "5", "commit_error", "must be a number"),
        ("1e400", "5", "commit_error", "must be a number"),
        ("10", "x1", "best_error", "must be a number"),
        ("50,000", "40,000", "best_error", "below the commit"),
    ],
)
def test_bad_input_is_said_beside_its_field_and_keeps_nothing(
    store, calls, commit, best, field, words
):
    before = kept(store)
    out = calls.make_call(1, "Ann Lee", commit, best, None, "Lee", panel(), 0)
    assert words in out[field]
    assert out[field.replace("error", "invalid")] is True
    assert out["saved"] is no_update
    assert kept(store) == before


def test_a_past_day_or_an_ended_quarter_takes_no_call(store, calls):
    past = panel(as_of="2026-10-08")
    out = calls.render_calls(past, current_version(store), 0, None, None)
    assert (
        out["form_hidden"] is True and "as of 8 Oct 2026" in texts(calls.html.Div(out["closed"]))[0]
    )
    before = kept(store)
    refused = calls.make_call(1, "Ann Lee", "1", "2", None, "Lee", past, 0)
    assert "as of 8 Oct 2026" in texts(refused["message"])[0]
    ended = calls.make_call(1, "Ann Lee", "1", "2", None, "Lee", panel(quarter="2026-Q3"), 0)
    assert "2026-Q3 has ended" in texts(ended["message"])[0]
    assert kept(store) == before


def test_the_courses_panel_is_drawn_once_it_has_been_seen(store, calls):
    """The Course places its panel lazily (filled when it comes near the screen: the browser
    sets its seen store, assets/lazy_panel.js); until then the callback draws nothing, then the
    same tree as any panel."""
    import json

    from dash.development.base_component import Component

    from dashboard.pages import course, review

    def seen_store(layout: Component, view: str):
        found = [
            c
            for c in layout._traverse()
            if getattr(c, "id", None) == {"type": ids.CALLS_SEEN, "view": view}
        ]
        assert len(found) == 1
        return found[0]

    def section(layout: Component, view: str):
        (found,) = [
            c
            for c in layout._traverse()
            if f"calls-{view}" in (getattr(c, "className", None) or "").split()
        ]
        return found

    lazy, eager = course.layout(quarter=QUARTER), review.layout(quarter=QUARTER)
    assert seen_store(lazy, "course").data is False
    marked = getattr(section(lazy, "course"), "data-lazy-seen")
    assert json.loads(marked) == {"type": ids.CALLS_SEEN, "view": "course"}
    assert seen_store(eager, "review").data is True
    assert getattr(section(eager, "review"), "data-lazy-seen", None) is None

    version = current_version(store)
    assert calls.render_calls(panel(), version, 0, None, None, seen=False) is no_update
    drawn = calls.render_calls(panel(), version, 0, None, None, seen=True)
    always = calls.render_calls(panel(), version, 0, None, None)
    assert drawn["rows"] == always["rows"] and drawn["options"] == always["options"]
    assert texts(drawn["summary"]) == texts(always["summary"])
    assert set(rows_by_person(drawn)) == {
        "Dave Diaz",
        "Mia Park",
        "Ann Lee",
        "Bob Ray",
        "Max Moss",
        "Cy Chen",
    }


def test_a_large_tree_opens_its_first_levels_and_a_click_opens_a_manager(calls, monkeypatch):
    import pandas as pd

    monkeypatch.setattr(calls, "OPEN_ALL_UP_TO", 3)
    people = pd.DataFrame(
        [
            ("Vee", None, 0, True, None, "carried", 2),
            ("Dee", "Vee", 1, True, None, "submitted", 4),
            ("Em", "Dee", 2, True, None, "rolled_up", None),
            ("Rep", "Em", 3, False, 10.0, "crm", None),
        ],
        columns=["person", "manager", "depth", "is_manager", "own_commit", "status", "week"],
    )
    for col in ("role", "team", "by", "submitted"):
        people[col] = None
    for col in ("value", "rolled_up", "adjustment"):
        people[f"{col}_commit"] = people[f"{col}_best_case"] = 0.0
    callers = set(people["person"])
    rows, missing = calls.tree_rows(people, callers)
    assert [(r["person"], r["toggle"]) for r in rows] == [
        ("Vee", "▾ "),
        ("Dee", "▾ "),
        ("Em", "▸ "),
    ]
    assert missing == ["Vee", "Em", "Rep"]  # counted whether shown or not
    assert rows[2]["not_called"] == 1
    click = {"colId": "person", "value": "Em"}
    expanded = calls.toggle_branch(click, None, rows)
    assert expanded == {"open": ["Em"], "closed": []}
    rows, _ = calls.tree_rows(people, callers, expanded)
    assert [r["person"] for r in rows] == ["Vee", "Dee", "Em", "Rep"]
    closed = calls.toggle_branch({"colId": "person", "value": "Vee"}, expanded, rows)
    assert calls.tree_rows(people, callers, closed)[0][0]["toggle"] == "▸ "
    assert len(calls.tree_rows(people, callers, closed)[0]) == 1
    assert calls.toggle_branch({"colId": "status", "value": "x"}, None, rows) is no_update


# --- over HTTP, as a browser (or someone editing its requests) would ----------------------------


def post_call(client, app, person: str, author: str = "Forger") -> dict:
    """POST the form's callback to ``/_dash-update-component`` with these values."""
    deps = client.get("/_dash-dependencies").json
    spec = next(d for d in deps if ids.CALLS_MESSAGE in d["output"])
    view = "course"

    def cid(kind):
        return {"type": kind, "view": view}

    outs = []
    for part in spec["output"].strip(".").split("..."):
        raw, prop = part.rsplit(".", 1)
        kind = raw.split('"type":"', 1)[1].split('"', 1)[0]
        outs.append({"id": cid(kind), "property": prop})
    values = {
        ids.CALLS_PERSON: person,
        ids.CALLS_COMMIT: "1000",
        ids.CALLS_BEST: "2000",
        ids.CALLS_NOTE: "forged?",
        ids.CALLS_AUTHOR: author,
        ids.CALLS_STATE: panel(),
        ids.CALLS_SAVED: 0,
    }
    state = [{"id": cid(k), "property": p, "value": values[k]} for k, p in _state_props(spec)]
    body = {
        "output": spec["output"],
        "outputs": outs,
        "inputs": [{"id": cid(ids.CALLS_SAVE), "property": "n_clicks", "value": 1}],
        "state": state,
        "changedPropIds": ['{"type":"calls-save","view":"course"}.n_clicks'],
    }
    return client.post("/_dash-update-component", json=body)


def _state_props(spec) -> list[tuple[str, str]]:
    return [
        (s["id"].split('"type":"', 1)[1].split('"', 1)[0], s["property"]) for s in spec["state"]
    ]


def test_a_forged_call_for_someone_outside_the_scope_changes_nothing(store, app):
    auth.add_user(store, "Mia Park", "manager", ["East"], PASSWORD)
    client = app.server.test_client()
    assert sign_in(client, "Mia Park").status_code == 302
    before, version = kept(store), current_version(store)
    resp = post_call(client, app, "Cy Chen")  # West: not one of Mia's
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "not one of the people you may call for" in text
    assert "6,000" not in text and "West" not in text
    assert (kept(store), current_version(store)) == (before, version)
    # the same request for one of her people is kept, under her name, not the form's
    ok = post_call(client, app, "Bob Ray", author="Forger")
    assert "Recorded Bob Ray" in ok.get_data(as_text=True)
    last = newest(store)
    assert (last["person"], last["author"], last["commit"]) == ("Bob Ray", "Mia Park", 1000.0)
