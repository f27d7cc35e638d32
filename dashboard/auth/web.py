"""Flask wiring: the secret key, sessions, the guard in front of every request, and sign-in pages."""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, jsonify, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from jinja2 import Environment
from sqlalchemy.exc import DBAPIError

from dashboard.auth.access import (
    SESSION_PRINT,
    SESSION_USER,
    client_address,
    current_access,
    users_configured_once,
)
from dashboard.auth.passwords import fingerprint
from dashboard.auth.throttle import throttle_for
from dashboard.auth.users import Viewer, find_user, verify_login
from loaders.config import Config, load_config
from loaders.store.engine import get_engine

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
SECRET_FILE = "secret_key"
SESSION_CSRF = "csrf"
SESSION_HOURS = 12
# What the login page itself needs; everything else waits for a signed-in viewer.
PUBLIC_PATHS = frozenset(
    {
        LOGIN_PATH,
        LOGOUT_PATH,
        "/assets/bootstrap.min.css",
        "/assets/signin.css",
        "/favicon.ico",
        "/_favicon.ico",
    }
)
FAIL_DELAY_SECONDS = 0.5
SIGN_IN_FAILED = (
    "That name and password do not match an account. After several tries, wait a "
    "few minutes before the next."
)
SIGN_OUT_EXPIRED = "The sign-out form had expired. Sign out again here."
_SECRETS: dict[Path, str] = {}


def secret_key(config: Config) -> str:
    """``TEAMCAR_SECRET_KEY``, else a key generated once into ``<data dir>/secret_key`` (0600)."""
    if config.secret_key:
        return config.secret_key
    path = (config.data_dir / SECRET_FILE).resolve()
    if path in _SECRETS:
        return _SECRETS[path]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = ""
        for _ in range(50):  # another worker may be writing it right now
            key = path.read_text().strip()
            if key:
                break
            time.sleep(0.05)
        if not key:
            raise RuntimeError(f"{path} is empty: delete it and restart") from None
    else:
        key = secrets.token_hex(32)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
    _SECRETS[path] = key
    return key


class LazyKeySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing key found when sign-in is first needed.

    Flask opens the session before any ``before_request`` runs, so the key cannot wait for the
    guard. While Team Car runs as the local demo (no users, no sign-on header) there is no
    session at all and no key file is written.
    """

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            config = load_config()
            try:
                needed = bool(config.auth_header) or users_configured_once(
                    get_engine(config.database_url)
                )
            except DBAPIError:
                return None  # no session while the store is away
            if not needed:
                return None
            app.secret_key = secret_key(config)
        return super().get_signing_serializer(app)


def install(server: Flask) -> None:
    """Add ``/login``, ``/logout`` and the guard in front of every other request."""
    server.session_interface = LazyKeySessions()
    if load_config().secret_key:
        server.secret_key = load_config().secret_key
    server.config.update(
        SESSION_COOKIE_NAME="teamcar_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=load_config().secure_cookie,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
    )
    server.add_url_rule(LOGIN_PATH, "teamcar_login", login_view, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "teamcar_logout", logout_view, methods=["GET", "POST"])
    server.before_request(guard)


def _api(path: str) -> bool:
    return path.startswith(("/_", "/api/"))


def _deny(code: int, message: str) -> Response:
    if _api(request.path) or request.method not in ("GET", "HEAD"):
        response = jsonify({"status": "failed", "message": message})
    else:
        response = Response(_render("refused.html", message=message), mimetype="text/html")
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def guard():
    """Let a request through, or answer it: 401 or a redirect to sign in, or 403."""
    access = current_access()
    if access.outage:
        return None  # scope [] meanwhile; the page says the store is away
    if access.refused:
        return _deny(403, access.refused)
    path = request.path
    if access.open or access.viewer is not None:
        return _land(access.viewer, path)
    if path in PUBLIC_PATHS:
        return None
    if _api(path) or request.method not in ("GET", "HEAD"):
        return _deny(401, "Sign in to Team Car first.")
    target = request.full_path if request.query_string else path
    return redirect(f"{LOGIN_PATH}?{urlencode({'next': target})}")


def _land(viewer: Viewer | None, path: str):
    """A manager of one team lands on that team: a page address without a team gets it."""
    if (
        viewer is None
        or request.method != "GET"
        or _api(path)
        or path in PUBLIC_PATHS
        or path.startswith("/assets/")
        or "team" in request.args
    ):
        return None
    scope = viewer.scope
    if scope is None or len(scope) != 1:
        return None
    from dashboard import urls

    return redirect(
        path + urls.merge(request.query_string.decode("utf-8", "replace"), team=scope[0])
    )


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) is followed after signing in."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if (
        not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or parts.scheme
        or parts.netloc
        or value.startswith((LOGIN_PATH, LOGOUT_PATH))
    ):
        return "/"
    return value


def csrf_token() -> str:
    """The session's form token (made on first use): forms that change the session carry it.

    The sign-in form and the top bar's sign-out form hold it in a hidden ``csrf`` field, and
    their POSTs are refused without it, so another site cannot sign a browser in or out.
    """
    token = session.get(SESSION_CSRF)
    if not token:
        token = session[SESSION_CSRF] = secrets.token_urlsafe(24)
    return token


def _token_ok() -> bool:
    token = session.get(SESSION_CSRF, "")
    return bool(token) and hmac.compare_digest(token, request.form.get("csrf", ""))


def login_view():
    """The sign-in page (GET) and the sign-in itself (POST)."""
    access = current_access()
    if access.open:
        return redirect("/")  # the local demo has no accounts to sign in to
    nxt = _safe_next(request.values.get("next"))
    if request.method != "POST":  # GET, and HEAD as GET (not a sign-in without a form)
        if access.viewer is not None:
            return redirect(nxt)
        return _login_page(nxt)
    name = request.form.get("name", "")
    config = load_config()
    throttle = throttle_for(config.signin_address_limit, config.cache_url, config.database_url)
    address = client_address(config)
    wait = throttle.retry_after(address)
    if wait:
        return _too_many(nxt, name, wait)
    if not _token_ok():
        return _login_page(
            nxt, name=name, status=400, error="The sign-in form had expired. Please try again."
        )
    engine = get_engine(config.database_url)
    viewer = verify_login(engine, name, request.form.get("password", ""))
    if viewer is None:
        throttle.failed(address)
        time.sleep(FAIL_DELAY_SECONDS)
        return _login_page(nxt, name=name, status=401, error=SIGN_IN_FAILED)
    found = find_user(engine, viewer.name)
    session.clear()
    session.permanent = True
    session[SESSION_USER] = viewer.name
    session[SESSION_PRINT] = fingerprint(found[1] if found else None)
    session[SESSION_CSRF] = secrets.token_urlsafe(24)  # a new token for the signed-in session
    return redirect(nxt)


def _too_many(nxt: str, name: str, wait: int) -> Response:
    minutes = max(1, round(wait / 60))
    response = _login_page(
        nxt,
        name=name,
        status=429,
        error="Too many failed sign-ins from your address. Try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}.",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def logout_view():
    """Sign out: a POST carrying the session's form token (GET shows a button that sends one).

    A sign-out without the token (a link or a form on another site) signs nobody out.
    """
    access = current_access()
    if access.open:
        return redirect("/")
    if access.viewer is None or access.viewer.via != "password":
        # Nothing of ours to end (the single sign-on proxy owns its own session).
        return redirect(LOGIN_PATH if access.viewer is None else "/")
    if request.method == "POST" and _token_ok():
        session.clear()
        return redirect(LOGIN_PATH)
    error = SIGN_OUT_EXPIRED if request.method == "POST" else None
    response = Response(
        _render("logout.html", csrf=csrf_token(), name=access.viewer.name, error=error),
        mimetype="text/html",
        status=400 if error else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_page(nxt: str, name: str = "", error: str | None = None, status: int = 200):
    response = Response(
        _render("login.html", next=nxt, name=name[:255], error=error, csrf=csrf_token()),
        mimetype="text/html",
        status=status,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


_HEAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Team Car</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css">
<link rel="stylesheet" href="/assets/signin.css">
</head>
<body class="signin-body">
<header class="signin-bar">
  <span class="signin-brand">Team Car</span>
  <span class="signin-tag">the quarter as a course</span>
</header>
<main class="signin-main">
"""
_FOOT = """</main>
</body>
</html>
"""
TEMPLATES = {
    "login.html": _HEAD
    + """
<form class="signin-card" method="post" action="/login" autocomplete="on">
  <h1 class="signin-title">Sign in</h1>
  <p class="signin-lead">Your teams' course for the quarter, where you left it.</p>
  {% if error %}<div class="alert alert-danger signin-error" role="alert">{{ error }}</div>{% endif %}
  <input type="hidden" name="next" value="{{ next }}">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <div class="mb-3">
    <label class="form-label" for="signin-name">Name</label>
    <input class="form-control" id="signin-name" name="name" value="{{ name }}"
           autocomplete="username" autocapitalize="none" spellcheck="false" required
           {% if not name %}autofocus{% endif %}>
  </div>
  <div class="mb-4">
    <label class="form-label" for="signin-password">Password</label>
    <input class="form-control" id="signin-password" name="password" type="password"
           autocomplete="current-password" required {% if name %}autofocus{% endif %}>
  </div>
  <button class="btn btn-dark w-100 signin-button" type="submit">Sign in</button>
  <p class="signin-foot">No account yet? An administrator adds one with
    <code>teamcar users add</code>.</p>
</form>
"""
    + _FOOT,
    "logout.html": _HEAD
    + """
<form class="signin-card" method="post" action="/logout">
  <h1 class="signin-title">Sign out</h1>
  {% if error %}<div class="alert alert-warning signin-error" role="alert">{{ error }}</div>{% endif %}
  <p class="signin-lead">Signed in as {{ name }}.</p>
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <button class="btn btn-dark w-100 signin-button" type="submit">Sign out</button>
  <p class="signin-foot"><a href="/">Back to Team Car</a></p>
</form>
"""
    + _FOOT,
    "refused.html": _HEAD
    + """
<div class="signin-card">
  <h1 class="signin-title">Not signed in</h1>
  <div class="alert alert-warning signin-error" role="alert">{{ message }}</div>
  <p class="signin-foot"><a href="/login">Sign in with a Team Car account</a></p>
</div>
"""
    + _FOOT,
}
_ENV = Environment(autoescape=True)


def _render(template: str, **values) -> str:
    title = {"login.html": "Sign in", "logout.html": "Sign out", "refused.html": "Not signed in"}[
        template
    ]
    return _ENV.from_string(TEMPLATES[template]).render(title=title, **values)
