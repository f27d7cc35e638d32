"""Course (home): the quarter as a course, the peloton, and the team's figures, live.

The layout is a skeleton built from the URL alone (no store reads); ``render`` fills it from the
cached course model whenever the URL's state or the store's data version changes. Controls write
the URL, so the browser's history and a pasted link both reproduce the picture.
"""

from __future__ import annotations

import datetime as dt
import html as html_text

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import auth, ids, urls
from dashboard.figures import details as fd
from dashboard.figures import forecast as ff
from dashboard.figures import (
    make_course_figure,
    make_deal_details,
    make_peloton_figure,
    make_team_strip,
)
from dashboard.figures import style as s
from dashboard.figures.common import GRAPH_CONFIG, blank_figure
from dashboard.figures.trace_view import make_trace_body
from dashboard.models import course as cm
from dashboard.models import forecast as fm
from dashboard.models import season as sm
from dashboard.models import support
from dashboard.models.standings import summary_for
from dashboard.models.trace import figure_trace
from dashboard.pages import calls, first_picture, plans
from dashboard.reads import cache
from dashboard.serve import warm
from loaders import clock
from loaders.store.engine import get_engine

# The route, registered by the app factory (dashboard.app.create_app).
PAGE = {"path": "/", "name": "Course", "title": "Team Car · Course"}


def since_options(state: urls.ViewState) -> list[dict]:
    """Comparison days to offer: one, two and four weeks back, the quarter's start, and the URL's."""
    as_of = state.as_of_day
    quarter = state.quarter_obj()
    days = {
        as_of - dt.timedelta(days=7): "a week ago",
        as_of - dt.timedelta(days=14): "two weeks ago",
        as_of - dt.timedelta(days=28): "four weeks ago",
        quarter.start - dt.timedelta(days=1): "the quarter's start",
    }
    if state.since_day and state.since_day not in days:
        days[state.since_day] = "the day in the link"
    out = []
    for day, words in sorted(days.items(), reverse=True):
        if day >= as_of:
            continue
        out.append({"label": f"since {words} ({s.day(day, '%d %b')})", "value": day.isoformat()})
    return out


FORECAST_HINT = (
    "won and the forecasts on each snapshot day, the commit call, quota and the pace line; "
    "the fan is the landing range to the finish · click a point for its deals, the fan for the "
    "math · open pipeline: click its legend entry"
)


def _forecast_section(first: dict) -> html.Section:
    """Where we'll land: the scope's trend with the landing fan, and the range beside it
    (``first``: the layout's first picture of them, when it drew one)."""
    return html.Section(
        [
            html.Div(
                [
                    html.H2("Where we'll land", className="section-title"),
                    html.Span(FORECAST_HINT, id=ids.COURSE_FORECAST_INFO, className="section-hint"),
                ],
                className="section-head",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(
                            id=ids.COURSE_FORECAST,
                            figure=first.get("figure") or blank_figure(340),
                            config=GRAPH_CONFIG,
                        ),
                        lg=8,
                    ),
                    dbc.Col(html.Div(first.get("range"), id=ids.COURSE_FORECAST_RANGE), lg=4),
                ],
                className="g-3",
            ),
            dbc.Button(
                "Show the math",
                id=ids.COURSE_FORECAST_MATH_TOGGLE,
                size="sm",
                color="secondary",
                outline=True,
                className="forecast-math-toggle",
            ),
            # Filled only when opened: at full size the view holds many thousands of deals.
            dbc.Collapse(
                dcc.Loading(
                    html.Div(id=ids.COURSE_FORECAST_MATH_BODY, className="forecast-math"),
                    delay_show=300,
                    type="dot",
                ),
                id=ids.COURSE_FORECAST_MATH,
                is_open=False,
            ),
        ],
        className="panel forecast-panel",
    )


