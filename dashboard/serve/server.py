"""The app as a server runs it: ``create_app`` plus what only a served app needs.

Responses are compressed (gzip or brotli, whichever the browser accepts) by Flask-Compress:
Plotly's and the grid's scripts and the figure JSON shrink several times on the wire, which is
most of a first visit's bytes. Used by ``teamcar serve`` and by gunicorn (``dashboard.serve.wsgi``).
"""

from __future__ import annotations

import dash
from flask_compress import Compress

from dashboard.app import create_app

COMPRESS_MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]


def served_app() -> dash.Dash:
    """The Dash app with compressed responses."""
    app = create_app()
    server = app.server
    server.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    server.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    server.config.setdefault("COMPRESS_LEVEL", 6)
    Compress(server)
    _set_up_now(app)
    return app


def _set_up_now(app: dash.Dash) -> None:
    """Run Dash's once-per-process set-up before any request is served.

    Dash does it in ``before_request`` hooks on a process's first request, behind a flag it sets
    before the work is done: with threaded workers a second request arriving meanwhile found the
    component libraries not yet registered and got a 500 for a script (the page then failed to
    start). Running the hooks once here, on a path no guard refuses, closes that window.
    """
    server = app.server
    with server.test_request_context("/_favicon.ico"):
        server.preprocess_request()
