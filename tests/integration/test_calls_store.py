"""Forecast calls and the manager hierarchy in the store, on SQLite and PostgreSQL.

The org of every test here (``ROSTER``, loaded as of 2026-10-01):

    Vic Vance (named only as a manager: a person with role Manager, no team)
    └── Dee Dunn (Director, no team)
        ├── Mia Park (Manager, East)
        │   ├── Ann Lee (AE, East)
        │   └── Bob Ray (AE, East) ─ until 2026-11-01; from then on he reports to Dan Cole,
        │                              staying in East (a manager change, not a team change)
        └── Dan Cole (Manager, West)
            ├── Cat Wu (AE, West)
            └── Eve Ito (AE, East until 2026-11-01, then West; Dan Cole throughout)

Four levels from Ann to Vic.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from dashboard.models.standings import compute_summary
from dashboard.reads.calls import CallError, load_calls, load_hierarchy, record_call
from loaders.ingest import load_file, store_frame
from loaders.store.engine import calls_version, data_version, get_engine, session_scope, upgrade
from loaders.store.models import (
    ForecastCall,
    ImportBatch,
    Quota,
    RejectedRow,
    Rep,
    RepAlias,
    ReportingLine,
    Team,
    TeamMembership,
)
from loaders.watch import Watcher
from tests.support import uploads
from tests.support.stores import make_store
from tests.support.uploads import post

OCT1 = dt.datetime(2026, 10, 1)
upload_app = uploads.app  # the upload route's fixtures (a copy of the demo store)
upload_store = uploads.store
ROSTER = """\
Rep,Team,Manager,Role,Start Date,Email,CRM User ID,Effective From
Ann Lee,East,Mia Park,AE,2024-01-08,ann@example.com,,
Bob Ray,East,Mia Park,AE,2024-01-08,bob@example.com,,
Bob Ray,East,Dan Cole,AE,2024-01-08,bob@example.com,,2026-11-01
Cat Wu,West,Dan Cole,AE,2024-01-08,cat@example.com,,
Eve Ito,East,Dan Cole,AE,2024-01-08,eve@example.com,,
Eve Ito,West,Dan Cole,AE,2024-01-08,eve@example.com,,2026-11-01
Mia Park,East,Dee Dunn,Manager,2020-01-06,mia@example.com,,
Dan Cole,West,Dee Dunn,Manager,2020-01-06,dan@example.com,,
Dee Dunn,,Vic Vance,Sales Director,2019-01-07,dee@example.com,,
"""
BEFORE = [
    ("Ann Lee", "Mia Park", "AE", "East"),
    ("Bob Ray", "Mia Park", "AE", "East"),
    ("Cat Wu", "Dan Cole", "AE", "West"),
    ("Dan Cole", "Dee Dunn", "Manager", "West"),
    ("Dee Dunn", "Vic Vance", "Director", None),
    ("Eve Ito", "Dan Cole", "AE", "East"),
    ("Mia Park", "Dee Dunn", "Manager", "East"),
    ("Vic Vance", None, "Manager", None),
]


def _write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def _load_roster(engine, folder: Path) -> None:
    out = load_file(_write(folder, "roster.csv", ROSTER), engine=engine, as_of=OCT1)
    assert out.status == "loaded" and out.rows_rejected == 0, out.message


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in frame.itertuples(index=False)]


def _version(engine) -> int:
    with session_scope(engine) as s:
        return data_version(s)


def _versions(engine) -> tuple[int, int]:
    """(data version, calls' version): a browser call moves the second only."""
    with session_scope(engine) as s:
        return data_version(s), calls_version(s)


def _count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


# --- hierarchy ------------------------------------------------------------------------------


def test_hierarchy_of_every_depth_with_effective_dated_lines(engine, tmp_path):
    _load_roster(engine, tmp_path)
    assert _rows(load_hierarchy(engine, None, dt.date(2026, 10, 31))) == BEFORE
    # From 2026-11-01 Bob reports to Dan (still in East) and Eve moved to West.
    after = [("Bob Ray", "Dan Cole", "AE", "East") if r[0] == "Bob Ray" else r for r in BEFORE]
    after = [("Eve Ito", "Dan Cole", "AE", "West") if r[0] == "Eve Ito" else r for r in after]
    assert _rows(load_hierarchy(engine, None, dt.date(2026, 11, 1))) == after
    # A scope keeps the people whose team on the day is in it; their manager is still named.
    assert _rows(load_hierarchy(engine, ["East"], dt.date(2026, 11, 15))) == [
        ("Ann Lee", "Mia Park", "AE", "East"),
        ("Bob Ray", "Dan Cole", "AE", "East"),
        ("Mia Park", "Dee Dunn", "Manager", "East"),
    ]
    assert _rows(load_hierarchy(engine, ["West"], dt.date(2026, 10, 15))) == [
        ("Cat Wu", "Dan Cole", "AE", "West"),
        ("Dan Cole", "Dee Dunn", "Manager", "West"),
    ]
    assert load_hierarchy(engine, [], dt.date(2026, 11, 15)).empty
    assert list(load_hierarchy(engine, [], dt.date(2026, 11, 15)).columns) == [
        "person",
        "manager",
        "role",
        "team",
    ]
    with session_scope(engine) as s:
        bob_periods = s.execute(
            select(TeamMembership.effective_from, TeamMembership.effective_to)
            .join(Rep, Rep.id == TeamMembership.rep_id)
            .where(Rep.name == "Bob Ray")
        ).all()
        vic = s.scalar(select(Rep).where(Rep.name == "Vic Vance"))
        vic_teams = s.scalar(
            select(func.count()).select_from(TeamMembership).where(TeamMembership.rep_id == vic.id)
        )
    # A manager change within a team does not split the team's membership period.
    assert bob_periods == [(dt.date(1900, 1, 1), None)]
    assert (vic.role, vic_teams) == ("Manager", 0)


def test_a_later_roster_moves_a_line_from_its_own_day(engine, tmp_path):
    """A roster of 2026-12-01 without Effective From puts Cat under Mia from that day on; the
    same file again changes nothing, and an empty Manager cell leaves Ann's line as it was."""
    _load_roster(engine, tmp_path)
    later = "Rep,Team,Manager,Role\nCat Wu,West,Mia Park,AE\nAnn Lee,East,,AE\n"
    path = _write(tmp_path, "roster_later.csv", later)
    assert load_file(path, engine=engine, as_of=dt.datetime(2026, 12, 1)).status == "loaded"
    nov30 = load_hierarchy(engine, None, dt.date(2026, 11, 30)).set_index("person")
    dec1 = load_hierarchy(engine, None, dt.date(2026, 12, 1)).set_index("person")
    assert nov30.loc["Cat Wu", "manager"] == "Dan Cole"
    assert dec1.loc["Cat Wu", "manager"] == "Mia Park"
    assert dec1.loc["Ann Lee", "manager"] == "Mia Park"
    with session_scope(engine) as s:
        lines = s.execute(
            select(ReportingLine.effective_from, ReportingLine.effective_to)
            .join(Rep, Rep.id == ReportingLine.rep_id)
            .where(Rep.name == "Cat Wu")
            .order_by(ReportingLine.effective_from)
        ).all()
    assert lines == [
        (dt.date(1900, 1, 1), dt.date(2026, 12, 1)),
        (dt.date(2026, 12, 1), None),
    ]


def _lines_of(engine, name: str) -> list[tuple]:
    boss = Rep.__table__.alias("boss")
    with session_scope(engine) as s:
        return s.execute(
            select(boss.c.name, ReportingLine.effective_from, ReportingLine.effective_to)
            .join(Rep, Rep.id == ReportingLine.rep_id)
            .join(boss, boss.c.id == ReportingLine.manager_id)
            .where(Rep.name == name)
            .order_by(ReportingLine.effective_from)
        ).all()


def test_lines_slot_in_and_an_edited_roster_changes_only_what_it_changes(engine, tmp_path):
    """The roster again, edited (Ann's e-mail) and loaded as of 2026-12-01: its undated Bob row is
    the period before his dated one, so his lines stay (and Eve's teams). A later file's row about
    the past (Bob under Dee from 2026-10-15) slots in between his two lines."""
    _load_roster(engine, tmp_path)
    bob = [
        ("Mia Park", dt.date(1900, 1, 1), dt.date(2026, 11, 1)),
        ("Dan Cole", dt.date(2026, 11, 1), None),
    ]
    assert _lines_of(engine, "Bob Ray") == bob
    edited = ROSTER.replace("ann@example.com", "ann.lee@example.com")
    path = _write(tmp_path, "roster_edited.csv", edited)
    again = load_file(path, engine=engine, as_of=dt.datetime(2026, 12, 1))
    assert again.status == "loaded" and again.warnings == []
    assert _lines_of(engine, "Bob Ray") == bob
    # the same holds for teams: Eve stays West (her undated East row is her time before)
    dec5 = load_hierarchy(engine, None, dt.date(2026, 12, 5)).set_index("person")
    assert (dec5.loc["Eve Ito", "team"], dec5.loc["Eve Ito", "manager"]) == ("West", "Dan Cole")
    past = "Rep,Team,Manager,Role,Effective From\nBob Ray,East,Dee Dunn,AE,2026-10-15\n"
    path = _write(tmp_path, "roster_past.csv", past)
    assert load_file(path, engine=engine, as_of=dt.datetime(2026, 12, 2)).status == "loaded"
    assert _lines_of(engine, "Bob Ray") == [
        ("Mia Park", dt.date(1900, 1, 1), dt.date(2026, 10, 15)),
        ("Dee Dunn", dt.date(2026, 10, 15), dt.date(2026, 11, 1)),
        ("Dan Cole", dt.date(2026, 11, 1), None),
    ]
    day = load_hierarchy(engine, None, dt.date(2026, 10, 20)).set_index("person")
    assert day.loc["Bob Ray", "manager"] == "Dee Dunn"


def test_a_person_not_yet_on_a_team_is_not_in_force(engine):
    """Fay's only membership starts on 2026-12-01: not in the hierarchy before that day."""
    store_frame(
        engine,
        "roster",
        pd.DataFrame(
            {
                "rep": ["Fay Oh"],
                "team": ["East"],
                "manager": ["Mia Park"],
                "role": ["AE"],
                "effective_from": ["2026-12-01"],
            }
        ),
        as_of=OCT1,
    )
    assert "Fay Oh" not in set(load_hierarchy(engine, None, dt.date(2026, 11, 30))["person"])
    dec = load_hierarchy(engine, None, dt.date(2026, 12, 1)).set_index("person")
    assert (dec.loc["Fay Oh", "manager"], dec.loc["Fay Oh", "team"]) == ("Mia Park", "East")


def test_chain_people_are_not_riders_unless_they_sell(engine, tmp_path):
    """No deals: the riders are the AEs with a team, plus Dee (Director) because she has a
    quota; Mia and Dan (Managers), Vic (named only as a manager) are not riders."""
    _load_roster(engine, tmp_path)
    store_frame(
        engine,
        "quota",
        pd.DataFrame({"rep": ["Dee Dunn"], "quarter": ["2026-Q4"], "quota": [1_000_000.0]}),
        as_of=OCT1,
    )
    summary = compute_summary(engine, "2026-Q4", as_of="2026-11-15")
    assert list(summary.riders["rep"]) == ["Ann Lee", "Bob Ray", "Cat Wu", "Dee Dunn", "Eve Ito"]


# --- calls: record and read under scope -----------------------------------------------------


def _call(engine, person, day, commit=100.0, best=150.0, scope=None, quarter="2026-Q4", **kw):
    return record_call(
        engine,
        person=person,
        quarter=quarter,
        commit=commit,
        best_case=best,
        note=kw.get("note"),
        author=kw.get("author", "Mia Park"),
        submitted=day,
        scope=scope,
    )


def test_record_call_keeps_every_call_and_bumps_the_calls_version(engine, tmp_path):
    _load_roster(engine, tmp_path)
    data, calls = _versions(engine)
    first = _call(engine, "Ann Lee", dt.date(2026, 11, 2), note="  two deals  ")
    second = _call(engine, "Ann Lee", dt.date(2026, 11, 2), commit=90.0, best=80.0)
    # the calls' version moves; the data version (the summary's cache key) does not
    assert second > first and _versions(engine) == (data, calls + 2)
    calls = load_calls(engine, None, "2026-Q4")
    assert list(calls.columns) == [
        "id",
        "person",
        "quarter",
        "submitted",
        "commit",
        "best_case",
        "note",
        "author",
        "created_at",
        "source",
    ]
    # the same day twice: both kept, in id order; a best case below commit is the caller's
    assert _rows(calls.drop(columns=["created_at"])) == [
        (first, "Ann Lee", "2026-Q4", pd.Timestamp("2026-11-02"), 100.0, 150.0, "two deals",
         "Mia Park", "browser"),
        (second, "Ann Lee", "2026-Q4", pd.Timestamp("2026-11-02"), 90.0, 80.0, None,
         "Mia Park", "browser"),
    ]  # fmt: skip
    assert str(calls["submitted"].dtype) == "datetime64[ns]"
    assert load_calls(engine, None, "2027-Q1").empty
    # the quarter may be written the other ways quota files write it
    assert len(load_calls(engine, None, "Q4 FY2026")) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quarter": "2026-Q5"}, "is not a quarter"),
        ({"quarter": "next"}, "is not a quarter"),
        ({"commit": -1.0}, "commit cannot be negative"),
        ({"best": float("inf")}, "best case must be an amount"),
        ({"commit": float("nan")}, "commit must be an amount"),
        ({"commit": "lots"}, "commit must be an amount"),
        ({"author": "  "}, "author is empty"),
        ({"person": "Nobody Known"}, "not on the roster"),
    ],
)
def test_record_call_refuses_a_bad_call_and_changes_nothing(engine, tmp_path, kwargs, message):
    _load_roster(engine, tmp_path)
    before = (_versions(engine), _count(engine, ForecastCall))
    args = {"person": "Ann Lee", "day": dt.date(2026, 11, 2), **kwargs}
    with pytest.raises(CallError, match=message):
        _call(engine, args.pop("person"), args.pop("day"), **args)
    assert (_versions(engine), _count(engine, ForecastCall)) == before


