"""Saved mappings (issue 15): what the Data page lists, and the checks its import step makes.

Scoped like every read. A saved mapping belongs to no team (it reads whole files into the whole
store), so only a viewer who may see every team (scope None, the local default) sees them; any
other scope reads nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pandas as pd
from sqlalchemy import Engine

from loaders.store import mappings as store_mappings

Scope = Collection[str] | None
COLUMNS = ["name", "kind", "columns", "fields", "author", "created_at", "updated_at"]


def saved_mappings(engine: Engine, scope: Scope = None) -> pd.DataFrame:
    """Every saved mapping by name: ``name, kind, columns`` (the header it was saved for, as
    text), ``fields`` (field = column, as text), ``author, created_at, updated_at``."""
    if scope is not None:
        return pd.DataFrame(columns=COLUMNS)
    rows = [
        {
            "name": m["name"],
            "kind": m["kind"],
            "columns": " · ".join(h for h in m["header"] if h),
            "fields": ", ".join(f"{f} = {c}" for f, c in m["fields"].items()),
            "author": m["author"],
            "created_at": m["created_at"],
            "updated_at": m["updated_at"],
        }
        for m in store_mappings.list_mappings(engine)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def name_taken(engine: Engine, name: str, scope: Scope = None) -> bool:
    """Whether a saved mapping is called ``name`` (names compared as saved: spaces folded)."""
    if scope is not None:
        return False
    wanted = " ".join(str(name).split())
    return any(m["name"] == wanted for m in store_mappings.list_mappings(engine))


def fitting(engine: Engine, header: Sequence[str], kind: str, scope: Scope = None) -> str | None:
    """The name of the saved mapping that already reads files with this header as ``kind``."""
    if scope is not None:
        return None
    key = store_mappings.header_key(header)
    for m in store_mappings.list_mappings(engine):
        if m["header_key"] == key and m["kind"] == kind:
            return m["name"]
    return None


__all__ = ["COLUMNS", "fitting", "name_taken", "saved_mappings"]
