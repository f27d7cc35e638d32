"""Sign-in and scope: who is asking, and which teams they may see (DESIGN.md §7, §9).

Three ways in, decided per request (no viewer is remembered in a worker's memory):

- **Local demo**: no user in the store and no single sign-on header configured. Nobody signs in;
  the viewer sees every team and manages the data, exactly as before accounts existed.
- **Local accounts**: users added with ``teamcar users add`` sign in at ``/login`` with a name and
  a password (hashed with werkzeug's scrypt). The session is a signed Flask cookie (HttpOnly,
  SameSite=Lax; Secure with ``TEAMCAR_SECURE_COOKIE``) that holds the user's name and a
  fingerprint of their password hash, so removing a user or changing their password ends their
  sessions at once.
- **Single sign-on proxy**: with ``TEAMCAR_AUTH_HEADER`` set, a request carrying that header is
  signed in as the user it names, but only when it comes straight from an address in
  ``TEAMCAR_TRUSTED_PROXIES`` and the user exists in the store (their role and teams apply).
  Anything else carrying the header is refused (403) with a message saying why.

Roles: a ``manager`` sees the teams granted to them by name, a ``leader`` sees every team, an
``admin`` sees every team and also loads data and manages users. ``viewer_scope`` turns that into
the scope every query takes (None = all teams); pages check a team asked for by the browser with
``team_allowed`` before reading anything.

Failed sign-ins all get the same message whatever was wrong, take a moment longer, and five in a
row pause the account for five minutes (the message stays the same).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, g, has_request_context, jsonify, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from jinja2 import Environment
from sqlalchemy import Engine, delete, exists, inspect, select
from sqlalchemy.exc import DBAPIError

from loaders import clock
from loaders.config import Config, Network, load_config
from loaders.store.engine import get_engine, session_scope
from loaders.store.models import User, UserTeam

ROLES = ("manager", "leader", "admin")
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
SECRET_FILE = "secret_key"
SESSION_USER = "user"
SESSION_PRINT = "print"
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
MAX_FAILURES = 5
PAUSE = dt.timedelta(minutes=5)
FAIL_DELAY_SECONDS = 0.5
MIN_PASSWORD = 8
SIGN_IN_FAILED = (
    "That name and password do not match an account. After several tries, wait a "
    "few minutes before the next."
)
_SECRETS: dict[Path, str] = {}
log = logging.getLogger(__name__)


class AuthError(ValueError):
    """A user cannot be added or removed as asked; the message says why."""


@dataclass(frozen=True)
class Viewer:
    """A signed-in person: their name, role and (for a manager) the teams granted to them."""

    name: str
    role: str
    teams: tuple[str, ...] = ()
    via: str = "password"  # "password" or "sso"

    @property
    def scope(self) -> list[str] | None:
        """The teams this viewer may see; None for all (leaders and admins)."""
        return None if self.role in ("leader", "admin") else list(self.teams)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# --- passwords and names ----------------------------------------------------------------------


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (werkzeug's format, algorithm and salt included)."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a user without a password).

    A missing hash is still checked against a throwaway one, so an unknown name takes as long
    as a wrong password and timing tells nothing about which names exist.
    """
    from werkzeug.security import check_password_hash

    if not password_hash:
        check_password_hash(_dummy_hash(), password or "")
        return False
    return check_password_hash(password_hash, password or "")


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(16)))
    return _DUMMY[0]


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "sso").encode()).hexdigest()[:16]


def clean_name(value: str, what: str = "name") -> str:
    """A user or team name with its spaces tidied; refuses empty, over-long or control text."""
    name = " ".join(str(value or "").split())
    if not name:
        raise AuthError(f"the {what} is empty")
    if len(name) > 255:
        raise AuthError(f"the {what} is longer than 255 characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise AuthError(f"the {what} holds control characters")
    return name


# --- users in the store -----------------------------------------------------------------------


def users_configured(engine: Engine) -> bool:
    """Whether any user exists (a store older than the users table has none).

    Any other database failure propagates: sign-in must fail closed, never open.
    """
    try:
        with engine.connect() as conn:
            return bool(conn.execute(select(exists().where(User.id.isnot(None)))).scalar())
    except DBAPIError:
        if not inspect(engine).has_table(User.__tablename__):
            return False
        raise


def _viewer(user: User, via: str = "password") -> Viewer:
    return Viewer(user.name, user.role, tuple(t.team for t in user.teams), via)


def find_user(engine: Engine, name: str) -> tuple[Viewer, str | None] | None:
    """The user called ``name`` and their password hash, or None."""
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.name == name))
        return None if user is None else (_viewer(user), user.password_hash)


