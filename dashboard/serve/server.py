"""The app as a server runs it: ``create_app`` plus what only a served app needs.

Responses are compressed (gzip or brotli, whichever the browser accepts) by Flask-Compress:
Plotly's and the grid's scripts and the figure JSON shrink several times on the wire, which is
most of a first visit's bytes. Every response carries security headers (``security_headers``):
a Content-Security-Policy allowing exactly what the pages load, no framing, no MIME sniffing, a
Referrer-Policy, and HSTS when served over HTTPS. Used by gunicorn (``dashboard.serve.wsgi``),
which ``teamcar serve`` runs.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading

import dash
from flask import Flask, Response
from flask_compress import Compress

from dashboard.app import create_app
from dashboard.serve import warm
from loaders.config import load_config

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
    server.config.setdefault("COMPRESS_CACHE_BACKEND", StaticCompressed)
    server.config.setdefault("COMPRESS_CACHE_KEY", static_cache_key)
    Compress(server)
    # Registered after Compress so it runs before it (Flask runs after-request hooks last
    # registered first): it reads the page as served, before it is compressed.
    security_headers(server, hsts=load_config().secure_cookie)
    _set_up_now(app)
    server.wsgi_app = warm.serving(server.wsgi_app)  # warming gives way to requests
    return app


# Paths whose bytes never change while the server runs: Dash puts each component file's version
# in its name, assets carry their modification time (``?m=``), and plotly.js is the bundle's.
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
_NOT_KEPT = "-"


def static_cache_key(request) -> str:
    """Flask-Compress's cache key: the full path of a static file, ``-`` for anything else."""
    if request.method == "GET" and request.path.startswith(STATIC_PREFIXES):
        query = request.query_string.decode("latin-1")
        return f"{request.path}?{query}" if query else request.path
    return _NOT_KEPT


class StaticCompressed:
    """Compressed static files, kept per worker so each is compressed once, not per visit.

    A cold visit fetches about 4 MB of scripts (plotly.js, the grid, React, Dash); compressing
    them took the worker about 0.1 s of CPU per visit, while the same worker answers that
    visit's layout and callbacks. Flask-Compress asks this cache for every response: only keys
    from ``static_cache_key`` for static files are kept (bounded; a few MB), the rest pass.
    """

    LIMIT = 256

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return self._kept.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + _NOT_KEPT) or key in self._kept:
            return
        with self._lock:
            if len(self._kept) < self.LIMIT:
                self._kept[key] = value


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


# --- security headers --------------------------------------------------------------------------

# The Content-Security-Policy, directive by directive. Nothing comes from another origin: Dash
# serves its component scripts itself (``serve_locally``), the stylesheets are in assets/, and
# plotly.js is the app's own bundle (``dashboard.serve.plotly_js``).
CSP_DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'self'"),
    # 'unsafe-eval' is for one trace type: scattergl. The course map and the peloton draw as
    # scattergl (WebGL) from 5,000 points, lane lines and trails included, and scattergl draws
    # through regl, which writes its draw calls as code and compiles them with Function() on
    # first use. The bundle in assets/vendor/plotly holds plotly.js's ordinary scattergl (its
    # table of precompiled draw calls is empty): checked in Chromium, on a Course of 1,080
    # deals a policy without 'unsafe-eval' refused four Function() calls from the bundle, with
    # no error on the console (tests/browser/test_csp.py fails without it). Nothing else the
    # app loads evaluates strings (every page ran clean under a policy without it while its
    # charts drew as SVG). Building the bundle with plotly.js's "strict" scattergl
    # (src/traces/scattergl/strict.js) would let this go. Dash's inline scripts (the
    # renderer's start, clientside callbacks) are allowed by their hashes, computed from each
    # page as served (``inline_script_hashes``); 'unsafe-inline' is never allowed for scripts.
    ("script-src", "'self' 'unsafe-eval'"),
    # 'unsafe-inline' for styles only: Plotly writes style attributes and <style> rules while it
    # draws (hover labels, modebar, selection), AG Grid injects its theme's stylesheet at run
    # time, and Dash's style= props become style attributes; none can be hashed in advance.
    # Styles cannot run code.
    ("style-src", "'self' 'unsafe-inline'"),
    # data: and blob: images: Bootstrap's form controls draw their icons as data: SVG, and a
    # chart's PNG download (Plotly's toImage) renders through data:/blob: images.
    ("img-src", "'self' data: blob:"),
    ("font-src", "'self' data:"),
    ("connect-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors 'none' for browsers without CSP 2
    # The URL carries the view (team, rep, quarter): keep it from other sites.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # one year; set only when served over HTTPS (TEAMCAR_SECURE_COOKIE)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_SRC = re.compile(r"\bsrc\s*=", re.I)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_DATA_TYPES = ("json", "template")  # script elements a browser never runs


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-...'``) for each inline script ``html`` would run.

    Read from the page as served, so whatever the page inlines (Dash's renderer start, each
    clientside callback, anything a later change adds) is allowed exactly, and nothing else.
    Scripts with ``src``, data blocks (JSON) and scripts inside comments are not hashed.
    """
    found = []
    for attrs, body in _SCRIPT.findall(_COMMENT.sub("", html)):
        if _SRC.search(attrs):
            continue
        kind = _TYPE.search(attrs)
        if kind and any(word in kind.group(1).lower() for word in _DATA_TYPES):
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in found:
            found.append(source)
    return found


def content_security_policy(script_hashes: list[str] | tuple[str, ...] = ()) -> str:
    """The policy, with ``script_hashes`` added to ``script-src``."""
    parts = []
    for name, value in CSP_DIRECTIVES:
        if name == "script-src" and script_hashes:
            value = " ".join([value, *script_hashes])
        parts.append(f"{name} {value}")
    return "; ".join(parts)


def security_headers(server: Flask, hsts: bool = False) -> None:
    """Add the security headers to every response ``server`` sends.

    An HTML page gets the policy with the hashes of its own inline scripts; every other
    response the same policy without them.
    """
    plain = content_security_policy()

    def add(response: Response) -> Response:
        headers = response.headers
        for name, value in STATIC_HEADERS.items():
            headers.setdefault(name, value)
        if hsts:
            headers.setdefault("Strict-Transport-Security", HSTS)
        policy = plain
        if (
            response.mimetype == "text/html"
            and not response.direct_passthrough
            and "Content-Encoding" not in headers
        ):
            policy = content_security_policy(inline_script_hashes(response.get_data(as_text=True)))
        headers["Content-Security-Policy"] = policy
        return response

    server.after_request(add)
