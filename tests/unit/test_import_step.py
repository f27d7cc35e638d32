"""The import step's pure pieces, no store and no browser: the choices' checks, the stage table as
confirmed, the names it proposes, and the preview table (values written as the pages write them)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.figures import import_preview as fig
from dashboard.pages import import_step as step
from loaders.formats.base import Reject

HEADER = ["Ref", "Deal Title", "Customer", "Sales Agent", "Phase", "Value"]


@pytest.mark.parametrize(
    ("kind", "columns", "message"),
    [
        (
            "pipeline",
            {"stage": "Phase", "deal_name": "Value", "amount": "Value"},
            "The column “Value” is chosen for Deal name and Amount: a column fills one field.",
        ),
        (
            "pipeline",
            {"stage": None, "deal_name": "Deal Title"},
            "Choose a column for Stage: every pipeline file needs one.",
        ),
        (
            "pipeline",
            {"stage": "Phase", "deal_name": None, "account": None, "deal_id": None},
            "Choose a column for Deal name, Account or Deal id",
        ),
        (
            "roster",
            {"rep": "Sales Agent", "team": None},
            "Choose a column for Team: every roster file needs one.",
        ),
        (
            "pipeline",
            {"stage": "Phase", "deal_name": "Opportunity"},
            "“Opportunity” (for Deal name) is not a column of this file.",
        ),
    ],
)
def test_choices_no_mapping_can_be_made_of(kind, columns, message):
    with pytest.raises(step.ChoiceError) as err:
        step.check_choices(kind, columns, HEADER)
    assert str(err.value).startswith(message)


def test_choices_that_make_a_mapping_pass():
    step.check_choices("pipeline", {"stage": "Phase", "account": "Customer"}, HEADER)
    step.check_choices("roster", {"rep": "Sales Agent", "team": "Customer"}, HEADER)


def test_field_lists_read_back_with_not_in_this_file():
    ids_ = [{"type": "t", "field": f} for f in ("stage", "owner", "amount")]
    got = step.chosen_columns(["Phase", step.NO_COLUMN, None], ids_)
    assert got == {"stage": "Phase", "owner": None, "amount": None}


def test_stage_table_as_confirmed():
    record = {
        "stages": [
            {"name": "Open", "order": 1, "status": "open"},
            {"name": "Signed", "order": 2, "status": "won"},
        ]
    }
    # Numbers arrive as the browser sends them (2.0 from a number input); statuses as chosen.
    assert step.stage_rows(record, [1, 2.0], ["open", "lost"]) == [
        {"name": "Open", "order": 1, "status": "open"},
        {"name": "Signed", "order": 2, "status": "lost"},
    ]
    # No status list (statuses come from a flag column): the drafted ones stand.
    assert step.stage_rows(record, [3, 4], [])[1] == {"name": "Signed", "order": 4, "status": "won"}
    for order in (None, "", 1.5, -1, "x"):
        with pytest.raises(step.ChoiceError, match="Stage “Open”: the order must be a whole"):
            step.stage_rows(record, [order, 2], ["open", "won"])
    with pytest.raises(step.ChoiceError, match="choose open, won or lost"):
        step.stage_rows(record, [1, 2], ["open", "closed"])


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("teaching_crm_deals_2026-11-22.csv", "teaching crm deals"),
        ("Pipeline 20261122.xlsx", "Pipeline"),
        ("2026-11-22.csv", "mapping"),
    ],
)
def test_default_name(file, name):
    assert step.default_name(file) == name


def test_source_label_is_cleaned():
    assert step.clean_source("  My Warehouse / EU ") == "my-warehouse-eu"
    with pytest.raises(step.ChoiceError, match="Give the data a source"):
        step.clean_source(" ")


def test_preview_columns_first_what_people_check_ids_last():
    frame = pd.DataFrame(
        columns=["deal_id", "deal_name", "account", "owner", "stage", "stage_order", "status"]
        + ["amount", "probability", "close_date", "created_date", "lead_source"]
    )
    mapped = ["deal_id", "account", "stage", "probability", "created_date"]
    # deal_name, status, stage_order, amount and close_date are filled by the reader anyway.
    assert fig.preview_columns(frame, "pipeline", mapped) == [
        "deal_name",
        "account",
        "stage",
        "status",
        "amount",
        "close_date",
        "stage_order",
        "probability",
        "created_date",
        "deal_id",
    ]


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("amount", 12500.0, "12,500.00"),
        ("amount", float("nan"), "—"),
        ("probability", 0.4, "40%"),
        ("close_date", pd.Timestamp("2026-12-05"), "5 Dec 2026"),
        ("changed_at", pd.Timestamp("2026-12-05 14:30"), "5 Dec 2026 14:30"),
        ("completed", True, "yes"),
        ("deal_name", "<b>Big</b>", "<b>Big</b>"),  # text, never markup
    ],
)
def test_cells_as_the_pages_write_them(column, value, text):
    assert fig.cell_text(column, value) == text


def test_rejected_rows_are_counted_with_their_first_reasons():
    rejects = [Reject(i, "Value", f"Value 'x{i}': expected an amount", "") for i in (2, 3, 5, 9)]
    box = fig.reject_notes(rejects, 10)
    words = [c.children for c in box.children[1].children]
    assert box.children[0].children.startswith("4 of the first 10 rows would be rejected")
    assert words == [
        "Row 2: Value 'x2': expected an amount",
        "Row 3: Value 'x3': expected an amount",
        "Row 5: Value 'x5': expected an amount",
        "and 1 more",
    ]
    assert fig.reject_notes([], 10) is None
