"""Review (meeting mode): what changed since the last review, deal by deal, and where the quarter
stands.

The weekly pipeline meeting in one page: "since" and "now" pickers (default: the last two
snapshots a week apart), the waterfall (docs/metrics.md#waterfall-identity), the moved deals (sort, filter, group by
rep or movement; export to CSV and XLSX), the forecast roll-up by rep and the focus list of the
deals that close the gap to quota. Each chart saves as PNG; ``present=1`` turns the page into a
projector view (large type, no top bar). Clicking a waterfall bar or a figure lists the rows
behind it.

State lives in the URL (``quarter, team, as_of`` = now, ``since``, ``group``, ``present``); the
layout is a skeleton built from it, and ``render`` fills it from the cached review model.
"""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import (
    ALL,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from dashboard import auth, exports, ids, urls
from dashboard.figures import review as fr
from dashboard.figures import style as s
from dashboard.figures.common import GRAPH_CONFIG, blank_figure
from dashboard.figures.trace_view import make_trace_body
from dashboard.metrics import ROWS_BEHIND
from dashboard.metrics.movement import WATERFALL_KEYS
from dashboard.models import review as rm
from dashboard.models.trace import figure_trace, waterfall_trace
from dashboard.pages import calls, first_picture, plans, review_deal, track_record
from dashboard.reads import cache
from dashboard.serve import warm
from loaders import clock
from loaders.store.engine import get_engine

PATH = "/review"
# The route, registered by the app factory (dashboard.app.create_app).
PAGE = {"path": PATH, "name": "Review", "title": "Team Car · Review"}

GROUP_OPTIONS = [
    {"label": "No grouping", "value": "none"},
    {"label": "By rep", "value": "rep"},
    {"label": "By movement", "value": "category"},
]
GRID_DEFAULTS = {
    "sortable": True,
    "resizable": True,
    "filter": True,
    "floatingFilter": False,
    "suppressHeaderMenuButton": False,
}
# The roll-up grid's options; the render sends them whole with the pinned total row.
ROLLUP_OPTIONS = {"suppressCellFocus": True, "animateRows": False}
ROW_ID = "params.data.source + '|' + params.data.deal_id"


def _group(value: object) -> str:
    return value if value in ("rep", "category") else "none"


def _present(value: object) -> bool:
    return str(value or "").lower() in ("1", "true", "yes", "on")


def _png_button(button_id: str) -> dbc.Button:
    return dbc.Button(
        "PNG",
        id=button_id,
        size="sm",
        color="secondary",
        outline=True,
        className="png-button",
        title="Save this chart as a PNG image",
    )


def layout(**query):
    """The review for the URL's query: for a browser's layout request with its first picture
    drawn in, marked with what it shows (``first_picture``); otherwise a skeleton with no store
    reads that ``render`` fills (Dash also calls it bare)."""
    state = urls.resolve(query)
    group = _group(query.get("group"))
    present = _present(query.get("present"))
    data = {
        "view": state.to_dict(),
        "as_of": query.get("as_of"),
        "since": query.get("since"),
        "group": group,
        "present": present,
    }
    picker = {"size": "sm", "className": "since-select review-day"}
    picture, mark = first_picture.draw("Review", data, lambda: _picture(data))
    picture = picture or {}

    def first(key, default):
        return first_picture.initial(picture, key, default)

    return html.Div(
        [
            dcc.Location(id=ids.REVIEW_URL, refresh="callback-nav"),
            dcc.Store(id=ids.REVIEW_STATE, data=data),
            dcc.Store(id=ids.REVIEW_DRAWN, data=mark),
            dcc.Store(id=ids.REVIEW_NEED),
            dcc.Store(id=ids.REVIEW_PNG_DONE),
            dcc.Download(id=ids.REVIEW_DOWNLOAD),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div("Pipeline review", className="kpi-label"),
                            html.H1(
                                first(
                                    "title",
                                    state.quarter + (f" · {state.team}" if state.team else ""),
                                ),
                                id=ids.REVIEW_TITLE,
                                className="course-title",
                            ),
                            html.Div(
                                first("subtitle", None),
                                id=ids.REVIEW_SUBTITLE,
                                className="course-subtitle muted",
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Since", htmlFor=ids.REVIEW_SINCE, className="since-label"),
                            dbc.Select(
                                id=ids.REVIEW_SINCE,
                                options=first("since_options", []),
                                value=first("since", None),
                                **picker,
                            ),
                            html.Label("Now", htmlFor=ids.REVIEW_NOW, className="since-label"),
                            dbc.Select(
                                id=ids.REVIEW_NOW,
                                options=first("now_options", []),
                                value=first("now", None),
                                **picker,
                            ),
                            dbc.Button(
                                "Exit presentation" if present else "Present",
                                id=ids.REVIEW_PRESENT,
                                size="sm",
                                color="dark" if not present else "light",
                                className="present-button",
                                title="Large type and no top bar, for a projector",
                            ),
                        ],
                        className="since-box review-controls",
                    ),
                ],
                className="course-head",
            ),
            html.Div(first("message", None), id=ids.REVIEW_MESSAGE),
            dcc.Loading(
                html.Div(first("kpis", None), id=ids.REVIEW_KPIS, className="strip-holder"),
                delay_show=400,
                type="dot",
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H2("What changed", className="section-title"),
                                    html.Span(
                                        "the quarter's open pipeline from “since” to “now” · "
                                        "click a bar for its deals",
                                        className="section-hint",
                                    ),
                                ]
                            ),
                            _png_button(ids.REVIEW_WATERFALL_PNG),
                        ],
                        className="section-head review-section-head",
                    ),
                    dcc.Graph(
                        id=ids.REVIEW_WATERFALL,
                        figure=first("waterfall", blank_figure(360)),
                        config=GRAPH_CONFIG,
                        className="review-graph",
                    ),
                    html.Div(
                        first("waterfall_note", None),
                        id=ids.REVIEW_WATERFALL_NOTE,
                        className="review-note",
                    ),
                ],
                className="panel",
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H2("Moved deals", className="section-title"),
                                    html.Span(
                                        first("moved_info", None),
                                        id=ids.REVIEW_MOVED_INFO,
                                        className="section-hint",
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    dbc.RadioItems(
                                        id=ids.REVIEW_GROUP,
                                        options=GROUP_OPTIONS,
                                        value=group,
                                        inline=True,
                                        className="btn-group lanes-view",
                                        inputClassName="btn-check",
                                        labelClassName="btn btn-sm btn-outline-secondary",
                                        labelCheckedClassName="active",
                                    ),
                                    dbc.Input(
                                        id=ids.REVIEW_SEARCH,
                                        type="search",
                                        placeholder="Find a deal…",
                                        size="sm",
                                        className="lane-search",
                                        debounce=False,
                                    ),
                                    dbc.Button(
                                        "CSV",
                                        id=ids.REVIEW_EXPORT_CSV,
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                        title="Download the table as CSV",
                                    ),
                                    dbc.Button(
                                        "XLSX",
                                        id=ids.REVIEW_EXPORT_XLSX,
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                        title="Download the table as an Excel workbook",
                                    ),
                                ],
                                className="course-tools",
                            ),
                        ],
                        className="section-head course-head-row",
                    ),
                    dag.AgGrid(
                        id=ids.REVIEW_MOVED,
                        columnDefs=fr.moved_columns(None if group == "none" else group, present),
                        rowData=first("moved", []),
                        defaultColDef=GRID_DEFAULTS,
                        getRowId=ROW_ID,
                        dashGridOptions={
                            "enableCellSpan": True,
                            "animateRows": False,
                            "tooltipShowDelay": 400,
                            "suppressCellFocus": True,
                            "localeText": {"noRowsToShow": "No deal moved between these days"},
                        },
                        className="review-grid",
                        style={"height": "460px"},
                    ),
                ],
                className="panel",
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H2("Forecast roll-up", className="section-title"),
                                    html.Span(
                                        "won, commit and best case against quota, by rep · click a "
                                        "rep's name to open their page",
                                        className="section-hint",
                                    ),
                                ]
                            ),
                            _png_button(ids.REVIEW_ROLLUP_PNG),
                        ],
                        className="section-head review-section-head",
                    ),
                    dbc.Row(
                        [
                            dbc.Col(
                                dcc.Graph(
                                    id=ids.REVIEW_ROLLUP_CHART,
                                    figure=first("rollup_chart", blank_figure(300)),
                                    config=GRAPH_CONFIG,
                                    className="review-graph",
                                ),
                                lg=5,
                            ),
                            dbc.Col(
                                dag.AgGrid(
                                    id=ids.REVIEW_ROLLUP,
                                    columnDefs=fr.rollup_columns(),
                                    rowData=first("rollup", []),
                                    defaultColDef=GRID_DEFAULTS,
                                    getRowId="params.data.rep",
                                    dashGridOptions=first("rollup_options", ROLLUP_OPTIONS),
                                    className="review-grid",
                                    style={"height": "560px"},
                                ),
                                lg=7,
                            ),
                        ],
                        className="g-3",
                    ),
                ],
                className="panel",
            ),
            calls.calls_panel("review", state),
            html.Section(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H2("Focus list", className="section-title"),
                                    html.Span(
                                        first("focus_info", None),
                                        id=ids.REVIEW_FOCUS_INFO,
                                        className="section-hint",
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    review_deal.plans_export_tools(),
                                    _png_button(ids.REVIEW_FOCUS_PNG),
                                ],
                                className="plan-tools",
                            ),
                        ],
                        className="section-head review-section-head",
                    ),
                    dbc.Row(
                        [
                            dbc.Col(
                                dcc.Graph(
                                    id=ids.REVIEW_FOCUS_CHART,
                                    figure=first("focus_chart", blank_figure(300)),
                                    config=GRAPH_CONFIG,
                                    className="review-graph",
                                ),
                                lg=5,
                            ),
                            dbc.Col(
                                dag.AgGrid(
                                    id=ids.REVIEW_FOCUS,
                                    columnDefs=plans.plan_columns(fr.focus_columns(), "rep"),
                                    rowData=first("focus", []),
                                    defaultColDef={**GRID_DEFAULTS, "filter": False},
                                    getRowId=ROW_ID,
                                    dashGridOptions={
                                        "suppressCellFocus": True,
                                        "animateRows": False,
                                        "tooltipShowDelay": 400,
                                    },
                                    className="review-grid",
                                    style={"height": "400px"},
                                ),
                                lg=7,
                            ),
                        ],
                        className="g-3",
                    ),
                ],
                className="panel",
            ),
            track_record.track_record_panel(state),
            dbc.Offcanvas(
                id=ids.REVIEW_TRACE,
                is_open=False,
                placement="end",
                title="Rows behind",
                scrollable=True,
                className="trace-panel",
                children=html.Div(id=ids.REVIEW_TRACE_BODY),
            ),
            review_deal.deal_panel(),
        ],
        id=ids.REVIEW_PAGE,
        className="review-page" + (" present-mode" if present else ""),
    )


