"""The Dash app factory and the shell around every page: top bar, URL state, live data check.

The top bar carries the product's name, the views, the quarter and team pickers and how fresh the
data is. The URL is the single source of truth for what a view shows: the pickers write it, the
pages read it (Dash passes the query to each page's ``layout``), and the shell rewrites the
address bar to the full state (without a new history entry) so a copied link opens the same
picture. A poll every few seconds compares the store's data version with the one the browser last
drew; pages redraw only when it changed.
"""

from __future__ import annotations

import importlib
import sys
from urllib.parse import urlsplit

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash._pages import _parse_query_string, _path_to_page
from dash.dash import _ID_CONTENT, _ID_DUMMY, _ID_LOCATION, _ID_STORE  # Dash's page container

from dashboard import auth, ids, urls
from dashboard.reads import catalog
from dashboard.serve import early, live, outage, plotly_js, polyfill, upload
from loaders import clock
from loaders.config import REPO_ROOT
from loaders.store.engine import get_engine

# The views' modules, in the order their routes are registered.
PAGES = (
    "dashboard.pages.course",
    "dashboard.pages.review",
    "dashboard.pages.rider",
    "dashboard.pages.data",
    "dashboard.pages.support",
    "dashboard.pages.season",
)
# Panels several views place (a layout builder and the panel's own callbacks), executed for each
# app before the views that import them; they have no route of their own.
PANELS: tuple[str, ...] = (
    "dashboard.pages.calls",
    "dashboard.pages.track_record",
    "dashboard.pages.plans",
    "dashboard.pages.import_step",
    "dashboard.pages.review_deal",
)
ASSETS_DIR = REPO_ROOT / "assets"

# (label, path, id): the views in the order a manager uses them.
NAV = (
    ("Course", "/", ids.SHELL_NAV_COURSE),
    ("Review", "/review", ids.SHELL_NAV_REVIEW),
    ("Rider", "/rider", ids.SHELL_NAV_RIDER),
    ("Season", "/season", ids.SHELL_NAV_SEASON),
    ("Support", "/support", ids.SHELL_NAV_SUPPORT),
    ("Data", "/data", ids.SHELL_NAV_DATA),
)


class TeamCarDash(dash.Dash):
    """Dash, with regenerator's runtime where Dash's babel polyfill was (``serve.polyfill``) and
    the layout asked for as the page starts, not once its scripts have run (``serve.early``)."""

    def interpolate_index(self, **kwargs) -> str:
        base = self.config.requests_pathname_prefix
        head = early.script_html(base)
        if _draws_charts(flask.request.path if flask.has_request_context() else None):
            head += early.preload_html([base + p for p in CHART_SCRIPTS])
        kwargs["metas"] = kwargs.get("metas", "") + head  # before the stylesheets
        return super().interpolate_index(**kwargs)

    def _generate_scripts_html(self) -> str:
        return polyfill.scripts_html(
            super()._generate_scripts_html(), self.get_asset_url(polyfill.RUNTIME)
        )


# What a page with charts fetches once its layout has rendered: Dash's graph (a chunk of Dash's
# core components) and plotly.js (``serve.plotly_js``); under the app's path prefix.
CHART_SCRIPTS = (
    "_dash-component-suites/dash/dcc/async-graph.js",
    plotly_js.PATH.lstrip("/"),
)


def _draws_charts(path: str | None) -> bool:
    """Whether the page at ``path`` draws charts (a registered page unless it says
    ``"charts": False``, as the Data page does)."""
    if path is None:
        return False
    page, _variables = _path_to_page(path.strip("/"))
    return bool(page) and page.get("charts", True)


def create_app() -> dash.Dash:
    """Build the app. Nothing here touches the store: pages and callbacks query it per request."""
    app = TeamCarDash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS_DIR),
        # served where Dash loads plotly.js from; put first by TeamCarDash
        assets_ignore=f"{plotly_js.ASSETS_IGNORE}|{polyfill.ASSETS_IGNORE}",
        title="Team Car",
        update_title=None,
        suppress_callback_exceptions=False,
        on_error=outage.on_callback_error,
    )
    app.layout = shell
    _register_pages(app)
    outage.register(app.server)
    auth.install(app.server)
    upload.register_upload(app.server)
    plotly_js.register(app.server)
    _register_aliases(app)
    return app


def _register_aliases(app: dash.Dash) -> None:
    """Addresses people type for a view that lives elsewhere: ``/course`` is the home page. The
    query string (the view's state) goes along; the target is fixed, so this redirects nowhere
    else."""

    def to_course():
        query = flask.request.query_string.decode("latin-1")
        home = app.get_relative_path("/")
        return flask.redirect(f"{home}?{query}" if query else home, code=308)

    app.server.add_url_rule(
        app.get_relative_path("/course"), "teamcar_course_alias", to_course, methods=["GET"]
    )


