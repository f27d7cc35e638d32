"""The Rider's callbacks and coaching notes, as plain functions on a copy of the demo's store.

Figures are checked against ``compute_summary`` for the rider's team (the metrics engine); the
rows behind each figure and readiness component re-add to it.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from dash import no_update

from dashboard import ids, urls
from dashboard.figures import style
from dashboard.models import rider as rdm
from dashboard.models.standings import compute_summary
from dashboard.reads import cache, notes
from dashboard.reads.catalog import live_version as current_version
from loaders.store.engine import get_engine
from tests.support.callbacks import run, texts
from tests.support.demo import TODAY, demo_copy
from tests.support.stores import use_store

SINCE = TODAY - dt.timedelta(days=7)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    return demo_copy(tmp_path_factory.mktemp("rider"))


@pytest.fixture
def store(demo_url, monkeypatch, tmp_path):
    return use_store(demo_url, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def rider():
    from dashboard.app import create_app

    create_app()
    return sys.modules["dashboard.pages.rider"]


def data(rep, **query) -> dict:
    state = urls.resolve({"quarter": "2026-Q4", **query}, TODAY)
    return {"rep": rep, "view": state.to_dict()}


@pytest.fixture(scope="module")
def team_summary(demo_url):
    """The first team's summary and a rider of it with open deals."""
    engine = get_engine(demo_url)
    summary = compute_summary(engine, "2026-Q4", TODAY, SINCE, "Enterprise West")
    rep = summary.reps.sort_values("open_deals", ascending=False).index[0]
    return summary, rep


def test_rider_figures_match_the_engine(store, rider, team_summary):
    summary, rep = team_summary
    head = rider.render_rider(data(rep), current_version(store))
    sub = head["subtitle"]
    f = summary.reps.loc[rep]
    assert sub.startswith(f"Enterprise West · 2026-Q4 · attainment {style.pct(f['attainment'])}")
    assert sub.endswith(f"rank {int(f['rank'])} in Enterprise West")
    assert head["message"] is None and rep in {o["value"] for o in head["picker_options"]}
    out = rider.render_details(data(rep), current_version(store))
    words = texts(out["kpis"])
    assert style.pct(f["attainment"]) in words
    assert style.money(f["open_pipeline"]) in words
    assert style.pct(f["win_rate"]) in words
    must = texts(out["must"])
    assert style.money(f["needed_pipeline"]) in must
    assert f"≈{int(f['needed_deals'])}" in must
    assert str((dt.date(2026, 12, 31) - TODAY).days) in must
    # The flagged deals are the rider's open deals closing this quarter, nobody else's.
    flags = summary.flags
    own = flags[(flags["rep"] == rep) & flags["open_in_quarter"]]
    assert {r["deal_id"] for r in out["flags"]} == set(own["deal_id"])
    stale = set(own.loc[own["stale"], "deal_id"])
    assert {r["deal_id"] for r in out["flags"] if "stale" in r["flags"]} == stale
    assert out["flags_info"].startswith(f"{len(own)} open deals closing this quarter")
    badges = [b.children for b in out["badges"]]
    assert "AE" in badges and any(
        b.startswith("Ramped") or b.startswith("Ramping") or b.startswith("Onboarding")
        for b in badges
    )
    ready = texts(out["readiness"])
    assert f"{f['readiness_index']:.0f}" in ready


def test_large_deals_without_expert_support(store, team_summary):
    summary, rep = team_summary
    model = rdm.rider_model(store, rep, "2026-Q4", TODAY, SINCE, None)
    threshold = 2 * summary.team["avg_won_deal"]
    assert rdm.large_threshold(model.team_figures) == pytest.approx(threshold)
    deals = model.deals
    assert (deals["large"] == (deals["amount"] >= threshold)).all()
    assert (deals["no_expert"] == (deals["large"] & (deals["experts"] == 0))).all()
    assert (deals["pushed"] == (deals["push_count"] >= 2)).all()


def test_trend_points_are_the_summary_of_each_day(store, rider, team_summary):
    _, rep = team_summary
    out = rider.render_trend(data(rep), current_version(store))
    trend_fig, ready_fig = out["trend"], out["readiness_trend"]
    attainment = next(t for t in trend_fig.data if t.name == "Attainment")
    days = [d.date() for d in __import__("pandas").to_datetime(list(attainment.x))]
    assert days[-1] == TODAY and len(days) >= 6
    for day, value in zip(days[-3:], list(attainment.y)[-3:], strict=True):
        s = compute_summary(store, "2026-Q4", day, None, "Enterprise West")
        assert value == pytest.approx(s.reps.loc[rep, "attainment"])
    assert list(ready_fig.data[0].y)[-1] == pytest.approx(
        compute_summary(store, "2026-Q4", TODAY, None, "Enterprise West").reps.loc[
            rep, "readiness_index"
        ]
    )


