"""Drafting a mapping for a file no built-in format knows (``teamcar map FILE``; issue 15).

``draft_mapping`` reads the header and a sample of values and proposes, for each canonical field of
the kind (``mapping.FIELDS``), the column that holds it:

* **by name**: the header spellings every built-in format answers to, then words in the header
  (``Account Owned By``, ``Sales Agent``, ``Deal Stage``, ``close_value``): accents, case, spacing,
  underscores and camelCase do not matter;
* **by the values**: a date field needs a column of dates, an amount one of amounts, a
  probability numbers between 0 and 100 (or 0 and 1), a status or a yes/no flag values that read
  as such; a column that reads as none of the field's shape is not chosen for it (or doubtfully);
* one column per field and one field per column, the best-scored pairs first.

Each choice is ``sure`` (a known spelling, or the words and the values agree), ``doubtful``
(marked ``# CHECK:`` in the TOML) or ``none`` (no column: what the reader then does is said). The
kind is guessed when not given (the kind whose essential fields are best found), and the stage table
is filled from the stage column's values: won and lost from the words, order from a sort-order
column, the standard Salesforce order, the usual funnel words, or first appearance.

``preview`` reads the first rows through a mapping by the same code path as a load
(``read_export``), for the browser's import step.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders.formats.base import Reject, status_from_stage_name
from loaders.formats.mapping import FIELDS, PIPELINE_NAMES, mapping_from_dict
from loaders.formats.salesforce.data_export import SALESFORCE_STAGES
from loaders.parsing.amounts import parse_amounts, parse_numbers
from loaders.parsing.categories import forecast_categories, parse_bools
from loaders.parsing.columns import normalize_header
from loaders.parsing.dates import date_order, parse_dates
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import RawTable, read_table

SURE, DOUBTFUL, NONE = "sure", "doubtful", "none"


@dataclass
class Choice:
    """The column drafted for one canonical field, how sure the draft is, and why."""

    field: str
    column: str | None
    confidence: str  # sure | doubtful | none
    why: str


@dataclass
class StageRow:
    """One stage of the file: its name, its order in the funnel and its status."""

    name: str
    order: int
    status: str  # open | won | lost


@dataclass
class Draft:
    """A drafted mapping: what was chosen, what was left out, the stage table."""

    kind: str
    source: str
    header: list[str]
    choices: list[Choice]
    left_out: list[tuple[str, str]] = field(default_factory=list)
    stages: list[StageRow] = field(default_factory=list)
    name: str = ""
    title: str = ""
    kind_why: str = ""
    date_format: str | None = None
    date_why: str = ""
    salesforce_ids: bool = False
    status_from: str | None = None  # the column the deals' status comes from, when not the stage
    stage_why: str = ""
    notes: list[str] = field(default_factory=list)
    rows_sampled: int = 0

    def chosen(self) -> dict[str, str]:
        """Field -> column of every field that has one."""
        return {c.field: c.column for c in self.choices if c.column}

    def choice(self, name: str) -> Choice | None:
        return next((c for c in self.choices if c.field == name), None)

    @property
    def doubtful(self) -> list[Choice]:
        return [c for c in self.choices if c.confidence == DOUBTFUL]

    def spec(self) -> dict:
        """The mapping as ``mapping_from_dict`` takes it."""
        spec: dict = {"kind": self.kind, "source": self.source}
        if self.title:
            spec["title"] = self.title
        if self.date_format:
            spec["date_format"] = self.date_format
        if self.salesforce_ids:
            spec["salesforce_ids"] = True
        spec["columns"] = self.chosen()
        if self.stages and self.kind == "pipeline":
            spec["stages"] = {
                s.name: (
                    {"order": s.order}
                    if self.status_from
                    else {"status": s.status, "order": s.order}
                )
                for s in self.stages
            }
        return spec

    def to_toml(self) -> str:
        """The mapping as TOML, a comment on each choice, each column left out, each doubtful
        choice (``# CHECK:``) and each field without a column."""
        out = [
            f"# Team Car mapping drafted from {_comment(self.name or 'a file')} "
            f"({self.rows_sampled:,} rows looked at).",
            "# Check the lines marked CHECK, then load with:",
            f"#   teamcar load {_comment(self.name or 'FILE')} --mapping THIS.toml",
            "# or keep it for every later file with these columns:",
            f"#   teamcar map {_comment(self.name or 'FILE')} --save NAME",
            "",
            f"kind = {_q(self.kind)}" + _note(self.kind_why),
            f"source = {_q(self.source)}"
            + _note("stored with every row; deals are keyed by (source, id)"),
        ]
        if self.title:
            out.append(f"title = {_q(self.title)}")
        if self.date_format:
            out.append(f"date_format = {_q(self.date_format)}" + _note(self.date_why))
        elif self.date_why:
            out.append(f"# dates: {_comment(self.date_why)}")
        if self.salesforce_ids:
            out.append("salesforce_ids = true" + _note("ids look like Salesforce ids"))
        for n in self.notes:
            out.append(f"# {_comment(n)}")
        out += ["", "[columns]"]
        for c in self.choices:
            if c.column:
                line = f"{c.field} = {_q(c.column)}"
                mark = "CHECK: " if c.confidence == DOUBTFUL else ""
                out.append(line + _note(mark + c.why))
        missing = [c for c in self.choices if not c.column]
        if missing:
            out += ["", "# Fields with no column:"]
            for c in missing:
                why = c.why
                if c.field == "status" and self.status_from:
                    why = f"from {self.status_from!r} (and the other yes/no or date columns)"
                out.append(f"#   {c.field}: {_comment(why)}")
        if self.left_out:
            out += ["", "# Columns left out:"]
            for column, why in self.left_out:
                out.append(f"#   {_comment(repr(column))}: {_comment(why)}")
        if self.stages and self.kind == "pipeline":
            out += ["", "[stages]" + _note(self.stage_why)]
            for s in self.stages:
                if self.status_from:
                    body = f"{{ order = {s.order} }}"
                    why = f"status from {self.status_from!r}"
                else:
                    body = f"{{ status = {_q(s.status)}, order = {s.order} }}"
                    why = _stage_status_why(s)
                out.append(f"{_q(s.name)} = {body}" + _note(why))
        return "\n".join(out) + "\n"


def _q(text: str) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def _note(text: str) -> str:
    text = _comment(text)
    return f"    # {text}" if text else ""


def _stage_status_why(s: StageRow) -> str:
    if s.status == "open":
        return "open: no won/lost word"
    return f"{s.status}: from the name"


# ---------------------------------------------------------------------------------------------
# Words in headers

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^0-9a-z]+")