def add_user(
    engine: Engine, name: str, role: str, teams: Iterable[str] = (), password: str | None = None
) -> Viewer:
    """Add a user.

    Args:
        name: the name they sign in with (and that a single sign-on proxy sends).
        role: ``manager``, ``leader`` or ``admin``.
        teams: for a manager, the team names they may see (at least one); none for the others.
        password: their password (at least 8 characters), or None for a user who signs in only
            through a single sign-on proxy.

    Raises:
        AuthError: on a bad role, name, team list or password, or a name already taken.
    """
    name = clean_name(name)
    if role not in ROLES:
        raise AuthError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    teams = sorted({clean_name(t, "team name") for t in teams})
    if role == "manager" and not teams:
        raise AuthError("a manager needs at least one --team (the teams they may see)")
    if role != "manager" and teams:
        raise AuthError(f"a {role} sees every team; --team is for managers only")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AuthError(f"the password is shorter than {MIN_PASSWORD} characters")
    with session_scope(engine) as s:
        if s.scalar(select(User.id).where(User.name == name)) is not None:
            raise AuthError(f"a user called {name!r} already exists (remove it first to change it)")
        user = User(
            name=name,
            role=role,
            created_at=clock.now(),
            failed_logins=0,
            password_hash=hash_password(password) if password is not None else None,
            teams=[UserTeam(team=t) for t in teams],
        )
        s.add(user)
        s.flush()
        return _viewer(user)


def remove_user(engine: Engine, name: str) -> None:
    """Remove the user called ``name``; their sessions end with their next request.

    Raises:
        AuthError: when there is no such user.
    """
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.name == " ".join(str(name).split())))
        if user is None:
            raise AuthError(f"no user called {name!r}")
        s.execute(delete(UserTeam).where(UserTeam.user_id == user.id))
        s.delete(user)


def list_users(engine: Engine) -> list[dict]:
    """Every user: ``name, role, teams, password`` (whether they have one), by name."""
    with session_scope(engine) as s:
        users = s.scalars(select(User).order_by(User.name)).all()
        return [
            {
                "name": u.name,
                "role": u.role,
                "teams": [t.team for t in u.teams],
                "password": u.password_hash is not None,
            }
            for u in users
        ]


def verify_login(
    engine: Engine, name: str, password: str, now: dt.datetime | None = None
) -> Viewer | None:
    """The user if ``name`` and ``password`` match and the account is not paused, else None.

    A failure is counted on the account; ``MAX_FAILURES`` in a row pause it for ``PAUSE``
    (even the right password is refused meanwhile). A success clears the count.
    """
    now = now or clock.now()
    name = " ".join(str(name or "").split())[:255]
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.name == name)) if name else None
        if user is None:
            check_password(None, password)
            return None
        paused = (
            user.failed_logins >= MAX_FAILURES
            and user.last_failed_at is not None
            and now - user.last_failed_at < PAUSE
        )
        ok = check_password(user.password_hash, password)
        if ok and not paused:
            user.failed_logins = 0
            user.last_failed_at = None
            return _viewer(user)
        if not paused:
            recent = user.last_failed_at is not None and now - user.last_failed_at < PAUSE
            user.failed_logins = (user.failed_logins if recent else 0) + 1
            user.last_failed_at = now
        return None


# --- trusted proxies --------------------------------------------------------------------------


