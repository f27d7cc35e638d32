"""Rider (``/rider/<rep>``): the 1:1 between a manager and one rep.

The rep's own course and where they stand; where they'll land (the forecast trend with the
landing range as a fan, the range in numbers, and the math: bucket rates with their counts and
each open deal's amount × rate); attainment against pace over the quarter; what must be true to
finish on target at their own win rate and deal size; their deals with flags (stale, past due,
pushed N times, no next step, a large deal without expert support); activity by week and type
against the team's median; readiness with its components, inputs and trend; tenure and ramp
stage; and coaching notes that persist in the store with their author and time. Clicking a figure,
a point of the forecast trend or a readiness component lists the rows behind it.

``/rider`` with no rep lists the riders to pick from. The layout is a skeleton from the URL (Dash
also calls it bare); callbacks read the cached rider model (``dashboard.models.rider``).
"""

from __future__ import annotations

import dash_ag_grid as dag
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

from dashboard import auth, ids, urls
from dashboard.figures import forecast as ff
from dashboard.figures import make_course_figure
from dashboard.figures import rider as fr
from dashboard.figures import season as fseason
from dashboard.figures import style as s
from dashboard.figures import support as fsup
from dashboard.figures.common import GRAPH_CONFIG, blank_figure
from dashboard.figures.trace_view import make_trace_body
from dashboard.metrics import ROWS_BEHIND
from dashboard.metrics.readiness import COMPONENTS
from dashboard.models import course as cm
from dashboard.models import forecast as fm
from dashboard.models import rider as rdm
from dashboard.models import season as sm
from dashboard.models import support as sup
from dashboard.models.standings import SummaryError, summary_for
from dashboard.models.trace import component_trace, figure_trace
from dashboard.pages import calls, first_picture, plans
from dashboard.reads import notes
from dashboard.serve import live
from loaders import clock
from loaders.store.engine import get_engine

# The route, registered by the app factory (dashboard.app.create_app).
PAGE = {
    "path": "/rider",
    "path_template": "/rider/<rep>",
    "name": "Rider",
    "title": "Team Car · Rider",
}

LANE_CONFIG = {"displaylogo": False, "displayModeBar": False}
RAMP_WORDS = {
    "onboarding": "Onboarding (first 90 days)",
    "ramping": "Ramping (days 91–180)",
    "ramped": "Ramped",
    "not started": "Not started yet",
}


def _section(
    title: str, body, hint=None, hint_id: str | None = None, extra=None, className: str = "panel"
) -> html.Section:
    hint_el = None
    if hint_id:
        hint_el = html.Span(hint, id=hint_id, className="section-hint")
    elif hint:
        hint_el = html.Span(hint, className="section-hint")
    head = [html.Div([html.H2(title, className="section-title"), hint_el])]
    if extra is not None:
        head.append(extra)
    return html.Section(
        [html.Div(head, className="section-head review-section-head"), body], className=className
    )


def _signed_author() -> dict:
    """A signed-in viewer writes notes under their own name (the field shows it, locked)."""
    viewer = auth.current_viewer()
    return {"value": viewer.name, "disabled": True} if viewer else {}


def _forecast_section() -> html.Section:
    """Where they'll land: the trend with the landing fan, the range in numbers, and the math."""
    return _section(
        "Where they'll land",
        html.Div(
            [
                dbc.Row(
                    [
                        dbc.Col(
                            dcc.Graph(
                                id=ids.RIDER_FORECAST,
                                figure=blank_figure(340),
                                config=GRAPH_CONFIG,
                            ),
                            lg=8,
                        ),
                        dbc.Col(html.Div(id=ids.RIDER_FORECAST_RANGE), lg=4),
                    ],
                    className="g-3",
                ),
                dbc.Button(
                    "Show the math",
                    id=ids.RIDER_FORECAST_MATH_TOGGLE,
                    size="sm",
                    color="secondary",
                    outline=True,
                    className="forecast-math-toggle",
                ),
                dbc.Collapse(
                    html.Div(
                        [
                            html.H3("Bucket rates", className="forecast-math-title"),
                            html.Div(id=ids.RIDER_FORECAST_RATES),
                            html.H3("Open deals × rate", className="forecast-math-title"),
                            html.Div(id=ids.RIDER_FORECAST_DEALS),
                        ],
                        className="forecast-math",
                    ),
                    id=ids.RIDER_FORECAST_MATH,
                    is_open=False,
                ),
            ]
        ),
        hint_id=ids.RIDER_FORECAST_INFO,
        className="panel forecast-panel",
    )