def header_words(text: str) -> tuple[str, ...]:
    """A header's words: accents and case folded, camelCase and punctuation split
    (``LastStageChangeDate`` -> last, stage, change, date; ``Account Owned By`` -> account,
    owned, by)."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(ch)
    )
    plain = _CAMEL.sub(" ", plain)
    return tuple(w for w in _SPLIT.split(plain.casefold()) if w)


# Per kind, per field: the shape of its values, then (words that must all be in the header,
# score) rules, and words that rule the field out. Known spellings (every built-in format's) score
# 100 on top of these.
_OWNER_RULES = [
    (("owner",), 90),
    (("owned", "by"), 90),
    (("sales", "agent"), 90),
    (("agent",), 85),
    (("sales", "rep"), 90),
    (("rep",), 85),
    (("representative",), 85),
    (("salesperson",), 85),
    (("seller",), 80),
    (("assigned",), 80),
    (("account", "executive"), 80),
    (("ae",), 60),
    (("user",), 50),
]
_OWNER_AVOID = {"role", "email", "team", "territory", "region", "manager", "phone", "mail"}
_ACCOUNT_RULES = [
    (("account", "name"), 95),
    (("company", "name"), 95),
    (("account",), 70),
    (("company",), 80),
    (("customer",), 80),
    (("client",), 80),
    (("organization",), 80),
    (("organisation",), 80),
    (("org",), 55),
]
_ACCOUNT_AVOID = {
    "owner",
    "owned",
    "type",
    "manager",
    "rep",
    "agent",
    "id",
    "number",
    "source",
    "executive",
    "segment",
    "industry",
    "sector",
}
_PERSON_RULES = [
    (("sales", "agent"), 90),
    (("sales", "rep"), 90),
    (("rep",), 85),
    (("agent",), 85),
    (("employee",), 80),
    (("full", "name"), 80),
    (("person",), 80),
    (("seller",), 75),
    (("user",), 60),
    (("owner",), 60),
    (("name",), 55),
]
_PERSON_AVOID = {"id", "email", "manager", "team", "role", "mail", "date"}

RULES: dict[str, dict[str, tuple[str, list, set]]] = {
    "pipeline": {
        "deal_id": (
            "id",
            [
                (("opportunity", "id"), 90),
                (("deal", "id"), 90),
                (("opp", "id"), 90),
                (("record", "id"), 80),
                (("opportunity", "key"), 80),
                (("deal", "key"), 80),
                (("opportunity", "number"), 75),
                (("deal", "number"), 75),
                (("key",), 55),
                (("id",), 60),
            ],
            {
                "account",
                "owner",
                "user",
                "contact",
                "campaign",
                "parent",
                "pricebook",
                "created",
                "modified",
                "product",
                "stage",
                "lead",
                "territory",
            },
        ),
        "deal_name": (
            "name",
            [
                (("opportunity", "name"), 95),
                (("deal", "name"), 95),
                (("deal", "title"), 90),
                (("opportunity", "title"), 90),
                (("opportunity",), 55),
                (("deal",), 50),
                (("name",), 60),
                (("title",), 60),
            ],
            {
                "account",
                "owner",
                "user",
                "contact",
                "stage",
                "product",
                "campaign",
                "company",
                "customer",
                "client",
                "type",
                "source",
                "manager",
                "team",
                "agent",
                "rep",
                "lead",
                "id",
                "owned",
                "record",
                "currency",
                "key",
                "number",
                "date",
                "amount",
                "value",
                "probability",
                "category",
                "step",
                "fiscal",
                "region",
                "office",
            },
        ),
        "account": ("name", _ACCOUNT_RULES, _ACCOUNT_AVOID),
        "owner": ("person", _OWNER_RULES, _OWNER_AVOID),
        "stage": (
            "stage",
            [
                (("stage",), 90),
                (("phase",), 75),
                (("pipeline", "step"), 60),
            ],
            {
                "sort",
                "order",
                "change",
                "date",
                "duration",
                "days",
                "age",
                "probability",
                "last",
                "previous",
                "from",
                "to",
                "entered",
                "exited",
                "time",
                "id",
                "number",
            },
        ),
        "stage_order": (
            "number",
            [
                (("stage", "sort"), 95),
                (("sort", "order"), 85),
                (("stage", "order"), 90),
                (("stage", "number"), 70),
            ],
            set(),
        ),
        "status": (
            "status",
            [(("status",), 80), (("deal", "status"), 90), (("outcome",), 55)],
            {"forecast", "date", "call", "email", "approval", "payment"},
        ),
        "amount": (
            "amount",
            [
                (("amount",), 90),
                (("deal", "value"), 90),
                (("deal", "size"), 85),
                (("value",), 80),
                (("acv",), 80),
                (("tcv",), 70),
                (("arr",), 70),
                (("revenue",), 70),
                (("booking",), 60),
                (("bookings",), 60),
                (("price",), 60),
                (("mrr",), 50),
            ],
            {
                "expected",
                "weighted",
                "probability",
                "currency",
                "id",
                "date",
                "factored",
                "pct",
                "percent",
                "discount",
                "tax",
                "forecast",
                "quota",
                "annual",
            },
        ),
        "currency": (
            "currency",
            [(("currency",), 90), (("currency", "code"), 95), (("iso", "code"), 70)],
            {"rate", "converted"},
        ),
        "probability": (
            "percent",
            [
                (("probability",), 95),
                (("win", "pct"), 85),
                (("win", "probability"), 95),
                (("likelihood",), 80),
                (("chance",), 70),
                (("pct",), 55),
                (("percent",), 55),
                (("confidence",), 50),
            ],
            {"date", "amount", "weighted"},
        ),
        "forecast_category": (
            "forecast",
            [(("forecast", "category"), 95), (("forecast",), 70), (("fc",), 55)],
            {"date", "amount", "name", "id"},
        ),
        "close_date": (
            "date",
            [
                (("close", "date"), 95),
                (("closing", "date"), 95),
                (("expected", "close"), 90),
                (("closed", "date"), 85),
                (("close",), 70),
                (("closing",), 70),
                (("decision", "date"), 60),
                (("end", "date"), 40),
            ],
            {"last", "stage", "change", "created", "value", "amount", "previous", "old", "lost"},
        ),
        "created_date": (
            "date",
            [
                (("created", "date"), 90),
                (("date", "created"), 90),
                (("create", "date"), 85),
                (("created",), 75),
                (("created", "time"), 85),
                (("engage", "date"), 75),
                (("opened",), 70),
                (("open", "date"), 70),
                (("add", "time"), 60),
                (("start", "date"), 55),
            ],
            {"by", "modified", "close", "last", "closing"},
        ),
        "next_step": (
            "text",
            [
                (("next", "step"), 95),
                (("next", "action"), 80),
                (("next", "activity"), 70),
            ],
            {"date"},
        ),
        "last_activity_date": (
            "date",
            [(("last", "activity"), 95), (("last", "contacted"), 70), (("last", "touch"), 65)],
            {"type", "subject"},
        ),
        "deal_type": (
            "category",
            [(("opportunity", "type"), 95), (("deal", "type"), 95), (("type",), 65)],
            {"record", "lead", "forecast", "account", "activity", "currency", "id"},
        ),
        "lead_source": (
            "category",
            [(("lead", "source"), 95), (("source",), 60), (("origin",), 50)],
            {"record", "id", "system", "file"},
        ),
        "push_count": ("number", [(("push", "count"), 95), (("pushes",), 70)], set()),
        "is_won": ("bool", [(("is", "won"), 95), (("won",), 60)], {"date", "time", "amount"}),
        "is_closed": (
            "bool",
            [(("is", "closed"), 95), (("closed",), 55)],
            {"date", "time", "amount", "won", "lost"},
        ),
        "is_lost": ("bool", [(("is", "lost"), 95), (("lost",), 55)], {"date", "time", "reason"}),
        "won_date": (
            "date",
            [(("won", "time"), 90), (("won", "date"), 90), (("date", "won"), 85)],
            {"is"},
        ),
        "lost_date": (
            "date",
            [(("lost", "time"), 90), (("lost", "date"), 90), (("date", "lost"), 85)],
            {"is", "reason"},
        ),
        "last_stage_change_date": (
            "date",
            [
                (("last", "stage", "change"), 95),
                (("stage", "change", "date"), 90),
                (("stage", "changed"), 85),
                (("stage", "date"), 70),
            ],
            set(),
        ),
    },
    "activity": {
        "activity_id": (
            "id",
            [
                (("activity", "id"), 95),
                (("task", "id"), 90),
                (("event", "id"), 90),
                (("id",), 60),
            ],
            {"account", "owner", "deal", "opportunity", "contact", "what", "who", "user", "lead"},
        ),
        "activity_date": (
            "date",
            [
                (("activity", "date"), 95),
                (("due", "date"), 85),
                (("start", "date"), 70),
                (("date",), 65),
                (("start",), 55),
            ],
            {"created", "modified", "last", "next", "close", "end"},
        ),
        "owner": ("person", _OWNER_RULES, _OWNER_AVOID),
        "type": (
            "category",
            [
                (("activity", "type"), 95),
                (("task", "subtype"), 95),
                (("subtype",), 85),
                (("type",), 80),
                (("channel",), 60),
                (("kind",), 55),
            ],
            {"record", "id", "account", "deal", "lead"},
        ),
        "deal_id": (
            "id",
            [
                (("opportunity", "id"), 85),
                (("deal", "id"), 85),
                (("what", "id"), 70),
            ],
            set(),
        ),
        "account": ("name", _ACCOUNT_RULES, _ACCOUNT_AVOID),
        "duration": (
            "number",
            [(("duration",), 90), (("minutes",), 70), (("length",), 60)],
            set(),
        ),
        "subject": (
            "text",
            [(("subject",), 95), (("title",), 70), (("description",), 50)],
            set(),
        ),
        "participants": (
            "text",
            [(("participants",), 95), (("attendees",), 90), (("invitees",), 80)],
            set(),
        ),
        "completed": (
            "bool",
            [(("completed",), 85), (("done",), 85), (("is", "closed"), 70)],
            {"date", "time"},
        ),
    },
    "history": {
        "deal_id": (
            "id",
            [(("opportunity", "id"), 95), (("deal", "id"), 95), (("id",), 55)],
            {"account", "owner", "user"},
        ),
        "changed_at": (
            "date",
            [
                (("edit", "date"), 90),
                (("changed", "at"), 90),
                (("change", "date"), 85),
                (("modified",), 70),
                (("date",), 60),
            ],
            {"close", "created"},
        ),
        "field": ("category", [(("field",), 85), (("property",), 70)], {"id"}),
        "old_value": ("text", [(("old", "value"), 95), (("old",), 75), (("from",), 60)], set()),
        "new_value": ("text", [(("new", "value"), 95), (("new",), 75), (("to",), 55)], set()),
        "deal_name": ("name", [(("opportunity", "name"), 95), (("deal", "name"), 95)], set()),
        "account": ("name", _ACCOUNT_RULES, _ACCOUNT_AVOID),
        "owner": ("person", _OWNER_RULES, _OWNER_AVOID),
    },
    "roster": {
        "rep": ("person", _PERSON_RULES, _PERSON_AVOID),
        "team": (
            "category",
            [
                (("team",), 90),
                (("sales", "team"), 95),
                (("squad",), 80),
                (("pod",), 75),
                (("regional", "office"), 75),
                (("office",), 65),
                (("region",), 65),
                (("territory",), 60),
                (("group",), 60),
            ],
            {"id", "lead", "manager"},
        ),
        "email": ("email", [(("email",), 95), (("mail",), 80)], set()),
        "crm_user_id": (
            "id",
            [
                (("crm", "user", "id"), 95),
                (("user", "id"), 90),
                (("crm", "id"), 85),
                (("salesforce", "id"), 85),
                (("owner", "id"), 80),
            ],
            set(),
        ),
        "manager": (
            "person",
            [
                (("manager",), 90),
                (("reports", "to"), 90),
                (("supervisor",), 85),
                (("team", "lead"), 75),
            ],
            {"id", "email"},
        ),
        "role": (
            "category",
            [(("role",), 90), (("job", "title"), 80), (("position",), 75), (("title",), 60)],
            {"id"},
        ),
        "start_date": (
            "date",
            [(("start", "date"), 90), (("hire", "date"), 85), (("joined",), 75)],
            set(),
        ),
        "effective_from": (
            "date",
            [(("effective",), 90), (("valid", "from"), 85), (("as", "of"), 60)],
            set(),
        ),
    },
    "quota": {
        "rep": ("person", _PERSON_RULES, _PERSON_AVOID),
        "quarter": (
            "quarter",
            [(("quarter",), 95), (("period",), 80), (("qtr",), 85), (("fiscal",), 60)],
            set(),
        ),
        "quota": ("amount", [(("quota",), 95), (("target",), 85), (("goal",), 75)], set()),
    },
    "calls": {
        "person": ("person", _PERSON_RULES, _PERSON_AVOID),
        "quarter": ("quarter", [(("quarter",), 95), (("period",), 80)], set()),
        "submitted": (
            "date",
            [(("submitted",), 90), (("call", "date"), 90), (("date",), 60)],
            set(),
        ),
        "commit": ("amount", [(("commit",), 95)], set()),
        "best_case": ("amount", [(("best", "case"), 95), (("upside",), 80)], set()),
        "note": ("text", [(("note",), 90), (("comment",), 80)], set()),
        "author": ("person", [(("author",), 90), (("called", "by"), 85)], set()),
    },
    "readiness": {
        "program": (
            "category",
            [
                (("program",), 95),
                (("course",), 90),
                (("module",), 80),
                (("certification",), 80),
                (("training",), 75),
            ],
            {"id", "date", "status", "score"},
        ),
        "rep": ("person", _PERSON_RULES + [(("learner",), 90)], _PERSON_AVOID),
        "email": ("email", [(("email",), 95)], set()),
        "user": ("person", [(("user",), 70)], {"id"}),
        "kind": ("category", [(("kind",), 80), (("type",), 70)], set()),
        "required": ("bool", [(("required",), 90), (("mandatory",), 85)], set()),
        "assigned_date": ("date", [(("assigned",), 85), (("enrolled",), 80)], set()),
        "due_date": ("date", [(("due",), 90)], set()),
        "completed_date": ("date", [(("completed",), 85), (("completion",), 85)], set()),
        "status": ("category", [(("status",), 90)], set()),
        "score": ("percent", [(("score",), 90), (("grade",), 75)], set()),
    },
}

# What the reader does when a field has no column, for the comments.
ABSENT = {
    ("pipeline", "deal_name"): "deals are named by their account (or their id)",
    ("pipeline", "deal_id"): "deals are keyed by name + account (renaming one makes a new deal)",
    ("pipeline", "account"): "left empty",
    ("pipeline", "owner"): "deals are owned by Unassigned",
    ("pipeline", "amount"): "amounts load empty, with a warning (deals count, their value is 0)",
    ("pipeline", "close_date"): "closed deals take their last stage change date (or won/lost "
    "date) as close date; open deals have none",
    ("pipeline", "status"): "from the [stages] table below (won/lost from the stage names)",
    ("pipeline", "probability"): "left empty",
    ("pipeline", "forecast_category"): "left empty",
    ("pipeline", "stage_order"): "from the [stages] table below",
    ("activity", "activity_id"): "activities are identified by their content",
    ("activity", "owner"): "activities are owned by Unassigned",
    ("activity", "type"): "every activity is of type other",
    ("activity", "completed"): "every activity counts as completed",
    ("roster", "manager"): "reporting lines are left as they are",
}


# ---------------------------------------------------------------------------------------------
# What a column's values look like


@dataclass
class Profile:
    """Shares of a column's non-empty sample values that read as each shape."""

    filled: float = 0.0
    count: int = 0
    distinct: int = 0
    unique: bool = False
    date: float = 0.0
    amount: float = 0.0
    money: float = 0.0  # amounts written with a currency or decimals
    number: float = 0.0
    percent: float = 0.0
    fraction: float = 0.0
    bool: float = 0.0
    email: float = 0.0
    quarter: float = 0.0
    status: float = 0.0
    forecast: float = 0.0
    stagey: float = 0.0  # won/lost/funnel words
    idlike: float = 0.0
    words: float = 0.0  # text with letters, not a number or date
    salesforce_id: float = 0.0
    example: str = ""
    order: object | None = None  # the dates' day/month evidence (``DateOrder``)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_QUARTER = re.compile(
    r"(?i)^(fy\s*\d{2,4}\s*)?q[1-4]\b|\bq[1-4]\s*[-/ ]?\s*(fy)?\s*\d{2,4}$|^\d{4}-?q[1-4]$"
)
_SFID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_IDLIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-.:#/]{2,40}$")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_STATUS_WORDS = {
    "open",
    "won",
    "lost",
    "closedwon",
    "closedlost",
    "closed",
    "aberto",
    "ganho",
    "perdido",
    "abierto",
    "ganado",
    "offen",
    "gewonnen",
    "verloren",
}
_MONEY = re.compile(r"[$€£¥]|\b[A-Z]{3}\b|\d[.,]\d{2}$|\d\s?[kKmM]$")


