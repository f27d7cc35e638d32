"""One configuration object, read from ``TEAMCAR_*`` environment variables.

Every setting is documented in the README; ``tests/unit/test_config.py`` fails when one is not.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A ``TEAMCAR_*`` variable holds a value that cannot be used."""


@dataclass(frozen=True)
class Setting:
    """A documented environment variable."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TEAMCAR_DATABASE_URL",
        "sqlite:///<data dir>/teamcar.db",
        "SQLAlchemy URL of the store (SQLite file by default; PostgreSQL for shared use).",
    ),
    Setting(
        "TEAMCAR_DATA_DIR",
        "<repo>/data",
        "Folder for the default database, archived exports and the demo.",
    ),
    Setting(
        "TEAMCAR_FISCAL_YEAR_START_MONTH",
        "1",
        "Month (1-12) in which the fiscal year starts; 2026-Q1 is its first quarter.",
    ),
    Setting(
        "TEAMCAR_STALE_DAYS",
        "14",
        "A deal with no activity in this many days (as_of included) is stale.",
    ),
    Setting(
        "TEAMCAR_READINESS_WEIGHTS",
        "enablement=1,skill=1,activity=1,hygiene=1",
        "Weights of the readiness components, renormalised over those with data.",
    ),
    Setting(
        "TEAMCAR_TODAY", "(the system clock)", "Pins 'today' (YYYY-MM-DD) for demos and tests."
    ),
    Setting(
        "TEAMCAR_CACHE_URL",
        "(in-process cache)",
        "redis://host:port/db for a cache shared by several workers.",
    ),
    Setting("TEAMCAR_MAX_UPLOAD_MB", "200", "Largest export accepted by a browser upload."),
    Setting(
        "TEAMCAR_MAX_AMOUNT",
        "1000000000000",
        "Largest amount (deal, quota, call) a load accepts; a row beyond it is rejected with why.",
    ),
    Setting(
        "TEAMCAR_SECRET_KEY",
        "(generated into <data dir>/secret_key)",
        "Signs the sign-in cookie; set the same value on every machine behind a balancer.",
    ),
    Setting(
        "TEAMCAR_AUTH_HEADER",
        "(off)",
        "Header a single sign-on proxy sets to the signed-in user's name, e.g. X-Forwarded-User.",
    ),
    Setting(
        "TEAMCAR_TRUSTED_PROXIES",
        "127.0.0.1",
        "Comma-separated addresses or CIDR networks whose TEAMCAR_AUTH_HEADER is believed "
        "and whose X-Forwarded-For names the client's address (for sign-in throttling).",
    ),
    Setting(
        "TEAMCAR_SECURE_COOKIE",
        "0",
        "1 sends the sign-in cookie over HTTPS only and adds Strict-Transport-Security "
        "(set it when served over HTTPS).",
    ),
    Setting(
        "TEAMCAR_SIGNIN_ADDRESS_LIMIT",
        "10",
        "Failed sign-ins from one client address (behind a trusted proxy, the address it "
        "forwards) within 5 minutes before that address is answered 429 until the 5 minutes "
        "are up; 0 turns it off. Shared through TEAMCAR_CACHE_URL when set, else per worker.",
    ),
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_WEIGHT_KEYS = ("enablement", "skill", "activity", "hygiene")


@dataclass(frozen=True)
class Config:
    """Settings in force for this process."""

    data_dir: Path
    database_url: str
    fiscal_year_start_month: int = 1
    stale_days: int = 14
    readiness_weights: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(_WEIGHT_KEYS, 1.0)
    )
    cache_url: str | None = None
    max_upload_mb: int = 200
    max_amount: float = 1e12
    secret_key: str | None = field(default=None, repr=False)
    auth_header: str | None = None
    trusted_proxies: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.1/32"),)
    secure_cookie: bool = False
    signin_address_limit: int = 10

    @property
    def archive_dir(self) -> Path:
        """Where original exports are kept, next to the database."""
        return self.data_dir / "archive"


def _int(env: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={raw!r}: expected a number from {lo} to {hi}")
    return value


def _positive(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number such as 1e12") from None
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name}={raw!r}: expected a positive number")
    return value


def parse_weights(raw: str) -> dict[str, float]:
    """Parse ``enablement=1,skill=2,...``; unnamed components keep weight 1.

    Raises:
        ConfigError: on an unknown component or a negative or non-numeric weight.
    """
    weights = dict.fromkeys(_WEIGHT_KEYS, 1.0)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in weights:
            raise ConfigError(
                f"TEAMCAR_READINESS_WEIGHTS: {part!r}; expected name=weight with a name "
                f"among {', '.join(_WEIGHT_KEYS)}"
            )
        try:
            weights[key] = float(value)
        except ValueError:
            raise ConfigError(
                f"TEAMCAR_READINESS_WEIGHTS: {part!r}: weight is not a number"
            ) from None
        if weights[key] < 0:
            raise ConfigError(f"TEAMCAR_READINESS_WEIGHTS: {part!r}: weight must be >= 0")
    return weights


def parse_networks(raw: str, name: str = "TEAMCAR_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """Parse comma-separated addresses and CIDR networks (``127.0.0.1, 10.0.0.0/8, ::1``).

    A bare address is a network of one. Host bits set in a network (``10.0.0.1/8``) are refused
    rather than silently widened or narrowed.

    Raises:
        ConfigError: on anything that is not an address or a network.
    """
    networks = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=True))
        except ValueError as exc:
            raise ConfigError(f"{name}: {part!r} is not an IP address or network ({exc})") from None
    return tuple(networks)


def _flag(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name}={raw!r}: expected 1 or 0")


def load_config(env: dict[str, str] | None = None) -> Config:
    """Build the configuration from the environment (``os.environ`` by default)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("TEAMCAR_DATA_DIR") or REPO_ROOT / "data").expanduser()
    url = env.get("TEAMCAR_DATABASE_URL") or f"sqlite:///{data_dir / 'teamcar.db'}"
    return Config(
        data_dir=data_dir,
        database_url=url,
        fiscal_year_start_month=_int(env, "TEAMCAR_FISCAL_YEAR_START_MONTH", 1, 1, 12),
        stale_days=_int(env, "TEAMCAR_STALE_DAYS", 14, 1, 365),
        readiness_weights=parse_weights(env.get("TEAMCAR_READINESS_WEIGHTS", "")),
        cache_url=env.get("TEAMCAR_CACHE_URL") or None,
        max_upload_mb=_int(env, "TEAMCAR_MAX_UPLOAD_MB", 200, 1, 10_000),
        max_amount=_positive(env, "TEAMCAR_MAX_AMOUNT", 1e12),
        secret_key=env.get("TEAMCAR_SECRET_KEY") or None,
        auth_header=(env.get("TEAMCAR_AUTH_HEADER") or "").strip() or None,
        trusted_proxies=parse_networks(env.get("TEAMCAR_TRUSTED_PROXIES") or "127.0.0.1"),
        secure_cookie=_flag(env, "TEAMCAR_SECURE_COOKIE"),
        signin_address_limit=_int(env, "TEAMCAR_SIGNIN_ADDRESS_LIMIT", 10, 0, 1_000_000),
    )