def layout(rep: str | None = None, **query):
    """The page for ``rep`` (or the picker when there is none): for a browser's layout request
    with its first picture drawn in (``_first_picture``), otherwise a skeleton that the
    callbacks fill (Dash also calls it bare)."""
    state = urls.resolve(query)
    name = urls.rep_from_path(rep)
    data = {"rep": name, "view": state.to_dict()}
    page = _skeleton(name, state, data)
    drawn, mark = first_picture.draw("Rider", data, lambda: _first_picture(data))
    if drawn:
        for outputs, values in drawn:
            first_picture.fill(page, outputs, values)
        first_picture.fill(page, {"mark": Output(ids.RIDER_DRAWN, "data")}, {"mark": mark})
    return page


def _first_picture(data: dict) -> list[tuple[dict, dict]]:
    """What the callbacks' first calls give, by their outputs: the whole page. The trend and the
    season were their own callbacks' first answers until both were read from kept tables (the
    trend 0.02 s, the season's stage flow 0.02 s at 2,000 reps): as a second round after the
    layout they cost the first visit about 0.35 s (five requests on the browser's connections to
    one worker), in the layout about 0.1 s."""
    version = live.layout_version()
    return [
        (RIDER_OUT, render_rider(data, version)),
        (DETAILS_OUT, render_details(data, version)),
        (FORECAST_OUT, render_forecast(data, version)),
        (TREND_OUT, render_trend(data, version)),
        (SEASON_OUT, render_season(data, version)),
    ]


def _skeleton(name: str | None, state: urls.ViewState, data: dict) -> html.Div:
    """The page's components, empty."""
    body = html.Div(
        [
            dcc.Loading(
                html.Div(id=ids.RIDER_KPIS, className="strip-holder"), delay_show=400, type="dot"
            ),
            _forecast_section(),
            dbc.Row(
                [
                    dbc.Col(
                        _section(
                            "What must be true",
                            html.Div(id=ids.RIDER_MUST),
                            "to finish on target, at their own win rate and deal size",
                            className="panel h-100",
                        ),
                        lg=5,
                    ),
                    dbc.Col(
                        _section(
                            "Attainment against pace",
                            dcc.Graph(
                                id=ids.RIDER_TREND, figure=blank_figure(260), config=GRAPH_CONFIG
                            ),
                            "on each snapshot day of the quarter",
                            className="panel h-100",
                        ),
                        lg=7,
                    ),
                ],
                className="g-3 mb-3",
            ),
            _section(
                "Their course",
                dcc.Graph(
                    id=ids.RIDER_LANE,
                    config=LANE_CONFIG,
                    className="course-graph build-now",  # the page's main chart (assets/lazy.js)
                    figure=blank_figure(120),
                ),
                "each deal at its close date, sized by amount; trails show close dates moved "
                "since the comparison day",
            ),
            _section(
                "Deals to talk about",
                dag.AgGrid(
                    id=ids.RIDER_FLAGS,
                    columnDefs=plans.plan_columns(fr.deal_columns()),
                    rowData=[],
                    defaultColDef={"sortable": True, "resizable": True, "filter": True},
                    getRowId="params.data.source + '|' + params.data.deal_id",
                    dashGridOptions={
                        "suppressCellFocus": True,
                        "tooltipShowDelay": 400,
                        "localeText": {"noRowsToShow": "No open deals this quarter"},
                    },
                    className="rider-grid",
                    style={"height": "380px"},
                ),
                hint_id=ids.RIDER_FLAGS_INFO,
            ),
            plans.rider_plans_section(),
            dbc.Row(
                [
                    dbc.Col(
                        _section(
                            "Activity by week and type",
                            dcc.Graph(
                                id=ids.RIDER_ACTIVITY, figure=blank_figure(260), config=GRAPH_CONFIG
                            ),
                            hint_id=ids.RIDER_ACTIVITY_INFO,
                            className="panel h-100",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        _section(
                            "Readiness",
                            html.Div(
                                [
                                    html.Div(id=ids.RIDER_READINESS),
                                    dcc.Graph(
                                        id=ids.RIDER_READINESS_TREND,
                                        figure=blank_figure(200),
                                        config=GRAPH_CONFIG,
                                    ),
                                ]
                            ),
                            "form over the quarter · click a component for its inputs",
                            className="panel h-100",
                        ),
                        lg=6,
                    ),
                ],
                className="g-3 mb-3",
            ),
            _section(
                "Their season",
                dbc.Row(
                    [
                        dbc.Col(
                            dcc.Graph(
                                id=ids.RIDER_SEASON_FLOW,
                                figure=blank_figure(240),
                                config=GRAPH_CONFIG,
                            ),
                            lg=7,
                        ),
                        dbc.Col(
                            dcc.Graph(
                                id=ids.RIDER_SEASON_RAMP,
                                figure=blank_figure(240),
                                config=GRAPH_CONFIG,
                            ),
                            lg=5,
                        ),
                    ],
                    className="g-3",
                ),
                hint_id=ids.RIDER_SEASON_INFO,
            ),
            calls.rider_calls_panel(name, state),
            _section(
                "Coaching notes",
                html.Div(
                    [
                        html.Div(id=ids.RIDER_NOTES),
                        html.Div(
                            [
                                dbc.Textarea(
                                    id=ids.RIDER_NOTE_TEXT,
                                    placeholder="What did you agree? What will "
                                    "you check next time?",
                                    rows=3,
                                    maxLength=notes.MAX_BODY,
                                ),
                                html.Div(
                                    [
                                        dbc.Input(
                                            id=ids.RIDER_NOTE_AUTHOR,
                                            placeholder="Your name",
                                            size="sm",
                                            **_signed_author(),
                                            maxLength=notes.MAX_AUTHOR,
                                            style={"maxWidth": "14rem"},
                                        ),
                                        dbc.Button(
                                            "Add note",
                                            id=ids.RIDER_NOTE_SAVE,
                                            size="sm",
                                            color="dark",
                                        ),
                                        dbc.Button(
                                            "Cancel",
                                            id=ids.RIDER_NOTE_CANCEL,
                                            size="sm",
                                            color="link",
                                            className="d-none",
                                        ),
                                        html.Span(id=ids.RIDER_NOTE_MESSAGE, className="small"),
                                    ],
                                    className="note-actions",
                                ),
                            ],
                            className="note-form",
                        ),
                    ]
                ),
                "kept in the store with their author and time",
            ),
        ],
        id=ids.RIDER_BODY,
        hidden=name is None,
    )
    return html.Div(
        [
            dcc.Location(id=ids.RIDER_URL, refresh="callback-nav"),
            dcc.Store(id=ids.RIDER_STATE, data=data),
            dcc.Store(id=ids.RIDER_DRAWN),
            dcc.Store(id=ids.RIDER_NEED),
            dcc.Store(id=ids.RIDER_NOTE_EDITING),
            dcc.Store(id=ids.RIDER_NOTES_VERSION, data=0),
            dcc.Store(id=ids.RIDER_AUTHOR_STORE, storage_type="local"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div("Rider", className="kpi-label"),
                            html.H1(
                                name or "Pick a rider", id=ids.RIDER_TITLE, className="course-title"
                            ),
                            html.Div(id=ids.RIDER_SUBTITLE, className="course-subtitle muted"),
                            html.Div(id=ids.RIDER_BADGES, className="rider-head-meta"),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Rider", htmlFor=ids.RIDER_PICK, className="since-label"),
                            dbc.Select(
                                id=ids.RIDER_PICK,
                                options=[],
                                value=name or "",
                                size="sm",
                                className="since-select rider-pick",
                            ),
                        ],
                        className="since-box",
                    ),
                ],
                className="course-head",
            ),
            html.Div(id=ids.RIDER_MESSAGE),
            body,
            dbc.Offcanvas(
                id=ids.RIDER_TRACE,
                is_open=False,
                placement="end",
                title="Rows behind",
                scrollable=True,
                className="trace-panel",
                children=html.Div(id=ids.RIDER_TRACE_BODY),
            ),
        ],
        className="rider-page",
    )