def _funnel_rank(stage: str) -> int | None:
    key = normalize_header(stage)
    for rank, words in enumerate(_FUNNEL, start=1):
        if any(w in key for w in words):
            return rank
    return None


_FUNNEL = (
    ("lead", "new", "inbound", "mql", "sql", "unqualified"),
    ("prospect",),
    ("qualif", "discover", "engag", "contactmade", "contacted", "initial", "intro"),
    (
        "demo",
        "meeting",
        "needsanalysis",
        "valueproposition",
        "solution",
        "evaluat",
        "presentation",
        "decisionmaker",
        "perception",
        "trial",
        "pilot",
        "poc",
    ),
    ("proposal", "quote", "offer", "pricing"),
    ("negotiat", "review", "contract", "legal", "commit", "verbal", "procurement"),
)
_WON_EXTRA = ("signed", "booked", "closedwon", "win")
_LOST_EXTRA = (
    "dead",
    "disqualified",
    "dropped",
    "churned",
    "cancelled",
    "canceled",
    "rejected",
    "declined",
    "nodecision",
    "closedlost",
)


def stage_status(stage: str) -> tuple[str, bool]:
    """(status, sure) a stage name says: Salesforce's won/lost words (sure), a few common others
    (``Signed``, ``Dropped``, ``Disqualified``: a guess), else open."""
    said = status_from_stage_name(stage)
    if said:
        return said, True
    key = normalize_header(stage)
    if any(w == key or key.endswith(w) for w in _WON_EXTRA):
        return "won", False
    if any(w in key for w in _LOST_EXTRA):
        return "lost", False
    return "open", True


