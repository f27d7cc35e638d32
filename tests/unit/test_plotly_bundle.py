"""The partial plotly.js bundle the app serves (``dashboard.serve.plotly_js``): the same version
as the plotly package's own plotly.js (the figures' JSON is written for it), and every trace type
a figure builder draws is in it. No browser, no store."""

from __future__ import annotations

import ast
from pathlib import Path

from plotly.offline import get_plotlyjs_version

from dashboard.serve import plotly_js

FIGURES = Path(__file__).resolve().parents[2] / "dashboard" / "figures"


def _trace_types() -> set[str]:
    """The ``go.<Trace>(...)`` calls in the figure builders, as plotly.js type names."""
    found = set()
    for path in FIGURES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "go"
                and node.func.attr not in {"Figure", "Layout"}
            ):
                found.add(node.func.attr.lower())
    return found


def test_the_bundle_is_the_plotly_packages_version():
    assert plotly_js.bundle_version() == ("finance", get_plotlyjs_version())


def test_every_trace_type_the_figures_draw_is_in_the_bundle():
    used = _trace_types()
    assert {"scatter", "bar", "waterfall"} <= used  # the scan finds what the app draws
    assert used <= plotly_js.TRACES, used - plotly_js.TRACES
