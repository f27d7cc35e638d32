"""The season's stage changes and stage catalog from frames kept per snapshot batch
(``dashboard.reads.stage_changes``) are the window function's and the GROUP BY's rows exactly
(``dashboard.reads.season``), on SQLite and PostgreSQL, with hand-made edge cases: a deal missing
from a snapshot, a stage emptied and filled again, spelling that differs only in spaces, a deal
whose first row has no stage, the same deal id in two sources, a snapshot replaced by a later
load of the same day; narrowed to a team's deals like the SQL scope; and once kept, no snapshot
row is read again."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics import season as ms
from dashboard.reads import season as rs
from dashboard.reads import stage_changes as sc
from loaders import schema
from loaders.ingest import store_frame
from loaders.store.engine import get_engine
from tests.support.stores import make_store

AS_OF = dt.date(2026, 11, 22)
DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 8), dt.date(2026, 11, 15), dt.date(2026, 11, 22)]
OWNERS = {"D1": "Ann Lee", "D2": "Ann Lee", "D3": "Cat Wu", "D4": "Cat Wu", "D5": "Ann Lee"}
# Stage per deal per snapshot day (crm); None = no stage in that row; absent = not in that file.
CRM = {
    "D1": ["Qualify", "Qualify", "Propose", "Closed Won"],
    "D2": ["Qualify", "absent", "Qualify", "Propose"],  # missing on 8 Nov: no entry on 15 Nov
    "D3": ["Qualify", None, "Qualify", "Qualify "],  # emptied, filled again; a trailing space
    "D4": [None, "Propose", "Propose", "Qualify"],  # no stage at first; a move back
    "D5": ["absent", "absent", "Propose", "Propose"],
}
# The same ids in another source, with their own stages.
HS = {"D1": ["appointment", "contract", "contract", "closedwon"]}
# The 8 Nov crm file loaded twice: the first is replaced (its D1 said Propose).
REPLACED = {"D1": "Propose"}


def _status(stage):
    return "won" if stage in ("Closed Won", "closedwon") else "open"


def _snapshot(stages: dict, k: int, owner_of=OWNERS) -> pd.DataFrame:
    rows = []
    for deal, per_day in stages.items():
        stage = per_day[k]
        if stage == "absent":
            continue
        rows.append(
            dict(
                deal_id=deal,
                deal_name=f"Deal {deal}",
                owner=owner_of[deal],
                status=_status(stage),
                amount=1000.0,
                close_date="2026-12-15",
                created_date="2026-10-20",
                stage=stage,
                stage_order={"Qualify": 1, "Propose": 2, "Closed Won": 3}.get(stage),
                probability=0.5,
                forecast_category="pipeline",
            )
        )
    return schema.conform(pd.DataFrame(rows), "pipeline")


def _seed(engine) -> None:
    jan = dt.datetime(2026, 1, 1)
    roster = [
        dict(rep="Ann Lee", email="ann@x.com", team="East", role="AE", start_date="2024-01-01"),
        dict(rep="Cat Wu", email="cat@x.com", team="West", role="AE", start_date="2024-01-01"),
    ]
    store_frame(
        engine,
        "roster",
        schema.conform(pd.DataFrame(roster), "roster"),
        as_of=jan,
        source="roster",
        source_name="roster.csv",
    )
    for k, day in enumerate(DAYS):
        at = dt.datetime.combine(day, dt.time(6))
        if k == 1:
            first = {d: list(v) for d, v in CRM.items()}
            first["D1"][1] = REPLACED["D1"]
            store_frame(engine, "pipeline", _snapshot(first, k), source="crm", as_of=at)
        store_frame(engine, "pipeline", _snapshot(CRM, k), source="crm", as_of=at)
        hs = _snapshot(HS, k, {"D1": "Cat Wu"})
        store_frame(engine, "pipeline", hs, source="hubspot", as_of=at + dt.timedelta(hours=1))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, tmp_path):
    url, drop = make_store(request.param, tmp_path, prefix="teamcar_stagekept")
    engine = get_engine(url)
    _seed(engine)
    try:
        yield engine
    finally:
        drop()


def _window(engine, scope):
    rows = rs.load_snapshot_stage_changes(engine, scope, AS_OF)
    return rows.sort_values(["source", "deal_id", "snapshot_date"]).reset_index(drop=True)


def _kept(engine, scope):
    deals = rs.load_year_deals(engine, scope, AS_OF)[["source", "deal_id"]]
    return sc.snapshot_stage_changes(engine, AS_OF, deals)


def test_the_kept_pairs_give_the_window_functions_rows(engine):
    for scope in (None, ["East"], ["West"], []):
        pd.testing.assert_frame_equal(_kept(engine, scope), _window(engine, scope))
    rows = _kept(engine, None)
    got = {
        (s, d): [
            (str(t.date())[5:], g) for t, g in zip(r["snapshot_date"], r["stage"], strict=True)
        ]
        for (s, d), r in rows.groupby(["source", "deal_id"])
    }
    n = [str(day)[5:] for day in DAYS]
    # By hand: each deal's first row, then each row whose stage differs from its previous row's
    # (the replaced 8 Nov file's "Propose" for D1 is gone with it).
    assert got[("crm", "D1")] == [(n[0], "Qualify"), (n[2], "Propose"), (n[3], "Closed Won")]
    assert got[("crm", "D2")] == [(n[0], "Qualify"), (n[3], "Propose")]
    # 8 Nov has no stage (left out: NaN); 15 Nov follows a row without one; 22 Nov differs by a
    # space (the entries strip it: no new entry there).
    assert got[("crm", "D3")] == [(n[0], "Qualify"), (n[2], "Qualify"), (n[3], "Qualify ")]
    assert got[("crm", "D4")][0][0] == n[0] and pd.isna(got[("crm", "D4")][0][1])
    assert got[("crm", "D4")][1:] == [(n[1], "Propose"), (n[3], "Qualify")]
    assert got[("crm", "D5")] == [(n[2], "Propose")]
    assert got[("hubspot", "D1")] == [
        (n[0], "appointment"),
        (n[1], "contract"),
        (n[3], "closedwon"),
    ]
    entries = ms.entries_from_snapshots(rows)
    # D3: one entry (Qualify on its created day); the rest as listed, none for D4's empty row.
    assert entries.groupby(["source", "deal_id"]).size().to_dict() == {
        ("crm", "D1"): 3,
        ("crm", "D2"): 2,
        ("crm", "D3"): 1,
        ("crm", "D4"): 2,
        ("crm", "D5"): 1,
        ("hubspot", "D1"): 3,
    }


def _group_by(engine, day):
    """The GROUP BY's rows: in key order on SQLite as read (a sort there), sorted here for
    PostgreSQL (its hash aggregate gives them in no set order)."""
    rows = rs.load_stage_catalog(engine, day)
    if engine.dialect.name != "sqlite":
        rows = rows.sort_values(["source", "stage", "status"])
    return rows.reset_index(drop=True)


def test_the_catalog_is_the_group_bys(engine):
    got = sc.stage_catalog(engine, AS_OF)
    pd.testing.assert_frame_equal(got, _group_by(engine, AS_OF))
    # Qualify and "Qualify " are two names here (the season strips them later); no row for None
    assert got[got["source"] == "crm"]["stage"].tolist() == [
        "Closed Won",
        "Propose",
        "Qualify",
        "Qualify ",
    ]
    # the smallest order seen, over every live snapshot up to the day
    assert got.set_index(["source", "stage"]).loc[("crm", "Propose"), "stage_order"] == 2.0
    early = sc.stage_catalog(engine, DAYS[0])
    pd.testing.assert_frame_equal(early, _group_by(engine, DAYS[0]))


def test_once_kept_no_snapshot_row_is_read_again(engine, monkeypatch):
    first = (_kept(engine, ["East"]), sc.stage_catalog(engine, AS_OF))
    monkeypatch.setattr(sc, "_pair_rows", lambda *a: pytest.fail("a snapshot pair was read"))
    monkeypatch.setattr(sc, "_batch_catalog", lambda *a: pytest.fail("a batch was read"))
    pd.testing.assert_frame_equal(_kept(engine, ["East"]), first[0])
    pd.testing.assert_frame_equal(sc.stage_catalog(engine, AS_OF), first[1])
    # an earlier day reads a prefix of the same pairs
    deals = rs.load_year_deals(engine, None, DAYS[2])[["source", "deal_id"]]
    pd.testing.assert_frame_equal(
        sc.snapshot_stage_changes(engine, DAYS[2], deals),
        rs.load_snapshot_stage_changes(engine, None, DAYS[2])
        .sort_values(["source", "deal_id", "snapshot_date"])
        .reset_index(drop=True),
    )


def test_since_the_window_opens_on_the_last_snapshot_before_it(engine):
    """With ``since`` (the 4 weeks of sitting in): the same rows as the window function over the
    snapshots from the last one before ``since``, for the deals whose stage moved from then."""
    for since in (dt.date(2026, 11, 10), DAYS[2], DAYS[0], dt.date(2026, 10, 1), AS_OF):
        for scope in (None, ["East"]):
            deals = None if scope is None else rs.load_year_deals(engine, scope, AS_OF)
            got = sc.snapshot_stage_changes(engine, AS_OF, deals, since=since)
            want = rs.load_snapshot_stage_changes(engine, scope, AS_OF, since=since)
            want = want.sort_values(["source", "deal_id", "snapshot_date"]).reset_index(drop=True)
            pd.testing.assert_frame_equal(got, want, obj=f"since {since}, scope {scope}")
        cat = rs.load_stage_catalog(engine, AS_OF, since)
        if engine.dialect.name != "sqlite":
            cat = cat.sort_values(["source", "stage", "status"])
        pd.testing.assert_frame_equal(
            sc.stage_catalog(engine, AS_OF, since), cat.reset_index(drop=True)
        )
    # By hand, since 10 Nov (the window opens on the 8 Nov snapshot): D1 moved on 15 and 22 Nov,
    # D2 on 22 Nov, D3 on 22 Nov ("Qualify " is another text than "Qualify" in the store; the
    # entries strip it later), D4 on 22 Nov (back to Qualify); D5 first shows on 15 Nov and never
    # moves: not listed; hubspot D1 moved on 22 Nov. Each listed deal comes with its 8 Nov row
    # (D2 has none: it missed that snapshot, so its 15 Nov row opens its window).
    got = sc.snapshot_stage_changes(engine, AS_OF, None, since=dt.date(2026, 11, 10))
    rows = {
        (s, d): [
            (str(t.date())[5:], None if pd.isna(g) else g)
            for t, g in zip(r["snapshot_date"], r["stage"], strict=True)
        ]
        for (s, d), r in got.groupby(["source", "deal_id"])
    }
    assert rows == {
        ("crm", "D1"): [("11-08", "Qualify"), ("11-15", "Propose"), ("11-22", "Closed Won")],
        ("crm", "D2"): [("11-15", "Qualify"), ("11-22", "Propose")],
        ("crm", "D3"): [("11-08", None), ("11-15", "Qualify"), ("11-22", "Qualify ")],
        ("crm", "D4"): [("11-08", "Propose"), ("11-22", "Qualify")],
        ("hubspot", "D1"): [("11-08", "contract"), ("11-22", "closedwon")],
    }