@pytest.mark.parametrize(
    ("person", "day", "scope", "allowed"),
    [
        ("Ann Lee", dt.date(2026, 11, 2), ["East"], True),
        ("Cat Wu", dt.date(2026, 11, 2), ["East"], False),  # forged: West's
        ("Eve Ito", dt.date(2026, 10, 20), ["East"], True),  # East until 2026-11-01
        ("Eve Ito", dt.date(2026, 11, 2), ["East"], False),  # West from then on
        ("Eve Ito", dt.date(2026, 11, 2), ["West"], True),
        ("Mia Park", dt.date(2026, 11, 2), ["East"], True),  # a manager in the team
        ("Dee Dunn", dt.date(2026, 11, 2), ["East", "West"], False),  # no team: scope None only
        ("Dee Dunn", dt.date(2026, 11, 2), None, True),
        ("Vic Vance", dt.date(2026, 11, 2), None, True),
        ("Ann Lee", dt.date(2026, 11, 2), [], False),
        ("Nobody Known", dt.date(2026, 11, 2), ["East"], False),
    ],
)
def test_record_call_is_scoped_by_the_team_on_the_day(
    engine, tmp_path, person, day, scope, allowed
):
    _load_roster(engine, tmp_path)
    before = (_versions(engine), _count(engine, ForecastCall))
    if allowed:
        new_id = _call(engine, person, day, scope=scope)
        assert list(load_calls(engine, None)["id"]) == [new_id]
        return
    with pytest.raises(CallError, match="not one of the people you may call for"):
        _call(engine, person, day, scope=scope)
    assert (_versions(engine), _count(engine, ForecastCall)) == before


