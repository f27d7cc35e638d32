"""HubSpot readers against hand-written fixtures shaped like HubSpot's exports.

Unit tier: no database, no browser. Expected values are read off the fixture files by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders import schema
from loaders.formats import LoadError, read_export

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_deals():
    r = read_export(EXPORTS / "hubspot_deals_2026-10-09.csv")
    assert (r.kind, r.format, r.source) == ("pipeline", "hubspot-deals", "hubspot")
    assert r.rows_read == 5 and r.rejects == []
    want = schema.conform(
        pd.DataFrame(
            [
                dict(
                    deal_id="18234001",
                    deal_name="Globex - Annual Plan",
                    account="Globex",
                    owner="Mei Chen",
                    stage="Contract Sent",
                    stage_order=5,
                    status="open",
                    amount=12500.0,
                    probability=0.9,
                    forecast_category="commit",
                    close_date=day("2026-10-30"),
                    created_date=day("2026-07-14"),
                    next_step="Legal review",
                    last_activity_date=day("2026-10-08"),
                    deal_type="newbusiness",
                    lead_source=None,
                    push_count=None,
                ),
                dict(
                    deal_id="18234002",
                    deal_name="Initech - Seats",
                    account="Initech",
                    owner="Mei Chen",
                    stage="Appointment Scheduled",
                    stage_order=1,
                    status="open",
                    amount=4000.0,
                    probability=0.2,
                    forecast_category="pipeline",
                    close_date=day("2026-12-18"),
                    created_date=day("2026-09-30"),
                    next_step=None,
                    last_activity_date=pd.NaT,
                    deal_type="newbusiness",
                    lead_source=None,
                    push_count=None,
                ),
                dict(
                    deal_id="18234003",
                    deal_name="Hooli - Expansion",
                    account="Hooli",
                    owner="Sam Okafor",
                    stage="Closed Won",
                    stage_order=6,
                    status="won",
                    amount=25000.0,
                    probability=1.0,
                    forecast_category="closed",
                    close_date=day("2026-10-02"),
                    created_date=day("2026-03-03"),
                    next_step=None,
                    last_activity_date=day("2026-10-02"),
                    deal_type="existingbusiness",
                    lead_source=None,
                    push_count=None,
                ),
                dict(
                    deal_id="18234004",
                    deal_name="Umbrella - Trial",
                    account="Umbrella",
                    owner=schema.UNASSIGNED,
                    stage="Closed Lost",
                    stage_order=7,
                    status="lost",
                    amount=3000.0,
                    probability=0.0,
                    forecast_category="omitted",
                    close_date=day("2026-09-28"),
                    created_date=day("2026-08-01"),
                    next_step=None,
                    last_activity_date=day("2026-09-20"),
                    deal_type="newbusiness",
                    lead_source=None,
                    push_count=None,
                ),
                dict(
                    deal_id="18234005",
                    deal_name="Stark - Platform",
                    account="Stark Industries",
                    owner="Sam Okafor",
                    stage="Decision Maker Bought-In",
                    stage_order=4,
                    status="open",
                    amount=60000.0,
                    probability=0.6,
                    forecast_category="best_case",
                    close_date=day("2026-11-15"),
                    created_date=day("2026-05-20"),
                    next_step="Exec sponsor call",
                    last_activity_date=day("2026-10-07"),
                    deal_type="newbusiness",
                    lead_source=None,
                    push_count=None,
                ),
            ]
        ),
        "pipeline",
    )
    pd.testing.assert_frame_equal(r.frame, want)
    assert r.warnings == ["1 row: no 'Deal owner', shown as Unassigned"]


@pytest.mark.parametrize(
    ("closed", "won", "lost", "stage", "status"),
    [
        ("true", "true", "", "Anything", "won"),
        ("true", "false", "", "Anything", "lost"),
        ("false", "false", "", "Closed Won", "open"),  # the flags win over the name
        ("", "", "", "Closed Lost", "lost"),  # no flags: the name
        ("", "", "true", "Negotiation", "lost"),
    ],
)
def test_deal_status_from_flags_or_stage(tmp_path, closed, won, lost, stage, status):
    path = tmp_path / "deals.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Is Deal Closed?,Is Closed Won,Is closed lost\n"
        f"1,D,{stage},{closed},{won},{lost}\n"
    )
    assert read_export(path).frame["status"].tolist() == [status]


def test_deals_with_many_more_properties_and_custom_stages(tmp_path):
    extra = ",".join(f'"Date entered ""{s} (Sales Pipeline)"""' for s in ("Demo", "Trial"))
    path = tmp_path / "deals.csv"
    path.write_text(
        f"Record ID,Deal Name,Deal Stage,Deal owner,Amount,{extra},Owner Team\n"
        "1,A,Demo ,Ann,100,2026-01-01 10:00,,West\n"
        "2,B,Trial,Ann,200,2026-01-01 10:00,2026-02-01 10:00,West\n"
        "3,C,Closed won,Bo,300,,,East\n"
        "4,D,Demo,Bo,400,,,East\n"
    )
    r = read_export(path)
    assert r.frame["stage"].tolist() == ["Demo", "Trial", "Closed won", "Demo"]
    assert r.frame["stage_order"].tolist() == [1, 2, 3, 1]
    assert r.frame["status"].tolist() == ["open", "open", "won", "open"]


