"""Mapping files: any other layout described in TOML (see ``docs/mapping.md``).

A mapping names the kind of rows, the source label, which column holds which canonical field, and
optionally how stage names read (status and order), how a status or type column's values read, the
date format and the decimal mark. The built-in Pipedrive and Zoho formats are mappings too.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from loaders import schema
from loaders.formats import calls, people, plans
from loaders.formats.base import (
    F,
    Field,
    Format,
    Sheet,
    derive_status,
    fallback_deal_keys,
    learn_stage_order,
    reject_duplicates,
    stage_status_code,
)
from loaders.formats.common import activity_kind, content_ids
from loaders.formats.salesforce import data_export, report
from loaders.parsing.categories import map_values
from loaders.parsing.columns import map_distinct, normalize_header, text_values
from loaders.parsing.dates import day_first_from_format
from loaders.parsing.errors import LoadError

# Fields a mapping may name, per kind; the first group must all be mapped.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pipeline": (
        ("stage",),
        (
            "deal_name",
            "deal_id",
            "account",
            "owner",
            "stage_order",
            "status",
            "amount",
            "currency",
            "probability",
            "forecast_category",
            "close_date",
            "created_date",
            "next_step",
            "last_activity_date",
            "deal_type",
            "lead_source",
            "push_count",
            "is_won",
            "is_closed",
            "is_lost",
            "won_date",
            "lost_date",
            "last_stage_change_date",
        ),
    ),
    "activity": (
        ("activity_date",),
        (
            "activity_id",
            "owner",
            "type",
            "deal_id",
            "account",
            "duration_seconds",
            "duration",
            "subject",
            "participants",
            "completed",
        ),
    ),
    "history": (
        ("deal_id", "changed_at", "field", "old_value", "new_value"),
        ("deal_name", "account", "owner"),
    ),
    "roster": (
        ("rep", "team"),
        ("email", "crm_user_id", "manager", "role", "start_date", "effective_from"),
    ),
    "quota": (("rep", "quarter", "quota"), ()),
    "calls": (("person", "quarter", "submitted", "commit", "best_case"), ("note", "author")),
    "plans": (("step", "owner"), ("deal_id", "deal_name", "kind", "due", "status", "note")),
    "readiness": (
        ("program",),
        (
            "rep",
            "email",
            "user",
            "kind",
            "required",
            "assigned_date",
            "due_date",
            "completed_date",
            "status",
            "score",
        ),
    ),
}
_DATES = {
    "close_date",
    "created_date",
    "last_activity_date",
    "activity_date",
    "changed_at",
    "start_date",
    "effective_from",
    "assigned_date",
    "due_date",
    "completed_date",
    "won_date",
    "lost_date",
    "last_stage_change_date",
    "submitted",
}
# A pipeline mapping names at least one of these: a deal without a name is named by its account,
# else by its id.
PIPELINE_NAMES = ("deal_name", "account", "deal_id")
_LOCALES_COMMA = {
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "sv",
    "da",
    "fi",
    "nb",
    "no",
    "pl",
    "cs",
    "ru",
    "tr",
    "id",
    "ro",
    "hu",
    "sk",
    "sl",
    "hr",
    "bg",
    "el",
    "uk",
    "vi",
}


@dataclass(frozen=True)
class MappedFormat(Format):
    """A ``Format`` built from a mapping, with the mapping's value tables."""

    day_first: bool | None = None
    decimal: str | None = None
    probability_scale: str | None = None
    duration_unit: str = "s"
    duration_clock: str = "mm:ss"
    salesforce_ids: bool = False
    stages: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    strict: bool = False
    """Every column the mapping names must be in the file (a user's mapping; the built-in ones
    list spellings that may be absent)."""
    fingerprint: str = ""
    """A hash of the mapping's content: with the file's, what identifies a batch read with it."""

    def __hash__(self) -> int:
        return hash(self.name)

    def absent_columns(self, header: Sequence[str]) -> list[tuple[str, str]]:
        """(field, header text) of each mapped column the header lacks (none of its spellings)."""
        keys = {normalize_header(h) for h in header}
        return [(f.name, f.title) for f in self.fields if not set(f.keys) & keys]


