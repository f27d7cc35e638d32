"""A stand-alone currency rates file (``loaders.formats.currency``): read off hand-written
fixtures shaped like a ``Currency, Rate`` sheet and Salesforce's ``CurrencyType.csv``."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.formats import LoadError
from loaders.formats.currency import is_rates_file, read_rates

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def test_currency_rate_sheet():
    r = read_rates(EXPORTS / "currency_rates.csv")
    assert r.rates == {"USD": 1.0, "EUR": 0.92, "GBP": 0.8}
    assert r.corporate == "USD"  # the one rate of 1
    assert [(x.row_number, x.column, x.reason) for x in r.rejects] == [
        (5, "Currency", "Currency 'Euro': expected a 3-letter currency code such as EUR")
    ]


def test_salesforce_currency_type_export():
    r = read_rates(EXPORTS / "CurrencyType.csv")
    assert r.rates == {"USD": 1.0, "EUR": 0.92, "GBP": 0.8}
    assert r.corporate == "USD"  # IsCorporate = 1
    # the inactive CHF row has rate 0
    assert [(x.row_number, x.column) for x in r.rejects] == [(5, "ConversionRate")]


def test_only_rates_files_are_taken_for_rates():
    assert is_rates_file(EXPORTS / "currency_rates.csv")
    assert is_rates_file(EXPORTS / "CurrencyType.csv")
    for other in (
        "salesforce_report_multicurrency_2026-10-09.csv",
        "hubspot_deals_2026-10-09.csv",
        "zoho_deals.csv",  # has a Currency column, and deals
        "roster.csv",
    ):
        assert not is_rates_file(EXPORTS / other)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Currency,Rate\nEUR,0.92\nGBP,0.8\n", "cannot tell the store's currency"),
        ("Currency,Rate\nUSD,1\nEUR,1\n", "cannot tell the store's currency"),
        ("IsoCode,ConversionRate,IsCorporate\nUSD,1.1,1\nEUR,1,0\n", "has rate 1.1; expected 1"),
        ("Currency,Rate\nEuro,x\n", "no usable currency rate"),
    ],
)
def test_rates_that_cannot_be_used_are_refused_clearly(tmp_path, text, message):
    path = tmp_path / "rates.csv"
    path.write_text(text)
    with pytest.raises(LoadError, match=message) as err:
        read_rates(path)
    assert str(err.value).startswith("rates.csv: ")
