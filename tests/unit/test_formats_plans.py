"""The deal plans reader (DESIGN §12): recognised by its header, kinds from the step's words.

Unit tier: no database, no browser. Whether the deal and the owner exist is the store's question
(tests/integration/test_plans.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loaders import schema
from loaders.formats import detect_format, read_export
from loaders.formats.plans import classify_step


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (["Deal ID", "Step", "Owner", "Due", "Status", "Note"], "plans"),
        (["Opportunity Name", "Step", "Owner", "Due", "Status", "Note"], "plans"),
        (["Deal ID", "Opportunity Name", "Step", "Owner"], "plans"),
        # the neighbours keep their own files: a calls file, a Salesforce task export
        (["Person", "Quarter", "Submitted", "Commit", "Best Case", "Note"], "calls"),
        (["Rep", "Team", "Manager", "Role"], "roster"),
    ],
)
def test_plans_are_recognised_by_header(header, fmt):
    assert detect_format(header) == fmt


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Exec briefing with the CFO", "briefing"),
        ("EBC in Boston", "briefing"),
        ("MSA redlines", "legal"),
        ("Contract to procurement", "legal"),
        ("Security questionnaire", "security"),
        ("Book the POC", "technical"),
        ("Technical win: demo to IT", "technical"),
        ("Bring the reseller in", "partner"),
        ("Pricing approval from deal desk", "pricing"),
        ("Lunch with the champion", "other"),
        # whole words only: "demolition" is not a demo, "partnership" not a partner
        ("Demolition site visit", "other"),
        ("", "other"),
    ],
)
def test_a_steps_kind_comes_from_its_words(text, kind):
    assert classify_step(text) == kind


def test_a_plans_file_reads_into_steps_and_rejects_with_line_and_reason(tmp_path: Path):
    path = tmp_path / "plans.csv"
    path.write_text(
        "Deal ID,Opportunity Name,Step,Owner,Due,Status,Note\n"
        "A4,,Exec briefing with CFO,Ann Lee,2026-12-01,open,\n"  # line 2
        ",Deal A3,MSA redlines,ann@x.com,2026-11-30,Done,legal has it\n"  # line 3
        ",,Demo,Sam Se,2026-12-02,,\n"  # line 4: no deal
        "A4,,Security questionnaire,Sam Se,2026-12-20,maybe,\n"  # line 5: status
        "A4,,,Sam Se,2026-12-20,,\n"  # line 6: no step
        "A4,,Lunch with the champion,Sam Se,,x,\n",  # line 7: free text, no due, done
        encoding="utf-8",
    )
    result = read_export(path)
    assert result.kind == "plans" and result.format == "plans"
    assert list(result.frame.columns) == list(schema.PLANS)
    f = result.frame
    assert f["step"].tolist() == [
        "Exec briefing with CFO",
        "MSA redlines",
        "Lunch with the champion",
    ]
    assert f["kind"].tolist() == ["briefing", "legal", "other"]
    assert f["status"].tolist() == ["open", "done", "done"]
    assert f["deal_id"].tolist() == ["A4", None, "A4"]
    assert f["deal_name"].tolist() == [None, "Deal A3", None]
    assert f["due"].tolist()[:2] == [pd.Timestamp("2026-12-01"), pd.Timestamp("2026-11-30")]
    assert pd.isna(f["due"].iloc[2])
    assert f["line"].tolist() == [2, 3, 7]
    rejected = {r.row_number: r.reason for r in result.rejects}
    assert set(rejected) == {4, 5, 6}
    assert "Deal ID or its Opportunity Name" in rejected[4]
    assert rejected[5] == "Status 'maybe': expected open or done"
    assert "Step is empty" in rejected[6]


def test_a_kind_column_names_the_kind(tmp_path: Path):
    path = tmp_path / "plans.csv"
    path.write_text(
        "Deal ID,Step,Kind,Owner\n"
        "A4,Call with Dana,Executive briefing,Ann Lee\n"
        "A4,Dana again,nonsense,Ann Lee\n",
        encoding="utf-8",
    )
    result = read_export(path)
    assert result.frame["kind"].tolist() == ["briefing"]
    assert [r.row_number for r in result.rejects] == [3]
