"""The floor any Dash + Plotly page pays: one Plotly scatter and one bar chart, nothing else.

A copy of the team's shared ``bare_dash.py`` (kept here so a clean checkout can run
``bench/bench_pages.py``): pages are judged by their time to usable against this page, measured
in the same run. usage: bare_dash.py PORT
"""

import sys

import numpy as np
import plotly.graph_objects as go
from dash import Dash, dcc, html

rng = np.random.default_rng(0)
app = Dash(__name__)
app.layout = html.Div(
    [
        html.H1("bare"),
        dcc.Graph(
            figure=go.Figure(go.Scatter(x=rng.random(500), y=rng.random(500), mode="markers"))
        ),
        dcc.Graph(figure=go.Figure(go.Bar(x=list("abcdefghij"), y=rng.random(10)))),
    ]
)
if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False)