def test_load_calls_shows_a_scope_its_people_calls(engine, tmp_path):
    """Eve was East's until 2026-11-01, then West's. East reads the call made while she was
    East's (10-20), not the one after; West reads both (her call in force may predate the move).
    Dee's call (no team) is read only with scope None."""
    _load_roster(engine, tmp_path)
    eve_oct = _call(engine, "Eve Ito", dt.date(2026, 10, 20))
    eve_nov = _call(engine, "Eve Ito", dt.date(2026, 11, 9), scope=["West"])
    ann = _call(engine, "Ann Lee", dt.date(2026, 11, 3), scope=["East"])
    dee = _call(engine, "Dee Dunn", dt.date(2026, 11, 4))
    assert list(load_calls(engine, None)["id"]) == [eve_oct, ann, dee, eve_nov]
    assert list(load_calls(engine, ["East"])["id"]) == [eve_oct, ann]
    assert list(load_calls(engine, ["West"])["id"]) == [eve_oct, eve_nov]
    assert list(load_calls(engine, ["East", "West"])["id"]) == [eve_oct, ann, eve_nov]
    assert load_calls(engine, []).empty
    assert load_calls(engine, ["North"]).empty


# --- calls from a file ----------------------------------------------------------------------

CALLS = """\
Person,Quarter,Submitted,Commit,Best Case,Note
Ann Lee,2026-Q4,2026-11-02,100000,150000,two renewals
bob@example.com,Q4 FY26,2026-11-02,"$80,000.00",90000,
Mia Park,2026-Q4,2026-11-03,300000,280000,team call
"""


