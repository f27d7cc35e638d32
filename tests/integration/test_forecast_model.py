"""The forecast model on the hand-worked forecast book (``tests/support/forecast_book.py``), on
SQLite and PostgreSQL: the trend, the rates with their counts, the roll-up through the chain, the
projection's math, the backtest, call accuracy, no peeking and scope.

Worked by hand (as of 2026-10-22, week 4; past quarters 2026-Q2 and 2026-Q3, stand-in days at week
4: 04-24 and 07-24; at week 2: 04-08 and 07-08; the quarters' last days 06-30 and 09-30 stand in for
their last week and hold no open deal of their quarter):

East (Ann, Bob) observations, (deals, wins):
  commit:    Q2 wk2 A21 (1,1); Q2 wk4 A21, B21 (2,2); Q3 wk2 A31 (1,0); Q3 wk4 A31 (1,0)
             pooled 3/5 = 0.6; at week 4 n = 3, wins = 2 -> (2 + 5 x 0.6) / (3 + 5) = 5/8
  best case: Q2 B22 lost twice; Q3 A32 won twice -> pooled 2/4; week 4: (1 + 2.5) / 7 = 1/2
  pipeline:  Q2 wk2 A22 lost, B21 won; Q2 wk4 A22 lost; Q3 B31 won twice -> pooled 3/5;
             week 4: n = 2, wins = 1 -> (1 + 3) / 7 = 4/7
West (Cy) commit: Q2 C21 lost twice; Q3 wk2 C31 won, C21 lost; Q3 wk4 C31 won -> pooled 2/5;
  week 4: n = 2, wins = 1 -> (1 + 2) / 7 = 3/7
Reps at week 4 (w = n / (n + 10)):
  Ann commit   n 2, wins 1: 1/6 x 1/2 + 5/6 x 5/8 = 29/48
  Ann pipeline n 1, wins 0: 10/11 x 4/7 = 40/77
  Bob best     n 1, wins 0: 10/11 x 1/2 = 5/11
  Bob omitted: no history in the team -> the CRM's 0.1
  Cy commit    n 2, wins 1: 1/6 x 1/2 + 5/6 x 3/7 = 37/84
Open deals on 10-22: A41 20,000 x 29/48 = 12,083.33; A42 10,000 x 40/77 = 5,194.81;
  B41 16,000 x 5/11 = 7,272.73; B42 4,000 x 0.1 = 400; C41 6,000 x 37/84 = 2,642.86.
New business at week 4: Q2 Ann 5,000 (A23), Q3 Bob 3,000 (B32); everyone took part in both.
  from_new: Ann (5,000 + 0) / 2 = 2,500; Bob 1,500; Cy 0.
Means: Ann 15,000 + 17,278.14 + 2,500 = 34,778.14; Bob 0 + 7,672.73 + 1,500 = 9,172.73;
  Cy 2,642.86.

Trend (won, commit fc., best case fc., open, weighted):
  10-08 Ann 0, 15,000, 15,000, 35,000, 18,000 (0.3 x 20,000 + 0.8 x 15,000)
        Bob 0, 0, 16,000, 16,000, 8,000; Cy 0, 6,000, 6,000, 6,000, 4,200
        team 0, 21,000, 37,000, 57,000, 30,200
  10-22 Ann 15,000, 35,000, 35,000, 30,000, 14,000; Bob 0, 0, 16,000, 20,000, 8,400;
        Cy 0, 6,000, 6,000, 6,000, 4,200; team 15,000, 41,000, 57,000, 56,000, 26,600
Calls on 10-22 (commit / best case):
  Ann 33,000 / 45,000 carried from week 3 (her 10-20 call); CRM 35,000 / 35,000 -> -2,000 / +10,000
  Bob CRM 0 / 16,000; Cy CRM 6,000 / 6,000 (his call of 10-23 comes later)
  Mia submitted 60,000 / 90,000 (week 4); rolled up 33,000 / 61,000 -> +27,000 / +29,000
  Max rolled up 6,000 / 6,000; Dave rolled up 66,000 / 96,000 (the team's call)
  On 10-08: Ann's 10-05 call 30,000 / 40,000 carried (week 1); Dave 36,000 / 62,000.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from dashboard.cli.forecast import forecast_json
from dashboard.metrics import forecast as fc
from dashboard.models import forecast as fm
from dashboard.models.standings import compute_summary
from loaders.store.engine import bump_data_version, get_engine, session_scope, upgrade
from tests.support.forecast_book import AS_OF, QUARTER, SNAPSHOTS, seed_forecast_book
from tests.support.stores import make_store


def _store(backend: str, folder, late: bool = False):
    url, drop = make_store(backend, folder, prefix="teamcar_forecast")
    engine = get_engine(url)
    seed_forecast_book(engine, late=late)
    return engine, drop


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def book(request, tmp_path_factory):
    engine, drop = _store(request.param, tmp_path_factory.mktemp(f"fc-{request.param}"))
    try:
        yield engine
    finally:
        drop()


@pytest.fixture(scope="module")
def forecast(book):
    return fm.compute_forecast(book, QUARTER, AS_OF)


def _trend(f, day, rep):
    rows = f.trend[(f.trend["day"] == day) & (f.trend["rep"].map(lambda r: r == rep))]
    assert len(rows) == 1
    return rows.iloc[0]


def test_trend_on_two_days(forecast):
    keys = ["won", "commit_forecast", "best_case_forecast", "open_pipeline", "weighted_pipeline"]
    oct8, oct22 = dt.date(2026, 10, 8), AS_OF
    assert sorted(set(forecast.trend["day"])) == [oct8, oct22]
    assert _trend(forecast, oct8, "Ann Lee")[keys].tolist() == [0, 15000, 15000, 35000, 18000]
    assert _trend(forecast, oct8, None)[keys].tolist() == [0, 21000, 37000, 57000, 30200]
    assert _trend(forecast, oct22, "Bob Ray")[keys].tolist() == [0, 0, 16000, 20000, 8400]
    assert _trend(forecast, oct22, None)[keys].tolist() == [15000, 41000, 57000, 56000, 26600]
    ann8 = _trend(forecast, oct8, "Ann Lee")
    assert (ann8["call_commit"], ann8["call_status"], ann8["quota"]) == (30000, "carried", 100000)
    assert ann8["pace"] == pytest.approx(8 / 92)
    team8 = _trend(forecast, oct8, None)
    assert (team8["call_commit"], team8["call_best_case"], team8["call_status"]) == (
        36000,
        62000,
        "rolled_up",
    )
    assert _trend(forecast, oct22, None)["call_commit"] == 66000
    assert _trend(forecast, oct22, None)["quota"] == 230000
    assert pd.isna(_trend(forecast, oct22, "Bob Ray")["call_commit"])


def test_trend_points_are_the_summary_of_their_day(book, forecast):
    for day in sorted(set(forecast.trend["day"])):
        team = compute_summary(book, QUARTER, day).team
        row = _trend(forecast, day, None)
        for key in ("won", "commit_forecast", "best_case_forecast", "open_pipeline"):
            assert row[key] == team[key], (day, key)
        assert row["weighted_pipeline"] == pytest.approx(team["weighted_pipeline"])


def test_rates_at_week_four_with_their_counts(forecast):
    assert (forecast.week, forecast.method, forecast.past) == (
        4,
        fc.REFERENCE,
        ["2026-Q2", "2026-Q3"],
    )
    t = forecast.team_rates.set_index(["team", "bucket"])
    east = t.loc[("East", "commit")]
    assert (east["n"], east["wins"], east["pooled_n"], east["pooled_wins"]) == (3, 2, 5, 3)
    assert east["rate"] == pytest.approx(5 / 8)
    assert t.loc[("East", "best_case"), "rate"] == pytest.approx(1 / 2)
    assert t.loc[("East", "pipeline"), "rate"] == pytest.approx(4 / 7)
    assert t.loc[("West", "commit"), "rate"] == pytest.approx(3 / 7)
    assert t.loc[("West", "commit"), ["pooled_n", "pooled_wins"]].tolist() == [5, 2]
    assert pd.isna(t.loc[("East", "omitted"), "rate"])
    r = forecast.rep_rates.set_index(["rep", "bucket"])
    assert r.loc[("Ann Lee", "commit"), ["n", "wins"]].tolist() == [2, 1]
    assert r.loc[("Ann Lee", "commit"), "weight"] == pytest.approx(1 / 6)
    assert r.loc[("Ann Lee", "commit"), "rate"] == pytest.approx(29 / 48)
    assert r.loc[("Cy Chen", "commit"), "rate"] == pytest.approx(37 / 84)

    deals = forecast.deals.set_index("deal_id")
    assert sorted(deals.index) == ["A41", "A42", "B41", "B42", "C41"]
    assert deals["rate"].to_dict() == pytest.approx(
        {"A41": 29 / 48, "A42": 40 / 77, "B41": 5 / 11, "B42": 0.1, "C41": 37 / 84}
    )
    assert deals.loc["B42", "rate_source"] == "crm" and deals.loc["A41", "rate_source"] == "history"
    assert deals.loc["A41", "expected"] == pytest.approx(20000 * 29 / 48)
    new = forecast.new.set_index(["rep", "quarter"])["new"].to_dict()
    assert new == {
        ("Ann Lee", "2026-Q2"): 5000.0,
        ("Ann Lee", "2026-Q3"): 0.0,
        ("Bob Ray", "2026-Q2"): 0.0,
        ("Bob Ray", "2026-Q3"): 3000.0,
        ("Cy Chen", "2026-Q2"): 0.0,
        ("Cy Chen", "2026-Q3"): 0.0,
    }
    reps = forecast.reps
    assert reps.loc["Ann Lee", "from_open"] == pytest.approx(20000 * 29 / 48 + 10000 * 40 / 77)
    assert reps["from_new"].to_dict() == {"Ann Lee": 2500.0, "Bob Ray": 1500.0, "Cy Chen": 0.0}
    assert reps.loc["Ann Lee", "mean"] == pytest.approx(34778.138528)
    assert reps.loc["Bob Ray", "mean"] == pytest.approx(9172.727273)
    team = forecast.team
    assert team["mean"] == pytest.approx(team["won"] + team["from_open"] + team["from_new"])
    assert (team["won"], team["from_new"], team["quota"]) == (15000.0, 4000.0, 230000.0)


def test_landing_range_is_ordered_and_the_teams_draws_are_their_reps(forecast):
    for rep, row in forecast.reps.iterrows():
        assert row["won"] <= row["p10"] <= row["p50"] <= row["p90"], rep
    t = forecast.team
    assert t["won"] <= t["p10"] <= t["p50"] <= t["p90"]
    landing = forecast.landing
    total = landing.draws["East"] + landing.draws["West"]
    assert t["p50"] == np.quantile(total, 0.5, method="inverted_cdf") / 100
    # Ann always lands her 15,000 won; she can win at most 20,000 + 10,000 + 5,000 more.
    assert forecast.reps.loc["Ann Lee", "p10"] >= 15000
    assert landing.draws["East"].max() <= (15000 + 30000 + 5000 + 20000 + 3000) * 100


def test_roll_up_through_the_chain(forecast):
    people = forecast.people.set_index("person")
    assert list(forecast.people["person"]) == [
        "Dave Diaz",
        "Max Moss",
        "Mia Park",
        "Ann Lee",
        "Bob Ray",
        "Cy Chen",
    ]
    assert people.loc["Dave Diaz", "reports"] == ("Max Moss", "Mia Park")

    def row(p):
        r = people.loc[p]
        return [
            r["status"],
            r["value_commit"],
            r["value_best_case"],
            r["rolled_up_commit"],
            r["rolled_up_best_case"],
            r["adjustment_commit"],
            r["adjustment_best_case"],
        ]

    assert row("Ann Lee") == ["carried", 33000, 45000, 35000, 35000, -2000, 10000]
    assert row("Bob Ray") == ["crm", 0, 16000, 0, 16000, 0, 0]
    assert row("Mia Park") == ["submitted", 60000, 90000, 33000, 61000, 27000, 29000]
    assert row("Max Moss") == ["rolled_up", 6000, 6000, 6000, 6000, 0, 0]
    assert row("Cy Chen") == ["crm", 6000, 6000, 6000, 6000, 0, 0]
    assert row("Dave Diaz") == ["rolled_up", 66000, 96000, 66000, 96000, 0, 0]
    assert (people.loc["Ann Lee", "week"], people.loc["Mia Park", "by"]) == (3, "Mia Park")
    assert forecast.team["call"] == {
        "commit": 66000.0,
        "best_case": 96000.0,
        "status": "rolled_up",
        "week": None,
        "by": None,
    }
    ann = forecast.reps.loc["Ann Lee"]
    assert (ann["call_commit"], ann["call_status"], ann["call_week"]) == (33000.0, "carried", 3)


def test_backtest_baselines_and_actuals(book):
    """As of 04-24 (2026-Q2, no quarter ended before it: the CRM's probabilities, no new
    business): commit forecast A21 + B21 + C21 = 22,000; won + weighted 0.9 x 10,000 + 0.2 x
    20,000 + 0.7 x 8,000 + 0.4 x 6,000 + 0.6 x 4,000 = 23,400; won by 06-30 A21 + B21 + A23 = 23,000.
    As of 07-24 (2026-Q3, rates and new business from 2026-Q2): commit forecast A31 + C31 = 17,000;
    weighted 9,600 + 4,500 + 2,100 + 4,500 = 20,700; won by 09-30 A32 + B31 + B32 + C31 = 24,000.
    East: 18,000 / 21,000 / 23,000 and 12,000 / 16,200 / 19,000."""
    bt = fm.compute_backtest(book, QUARTER, AS_OF)
    rows = bt.rows.set_index(["scope", "quarter"])
    cols = ["day", "method", "commit_forecast", "won_plus_weighted", "actual"]
    assert rows.loc[(None, "2026-Q2"), cols].tolist() == [
        dt.date(2026, 4, 24),
        fc.CRM_PROBABILITY,
        22000,
        pytest.approx(23400),
        23000,
    ]
    assert rows.loc[(None, "2026-Q3"), cols].tolist() == [
        dt.date(2026, 7, 24),
        fc.REFERENCE,
        17000,
        pytest.approx(20700),
        24000,
    ]
    assert rows.loc[("East", "2026-Q2"), ["commit_forecast", "actual"]].tolist() == [18000, 23000]
    assert rows.loc[("East", "2026-Q3"), ["commit_forecast", "actual"]].tolist() == [12000, 19000]
    for _, r in bt.rows.iterrows():
        assert r["p10"] <= r["p50"] <= r["p90"]
        assert r["inside"] == (r["p10"] <= r["actual"] <= r["p90"])
    all_rows = bt.rows[bt.rows["scope"].isna()]
    summary = bt.summary[None]
    assert summary["quarters"] == 2
    assert summary["mae_commit_forecast"] == pytest.approx((1000 + 7000) / 2)
    assert summary["mae_won_plus_weighted"] == pytest.approx((400 + 3300) / 2)
    assert summary["mae_p50"] == pytest.approx((all_rows["p50"] - all_rows["actual"]).abs().mean())
    assert set(bt.summary) == {None, "East", "West"}


def test_call_accuracy_for_ended_quarters(book):
    """2026-Q3: Cy called 6,000 on 09-01 (week 9) and won 5,000: +20 % for weeks 9-14. Mia called
    30,000 on 07-20 (week 3); below her Ann won 9,000 and Bob 10,000: (30 - 19) / 19 for weeks 3-14.
    The 2026-Q4 calls are not graded: that quarter has not ended."""
    acc = fm.compute_accuracy(book, AS_OF)
    assert set(acc.rows["quarter"]) == {"2026-Q3"}
    cy = acc.rows[acc.rows["person"] == "Cy Chen"]
    assert cy["week"].tolist() == [9, 10, 11, 12, 13, 14]
    assert cy["error_pct"].tolist() == pytest.approx([0.2] * 6)
    mia = acc.rows[acc.rows["person"] == "Mia Park"]
    assert mia["week"].tolist() == list(range(3, 15)) and (mia["actual"] == 19000).all()
    assert acc.bias.loc["Mia Park", "bias"] == pytest.approx(11 / 19)
    assert acc.bias.loc["Cy Chen", "weeks"] == 6


def _json(f, b=None) -> str:
    return json.dumps(forecast_json(f, b), ensure_ascii=False, allow_nan=False)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_no_peeking_at_later_snapshots(backend, tmp_path):
    """The 11-05 snapshot (A41 won, B41 lost) changes nothing as of 10-22."""
    without, drop_a = _store(backend, tmp_path / "a")
    with_late, drop_b = _store(backend, tmp_path / "b", late=True)
    try:
        a = fm.compute_forecast(without, QUARTER, AS_OF)
        b = fm.compute_forecast(with_late, QUARTER, AS_OF)
        assert _json(a) == _json(b)
        pd.testing.assert_frame_equal(a.trend, b.trend)
        pd.testing.assert_frame_equal(a.deals, b.deals)
        ba = fm.compute_backtest(without, QUARTER, AS_OF)
        bb = fm.compute_backtest(with_late, QUARTER, AS_OF)
        pd.testing.assert_frame_equal(ba.rows, bb.rows)
        # ... and the late snapshot is there to be seen: as of its day A41 is won.
        later = fm.compute_forecast(with_late, QUARTER, dt.date(2026, 11, 5))
        assert later.reps.loc["Ann Lee", "won"] == 35000
    finally:
        drop_a()
        drop_b()


def test_a_scope_sees_only_its_people_and_deals(book, forecast):
    east = fm.compute_forecast(book, QUARTER, AS_OF, scope=["East"])
    text = _json(east, fm.compute_backtest(book, QUARTER, AS_OF, scope=["East"]))
    for name in ("Cy Chen", "Max Moss", "Dave Diaz", "West", "C41"):
        assert name not in text
    frames = [east.trend, east.deals, east.people, east.rep_rates, east.team_rates, east.new]
    for frame in frames:
        assert "Cy Chen" not in frame.to_string() and "West" not in frame.to_string()
    assert list(east.reps.index) == ["Ann Lee", "Bob Ray"]
    assert east.team["call"]["commit"] == 60000 and east.team["call"]["by"] == "Mia Park"
    # The same numbers for East whether computed alone or cut from the all-teams forecast.
    assert east.reps.loc["Ann Lee", "p50"] == forecast.reps.loc["Ann Lee", "p50"]
    narrowed = fm.restrict_forecast(forecast, scope=["East"])
    assert _json(narrowed) == _json(east)
    pd.testing.assert_frame_equal(
        narrowed.trend.reset_index(drop=True), east.trend.reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(narrowed.deals, east.deals)
    with pytest.raises(fm.ForecastError):
        fm.compute_forecast(book, QUARTER, AS_OF, team="West", scope=["East"])


def test_backtest_narrowed_equals_backtest_under_scope(book):
    everyone = fm.compute_backtest(book, QUARTER, AS_OF)
    east = fm.compute_backtest(book, QUARTER, AS_OF, team="East")
    narrowed = fm.restrict_backtest(everyone, team="East")
    pd.testing.assert_frame_equal(narrowed.rows, east.rows)
    assert narrowed.summary == east.summary


def test_sql_sums_equal_the_rebuilt_day_states(book, forecast):
    """The per-owner sums made in SQL equal the same rules applied in pandas to each day's state
    (what sources with field history get)."""
    replayed = fm.compute_forecast(book, QUARTER, AS_OF, replay=True)
    assert _json(replayed) == _json(forecast)
    pd.testing.assert_frame_equal(replayed.trend, forecast.trend)
    pd.testing.assert_frame_equal(replayed.team_rates, forecast.team_rates)
    pd.testing.assert_frame_equal(replayed.new, forecast.new)


def test_without_a_past_quarter_at_the_week_the_crm_probability_stands(book):
    """10-29 is in week 5; neither past quarter has a snapshot in its week 5."""
    f = fm.compute_forecast(book, QUARTER, dt.date(2026, 10, 29))
    assert (f.week, f.method, f.past) == (5, fc.CRM_PROBABILITY, [])
    assert f.deals.set_index("deal_id")["rate"].to_dict() == pytest.approx(
        {"A41": 0.6, "A42": 0.2, "B41": 0.5, "B42": 0.1, "C41": 0.7}
    )
    assert (f.reps["from_new"] == 0).all()
    assert f.team["from_open"] == pytest.approx(26600)


def test_an_ended_quarter_lands_on_what_was_won(book):
    """2026-Q3 seen on 10-05 (its last snapshot, 09-30, in force): 9,000 + 10,000 + 5,000 won."""
    f = fm.compute_forecast(book, "2026-Q3", dt.date(2026, 10, 5))
    assert f.method == fc.ENDED
    assert f.team["p10"] == f.team["p50"] == f.team["p90"] == f.team["won"] == 24000


def test_cached_forecast_is_the_computed_one_narrowed(book, forecast):
    from dashboard.reads import cache

    cache.clear_local()
    assert _json(fm.forecast_for(book, QUARTER, AS_OF)) == _json(forecast)
    assert _json(fm.forecast_for(book, QUARTER, AS_OF, "East")) == _json(
        fm.compute_forecast(book, QUARTER, AS_OF, "East")
    )
    assert fm.forecast_for(book, QUARTER, AS_OF) is fm.forecast_for(book, QUARTER, AS_OF)


def test_batch_sums_outlive_an_import_but_not_a_store_built_again(tmp_path, monkeypatch):
    """Each snapshot batch's sums are cached under a fixed version: a forecast after an import
    reads no batch it has seen. A store built again at the same address, where 2026-Q2's last
    snapshot says A21 was lost, gets its own sums: East's commit wins at week 4 drop from 2 to 1
    (the batch ids are the same, their contents are not)."""
    from dashboard.reads import cache
    from dashboard.reads.history import HistoryReader

    cache.clear_local()
    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    engine = get_engine(url)
    seed_forecast_book(engine)
    first = fm.compute_forecast(engine, QUARTER, AS_OF)
    with session_scope(engine) as s:
        bump_data_version(s)

    def unread(*args, **kwargs):
        raise AssertionError("a batch seen before was read again")

    with monkeypatch.context() as m:
        for name in ("_totals", "_outcomes", "_new"):
            m.setattr(HistoryReader, name, unread)
        again = fm.compute_forecast(engine, QUARTER, AS_OF)
    assert _json(again) == _json(first)

    engine.dispose()
    (tmp_path / "again.db").unlink()
    upgrade(url)
    engine = get_engine(url)
    end = dt.date(2026, 6, 30)
    lost = [
        {**row, "status": "lost", "stage": "Closed Lost"} if row["deal_id"] == "A21" else row
        for row in SNAPSHOTS[end]
    ]
    seed_forecast_book(engine, snapshots={end: lost})
    rebuilt = fm.compute_forecast(engine, QUARTER, AS_OF)
    east = rebuilt.team_rates.set_index(["team", "bucket"]).loc[("East", "commit")]
    assert (east["n"], east["wins"]) == (3, 1)
