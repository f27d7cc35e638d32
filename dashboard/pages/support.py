"""Support car (``/support``): where the experts are, and whether the riders' work makes the boat
go faster (DESIGN §12).

For each expert (roster roles SE, CSM, Partner and the reporting chain: Manager, Director, VP,
Executive, Leader) the deals of the view they worked on in the last four weeks, their
activities per week and the in-quarter open amount they touch; the large deals (at least 2 × the
team's average won deal) no expert worked on in those weeks; and each rider's focus share with
the team median, "busy elsewhere" flagged.

The layout is a skeleton from the URL (quarter, team, as_of); each table is filled one page at a
time on the server from the cached model (``dashboard.models.support``). Deals open the deal
panel, riders their page; the head figures, an expert's bar or amount, and a focus share list the
rows behind them; each table exports whole to CSV or XLSX.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import auth, exports, ids, urls
from dashboard.figures import details as fd
from dashboard.figures import make_deal_details
from dashboard.figures import style as s
from dashboard.figures import support as fs
from dashboard.figures.common import GRAPH_CONFIG, blank_figure
from dashboard.figures.trace_view import make_trace_body
from dashboard.models import course as cm
from dashboard.models import support as sm
from dashboard.serve import warm
from loaders import clock
from loaders.store.engine import get_engine

# The route, registered by the app factory (dashboard.app.create_app).
PAGE = {"path": "/support", "name": "Support car", "title": "Team Car · Support car"}

# Row ids "source|deal_id" (and "|expert" on the work grid): source names hold no "|".
DEAL_ROW_ID = "params.data.source + '|' + params.data.deal_id"
WORK_ROW_ID = "params.data.source + '|' + params.data.deal_id + '|' + params.data.expert"


def _export_buttons(table: str) -> html.Div:
    return html.Div(
        [
            dbc.Button(
                label,
                id={"type": ids.SUPPORT_EXPORT, "table": table, "fmt": fmt},
                size="sm",
                color="secondary",
                outline=True,
                n_clicks=0,
            )
            for label, fmt in (("CSV", "csv"), ("XLSX", "xlsx"))
        ],
        className="support-exports",
    )


def _pager(pager_id: str) -> dbc.Pagination:
    return dbc.Pagination(
        id=pager_id,
        max_value=1,
        active_page=1,
        fully_expanded=False,
        first_last=True,
        previous_next=True,
        size="sm",
        className="lane-pager mb-0 d-none",
    )


def _section(title, hint_id: str, body, table: str, pager_id: str, hint=None) -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2(title, className="section-title"),
                            html.Span(hint, id=hint_id, className="section-hint"),
                        ]
                    ),
                    html.Div([_pager(pager_id), _export_buttons(table)], className="course-tools"),
                ],
                className="section-head course-head-row",
            ),
            body,
        ],
        className="panel",
    )


def layout(**query):
    """A cheap skeleton from the URL's query; callbacks fill it (Dash also calls it bare)."""
    state = urls.resolve(query)
    return html.Div(
        [
            dcc.Location(id=ids.SUPPORT_URL, refresh="callback-nav"),
            dcc.Store(id=ids.SUPPORT_STATE, data=state.to_dict()),
            dcc.Store(id=ids.SUPPORT_EXPERT_PICKED),
            dcc.Download(id=ids.SUPPORT_DOWNLOAD),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div("Support car", className="kpi-label"),
                            html.H1(
                                "Where the experts are",
                                id=ids.SUPPORT_TITLE,
                                className="course-title",
                            ),
                            html.Div(id=ids.SUPPORT_SUBTITLE, className="course-subtitle muted"),
                        ]
                    ),
                ],
                className="course-head",
            ),
            html.Div(id=ids.SUPPORT_MESSAGE),
            dcc.Loading(
                html.Div(id=ids.SUPPORT_HEAD, className="strip-holder"), delay_show=400, type="dot"
            ),
            dbc.Row(
                [
                    dbc.Col(
                        html.Section(
                            [
                                html.Div(
                                    [
                                        html.H2("Expert activity", className="section-title"),
                                        html.Span(
                                            "on this view's deals, by week · click a bar for "
                                            "their deals",
                                            className="section-hint",
                                        ),
                                    ],
                                    className="section-head",
                                ),
                                dcc.Graph(
                                    id=ids.SUPPORT_EXPERTS_CHART,
                                    figure=blank_figure(200),
                                    config=GRAPH_CONFIG,
                                ),
                            ],
                            className="panel h-100",
                        ),
                        lg=4,
                    ),
                    dbc.Col(
                        _section(
                            "Experts",
                            ids.SUPPORT_EXPERTS_INFO,
                            _keyed(
                                fs.grid(
                                    ids.SUPPORT_EXPERTS,
                                    fs.expert_columns(),
                                    "No experts on the roster of this view",
                                ),
                                "params.data.expert",
                            ),
                            "experts",
                            ids.SUPPORT_EXPERTS_PAGER,
                        ),
                        lg=8,
                    ),
                ],
                className="g-3 mb-3",
            ),
            _section(
                html.Span("Deals worked on", id=ids.SUPPORT_WORK_TITLE),
                ids.SUPPORT_WORK_INFO,
                _work_grid(),
                "work",
                ids.SUPPORT_WORK_PAGER,
                hint="click an expert above to see only theirs · a deal for its details",
            ),
            _section(
                "Large deals without expert support",
                ids.SUPPORT_UNSUPPORTED_INFO,
                _deal_grid(ids.SUPPORT_UNSUPPORTED, fs.unsupported_columns()),
                "unsupported",
                ids.SUPPORT_UNSUPPORTED_PAGER,
            ),
            _section(
                "Focus share",
                ids.SUPPORT_FOCUS_INFO,
                _keyed(
                    fs.grid(
                        ids.SUPPORT_FOCUS,
                        fs.focus_columns(),
                        "No riders in this view",
                        420,
                        now=True,
                    ),
                    "params.data.rep",
                ),
                "focus",
                ids.SUPPORT_FOCUS_PAGER,
            ),
            dbc.Offcanvas(
                id=ids.SUPPORT_TRACE,
                is_open=False,
                placement="end",
                title="Rows behind",
                scrollable=True,
                className="trace-panel",
                children=html.Div(id=ids.SUPPORT_TRACE_BODY),
            ),
            fd.deal_panel(ids.SUPPORT_DEAL, ids.SUPPORT_DEAL_BODY, ids.SUPPORT_DEAL_RIDER),
        ],
        className="support-page",
    )


