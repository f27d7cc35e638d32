"""Drafted mappings (issue 15 item 1): real layouts no built-in format reads load from the draft
as it comes, without a hand edit; the fields chosen are asserted column by column.

Fixtures in tests/fixtures/exports/drafts are shaped like public files: the Maven Analytics "CRM
Sales Opportunities" teaching set (sales_pipeline.csv, sales_teams.csv, and the joined extract
sold with dashboards built on it), a Tableau-style Salesforce extract (owner in ``Account Owned
By``, columns repeated by the join) and a Salesforce opportunity report with no amount, no
opportunity name and no close date (titles above the table, totals and notices below).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders.formats import LoadError, read_export
from loaders.formats.draft import (
    DOUBTFUL,
    NONE,
    SURE,
    draft_mapping,
    header_words,
    preview,
    profile,
)
from loaders.formats.mapping import mapping_from_dict

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
DRAFTS = EXPORTS / "drafts"


def _load(path: Path, spec: dict):
    """Read ``path`` through ``spec`` exactly as ``--mapping`` would (read_export)."""
    return read_export(path, mapped=mapping_from_dict(spec, where="draft"))


def _toml_round_trip(draft) -> dict:
    """The TOML text parses back to the same mapping as ``spec()``."""
    spec = tomllib.loads(draft.to_toml())
    assert spec == draft.spec()
    return spec


def test_maven_sales_pipeline_loads_from_its_draft():
    path = DRAFTS / "sales_pipeline.csv"
    with pytest.raises(LoadError):
        read_export(path)  # no built-in format reads it
    draft = draft_mapping(path)
    assert draft.kind == "pipeline"
    assert draft.chosen() == {
        "stage": "deal_stage",
        "deal_id": "opportunity_id",
        "account": "account",
        "owner": "sales_agent",
        "amount": "close_value",
        "close_date": "close_date",
        "created_date": "engage_date",
    }
    assert draft.choice("deal_name").confidence == NONE
    assert "named by their account" in draft.choice("deal_name").why
    assert ("product", "no field of a pipeline file reads it") in draft.left_out
    # funnel words order the open stages; won, then lost, from the words
    assert [(s.name, s.order, s.status) for s in draft.stages] == [
        ("Prospecting", 1, "open"),
        ("Engaging", 2, "open"),
        ("Won", 3, "won"),
        ("Lost", 4, "lost"),
    ]
    result = _load(path, _toml_round_trip(draft))
    assert result.rejects == []
    f = result.frame
    # 30 rows: 13 Won, 6 Lost, 7 Engaging, 4 Prospecting
    assert len(f) == 30
    assert f["status"].value_counts().to_dict() == {"won": 13, "open": 11, "lost": 6}
    # the 13 Won rows' close_value, by hand: 1054 + 4514 + 50 + 588 + 5169 + 556 + 25897 + 5539
    # + 4200 + 58 + 5585 + 6499 + 4998 = 64,707; Lost rows carry 0, open ones nothing
    won = f[f["status"] == "won"]
    assert won["amount"].sum() == 64707.0
    assert f.loc[f["status"] == "lost", "amount"].sum() == 0.0
    assert f.loc[f["status"] == "open", "amount"].isna().all()
    # no name column: named by the account, or by the id when the account is blank
    first = f.iloc[0]
    assert (first["deal_id"], first["deal_name"], first["owner"]) == (
        "1C1I7A6R",
        "Cancity",
        "Moses Frase",
    )
    blank_account = f[f["deal_id"] == "HAXMC4IX"].iloc[0]
    assert blank_account["deal_name"] == "HAXMC4IX" and blank_account["account"] is None
    assert f.loc[f["deal_id"] == "Z063OYW0", "close_date"].iloc[0] == pd.Timestamp("2017-03-11")
    # 30 rows, 3 Engaging ones with a blank account (named by the id), 27 named by the account
    assert "27 rows: no deal name column: the deal is named by its account" in result.warnings
    assert "3 rows: no deal name column: the deal is named by its id" in result.warnings
    assert draft.source == "sales-pipeline"


def test_maven_sales_teams_drafts_a_roster():
    path = DRAFTS / "sales_teams.csv"
    draft = draft_mapping(path)
    assert draft.kind == "roster"
    assert draft.chosen() == {
        "rep": "sales_agent",
        "team": "regional_office",
        "manager": "manager",
    }
    assert draft.choice("rep").confidence == SURE
    assert draft.choice("team").confidence == DOUBTFUL  # an office read as a team: CHECK
    assert "# CHECK:" in draft.to_toml()
    result = _load(path, _toml_round_trip(draft))
    assert result.rejects == []
    f = result.frame
    assert len(f) == 22
    assert sorted(f["team"].unique()) == ["Central", "East", "West"]
    assert f.loc[f["rep"] == "Zane Levy", "manager"].iloc[0] == "Summer Sewald"


def test_tableau_salesforce_extract_owner_in_account_owned_by_and_repeated_columns():
    path = DRAFTS / "tableau_salesforce_extract.csv"
    draft = draft_mapping(path)
    assert draft.kind == "pipeline" and draft.source == "salesforce"
    assert draft.chosen() == {
        "stage": "Stage",
        "deal_name": "Opportunity Name",
        "deal_id": "Opportunity ID",
        "account": "Account Name",
        "owner": "Account Owned By",
        "amount": "Amount",
        "close_date": "Close Date",
        "created_date": "Created Date",
        "is_won": "Is Won",
        "is_closed": "Is Closed",
    }
    assert "appears 2 times" in draft.choice("owner").why
    assert draft.salesforce_ids
    assert draft.status_from == "Is Won"  # the flags say won/lost; [stages] gives order only
    assert [s.name for s in draft.stages][:3] == ["Prospecting", "Qualification", "Needs Analysis"]
    result = _load(path, _toml_round_trip(draft))
    assert result.rejects == []
    f = result.frame.set_index("deal_name")
    # the Umbrella row's first Account Owned By is blank: the repeated column fills it
    assert f.loc["Umbrella - Pilot", "owner"] == "Lena Vogt"
    assert f.loc["Umbrella - Pilot", "status"] == "lost"
    assert f.loc["Initech - Seats", "status"] == "won"
    assert f.loc["Acme - Platform renewal", "deal_id"] == "0066g00000AbCdEAAV"  # 15 -> 18
    assert f.loc["Acme - Platform renewal", "amount"] == 48000.0
    # the opportunity's Created Date, not the account's (the first non-empty of the two)
    assert f.loc["Acme - Platform renewal", "created_date"] == pd.Timestamp("2026-06-02")
    assert np.isnan(f.loc["Wayne - Security", "amount"])


def test_salesforce_report_without_amount_name_or_close_date():
    path = DRAFTS / "salesforce_report_no_amount.csv"
    draft = draft_mapping(path)
    assert draft.kind == "pipeline"
    assert draft.chosen() == {
        "stage": "Stage",
        "deal_id": "Opportunity ID",
        "account": "Account Name",
        "owner": "Opportunity Owner",
        "probability": "Probability (%)",
        "created_date": "Created Date",
        "lead_source": "Lead Source",
        "last_stage_change_date": "Last Stage Change Date",
    }
    absent = {c.field: c.why for c in draft.choices if c.column is None}
    assert "named by their account" in absent["deal_name"]
    assert "load empty, with a warning" in absent["amount"]
    assert "last stage change date" in absent["close_date"]
    result = _load(path, _toml_round_trip(draft))
    assert result.rejects == []
    assert result.extra["header_line"] == 4  # the title lines above it skipped
    assert result.rows_read == 8  # totals and notices below it are not rows
    f = result.frame.set_index("deal_name")
    # closed deals take their Last Stage Change Date as close date; open ones have none
    assert f.loc["Tailspin Toys", "close_date"] == pd.Timestamp("2026-09-18")
    assert f.loc["Wingtip", "close_date"] == pd.Timestamp("2026-08-27")
    assert pd.isna(f.loc["Contoso", "close_date"])
    assert f["amount"].isna().all()
    assert f.loc["Fabrikam", "probability"] == pytest.approx(0.75)
    assert any(w.startswith("no amount column") for w in result.warnings)
    assert any("closed on its 'Last Stage Change Date'" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("name", "chosen"),
    [
        (
            "warehouse_opportunities.csv",
            {
                "stage": "sales_stage",
                "deal_name": "opportunity",
                "deal_id": "opp_key",
                "account": "customer",
                "owner": "rep_name",
                "amount": "value_eur",
                "probability": "win_pct",
                "forecast_category": "fc",
                "close_date": "expected_close",
                "created_date": "opened_on",
            },
        ),
        (
            "zoho_deals.csv",
            {
                "stage": "Stage",
                "deal_name": "Deal Name",
                "deal_id": "Record Id",
                "account": "Account Name",
                "owner": "Deal Owner",
                "amount": "Amount",
                "currency": "Currency",
                "probability": "Probability (%)",
                "close_date": "Closing Date",
                "created_date": "Created Time",
            },
        ),
        (
            "pipedrive_deals.csv",
            {
                "stage": "Deal - Stage",
                "deal_name": "Deal - Title",
                "deal_id": "Deal - ID",
                "account": "Deal - Organization",
                "owner": "Deal - Owner",
                "status": "Deal - Status",
                "amount": "Deal - Value",
                "currency": "Deal - Currency of value",
                "probability": "Deal - Probability",
                "close_date": "Deal - Expected close date",
                "created_date": "Deal - Deal created",
                "won_date": "Deal - Won time",
                "lost_date": "Deal - Lost time",
            },
        ),
    ],
)
def test_existing_fixtures_draft_sensibly(name, chosen):
    path = EXPORTS / name
    draft = draft_mapping(path)
    assert draft.kind == "pipeline"
    assert draft.chosen() == chosen
    drafted = _load(path, _toml_round_trip(draft))
    builtin = read_export(path, mapping=None) if name != "warehouse_opportunities.csv" else None
    if builtin is not None:  # the same deals, statuses and amounts as the built-in mapping
        cols = ["deal_id", "status", "amount", "close_date"]
        pd.testing.assert_frame_equal(drafted.frame[cols], builtin.frame[cols])


def test_warehouse_draft_reads_day_first_dates_and_decimal_commas():
    path = EXPORTS / "warehouse_opportunities.csv"
    f = _load(path, draft_mapping(path).spec()).frame.set_index("deal_id")
    assert f.loc["WH-1", "amount"] == 12500.0  # "12.500,00"
    assert f.loc["WH-1", "close_date"] == pd.Timestamp("2026-11-05")  # 05/11/2026, day first
    assert f.loc["WH-2", "status"] == "won"  # Signed, from the word (a guess marked CHECK)
    assert f.loc["WH-3", "status"] == "lost"  # Dropped


def test_kind_can_be_asked_and_a_joined_extract_drafts_either_kind():
    path = DRAFTS / "crm_sales_dashboard.csv"
    assert draft_mapping(path).kind == "pipeline"
    roster = draft_mapping(path, "roster")
    assert roster.chosen() == {
        "rep": "sales_agent",
        "team": "regional_office",
        "manager": "manager",
    }
    assert roster.kind_why == "as asked"
    with pytest.raises(LoadError, match="cannot draft a mapping for kind 'weather'"):
        draft_mapping(path, "weather")


def test_ambiguous_dates_are_decided_month_first_and_marked(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal,Stage,Close\nA,Proposal,03/04/2026\nB,Won,05/06/2026\nC,Lost,07/08/2026\n"
    )
    draft = draft_mapping(path)
    assert draft.date_format == "%m/%d/%Y"
    assert "CHECK: dates such as" in draft.to_toml()
    f = _load(path, draft.spec()).frame
    assert f["close_date"].tolist() == [
        pd.Timestamp("2026-03-04"),
        pd.Timestamp("2026-05-06"),
        pd.Timestamp("2026-07-08"),
    ]


def test_a_file_it_cannot_map_gets_its_doubts_marked(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("Foo,Bar,Baz\n1,2,3\n4,5,6\n")
    draft = draft_mapping(path)
    text = draft.to_toml()
    assert "REQUIRED: no column found" in text
    assert draft.choice("stage") is None or draft.choice("stage").column is None
    with pytest.raises(LoadError):
        mapping_from_dict(draft.spec())


def test_values_decide_when_words_mislead(tmp_path):
    # "Close" holds words, not dates: not taken as the close date; "Value" is an amount
    path = tmp_path / "odd.csv"
    path.write_text("Name,Stage,Close,Value\nA,Won,soon,100\nB,Open,later,200\nC,Lost,never,300\n")
    draft = draft_mapping(path)
    assert "close_date" not in draft.chosen()
    assert draft.chosen()["amount"] == "Value"


def test_header_words_fold_case_accents_camel_case_and_punctuation():
    assert header_words("LastStageChangeDate") == ("last", "stage", "change", "date")
    assert header_words("Account Owned By") == ("account", "owned", "by")
    assert header_words("Propriétaire_de l'opportunité") == (
        "proprietaire",
        "de",
        "l",
        "opportunite",
    )


def test_profile_reads_shapes():
    p = profile(["10%", "40%", "", "75%"])
    assert p.percent == 1.0 and p.filled == 0.75
    assert profile(["2026-01-02", "2026-03-04"]).date == 1.0
    assert profile(["$1,200.00", "$300.50"]).money == 1.0
    assert profile(["Won", "Lost", "Open"]).status == 1.0


def test_preview_reads_the_first_rows_and_their_rejects_as_a_load_does():
    path = EXPORTS / "warehouse_opportunities.csv"
    spec = draft_mapping(path).spec()
    frame, rejects = preview(path, spec, rows=3)
    assert frame["deal_id"].tolist() == ["WH-1", "WH-2", "WH-3"]
    assert rejects == []
    frame, rejects = preview(path, spec, rows=5)
    # line 6 (WH-5, amount 'zwölf') is rejected: 4 rows kept of the first 5
    assert frame["deal_id"].tolist() == ["WH-1", "WH-2", "WH-3", "WH-4"]
    assert [(r.row_number, r.column) for r in rejects] == [(6, "value_eur")]
    assert str(frame["close_date"].dtype).startswith("datetime64")


def test_preview_refuses_a_mapping_naming_a_column_the_file_lacks():
    path = EXPORTS / "zoho_deals.csv"
    spec = draft_mapping(path).spec()
    spec["columns"]["amount"] = "Deal Value"
    with pytest.raises(LoadError) as err:
        preview(path, spec)
    msg = str(err.value)
    assert "zoho_deals.csv" in msg and "'Deal Value' (for amount)" in msg
    assert "expected one of the columns found" in msg