def layout(**query):
    """The view for the URL's query.

    For a browser's layout request the first picture is drawn into the layout itself (the same
    outputs ``render`` and ``render_forecast`` give, for the same viewer), marked with what it
    shows (``first_picture``): the graphs draw as soon as plotly.js is loaded. Otherwise it is
    a skeleton with no store reads, and the callbacks fill it.
    """
    state = urls.resolve(query)
    picture, forecast, drawn = _first_picture(state)

    def first(key, default):
        return first_picture.initial(picture, key, default)

    return html.Div(
        [
            dcc.Location(id=ids.COURSE_URL, refresh="callback-nav"),
            dcc.Store(id=ids.COURSE_STATE, data=state.to_dict()),
            dcc.Store(id=ids.COURSE_VIEW, data=first("shown_view", None)),
            dcc.Store(id=ids.COURSE_DRAWN, data=drawn),
            dcc.Store(id=ids.COURSE_NEED),
            *plans.plan_stores("course"),
            html.Div(
                [
                    html.Div(
                        [
                            html.H1(
                                first("title", state.quarter),
                                id=ids.COURSE_TITLE,
                                className="course-title",
                            ),
                            html.Div(
                                first("subtitle", None),
                                id=ids.COURSE_SUBTITLE,
                                className="course-subtitle muted",
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Compare with", htmlFor=ids.COURSE_SINCE, className="since-label"
                            ),
                            dbc.Select(
                                id=ids.COURSE_SINCE,
                                options=since_options(state),
                                value=state.since,
                                size="sm",
                                className="since-select",
                            ),
                        ],
                        className="since-box",
                    ),
                ],
                className="course-head",
            ),
            html.Div(first("message", None), id=ids.COURSE_MESSAGE),
            dcc.Loading(
                html.Div(first("strip", None), id=ids.COURSE_STRIP, className="strip-holder"),
                delay_show=400,
                type="dot",
            ),
            _forecast_section(forecast),
            html.Section(
                [
                    html.Div(
                        [
                            html.H2("The peloton", className="section-title"),
                            html.Span(
                                "every rider by attainment against the pace line · ▲▼ places moved "
                                "since the comparison day · click a rider to open them",
                                className="section-hint",
                            ),
                        ],
                        className="section-head",
                    ),
                    dcc.Graph(
                        id=ids.COURSE_PELOTON,
                        figure=first("peloton", blank_figure(160)),
                        config=GRAPH_CONFIG,
                        className="peloton-graph",
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
                                    html.H2("The course", className="section-title"),
                                    html.Span(
                                        first("lanes_info", None),
                                        id=ids.COURSE_LANES_INFO,
                                        className="section-hint",
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    dbc.RadioItems(
                                        id=ids.COURSE_LANES_VIEW,
                                        options=[
                                            {"label": "Riders", "value": "reps"},
                                            {"label": "Teams", "value": "teams"},
                                        ],
                                        value=first(
                                            "lanes_view",
                                            state.lanes if state.lanes in urls.LANE_VIEWS else None,
                                        ),
                                        inline=True,
                                        className="btn-group lanes-view",
                                        inputClassName="btn-check",
                                        labelClassName="btn btn-sm btn-outline-secondary",
                                        labelCheckedClassName="active",
                                    ),
                                    dbc.Input(
                                        id=ids.COURSE_SEARCH,
                                        type="search",
                                        value=state.q,
                                        debounce=True,
                                        placeholder="Find a rider…",
                                        size="sm",
                                        className="lane-search",
                                    ),
                                    dbc.Pagination(
                                        id=ids.COURSE_PAGER,
                                        max_value=first("pages", 1),
                                        active_page=state.page,
                                        fully_expanded=False,
                                        first_last=True,
                                        previous_next=True,
                                        size="sm",
                                        className=first("pager_class", "lane-pager mb-0"),
                                    ),
                                ],
                                className="course-tools",
                            ),
                        ],
                        className="section-head course-head-row",
                    ),
                    dcc.Loading(
                        dcc.Graph(
                            id=ids.COURSE_MAP,
                            figure=first("map", blank_figure(300)),
                            config=GRAPH_CONFIG,
                            className="course-graph build-now",  # the page's main chart (assets/lazy.js)
                        ),
                        delay_show=400,
                        type="dot",
                    ),
                ],
                className="panel",
            ),
            calls.calls_panel("course", state, lazy=True),
            dbc.Offcanvas(
                id=ids.COURSE_TRACE,
                is_open=False,
                placement="end",
                title="Rows behind",
                scrollable=True,
                className="trace-panel",
                children=html.Div(id=ids.COURSE_TRACE_BODY),
            ),
            fd.deal_panel(
                ids.COURSE_DEAL,
                ids.COURSE_DEAL_BODY,
                ids.COURSE_DEAL_RIDER,
                (plans.plan_panel("course"),),
            ),
        ],
        className="course-page",
    )