def profile(values: Sequence[str]) -> Profile:
    """What a sample of a column's values look like."""
    n_all = len(values)
    vals = [v.strip() for v in values if v and v.strip()]
    p = Profile(count=len(vals), filled=len(vals) / max(1, n_all))
    if not vals:
        return p
    n = len(vals)
    arr = pa.array(vals, pa.string())
    distinct = set(vals)
    p.distinct = len(distinct)
    p.unique = p.distinct == n
    p.example = vals[0][:40]

    def share(mask) -> float:
        return float(np.asarray(mask, dtype=bool).sum()) / n

    dates_m = parse_dates(arr, day_first=False)
    dates_d = parse_dates(arr, day_first=True)
    p.date = max(share(~dates_m.bad & ~dates_m.empty), share(~dates_d.bad & ~dates_d.empty))
    p.order = date_order(arr)
    nums = parse_numbers(pc.replace_substring(arr, "%", ""))
    p.number = share(~nums.bad & ~nums.empty)
    amounts = parse_amounts(arr)
    p.amount = share(~amounts.bad & ~amounts.empty)
    # an amount column is not a column of dates or of small codes
    if p.date > 0.5:
        p.amount = p.number = 0.0
    p.money = share([bool(_MONEY.search(v)) for v in vals]) if p.amount else 0.0
    if p.number:
        finite = nums.values[~np.isnan(nums.values)]
        p.percent = share([("%" in v) for v in vals]) or (
            p.number if len(finite) and (finite >= 0).all() and (finite <= 100).all() else 0.0
        )
        p.fraction = (
            p.number if len(finite) and (finite >= 0).all() and (finite <= 1).all() else 0.0
        )
    bools = parse_bools(arr)
    p.bool = share(~bools.bad & ~bools.empty)
    p.email = share([bool(_EMAIL.match(v)) for v in vals])
    p.quarter = share([bool(_QUARTER.search(v)) for v in vals])
    p.status = share([normalize_header(v) in _STATUS_WORDS for v in vals])
    fc = forecast_categories(arr)
    p.forecast = share(~fc.bad & ~fc.empty)
    p.stagey = share([stage_status(v)[0] != "open" or _funnel_rank(v) is not None for v in vals])
    p.idlike = share([bool(_IDLIKE.match(v)) for v in vals])
    p.salesforce_id = share([bool(_SFID.match(v)) and any(c.isdigit() for c in v) for v in vals])
    p.words = share([bool(_LETTERS.search(v)) for v in vals]) * (1 - max(p.date, p.number))
    return p


