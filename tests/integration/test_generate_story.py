"""A generated year tells a true story: the app's own engine finds a real sales team in it.

``teamcar generate --reps 24 --weeks 56`` (seed 7, today 2026-11-22, with calls) writes weekly
snapshots from 2025-11-02 (week 5 of 2025-Q4) to today, in the middle of 2026-Q4. The roster,
quotas and every pipeline snapshot are loaded into SQLite (the activity files are left out: no
promise below reads them, and they are most of the load's time), then measured with
``dashboard.models.standings.compute_summary`` and the read layer, as a page would.

What a sales manager would believe, and so what the generator promises (docs/metrics.md for
each figure):

* coverage in the first week of a quarter is about 3x: between 2x and 4.5x;
* the team's win rate over a year is that of a real team: 18 % to 37 %;
* forecast categories mean something: of the open in-quarter deals at week 6 of an ended quarter,
  Commit closes won in the quarter far more often than Best Case, and Best Case more than
  Pipeline, in every quarter; over the four quarters about 70-85 % / 35-50 % / 10-20 %
  (checked with some room: 65-90 % / 25-55 % / 5-25 %, Commit at least 20 points above Best
  Case, Best Case at least 10 above Pipeline);
* an ended quarter lands near quota for the team (75 % to 115 %), its reps spread around it
  (most between 40 % and 150 %, some under 80 % and some over 120 %) and at most one at zero;
* deals slip (one at least twice), some are pulled in, and some new business is created and
  won within the quarter;
* the calls: most people call most weeks and some skip; the reps the generator made
  sandbaggers call under what they end up winning, its over-callers over; a manager calls the
  roll-up of their reports with an adjustment of their own.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from dashboard.metrics import push_counts
from dashboard.models.standings import compute_summary
from dashboard.reads import queries
from loaders.config import load_config
from loaders.fiscal import parse_quarter
from loaders.generate import GenerateParams, generate
from loaders.ingest import load_file
from loaders.store.engine import get_engine, upgrade

TODAY = dt.date(2026, 11, 22)
PARAMS = GenerateParams(reps=24, weeks=56, today=TODAY, seed=7, calls=True)
CURRENT = parse_quarter("2026-Q4")
# Ended quarters whose week 6 has a snapshot (all four), and those whose week 1 has one too.
ENDED = [parse_quarter(q) for q in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")]
STARTED_IN_WINDOW = ENDED[1:]


@dataclasses.dataclass
class Story:
    engine: object
    exports: Path


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    root = tmp_path_factory.mktemp("story")
    exports = root / "exports"
    generate(exports, PARAMS)
    url = f"sqlite:///{root / 'story.db'}"
    upgrade(url)
    engine = get_engine(url)
    config = dataclasses.replace(load_config(), database_url=url, data_dir=root)
    snapshots = sorted(exports.glob("salesforce_opportunities_*.csv")) + sorted(
        exports.glob("hubspot_deals_*.csv")
    )
    assert len(snapshots) == 2 * 56
    for path in [exports / "roster.csv", exports / "quotas.csv", *snapshots]:
        outcome = load_file(path, engine=engine, config=config)
        assert outcome.status == "loaded", outcome.message
        assert outcome.rows_rejected == 0, (path.name, outcome.warnings)
    yield Story(engine, exports)
    engine.dispose()


def _week_end(quarter, week: int) -> dt.date:
    """Last day of week ``week`` of ``quarter`` (docs/metrics.md: week 1 starts on day one)."""
    return quarter.start + dt.timedelta(days=7 * week - 1)


@pytest.mark.parametrize("quarter", [*STARTED_IN_WINDOW, CURRENT], ids=lambda q: q.name)
def test_coverage_is_about_three_times_in_a_quarters_first_week(story, quarter):
    team = compute_summary(story.engine, quarter, _week_end(quarter, 1)).team
    assert 2.0 <= team["coverage"] <= 4.5


def test_win_rate_is_a_real_teams(story):
    team = compute_summary(story.engine, CURRENT, TODAY).team
    assert 0.18 <= team["win_rate"] <= 0.37


def test_forecast_category_predicts_the_outcome(story):
    won, seen = defaultdict(int), defaultdict(int)
    for quarter in ENDED:
        week6 = compute_summary(story.engine, quarter, _week_end(quarter, 6)).flags
        final = compute_summary(story.engine, quarter, TODAY).flags
        closed_won = set(
            map(tuple, final.loc[final["won_in_quarter"], ["source", "deal_id"]].values)
        )
        open_deals = week6[week6["open_in_quarter"]]
        share = {}
        for category in ("commit", "best_case", "pipeline"):
            deals = open_deals[open_deals["forecast_category"] == category]
            keys = list(map(tuple, deals[["source", "deal_id"]].values))
            hits = sum(k in closed_won for k in keys)
            won[category] += hits
            seen[category] += len(keys)
            share[category] = hits / len(keys)
        assert share["commit"] > share["best_case"] > share["pipeline"], (quarter.name, share)
    rate = {c: won[c] / seen[c] for c in seen}
    assert 0.65 <= rate["commit"] <= 0.90, rate
    assert 0.25 <= rate["best_case"] <= 0.55, rate
    assert 0.05 <= rate["pipeline"] <= 0.25, rate
    assert rate["commit"] - rate["best_case"] >= 0.20, rate
    assert rate["best_case"] - rate["pipeline"] >= 0.10, rate


@pytest.mark.parametrize("quarter", ENDED, ids=lambda q: q.name)
def test_an_ended_quarter_lands_near_quota_with_reps_spread_around_it(story, quarter):
    summary = compute_summary(story.engine, quarter, quarter.end)
    assert 0.75 <= summary.team["attainment"] <= 1.15
    reps = summary.reps[~summary.reps["no_quota"].astype(bool)]
    attainment = reps["attainment"].astype(float)
    assert len(attainment) >= 20
    assert (attainment == 0).sum() <= 1
    assert attainment.between(0.4, 1.5).mean() >= 0.75
    assert attainment.min() < 0.8 and attainment.max() > 1.2


def test_deals_slip_and_are_pulled_in_and_new_business_closes_within_the_quarter(story):
    snaps, history = queries.load_close_date_changes(story.engine, None, TODAY)
    pushes = push_counts(snaps, history, TODAY)
    assert (pushes["push_count"] >= 2).sum() >= 1
    assert (pushes["push_count"] >= 1).mean() > 0.1
    # Pulled in: between two snapshots a close date came into a quarter from a later one.
    moves = snaps.sort_values(["source", "deal_id", "snapshot_date"], kind="stable")
    before = moves.groupby(["source", "deal_id"])["close_date"].shift()
    pulled = moves.assign(before=before).dropna(subset=["before"])
    for quarter in STARTED_IN_WINDOW:
        start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
        into = pulled[pulled["close_date"].between(start, end) & (pulled["before"] > end)]
        assert len(into) > 0, quarter.name
        summary = compute_summary(story.engine, quarter, quarter.end, _week_end(quarter, 1))
        assert summary.waterfall["pushed_out"] > 0, quarter.name
        assert summary.waterfall["won_new"] > 0, quarter.name


# -- calls --------------------------------------------------------------------------------------


def _calls(exports: Path) -> list[dict]:
    with (exports / "calls.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["Submitted"] = dt.date.fromisoformat(r["Submitted"])
        r["Commit"], r["Best Case"] = float(r["Commit"]), float(r["Best Case"])
    return rows


def _roster(exports: Path) -> list[dict]:
    with (exports / "roster.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_calls_file_loads_whole(story, tmp_path):
    config = dataclasses.replace(load_config(), data_dir=tmp_path)
    outcome = load_file(story.exports / "calls.csv", engine=story.engine, config=config)
    assert outcome.status == "loaded", outcome.message
    assert outcome.rows_rejected == 0 and outcome.rows_loaded == len(_calls(story.exports))


def test_most_people_call_most_weeks_and_some_skip(story):
    calls = _calls(story.exports)
    roles = {r["Rep"]: r["Role"] for r in _roster(story.exports)}
    assert {roles[c["Person"]] for c in calls} == {"AE", "Manager", "Director", "VP"}
    quarter = ENDED[-1]  # 2026-Q3: 14 weeks, every one in the window
    weeks = {}
    for c in calls:
        if c["Quarter"] == quarter.name:
            week = (c["Submitted"] - quarter.start).days // 7
            weeks.setdefault(c["Person"], set()).add(week)
    share = [len(w) / 14 for person, w in weeks.items() if roles[person] == "AE"]
    assert len(share) >= 20
    assert sum(s >= 0.7 for s in share) >= 0.75 * len(share)
    assert sum(s < 1 for s in share) >= 3


def test_sandbaggers_call_under_and_over_callers_over_what_they_win(story):
    truth = json.loads((story.exports / "_truth" / "calls.json").read_text(encoding="utf-8"))
    style = {p["person"]: p["style"] for p in truth["people"] if p["role"] == "AE"}
    assert {"sandbagger", "over-caller", "honest"} == set(style.values())
    errors = defaultdict(list)
    for quarter in STARTED_IN_WINDOW:
        won = compute_summary(story.engine, quarter, TODAY).reps["won"]
        for c in _calls(story.exports):
            first_half = c["Submitted"] <= _week_end(quarter, 7)
            if c["Quarter"] == quarter.name and first_half and won.get(c["Person"], 0) > 0:
                errors[c["Person"]].append(c["Commit"] / won[c["Person"]] - 1)
    bias = {p: sum(e) / len(e) for p, e in errors.items() if p in style}
    sandbaggers = [b for p, b in bias.items() if style[p] == "sandbagger"]
    over_callers = [b for p, b in bias.items() if style[p] == "over-caller"]
    assert sandbaggers and all(b < -0.1 for b in sandbaggers), sandbaggers
    assert over_callers and all(b > 0.1 for b in over_callers), over_callers


def test_a_manager_calls_the_roll_up_of_their_reports_with_an_adjustment(story):
    calls = _calls(story.exports)
    roster = _roster(story.exports)
    managers = {r["Rep"] for r in roster if r["Role"] == "Manager"}
    quarter = ENDED[-1]
    adjustments = []
    for c in calls:
        if c["Person"] not in managers or c["Quarter"] != quarter.name:
            continue
        # The reports that day (a re-org row counts from its Effective From) and their calls in
        # force then (every rep calls in their first week).
        line = {}
        for r in roster:
            since = r["Effective From"]
            if r["Role"] == "AE" and (not since or dt.date.fromisoformat(since) <= c["Submitted"]):
                line[r["Rep"]] = r["Manager"]
        reports = {rep for rep, manager in line.items() if manager == c["Person"]}
        latest = {}
        for r in calls:
            mine = r["Person"] in reports and r["Quarter"] == quarter.name
            if mine and r["Submitted"] <= c["Submitted"]:
                latest[r["Person"]] = r["Commit"]
        adjustments.append(c["Commit"] / sum(latest.values()) - 1)
    assert len(adjustments) >= 20
    assert all(-0.3 < a < 0.3 for a in adjustments)
    assert any(abs(a) > 0.01 for a in adjustments)
