"""One rule for a quarter and its days (``urls.resolve_period``), worded by each caller.

No database, no browser.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import urls

TODAY = dt.date(2026, 11, 5)


@pytest.mark.parametrize(
    ("quarter", "as_of", "since", "expected"),
    [
        ("2026-Q4", None, None, (dt.date(2026, 11, 5), None, False)),  # today, within the quarter
        ("2026-Q3", None, None, (dt.date(2026, 9, 30), None, False)),  # the quarter's last day
        (
            "2026-Q4",
            "2026-11-01",
            "2026-10-20",
            (dt.date(2026, 11, 1), dt.date(2026, 10, 20), True),
        ),
        (None, None, None, (dt.date(2026, 11, 5), None, False)),  # the quarter holding today
    ],
)
def test_days_are_defaulted_once(quarter, as_of, since, expected):
    period = urls.resolve_period(quarter, as_of, since, start_month=1, today=TODAY)
    assert (period.as_of, period.since, period.explicit_as_of) == expected
    assert period.quarter.name == (quarter or "2026-Q4")


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"quarter": "2026-Q9"}, "quarter", "--quarter '2026-Q9': not a quarter"),
        ({"as_of": "22/11/2026"}, "as_of", "--as-of '22/11/2026': must be a date as YYYY-MM-DD"),
        ({"as_of": "1800-01-01"}, "as_of", "--as-of '1800-01-01': must be a day from 1900"),
        ({"since": "2026-11-05"}, "since", "--since '2026-11-05': must be before the as-of day"),
    ],
)
def test_errors_carry_the_field_for_the_caller_to_word(kwargs, field, words):
    args = {"quarter": "2026-Q4", **kwargs}
    with pytest.raises(urls.PeriodError) as caught:
        urls.resolve_period(args.pop("quarter"), **args, start_month=1, today=TODAY)
    assert caught.value.field == field
    options = {"quarter": "--quarter", "as_of": "--as-of", "since": "--since"}
    assert caught.value.worded(options).startswith(words)


@pytest.mark.parametrize("value", ["22/11/2026", "1800-01-01", "x" * 40, 7])
def test_a_link_with_a_bad_day_gets_none(value):
    assert urls.parse_day(value) is None