def fits(shape: str, p: Profile) -> float:
    """How well a column's values fit a field's shape, 0 to 1 (1 for an empty column: nothing
    contradicts)."""
    if p.count == 0:
        return 0.5
    categorical = p.distinct <= max(12, 0.5 * p.count) if p.count >= 8 else True
    if shape == "date":
        return p.date
    if shape == "amount":
        return p.amount if p.date < 0.5 else 0.0
    if shape == "number":
        return p.number
    if shape == "percent":
        return p.percent
    if shape == "bool":
        return p.bool
    if shape == "email":
        return p.email
    if shape == "quarter":
        return p.quarter
    if shape == "status":
        return p.status
    if shape == "forecast":
        return max(p.forecast, 0.5 if categorical else 0.0)
    if shape == "stage":
        if not categorical:
            return 0.2
        return max(0.7, p.stagey) if p.words > 0.8 else 0.2
    if shape == "category":
        return 0.9 if categorical and p.words > 0.5 else 0.4
    if shape == "id":
        return 1.0 if p.unique or p.idlike > 0.9 else 0.4 if p.idlike > 0.5 else 0.1
    if shape == "person":
        return 0.9 if p.words > 0.8 and p.email < 0.5 else 0.4 if p.words > 0.5 else 0.1
    if shape == "name":
        return 0.9 if p.words > 0.7 else 0.3
    return 0.9 if p.words > 0.3 or p.count else 0.5  # text


