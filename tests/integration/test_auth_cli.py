"""``teamcar users add/remove/list`` as an administrator runs them, on SQLite and PostgreSQL.

Each run goes through the console entry point (``tests/support/cli.py``): mistakes end in one
clear line and exit code 2, never a traceback (checked on the default SQLite store only: they
are refused before the store matters).
"""

from __future__ import annotations

import pytest

from dashboard import auth
from loaders.store.engine import get_engine
from tests.support.cli import teamcar

PASSWORD = "correct horse battery"


def users(*args: str, stdin: str | None = None, check: bool = True):
    return teamcar("users", *args, input=stdin, check=check)


def test_add_list_and_remove_users(store_url):
    engine = get_engine(store_url)
    empty = users("list")
    assert "No users" in empty.stdout and "no sign-in" in empty.stdout
    added = users(
        "add",
        "Mia Manager",
        "--role",
        "manager",
        "--team",
        "East",
        "--team",
        "West",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert "Added Mia Manager (manager), who sees East, West." in added.stdout
    users("add", "Lee Leader", "--role", "leader", "--password-stdin", stdin=PASSWORD + "\n")
    users("add", "mia@example.com", "--role", "admin", "--no-password")
    listed = users("list").stdout
    assert "Mia Manager" in listed and "East, West" in listed
    assert "single sign-on only" in listed and "every team" in listed
    # The password is stored hashed and checks.
    assert auth.verify_login(engine, "Mia Manager", PASSWORD).teams == ("East", "West")
    assert auth.verify_login(engine, "mia@example.com", "") is None
    removed = users("remove", "Mia Manager")
    assert removed.returncode == 0 and "Removed Mia Manager." in removed.stdout
    assert [u["name"] for u in auth.list_users(engine)] == ["Lee Leader", "mia@example.com"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("add", "Ann", "--role", "manager", "--password-stdin"),
            PASSWORD,
            "a manager needs at least one --team",
        ),
        (
            ("add", "Ann", "--role", "leader", "--team", "East", "--password-stdin"),
            PASSWORD,
            "--team is for managers only",
        ),
        (("add", "Ann", "--role", "admin", "--password-stdin"), "short", "shorter than 8"),
        (
            ("add", "Ann", "--role", "admin", "--password-stdin"),
            "",
            "no password on standard input",
        ),
        (("add", "Ann", "--role", "admin"), "", "no terminal to ask for the password"),
        (("add", "   ", "--role", "admin", "--no-password"), None, "the name is empty"),
        (
            ("add", "Ann", "--role", "admin", "--no-password", "--password-stdin"),
            PASSWORD,
            "cannot be used together",
        ),
        (("remove", "Nobody"), None, "no user called 'Nobody'"),
    ],
)
def test_mistakes_end_in_one_clear_line(data_dir, args, stdin, message):
    proc = users(*args, stdin=stdin, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr + proc.stdout


def test_a_name_is_added_once(store_url):
    users("add", "Ann", "--role", "admin", "--no-password")
    again = users("add", "Ann", "--role", "leader", "--no-password", check=False)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr


def test_an_unknown_role_is_refused_by_name(data_dir):
    proc = users("add", "Ann", "--role", "boss", "--no-password", check=False)
    assert proc.returncode == 2 and "boss" in proc.stderr and "Traceback" not in proc.stderr
