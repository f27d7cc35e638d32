"""Deal details: what a manager sees after clicking a deal on the course."""

from __future__ import annotations

from collections.abc import Mapping

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.figures import style as s

FIELDS = (
    ("Account", "account", s.esc),
    ("Rider", "rep", None),
    ("Team", "team", None),
    ("Amount", "amount", s.money_full),
    ("Stage", "stage", None),
    ("Forecast category", "forecast_category", lambda v: s.CATEGORY_LABEL.get(v, v)),
    ("Probability", "probability", s.pct),
    ("Status", "status", None),
    ("Close date", "close_date", s.day),
    ("Created", "created_date", s.day),
    ("Last activity", "last_activity_date", s.day),
    ("Pushed", "push_count", lambda v: f"{int(v)}×"),
    ("Next step", "next_step", None),
    ("Source", "source", None),
    ("Deal id", "deal_id", None),
)


def _text(value: object, fmt) -> str:
    if s.is_missing(value):
        return s.MISSING
    if fmt is None or fmt is s.esc:
        return str(value)  # Dash writes text as text: no escaping needed here
    return fmt(value)


def make_deal_details(deal: Mapping, trail: pd.DataFrame | None = None) -> html.Div:
    """The body of the deal panel.

    Args:
        deal: the deal's fields as of the map's day (keys as in ``FIELDS``).
        trail: the deal in each snapshot of the quarter: ``snapshot_date``, ``close_date``,
            ``amount``, ``stage``, ``forecast_category`` (oldest first), when known.

    Returns:
        A definition list of the fields and, when the deal moved, a table of its snapshots.
    """
    items = []
    for label, key, fmt in FIELDS:
        if key not in deal:
            continue
        items += [
            html.Dt(label, className="col-5"),
            html.Dd(_text(deal.get(key), fmt), className="col-7"),
        ]
    body = [html.Dl(items, className="row deal-fields")]
    if trail is not None and len(trail) > 1:
        head = html.Thead(
            html.Tr([html.Th(h) for h in ("Snapshot", "Close date", "Amount", "Stage", "Category")])
        )
        rows = [
            html.Tr(
                [
                    html.Td(s.day(r.snapshot_date, "%d %b")),
                    html.Td(s.day(r.close_date)),
                    html.Td(s.money_full(r.amount)),
                    html.Td(_text(r.stage, None)),
                    html.Td(
                        s.CATEGORY_LABEL.get(r.forecast_category, _text(r.forecast_category, None))
                    ),
                ]
            )
            for r in trail.itertuples(index=False)
        ]
        body += [
            html.H3("Snapshot by snapshot", className="h6 mt-3"),
            dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, className="deal-trail"),
        ]
    return html.Div(body)


def deal_panel(panel_id: str, body_id: str, rider_id: str, extra: tuple = ()) -> dbc.Offcanvas:
    """The deal panel a view places (Course, Review, Support car): closed until a deal is
    clicked, then the deal's details (``body_id``), a button to its rider, and what the view
    adds below (its plan)."""
    return dbc.Offcanvas(
        id=panel_id,
        is_open=False,
        placement="end",
        title="Deal",
        scrollable=True,
        className="deal-panel",
        children=[
            html.Div(id=body_id),
            dbc.Button(
                "Open this rider",
                id=rider_id,
                href="/rider",
                color="secondary",
                outline=True,
                size="sm",
                className="mt-2",
            ),
            *extra,
        ],
    )
