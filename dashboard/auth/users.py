"""Users in the store: adding, removing and listing them, and checking a sign-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, exists, inspect, select
from sqlalchemy.exc import DBAPIError

from dashboard.auth.passwords import (
    MIN_PASSWORD,
    AuthError,
    check_password,
    clean_name,
    hash_password,
)
from loaders import clock
from loaders.store import audit
from loaders.store.engine import session_scope
from loaders.store.models import User, UserTeam

ROLES = ("manager", "leader", "admin")
MAX_FAILURES = 5
PAUSE = dt.timedelta(minutes=5)


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
        audit.record(s, audit.USER, "added", subject=name, detail=_described(role, teams, password))
        return _viewer(user)


def _described(role: str, teams: Iterable[str], password: str | None) -> str:
    """A new user in words, for the audit log (never the password)."""
    sees = ", ".join(teams) or "every team"
    return f"{role}, sees {sees}; " + ("password" if password is not None else "single sign-on")


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
        audit.record(s, audit.USER, "removed", subject=user.name, detail=f"was {user.role}")


def set_password(engine: Engine, name: str, password: str) -> Viewer:
    """Give the user called ``name`` a new password (a single sign-on user gets their first).

    Every session signed in with the old password ends with its next request: a session keeps a
    fingerprint of the password hash it signed in with (``passwords.fingerprint``), and a new
    hash (always newly salted, even for the same password) no longer matches it. A pause after
    failed sign-ins is lifted, since the new password is not what was being guessed.

    Raises:
        AuthError: when there is no such user or the password is too short.
    """
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"the password is shorter than {MIN_PASSWORD} characters")
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.name == " ".join(str(name).split())))
        if user is None:
            raise AuthError(f"no user called {name!r}")
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.last_failed_at = None
        s.flush()
        audit.record(s, audit.USER, "password", subject=user.name, detail="sessions ended")
        return _viewer(user)


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