def _rider_name(data: dict | None) -> str | None:
    """The rider the browser names: text of a sane length, else nobody (a forged state)."""
    rep = data.get("rep") if isinstance(data, dict) else None
    return rep if isinstance(rep, str) and 0 < len(rep) <= 255 else None


def _read(data: dict, read):
    """(state, rider's name, ``read(engine, rep, quarter, as_of, since, scope)``) for the page's
    state, the read None when the page names nobody."""
    state = urls.ViewState.from_dict(data["view"])
    rep = _rider_name(data)
    args = (state.quarter, state.as_of_day, state.since_day, auth.viewer_scope())
    return state, rep, read(get_engine(), rep, *args) if rep else None


def _model(data: dict):
    """The page's rider model (``rider_model``)."""
    return _read(data, rdm.rider_model)


def _who(data: dict):
    """The rider in the viewer's view without the rider's own reads (``rider_view``): what the
    trend and the season need, so a worker that has not built the model answers them at once."""
    return _read(data, rdm.rider_view)


def _focus(model: rdm.RiderModel) -> dict | None:
    """The rider's focus share (DESIGN §12), as the Course and the support car show it."""
    scope = auth.viewer_scope()
    return sup.rider_focus(get_engine(), model.quarter, model.as_of, model.rep, model.team, scope)


def _sitting(model: rdm.RiderModel) -> dict | None:
    """Whether the rider sits in (DESIGN §11), from the season's all-teams table."""
    scope = auth.viewer_scope()
    table = sm.sitting_for(get_engine(), model.quarter, model.as_of, model.team, scope)
    return table.row(model.rep)


