"""The Data page's callbacks as plain functions on a copy of the demo's store."""

from __future__ import annotations

import base64
import csv
import io
import sys

import pytest
from dash import no_update
from sqlalchemy import func, select

from dashboard import ids
from dashboard.reads import cache
from dashboard.reads.catalog import live_version as current_version
from loaders.config import load_config
from loaders.ingest import load_file
from loaders.store.engine import get_engine
from loaders.store.models import ImportBatch
from tests.support.callbacks import run, texts
from tests.support.demo import demo_copy, edited_export


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = demo_copy(tmp_path / "db")
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TEAMCAR_CACHE_URL", raising=False)
    cache.clear_local()
    return get_engine(url)


@pytest.fixture(scope="module")
def data_page():
    from dashboard.app import create_app

    create_app()
    return sys.modules["dashboard.pages.data"]


def render(page, engine, batch=None, result=None, trigger=ids.SHELL_DATA_VERSION):
    return run(page.render, f"{trigger}.data", 1, {"batch": batch}, current_version(engine), result)


def with_rejects(engine, tmp_path) -> int:
    path = edited_export(
        tmp_path / "salesforce_opportunities_2026-11-22_fix.csv",
        cells={
            (2, "Close Date"): "someday",
            (4, "Amount"): "=1+1",
            (4, "Opportunity Name"): '=HYPERLINK("http://x")',
        },
    )
    outcome = load_file(path, engine=engine, config=load_config())
    assert outcome.status == "loaded" and outcome.rows_rejected == 2
    return outcome.batch_id


def test_batches_and_freshness(store, data_page):
    out = render(data_page, store)
    with store.connect() as conn:
        n = conn.execute(select(func.count()).select_from(ImportBatch)).scalar()
    # 30 weeks of 7 weekly exports, and the roster, quotas, enablement and calls
    assert len(out["batches"]) == n == 30 * 7 + 4
    first = out["batches"][0]
    assert first["id"] == n and first["source_name"].endswith(".csv")
    assert first["as_of"] == "2026-11-22 00:00"
    words = "".join(texts(out["freshness"]))
    assert "salesforce · pipeline snapshots" in words and "hubspot · pipeline snapshots" in words
    assert "22 Nov 2026 · today" in words and "1,691 deals in the latest" in words
    # The demo loads cleanly: no rejects to show.
    assert out["rejects"] == [] and out["rejects_title"] == "no batch has rejected rows"
    assert out["download_disabled"] is True


def test_rejected_rows_shown_and_downloadable(store, data_page, tmp_path):
    batch = with_rejects(store, tmp_path)
    out = render(data_page, store)  # the newest batch with rejects
    assert out["batch"] == batch
    assert [r["row_number"] for r in out["rejects"]] == [4, 6]
    assert all(r["reason"] for r in out["rejects"])
    assert out["rejects_title"].startswith(f"batch {batch} · salesforce_opportunities_")
    assert "2 rows could not be read" in out["rejects_title"]
    assert out["download_disabled"] is False
    res = run(data_page.download_rejects, f"{ids.DATA_REJECTS_DOWNLOAD}.n_clicks", 1, 1, batch)
    assert res["filename"].startswith(f"rejected-batch-{batch}-salesforce")
    text = base64.b64decode(res["content"]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Row"] for r in rows] == ["4", "6"]
    # No cell of the file can run as a formula.
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@"))


def test_batch_in_the_url_picks_its_rejects(store, data_page, tmp_path):
    batch = with_rejects(store, tmp_path)
    out = render(data_page, store, batch=3)
    assert out["batch"] == 3 and out["rejects"] == []
    assert out["download_disabled"] is True
    assert render(data_page, store, batch=batch)["rejects"]
    assert "not in the store" in render(data_page, store, batch=99999)["rejects_title"]


def test_upload_result_shows_its_rejects_and_words(store, data_page, tmp_path):
    batch = with_rejects(store, tmp_path)
    result = {
        "results": [
            {
                "status": "loaded",
                "file": "x_<b>2026</b>.csv",
                "batch_id": batch,
                "kind": "pipeline",
                "format": "salesforce-report",
                "source": "salesforce",
                "as_of": "2026-11-22 00:00",
                "rows_read": 724,
                "rows_loaded": 722,
                "rows_rejected": 2,
                "warnings": [],
            },
            {
                "status": "failed",
                "file": "broken.csv",
                "message": "missing the columns Opportunity Name",
            },
        ]
    }
    out = render(data_page, store, batch=3, result=result, trigger=ids.DATA_UPLOAD_RESULT)
    assert out["batch"] == batch
    alerts = data_page.show_upload(result)
    ok, bad = alerts
    assert ok.color == "warning" and "x_<b>2026</b>.csv" in texts(ok)  # text, not HTML
    assert any("724 rows read, 722 loaded, 2 rejected" in t for t in texts(ok))
    assert bad.color == "danger"
    assert "missing the columns Opportunity Name" in texts(bad)
    assert "Nothing was changed in the store." in texts(bad)
    assert data_page.show_upload(None) is no_update


def test_clicking_a_batch_writes_the_url(store, data_page):
    url = run(
        data_page.pick_batch,
        f"{ids.DATA_BATCHES}.cellClicked",
        {"rowId": "b12"},
        {"rowId": "b12"},
        {"search": "?quarter=2026-Q4"},
        {"batch": None},
    )
    assert url == "/data?quarter=2026-Q4&batch=12"
    assert (
        run(
            data_page.pick_batch,
            f"{ids.DATA_BATCHES}.cellClicked",
            {"rowId": "b12"},
            {"rowId": "b12"},
            {"search": ""},
            {"batch": 12},
        )
        is no_update
    )


def test_layout_is_a_cheap_skeleton(data_page):
    page = data_page.layout()
    assert page.className == "data-page"
    assert data_page.layout(batch="7").children[1].data == {"batch": 7}
    assert data_page.layout(batch="../x").children[1].data == {"batch": None}
