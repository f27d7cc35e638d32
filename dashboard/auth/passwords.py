"""Passwords and names: hashing and checking passwords, tidying the names users and teams go by."""

from __future__ import annotations

import hashlib
import secrets

MIN_PASSWORD = 8


class AuthError(ValueError):
    """A user cannot be added or removed as asked; the message says why."""


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


def fingerprint(password_hash: str | None) -> str:
    """A short digest of a password hash, kept in the session to notice a changed password."""
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
