"""Live pages: a cheap check of the store's data version, and how fresh the data is.

Every open page polls ``check_version`` every few seconds with the version it last drew (kept in
the browser). The check is one small read; it answers ``no_update`` unless an import (or a call
made in the browser) bumped the version, and only then do the pages redraw. No worker remembers anything between requests,
so any worker behind any load balancer answers the same.
"""

from __future__ import annotations

import datetime as dt

import flask
from dash import no_update
from sqlalchemy import Engine

from dashboard.reads.catalog import live_version

POLL_MS = 3_000  # new data shows within 10 s: at most one poll plus the redraw


def check_version(known: int | None, engine: Engine | None = None):
    """The new live version (the data version plus the calls' version, ``live_version``) when
    it differs from ``known``, else ``dash.no_update``."""
    version = live_version(engine)
    return no_update if known == version else version


def set_layout_version(version) -> None:
    """Record the live version the page layout being built starts from (the shell's)."""
    flask.g.teamcar_layout_version = version


def layout_version():
    """The live version of the layout being built for a browser's layout request, or None
    (no request, Dash's own check of the layout, or a callback's request): a view that draws
    its first picture into the layout marks it with this version (``pages.first_picture``)."""
    if not flask.has_request_context():
        return None
    return flask.g.get("teamcar_layout_version")


def freshness(latest: dt.date | None, today: dt.date) -> tuple[str, str, str]:
    """How fresh the data is, for the top bar.

    Args:
        latest: the day of the newest pipeline snapshot (None when nothing is loaded).
        today: the clock's today.

    Returns:
        (label, detail, tone): ``"Data as of 20 Nov"``, ``"2 days old"``, and ``fresh`` (today or
        yesterday), ``aging`` (up to a week) or ``stale`` (older, or nothing loaded).
    """
    if latest is None:
        return "No data loaded", "load exports to start", "stale"
    age = (today - latest).days
    label = f"Data as of {latest.day} {latest:%b %Y}"
    if age <= 0:
        return label, "today", "fresh"
    if age == 1:
        return label, "1 day old", "fresh"
    if age <= 7:
        return label, f"{age} days old", "aging"
    return label, f"{age} days old", "stale"
