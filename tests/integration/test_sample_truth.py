"""The committed demo set, loaded like a user would, against the generator's own event log.

Movement computed from the loaded files must equal the movement the generator's log
says happened. The expected categories are derived here independently, straight from the log and
the definitions in docs/metrics.md, never from the metrics code.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.cli.summary import summary_json
from dashboard.models.standings import compute_summary
from loaders.ingest import expand_paths, load_file
from loaders.store.engine import get_engine, session_scope
from loaders.store.models import ImportBatch, Rep
from tests.support.stores import make_store

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
Q_START, Q_END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
A, B = dt.date(2026, 11, 8), dt.date(2026, 11, 22)


def replay(day: dt.date) -> dict[tuple[str, str], dict]:
    """Each deal's state on ``day`` from _truth/events.csv: the log's last word per field."""
    deals: dict[tuple[str, str], dict] = defaultdict(dict)
    with (SAMPLE / "_truth" / "events.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if dt.date.fromisoformat(row["date"]) <= day:
                deals[(row["source"], row["deal_id"])][row["field"]] = row["new_value"]
    out = {}
    for key, fields in deals.items():
        if "deleted" in fields:
            continue
        stage = fields["stage"].strip()
        status = {"Closed Won": "won", "Closed Lost": "lost"}.get(stage, "open")
        out[key] = {
            "status": status,
            "amount": float(fields.get("amount") or 0),
            "close": dt.date.fromisoformat(fields["close_date"]),
        }
    return out


def expected_categories() -> dict[str, str]:
    """Movement categories (docs/metrics.md) between A and B, by the definitions, from the log alone."""
    at_a, at_b = replay(A), replay(B)

    def open_in_q(d):
        return d is not None and d["status"] == "open" and Q_START <= d["close"] <= Q_END

    cats = {}
    for key in set(at_a) | set(at_b):
        a, b = at_a.get(key), at_b.get(key)
        in_a, in_b = open_in_q(a), open_in_q(b)
        if in_b and not in_a:
            cats[key[1]] = "created" if a is None else "pulled_in"
        elif in_a:
            if b is None:
                cats[key[1]] = "removed"
            elif b["status"] in ("won", "lost"):
                cats[key[1]] = b["status"]
            elif not in_b:
                cats[key[1]] = "pushed_out"
            elif b["amount"] > a["amount"]:
                cats[key[1]] = "increased"
            elif b["amount"] < a["amount"]:
                cats[key[1]] = "decreased"
            else:
                cats[key[1]] = "unchanged"
        elif a is None and b is not None and b["status"] == "won" and Q_START <= b["close"] <= B:
            cats[key[1]] = "won_new"
    return cats


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sample_store(request, tmp_path_factory):
    """The committed set loaded once per backend, file by file: every file loads, no row is
    rejected. The tests only read it."""
    assert SAMPLE.is_dir(), "data/sample/ must hold the committed demo set"
    folder = tmp_path_factory.mktemp(f"sample-{request.param}")
    url, drop = make_store(request.param, folder, prefix="sample")
    engine = get_engine(url)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TEAMCAR_DATA_DIR", str(folder / "data"))
            mp.setenv("TEAMCAR_TODAY", "2026-11-22")
            for path in expand_paths([SAMPLE]):
                outcome = load_file(path, engine=engine)
                assert outcome.status == "loaded", outcome.message
                assert outcome.rows_rejected == 0, (path.name, outcome.warnings)
        yield engine
    finally:
        drop()


def test_the_sample_is_a_team_of_reps(sample_store):
    with session_scope(sample_store) as s:
        assert s.scalar(select(func.sum(ImportBatch.rows_rejected))) == 0
        assert s.scalar(select(func.count()).select_from(Rep)) >= 24


def test_movement_from_files_equals_the_generators_log(sample_store):
    data = summary_json(compute_summary(sample_store, "2026-Q4", B, A))
    got = {d["deal_id"]: d["category"] for d in data["movement"]["deals"]}
    want = expected_categories()
    assert got == want
    counts = defaultdict(int)
    for cat in want.values():
        counts[cat] += 1
    # the story has real movement in it, not only unchanged deals
    for cat in ("created", "pulled_in", "won", "lost", "pushed_out"):
        assert counts[cat] > 0, cat
    m = data["movement"]
    assert (
        m["start"]
        + m["created"]
        + m["pulled_in"]
        + m["increased"]
        - m["decreased"]
        - m["won"]
        - m["lost"]
        - m["pushed_out"]
        - m["removed"]
    ) == pytest.approx(m["end"], abs=0.005)


def test_unassigned_owner_is_not_a_rider_with_readiness(sample_store):
    data = summary_json(compute_summary(sample_store, "2026-Q4", B))
    unassigned = [r for r in data["reps"] if r["rep"] == "Unassigned"]
    assert unassigned and unassigned[0]["readiness_index"] is None and unassigned[0]["team"] is None
    on_team = [
        r["readiness_index"] for r in data["reps"] if r["team"] and r["readiness_index"] is not None
    ]
    assert data["team"]["readiness_index"] == pytest.approx(sum(on_team) / len(on_team))
