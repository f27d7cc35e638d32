"""Plotly.js as the app draws it: the published partial bundle with the trace types it uses.

Dash's graph loads plotly.js on first use from ``/_dash-component-suites/plotly/package_data/
plotly.min.js``: the full bundle, 4.8 MB of JavaScript to parse, of which the app draws three
trace types (scatter, bar, waterfall). ``register`` answers that one path with plotly.js's own
"finance" partial bundle of the same version (scatter, bar, waterfall and a few more, 1.3 MB),
vendored unmodified in ``assets/vendor/`` (``assets_ignore`` keeps Dash from adding it to every
page as a script: pages without a graph still load no plotly.js at all). Every other component
file is Dash's.

Refresh it with ``make plotly-bundle`` when the plotly package (and so plotly.js) is upgraded;
``tests/unit/test_plotly_bundle.py`` fails when the versions differ or a figure builder uses a
trace type the bundle lacks.
"""

from __future__ import annotations

import re

from flask import Flask, Response, send_file

from loaders.config import REPO_ROOT

PATH = "/_dash-component-suites/plotly/package_data/plotly.min.js"
# Dash matches ``assets_ignore`` against file names: keep the bundle out of every page's scripts.
ASSETS_IGNORE = r"^plotly-[a-z]+-[0-9.]+\.min\.js$"
BUNDLE_NAME = "finance"
BUNDLE_DIR = REPO_ROOT / "assets" / "vendor"
# The trace types the "finance" bundle registers (plotly.js's dist/README.md); scatter is core.
TRACES = frozenset(
    {
        "scatter",
        "bar",
        "histogram",
        "funnel",
        "waterfall",
        "pie",
        "funnelarea",
        "ohlc",
        "candlestick",
        "indicator",
    }
)
_HEADER = re.compile(rb"plotly\.js \((\w+) - minified\) v(\d+\.\d+\.\d+)")


def bundle_path():
    """The vendored bundle's file (the one ``plotly-finance-<version>.min.js`` there is)."""
    (path,) = sorted(BUNDLE_DIR.glob(f"plotly-{BUNDLE_NAME}-*.min.js"))
    return path


def bundle_version() -> tuple[str, str]:
    """(bundle name, plotly.js version) as the bundle's own header states them."""
    with open(bundle_path(), "rb") as fh:
        found = _HEADER.search(fh.read(400))
    if not found:
        raise ValueError(f"{bundle_path()} does not start with a plotly.js bundle header")
    return found.group(1).decode(), found.group(2).decode()


def register(server: Flask) -> None:
    """Serve the partial bundle at the path Dash's graph loads plotly.js from."""
    path = bundle_path()

    def plotly_js() -> Response:
        response = send_file(path, mimetype="application/javascript", max_age=3600, etag=True)
        response.headers["X-Teamcar-Plotly-Bundle"] = BUNDLE_NAME
        return response

    # A rule with more fixed parts than Dash's ``/_dash-component-suites/<package>/<path>``:
    # Werkzeug tries it first.
    server.add_url_rule(PATH, "plotly_partial_bundle", plotly_js, methods=["GET"])


__all__ = ["ASSETS_IGNORE", "PATH", "TRACES", "bundle_path", "bundle_version", "register"]