def _register_pages(app: dash.Dash) -> None:
    """Register each view's route, layout and callbacks; pages import as ``dashboard.pages.*``.

    Dash's own discovery (``pages_folder``) executes the folder's files as top-level ``pages.*``
    modules, a second name for the same code. Importing them by their package name instead keeps
    one name everywhere. Dash hands the callbacks a module declares (``@callback``) to the first
    app that starts serving; an app built later in the same process (tests build several) gets
    them by executing the page again, which is what Dash's discovery did for every app. Panels
    (``PANELS``) are executed the same way, first, and get no route.
    """
    for name in PANELS + PAGES:
        module = sys.modules.get(name)
        if module is None:
            module = importlib.import_module(name)
        elif getattr(module, "_registered_for", None) is not None:
            module = importlib.reload(module)
        module._registered_for = app
        if name in PAGES:
            dash.register_page(name, layout=module.layout, **module.PAGE)


def _registered(path: str) -> bool:
    return any(p["path"] == path for p in dash.page_registry.values())


def viewer_scope() -> list[str] | None:
    """The teams the current viewer may see: None (all teams) for a leader, an admin and the
    local single-user mode; a manager's own teams; [] when nobody is signed in."""
    return auth.viewer_scope()


def _who() -> html.Div | None:
    """The signed-in viewer's name and role, and a way out (none in the local demo)."""
    viewer = auth.current_viewer()
    if viewer is None:
        return None
    parts = [
        html.Span(viewer.name, className="shell-user-name"),
        html.Span(viewer.role, className="shell-user-role"),
    ]
    if viewer.via == "password":
        parts.append(
            html.Form(
                [
                    # The session's form token: a sign-out without it is refused (auth.web).
                    dcc.Input(type="hidden", name="csrf", value=auth.csrf_token()),
                    html.Button("Sign out", type="submit", className="btn btn-sm shell-signout"),
                ],
                action=auth.LOGOUT_PATH,
                method="post",
                className="shell-signout-form",
            )
        )
    return html.Div(
        parts, className="shell-user", title=f"Signed in as {viewer.name} ({viewer.role})"
    )