# ---------------------------------------------------------------------------------------------
# Known spellings, from every built-in format


def _known_spellings() -> dict[tuple[str, str], set[str]]:
    from loaders.formats.detect import FORMATS

    out: dict[tuple[str, str], set[str]] = {}
    for fmt in FORMATS.values():
        if fmt.kind not in FIELDS:
            continue
        allowed = set(FIELDS[fmt.kind][0]) | set(FIELDS[fmt.kind][1])
        for f in fmt.fields:
            name = "rep" if (fmt.kind == "readiness" and f.name == "user") else f.name
            if name in allowed:
                out.setdefault((fmt.kind, name), set()).update(f.keys)
    extra = {
        ("pipeline", "deal_id"): ["opportunityid", "dealid", "oppid", "recordid"],
        ("pipeline", "deal_name"): ["opportunityname", "dealname", "opportunity", "dealtitle"],
        ("pipeline", "stage"): ["stage", "stagename", "dealstage", "salesstage"],
        ("pipeline", "last_stage_change_date"): ["laststagechangedate"],
        ("pipeline", "amount"): ["amount", "closevalue", "dealvalue", "value"],
        ("pipeline", "owner"): ["opportunityowner", "owner", "salesagent", "dealowner"],
        ("roster", "rep"): ["salesagent", "rep", "salesrep"],
    }
    for key, names in extra.items():
        out.setdefault(key, set()).update(names)
    return out


_KNOWN: dict[tuple[str, str], set[str]] | None = None


def known_spellings() -> dict[tuple[str, str], set[str]]:
    global _KNOWN
    if _KNOWN is None:
        _KNOWN = _known_spellings()
    return _KNOWN


# ---------------------------------------------------------------------------------------------
# Scoring and choosing


@dataclass
class _Candidate:
    score: float
    field: str
    column: int
    confidence: str
    why: str


def _name_score(kind: str, fname: str, header: str) -> tuple[float, str]:
    """How much a header's name says it holds ``fname`` (0-100) and why."""
    key = normalize_header(header)
    if key and key in known_spellings().get((kind, fname), set()):
        return 100.0, "a known spelling"
    shape, rules, avoid = RULES[kind][fname]
    words = set(header_words(header))
    if words & avoid:
        return 0.0, ""
    best = (0.0, "")
    for need, score in rules:
        if set(need) <= words and score > best[0]:
            best = (float(score), f"the header says {' '.join(need)!r}")
    return best


def _value_guess(kind: str, fname: str, p: Profile) -> tuple[float, str]:
    """A guess from the values alone, for fields a file seldom lacks."""
    if kind == "pipeline" and fname == "stage" and p.stagey >= 0.3 and fits("stage", p) >= 0.7:
        return 45.0, "its values read as stages (won/lost or funnel words)"
    if kind == "pipeline" and fname == "amount" and p.money >= 0.5 and p.amount >= 0.9:
        return 40.0, "its values read as money"
    if kind == "roster" and fname == "email" and p.email >= 0.9:
        return 60.0, "its values are e-mail addresses"
    if kind in ("quota", "calls") and fname == "quarter" and p.quarter >= 0.9:
        return 60.0, "its values read as quarters"
    return 0.0, ""


def _candidates(
    kind: str, header: list[str], profiles: list[Profile], columns: list[int]
) -> list[_Candidate]:
    out = []
    must = FIELDS[kind][0]
    for fname in FIELDS[kind][0] + FIELDS[kind][1]:
        if fname not in RULES[kind]:
            continue
        shape = RULES[kind][fname][0]
        for i in columns:
            h = header[i]
            p = profiles[i]
            name, why = _name_score(kind, fname, h)
            guess = False
            if name == 0:
                name, why = _value_guess(kind, fname, p)
                guess = True
                if name == 0:
                    continue
            fit = fits(shape, p)
            what = _shape_words(shape)
            if shape in ("status", "bool", "percent", "quarter") and fit < 0.8 and p.count:
                continue  # the reader would reject rows it cannot read: leave it out
            if shape in ("date", "amount", "number", "email") and fit < 0.5 and p.count:
                if name < 100:
                    continue
                score = name * 0.4
                conf = DOUBTFUL
                why = f"{why}, but its values do not read as {what} (e.g. {p.example!r})"
            else:
                score = name * (0.6 + 0.4 * fit)
                if p.count == 0:
                    why += "; the sample has no values in it"
                elif fit >= 0.8 and shape not in ("text",):
                    why += f"; values read as {what}" if shape not in ("name", "category") else ""
                conf = SURE if (name >= 80 and fit >= 0.7 and not guess) else DOUBTFUL
                if fit < 0.7 and p.count:
                    why += f"; values unlike {what} (e.g. {p.example!r})"
            if fname in must:
                score += 1  # an essential field takes a column first when scores tie
            out.append(_Candidate(score, fname, i, conf, why))
    return out


def _shape_words(shape: str) -> str:
    return {
        "date": "dates",
        "amount": "amounts",
        "number": "numbers",
        "percent": "percentages",
        "bool": "yes/no",
        "email": "e-mail addresses",
        "quarter": "quarters",
        "status": "open/won/lost",
        "forecast": "forecast categories",
        "stage": "stages",
        "category": "categories",
        "id": "ids",
        "person": "names of people",
        "name": "names",
    }.get(shape, "text")


def _assign(kind: str, cands: list[_Candidate]) -> dict[str, _Candidate]:
    chosen: dict[str, _Candidate] = {}
    used: set[int] = set()
    for c in sorted(cands, key=lambda c: (-c.score, c.column)):
        if c.field in chosen or c.column in used or c.score < 20:
            continue
        chosen[c.field] = c
        used.add(c.column)
    # readiness: one of rep/email/user is enough; keep the best
    return chosen


