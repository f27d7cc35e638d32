"""What every chart on every page shares: the graph's configuration, the blank figure, the note
an empty chart carries, and when a scatter is drawn with WebGL.

A page's ``dcc.Graph`` takes ``GRAPH_CONFIG`` (a small hover modebar that saves a PNG, without the
zoom and selection tools a manager never uses) and shows ``blank_figure`` until its callback draws
the real one, or when there is nothing to draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.figures import style as s

if TYPE_CHECKING:
    import plotly.graph_objects as go

# SVG up to 5,000 points, WebGL from there. Plotly Express switches at 1,000, but in Chromium
# without a GPU (software WebGL, as on many office machines and in the benchmarks) the Course's
# charts at 2,000 reps drew 3-4x faster as SVG: the peloton's 2,000 riders 0.18 s against 0.75 s,
# the course map's 1,930 markers 0.64 s against 2.4 s (median of 5 draws each, the same figure);
# at 5,000 riders the two are about even.
WEBGL_MIN_POINTS = 5000


def scatter_type(points: int) -> str:
    """``"scattergl"`` for a figure of at least ``WEBGL_MIN_POINTS`` points, else ``"scatter"``."""
    return "scattergl" if points >= WEBGL_MIN_POINTS else "scatter"


def with_scatter_type(traces: list[dict], points: int) -> list[dict]:
    """``traces`` (dicts), their WebGL scatters drawn as ``scatter_type(points)`` says: as SVG
    when the figure is small. Traces built as SVG (text, bars) stay SVG."""
    kind = scatter_type(points)
    for trace in traces:
        if trace.get("type") == "scattergl":
            trace["type"] = kind
    return traces


GRAPH_CONFIG = {
    "displaylogo": False,
    "displayModeBar": "hover",
    "scrollZoom": False,
    "modeBarButtonsToRemove": [
        "zoom2d",
        "pan2d",
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "resetScale2d",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def blank_figure(height: int = 120) -> dict:
    """An empty, axis-free figure: what a graph shows before its data arrives.

    A plain dict, as Dash sends a figure: callbacks cache their outputs, and a dict is stored and
    sent again without being validated a second time.

    Args:
        height: The figure's height in pixels (the space the real figure will take, or less).

    Returns:
        A Plotly figure as a dict: no traces, no axes, a white paper and no margins.
    """
    return {
        "data": [],
        "layout": {
            "height": height,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "paper_bgcolor": s.PAPER,
            "plot_bgcolor": s.PAPER,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        },
    }


def say_empty(fig: go.Figure, text: str) -> None:
    """Write ``text`` in the middle of a chart that has nothing to draw."""
    fig.add_annotation(
        text=text,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font=dict(color=s.MUTED),
    )
