"""What a load kept in the store is found by any process that opens that store, under whatever
address it is reached: a SQLite file copied or moved, or a server spelled another way."""

from __future__ import annotations

import shutil

from dashboard.reads import cache, kept
from loaders.store.engine import dispose_engines, get_engine
from tests.support.book import make_store, seed_book


def test_a_copied_store_finds_what_was_kept_in_it(tmp_path):
    url, drop = make_store("sqlite", tmp_path)
    engine = get_engine(url)
    seed_book(engine)
    try:
        assert kept.kept(engine, "t", 7, ("args",), lambda: {"value": 1}) == {"value": 1}
        source = engine.url.database
        dispose_engines()  # the file is closed before it is copied
        moved = tmp_path / "elsewhere" / "moved.db"
        moved.parent.mkdir()
        shutil.copy(source, moved)
        cache.clear_local()

        def refuse():
            raise AssertionError("computed again: the copy did not find the kept entry")

        assert kept.kept(get_engine(f"sqlite:///{moved}"), "t", 7, ("args",), refuse) == {
            "value": 1
        }
        # a different version or arguments is another entry
        assert kept.kept(get_engine(f"sqlite:///{moved}"), "t", 8, ("args",), lambda: 2) == 2
    finally:
        dispose_engines()
        drop()