def test_calls_file_loads_each_call_once(engine, tmp_path):
    """Bob is named by his e-mail; Mia's best case below her commit is kept (a warning); the
    author of a file's call is the person it names, its source the file."""
    _load_roster(engine, tmp_path)
    before = _version(engine)
    path = _write(tmp_path, "calls.csv", CALLS)
    out = load_file(path, engine=engine)
    assert (out.status, out.kind, out.format) == ("loaded", "calls", "calls")
    assert (out.rows_loaded, out.rows_rejected) == (3, 0)
    assert out.warnings == [
        "1 row: best case below commit (kept as written: it is the caller's number)"
    ]
    assert _version(engine) == before + 1
    calls = load_calls(engine, None)
    assert _rows(calls[["person", "submitted", "commit", "best_case", "note", "author", "source"]]) == [
        ("Ann Lee", pd.Timestamp("2026-11-02"), 100_000.0, 150_000.0, "two renewals", "Ann Lee", "file"),
        ("Bob Ray", pd.Timestamp("2026-11-02"), 80_000.0, 90_000.0, None, "Bob Ray", "file"),
        ("Mia Park", pd.Timestamp("2026-11-03"), 300_000.0, 280_000.0, "team call", "Mia Park", "file"),
    ]  # fmt: skip
    assert set(calls["quarter"]) == {"2026-Q4"}
    with session_scope(engine) as s:
        batches = set(s.scalars(select(ForecastCall.batch_id)))
    assert batches == {out.batch_id}
    # the same file again: unchanged, nothing added
    again = load_file(path, engine=engine)
    assert again.status == "unchanged" and _count(engine, ForecastCall) == 3
    assert _version(engine) == before + 1


