"""Sign-in under attack, through Flask's test client, on SQLite and PostgreSQL stores.

Failed sign-ins throttled per client address (429 with Retry-After, whichever names are tried),
behind a trusted proxy by the address it forwards; signing out only by a POST carrying the
session's form token; a changed password ending the sessions signed in with the old one, and
``teamcar users passwd`` as an administrator runs it.
"""

from __future__ import annotations

import json
import re

import pytest

from dashboard import auth
from dashboard.auth import throttle
from dashboard.reads import cache
from loaders.store.engine import get_engine
from tests.support.client import PASSWORD, sign_in
from tests.support.stores import seeded_store

NEW_PASSWORD = "a brand new password"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app for the module, built on a store of its own (building it may read one)."""
    from dashboard.app import create_app
    from loaders.store.engine import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'app.db'}"
    upgrade(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEAMCAR_DATABASE_URL", url)
        return create_app()


def _two_users(engine) -> None:
    auth.add_user(engine, "Mia Manager", "manager", ["East"], PASSWORD)
    auth.add_user(engine, "Lee Leader", "leader", password=PASSWORD)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, data_dir, monkeypatch):
    """Each test's own copy of a store with two users (made once per process: their scrypt
    hashes cost 0.07 s each)."""
    for name in (
        "TEAMCAR_AUTH_HEADER",
        "TEAMCAR_TRUSTED_PROXIES",
        "TEAMCAR_SECRET_KEY",
        "TEAMCAR_CACHE_URL",
        "TEAMCAR_SIGNIN_ADDRESS_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(auth.web, "FAIL_DELAY_SECONDS", 0)
    url, drop, _ = seeded_store(request.param, tmp_path, "two-users", _two_users)
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    cache.clear_local()
    throttle.forget()
    try:
        yield get_engine(url)
    finally:
        drop()


def _from(address: str, forwarded: str | None = None) -> dict:
    """Test-client arguments for a request from ``address`` (forwarding ``forwarded``)."""
    kwargs: dict = {"environ_base": {"REMOTE_ADDR": address}}
    if forwarded is not None:
        kwargs["headers"] = {"X-Forwarded-For": forwarded}
    return kwargs


def _try(client, name: str, password: str, **kwargs):
    page = client.get("/login", **kwargs)
    token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        "/login", data={"name": name, "password": password, "csrf": token, "next": "/"}, **kwargs
    )


# --- throttling per client address -----------------------------------------------------------


def test_many_failures_from_one_address_get_429_whichever_names(app, store, monkeypatch):
    monkeypatch.setenv("TEAMCAR_SIGNIN_ADDRESS_LIMIT", "4")
    attacker = app.server.test_client()
    names = ["Mia Manager", "Lee Leader", "Nobody", "Someone Else"]  # never 5 on one account
    for name in names:
        assert _try(attacker, name, "guess", **_from("203.0.113.7")).status_code == 401
    refused = _try(attacker, "Lee Leader", PASSWORD, **_from("203.0.113.7"))
    assert refused.status_code == 429  # even the right password, from there, for now
    wait = int(refused.headers["Retry-After"])
    assert 290 <= wait <= throttle.WINDOW_SECONDS
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert attacker.get("/_dash-layout").status_code == 401
    # Another address is not held up, and the accounts themselves are not paused.
    other = app.server.test_client()
    assert _try(other, "Lee Leader", PASSWORD, **_from("198.51.100.20")).status_code == 302
    assert other.get("/_dash-layout").status_code == 200


def test_the_window_ends():
    now = [1000.0]
    limiter = throttle.AddressThrottle(2, window=300, counts=throttle.MemoryCounts(lambda: now[0]))
    limiter.failed("10.0.0.1")
    now[0] += 100
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 200  # counted from the first failure
    assert limiter.retry_after("10.0.0.2") == 0
    now[0] += 200
    assert limiter.retry_after("10.0.0.1") == 0
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 0  # a new window, one failure so far
    assert throttle.AddressThrottle(0).retry_after("10.0.0.1") == 0  # 0 turns it off


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted(app, store, monkeypatch):
    monkeypatch.setenv("TEAMCAR_SIGNIN_ADDRESS_LIMIT", "3")
    monkeypatch.setenv("TEAMCAR_TRUSTED_PROXIES", "10.0.0.0/24")
    client = app.server.test_client()
    proxy = "10.0.0.5"
    # The client wrote its own X-Forwarded-For; the proxy appended the address it heard from.
    for fake in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        resp = _try(client, "Nobody", "guess", **_from(proxy, f"{fake}, 203.0.113.7"))
        assert resp.status_code == 401
    held = _try(client, "Nobody", "guess", **_from(proxy, "4.4.4.4, 203.0.113.7"))
    assert held.status_code == 429
    # Two proxies in a row (both trusted): the client is the first address left of them.
    assert (
        _try(client, "Nobody", "guess", **_from(proxy, "203.0.113.7, 10.0.0.9")).status_code == 429
    )
    # Other people behind the same proxy sign in as usual.
    assert _try(client, "Mia Manager", PASSWORD, **_from(proxy, "203.0.113.8")).status_code == 302


def test_an_untrusted_peer_cannot_dodge_by_forging_the_header(app, store, monkeypatch):
    monkeypatch.setenv("TEAMCAR_SIGNIN_ADDRESS_LIMIT", "2")
    client = app.server.test_client()
    for fake in ("1.1.1.1", "2.2.2.2"):
        assert _try(client, "Nobody", "x", **_from("203.0.113.9", fake)).status_code == 401
    assert _try(client, "Nobody", "x", **_from("203.0.113.9", "5.5.5.5")).status_code == 429


def test_client_address(app, monkeypatch):
    monkeypatch.setenv("TEAMCAR_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    cases = [
        ("203.0.113.1", "9.9.9.9", "203.0.113.1"),  # not a proxy: the header is ignored
        ("127.0.0.1", None, "127.0.0.1"),  # a local visitor
        ("127.0.0.1", "198.51.100.4", "198.51.100.4"),
        ("10.1.1.1", "6.6.6.6, 198.51.100.4, 10.2.2.2", "198.51.100.4"),
        ("10.1.1.1", "10.3.3.3, 10.2.2.2", "10.3.3.3"),  # all proxies: the farthest
        ("::ffff:127.0.0.1", "198.51.100.4", "198.51.100.4"),
    ]
    for peer, forwarded, expected in cases:
        with app.server.test_request_context("/login", **_from(peer, forwarded)):
            assert auth.client_address() == expected, (peer, forwarded)


def test_the_count_is_shared_through_redis(redis_url):
    throttle.forget()
    url = "sqlite:///throttle-test.db"
    one = throttle.throttle_for(2, redis_url, url)
    throttle.forget()  # another worker: a throttle of its own, the same Redis
    two = throttle.throttle_for(2, redis_url, url)
    assert one is not two
    one.failed("192.0.2.1")
    two.failed("192.0.2.1")
    assert 290 <= one.retry_after("192.0.2.1") <= 300
    assert two.retry_after("192.0.2.1") > 0
    other_store = throttle.throttle_for(2, redis_url, url + "-other")
    assert other_store.retry_after("192.0.2.1") == 0


def test_an_unreachable_redis_falls_back_to_counting_here():
    throttle.forget()
    limiter = throttle.throttle_for(1, "redis://127.0.0.1:1/0", "sqlite:///nowhere.db")
    limiter.failed("192.0.2.2")
    assert limiter.retry_after("192.0.2.2") > 0


def test_a_head_request_for_the_sign_in_page_is_not_a_sign_in(app, store):
    """HEAD is a GET without the body (a monitor, curl -I): it must not read as a failed form."""
    client = app.server.test_client()
    resp = client.head("/login")
    assert resp.status_code == 200


# --- signing out --------------------------------------------------------------------------------


def _shell_token(client) -> str:
    layout = client.get("/_dash-layout").get_data(as_text=True)
    tokens = {
        c["props"]["value"]
        for c in _components(json.loads(layout))
        if c.get("props", {}).get("name") == "csrf"
    }
    assert len(tokens) == 1, tokens
    return tokens.pop()


def _components(node):
    if isinstance(node, dict):
        if "props" in node:
            yield node
        for value in node.values():
            yield from _components(value)
    elif isinstance(node, list):
        for value in node:
            yield from _components(value)


def test_signing_out_needs_the_form_token(app, store):
    client = app.server.test_client()
    assert sign_in(client, "Mia Manager").status_code == 302
    # Another site's form or link: no token, nobody signed out.
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 400
    asked = client.get("/logout")
    assert asked.status_code == 200 and 'name="csrf"' in asked.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 200
    # The top bar's Sign out form carries the token.
    resp = client.post("/logout", data={"csrf": _shell_token(client)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401


def test_the_token_changes_when_signing_in(app, store):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    before = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    sign_in(client, "Mia Manager")
    assert _shell_token(client) != before


# --- changing a password ------------------------------------------------------------------------


def test_a_new_password_ends_the_old_sessions(app, store):
    client = app.server.test_client()
    assert sign_in(client, "Mia Manager").status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    auth.set_password(store, "Mia Manager", NEW_PASSWORD)
    assert client.get("/_dash-layout").status_code == 401
    assert sign_in(client, "Mia Manager").status_code == 401  # the old one is gone
    assert sign_in(client, "Mia Manager", NEW_PASSWORD).status_code == 302
    assert client.get("/_dash-layout").status_code == 200


def test_a_new_password_lifts_a_pause(store):
    for _ in range(auth.MAX_FAILURES):
        assert auth.verify_login(store, "Lee Leader", "guess") is None
    assert auth.verify_login(store, "Lee Leader", PASSWORD) is None  # paused
    auth.set_password(store, "Lee Leader", NEW_PASSWORD)
    assert auth.verify_login(store, "Lee Leader", NEW_PASSWORD) is not None


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [("Nobody", NEW_PASSWORD, "no user called"), ("Mia Manager", "short", "shorter than 8")],
)
def test_set_password_refuses(store, name, password, message):
    with pytest.raises(auth.AuthError, match=message):
        auth.set_password(store, name, password)


def test_users_passwd_from_the_command_line(data_dir, monkeypatch):
    """On the default SQLite store, in-process (the entry point's handling of a UserError, one
    line and exit 2, is test_auth_cli's)."""
    from typer.testing import CliRunner

    from dashboard.cli.main import UserError, _users_engine
    from dashboard.cli.main import app as cli

    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    engine = _users_engine()
    auth.add_user(engine, "Mia Manager", "manager", ["East"], PASSWORD)
    runner = CliRunner()
    done = runner.invoke(
        cli, ["users", "passwd", "Mia Manager", "--password-stdin"], input=NEW_PASSWORD + "\n"
    )
    assert done.exit_code == 0, done.output
    assert "Changed the password of Mia Manager" in done.output
    assert auth.verify_login(engine, "Mia Manager", NEW_PASSWORD) is not None
    assert auth.verify_login(engine, "Mia Manager", PASSWORD) is None
    for args, stdin, message in (
        (["Nobody", "--password-stdin"], NEW_PASSWORD + "\n", "no user called 'Nobody'"),
        (["Mia Manager", "--password-stdin"], "short\n", "shorter than 8"),
        (["Mia Manager"], "", "pipe it with --password-stdin"),
    ):
        failed = runner.invoke(cli, ["users", "passwd", *args], input=stdin)
        assert isinstance(failed.exception, UserError), failed.output
        assert message in str(failed.exception)
