"""Mapping files (TOML) and the built-in Pipedrive and Zoho mappings.

Unit tier: no database, no browser. Expected values are read off the fixture files by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loaders import schema
from loaders.formats import FORMATS, LoadError, read_export
from loaders.formats.mapping import FIELDS, load_mapping

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
EXAMPLE = ROOT / "docs" / "mapping-example.toml"


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_documented_example_mapping():
    r = read_export(EXPORTS / "warehouse_opportunities.csv", mapping=EXAMPLE)
    assert (r.kind, r.format, r.source) == ("pipeline", "mapping", "warehouse")
    want = schema.conform(
        pd.DataFrame(
            [
                dict(
                    deal_id="WH-1",
                    deal_name="Rollout Nord",
                    account="Müller GmbH",
                    owner="Jürgen Müller",
                    stage="Offer",
                    stage_order=3,
                    status="open",
                    amount=12500.0,
                    probability=0.6,
                    forecast_category="best_case",
                    close_date=day("2026-11-05"),
                    created_date=day("2026-06-02"),
                ),
                dict(
                    deal_id="WH-2",
                    deal_name="Kassen Süd",
                    account="Bäckerei Schmidt",
                    owner="Jürgen Müller",
                    stage="Signed",
                    stage_order=4,
                    status="won",
                    amount=3400.5,
                    probability=1.0,
                    forecast_category="closed",
                    close_date=day("2026-10-01"),
                    created_date=day("2026-01-14"),
                ),
                dict(
                    deal_id="WH-3",
                    deal_name="Pilot West",
                    account="Café Olé",
                    owner=schema.UNASSIGNED,
                    stage="Dropped",
                    stage_order=5,
                    status="lost",
                    amount=900.0,
                    probability=0.0,
                    forecast_category="omitted",
                    close_date=day("2026-09-30"),
                    created_date=day("2026-07-01"),
                ),
                dict(
                    deal_id="WH-4",
                    deal_name="Upsell",
                    account="Müller GmbH",
                    owner="Zoë Laurent",
                    stage="Discovery",
                    stage_order=2,
                    status="open",
                    amount=1000000.0,
                    probability=0.2,
                    forecast_category="pipeline",
                    close_date=day("2026-12-24"),
                    created_date=day("2026-08-20"),
                ),
            ]
        ),
        "pipeline",
    )
    pd.testing.assert_frame_equal(r.frame, want)
    assert [(x.row_number, x.column) for x in r.rejects] == [(6, "value_eur")]
    assert r.rejects[0].reason == "value_eur 'zwölf': expected an amount like 1,234.00"


def test_pipedrive_deals():
    r = read_export(EXPORTS / "pipedrive_deals.csv")
    assert (r.format, r.source) == ("pipedrive-deals", "pipedrive")
    f = r.frame
    assert f["deal_id"].tolist() == ["101", "102", "103", "104"]
    assert f["status"].tolist() == ["open", "won", "lost", "open"]
    assert f["stage_order"].tolist() == [4, 5, 1, 1]
    assert f["owner"].tolist() == ["Kim Lee", "Kim Lee", "Raj Patel", schema.UNASSIGNED]
    assert f["probability"].tolist()[0] == 0.6
    assert f["close_date"].tolist()[:3] == [day("2026-11-30"), day("2026-10-15"), day("2026-09-30")]
    assert [(x.row_number, x.column) for x in r.rejects] == [(6, "Deal - Status")]


def test_pipedrive_with_en_dashes_and_no_prefix(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal – ID,Deal – Title,Deal – Stage,Deal – Status,Deal – Value\n1,A,Qualified,Won,100\n",
        encoding="utf-8",
    )
    r = read_export(path)
    assert r.format == "pipedrive-deals"
    assert r.frame["status"].tolist() == ["won"]


def test_pipedrive_activities():
    r = read_export(EXPORTS / "pipedrive_activities.csv")
    assert (r.kind, r.format) == ("activity", "pipedrive-activities")
    f = r.frame
    assert f["type"].tolist() == ["call", "email", "meeting", "other"]
    assert f["completed"].tolist() == [True, True, False, False]
    assert f["duration_seconds"].tolist()[0] == 1800.0  # 00:30 is half an hour
    assert f["duration_seconds"].tolist()[2] == 5400.0
    assert f["deal_id"].tolist() == ["101", "101", "103", "102"]
    assert f["activity_id"].is_unique


def test_zoho_deals():
    r = read_export(EXPORTS / "zoho_deals.csv")
    assert (r.format, r.source) == ("zoho-deals", "zoho")
    f = r.frame
    assert f["status"].tolist() == ["open", "won", "lost", "open"]
    assert f["stage_order"].tolist() == [6, 7, 9, 1]
    assert f["amount"].tolist() == [24000.0, 3000.0, 5500.0, 12750.0]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text)
    return path


def test_activity_mapping_with_value_tables(tmp_path):
    mapping = write(
        tmp_path,
        """
