"""The Dash app factory: the shell (top bar, navigation) around the registered pages."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import html

from loaders.config import REPO_ROOT

PAGES_DIR = Path(__file__).resolve().parent / "pages"
ASSETS_DIR = REPO_ROOT / "assets"

NAV = (("Course", "/"), ("Review", "/review"), ("Rider", "/rider"), ("Data", "/data"))


def create_app() -> dash.Dash:
    """Build the app. Nothing here touches the store: pages query it per request."""
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        title="Team Car",
        update_title=None,
        suppress_callback_exceptions=False,
    )
    app.layout = _shell
    return app


def _shell():
    links = [dbc.NavItem(dbc.NavLink(label, href=href, active="exact"))
             for label, href in NAV
             if any(p["path"] == href for p in dash.page_registry.values())]
    bar = dbc.Navbar(
        dbc.Container([
            html.A([html.Span("Team Car", className="brand-name"),
                    html.Span("the quarter as a course", className="brand-tag")],
                   href="/", className="navbar-brand"),
            dbc.Nav(links, navbar=True, className="me-auto"),
        ], fluid=True),
        color="dark", dark=True, className="shell-bar",
    )
    return html.Div([bar, dbc.Container(dash.page_container, fluid=True, className="page")])
