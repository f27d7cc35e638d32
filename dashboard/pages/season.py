"""The season (``/season``): the fiscal year as a Grand Tour of four stages.

The general classification (year to date won / quota and rank, each stage's result as a heat
strip, places gained since the comparison day), the team's year against quota and pace, pipeline
created per week against what next quarter needs, readiness at each quarter end, the stage flow
(the team's, or one rider's), ramp curves against the median and the riders sitting in
(docs/metrics.md#the-season). Every figure opens the rows behind it; the classification exports
to CSV and XLSX and each chart saves as PNG.

State lives in the URL (``year, team, as_of, since, window, rep, page, q``); ``layout`` is a
skeleton built from it with no store read, and ``render`` fills it from the cached season model.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)

from dashboard import auth, exports, ids, urls
from dashboard.figures import season as fs
from dashboard.figures import style as s
from dashboard.figures.common import GRAPH_CONFIG, blank_figure
from dashboard.models import season as sm
from dashboard.models.standings import SummaryError
from loaders import clock
from loaders.config import load_config
from loaders.store.engine import get_engine

PATH = "/season"
PAGE = {"path": PATH, "name": "Season", "title": "Team Car · Season"}
STATE_KEYS = ("year", "team", "as_of", "since", "window", "rep", "page", "q", "quarter")
OVERVIEW_RIDERS = 60  # above this many riders (all teams), the team overview comes first


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


def _card(title: str, body, png: str | None = None, note=None) -> html.Div:
    head = [html.H2(title, className="section-title")]
    if png:
        head.append(_png_button(png))
    return html.Div([html.Div(head, className="season-head"), note, body], className="panel")


def _graph(graph_id: str, height: int) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=blank_figure(height), config=GRAPH_CONFIG)


def clean_state(query: dict) -> dict:
    """The URL's keys this page reads, as short strings (anything else dropped)."""
    out = {}
    for key in STATE_KEYS:
        value = query.get(key)
        if isinstance(value, str | int) and str(value).strip():
            out[key] = str(value).strip()[:80]
    if out.get("team") == urls.ALL_TEAMS:
        out.pop("team")
    if out.get("window") not in sm.WINDOWS:
        out.pop("window", None)
    return out


