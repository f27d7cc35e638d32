"""Plotly.js as the app draws it: a partial bundle with only the trace types the figures use.

Dash's graph loads plotly.js on first use from ``/_dash-component-suites/plotly/package_data/
plotly.min.js``: the full bundle, 4.8 MB of JavaScript to parse, of which the app draws four
trace types (scatter, scattergl, bar, waterfall). ``register`` answers that one path with
plotly.js of the same version built with those four alone (1.6 MB; no published partial bundle
holds them), kept in ``assets/vendor/plotly/`` with its recipe (``assets_ignore`` keeps Dash from
adding it to every page as a script: pages without a graph still load no plotly.js at all).
Every other component file is Dash's.

Rebuild it with ``make plotly-bundle`` when the plotly package (and so plotly.js) is upgraded;
``tests/unit/test_plotly_bundle.py`` fails when the versions differ or a figure builder uses a
trace type the bundle lacks.
"""

from __future__ import annotations

import hashlib
import re

from flask import Flask, Response, request

from loaders.config import REPO_ROOT

PATH = "/_dash-component-suites/plotly/package_data/plotly.min.js"
# Dash matches ``assets_ignore`` against file names (and takes any name ending in "js" for a
# script): keep the bundle and its build entry out of every page's scripts.
ASSETS_IGNORE = r"^(plotly-teamcar-[0-9.]+\.min\.js|entry\.cjs)$"
BUNDLE_NAME = "teamcar"
BUNDLE_DIR = REPO_ROOT / "assets" / "vendor" / "plotly"
# The trace types the bundle registers (``entry.cjs``; scatter is plotly.js's core).
TRACES = frozenset({"scatter", "scattergl", "bar", "waterfall"})
_HEADER = re.compile(rb"plotly\.js \((\w+): [a-z0-9, ]+ - minified\) v(\d+\.\d+\.\d+)")


def bundle_path():
    """The bundle's file (the one ``plotly-teamcar-<version>.min.js`` there is)."""
    (path,) = sorted(BUNDLE_DIR.glob(f"plotly-{BUNDLE_NAME}-*.min.js"))
    return path


def bundle_version() -> tuple[str, str]:
    """(bundle name, plotly.js version) as the bundle's own header states them."""
    with open(bundle_path(), "rb") as fh:
        found = _HEADER.search(fh.read(200))
    if not found:
        raise ValueError(f"{bundle_path()} does not start with a plotly.js bundle header")
    return found.group(1).decode(), found.group(2).decode()


def register(server: Flask) -> None:
    """Serve the partial bundle at the path Dash's graph loads plotly.js from."""
    path = bundle_path()
    # Held in memory (1.6 MB) rather than streamed from the file: Flask-Compress then compresses
    # it once per worker and encoding (``server.StaticCompressed``), not on every visit.
    body = path.read_bytes()
    etag = hashlib.sha256(body).hexdigest()[:32]

    def plotly_js() -> Response:
        response = Response(body, mimetype="application/javascript")
        response.set_etag(etag)
        response.cache_control.public = True
        response.cache_control.max_age = 3600
        response.headers["X-Teamcar-Plotly-Bundle"] = BUNDLE_NAME
        return response.make_conditional(request)

    # A rule with more fixed parts than Dash's ``/_dash-component-suites/<package>/<path>``:
    # Werkzeug tries it first.
    server.add_url_rule(PATH, "plotly_partial_bundle", plotly_js, methods=["GET"])


__all__ = ["ASSETS_IGNORE", "PATH", "TRACES", "bundle_path", "bundle_version", "register"]
