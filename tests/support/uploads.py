"""Uploads through the Flask route on a private copy of the demo store.

The ``store`` and ``app`` fixtures are imported by the upload test modules that use them.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.reads import cache
from dashboard.reads.catalog import live_version as current_version
from dashboard.serve.upload import UPLOAD_PATH
from loaders.store.engine import get_engine
from loaders.store.models import ImportBatch, OpportunitySnapshot
from tests.support.demo import demo_copy


@pytest.fixture
def store(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = demo_copy(tmp_path / "db")
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    monkeypatch.setenv("TEAMCAR_DATA_DIR", str(data_dir))
    monkeypatch.delenv("TEAMCAR_CACHE_URL", raising=False)
    cache.clear_local()
    return get_engine(url), data_dir


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    return create_app()


def counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        batches = conn.execute(select(func.count()).select_from(ImportBatch)).scalar()
        snaps = conn.execute(select(func.count()).select_from(OpportunitySnapshot)).scalar()
    return batches, snaps, current_version(engine)


def post(app, content: bytes, name: str, **headers):
    client = app.server.test_client()
    return client.post(
        UPLOAD_PATH,
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}
