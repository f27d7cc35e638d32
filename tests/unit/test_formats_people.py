"""Roster, quota and readiness (LMS) readers.

Unit tier: no database, no browser. Expected values are read off the fixture files by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loaders import schema
from loaders.formats import LoadError, read_export
from loaders.formats.people import canonical_quarter, canonical_role

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_roster():
    r = read_export(EXPORTS / "roster.csv")
    assert (r.kind, r.format) == ("roster", "roster")
    assert r.rejects == [] and r.warnings == []
    want = schema.conform(
        pd.DataFrame(
            [
                dict(
                    rep="Dana Whitfield",
                    email="dana.whitfield@example.com",
                    crm_user_id="005Hp00000Rep01IAA",
                    team="Enterprise West",
                    manager="Morgan Lee",
                    role="AE",
                    start_date=day("2023-02-01"),
                    effective_from=pd.NaT,
                ),
                dict(
                    rep="Luis Ortega",
                    email="luis.ortega@example.com",
                    crm_user_id="005Hp00000Rep02IAA",
                    team="Enterprise West",
                    manager="Morgan Lee",
                    role="AE",
                    start_date=day("2025-11-03"),
                    effective_from=pd.NaT,
                ),
                dict(
                    rep="Luis Ortega",
                    email="luis.ortega@example.com",
                    crm_user_id="005Hp00000Rep02IAA",
                    team="Enterprise East",
                    manager="Chris Park",
                    role="AE",
                    start_date=day("2025-11-03"),
                    effective_from=day("2026-08-01"),
                ),
                dict(
                    rep="Avery Stone",
                    email="avery.stone@example.com",
                    crm_user_id="005Hp00000SE001IAA",
                    team="Enterprise West",
                    manager="Morgan Lee",
                    role="SE",
                    start_date=day("2021-06-14"),
                    effective_from=pd.NaT,
                ),
                dict(
                    rep="Morgan Lee",
                    email="morgan.lee@example.com",
                    crm_user_id="005Hp00000Mgr01IAA",
                    team="Enterprise West",
                    manager="Casey Ruiz",
                    role="Manager",
                    start_date=day("2019-01-07"),
                    effective_from=pd.NaT,
                ),
                dict(
                    rep="Mei Chen",
                    email="mei.chen@example.com",
                    crm_user_id="mei.chen@example.com",
                    team="Mid-Market",
                    manager="Jordan Blake",
                    role="AE",
                    start_date=day("2024-04-15"),
                    effective_from=pd.NaT,
                ),
            ]
        ),
        "roster",
    )
    pd.testing.assert_frame_equal(r.frame, want)


def test_roster_aliases_and_15_character_ids(tmp_path):
    path = tmp_path / "team.csv"
    path.write_text(
        "Sales Rep,Team Name,Job Title,Salesforce User ID,Hire Date\n"
        "Ada,West,Account Executive,005Hp00000hnUYP,2024-01-02\n"
        "Bo,West,Sales Development Representative,,2024-02-03\n"
        "Cy,West,Chief of Fun,,\n"
    )
    r = read_export(path)
    assert r.format == "roster"
    assert r.frame["role"].tolist() == ["AE", "SDR", "Chief of Fun"]
    assert r.frame["crm_user_id"].tolist() == ["005Hp00000hnUYPIA2", None, None]
    assert "no 'Manager' column: manager left empty" in r.warnings


def test_roster_rejects_a_repeated_rep_and_date(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("Rep,Team,Effective From\nAda,West,\nAda,East,\nAda,East,2026-08-01\n,East,\n")
    r = read_export(path)
    assert r.frame["team"].tolist() == ["West", "East"]
    assert [(x.row_number, x.column) for x in r.rejects] == [(3, "Rep"), (5, "Rep")]


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("2026-Q4", "2026-Q4"),
        ("Q4 2026", "2026-Q4"),
        ("2026 Q4", "2026-Q4"),
        ("Q4-FY26", "2026-Q4"),
        ("FY2026 Q4", "2026-Q4"),
        ("2026Q4", "2026-Q4"),
        ("q1/2027", "2027-Q1"),
        ("2026-4", "2026-Q4"),
        ("Q5 2026", None),
        ("soon", None),
        ("", None),
    ],
)
def test_quarters(text, quarter):
    assert canonical_quarter(text) == quarter


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("ae", "AE"),
        ("Account Executive", "AE"),
        ("BDR", "SDR"),
        ("Solutions Engineer", "SE"),
        ("Customer Success Manager", "CSM"),
        # the reporting chain (schema.CHAIN_ROLES)
        ("VP Sales", "VP"),
        ("Vice President of Sales", "VP"),
        ("Manager", "Manager"),
        ("Team Lead", "Manager"),
        ("Director", "Director"),
        ("Sales Director", "Director"),
        ("CRO", "Executive"),
        ("Chief Revenue Officer", "Executive"),
        ("Head of Sales", "Leader"),
        ("Sales Leader", "Leader"),
        ("Chief of Staff", "Chief of Staff"),
        ("Partner", "Partner"),
        ("", None),
    ],
)
def test_roles(text, role):
    assert canonical_role(text) == role


def test_quotas():
    r = read_export(EXPORTS / "quotas.csv")
    assert (r.kind, r.format) == ("quota", "quotas")
    want = schema.conform(
        pd.DataFrame(
            {
                "rep": ["Dana Whitfield", "Luis Ortega", "Mei Chen", "Dana Whitfield"],
                "quarter": ["2026-Q4", "2026-Q4", "2026-Q4", "2027-Q1"],
                "quota": [250000.0, 200000.0, 120000.0, 260000.0],
            }
        ),
        "quota",
    )
    pd.testing.assert_frame_equal(r.frame, want)


def test_quota_rows_that_cannot_be_read(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text(
        "Rep,Quarter,Quota\n"
        'Ada,Q4 2026,"$250,000"\n'
        "Bo,sometime,1000\n"
        "Cy,2026-Q4,lots\n"
        "Ada,2026-Q4,5\n"
        "Di,2026-Q4,-5\n"
    )
    r = read_export(path)
    assert r.frame[["rep", "quarter", "quota"]].values.tolist() == [["Ada", "2026-Q4", 250000.0]]
    assert [(x.row_number, x.column) for x in r.rejects] == [
        (3, "Quarter"),
        (4, "Quota"),
        (5, "Rep"),
        (6, "Quota"),
    ]
    assert r.rejects[0].reason == "Quarter 'sometime': expected a quarter like 2026-Q4"


def test_enablement_as_the_generator_writes_it():
    r = read_export(EXPORTS / "enablement.csv")
    assert (r.kind, r.format) == ("readiness", "enablement")
    want = schema.conform(
        pd.DataFrame(
            [
                dict(
                    rep="dana.whitfield@example.com",
                    program="Negotiation Masterclass",
                    kind="course",
                    required=True,
                    assigned_date=day("2026-08-01"),
                    due_date=day("2026-09-15"),
                    completed_date=day("2026-09-10"),
                    score=float("nan"),
                ),
                dict(
                    rep="dana.whitfield@example.com",
                    program="Product Certification 2026",
                    kind="certification",
                    required=True,
                    assigned_date=day("2026-08-01"),
                    due_date=day("2026-10-31"),
                    completed_date=pd.NaT,
                    score=float("nan"),
                ),
                dict(
                    rep="luis.ortega@example.com",
                    program="Discovery Assessment",
                    kind="assessment",
                    required=False,
                    assigned_date=day("2026-09-01"),
                    due_date=day("2026-09-30"),
                    completed_date=day("2026-09-28"),
                    score=85.0,
                ),
                dict(
                    rep="mei.chen@example.com",
                    program="Call Review - Globex",
                    kind="call_score",
                    required=False,
                    assigned_date=day("2026-10-05"),
                    due_date=pd.NaT,
                    completed_date=day("2026-10-06"),
                    score=72.5,
                ),
            ]
        ),
        "readiness",
    )
    pd.testing.assert_frame_equal(r.frame, want)


@pytest.mark.parametrize(
    "header",
    [
        # Docebo-like
        "Username,Course Name,Course Type,Enrollment Date,Completion Date,Score",
        # Mindtickle-like
        "Learner Email,Module Name,Module Type,Assigned On,Completed On,Percentage",
        # Seismic/Highspot-like
        "Email,Content Name,Content Type,Date Assigned,Date Completed,Score %",
    ],
)
def test_lms_alias_map(tmp_path, header):
    path = tmp_path / "lms.csv"
    path.write_text(f"{header}\nada@example.com,Pitch Practice,Quiz,2026-09-01,2026-09-03,0.9\n")
    r = read_export(path)
    assert r.format == "enablement"
    row = r.frame.iloc[0]
    assert row["rep"] == "ada@example.com" and row["program"] == "Pitch Practice"
    assert row["kind"] == "assessment"
    assert row["completed_date"] == day("2026-09-03")
    assert row["score"] == pytest.approx(90.0)  # 0.9 read as 90 %
    assert "no 'Required' column: every program counts as required" in r.warnings
    assert bool(row["required"]) is True


def test_enablement_scores_out_of_range_are_rejected(tmp_path):
    path = tmp_path / "lms.csv"
    path.write_text(
        "User Email,Program,Completed Date,Score (%)\n"
        "a@x.com,P,2026-09-03,120\na@x.com,Q,2026-09-03,85%\nb@x.com,R,,\n"
    )
    r = read_export(path)
    assert r.frame["score"].tolist()[0] == 85.0
    assert [(x.row_number, x.column) for x in r.rejects] == [(2, "Score (%)")]


def test_quotas_file_missing_a_column(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text("Rep,Quarter\nAda,2026-Q4\n")
    with pytest.raises(LoadError, match="'Quota'"):
        read_export(path, format="quotas")
