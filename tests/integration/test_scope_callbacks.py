"""Scope enforced on the server: forged callback requests from a signed-in manager get nothing.

A store of nine reps in three teams (East, West, Central) on SQLite and PostgreSQL. Mia manages
East. Requests are posted to ``/_dash-update-component`` exactly as a browser (or someone
editing one's requests) would: naming another team, another team's rep, or asking for an export
or the Data desk's rejected rows. None of them returns another team's rows or names.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from dashboard import auth, ids, urls
from dashboard.reads import cache
from dashboard.serve.upload import UPLOAD_PATH
from loaders.generate.course_store import build_course_store
from loaders.store.engine import get_engine
from loaders.store.models import CoachingNote, OpportunitySnapshot
from tests.support.client import PASSWORD, dash_call, sign_in
from tests.support.stores import seeded_store


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    return create_app()


def _nine_reps_and_two_users(engine) -> dict[str, str]:
    info = build_course_store(engine, reps=9, teams=3, weeks=3)
    auth.add_user(engine, "Mia Manager", "manager", ["East"], PASSWORD)
    auth.add_user(engine, "Lee Leader", "leader", password=PASSWORD)
    return info["teams"]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, data_dir, monkeypatch):
    """Each test's own copy of the store (built once per process: ``seeded_store``)."""
    for name in ("TEAMCAR_AUTH_HEADER", "TEAMCAR_TRUSTED_PROXIES", "TEAMCAR_CACHE_URL"):
        monkeypatch.delenv(name, raising=False)
    url, drop, team_of = seeded_store(
        request.param, tmp_path, "scope-callbacks", _nine_reps_and_two_users
    )
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    cache.clear_local()
    try:
        yield {
            "engine": get_engine(url),
            "east": sorted(r for r, t in team_of.items() if t == "East"),
            "others": sorted(r for r, t in team_of.items() if t != "East"),
        }
    finally:
        drop()


@pytest.fixture
def mia(app, store):
    client = app.server.test_client()
    assert sign_in(client, "Mia Manager").status_code == 302
    return client


def view(**query) -> dict:
    return urls.resolve({"quarter": "2026-Q4", **query}).to_dict()


def names_in(resp, reps) -> set[str]:
    text = resp.get_data(as_text=True)
    return {r for r in reps if r in text}


def nothing(resp) -> bool:
    """Dash's answer when a callback sends nothing back (every output ``no_update``)."""
    return resp.status_code == 204 or (resp.status_code == 200 and not resp.json.get("response"))


def course(client, app, **query):
    return dash_call(
        client,
        app,
        f"{ids.COURSE_TITLE}.children",
        {f"{ids.COURSE_STATE}.data": view(**query), f"{ids.SHELL_DATA_VERSION}.data": 1},
    )


def test_the_course_shows_a_manager_their_own_team_only(app, store, mia):
    resp = course(mia, app)
    assert resp.status_code == 200
    assert names_in(resp, store["east"]) == set(store["east"])
    assert names_in(resp, store["others"]) == set()


def test_a_forged_course_request_for_another_team_gets_nothing(app, store, mia):
    resp = course(mia, app, team="West")
    assert resp.status_code == 200
    assert names_in(resp, store["east"] + store["others"]) == set()
    assert "is not among the teams you may see" in resp.get_data(as_text=True)


def test_a_leader_sees_every_team(app, store):
    client = app.server.test_client()
    sign_in(client, "Lee Leader")
    resp = course(client, app)
    assert names_in(resp, store["east"] + store["others"]) == set(store["east"] + store["others"])


def test_a_forged_deal_click_on_another_teams_deal_gets_nothing(app, store, mia):
    S = OpportunitySnapshot
    with store["engine"].connect() as conn:
        source, deal_id = conn.execute(
            select(S.source, S.deal_id).where(S.owner.in_(store["others"])).limit(1)
        ).one()
    inputs = {
        f"{ids.COURSE_MAP}.clickData": {"points": [{"customdata": ["deal", source, deal_id]}]}
    }
    resp = dash_call(
        mia, app, f"{ids.COURSE_DEAL}.is_open", inputs, {f"{ids.COURSE_STATE}.data": view()}
    )
    assert names_in(resp, store["others"]) == set()
    assert "no longer on this course" in resp.get_data(as_text=True)
    # The same click by a leader opens the deal: the forged one failed for scope alone.
    leader = app.server.test_client()
    sign_in(leader, "Lee Leader")
    opened = dash_call(
        leader, app, f"{ids.COURSE_DEAL}.is_open", inputs, {f"{ids.COURSE_STATE}.data": view()}
    )
    assert names_in(opened, store["others"])


