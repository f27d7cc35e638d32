"""The Review's callbacks called as plain functions against the demo's store.

Every number the page shows is checked against ``compute_summary`` on the same store (the metrics
engine), not against the page's own arithmetic; exports are read back with ``csv`` and openpyxl.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import sys

import pytest
from dash import no_update
from openpyxl import load_workbook

from dashboard import ids, urls
from dashboard.figures import style
from dashboard.metrics.movement import WATERFALL_KEYS
from dashboard.models.standings import compute_summary
from dashboard.reads import cache
from loaders.store.engine import get_engine
from tests.support.callbacks import decoded, run, texts
from tests.support.demo import TODAY, demo_copy
from tests.support.stores import use_store

SINCE = TODAY - dt.timedelta(days=7)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    return demo_copy(tmp_path_factory.mktemp("review"))


@pytest.fixture
def store(demo_url, monkeypatch, tmp_path):
    return use_store(demo_url, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def review():
    from dashboard.app import create_app

    create_app()
    return sys.modules["dashboard.pages.review"]


def data(**query) -> dict:
    q = {"quarter": "2026-Q4", **query}
    state = urls.resolve(q, TODAY)
    return {
        "view": state.to_dict(),
        "as_of": q.get("as_of"),
        "since": q.get("since"),
        "group": q.get("group", "none"),
        "present": False,
    }


def render(review, engine, **query) -> dict:
    import plotly.graph_objects as go

    from dashboard.reads.catalog import live_version as current_version

    got = dict(review.render(data(**query), current_version(engine)))
    for name in ("waterfall", "rollup_chart", "focus_chart"):  # figures travel as plain dicts
        if isinstance(got[name], dict):
            got[name] = go.Figure(decoded(got[name]))
    return got


def test_review_defaults_to_the_last_two_snapshots(store, review):
    out = render(review, store)
    assert (out["since"], out["now"]) == ("2026-11-15", "2026-11-22")
    assert out["message"] is None
    assert out["subtitle"].startswith("All teams · 15 Nov 2026 → 22 Nov 2026 (7 days)")
    assert out["since_options"][0] == {"label": "Sun 15 Nov 2026", "value": "2026-11-15"}
    assert out["now_options"][0] == {"label": "Sun 22 Nov 2026", "value": "2026-11-22"}


def test_waterfall_table_and_rollup_match_the_store(store, review):
    out = render(review, store)
    summary = compute_summary(store, "2026-Q4", TODAY, SINCE)
    w = summary.waterfall
    bars = out["waterfall"].data[0]
    assert list(bars.customdata) == list(WATERFALL_KEYS)
    signs = {"decreased", "won", "lost", "pushed_out", "removed"}
    assert [round(y * 100) for y in bars.y] == [
        round(w[k] * 100) * (-1 if k in signs else 1) for k in WATERFALL_KEYS
    ]
    assert round(sum(bars.y[:-1]) * 100) == round(w["end"] * 100)  # bars add up exactly
    # The table: every deal that moved, none that did not, with its change.
    moved = summary.movement[summary.movement["category"] != "unchanged"]
    rows = out["moved"]
    assert len(rows) == len(moved) > 20
    assert {r["deal_id"] for r in rows} == set(moved["deal_id"])
    assert round(sum(r["change"] for r in rows) * 100) == round((w["end"] - w["start"]) * 100)
    by_id = {r["deal_id"]: r for r in rows}
    for m in moved.itertuples():
        r = by_id[m.deal_id]
        assert r["rep"] == m.rep
        if m.category == "pushed_out":
            assert r["change"] == -m.amount_since
            assert r["close_date_now"] == m.close_date_now.date().isoformat()
            assert r["push_count"] >= 1
    # The roll-up: one row per rider with the engine's figures, and the team's total row.
    roll = {r["rep"]: r for r in out["rollup"]}
    assert set(roll) == set(summary.reps.index)
    for rep, fig in summary.reps.iterrows():
        assert roll[rep]["commit_forecast"] == pytest.approx(fig["commit_forecast"])
        assert roll[rep]["won"] == pytest.approx(fig["won"])
    (total,) = out["rollup_options"]["pinnedBottomRowData"]
    assert total["won"] == pytest.approx(summary.team["won"])
    assert out["rollup_options"]["suppressCellFocus"] is True
    words = texts(out["kpis"])
    assert style.money(summary.team["won"]) in words
    assert style.money(summary.team["commit_forecast"]) in words
    assert style.money(w["end"]) in words


def test_focus_list_closes_the_gap(store, review):
    out = render(review, store)
    summary = compute_summary(store, "2026-Q4", TODAY, SINCE)
    gap = summary.team["quota"] - summary.team["won"]
    focus = out["focus"]
    assert [r["rank"] for r in focus] == list(range(1, len(focus) + 1))
    weighted = [r["weighted"] for r in focus]
    assert weighted == sorted(weighted, reverse=True)
    first = next(r for r in focus if r["closes_gap"])
    assert first["running_amount"] >= gap
    assert f"winning the top {first['rank']} of" in out["focus_info"]
    flags = summary.flags
    open_q = flags[flags["open_in_quarter"] & flags["rep"].isin(summary.reps.index)]
    assert f"of {len(open_q)} open deals" in out["focus_info"]


def test_team_review(store, review):
    summary = compute_summary(store, "2026-Q4", TODAY, SINCE, "Enterprise West")
    out = render(review, store, team="Enterprise West")
    assert out["title"] == "2026-Q4 · Enterprise West"
    assert {r["rep"] for r in out["rollup"]} == set(summary.reps.index)
    assert list(out["waterfall"].data[0].y)[0] == pytest.approx(summary.waterfall["start"])


def test_explicit_days_from_the_url(store, review):
    out = render(review, store, as_of="2026-11-15", since="2026-10-18")
    assert (out["since"], out["now"]) == ("2026-10-18", "2026-11-15")
    summary = compute_summary(store, "2026-Q4", dt.date(2026, 11, 15), dt.date(2026, 10, 18))
    assert list(out["waterfall"].data[0].y)[-1] == pytest.approx(summary.waterfall["end"])


@pytest.mark.parametrize("key", [*WATERFALL_KEYS, "won_new"])
def test_rows_behind_each_waterfall_bar(store, review, key):
    model, _, _ = review._model(data())
    trace = review.review_trace(model, key)
    assert trace.total == pytest.approx(model.waterfall[key], abs=0.005)


@pytest.mark.parametrize(
    ("key", "flag"),
    [
        ("won", "won_in_quarter"),
        ("open_pipeline", "open_in_quarter"),
        ("commit_forecast", None),
        ("best_case_forecast", None),
    ],
)
def test_rows_behind_each_kpi(store, review, key, flag):
    model, _, _ = review._model(data())
    trace = review.review_trace(model, key, "figure")
    assert trace.total == pytest.approx(model.figures[key], abs=0.005)
    if flag:
        assert trace.rows[flag].all()
    assert set(trace.rows["rep"]) <= set(model.riders)


def test_clicks_open_the_rows_panel(store, review):
    click = {"points": [{"customdata": "pushed_out"}]}
    out = run(review.show_rows, f"{ids.REVIEW_WATERFALL}.clickData", click, click, [0] * 5, data())
    assert out["is_open"] is True and out["title"] == "Pushed out"
    summary = compute_summary(store, "2026-Q4", TODAY, SINCE)
    n = int((summary.movement["category"] == "pushed_out").sum())
    assert texts(out["body"])[0] == (
        f"{n} deals · adding up to {style.money_full(summary.waterfall['pushed_out'])}"
    )
    kpi = '{"key":"won","type":"review-kpi"}.n_clicks'
    out = run(review.show_rows, kpi, 1, None, [0, 1, 0, 0, 0], data())
    assert out["is_open"] and out["title"] == "Won this quarter"
    # A card appearing (n_clicks 0) opens nothing.
    assert run(review.show_rows, kpi, 0, None, [0] * 5, data()) is no_update  # nothing changes


def _download(result) -> bytes:
    assert result["base64"] is True
    return base64.b64decode(result["content"])


def test_export_csv_and_xlsx_read_back(store, review):
    summary = compute_summary(store, "2026-Q4", TODAY, SINCE)
    moved = summary.movement[summary.movement["category"] != "unchanged"]
    out = run(
        review.export_moved,
        f"{ids.REVIEW_EXPORT_CSV}.n_clicks",
        1,
        1,
        None,
        data(),
        None,
        None,
        None,
    )
    assert out["filename"] == "review-2026-Q4-all-teams-2026-11-15-to-2026-11-22.csv"
    rows = list(csv.DictReader(io.StringIO(_download(out).decode("utf-8-sig"))))
    assert len(rows) == len(moved)
    assert {r["Deal id"] for r in rows} == set(moved["deal_id"])
    assert sum(float(r["Change"]) for r in rows) == pytest.approx(
        summary.waterfall["end"] - summary.waterfall["start"]
    )
    out = run(
        review.export_moved,
        f"{ids.REVIEW_EXPORT_XLSX}.n_clicks",
        1,
        None,
        1,
        data(),
        None,
        None,
        None,
    )
    ws = load_workbook(io.BytesIO(_download(out))).active
    header = [c.value for c in ws[3]]
    assert header[:8] == [
        "Deal",
        "Account",
        "Rep",
        "Team",
        "Movement",
        "Amount then",
        "Amount now",
        "Change",
    ]
    body = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(body) == len(moved)
    change = header.index("Change")
    assert all(isinstance(r[change], int | float) for r in body)


def test_export_follows_the_grids_filter(store, review):
    out = render(review, store)
    shown = [r for r in out["moved"] if r["movement"] == "Pushed out"][::-1]
    visible = [{"source": r["source"], "deal_id": r["deal_id"]} for r in shown]
    res = run(
        review.export_moved,
        f"{ids.REVIEW_EXPORT_CSV}.n_clicks",
        1,
        1,
        None,
        data(),
        {"movement": {"filterType": "text", "type": "contains", "filter": "Pushed"}},
        visible,
        None,
    )
    rows = list(csv.DictReader(io.StringIO(_download(res).decode("utf-8-sig"))))
    assert [r["Deal id"] for r in rows] == [r["deal_id"] for r in shown]
    assert {r["Movement"] for r in rows} == {"Pushed out"}


def test_export_neutralises_formulas(store, review, tmp_path, monkeypatch):
    """A deal named like a formula reaches the file as inert text."""
    import pandas as pd

    from loaders.ingest import store_frame

    url = demo_copy(tmp_path / "evil")
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    engine = get_engine(url)
    summary = compute_summary(engine, "2026-Q4", TODAY)
    rep = summary.reps.index[0]
    store_frame(
        engine,
        "pipeline",
        pd.DataFrame(
            {
                "deal_id": ["EVIL-1"],
                "deal_name": ['=HYPERLINK("http://x","click")'],
                "account": ["@acme"],
                "owner": [rep],
                "stage": ["Negotiation"],
                "status": ["open"],
                "amount": [50_000.0],
                "probability": [0.5],
                "forecast_category": ["commit"],
                "close_date": [pd.Timestamp("2026-12-10")],
                "created_date": [pd.Timestamp("2026-11-20")],
            }
        ),
        source="manual",
        as_of=dt.datetime(2026, 11, 22, 12),
        source_name="manual_2026-11-22.csv",
    )
    cache.clear_local()
    res = run(
        review.export_moved,
        f"{ids.REVIEW_EXPORT_XLSX}.n_clicks",
        1,
        None,
        1,
        data(),
        None,
        None,
        None,
    )
    ws = load_workbook(io.BytesIO(_download(res))).active
    cells = {
        c.value: c
        for row in ws.iter_rows(min_row=4)
        for c in row
        if isinstance(c.value, str)
        and "acme" in c.value
        or isinstance(c.value, str)
        and "HYPERLINK" in c.value
    }
    assert '\'=HYPERLINK("http://x","click")' in cells
    assert "'@acme" in cells
    assert all(c.data_type == "s" for c in cells.values())


def href_query(href) -> dict:
    path, _, query = href.partition("?")
    assert path == "/review"
    return urls.parse(query)


def test_controls_write_the_url(store, review):
    canonical = {"search": "?quarter=2026-Q4"}
    href = run(
        review.controls_to_url,
        f"{ids.REVIEW_SINCE}.value",
        "2026-10-18",
        "2026-10-18",
        "2026-11-22",
        "none",
        None,
        data(),
        canonical,
    )
    assert href_query(href) == {"quarter": "2026-Q4", "as_of": "2026-11-22", "since": "2026-10-18"}
    # Picking a "now" before "since" moves "since" a week or more back.
    href = run(
        review.controls_to_url,
        f"{ids.REVIEW_NOW}.value",
        "2026-10-11",
        "2026-11-15",
        "2026-10-11",
        "none",
        None,
        data(),
        canonical,
    )
    assert href_query(href)["since"] == "2026-10-04"
    href = run(
        review.controls_to_url,
        f"{ids.REVIEW_GROUP}.value",
        "rep",
        None,
        None,
        "rep",
        None,
        data(),
        canonical,
    )
    assert href_query(href)["group"] == "rep"
    href = run(
        review.controls_to_url,
        f"{ids.REVIEW_PRESENT}.n_clicks",
        1,
        None,
        None,
        "none",
        1,
        data(),
        canonical,
    )
    assert href_query(href)["present"] == "1"
    # The render setting the pickers to what the URL says changes nothing.
    assert (
        run(
            review.controls_to_url,
            f"{ids.REVIEW_SINCE}.value",
            "2026-11-15",
            "2026-11-15",
            "2026-11-22",
            "none",
            None,
            data(),
            canonical,
        )
        is no_update
    )


def test_rollup_click_opens_the_rider(store, review):
    rows = [{"rep": "Ann <b>Lee</b>"}]
    href = run(
        review.open_rider,
        f"{ids.REVIEW_ROLLUP}.cellClicked",
        {"colId": "rep", "value": "Ann <b>Lee</b>"},
        {"colId": "rep", "value": "Ann <b>Lee</b>"},
        rows,
        {"search": "?quarter=2026-Q4"},
    )
    assert href == "/rider/Ann%20%3Cb%3ELee%3C%2Fb%3E?quarter=2026-Q4"
    assert (
        run(
            review.open_rider,
            f"{ids.REVIEW_ROLLUP}.cellClicked",
            {"colId": "rep", "value": "Total", "rowPinned": "bottom"},
            {"colId": "rep", "value": "Total", "rowPinned": "bottom"},
            rows,
            {"search": ""},
        )
        is no_update
    )


def test_empty_store_says_what_to_do(tmp_path, monkeypatch, review):
    from loaders.store.engine import upgrade

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    cache.clear_local()
    out = render(review, get_engine(url))
    assert "No pipeline snapshots yet" in " ".join(texts(out["message"]))
    assert out["moved"] == []


def test_layout_is_a_cheap_skeleton(review):
    page = review.layout()
    assert page.id == ids.REVIEW_PAGE
    present = review.layout(present="1", group="rep")
    assert "present-mode" in present.className