def test_calls_file_rejects_bad_rows_with_line_column_and_reason(engine, tmp_path):
    _load_roster(engine, tmp_path)
    body = (
        "Rep,Period,Call Date,Commit,Upside,Notes,Called By\n"  # line 1: aliases
        "Ann Lee,2026-Q4,2026-11-02,100000,150000,,Mia Park\n"  # 2: kept, author given
        "Ann Lee,2026-Q5,2026-11-02,1,2,,\n"  # 3: no such quarter
        "Ann Lee,2026-Q4,someday,1,2,,\n"  # 4: unreadable date
        "Ann Lee,2026-Q4,2026-11-09,-5,2,,\n"  # 5: negative commit
        "Ann Lee,2026-Q4,2026-11-09,1,lots,,\n"  # 6: unreadable best case
        "Zed Nobody,2026-Q4,2026-11-09,1,2,,\n"  # 7: not on the roster
        "Ann Lee,,2026-11-09,1,2,,\n"  # 8: no quarter
        "Cat Wu,FY2026 Q4,2026-11-09,0,0,,\n"  # 9: kept (zero is a call)
    )
    out = load_file(_write(tmp_path, "calls_bad.csv", body), engine=engine)
    assert (out.status, out.rows_loaded, out.rows_rejected) == ("loaded", 2, 6)
    with session_scope(engine) as s:
        rejects = s.execute(
            select(RejectedRow.row_number, RejectedRow.column, RejectedRow.reason)
            .where(RejectedRow.batch_id == out.batch_id)
            .order_by(RejectedRow.row_number)
        ).all()
        batch = s.get(ImportBatch, out.batch_id)
    assert (batch.rows_loaded, batch.rows_rejected) == (2, 6)
    assert rejects == [
        (3, "Period", "Period '2026-Q5': expected a quarter like 2026-Q4 (or Q4 2026, Q4-FY26, FY2026 Q4)"),
        (4, "Call Date", "Call Date 'someday': expected a date such as YYYY-MM-DD (like 2026-11-20)"),
        (5, "Commit", "Commit '-5': a call cannot be negative"),
        (6, "Upside", "Upside 'lots': expected an amount like 1,234.00"),
        (7, "Person", "Person 'Zed Nobody': not on the roster (no rep, e-mail or CRM user id by that name); load the roster that names them first"),
        (8, "Period", "Period is empty: a quarter is required"),
    ]  # fmt: skip
    calls = load_calls(engine, None)
    assert _rows(calls[["person", "commit", "best_case", "author"]]) == [
        ("Ann Lee", 100_000.0, 150_000.0, "Mia Park"),
        ("Cat Wu", 0.0, 0.0, "Cat Wu"),
    ]


