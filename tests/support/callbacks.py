"""Calling Dash callbacks as plain functions, and reading what they return."""

from __future__ import annotations

# One copy, shared with the benchmarks (bench/ must not import from tests/).
from bench._figures import decoded

__all__ = ["decoded", "run", "texts"]


def run(func, trigger: str, value, *args):
    """Call a callback as Dash would, with ``trigger`` as what fired it."""
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    def call():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": trigger, "value": value}]))
        return func(*args)

    return copy_context().run(call)


def texts(component) -> list[str]:
    """Every string in a Dash component tree, depth first."""
    out = []
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return out
    if not isinstance(children, list | tuple):
        children = [children]
    for child in children:
        out += texts(child)
    return out
