"""Sign-in and scope: who is asking, and which teams they may see.

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

The package follows those steps: ``passwords`` (hashing, checking, names), ``users`` (users in the
store, sign-in checks and the pause), ``access`` (trusted proxies and the decision for the current
request: viewer and scope) and ``web`` (Flask wiring: secret key, sessions, the guard, the sign-in
and sign-out views and page). Callers use the names below (``from dashboard import auth``;
``auth.viewer_scope()``); a test that replaces one patches the module that defines it
(``auth.users.users_configured``, ``auth.web.FAIL_DELAY_SECONDS``).
"""

from __future__ import annotations

from dashboard.auth.access import (
    Access,
    current_access,
    current_viewer,
    may_manage_data,
    not_allowed_text,
    team_allowed,
    trusted,
    viewer_scope,
)
from dashboard.auth.passwords import (
    MIN_PASSWORD,
    AuthError,
    check_password,
    clean_name,
    hash_password,
)
from dashboard.auth.users import (
    MAX_FAILURES,
    PAUSE,
    ROLES,
    Viewer,
    add_user,
    find_user,
    list_users,
    remove_user,
    users_configured,
    verify_login,
)
from dashboard.auth.web import (
    LOGIN_PATH,
    LOGOUT_PATH,
    PUBLIC_PATHS,
    guard,
    install,
    login_view,
    logout_view,
    secret_key,
)

__all__ = [
    "LOGIN_PATH",
    "LOGOUT_PATH",
    "MAX_FAILURES",
    "MIN_PASSWORD",
    "PAUSE",
    "PUBLIC_PATHS",
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
    "login_view",
    "logout_view",
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