def test_calls_already_kept_are_not_added_twice(engine, tmp_path):
    """A second file repeats Ann's call (same person, quarter, day, amounts and note) and Bob's
    twice over, and adds Ann's next week: only the new call is added. A browser call identical to
    a row counts as kept too."""
    _load_roster(engine, tmp_path)
    assert load_file(_write(tmp_path, "calls.csv", CALLS), engine=engine).status == "loaded"
    _call(engine, "Cat Wu", dt.date(2026, 11, 4), commit=5.0, best=6.0, author="Cat Wu")
    body = (
        "Person,Quarter,Submitted,Commit,Best Case,Note\n"
        "Ann Lee,2026-Q4,2026-11-02,100000,150000,two renewals\n"
        "Bob Ray,2026-Q4,2026-11-02,80000,90000,\n"
        "Bob Ray,2026-Q4,2026-11-02,80000,90000,\n"
        "Cat Wu,2026-Q4,2026-11-04,5,6,\n"
        "Ann Lee,2026-Q4,2026-11-09,110000,150000,two renewals\n"
    )
    out = load_file(_write(tmp_path, "calls_week2.csv", body), engine=engine)
    assert (out.status, out.rows_loaded, out.rows_rejected) == ("loaded", 5, 0)
    assert (
        "4 calls already kept (same person, quarter, day, commit, best case and note): "
        "not added twice"
    ) in out.warnings
    calls = load_calls(engine, None)
    assert len(calls) == 5
    assert list(calls.loc[calls["person"] == "Ann Lee", "commit"]) == [100_000.0, 110_000.0]


def test_calls_file_before_the_roster_rejects_every_row(engine, tmp_path):
    """Without a roster every row names nobody: all rejected with their lines, no call kept; the
    batch records why, as any load with rejects does."""
    out = load_file(_write(tmp_path, "calls.csv", CALLS), engine=engine)
    assert (out.status, out.rows_loaded, out.rows_rejected) == ("loaded", 0, 3)
    assert _count(engine, ForecastCall) == 0
    with session_scope(engine) as s:
        lines = s.scalars(
            select(RejectedRow.row_number).where(RejectedRow.batch_id == out.batch_id)
        ).all()
    assert sorted(lines) == [2, 3, 4]