def test_calls():
    r = read_export(EXPORTS / "hubspot_calls_2026-10-09.csv")
    assert (r.kind, r.format) == ("activity", "hubspot-calls")
    f = r.frame
    assert f["activity_id"].tolist() == ["70001", "70002", "70003"]
    assert f["owner"].tolist() == ["Mei Chen", "Sam Okafor", schema.UNASSIGNED]
    assert f["type"].tolist() == ["call"] * 3
    assert f["duration_seconds"].tolist() == [750.0, 45.0, 3723.0]
    assert f["deal_id"].tolist() == ["18234001", "18234005", None]
    assert f["activity_date"].tolist() == [day("2026-10-05"), day("2026-10-06"), day("2026-10-07")]
    assert "1 row: associated with several deals, linked to the first" in r.warnings


def test_call_duration_in_milliseconds(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(
        "Record ID,Activity date,Activity assigned to,Call Title,Call duration,"
        "Call status\n"
        "1,2026-10-05 09:15,Mei,Hi,750000,COMPLETED\n"
        "2,2026-10-05 10:15,Mei,Hi again,,CANCELED\n"
    )
    r = read_export(path)
    assert r.frame["duration_seconds"].tolist()[0] == 750.0
    assert np.isnan(r.frame["duration_seconds"].tolist()[1])
    assert r.frame["completed"].tolist() == [True, False]


def test_emails():
    r = read_export(EXPORTS / "hubspot_emails_2026-10-09.csv")
    assert r.format == "hubspot-emails"
    assert r.frame["type"].tolist() == ["email", "email"]
    assert r.frame["subject"].tolist() == ["Re: Annual plan pricing", "Contract attached"]
    assert r.frame["completed"].all()


def test_meetings_outcomes(monkeypatch):
    monkeypatch.setenv("TEAMCAR_TODAY", "2026-10-09")
    r = read_export(EXPORTS / "hubspot_meetings_2026-10-09.csv")
    assert r.format == "hubspot-meetings"
    # Completed; Canceled; No show; Rescheduled; Scheduled and already past
    assert r.frame["completed"].tolist() == [True, False, False, False, True]
    assert r.frame["duration_seconds"].tolist() == [3600.0, 1800.0, 2700.0, 1800.0, 1500.0]


def test_a_scheduled_meeting_in_the_future_is_not_completed(monkeypatch):
    monkeypatch.setenv("TEAMCAR_TODAY", "2026-10-07")
    r = read_export(EXPORTS / "hubspot_meetings_2026-10-09.csv")
    assert r.frame["completed"].tolist()[-1] is False


def test_deal_ids_may_arrive_as_numbers_from_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date"])
    ws.append([18234001, "A", "Contract Sent", 12500.0, "2026-10-30 17:00"])
    path = tmp_path / "deals.xlsx"
    wb.save(path)
    r = read_export(path)
    assert r.frame["deal_id"].tolist() == ["18234001"]
    assert r.frame["amount"].tolist() == [12500.0]


def test_internal_stage_ids_read_like_labels(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage\n1,A,appointmentscheduled\n2,B,closedwon\n"
        "3,C,closedlost\n4,D,contractsent\n"
    )
    r = read_export(path)
    assert r.frame["status"].tolist() == ["open", "won", "lost", "open"]
    assert r.frame["stage_order"].tolist() == [1, 6, 7, 5]


def test_deals_export_stage_history_from_date_entered_and_exited():
    """``Date entered``/``Date exited "<Stage> (<Pipeline>)"`` columns: the deals file also gives
    each deal's stage changes (read off the fixture by hand)."""
    r = read_export(EXPORTS / "hubspot_deals_stage_history_2026-10-09.csv")
    assert r.format == "hubspot-deals"
    assert r.frame["deal_id"].tolist() == ["501", "502", "503", "504", "505", "507"]
    # the row without a Record ID is rejected from the deals, and so from the history
    assert [(x.row_number, x.column) for x in r.rejects] == [(7, "Record ID")]
    ((kind, history),) = r.extra["also"]
    assert kind == "history"
    AS, QTB, CS = "Appointment Scheduled", "Qualified To Buy", "Contract Sent"
    rows = [
        # 501: entered AS, QTB, CS in turn; the exits agree with the next entries
        ("501", "2026-07-14 09:12", None, AS),
        ("501", "2026-07-20 10:00", AS, QTB),
        ("501", "2026-08-03 16:30", QTB, CS),
        # 502: never in QTB
        ("502", "2026-03-03 08:00", None, AS),
        ("502", "2026-06-10 11:00", AS, CS),
        ("502", "2026-10-02 14:31", CS, "Closed Won"),
        ("503", "2026-09-30 11:02", None, AS),
        # 504: Closed Lost has no entry; the exit from QTB (its last entry) is the move to it
        ("504", "2026-08-01 10:00", None, AS),
        ("504", "2026-08-15 09:00", AS, QTB),
        ("504", "2026-09-28 10:00", QTB, "Closed Lost"),
        # 505 is in the Renewals pipeline: its Sales Pipeline dates (entered and exited AS) are
        # another pipeline's and left out
        ("505", "2026-09-01 08:00", None, "Renewal Due"),
        # 507: its Contract Sent entry is unreadable and left out
        ("507", "2026-05-20 09:00", None, AS),
        ("507", "2026-06-01 09:00", AS, QTB),
    ]
    want = schema.conform(
        pd.DataFrame(
            {
                "deal_id": [d for d, *_ in rows],
                "changed_at": [pd.Timestamp(t) for _, t, *_ in rows],
                "field": "stage",
                "old_value": [o for *_, o, _ in rows],
                "new_value": [n for *_, n in rows],
            }
        ),
        "history",
    )
    pd.testing.assert_frame_equal(history, want)
    assert "1 unreadable date in the Date entered/exited columns left out of the stage history" in (
        r.warnings
    )
    assert (
        "2 stage dates of another pipeline than the deal's own left out of the stage history"
        in r.warnings
    )


def test_stage_history_spelled_as_the_deal_stage_and_current_stage_entry(tmp_path):
    # curly quotes, no pipeline in the label, a stage spelled otherwise in Deal Stage, and
    # HubSpot's "Date entered current stage" standing in for the current stage's own column
    path = tmp_path / "deals.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Date entered \u201cdemo\u201d,Date entered current stage\n"
        "1,A,Trial,2026-01-05 10:00,2026-02-01 09:30\n"
        "2,B,Demo,2026-01-07 10:00,2026-01-07 10:00\n"
        "3,C,Demo,,\n",
        encoding="utf-8",
    )
    r = read_export(path)
    history = r.extra["also"][0][1]
    assert history[["deal_id", "old_value", "new_value"]].values.tolist() == [
        ["1", None, "Demo"],
        ["1", "Demo", "Trial"],
        ["2", None, "Demo"],  # its current stage's own column says the same: one entry
    ]
    assert history["changed_at"].tolist() == [
        pd.Timestamp("2026-01-05 10:00"),
        pd.Timestamp("2026-02-01 09:30"),
        pd.Timestamp("2026-01-07 10:00"),
    ]