@pytest.mark.parametrize(
    "key", ["won", "open_pipeline", "commit_forecast", "stale_deals", "pace_gap", "win_rate"]
)
def test_rows_behind_rider_figures(store, rider, team_summary, key):
    summary, rep = team_summary
    model = rdm.rider_model(store, rep, "2026-Q4", TODAY, SINCE, None)
    trace = rider.rider_trace(model, key, "figure")
    assert set(trace.rows["rep"]) <= {rep}
    f = summary.reps.loc[rep]
    if key in ("won", "open_pipeline", "commit_forecast"):
        assert trace.total == pytest.approx(f[key])
    if key == "stale_deals":
        assert trace.count == f["stale_deals"]
    if key == "win_rate":
        won = int(trace.rows["won_in_window"].sum())
        assert won / trace.count == pytest.approx(f["win_rate"])


def test_rows_behind_readiness_components(store, rider, team_summary):
    summary, rep = team_summary
    f = summary.reps.loc[rep]
    model = rdm.rider_model(store, rep, "2026-Q4", TODAY, SINCE, None)
    ena = rider.rider_trace(model, "enablement", "component")
    assert int(ena.rows["counted"].sum()) == f["enablement_due"]
    assert int((ena.rows["counted"] & ena.rows["on_time"]).sum()) == f["enablement_on_time"]
    sk = rider.rider_trace(model, "skill", "component")
    used = sk.rows[sk.rows["counted"]]
    assert len(used) == f["skill_scores"]
    assert used["score"].mean() == pytest.approx(f["skill"])
    act = rider.rider_trace(model, "activity", "component")
    assert int(act.rows["counted"].sum()) == f["activity_weeks"]
    assert int((act.rows["ok"] & act.rows["counted"]).sum()) == f["activity_weeks_ok"]
    hyg = rider.rider_trace(model, "hygiene", "component")
    assert hyg.count == f["hygiene_deals"]
    assert int(hyg.rows["hygiene_ok"].sum()) == f["hygiene_ok"]
    # The activity chart's weeks are the component's weeks.
    weeks = model.activity
    assert list(weeks["total"])[::-1] == list(act.rows["activities"])


def test_trace_panel_opens_from_a_component(store, rider, team_summary):
    _, rep = team_summary
    trig = '{"key":"hygiene","type":"rider-component"}.n_clicks'
    out = run(rider.show_rows, trig, 1, [0] * 6, [0, 0, 0, 1], data(rep))
    assert out["is_open"] and out["title"] == f"{rep} · Pipeline hygiene"
    body = texts(out["body"])
    assert body[0].endswith("deals") or "deal" in body[0]
    # nothing changes
    assert run(rider.show_rows, trig, 0, [0] * 6, [0] * 4, data(rep)) is no_update


def test_unknown_rider_and_no_rider(store, rider):
    out = rider.render_rider(data("Nobody Here"), current_version(store))
    assert out["message"] is not None and out["lane"] is no_update
    assert "Nobody Here" in " ".join(texts(out["message"]))
    out = rider.render_rider(data(None), current_version(store))
    assert out["subtitle"].startswith("2026-Q4 · ") and out["lane"] is no_update
    assert len(out["picker_options"]) > 20
    # without a rider, the page lists every rider by team, each a link to their 1:1
    summary = compute_summary(store, "2026-Q4", TODAY)
    links = {}

    def walk(node):
        if getattr(node, "href", None):
            links[texts(node)[0]] = (node.href, texts(node)[1])
        for child in getattr(node, "children", None) or []:
            if not isinstance(child, str):
                walk(child)

    walk(out["message"])
    assert set(links) == set(summary.reps.index)
    rep = summary.reps.index[0]
    assert links[rep] == (
        urls.rider_path(rep, "?quarter=2026-Q4"),
        style.pct(summary.reps.loc[rep, "attainment"]),
    )
    # every output unchanged
    assert rider.render_details(data(None), current_version(store)) is no_update
    body = next(c for c in rider.layout().children if getattr(c, "id", None) == ids.RIDER_BODY)
    assert body.hidden is True  # no rep: the body is hidden
    assert rider.layout(rep="Ann%20Lee").children[1].data["rep"] == "Ann Lee"


# --- coaching notes ---------------------------------------------------------------------------


@pytest.fixture
def notes_store(tmp_path, monkeypatch):
    url = demo_copy(tmp_path / "notes")
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    cache.clear_local()
    return get_engine(url)


