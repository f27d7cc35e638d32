"""The aggregates pushed into SQL give what the row-level reads gave (SQLite and PostgreSQL).

``load_activity_week_counts`` sums a week in SQL for activity consistency; ``load_deal_touches``
reads each deal's last completed touch through one index seek. Both are checked against the
per-day counts and against the touches computed in pandas from the raw activity rows, on a store
holding the awkward cases: week boundaries, activities after the day, uncompleted ones, and one
owner off the roster spelled two ways.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from dashboard.metrics import attach_reps
from dashboard.metrics.readiness import WEEKS, activity_consistency
from dashboard.reads import queries
from loaders.fiscal import parse_quarter
from loaders.ingest import store_frame
from loaders.store.engine import get_engine
from loaders.store.models import Activity
from tests.support.book import QUARTER, frame, make_store

AS_OF = dt.date(2026, 11, 22)
Q = parse_quarter(QUARTER, 1)


def _activities() -> list[dict]:
    rows = []
    owners = ["Ann Lee", "Bob Ray", "Cat Wu", "Zed Q", "zed q", "ann@x.com"]
    # Every day from 60 days before AS_OF to 3 days after, a varying number per owner.
    for back in range(-3, 61):
        day = AS_OF - dt.timedelta(days=back)
        for k, owner in enumerate(owners):
            for j in range((back * 7 + k * 3) % 4):
                rows.append(
                    dict(
                        activity_id=f"T{back}-{k}-{j}",
                        owner=owner,
                        activity_date=day.isoformat(),
                        type=("call", "email", "meeting")[(back + j) % 3],
                        deal_id=f"D{(back + j) % 5}" if (back + k) % 3 else None,
                        completed=(back + j + k) % 7 != 0,
                    )
                )
    return rows


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def activity_engine(request, tmp_path_factory):
    url, drop = make_store(request.param, tmp_path_factory.mktemp(f"agg-{request.param}"))
    engine = get_engine(url)
    try:
        jan = dt.datetime(2026, 1, 1)
        store_frame(
            engine,
            "roster",
            frame(
                "roster",
                [
                    dict(
                        rep="Ann Lee",
                        email="ann@x.com",
                        team="East",
                        role="AE",
                        start_date="2024-01-01",
                    ),
                    dict(rep="Bob Ray", team="East", role="AE", start_date="2026-10-20"),
                    dict(rep="Cat Wu", team="West", role="AE", start_date="2024-01-01"),
                ],
            ),
            as_of=jan,
            source="roster",
            source_name="roster.csv",
        )
        deals = [
            dict(
                deal_id=f"D{i}",
                deal_name=f"D{i}",
                owner=o,
                status="open",
                close_date="2026-12-10",
                amount=1000.0,
                created_date="2026-09-01",
            )
            for i, o in enumerate(["Ann Lee", "Bob Ray", "Cat Wu", "Zed Q", "Ann Lee"])
        ]
        for day in (dt.datetime(2026, 10, 25), dt.datetime(2026, 11, 20)):
            store_frame(
                engine,
                "pipeline",
                frame("pipeline", deals),
                source="salesforce",
                as_of=day,
                source_name=f"sf_{day.date()}.csv",
            )
        store_frame(
            engine,
            "activity",
            frame("activity", _activities()),
            source="salesforce",
            as_of=dt.datetime(2026, 11, 25),
            source_name="tasks.csv",
        )
        yield engine
    finally:
        drop()


@pytest.mark.parametrize("scope", [None, ["East"], []])
@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2026, 11, 3)])
def test_week_counts_give_the_daily_counts_consistency(activity_engine, scope, as_of):
    reps, aliases = queries.load_reps(activity_engine, scope, as_of)
    first = as_of - dt.timedelta(days=7 * WEEKS - 1)
    daily = queries.load_activity_counts(activity_engine, scope, first, as_of, team_day=as_of)
    weekly = queries.load_activity_week_counts(activity_engine, scope, as_of, WEEKS, team_day=as_of)
    assert list(weekly.columns) == list(daily.columns)
    assert weekly["n"].sum() == daily["n"].sum()
    assert len(weekly) < len(daily) or daily.empty
    a, b = attach_reps(daily, aliases, reps), attach_reps(weekly, aliases, reps)
    riders = pd.concat(
        [
            reps[["rep", "team", "start_date"]],
            pd.DataFrame(
                {
                    "rep": sorted(set(a["rep"]) - set(reps["rep"])),
                    "team": None,
                    "start_date": pd.NaT,
                }
            ),
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(
        activity_consistency(riders, a, as_of), activity_consistency(riders, b, as_of)
    )
    week_of = (pd.Timestamp(as_of) - a["activity_date"]).dt.days // 7
    by_day = a.groupby([a["rep"], week_of])["n"].sum().sort_index()
    by_week = (
        b.groupby([b["rep"], (pd.Timestamp(as_of) - b["activity_date"]).dt.days // 7])["n"]
        .sum()
        .sort_index()
    )
    pd.testing.assert_series_equal(by_day, by_week, check_names=False)


@pytest.mark.parametrize("scope", [None, ["East"], ["East", "West"], []])
def test_counts_of_types_are_the_daily_counts(activity_engine, scope):
    """The Rider reads activity by type once and sums the types for its daily counts."""
    first = AS_OF - dt.timedelta(days=7 * WEEKS - 1)
    daily = queries.load_activity_counts(activity_engine, scope, first, AS_OF, team_day=AS_OF)
    by_type = queries.load_activity_by_type(activity_engine, scope, first, AS_OF)
    assert scope == [] or by_type.groupby(["owner_key", "activity_date"]).size().max() > 1
    got = queries.counts_of_types(by_type)
    assert list(got.columns) == list(daily.columns)
    pd.testing.assert_frame_equal(
        got.sort_values(["owner_key", "activity_date"]).reset_index(drop=True),
        daily.sort_values(["owner_key", "activity_date"]).reset_index(drop=True),
    )


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2026, 11, 3)])
def test_deal_touches_match_the_activity_rows(activity_engine, as_of):
    with activity_engine.connect() as conn:
        raw = pd.DataFrame(
            conn.execute(
                text("SELECT source, deal_id, activity_date, completed FROM activities")
            ).all(),
            columns=["source", "deal_id", "activity_date", "completed"],
        )
    raw["activity_date"] = pd.to_datetime(raw["activity_date"])
    done = raw[
        raw["completed"].astype(bool)
        & raw["deal_id"].notna()
        & (raw["activity_date"] <= pd.Timestamp(as_of))
    ]
    expected = done.groupby(["source", "deal_id"])["activity_date"].max()
    got = queries.load_deal_touches(activity_engine, None, as_of, Q)
    got = got.set_index(["source", "deal_id"])["last_touch"].sort_index()
    assert got.to_dict() == expected.to_dict()
    east = queries.load_deal_touches(activity_engine, ["East"], as_of, Q)
    assert set(east["deal_id"]) == {"D0", "D1", "D4"}


@pytest.mark.parametrize("scope", [["East"], ["East", "West"], None])
def test_a_small_scope_reads_the_same_rows_by_owner(activity_engine, scope, monkeypatch):
    """``_completed_for`` only changes how SQLite finds the rows: the counts of a scope of a few
    teams are the same with it as without it, and SQLite reads them by owner."""
    first = AS_OF - dt.timedelta(days=7 * WEEKS - 1)

    def reads():
        return (
            queries.load_activity_counts(activity_engine, scope, first, AS_OF, team_day=AS_OF),
            queries.load_activity_by_type(activity_engine, scope, first, AS_OF),
            queries.load_activity_week_counts(activity_engine, scope, AS_OF, WEEKS, AS_OF),
        )

    def ordered(f: pd.DataFrame) -> pd.DataFrame:
        return f.sort_values(list(f.columns)).reset_index(drop=True)

    steered = reads()
    monkeypatch.setattr(queries, "FEW_TEAMS", 0)  # never steered
    plain = reads()
    for a, b in zip(steered, plain, strict=True):
        assert not a.empty
        pd.testing.assert_frame_equal(ordered(a), ordered(b))
    monkeypatch.undo()
    if activity_engine.dialect.name == "sqlite":
        stmt = select(func.count()).where(
            queries._completed_for(activity_engine, scope),
            Activity.activity_date >= first,
            queries._owner_in_scope(Activity.owner_key, scope, AS_OF),
        )
        sql = str(stmt.compile(activity_engine, compile_kwargs={"literal_binds": True}))
        with activity_engine.connect() as conn:
            plan = " ".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        index = "ix_act_owner_date" if scope is not None else "ix_act_done_day"
        assert f"activities USING COVERING INDEX {index}" in plan or (
            f"activities USING INDEX {index}" in plan
        ), plan
