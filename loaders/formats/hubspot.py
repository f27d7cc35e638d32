"""HubSpot: deal exports (with their stage history columns) and activity exports.

A deals export may carry, per stage of a pipeline, ``Date entered "<Stage> (<Pipeline>)"`` and
``Date exited "<Stage> (<Pipeline>)"`` (and ``Cumulative time in ...``, not read): the same file then
gives the deals (the pipeline frame) and their stage history (a history frame, in
``extra[ALSO]``; see ``stage_history``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow.compute as pc

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
from loaders.formats.common import ALSO, activity_types, first_of_list, participants_of
from loaders.parsing.columns import Distinct, normalize_header, text_values
from loaders.parsing.dates import DateOrder, date_order, parse_dates
from loaders.parsing.errors import LoadError

# HubSpot's default sales pipeline, in order.
HUBSPOT_STAGES = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
    "Closed Won",
    "Closed Lost",
)

DEAL_FIELDS = (
    F("deal_id", "Record ID", "Deal ID", "Record ID - Deal", required=True),
    F("deal_name", "Deal Name", required=True),
    F("stage", "Deal Stage", "Stage", required=True),
    F("owner", "Deal owner", "Deal Owner Name", "Owner", "HubSpot Owner", "Deal owner name"),
    F("close_date", "Close Date", "Closed Date", type="date"),
    F("amount", "Amount", "Deal amount"),
    F("currency", "Currency", "Deal currency code", "Currency code", expected=False),
    F("pipeline", "Pipeline", "Deal pipeline", expected=False),
    F("created_date", "Create Date", "Created Date", "Create date", type="date"),
    F("forecast_category", "Forecast category", "Deal forecast category"),
    F("probability", "Deal probability", "Probability", "Deal Stage Probability"),
    F("last_activity_date", "Last Activity Date", "Last activity date", type="date"),
    F("next_step", "Next step", "Next Step"),
    F("deal_type", "Deal Type", "Type"),
    F(
        "lead_source",
        "Original Source Type",
        "Original Traffic Source",
        "Lead Source",
        expected=False,
    ),
    F("is_won", "Is Closed Won", "Is closed won", expected=False),
    F("is_closed", "Is Deal Closed?", "Is Closed", "Is deal closed", expected=False),
    F("is_lost", "Is closed lost", "Is Closed Lost", expected=False),
    F(
        "account",
        "Associated Company",
        "Associated Company (Primary)",
        "Company name",
        "Associated Companies",
        expected=False,
    ),
    F("push_count", "Push Count", expected=False),
)
DEAL_SIGNATURE = (("Deal Name",), ("Deal Stage",), ("Record ID", "Deal ID", "Deal owner"))


def read_deals(s: Sheet) -> pd.DataFrame:
    """HubSpot deals export (any number of extra properties)."""
    deal_id = s.text("deal_id")
    s.reject(np.equal(deal_id, None), "deal_id", "a Record ID is required")
    stage = s.text("stage", required=True)
    forecast = s.forecast("forecast_category")
    status = derive_status(
        s.per_value("stage", stage_status_code, np.int8),
        is_closed=s.truth("is_closed") if s.has("is_closed") else None,
        is_won=s.truth("is_won") if s.has("is_won") else None,
        is_lost=s.truth("is_lost") if s.has("is_lost") else None,
        forecast_closed=forecast == "closed",
    )
    account, several = first_of_list(s.text("account"))
    reject_duplicates(s, deal_id, "deal_id", "Record ID")
    if s.has("pipeline"):
        pipelines = set(text_values(s.column("pipeline"))[~s.bad]) - {None}
        if len(pipelines) > 1:
            s.warnings.append(
                f"{len(pipelines)} pipelines in one file "
                f"({', '.join(sorted(pipelines)[:5])}): stage names are kept as "
                "they are, so equal names in different pipelines share an order"
            )
    frame = s.frame(
        {
            "deal_id": deal_id,
            "deal_name": s.text("deal_name"),
            "account": account,
            "owner": s.owner("owner"),
            "stage": stage,
            "stage_order": learn_stage_order(stage, status, known=HUBSPOT_STAGES),
            "status": status,
            "amount": s.amount("amount", currency="currency"),
            "probability": s.probability("probability"),
            "forecast_category": forecast,
            "close_date": s.date("close_date"),
            "created_date": s.date("created_date"),
            "next_step": s.text("next_step"),
            "last_activity_date": s.date("last_activity_date", on_bad="blank"),
            "deal_type": s.text("deal_type"),
            "lead_source": s.text("lead_source"),
            "push_count": pd.array(s.number("push_count", on_bad="blank"), dtype="Int64"),
        }
    )
    history = stage_history(s, deal_id, stage)
    if history is not None:
        s.extra[ALSO] = [("history", history)]
    return frame


# ---------------------------------------------------------------------------------------------
# Stage history: the deals export's Date entered / Date exited columns

# `Date entered "Contract Sent (Sales Pipeline)"` (straight or curly quotes); `Cumulative time in
# "..." (HH:mm:ss)` is not read: the entries say the same.
_STAGE_DATE = re.compile(
    r'^\s*date\s+(entered|exited)\s+["\u201c\u201d](.+)["\u201c\u201d]\s*$', re.I
)
_STAGE_PIPELINE = re.compile(r"^(.*?\S)\s*\(([^()]*)\)$")
# HubSpot's own property: when the deal entered the stage it is in now.
_CURRENT_ENTERED = normalize_header("Date entered current stage")


def stage_columns(header: list[str]) -> list[tuple[int, bool, str, str | None]]:
    """The stage date columns of a deals header: (position, entered?, stage, pipeline or None)."""
    out = []
    for i, h in enumerate(header):
        m = _STAGE_DATE.match(h or "")
        if not m:
            continue
        label = m[2].strip()
        pm = _STAGE_PIPELINE.match(label)
        stage, pipeline = (pm[1].strip(), pm[2].strip()) if pm else (label, None)
        out.append((i, m[1].lower() == "entered", stage, pipeline))
    return out


def _stage_day_first(s: Sheet, columns: list[Distinct]) -> bool:
    """Day/month order of the stage dates: ``--date-format``, their own values, else the file's
    other date columns (as ``Sheet.day_first`` decides a column)."""
    if s.options.day_first is not None:
        return s.options.day_first
    orders = [date_order(c) for c in columns]
    evidence = DateOrder(
        sum(o.only_day_first for o in orders),
        sum(o.only_month_first for o in orders),
        sum(o.either for o in orders),
        sum(o.dotted for o in orders),
        next((o.example for o in orders if o.example), None),
    )
    decided = evidence.decide()
    if decided is not None:
        return decided
    known = set()
    for name in ("close_date", "created_date", "last_activity_date"):
        if s.has(name):
            order = date_order(s.distinct(name))
            if order.matters and order.decide() is not None:
                known.add(order.decide())
    if len(known) == 1:
        return known.pop()
    raise LoadError(
        f"{s.name}: the Date entered columns have dates such as {evidence.example!r} that read "
        "both as day/month and month/day; rerun with --date-format %d/%m/%Y (day first) or "
        "--date-format %m/%d/%Y (month first)"
    )


def stage_history(s: Sheet, deal_id: np.ndarray, stage: np.ndarray) -> pd.DataFrame | None:
    """The stage history a deals export carries in its ``Date entered`` columns; None without.

    Each deal's stages are ordered by the time it entered them (ties: the columns' order, which
    is the pipeline's); each entry is a ``stage`` change from the stage entered before it (None
    for the first, the deal's creation), like Salesforce's OpportunityHistory. HubSpot keeps only
    the latest entry of a stage a deal entered twice, so the earlier visit is not seen. Only the
    columns of the deal's own pipeline are read (``Pipeline`` column). ``Date entered current
    stage`` stands in for the current stage's own column when that is absent or empty; when the
    deal's current stage has no entry at all but the last stage it entered has a ``Date exited``,
    that exit is its move to the current stage. Stage names are spelled as the ``Deal Stage``
    column spells them. Rows rejected from the deals are left out; an unreadable date leaves that
    one entry out (counted in a warning).
    """
    columns = stage_columns(s.table.header)
    current_at = [i for i, k in enumerate(s.keys) if k == _CURRENT_ENTERED]
    if not any(entered for _, entered, _, _ in columns) and not current_at:
        return None
    keep = ~s.bad
    texts = {i: Distinct.of(s.table.columns[i]) for i, *_ in columns}
    for i in current_at[:1]:
        texts[i] = Distinct.of(s.table.columns[i])
    day_first = _stage_day_first(s, list(texts.values()))
    pipeline = text_values(s.column("pipeline")) if s.has("pipeline") else None
    pipe_key = (
        pd.Series(pipeline, dtype=object).map(normalize_header, na_action="ignore").to_numpy()
        if pipeline is not None
        else None
    )
    spelled: dict[str, str] = {}
    for value in pd.unique(stage[keep & ~np.equal(stage, None)]):
        spelled.setdefault(normalize_header(value), value)
    current_key = pd.Series(stage, dtype=object).map(normalize_header, na_action="ignore")

    def dates(i: int) -> np.ndarray:
        parsed = parse_dates(texts[i], day_first=day_first)
        unreadable = parsed.bad & keep
        if unreadable.any():
            bad_cells[0] += int(unreadable.sum())
        return parsed.values

    bad_cells = [0]
    other_pipeline = 0
    rows, keys, times, ranks = [], [], [], []
    exits: dict[tuple[int, str], np.datetime64] = {}
    for rank, (i, entered, label, pipe) in enumerate(columns):
        at = dates(i)
        mask = keep & ~np.isnat(at)
        if pipe is not None and pipe_key is not None:
            elsewhere = mask & ~np.equal(pipe_key, None) & (pipe_key != normalize_header(pipe))
            other_pipeline += int(elsewhere.sum())
            mask &= ~elsewhere
        key = normalize_header(label)
        spelled.setdefault(key, label)
        idx = np.flatnonzero(mask)
        if entered:
            rows.append(idx)
            keys.append(np.full(len(idx), key, dtype=object))
            times.append(at[idx])
            ranks.append(np.full(len(idx), rank))
        else:
            exits.update(((int(r), key), t) for r, t in zip(idx, at[idx], strict=True))
    entries = pd.DataFrame(
        {
            "row": np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
            "key": np.concatenate(keys) if keys else np.zeros(0, dtype=object),
            "at": np.concatenate(times) if times else np.zeros(0, dtype="datetime64[ns]"),
            "rank": np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64),
        }
    )
    if current_at:
        at = dates(current_at[0])
        has_own = np.zeros(s.n, dtype=bool)
        own = entries["key"].to_numpy() == current_key.to_numpy()[entries["row"].to_numpy()]
        has_own[entries["row"].to_numpy()[own]] = True
        idx = np.flatnonzero(keep & ~np.isnat(at) & ~has_own & current_key.notna().to_numpy())
        entries = pd.concat(
            [
                entries,
                pd.DataFrame(
                    {
                        "row": idx,
                        "key": current_key.to_numpy()[idx],
                        "at": at[idx],
                        "rank": len(columns),
                    }
                ),
            ],
            ignore_index=True,
        )
    entries = entries.sort_values(["row", "at", "rank"], kind="stable").reset_index(drop=True)
    if exits and len(entries):
        last = entries.drop_duplicates("row", keep="last")
        moved = []
        for r, key, entered_at in zip(last["row"], last["key"], last["at"], strict=True):
            now = current_key.iat[r]
            left = exits.get((r, key))
            if now is not None and now != key and left is not None and left >= entered_at:
                moved.append((r, now, left, len(columns) + 1))
        if moved:
            extra = pd.DataFrame(moved, columns=["row", "key", "at", "rank"])
            entries = pd.concat([entries, extra], ignore_index=True)
            entries = entries.sort_values(["row", "at", "rank"], kind="stable")
            entries = entries.reset_index(drop=True)
    if bad_cells[0]:
        s.warnings.append(
            f"{bad_cells[0]} unreadable date{'s' if bad_cells[0] != 1 else ''} in the Date "
            "entered/exited columns left out of the stage history"
        )
    if other_pipeline:
        s.warnings.append(
            f"{other_pipeline} stage date{'s' if other_pipeline != 1 else ''} of another pipeline "
            "than the deal's own left out of the stage history"
        )
    names = entries["key"].map(spelled)
    first = ~entries["row"].duplicated(keep="first")
    old = names.shift(1).where(~first, None)
    changed = (old.fillna("\x00") != names).to_numpy()
    history = pd.DataFrame(
        {
            "deal_id": deal_id[entries["row"].to_numpy()],
            "changed_at": entries["at"].to_numpy(),
            "field": "stage",
            "old_value": old.to_numpy(dtype=object),
            "new_value": names.to_numpy(dtype=object),
        }
    )[changed]
    s.extra["stage_history_deals"] = int(entries["row"].nunique())
    return schema.conform(history, "history")


DEALS = Format(
    name="hubspot-deals",
    kind="pipeline",
    source="hubspot",
    title="a HubSpot deals export",
    fields=DEAL_FIELDS,
    reader=read_deals,
    signature=DEAL_SIGNATURE,
)

# ---------------------------------------------------------------------------------------------
# Activities

_COMMON = (
    F("activity_id", "Record ID", "Activity ID", "Engagement ID", required=True),
    F("activity_date", "Activity date", "Activity Date", "Create date", required=True, type="date"),
    F(
        "owner",
        "Activity assigned to",
        "Assigned to",
        "HubSpot Owner",
        "Activity owner",
        "Owner",
        label="Activity assigned to",
    ),
    F("deal_ids", "Associated Deal IDs", "Associated Deal ID", "Associated Deals IDs"),
    F(
        "account",
        "Associated Company",
        "Associated Companies",
        "Associated Company (Primary)",
        expected=False,
    ),
    # who else took part: attendees (names, or owner ids the roster's CRM User ID matches) and
    # the deal's contacts
    F(
        "attendees",
        "Attendees",
        "Meeting attendees",
        "Participants",
        "Attendee owner IDs",
        "Attendee owners",
        expected=False,
    ),
    F("contacts", "Associated Contact", "Associated Contacts", expected=False),
)


def _activity(
    s: Sheet,
    kind: str,
    subject: np.ndarray,
    duration: np.ndarray,
    completed: np.ndarray,
    date: np.ndarray | None = None,
) -> pd.DataFrame:
    activity_id = s.text("activity_id")
    s.reject(np.equal(activity_id, None), "activity_id", "a Record ID is required")
    if date is None:
        date = s.date("activity_date", required=True)
    deal_id, several = first_of_list(s.text("deal_ids"))
    s.warn_count(several, "associated with several deals, linked to the first")
    account, _ = first_of_list(s.text("account"))
    reject_duplicates(s, activity_id, "activity_id", "Record ID")
    owner = s.owner("owner")
    return s.frame(
        {
            "activity_id": activity_id,
            "owner": owner,
            "activity_date": date,
            "type": kind,
            "deal_id": deal_id,
            "account": account,
            "duration_seconds": duration,
            "subject": subject,
            "participants": participants_of(s, ["attendees", "contacts"], owner),
            "completed": completed,
        }
    )


CALL_FIELDS = _COMMON + (
    F("subject", "Call Title", "Call title", "Call notes", "Call Notes"),
    F("direction", "Call direction", expected=False),
    F("outcome", "Call outcome", expected=False),
    F("call_status", "Call status", expected=False),
    F("duration_hms", "Call duration (HH:mm:ss)", expected=False),
    F(
        "duration_ms",
        "Call duration",
        "Call duration (ms)",
        "Call duration (milliseconds)",
        expected=False,
    ),
)
CALL_SIGNATURE = (
    ("Record ID", "Activity ID", "Engagement ID"),
    ("Activity date", "Create date"),
    (
        "Call Title",
        "Call direction",
        "Call outcome",
        "Call status",
        "Call duration (HH:mm:ss)",
        "Call duration",
        "Call notes",
    ),
)

# Call statuses that mean the call never happened.
_CALL_NOT_DONE = {
    "canceled",
    "cancelled",
    "failed",
    "queued",
    "ringing",
    "inprogress",
    "connecting",
    "callingcrmuser",
}


def read_calls(s: Sheet) -> pd.DataFrame:
    """HubSpot calls export; duration from ``HH:mm:ss`` or milliseconds."""
    if s.has("duration_hms"):
        duration = s.duration("duration_hms")
    else:
        duration = s.duration("duration_ms", number_unit="ms")
    not_done = s.flag("call_status", list(_CALL_NOT_DONE))
    return _activity(s, "call", s.text("subject"), duration, ~not_done)


CALLS = Format(
    name="hubspot-calls",
    kind="activity",
    source="hubspot",
    title="a HubSpot calls export",
    fields=CALL_FIELDS,
    reader=read_calls,
    signature=CALL_SIGNATURE,
)

EMAIL_FIELDS = _COMMON + (
    F("subject", "Email subject", "Email Subject", "Subject"),
    F("direction", "Email direction", expected=False),
    F("send_status", "Email send status", expected=False),
)
EMAIL_SIGNATURE = (
    ("Record ID", "Activity ID", "Engagement ID"),
    ("Activity date", "Create date"),
    ("Email subject", "Email direction", "Email send status", "Email body"),
)


def read_emails(s: Sheet) -> pd.DataFrame:
    """HubSpot emails export."""
    failed = s.flag("send_status", ["failed", "bounced", "scheduled", "canceled", "cancelled"])
    return _activity(s, "email", s.text("subject"), np.full(s.n, np.nan), ~failed)


EMAILS = Format(
    name="hubspot-emails",
    kind="activity",
    source="hubspot",
    title="a HubSpot emails export",
    fields=EMAIL_FIELDS,
    reader=read_emails,
    signature=EMAIL_SIGNATURE,
)

MEETING_FIELDS = _COMMON + (
    F("subject", "Meeting name", "Meeting Name", "Meeting title"),
    F("outcome", "Meeting outcome", "Meeting Outcome"),
    F("start", "Meeting start time", "Meeting Start Time", type="date"),
    F("end", "Meeting end time", "Meeting End Time", type="date"),
)
MEETING_SIGNATURE = (
    ("Record ID", "Activity ID", "Engagement ID"),
    ("Activity date", "Create date"),
    ("Meeting name", "Meeting outcome", "Meeting start time", "Meeting end time"),
)

_MEETING_NOT_DONE = {"canceled", "cancelled", "noshow", "rescheduled"}


def read_meetings(s: Sheet) -> pd.DataFrame:
    """HubSpot meetings export.

    Completed unless the outcome is Canceled, No show or Rescheduled; a Scheduled (or blank)
    meeting counts once its day has come (``loaders.clock.today``).
    """
    start = s.date("start", on_bad="blank")
    end = s.date("end", on_bad="blank")
    date = s.date("activity_date", required=False)
    date = np.where(np.isnat(start), date, start)
    s.reject(np.isnat(date), "activity_date", "a date is required")
    duration = (end - start).astype("timedelta64[s]").astype("float64")
    duration[np.isnat(end) | np.isnat(start) | (duration < 0)] = np.nan
    cancelled = s.flag("outcome", list(_MEETING_NOT_DONE))
    tomorrow = np.datetime64(clock.today(), "D") + np.timedelta64(1, "D")
    scheduled = s.flag("outcome", ["scheduled"]) | s.per_value("outcome", lambda v: not v, bool)
    future = scheduled & (date >= tomorrow)
    return _activity(s, "meeting", s.text("subject"), duration, ~cancelled & ~future, date=date)


MEETINGS = Format(
    name="hubspot-meetings",
    kind="activity",
    source="hubspot",
    title="a HubSpot meetings export",
    fields=MEETING_FIELDS,
    reader=read_meetings,
    signature=MEETING_SIGNATURE,
)

# Notes: `Record ID, Activity type, Title, Body, Activity date, Activity assigned to, Associated
# Deal IDs`. Note bodies are HTML in HubSpot (``hs_note_body``).
NOTE_FIELDS = _COMMON + (
    F("activity_type", "Activity type", "Activity Type", "Engagement type", expected=False),
    F("title", "Title", "Note title", expected=False),
    F("body", "Body", "Note body", "Note Body", "Note"),
)
NOTE_SIGNATURE = (
    ("Record ID", "Activity ID", "Engagement ID"),
    ("Activity date", "Create date"),
    ("Body", "Note body"),
)
_TAG = r"<[^>]*>"
SUBJECT_CHARS = 200


def note_subjects(s: Sheet) -> np.ndarray:
    """A note's subject: its title, else the start of its body as plain text (tags and entities
    such as ``&nbsp;`` removed, spaces collapsed, at most ``SUBJECT_CHARS`` characters)."""
    title = s.text("title")
    body = s.column("body")
    plain = pc.replace_substring_regex(body, _TAG, " ")
    plain = pc.replace_substring_regex(plain, r"&nbsp;|&#160;", " ")
    for entity, char in (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"')):
        plain = pc.replace_substring(plain, entity, char)
    plain = pc.utf8_trim_whitespace(pc.replace_substring_regex(plain, r"\s+", " "))
    long = pc.greater(pc.utf8_length(plain), SUBJECT_CHARS)
    cut = pc.binary_join_element_wise(
        pc.utf8_rtrim_whitespace(pc.utf8_slice_codeunits(plain, 0, SUBJECT_CHARS - 1)), "…", ""
    )
    text = text_values(pc.if_else(long, cut, plain))
    return np.where(np.equal(title, None), text, title)


def read_notes(s: Sheet) -> pd.DataFrame:
    """HubSpot notes export: activities of type ``other`` (an ``Activity type`` column that says
    Call, Email or Meeting is followed), linked to the first of their ``Associated Deal IDs``."""
    kind = activity_types(s, None, "activity_type", None) if s.has("activity_type") else "other"
    return _activity(s, kind, note_subjects(s), np.full(s.n, np.nan), np.ones(s.n, dtype=bool))


NOTES = Format(
    name="hubspot-notes",
    kind="activity",
    source="hubspot",
    title="a HubSpot notes export",
    fields=NOTE_FIELDS,
    reader=read_notes,
    signature=NOTE_SIGNATURE,
)
