"""Where we'll land (Course) and where they'll land (Rider): the forecast callbacks called as
plain functions on the hand-worked forecast book (``tests/support/forecast_book.py``, as of
2026-10-22, week 4, the reference method).

By hand (see ``tests/integration/test_forecast_model.py``): Ann's open deals A41 20,000 × 29/48
= 12,083.33 and A42 10,000 × 40/77 = 5,194.81, so from open 17,278.14; from new (5,000 + 0) / 2
= 2,500; mean 15,000 + 17,278.14 + 2,500 = 34,778.14. On 10-22 she has won 15,000 (A43) and her
commit forecast is 35,000 (A43 won + A41 in commit); East's quota is 180,000.
"""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from dash import no_update

from dashboard import auth, urls
from dashboard.models import forecast as fm
from dashboard.reads.catalog import live_version as current_version
from loaders.store.engine import get_engine
from tests.support.callbacks import run, texts
from tests.support.forecast_book import AS_OF, QUARTER, seed_forecast_book
from tests.support.stores import make_store, use_store

ANN, CY = "Ann Lee", "Cy Chen"


@pytest.fixture(scope="module")
def book_url(tmp_path_factory):
    url, drop = make_store("sqlite", tmp_path_factory.mktemp("fc-views"))
    seed_forecast_book(get_engine(url))
    yield url
    drop()