kind = "activity"
source = "dialer"
duration_unit = "ms"
[columns]
activity_id = "call_id"
owner = "agent"
activity_date = "started"
type = "kind"
duration = "ms"
deal_id = "opp"
[values.type]
"Phone" = "call"
"Visit" = "meeting"
""",
    )
    csv = tmp_path / "calls.csv"
    csv.write_text(
        "call_id,agent,started,kind,ms,opp\n"
        "c1,Ada,2026-10-05T09:00:00Z,Phone,60000,006Hp000015Yh7k\n"
        "c2,Ada,2026-10-06T09:00:00Z,Visit,,\n"
        "c3,Bo,2026-10-06T09:00:00Z,Fax,,\n"
    )
    r = read_export(csv, mapping=mapping)
    assert r.source == "dialer"
    assert r.frame["type"].tolist() == ["call", "meeting", "other"]
    assert r.frame["duration_seconds"].tolist()[0] == 60.0
    assert r.frame["deal_id"].tolist()[0] == "006Hp000015Yh7k"  # ids kept as written


def test_roster_mapping_reuses_the_roster_rules(tmp_path):
    mapping = write(
        tmp_path,
        """
kind = "roster"
[columns]
rep = "Mitarbeiter"
team = "Abteilung"
role = "Rolle"
start_date = "Eintritt"
date_format = "%d.%m.%Y"
""",
    )
    csv = tmp_path / "team.csv"
    csv.write_text(
        "Mitarbeiter;Abteilung;Rolle;Eintritt\nJürgen;Nord;Account Executive;01.02.2024\n"
    )
    # date_format was written inside [columns] by mistake: it is an unknown field there
    with pytest.raises(LoadError, match="date_format"):
        read_export(csv, mapping=mapping)
    mapping = write(
        tmp_path,
        """
kind = "roster"
date_format = "%d.%m.%Y"
[columns]
rep = "Mitarbeiter"
team = "Abteilung"
role = "Rolle"
start_date = "Eintritt"
""",
    )
    r = read_export(csv, mapping=mapping)
    assert r.frame[["rep", "team", "role"]].values.tolist() == [["Jürgen", "Nord", "AE"]]
    assert r.frame["start_date"].tolist() == [day("2024-02-01")]


def test_mapped_file_missing_a_mapped_column(tmp_path):
    csv = tmp_path / "w.csv"
    csv.write_text("opp_key;opportunity\nWH-1;x\n")
    with pytest.raises(LoadError) as err:
        read_export(csv, mapping=EXAMPLE)
    msg = str(err.value)
    assert "w.csv" in msg and "'sales_stage'" in msg and "'opp_key'" in msg


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind = 'forecast'\n[columns]\ndeal_name='a'\nstage='b'\n", "kind must be one of"),
        ("kind = 'pipeline'\n", "a \\[columns\\] table is required"),
        ("kind = 'pipeline'\n[columns]\ndeal_name='a'\n", "must name stage"),
        (
            "kind = 'pipeline'\n[columns]\ndeal_name='a'\nstage='b'\nprice='c'\n",
            "unknown field price",
        ),
        ("kind = 'pipeline'\ndecimal=';'\n[columns]\ndeal_name='a'\nstage='b'\n", "decimal"),
        (
            "kind = 'pipeline'\n[columns]\ndeal_name='a'\nstage='b'\n[stages]\nX={status='maybe'}\n",
            "status must be one of",
        ),
        (
            "kind = 'activity'\n[columns]\nactivity_date='d'\n[values.type]\nX='fax'\n",
            "values.type",
        ),
        (
            "kind = 'pipeline'\ndate_format='soon'\n[columns]\ndeal_name='a'\nstage='b'\n",
            "date format",
        ),
        ("kind = = 'pipeline'", "not valid TOML"),
    ],
)
def test_bad_mapping_files_are_explained(tmp_path, text, message):
    with pytest.raises(LoadError, match=message):
        load_mapping(write(tmp_path, text))


def test_every_kind_has_mappable_fields():
    assert set(FIELDS) == set(schema.FRAMES)


def test_builtin_mappings_are_formats():
    for name in ("pipedrive-deals", "pipedrive-activities", "zoho-deals"):
        assert name in FORMATS
