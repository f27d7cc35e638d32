"""The Season page's callbacks: called as functions on the demo's store (figures, rows behind, the
export) and through the served app as a signed-in manager (scope applied on the server).
"""

from __future__ import annotations

import csv
import io
import sys

import pytest
from dash import no_update

from dashboard import auth, ids
from dashboard.figures import style as s
from dashboard.models import season as sm
from dashboard.reads import cache
from loaders.generate.course_store import build_course_store
from loaders.store.engine import get_engine
from tests.support.callbacks import run, texts
from tests.support.client import PASSWORD, dash_call, sign_in
from tests.support.demo import TODAY, demo_copy, pinned_today
from tests.support.stores import seeded_store, use_store


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    return create_app()


@pytest.fixture(scope="module")
def page(app):
    return sys.modules["dashboard.pages.season"]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    return demo_copy(tmp_path_factory.mktemp("season-callbacks"))


@pytest.fixture
def demo(demo_url, monkeypatch, tmp_path):
    monkeypatch.setenv("TEAMCAR_TODAY", TODAY.isoformat())
    return use_store(demo_url, monkeypatch, tmp_path)


def test_layout_is_a_cheap_skeleton(page):
    # Dash calls it bare; a hostile query is cut down to the page's own keys.
    assert page.layout() is not None
    state = page.clean_state({"year": "2026", "window": "<script>", "team": "*", "x": "1"})
    assert state == {"year": "2026"}


def test_render_the_classification_and_the_rows_behind(page, demo):
    data = {"year": "2026"}
    out = run(page.render, f"{ids.SEASON_STATE}.data", data, data, 1)
    assert out["title"] == "Season 2026 · All teams"
    with pinned_today():
        model = sm.season_model(get_engine(), 2026, TODAY, sm.resolve_days(today=TODAY).since)
    rows, columns, pages, active, info = run(
        page.classification, f"{ids.SEASON_STATE}.data", data, data, None, None, 1
    )
    assert (pages, active) == (1, 1)
    assert [r["rep"] for r in rows] == [str(r) for r in model.gc.index]
    assert info.endswith(f"of {len(model.gc)} riders")
    # the heat strip's columns are named after the year's stages
    stage_cols = [c for c in columns if c["field"].startswith("att_")]
    assert [c["headerName"] for c in stage_cols] == ["Q1", "Q2", "Q3", "Q4"]
    assert "2026-Q2" in stage_cols[1]["headerTooltip"]
    # a search narrows the page, on the server
    rep = str(model.gc.index[0])
    rows, *_ = run(page.classification, f"{ids.SEASON_SEARCH}.value", rep, data, rep, 1, 1)
    assert rep in [r["rep"] for r in rows]
    assert all(rep in r["rep"] or rep in r["team"] for r in rows)

    # a heat-strip cell of the grid opens the deals of that stage, which add up to the stage's won
    def click(col: str, who: str = rep):
        cell = {"colId": col, "rowId": who, "rowIndex": 0, "value": "x", "timestamp": 1}
        trigger = f"{ids.SEASON_GC_GRID}.cellClicked"
        return run(page.show_rows, trigger, cell, None, None, None, [], cell, data, "ytd", None)

    got = click("att_2")
    assert got["is_open"]
    assert rep in got["title"]
    won = float(model.gc.loc[rep, "won_2"])
    assert sm.season_trace(model, "stage:2026-Q2", rep).total == pytest.approx(won)
    assert s.money_full(won) in str(got["body"])
    # Won YTD opens the won deals (their total is the rider's won)
    got = click("ytd_won")
    assert got["is_open"] and rep in got["title"]
    assert s.money_full(float(model.gc.loc[rep, "ytd_won"])) in str(got["body"])
    # a cell with nothing behind it, an unknown rider, the flags of a rider not sitting in: nothing
    assert click("attainment") is no_update
    assert click("att_2", "nobody") is no_update
    calm = [str(r) for r in model.gc.index[~model.gc["sitting_in"].astype(bool)]]
    assert click("flags", calm[0]) is no_update
    # the other pattern-matching buttons (the KPIs) still open their rows
    trigger = '{"key":"ytd_won","rep":"","type":"season-cell"}.n_clicks'
    got = run(page.show_rows, trigger, 1, None, None, None, [1], None, data, "ytd", None)
    assert got["is_open"]
    # the flow and ramp draw for one rider; an unknown rider falls back to the team
    flow, ramp = run(page.flow_and_ramp, f"{ids.SEASON_REP}.value", rep, data, "4w", rep, 1)
    assert flow.data and ramp.data
    # the export: one row per rider, neutralised text
    sent = run(page.export_classification, f"{ids.SEASON_EXPORT_CSV}.n_clicks", 1, 1, None, data)
    rows = list(csv.reader(io.StringIO(sent["content"] and _decode(sent))))
    assert len(rows) == len(model.gc) + 1
    assert rows[0][:3] == ["Rank", "Rep", "Team"]