@dataclass(frozen=True)
class SavedFormat:
    """A mapping kept in the store (``loaders.store.mappings``), as the readers use it: its name,
    the header it was saved for, that header's ``header_fingerprint`` and the format."""

    name: str
    header: tuple[str, ...]
    key: str
    format: MappedFormat


def _decimal(spec: dict, where: str) -> str | None:
    if "decimal" in spec:
        mark = str(spec["decimal"])
        if mark not in (".", ","):
            raise LoadError(f'{where}: decimal must be "." or ",", not {mark!r}')
        return mark
    locale = spec.get("amount_locale")
    if locale is None:
        return None
    lang = str(locale).replace("_", "-").split("-")[0].lower()
    if str(locale).lower() in ("de-ch", "fr-ch", "it-ch"):
        return "."
    return "," if lang in _LOCALES_COMMA else "."


def header_fingerprint(header: Sequence[str]) -> str:
    """A hash of a header's names as compared (``normalize_header``), in order, blanks left out:
    what a saved mapping is kept by, so a later file with the same columns finds it."""
    names = [normalize_header(h) for h in header]
    return hashlib.sha256("\x1f".join(n for n in names if n).encode()).hexdigest()


def mapping_from_dict(
    spec: dict, *, where: str = "mapping", name: str = "mapping", strict: bool = True
) -> MappedFormat:
    """Build a format from a parsed mapping (the TOML's tables as dicts).

    Args:
        spec: the mapping's tables.
        where: how messages name the mapping (its file, or the saved mapping's name).
        name: the format's name (stored with each batch read with it).
        strict: every column the mapping names must be in the file (False for the built-in
            mappings, which list spellings that may be absent).

    Raises:
        LoadError: on an unknown kind or field, a missing required field, two fields on one
            column, an unknown stage status, or a bad value table.
    """
    kind = spec.get("kind")
    if kind not in FIELDS:
        raise LoadError(f"{where}: kind must be one of {', '.join(FIELDS)}; got {kind!r}")
    columns = dict(spec.get("columns") or {})
    if (
        isinstance(columns.get("required"), list)
        and "required" not in FIELDS[kind][0] + FIELDS[kind][1]
    ):
        spec = {**spec, "required": columns.pop("required")}  # written below [columns] by mistake
    if not columns:
        raise LoadError(f'{where}: a [columns] table is required (canonical field = "Header")')
    must, may = FIELDS[kind]
    allowed = set(must) | set(may)
    unknown = sorted(set(columns) - allowed)
    if unknown:
        raise LoadError(
            f"{where}: unknown field{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)} for kind {kind}; fields: {', '.join(must + may)}"
        )
    constants = dict(spec.get("constants", {}))
    absent = [f for f in must if f not in columns and f not in constants]
    if kind == "readiness" and not ({"rep", "email", "user"} & set(columns)):
        absent.append("rep (or email/user)")
    if kind == "pipeline" and not (set(PIPELINE_NAMES) & (set(columns) | set(constants))):
        absent.append("deal_name (or account, or deal_id: deals are then named by it)")
    if absent:
        raise LoadError(f"{where}: [columns] must name {', '.join(absent)} for kind {kind}")
    required = set(spec.get("required", must))
    fields: list[Field] = []
    for fname, headers in columns.items():
        if isinstance(headers, str):
            headers = [headers]
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise LoadError(f"{where}: columns.{fname} must be a header text or a list of them")
        target = "user" if (kind == "readiness" and fname == "rep") else fname
        fields.append(
            F(
                target,
                *headers,
                required=fname in required,
                type="date" if fname in _DATES else "text",
                label=headers[0],
            )
        )
    _one_field_per_column(columns, where)
    date_format = spec.get("date_format")
    day_first = day_first_from_format(str(date_format)) if date_format else None
    scale = spec.get("probability_scale")
    if scale not in (None, "percent", "fraction"):
        raise LoadError(f'{where}: probability_scale must be "percent" or "fraction"')
    unit = spec.get("duration_unit", "s")
    if unit not in ("s", "ms", "min"):
        raise LoadError(f'{where}: duration_unit must be "s", "ms" or "min"')
    clock_style = spec.get("duration_clock", "mm:ss")
    if clock_style not in ("mm:ss", "hh:mm"):
        raise LoadError(f'{where}: duration_clock must be "mm:ss" or "hh:mm"')
    stages = {}
    for stage, info in dict(spec.get("stages", {})).items():
        if isinstance(info, str):
            info = {"status": info}
        if not isinstance(info, dict):
            raise LoadError(
                f'{where}: [stages] {stage!r}: expected {{ status = "open", order = 1 }}'
            )
        status = info.get("status")
        if status is not None and status not in schema.STATUSES:
            raise LoadError(
                f"{where}: [stages] {stage!r} has status {status!r}; a stage's status must be "
                f"one of {', '.join(schema.STATUSES)}"
            )
        order = info.get("order")
        if order is not None and not isinstance(order, int):
            raise LoadError(f"{where}: stages.{stage!r}: order must be a whole number")
        stages[normalize_header(stage)] = (status, order)
    values = {
        k: {normalize_header(a): b for a, b in dict(v).items()}
        for k, v in dict(spec.get("values", {})).items()
    }
    for target, table in values.items():
        allowed_vals = {
            "status": schema.STATUSES,
            "type": schema.ACTIVITY_TYPES,
            "forecast_category": schema.FORECAST_CATEGORIES,
            "kind": schema.READINESS_KINDS,
        }.get(target)
        if allowed_vals:
            wrong = sorted({v for v in table.values() if v not in allowed_vals})
            if wrong:
                raise LoadError(
                    f"{where}: values.{target}: {', '.join(map(repr, wrong))} "
                    f"is not one of {', '.join(allowed_vals)}"
                )
    source = str(spec.get("source", name))
    signature = tuple(tuple(f.aliases) for f in fields if f.required)
    return MappedFormat(
        name=name,
        kind=kind,
        source=source,
        title=str(spec.get("title", f"the mapping {where}")),
        fields=tuple(fields),
        reader=_READERS[kind],
        signature=signature,
        day_first=day_first,
        decimal=_decimal(spec, where),
        probability_scale=scale,
        duration_unit=unit,
        duration_clock=clock_style,
        salesforce_ids=bool(spec.get("salesforce_ids", False)),
        stages=stages,
        values=values,
        constants=constants,
        strict=strict,
        fingerprint=hashlib.sha256(
            json.dumps(spec, sort_keys=True, default=str).encode()
        ).hexdigest(),
    )