def layout(**query):
    """A skeleton from the URL's query; ``render`` fills it (Dash also calls it bare)."""
    data = clean_state(query)
    window = data.get("window", "ytd")
    return html.Div(
        [
            dcc.Location(id=ids.SEASON_URL, refresh="callback-nav"),
            dcc.Store(id=ids.SEASON_STATE, data=data),
            dcc.Store(id=ids.SEASON_PNG_DONE),
            dcc.Download(id=ids.SEASON_DOWNLOAD),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div("The season", className="kpi-label"),
                            html.H1(
                                f"Season {data.get('year', '')}".strip(),
                                id=ids.SEASON_TITLE,
                                className="course-title",
                            ),
                            html.Div(id=ids.SEASON_SUBTITLE, className="course-subtitle muted"),
                        ]
                    ),
                    html.Div(
                        [
                            dbc.Button("CSV", id=ids.SEASON_EXPORT_CSV, size="sm", outline=True),
                            dbc.Button("XLSX", id=ids.SEASON_EXPORT_XLSX, size="sm", outline=True),
                        ],
                        className="season-exports",
                        title="The general classification as a spreadsheet",
                    ),
                ],
                className="course-head",
            ),
            html.Div(id=ids.SEASON_MESSAGE),
            html.Div(id=ids.SEASON_KPIS, className="season-kpis"),
            dbc.Row(
                [
                    dbc.Col(
                        _card(
                            "The year against quota",
                            _graph(ids.SEASON_YEAR, 240),
                            ids.SEASON_YEAR_PNG,
                            html.Div(
                                "Won in each stage (the current one in amber) against its quota "
                                "(black line); click a bar for its deals.",
                                className="season-note",
                            ),
                        ),
                        lg=4,
                    ),
                    dbc.Col(
                        _card(
                            "Pipeline created per week",
                            _graph(ids.SEASON_GENERATED, 240),
                            ids.SEASON_GENERATED_PNG,
                            html.Div(id=ids.SEASON_GENERATED_NOTE, className="season-note"),
                        ),
                        lg=5,
                    ),
                    dbc.Col(
                        _card(
                            "Readiness at stage ends",
                            _graph(ids.SEASON_READINESS, 240),
                            ids.SEASON_READINESS_PNG,
                        ),
                        lg=3,
                    ),
                ],
                className="g-3",
            ),
            html.Div(id=ids.SEASON_TEAMS),
            _card(
                "General classification",
                html.Div(
                    [
                        html.Div(
                            [
                                dbc.Input(
                                    id=ids.SEASON_SEARCH,
                                    type="search",
                                    placeholder="Find a rider or team",
                                    value=data.get("q", ""),
                                    debounce=True,
                                    size="sm",
                                    className="season-search",
                                ),
                                dbc.Pagination(
                                    id=ids.SEASON_PAGER,
                                    max_value=1,
                                    active_page=1,
                                    fully_expanded=False,
                                    size="sm",
                                ),
                                html.Span(id=ids.SEASON_GC_INFO, className="muted small"),
                            ],
                            className="season-gc-controls",
                        ),
                        html.Div(
                            fs.gc_grid(ids.SEASON_GC_GRID),
                            id=ids.SEASON_GC,
                            className="season-gc-wrap",
                        ),
                    ]
                ),
            ),
            dbc.Row(
                [
                    dbc.Col(
                        _card(
                            "Stage flow",
                            _graph(ids.SEASON_FLOW, 320),
                            ids.SEASON_FLOW_PNG,
                            html.Div(
                                [
                                    dbc.Select(
                                        id=ids.SEASON_WINDOW,
                                        options=[
                                            {"label": v, "value": k} for k, v in sm.WINDOWS.items()
                                        ],
                                        value=window,
                                        size="sm",
                                    ),
                                    dcc.Dropdown(
                                        id=ids.SEASON_REP,
                                        options=[],
                                        value=data.get("rep"),
                                        placeholder="The whole team (pick a rider)",
                                        clearable=True,
                                        className="season-rep",
                                    ),
                                ],
                                className="season-flow-controls",
                            ),
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        _card(
                            "Ramp: attainment by quarter of tenure",
                            _graph(ids.SEASON_RAMP, 320),
                            ids.SEASON_RAMP_PNG,
                        ),
                        lg=5,
                    ),
                ],
                className="g-3",
            ),
            _card("Sitting in", html.Div(id=ids.SEASON_SITTING)),
            dbc.Offcanvas(
                id=ids.SEASON_TRACE,
                is_open=False,
                placement="end",
                title="Rows behind",
                scrollable=True,
                className="trace-panel",
                children=html.Div(id=ids.SEASON_TRACE_BODY),
            ),
        ],
        className="season-page",
    )


# --- the model ---------------------------------------------------------------------------------


_VIEWER = object()


def _days(data: dict) -> sm.SeasonDays:
    return sm.resolve_days(
        data.get("year"),
        data.get("as_of"),
        data.get("since"),
        data.get("quarter"),
        start_month=load_config().fiscal_year_start_month,
    )


def _model(data: dict, scope=_VIEWER) -> sm.SeasonModel:
    days = _days(data)
    scope = auth.viewer_scope() if scope is _VIEWER else scope
    return sm.season_model(get_engine(), days.year, days.as_of, days.since, data.get("team"), scope)


def _allowed(data: dict | None) -> bool:
    return auth.team_allowed((data or {}).get("team"), auth.viewer_scope())


