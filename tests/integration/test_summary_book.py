"""``teamcar summary`` on the hand-checked book, on SQLite and PostgreSQL.

Expected values are worked out from the book in ``tests/support/book.py``
(quarter 2026-Q4 = 92 days; as_of 2026-11-22 -> pace 53/92; since 2026-11-01 -> pace 32/92).
"""

from __future__ import annotations

import json
import math

import pytest

from dashboard.cli.summary import summary_command, summary_json
from dashboard.metrics.kpis import FIGURE_KEYS
from dashboard.models.standings import SummaryError, compute_summary
from tests.support.book import AS_OF, QUARTER, SINCE

PACE = 53 / 92


@pytest.fixture(scope="module")
def result(book_engine):
    return summary_json(compute_summary(book_engine, QUARTER, AS_OF, SINCE))


def _reps(result):
    return {r["rep"]: r for r in result["reps"]}


def test_shape(result):
    assert list(result)[:7] == [
        "quarter",
        "quarter_start",
        "quarter_end",
        "as_of",
        "since",
        "team",
        "reps",
    ]
    assert (result["quarter"], result["quarter_start"], result["quarter_end"]) == (
        "2026-Q4",
        "2026-10-01",
        "2026-12-31",
    )
    assert (result["as_of"], result["since"]) == ("2026-11-22", "2026-11-01")
    assert list(result["team"]) == list(FIGURE_KEYS)
    for rep in result["reps"]:
        assert list(rep) == ["rep", "team", *FIGURE_KEYS, "rank", "rank_change"]
    assert list(result["movement"]) == [
        "start",
        "created",
        "pulled_in",
        "increased",
        "decreased",
        "won",
        "lost",
        "pushed_out",
        "removed",
        "end",
        "deals",
    ]
    json.dumps(result, allow_nan=False)  # plain JSON: no NaN anywhere


def test_riders(result):
    # Sam Se is an SE with no deals and no quota: not a rider. Zed is off the roster: no team.
    assert [(r["rep"], r["team"]) for r in result["reps"]] == [
        ("Bob Ray", "East"),
        ("Ann Lee", "East"),
        ("Dan New", "East"),
        ("Cat Wu", "West"),
        ("Zed Unknown", None),
    ]


def test_ann(result):
    ann = _reps(result)["Ann Lee"]
    # As in tests/unit/test_metrics_figures.py, except A4: Sam Se (SE) met on it on 11-15, so it
    # is not stale; A4 has no next step and A3 is past due -> hygiene 0/2; activity: Ann's one
    # call (11-12) vs a team median of 0 every week -> 8/8 -> readiness (100 + 0) / 2 = 50.
    expected = {
        "quota": 100000.0,
        "won": 30000.0,
        "attainment": 0.3,
        "pace": PACE,
        "pace_gap": 30000 - 100000 * PACE,
        "open_pipeline": 60000.0,
        "past_due_deals": 1,
        "commit": 20000.0,
        "best_case": 40000.0,
        "commit_forecast": 50000.0,
        "best_case_forecast": 90000.0,
        "weighted_pipeline": 20000 * 0.8 + 40000 * 0.5,
        "coverage": 60000 / 70000,
        "win_rate": 2 / 3,
        "avg_won_deal": 25000.0,
        "cycle_days": 52.5,
        "velocity": 2 * (2 / 3) * 25000 / 52.5,
        "stale_deals": 0,
        "needed_pipeline": 70000 / (2 / 3) - 60000,
        "needed_deals": 3,
        "readiness_index": 50.0,
        "rank": 2,
        "rank_change": -1,
    }
    for key, value in expected.items():
        assert ann[key] == pytest.approx(value, rel=1e-12), key
        assert type(ann[key]) is type(value), key


def test_bob_quota_met_and_moved_up(result):
    bob = _reps(result)["Bob Ray"]
    assert bob["won"] == 60000.0 and bob["attainment"] == 1.2
    assert bob["coverage"] is None  # quota met
    assert bob["needed_pipeline"] == 0.0 and bob["needed_deals"] == 0
    # Since 11-01 (pace 32/92): Ann 0.3 - 0.348 beat Bob 0 - 0.348 -> Bob 2nd then, 1st now.
    assert (bob["rank"], bob["rank_change"]) == (1, 1)
    # Enablement: one required program, due 11-01, done 11-05 -> 0; activity 8/8 (median 0);
    # hygiene B2 fine -> 100; (0 + 100 + 100) / 3
    assert bob["readiness_index"] == pytest.approx(200 / 3)


