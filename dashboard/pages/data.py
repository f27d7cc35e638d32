"""Data: every import batch with its source, format, as-of and counts."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import Input, Output, callback, dcc, html

from dashboard import catalog, ids
from loaders.store.engine import get_engine

dash.register_page(__name__, path="/data", name="Data", title="Team Car · Data")

COLUMNS = [
    {"field": "id", "headerName": "Batch", "width": 90},
    {"field": "source_name", "headerName": "File", "flex": 2},
    {"field": "source", "headerName": "Source"},
    {"field": "kind", "headerName": "Kind"},
    {"field": "format", "headerName": "Format"},
    {"field": "as_of", "headerName": "As of"},
    {"field": "rows_read", "headerName": "Read", "type": "numericColumn"},
    {"field": "rows_loaded", "headerName": "Loaded", "type": "numericColumn"},
    {"field": "rows_rejected", "headerName": "Rejected", "type": "numericColumn"},
    {"field": "status", "headerName": "Status"},
    {"field": "loaded_at", "headerName": "Loaded at"},
]


def layout(**_query):
    """A cheap skeleton; the grid is filled per request."""
    return html.Div([
        html.H1("Data"),
        dcc.Location(id=ids.DATA_URL),
        dag.AgGrid(id=ids.DATA_BATCHES, columnDefs=COLUMNS, rowData=[],
                   defaultColDef={"sortable": True, "filter": True, "resizable": True},
                   dashGridOptions={"pagination": True, "paginationPageSize": 50},
                   style={"height": "70vh"}),
    ])


@callback(Output(ids.DATA_BATCHES, "rowData"), Input(ids.DATA_URL, "pathname"))
def fill_batches(_path):
    """Rows for the batches grid (dates as ISO text so the grid sorts them)."""
    df = catalog.import_batches(get_engine())
    for col in ("as_of", "loaded_at"):
        df[col] = df[col].astype(str).str.slice(0, 16)
    return df.to_dict("records")