def _one_field_per_column(columns: dict, where: str) -> None:
    """Refuse a mapping that reads one column as two fields.

    Raises:
        LoadError: naming the column and both fields.
    """
    seen: dict[str, str] = {}
    for fname, headers in columns.items():
        for h in [headers] if isinstance(headers, str) else headers:
            key = normalize_header(h)
            if key in seen and seen[key] != fname:
                raise LoadError(
                    f"{where}: column {h!r} is mapped to both {seen[key]} and {fname}; "
                    "expected one field per column"
                )
            seen.setdefault(key, fname)


def load_mapping(path: Path) -> MappedFormat:
    """Read a TOML mapping file.

    Raises:
        LoadError: unreadable file, invalid TOML, or a mapping that does not make sense.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"{Path(path).name}: mapping file cannot be read ({exc})") from None
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(f"{Path(path).name}: not valid TOML ({exc})") from None
    return mapping_from_dict(spec, where=Path(path).name, name="mapping")


# ---------------------------------------------------------------------------------------------
# Generic readers


def _fmt(s: Sheet) -> MappedFormat:
    return s.format  # type: ignore[return-value]


def _constant_or(s: Sheet, name: str, values: np.ndarray) -> np.ndarray:
    const = _fmt(s).constants.get(name)
    if const is None or s.has(name):
        return values
    return np.full(s.n, const, dtype=object)


def _mapped_values(s: Sheet, name: str, table: str, fallback) -> np.ndarray:
    """A column's values through the mapping's ``[values.<table>]``, else ``fallback``."""
    own = _fmt(s).values.get(table, {})

    def read(v: str):
        key = normalize_header(v)
        return own[key] if key in own else fallback(v)

    return map_values(s.column(name), read)


def _status_word(v: str) -> str | None:
    key = normalize_header(v)
    return {
        "open": "open",
        "won": "won",
        "lost": "lost",
        "closedwon": "won",
        "closedlost": "lost",
        "aberto": "open",
        "ganho": "won",
        "perdido": "lost",
        "abierto": "open",
        "ganado": "won",
        "offen": "open",
        "gewonnen": "won",
        "verloren": "lost",
    }.get(key)


def _ids(s: Sheet, name: str) -> np.ndarray:
    if _fmt(s).salesforce_ids:
        return s.ids(name)
    return s.text(name)


def _deal_names(s: Sheet, account: np.ndarray, ids: np.ndarray | None) -> np.ndarray:
    """Each deal's name: its own, else its account's, else its id (a row with none is
    rejected)."""
    name = np.full(s.n, None, dtype=object)
    if s.has("deal_name"):
        name = s.text("deal_name").copy()
    blank = np.equal(name, None)
    if not blank.any():
        return name
    by_account = blank & ~np.equal(account, None)
    name[by_account] = account[by_account]
    by_id = np.zeros(s.n, dtype=bool)
    if ids is not None:
        by_id = np.equal(name, None) & ~np.equal(ids, None)
        name[by_id] = ids[by_id]
    what = "no deal name column" if not s.has("deal_name") else f"no {s.header('deal_name')!r}"
    s.warn_count(by_account, f"{what}: the deal is named by its account")
    s.warn_count(by_id, f"{what}: the deal is named by its id")
    column = "deal_name" if s.has("deal_name") else ("account" if s.has("account") else None)
    s.reject(np.equal(name, None), column, "a deal name (or its account or id) is required")
    return name


def _close_dates(s: Sheet, status: np.ndarray) -> np.ndarray:
    """The close date; a closed deal without one takes the day it was won or lost, else its last
    stage change (Salesforce ``LastStageChangeDate``)."""
    close = s.date("close_date")
    closed = status != "open"
    for name, which in (("won_date", "won"), ("lost_date", "lost"), ("last_stage_change_date", "")):
        missing = np.isnat(close) & closed
        if which:
            missing &= status == which
        if not missing.any() or not s.has(name):
            continue
        other = s.date(name, on_bad="blank")
        take = missing & ~np.isnat(other)
        if take.any():
            close = close.copy()
            close[take] = other[take]
            where = "no close date column" if not s.has("close_date") else "no close date"
            s.warn_count(take & ~s.bad, f"closed, {where}: closed on its {s.header(name)!r}")
    left = np.isnat(close) & closed
    if not s.has("close_date"):
        s.warn_count(left, "closed deal with no close date column: close date left empty")
    return close


def read_mapped_pipeline(s: Sheet) -> pd.DataFrame:
    fmt = _fmt(s)
    owner = s.owner("owner") if s.has("owner") else np.full(s.n, schema.UNASSIGNED, dtype=object)
    account = s.text("account")
    ids = _ids(s, "deal_id") if s.has("deal_id") else None
    name = _deal_names(s, account, ids)
    if ids is not None:
        deal_id = ids
        s.reject(np.equal(deal_id, None), "deal_id", "a deal id is required")
    else:
        deal_id = fallback_deal_keys(name, account, owner)
        s.warnings.append("no deal id column: deals are keyed by name + account")
    stage = s.text("stage", required=True)
    forecast = None
    if s.has("forecast_category"):
        own = fmt.values.get("forecast_category")
        forecast = (
            _mapped_values(s, "forecast_category", "forecast_category", lambda v: None)
            if own
            else s.forecast("forecast_category")
        )
    explicit = None
    if s.has("status"):
        explicit = _mapped_values(s, "status", "status", _status_word)
        given = ~np.equal(text_values(s.column("status")), None)
        s.reject(
            given & np.equal(explicit, None),
            "status",
            "expected a status such as Open, Won or Lost (or map it under [values.status])",
        )
    status = derive_status(
        s.per_value("stage", stage_status_code, np.int8),
        is_won=s.truth("is_won") if s.has("is_won") else None,
        is_closed=s.truth("is_closed") if s.has("is_closed") else None,
        is_lost=s.truth("is_lost") if s.has("is_lost") else None,
        forecast_closed=None if forecast is None else forecast == "closed",
    )
    if s.has("won_date"):
        status[~np.isnat(s.date("won_date", on_bad="blank"))] = "won"
    if s.has("lost_date"):
        status[~np.isnat(s.date("lost_date", on_bad="blank")) & (status != "won")] = "lost"
    if fmt.stages:

        def info(x: str) -> tuple:
            return fmt.stages.get(normalize_header(x), (None, None))

        by_stage = map_distinct(stage, lambda x: info(x)[0])
        has = ~np.equal(by_stage, None)
        status[has] = by_stage[has]
        orders = map_distinct(stage, lambda x: info(x)[1])
        explicit_order = np.where(np.equal(orders, None), np.nan, orders).astype(float)
    else:
        explicit_order = None
    if explicit is not None:
        has = ~np.equal(explicit, None)
        status[has] = explicit[has]
    if s.has("stage_order"):
        explicit_order = s.number("stage_order", on_bad="blank")
    stage_order = learn_stage_order(
        stage, status, explicit=explicit_order, known=data_export.SALESFORCE_STAGES
    )
    amount = s.amount("amount", currency="currency", decimal=fmt.decimal)
    if not s.has("amount"):
        s.warnings.append("no amount column: amounts load empty (deals count, their value is 0)")
    close_date = _close_dates(s, status)
    reject_duplicates(s, deal_id, "deal_id" if s.has("deal_id") else "deal_name", "deal id")
    return s.frame(
        {
            "deal_id": deal_id,
            "deal_name": name,
            "account": account,
            "owner": owner,
            "stage": stage,
            "stage_order": stage_order,
            "status": status,
            "amount": amount,
            "probability": s.probability("probability", scale=fmt.probability_scale),
            "forecast_category": forecast,
            "close_date": close_date,
            "created_date": s.date("created_date"),
            "next_step": s.text("next_step"),
            "last_activity_date": s.date("last_activity_date", on_bad="blank"),
            "deal_type": s.text("deal_type"),
            "lead_source": s.text("lead_source"),
            "push_count": pd.array(s.number("push_count", on_bad="blank"), dtype="Int64"),
        }
    )


def read_mapped_activity(s: Sheet) -> pd.DataFrame:
    fmt = _fmt(s)
    date = s.date("activity_date", required=True)
    owner = s.owner("owner") if s.has("owner") else np.full(s.n, schema.UNASSIGNED, dtype=object)
    if s.has("activity_id"):
        activity_id = _ids(s, "activity_id")
        s.reject(np.equal(activity_id, None), "activity_id", "an activity id is required")
    else:
        activity_id = content_ids(s, [f.name for f in fmt.fields])
        s.warnings.append("no activity id column: activities are identified by their content")
    if s.has("type"):
        kind = _mapped_values(s, "type", "type", lambda v: activity_kind(v) or "other")
        kind[np.equal(kind, None)] = "other"
    else:
        kind = np.full(s.n, fmt.constants.get("type", "other"), dtype=object)
    name = "duration_seconds" if s.has("duration_seconds") else "duration"
    duration = s.duration(name, number_unit=fmt.duration_unit, two_part=fmt.duration_clock)
    if s.has("completed"):
        completed = s.truth("completed", on_bad="blank") != 0
    else:
        completed = np.full(s.n, bool(fmt.constants.get("completed", True)))
    deal_id = _ids(s, "deal_id") if s.has("deal_id") else None
    reject_duplicates(
        s, activity_id, "activity_id" if s.has("activity_id") else "activity_date", "activity id"
    )
    return s.frame(
        {
            "activity_id": activity_id,
            "owner": owner,
            "activity_date": date,
            "type": kind,
            "deal_id": deal_id,
            "account": s.text("account"),
            "duration_seconds": duration,
            "subject": s.text("subject"),
            "participants": s.text("participants"),
            "completed": completed,
        }
    )


def read_mapped_history(s: Sheet) -> pd.DataFrame:
    return report.read_field_history(s)


_READERS = {
    "pipeline": read_mapped_pipeline,
    "activity": read_mapped_activity,
    "history": read_mapped_history,
    "roster": people.read_roster,
    "quota": people.read_quotas,
    "readiness": people.read_readiness,
    "calls": calls.read_calls,
    "plans": plans.read_plans,
}

# ---------------------------------------------------------------------------------------------
# Built-in mappings (the export shapes of docs/mapping.md)

PIPEDRIVE_DEALS = """
title = "a Pipedrive deals export"
kind = "pipeline"
source = "pipedrive"
probability_scale = "percent"