def test_rep_joining_mid_quarter(result):
    dan = _reps(result)["Dan New"]
    assert dan["quota"] == 20000.0 and dan["won"] == 0.0 and dan["open_pipeline"] == 20000.0
    assert dan["coverage"] == 1.0 and dan["win_rate"] is None and dan["needed_deals"] is None
    assert dan["rank"] == 3
    assert dan["rank_change"] is None  # started 11-10, after since
    assert dan["readiness_index"] == 100.0  # 2 weeks since starting, D1 healthy


def test_no_quota_and_off_roster(result):
    reps = _reps(result)
    cat, zed = reps["Cat Wu"], reps["Zed Unknown"]
    assert cat["quota"] == 0.0 and cat["attainment"] is None and cat["rank"] is None
    assert cat["stale_deals"] == 1 and cat["win_rate"] is None
    assert cat["readiness_index"] == 0.0  # hygiene 0/1 only
    assert zed["win_rate"] == 0.0 and zed["needed_pipeline"] is None
    assert zed["readiness_index"] is None


def test_team_all(result):
    t = result["team"]
    # Riders Ann, Bob, Dan, Cat, Zed: quota 170,000; won 90,000 (A1, B1);
    # open A3 20,000 + A4 40,000 + B2 10,000 + C1 15,000 + D1 20,000 = 105,000;
    # win window: won A1, A7, B1 (110,000), lost A6, Z1 -> 3/5.
    assert t["quota"] == 170000.0 and t["won"] == 90000.0
    assert t["attainment"] == pytest.approx(90 / 170)
    assert t["open_pipeline"] == 105000.0
    assert t["coverage"] == pytest.approx(105000 / 80000)
    assert t["win_rate"] == 0.6
    assert t["avg_won_deal"] == pytest.approx(110000 / 3)
    assert t["cycle_days"] == 30.0  # median(75, 30, 19)
    assert t["velocity"] == pytest.approx(5 * 0.6 * (110000 / 3) / 30)
    assert t["needed_pipeline"] == pytest.approx(80000 / 0.6 - 105000)
    assert t["needed_deals"] == 3  # ceil(80,000 / 36,666.67)
    assert t["commit_forecast"] == 110000.0 and t["best_case_forecast"] == 150000.0
    assert (t["past_due_deals"], t["stale_deals"]) == (1, 1)
    assert t["readiness_index"] == pytest.approx((50 + 200 / 3 + 100 + 0) / 4)


def test_movement_all(result):
    m = result["movement"]
    # SA: A3 20k, A4 30k, B1 60k, B2 10k, X1 5k, P1 8k, C1 15k = 148k (hubspot from 10-30).
    assert {k: m[k] for k in m if k != "deals"} == {
        "start": 148000.0,
        "created": 20000.0,
        "pulled_in": 0.0,
        "increased": 10000.0,
        "decreased": 0.0,
        "won": 60000.0,
        "lost": 0.0,
        "pushed_out": 8000.0,
        "removed": 5000.0,
        "end": 105000.0,
    }
    cats = {d["deal_id"]: (d["category"], d["rep"]) for d in m["deals"]}
    assert cats == {
        "D1": ("created", "Dan New"),
        "A4": ("increased", "Ann Lee"),
        "A3": ("unchanged", "Ann Lee"),
        "C1": ("unchanged", "Cat Wu"),
        "B2": ("unchanged", "Bob Ray"),
        "B1": ("won", "Bob Ray"),
        "P1": ("pushed_out", "Ann Lee"),
        "X1": ("removed", "Ann Lee"),
        "A2": ("won_new", "Ann Lee"),
    }
    x1 = next(d for d in m["deals"] if d["deal_id"] == "X1")
    assert x1 == {
        "deal_id": "X1",
        "deal_name": "Deal X1",
        "rep": "Ann Lee",
        "category": "removed",
        "amount_since": 5000.0,
        "amount_now": None,
        "close_date_since": "2026-12-05",
        "close_date_now": None,
    }
    assert m["end"] == result["team"]["open_pipeline"]


def test_one_team(book_engine):
    east = summary_json(compute_summary(book_engine, QUARTER, AS_OF, SINCE, team="East"))
    assert [r["rep"] for r in east["reps"]] == ["Bob Ray", "Ann Lee", "Dan New"]
    assert east["team"]["quota"] == 170000.0 and east["team"]["won"] == 90000.0
    assert east["team"]["open_pipeline"] == 90000.0  # without Cat's C1
    m = east["movement"]
    # Deals credited to East: start 148k - C1 15k = 133k; end 105k - 15k = 90k.
    assert (m["start"], m["end"], m["created"], m["won"]) == (133000.0, 90000.0, 20000.0, 60000.0)
    assert "C1" not in {d["deal_id"] for d in m["deals"]}
    west = summary_json(compute_summary(book_engine, QUARTER, AS_OF, SINCE, team="West"))
    assert [r["rep"] for r in west["reps"]] == ["Cat Wu"]
    assert west["team"]["open_pipeline"] == 15000.0 and west["team"]["win_rate"] is None
    assert west["movement"]["start"] == west["movement"]["end"] == 15000.0