def _kind_score(kind: str, chosen: dict[str, _Candidate]) -> float:
    must = FIELDS[kind][0]
    score = 0.0
    for f in must:
        score += chosen[f].score if f in chosen else -120
    if kind == "pipeline" and not set(PIPELINE_NAMES) & set(chosen):
        score -= 120
    score += 0.25 * sum(c.score for f, c in chosen.items() if f not in must)
    return score


# ---------------------------------------------------------------------------------------------
# Reading the file


def _header_matcher(cells: list[str]) -> float | None:
    """A header row for drafting: the first of the top lines with two or more cells that read as
    known column names (else the widest line, as ``read_table`` does)."""
    hits = 0
    known = known_spellings()
    everything = set().union(*known.values())
    for c in cells:
        k = normalize_header(c)
        if k and k in everything:
            hits += 1
    return float(hits) if hits >= 2 else None


def _read(path: Path, data: bytes | None = None) -> RawTable:
    table = read_table(Path(path), match_header=_header_matcher, data=data)
    return table


def _column_groups(header: list[str]) -> tuple[list[int], dict[int, int]]:
    """The first position of each distinct (compared) header name, and how often each repeats."""
    first: dict[str, int] = {}
    counts: dict[int, int] = {}
    for i, h in enumerate(header):
        k = normalize_header(h)
        if not k:
            continue
        if k in first:
            counts[first[k]] += 1
        else:
            first[k] = i
            counts[i] = 1
    return list(first.values()), counts


def _sample(table: RawTable, i: int, rows: int) -> list[str]:
    col = table.columns[i]
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], pa.string())
    return col.slice(0, rows).to_pylist()


# ---------------------------------------------------------------------------------------------
# The draft


def draft_mapping(
    path: Path, kind: str | None = None, *, sample_rows: int = 500, data: bytes | None = None
) -> Draft:
    """Draft a mapping for ``path`` (see the module's docstring).

    Args:
        path: a CSV or XLSX export.
        kind: the kind of rows (default: guessed).
        sample_rows: how many rows' values are looked at (stage names are read from every row).
        data: the file's bytes, when already in memory (an upload).

    Raises:
        LoadError: the file cannot be read, or ``kind`` is not a kind.
    """
    path = Path(path)
    kinds = [k for k in FIELDS if k in RULES]
    if kind is not None and kind not in kinds:
        raise LoadError(
            f"{path.name}: cannot draft a mapping for kind {kind!r}; kinds: {', '.join(kinds)}"
        )
    table = _read(path, data)
    header = [h for h in table.header]
    columns, repeats = _column_groups(header)
    profiles = [
        profile(_sample(table, i, sample_rows)) if i in repeats else Profile()
        for i in range(len(header))
    ]
    results = {}
    for k in [kind] if kind else kinds:
        chosen = _assign(k, _candidates(k, header, profiles, columns))
        results[k] = (_kind_score(k, chosen), chosen)
    if kind is None:
        order = kinds
        kind = max(results, key=lambda k: (results[k][0], -order.index(k)))
        found = [f for f in FIELDS[kind][0] if f in results[kind][1]]
        kind_why = f"guessed: {', '.join(found) or 'few fields'} found" + (
            f" (next best: {sorted(results, key=lambda k: -results[k][0])[1]})"
            if len(results) > 1
            else ""
        )
    else:
        kind_why = "as asked"
    chosen = results[kind][1]
    draft = Draft(
        kind=kind,
        source=_source(path, header),
        header=header,
        choices=[],
        name=path.name,
        kind_why=kind_why,
        rows_sampled=min(len(table), sample_rows),
    )
    used = {c.column for c in chosen.values()}
    for fname in FIELDS[kind][0] + FIELDS[kind][1]:
        c = chosen.get(fname)
        if c is not None:
            why = c.why
            if repeats.get(c.column, 1) > 1:
                why += (
                    f"; the column appears {repeats[c.column]} times, the first non-empty value "
                    "of each row is read"
                )
            draft.choices.append(Choice(fname, header[c.column], c.confidence, why))
        elif fname in FIELDS[kind][0] or (kind, fname) in ABSENT:
            what = ABSENT.get((kind, fname))
            if what is None:
                what = "REQUIRED: no column found; name the column holding it"
            draft.choices.append(Choice(fname, None, NONE, what))
    _complete(draft, kind, chosen, header)
    for i in columns:
        if i in used:
            continue
        draft.left_out.append((header[i], _left_out_why(kind, header[i], profiles[i])))
    if kind == "pipeline":
        _stages(draft, table, chosen, header)
    _dates(draft, chosen, profiles)
    _salesforce_ids(draft, chosen, profiles)
    return draft


def _complete(draft: Draft, kind: str, chosen: dict[str, _Candidate], header: list[str]) -> None:
    """Say what happens to essential fields with no column; mark the draft when it cannot load."""
    if kind == "pipeline" and not set(PIPELINE_NAMES) & set(chosen):
        draft.notes.append(
            "CHECK: no column reads as a deal name, an account or an id; name one under [columns]"
        )
    if kind == "readiness" and "rep" not in chosen and "email" not in chosen:
        draft.notes.append("CHECK: no column reads as the learner (rep or email)")
    if kind == "pipeline" and "close_date" not in chosen:
        c = draft.choice("close_date")
        if c is not None and "last_stage_change_date" not in chosen:
            c.why = (
                "closed deals take their won/lost date as close date when the file has one, "
                "else keep none; open deals have none"
            )


def _left_out_why(kind: str, header: str, p: Profile) -> str:
    if p.count == 0:
        return "empty in the sample"
    best = (0.0, "")
    for fname in RULES[kind]:
        s, _ = _name_score(kind, fname, header)
        if s > best[0]:
            best = (s, fname)
    if best[0] >= 50:
        return f"it could be {best[1]}, which another column holds"
    return "no field of a " + kind + " file reads it"