def trusted(address: str | None, networks: Sequence[Network]) -> bool:
    """Whether ``address`` (the connecting peer) lies in one of ``networks``."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


# --- the current request ----------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """What the guard decided for this request."""

    open: bool = False  # the local demo: no accounts, everything allowed
    viewer: Viewer | None = None  # the signed-in viewer
    refused: str | None = None  # why a single sign-on header was not accepted (403)
    outage: bool = False  # the store could not be asked: sees nothing meanwhile


def current_access() -> Access:
    """The decision for the current request (made once per request, kept in ``flask.g``)."""
    if not has_request_context():
        return Access(open=True)  # the CLI and tests calling page functions directly
    access = g.get("teamcar_access")
    if access is None:
        try:
            access = _decide(load_config())
        except DBAPIError:
            # Who is asking cannot be known while the store is away: nothing is allowed (scope
            # [], no data desk), but the request goes on, so the shell shows its outage alert
            # and recovers by itself (``dashboard.serve.outage``) instead of failing at the door.
            log.warning("sign-in check: the store is unreachable; this request sees nothing")
            access = Access(outage=True)
        g.teamcar_access = access
    return access


def current_viewer() -> Viewer | None:
    """The signed-in viewer, or None (the local demo, or nobody signed in yet)."""
    return current_access().viewer


def viewer_scope() -> list[str] | None:
    """The teams the current viewer may see: None for all; [] when nobody is signed in."""
    access = current_access()
    if access.open:
        return None
    if access.viewer is None:
        return []
    return access.viewer.scope


def may_manage_data() -> bool:
    """Whether the current viewer may load data and see imports (admins and the local demo)."""
    access = current_access()
    return access.open or (access.viewer is not None and access.viewer.is_admin)


def team_allowed(team: str | None, scope: Sequence[str] | None) -> bool:
    """Whether a team named by the browser (None: all the viewer's teams) is within ``scope``."""
    return team is None or scope is None or team in scope


def not_allowed_text(team: str) -> str:
    """The same words for a team that exists elsewhere and one that does not exist at all."""
    return f"“{team}” is not among the teams you may see. Pick one of yours in the team picker."


def _decide(config: Config) -> Access:
    engine = get_engine(config.database_url)
    header = config.auth_header
    if header and request.headers.get(header) is not None:
        if not trusted(request.remote_addr, config.trusted_proxies):
            return Access(
                refused=f"The sign-on header {header} is only accepted from a trusted "
                "proxy (TEAMCAR_TRUSTED_PROXIES), and this request did not "
                "come from one."
            )
        name = " ".join(request.headers.get(header, "").split())
        found = find_user(engine, name) if name else None
        if found is None:
            return Access(
                refused=f"“{name}” is signed on but is not a Team Car user. Ask an "
                "administrator to add them with teamcar users add."
            )
        viewer = found[0]
        return Access(viewer=Viewer(viewer.name, viewer.role, viewer.teams, "sso"))
    if not header and not _users_configured_once(engine):
        return Access(open=True)
    name = session.get(SESSION_USER)
    if name:
        found = find_user(engine, name)
        if found is not None and hmac.compare_digest(
            session.get(SESSION_PRINT, ""), _fingerprint(found[1])
        ):
            return Access(viewer=found[0])
        session.pop(SESSION_USER, None)
        session.pop(SESSION_PRINT, None)
    return Access()


# --- Flask wiring -----------------------------------------------------------------------------


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


def _users_configured_once(engine: Engine) -> bool:
    """``users_configured``, asked once per request."""
    if "teamcar_users" not in g:
        g.teamcar_users = users_configured(engine)
    return g.teamcar_users


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
                needed = bool(config.auth_header) or _users_configured_once(
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


def login_view():
    """The sign-in page (GET) and the sign-in itself (POST)."""
    access = current_access()
    if access.open:
        return redirect("/")  # the local demo has no accounts to sign in to
    nxt = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if access.viewer is not None:
            return redirect(nxt)
        return _login_page(nxt)
    token = session.get(SESSION_CSRF, "")
    sent = request.form.get("csrf", "")
    name = request.form.get("name", "")
    if not token or not hmac.compare_digest(token, sent):
        return _login_page(
            nxt, name=name, status=400, error="The sign-in form had expired. Please try again."
        )
    engine = get_engine(load_config().database_url)
    viewer = verify_login(engine, name, request.form.get("password", ""))
    if viewer is None:
        time.sleep(FAIL_DELAY_SECONDS)
        return _login_page(nxt, name=name, status=401, error=SIGN_IN_FAILED)
    found = find_user(engine, viewer.name)
    session.clear()
    session.permanent = True
    session[SESSION_USER] = viewer.name
    session[SESSION_PRINT] = _fingerprint(found[1] if found else None)
    return redirect(nxt)


def logout_view():
    """Forget the session and go back to the sign-in page."""
    if current_access().open:
        return redirect("/")
    session.clear()
    return redirect(LOGIN_PATH)


def _login_page(nxt: str, name: str = "", error: str | None = None, status: int = 200):
    token = session.get(SESSION_CSRF) or secrets.token_urlsafe(24)
    session[SESSION_CSRF] = token
    response = Response(
        _render("login.html", next=nxt, name=name[:255], error=error, csrf=token),
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
    title = {"login.html": "Sign in", "refused.html": "Not signed in"}[template]
    return _ENV.from_string(TEMPLATES[template]).render(title=title, **values)


__all__ = [
    "LOGIN_PATH",
    "LOGOUT_PATH",
    "ROLES",
    "Access",
    "AuthError",
    "Viewer",
    "add_user",
    "check_password",
    "clean_name",
    "current_access",
    "current_viewer",
    "find_user",
    "guard",
    "hash_password",
    "install",
    "list_users",
    "may_manage_data",
    "not_allowed_text",
    "remove_user",
    "secret_key",
    "team_allowed",
    "trusted",
    "users_configured",
    "verify_login",
    "viewer_scope",
]