def _keyed(g, row_id: str):
    g.getRowId = row_id
    return g


def _work_grid():
    g = fs.grid(ids.SUPPORT_WORK, fs.work_columns(), "No expert worked on these deals")
    g.getRowId = WORK_ROW_ID
    return g


def _deal_grid(grid_id: str, columns: list[dict]):
    g = fs.grid(grid_id, columns, "Every large deal had an expert on it")
    g.getRowId = DEAL_ROW_ID
    return g


# --- the model --------------------------------------------------------------------------------


def _model(state_data):
    """(state, scope, model), or (state, scope, None) for a team the viewer may not see."""
    state = urls.ViewState.from_dict(state_data)
    scope = auth.viewer_scope()
    if not auth.team_allowed(state.team, scope):
        return state, scope, None
    return state, scope, sm.support_model(get_engine(), state, scope)


@warm.on_new_data("support-view")
def _warm(engine) -> None:
    """The support car for all teams on the default day, built when data lands."""
    sm.support_model(engine, urls.resolve({}), None)


def _subtitle(model: sm.SupportModel, state: urls.ViewState) -> str:
    who = state.team or "All teams"
    return (
        f"{who} · {state.quarter} · experts' work in the last 4 weeks "
        f"({s.day(model.start, '%d %b')} – {s.day(model.as_of, '%d %b %Y')}) · focus share "
        "over the last 14 days"
    )


@callback(
    output=dict(
        title=Output(ids.SUPPORT_TITLE, "children"),
        subtitle=Output(ids.SUPPORT_SUBTITLE, "children"),
        message=Output(ids.SUPPORT_MESSAGE, "children"),
        head=Output(ids.SUPPORT_HEAD, "children"),
        chart=Output(ids.SUPPORT_EXPERTS_CHART, "figure"),
    ),
    inputs=[Input(ids.SUPPORT_STATE, "data"), Input(ids.SHELL_DATA_VERSION, "data")],
)
def render(state_data, version):
    """The head figures and the experts' chart for the URL's state and the current data."""
    if version is None or not state_data:
        return no_update
    state, scope, model = _model(state_data)
    title = "Where the experts are" + (f" · {state.team}" if state.team else "")
    if model is None:
        msg = dbc.Alert(auth.not_allowed_text(state.team), color="warning")
        return dict(title=title, subtitle="", message=msg, head=None, chart=blank_figure(60))
    msg = None
    if model.flags.empty:
        msg = dbc.Alert(
            f"No deals in {state.quarter} for this view yet: load exports with teamcar load.",
            color="info",
        )
    return dict(
        title=title,
        subtitle=_subtitle(model, state),
        message=msg,
        head=fs.make_support_head(model.totals(), kind=ids.SUPPORT_KPI),
        chart=fs.make_expert_figure(model.experts, model.start).to_plotly_json(),
    )


