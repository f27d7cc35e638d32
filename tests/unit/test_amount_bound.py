"""Amounts beyond a sane bound (``TEAMCAR_MAX_AMOUNT``, default 10^12) are rejected as rows.

Unit tier: no database, no browser. A report row with an amount of 1e36 (or any amount past the
bound) is an export's garbage, never a real deal: it is rejected with its line, column and what was
expected, and the rows around it load.
"""

from __future__ import annotations

import numpy as np
import pytest

from loaders.config import ConfigError, load_config
from loaders.formats import read_export

HEADER = (
    "Opportunity Owner,Account Name,Opportunity Name,Opportunity ID,Stage,Amount,"
    "Probability (%),Close Date,Created Date,Forecast Category\n"
)


def _report(tmp_path, amounts: list[str]):
    body = "".join(
        f'Dana Whitfield,Acme,Deal {i},006Hp00001AbCd{i:03d}A,Prospecting,"{a}",10,'
        "11/20/2026,6/2/2026,Pipeline\n"
        for i, a in enumerate(amounts)
    )
    path = tmp_path / "salesforce_opportunities_2026-11-20.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_amount_past_the_default_bound_is_rejected_with_its_line(tmp_path, monkeypatch):
    monkeypatch.delenv("TEAMCAR_MAX_AMOUNT", raising=False)
    path = _report(
        tmp_path,
        ["1,000.00", "1e36", "1000000000000000000000000000000000000", "1,000,000,000,000.00"],
    )
    r = read_export(path)
    # 10^12 itself is accepted; the two past it are rejected (lines 3 and 4: header is line 1)
    assert r.frame["deal_name"].tolist() == ["Deal 0", "Deal 3"]
    np.testing.assert_array_equal(r.frame["amount"].to_numpy(), [1000.0, 1e12])
    rejected = [(x.row_number, x.column) for x in r.rejects if "TEAMCAR_MAX_AMOUNT" in x.reason]
    assert rejected == [(4, "Amount")]
    by_line = {x.row_number: x for x in r.rejects}
    assert set(by_line) == {3, 4}
    # 1e36 is not an amount the readers take at all; the 37-digit one reads, and is too large
    assert by_line[4].reason == (
        "Amount '1000000000000000000000000000000000000': expected an amount of at most "
        "1,000,000,000,000 (TEAMCAR_MAX_AMOUNT)"
    )
    assert "Deal 2" in by_line[4].raw


def test_the_bound_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("TEAMCAR_MAX_AMOUNT", "5000")
    assert load_config().max_amount == 5000.0
    r = read_export(_report(tmp_path, ["4,999.99", "-5,000.01", "5,000"]))
    assert r.frame["amount"].tolist() == [4999.99, 5000.0]
    assert [(x.row_number, x.column) for x in r.rejects] == [(3, "Amount")]
    assert r.rejects[0].reason.endswith("expected an amount of at most 5,000 (TEAMCAR_MAX_AMOUNT)")


@pytest.mark.parametrize("raw", ["0", "-1", "lots", "inf"])
def test_a_bound_that_is_not_a_positive_number_is_refused(raw):
    with pytest.raises(ConfigError, match="TEAMCAR_MAX_AMOUNT"):
        load_config({"TEAMCAR_MAX_AMOUNT": raw})