def _badges(model: rdm.RiderModel) -> list:
    out = []
    if model.role:
        out.append(html.Span(model.role, className="rider-badge"))
    stage = model.ramp_stage
    if stage:
        tone = {"onboarding": "tone-near", "ramping": "tone-near"}.get(stage, "")
        out.append(
            html.Span(
                f"{RAMP_WORDS.get(stage, stage)} · {rdm.tenure_words(model.tenure_days)}"
                + (f" since {s.day(model.start_date)}" if model.start_date else ""),
                className=f"rider-badge {tone}".strip(),
            )
        )
    band = model.figures.get("readiness_band")
    if band:
        tone = {"green": "tone-ahead", "amber": "tone-near", "red": "tone-behind"}[band]
        out.append(
            html.Span(
                f"Readiness {float(model.figures['readiness_index']):.0f} · {s.BAND_LABEL[band]}",
                className=f"rider-badge {tone}",
            )
        )
    if model.figures.get("no_quota"):
        out.append(html.Span("No quota loaded", className="rider-badge tone-behind"))
    return out


def _directory(lanes, state: urls.ViewState) -> html.Div:
    """Every rider the viewer may see, by team, with attainment against pace: one click to a 1:1."""
    search = urls.build(
        {"quarter": state.quarter, "team": state.team, "as_of": state.as_of}
        if state.explicit_as_of
        else {"quarter": state.quarter, "team": state.team}
    )
    teams = []
    for team, rows in lanes.groupby("team", sort=True):
        links = [
            dcc.Link(
                [
                    html.Span(str(r.lane), className="rider-link-name"),
                    html.Span(
                        s.pct(r.attainment),
                        className="rider-link-value",
                        style={"color": s.pace_colour(r.attainment, r.pace)},
                    ),
                ],
                href=urls.rider_path(r.lane, search),
                className="rider-link",
            )
            for r in rows.sort_values("lane").itertuples(index=False)
        ]
        teams.append(
            html.Section(
                [html.H2(str(team), className="rider-dir-team"), html.Div(links)],
                className="panel rider-dir",
            )
        )
    return html.Div(teams, className="rider-directory")


# A view with more riders than this lists only the rider's own team in the picker, and a way to
# the directory of all riders (``/rider``): at 2,000 reps the whole list was half of the page's
# first response (120 kB) and a select of 2,000 entries nobody scrolls.
PICKER_RIDERS = 60
DIRECTORY = "::all riders::"  # the picker's way to the directory (no rider is called that)


def _picker_options(lanes, team: str | None = None, limit: int = PICKER_RIDERS) -> list[dict]:
    """The rider picker's options: every rider of the view (``lanes``), or, when there are more
    than ``limit``, the riders of ``team`` and the directory of all."""
    tail = []
    if team is not None and len(lanes) > limit:
        lanes = lanes[lanes["team"].astype("object") == team]
        tail = [{"label": "All riders…", "value": DIRECTORY}]
    riders = [
        {"label": f"{r.lane} · {r.team}", "value": r.lane}
        for r in lanes.sort_values("lane").itertuples(index=False)
    ]
    return [{"label": "Choose a rider…", "value": ""}, *riders, *tail]


RIDER_OUT = dict(
    subtitle=Output(ids.RIDER_SUBTITLE, "children"),
    message=Output(ids.RIDER_MESSAGE, "children"),
    lane=Output(ids.RIDER_LANE, "figure"),
    picker_options=Output(ids.RIDER_PICK, "options"),
)
# What the page's first picture is: these three callbacks' outputs, drawn into the layout of a
# browser's layout request (``first_picture``); the trend, the slow part, is left to its callback.
# They skip Dash's first call: the browser fires them (``RIDER_NEED``) when the layout holds no
# picture for the live version, and a new data version fires them again.
_DRAW = first_picture.gate(ids.RIDER_STATE, ids.RIDER_DRAWN, ids.RIDER_NEED)


@callback(output=RIDER_OUT, inputs=_DRAW, prevent_initial_call=True)
def render_rider(data, version, _need=None):
    """The rider's team, standing and lane (from the Course's cached model), and the picker."""
    if version is None or not data:
        return no_update
    state = urls.ViewState.from_dict(data["view"])
    rep = _rider_name(data)
    engine = get_engine()
    scope = auth.viewer_scope()
    if not auth.team_allowed(state.team, scope):
        msg = dbc.Alert(auth.not_allowed_text(state.team), color="warning")
        return dict(
            subtitle=state.quarter,
            message=msg,
            lane=blank_figure(80),
            picker_options=[{"label": "Choose a rider…", "value": ""}],
        )
    # A rider outside the viewer's teams is in neither model: the page says no such rider.
    course = cm.course_model(engine, state, scope)
    if not rep:
        return dict(
            subtitle=f"{state.quarter} · {len(course.lanes):,} riders · pick one for their 1:1",
            message=_directory(course.lanes, state),
            lane=no_update,
            picker_options=_picker_options(course.lanes),
        )
    lane, deals = cm.rider_lane(course, rep)
    _state, _rep, model = _model(data)
    options = _picker_options(course.lanes, model.team if model is not None else None)
    if model is None or (lane.empty and not model.figures):
        msg = dbc.Alert(
            f"No rider called “{rep}” in {state.quarter}"
            + (f" for {state.team}" if state.team else "")
            + ".",
            color="warning",
        )
        return dict(subtitle=state.quarter, message=msg, lane=no_update, picker_options=options)
    f = model.figures
    rank = f.get("rank")
    where = model.team or "No team"
    sub = (
        f"{where} · {state.quarter} · attainment {s.pct(f.get('attainment'))} against pace "
        f"{s.pct(f.get('pace'))} · coverage {s.times(f.get('coverage'))} · rank "
        f"{s.MISSING if s.is_missing(rank) else int(rank)} in {where}"
    )
    if lane.empty:
        return dict(subtitle=sub, message=None, lane=blank_figure(80), picker_options=options)
    deals = cm.with_push_counts(engine, deals, course, state, scope)
    fig = make_course_figure(
        lane,
        deals,
        quarter_start=course.quarter.start,
        quarter_end=course.quarter.end,
        as_of=course.as_of,
        since=course.since,
        group_by_team=False,
        largest_amount=course.largest,
        quarter_name=course.quarter.name,
    )
    q = course.quarter
    fig = plans.with_ticks(fig, engine, scope, q.start, q.end, course.as_of)
    return dict(subtitle=sub, message=None, lane=fig, picker_options=options)


