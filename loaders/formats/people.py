"""Roster, quotas and readiness (enablement / LMS) files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from loaders.fiscal import quarter_name
from loaders.formats.base import F, Format, Sheet, reject_duplicates
from loaders.formats.salesforce.ids import salesforce_ids
from loaders.parsing.amounts import parse_numbers
from loaders.parsing.categories import map_values
from loaders.parsing.columns import normalize_header, text_values
from loaders.parsing.errors import LoadError
from loaders.schema import CHAIN_ROLES

_REP_ALIASES = (
    "Rep",
    "Rep Name",
    "Name",
    "Full Name",
    "Sales Rep",
    "Employee",
    "Employee Name",
    "User",
    "User Name",
    "Owner",
    "Person",
    "Seller",
    "Account Executive",
)

ROSTER_FIELDS = (
    F("rep", *_REP_ALIASES, required=True, label="Rep"),
    # The column is required; a cell may be empty only on a row of the chain (CHAIN_ROLES).
    F("team", "Team", "Team Name", "Sales Team", "Squad", "Pod", "Group", required=True),
    F("email", "Email", "Email Address", "Work Email", "E-mail", "User Email"),
    F("manager", "Manager", "Manager Name", "Reports To", "Line Manager"),
    F("role", "Role", "Job Role", "Position", "Title", "Job Title"),
    F("start_date", "Start Date", "Hire Date", "Started", "Start", "Join Date", type="date"),
    F(
        "crm_user_id",
        "CRM User ID",
        "CRM ID",
        "Salesforce User ID",
        "User ID",
        "Owner ID",
        "HubSpot Owner",
        "HubSpot Owner Email",
        "CRM User",
    ),
    F(
        "effective_from",
        "Effective From",
        "Effective Date",
        "Valid From",
        "Team From",
        "Effective",
        type="date",
    ),
)

_ROLES = {
    "ae": "AE",
    "accountexecutive": "AE",
    "seller": "AE",
    "accountmanager": "AE",
    "sdr": "SDR",
    "bdr": "SDR",
    "salesdevelopmentrep": "SDR",
    "salesdevelopmentrepresentative": "SDR",
    "businessdevelopmentrep": "SDR",
    "businessdevelopmentrepresentative": "SDR",
    "se": "SE",
    "salesengineer": "SE",
    "solutionsengineer": "SE",
    "solutionengineer": "SE",
    "presales": "SE",
    "solutionsconsultant": "SE",
    "csm": "CSM",
    "customersuccessmanager": "CSM",
    "customersuccess": "CSM",
    "manager": "Manager",
    "salesmanager": "Manager",
    "frontlinemanager": "Manager",
    "firstlinemanager": "Manager",
    "regionalmanager": "Manager",
    "areamanager": "Manager",
    "accountexecutivemanager": "Manager",
    "teamlead": "Manager",
    "teamleader": "Manager",
    "salesteamlead": "Manager",
    "director": "Director",
    "salesdirector": "Director",
    "directorofsales": "Director",
    "regionaldirector": "Director",
    "areadirector": "Director",
    "seniordirector": "Director",
    "vp": "VP",
    "vpsales": "VP",
    "vpofsales": "VP",
    "svp": "VP",
    "rvp": "VP",
    "avp": "VP",
    "evp": "VP",
    "vicepresident": "VP",
    "vicepresidentsales": "VP",
    "vicepresidentofsales": "VP",
    "salesvp": "VP",
    "regionalvp": "VP",
    "regionalvicepresident": "VP",
    "seniorvicepresident": "VP",
    "executive": "Executive",
    "exec": "Executive",
    "cro": "Executive",
    "chiefrevenueofficer": "Executive",
    "cso": "Executive",
    "chiefsalesofficer": "Executive",
    "ceo": "Executive",
    "chiefexecutiveofficer": "Executive",
    "leader": "Leader",
    "salesleader": "Leader",
    "headofsales": "Leader",
    "salesleadership": "Leader",
    "leadership": "Leader",
    "partner": "Partner",
    "partnermanager": "Partner",
}


def canonical_role(text: str | None) -> str | None:
    """``AE``, ``SDR``, ``SE``, ``CSM``, ``Partner`` and the chain's ``Manager``, ``Director``,
    ``VP``, ``Executive``, ``Leader`` (``schema.CHAIN_ROLES``) for the usual spellings (``Team
    Lead``, ``Sales Director``, ``Vice President``, ``CRO``, ``Head of Sales``...); any other role
    as written."""
    if not text:
        return None
    return _ROLES.get(normalize_header(text), text)


def read_roster(s: Sheet) -> pd.DataFrame:
    """Roster: one row per person, or several for one who changed team or manager (``Effective
    From``).

    ``Manager`` names whom the person reports to over the row's period (``docs/metrics.md``,
    calls and the hierarchy). A row of the chain (role Manager, Director, VP, Executive or
    Leader) may leave ``Team`` empty; any other row needs a team.
    """
    rep = s.text("rep", required=True)
    role = map_values(s.column("role"), canonical_role)
    team = s.text("team")
    chain = pd.Series(role, dtype=object).isin(CHAIN_ROLES).to_numpy()
    s.reject(
        np.equal(team, None) & ~chain,
        "team",
        "a team is required (only a Manager, Director, VP, Executive or Leader row may leave "
        "it empty)",
    )
    effective = s.date("effective_from")
    crm = salesforce_ids(s.column("crm_user_id"))
    key = (
        pd.Series(rep, dtype=object).str.casefold()
        + "|"
        + pd.Series(np.datetime_as_string(effective, unit="D"), dtype=object)
    )
    reject_duplicates(s, key.to_numpy(dtype=object), "rep", "rep and Effective From")
    return s.frame(
        {
            "rep": rep,
            "email": s.text("email"),
            "crm_user_id": crm,
            "team": team,
            "manager": s.text("manager"),
            "role": role,
            "start_date": s.date("start_date"),
            "effective_from": effective,
        }
    )


ROSTER = Format(
    name="roster",
    kind="roster",
    source="roster",
    title="a roster file",
    fields=ROSTER_FIELDS,
    reader=read_roster,
)

# ---------------------------------------------------------------------------------------------

QUOTA_FIELDS = (
    F("rep", *_REP_ALIASES, required=True, label="Rep"),
    F(
        "quarter",
        "Quarter",
        "Period",
        "Fiscal Quarter",
        "Fiscal Period",
        "Quarter Name",
        required=True,
    ),
    F("quota", "Quota", "Quota Amount", "Target", "Quota (USD)", "Amount", required=True),
)


def canonical_quarter(text: str | None) -> str | None:
    """``2026-Q4`` from ``2026-Q4``, ``Q4 2026``, ``Q4-FY26``, ``FY2026 Q4``, ``2026Q4``
    (``fiscal.quarter_name``)."""
    return quarter_name(text)


def read_quotas(s: Sheet) -> pd.DataFrame:
    """Quotas: ``Rep, Quarter, Quota``."""
    rep = s.text("rep", required=True)
    quarter = map_values(s.column("quarter"), canonical_quarter)
    given = ~np.equal(text_values(s.column("quarter")), None)
    s.reject(given & np.equal(quarter, None), "quarter", "expected a quarter like 2026-Q4")
    s.reject(~given, "quarter", "a quarter is required")
    quota = s.amount("quota", required=True)
    s.reject(quota < 0, "quota", "a quota cannot be negative")
    key = pd.Series(rep, dtype=object).str.casefold() + "|" + pd.Series(quarter, dtype=object)
    reject_duplicates(s, key.to_numpy(dtype=object), "rep", "rep and quarter")
    return s.frame({"rep": rep, "quarter": quarter, "quota": quota})


QUOTAS = Format(
    name="quotas",
    kind="quota",
    source="roster",
    title="a quotas file",
    fields=QUOTA_FIELDS,
    reader=read_quotas,
)

# ---------------------------------------------------------------------------------------------
# Enablement / LMS exports: the columns are whatever the admin picked, read through aliases.

READINESS_FIELDS = (
    F(
        "email",
        "User Email",
        "Email",
        "Learner Email",
        "Employee Email",
        "Email Address",
        "Rep Email",
        "User Email Address",
        "Learner",
        expected=False,
    ),
    F(
        "user",
        "User Name",
        "User",
        "Learner Name",
        "Full Name",
        "Name",
        "Rep",
        "Rep Name",
        "Employee",
        "Employee Name",
        "User Full Name",
        "Participant",
        expected=False,
    ),
    F(
        "program",
        "Program",
        "Program Name",
        "Course",
        "Course Name",
        "Course Title",
        "Module",
        "Module Name",
        "Learning Path",
        "Content",
        "Content Name",
        "Title",
        "Training",
        "Assessment",
        "Assessment Name",
        "Skill",
        "Item",
        "Item Name",
        "Scorecard",
        required=True,
    ),
    F(
        "kind",
        "Program Type",
        "Type",
        "Kind",
        "Content Type",
        "Course Type",
        "Learning Object Type",
        "Item Type",
        "Category",
        "Module Type",
    ),
    F("required", "Required", "Mandatory", "Is Required", "Required?", "Assignment Type"),
    F(
        "assigned_date",
        "Assigned Date",
        "Assigned On",
        "Date Assigned",
        "Assigned",
        "Assignment Date",
        "Enrollment Date",
        "Enrolled On",
        "Enrolled Date",
        type="date",
    ),
    F("due_date", "Due Date", "Due", "Deadline", "Due On", type="date"),
    F(
        "completed_date",
        "Completed Date",
        "Completion Date",
        "Completed On",
        "Date Completed",
        "Completed At",
        "Completed",
        "Passed Date",
        type="date",
    ),
    F(
        "status",
        "Status",
        "Completion Status",
        "Enrollment Status",
        "Progress Status",
        "Progress",
        expected=False,
    ),
    F(
        "score",
        "Score (%)",
        "Score",
        "Percent",
        "Percentage",
        "Score Percent",
        "Score %",
        "Grade",
        "Result",
        "Call Score",
        "Final Score",
        "Points (%)",
    ),
)
READINESS_SIGNATURE = (
    (
        "User Email",
        "Email",
        "Learner Email",
        "Employee Email",
        "Email Address",
        "Rep Email",
        "User Name",
        "User",
        "Learner",
        "Learner Name",
        "Full Name",
        "Name",
        "Rep",
        "Rep Name",
        "Employee",
        "Employee Name",
        "User Full Name",
        "Participant",
    ),
    tuple(READINESS_FIELDS[2].aliases),
    (
        "Completed Date",
        "Completion Date",
        "Completed On",
        "Date Completed",
        "Completed At",
        "Completed",
        "Score (%)",
        "Score",
        "Percent",
        "Percentage",
        "Grade",
        "Assigned Date",
        "Assigned On",
        "Date Assigned",
        "Due Date",
        "Deadline",
        "Status",
        "Completion Status",
        "Enrollment Date",
        "Call Score",
        "Final Score",
        "Passed Date",
    ),
)

_KINDS = {
    "course": "course",
    "module": "course",
    "learningpath": "course",
    "elearning": "course",
    "video": "course",
    "training": "course",
    "program": "course",
    "curriculum": "course",
    "onboarding": "course",
    "ilt": "course",
    "classroom": "course",
    "webinar": "course",
    "certification": "certification",
    "certificate": "certification",
    "cert": "certification",
    "accreditation": "certification",
    "assessment": "assessment",
    "quiz": "assessment",
    "test": "assessment",
    "exam": "assessment",
    "knowledgecheck": "assessment",
    "roleplay": "assessment",
    "pitch": "assessment",
    "callscore": "call_score",
    "callscoring": "call_score",
    "scorecard": "call_score",
    "callreview": "call_score",
    "coaching": "call_score",
    "conversationscore": "call_score",
}
_DONE_STATUS = {"completed", "complete", "passed", "done", "certified", "finished"}


def read_readiness(s: Sheet) -> pd.DataFrame:
    """Enablement / LMS export: who, which program, kind, required, dates, score (0-100)."""
    email = s.text("email")
    user = s.text("user")
    if not s.has("email") and not s.has("user"):
        raise LoadError(
            f"{s.name}: no column names the learner (User Email, Email, User Name, "
            f"Learner...); columns found: {', '.join(map(repr, s.table.header))}"
        )
    rep = np.where(np.equal(email, None), user, email)
    s.reject(
        np.equal(rep, None),
        "email" if s.has("email") else "user",
        "the learner's email or name is required",
    )
    program = s.text("program", required=True)
    kind_text = text_values(s.column("kind"))
    kind = map_values(s.column("kind"), lambda v: _KINDS.get(normalize_header(v)))
    unknown = np.equal(kind, None) & ~np.equal(kind_text, None)
    if unknown.any():
        labels = sorted(set(kind_text[unknown]))[:5]
        s.warn_count(
            unknown,
            f"program type Team Car does not know "
            f"({', '.join(map(repr, labels))}), counted as a course",
        )
    if not s.has("kind"):
        header_kind = _KINDS.get(normalize_header(s.header("program")))
        kind = np.full(s.n, header_kind or "course", dtype=object)
    kind[np.equal(kind, None)] = "course"
    if s.has("required"):
        required = s.truth("required", on_bad="blank") != 0
    else:
        required = np.ones(s.n, dtype=bool)
        s.warnings.append("no 'Required' column: every program counts as required")
    completed = s.date("completed_date")
    if s.has("status"):
        done_no_date = s.flag("status", list(_DONE_STATUS)) & np.isnat(completed)
        s.warn_count(done_no_date, "marked completed but no completion date (left without one)")
    score = _scores(s)
    return s.frame(
        {
            "rep": rep,
            "program": program,
            "kind": kind,
            "required": required,
            "assigned_date": s.date("assigned_date"),
            "due_date": s.date("due_date"),
            "completed_date": completed,
            "score": score,
        }
    )


def _scores(s: Sheet) -> np.ndarray:
    if not s.has("score"):
        return np.full(s.n, np.nan)
    column = s.column("score")
    parsed = parse_numbers(pc.utf8_trim_whitespace(pc.replace_substring(column, "%", "")))
    values = parsed.values.copy()
    finite = values[~np.isnan(values) & ~s.bad]
    has_pct = bool(pc.any(pc.match_substring(column, "%")).as_py())
    if len(finite) and not has_pct and (finite <= 1).all() and (finite % 1 != 0).any():
        values = values * 100.0
    s.reject(parsed.bad, "score", "expected a score from 0 to 100")
    s.reject(
        ~np.isnan(values) & ((values < 0) | (values > 100)),
        "score",
        "expected a score from 0 to 100",
    )
    return values


READINESS = Format(
    name="enablement",
    kind="readiness",
    source="enablement",
    title="an enablement / LMS export",
    fields=READINESS_FIELDS,
    reader=read_readiness,
    signature=READINESS_SIGNATURE,
)
