"""What every chart on every page shares: the graph's configuration and the blank figure.

A page's ``dcc.Graph`` takes ``GRAPH_CONFIG`` (a small hover modebar that saves a PNG, without the
zoom and selection tools a manager never uses) and shows ``blank_figure`` until its callback draws
the real one, or when there is nothing to draw.
"""

from __future__ import annotations

from dashboard.figures import style as s

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