@pytest.fixture
def store(book_url, monkeypatch, tmp_path):
    return use_store(book_url, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def pages():
    from dashboard.app import create_app

    create_app()
    return sys.modules["dashboard.pages.course"], sys.modules["dashboard.pages.rider"]


def view(**query) -> dict:
    return urls.resolve({"quarter": QUARTER, "as_of": AS_OF.isoformat(), **query}).to_dict()


def click(key, value) -> dict:
    return {"points": [{"customdata": [key, value]}]}


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_rider_forecast_is_the_models(store, pages):
    _, rider = pages
    out = rider.render_forecast({"rep": ANN, "view": view()}, current_version(store))
    f = fm.forecast_for(store, QUARTER, AS_OF)
    ann = f.reps.loc[ANN]
    fig = out["figure"]
    # the fan ends at Ann's range, the p50 line at the p50 the model gives
    assert list(_trace(fig, "Landing p50").y) == [15000, ann["p50"]]
    assert list(_trace(fig, "At the finish").y) == [ann["p10"], ann["p50"], ann["p90"]]
    won = _trace(fig, "Won")
    assert list(won.y) == [0, 15000]
    assert list(_trace(fig, "Commit forecast").y) == [15000, 35000]
    assert list(_trace(fig, "Quota").y) == [100000, 100000]
    # her call of 10-05 (30,000) carried on 10-08, her call of 10-20 (33,000) on 10-22
    assert list(_trace(fig, "Commit call").y) == [30000, 33000]
    words = texts(out["range"])
    assert "34,778" in words and "17,278" in words and "2,500" in words
    assert any(
        w.startswith("Made from 2 past quarters at week 4 (2026-Q2, 2026-Q3)") for w in words
    )
    # the math, once opened: her rates (commit 29/48 ≈ 60%) and her open deals by expected amount
    data = {"rep": ANN, "view": view()}
    assert rider.render_math(False, data, current_version(store)) is no_update  # closed
    out = rider.render_math(True, data, current_version(store))
    rates = texts(out["rates"])
    assert "1 / 2" in rates and "60%" in rates and "history" in rates
    deals = out["deals"].children[1].rowData
    assert [d["deal_name"] for d in deals] == ["Deal A41", "Deal A42"]
    assert deals[0]["expected"] == pytest.approx(20000 * 29 / 48)
    assert texts(out["deals"])[0].endswith("Σ amount × rate = 17,278 (from open deals)")


def test_a_trend_point_lists_the_deals_behind_it(store, pages):
    _, rider = pages
    data = {"rep": ANN, "view": view()}
    point = click("commit_forecast", AS_OF.isoformat())
    out = run(rider.show_forecast_rows, "rider-forecast-trend.clickData", point, point, data)
    assert out["is_open"] and out["title"] == "Ann Lee · Commit forecast on 22 Oct 2026"
    assert texts(out["body"])[0] == "2 deals · adding up to 35,000"  # A43 won + A41 commit
    # a day the figure did not draw, the fan, or the call line: nothing
    for other in (click("won", "2026-10-09"), click("fan", "p50"), click("call", "2026-10-22")):
        assert run(rider.show_forecast_rows, "x", other, other, data) is no_update
    # the fan opens the math; the button toggles it
    assert run(rider.toggle_math, "rider-forecast-trend.clickData", 1, None, point, False) is (
        no_update
    )
    fan = click("fan", "p50")
    assert run(rider.toggle_math, "rider-forecast-trend.clickData", fan, None, fan, False) is True
    assert run(rider.toggle_math, "rider-forecast-math-toggle.n_clicks", 1, 1, None, True) is False


def test_a_manager_of_east_gets_nothing_of_west(store, pages, monkeypatch):
    course, rider = pages
    monkeypatch.setattr(auth, "viewer_scope", lambda: ["East"])
    version = current_version(store)
    out = rider.render_forecast({"rep": CY, "view": view()}, version)
    assert out["range"] is None and out["figure"]["data"] == []
    math = rider.render_math(True, {"rep": CY, "view": view()}, version)
    assert math["rates"] is None and math["deals"] is None
    point = click("won", AS_OF.isoformat())
    assert (
        run(rider.show_forecast_rows, "x", point, point, {"rep": CY, "view": view()}) is no_update
    )
    # West on the Course: refused, nothing drawn
    west = course.render_forecast(view(team="West"), version)
    assert west["range"] is None and west["figure"]["data"] == []
    assert run(course.show_forecast_rows, "x", point, point, view(team="West")) is no_update
    # their own rider still shows
    assert rider.render_forecast({"rep": ANN, "view": view()}, version)["range"] is not None


def test_course_forecast_for_a_team(store, pages):
    course, _ = pages
    out = course.render_forecast(view(team="East"), current_version(store))
    east = fm.forecast_for(store, QUARTER, AS_OF, "East")
    fig = out["figure"]
    assert list(_trace(fig, "At the finish").y) == [
        east.team["p10"],
        east.team["p50"],
        east.team["p90"],
    ]
    assert list(_trace(fig, "Won").y) == [0, 15000]
    assert list(_trace(fig, "Commit forecast").y) == [15000, 35000]
    assert list(_trace(fig, "Quota").y) == [180000, 180000]
    # Mia's call of 10-22 (60,000) stands for East that day
    assert list(_trace(fig, "Commit call").y)[-1] == 60000
    words = texts(out["range"])
    mean = 15000 + 20000 * 29 / 48 + 10000 * 40 / 77 + 16000 * 5 / 11 + 4000 * 0.1 + 2500 + 1500
    assert f"{mean:,.0f}" in words
    point = click("won", AS_OF.isoformat())
    shown = run(course.show_forecast_rows, "course-forecast-trend.clickData", point, point, view())
    assert shown["title"] == "All teams · Won on 22 Oct 2026"
    assert texts(shown["body"])[0] == "1 deal · adding up to 15,000"  # A43
    rows = shown["body"].children[2].rowData
    assert [r["deal_name"] for r in rows] == ["Deal A43"]
    assert pd.Timestamp(rows[0]["close_date"]).date().isoformat() == "2026-10-15"


def test_experts_on_the_roster_are_not_in_the_call_tree(tmp_path):
    """The demo's roster names SEs and CSMs under a manager; they own no counted deal and carry
    no quota, so no one calls a number for them: the tree holds riders and the chain only."""
    from loaders.store.engine import dispose_engines
    from tests.support.demo import TODAY, demo_copy

    engine = get_engine(demo_copy(tmp_path))
    try:
        people = fm.forecast_for(engine, "2026-Q4", TODAY).people
        roster = pd.read_sql("SELECT name, role FROM reps", engine)
    finally:
        dispose_engines()
    experts = set(roster.loc[roster["role"].isin(["SE", "CSM", "Partner"]), "name"])
    assert experts, "the demo's roster has experts"
    assert not experts & set(people["person"])
    assert set(people["role"].dropna()) <= {"AE", "Manager", "Director", "VP"}


def _math_rows(body) -> tuple[list[list[str]], list[dict], str]:
    """The rates table's rows, the deals grid's rows and its sum line, from the math's body."""
    rates = next(c for c in body[1].children if getattr(c, "className", "") == "forecast-rates")
    cells = [[td.children for td in tr.children] for tr in rates.children[1].children]
    deals = body[3]
    return cells, deals.children[1].rowData, deals.children[0].children


def test_course_math_lists_each_teams_rates_and_every_deal_times_its_rate(
    store, pages, monkeypatch
):
    """East at week 4: commit 2 won of 3, pooled 3 of 5; best case 1 of 2, pooled 2 of 4;
    pipeline 1 of 2, pooled 3 of 5. West: commit 1 of 2, pooled 2 of 5. Deals x rate (the
    module's docstring): A41 12,083.33, B41 7,272.73, A42 5,194.81, C41 2,642.86, B42 400;
    sum 27,593.73."""
    course, _ = pages
    version = current_version(store)
    assert course.render_math(False, view(), version) is no_update  # closed: nothing read
    body = course.render_math(True, view(), version)
    cells, deals, line = _math_rows(body)
    assert cells[0][:4] == ["East", "Commit", "2 / 3", "3 / 5 = 60%"]
    assert cells[1][:4] == ["East", "Best case", "1 / 2", "2 / 4 = 50%"]
    assert cells[2][:4] == ["East", "Pipeline", "1 / 2", "3 / 5 = 60%"]
    west = [c for c in cells if c[:2] == ["West", "Commit"]]
    assert west == [["West", "Commit", "1 / 2", "2 / 5 = 40%", "43%"]]
    assert [d["deal_name"] for d in deals] == [
        "Deal A41",
        "Deal B41",
        "Deal A42",
        "Deal C41",
        "Deal B42",
    ]
    assert [d["rep"] for d in deals[:2]] == [ANN, "Bob Ray"]
    assert deals[0]["expected"] == pytest.approx(20000 * 29 / 48)
    assert line.startswith("5 open deals closing this quarter · Σ amount × rate = 27,594")
    # Only the largest are listed at full size; the sum still covers every deal.
    monkeypatch.setattr(course, "MATH_DEALS", 2)
    _, deals, line = _math_rows(course.render_math(True, view(), version))
    assert len(deals) == 2 and "= 27,594" in line and "listing the 2 largest" in line
    # A manager of East: West is refused, all teams means East alone.
    monkeypatch.setattr(auth, "viewer_scope", lambda: ["East"])
    assert course.render_math(True, view(team="West"), version) is None
    cells, deals, _ = _math_rows(course.render_math(True, view(), version))
    assert {c[0] for c in cells} == {"East"} and CY not in {d["rep"] for d in deals}