def _subtitle(model: cm.CourseModel, state: urls.ViewState) -> str:
    q = model.quarter
    day = min(max((model.as_of - q.start).days + 1, 0), q.days)
    left = (q.end - model.as_of).days
    who = state.team or "All teams"
    if q.finished(model.as_of, clock.today()):
        finish = "quarter finished"
    elif left == 0:
        finish = "the finish is today"
    else:
        finish = f"{left} day{'s' if left != 1 else ''} to the finish"
    return (
        f"{who} · day {day} of {q.days} · {finish} · as of "
        f"{s.day(model.as_of)} · {s.day(q.start, '%d %b')} – {s.day(q.end, '%d %b %Y')}"
    )


def _lanes_info(page: cm.CoursePage, model: cm.CourseModel, state: urls.ViewState) -> str:
    if page.view == "teams":
        what = f"{page.total} team{'s' if page.total != 1 else ''}"
        more = (
            (
                f" · teams {(page.page - 1) * page.per_page + 1}–"
                f"{(page.page - 1) * page.per_page + len(page.lanes)}"
            )
            if page.pages > 1
            else ""
        )
        return (
            f"one lane per team ({len(model.lanes):,} riders) · deals grouped by week · "
            f"{what}{more} · click a team for its riders"
        )
    if state.q and page.total == 0:
        return f"no rider matches “{state.q}”"
    what = f"{page.total:,} rider{'s' if page.total != 1 else ''}"
    if state.q:
        what += f" matching “{state.q}”"
    more = ""
    if page.pages > 1:
        first = (page.page - 1) * page.per_page + 1
        more = f" · showing {first:,}–{first + len(page.lanes) - 1:,}"
    return (
        f"{what}{more} · each deal at its close date, sized by amount · "
        "click a deal for details, a rider's status for their page"
    )


# The Course's first picture is in the layout of a browser's layout request: its two drawing
# callbacks skip Dash's first call, and the browser fires them (``COURSE_NEED``) only when the
# layout holds no picture for the live version (``first_picture.gate``); new data fires them too.
_DRAW = first_picture.gate(ids.COURSE_STATE, ids.COURSE_DRAWN, ids.COURSE_NEED)


@callback(
    output=dict(
        title=Output(ids.COURSE_TITLE, "children"),
        subtitle=Output(ids.COURSE_SUBTITLE, "children"),
        message=Output(ids.COURSE_MESSAGE, "children"),
        strip=Output(ids.COURSE_STRIP, "children"),
        peloton=Output(ids.COURSE_PELOTON, "figure"),
        map=Output(ids.COURSE_MAP, "figure"),
        pages=Output(ids.COURSE_PAGER, "max_value"),
        pager_class=Output(ids.COURSE_PAGER, "className"),
        lanes_info=Output(ids.COURSE_LANES_INFO, "children"),
        lanes_view=Output(ids.COURSE_LANES_VIEW, "value"),
        shown_view=Output(ids.COURSE_VIEW, "data"),
        drawn=Output(ids.COURSE_DRAWN, "data"),
    ),
    inputs=_DRAW,
    state=[State(ids.COURSE_DRAWN, "data")],
    prevent_initial_call=True,
)
def render(state_data, version, _need=None, drawn=None):
    """Draw the view for the URL's state with the store's current data (outputs by name).

    Not when the layout already holds this very picture (``drawn``: its state and version);
    any draw clears that mark, so a later return to the same state draws again.
    """
    if version is None or not state_data:
        # The shell's first data-version check is under way; it triggers this again.
        return no_update
    if first_picture.already_drawn(drawn, state_data, version):
        raise PreventUpdate
    state = urls.ViewState.from_dict(state_data)
    return {**_picture(state, get_engine(), auth.viewer_scope()), "drawn": None}