def _decode(sent: dict) -> str:
    import base64

    raw = base64.b64decode(sent["content"]) if sent.get("base64") else sent["content"].encode()
    return raw.decode("utf-8-sig")


def test_a_team_outside_the_scope_gets_nothing(page, demo, monkeypatch):
    monkeypatch.setattr(auth, "viewer_scope", lambda: ["Nowhere"])
    data = {"year": "2026", "team": "Enterprise West"}
    out = run(page.render, f"{ids.SEASON_STATE}.data", data, data, 1)
    assert "not among the teams" in " ".join(texts(out["message"]))
    assert out["kpis"] == []
    trigger = '{"key":"ytd_won","rep":"","type":"season-cell"}.n_clicks'
    assert (
        run(page.show_rows, trigger, 1, None, None, None, [1], None, data, "ytd", None) is no_update
    )
    rows, *_ = run(page.classification, f"{ids.SEASON_STATE}.data", data, data, None, None, 1)
    assert rows == []


def _nine_reps_and_a_manager(engine) -> dict[str, str]:
    info = build_course_store(engine, reps=9, teams=3, weeks=3)
    auth.add_user(engine, "Mia Manager", "manager", ["East"], PASSWORD)
    return info["teams"]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, data_dir, monkeypatch):
    """Each test's own copy of the store (built once per process: ``seeded_store``)."""
    for name in ("TEAMCAR_AUTH_HEADER", "TEAMCAR_TRUSTED_PROXIES", "TEAMCAR_CACHE_URL"):
        monkeypatch.delenv(name, raising=False)
    url, drop, team_of = seeded_store(
        request.param, tmp_path, "season-callbacks", _nine_reps_and_a_manager
    )
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    cache.clear_local()
    try:
        yield {
            "east": sorted(r for r, t in team_of.items() if t == "East"),
            "others": sorted(r for r, t in team_of.items() if t != "East"),
        }
    finally:
        drop()


def test_a_manager_of_one_team_sees_only_it(app, store):
    client = app.server.test_client()
    assert sign_in(client, "Mia Manager").status_code == 302
    resp = dash_call(
        client,
        app,
        f"{ids.SEASON_GC_GRID}.rowData",
        {f"{ids.SEASON_STATE}.data": {}, f"{ids.SHELL_DATA_VERSION}.data": 1},
    )
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert {r for r in store["east"] if r in text} == set(store["east"])
    assert {r for r in store["others"] if r in text} == set()
    forged = dash_call(
        client,
        app,
        f"{ids.SEASON_TITLE}.children",
        {f"{ids.SEASON_STATE}.data": {"team": "West"}, f"{ids.SHELL_DATA_VERSION}.data": 1},
    )
    body = forged.get_data(as_text=True)
    assert "not among the teams" in body
    assert not any(r in body for r in store["others"])
