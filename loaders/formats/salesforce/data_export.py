"""The Salesforce Data Export's object files: Opportunity, OpportunityHistory, Task and Event.

Headers are API names (``OwnerId``, ``StageName``); owners and accounts are ids, named through the
lookups read beside the file (``lookups``); deleted records (``IsDeleted = 1``) are skipped and
counted; a file's as-of is its latest ``SystemModstamp`` (or ``LastModifiedDate``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from loaders import clock, schema
from loaders.formats.base import (
    F,
    Format,
    Sheet,
    derive_status,
    learn_stage_order,
    reject_duplicates,
    stage_status_code,
)
from loaders.formats.common import (
    activity_types,
    format_dates,
    format_numbers,
    latest,
    lookup_names,
)
from loaders.formats.salesforce.ids import salesforce_ids
from loaders.formats.salesforce.lookups import lookup_table
from loaders.parsing.categories import forecast_categories, parse_bools
from loaders.parsing.columns import normalize_header, text_values

# Salesforce's standard opportunity stages in their default sort order.
SALESFORCE_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)


# ---------------------------------------------------------------------------------------------
# Data Export: Opportunity.csv

OPPORTUNITY_FIELDS = (
    F("deal_id", "Id", required=True),
    F("deal_name", "Name", required=True),
    F("stage", "StageName", required=True),
    F("close_date", "CloseDate", required=True, type="date"),
    F("owner_id", "OwnerId", required=True),
    F("account_id", "AccountId"),
    F("stage_sort", "StageSortOrder", expected=False),
    F("amount", "Amount"),
    F("currency", "CurrencyIsoCode", expected=False),
    F("probability", "Probability"),
    F("deal_type", "Type"),
    F("next_step", "NextStep"),
    F("lead_source", "LeadSource"),
    F("is_closed", "IsClosed"),
    F("is_won", "IsWon"),
    F("forecast_api", "ForecastCategory", expected=False),
    F("forecast_label", "ForecastCategoryName", expected=False),
    F("created_date", "CreatedDate", type="date"),
    F("last_activity_date", "LastActivityDate", type="date"),
    F("push_count", "PushCount", expected=False),
    F("modstamp", "SystemModstamp", expected=False, type="date"),
    F("last_modified", "LastModifiedDate", expected=False, type="date"),
    F("is_deleted", "IsDeleted", expected=False),
)


def _skip_deleted(s: Sheet) -> np.ndarray:
    """Rows of deleted records (``IsDeleted`` = 1): dropped quietly, counted in a warning."""
    if not s.has("is_deleted"):
        return np.zeros(s.n, dtype=bool)
    deleted = s.truth("is_deleted", on_bad="blank") == 1
    s.warn_count(deleted, "deleted records (IsDeleted = 1), skipped")
    return deleted


def _data_export_as_of(s: Sheet) -> None:
    for name in ("modstamp", "last_modified"):
        if s.has(name):
            stamp = latest(s.date(name, on_bad="blank"))
            if stamp is not None:
                s.as_of = stamp
                return


def _owners(s: Sheet, field: str = "owner_id") -> np.ndarray:
    ids = s.ids(field, required=True)
    users = s.options.users
    if not users:
        s.warnings.append(
            "no User.csv beside the file: owners are shown as Salesforce user ids "
            "(the roster's CRM User ID matches them)"
        )
        return ids
    names, unknown = lookup_names(ids, users)
    s.warn_count(unknown, "owner id not found in User.csv, kept as the id")
    return names


def _accounts(s: Sheet, field: str = "account_id") -> np.ndarray:
    ids = s.ids(field)
    if s.options.accounts:
        names, _unknown = lookup_names(ids, s.options.accounts)
        return names
    return ids


def read_opportunity(s: Sheet) -> pd.DataFrame:
    """Data Export ``Opportunity.csv``; owner names from ``User.csv`` when it is beside the file."""
    deleted = _skip_deleted(s)
    deal_id = s.ids("deal_id", required=True)
    stage = s.text("stage", required=True)
    label = forecast_categories(s.column("forecast_label")).values
    api = forecast_categories(s.column("forecast_api")).values
    forecast = np.where(np.equal(label, None), api, label)
    unknown = np.equal(forecast, None) & ~(
        np.equal(text_values(s.column("forecast_label")), None)
        & np.equal(text_values(s.column("forecast_api")), None)
    )
    s.warn_count(unknown, "forecast category Team Car does not know, left empty")
    status = derive_status(
        s.per_value("stage", stage_status_code, np.int8),
        is_closed=s.truth("is_closed"),
        is_won=s.truth("is_won"),
        forecast_closed=forecast == "closed",
    )
    sort = s.number("stage_sort", on_bad="blank") if s.has("stage_sort") else None
    _data_export_as_of(s)
    reject_duplicates(s, deal_id, "deal_id", "Id")
    return s.frame(
        {
            "deal_id": deal_id,
            "deal_name": s.text("deal_name"),
            "account": _accounts(s),
            "owner": _owners(s),
            "stage": stage,
            "stage_order": learn_stage_order(stage, status, explicit=sort, known=SALESFORCE_STAGES),
            "status": status,
            "amount": s.amount("amount", currency="currency"),
            "probability": s.probability("probability", scale="percent"),
            "forecast_category": forecast,
            "close_date": s.date("close_date", required=True),
            "created_date": s.date("created_date"),
            "next_step": s.text("next_step"),
            "last_activity_date": s.date("last_activity_date", on_bad="blank"),
            "deal_type": s.text("deal_type"),
            "lead_source": s.text("lead_source"),
            "push_count": pd.array(s.number("push_count", on_bad="blank"), dtype="Int64"),
        },
        drop=deleted,
    )


OPPORTUNITY = Format(
    name="salesforce-opportunity",
    kind="pipeline",
    source="salesforce",
    title="a Salesforce Data Export Opportunity.csv",
    fields=OPPORTUNITY_FIELDS,
    reader=read_opportunity,
)

# ---------------------------------------------------------------------------------------------
# Data Export: OpportunityHistory.csv

HISTORY_FIELDS = (
    F("deal_id", "OpportunityId", required=True),
    F("changed_at", "CreatedDate", required=True, type="date"),
    F("stage", "StageName", required=True),
    F("amount", "Amount"),
    F("close_date", "CloseDate", type="date"),
    F("probability", "Probability"),
    F("forecast", "ForecastCategory"),
    F("prev_forecast", "FromForecastCategory", expected=False),
    F("prev_stage", "FromOpportunityStageName", expected=False),
    F("prev_amount", "PrevAmount", expected=False),
    F("prev_close_date", "PrevCloseDate", expected=False, type="date"),
    F("modstamp", "SystemModstamp", expected=False, type="date"),
    F("is_deleted", "IsDeleted", expected=False),
)


def history_changes(
    deal_id: np.ndarray,
    changed_at: np.ndarray,
    order: np.ndarray,
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]],
) -> pd.DataFrame:
    """Field changes from rows that each hold a deal's state after a change.

    Args:
        deal_id, changed_at: per row.
        order: the rows' position in the file, to break ties in ``changed_at``.
        fields: canonical field -> (new value text, previous value text or None); where the
            previous value is missing it is taken from the deal's previous row.

    Returns:
        A frame of ``deal_id, changed_at, field, old_value, new_value, row`` (``row`` indexes the
        input), one row per value that differs from the one before it; a deal's first row gives
        its values at creation (``old_value`` None).
    """
    base = pd.DataFrame(
        {
            "deal_id": pd.Series(deal_id, dtype=object),
            "changed_at": changed_at,
            "order": order,
            "row": np.arange(len(deal_id)),
        }
    )
    base = base.sort_values(["deal_id", "changed_at", "order"], kind="stable")
    first = ~base["deal_id"].duplicated(keep="first")
    parts = []
    for field, (new, prev) in fields.items():
        new_s = pd.Series(new, dtype=object).iloc[base["row"].to_numpy()].reset_index(drop=True)
        shifted = new_s.shift(1)
        shifted[first.to_numpy()] = None
        old = shifted
        if prev is not None:
            given = (
                pd.Series(prev, dtype=object).iloc[base["row"].to_numpy()].reset_index(drop=True)
            )
            old = given.where(given.notna(), shifted)
        changed = np.array(old.fillna("\x00") != new_s.fillna("\x00"), dtype=bool)
        changed &= ~(first.to_numpy() & new_s.isna().to_numpy())
        if not changed.any():
            continue
        parts.append(
            pd.DataFrame(
                {
                    "deal_id": base["deal_id"].to_numpy()[changed],
                    "changed_at": base["changed_at"].to_numpy()[changed],
                    "field": field,
                    "old_value": old.to_numpy(dtype=object)[changed],
                    "new_value": new_s.to_numpy(dtype=object)[changed],
                    "row": base["row"].to_numpy()[changed],
                    "order": base["order"].to_numpy()[changed],
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["deal_id", "changed_at", "field", "old_value", "new_value", "row"]
        )
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["deal_id", "changed_at", "order"], kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


def read_opportunity_history(s: Sheet) -> pd.DataFrame:
    """Data Export ``OpportunityHistory.csv``: one row per deal state; emits field changes."""
    deleted = _skip_deleted(s)
    deal_id = s.ids("deal_id", required=True)
    changed_at = s.date("changed_at", required=True)
    stage = s.text("stage")
    amount = s.amount("amount")
    close = s.date("close_date")
    prob = s.probability("probability", scale="percent")
    forecast = forecast_categories(s.column("forecast")).values
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "stage": (stage, s.text("prev_stage") if s.has("prev_stage") else None),
        "amount": (
            format_numbers(amount),
            format_numbers(s.amount("prev_amount", on_bad="blank"))
            if s.has("prev_amount")
            else None,
        ),
        "close_date": (
            format_dates(close),
            format_dates(s.date("prev_close_date", on_bad="blank"))
            if s.has("prev_close_date")
            else None,
        ),
        "forecast_category": (
            forecast,
            forecast_categories(s.column("prev_forecast")).values
            if s.has("prev_forecast")
            else None,
        ),
        "probability": (format_numbers(prob), None),
    }
    _data_export_as_of(s)
    keep = ~s.bad & ~deleted
    idx = np.flatnonzero(keep)
    changes = history_changes(
        deal_id[idx],
        changed_at[idx],
        idx,
        {k: (v[idx], None if p is None else p[idx]) for k, (v, p) in fields.items()},
    )
    s.extra["history_rows"] = int(len(idx))
    return schema.conform(changes.drop(columns="row"), "history")


OPPORTUNITY_HISTORY = Format(
    name="salesforce-opportunity-history",
    kind="history",
    source="salesforce",
    title="a Salesforce Data Export OpportunityHistory.csv",
    fields=HISTORY_FIELDS,
    reader=read_opportunity_history,
)


# ---------------------------------------------------------------------------------------------
# Data Export: Task.csv and Event.csv

TASK_FIELDS = (
    F("activity_id", "Id", required=True),
    F("owner_id", "OwnerId", required=True),
    F("activity_date", "ActivityDate", required=True, type="date"),
    F("what_id", "WhatId"),
    F("account_id", "AccountId"),
    F("subject", "Subject"),
    F("status", "Status"),
    F("type", "Type"),
    F("subtype", "TaskSubtype", expected=False),
    F("is_closed", "IsClosed"),
    F("duration", "CallDurationInSeconds"),
    F("completed_at", "CompletedDateTime", expected=False, type="date"),
    F("created_date", "CreatedDate", type="date"),
    F("modstamp", "SystemModstamp", expected=False, type="date"),
    F("is_deleted", "IsDeleted", expected=False),
)
TASK_SIGNATURE = (
    ("Id",),
    ("OwnerId",),
    ("ActivityDate",),
    ("Status", "TaskSubtype", "IsClosed", "CallDurationInSeconds"),
)


def _deal_from_what(s: Sheet, what: np.ndarray) -> np.ndarray:
    """WhatId when it points at an opportunity (prefix 006), else None."""
    return np.where(s.starts_with("what_id", "006"), what, None)


def _account_for(s: Sheet, what: np.ndarray) -> np.ndarray:
    account = _accounts(s) if s.has("account_id") else np.full(s.n, None, dtype=object)
    from_what = ~np.equal(what, None) & np.equal(account, None)
    if from_what.any():
        acc_what = np.where(s.starts_with("what_id", "001"), what, None)
        if s.options.accounts:
            acc_what, _ = lookup_names(acc_what, s.options.accounts)
        account = np.where(from_what, acc_what, account)
    return account


def read_task(s: Sheet) -> pd.DataFrame:
    """Data Export ``Task.csv`` (or a Data Loader extract of Task)."""
    deleted = _skip_deleted(s)
    activity_id = s.ids("activity_id", required=True)
    what = s.ids("what_id")
    date = s.date("activity_date")
    for alt, label in (("completed_at", "CompletedDateTime"), ("created_date", "CreatedDate")):
        missing = np.isnat(date) & ~s.bad
        if missing.any() and s.has(alt):
            alt_date = s.date(alt, on_bad="blank")
            fill = missing & ~np.isnat(alt_date)
            s.warn_count(fill, f"no ActivityDate, dated by {label}")
            date = np.where(fill, alt_date, date)
    s.reject(np.isnat(date), "activity_date", "a date is required")
    subject = s.text("subject")
    kind = activity_types(s, "subtype", "type", "subject")
    completed = s.flag("status", ["Completed", "Closed", "Done"]) | (
        s.truth("is_closed", on_bad="blank") == 1
    )
    _data_export_as_of(s)
    reject_duplicates(s, activity_id, "activity_id", "Id")
    return s.frame(
        {
            "activity_id": activity_id,
            "owner": _owners(s),
            "activity_date": date,
            "type": kind,
            "deal_id": _deal_from_what(s, what),
            "account": _account_for(s, what),
            "duration_seconds": s.number("duration", on_bad="blank"),
            "subject": subject,
            "participants": None,
            "completed": completed,
        },
        drop=deleted,
    )


TASK = Format(
    name="salesforce-task",
    kind="activity",
    source="salesforce",
    title="a Salesforce Data Export Task.csv",
    fields=TASK_FIELDS,
    reader=read_task,
    signature=TASK_SIGNATURE,
)

EVENT_FIELDS = (
    F("activity_id", "Id", required=True),
    F("owner_id", "OwnerId", required=True),
    F("start", "ActivityDateTime", type="date"),
    F("activity_date", "ActivityDate", type="date"),
    F("duration", "DurationInMinutes"),
    F("what_id", "WhatId"),
    F("account_id", "AccountId"),
    F("subject", "Subject"),
    F("type", "Type"),
    F("is_all_day", "IsAllDayEvent", expected=False),
    F("created_date", "CreatedDate", type="date"),
    F("modstamp", "SystemModstamp", expected=False, type="date"),
    F("is_deleted", "IsDeleted", expected=False),
)
EVENT_SIGNATURE = (("Id",), ("OwnerId",), ("ActivityDateTime", "DurationInMinutes"))


def event_attendees(s: Sheet, event_ids: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Who else was invited to each event, from the Data Export's ``EventRelation.csv`` beside the
    file (``EventId, RelationId``): the users among them (ids ``005...``), named through
    ``User.csv``, other than the event's owner, ``"; "``-joined; None where nobody is listed.
    Contacts and leads (``003``/``00Q``) are the customer's side and left out."""
    out = np.full(s.n, None, dtype=object)
    path = s.options.path
    if path is None or not Path(path).is_file():  # a bundle member: no folder to look in
        return out
    try:
        sibling = next(
            (p for p in Path(path).parent.iterdir() if p.name.lower() == "eventrelation.csv"),
            None,
        )
    except OSError:
        return out
    if sibling is None:
        return out
    table = lookup_table(sibling.name, None, sibling, ("eventid", "relationid"))
    if table is None:
        return out
    keys = [normalize_header(h) for h in table.header]
    events = salesforce_ids(table.columns[keys.index("eventid")])
    people = salesforce_ids(table.columns[keys.index("relationid")])
    deleted = (
        np.asarray(parse_bools(table.columns[keys.index("isdeleted")]).values == True)  # noqa: E712
        if "isdeleted" in keys
        else np.zeros(len(table), dtype=bool)
    )
    users = s.options.users or {}
    invited: dict[str, list[str]] = {}
    for event, person, gone in zip(events, people, deleted, strict=True):
        if event and person and person.startswith("005") and not gone:
            invited.setdefault(event, []).append(users.get(person, person))
    for i, (event, owner) in enumerate(zip(event_ids, owners, strict=True)):
        names = [n for n in dict.fromkeys(invited.get(event, ())) if n != owner]
        if names:
            out[i] = "; ".join(names)[:1024]
    s.extra["event_relations"] = len(table)
    return out


