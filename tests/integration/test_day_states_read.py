"""The day states' read (``queries.load_day_states``) gives exactly the rows its earlier form
gave, on SQLite and PostgreSQL, with and without a scope.

The earlier form tested ``(source, deal_id) IN (the other day's deals)`` inside an OR, which
PostgreSQL can only hash while the subquery fits in ``work_mem`` (bench/RESULTS-growth.md); the
read now outer-joins those deals as key sets. ``_or_in_rows`` below is that earlier statement,
kept here as the reference: the store is a seeded book with ownership transfers (across teams
and to an owner on no team), a rep changing teams, deals moving in and out of the quarter,
closing, disappearing and appearing, and a source with field history.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import and_, or_, select, tuple_

from dashboard.metrics.kpis import WIN_RATE_DAYS
from dashboard.reads import queries
from dashboard.reads.queries import S, _open_in_quarter, _owner_in_scope
from loaders.fiscal import parse_quarter
from loaders.ingest import store_frame
from loaders.store.engine import get_engine
from loaders.store.models import OpportunitySnapshot
from tests.support.book import frame
from tests.support.stores import make_store

Q = parse_quarter("2026-Q4", 1)
SINCE, AS_OF = dt.date(2026, 11, 1), dt.date(2026, 11, 22)
TEAMS = {"North": ["Nia", "Noor", "Ned"], "South": ["Sol", "Sam", "Sky"], "West": ["Wes"]}
REPS = [r for names in TEAMS.values() for r in names]
OWNERS = [*REPS, "Zed Out"]  # Zed is on no team: visible with scope None only
SF_DAYS = [dt.date(2026, 10, 25), SINCE, dt.date(2026, 11, 8), dt.date(2026, 11, 15), AS_OF]
HS_DAYS = [dt.date(2026, 10, 30), dt.date(2026, 11, 12), dt.date(2026, 11, 27)]


def _or_in_rows(day, batch_ids, others, history_sources, quarter, scope, team_day):
    """The statement ``load_day_states`` read with until the rewrite (the reference)."""
    other_ids = sorted({b for ids in others for b in ids})
    qs, qe = quarter.start, quarter.end
    wanted = or_(
        and_(S.close_date >= qs, S.close_date <= qe),
        and_(
            S.status.in_(("won", "lost")),
            S.close_date >= day - dt.timedelta(days=WIN_RATE_DAYS - 1),
            S.close_date <= day,
        ),
        S.source.in_(list(history_sources)),
    )
    visible = _owner_in_scope(S.owner_key, scope, team_day)
    if other_ids:
        other = OpportunitySnapshot.__table__.alias("other")
        wanted = or_(
            wanted,
            tuple_(S.source, S.deal_id).in_(
                select(other.c.source, other.c.deal_id).where(
                    other.c.batch_id.in_(other_ids), _open_in_quarter(other.c, qs, qe)
                )
            ),
        )
        if scope is not None:
            visible = or_(
                visible,
                tuple_(S.source, S.deal_id).in_(
                    select(other.c.source, other.c.deal_id).where(
                        other.c.batch_id.in_(other_ids),
                        _owner_in_scope(other.c.owner_key, scope, team_day),
                    )
                ),
            )
    cols = [
        S.source,
        S.deal_id,
        S.snapshot_date,
        *(getattr(S, c) for c in queries._SNAPSHOT_READ[3:]),
    ]
    return select(*cols).where(S.batch_id.in_(batch_ids), wanted, visible)


def _evolve(rng, deals: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """A week later: owners change (across teams, to Zed), close dates move in and out of the
    quarter, deals close, some disappear and new ones appear."""
    d = deals.copy()
    n = len(d)
    moved = rng.random(n) < 0.15
    d.loc[moved, "owner"] = rng.choice(OWNERS, moved.sum())
    shift = rng.random(n) < 0.2
    d.loc[shift, "close_date"] = d.loc[shift, "close_date"] + pd.to_timedelta(
        rng.choice([-60, -30, 30, 60, 90], shift.sum()), unit="D"
    )
    closing = (rng.random(n) < 0.1) & (d["status"] == "open")
    d.loc[closing, "status"] = rng.choice(["won", "lost"], closing.sum())
    d.loc[closing, "close_date"] = pd.Timestamp(day) - pd.Timedelta(days=2)
    d.loc[rng.random(n) < 0.1, "amount"] *= 1.5
    d = d[rng.random(n) >= 0.05]
    return pd.concat([d, _deals(rng, 8, f"{day:%m%d}-", day)], ignore_index=True)


def _deals(rng, n: int, prefix: str, day: dt.date) -> pd.DataFrame:
    close = pd.Timestamp("2026-11-15") + pd.to_timedelta(rng.integers(-200, 150, n), unit="D")
    status = rng.choice(["open", "open", "open", "won", "lost"], n)
    return pd.DataFrame(
        {
            "deal_id": [f"{prefix}{i:03d}" for i in range(n)],
            "owner": rng.choice(OWNERS, n),
            "status": status,
            "stage": np.where(
                status == "open", "Negotiation", np.where(status == "won", "Won", "Lost")
            ),
            "amount": rng.integers(1, 100, n) * 1000.0,
            "close_date": close.where(rng.random(n) > 0.03),  # a few without a close date
            "created_date": pd.Timestamp(day) - pd.Timedelta(days=3),
            "forecast_category": rng.choice(["pipeline", "best_case", "commit"], n),
        }
    )


def _pipeline(engine, deals: pd.DataFrame, source: str, day: dt.date) -> None:
    store_frame(
        engine,
        "pipeline",
        frame("pipeline", deals.assign(deal_name=deals["deal_id"]).to_dict("records")),
        source=source,
        as_of=dt.datetime.combine(day, dt.time(6)),
        source_name=f"{source}_{day}.csv",
    )


def seed_transfers(engine) -> None:
    """The book: seven reps in three teams (Sky moves South -> North on 11-10) and Zed on none;
    Salesforce snapshots weekly from 10-25 to 11-22; HubSpot snapshots 10-30, 11-12, 11-27 with
    field history reaching 11-27. Two deals by hand: XFER (North's Nia on 11-01, South's Sol on
    11-22, in the quarter both days) and PUSH (Nia's, in the quarter on 11-01, pushed to 2027 by
    11-22)."""
    rng = np.random.default_rng(14)
    roster = [
        dict(rep=r, team=t, role="AE", email=f"{r.lower()}@x.com", start_date="2024-01-01")
        for t, names in TEAMS.items()
        for r in names
    ]
    store_frame(
        engine,
        "roster",
        frame("roster", roster),
        source="roster",
        as_of=dt.datetime(2026, 1, 1),
        source_name="roster.csv",
    )
    store_frame(
        engine,
        "roster",
        frame("roster", [dict(rep="Sky", team="North", role="AE", effective_from="2026-11-10")]),
        source="roster",
        as_of=dt.datetime(2026, 11, 10),
        source_name="roster-move.csv",
    )
    deals = _deals(rng, 120, "SF", SF_DAYS[0])
    for day in SF_DAYS:
        hand = pd.DataFrame(
            [
                dict(
                    deal_id="XFER", owner="Nia" if day <= SINCE else "Sol", close_date="2026-12-10"
                ),
                dict(
                    deal_id="PUSH",
                    owner="Nia",
                    close_date="2026-12-10" if day <= SINCE else "2027-01-20",
                ),
            ]
        ).assign(status="open", stage="Negotiation", amount=5000.0, created_date="2026-09-01")
        hand["close_date"] = pd.to_datetime(hand["close_date"])
        hand["created_date"] = pd.to_datetime(hand["created_date"])
        _pipeline(engine, pd.concat([deals, hand], ignore_index=True), "salesforce", day)
        deals = _evolve(rng, deals, day)
    snaps = []
    deals = _deals(rng, 60, "HS", HS_DAYS[0])
    for day in HS_DAYS:
        _pipeline(engine, deals, "hubspot", day)
        snaps.append(deals)
        deals = _evolve(rng, deals, day)
    changes = []
    for before, after, day in zip(snaps, snaps[1:], HS_DAYS[1:], strict=False):
        both = before.merge(after, on="deal_id", suffixes=("_old", "_new"))
        at = pd.Timestamp(day) - pd.Timedelta(days=3, hours=-10)
        for field in ("owner", "close_date", "amount"):
            moved = both[both[f"{field}_old"].astype(str) != both[f"{field}_new"].astype(str)]
            for _, r in moved.iterrows():
                old, new = r[f"{field}_old"], r[f"{field}_new"]
                if field == "close_date":
                    old, new = (None if pd.isna(x) else f"{x:%Y-%m-%d}" for x in (old, new))
                changes.append(
                    dict(
                        deal_id=r["deal_id"],
                        changed_at=at,
                        field=field,
                        old_value=old,
                        new_value=new,
                    )
                )
    store_frame(
        engine,
        "history",
        frame(
            "history",
            [
                {
                    k: (None if v is None else str(v)) if k in ("old_value", "new_value") else v
                    for k, v in c.items()
                }
                for c in changes
            ],
        ),
        source="hubspot",
        as_of=dt.datetime.combine(HS_DAYS[-1], dt.time(6)),
        source_name="hs_history.csv",
    )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def transfers(request, tmp_path_factory):
    """The book above, stored once per module on each backend (tests only read it)."""
    url, drop = make_store(
        request.param, tmp_path_factory.mktemp(f"daystates-{request.param}"), prefix="daystates"
    )
    engine = get_engine(url)
    try:
        seed_transfers(engine)
        yield engine
    finally:
        drop()


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["source", "deal_id", "snapshot_date"]).reset_index(drop=True)


SCOPES = [None, [], ["North"], ["South", "West"], ["Nowhere"]]
DAYS = [
    [AS_OF],
    [SINCE, AS_OF],
    [dt.date(2026, 11, 5), dt.date(2026, 11, 18)],
    [SINCE, dt.date(2026, 11, 12), AS_OF],  # two other days: one join each, no row twice
    [dt.date(2026, 10, 20)],
]


@pytest.mark.parametrize("days", DAYS, ids=lambda d: "+".join(f"{x:%m%d}" for x in d))
@pytest.mark.parametrize("team_day", [None, dt.date(2026, 11, 5)], ids=["last-day", "11-05"])
def test_the_read_equals_the_or_in_read(transfers, monkeypatch, days, team_day):
    for scope in SCOPES:
        now = queries.load_day_states(transfers, scope, days, Q, team_day=team_day)
        with monkeypatch.context() as m:
            m.setattr(queries, "_day_rows", _or_in_rows)
            before = queries.load_day_states(transfers, scope, days, Q, team_day=team_day)
        assert list(now) == list(before)
        for day in days:
            assert list(now[day].columns) == list(before[day].columns)
            assert not now[day].duplicated(["source", "deal_id"]).any()
            pd.testing.assert_frame_equal(_sorted(now[day]), _sorted(before[day]))


def test_the_book_holds_what_the_read_must_find(transfers):
    """The cases the joined key sets are for, by hand: XFER left North (Nia -> Sol) and PUSH left
    the quarter between 11-01 and 11-22; each is still read on 11-22 for North's movement."""
    north = queries.load_day_states(transfers, ["North"], [SINCE, AS_OF], Q)
    now = north[AS_OF].set_index("deal_id")
    assert now.loc["XFER", "owner"] == "Sol"  # owned in scope on 11-01 only
    assert now.loc["PUSH", "close_date"] == pd.Timestamp("2027-01-20")  # in the quarter on 11-01
    alone = queries.load_day_states(transfers, ["North"], [AS_OF], Q)[AS_OF]
    assert not {"XFER", "PUSH"} & set(alone["deal_id"])
    assert set(north[SINCE]["source"]) == {"salesforce", "hubspot"}
    assert (north[AS_OF]["source"] == "hubspot").any()