[columns]
deal_id = ["Deal - ID", "ID"]
deal_name = ["Deal - Title", "Title"]
amount = ["Deal - Value", "Value"]
currency = ["Deal - Currency of value", "Deal - Currency", "Currency of value"]
stage = ["Deal - Stage", "Stage"]
owner = ["Deal - Owner", "Owner"]
close_date = ["Deal - Expected close date", "Expected close date"]
status = ["Deal - Status", "Status"]
created_date = ["Deal - Deal created", "Deal created", "Deal - Add time"]
won_date = ["Deal - Won time", "Won time"]
lost_date = ["Deal - Lost time", "Lost time"]
probability = ["Deal - Probability", "Probability"]
account = ["Deal - Organization", "Organization", "Deal - Organisation"]
last_activity_date = ["Deal - Last activity date", "Last activity date"]
next_step = ["Deal - Next activity subject", "Next activity subject"]
required = ["deal_id", "deal_name", "stage", "status"]

[stages]    # Pipedrive's default pipeline; the Status column says open, won or lost
"Qualified" = { order = 1 }
"Contact Made" = { order = 2 }
"Demo Scheduled" = { order = 3 }
"Proposal Made" = { order = 4 }
"Negotiations Started" = { order = 5 }
"""

PIPEDRIVE_ACTIVITIES = """
title = "a Pipedrive activities export"
kind = "activity"
source = "pipedrive"
duration_unit = "min"
duration_clock = "hh:mm"