def _kpi(label: str, value: str, sub: str = "", key: str | None = None) -> html.Div:
    body = [html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value")]
    if sub:
        body.append(html.Div(sub, className="kpi-sub muted"))
    if key:
        return html.Button(
            body, id={"type": ids.SEASON_CELL, "key": key, "rep": ""}, className="kpi kpi-button"
        )
    return html.Div(body, className="kpi")


def _kpis(model: sm.SeasonModel) -> list:
    y, n = model.team_year, model.next_team
    sitting = int(model.gc["sitting_in"].sum())
    ramping = int(model.gc["ramping"].sum())
    return [
        _kpi("Won this year", s.money(y["won"]), f"of {s.money(y['year_quota'])} quota", "ytd_won"),
        _kpi("Year attainment", s.pct(y["attainment"]), f"pace {s.pct(y['pace'])}"),
        _kpi(
            "Against pace",
            s.money(y["pace_gap"], signed=True) if y["year_quota"] > 0 else s.MISSING,
            f"due by now {s.money(y['due'])}",
        ),
        _kpi(
            f"{n['quarter']} coverage",
            s.times(n["coverage"]),
            f"{s.money(n['open_next'])} open of {s.money(n['quota_next'])}",
            "next_open",
        ),
        _kpi("Sitting in", f"{sitting}", f"{ramping} ramping · {len(model.gc)} riders"),
    ]


def _sitting(model: sm.SeasonModel) -> html.Div:
    rows = model.gc[model.gc["sitting_in"]]
    if rows.empty:
        return html.Div(
            "No rider is sitting in: everyone's pipeline created or stage advances in the last "
            "4 weeks are at least half their team's median.",
            className="muted",
        )
    items = []
    for rep, r in rows.head(100).iterrows():
        items.append(
            html.Li(
                [
                    html.A(str(rep), href=urls.rider_path(str(rep))),
                    f" ({r['team']}, rank {s.MISSING if s.is_missing(r['rank']) else int(r['rank'])}): created ",
                    html.Button(
                        s.money(r["created"]),
                        id={"type": ids.SEASON_CELL, "key": "created_4w", "rep": str(rep)},
                        className="link-button",
                    ),
                    f" in 4 weeks (team median {s.money(r['team_created_median'])}), ",
                    html.Button(
                        f"{int(r['advances'])} stage advances",
                        id={"type": ids.SEASON_CELL, "key": "advances_4w", "rep": str(rep)},
                        className="link-button",
                    ),
                    f" (team median {float(r['team_advances_median']):g})",
                ]
            )
        )
    more = len(rows) - len(items)
    return html.Div(
        [
            html.Ul(items, className="season-sitting-list"),
            html.Div(f"and {more} more", className="muted") if more > 0 else None,
        ]
    )


@callback(
    output=dict(
        title=Output(ids.SEASON_TITLE, "children"),
        subtitle=Output(ids.SEASON_SUBTITLE, "children"),
        message=Output(ids.SEASON_MESSAGE, "children"),
        kpis=Output(ids.SEASON_KPIS, "children"),
        year=Output(ids.SEASON_YEAR, "figure"),
        generated=Output(ids.SEASON_GENERATED, "figure"),
        generated_note=Output(ids.SEASON_GENERATED_NOTE, "children"),
        readiness=Output(ids.SEASON_READINESS, "figure"),
        teams=Output(ids.SEASON_TEAMS, "children"),
        sitting=Output(ids.SEASON_SITTING, "children"),
        reps=Output(ids.SEASON_REP, "options"),
    ),
    inputs=[Input(ids.SEASON_STATE, "data"), Input(ids.SHELL_DATA_VERSION, "data")],
)
def render(data, _version):
    """Fill the season from the cached model (the viewer's scope applied on the server)."""
    data = clean_state(data or {})
    empty = dict(
        title=no_update,
        subtitle="",
        message=None,
        kpis=[],
        year=blank_figure(240),
        generated=blank_figure(240),
        generated_note="",
        readiness=blank_figure(240),
        teams=None,
        sitting=None,
        reps=[],
    )
    if not _allowed(data):
        return {
            **empty,
            "message": dbc.Alert(
                f"team {data.get('team')!r} is not among the teams you may see", color="warning"
            ),
        }
    try:
        model = _model(data)
    except SummaryError as exc:
        return {**empty, "message": dbc.Alert(str(exc), color="warning")}
    who = model.team or "All teams"
    n = model.next_team
    need = n.get("need_per_week")
    note = (
        f"Dashed: what {n['quarter']} still needs per week for the {model.next_team['weeks_left']} "
        f"weeks before it starts, {s.money(need)} (its quota at the win rate "
        f"{s.pct(n.get('win_rate'))}, less the {s.money(n['open_next'])} already open)."
        if need is not None
        else f"{n['quarter']}: no quota or no win rate yet, so no weekly need to draw."
    )
    overview = None
    if model.team is None and len(model.gc) > OVERVIEW_RIDERS:
        overview = _card(
            "Teams", fs.team_overview_table(sm.team_overview(model), ids.SEASON_TEAMS_GRID)
        )
    return dict(
        title=f"Season {model.year} · {who}",
        subtitle=(
            f"As of {s.day(model.as_of)} · stage {model.current.number} of 4 · places gained "
            f"since {s.day(model.since)}"
            + (" · stage history from the CRM's history" if model.history_sources else "")
        ),
        message=None,
        kpis=_kpis(model),
        year=fs.team_year_figure(model.team_year),
        generated=fs.generated_figure(model.weeks, need),
        generated_note=note,
        readiness=fs.readiness_figure(model.team_readiness),
        teams=overview,
        sitting=_sitting(model),
        reps=[{"label": str(r), "value": str(r)} for r in sorted(model.gc.index)],
    )


@callback(
    Output(ids.SEASON_GC_GRID, "rowData"),
    Output(ids.SEASON_GC_GRID, "columnDefs"),
    Output(ids.SEASON_PAGER, "max_value"),
    Output(ids.SEASON_PAGER, "active_page"),
    Output(ids.SEASON_GC_INFO, "children"),
    Input(ids.SEASON_STATE, "data"),
    Input(ids.SEASON_SEARCH, "value"),
    Input(ids.SEASON_PAGER, "active_page"),
    Input(ids.SHELL_DATA_VERSION, "data"),
)
def classification(data, text, page, _version):
    """One page of the general classification (search by rider or team), paged on the server:
    the grid's rows and its columns (the stages' names in the heat strip's headers)."""
    data = clean_state(data or {})
    if not _allowed(data):
        return [], no_update, 1, 1, ""
    try:
        model = _model(data)
    except SummaryError:
        return [], no_update, 1, 1, ""
    if ctx.triggered_id == ids.SEASON_SEARCH:
        page = 1
    elif ctx.triggered_id != ids.SEASON_PAGER:
        page = int(data.get("page") or 1) if str(data.get("page", "1")).isdigit() else 1
        text = data.get("q", text)
    rows, page, pages = sm.gc_page(model, int(page or 1), text or "")
    found = len(sm.search_riders(model.gc, text or ""))
    start = (page - 1) * sm.PAGE_SIZE
    info = f"{start + 1 if found else 0}–{start + len(rows)} of {found:,} riders"
    records = fs.gc_rows(rows, model.quarters, urls.rider_path)
    return records, fs.gc_columns(model.quarters), pages, page, info


def gc_click_key(cell: object, model: sm.SeasonModel) -> tuple[str, str] | None:
    """A click on the classification grid as (rows-behind key, rep), or None where the cell has
    nothing behind it: a stage cell -> that stage's won deals, Won YTD -> the won deals, the
    sitting-in flag -> the pipeline created in the last 4 weeks (the first of its two numbers;
    the Sitting in list below opens both)."""
    if not isinstance(cell, dict):
        return None
    col, rep = cell.get("colId"), cell.get("rowId")
    if not isinstance(col, str) or not isinstance(rep, str) or rep not in set(model.gc.index):
        return None
    if col == "ytd_won":
        return "ytd_won", rep
    if col == "flags":
        return ("created_4w", rep) if bool(model.gc.loc[rep, "sitting_in"]) else None
    stages = {f"att_{q.number}": f"stage:{q.name}" for q in model.quarters}
    if col in stages:
        return stages[col], rep
    return None


@callback(
    Output(ids.SEASON_FLOW, "figure"),
    Output(ids.SEASON_RAMP, "figure"),
    Input(ids.SEASON_STATE, "data"),
    Input(ids.SEASON_WINDOW, "value"),
    Input(ids.SEASON_REP, "value"),
    Input(ids.SHELL_DATA_VERSION, "data"),
)
def flow_and_ramp(data, window, rep, _version):
    """The stage flow over the chosen window (the team's, or one rider's) and the ramp curves."""
    data = clean_state(data or {})
    if not _allowed(data):
        return blank_figure(320), blank_figure(320)
    try:
        model = _model(data)
    except SummaryError:
        return blank_figure(320), blank_figure(320)
    window = window if window in sm.WINDOWS else "ytd"
    rep = rep if rep in set(model.gc.index) else None
    flow = model.flow(window, [rep] if rep else None)
    return fs.flow_figure(flow), fs.ramp_figure(model.ramp_curves, model.ramp_median, rep)


@callback(
    Output(ids.SEASON_URL, "href"),
    Input(ids.SEASON_WINDOW, "value"),
    Input(ids.SEASON_REP, "value"),
    State(ids.SEASON_STATE, "data"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def controls_to_url(window, rep, data, canonical):
    """The window and rider picked go into the address, so a pasted link shows the same."""
    search = urls.search_of(canonical)
    params = urls.parse(search)
    changes = {"window": window if window != "ytd" else None, "rep": rep or None}
    if all(params.get(k) == v for k, v in changes.items()):
        return no_update
    return PATH + urls.merge(search, **changes)


@callback(
    output=dict(
        is_open=Output(ids.SEASON_TRACE, "is_open"),
        title=Output(ids.SEASON_TRACE, "title"),
        body=Output(ids.SEASON_TRACE_BODY, "children"),
    ),
    inputs=[
        Input(ids.SEASON_GENERATED, "clickData"),
        Input(ids.SEASON_YEAR, "clickData"),
        Input(ids.SEASON_FLOW, "clickData"),
        Input({"type": ids.SEASON_CELL, "key": ALL, "rep": ALL}, "n_clicks"),
        Input(ids.SEASON_GC_GRID, "cellClicked"),
    ],
    state=[
        State(ids.SEASON_STATE, "data"),
        State(ids.SEASON_WINDOW, "value"),
        State(ids.SEASON_REP, "value"),
    ],
    prevent_initial_call=True,
)
def show_rows(gen_click, year_click, flow_click, _cells, gc_cell, data, window, rep):
    """A bar, a cell or a figure: the rows it was made of."""
    trigger = ctx.triggered_id
    key, who = None, None  # a grid click's key is read from the model (gc_click_key)
    clicks = {
        ids.SEASON_GENERATED: gen_click,
        ids.SEASON_YEAR: year_click,
        ids.SEASON_FLOW: flow_click,
    }
    if isinstance(trigger, str) and trigger in clicks:
        try:
            key = clicks[trigger]["points"][0]["customdata"]
        except (TypeError, KeyError, IndexError):
            return no_update
        if isinstance(key, list):
            key = key[0] if key else None
        who = rep if trigger == ids.SEASON_FLOW else None
    elif isinstance(trigger, dict) and trigger.get("type") == ids.SEASON_CELL:
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update
        key, who = trigger.get("key"), trigger.get("rep") or None
    data = clean_state(data or {})
    from_grid = trigger == ids.SEASON_GC_GRID
    if not (from_grid or isinstance(key, str)) or not _allowed(data):
        return no_update
    try:
        model = _model(data)
    except SummaryError:
        return no_update
    if from_grid:
        clicked = gc_click_key(gc_cell, model)
        if clicked is None:
            return no_update
        key, who = clicked
    if who is not None and who not in set(model.gc.index):
        return no_update
    try:
        trace = sm.season_trace(model, key, who, window if window in sm.WINDOWS else "ytd")
    except (KeyError, ValueError):
        return no_update
    return dict(is_open=True, title=trace.title, body=fs.trace_body(trace, ids.SEASON_TRACE_GRID))


@callback(
    Output(ids.SEASON_DOWNLOAD, "data"),
    Input(ids.SEASON_EXPORT_CSV, "n_clicks"),
    Input(ids.SEASON_EXPORT_XLSX, "n_clicks"),
    State(ids.SEASON_STATE, "data"),
    prevent_initial_call=True,
)
def export_classification(_csv, _xlsx, data):
    """The general classification as CSV or XLSX, built on the server (formula cells neutralised)."""
    trigger = ctx.triggered_id
    data = clean_state(data or {})
    if trigger not in (ids.SEASON_EXPORT_CSV, ids.SEASON_EXPORT_XLSX) or not _allowed(data):
        return no_update
    try:
        model = _model(data)
    except SummaryError:
        return no_update
    table = sm.export_table(model)
    stem = ("season", model.year, model.team or "all-teams", "as-of", model.as_of.isoformat())
    if trigger == ids.SEASON_EXPORT_CSV:
        return dcc.send_bytes(exports.to_csv_bytes(table), exports.safe_filename(*stem, ext="csv"))
    title = (
        f"General classification · {model.team or 'All teams'} · {model.year} as of "
        f"{model.as_of.isoformat()} · generated {clock.today().isoformat()}"
    )
    return dcc.send_bytes(
        exports.to_xlsx_bytes(table, sheet="Classification", title=title),
        exports.safe_filename(*stem, ext="xlsx"),
    )


# Chart PNGs are drawn by Plotly in the browser (the same image as the modebar's camera).
clientside_callback(
    """
    function() {
        const map = {"season-year-png": ["season-year-chart", "year"],
                     "season-generated-png": ["season-generated-chart", "pipeline-created"],
                     "season-readiness-png": ["season-readiness-chart", "readiness"],
                     "season-flow-png": ["season-flow-chart", "stage-flow"],
                     "season-ramp-png": ["season-ramp-chart", "ramp"]};
        const trig = (window.dash_clientside.callback_context.triggered || [])[0];
        if (!trig || !trig.value) { return window.dash_clientside.no_update; }
        const which = map[trig.prop_id.split(".")[0]];
        const gd = document.querySelector("#" + which[0] + " .js-plotly-plot");
        if (!gd) { return window.dash_clientside.no_update; }
        const q = new URLSearchParams(window.location.search);
        const name = ["season", which[1], q.get("year") || "", q.get("team") || ""]
            .filter(Boolean).join("-").replace(/[^A-Za-z0-9-]+/g, "-");
        window.Plotly.downloadImage(gd, {format: "png", scale: 2, filename: name,
                                         width: gd.clientWidth, height: gd.clientHeight});
        return trig.prop_id;
    }
    """,
    Output(ids.SEASON_PNG_DONE, "data"),
    Input(ids.SEASON_YEAR_PNG, "n_clicks"),
    Input(ids.SEASON_GENERATED_PNG, "n_clicks"),
    Input(ids.SEASON_READINESS_PNG, "n_clicks"),
    Input(ids.SEASON_FLOW_PNG, "n_clicks"),
    Input(ids.SEASON_RAMP_PNG, "n_clicks"),
    prevent_initial_call=True,
)
