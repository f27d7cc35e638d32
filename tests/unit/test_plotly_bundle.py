"""The partial plotly.js bundle the app serves (``dashboard.serve.plotly_js``): the same version
as the plotly package's own plotly.js (the figures' JSON is written for it), and every trace type
a figure builder draws is in it. No browser, no store."""

from __future__ import annotations

import ast
from pathlib import Path

from plotly.offline import get_plotlyjs_version

from dashboard.serve import plotly_js

FIGURES = Path(__file__).resolve().parents[2] / "dashboard" / "figures"
# ``type=`` values that name a trace (grid columns also have a ``type``: "numericColumn").
TRACE_WORDS = ("scatter", "bar", "waterfall", "pie", "heatmap", "histogram", "box", "violin")


def _trace_types() -> set[str]:
    """The trace types the figure builders name: ``go.<Trace>(...)`` calls (their plotly.js type
    is the class name in lower case) and every ``type="..."`` keyword (traces built as dicts)."""
    found = set()
    for path in FIGURES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "go"
                and func.attr not in {"Figure", "Layout"}
            ):
                found.add(func.attr.lower())
            for kw in node.keywords:
                value = kw.value.value if isinstance(kw.value, ast.Constant) else None
                if kw.arg == "type" and isinstance(value, str) and value.startswith(TRACE_WORDS):
                    found.add(value)
    return found


def test_the_bundle_is_the_plotly_packages_version():
    assert plotly_js.bundle_version() == ("teamcar", get_plotlyjs_version())


def test_every_trace_type_the_figures_draw_is_in_the_bundle():
    used = _trace_types()
    assert {"scatter", "scattergl", "bar", "waterfall"} <= used  # the scan sees what is drawn
    assert used <= plotly_js.TRACES, used - plotly_js.TRACES
