"""``teamcar load`` prepares the landing views for the data it loaded: their all-teams summaries
and forecast are kept in the store under the new data version, so a server's first visitor (any
worker, any machine) reads them instead of waiting for them."""

from __future__ import annotations

from sqlalchemy import select

from loaders.store.engine import data_version, get_engine, session_scope
from loaders.store.models import DerivedFrame
from tests.support.cli import teamcar


def _kept(url: str) -> set[str]:
    with session_scope(get_engine(url)) as s:
        return set(s.scalars(select(DerivedFrame.name)))


def test_load_keeps_the_landing_views_under_the_new_version(store_url, tmp_path):
    env = {"TEAMCAR_TODAY": "2026-11-22"}
    exports = tmp_path / "exports"
    teamcar(
        "generate",
        str(exports),
        "--reps",
        "8",
        "--deals-per-rep",
        "3",
        "--weeks",
        "2",
        "--today",
        "2026-11-22",
    )
    run = teamcar("load", str(exports), env=env)
    assert "Landing views prepared" in run.stdout
    with session_scope(get_engine(store_url)) as s:
        version = data_version(s)
    kept = _kept(store_url)
    assert {f"summary@{version}", f"forecast@{version}"} <= kept
    assert not any(n.startswith("claim:") for n in kept)
    again = teamcar("load", str(exports), env=env)  # nothing new: nothing to prepare
    assert "Landing views prepared" not in again.stdout