[columns]
activity_id = ["Activity - ID"]
subject = ["Activity - Subject"]
activity_date = ["Activity - Due date"]
owner = ["Activity - Assigned to user", "Activity - Owner"]
type = ["Activity - Type"]
completed = ["Activity - Done"]
deal_id = ["Activity - Deal ID", "Deal - ID"]
account = ["Activity - Organization", "Organization - Name"]
duration = ["Activity - Duration"]
required = ["subject", "activity_date", "owner", "type"]

[values.type]
call = "call"
meeting = "meeting"
email = "email"
lunch = "meeting"
task = "other"
deadline = "other"
"""

ZOHO_DEALS = """
title = "a Zoho CRM deals export"
kind = "pipeline"
source = "zoho"
probability_scale = "percent"

[columns]
deal_id = ["Record Id", "Deal Id"]
deal_name = "Deal Name"
owner = "Deal Owner"
amount = "Amount"
currency = "Currency"
stage = "Stage"
close_date = "Closing Date"
account = "Account Name"
created_date = "Created Time"
probability = ["Probability (%)", "Probability"]
deal_type = "Type"
lead_source = "Lead Source"
next_step = "Next Step"
last_activity_date = "Last Activity Time"
required = ["deal_id", "deal_name", "stage", "close_date", "owner"]

[stages]
"Qualification" = { status = "open", order = 1 }
"Needs Analysis" = { status = "open", order = 2 }
"Value Proposition" = { status = "open", order = 3 }
"Identify Decision Makers" = { status = "open", order = 4 }
"Id. Decision Makers" = { status = "open", order = 4 }
"Proposal/Price Quote" = { status = "open", order = 5 }
"Negotiation/Review" = { status = "open", order = 6 }
"Closed Won" = { status = "won", order = 7 }
"Closed Lost" = { status = "lost", order = 8 }
"Closed-Lost to Competition" = { status = "lost", order = 9 }
"""


def _builtin(name: str, text: str) -> MappedFormat:
    return mapping_from_dict(tomllib.loads(text), where=name, name=name, strict=False)


BUILTIN_MAPPINGS = (
    _builtin("pipedrive-deals", PIPEDRIVE_DEALS),
    _builtin("pipedrive-activities", PIPEDRIVE_ACTIVITIES),
    _builtin("zoho-deals", ZOHO_DEALS),
)