DETAILS_OUT = dict(
    badges=Output(ids.RIDER_BADGES, "children"),
    kpis=Output(ids.RIDER_KPIS, "children"),
    must=Output(ids.RIDER_MUST, "children"),
    flags=Output(ids.RIDER_FLAGS, "rowData"),
    flags_info=Output(ids.RIDER_FLAGS_INFO, "children"),
    activity=Output(ids.RIDER_ACTIVITY, "figure"),
    activity_info=Output(ids.RIDER_ACTIVITY_INFO, "children"),
    readiness=Output(ids.RIDER_READINESS, "children"),
)


@callback(output=DETAILS_OUT, inputs=_DRAW, prevent_initial_call=True)
def render_details(data, version, _need=None):
    """What the 1:1 walks through: figures, what must be true, flagged deals, activity, form."""
    if version is None or not data or not _rider_name(data):
        return no_update
    _state, _rep, model = _model(data)
    if model is None:
        return dict(
            badges=None,
            kpis=None,
            must=None,
            flags=[],
            flags_info="",
            activity=blank_figure(60),
            activity_info="",
            readiness=None,
        )
    f = model.figures
    large = rdm.large_threshold(model.team_figures)
    act = model.activity
    weeks_ok = f.get("activity_weeks_ok")
    act_info = (
        f"last 8 weeks · {int(act['total'].sum()) if len(act) else 0} activities · "
        f"{s.MISSING if s.is_missing(weeks_ok) else int(weeks_ok)} of "
        f"{int(f.get('activity_weeks') or 0)} weeks on track"
    )
    return dict(
        badges=[
            b
            for b in (
                *_badges(model),
                fsup.focus_badge(_focus(model)),
                fseason.sitting_badge(_sitting(model)),
            )
            if b is not None
        ],
        kpis=fr.make_rider_kpis(f, kind=ids.RIDER_KPI),
        must=fr.must_be_true(
            f, model.days_left, finished=model.quarter.finished(model.as_of, clock.today())
        ),
        flags=plans.with_plan_state(
            fr.deal_records(model.deals, rdm.PUSHED_FLAG),
            get_engine(),
            auth.viewer_scope(),
            model.as_of,
        ),
        flags_info=fr.flags_summary(model.deals, large),
        activity=fr.make_activity_figure(act),
        activity_info=act_info,
        readiness=fr.readiness_panel(f, kind=ids.RIDER_COMPONENT),
    )


TREND_OUT = dict(
    trend=Output(ids.RIDER_TREND, "figure"),
    readiness_trend=Output(ids.RIDER_READINESS_TREND, "figure"),
)


@callback(output=TREND_OUT, inputs=_DRAW, prevent_initial_call=True)
def render_trend(data, version, _need=None):
    """Attainment against pace and readiness on each snapshot day (``rider.trend_day``)."""
    if version is None or not data or not _rider_name(data):
        return no_update
    state, rep, model = _who(data)
    if model is None:
        return no_update
    trend = rdm.rider_trend(
        get_engine(), rep, state.quarter, model.as_of, model.team, auth.viewer_scope()
    )
    q = model.quarter
    return dict(
        trend=fr.make_trend_figure(
            trend, quarter_start=q.start, quarter_end=q.end, as_of=model.as_of
        ),
        readiness_trend=fr.make_readiness_trend(trend),
    )


SEASON_OUT = dict(
    flow=Output(ids.RIDER_SEASON_FLOW, "figure"),
    ramp=Output(ids.RIDER_SEASON_RAMP, "figure"),
    info=Output(ids.RIDER_SEASON_INFO, "children"),
)