def _subplans_on_snapshots(node: dict, inside: bool = False) -> list[str]:
    """Relations of ``opportunity_snapshots`` scanned inside a subplan of ``node``'s plan (JSON)."""
    inside = inside or "Subplan Name" in node
    found = (
        [node["Alias"]] if inside and node.get("Relation Name") == "opportunity_snapshots" else []
    )
    for child in node.get("Plans", []):
        found += _subplans_on_snapshots(child, inside)
    return found


@pytest.mark.parametrize("transfers", ["postgres"], indirect=True)
@pytest.mark.parametrize("scope", [None, ["North"]], ids=["all", "scoped"])
def test_the_other_days_deals_are_joined_not_a_subplan(transfers, scope):
    """On PostgreSQL the other day's deals are never a subplan over the snapshots, which runs
    once per row when its hash does not fit in ``work_mem`` (bench/RESULTS-growth.md): they are
    joined, whatever the memory. The earlier OR'd form, planned alike, has one."""
    from sqlalchemy import text

    batches = queries.pipeline_batches(transfers)
    hist = queries.history_sources(transfers)
    pick = queries.pick_snapshots(batches, AS_OF, hist)
    others = [sorted(queries.pick_snapshots(batches, SINCE, hist).base.values())]

    def subplans(build) -> list[str]:
        stmt = build(AS_OF, pick.batch_ids, others, list(hist), Q, scope, AS_OF)
        sql = stmt.compile(transfers, compile_kwargs={"render_postcompile": True})
        with transfers.connect() as conn:
            conn.execute(text("SET LOCAL work_mem = '64kB'"))
            plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(sql), sql.params)
            return _subplans_on_snapshots(plan.scalar_one()[0]["Plan"])

    assert subplans(queries._day_rows) == []
    assert "other" in subplans(_or_in_rows)
