"""The demo-data generator: shapes, determinism, the story, and that every file tells the same story.

Unit tier: no browser, no database. Files are written at the default (small) size into a temporary
folder once per module and read back with the csv module, as an outsider would.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders.formats.salesforce.ids import salesforce_id18
from loaders.generate import GenerateParams, generate
from loaders.generate.calendar import FiscalCalendar
from loaders.generate.text import sf_ids

TODAY = dt.date(2026, 11, 22)
Q_START, Q_END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
FORMATS = Path(__file__).resolve().parents[2] / "FORMATS.md"
EXPERT_ROLES = {"SE", "Manager", "Director", "VP"}


# -- reading the files back -------------------------------------------------------------------


def _rows(path: Path, encoding: str = "utf-8") -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file; a Salesforce report's footer (after a blank line) is cut."""
    text = path.read_bytes().decode(encoding)
    text = text.removeprefix("\ufeff")
    table = text.split("\n\n", 1)[0]
    reader = csv.reader(io.StringIO(table))
    header = next(reader)
    return header, [dict(zip(header, r, strict=True)) for r in reader if r]


def _mdy(text: str) -> dt.date | None:
    if not text:
        return None
    m, d, y = (int(x) for x in text.split("/"))
    return dt.date(y, m, d)


def _iso(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def _date_in_name(path: Path) -> dt.date:
    return dt.date.fromisoformat(re.search(r"\d{4}-\d{2}-\d{2}", path.name).group())


def _snapshot(path: Path) -> pd.DataFrame:
    """A Salesforce report or HubSpot deals file as one frame with the fields the log records."""
    _, rows = _rows(path)
    if path.name.startswith("salesforce"):
        return pd.DataFrame(
            {
                "deal_id": [r["Opportunity ID"] for r in rows],
                "owner": [r["Opportunity Owner"] for r in rows],
                "stage": [r["Stage"] for r in rows],
                "amount": [float(r["Amount"].replace(",", "")) for r in rows],
                "close_date": [_mdy(r["Close Date"]) for r in rows],
                "created": [_mdy(r["Created Date"]) for r in rows],
                "probability": [float(r["Probability (%)"]) / 100 for r in rows],
                "forecast_category": [r["Forecast Category"] for r in rows],
                "next_step": [r["Next Step"] for r in rows],
                "last_activity": [_mdy(r["Last Activity"]) for r in rows],
            }
        )
    return pd.DataFrame(
        {
            "deal_id": [r["Record ID"] for r in rows],
            "owner": [r["Deal owner"] for r in rows],
            "stage": [r["Deal Stage"] for r in rows],
            "amount": [float(r["Amount"]) for r in rows],
            "close_date": [_iso(r["Close Date"]) for r in rows],
            "created": [_iso(r["Create Date"]) for r in rows],
            "probability": [float(r["Deal probability"]) for r in rows],
            "forecast_category": [r["Forecast category"] for r in rows],
            "next_step": [r["Next step"] for r in rows],
            "last_activity": [_iso(r["Last Activity Date"]) for r in rows],
            "team": [r["HubSpot Team"] for r in rows],
        }
    )


def _replay(log: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The state of every deal in the CRM at the end of ``day``, from the event log alone."""
    upto = log[log["date"] <= day]
    gone = set(upto.loc[upto["field"] == "deleted", "deal_id"])
    state = (
        upto[upto["field"] != "deleted"]
        .groupby(["deal_id", "field"], sort=False)["new_value"]
        .last()
        .unstack("field")
    )
    state = state[~state.index.isin(gone)]
    return pd.DataFrame(
        {
            "owner": state["owner"],
            "stage": state["stage"],
            "amount": state["amount"].astype(float),
            "close_date": state["close_date"].map(dt.date.fromisoformat),
            "probability": state["probability"].astype(float),
            "forecast_category": state["forecast_category"],
        }
    )


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    generate(folder, GenerateParams(today=TODAY, seed=7))
    return folder


@pytest.fixture(scope="module")
def log(out) -> pd.DataFrame:
    return _read_log(out)


@pytest.fixture(scope="module")
def roster(out) -> list[dict[str, str]]:
    return _rows(out / "roster.csv")[1]


def _changes(log: pd.DataFrame, field: str) -> pd.DataFrame:
    """Changes of ``field`` after creation (the initial value has an empty old value)."""
    return log[(log["field"] == field) & (log["old_value"] != "")]


# -- API and shapes ---------------------------------------------------------------------------


def test_summary_counts_what_was_written(out, tmp_path):
    summary = generate(tmp_path, GenerateParams(today=TODAY, seed=7))
    assert summary.deals > 0 and summary.activities > 0
    on_disk = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == set(summary.files)
    assert summary.bytes_written == sum((tmp_path / f).stat().st_size for f in on_disk)
    for name, rows in summary.files.items():
        if name.endswith(".csv"):
            assert (
                len(
                    _rows(
                        tmp_path / name,
                        "iso-8859-1" if "_tasks_" in name or "_events_" in name else "utf-8",
                    )[1]
                )
                == rows
            ), name


def test_same_seed_same_bytes_other_seed_other_story(out, tmp_path):
    again = tmp_path / "again"
    generate(again, GenerateParams(today=TODAY, seed=7))
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for f in files:
        assert (out / f).read_bytes() == (again / f).read_bytes(), f
    other = tmp_path / "other"
    generate(other, GenerateParams(today=TODAY, seed=8))
    assert (other / "roster.csv").read_bytes() != (out / "roster.csv").read_bytes()


def test_a_rerun_replaces_the_files_of_an_earlier_run(tmp_path):
    generate(tmp_path, GenerateParams(reps=8, deals_per_rep=3, weeks=2, today=TODAY))
    (tmp_path / "notes.txt").write_text("mine")
    generate(tmp_path, GenerateParams(reps=8, deals_per_rep=3, weeks=2, today=TODAY.replace(day=1)))
    names = {p.name for p in tmp_path.iterdir()}
    assert "salesforce_opportunities_2026-11-22.csv" not in names
    assert {"salesforce_opportunities_2026-11-01.csv", "notes.txt"} <= names


def _formats_headers() -> dict[str, list[str]]:
    """File name pattern -> header, read from FORMATS.md's table (the contract)."""
    headers = {}
    for line in FORMATS.read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if len(cells) < 3 or "`" not in cells[1]:
            continue
        name = re.search(r"`([^`]+)`", cells[1]).group(1)
        header = next(s for s in re.findall(r"`([^`]+)`", cells[2]) if "," in s)
        headers["events.csv" if name == "_truth/" else name] = header.split(",")
    return headers


def test_every_file_has_the_formats_md_header(out, tmp_path):
    headers = _formats_headers()
    assert len(headers) == 12
    # calls.csv is written only when asked for (--calls): a small set with it, beside the default.
    generate(tmp_path, GenerateParams(reps=8, deals_per_rep=3, weeks=2, today=TODAY, calls=True))
    seen = set()
    for path in sorted([*out.rglob("*.csv"), tmp_path / "calls.csv"]):
        key = re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", path.name)
        encoding = (
            "iso-8859-1" if key.startswith(("salesforce_tasks", "salesforce_events")) else "utf-8"
        )
        assert _rows(path, encoding)[0] == headers[key], path.name
        seen.add(key)
    assert seen == set(headers)


def test_encodings_quoting_and_report_footer(out):
    report = (out / "salesforce_opportunities_2026-11-22.csv").read_bytes()
    assert report.startswith(b'\xef\xbb\xbf"Opportunity Owner",')
    assert report.endswith(
        b'\n\n"Confidential Information - Do Not Distribute"\n'
        b'"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
    )
    tasks = b"".join(p.read_bytes() for p in out.glob("salesforce_tasks_*.csv"))
    with pytest.raises(UnicodeDecodeError):  # Latin-1 accents are there, and are not UTF-8
        tasks.decode("utf-8")
    for line in tasks.decode("iso-8859-1").splitlines()[:50]:
        assert line.startswith('"') and line.endswith('"') and '","' in line
    assert "Ã" not in tasks.decode("iso-8859-1")  # no UTF-8 bytes read as Latin-1 (mojibake)


@pytest.mark.parametrize(
    "path_glob, column, pattern",
    [
        ("salesforce_opportunities_*", "Amount", r"^\d{1,3}(,\d{3})*\.\d\d$"),
        ("salesforce_opportunities_*", "Close Date", r"^\d{1,2}/\d{1,2}/\d{4}$"),
        ("salesforce_opportunities_*", "Amount Currency", r"^USD$"),
        ("salesforce_opportunities_*", "Fiscal Period", r"^Q[1-4]-\d{4}$"),
        ("salesforce_opportunities_*", "Opportunity ID", r"^006[0-9A-Za-z]{15}$"),
        ("hubspot_deals_*", "Close Date", r"^\d{4}-\d\d-\d\d \d\d:\d\d$"),
        ("hubspot_deals_*", "Amount", r"^\d+$"),
        ("hubspot_deals_*", "Deal probability", r"^(0(\.\d+)?|1)$"),
        ("hubspot_deals_*", "Is Closed Won", r"^(true|false)$"),
        ("salesforce_tasks_*", "ActivityDate", r"^\d{4}-\d\d-\d\d 00:00:00$"),
        ("salesforce_tasks_*", "TaskSubtype", r"^(Call|Email|Task)$"),
        ("salesforce_tasks_*", "WhatId", r"^(006[0-9A-Za-z]{15}|000000000000000AAA)$"),
        ("salesforce_events_*", "ActivityDateTime", r"^\d{4}-\d\d-\d\d \d\d:\d\d:00$"),
        ("hubspot_calls_*", "Call duration (HH:mm:ss)", r"^\d\d:\d\d:\d\d$"),
        (
            "hubspot_meetings_*",
            "Meeting outcome",
            r"^(Scheduled|Completed|Rescheduled|No show|Canceled)$",
        ),
        ("enablement.csv", "Due Date", r"^(\d{1,2}/\d{1,2}/\d{4})?$"),
        ("enablement.csv", "Score (%)", r"^(\d{1,2}|100)?$"),
        ("quotas.csv", "Quarter", r"^\d{4}-Q[1-4]$"),
        ("quotas.csv", "Quota", r"^\d+$"),
    ],
)
def test_value_formats(out, path_glob, column, pattern):
    paths = sorted(out.glob(path_glob))
    assert paths
    for path in paths:
        enc = (
            "iso-8859-1"
            if path.name.startswith(("salesforce_tasks", "salesforce_events"))
            else "utf-8"
        )
        values = [r[column] for r in _rows(path, enc)[1]]
        bad = [v for v in values if not re.match(pattern, v)]
        assert not bad, (path.name, bad[:5])


def test_salesforce_ids_carry_their_checksum():
    ids = sf_ids("006", np.arange(0, 5_000_000, 4999)).to_pylist()
    assert all(salesforce_id18(i[:15]) == i for i in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "start_month, day, name, start, end",
    [
        (1, dt.date(2026, 11, 22), "2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (2, dt.date(2026, 11, 22), "2027-Q4", dt.date(2026, 11, 1), dt.date(2027, 1, 31)),
        (2, dt.date(2026, 1, 31), "2026-Q4", dt.date(2025, 11, 1), dt.date(2026, 1, 31)),
        (7, dt.date(2026, 1, 15), "2026-Q3", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (12, dt.date(2025, 12, 1), "2026-Q1", dt.date(2025, 12, 1), dt.date(2026, 2, 28)),
    ],
)
def test_fiscal_quarters(start_month, day, name, start, end):
    cal = FiscalCalendar(start_month)
    q = cal.index(day)
    assert (cal.name(q), cal.start(q), cal.end(q)) == (name, start, end)


def test_fiscal_year_start_moves_the_quarter(tmp_path):
    generate(
        tmp_path,
        GenerateParams(reps=8, deals_per_rep=4, weeks=2, today=TODAY, fiscal_year_start_month=2),
    )
    quarters = {r["Quarter"] for r in _rows(tmp_path / "quotas.csv")[1]}
    assert "2027-Q4" in quarters and "2027-Q1" in quarters
    periods = {
        r["Fiscal Period"] for r in _rows(tmp_path / "salesforce_opportunities_2026-11-22.csv")[1]
    }
    assert "Q4-2027" in periods


# -- the files agree with each other and with the log -----------------------------------------


def _read_log(folder: Path) -> pd.DataFrame:
    df = pd.read_csv(folder / "_truth" / "events.csv", dtype=str, keep_default_na=False)
    df["date"] = df["date"].map(dt.date.fromisoformat)
    return df


def _assert_snapshots_are_the_log_replayed(folder: Path, log: pd.DataFrame) -> int:
    """Every snapshot file holds exactly the deals the log has in its CRM that day, in their state."""
    snapshots = [
        *folder.glob("salesforce_opportunities_*.csv"),
        *folder.glob("hubspot_deals_*.csv"),
    ]
    source_of = log.groupby("deal_id")["source"].first()
    created = log[log["field"] == "created"].set_index("deal_id")["date"]
    cols = ["owner", "stage", "amount", "close_date", "probability", "forecast_category"]
    for path in snapshots:
        file = _snapshot(path).set_index("deal_id")
        file["stage"] = file["stage"].str.strip()
        truth = _replay(log, _date_in_name(path))
        truth = truth[source_of[truth.index].to_numpy() == path.name.split("_")[0]]
        assert sorted(file.index) == sorted(truth.index), path.name
        pd.testing.assert_frame_equal(
            file.loc[truth.index, cols], truth[cols], check_names=False, obj=path.name
        )
        assert (file["created"] == created[file.index]).all(), path.name
    return len(snapshots)


def test_every_snapshot_is_the_log_replayed_to_its_date(out, log):
    assert _assert_snapshots_are_the_log_replayed(out, log) == 26


@pytest.mark.parametrize(
    "params",
    [
        GenerateParams(reps=1, deals_per_rep=1, weeks=1, today=dt.date(2026, 10, 1)),
        GenerateParams(reps=3, deals_per_rep=2, weeks=2, today=dt.date(2026, 12, 31)),
        GenerateParams(
            reps=17, deals_per_rep=5, weeks=20, today=dt.date(2026, 1, 1), fiscal_year_start_month=7
        ),
    ],
    ids=["first-day-one-rep", "last-day", "july-fiscal-year"],
)
def test_edge_sizes_and_days_still_tell_one_story(tmp_path, params):
    generate(tmp_path, params)
    n_sources = 2 if params.reps > 16 else 1
    log = _read_log(tmp_path)
    assert _assert_snapshots_are_the_log_replayed(tmp_path, log) == params.weeks * n_sources


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    sample = FORMATS.parent / "data" / "sample"
    generate(tmp_path, GenerateParams(today=TODAY, seed=7, calls=True))
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        str(p.relative_to(sample))
        for p in sample.rglob("*")
        if p.is_file() and p.name != "README.md"
    )
    assert written == committed, "regenerate data/sample (see its README)"
    for name in written:
        assert (tmp_path / name).read_bytes() == (sample / name).read_bytes(), (
            f"{name} differs: regenerate data/sample (see its README)"
        )


def _activities(out: Path) -> pd.DataFrame:
    """Every activity of every file: file date, day, owner name, deal id, completed, expert or not."""
    roster_rows = _rows(out / "roster.csv")[1]
    by_sf_id = {r["CRM User ID"]: r["Rep"] for r in roster_rows}
    records = []
    for path in sorted(out.glob("*_*_????-??-??.csv")):
        kind = path.name.rsplit("_", 1)[0]
        if kind in ("salesforce_opportunities", "hubspot_deals"):
            continue
        file_day = _date_in_name(path)
        enc = "iso-8859-1" if kind.startswith("salesforce") else "utf-8"
        for r in _rows(path, enc)[1]:
            if kind.startswith("salesforce"):
                deal = "" if r["WhatId"] == "000000000000000AAA" else r["WhatId"]
                owner = by_sf_id[r["OwnerId"]]
                done = kind == "salesforce_events" or r["Status"] == "Completed"
            else:
                deal, owner = r["Associated Deal IDs"], r["Activity assigned to"]
                done = kind != "hubspot_meetings" or r["Meeting outcome"] == "Completed"
            when = r.get("ActivityDate") or r["Activity date"]
            records.append((kind, file_day, _iso(when), owner, deal, done))
    return pd.DataFrame(
        records, columns=["kind", "file_day", "day", "owner", "deal_id", "completed"]
    )


@pytest.fixture(scope="module")
def acts(out) -> pd.DataFrame:
    return _activities(out)


def test_activities_fall_in_their_week_and_touch_only_live_deals_of_their_owner(acts, log, roster):
    assert (
        (acts["day"] <= acts["file_day"]) & (acts["day"] > acts["file_day"] - dt.timedelta(days=7))
    ).all()
    role = {r["Rep"]: r["Role"] for r in roster}
    linked = acts[acts["deal_id"] != ""]
    created = log[log["field"] == "created"].set_index("deal_id")["date"]
    deleted = log[log["field"] == "deleted"].set_index("deal_id")["date"]
    assert linked["deal_id"].isin(created.index).all()
    assert (linked["day"].to_numpy() >= created[linked["deal_id"]].to_numpy()).all()
    gone = linked[linked["deal_id"].isin(deleted.index)]
    assert (gone["day"].to_numpy() < deleted[gone["deal_id"]].to_numpy()).all()
    # The deal's owner on the activity's day, from the log.
    owners = log[log["field"] == "owner"].assign(on=lambda df: pd.to_datetime(df["date"]))
    linked = pd.merge_asof(
        linked.assign(on=pd.to_datetime(linked["day"])).sort_values("on"),
        owners.sort_values("on")[["on", "deal_id", "new_value"]],
        on="on",
        by="deal_id",
        allow_exact_matches=True,
    )
    by_rep = linked["owner"].map(role) == "AE"
    assert (linked.loc[by_rep, "owner"] == linked.loc[by_rep, "new_value"]).all()
    assert linked.loc[~by_rep, "owner"].map(role).isin(EXPERT_ROLES).all()
    assert by_rep.mean() > 0.8


def test_last_activity_is_the_latest_completed_activity(out, acts):
    done = acts[acts["completed"] & (acts["deal_id"] != "")]
    window_start = TODAY - dt.timedelta(days=7 * 13 - 1)
    checked = 0
    for path in [*out.glob("salesforce_opportunities_*.csv"), *out.glob("hubspot_deals_*.csv")]:
        day = _date_in_name(path)
        latest = done[done["day"] <= day].groupby("deal_id")["day"].max()
        snap = _snapshot(path).set_index("deal_id")
        have = snap.index.intersection(latest.index)
        assert (snap.loc[have, "last_activity"] == latest[have]).all(), path.name
        before = snap["last_activity"].dropna()
        assert (before[~before.index.isin(latest.index)] < window_start).all(), path.name
        checked += len(have)
    assert checked > 1000


# -- the story --------------------------------------------------------------------------------


def test_close_dates_are_pushed_sometimes_repeatedly_and_pulled_in(log):
    moves = _changes(log, "close_date")
    later = moves["new_value"] > moves["old_value"]  # ISO dates compare as text
    pushes = moves[later].groupby("deal_id").size()
    assert (pushes >= 2).sum() >= 5
    assert (~later).sum() >= 5


def test_pushed_out_pulled_in_created_and_deleted_within_the_weeks(out, log):
    first = _snapshot(out / "salesforce_opportunities_2026-08-30.csv").set_index("deal_id")
    last = _snapshot(out / "salesforce_opportunities_2026-11-22.csv").set_index("deal_id")
    prev = _snapshot(out / "salesforce_opportunities_2026-10-04.csv").set_index("deal_id")
    open_stage = ~last["stage"].str.startswith("Closed")
    in_q = (last["close_date"] >= Q_START) & (last["close_date"] <= Q_END)
    prev_in_q = prev[
        (prev["close_date"] >= Q_START)
        & (prev["close_date"] <= Q_END)
        & ~prev["stage"].str.startswith("Closed")
    ]
    both = prev_in_q.index.intersection(last.index)
    pushed_out = last.loc[both][open_stage[both] & (last.loc[both, "close_date"] > Q_END)]
    assert len(pushed_out) >= 2
    pulled_in = last[
        open_stage & in_q & last.index.isin(prev.index) & ~last.index.isin(prev_in_q.index)
    ]
    assert len(pulled_in) >= 2
    created_since = last[~last.index.isin(first.index)]
    assert len(created_since) >= 10 and (created_since["created"] > dt.date(2026, 8, 30)).all()
    deleted = set(log.loc[log["field"] == "deleted", "deal_id"])
    vanished = set(first.index) - set(last.index)
    assert vanished and vanished <= deleted


def test_a_year_of_closed_history_in_every_snapshot(out):
    for path in out.glob("*_2026-08-30.csv"):
        if "opportunities" not in path.name and "deals" not in path.name:
            continue
        snap = _snapshot(path)
        closed = snap[snap["stage"].str.strip().isin(["Closed Won", "Closed Lost"])]
        quarters = {(d.year, (d.month - 1) // 3) for d in closed["close_date"]}
        assert {(2025, 3), (2026, 0), (2026, 1)} <= quarters, path.name
        assert {"Closed Won", "Closed Lost"} <= set(closed["stage"])


def test_owner_changes_unassigned_deals_and_hubspot_quirks(out, log):
    handed = _changes(log, "owner")
    assert (handed["old_value"] != handed["new_value"]).all()
    assert len(handed) >= 3
    hubspot = _snapshot(out / "hubspot_deals_2026-11-22.csv")
    open_hs = hubspot[~hubspot["stage"].str.strip().str.startswith("Closed")]
    assert (open_hs["owner"] == "").sum() >= 2
    assert (hubspot.loc[hubspot["owner"] == "", "team"] == "").all()
    assert any(s != s.strip() for s in hubspot["stage"])
    assert any(s == s.strip() for s in open_hs["stage"])


def test_forecast_category_follows_stage_with_some_exceptions(out):
    snap = _snapshot(out / "salesforce_opportunities_2026-11-22.csv")
    late = snap[snap["stage"] == "Negotiation/Review"]
    assert (late["forecast_category"] == "Commit").mean() > 0.6
    assert (late["forecast_category"] == "Best Case").any()
    assert set(snap.loc[snap["stage"] == "Closed Won", "forecast_category"]) == {"Closed"}
    assert set(snap.loc[snap["stage"] == "Closed Lost", "forecast_category"]) == {"Omitted"}
    assert set(snap.loc[snap["stage"] == "Prospecting", "probability"]) >= {0.1}


def test_next_step_blank_on_some_open_deals(out):
    snap = _snapshot(out / "salesforce_opportunities_2026-11-22.csv")
    open_deals = snap[~snap["stage"].str.startswith("Closed")]
    blank = (open_deals["next_step"] == "").mean()
    assert 0.05 < blank < 0.4


def test_some_open_deals_are_stale(out, acts):
    recent = acts[acts["day"] > TODAY - dt.timedelta(days=14)]
    snap = _snapshot(out / "salesforce_opportunities_2026-11-22.csv")
    open_in_q = snap[~snap["stage"].str.startswith("Closed") & (snap["close_date"] <= Q_END)]
    stale = open_in_q[~open_in_q["deal_id"].isin(recent["deal_id"])]
    old_touch = stale["last_activity"].map(lambda d: d is None or d < TODAY - dt.timedelta(days=21))
    assert old_touch.sum() >= 3
    assert len(stale) < 0.5 * len(open_in_q)


def test_experts_join_meetings_on_deals(acts, roster):
    role = {r["Rep"]: r["Role"] for r in roster}
    meetings = acts[acts["kind"].isin(["salesforce_events", "hubspot_meetings"])]
    expert = meetings[meetings["owner"].map(role).isin(EXPERT_ROLES)]
    assert (expert["deal_id"] != "").all()
    assert set(expert["owner"].map(role)) == EXPERT_ROLES
    assert {"salesforce_events", "hubspot_meetings"} <= set(expert["kind"])
    # Each expert meeting sits beside the rep's own meeting on the same deal that day.
    rep_meetings = set(zip(meetings["deal_id"], meetings["day"], strict=True)) - set(
        zip(expert["deal_id"], expert["day"], strict=True)
    )
    assert set(zip(expert["deal_id"], expert["day"], strict=True)) <= rep_meetings | set(
        zip(
            meetings.loc[meetings["owner"].map(role) == "AE", "deal_id"],
            meetings.loc[meetings["owner"].map(role) == "AE", "day"],
            strict=True,
        )
    )


def test_roster_teams_roles_and_a_reorg(roster):
    aes = [r for r in roster if r["Role"] == "AE"]
    assert len({r["Rep"] for r in aes}) == 24
    teams = {r["Team"] for r in aes}
    assert len(teams) == 3
    # The chain: AEs and SEs report to their team's manager, managers to a director, directors
    # to the one VP; the VP and the directors have no team.
    by_name = {r["Rep"]: r for r in roster}
    assert [r["Role"] for r in roster].count("VP") == 1
    assert [r["Role"] for r in roster].count("Director") == 2
    assert [r["Role"] for r in roster].count("Manager") == 3
    for r in roster:
        boss = by_name.get(r["Manager"], {}).get("Role")
        want = {"AE": "Manager", "SE": "Manager", "Manager": "Director", "Director": "VP"}
        assert boss == want.get(r["Role"]), r
        if r["Role"] in ("AE", "SE"):
            assert by_name[r["Manager"]]["Team"] == r["Team"]
        assert (r["Team"] == "") == (r["Role"] in ("VP", "Director"))
    counts = defaultdict(list)
    for r in roster:
        counts[r["Rep"]].append(r)
    moved = [rows for rows in counts.values() if len(rows) == 2]
    assert 1 <= len(moved) <= 2
    for old, new in moved:
        assert old["Effective From"] == "" and old["Team"] != new["Team"]
        assert Q_START <= dt.date.fromisoformat(new["Effective From"]) <= TODAY
    # Salesforce people carry an 18-character user id, HubSpot people their email.
    hs = [r for r in roster if r["CRM User ID"] == r["Email"]]
    sf = [r for r in roster if re.match(r"^005[0-9A-Za-z]{15}$", r["CRM User ID"])]
    assert len(hs) + len(sf) == len(roster) and hs and sf


def test_ramping_reps_start_recently_and_carry_less_quota(out, roster):
    quotas = {(r["Rep"], r["Quarter"]): float(r["Quota"]) for r in _rows(out / "quotas.csv")[1]}
    starts = {r["Rep"]: dt.date.fromisoformat(r["Start Date"]) for r in roster if r["Role"] == "AE"}
    ramping = [rep for rep, s in starts.items() if s > TODAY - dt.timedelta(days=183)]
    tenured = [rep for rep, s in starts.items() if s < TODAY - dt.timedelta(days=365)]
    assert ramping and tenured
    tenured_q = [quotas[(rep, "2026-Q4")] for rep in tenured]
    assert min(tenured_q) >= 250_000 and max(tenured_q) <= 600_000
    assert all(quotas[(rep, "2026-Q4")] < np.median(tenured_q) for rep in ramping)
    assert all((rep, "2025-Q4") not in quotas for rep in ramping)


def test_reps_spread_ahead_and_behind_pace(out, roster):
    quotas = {
        r["Rep"]: float(r["Quota"])
        for r in _rows(out / "quotas.csv")[1]
        if r["Quarter"] == "2026-Q4"
    }
    won = defaultdict(float)
    for path in (
        out / "salesforce_opportunities_2026-11-22.csv",
        out / "hubspot_deals_2026-11-22.csv",
    ):
        snap = _snapshot(path)
        mask = (snap["stage"] == "Closed Won") & (snap["close_date"] >= Q_START)
        for owner, amount in zip(snap.loc[mask, "owner"], snap.loc[mask, "amount"], strict=True):
            won[owner] += amount
    pace = ((TODAY - Q_START).days + 1) / ((Q_END - Q_START).days + 1)
    gap = [won[rep] / quota - pace for rep, quota in quotas.items()]
    assert sum(g > 0.1 for g in gap) >= 3
    assert sum(g < -0.1 for g in gap) >= 3


def test_enablement_varies_by_rep(out, roster):
    _, rows = _rows(out / "enablement.csv")
    required = [r for r in rows if r["Required"] == "Yes"]
    late = [
        r
        for r in required
        if r["Completed Date"] and _mdy(r["Completed Date"]) > _mdy(r["Due Date"])
    ]
    missing = [r for r in required if not r["Completed Date"] and _mdy(r["Due Date"]) < TODAY]
    on_time = [
        r
        for r in required
        if r["Completed Date"] and _mdy(r["Completed Date"]) <= _mdy(r["Due Date"])
    ]
    assert late and missing and on_time
    assert all(not r["Completed Date"] or _mdy(r["Completed Date"]) <= TODAY for r in rows)
    calls = pd.DataFrame([r for r in rows if r["Program Type"] == "Call Score"])
    assert calls.groupby("User Email").size().max() >= 3
    means = calls.assign(score=calls["Score (%)"].astype(int)).groupby("User Email")["score"].mean()
    assert means.max() - means.min() > 15
    assert {r["Program Type"] for r in rows} == {
        "Course",
        "Certification",
        "Assessment",
        "Call Score",
    }
    emails = {r["Email"] for r in roster if r["Role"] == "AE"}
    assert {r["User Email"] for r in rows} <= emails


def test_sizes_scale_with_the_parameters(tmp_path):
    summary = generate(tmp_path, GenerateParams(reps=40, deals_per_rep=30, weeks=4, today=TODAY))
    snap = _snapshot(tmp_path / "salesforce_opportunities_2026-11-22.csv")
    hs = _snapshot(tmp_path / "hubspot_deals_2026-11-22.csv")
    both = pd.concat([snap, hs])
    open_in_q = both[
        ~both["stage"].str.strip().str.startswith("Closed")
        & (both["close_date"] >= Q_START)
        & (both["close_date"] <= Q_END)
    ]
    assert 0.7 * 40 * 30 < len(open_in_q) < 1.3 * 40 * 30
    assert len(list(tmp_path.glob("salesforce_opportunities_*.csv"))) == 4
    assert summary.activities > 40 * 30 * 4