# --- render -----------------------------------------------------------------------------------


def _days(data: dict) -> tuple[urls.ViewState, dt.date, dt.date, list[dt.date]]:
    state = urls.ViewState.from_dict(data["view"])
    days = rm.snapshot_days(get_engine())
    now, since = rm.resolve_days(
        {"as_of": data.get("as_of"), "since": data.get("since")}, days, state.quarter
    )
    return state, now, since, days


def _allowed(data: dict | None) -> bool:
    """Whether the team the browser names (if any) is one the viewer may see."""
    team = urls.ViewState.from_dict(data["view"]).team if data else None
    return auth.team_allowed(team, auth.viewer_scope())


_VIEWER = object()  # "the signed-in viewer's scope" (None would mean all teams)


def _model(data: dict, scope=_VIEWER) -> tuple[rm.ReviewModel, urls.ViewState, list[dt.date]]:
    state, now, since, days = _days(data)
    scope = auth.viewer_scope() if scope is _VIEWER else scope
    model = rm.review_model(get_engine(), state.quarter, now, since, state.team, scope)
    return model, state, days


def _day_label(day: dt.date, days: set[dt.date]) -> str:
    text = f"{day:%a} {s.day(day)}"
    return text if day in days else text + " (no snapshot that day)"


def _counts(model: rm.ReviewModel) -> dict[str, int]:
    counts = model.movement["category"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


@callback(
    output=dict(
        title=Output(ids.REVIEW_TITLE, "children"),
        subtitle=Output(ids.REVIEW_SUBTITLE, "children"),
        message=Output(ids.REVIEW_MESSAGE, "children"),
        since_options=Output(ids.REVIEW_SINCE, "options"),
        since=Output(ids.REVIEW_SINCE, "value"),
        now_options=Output(ids.REVIEW_NOW, "options"),
        now=Output(ids.REVIEW_NOW, "value"),
        kpis=Output(ids.REVIEW_KPIS, "children"),
        waterfall=Output(ids.REVIEW_WATERFALL, "figure"),
        waterfall_note=Output(ids.REVIEW_WATERFALL_NOTE, "children"),
        moved=Output(ids.REVIEW_MOVED, "rowData"),
        moved_info=Output(ids.REVIEW_MOVED_INFO, "children"),
        rollup=Output(ids.REVIEW_ROLLUP, "rowData"),
        rollup_options=Output(ids.REVIEW_ROLLUP, "dashGridOptions"),
        rollup_chart=Output(ids.REVIEW_ROLLUP_CHART, "figure"),
        focus=Output(ids.REVIEW_FOCUS, "rowData"),
        focus_chart=Output(ids.REVIEW_FOCUS_CHART, "figure"),
        focus_info=Output(ids.REVIEW_FOCUS_INFO, "children"),
        drawn=Output(ids.REVIEW_DRAWN, "data"),
    ),
    inputs=first_picture.gate(ids.REVIEW_STATE, ids.REVIEW_DRAWN, ids.REVIEW_NEED),
    state=[State(ids.REVIEW_DRAWN, "data")],
    prevent_initial_call=True,  # the browser's gate fires it when the layout holds no picture
)
def render(data, version, _need=None, drawn=None):
    """Draw the review for the URL's days and team with the store's current data (outputs by
    name); not when the layout holds this very picture (``first_picture``), and any draw
    clears that mark."""
    if version is None or not data:
        return no_update
    if first_picture.already_drawn(drawn, data, version):
        raise PreventUpdate
    return {**_picture(data), "drawn": None}


def _picture(data: dict) -> dict:
    """``render``'s outputs for the review state ``data`` as the viewer may see it."""
    if not _allowed(data):
        state = urls.ViewState.from_dict(data["view"])
        msg = dbc.Alert(auth.not_allowed_text(state.team), color="warning")
        title = state.quarter + f" · {state.team}"
        return {**_nothing_drawn(title, "", msg), "rollup_options": ROLLUP_OPTIONS}
    scope = auth.viewer_scope()
    drawn = dict(  # a copy: the cache keeps the one _draw returned
        cache.cached("review-render", get_engine(), _key(data, scope), lambda: _draw(data, scope))
    )
    # The roll-up's total row is pinned below the grid through the grid's options, sent whole: a
    # Patch that lands after the manager has left the page fails on the unmounted grid.
    options = {**ROLLUP_OPTIONS, "pinnedBottomRowData": drawn.pop("rollup_total")}
    # each focus deal's plan, read at each draw (a plan edit changes no data version)
    now = _days(data)[1]
    drawn["focus"] = plans.with_plan_state(drawn["focus"], get_engine(), scope, now)
    return {**drawn, "rollup_options": options}


def _nothing_drawn(
    title: str,
    subtitle: str,
    message,
    *,
    since_options: list | None = None,
    since: str | None = None,
    now_options: list | None = None,
    now: str | None = None,
) -> dict:
    """The outputs of a review with nothing to draw, but for the roll-up's grid options (the
    caller's): the message, the day pickers as given, empty grids and blank charts."""
    return dict(
        title=title,
        subtitle=subtitle,
        message=message,
        since_options=since_options or [],
        since=since,
        now_options=now_options or [],
        now=now,
        kpis=None,
        waterfall=blank_figure(120),
        waterfall_note="",
        moved=[],
        moved_info="",
        rollup=[],
        rollup_chart=blank_figure(120),
        focus=[],
        focus_chart=blank_figure(120),
        focus_info="",
    )


@warm.on_new_data("review-view")
def _warm_landing(engine) -> None:
    """The Review as it opens for all teams, drawn when data lands (``dashboard.serve.warm``)."""
    del engine  # the page reads the store the app is serving
    data = {
        "view": urls.resolve({}).to_dict(),
        "as_of": None,
        "since": None,
        "group": _group(None),
        "present": False,
    }
    cache.cached("review-render", get_engine(), _key(data, None), lambda: _draw(data, None))


def _key(data: dict, scope) -> tuple:
    """What the drawn review depends on: the resolved days, the team, the mode and the scope."""
    state, now, since, _days_ = _days(data)
    return (
        state.quarter,
        state.team,
        now.isoformat(),
        since.isoformat(),
        data.get("group"),
        bool(data.get("present")),
        tuple(scope) if scope is not None else None,
    )


def _draw(data: dict, scope) -> dict:
    """The review's outputs for ``data`` by name (figures as plain dicts), with the roll-up's
    total row (``rollup_total``) in place of the grid options patch ``render`` makes of it. The
    same for every viewer with the same scope."""
    model, state, days = _model(data, scope)
    title = state.quarter + (f" · {state.team}" if state.team else "")
    known = set(days)
    offered = rm.day_options(days, model.quarter, [model.as_of, model.since])
    since_opts = [
        {"label": _day_label(d, known), "value": d.isoformat()} for d in offered if d < model.as_of
    ]
    now_opts = [
        {"label": _day_label(d, known), "value": d.isoformat()} for d in offered if d > model.since
    ]
    span = (model.as_of - model.since).days
    who = state.team or "All teams"
    counts = _counts(model)
    n_moved = sum(v for k, v in counts.items() if k != "unchanged")
    subtitle = (
        f"{who} · {s.day(model.since)} → {s.day(model.as_of)} ({span} day"
        f"{'s' if span != 1 else ''}) · {n_moved:,} deal{'s' if n_moved != 1 else ''}"
        " moved"
    )
    message = _message(days, model)
    if not days:
        empty = _nothing_drawn(
            title,
            subtitle,
            message,
            since_options=since_opts,
            since=model.since.isoformat(),
            now_options=now_opts,
            now=model.as_of.isoformat(),
        )
        return {**empty, "rollup_total": []}
    kpis = fr.make_review_kpis(model.figures, model.waterfall, counts, kind=ids.REVIEW_KPI)
    present = bool(data.get("present"))
    waterfall = fr.make_waterfall_figure(
        model.waterfall,
        counts,
        since=model.since,
        as_of=model.as_of,
        height=440 if present else 380,
        large=present,
    ).to_plotly_json()
    note = fr.waterfall_note(model.waterfall, counts)
    moved = rm.moved_deals(model, get_engine(), limit=rm.GRID_ROW_LIMIT)
    rows = rm.grid_records(moved)
    info = _moved_info(n_moved, len(rows))
    roll = rm.rollup(model)
    roll_rows = _records(roll)
    focus, focus_info = rm.focus_list(model)
    return dict(
        title=title,
        subtitle=subtitle,
        message=message,
        since_options=since_opts,
        since=model.since.isoformat(),
        now_options=now_opts,
        now=model.as_of.isoformat(),
        kpis=kpis,
        waterfall=waterfall,
        waterfall_note=note,
        moved=rows,
        moved_info=info,
        rollup=roll_rows,
        rollup_total=[_plain_dict(rm.rollup_total(model))],
        rollup_chart=fr.make_rollup_figure(roll).to_plotly_json(),
        focus=_records(focus),
        focus_chart=fr.make_focus_figure(focus, focus_info["gap"]).to_plotly_json(),
        focus_info=fr.focus_note(focus_info),
    )


def _message(days: list[dt.date], model: rm.ReviewModel):
    if not days:
        return dbc.Alert(
            [
                html.B("No pipeline snapshots yet. "),
                "Load exports with ",
                html.Code("teamcar load"),
                " or upload one on the Data page.",
            ],
            color="info",
        )
    if not [d for d in days if d <= model.since]:
        return dbc.Alert(
            f"No snapshot was taken on or before {s.day(model.since)}: every deal "
            "counts as new. Pick a later “since” day.",
            color="warning",
        )
    return None


def _moved_info(total: int, shown: int) -> str:
    if total == 0:
        return "nothing moved between these days"
    more = f" · the {shown:,} largest shown, the export has all" if shown < total else ""
    return (
        f"{total:,} deal{'s' if total != 1 else ''}{more} · sort, filter or group; the "
        "export follows the filters · click a deal for its details and plan"
    )


def _plain_dict(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            out[k] = None
        elif hasattr(v, "item"):
            out[k] = v.item()
        elif isinstance(v, dt.date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out


def _records(df: pd.DataFrame) -> list[dict]:
    return [_plain_dict(r) for r in df.to_dict("records")]


# --- controls -> URL --------------------------------------------------------------------------


@callback(
    Output(ids.REVIEW_URL, "href"),
    Input(ids.REVIEW_SINCE, "value"),
    Input(ids.REVIEW_NOW, "value"),
    Input(ids.REVIEW_GROUP, "value"),
    Input(ids.REVIEW_PRESENT, "n_clicks"),
    State(ids.REVIEW_STATE, "data"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def controls_to_url(since, now, group, present_clicks, data, canonical):
    """The pickers, the grouping and the presentation toggle write the URL (as ``href``: the
    router redraws the page from it)."""
    if not data:
        return no_update
    search = urls.search_of(canonical)
    trigger = ctx.triggered_id
    if trigger == ids.REVIEW_PRESENT and present_clicks:
        return PATH + urls.merge(search, present=None if data.get("present") else 1)
    if trigger == ids.REVIEW_GROUP and group and group != data.get("group"):
        return PATH + urls.merge(search, group=None if group == "none" else group)
    if trigger in (ids.REVIEW_SINCE, ids.REVIEW_NOW):
        state, cur_now, cur_since, days = _days(data)
        new_now = urls.parse_day(now) or cur_now
        new_since = urls.parse_day(since) or cur_since
        if new_now == cur_now and new_since == cur_since:
            return no_update
        if new_since >= new_now:
            earlier = [d for d in days if d <= new_now - dt.timedelta(days=7)]
            new_since = earlier[-1] if earlier else new_now - dt.timedelta(days=7)
        return PATH + urls.merge(search, as_of=new_now.isoformat(), since=new_since.isoformat())
    return no_update


@callback(
    Output(ids.REVIEW_MOVED, "dashGridOptions"),
    Input(ids.REVIEW_SEARCH, "value"),
    prevent_initial_call=True,
)
def search_deals(text):
    """The quick filter of the moved deals (the grid filters in the browser)."""
    patch = Patch()
    patch["quickFilterText"] = text or ""
    return patch


@callback(
    Output(ids.REVIEW_URL, "href", allow_duplicate=True),
    Input(ids.REVIEW_ROLLUP, "cellClicked"),
    State(ids.REVIEW_ROLLUP, "rowData"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def open_rider(cell, rows, canonical):
    """Clicking a rep in the roll-up opens their rider page."""
    if not cell or cell.get("colId") != "rep" or cell.get("rowPinned"):
        return no_update
    rep = cell.get("value")
    names = {r.get("rep") for r in rows or []}
    if not rep or rep not in names:
        return no_update
    return urls.rider_path(rep, urls.search_of(canonical))


# --- rows behind a figure ---------------------------------------------------------------------


@callback(
    output=dict(
        is_open=Output(ids.REVIEW_TRACE, "is_open"),
        title=Output(ids.REVIEW_TRACE, "title"),
        body=Output(ids.REVIEW_TRACE_BODY, "children"),
    ),
    inputs=[
        Input(ids.REVIEW_WATERFALL, "clickData"),
        Input({"type": ids.REVIEW_KPI, "key": ALL}, "n_clicks"),
    ],
    state=[State(ids.REVIEW_STATE, "data")],
    prevent_initial_call=True,
)
def show_rows(click, _kpi_clicks, data):
    """A waterfall bar or a figure card: the rows it was made of, re-adding to it."""
    trigger = ctx.triggered_id
    key, kind = None, "bar"
    if trigger == ids.REVIEW_WATERFALL:
        try:
            key = click["points"][0]["customdata"]
        except (TypeError, KeyError, IndexError):
            return no_update
    elif isinstance(trigger, dict) and trigger.get("type") == ids.REVIEW_KPI:
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update
        key, kind = trigger.get("key"), "figure"
    if not key or not _allowed(data):
        return no_update
    model, _state, _days = _model(data)
    trace = review_trace(model, key, kind)
    if trace is None:
        return no_update
    return dict(is_open=True, title=trace.title, body=make_trace_body(trace, ids.REVIEW_TRACE_GRID))


def review_trace(model: rm.ReviewModel, key: str, kind: str = "bar"):
    """The rows behind a waterfall bar (``kind="bar"``) or a figure of docs/metrics.md (``kind="figure"``; the
    "pipeline now" card is the waterfall's end bar); None for an unknown key."""
    if kind == "figure" and key == "end":
        kind = "bar"
    if kind == "bar" and (key in WATERFALL_KEYS or key == "won_new"):
        return waterfall_trace(model.movement, key)
    if kind == "figure" and key in ROWS_BEHIND:
        return figure_trace(model.flags, key, model.riders)
    return None


# --- exports ----------------------------------------------------------------------------------


@callback(
    Output(ids.REVIEW_DOWNLOAD, "data"),
    Input(ids.REVIEW_EXPORT_CSV, "n_clicks"),
    Input(ids.REVIEW_EXPORT_XLSX, "n_clicks"),
    State(ids.REVIEW_STATE, "data"),
    State(ids.REVIEW_MOVED, "filterModel"),
    State(ids.REVIEW_MOVED, "virtualRowData"),
    State(ids.REVIEW_SEARCH, "value"),
    prevent_initial_call=True,
)
def export_moved(_csv, _xlsx, data, filter_model, visible, search):
    """The moved deals as CSV or XLSX, built on the server (formula cells neutralised).

    With a filter or search on, the file holds the rows the grid shows, in its order; the values
    always come from the store, never from the browser.
    """
    trigger = ctx.triggered_id
    if (
        trigger not in (ids.REVIEW_EXPORT_CSV, ids.REVIEW_EXPORT_XLSX)
        or not data
        or not _allowed(data)
    ):
        return no_update
    model, state, _days = _model(data)
    table = export_rows_for(model, filter_model, visible, search)
    stem = (
        "review",
        state.quarter,
        state.team or "all-teams",
        model.since.isoformat(),
        "to",
        model.as_of.isoformat(),
    )
    if trigger == ids.REVIEW_EXPORT_CSV:
        return dcc.send_bytes(exports.to_csv_bytes(table), exports.safe_filename(*stem, ext="csv"))
    title = (
        f"Moved deals · {state.team or 'All teams'} · {state.quarter} · "
        f"{model.since.isoformat()} → {model.as_of.isoformat()} · generated "
        f"{clock.today().isoformat()}"
    )
    return dcc.send_bytes(
        exports.to_xlsx_bytes(table, sheet="Moved deals", title=title),
        exports.safe_filename(*stem, ext="xlsx"),
    )


def export_rows_for(
    model: rm.ReviewModel, filter_model: dict | None, visible: list | None, search: str | None
) -> pd.DataFrame:
    """The export table: every moved deal, or those the grid shows when it is filtered."""
    moved = rm.moved_deals(model, get_engine())
    if (filter_model or (search or "").strip()) and visible is not None:
        keys = [
            (str(r.get("source")), str(r.get("deal_id"))) for r in visible if isinstance(r, dict)
        ]
        order = {k: i for i, k in enumerate(keys)}
        key = list(zip(moved["source"].astype(str), moved["deal_id"].astype(str), strict=True))
        pos = pd.Series([order.get(k) for k in key], index=moved.index, dtype="float64")
        moved = (
            moved[pos.notna().to_numpy()]
            .assign(_pos=pos.dropna().to_numpy())
            .sort_values("_pos")
            .drop(columns="_pos")
        )
    return rm.export_table(moved)


# Chart PNGs are drawn by Plotly in the browser (the same image as the modebar's camera).
clientside_callback(
    """
    function(a, b, c) {
        const map = {"review-waterfall-png": ["review-waterfall", "waterfall"],
                     "review-rollup-png": ["review-rollup-chart", "forecast-rollup"],
                     "review-focus-png": ["review-focus-chart", "focus-list"]};
        const trig = (window.dash_clientside.callback_context.triggered || [])[0];
        if (!trig || !trig.value) { return window.dash_clientside.no_update; }
        const which = map[trig.prop_id.split(".")[0]];
        const gd = document.querySelector("#" + which[0] + " .js-plotly-plot");
        if (!gd) { return window.dash_clientside.no_update; }
        const q = new URLSearchParams(window.location.search);
        const name = ["review", which[1], q.get("quarter") || "", q.get("team") || ""]
            .filter(Boolean).join("-").replace(/[^A-Za-z0-9-]+/g, "-");
        window.Plotly.downloadImage(gd, {format: "png", scale: 2, filename: name,
                                         width: gd.clientWidth, height: gd.clientHeight});
        return trig.prop_id;
    }
    """,
    Output(ids.REVIEW_PNG_DONE, "data"),
    Input(ids.REVIEW_WATERFALL_PNG, "n_clicks"),
    Input(ids.REVIEW_ROLLUP_PNG, "n_clicks"),
    Input(ids.REVIEW_FOCUS_PNG, "n_clicks"),
    prevent_initial_call=True,
)
