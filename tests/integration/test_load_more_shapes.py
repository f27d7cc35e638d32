"""Issue 15 item 4, more of the real shapes, as stored: each export loads through ``load_file``
and the store holds what the dashboard reads (hand-written fixtures in tests/fixtures/exports)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from dashboard.reads import queries
from loaders.fiscal import quarter_of
from loaders.ingest import load_file
from loaders.store.engine import session_scope
from loaders.store.models import (
    Activity,
    ImportBatch,
    OpportunityHistory,
    OpportunitySnapshot,
    RejectedRow,
)

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copy(EXPORTS / name, tmp_path / name))


def test_hubspot_deals_with_stage_dates_store_deals_and_their_stage_history(
    engine, tmp_path, data_dir
):
    path = _copy(tmp_path, "hubspot_deals_stage_history_2026-10-09.csv")
    out = load_file(path, engine=engine)
    assert out.status == "loaded", out.message
    # 7 rows read, 6 deals loaded, the one without a Record ID rejected
    assert (out.kind, out.rows_read, out.rows_loaded, out.rows_rejected) == ("pipeline", 7, 6, 1)
    assert out.warnings[0].startswith("also stored from the same file: 13 history rows")
    with session_scope(engine) as s:
        batches = s.execute(
            select(ImportBatch.kind, ImportBatch.rows_loaded, ImportBatch.source).order_by(
                ImportBatch.id
            )
        ).all()
        snaps = s.scalar(select(func.count()).select_from(OpportunitySnapshot))
        hist = s.execute(
            select(
                OpportunityHistory.deal_id,
                OpportunityHistory.changed_at,
                OpportunityHistory.old_value,
                OpportunityHistory.new_value,
            )
            .where(OpportunityHistory.deal_id == "504")
            .order_by(OpportunityHistory.changed_at)
        ).all()
    assert [tuple(b) for b in batches] == [("pipeline", 6, "hubspot"), ("history", 13, "hubspot")]
    assert snaps == 6
    assert [tuple(h) for h in hist] == [
        ("504", dt.datetime(2026, 8, 1, 10, 0), None, "Appointment Scheduled"),
        ("504", dt.datetime(2026, 8, 15, 9, 0), "Appointment Scheduled", "Qualified To Buy"),
        ("504", dt.datetime(2026, 9, 28, 10, 0), "Qualified To Buy", "Closed Lost"),
    ]
    # loading the same file again changes nothing
    assert load_file(path, engine=engine).status == "unchanged"

    # the one snapshot (2026-10-09) rolled back by the history: on 2026-07-25, 501 was in
    # Qualified To Buy (entered 07-20, Contract Sent only on 08-03), 502 in Contract Sent (entered
    # 06-10, won on 10-02), 507 in Qualified To Buy (06-01); 503 (created 09-30) and 504 (08-01)
    # did not exist yet; 505 (created 05-05) entered its only known stage on 09-01, so its stage
    # that day is unknown (its Sales Pipeline dates were another pipeline's)
    day = dt.date(2026, 7, 25)
    state = queries.load_day_states(engine, None, [day], quarter_of(day))[day]
    stages = dict(zip(state["deal_id"], state["stage"], strict=True))
    statuses = dict(zip(state["deal_id"], state["status"], strict=True))
    assert sorted(stages) == ["501", "502", "505", "507"]
    assert stages["501"] == "Qualified To Buy"
    assert (stages["502"], statuses["502"]) == ("Contract Sent", "open")
    assert stages["507"] == "Qualified To Buy"
    assert pd.isna(stages["505"])


def test_hubspot_notes_are_stored_as_activities_on_their_deal(engine, tmp_path, data_dir):
    out = load_file(_copy(tmp_path, "hubspot_notes_2026-10-09.csv"), engine=engine)
    assert out.status == "loaded", out.message
    assert (out.kind, out.format, out.rows_loaded, out.rows_rejected) == (
        "activity",
        "hubspot-notes",
        3,
        1,
    )
    with session_scope(engine) as s:
        rows = s.execute(
            select(Activity.activity_id, Activity.type, Activity.deal_id, Activity.source).order_by(
                Activity.activity_id
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("80001", "other", "18234001", "hubspot"),
        ("80002", "other", "18234005", "hubspot"),
        ("80003", "other", None, "hubspot"),
    ]


def test_salesforce_summary_report_is_stored_with_owners_filled_and_rejects_by_line(
    engine, tmp_path, data_dir
):
    out = load_file(_copy(tmp_path, "salesforce_summary_report_2026-10-09.csv"), engine=engine)
    assert out.status == "loaded", out.message
    # 6 detail rows read (subtotals and the total are not rows), 4 loaded, Tailspin rejected
    assert (out.rows_loaded, out.rows_rejected) == (4, 1)
    with session_scope(engine) as s:
        owners = s.execute(
            select(OpportunitySnapshot.owner, func.sum(OpportunitySnapshot.amount))
            .group_by(OpportunitySnapshot.owner)
            .order_by(OpportunitySnapshot.owner)
        ).all()
        reject = s.execute(select(RejectedRow.row_number, RejectedRow.column)).all()
    # Ann Lee: 48,500 + 1,932 + 12,000 = 62,432 (the file's own subtotal); Luis Ortega: 5,000
    assert [tuple(o) for o in owners] == [("Ann Lee", 62432.0), ("Luis Ortega", 5000.0)]
    assert [tuple(x) for x in reject] == [(9, "Amount")]


def test_a_rates_file_loaded_alone_converts_later_pipeline_rows(engine, tmp_path, data_dir):
    report = _copy(tmp_path, "salesforce_report_multicurrency_2026-10-09.csv")
    rates = load_file(_copy(tmp_path, "currency_rates.csv"), engine=engine)
    assert rates.status == "loaded", rates.message
    assert (rates.kind, rates.format, rates.rows_loaded, rates.rows_rejected) == (
        "rates",
        "currency-rates",
        3,
        1,  # "Euro" is no currency code
    )
    assert rates.warnings[0].startswith("currency rates for 3 currencies against USD")
    assert load_file(tmp_path / "currency_rates.csv", engine=engine).status == "unchanged"
    out = load_file(report, engine=engine)
    assert out.status == "loaded", out.message
    with session_scope(engine) as s:
        amounts = s.execute(
            select(OpportunitySnapshot.deal_name, OpportunitySnapshot.amount).order_by(
                OpportunitySnapshot.deal_name
            )
        ).all()
        rejects = s.execute(
            select(RejectedRow.row_number, RejectedRow.reason).where(
                RejectedRow.batch_id == out.batch_id
            )
        ).all()
    # EUR 9,200 / 0.92 = 10,000 USD; GBP 8,000 / 0.8 = 10,000 USD; USD 10,000 as it is
    assert [tuple(a) for a in amounts] == [
        ("Contoso - EU Rollout", 10000.0),
        ("Fabrikam - London", 10000.0),
        ("Northwind - Expansion", 10000.0),
    ]
    # JPY has no rate: rejected with that reason, never summed as dollars
    assert len(rejects) == 1 and rejects[0][0] == 5
    assert "in a currency other than USD with no conversion rate" in rejects[0][1]
    assert "2 rows: converted to USD with the export's rates" in out.warnings


def test_participants_are_stored_with_the_activities(engine, tmp_path, data_dir):
    folder = Path(shutil.copytree(EXPORTS / "salesforce-event-relations", tmp_path / "export"))
    out = load_file(folder / "Event.csv", engine=engine)
    assert out.status == "loaded", out.message
    meetings = load_file(
        _copy(tmp_path, "hubspot_meetings_attendees_2026-10-09.csv"), engine=engine
    )
    assert meetings.status == "loaded", meetings.message
    with session_scope(engine) as s:
        rows = s.execute(
            select(Activity.source, Activity.activity_id, Activity.participants).order_by(
                Activity.source, Activity.activity_id
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("hubspot", "91001", "Raj Patel; Dana Pike"),
        ("hubspot", "91002", "Lena Frost; Raj Patel"),
        ("hubspot", "91003", None),
        ("salesforce", "00UHp00000Ev001MAA", "Sam Eng"),
        ("salesforce", "00UHp00000Ev002MAA", "Maria Gomez"),
        ("salesforce", "00UHp00000Ev003MAA", "Dana Whitfield"),
        ("salesforce", "00UHp00000Ev004MAA", None),
    ]
