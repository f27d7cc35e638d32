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
row pause the account for five minutes (the message stays the same). Failures are also counted
per client address (``throttle``; behind a trusted proxy, the address in its X-Forwarded-For):
``TEAMCAR_SIGNIN_ADDRESS_LIMIT`` of them within five minutes and that address is answered 429
with Retry-After until the five minutes are up, whichever names it tries. Signing out is a POST
carrying the session's form token (``csrf_token``), as signing in is; ``set_password``
(``teamcar users passwd``) ends every session signed in with the old password.

The package follows those steps: ``passwords`` (hashing, checking, names), ``users`` (users in the
store, sign-in checks and the pause), ``throttle`` (failures per client address), ``access``
(trusted proxies, the client's address and the decision for the current request: viewer and
scope) and ``web`` (Flask wiring: secret key, sessions, the guard, the sign-in
and sign-out views and page). Callers use the names below (``from dashboard import auth``;
``auth.viewer_scope()``); a test that replaces one patches the module that defines it
(``auth.users.users_configured``, ``auth.web.FAIL_DELAY_SECONDS``).
"""

from __future__ import annotations

from dashboard.auth.access import (
    Access,
    client_address,
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
    set_password,
    users_configured,
    verify_login,
)
from dashboard.auth.web import (
    LOGIN_PATH,
    LOGOUT_PATH,
    PUBLIC_PATHS,
    csrf_token,
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
    "client_address",
    "csrf_token",
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
    "set_password",
    "team_allowed",
    "trusted",
    "users_configured",
    "verify_login",
    "viewer_scope",
]
