"""Freshness per source (``reads.catalog._freshness``) on the hand-checked book, both stores.

The book holds salesforce snapshots on 11-01 (11 deals) and 11-22 (12), hubspot on 10-30 (1) and
11-20 (2): each source's newest day and the deals in it, sources in name order. It is read by
index seeks, one source at a time, instead of a GROUP BY over every snapshot row.
"""

from __future__ import annotations

import datetime as dt

from dashboard.reads import catalog


def test_freshness_is_each_sources_newest_snapshot(book_engine):
    got = catalog._freshness(book_engine)
    assert list(got.columns) == ["source", "latest_snapshot", "deals"]
    assert got.to_dict("records") == [
        {"source": "hubspot", "latest_snapshot": dt.date(2026, 11, 20), "deals": 2},
        {"source": "salesforce", "latest_snapshot": dt.date(2026, 11, 22), "deals": 12},
    ]


def test_freshness_of_an_empty_store(engine):
    got = catalog._freshness(engine)
    assert got.empty and list(got.columns) == ["source", "latest_snapshot", "deals"]
