"""dashboard/metrics is pure pandas: no dash and no sqlalchemy import (docs/architecture.md#layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

METRICS = Path(__file__).resolve().parents[2] / "dashboard" / "metrics"


@pytest.mark.parametrize("path", sorted(METRICS.glob("*.py")), ids=lambda p: p.name)
def test_no_dash_or_sqlalchemy(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        for name in names:
            root = name.split(".")[0]
            assert root not in {"dash", "sqlalchemy", "flask", "plotly"}, f"{path.name}: {name}"
            assert not name.startswith(("dashboard.reads.queries", "loaders.store")), name
