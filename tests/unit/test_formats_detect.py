"""Format recognition, user-facing errors, and property tests: whatever bytes arrive, read_export
returns a result or raises LoadError, never anything else.

Unit tier: no database, no browser.
"""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import schema
from loaders.formats import FORMATS, LoadError, ReadResult, detect_format, read_export
from tests.support.exports import HEADERS

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("salesforce_opportunities_2026-10-09.csv", "salesforce-report"),
        ("salesforce_report_messy.csv", "salesforce-report"),
        ("salesforce_report_pt_br.csv", "salesforce-report"),
        ("hubspot_deals_2026-10-09.csv", "hubspot-deals"),
        ("salesforce_tasks_2026-10-09.csv", "salesforce-task"),
        ("salesforce_events_2026-10-09.csv", "salesforce-event"),
        ("hubspot_calls_2026-10-09.csv", "hubspot-calls"),
        ("hubspot_emails_2026-10-09.csv", "hubspot-emails"),
        ("hubspot_meetings_2026-10-09.csv", "hubspot-meetings"),
        ("roster.csv", "roster"),
        ("quotas.csv", "quotas"),
        ("enablement.csv", "enablement"),
        ("opportunity_field_history.csv", "salesforce-field-history"),
        ("salesforce-data-export/opportunity.csv", "salesforce-opportunity"),
        ("salesforce-data-export/OpportunityHistory.csv", "salesforce-opportunity-history"),
        ("salesforce-data-export/Task.csv", "salesforce-task"),
        ("salesforce-data-export/Event.csv", "salesforce-event"),
        ("pipedrive_deals.csv", "pipedrive-deals"),
        ("pipedrive_activities.csv", "pipedrive-activities"),
        ("zoho_deals.csv", "zoho-deals"),
    ],
)
def test_each_fixture_is_recognised(name, fmt):
    assert detect_format(EXPORTS / name) == fmt


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (["opportunity_owner", "OPPORTUNITY NAME", "stage", "Close-Date"], "salesforce-report"),
        (["Rep", "Opportunity", "Stage", "Close Date"], "salesforce-report"),
        (["rep_name", "team"], "roster"),
        (["Sales Rep", "Period", "Target"], "quotas"),
    ],
)
def test_headers_match_loosely(header, fmt):
    assert detect_format(header) == fmt


def test_every_format_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "mapping.md").read_text()
    missing = [name for name in FORMATS if f"`{name}`" not in doc]
    assert missing == []


def test_formats_only_produce_known_kinds():
    assert {f.kind for f in FORMATS.values()} <= set(schema.FRAMES)


def test_unknown_layout_says_what_was_found_and_how_to_map_it_in_two_lines(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("Foo,Bar,Baz\n1,2,3\n")
    with pytest.raises(LoadError) as err:
        read_export(path)
    msg = str(err.value)
    assert "mystery.csv" in msg and "'Foo', 'Bar', 'Baz'" in msg
    assert "teamcar map mystery.csv" in msg and "--mapping" in msg
    assert len(msg.splitlines()) == 2  # not the catalogue of every format
    assert "salesforce-report" not in msg


def test_near_miss_names_what_is_lacking(tmp_path):
    path = tmp_path / "almost.csv"
    path.write_text("Opportunity Owner,Opportunity Name,Stage,Amount\nAda,A,Prospecting,5\n")
    with pytest.raises(LoadError, match="lacks 'Close Date'"):
        read_export(path)


def test_kind_restricts_recognition(tmp_path):
    with pytest.raises(LoadError):
        read_export(EXPORTS / "roster.csv", kind="pipeline")
    with pytest.raises(LoadError, match="unknown kind"):
        read_export(EXPORTS / "roster.csv", kind="weather")
    with pytest.raises(LoadError, match="unknown format"):
        read_export(EXPORTS / "roster.csv", format="salesforce-weather")


def test_a_folder_is_not_a_file():
    with pytest.raises(LoadError, match="read_bundle"):
        read_export(EXPORTS / "salesforce-data-export")


def test_progress_is_reported():
    seen = []
    r = read_export(EXPORTS / "quotas.csv", progress=seen.append)
    assert seen and seen[-1] == r.rows_read == 4


def test_header_only_file_gives_an_empty_frame(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text("Rep,Quarter,Quota\n")
    r = read_export(path)
    assert r.frame.empty and list(r.frame.columns) == list(schema.QUOTA)
    assert "the file has a header but no rows" in r.warnings


# ---------------------------------------------------------------------------------------------
# property tests

CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "1,234.00",
            "$2K",
            "(5)",
            "abc",
            "11/20/2026",
            "31/31/2026",
            "3/4/2026",
            "2026-10-05 00:00:00",
            "true",
            "0",
            "Closed Won",
            "Best case",
            "40",
            "0.4",
            "006Hp000015Yh7k",
            "000000000000000AAA",
            "2026-Q4",
            "Yes",
            "=cmd()",
            '"',
            "\n",
            "Grand Totals (3 records)",
            "Total",
        ]
    ),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(result: ReadResult) -> None:
    assert result.kind in schema.FRAMES
    assert list(result.frame.columns) == list(schema.FRAMES[result.kind])
    assert len(result.frame) + len(result.rejects) <= result.rows_read + 1
    for reject in result.rejects:
        assert reject.row_number >= 2


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_only_load_error(tmp_path, data):
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    with contextlib.suppress(LoadError):
        check(read_export(path))


@FUZZ
@given(
    fmt=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=12), max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    cut=st.integers(min_value=0, max_value=2000),
)
def test_malformed_exports_raise_only_load_error(tmp_path, fmt, rows, encoding, newline, cut):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(HEADERS[fmt])
    for row in rows:
        writer.writerow(row)
    data = buf.getvalue().encode(encoding, errors="replace")
    if cut:
        data = data[:cut]  # files cut short in the middle of a row or character
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with contextlib.suppress(LoadError):
        check(read_export(path, date_format="%m/%d/%Y" if cut % 2 else None))