def test_deals_without_stage_date_columns_give_no_history():
    r = read_export(EXPORTS / "hubspot_deals_2026-10-09.csv")
    assert "also" not in r.extra


def test_ambiguous_stage_dates_ask_for_a_date_format(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        'Record ID,Deal Name,Deal Stage,"Date entered ""Demo (P)"""\n1,A,Demo,03/04/2026 10:00\n'
    )
    with pytest.raises(LoadError, match="--date-format"):
        read_export(path)
    r = read_export(path, date_format="%d/%m/%Y")
    assert r.extra["also"][0][1]["changed_at"].tolist() == [pd.Timestamp("2026-04-03 10:00")]


def test_notes_are_activities_linked_to_their_first_deal():
    r = read_export(EXPORTS / "hubspot_notes_2026-10-09.csv")
    assert (r.kind, r.format, r.source) == ("activity", "hubspot-notes", "hubspot")
    f = r.frame
    assert f["activity_id"].tolist() == ["80001", "80002", "80003"]
    assert f["type"].tolist() == ["other"] * 3
    assert f["owner"].tolist() == ["Mei Chen", "Sam Okafor", schema.UNASSIGNED]
    assert f["activity_date"].tolist() == [day("2026-10-05"), day("2026-10-06"), day("2026-10-07")]
    # "18234005;18234003": linked to the first
    assert f["deal_id"].tolist() == ["18234001", "18234005", None]
    assert f["subject"].tolist() == [
        "Pricing call recap",  # the title
        # no title: the body as plain text (tags, &amp; and the line break gone)
        "Champion left the company; need a new sponsor & an exec intro. Follow up next week.",
        "Internal: territory planning",
    ]
    assert f["completed"].all() and f["duration_seconds"].isna().all()
    # 80004's date "yesterday" is unreadable; its body spans two lines, so it is line 6
    assert [(x.row_number, x.column) for x in r.rejects] == [(6, "Activity date")]
    assert "1 row: associated with several deals, linked to the first" in r.warnings