def read_event(s: Sheet) -> pd.DataFrame:
    """Data Export ``Event.csv``: meetings, with duration from ``DurationInMinutes``.

    An event counts as completed once its day has come (``loaders.clock.today``).
    """
    deleted = _skip_deleted(s)
    activity_id = s.ids("activity_id", required=True)
    what = s.ids("what_id")
    start = s.date("start")
    day = s.date("activity_date")
    date = np.where(np.isnat(start), day, start)
    s.reject(
        np.isnat(date),
        "start" if s.has("start") else "activity_date",
        "a date (ActivityDateTime or ActivityDate) is required",
    )
    subject = s.text("subject")
    kind = activity_types(s, None, "type", None, default="meeting")
    kind[kind == "other"] = "meeting"
    _data_export_as_of(s)
    cutoff = np.datetime64(clock.today(), "D") + np.timedelta64(1, "D")
    reject_duplicates(s, activity_id, "activity_id", "Id")
    owners = _owners(s)
    return s.frame(
        {
            "activity_id": activity_id,
            "owner": owners,
            "activity_date": date,
            "type": kind,
            "deal_id": _deal_from_what(s, what),
            "account": _account_for(s, what),
            "duration_seconds": s.number("duration", on_bad="blank") * 60.0,
            "subject": subject,
            "participants": event_attendees(s, activity_id, owners),
            "completed": ~np.isnat(date) & (date < cutoff),
        },
        drop=deleted,
    )


EVENT = Format(
    name="salesforce-event",
    kind="activity",
    source="salesforce",
    title="a Salesforce Data Export Event.csv",
    fields=EVENT_FIELDS,
    reader=read_event,
    signature=EVENT_SIGNATURE,
)