def test_notes_add_edit_and_persist(notes_store, rider, team_summary):
    _, rep = team_summary
    engine = notes_store
    first = notes.add_note(
        engine,
        rep,
        "  Mia   Manager ",
        "Call the <b>CFO</b>\r\nthen terms",
        now=dt.datetime(2026, 11, 20, 9, 0),
    )
    notes.add_note(engine, rep, "Mia Manager", "Second", now=dt.datetime(2026, 11, 21, 9, 0))
    listed = notes.list_notes(engine, rep)
    assert [n["body"] for n in listed] == ["Second", "Call the <b>CFO</b>\nthen terms"]
    assert listed[1]["author"] == "Mia Manager"
    assert listed[1]["created_at"] == dt.datetime(2026, 11, 20, 9, 0)
    notes.edit_note(
        engine,
        first,
        rep,
        "Mia Manager",
        "Call the CFO on Monday",
        now=dt.datetime(2026, 11, 22, 8, 30),
    )
    edited = next(n for n in notes.list_notes(engine, rep) if n["id"] == first)
    assert edited["body"] == "Call the CFO on Monday"
    assert edited["created_at"] == dt.datetime(2026, 11, 20, 9, 0)
    assert edited["updated_at"] == dt.datetime(2026, 11, 22, 8, 30)
    # Another rep's note cannot be edited through this rep.
    other = next(
        r
        for r in compute_summary(engine, "2026-Q4", TODAY).reps.index
        if r != rep and notes.can_write(engine, r)
    )
    with pytest.raises(notes.NoteError):
        notes.edit_note(engine, first, other, "Mia", "hijack")
    # A scoped viewer reaches only their teams' reps.
    assert notes.list_notes(engine, rep, scope=["Mid-Market East"]) == []
    with pytest.raises(notes.NoteError):
        notes.add_note(engine, rep, "Mia", "x", scope=["Mid-Market East"])
    assert len(notes.list_notes(engine, rep, scope=["Enterprise West"])) == 2


@pytest.mark.parametrize(
    ("author", "body", "words"),
    [
        ("Mia", "   ", "empty"),
        ("", "Body", "author"),
        ("Mia", "x" * (notes.MAX_BODY + 1), "up to 5,000 characters"),
    ],
)
def test_bad_notes_are_refused(notes_store, team_summary, author, body, words):
    _, rep = team_summary
    with pytest.raises(notes.NoteError, match=words):
        notes.add_note(notes_store, rep, author, body)
    assert notes.list_notes(notes_store, rep) == []


def test_note_callbacks(notes_store, rider, team_summary):
    _, rep = team_summary
    state = data(rep)
    save = f"{ids.RIDER_NOTE_SAVE}.n_clicks"
    out = run(
        rider.note_action, save, 1, 1, None, [], "Agreed: <i>two</i> demos", " Mia ", None, 0, state
    )
    message = out.pop("message")
    assert out == {
        "notes_version": 1,
        "text": "",
        "editing": None,
        "save_label": "Add note",
        "cancel_class": "d-none",
        "remembered_author": "Mia",
    }
    assert texts(message) == ["Note added."]
    listed = rider.render_notes(state, out["notes_version"])
    assert texts(listed["notes"])[0] == "Agreed: <i>two</i> demos"
    assert listed["save_disabled"] is False and listed["text_disabled"] is False
    note_id = notes.list_notes(notes_store, rep)[0]["id"]
    edit = f'{{"index":{note_id},"type":"rider-note-edit"}}.n_clicks'
    out = run(rider.note_action, edit, 1, 1, None, [1], "", "Mia", None, 1, state)
    assert out["text"] == "Agreed: <i>two</i> demos" and out["editing"] == note_id
    assert out["save_label"] == "Save changes"
    out = run(
        rider.note_action, save, 2, 2, None, [1], "Agreed: three demos", "Mia", note_id, 1, state
    )
    assert out["notes_version"] == 2 and texts(out["message"]) == ["Note saved."]
    assert notes.list_notes(notes_store, rep)[0]["body"] == "Agreed: three demos"
    # An empty note is refused with a message and nothing changes.
    out = run(rider.note_action, save, 3, 3, None, [1], "  ", "Mia", None, 2, state)
    assert out["notes_version"] is no_update and "empty" in texts(out["message"])[0]
    assert len(notes.list_notes(notes_store, rep)) == 1
    # A rep off the roster cannot have notes.
    listed = rider.render_notes(data("Somebody Else"), 0)
    assert listed["save_disabled"] is True and "not on the roster" in texts(listed["notes"])[0]