@callback(output=SEASON_OUT, inputs=_DRAW, prevent_initial_call=True)
def render_season(data, version, _need=None):
    """The rider's season (DESIGN §11): their stage flow this year and their ramp against the
    median of the riders at the same tenure, from the Season page's cached model of the view."""
    if version is None or not data or not _rider_name(data):
        return no_update
    state, rep, model = _who(data)
    if model is None:
        return dict(flow=blank_figure(60), ramp=blank_figure(60), info="")
    days = sm.resolve_days(as_of=model.as_of.isoformat(), start_month=model.quarter.start_month)
    try:
        season = sm.season_model(
            get_engine(), days.year, days.as_of, days.since, state.team, auth.viewer_scope()
        )
    except SummaryError:
        return dict(flow=blank_figure(60), ramp=blank_figure(60), info="")
    if rep not in season.gc.index:
        return dict(flow=blank_figure(60), ramp=blank_figure(60), info="")
    row = season.gc.loc[rep]
    tenure = row.get("tenure_now")
    where = (
        f"quarter {int(tenure)} of tenure" + (" · ramping" if bool(row.get("ramping")) else "")
        if not s.is_missing(tenure)
        else "no start date"
    )
    flow = season.flow("ytd", [rep])  # the stages their deals entered (other pipelines' left out)
    info = (
        f"{days.year} to {s.day(days.as_of, '%d %b')} · where the deals that entered each stage "
        f"went, median days, stalls marked ⚠ · attainment by quarter of tenure against the "
        f"median of riders at the same tenure ({where})"
    )
    return dict(
        flow=fseason.flow_figure(flow[flow["entered"] > 0]),
        ramp=fseason.ramp_figure(season.ramp_curves, season.ramp_median, rep, height=260),
        info=info,
    )


FORECAST_HINT = (
    "won and the forecasts on each snapshot day, the commit call, quota and the pace line; "
    "the fan is the landing range to the finish · click a point for its deals, the fan for "
    "the math · open pipeline: click its legend entry"
)


def _rider_forecast(data: dict):
    """The viewer's forecast (narrowed to their teams) and the rider in it, or None for a rider
    the viewer may not see (or no such rider)."""
    state = urls.ViewState.from_dict(data["view"])
    rep = _rider_name(data)
    if not rep:
        return state, None, None
    try:
        forecast = fm.forecast_for(
            get_engine(), state.quarter, state.as_of_day, scope=auth.viewer_scope()
        )
    except fm.ForecastError:
        return state, None, None
    if rep not in forecast.reps.index:
        return state, None, None
    return state, rep, forecast


FORECAST_OUT = dict(
    figure=Output(ids.RIDER_FORECAST, "figure"),
    range=Output(ids.RIDER_FORECAST_RANGE, "children"),
    info=Output(ids.RIDER_FORECAST_INFO, "children"),
)


@callback(output=FORECAST_OUT, inputs=_DRAW, prevent_initial_call=True)
def render_forecast(data, version, _need=None):
    """Where the rider will land: their trend and fan, and the range in numbers."""
    if version is None or not data or not _rider_name(data):
        return no_update
    _state, rep, f = _rider_forecast(data)
    if f is None:
        return dict(figure=blank_figure(60), range=None, info="")
    row = f.reps.loc[rep]
    landing = {k: row[k] for k in ("quota", "won", "p10", "p50", "p90", "mean")}
    landing.update({k: row[k] for k in ("chance_of_quota", "from_open", "from_new")})
    call = {k: row[f"call_{k}"] for k in fm.CALL_KEYS}
    q = f.quarter
    return dict(
        figure=ff.make_trend_figure(
            f.trend[f.trend["rep"] == rep],
            landing,
            quarter_start=q.start,
            quarter_end=q.end,
            as_of=f.as_of,
        ),
        range=ff.make_range_summary(landing, method=f.method, week=f.week, past=f.past, call=call),
        info=FORECAST_HINT,
    )


@callback(
    output=dict(
        rates=Output(ids.RIDER_FORECAST_RATES, "children"),
        deals=Output(ids.RIDER_FORECAST_DEALS, "children"),
    ),
    inputs=[
        Input(ids.RIDER_FORECAST_MATH, "is_open"),
        Input(ids.RIDER_STATE, "data"),
        Input(ids.SHELL_DATA_VERSION, "data"),
    ],
    prevent_initial_call=True,  # the math starts closed: nothing to fill as the page opens
)
def render_math(is_open, data, version):
    """The math, when open: the rider's bucket rates beside their team's, with their counts,
    and each open deal × rate. Filled only when opened: it was a sixth of the page's first
    response, hidden."""
    if not is_open or version is None or not data or not _rider_name(data):
        return no_update
    _state, rep, f = _rider_forecast(data)
    if f is None:
        return dict(rates=None, deals=None)
    team = f.reps.loc[rep, "team"]
    rep_rates = f.rep_rates[f.rep_rates["rep"] == rep]
    team_rates = f.team_rates[f.team_rates["team"].map(lambda t: t == team)]
    return dict(
        rates=ff.make_rates_table(rep_rates, team_rates, f.method, f.week),
        deals=ff.make_deal_math(f.deals[f.deals["rep"] == rep], ids.RIDER_FORECAST_DEALS_GRID),
    )


