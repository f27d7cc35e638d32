"""Sign-in building blocks: password hashes, trusted proxy networks, names, roles, the login page.

No database, no browser.
"""

from __future__ import annotations

import ipaddress

import pytest

from dashboard import auth
from dashboard.auth import web
from loaders.config import ConfigError, load_config, parse_networks


def test_a_password_is_stored_salted_and_checked():
    first, second = auth.hash_password("correct horse"), auth.hash_password("correct horse")
    assert first != second  # a salt each time
    assert "correct horse" not in first and first.startswith("scrypt:")
    assert auth.check_password(first, "correct horse")
    assert auth.check_password(second, "correct horse")
    assert not auth.check_password(first, "correct horsE")
    assert not auth.check_password(first, "")


def test_a_user_without_a_password_never_matches():
    assert not auth.check_password(None, "")
    assert not auth.check_password(None, "anything at all")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("127.0.0.1", ["127.0.0.1/32"]),
        ("10.0.0.0/8, 192.168.1.7", ["10.0.0.0/8", "192.168.1.7/32"]),
        (" ::1 ,fd00::/8,", ["::1/128", "fd00::/8"]),
        ("", []),
    ],
)
def test_trusted_proxies_parse_addresses_and_networks(raw, expected):
    assert [str(n) for n in parse_networks(raw)] == expected


@pytest.mark.parametrize("raw", ["localhost", "10.0.0.1/8", "300.1.1.1", "10.0.0.0/33", "*"])
def test_bad_trusted_proxies_name_the_variable(raw):
    with pytest.raises(ConfigError, match="TEAMCAR_TRUSTED_PROXIES"):
        load_config({"TEAMCAR_TRUSTED_PROXIES": raw})


def test_sign_in_settings_default_to_off_and_loopback(tmp_path):
    cfg = load_config({"TEAMCAR_DATA_DIR": str(tmp_path)})
    assert cfg.auth_header is None and cfg.secret_key is None and cfg.secure_cookie is False
    assert cfg.trusted_proxies == (ipaddress.ip_network("127.0.0.1/32"),)
    assert "secret" not in repr(load_config({"TEAMCAR_SECRET_KEY": "secret"}))
    with pytest.raises(ConfigError, match="TEAMCAR_SECURE_COOKIE"):
        load_config({"TEAMCAR_SECURE_COOKIE": "maybe"})


NETS = parse_networks("127.0.0.1, 10.20.0.0/16, ::1")


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("127.0.0.1", True),
        ("10.20.255.3", True),
        ("10.21.0.1", False),
        ("::1", True),
        ("::ffff:10.20.0.9", True),  # an IPv4 peer seen through an IPv6 socket
        ("::2", False),
        ("192.168.0.1", False),
        ("", False),
        (None, False),
        ("not-an-ip", False),
    ],
)
def test_the_sign_on_header_is_trusted_only_from_configured_networks(address, ok):
    assert auth.trusted(address, NETS) is ok


@pytest.mark.parametrize(
    ("role", "teams", "scope"),
    [
        ("manager", ("East", "West"), ["East", "West"]),
        ("leader", (), None),
        ("admin", (), None),
    ],
)
def test_roles_become_scopes(role, teams, scope):
    assert auth.Viewer("Ann", role, teams).scope == scope


@pytest.mark.parametrize(
    ("team", "scope", "ok"),
    [
        (None, ["East"], True),
        ("East", ["East"], True),
        ("West", ["East"], False),
        ("West", None, True),
        ("East", [], False),
    ],
)
def test_a_team_from_the_browser_must_be_in_scope(team, scope, ok):
    assert auth.team_allowed(team, scope) is ok


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Mia   Manager ", "Mia Manager"),
        ("Zoë O'Brien", "Zoë O'Brien"),
    ],
)
def test_names_are_tidied(value, expected):
    assert auth.clean_name(value) == expected


@pytest.mark.parametrize(
    ("value", "message"), [("   ", "empty"), ("x" * 256, "longer than 255"), ("a\x00b", "control")]
)
def test_bad_names_are_refused(value, message):
    with pytest.raises(auth.AuthError, match=message):
        auth.clean_name(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/review?team=East", "/review?team=East"),
        ("/rider/Ann%20Lee", "/rider/Ann%20Lee"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/login?next=/x", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_paths_on_this_site_are_followed_after_sign_in(value, expected):
    assert web._safe_next(value) == expected


def test_the_login_page_escapes_what_it_echoes():
    page = web._render(
        "login.html",
        next='/"><script>x()</script>',
        name="<b>Ann</b>",
        error="<img src=x onerror=alert(1)>",
        csrf="t",
    )
    assert "<script>x()" not in page and "<b>Ann</b>" not in page and "<img src=x" not in page
    assert "&lt;b&gt;Ann&lt;/b&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_secret_key_is_made_once_and_private(tmp_path):
    cfg = load_config({"TEAMCAR_DATA_DIR": str(tmp_path)})
    key = auth.secret_key(cfg)
    path = tmp_path / "secret_key"
    assert len(key) == 64 and path.read_text().strip() == key
    assert path.stat().st_mode & 0o777 == 0o600
    web._SECRETS.clear()  # a new process reads the same key
    assert auth.secret_key(cfg) == key
    assert (
        auth.secret_key(
            load_config({"TEAMCAR_DATA_DIR": str(tmp_path), "TEAMCAR_SECRET_KEY": "from-env"})
        )
        == "from-env"
    )