def test_scope_hides_other_teams(book_engine):
    with pytest.raises(SummaryError, match="may see"):
        compute_summary(book_engine, QUARTER, AS_OF, team="East", scope=["West"])
    seen = summary_json(compute_summary(book_engine, QUARTER, AS_OF, scope=["West"]))
    assert [r["rep"] for r in seen["reps"]] == ["Cat Wu"]  # no Zed: he has no team
    nothing = summary_json(compute_summary(book_engine, QUARTER, AS_OF, scope=[]))
    assert nothing["reps"] == [] and nothing["team"]["open_pipeline"] == 0.0


def test_without_since(book_engine):
    out = summary_json(compute_summary(book_engine, QUARTER, AS_OF))
    assert out["since"] is None and "movement" not in out
    assert all(r["rank_change"] is None for r in out["reps"])


def test_default_as_of_is_today_pinned(book_engine, monkeypatch):
    monkeypatch.setenv("TEAMCAR_TODAY", "2026-11-22")
    assert summary_json(compute_summary(book_engine, QUARTER))["as_of"] == "2026-11-22"
    monkeypatch.setenv("TEAMCAR_TODAY", "2027-03-01")
    assert summary_json(compute_summary(book_engine, QUARTER))["as_of"] == "2026-12-31"


def test_as_of_earlier_day_uses_that_days_snapshots(book_engine):
    # On 11-01 only the 11-01 salesforce and 10-30 hubspot snapshots count.
    out = summary_json(compute_summary(book_engine, QUARTER, SINCE))
    t = out["team"]
    # open in quarter then: A3 20k + A4 30k + B1 60k + B2 10k + X1 5k + P1 8k + C1 15k
    assert t["open_pipeline"] == 148000.0
    assert t["won"] == 30000.0  # A1
    assert t["pace"] == 32 / 92
    # B1 (close 10-31) and A3 (11-10)? Only B1 is before 11-01.
    assert t["past_due_deals"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quarter": "2026-Q9"}, "not a quarter"),
        ({"quarter": QUARTER, "as_of": "22/11/2026"}, "YYYY-MM-DD"),
        ({"quarter": QUARTER, "as_of": "2026-11-22", "since": "2026-11-22"}, "before"),
    ],
)
def test_bad_requests(book_engine, kwargs, message):
    with pytest.raises(SummaryError, match=message):
        compute_summary(book_engine, **kwargs)


def test_command_prints_one_json_object(book_engine, capsys):
    data = summary_command(QUARTER, "2026-11-22", "2026-11-01", None, True, engine=book_engine)
    printed = json.loads(capsys.readouterr().out)
    assert printed == data
    assert printed["movement"]["start"] == 148000.0


def test_command_prints_tables(book_engine):
    from rich.console import Console

    console = Console(record=True, width=220)
    summary_command(
        QUARTER, "2026-11-22", "2026-11-01", None, False, engine=book_engine, console=console
    )
    text = console.export_text()
    assert "Riders" in text and "Bob Ray" in text and "no quota" in text
    assert "148,000" in text and "105,000" in text and "created and won" in text


def test_sqlite_and_postgres_agree(book_engines):
    sqlite, postgres = book_engines
    for kwargs in ({}, {"since": SINCE}, {"team": "East", "since": SINCE}):
        a = summary_json(compute_summary(sqlite, QUARTER, AS_OF, **kwargs))
        b = summary_json(compute_summary(postgres, QUARTER, AS_OF, **kwargs))
        assert a == b


def test_identity_in_json(result):
    m = result["movement"]
    total = (
        m["start"]
        + m["created"]
        + m["pulled_in"]
        + m["increased"]
        - m["decreased"]
        - m["won"]
        - m["lost"]
        - m["pushed_out"]
        - m["removed"]
    )
    assert math.isclose(total, m["end"], abs_tol=0) or round(total, 2) == m["end"]


def test_names_with_markup_print_as_typed(book_engine):
    import dataclasses

    from rich.console import Console

    from dashboard.cli.summary import render_summary

    summary = compute_summary(book_engine, QUARTER, AS_OF, SINCE)
    odd = "Bob [/red] [bold]Ray"
    reps = summary.reps.rename(index={"Bob Ray": odd})
    reps["team"] = reps["team"].replace({"East": "East [/]"})
    console = Console(record=True, width=220)
    render_summary(dataclasses.replace(summary, reps=reps, scope=["East [/]"]), console)
    text = console.export_text()
    assert odd in text and "East [/]" in text