def test_watcher_loads_the_roster_before_the_calls_it_names(engine, tmp_path):
    """Dropped together, ``calls.csv`` sorts before ``roster.csv`` by name; the watcher loads
    the roster first (its calls would otherwise name nobody)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write(inbox, "calls.csv", CALLS)
    _write(inbox, "roster.csv", ROSTER)
    watcher = Watcher(inbox, settle=0.0, load=partial(load_file, engine=engine, as_of=OCT1))
    assert watcher.poll(now=0.0) == []  # first sight: not settled yet
    outcomes = watcher.poll(now=1.0)
    assert [(o.path.name, o.kind, o.rows_rejected) for o in outcomes] == [
        ("roster.csv", "roster", 0),
        ("calls.csv", "calls", 0),
    ]
    assert len(load_calls(engine, None)) == 3
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["calls.csv", "roster.csv"]


def test_a_calls_file_uploaded_in_the_browser_is_kept(upload_store, upload_app):
    """Through the upload route, on a copy of the demo store: a call for one of its reps."""
    engine, _ = upload_store
    day = dt.date(2026, 11, 16)
    person = load_hierarchy(engine, None, day).dropna(subset=["team"])["person"].iloc[0]
    body = f"Person,Quarter,Submitted,Commit,Best Case,Note\n{person},2026-Q4,{day},1000,2000,up\n"
    before = load_calls(engine, None)  # the demo carries its own calls
    resp = post(upload_app, body.encode(), "calls.csv")
    assert resp.status_code == 200, resp.json
    assert (resp.json["status"], resp.json["kind"]) == ("loaded", "calls")
    calls = load_calls(engine, None)
    added = calls[~calls["id"].isin(before["id"])]
    assert _rows(added[["person", "commit", "best_case", "note", "author", "source"]]) == [
        (person, 1000.0, 2000.0, "up", person, "file")
    ]


# --- migration ------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_upgrade_keeps_every_row_and_derives_the_lines(backend, tmp_path):
    """A store at revision 0004 holding a roster (written as that revision stored it: a manager
    name per rep, no lines), a quota and a batch. After the upgrade every row is still there,
    each stored manager is a line from the first membership day, a manager who was no rep
    (Vic) is a person with role Manager, and calls can be kept."""
    url, drop = make_store(backend, tmp_path, prefix="old", migrate=False)
    try:
        upgrade(url, "0004")
        engine = get_engine(url)
        with engine.begin() as conn:
            if backend == "postgres":  # rows below carry their ids: move the counter past them
                conn.execute(text("SELECT setval(pg_get_serial_sequence('reps', 'id'), 3)"))
            conn.execute(
                text(
                    "INSERT INTO import_batches (id, source_name, source, kind, format, "
                    "content_hash, as_of, rows_read, rows_loaded, rows_rejected, warnings, "
                    "status, loaded_at) VALUES (1, 'roster.csv', 'roster', 'roster', 'roster', "
                    "'h1', '2026-10-01 00:00:00', 3, 3, 0, '', 'loaded', '2026-10-01 00:00:00')"
                )
            )
            conn.execute(text("INSERT INTO teams (id, name) VALUES (1, 'East')"))
            conn.execute(
                text(
                    "INSERT INTO reps (id, name, role, manager) VALUES "
                    "(1, 'Ann Lee', 'AE', 'Mia Park'), (2, 'Mia Park', 'Manager', 'vic  vance'), "
                    "(3, 'Sam Se', 'SE', NULL)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO rep_aliases (alias, rep_id) VALUES "
                    "('ann lee', 1), ('mia park', 2), ('sam se', 3)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO team_memberships (id, rep_id, team_id, effective_from, batch_id)"
                    " VALUES (1, 1, 1, '1900-01-01', 1), (2, 2, 1, '1900-01-01', 1),"
                    " (3, 3, 1, '1900-01-01', 1)"
                )
            )
            conn.execute(
                text("INSERT INTO quotas (rep_id, quarter, amount) VALUES (1, '2026-Q4', 100.0)")
            )
        upgrade(url)
        assert _count(engine, ImportBatch) == 1 and _count(engine, Team) == 1
        assert _count(engine, TeamMembership) == 3 and _count(engine, Quota) == 1
        assert _count(engine, Rep) == 4 and _count(engine, RepAlias) == 4
        assert _rows(load_hierarchy(engine, None, dt.date(2026, 11, 2))) == [
            ("Ann Lee", "Mia Park", "AE", "East"),
            ("Mia Park", "vic vance", "Manager", "East"),
            ("Sam Se", None, "SE", "East"),
            ("vic vance", None, "Manager", None),
        ]
        call = _call(engine, "Ann Lee", dt.date(2026, 11, 2), scope=["East"])
        assert list(load_calls(engine, ["East"])["id"]) == [call]
    finally:
        drop()