def _first_picture(state: urls.ViewState) -> tuple[dict, dict, dict | None]:
    """The Course's and its forecast's outputs for a browser's layout request and their mark
    (``first_picture.draw``); ({}, {}, None) when the callbacks are to draw them."""

    def both():
        scope = auth.viewer_scope()
        return _picture(state, get_engine(), scope), _forecast_picture(state, scope)

    drawn, mark = first_picture.draw("Course", state.to_dict(), both)
    return (*drawn, mark) if drawn else ({}, {}, None)


def _picture(state: urls.ViewState, engine, scope) -> dict:
    """``render``'s outputs for ``state`` as ``scope`` may see it."""
    title = state.quarter + (f" · {state.team}" if state.team else "")
    if not auth.team_allowed(state.team, scope):
        msg = dbc.Alert(auth.not_allowed_text(state.team), color="warning")
        return _nothing_drawn(title, "", msg)
    drawn = _view(engine, state, scope)
    if isinstance(drawn, dict) and isinstance(drawn.get("map"), dict):
        # plan steps as ticks, read at each draw: a plan edit changes no data version
        q = state.quarter_obj()
        tick = plans.with_ticks(drawn["map"], engine, scope, q.start, q.end, state.as_of_day)
        drawn = {**drawn, "map": tick}
    return drawn


def _nothing_drawn(title: str, subtitle: str, message) -> dict:
    """The outputs of a course with nothing to draw: the message, blank figures, no pager; the
    lanes' view stays as it was."""
    return dict(
        title=title,
        subtitle=subtitle,
        message=message,
        strip=None,
        peloton=blank_figure(60),
        map=blank_figure(60),
        pages=1,
        pager_class="lane-pager mb-0 d-none",
        lanes_info="",
        lanes_view=no_update,
        shown_view=no_update,
    )


def _view(engine, state: urls.ViewState, scope) -> dict:
    title = state.quarter + (f" · {state.team}" if state.team else "")
    key = (tuple(sorted(state.to_dict().items())), tuple(scope) if scope is not None else None)
    return cache.cached("course-render", engine, key, lambda: _draw(engine, state, scope, title))


@warm.on_new_data("course-view")
def _warm_landing(engine) -> None:
    """The Course as it opens for all teams, drawn when data lands (``dashboard.serve.warm``)."""
    _view(engine, urls.resolve({}), None)