@callback(
    Output(ids.RIDER_FORECAST_MATH, "is_open"),
    Input(ids.RIDER_FORECAST_MATH_TOGGLE, "n_clicks"),
    Input(ids.RIDER_FORECAST, "clickData"),
    State(ids.RIDER_FORECAST_MATH, "is_open"),
    prevent_initial_call=True,
)
def toggle_math(_clicks, click, is_open):
    """The button opens and closes the math; a click on the fan opens it."""
    opened = ff.math_open(ctx.triggered_id == ids.RIDER_FORECAST_MATH_TOGGLE, click, is_open)
    return no_update if opened is None else opened


def forecast_trace(data: dict, click):
    """The deals behind a clicked trend point: that figure of the rider on that day, from the
    summary of that day (the trend's point is that summary's figure)."""
    point = ff.trend_point(click)
    if not point or point[0] == ff.FAN:
        return None
    key, day = point
    state, rep, f = _rider_forecast(data)
    if f is None:
        return None
    own = f.trend[f.trend["rep"] == rep]
    days = {d.isoformat() for d in own["day"]}
    if day not in days:  # only the days the figure drew
        return None
    summary = summary_for(get_engine(), f.quarter, day, None, None, scope=auth.viewer_scope())
    trace = figure_trace(summary.flags, key, [rep])
    return rep, day, trace


@callback(
    output=dict(
        is_open=Output(ids.RIDER_TRACE, "is_open", allow_duplicate=True),
        title=Output(ids.RIDER_TRACE, "title", allow_duplicate=True),
        body=Output(ids.RIDER_TRACE_BODY, "children", allow_duplicate=True),
    ),
    inputs=[Input(ids.RIDER_FORECAST, "clickData")],
    state=[State(ids.RIDER_STATE, "data")],
    prevent_initial_call=True,
)
def show_forecast_rows(click, data):
    """A point of the trend: the deals that made that figure on that day."""
    found = forecast_trace(data, click) if data else None
    if found is None:
        return no_update
    rep, day, trace = found
    return dict(
        is_open=True,
        title=f"{rep} · {ff.LABEL[trace.key]} on {s.day(day)}",
        body=make_trace_body(trace, ids.RIDER_TRACE_GRID),
    )


