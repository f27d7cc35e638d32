"""The all-teams summary and forecast kept in the store per data version (``reads.kept``), on
SQLite and PostgreSQL with the hand-checked book.

A new process (the in-process cache emptied) reads them back without computing, equal to what was
computed; a newer data version never gets an older entry (and the older one is dropped); a
manager's view narrowed from a kept entry holds only their team's rows; two processes missing at
once compute once; a store without the table still answers.
"""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
from sqlalchemy import select, text

from dashboard.cli.summary import summary_json
from dashboard.models import forecast as fm
from dashboard.models import standings
from dashboard.reads import cache, kept
from loaders import schema
from loaders.ingest import store_frame
from loaders.store.engine import get_engine
from loaders.store.models import DerivedFrame
from tests.support.book import AS_OF, QUARTER, SINCE, seed_book
from tests.support.stores import seeded_store


@pytest.fixture(params=["sqlite", "postgres"])
def book(request, tmp_path):
    """Each test's own copy of the book (seeded once per process: ``seeded_store``)."""
    url, drop, _ = seeded_store(request.param, tmp_path, "book", seed_book)
    engine = get_engine(url)
    cache.clear_local()
    try:
        yield engine
    finally:
        cache.clear_local()
        drop()


def _names(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(DerivedFrame.name)).scalars())


def _no_compute(monkeypatch) -> None:
    def refuse(*_a, **_k):
        raise AssertionError("computed again instead of read from the store")

    monkeypatch.setattr(standings, "compute_summary", refuse)
    monkeypatch.setattr(fm, "compute_forecast", refuse)


def _same_summary(a: standings.Summary, b: standings.Summary) -> None:
    assert summary_json(a) == summary_json(b)
    assert a.team == b.team and a.waterfall == b.waterfall
    for name in ("reps", "flags", "movement", "rep_waterfalls", "riders", "quotas", "then"):
        left, right = getattr(a, name), getattr(b, name)
        if left is None:
            assert right is None
        else:
            pd.testing.assert_frame_equal(left, right, check_exact=True)


@pytest.mark.parametrize("since", [None, SINCE])
def test_a_new_process_reads_the_kept_summary(book, monkeypatch, since):
    first = standings.summary_for(book, QUARTER, AS_OF, since)
    assert any(n.startswith("summary@") for n in _names(book))
    cache.clear_local()  # as a new process starts
    _no_compute(monkeypatch)
    _same_summary(standings.summary_for(book, QUARTER, AS_OF, since), first)


def test_a_new_process_reads_the_kept_forecast(book, monkeypatch):
    first = fm.forecast_for(book, QUARTER, AS_OF)
    cache.clear_local()
    _no_compute(monkeypatch)
    again = fm.forecast_for(book, QUARTER, AS_OF)
    assert again.team == first.team
    for name in ("reps", "trend", "deals", "team_rates", "rep_rates", "people"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(first, name), check_exact=True)


def test_a_managers_view_from_a_kept_entry_holds_only_their_team(book, monkeypatch):
    standings.summary_for(book, QUARTER, AS_OF, SINCE)
    cache.clear_local()
    _no_compute(monkeypatch)
    east = standings.summary_for(book, QUARTER, AS_OF, SINCE, scope=["East"])
    assert set(east.reps["team"]) == {"East"}
    assert set(east.flags["team"]) == {"East"}
    assert set(east.movement["team"]) <= {"East"}
    with pytest.raises(standings.SummaryError, match="not among the teams"):
        standings.summary_for(book, QUARTER, AS_OF, SINCE, "West", scope=["East"])


def test_a_newer_data_version_never_gets_an_older_entry(book):
    before = standings.summary_for(book, QUARTER, AS_OF, SINCE)
    quota = before.reps.loc["Ann Lee", "quota"]
    store_frame(
        book,
        "quota",
        schema.conform(
            pd.DataFrame({"rep": ["Ann Lee"], "quarter": [QUARTER], "quota": [quota * 2]}), "quota"
        ),
        source="roster",
        as_of=dt.datetime.combine(AS_OF, dt.time(7)),
    )
    after = standings.summary_for(book, QUARTER, AS_OF, SINCE)
    assert after.reps.loc["Ann Lee", "quota"] == quota * 2
    cache.clear_local()
    assert standings.summary_for(book, QUARTER, AS_OF, SINCE).reps.loc["Ann Lee", "quota"] == (
        quota * 2
    )
    versions = {int(n.rsplit("@", 1)[1]) for n in _names(book) if n.startswith("summary@")}
    assert len(versions) == 1  # the older version's entry was dropped


def test_two_processes_missing_at_once_compute_once(book):
    calls, started = [], threading.Event()
    release = threading.Event()

    def slow():
        calls.append(1)
        started.set()
        release.wait(10)
        return {"answer": 42}

    results = []
    first = threading.Thread(target=lambda: results.append(kept.kept(book, "t", 1, (), slow)))
    first.start()
    started.wait(10)
    second = threading.Thread(target=lambda: results.append(kept.kept(book, "t", 1, (), slow)))
    second.start()
    release.set()
    first.join(20)
    second.join(20)
    assert results == [{"answer": 42}, {"answer": 42}]
    assert len(calls) == 1