def shell() -> html.Div:
    """The page frame: a cheap skeleton (no store reads); callbacks fill it."""
    links = []
    admin = auth.may_manage_data()
    # The data version the page starts from (and how fresh it is) are part of the first layout:
    # the views' callbacks wait for it, and a poll's round trip before them would be a wait.
    # Dash also calls the shell to check it (when the app is built, and on the first request
    # of any kind): no store read then.
    version, fresh, tone = None, [html.Span(className="freshness-dot")], "freshness tone-stale"
    first, synced = None, None
    if _layout_request():
        engine = get_engine()
        version = live.check_version(None, engine)
        live.set_layout_version(version)
        fresh, tone = _freshness(engine)
        # What sync_url would answer for the page's address, so the browser need not ask.
        first = _first_view()
        synced = sync_url(first[1], first[0]) if first else None
    for i, (label, path, nav_id) in enumerate(NAV):
        ready = _registered(path)
        # The Data desk is an administrator's: others keep the link (callbacks write it) unseen.
        hidden = "d-none" if nav_id == ids.SHELL_NAV_DATA and not admin else None
        href, active = (synced["hrefs"][i], synced["active"][i]) if synced else (path, False)
        link = dbc.NavLink(label, href=href, id=nav_id, disabled=not ready, active=active)
        links.append(dbc.NavItem(link, className=hidden))
    pickers = html.Div(
        [
            html.Label("Quarter", htmlFor=ids.SHELL_QUARTER, className="visually-hidden"),
            dbc.Select(
                id=ids.SHELL_QUARTER,
                options=synced["quarter_options"] if synced else [],
                value=synced["quarter"] if synced else None,
                size="sm",
                className="shell-picker shell-quarter",
            ),
            html.Label("Team", htmlFor=ids.SHELL_TEAM, className="visually-hidden"),
            dbc.Select(
                id=ids.SHELL_TEAM,
                options=(
                    synced["team_options"]
                    if synced
                    else [{"label": "All teams", "value": urls.ALL_TEAMS}]
                ),
                value=synced["team"] if synced else urls.ALL_TEAMS,
                size="sm",
                className="shell-picker shell-team",
            ),
            html.Div(id=ids.SHELL_FRESHNESS, className=tone, children=fresh),
            _who(),
        ],
        className="shell-controls",
    )
    bar = dbc.Navbar(
        dbc.Container(
            [
                html.A(
                    [
                        html.Span("Team Car", className="brand-name"),
                        html.Span("the quarter as a course", className="brand-tag"),
                    ],
                    href="/",
                    className="navbar-brand",
                ),
                dbc.Nav(links, navbar=True, className="me-auto shell-nav"),
                pickers,
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="shell-bar",
    )
    return html.Div(
        [
            # Filled in: the Location starts at the page's address, so it reports no change.
            dcc.Location(
                id=ids.SHELL_URL,
                refresh="callback-nav",
                **({"pathname": first[0], "search": first[1]} if synced else {}),
            ),
            dcc.Store(id=ids.SHELL_CANONICAL, data=synced["canonical"] if synced else None),
            dcc.Store(id=ids.SHELL_FILLED, data=bool(synced)),
            dcc.Store(id=ids.SHELL_NEED),
            dcc.Store(id=ids.SHELL_DATA_VERSION, data=version),
            dcc.Interval(id=ids.SHELL_POLL, interval=live.POLL_MS),
            bar,
            outage.alert(),
            dbc.Container(page_container(first), fluid=True, className="page"),
        ]
    )


def page_container(first: tuple[str, str] | None) -> html.Div:
    """Dash's page container, with the requested view already in it when the browser said which.

    Dash fills ``_pages_content`` with a callback once its Location mounts: one more round trip
    before a page's own callbacks can start and before the graph code is fetched. The layout
    request carries the page's address in its Referer; with it, the view's skeleton (still no
    store reads) is part of the first layout, and the Location starts at that address so Dash's
    router has nothing to do. Without it (a browser that sends no Referer), Dash routes as usual.

    ``first`` is that address, (path, query), as ``shell`` read it (``_first_view``), or None.
    """
    if first is None:
        return dash.page_container
    path, search = first
    page, variables = _path_to_page(path.strip("/"))
    if not page:
        return dash.page_container
    query = _parse_query_string(search)
    layout = page["layout"]
    content = layout(**{**(variables or {}), **query}) if callable(layout) else layout
    title = page["title"]
    return html.Div(
        [
            dcc.Location(id=_ID_LOCATION, refresh="callback-nav", pathname=path, search=search),
            html.Div(content, id=_ID_CONTENT, disable_n_clicks=True),
            dcc.Store(id=_ID_STORE, data={"title": title if isinstance(title, str) else ""}),
            html.Div(id=_ID_DUMMY, disable_n_clicks=True),
        ]
    )


def _layout_request() -> bool:
    """Whether the shell is being built for a browser's layout request (not a check by Dash)."""
    return flask.has_request_context() and flask.request.path.endswith("/_dash-layout")


def _first_view() -> tuple[str, str] | None:
    """The page address (path, query) the layout is requested for, from a same-origin Referer."""
    if not _layout_request():
        return None
    referrer = flask.request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    here = urlsplit(flask.request.host_url)
    if (parts.scheme, parts.netloc) != (here.scheme, here.netloc):
        return None
    return parts.path or "/", ("?" + parts.query) if parts.query else ""


def _team_options(selected: str | None) -> list[dict]:
    """The teams the viewer may see (a manager: their own), with "All teams" when several."""
    scope = viewer_scope()
    teams = catalog.teams(get_engine(), scope)["team"].astype("object").tolist()
    if scope is not None:
        teams = sorted(set(teams) | set(scope))  # a granted team with no riders yet
    if selected and selected not in teams and auth.team_allowed(selected, scope):
        teams.append(selected)  # a link to a team no longer on the roster still shows it
    options = [{"label": t, "value": t} for t in teams]
    if scope is None:
        return [{"label": "All teams", "value": urls.ALL_TEAMS}] + options
    if len(teams) > 1:
        return [{"label": "All my teams", "value": urls.ALL_TEAMS}] + options
    return options


@callback(
    output=dict(
        canonical=Output(ids.SHELL_CANONICAL, "data"),
        quarter=Output(ids.SHELL_QUARTER, "value"),
        quarter_options=Output(ids.SHELL_QUARTER, "options"),
        team=Output(ids.SHELL_TEAM, "value"),
        team_options=Output(ids.SHELL_TEAM, "options"),
        hrefs=[Output(nav_id, "href") for _, _, nav_id in NAV],
        active=[Output(nav_id, "active") for _, _, nav_id in NAV],
    ),
    inputs=[
        Input(ids.SHELL_URL, "search"),
        Input(ids.SHELL_URL, "pathname"),
        Input(ids.SHELL_NEED, "data"),
    ],
    prevent_initial_call=True,
)
def sync_url(search, pathname, _need=None):
    """The URL sets the pickers and the nav links (which carry the shared state).

    The full query (defaults made explicit) goes to the address bar without a history entry.
    For a browser's layout request the shell is built with this answer already in it
    (``shell``), so Dash does not call it as the page starts; the browser asks (``SHELL_NEED``)
    only when the layout could not fill it in (no ``Referer``), and the address changing (a
    link followed inside the app) calls it as before.
    """
    query = urls.parse(search)
    scope = viewer_scope()
    if scope is not None and len(scope) == 1 and query.get("team") in (None, urls.ALL_TEAMS):
        query["team"] = scope[0]  # a manager of one team is always on it, however they came
    state = urls.resolve(query)
    full = urls.canonical(query)
    shared = urls.carry(full)
    path = pathname or "/"
    hrefs = [p + shared for _, p, _ in NAV]
    active = [(p == "/" and path == "/") or (p != "/" and path.startswith(p)) for _, p, _ in NAV]
    return {
        "canonical": {"search": full},
        "quarter": state.quarter,
        "quarter_options": urls.quarter_options(state.quarter),
        "team": state.team or urls.ALL_TEAMS,
        "team_options": _team_options(state.team),
        "hrefs": hrefs,
        "active": active,
    }


@callback(
    Output(ids.SHELL_URL, "href"),
    Input(ids.SHELL_QUARTER, "value"),
    Input(ids.SHELL_TEAM, "value"),
    State(ids.SHELL_URL, "search"),
    State(ids.SHELL_URL, "pathname"),
    prevent_initial_call=True,
)
def pick(quarter, team, search, pathname):
    """A picker change writes the URL (the view starts over at its first page).

    The pickers are also set from the URL (``sync_url``); then they agree with it and nothing
    is written, so following a link never adds a history entry of its own.
    """
    state = urls.resolve(urls.parse(search))
    team = None if team in (None, "", urls.ALL_TEAMS) else team
    if not quarter or (quarter == state.quarter and team == state.team):
        return no_update
    changes: dict = {"quarter": quarter, "team": team, "page": None}
    if quarter != state.quarter:
        changes.update(as_of=None, since=None)
    if team != state.team:
        changes.update(lanes=None, q=None)
    return (pathname or "/") + urls.merge(search, **changes)


# The browser asks sync_url for the shell when its layout did not fill it in.
clientside_callback(
    """
    function(filled) {
        return filled ? window.dash_clientside.no_update : Date.now();
    }
    """,
    Output(ids.SHELL_NEED, "data"),
    Input(ids.SHELL_FILLED, "data"),
)


# The address bar shows the full state; replaceState adds no history entry and starts no
# navigation (the page on screen already shows this state). Also as the page starts: a shell
# filled in by its layout carries the canonical address.
clientside_callback(
    """
    function(canonical) {
        if (canonical && typeof canonical.search === "string"
                && canonical.search !== window.location.search) {
            window.history.replaceState(window.history.state, "",
                window.location.pathname + canonical.search + window.location.hash);
        }
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.SHELL_CANONICAL, "data", allow_duplicate=True),
    Input(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call="initial_duplicate",
)


@callback(
    Output(ids.SHELL_DATA_VERSION, "data"),
    Output(ids.SHELL_FRESHNESS, "children"),
    Output(ids.SHELL_FRESHNESS, "className"),
    Input(ids.SHELL_POLL, "n_intervals"),
    State(ids.SHELL_DATA_VERSION, "data"),
    prevent_initial_call=True,  # the first layout carries the version
)
def poll_data_version(_n, known):
    """The live check: ``no_update`` unless the store's data version changed since last drawn."""
    engine = get_engine()
    version = live.check_version(known, engine)
    if version is no_update:
        return no_update, no_update, no_update
    children, tone = _freshness(engine)
    return version, children, tone


def _freshness(engine) -> tuple[list, str]:
    """The top bar's freshness (children, class): the newest snapshot's day against today."""
    fresh = catalog.freshness(engine)
    latest = None
    if len(fresh) and fresh["latest_snapshot"].notna().any():
        latest = fresh["latest_snapshot"].max()
        latest = latest.date() if hasattr(latest, "date") and callable(latest.date) else latest
    label, detail, tone = live.freshness(latest, clock.today())
    children = [
        html.Span(className="freshness-dot"),
        html.Span(label, className="freshness-label"),
        html.Span(detail, className="freshness-detail"),
    ]
    return children, f"freshness tone-{tone}"
