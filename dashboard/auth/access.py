"""Who is asking: trusted proxies, and the decision for the current request (viewer and scope)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flask import g, has_request_context, request, session
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from dashboard.auth import users
from dashboard.auth.passwords import fingerprint
from dashboard.auth.users import Viewer, find_user
from loaders.config import Config, Network, load_config
from loaders.store.engine import get_engine

SESSION_USER = "user"
SESSION_PRINT = "print"
log = logging.getLogger(__name__)


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


FORWARDED_FOR = "X-Forwarded-For"


def client_address(config: Config | None = None) -> str:
    """The address of whoever sent the current request, as far as it can be known.

    The connecting peer, unless it is a trusted proxy (``TEAMCAR_TRUSTED_PROXIES``): then the
    address it forwarded in ``X-Forwarded-For``. That list is read from the right (each proxy
    appends the peer it heard from) and the first address that is not itself a trusted proxy is
    the client; what a client writes into the header itself sits to the left of that and is
    never believed. Without a trusted peer the header is ignored altogether.
    """
    config = config or load_config()
    address = request.remote_addr or ""
    if not trusted(address, config.trusted_proxies):
        return address
    hops = [
        hop.strip()
        for value in request.headers.getlist(FORWARDED_FOR)
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        address = hop[:64]
        if not trusted(address, config.trusted_proxies):
            break
    return address


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
    if not header and not users_configured_once(engine):
        return Access(open=True)
    name = session.get(SESSION_USER)
    if name:
        found = find_user(engine, name)
        if found is not None and hmac.compare_digest(
            session.get(SESSION_PRINT, ""), fingerprint(found[1])
        ):
            return Access(viewer=found[0])
        session.pop(SESSION_USER, None)
        session.pop(SESSION_PRINT, None)
    return Access()


def users_configured_once(engine: Engine) -> bool:
    """``users.users_configured``, asked once per request."""
    if "teamcar_users" not in g:
        g.teamcar_users = users.users_configured(engine)
    return g.teamcar_users
