"""A view's first picture drawn into its layout, so the page needs no callback to show it.

A view's figures used to arrive by callback: the browser loaded the scripts, asked for the
layout, rendered it, then asked each callback for its outputs, one more round trip (and, on a
busy server, one more wait) before anything was drawn. For a browser's layout request the app
now knows the page and the live version already (``app.page_container``,
``live.layout_version``), so a view can draw its first picture into the layout with the same
functions its callbacks use, for the same viewer. The layout then carries a mark (``marker``)
of the state and version the picture is for; the callbacks' first call, which Dash makes as
the page starts, sees the mark and changes nothing (``already_drawn``); every later call (other
state, new data) draws, and clears the mark so that a return to the first state draws too. A
page whose several callbacks draw its first picture (the Rider) sets their outputs into its
layout with ``fill``.

A callback that answers its first call with "no change" still costs the browser a round trip,
and at full size those requests queue behind the page's others (a browser opens six
connections to one host). A page whose state only ever comes from its layout (the Rider) asks
the browser instead (``gate``): a clientside callback compares the mark with the live version
as the page starts and fires the page's drawing callbacks, which skip Dash's first call, only
when the layout holds no picture for it.

When the layout is built by Dash's router (from a callback), for Dash's own check of the
layout, or when the picture cannot be drawn (the store is down), the layout is the skeleton it
always was and the callbacks draw it, showing what is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import dash
from dash import Input, Output, State, clientside_callback

from dashboard import ids
from dashboard.serve import live

log = logging.getLogger(__name__)
T = TypeVar("T")


def marker(state_data: dict, version) -> dict:
    """What marks a layout drawn for the view state ``state_data`` at live ``version``."""
    return {"state": state_data, "version": version}


def already_drawn(drawn, state_data: dict, version) -> bool:
    """Whether the layout's picture (its mark ``drawn``) is this state at this version."""
    return drawn is not None and drawn == marker(state_data, version)


def initial(picture: dict, key: str, default):
    """The layout's first value of output ``key`` from a drawn ``picture`` ({} when none was
    drawn), or ``default`` (also for an output the picture leaves as ``no_update``)."""
    value = picture.get(key, default)
    return default if value is dash.no_update else value


def fill(page, outputs: dict, values) -> None:
    """Set a callback's ``values`` (by output name, as ``outputs`` names them) as the initial
    props of the components of ``page``; ``no_update`` values are left as the layout has them."""
    if values is dash.no_update or not isinstance(values, dict):
        return
    found = {c.id: c for c in page._traverse() if isinstance(getattr(c, "id", None), str)}
    for name, output in outputs.items():
        value = values.get(name, dash.no_update)
        if value is not dash.no_update:
            setattr(found[output.component_id], output.component_property, value)


def draw(view: str, state_data: dict, picture: Callable[[], T]) -> tuple[T | None, dict | None]:
    """``picture()`` and its mark, for a browser's layout request; (None, None) otherwise, or
    when it could not be drawn (logged; the callbacks then draw the view and say why not)."""
    version = live.layout_version()
    if version is None:
        return None, None
    try:
        drawn = picture()
    except Exception:  # the page still opens; its callbacks draw it or show what is wrong
        log.exception("The %s's first picture could not be drawn into its layout", view)
        return None, None
    return drawn, marker(state_data, version)


def gate(state_id: str, drawn_id: str, need_id: str) -> list[Input]:
    """Register the browser's check that sets ``need_id``'s data when the layout's mark
    (``drawn_id``) is not a picture of the live version: the layout came from Dash's router, the
    picture could not be drawn, or the version moved. When it is, the page's drawing callbacks
    are not called at all as it starts. ``state_id`` is the page's state store, which only its
    layout sets: it makes the check run once per layout.

    Returns the drawing callbacks' inputs (the state, the live version, ``need_id``), for
    callbacks registered with ``prevent_initial_call=True``."""
    clientside_callback(
        """
        function(_state, drawn, version) {
            if (drawn && version !== null && version !== undefined
                    && JSON.stringify(drawn.version) === JSON.stringify(version)) {
                return window.dash_clientside.no_update;
            }
            return Date.now();
        }
        """,
        Output(need_id, "data"),
        Input(state_id, "data"),
        State(drawn_id, "data"),
        State(ids.SHELL_DATA_VERSION, "data"),
    )
    return [
        Input(state_id, "data"),
        Input(ids.SHELL_DATA_VERSION, "data"),
        Input(need_id, "data"),
    ]
