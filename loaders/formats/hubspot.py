"""HubSpot: deal exports and call, email and meeting activity exports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders import clock
from loaders.formats.base import (
    F,
    Format,
    Sheet,
    derive_status,
    learn_stage_order,
    reject_duplicates,
    stage_status_code,
)
from loaders.formats.common import first_of_list
from loaders.parsing.columns import text_values

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
    return s.frame(
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
    return s.frame(
        {
            "activity_id": activity_id,
            "owner": s.owner("owner"),
            "activity_date": date,
            "type": kind,
            "deal_id": deal_id,
            "account": account,
            "duration_seconds": duration,
            "subject": subject,
            "participants": None,
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
