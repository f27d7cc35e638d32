"""Rider (``/rider/<rep>``): one rep's lane of the course and where they stand.

A first version for following a lane from the Course; the 1:1 view (what must be true, flagged
deals, activity, readiness, coaching notes) builds on it. ``/rider`` with no rep lists the riders
to pick from. The layout is a skeleton from the URL; callbacks read the cached course model.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import course_model as cm
from dashboard import ids, urls
from dashboard.app import viewer_scope
from dashboard.figures import make_course_figure
from dashboard.figures import style as s
from loaders.store.engine import get_engine

dash.register_page(__name__, path="/rider", path_template="/rider/<rep>", name="Rider",
                   title="Team Car · Rider")

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False}


def layout(rep: str | None = None, **query):
    """A skeleton for ``rep`` (or the picker when there is none); Dash also calls it bare."""
    state = urls.resolve(query)
    name = urls.rep_from_path(rep)
    return html.Div([
        dcc.Location(id=ids.RIDER_URL, refresh="callback-nav"),
        dcc.Store(id=ids.RIDER_STATE, data={"rep": name, "view": state.to_dict()}),
        html.Div([
            html.Div([
                html.Div("Rider", className="kpi-label"),
                html.H1(name or "Pick a rider", id=ids.RIDER_TITLE, className="course-title"),
                html.Div(id=ids.RIDER_SUBTITLE, className="course-subtitle muted"),
            ]),
            html.Div([
                html.Label("Rider", htmlFor=ids.RIDER_PICK, className="since-label"),
                dbc.Select(id=ids.RIDER_PICK, options=[], value=name or "", size="sm",
                           className="since-select rider-pick"),
            ], className="since-box"),
        ], className="course-head"),
        html.Div(id=ids.RIDER_MESSAGE),
        html.Section([
            html.Div([html.H2("Their course", className="section-title"),
                      html.Span("each deal at its close date, sized by amount; trails show "
                                "close dates moved since the comparison day",
                                className="section-hint")], className="section-head"),
            dcc.Graph(id=ids.RIDER_LANE, config=GRAPH_CONFIG, className="course-graph",
                      figure={"layout": {"height": 120, "xaxis": {"visible": False},
                                         "yaxis": {"visible": False}}}),
        ], className="panel", hidden=name is None),
    ], className="rider-page")


@callback(
    Output(ids.RIDER_SUBTITLE, "children"),
    Output(ids.RIDER_MESSAGE, "children"),
    Output(ids.RIDER_LANE, "figure"),
    Output(ids.RIDER_PICK, "options"),
    Input(ids.RIDER_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
)
def render_rider(data, version):
    """The rider's team, standing and lane."""
    if version is None or not data:
        return no_update, no_update, no_update, no_update
    state = urls.ViewState.from_dict(data["view"])
    rep = data.get("rep")
    model = cm.course_model(get_engine(), state, viewer_scope())
    options = [{"label": "Choose a rider…", "value": ""}] + [
        {"label": f"{r.lane} · {r.team}", "value": r.lane}
        for r in model.lanes.sort_values("lane").itertuples(index=False)]
    if not rep:
        return f"{state.quarter} · {len(model.lanes):,} riders", None, no_update, options
    lane, deals = cm.rider_lane(model, rep)
    if lane.empty:
        msg = dbc.Alert(f"No rider called “{rep}” in {state.quarter}"
                        + (f" for {state.team}" if state.team else "") + ".", color="warning")
        return state.quarter, msg, no_update, options
    r = lane.iloc[0]
    deals = cm.with_push_counts(get_engine(), deals, model, state, viewer_scope())
    sub = (f"{r['team']} · {state.quarter} · attainment {s.pct(r.get('attainment'))} against "
           f"pace {s.pct(model.pace)} · coverage {s.times(r.get('coverage'))} · "
           f"rank {s.MISSING if s.is_missing(r.get('rank')) else int(r.get('rank'))}")
    fig = make_course_figure(lane, deals, quarter_start=model.quarter.start,
                             quarter_end=model.quarter.end, as_of=model.as_of, since=model.since,
                             group_by_team=False, largest_amount=model.largest,
                             quarter_name=model.quarter.name)
    return sub, None, fig, options


@callback(
    Output(ids.RIDER_URL, "href"),
    Input(ids.RIDER_PICK, "value"),
    State(ids.RIDER_STATE, "data"),
    State(ids.SHELL_CANONICAL, "data"),
    prevent_initial_call=True,
)
def pick_rider(value, data, canonical):
    """Choosing a rider opens their page."""
    if not value or value == (data or {}).get("rep"):
        return no_update
    return urls.rider_path(value, urls.search_of(canonical))
