"""Salesforce readers against hand-written fixtures shaped like real exports.

Unit tier: no database, no browser. Expected values are read off the fixture files by hand.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders import schema
from loaders.formats import LoadError, read_bundle, read_export

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
DATA_EXPORT = EXPORTS / "salesforce-data-export"
SAMPLE = Path("/work/shared/samples/salesforce-data-export")


def expected(kind: str, rows: list[dict]) -> pd.DataFrame:
    return schema.conform(pd.DataFrame(rows), kind)


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# ---------------------------------------------------------------------------------------------
# report exports


def test_report_as_formats_md_describes_it():
    r = read_export(EXPORTS / "salesforce_opportunities_2026-10-09.csv")
    assert (r.kind, r.format, r.source) == ("pipeline", "salesforce-report", "salesforce")
    assert r.rows_read == 5 and r.rejects == [] and r.warnings == []
    assert r.as_of is None
    assert r.extra["encoding"] == "utf-8-sig" and r.extra["currency"] == "USD"
    assert r.extra["parser"] == "arrow" and r.extra["skipped_lines"] == 3
    want = expected(
        "pipeline",
        [
            dict(
                deal_id="006Hp00001AbCdEIAV",
                deal_name="Northwind - Platform Expansion",
                account="Northwind Traders",
                owner="Dana Whitfield",
                stage="Negotiation/Review",
                stage_order=8,
                status="open",
                amount=48500.0,
                probability=0.8,
                forecast_category="commit",
                close_date=day("2026-11-20"),
                created_date=day("2026-06-02"),
                next_step="Send redlines",
                last_activity_date=day("2026-10-07"),
                deal_type="Existing Business",
                lead_source="Web",
                push_count=None,
            ),
            dict(
                deal_id="006Hp00001AbCdFIAV",
                deal_name="Contoso - New Logo",
                account="Contoso Ltd",
                owner="Dana Whitfield",
                stage="Prospecting",
                stage_order=1,
                status="open",
                amount=12000.0,
                probability=0.1,
                forecast_category="pipeline",
                close_date=day("2026-12-15"),
                created_date=day("2026-09-28"),
                next_step=None,
                last_activity_date=pd.NaT,
                deal_type="New Business",
                lead_source="Partner",
                push_count=None,
            ),
            dict(
                deal_id="006Hp00001AbCdGIAV",
                deal_name="Fabrikam - Renewal 2026",
                account="Fabrikam",
                owner="Luis Ortega",
                stage="Closed Won",
                stage_order=9,
                status="won",
                amount=1234567.89,
                probability=1.0,
                forecast_category="closed",
                close_date=day("2026-10-03"),
                created_date=day("2026-01-14"),
                next_step=None,
                last_activity_date=day("2026-10-03"),
                deal_type="Renewal",
                lead_source="Existing Customer",
                push_count=None,
            ),
            dict(
                deal_id="006Hp00001AbCdHIAV",
                deal_name="Tailspin - Pilot",
                account="Tailspin Toys",
                owner="Luis Ortega",
                stage="Closed Lost",
                stage_order=10,
                status="lost",
                amount=7250.0,
                probability=0.0,
                forecast_category="omitted",
                close_date=day("2026-09-30"),
                created_date=day("2026-07-01"),
                next_step=None,
                last_activity_date=day("2026-09-29"),
                deal_type="New Business",
                lead_source="Web",
                push_count=None,
            ),
            dict(
                deal_id="006Hp00001AbCdIIAV",
                deal_name="Adventure Works - Upsell",
                account="Adventure Works",
                owner="Priya Natarajan",
                stage="Proposal/Price Quote",
                stage_order=7,
                status="open",
                amount=30000.0,
                probability=0.6,
                forecast_category="best_case",
                close_date=day("2026-12-31"),
                created_date=day("2026-08-19"),
                next_step="Pricing call",
                last_activity_date=day("2026-10-08"),
                deal_type="Existing Business",
                lead_source="Trade Show",
                push_count=None,
            ),
        ],
    )
    pd.testing.assert_frame_equal(r.frame, want)


def test_messy_report_rejects_what_it_cannot_read():
    r = read_export(EXPORTS / "salesforce_report_messy.csv")
    assert r.extra["header_line"] == 5
    assert r.rows_read == 7  # the Grand Totals line is not a row
    # 15-character ids become 18; money in several styles; trimmed stage names
    f = r.frame.set_index("deal_name")
    assert f.loc["Northwind - Platform Expansion", "deal_id"] == "006Hp00001AbCdEIAV"
    assert f.loc["Northwind - Platform Expansion", "stage"] == "Negotiation/Review"
    assert f.loc["Northwind - Platform Expansion", "amount"] == 48500.0
    assert f.loc["Contoso - New Logo", "amount"] == 1932.0
    assert f.loc["Fabrikam - Credit", "amount"] == -1234.0
    assert f.loc["Litware - Multi-year", "amount"] == 500000.0
    assert f.loc["Litware - Multi-year", "forecast_category"] == "best_case"
    assert f.loc["Northwind - Platform Expansion", "push_count"] == 2
    assert [(x.row_number, x.column) for x in r.rejects] == [
        (9, "Amount"),
        (10, "Close Date"),
        (12, "Opportunity ID"),
    ]
    assert r.rejects[0].reason == "Amount 'abc': expected an amount like 1,234.00"
    assert "M/D/YYYY" in r.rejects[1].reason and "'31/31/2026'" in r.rejects[1].reason
    assert "repeats" in r.rejects[2].reason
    assert r.rejects[0].raw.startswith("Luis Ortega,Tailspin Toys,Tailspin - Pilot,")
    assert set(r.frame["deal_name"]) == {
        "Northwind - Platform Expansion",
        "Contoso - New Logo",
        "Fabrikam - Credit",
        "Litware - Multi-year",
    }
    assert "no 'Lead Source' column: lead source left empty" in r.warnings


def test_windows_1252_report():
    r = read_export(EXPORTS / "salesforce_report_cp1252.csv")
    assert r.extra["encoding"] == "cp1252"
    assert r.frame["owner"].tolist() == ["Jürgen Müller", "Zoë Laurent"]
    assert r.frame["deal_name"].tolist() == ["Müller – Rollout", "Café Olé – Expansion"]
    assert r.frame["amount"].tolist() == [12500.0, 8000.0]
    assert r.extra["currency"] == "EUR"


def test_portuguese_headers_and_day_first_dates():
    r = read_export(EXPORTS / "salesforce_report_pt_br.csv")
    assert r.format == "salesforce-report"
    assert r.frame["close_date"].tolist() == [day("2026-11-20"), day("2026-10-05")]
    assert r.frame["created_date"].tolist() == [day("2026-06-02"), day("2026-01-14")]
    assert r.frame["amount"].tolist() == [1234.56, 10000.0]
    assert r.frame["status"].tolist() == ["open", "won"]
    assert r.extra["currency"] == "BRL"


def test_german_semicolon_csv():
    r = read_export(EXPORTS / "salesforce_report_de.csv")
    assert r.extra["delimiter"] == ";"
    assert r.frame["amount"].tolist() == [1234.56, 12500.0]
    assert r.frame["close_date"].tolist() == [day("2026-11-05"), day("2026-12-03")]
    assert r.frame["probability"].tolist() == [0.2, 0.8]


def test_xlsx_report_written_by_excel(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Opportunities by Owner"])
    ws.append(["Generated By: Jane Admin 10/9/2026"])
    ws.append([])
    ws.append(
        [
            "Opportunity Owner",
            "Account Name",
            "Opportunity Name",
            "Opportunity ID",
            "Stage",
            "Amount",
            "Probability (%)",
            "Close Date",
            "Created Date",
            "Forecast Category",
        ]
    )
    ws.append(
        [
            "Dana Whitfield",
            "Northwind",
            "Northwind - Expansion",
            "006Hp00001AbCdE",
            "Closed Won",
            48500,
            100,
            dt.datetime(2026, 10, 3),
            dt.datetime(2026, 6, 2),
            "Closed",
        ]
    )
    ws.append(
        [
            "Luis Ortega",
            "Contoso",
            "Contoso - Pilot",
            "006Hp00001AbCdF",
            "Qualification",
            1234.5,
            20,
            dt.datetime(2026, 12, 1),
            dt.datetime(2026, 9, 1),
            "Pipeline",
        ]
    )
    ws.append(["Grand Totals (2 records)", None, None, None, None, 49734.5])
    ws.append([])
    ws.append(["Confidential Information - Do Not Distribute"])
    path = tmp_path / "report.xlsx"
    wb.save(path)
    r = read_export(path)
    assert r.format == "salesforce-report" and r.rows_read == 2 and r.rejects == []
    assert r.frame["deal_id"].tolist() == ["006Hp00001AbCdEIAV", "006Hp00001AbCdFIAV"]
    assert r.frame["amount"].tolist() == [48500.0, 1234.5]
    assert r.frame["probability"].tolist() == [1.0, 0.2]
    assert r.frame["close_date"].tolist() == [day("2026-10-03"), day("2026-12-01")]
    assert r.frame["status"].tolist() == ["won", "open"]


def test_report_without_ids_keys_deals_by_name_and_account(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "Opportunity Owner,Account Name,Opportunity Name,Stage,Close Date\n"
        "Ada,Acme,  Big  Deal ,Prospecting,11/20/2026\n"
    )
    r = read_export(path)
    assert r.frame["deal_id"].tolist() == ["name:big deal|acme"]
    assert any("no 'Opportunity ID' column" in w for w in r.warnings)


def test_ambiguous_dates_stop_the_load_and_ask(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Opportunity Name,Stage,Close Date\n"
        "Ada,A,Prospecting,3/4/2026\nBob,B,Prospecting,5/6/2026\n"
    )
    with pytest.raises(LoadError, match="--date-format") as err:
        read_export(path)
    assert "report.csv" in str(err.value) and "'Close Date'" in str(err.value)
    r = read_export(path, date_format="%d/%m/%Y")
    assert r.frame["close_date"].tolist() == [day("2026-04-03"), day("2026-06-05")]
    r = read_export(path, date_format="%m/%d/%Y")
    assert r.frame["close_date"].tolist() == [day("2026-03-04"), day("2026-05-06")]


def test_an_ambiguous_column_follows_the_files_other_dates(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Opportunity Name,Stage,Close Date,Created Date\n"
        "Ada,A,Prospecting,11/20/2026,3/4/2026\n"
    )
    r = read_export(path)
    assert r.frame["created_date"].tolist() == [day("2026-03-04")]


def test_status_from_won_and_closed_columns(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Opportunity Name,Opportunity ID,Stage,Close Date,Won,Closed\n"
        "Ada,A,1,Signed,11/20/2026,1,1\n"
        "Ada,B,2,Dead,11/20/2026,0,1\n"
        "Ada,C,3,Talking,11/20/2026,0,0\n"
    )
    r = read_export(path)
    assert r.frame["status"].tolist() == ["won", "lost", "open"]
    # unknown stage names: order of first appearance, open first, then won, then lost
    assert r.frame["stage_order"].tolist() == [2, 3, 1]


def test_missing_required_column_names_it_and_what_was_found(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Opportunity Owner,Opportunity Name,Stage,Amount\nAda,A,Prospecting,5\n")
    with pytest.raises(LoadError) as err:
        read_export(path, format="salesforce-report")
    msg = str(err.value)
    assert "report.csv" in msg and "'Close Date'" in msg and "'Amount'" in msg


# ---------------------------------------------------------------------------------------------
# Data Export


def test_data_export_opportunity_sample_without_users(tmp_path):
    shutil.copy(SAMPLE / "opportunity.csv", tmp_path / "Opportunity.csv")
    r = read_export(tmp_path / "Opportunity.csv")
    assert (r.kind, r.format) == ("pipeline", "salesforce-opportunity")
    assert r.rows_read == 31 and len(r.frame) == 31 and r.rejects == []
    assert r.as_of == dt.datetime(2023, 10, 28, 20, 45, 25)  # latest SystemModstamp
    first = r.frame.iloc[0]
    assert first["deal_id"] == "006Hp000015Yh7kIAC"
    assert first["deal_name"] == "Dickenson Mobile Generators"
    assert first["owner"] == "005Hp00000hnUYPIA2"  # no User.csv: the id
    assert first["account"] == "001Hp00002g1VGeIAM"
    assert first["stage"] == "Qualification" and first["stage_order"] == 2
    assert first["status"] == "open" and first["amount"] == 15000.0
    assert first["probability"] == pytest.approx(0.1)
    assert first["close_date"] == day("2023-09-06")
    assert first["created_date"] == day("2023-10-28")
    assert r.frame.iloc[1][["status", "stage_order", "forecast_category"]].tolist() == [
        "won",
        9,
        "closed",
    ]
    assert any("User.csv" in w for w in r.warnings)


def test_data_export_opportunity_with_users_and_accounts_beside():
    r = read_export(DATA_EXPORT / "opportunity.csv")
    assert set(r.frame["owner"]) == {"Ada Admin"}
    assert r.frame.iloc[0]["account"] == "Dickenson plc"
    assert r.frame.iloc[1]["account"] == "United Oil & Gas Corp."
    # accounts not in Account.csv keep their id
    assert r.frame["account"].str.startswith("001").any()


def test_opportunity_history_sample():
    r = read_export(DATA_EXPORT / "OpportunityHistory.csv")
    assert (r.kind, r.format) == ("history", "salesforce-opportunity-history")
    assert r.rows_read == 62 and r.rejects == []
    deal = r.frame[r.frame["deal_id"] == "006Hp000015Yh7kIAC"]
    # first row: the deal's values at creation; second row: the close date moved
    assert deal[["field", "old_value", "new_value"]].values.tolist() == [
        ["stage", None, "Qualification"],
        ["amount", None, "15000"],
        ["close_date", None, "2018-10-01"],
        ["forecast_category", None, "pipeline"],
        ["probability", None, "0.1"],
        ["close_date", "2018-10-01", "2023-09-06"],
    ]
    assert deal["changed_at"].iloc[0] == pd.Timestamp("2023-10-28 20:45:25")


def test_opportunity_history_uses_prev_columns_and_from_stage(tmp_path):
    path = tmp_path / "hist.csv"
    path.write_text(
        '"Id","OpportunityId","CreatedDate","StageName","Amount","CloseDate","Probability",'
        '"FromForecastCategory","ForecastCategory","FromOpportunityStageName","PrevAmount",'
        '"PrevCloseDate","SystemModstamp"\n'
        '"008A","006Hp000015Yh7k","2026-09-01 10:00:00","Proposal/Price Quote","5000",'
        '"2026-10-31 00:00:00","75","Pipeline","BestCase","Qualification","4000",'
        '"2026-09-30 00:00:00","2026-09-01 10:00:00"\n'
    )
    r = read_export(path)
    assert r.frame[["deal_id", "field", "old_value", "new_value"]].values.tolist() == [
        ["006Hp000015Yh7kIAC", "stage", "Qualification", "Proposal/Price Quote"],
        ["006Hp000015Yh7kIAC", "amount", "4000", "5000"],
        ["006Hp000015Yh7kIAC", "close_date", "2026-09-30", "2026-10-31"],
        ["006Hp000015Yh7kIAC", "forecast_category", "pipeline", "best_case"],
        ["006Hp000015Yh7kIAC", "probability", None, "0.75"],
    ]
    assert r.as_of == dt.datetime(2026, 9, 1, 10, 0)


def test_data_export_task():
    r = read_export(DATA_EXPORT / "Task.csv")
    assert (r.kind, r.format) == ("activity", "salesforce-task")
    assert r.rows_read == 4 and r.extra["dropped"] == 1  # IsDeleted = 1
    want = expected(
        "activity",
        [
            dict(
                activity_id="00THp00000Ab001MAA",
                owner="Ada Admin",
                activity_date=day("2023-10-26"),
                type="call",
                deal_id="006Hp000015Yh7kIAC",
                account="Dickenson plc",
                duration_seconds=754.0,
                subject="Call",
                participants=None,
                completed=True,
            ),
            dict(
                activity_id="00THp00000Ab002MAA",
                owner="Ada Admin",
                activity_date=day("2023-10-27"),
                type="email",
                deal_id="006Hp000015Yh7mIAC",
                account="United Oil & Gas Corp.",
                duration_seconds=np.nan,
                subject="Email: Quote for United Oil",
                participants=None,
                completed=True,
            ),
            dict(
                activity_id="00THp00000Ab003MAA",
                owner="Ada Admin",
                activity_date=day("2023-10-25"),
                type="other",
                deal_id=None,
                account=None,
                duration_seconds=np.nan,
                subject="Follow up",
                participants=None,
                completed=True,
            ),
        ],
    )
    pd.testing.assert_frame_equal(r.frame, want)
    assert r.as_of == dt.datetime(2023, 10, 29, 8, 5)
    assert "1 row: no ActivityDate, dated by CompletedDateTime" in r.warnings


def test_task_file_as_the_generator_writes_it():
    r = read_export(EXPORTS / "salesforce_tasks_2026-10-09.csv")
    assert r.format == "salesforce-task"
    assert r.frame["type"].tolist() == ["call", "email", "other", "meeting"]
    assert r.frame["completed"].tolist() == [True, True, False, True]
    assert r.frame["deal_id"].tolist() == ["006Hp00001AbCdEIAV", "006Hp00001AbCdFIAV", None, None]
    assert r.frame["subject"].tolist()[1:4:2] == [
        "Email: proposal for Müller",
        "Réunion de cadrage",
    ]
    assert r.frame["owner"].tolist()[0] == "005Hp00000Rep01IAA"


def test_events_are_meetings_with_duration(monkeypatch):
    monkeypatch.setenv("TEAMCAR_TODAY", "2026-10-07")
    r = read_export(EXPORTS / "salesforce_events_2026-10-09.csv")
    assert r.format == "salesforce-event"
    assert r.frame["type"].tolist() == ["meeting"] * 3
    assert r.frame["duration_seconds"].tolist() == [2700.0, 5400.0, 86400.0]
    assert r.frame["activity_date"].tolist() == [
        day("2026-10-06"),
        day("2026-10-07"),
        day("2026-10-09"),
    ]
    # the offsite on the 9th has not happened on the 7th
    assert r.frame["completed"].tolist() == [True, True, False]


def test_data_export_files_are_recognised_by_header_whatever_their_name(tmp_path):
    shutil.copy(DATA_EXPORT / "Event.csv", tmp_path / "weekly_extract_0042.csv")
    assert read_export(tmp_path / "weekly_extract_0042.csv").format == "salesforce-event"


def test_user_csv_alone_is_explained():
    with pytest.raises(LoadError, match="lookup"):
        read_export(DATA_EXPORT / "User.csv")


@pytest.mark.parametrize("as_zip", [False, True])
def test_bundle_folder_or_zip(tmp_path, as_zip):
    if as_zip:
        target = tmp_path / "WE_00D_1.zip"
        with zipfile.ZipFile(target, "w") as zf:
            for p in DATA_EXPORT.iterdir():
                zf.write(p, p.name)
            zf.writestr("_notes/readme.txt", "skip me")
    else:
        target = DATA_EXPORT
    b = read_bundle(target)
    formats = sorted(r.format for r in b.results)
    assert formats == [
        "salesforce-event",
        "salesforce-opportunity",
        "salesforce-opportunity-history",
        "salesforce-task",
    ]
    assert sorted(name for name, _ in b.skipped) == ["UserRole.csv"]
    assert b.as_of == dt.datetime(2023, 10, 29, 8, 5)  # Task.csv's latest SystemModstamp
    assert all(r.as_of == b.as_of for r in b.results)
    pipeline = next(r for r in b.results if r.kind == "pipeline")
    assert set(pipeline.frame["owner"]) == {"Ada Admin"}
    events = next(r for r in b.results if r.format == "salesforce-event")
    assert events.frame["owner"].tolist() == ["Ada Admin", "Avery Stone"]


# ---------------------------------------------------------------------------------------------
# Opportunity Field History report


def test_field_history_report():
    r = read_export(EXPORTS / "opportunity_field_history.csv")
    assert (r.kind, r.format) == ("history", "salesforce-field-history")
    want = expected(
        "history",
        [
            dict(
                deal_id="006Hp00001AbCdEIAV",
                changed_at=pd.Timestamp("2026-08-14 16:02"),
                field="close_date",
                old_value="2026-09-30",
                new_value="2026-10-31",
            ),
            dict(
                deal_id="006Hp00001AbCdEIAV",
                changed_at=pd.Timestamp("2026-09-01 11:30"),
                field="stage",
                old_value="Proposal/Price Quote",
                new_value="Negotiation/Review",
            ),
            dict(
                deal_id="006Hp00001AbCdEIAV",
                changed_at=pd.Timestamp("2026-09-02 10:00"),
                field="amount",
                old_value="50000",
                new_value="48500",
            ),
            dict(
                deal_id="006Hp00001AbCdEIAV",
                changed_at=pd.Timestamp("2026-09-25 17:45"),
                field="close_date",
                old_value="2026-10-31",
                new_value="2026-11-20",
            ),
            dict(
                deal_id="006Hp00001AbCdEIAV",
                changed_at=pd.Timestamp("2026-09-25 17:46"),
                field="forecast_category",
                old_value="best_case",
                new_value="commit",
            ),
            dict(
                deal_id="006Hp00001AbCdEIAV",
                changed_at=pd.Timestamp("2026-09-25 17:46"),
                field="probability",
                old_value="0.6",
                new_value="0.8",
            ),
            dict(
                deal_id="006Hp00001AbCdGIAV",
                changed_at=pd.Timestamp("2026-07-15 08:00"),
                field="owner",
                old_value="Dana Whitfield",
                new_value="Luis Ortega",
            ),
        ],
    )
    pd.testing.assert_frame_equal(r.frame, want)
    assert [(x.row_number, x.column) for x in r.rejects] == [(11, "New Value")]
    assert r.extra["dropped"] == 2  # "Created." and "Next Step"


# ---------------------------------------------------------------------------------------------
# Tasks and Events report


def test_tasks_and_events_report(tmp_path):
    path = tmp_path / "activities.csv"
    path.write_text(
        '"Assigned","Date","Company / Account","Subject","Location","Opportunity","Contact",'
        '"Status","Activity Type","Created Date","Comments","Priority","Call Result","Call Type",'
        '"Task Subtype"\n'
        '"Dana Whitfield","10/5/2026","Northwind","Call about pricing","","Northwind - Expansion",'
        '"Pat Doe","Completed","Task","10/5/2026","","Normal","Connected","Outbound","Call"\n'
        '"Dana Whitfield","10/6/2026","Northwind","Onsite workshop","HQ","Northwind - Expansion",'
        '"Pat Doe","","Event","10/1/2026","","","","",""\n'
        '"Luis Ortega","10/13/2026","Contoso","Send proposal","","","","Not Started","Task",'
        '"10/2/2026","","High","","","Email"\n'
    )
    r = read_export(path)
    assert r.format == "salesforce-activity-report"
    assert r.frame["type"].tolist() == ["call", "meeting", "email"]
    assert r.frame["completed"].tolist() == [True, True, False]
    assert r.frame["activity_date"].tolist() == [
        day("2026-10-05"),
        day("2026-10-06"),
        day("2026-10-13"),
    ]
    assert r.frame["activity_id"].is_unique
    assert r.frame["deal_id"].isna().all()


# ---------------------------------------------------------------------------------------------
# currencies


def test_rows_in_another_currency_without_rates_are_rejected(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Opportunity Name,Opportunity ID,Stage,Close Date,"
        "Amount Currency,Amount\n"
        'Ada,A,1,Prospecting,11/20/2026,USD,"1,000.00"\n'
        'Ada,B,2,Prospecting,11/20/2026,USD,"2,000.00"\n'
        'Ada,C,3,Prospecting,11/20/2026,EUR,"3,000.00"\n'
    )
    r = read_export(path)
    assert r.frame["amount"].tolist() == [1000.0, 2000.0]
    assert [(x.row_number, x.column) for x in r.rejects] == [(4, "Amount")]
    assert "in a currency other than USD" in r.rejects[0].reason
    assert r.extra["currency"] == "USD"


def test_data_export_converts_with_currency_type_rates(tmp_path):
    (tmp_path / "Opportunity.csv").write_text(
        '"Id","Name","StageName","CloseDate","OwnerId","Amount","CurrencyIsoCode"\n'
        '"006Hp000015Yh7kIAC","A","Prospecting","2026-11-20 00:00:00","005Hp00000hnUYPIA2",'
        '"1000","USD"\n'
        '"006Hp000015Yh7lIAC","B","Prospecting","2026-11-20 00:00:00","005Hp00000hnUYPIA2",'
        '"900","EUR"\n'
        '"006Hp000015Yh7mIAC","C","Prospecting","2026-11-20 00:00:00","005Hp00000hnUYPIA2",'
        '"500","CHF"\n'
    )
    (tmp_path / "CurrencyType.csv").write_text(
        '"Id","IsoCode","ConversionRate","IsCorporate","IsActive"\n'
        '"01LA","USD","1","1","1"\n"01LB","EUR","0.9","0","1"\n'
    )
    r = read_export(tmp_path / "Opportunity.csv")
    assert r.frame["amount"].tolist() == [1000.0, pytest.approx(1000.0)]
    assert [(x.row_number, x.column) for x in r.rejects] == [(4, "Amount")]
    assert r.extra["currency"] == "USD"
    assert "1 row: converted to USD with the export's rates" in r.warnings


def test_a_column_that_appears_twice_is_read_as_one(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Opportunity Name,Opportunity ID,Stage,Close Date,Amount,Amount\n"
        "Ada,A,1,Prospecting,11/20/2026,,500\n"
        "Ada,B,2,Prospecting,11/20/2026,700,\n"
    )
    r = read_export(path)
    assert r.frame["amount"].tolist() == [500.0, 700.0]
    assert any("'Amount' appears 2 times" in w for w in r.warnings)


def test_users_beside_the_export_skip_non_standard_users():
    from loaders.formats import users_from
    from loaders.parsing.tables import read_table

    users = users_from(read_table(DATA_EXPORT / "User.csv"))
    assert users == {
        "005Hp00000hnUYPIA2": "Ada Admin",
        "005Hp00000Rep01IAA": "Dana Whitfield",
        "005Hp00000Rep02IAA": "Luis Ortega",
        "005Hp00000SE001IAA": "Avery Stone",
    }


def test_opportunity_history_report_gives_stage_moves_and_value_changes():
    r = read_export(EXPORTS / "opportunity_stage_history.csv")
    assert (r.kind, r.format) == ("history", "salesforce-stage-history")
    rows = r.frame[["deal_id", "changed_at", "field", "old_value", "new_value"]].values.tolist()
    e, g = "006Hp00001AbCdEIAV", "006Hp00001AbCdGIAV"
    assert rows == [
        [e, pd.Timestamp("2026-06-02"), "stage", None, "Prospecting"],
        [e, pd.Timestamp("2026-07-20"), "stage", "Prospecting", "Proposal/Price Quote"],
        [e, pd.Timestamp("2026-07-20"), "amount", "40000", "50000"],
        [e, pd.Timestamp("2026-07-20"), "probability", "0.1", "0.75"],
        [e, pd.Timestamp("2026-09-25"), "stage", "Proposal/Price Quote", "Negotiation/Review"],
        [e, pd.Timestamp("2026-09-25"), "amount", "50000", "48500"],
        [e, pd.Timestamp("2026-09-25"), "close_date", "2026-09-30", "2026-11-20"],
        [e, pd.Timestamp("2026-09-25"), "probability", "0.75", "0.9"],
        [g, pd.Timestamp("2026-10-03"), "stage", "Negotiation/Review", "Closed Won"],
    ]


# --- summary-format reports ------------------------------------------------------------------


def _deals(r) -> list[list]:
    return r.frame[["deal_name", "owner", "stage", "amount"]].values.tolist()


def test_summary_report_owner_on_each_groups_first_row_only():
    """A formatted export: the owner only on each group's first row (with its count), subtotal
    rows between the groups; the amount 'abc' is rejected at its own line of the file."""
    r = read_export(EXPORTS / "salesforce_summary_report_2026-10-09.csv")
    assert r.format == "salesforce-report"
    assert _deals(r) == [
        ["Northwind - Expansion", "Ann Lee", "Negotiation/Review", 48500.0],
        ["Contoso - New Logo", "Ann Lee", "Prospecting", 1932.0],
        ["Fabrikam - Credit", "Ann Lee", "Closed Won", 12000.0],
        ["Litware - Multi-year", "Luis Ortega", "Qualification", 5000.0],
    ]
    # title, Generated By and a blank line above the header (line 4): Tailspin is line 9
    assert [(x.row_number, x.column) for x in r.rejects] == [(9, "Amount")]
    assert r.rejects[0].raw.startswith("Luis Ortega,Tailspin - Pilot,")
    assert any(
        w.startswith("summary-format report: 1 subtotal row left out; 'Opportunity Owner' filled")
        for w in r.warnings
    )


def test_summary_report_owner_on_group_rows():
    """Classic layout: `Opportunity Owner: Ann Lee (2 records)` rows above each group, `Sum` and
    unlabelled subtotal rows, `Count` and `Grand Totals` at the end."""
    r = read_export(EXPORTS / "salesforce_summary_report_groups.csv")
    assert _deals(r) == [
        ["Northwind - Expansion", "Ann Lee", "Negotiation/Review", 48500.0],
        ["Contoso - New Logo", "Ann Lee", "Prospecting", 1932.0],
        ["Tailspin - Pilot", "Luis Ortega", "Prospecting", 7000.0],
    ]
    assert r.rejects == []
    assert (
        "summary-format report: 2 group rows and 1 subtotal row left out; 'Opportunity Owner' "
        "filled down from each group" in r.warnings
    )


def test_summary_report_xlsx_with_two_groupings(tmp_path):
    """A formatted XLSX grouped by owner, then stage: merged cells hold a value on their first
    row only; the stage repeats under the next owner, which starts a new group."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Pipeline by Owner and Stage"])
    ws.append([])
    ws.append(["Opportunity Owner", "Stage", "Opportunity Name", "Amount", "Close Date"])
    ws.append(["Ann Lee (2)", "Prospecting (1)", "A1", 100, "2026-11-01"])  # row 4
    ws.append([None, "Subtotal", None, 100, None])
    ws.append([None, "Qualification (1)", "A2", 200, "2026-11-02"])
    ws.append([None, "Subtotal", None, 200, None])
    ws.append(["Subtotal", None, None, 300, None])
    ws.append(["Bo Park (2)", "Prospecting (2)", "B1", 400, "2026-11-03"])  # row 9
    ws.append([None, None, "B2", 500, "2026-11-31"])  # row 10: no such day
    ws.append([None, "Subtotal", None, 900, None])
    ws.append(["Total", None, None, 1200, None])
    path = tmp_path / "formatted.xlsx"
    wb.save(path)
    r = read_export(path)
    assert _deals(r) == [
        ["A1", "Ann Lee", "Prospecting", 100.0],
        ["A2", "Ann Lee", "Qualification", 200.0],
        ["B1", "Bo Park", "Prospecting", 400.0],
    ]
    assert [(x.row_number, x.column) for x in r.rejects] == [(10, "Close Date")]
    assert r.rejects[0].raw.startswith("Bo Park,Prospecting,B2,")


