"""When the store goes away: a clear message meanwhile, and recovery on its own.

A database that restarts, or a network that drops for a while, must not turn the dashboard into
tracebacks. Three pieces:

- ``on_callback_error`` is the app's Dash ``on_error`` handler. A callback that fails because the
  store cannot be reached (SQLAlchemy ``OperationalError``, ``InterfaceError``, a pool timeout, a
  connection invalidated mid-query) leaves its outputs as they were and opens the shell's outage
  alert; any other error is raised again, so real bugs stay loud in the server's log.
- ``retry_store`` runs on the shell's poll while the alert is open: one ``select 1``; when it
  answers, the alert closes and the drawn data version is reset, so every page redraws from the
  store without a reload. While the alert is closed it does nothing (no extra queries).
- ``register`` adds Flask error handlers for the same errors outside callbacks (page requests,
  routes): HTTP 503 with ``Retry-After`` and the same words, never a traceback.

The engine itself (``loaders.store.engine``) tests pooled PostgreSQL connections before use and
times out a connection attempt in seconds, so the first request after the database is back
succeeds.
"""

from __future__ import annotations

import logging
import time

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update, set_props
from flask import Flask, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from dashboard import ids
from loaders.store.engine import get_engine

MESSAGE = (
    "Database unreachable, retrying. The figures on this page may be out of date; "
    "it catches up by itself when the database is back."
)
RETRY_AFTER_S = 5
log = logging.getLogger(__name__)
_last_logged = [0.0]


# SQLite reports a missing table or a bad query as an OperationalError too: those are bugs (or a
# store never upgraded), not an outage, and must stay loud. These are the passing ones.
_SQLITE_TRANSIENT = (
    "database is locked",
    "unable to open database",
    "disk i/o error",
    "database table is locked",
)


def is_outage(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an error it was raised from) means the store cannot be reached."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, InterfaceError | PoolTimeoutError):
            return True
        if isinstance(exc, OperationalError):
            orig = exc.orig
            if type(orig).__module__ != "sqlite3":
                return True
            return any(words in str(orig).lower() for words in _SQLITE_TRANSIENT)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _log_outage(exc: BaseException) -> None:
    # one line every 30 s at most: a page polls every few seconds and the outage may last a while
    now = time.monotonic()
    if now - _last_logged[0] > 30:
        _last_logged[0] = now
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.warning(
            "store unreachable (%s); pages show the outage message and retry",
            first[0] if first else type(exc).__name__,
        )


def on_callback_error(err: Exception):
    """Dash ``on_error``: a store outage opens the alert and changes nothing else."""
    if not is_outage(err):
        raise err
    _log_outage(err)
    set_props(ids.SHELL_OUTAGE, {"is_open": True})
    return None  # every output: no_update


def alert() -> dbc.Alert:
    """The shell's outage alert (closed until a callback meets an unreachable store)."""
    return dbc.Alert(
        html.Div(
            [
                html.Strong("Database unreachable, retrying. "),
                html.Span(
                    "The figures on this page may be out of date; it catches up by itself when "
                    "the database is back."
                ),
            ],
            role="status",
        ),
        id=ids.SHELL_OUTAGE,
        is_open=False,
        color="warning",
        fade=False,
        className="outage-alert mb-0",
    )


@callback(
    Output(ids.SHELL_OUTAGE, "is_open"),
    Output(ids.SHELL_DATA_VERSION, "data", allow_duplicate=True),
    Input(ids.SHELL_POLL, "n_intervals"),
    State(ids.SHELL_OUTAGE, "is_open"),
    prevent_initial_call=True,
)
def retry_store(_n, is_open):
    """While the alert is open, try the store; once it answers, close it and redraw the pages."""
    if not is_open:
        return no_update, no_update
    with get_engine().connect() as conn:  # an outage raises: the alert stays open
        conn.execute(text("select 1"))
    log.warning("store reachable again")
    return False, None  # pages redraw; the next poll sets the version


def _error_page(exc: Exception):
    if not is_outage(exc):
        raise exc
    _log_outage(exc)
    if request.path.startswith(("/_dash-", "/api/")):
        response = jsonify(status="failed", message=MESSAGE)
    else:
        response = app_page()
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def _outage_layout():
    # The shell itself could not be built (it reads who is signed in): the renderer still gets
    # a layout, which says what is wrong and offers to try again.
    from dash._utils import to_json
    from flask import make_response

    page = html.Div(
        [
            html.H1("Team Car"),
            html.P(MESSAGE, role="status", className="outage-alert"),
            html.A("Try again", href=request.referrer or "/", className="btn btn-outline-dark"),
        ],
        className="container py-5",
    )
    response = make_response(to_json(page))
    response.mimetype = "application/json"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def app_page():
    """A minimal page that says what is wrong and reloads itself."""
    from flask import make_response

    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='{RETRY_AFTER_S}'><title>Team Car</title></head>"
        "<body style='font-family:system-ui,sans-serif;margin:3rem'>"
        f"<h1>Team Car</h1><p role='status'>{MESSAGE}</p></body></html>"
    )
    return make_response(body)


def _as_the_renderer_expects(response):
    """A 503 (from the handler above, or from a guard that could not read who is signed in)
    becomes what the page can show: a callback answer that only opens the alert, a layout that
    says what is wrong; HTML pages get a ``Refresh`` so they try again by themselves."""
    if response.status_code != 503:
        return response
    path = request.path
    if path.endswith("/_dash-update-component"):
        # Nothing on the page changes (no data is sent), the alert opens; a 200 keeps the
        # browser's console clean while the page waits for the store.
        answer = jsonify(multi=True, response={}, sideUpdate={ids.SHELL_OUTAGE: {"is_open": True}})
        answer.headers["Cache-Control"] = "no-store"
        return answer
    if path.endswith("/_dash-layout"):
        return _outage_layout()
    if response.mimetype == "text/html":
        response.headers.setdefault("Refresh", str(RETRY_AFTER_S))
    response.headers.setdefault("Retry-After", str(RETRY_AFTER_S))
    return response


def register(server: Flask) -> None:
    """Answer store outages outside callbacks with 503 and the message, not a traceback."""
    for error in (OperationalError, InterfaceError, PoolTimeoutError, DBAPIError):
        server.register_error_handler(error, _error_page)
    server.after_request(_as_the_renderer_expects)


__all__ = ["MESSAGE", "alert", "is_outage", "on_callback_error", "register", "retry_store"]
