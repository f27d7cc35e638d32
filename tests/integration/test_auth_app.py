"""Sign-in through Flask's test client, on SQLite and PostgreSQL stores.

The guard in front of every request (redirect for pages, 401 for Dash's endpoints and the API),
sign-in and sign-out, the generic failure message and the pause after repeated failures, the
single sign-on header from trusted and untrusted addresses, uploads for administrators only, and
the local demo untouched while no user exists.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from dashboard import auth
from dashboard.reads import cache
from dashboard.serve.upload import UPLOAD_PATH
from loaders import clock
from loaders.store.engine import get_engine
from tests.support.client import PASSWORD, sign_in


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    return create_app()


@pytest.fixture
def store(store_url, monkeypatch):
    monkeypatch.delenv("TEAMCAR_AUTH_HEADER", raising=False)
    monkeypatch.delenv("TEAMCAR_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("TEAMCAR_SECRET_KEY", raising=False)
    monkeypatch.delenv("TEAMCAR_CACHE_URL", raising=False)
    monkeypatch.setattr(auth.web, "FAIL_DELAY_SECONDS", 0)
    cache.clear_local()
    return get_engine(store_url)


def test_without_users_the_local_demo_needs_no_sign_in(app, store, data_dir, monkeypatch):
    monkeypatch.setattr(app.server, "secret_key", None)
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "Sign out" not in layout
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert not (data_dir / "secret_key").exists()  # no key is made until someone signs in


def test_once_a_user_exists_everything_waits_for_sign_in(app, store, data_dir, monkeypatch):
    monkeypatch.setattr(app.server, "secret_key", None)  # as in a newly started server
    auth.add_user(store, "Ada Admin", "admin", password=PASSWORD)
    client = app.server.test_client()
    resp = client.get("/review?quarter=2026-Q4")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=%2Freview%3Fquarter%3D2026-Q4"
    for path in ("/_dash-layout", "/_dash-dependencies"):
        resp = client.get(path)
        assert resp.status_code == 401 and resp.json["message"] == "Sign in to Team Car first."
    assert client.post("/_dash-update-component", json={}).status_code == 401
    assert client.post(UPLOAD_PATH).status_code == 401
    assert client.get("/assets/signin.css").status_code == 200
    assert client.get("/assets/bootstrap.min.css").status_code == 200
    assert client.get("/assets/teamcar.css").status_code == 302
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    assert (data_dir / "secret_key").stat().st_mode & 0o777 == 0o600


def test_sign_in_and_sign_out(app, store):
    auth.add_user(store, "Mia Manager", "manager", ["East"], PASSWORD)
    client = app.server.test_client()
    resp = sign_in(client, "Mia Manager", next="/review?team=East")
    assert resp.status_code == 302 and resp.headers["Location"] == "/review?team=East"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "teamcar_session=" in cookie
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    text = layout.get_data(as_text=True)
    assert "Mia Manager" in text and "Sign out" in text
    # A manager's top bar does not offer the Data desk.
    assert '"d-none"' in text
    token = re.search(r'"value":\s*"([^"]+)",\s*"type":\s*"hidden",\s*"name":\s*"csrf"', text)
    resp = client.post("/logout", data={"csrf": token.group(1)})  # the top bar's form
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401


def test_a_failed_sign_in_says_the_same_whatever_was_wrong(app, store):
    auth.add_user(store, "Mia Manager", "manager", ["East"], PASSWORD)
    client = app.server.test_client()
    wrong = sign_in(client, "Mia Manager", "not the password")
    nobody = sign_in(client, "Nobody Here", PASSWORD)
    assert wrong.status_code == nobody.status_code == 401

    def alert(resp):
        return re.search(r'role="alert">([^<]*)<', resp.get_data(as_text=True)).group(1)

    assert alert(wrong) == alert(nobody)
    assert "match" in alert(wrong)
    assert client.get("/_dash-layout").status_code == 401
    # The name typed stays in the form (escaped), the password never comes back.
    assert "not the password" not in wrong.get_data(as_text=True)


def test_the_sign_in_form_needs_its_token(app, store):
    auth.add_user(store, "Mia Manager", "manager", ["East"], PASSWORD)
    client = app.server.test_client()
    resp = client.post("/login", data={"name": "Mia Manager", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_repeated_failures_pause_the_account(app, store):
    auth.add_user(store, "Mia Manager", "manager", ["East"], PASSWORD)
    client = app.server.test_client()
    for _ in range(auth.MAX_FAILURES):
        assert sign_in(client, "Mia Manager", "guess").status_code == 401
    assert sign_in(client, "Mia Manager").status_code == 401  # even the right password, now
    # After the pause the right password works again and clears the count.
    later = clock.now() + auth.PAUSE + dt.timedelta(seconds=1)
    assert auth.verify_login(store, "Mia Manager", PASSWORD, now=later) is not None
    assert sign_in(client, "Mia Manager").status_code == 302


def test_removing_a_user_ends_their_session(app, store):
    auth.add_user(store, "Ada Admin", "admin", password=PASSWORD)
    auth.add_user(store, "Lee Leader", "leader", password=PASSWORD)
    client = app.server.test_client()
    assert sign_in(client, "Lee Leader").status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    auth.remove_user(store, "Lee Leader")
    assert client.get("/_dash-layout").status_code == 401


def test_a_manager_of_one_team_lands_on_it(app, store):
    auth.add_user(store, "Mia Manager", "manager", ["East"], PASSWORD)
    auth.add_user(store, "Max Manager", "manager", ["East", "West"], PASSWORD)
    client = app.server.test_client()
    sign_in(client, "Mia Manager")
    resp = client.get("/review?quarter=2026-Q4")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/review?quarter=2026-Q4&team=East"
    assert client.get("/review?quarter=2026-Q4&team=East").status_code == 200
    other = app.server.test_client()
    sign_in(other, "Max Manager")
    assert other.get("/review?quarter=2026-Q4").status_code == 200


@pytest.mark.parametrize(
    ("role", "teams", "allowed"),
    [("manager", ["East"], False), ("leader", [], False), ("admin", [], True)],
)
def test_only_an_admin_may_upload(app, store, role, teams, allowed):
    auth.add_user(store, "Someone", role, teams, PASSWORD)
    client = app.server.test_client()
    sign_in(client, "Someone")
    resp = client.post(
        UPLOAD_PATH,
        data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    if allowed:
        assert resp.status_code == 200  # read (and refused as an unknown layout)
        assert resp.json["status"] == "failed"
    else:
        assert resp.status_code == 403
        assert resp.json["message"] == "Only an administrator may load data."


# --- single sign-on proxy ---------------------------------------------------------------------


@pytest.fixture
def sso(store, monkeypatch):
    monkeypatch.setenv("TEAMCAR_AUTH_HEADER", "X-Forwarded-User")
    auth.add_user(store, "mia@example.com", "manager", ["East"], None)
    return store


def test_the_sign_on_header_from_a_trusted_proxy_signs_in(app, sso):
    client = app.server.test_client()
    resp = client.get(
        "/_dash-layout",
        headers={"X-Forwarded-User": "mia@example.com"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "mia@example.com" in text and "Sign out" not in text  # the proxy owns the session
    # Without the header the same client is not signed in.
    assert client.get("/_dash-layout").status_code == 401


def test_the_sign_on_header_from_anywhere_else_is_refused(app, sso):
    client = app.server.test_client()
    resp = client.get(
        "/_dash-layout",
        headers={"X-Forwarded-User": "mia@example.com"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert resp.status_code == 403 and "trusted proxy" in resp.json["message"]
    page = client.get(
        "/",
        headers={"X-Forwarded-User": "mia@example.com"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert page.status_code == 403 and "TEAMCAR_TRUSTED_PROXIES" in page.get_data(as_text=True)


def test_trusted_proxies_can_be_a_network(app, sso, monkeypatch):
    monkeypatch.setenv("TEAMCAR_TRUSTED_PROXIES", "10.9.0.0/16")
    client = app.server.test_client()
    ok = client.get(
        "/_dash-layout",
        headers={"X-Forwarded-User": "mia@example.com"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert ok.status_code == 200
    loopback = client.get(
        "/_dash-layout",
        headers={"X-Forwarded-User": "mia@example.com"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert loopback.status_code == 403


def test_the_sign_on_header_must_name_a_user(app, sso):
    client = app.server.test_client()
    resp = client.get("/_dash-layout", headers={"X-Forwarded-User": "<b>eve</b>"})
    assert resp.status_code == 403
    assert "is not a Team Car user" in resp.json["message"]
    page = client.get("/", headers={"X-Forwarded-User": "<b>eve</b>"})
    assert page.status_code == 403 and "<b>eve</b>" not in page.get_data(as_text=True)


def test_a_password_user_cannot_sign_in_without_one(app, sso):
    client = app.server.test_client()
    assert sign_in(client, "mia@example.com", "").status_code == 401