def _draw(engine, state: urls.ViewState, scope, title: str) -> dict:
    """The view's outputs by name (figures as plain dicts, so a cached copy needs no re-validation).

    The same for every viewer with the same scope: ``render`` caches it by data version.
    """
    model = cm.course_model(engine, state, scope)
    subtitle = _subtitle(model, state)
    if model.lanes.empty:
        msg = dbc.Alert(
            [
                html.B("Nothing on this course yet. "),
                "No riders or deals for this quarter and team. Load exports with ",
                html.Code("teamcar load"),
                " or try another quarter.",
            ],
            color="info",
        )
        return _nothing_drawn(title, subtitle, msg)
    msg = None
    if model.deals.empty and not model.team.get("quota"):
        msg = dbc.Alert(
            [
                html.B("Nothing on this course yet. "),
                f"No deals close in {state.quarter} and no quotas are loaded for it.",
            ],
            color="info",
        )
    page = cm.course_page(engine, model, state, scope)
    if page.view == "reps":  # each rider's focus share beside their lane (DESIGN §12)
        focus = support.focus_for(engine, model.quarter, model.as_of, state.team, scope)
        page.lanes = support.with_focus(page.lanes, focus)
        # and whether they sit in (DESIGN §11): the season's all-teams table, narrowed
        sitting = sm.sitting_for(engine, model.quarter, model.as_of, state.team, scope)
        page.lanes = sm.with_sitting(page.lanes, sitting)
    strip = make_team_strip(
        model.team,
        pace=model.pace,
        movement=model.moved or None,
        since=model.since,
        label=state.team or "Team",
        finished=model.quarter.finished(model.as_of, clock.today()),
    )
    riders = model.lanes.rename(columns={"lane": "rep"})
    highlight = page.lanes["lane"].iloc[0] if state.q and page.total == 1 else None
    peloton = make_peloton_figure(riders, pace=model.pace, since=model.since, highlight=highlight)
    course = make_course_figure(
        page.lanes,
        page.deals,
        quarter_start=model.quarter.start,
        quarter_end=model.quarter.end,
        as_of=model.as_of,
        since=model.since,
        teams=page.teams,
        group_by_team=page.view == "reps",
        largest_amount=page.largest,
        quarter_name=model.quarter.name,
        landing_method=model.landing_method,
    )
    pager_class = "lane-pager mb-0" + ("" if page.pages > 1 else " d-none")
    return dict(
        title=title,
        subtitle=subtitle,
        message=msg,
        strip=strip,
        peloton=peloton.to_plotly_json(),
        map=course.to_plotly_json(),
        pages=page.pages,
        pager_class=pager_class,
        lanes_info=_lanes_info(page, model, state),
        lanes_view=page.view,
        shown_view=page.view,
    )