def test_a_details_report_with_one_blank_owner_is_not_filled_down(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Opportunity Name,Stage,Close Date\n"
        "Ann Lee,A1,Prospecting,2026-11-01\n"
        ",A2,Prospecting,2026-11-02\n"
        "Bo Park,B1,Prospecting,2026-11-03\n"
    )
    r = read_export(path)
    assert r.frame["owner"].tolist() == ["Ann Lee", schema.UNASSIGNED, "Bo Park"]
    assert not any(w.startswith("summary-format") for w in r.warnings)


# --- participants --------------------------------------------------------------------------


def test_event_relations_beside_event_csv_are_participants():
    """Data Export EventRelation.csv (EventId, RelationId): the invited users, named by
    User.csv, minus the owner; contacts and deleted relations left out."""
    r = read_export(EXPORTS / "salesforce-event-relations" / "Event.csv")
    assert r.frame[["activity_id", "owner", "participants"]].values.tolist() == [
        ["00UHp00000Ev001MAA", "Dana Whitfield", "Sam Eng"],  # and a contact (003...)
        ["00UHp00000Ev002MAA", "Dana Whitfield", "Maria Gomez"],  # Sam Eng's relation deleted
        ["00UHp00000Ev003MAA", "Sam Eng", "Dana Whitfield"],  # Sam Eng is the owner
        ["00UHp00000Ev004MAA", "Dana Whitfield", None],
    ]


def test_activity_report_attendees_are_participants(tmp_path):
    path = tmp_path / "activities.csv"
    path.write_text(
        "Assigned,Date,Subject,Activity Type,Status,Attendees\n"
        "Ann Lee,10/15/2026,Demo,Event,Completed,Ann Lee; Sam Eng;sam eng\n"
        "Ann Lee,10/16/2026,Call,Task,Completed,\n"
    )
    r = read_export(path)
    assert r.frame["participants"].tolist() == ["Sam Eng", None]