def test_a_forged_rider_request_for_another_teams_rep_gets_nothing(app, store, mia):
    rep = store["others"][0]
    data = {"rep": rep, "view": view()}
    inputs = {f"{ids.RIDER_STATE}.data": data, f"{ids.SHELL_DATA_VERSION}.data": 1}
    head = dash_call(mia, app, f"{ids.RIDER_SUBTITLE}.children", inputs)
    assert head.status_code == 200
    # The page echoes only the name it was asked for; nobody else of another team, no figures.
    assert names_in(head, store["others"]) == {rep}
    assert "No rider called" in head.get_data(as_text=True)
    assert names_in(head, store["east"]) == set(store["east"])  # the picker: her own riders
    details = dash_call(mia, app, f"{ids.RIDER_KPIS}.children", inputs)
    body = details.json["response"] if details.status_code == 200 else {}
    assert body.get(ids.RIDER_FLAGS, {}).get("rowData", []) == []
    assert names_in(details, store["others"]) <= {rep}
    trend = dash_call(mia, app, f"{ids.RIDER_TREND}.figure", inputs)
    assert nothing(trend)
    notes = dash_call(
        mia,
        app,
        f"{ids.RIDER_NOTES}.children",
        {f"{ids.RIDER_STATE}.data": data, f"{ids.RIDER_NOTES_VERSION}.data": 0},
    )
    assert notes.json["response"][ids.RIDER_NOTE_SAVE]["disabled"] is True


def test_a_forged_rider_request_naming_another_team_gets_nothing(app, store, mia):
    rep = store["east"][0]
    resp = dash_call(
        mia,
        app,
        f"{ids.RIDER_SUBTITLE}.children",
        {
            f"{ids.RIDER_STATE}.data": {"rep": rep, "view": view(team="West")},
            f"{ids.SHELL_DATA_VERSION}.data": 1,
        },
    )
    assert "is not among the teams you may see" in resp.get_data(as_text=True)
    assert names_in(resp, store["others"]) == set()


def review_data(**query) -> dict:
    return {"view": view(**query), "as_of": None, "since": None, "group": "none", "present": False}


def test_a_forged_review_request_for_another_team_gets_nothing(app, store, mia):
    resp = dash_call(
        mia,
        app,
        f"{ids.REVIEW_TITLE}.children",
        {f"{ids.REVIEW_STATE}.data": review_data(team="West"), f"{ids.SHELL_DATA_VERSION}.data": 1},
    )
    assert resp.status_code == 200
    assert names_in(resp, store["east"] + store["others"]) == set()
    assert "is not among the teams you may see" in resp.get_data(as_text=True)


def export(client, app, **query):
    return dash_call(
        client,
        app,
        f"{ids.REVIEW_DOWNLOAD}.data",
        {f"{ids.REVIEW_EXPORT_CSV}.n_clicks": 1},
        {f"{ids.REVIEW_STATE}.data": review_data(**query)},
        changed=f"{ids.REVIEW_EXPORT_CSV}.n_clicks",
    )


def test_a_managers_export_holds_their_team_only(app, store, mia):
    resp = export(mia, app)
    assert resp.status_code == 200
    download = resp.json["response"][ids.REVIEW_DOWNLOAD]["data"]
    csv = base64.b64decode(download["content"]).decode("utf-8-sig")
    assert {r for r in store["east"] if r in csv}
    assert {r for r in store["others"] if r in csv} == set()
    assert nothing(export(mia, app, team="West"))


def picker(app, viewer: auth.Viewer | None, selected: str | None) -> list[dict]:
    """The shell's team options for ``viewer`` (called directly: Dash hands the shell's own
    callbacks to the first app of a test process that serves, which may be another module's)."""
    from flask import g

    from dashboard.app import _team_options

    with app.server.test_request_context("/"):
        g.teamcar_access = auth.Access(viewer=viewer)
        return _team_options(selected)