@callback(
    Output(ids.COURSE_URL, "search"),
    Input(ids.COURSE_SINCE, "value"),
    Input(ids.COURSE_LANES_VIEW, "value"),
    Input(ids.COURSE_SEARCH, "value"),
    Input(ids.COURSE_PAGER, "active_page"),
    State(ids.COURSE_STATE, "data"),
    State(ids.COURSE_VIEW, "data"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def controls_to_url(since, lanes, text, page, state_data, shown_view, canonical):
    """The page's controls write the URL; the router redraws the page from it."""
    state = urls.ViewState.from_dict(state_data)
    search = urls.search_of(canonical)
    trigger = ctx.triggered_id
    if trigger == ids.COURSE_SINCE and since and since != state.since:
        return urls.merge(search, since=since)
    if trigger == ids.COURSE_LANES_VIEW and lanes and lanes != shown_view:
        return urls.merge(search, lanes=lanes, page=None, q=None)
    if trigger == ids.COURSE_SEARCH and (text or "").strip() != state.q:
        return urls.merge(search, q=(text or "").strip() or None, page=None, lanes=None)
    if trigger == ids.COURSE_PAGER and page and int(page) != state.page:
        return urls.merge(search, page=int(page) if int(page) > 1 else None)
    return no_update


@callback(
    Output(ids.COURSE_URL, "href"),
    Input(ids.COURSE_MAP, "clickData"),
    Input(ids.COURSE_PELOTON, "clickData"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def follow_click(map_click, peloton_click, canonical):
    """A rider's status (or a peloton marker) opens the rider; a team lane opens its riders."""
    search = urls.search_of(canonical)
    if ctx.triggered_id == ids.COURSE_PELOTON:
        point = _point(peloton_click, 1)
        if not point:
            return no_update
        kind, name = "rider", html_text.unescape(point[0])  # the peloton's names are escaped
    else:
        point = _point(map_click)
        if not point:
            return no_update
        kind, name = point[0], point[1]
    if kind == "rider":
        return urls.rider_path(name, search)
    if kind == "team":
        return "/" + urls.merge(search, team=name, lanes=None, page=None, q=None)
    return no_update


def _point(click, fields: int = 2) -> list | None:
    try:
        data = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    return list(data) if isinstance(data, list | tuple) and len(data) >= fields else None


@callback(
    output=dict(
        is_open=Output(ids.COURSE_DEAL, "is_open"),
        title=Output(ids.COURSE_DEAL, "title"),
        body=Output(ids.COURSE_DEAL_BODY, "children"),
        rider_href=Output(ids.COURSE_DEAL_RIDER, "href"),
    ),
    inputs=[Input(ids.COURSE_MAP, "clickData")],
    state=[State(ids.COURSE_STATE, "data"), State(ids.SHELL_CANONICAL, "data")],
    prevent_initial_call=True,
)
def open_deal(click, state_data, canonical):
    """A deal's details: its fields as of the map's day and its snapshot-by-snapshot trail."""
    search = urls.search_of(canonical)
    point = _point(click)
    if not point or point[0] != "deal" or len(point) < 3:
        return no_update
    state = urls.ViewState.from_dict(state_data)
    scope = auth.viewer_scope()
    if not auth.team_allowed(state.team, scope):
        return no_update
    engine = get_engine()
    model = cm.course_model(engine, state, scope)
    # The deal is looked up in the viewer's own (scoped) model: ids from the browser reach no
    # other row.
    deal = cm.deal_record(model, point[1], point[2])
    if deal is None:
        return dict(
            is_open=True,
            title="Deal",
            body=dbc.Alert("This deal is no longer on this course.", color="warning"),
            rider_href=no_update,
        )
    pushes = cm.with_push_counts(
        engine,
        model.deals[
            (model.deals["source"] == deal["source"]) & (model.deals["deal_id"] == deal["deal_id"])
        ],
        model,
        state,
        scope,
    )
    if len(pushes):
        deal["push_count"] = pushes.iloc[0].get("push_count")
    trail = cm.deal_trail(
        engine, deal["source"], deal["deal_id"], model.as_of, model.quarter, scope=scope
    )
    title = deal.get("deal_name") or deal.get("deal_id")
    return dict(
        is_open=True,
        title=str(title),
        body=make_deal_details(deal, trail),
        rider_href=urls.rider_path(deal["rep"], search),
    )


# --- where we'll land -------------------------------------------------------------------------


def _forecast(state: urls.ViewState, scope):
    """The forecast of the URL's scope (all the viewer's teams, or the URL's team), cached per
    data version by ``forecast_for``; None for a team the viewer may not see."""
    if not auth.team_allowed(state.team, scope):
        return None
    try:
        return fm.forecast_for(
            get_engine(), state.quarter, state.as_of_day, state.team, scope=scope
        )
    except fm.ForecastError:
        return None


@callback(
    output=dict(
        figure=Output(ids.COURSE_FORECAST, "figure"),
        range=Output(ids.COURSE_FORECAST_RANGE, "children"),
    ),
    inputs=_DRAW,
    state=[State(ids.COURSE_DRAWN, "data")],
    prevent_initial_call=True,
)
def render_forecast(state_data, version, _need=None, drawn=None):
    """Where the scope will land: its trend with the landing fan, and the range in numbers
    (not when the layout already holds them: see ``render``)."""
    if version is None or not state_data:
        return no_update
    if first_picture.already_drawn(drawn, state_data, version):
        raise PreventUpdate
    return _forecast_picture(urls.ViewState.from_dict(state_data), auth.viewer_scope())


def _forecast_picture(state: urls.ViewState, scope) -> dict:
    """``render_forecast``'s outputs for ``state`` as ``scope`` may see it."""
    f = _forecast(state, scope)
    if f is None or f.reps.empty:
        return dict(figure=blank_figure(60), range=None)
    q = f.quarter
    return dict(
        figure=ff.make_trend_figure(
            f.trend[f.trend["rep"].isna()],
            f.team,
            quarter_start=q.start,
            quarter_end=q.end,
            as_of=f.as_of,
        ),
        range=ff.make_range_summary(
            f.team, method=f.method, week=f.week, past=f.past, call=f.team["call"]
        ),
    )


def forecast_trace(state: urls.ViewState, scope, click):
    """The deals behind a clicked point of the scope's trend: that figure on that day, from the
    summary of that day for the same team or teams."""
    point = ff.trend_point(click)
    if not point or point[0] == ff.FAN:
        return None
    key, day = point
    f = _forecast(state, scope)
    if f is None or day not in {d.isoformat() for d in f.trend["day"]}:
        return None
    summary = summary_for(get_engine(), f.quarter, day, None, state.team, scope=scope)
    return day, figure_trace(summary.flags, key, None)


@callback(
    output=dict(
        is_open=Output(ids.COURSE_TRACE, "is_open"),
        title=Output(ids.COURSE_TRACE, "title"),
        body=Output(ids.COURSE_TRACE_BODY, "children"),
    ),
    inputs=[Input(ids.COURSE_FORECAST, "clickData")],
    state=[State(ids.COURSE_STATE, "data")],
    prevent_initial_call=True,
)
def show_forecast_rows(click, state_data):
    """A point of the trend: the deals that made that figure on that day."""
    if not state_data:
        return no_update
    state = urls.ViewState.from_dict(state_data)
    found = forecast_trace(state, auth.viewer_scope(), click)
    if found is None:
        return no_update
    day, trace = found
    who = state.team or "All teams"
    return dict(
        is_open=True,
        title=f"{who} · {ff.LABEL[trace.key]} on {s.day(day)}",
        body=make_trace_body(trace, ids.COURSE_TRACE_GRID),
    )


# The deals the Course's math lists (the sum covers them all); a rider's are all on their page.
MATH_DEALS = 500


@callback(
    Output(ids.COURSE_FORECAST_MATH, "is_open"),
    Input(ids.COURSE_FORECAST_MATH_TOGGLE, "n_clicks"),
    Input(ids.COURSE_FORECAST, "clickData"),
    State(ids.COURSE_FORECAST_MATH, "is_open"),
    prevent_initial_call=True,
)
def toggle_math(_clicks, click, is_open):
    """The button opens and closes the math; a click on the fan opens it."""
    opened = ff.math_open(ctx.triggered_id == ids.COURSE_FORECAST_MATH_TOGGLE, click, is_open)
    return no_update if opened is None else opened


@callback(
    Output(ids.COURSE_FORECAST_MATH_BODY, "children"),
    Input(ids.COURSE_FORECAST_MATH, "is_open"),
    Input(ids.COURSE_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
    prevent_initial_call=True,  # the math starts closed: nothing to fill as the page opens
)
def render_math(is_open, state_data, version):
    """The scope's math, when open: each team's bucket rates with their counts, and the open
    deals × rate (the largest ``MATH_DEALS``; the sum covers every one)."""
    if not is_open or version is None or not state_data:
        return no_update
    state = urls.ViewState.from_dict(state_data)
    f = _forecast(state, auth.viewer_scope())
    if f is None or f.reps.empty:
        return None
    return [
        html.H3("Bucket rates by team", className="forecast-math-title"),
        ff.make_team_rates_table(f.team_rates, f.method, f.week),
        html.H3("Open deals × rate", className="forecast-math-title"),
        ff.make_deal_math(f.deals, ids.COURSE_FORECAST_DEALS_GRID, limit=MATH_DEALS, with_rep=True),
    ]


@warm.on_new_data("course-forecast")
def _warm_forecast(engine) -> None:
    """The forecast of the Course's landing view, run when data lands: the Monte Carlo runs
    once per data version, before anyone asks."""
    state = urls.resolve({})
    fm.forecast_for(engine, state.quarter, state.as_of_day)