def _page(df, page, what, pager_class="lane-pager mb-0"):
    rows, shown = sm.page_of(df, page)
    last = sm.pages(len(df))
    info = fs.page_info(len(df), shown, sm.PAGE_SIZE, what)
    return rows, info, last, pager_class + ("" if last > 1 else " d-none")


@callback(
    Output(ids.SUPPORT_EXPERTS, "rowData"),
    Output(ids.SUPPORT_EXPERTS_INFO, "children"),
    Output(ids.SUPPORT_EXPERTS_PAGER, "max_value"),
    Output(ids.SUPPORT_EXPERTS_PAGER, "className"),
    Input(ids.SUPPORT_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
    Input(ids.SUPPORT_EXPERTS_PAGER, "active_page"),
)
def render_experts(state_data, version, page):
    """One page of experts, busiest first."""
    if version is None or not state_data:
        return no_update, no_update, no_update, no_update
    _state, _scope, model = _model(state_data)
    if model is None:
        return [], "", 1, "d-none"
    rows, info, last, cls = _page(model.experts, page, "experts")
    info += " · click a name for their deals, an amount for the deals behind it"
    return fs.expert_records(rows), info, last, cls


@callback(
    Output(ids.SUPPORT_WORK, "rowData"),
    Output(ids.SUPPORT_WORK_TITLE, "children"),
    Output(ids.SUPPORT_WORK_INFO, "children"),
    Output(ids.SUPPORT_WORK_PAGER, "max_value"),
    Output(ids.SUPPORT_WORK_PAGER, "className"),
    Input(ids.SUPPORT_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
    Input(ids.SUPPORT_WORK_PAGER, "active_page"),
    Input(ids.SUPPORT_EXPERT_PICKED, "data"),
)
def render_work(state_data, version, page, picked):
    """One page of the deals experts worked on (the picked expert's only, when one is)."""
    if version is None or not state_data:
        return (no_update,) * 5
    _state, _scope, model = _model(state_data)
    if model is None:
        return [], "Deals worked on", "", 1, "d-none"
    work = model.work
    title = "Deals worked on"
    if isinstance(picked, str) and picked in set(work["expert"]):
        work = work[work["expert"] == picked]
        title = f"Deals worked on by {picked}"
    rows, info, last, cls = _page(work, page, "expert × deal rows")
    info += " · click a deal for its details, a rep for their page"
    return fs.records(rows, [c["field"] for c in fs.work_columns()]), title, info, last, cls


@callback(
    Output(ids.SUPPORT_UNSUPPORTED, "rowData"),
    Output(ids.SUPPORT_UNSUPPORTED_INFO, "children"),
    Output(ids.SUPPORT_UNSUPPORTED_PAGER, "max_value"),
    Output(ids.SUPPORT_UNSUPPORTED_PAGER, "className"),
    Input(ids.SUPPORT_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
    Input(ids.SUPPORT_UNSUPPORTED_PAGER, "active_page"),
)
def render_unsupported(state_data, version, page):
    """One page of the large deals no expert worked on in the four weeks, largest first."""
    if version is None or not state_data:
        return no_update, no_update, no_update, no_update
    _state, _scope, model = _model(state_data)
    if model is None:
        return [], "", 1, "d-none"
    rows, info, last, cls = _page(model.unsupported, page, "deals")
    info += " · large: at least 2 × the team's average won deal (last 365 days)"
    return fs.records(rows, [c["field"] for c in fs.unsupported_columns()]), info, last, cls


@callback(
    Output(ids.SUPPORT_FOCUS, "rowData"),
    Output(ids.SUPPORT_FOCUS_INFO, "children"),
    Output(ids.SUPPORT_FOCUS_PAGER, "max_value"),
    Output(ids.SUPPORT_FOCUS_PAGER, "className"),
    Input(ids.SUPPORT_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
    Input(ids.SUPPORT_FOCUS_PAGER, "active_page"),
)
def render_focus(state_data, version, page):
    """One page of riders by focus share: busy elsewhere first, then the lowest shares."""
    if version is None or not state_data:
        return no_update, no_update, no_update, no_update
    _state, _scope, model = _model(state_data)
    if model is None:
        return [], "", 1, "d-none"
    rows, info, last, cls = _page(sm.focus_rows(model), page, "riders")
    info += (
        " · share of the last 14 days' activities on the deals that close the gap to quota · "
        "under half the team median: busy elsewhere · click a share for its activities"
    )
    return fs.focus_records(rows), info, last, cls


# --- clicks -----------------------------------------------------------------------------------


@callback(
    Output(ids.SUPPORT_EXPERT_PICKED, "data"),
    Input(ids.SUPPORT_EXPERTS, "cellClicked"),
    prevent_initial_call=True,
)
def pick_expert(cell):
    """Clicking an expert's name shows only their deals below (again: everyone's)."""
    if not isinstance(cell, dict) or cell.get("colId") != "expert":
        return no_update
    value = cell.get("value")
    return value if isinstance(value, str) and len(value) <= 255 else None


def _deal_key(row_id) -> tuple[str, str] | None:
    """``(source, deal_id)`` from a grid's row id (``source|deal_id[|expert]``)."""
    if not isinstance(row_id, str) or "|" not in row_id or len(row_id) > 1024:
        return None
    source, rest = row_id.split("|", 1)
    return source, rest.split("|", 1)[0]


@callback(
    Output(ids.SUPPORT_URL, "href"),
    Input(ids.SUPPORT_WORK, "cellClicked"),
    Input(ids.SUPPORT_UNSUPPORTED, "cellClicked"),
    Input(ids.SUPPORT_FOCUS, "cellClicked"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def open_rider(work_cell, deal_cell, focus_cell, canonical):
    """A rep's name opens their rider page (with the shared state)."""
    cell = {
        ids.SUPPORT_WORK: work_cell,
        ids.SUPPORT_UNSUPPORTED: deal_cell,
        ids.SUPPORT_FOCUS: focus_cell,
    }.get(ctx.triggered_id)
    if not isinstance(cell, dict) or cell.get("colId") != "rep":
        return no_update
    rep = cell.get("value")
    if not isinstance(rep, str) or not rep or len(rep) > 255:
        return no_update
    return urls.rider_path(rep, urls.search_of(canonical))


@callback(
    output=dict(
        is_open=Output(ids.SUPPORT_DEAL, "is_open"),
        title=Output(ids.SUPPORT_DEAL, "title"),
        body=Output(ids.SUPPORT_DEAL_BODY, "children"),
        rider_href=Output(ids.SUPPORT_DEAL_RIDER, "href"),
    ),
    inputs=[Input(ids.SUPPORT_WORK, "cellClicked"), Input(ids.SUPPORT_UNSUPPORTED, "cellClicked")],
    state=[State(ids.SUPPORT_STATE, "data"), State(ids.SHELL_CANONICAL, "data")],
    prevent_initial_call=True,
)
def open_deal(work_cell, deal_cell, state_data, canonical):
    """A deal's name opens the deal panel: its fields on the view's day and its trail.

    The deal is looked up in the viewer's own (scoped) model: ids from the browser reach no
    other row.
    """
    cell = work_cell if ctx.triggered_id == ids.SUPPORT_WORK else deal_cell
    if not isinstance(cell, dict) or cell.get("colId") != "deal_name":
        return no_update
    key = _deal_key(cell.get("rowId"))
    if key is None or not state_data:
        return no_update
    state, scope, model = _model(state_data)
    if model is None:
        return no_update
    deal = sm.deal_record(model, *key)
    if deal is None:
        return dict(
            is_open=True,
            title="Deal",
            body=dbc.Alert(
                "This deal is not among this view's deals this quarter.", color="warning"
            ),
            rider_href=no_update,
        )
    trail = cm.deal_trail(
        get_engine(), deal["source"], deal["deal_id"], model.as_of, model.quarter, scope=scope
    )
    return dict(
        is_open=True,
        title=str(deal.get("deal_name") or deal.get("deal_id")),
        body=make_deal_details(deal, trail),
        rider_href=urls.rider_path(deal["rep"], urls.search_of(canonical)),
    )


# --- rows behind ------------------------------------------------------------------------------


def support_trace(model: sm.SupportModel, trigger, value):
    """The rows behind what was clicked: a head figure, an expert's bar or amount, a share.

    Returns:
        (title, body) or None.
    """
    if isinstance(trigger, dict) and trigger.get("type") == ids.SUPPORT_KPI:
        trace = sm.totals_trace(model, trigger.get("key"))
        return (
            None if trace is None else (trace.title, make_trace_body(trace, ids.SUPPORT_TRACE_GRID))
        )
    if trigger == ids.SUPPORT_EXPERTS_CHART:
        try:
            kind, name = value["points"][0]["customdata"][:2]
        except (TypeError, KeyError, IndexError, ValueError):
            return None
        trace = sm.expert_trace(model, name) if kind == "expert" else None
        return (
            None if trace is None else (trace.title, make_trace_body(trace, ids.SUPPORT_TRACE_GRID))
        )
    if trigger == ids.SUPPORT_EXPERTS:
        if not isinstance(value, dict) or value.get("colId") != "open_amount":
            return None
        trace = sm.expert_trace(model, str(value.get("rowId") or ""), "open_amount")
        return (
            None if trace is None else (trace.title, make_trace_body(trace, ids.SUPPORT_TRACE_GRID))
        )
    if trigger == ids.SUPPORT_FOCUS:
        if not isinstance(value, dict) or value.get("colId") != "focus_share":
            return None
        trace = sm.focus_trace(model.focus, str(value.get("rowId") or ""))
        if trace is None:
            return None
        names = {
            (r["source"], r["deal_id"]): r["deal_name"]
            for r in model.flags[["source", "deal_id", "deal_name"]].to_dict("records")
        }
        return trace.title, fs.focus_trace_body(trace, names, ids.SUPPORT_TRACE_GRID)
    return None


@callback(
    output=dict(
        is_open=Output(ids.SUPPORT_TRACE, "is_open"),
        title=Output(ids.SUPPORT_TRACE, "title"),
        body=Output(ids.SUPPORT_TRACE_BODY, "children"),
    ),
    inputs=[
        Input({"type": ids.SUPPORT_KPI, "key": ALL}, "n_clicks"),
        Input(ids.SUPPORT_EXPERTS_CHART, "clickData"),
        Input(ids.SUPPORT_EXPERTS, "cellClicked"),
        Input(ids.SUPPORT_FOCUS, "cellClicked"),
    ],
    state=[State(ids.SUPPORT_STATE, "data")],
    prevent_initial_call=True,
)
def show_rows(_kpis, chart_click, expert_cell, focus_cell, state_data):
    """What a figure was made of, in the side panel."""
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value") or not state_data:
        return no_update
    value = {
        ids.SUPPORT_EXPERTS_CHART: chart_click,
        ids.SUPPORT_EXPERTS: expert_cell,
        ids.SUPPORT_FOCUS: focus_cell,
    }.get(trigger if isinstance(trigger, str) else "")
    _state, _scope, model = _model(state_data)
    found = support_trace(model, trigger, value) if model is not None else None
    if found is None:
        return no_update
    title, body = found
    return dict(is_open=True, title=title, body=body)


# --- exports ----------------------------------------------------------------------------------


@callback(
    Output(ids.SUPPORT_DOWNLOAD, "data"),
    Input({"type": ids.SUPPORT_EXPORT, "table": ALL, "fmt": ALL}, "n_clicks"),
    State(ids.SUPPORT_STATE, "data"),
    prevent_initial_call=True,
)
def export(_clicks, state_data):
    """A whole table (every row, not the page shown) as CSV or XLSX, formula cells neutralised."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update
    name, fmt = trigger.get("table"), trigger.get("fmt")
    if name not in sm.TABLES or fmt not in ("csv", "xlsx") or not state_data:
        return no_update
    state, _scope, model = _model(state_data)
    if model is None:
        return no_update
    table = sm.export_table(model, name)
    stem = ("support", name, state.quarter, state.team or "all-teams", model.as_of.isoformat())
    if fmt == "csv":
        return dcc.send_bytes(exports.to_csv_bytes(table), exports.safe_filename(*stem, ext="csv"))
    title = (
        f"{sm.TABLE_TITLES[name]} · {state.team or 'All teams'} · {state.quarter} · as of "
        f"{model.as_of.isoformat()} · generated {clock.today().isoformat()}"
    )
    return dcc.send_bytes(
        exports.to_xlsx_bytes(table, sheet=sm.TABLE_TITLES[name], title=title),
        exports.safe_filename(*stem, ext="xlsx"),
    )


__all__ = ["PAGE", "layout", "support_trace"]