def _source(path: Path, header: list[str]) -> str:
    keys = {normalize_header(h) for h in header}
    if keys & {
        "stagename",
        "opportunityowner",
        "opportunityname",
        "accountownedby",
    } and keys & {"accountname", "stagename", "stage", "opportunityname"}:
        return "salesforce"
    if keys & {"dealstage", "recordid"} and "hubspot" in path.name.lower():
        return "hubspot"
    stem = re.sub(r"[_\-. ]?(20\d\d)[-_.]?\d\d[-_.]?\d\d.*$", "", path.stem)
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug[:64] or "file"


def _stages(
    draft: Draft, table: RawTable, chosen: dict[str, _Candidate], header: list[str]
) -> None:
    stage = chosen.get("stage")
    if stage is None:
        return
    col = table.columns[stage.column]
    values = [v.strip() for v in pc.unique(col).to_pylist() if v and v.strip()]
    seen: dict[str, str] = {}
    for v in values:  # first appearance, one per compared name
        seen.setdefault(normalize_header(v), v)
    names = list(seen.values())
    if not names:
        return
    statuses = {n: stage_status(n) for n in names}
    for flag in ("status", "is_won", "is_closed", "is_lost", "won_date", "lost_date"):
        if flag in chosen:
            draft.status_from = header[chosen[flag].column]
            break
    guessed = [n for n in names if not statuses[n][1]]
    if guessed and not draft.status_from:
        draft.notes.append(
            "CHECK: stage statuses guessed from the words: "
            + ", ".join(f"{n!r} {statuses[n][0]}" for n in guessed)
        )
    order: dict[str, float] = {}
    if "stage_order" in chosen:
        sort_col = table.columns[chosen["stage_order"].column]
        frame = pd.DataFrame(
            {"stage": pd.Series(col.to_pylist()).str.strip(), "o": sort_col.to_pylist()}
        )
        frame["o"] = pd.to_numeric(frame["o"], errors="coerce")
        mins = frame.dropna().groupby("stage")["o"].min()
        order = {n: float(mins[n]) for n in names if n in mins.index}
        draft.stage_why = f"order from {header[chosen['stage_order'].column]!r}"
    if len(order) < len(names):
        sf = {normalize_header(s): i for i, s in enumerate(SALESFORCE_STAGES, 1)}
        ranks = {n: _funnel_rank(n) for n in names}
        if all(normalize_header(n) in sf for n in names):
            order = {n: float(sf[normalize_header(n)]) for n in names}
            draft.stage_why = "the standard Salesforce order"
        elif all(ranks[n] is not None or statuses[n][0] != "open" for n in names):
            order = {n: float(ranks[n] or 0) for n in names}
            draft.stage_why = (
                "order from the usual funnel words (lead, qualify, demo, proposal, "
                "negotiate), then won, then lost"
            )
        else:
            order = {}
            draft.stage_why = "order of first appearance in the file: CHECK it"
    status_rank = {"open": 0, "won": 1, "lost": 2}
    first = {n: i for i, n in enumerate(names)}
    ranked = sorted(names, key=lambda n: (status_rank[statuses[n][0]], order.get(n, 0.0), first[n]))
    if "stage_order" in chosen:
        ranked = sorted(names, key=lambda n: (order.get(n, float("inf")), first[n]))
    draft.stages = [StageRow(n, i, statuses[n][0]) for i, n in enumerate(ranked, start=1)]


def _dates(draft: Draft, chosen: dict[str, _Candidate], profiles: list[Profile]) -> None:
    """Day/month order: left to the reader when the values tell; when they do not, month first
    (the CRM exports' usual), marked CHECK."""
    from loaders.formats.mapping import _DATES

    orders = [
        profiles[c.column].order
        for f, c in chosen.items()
        if f in _DATES and profiles[c.column].order is not None
    ]
    decided = {o.decide() for o in orders if o.matters and o.decide() is not None}
    undecided = [o for o in orders if o.matters and o.decide() is None]
    if undecided and len(decided) != 1:
        draft.date_format = "%m/%d/%Y"
        example = undecided[0].example
        draft.date_why = (
            f"CHECK: dates such as {example!r} read both ways in the sample; month first assumed"
        )
    elif decided:
        draft.date_why = "day/month order decided from the values: " + (
            "day first" if decided == {True} else "month first" if decided == {False} else "mixed"
        )


def _salesforce_ids(draft: Draft, chosen: dict[str, _Candidate], profiles: list[Profile]) -> None:
    c = chosen.get("deal_id") or chosen.get("activity_id")
    if c is not None and profiles[c.column].salesforce_id >= 0.9:
        draft.salesforce_ids = True


# ---------------------------------------------------------------------------------------------
# Preview


def preview(path: Path, spec: dict, rows: int = 10) -> tuple[pd.DataFrame, list[Reject]]:
    """The first ``rows`` rows as the mapping reads them (canonical columns) and the rejected
    ones among them, read by ``read_export`` exactly as a load with this mapping reads the file.

    Raises:
        LoadError: the mapping does not make sense, or does not fit the file (its message names
            the file, the column and what was expected).
    """
    from loaders.formats.read import read_export

    fmt = mapping_from_dict(spec, where=f"the mapping for {Path(path).name}", name="mapping")
    result = read_export(Path(path), mapped=fmt)
    lines = result.extra.get("line_numbers")
    if lines is not None and len(lines) > rows:
        last = int(lines[rows - 1])
        rejects = [r for r in result.rejects if r.row_number <= last]
    else:
        rejects = list(result.rejects)
    kept = max(0, min(rows, result.rows_read) - len(rejects))
    return result.frame.head(kept).reset_index(drop=True), rejects


__all__ = ["Choice", "Draft", "StageRow", "draft_mapping", "header_words", "preview"]