@callback(
    Output(ids.RIDER_URL, "href"),
    Input(ids.RIDER_PICK, "value"),
    State(ids.RIDER_STATE, "data"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def pick_rider(value, data, canonical):
    """Choosing a rider opens their page; "All riders…" the directory."""
    if not value or value == (data or {}).get("rep"):
        return no_update
    if value == DIRECTORY:
        return "/rider" + urls.carry(urls.search_of(canonical))
    return urls.rider_path(value, urls.search_of(canonical))


# --- rows behind ------------------------------------------------------------------------------


def rider_trace(model: rdm.RiderModel, key: str, kind: str):
    """The rows behind a figure (``kind="figure"``) or a readiness component of the rider."""
    if kind == "component" and key in COMPONENTS:
        return component_trace(
            key,
            rep=model.rep,
            as_of=model.as_of,
            events=model.events,
            counts=model.counts,
            riders=model.riders,
            flags=model.flags,
        )
    if kind == "figure" and key in ROWS_BEHIND:
        return figure_trace(model.flags, key, [model.rep])
    return None


@callback(
    output=dict(
        is_open=Output(ids.RIDER_TRACE, "is_open"),
        title=Output(ids.RIDER_TRACE, "title"),
        body=Output(ids.RIDER_TRACE_BODY, "children"),
    ),
    inputs=[
        Input({"type": ids.RIDER_KPI, "key": ALL}, "n_clicks"),
        Input({"type": ids.RIDER_COMPONENT, "key": ALL}, "n_clicks"),
    ],
    state=[State(ids.RIDER_STATE, "data")],
    prevent_initial_call=True,
)
def show_rows(_kpis, _components, data):
    """A figure card or a readiness component: the rows it was made of."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update
    kind = "component" if trigger.get("type") == ids.RIDER_COMPONENT else "figure"
    _state, _rep, model = _model(data)
    trace = rider_trace(model, trigger.get("key"), kind) if model else None
    if trace is None:
        return no_update
    return dict(
        is_open=True,
        title=f"{model.rep} · {trace.title}",
        body=make_trace_body(trace, ids.RIDER_TRACE_GRID),
    )


# --- coaching notes ---------------------------------------------------------------------------


@callback(
    output=dict(
        notes=Output(ids.RIDER_NOTES, "children"),
        save_disabled=Output(ids.RIDER_NOTE_SAVE, "disabled"),
        text_disabled=Output(ids.RIDER_NOTE_TEXT, "disabled"),
    ),
    inputs=[Input(ids.RIDER_STATE, "data"), Input(ids.RIDER_NOTES_VERSION, "data")],
)
def render_notes(data, _version):
    """The rider's notes from the store, newest first; the form only for a roster rep."""
    rep = _rider_name(data)
    if not rep:
        return dict(notes=None, save_disabled=True, text_disabled=True)
    engine = get_engine()
    scope = auth.viewer_scope()
    if not notes.can_write(engine, rep, scope):
        listed = html.Div(
            f"{rep} is not on the roster: notes are kept for roster reps only.", className="muted"
        )
        return dict(notes=listed, save_disabled=True, text_disabled=True)
    listed = fr.notes_list(notes.list_notes(engine, rep, scope), edit_kind=ids.RIDER_NOTE_EDIT)
    return dict(notes=listed, save_disabled=False, text_disabled=False)


NOTE_ACTION_OUTPUTS = dict(
    notes_version=Output(ids.RIDER_NOTES_VERSION, "data"),
    text=Output(ids.RIDER_NOTE_TEXT, "value"),
    editing=Output(ids.RIDER_NOTE_EDITING, "data"),
    message=Output(ids.RIDER_NOTE_MESSAGE, "children"),
    save_label=Output(ids.RIDER_NOTE_SAVE, "children"),
    cancel_class=Output(ids.RIDER_NOTE_CANCEL, "className"),
    remembered_author=Output(ids.RIDER_AUTHOR_STORE, "data"),
)


def _note_outputs(**changed) -> dict:
    """``note_action``'s outputs: the ones given, every other one left as it is."""
    return dict.fromkeys(NOTE_ACTION_OUTPUTS, no_update) | changed


@callback(
    output=NOTE_ACTION_OUTPUTS,
    inputs=[
        Input(ids.RIDER_NOTE_SAVE, "n_clicks"),
        Input(ids.RIDER_NOTE_CANCEL, "n_clicks"),
        Input({"type": ids.RIDER_NOTE_EDIT, "index": ALL}, "n_clicks"),
    ],
    state=[
        State(ids.RIDER_NOTE_TEXT, "value"),
        State(ids.RIDER_NOTE_AUTHOR, "value"),
        State(ids.RIDER_NOTE_EDITING, "data"),
        State(ids.RIDER_NOTES_VERSION, "data"),
        State(ids.RIDER_STATE, "data"),
    ],
    prevent_initial_call=True,
)
def note_action(_save, _cancel, _edits, text, author, editing, version, data):
    """Add a note, start or save an edit, or cancel one."""
    trigger = ctx.triggered_id
    hidden, shown = "d-none", ""
    rep = _rider_name(data)
    if not rep or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update
    engine = get_engine()
    scope = auth.viewer_scope()
    viewer = auth.current_viewer()
    if viewer is not None:
        author = viewer.name  # never the name the browser sends
    if isinstance(trigger, dict) and trigger.get("type") == ids.RIDER_NOTE_EDIT:
        note_id = int(trigger["index"])
        found = [n for n in notes.list_notes(engine, rep, scope) if n["id"] == note_id]
        if not found:
            return no_update
        return _note_outputs(
            text=found[0]["body"],
            editing=note_id,
            message="Editing a note.",
            save_label="Save changes",
            cancel_class=shown,
        )
    if trigger == ids.RIDER_NOTE_CANCEL:
        return _note_outputs(
            text="", editing=None, message="", save_label="Add note", cancel_class=hidden
        )
    if trigger != ids.RIDER_NOTE_SAVE:
        return no_update
    try:
        if editing:
            notes.edit_note(engine, int(editing), rep, author or "", text or "", scope)
            said = "Note saved."
        else:
            notes.add_note(engine, rep, author or "", text or "", scope)
            said = "Note added."
    except notes.NoteError as exc:
        return _note_outputs(message=html.Span(str(exc), className="text-danger"))
    return dict(
        notes_version=(version or 0) + 1,
        text="",
        editing=None,
        message=html.Span(said, className="text-success"),
        save_label="Add note",
        cancel_class=hidden,
        remembered_author=" ".join((author or "").split()),
    )


# The author's name is remembered in this browser (local storage) between 1:1s, in the browser:
# no round trip for it among the requests the page sends as it opens.
clientside_callback(
    """
    function(_ts, stored, current) {
        if (current || !stored) {
            return window.dash_clientside.no_update;
        }
        return stored;
    }
    """,
    Output(ids.RIDER_NOTE_AUTHOR, "value"),
    Input(ids.RIDER_AUTHOR_STORE, "modified_timestamp"),
    State(ids.RIDER_AUTHOR_STORE, "data"),
    State(ids.RIDER_NOTE_AUTHOR, "value"),
)