def test_a_manager_of_one_team_is_put_on_it_by_the_shell(app, store):
    from flask import g

    from dashboard.app import sync_url

    with app.server.test_request_context("/"):
        g.teamcar_access = auth.Access(viewer=auth.Viewer("Mia Manager", "manager", ("East",)))
        out = sync_url("?quarter=2026-Q4", "/review")
    canonical, team_value, options = out["canonical"], out["team"], out["team_options"]
    assert "team=East" in canonical["search"] and team_value == "East"
    assert all("team=East" in href for href in out["hrefs"])
    assert options == [{"label": "East", "value": "East"}]


def test_the_team_picker_lists_the_viewers_teams(app, store):
    mia = auth.Viewer("Mia Manager", "manager", ("East",))
    assert picker(app, mia, "East") == [{"label": "East", "value": "East"}]
    # A team in a forged link is not added to her picker.
    assert picker(app, mia, "West") == [{"label": "East", "value": "East"}]
    max_ = auth.Viewer("Max Manager", "manager", ("East", "West"))
    assert [o["label"] for o in picker(app, max_, None)] == ["All my teams", "East", "West"]
    lee = auth.Viewer("Lee Leader", "leader")
    assert [o["value"] for o in picker(app, lee, None)] == [
        urls.ALL_TEAMS,
        "Central",
        "East",
        "West",
    ]


@pytest.mark.parametrize("who", ["Mia Manager", "Lee Leader"])
def test_the_data_desk_is_an_administrators(app, store, who):
    client = app.server.test_client()
    sign_in(client, who)
    resp = dash_call(
        client,
        app,
        f"{ids.DATA_BATCHES}.rowData",
        {f"{ids.DATA_STATE}.data": {"batch": None}, f"{ids.SHELL_DATA_VERSION}.data": 1},
    )
    body = resp.json["response"]
    assert body[ids.DATA_BATCHES]["rowData"] == [] and body[ids.DATA_REJECTS]["rowData"] == []
    assert "administrators only" in resp.get_data(as_text=True)
    rejects = dash_call(
        client,
        app,
        f"{ids.DATA_DOWNLOAD}.data",
        {f"{ids.DATA_REJECTS_DOWNLOAD}.n_clicks": 1},
        {f"{ids.DATA_BATCH}.data": 1},
    )
    assert nothing(rejects)


def test_notes_are_written_under_the_signed_in_name(app, store, mia):
    rep = store["east"][0]
    resp = dash_call(
        mia,
        app,
        f"{ids.RIDER_NOTES_VERSION}.data",
        {f"{ids.RIDER_NOTE_SAVE}.n_clicks": 1},
        {
            f"{ids.RIDER_NOTE_TEXT}.value": "Agreed the next step with the CFO",
            f"{ids.RIDER_NOTE_AUTHOR}.value": "Somebody Else",
            f"{ids.RIDER_STATE}.data": {"rep": rep, "view": view()},
        },
        changed=f"{ids.RIDER_NOTE_SAVE}.n_clicks",
    )
    assert resp.status_code == 200
    with store["engine"].connect() as conn:
        authors = conn.execute(select(CoachingNote.author)).scalars().all()
    assert authors == ["Mia Manager"]
    # A note for another team's rep is refused: that rep is not on her roster.
    other = dash_call(
        mia,
        app,
        f"{ids.RIDER_NOTES_VERSION}.data",
        {f"{ids.RIDER_NOTE_SAVE}.n_clicks": 1},
        {
            f"{ids.RIDER_NOTE_TEXT}.value": "Sneaky",
            f"{ids.RIDER_STATE}.data": {"rep": store["others"][0], "view": view()},
        },
        changed=f"{ids.RIDER_NOTE_SAVE}.n_clicks",
    )
    assert "text-danger" in other.get_data(as_text=True)
    with store["engine"].connect() as conn:
        assert conn.execute(select(CoachingNote.body)).scalars().all() == [
            "Agreed the next step with the CFO"
        ]


def test_while_the_store_cannot_say_who_is_asking_nothing_is_shown(app, store, mia, monkeypatch):
    def away(engine):
        raise OperationalError("select exists(...)", {}, Exception("connection refused"))

    monkeypatch.setattr(auth.users, "users_configured", away)
    # The request goes on (the shell can show its outage alert), seeing nothing.
    assert mia.get("/_dash-layout").status_code == 200
    resp = course(mia, app)
    assert resp.status_code == 200
    assert names_in(resp, store["east"] + store["others"]) == set()
    exported = export(mia, app)
    assert nothing(exported) or names_in(exported, store["east"] + store["others"]) == set()
    upload = mia.post(UPLOAD_PATH)
    assert upload.status_code == 403
