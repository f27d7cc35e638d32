"""Course (home). Until the course map lands (issue 5) it shows what the store holds."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import catalog, ids
from loaders.store.engine import get_engine

dash.register_page(__name__, path="/", name="Course", title="Team Car · Course")


def layout(**_query):
    """A cheap skeleton; the store is read by the callback, per request."""
    return html.Div([
        html.H1("The course"),
        dcc.Location(id=ids.COURSE_URL),
        dcc.Loading(html.Div(id=ids.COURSE_OVERVIEW)),
    ])


def _kpi(label: str, value: str) -> dbc.Col:
    return dbc.Col(html.Div([html.Div(label, className="kpi-label"),
                             html.Div(value, className="kpi-value")], className="kpi"), md=3)


@callback(Output(ids.COURSE_OVERVIEW, "children"), Input(ids.COURSE_URL, "pathname"))
def render_overview(_path):
    """Headline counts, freshness per source, and the teams on the roster."""
    engine = get_engine()
    c = catalog.counts(engine)
    fresh = catalog.freshness(engine)
    teams = catalog.teams(engine)
    if c["batches"] == 0:
        return dbc.Alert(["No data loaded yet. Run ", html.Code("teamcar demo"),
                          " or ", html.Code("teamcar load PATH"), "."], color="info")
    latest = fresh["latest_snapshot"].max() if len(fresh) else None
    return html.Div([
        dbc.Row([_kpi("Teams", f"{c['teams']:,}"), _kpi("Reps", f"{c['reps']:,}"),
                 _kpi("Imports", f"{c['batches']:,}"),
                 _kpi("Data as of", f"{latest:%d %b %Y}" if latest else "—")], className="g-3 mb-4"),
        dbc.Row([
            dbc.Col([html.H2("Sources", className="h5"),
                     dbc.Table.from_dataframe(fresh.rename(columns={
                         "source": "Source", "latest_snapshot": "Latest snapshot",
                         "deals": "Deals in it"}), striped=True, size="sm")], md=6),
            dbc.Col([html.H2("Teams", className="h5"),
                     dbc.Table.from_dataframe(teams.rename(columns={
                         "team": "Team", "members": "Members"}), striped=True, size="sm")], md=6),
        ]),
    ])