def test_notes_subject_is_cut_and_an_activity_type_column_is_followed(tmp_path):
    path = tmp_path / "activities.csv"
    body = "word " * 100  # 500 characters
    path.write_text(
        "Record ID,Activity type,Body,Activity date,Activity assigned to\n"
        f"1,Note,{body},2026-10-05,Ann\n"
        "2,Call,Left a voicemail,2026-10-05,Ann\n"
        "3,Meeting,<b>Demo</b>,2026-10-05,Ann\n"
    )
    r = read_export(path)
    assert r.format == "hubspot-notes"
    assert r.frame["type"].tolist() == ["other", "call", "meeting"]
    subject = r.frame["subject"].tolist()[0]
    # the first 199 characters (39 times "word " and a 40th "word"), then the ellipsis: 200
    assert len(subject) == 200 and subject.endswith("word word…")
    assert r.frame["subject"].tolist()[2] == "Demo"


def test_meeting_attendees_and_contacts_are_participants(monkeypatch):
    monkeypatch.setenv("TEAMCAR_TODAY", "2026-10-09")
    r = read_export(EXPORTS / "hubspot_meetings_attendees_2026-10-09.csv")
    assert r.format == "hubspot-meetings"
    assert r.frame["participants"].tolist() == [
        "Raj Patel; Dana Pike",  # the owner Mei Chen left out; then the deal's contact
        "Lena Frost; Raj Patel",
        None,
    ]
    # the notes export's Associated Contact column is read the same way
    notes = read_export(EXPORTS / "hubspot_notes_2026-10-09.csv")
    assert notes.frame["participants"].tolist() == ["Dana Pike", None, None]