def test_a_result_kept_just_after_a_miss_is_read_not_computed(book, monkeypatch):
    """The window the test above hits only now and then, every time: this process misses, the
    other keeps its result (dropping its claim) before this one claims. This one reads it."""
    read, calls = kept._read, []

    def compute():
        calls.append(1)
        return {"answer": 42}

    def miss_then_the_other_keeps(engine, key):
        monkeypatch.setattr(kept, "_read", read)
        data = read(engine, key)
        kept.kept(book, "t", 1, (), compute)  # the other process, finishing meanwhile
        return data

    monkeypatch.setattr(kept, "_read", miss_then_the_other_keeps)
    assert kept.kept(book, "t", 1, (), compute) == {"answer": 42}
    assert len(calls) == 1
    assert [n for n in _names(book) if n.startswith("claim:")] == []


def test_an_abandoned_claim_is_taken_over(book, monkeypatch):
    monkeypatch.setattr(kept, "CLAIM_SECONDS", 0.0)
    _, claim = kept._keys("t", 1, ((), kept.fingerprint(book)))
    with book.begin() as conn:
        conn.execute(
            DerivedFrame.__table__.insert().values(
                key=claim, name="claim:t@1", data=b"", created_at=dt.datetime(2000, 1, 1)
            )
        )
    assert kept.kept(book, "t", 1, (), lambda: [1, 2]) == [1, 2]


def test_a_store_without_the_table_still_answers(book):
    with book.begin() as conn:
        conn.execute(text("DROP TABLE derived_frames"))
    summary = standings.summary_for(book, QUARTER, AS_OF, SINCE)
    assert summary.reps.loc["Ann Lee", "quota"] > 0


def test_other_data_at_the_same_version_never_gets_the_entry(book):
    """A store that counts to the same data version with other data (restored from an older
    backup, then loaded again) does not match what was kept before."""
    from loaders.store.models import SCHEMA_VERSION_KEY, Meta

    before = standings.summary_for(book, QUARTER, AS_OF, SINCE)
    with book.connect() as conn:
        version = conn.execute(select(Meta.value).where(Meta.key == SCHEMA_VERSION_KEY)).scalar()
    quota = before.reps.loc["Ann Lee", "quota"]
    store_frame(
        book,
        "quota",
        schema.conform(
            pd.DataFrame({"rep": ["Ann Lee"], "quarter": [QUARTER], "quota": [quota * 3]}), "quota"
        ),
        source="roster",
        as_of=dt.datetime.combine(AS_OF, dt.time(7)),
    )
    with book.begin() as conn:  # the counter back where it was, the kept entry still there
        conn.execute(
            Meta.__table__.update().where(Meta.key == SCHEMA_VERSION_KEY), {"value": version}
        )
    cache.clear_local()
    assert standings.summary_for(book, QUARTER, AS_OF, SINCE).reps.loc["Ann Lee", "quota"] == (
        quota * 3
    )


def _no_course_build(monkeypatch) -> None:
    from dashboard.models import course as cm

    def refuse(*_a, **_k):
        raise AssertionError("built again instead of read from the store")

    monkeypatch.setattr(cm, "build_model", refuse)


def _state(**query):
    from dashboard import urls

    return urls.resolve(
        {"quarter": QUARTER, "as_of": AS_OF.isoformat(), "since": SINCE.isoformat(), **query}
    )


def test_a_new_process_reads_the_kept_course_model(book, monkeypatch):
    from dashboard.models import course as cm

    first = cm.course_model(book, _state(), None)
    assert any(n.startswith("course-model@") for n in _names(book))
    cache.clear_local()
    _no_compute(monkeypatch)
    _no_course_build(monkeypatch)
    again = cm.course_model(book, _state(), None)
    for name in ("lanes", "teams", "deals"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(first, name), check_exact=True)
    assert (again.quarter, again.as_of, again.since, again.pace) == (
        first.quarter,
        first.as_of,
        first.since,
        first.pace,
    )
    assert again.team == first.team and again.moved == first.moved
    assert (again.largest, again.landing_method) == (first.largest, first.landing_method)


def test_only_the_all_teams_course_model_is_kept(book, monkeypatch):
    """A manager's (or one team's) course is built from the all-teams summary narrowed on the
    server, never read from the kept all-teams model, and holds only their team's rows."""
    from dashboard.models import course as cm

    cm.course_model(book, _state(), None)
    cache.clear_local()
    east = cm.course_model(book, _state(), ["East"])
    one = cm.course_model(book, _state(team="East"), ["East", "West"])
    assert sum(n.startswith("course-model@") for n in _names(book)) == 1
    for model in (east, one):
        assert set(model.lanes["team"]) == {"East"}
        assert set(model.deals["team"]) == {"East"}
        assert set(model.teams["lane"]) == {"East"}
        assert "Cat Wu" not in set(model.lanes["lane"])


def test_the_kept_forecast_does_not_hold_the_summary_again(book, monkeypatch):
    """The all-teams forecast is kept without its summary (kept on its own); a narrowing reads
    that summary and equals the forecast computed for the scope."""
    everyone = fm.forecast_for(book, QUARTER, AS_OF)
    assert everyone.summary is None
    east = fm.compute_forecast(book, QUARTER, AS_OF, scope=["East"])
    cache.clear_local()
    _no_compute(monkeypatch)
    narrowed = fm.forecast_for(book, QUARTER, AS_OF, scope=["East"])
    assert narrowed.team == east.team
    for name in ("reps", "trend", "deals", "team_rates", "rep_rates", "people", "new"):
        pd.testing.assert_frame_equal(
            getattr(narrowed, name).reset_index(drop=True),
            getattr(east, name).reset_index(drop=True),
            check_exact=True,
        )
    assert set(narrowed.reps["team"]) == {"East"}
