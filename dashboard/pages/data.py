"""Data: what is loaded, what was refused and why, how fresh each source is, and uploads.

- Every import batch with its file, source, format, as-of, counts and status (newest first).
- The rejected rows of a batch (row number, column, reason, the raw line), downloadable as CSV.
- Freshness per source and kind of data.
- Upload from the browser: drop a file on the zone (or choose one). ``assets/upload.js`` posts it
  to ``/api/upload`` (``dashboard.serve.upload``: size limit, the CLI's loader and rules) and puts the
  JSON answer in ``data-upload-result``; the page shows it and redraws from the store.
- The import step (``dashboard.pages.import_step``): a file no format knows opens a panel to map
  its columns, preview the rows, confirm the stages and load it; the mapping is saved by name.
- Saved mappings (name, kind, columns, author, when), and deleting one (audited).
- The audit log (administrators only, checked in the callbacks): who loaded what, changed users,
  made calls, edited mappings or plans, backed up or restored the store, newest first, by kind,
  downloadable as CSV or XLSX.

``?batch=N`` (in the URL) picks the batch whose rejected rows are shown; by default the newest batch
with rejects.
"""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import auth, exports, ids, urls
from dashboard.figures import style as s
from dashboard.models import data as data_model
from dashboard.pages import import_step
from dashboard.reads import audit as audit_reads
from dashboard.reads import mappings as mapping_reads
from dashboard.serve.upload import SUFFIXES, UPLOAD_PATH
from loaders import clock
from loaders.config import load_config
from loaders.store import mappings as saved_store
from loaders.store.engine import get_engine

# The route, registered by the app factory (dashboard.app.create_app).
PAGE = {"path": "/data", "name": "Data", "title": "Team Car · Data", "charts": False}

COLUMNS = [
    {"field": "id", "headerName": "Batch", "width": 105, "type": "numericColumn", "sort": "desc"},
    {
        "field": "source_name",
        "headerName": "File",
        "flex": 2,
        "minWidth": 240,
        "tooltipField": "source_name",
    },
    {"field": "source", "headerName": "Source", "width": 120},
    {"field": "kind", "headerName": "Kind", "width": 110},
    {"field": "format", "headerName": "Format", "width": 150},
    {"field": "as_of", "headerName": "As of", "width": 150},
    {"field": "rows_read", "headerName": "Read", "type": "numericColumn", "width": 95},
    {"field": "rows_loaded", "headerName": "Loaded", "type": "numericColumn", "width": 100},
    {
        "field": "rows_rejected",
        "headerName": "Rejected",
        "type": "numericColumn",
        "width": 105,
        "cellClassRules": {"tc-down": "params.value > 0"},
    },
    {"field": "status", "headerName": "Status", "width": 100},
    {"field": "loaded_at", "headerName": "Loaded at", "width": 150},
    {
        "field": "warnings",
        "headerName": "Warnings",
        "flex": 1,
        "minWidth": 160,
        "tooltipField": "warnings",
    },
]
REJECT_COLUMNS = [
    {"field": "row_number", "headerName": "Row", "width": 85, "type": "numericColumn"},
    {"field": "column", "headerName": "Column", "width": 160},
    {
        "field": "reason",
        "headerName": "Reason",
        "flex": 2,
        "minWidth": 260,
        "tooltipField": "reason",
        "wrapText": True,
        "autoHeight": True,
    },
    {"field": "raw", "headerName": "Raw row", "flex": 2, "minWidth": 260, "tooltipField": "raw"},
]
AUDIT_COLUMNS = [
    {"field": "at", "headerName": "When (UTC)", "width": 170},
    {"field": "kind", "headerName": "Kind", "width": 100},
    {"field": "action", "headerName": "Action", "width": 120},
    {"field": "actor", "headerName": "Who", "width": 170, "tooltipField": "actor"},
    {"field": "via", "headerName": "Via", "width": 95},
    {
        "field": "subject",
        "headerName": "What",
        "flex": 1,
        "minWidth": 200,
        "tooltipField": "subject",
    },
    {
        "field": "detail",
        "headerName": "Detail",
        "flex": 2,
        "minWidth": 260,
        "tooltipField": "detail",
    },
]
AUDIT_HEADERS = {c["field"]: c["headerName"] for c in AUDIT_COLUMNS}
MAPPING_COLUMNS = [
    {
        "field": "name",
        "headerName": "Name",
        "width": 230,
        "tooltipField": "name",
        "checkboxSelection": True,
    },
    {"field": "kind", "headerName": "Kind", "width": 105},
    {
        "field": "columns",
        "headerName": "Columns it fits",
        "flex": 2,
        "minWidth": 260,
        "tooltipField": "columns",
    },
    {
        "field": "fields",
        "headerName": "Reads",
        "flex": 2,
        "minWidth": 220,
        "tooltipField": "fields",
    },
    {"field": "author", "headerName": "Saved by", "width": 150, "tooltipField": "author"},
    {"field": "updated_at", "headerName": "When (UTC)", "width": 150},
]
AUDIT_KIND_WORD = {
    "load": "Loads",
    "user": "Users",
    "call": "Forecast calls",
    "mapping": "Mappings",
    "plan": "Deal plans",
    "store": "Backups and restores",
}
AUDIT_ROWS_SHOWN = 1_000
GRID_DEFAULTS = {"sortable": True, "filter": True, "resizable": True}
REJECT_ROWS_SHOWN = 2_000
KIND_WORD = {
    "pipeline": "pipeline snapshots",
    "activity": "activities",
    "history": "field history",
    "roster": "roster",
    "quota": "quotas",
    "readiness": "enablement",
    "calls": "forecast calls",
}


def _batch_arg(value: object) -> int | None:
    try:
        n = int(str(value))
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def layout(**query):
    """A cheap skeleton (no store reads); callbacks fill it."""
    limit_mb = load_config().max_upload_mb
    accept = ",".join(SUFFIXES)
    admin = auth.may_manage_data()
    return html.Div(
        [
            dcc.Location(id=ids.DATA_URL, refresh="callback-nav"),
            dcc.Store(id=ids.DATA_STATE, data={"batch": _batch_arg(query.get("batch"))}),
            dcc.Store(id=ids.DATA_UPLOAD_RESULT),
            dcc.Store(id=ids.DATA_BATCH),
            dcc.Download(id=ids.DATA_DOWNLOAD),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div("Data desk", className="kpi-label"),
                            html.H1("Data", id=ids.DATA_TITLE, className="course-title"),
                            html.Div(
                                "what is loaded, what was refused and why, and how fresh each source is",
                                className="course-subtitle muted",
                            ),
                        ]
                    ),
                ],
                className="course-head",
            ),
            None
            if admin
            else dbc.Alert(
                "The Data desk is for administrators: imports, rejected rows and uploads span every "
                "team. Ask an administrator to load an export.",
                color="info",
            ),
            # Another viewer gets the same components (the callbacks' ids), out of sight and empty.
            html.Div(
                hidden=not admin,
                children=[
                    dbc.Row(
                        [
                            dbc.Col(
                                html.Section(
                                    [
                                        html.Div(
                                            html.H2("Load an export", className="section-title"),
                                            className="section-head",
                                        ),
                                        html.Div(
                                            [
                                                html.Div(
                                                    "Drop an export here", className="upload-title"
                                                ),
                                                html.Div(
                                                    f"or click to choose a file · CSV, TSV, XLSX or ZIP · up to "
                                                    f"{limit_mb} MB",
                                                    className="upload-hint",
                                                ),
                                                html.Div(
                                                    "Read by the same loader and rules as teamcar load: all or nothing, "
                                                    "rejected rows kept with their reason, a file loaded twice changes "
                                                    "nothing.",
                                                    className="upload-hint",
                                                ),
                                            ],
                                            id=ids.DATA_UPLOAD_ZONE,
                                            className="upload-zone",
                                            tabIndex="0",
                                            role="button",
                                            **{
                                                "data-url": UPLOAD_PATH,
                                                "data-limit": str(limit_mb * 1024 * 1024),
                                                "data-accept": accept,
                                                "aria-label": "Upload an export",
                                            },
                                        ),
                                        html.Div(
                                            id=ids.DATA_UPLOAD_STATUS,
                                            className="upload-status",
                                            **{"aria-live": "polite"},
                                        ),
                                    ],
                                    className="panel h-100",
                                ),
                                lg=5,
                            ),
                            dbc.Col(
                                html.Section(
                                    [
                                        html.Div(
                                            [
                                                html.H2("Freshness", className="section-title"),
                                                html.Span(
                                                    "the newest data of each source and kind",
                                                    className="section-hint",
                                                ),
                                            ],
                                            className="section-head",
                                        ),
                                        html.Div(id=ids.DATA_FRESHNESS, className="freshness-list"),
                                    ],
                                    className="panel h-100",
                                ),
                                lg=7,
                            ),
                        ],
                        className="g-3 mb-3",
                    ),
                    import_step.step_section(),
                    html.Section(
                        [
                            html.Div(
                                [
                                    html.H2("Import batches", className="section-title"),
                                    html.Span(
                                        "one per file loaded · click a batch for its rejected rows",
                                        className="section-hint",
                                    ),
                                ],
                                className="section-head",
                            ),
                            dag.AgGrid(
                                id=ids.DATA_BATCHES,
                                columnDefs=COLUMNS,
                                rowData=[],
                                defaultColDef=GRID_DEFAULTS,
                                getRowId="'b' + params.data.id",
                                dashGridOptions={
                                    "pagination": True,
                                    "paginationPageSize": 50,
                                    "suppressCellFocus": True,
                                    "tooltipShowDelay": 400,
                                },
                                className="data-grid",
                                style={"height": "430px"},
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
                                            html.H2("Rejected rows", className="section-title"),
                                            html.Span(
                                                id=ids.DATA_REJECTS_TITLE, className="section-hint"
                                            ),
                                        ]
                                    ),
                                    dbc.Button(
                                        "Download CSV",
                                        id=ids.DATA_REJECTS_DOWNLOAD,
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                        disabled=True,
                                    ),
                                ],
                                className="section-head review-section-head",
                            ),
                            dag.AgGrid(
                                id=ids.DATA_REJECTS,
                                columnDefs=REJECT_COLUMNS,
                                rowData=[],
                                defaultColDef=GRID_DEFAULTS,
                                dashGridOptions={
                                    "suppressCellFocus": True,
                                    "tooltipShowDelay": 400,
                                    "localeText": {"noRowsToShow": "No rejected rows"},
                                },
                                className="data-grid",
                                style={"height": "260px"},
                            ),
                        ],
                        className="panel",
                    ),
                    mappings_section(),
                    audit_section(),
                ],
            ),
        ],
        className="data-page",
    )


def mappings_section() -> html.Section:
    """The saved mappings' panel: each with the columns it fits, and a way to delete one."""
    return html.Section(
        [
            dcc.Store(id=ids.DATA_MAPPINGS_CHANGED),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Saved mappings", className="section-title"),
                            html.Span(id=ids.DATA_MAPPINGS_TITLE, className="section-hint"),
                        ]
                    ),
                    dbc.Button(
                        "Delete selected",
                        id=ids.DATA_MAPPINGS_DELETE,
                        size="sm",
                        color="danger",
                        outline=True,
                        disabled=True,
                    ),
                ],
                className="section-head review-section-head",
            ),
            html.Div(id=ids.DATA_MAPPINGS_MESSAGE, **{"aria-live": "polite"}),
            dag.AgGrid(
                id=ids.DATA_MAPPINGS,
                columnDefs=MAPPING_COLUMNS,
                rowData=[],
                defaultColDef=GRID_DEFAULTS,
                getRowId="params.data.name",
                dashGridOptions={
                    "rowSelection": "single",
                    "suppressCellFocus": True,
                    "tooltipShowDelay": 400,
                    "localeText": {
                        "noRowsToShow": "No saved mappings: a file no format knows opens the "
                        "import step, which saves one"
                    },
                },
                className="data-grid",
                style={"height": "220px"},
            ),
        ],
        className="panel",
    )


def audit_section() -> html.Section:
    """The audit log's panel: a kind filter, the newest entries, CSV and XLSX downloads."""
    button = {"size": "sm", "color": "secondary", "outline": True}
    return html.Section(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Audit log", className="section-title"),
                            html.Span(id=ids.DATA_AUDIT_TITLE, className="section-hint"),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Kind of entries",
                                htmlFor=ids.DATA_AUDIT_KIND,
                                className="visually-hidden",
                            ),
                            dbc.Select(
                                id=ids.DATA_AUDIT_KIND,
                                options=[{"label": "Every kind", "value": "all"}]
                                + [{"label": w, "value": k} for k, w in AUDIT_KIND_WORD.items()],
                                value="all",
                                size="sm",
                                style={"width": "14rem"},
                            ),
                            dbc.Button("Download CSV", id=ids.DATA_AUDIT_CSV, **button),
                            dbc.Button("Download XLSX", id=ids.DATA_AUDIT_XLSX, **button),
                        ],
                        className="d-flex gap-2 align-items-center",
                    ),
                ],
                className="section-head review-section-head",
            ),
            dag.AgGrid(
                id=ids.DATA_AUDIT,
                columnDefs=AUDIT_COLUMNS,
                rowData=[],
                defaultColDef=GRID_DEFAULTS,
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": 50,
                    "suppressCellFocus": True,
                    "tooltipShowDelay": 400,
                    "localeText": {"noRowsToShow": "No audit entries"},
                },
                className="data-grid",
                style={"height": "360px"},
            ),
            dcc.Download(id=ids.DATA_AUDIT_DOWNLOAD),
        ],
        className="panel",
    )


def _text_time(series: pd.Series) -> pd.Series:
    return series.astype(str).str.slice(0, 16).where(series.notna(), None)


def batch_records(engine, scope) -> list[dict]:
    """Rows for the batches grid (times as ISO text so the grid sorts them)."""
    df = data_model.batches(engine, scope)
    if df.empty:
        return []
    for col in ("as_of", "loaded_at"):
        df[col] = _text_time(df[col])
    df["warnings"] = df["warnings"].astype("object").fillna("").str.replace("\n", " · ")
    out = []
    for row in df.to_dict("records"):
        out.append({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
    return out


def freshness_cards(engine, scope) -> html.Div:
    """One line per source and kind: its newest data and its age."""
    today = clock.today()
    df = data_model.freshness(engine, today, scope)
    if df.empty:
        return html.Div(
            "Nothing loaded yet: drop an export on the left, or run teamcar load.",
            className="muted",
        )
    items = []
    for r in df.itertuples(index=False):
        latest = s.day(r.latest) if pd.notna(r.latest) else s.MISSING
        age = r.age_days
        when = (
            "today"
            if age is not None and age <= 0  # newer than the app day (a pinned clock)
            else "yesterday"
            if age == 1
            else f"{age} days old"
            if age is not None
            else ""
        )
        extra = [f"{int(r.batches)} file{'s' if r.batches != 1 else ''}"]
        if r.kind == "pipeline" and pd.notna(r.deals):
            extra.append(f"{int(r.deals):,} deals in the latest")
        else:
            extra.append(f"{int(r.rows or 0):,} rows")
        items.append(
            html.Li(
                [
                    html.Span(className=f"freshness-dot fresh-{r.tone}"),
                    html.Span(
                        [html.B(str(r.source)), " · ", KIND_WORD.get(r.kind, str(r.kind))],
                        className="fresh-what",
                    ),
                    html.Span(
                        [latest, html.Span(f" · {when}", className="muted")], className="fresh-when"
                    ),
                    html.Span(" · ".join(extra), className="fresh-extra muted"),
                ],
                className=f"fresh-item tone-{r.tone}",
            )
        )
    return html.Ul(items, className="fresh-items")


def _reject_target(data: dict | None, result: dict | None, engine, scope) -> int | None:
    if ctx.triggered_id == ids.DATA_UPLOAD_RESULT and result:
        loaded = [r for r in result.get("results", []) if r.get("status") == "loaded"]
        with_rejects = [r for r in loaded if (r.get("rows_rejected") or 0) > 0]
        if with_rejects:
            return int(with_rejects[-1]["batch_id"])
    chosen = (data or {}).get("batch")
    return chosen or data_model.latest_with_rejects(engine, scope)


@callback(
    output=dict(
        batches=Output(ids.DATA_BATCHES, "rowData"),
        freshness=Output(ids.DATA_FRESHNESS, "children"),
        rejects=Output(ids.DATA_REJECTS, "rowData"),
        rejects_title=Output(ids.DATA_REJECTS_TITLE, "children"),
        download_disabled=Output(ids.DATA_REJECTS_DOWNLOAD, "disabled"),
        batch=Output(ids.DATA_BATCH, "data"),
    ),
    inputs=[
        Input(ids.DATA_STATE, "data"),
        Input(ids.SHELL_DATA_VERSION, "data"),
        Input(ids.DATA_UPLOAD_RESULT, "data"),
    ],
)
def render(data, version, result):
    """The batches, freshness and rejected rows, from the store as it is now (outputs by name)."""
    if version is None and result is None:
        return no_update
    engine = get_engine()
    # Imports and rejected rows span every team: an administrator's (or the local demo's).
    if not auth.may_manage_data():
        shut = html.Div("Imports are shown to administrators only.", className="muted")
        return _no_rejects([], shut, "")
    scope = None
    rows = batch_records(engine, scope)
    fresh = freshness_cards(engine, scope)
    target = _reject_target(data, result, engine, scope)
    if target is None:
        return _no_rejects(rows, fresh, "no batch has rejected rows")
    info = data_model.batch(engine, target, scope)
    if info is None:
        return _no_rejects(rows, fresh, f"batch {target} is not in the store")
    rejects = data_model.rejected_rows(engine, target, scope, limit=REJECT_ROWS_SHOWN)
    n = int(info.get("rows_rejected") or 0)
    title = (
        f"batch {target} · {info['source_name']} · {n:,} row{'s' if n != 1 else ''} "
        "could not be read"
    )
    if n > len(rejects):
        title += f" (the first {len(rejects):,} shown; the download has all)"
    records = [
        {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in r.items()}
        for r in rejects.to_dict("records")
    ]
    return dict(
        batches=rows,
        freshness=fresh,
        rejects=records,
        rejects_title=title,
        download_disabled=n == 0,
        batch=target,
    )


def _no_rejects(batches: list[dict], freshness, title: str) -> dict:
    """``render``'s outputs when no batch's rejected rows are shown (nothing to download)."""
    return dict(
        batches=batches,
        freshness=freshness,
        rejects=[],
        rejects_title=title,
        download_disabled=True,
        batch=None,
    )


@callback(
    Output(ids.DATA_URL, "href"),
    Input(ids.DATA_BATCHES, "cellClicked"),
    State(ids.SHELL_CANONICAL, "data"),
    State(ids.DATA_STATE, "data"),
    prevent_initial_call=True,
)
def pick_batch(cell, canonical, data):
    """Clicking a batch shows its rejected rows (``?batch=N`` in the URL)."""
    batch = _batch_arg(str((cell or {}).get("rowId") or "").lstrip("b"))
    if batch is None or batch == (data or {}).get("batch"):
        return no_update
    return "/data" + urls.merge(urls.search_of(canonical), batch=batch)


@callback(
    Output(ids.DATA_DOWNLOAD, "data"),
    Input(ids.DATA_REJECTS_DOWNLOAD, "n_clicks"),
    State(ids.DATA_BATCH, "data"),
    prevent_initial_call=True,
)
def download_rejects(n_clicks, batch_id):
    """Every rejected row of the batch shown, as CSV (formula cells neutralised)."""
    if not n_clicks or not batch_id or not auth.may_manage_data():
        return no_update
    engine = get_engine()
    scope = None
    info = data_model.batch(engine, batch_id, scope)
    if info is None:
        return no_update
    rows = data_model.rejected_rows(engine, batch_id, scope)
    table = rows.rename(
        columns={"row_number": "Row", "column": "Column", "reason": "Reason", "raw": "Raw row"}
    )
    name = exports.safe_filename(
        "rejected", f"batch-{batch_id}", str(info["source_name"]).rsplit(".", 1)[0], ext="csv"
    )
    return dcc.send_bytes(exports.to_csv_bytes(table), name)


def _audit_kind(value: object) -> str | None:
    return value if value in AUDIT_KIND_WORD else None


def audit_table(kind: str | None, limit: int | None = None) -> pd.DataFrame:
    """Audit entries (newest first) with the grid's headers, times as text."""
    df = audit_reads.load_audit(get_engine(), kind=kind, limit=limit)
    df["at"] = df["at"].map(lambda t: t.isoformat(sep=" ", timespec="seconds"))
    return df[list(AUDIT_HEADERS)]


@callback(
    Output(ids.DATA_AUDIT, "rowData"),
    Output(ids.DATA_AUDIT_TITLE, "children"),
    Input(ids.DATA_AUDIT_KIND, "value"),
    Input(ids.SHELL_DATA_VERSION, "data"),
)
def render_audit(kind, _version):
    """The newest audit entries of the kind picked, for administrators only (checked here, on
    the server: the grid is in every viewer's page, empty and out of sight)."""
    if not auth.may_manage_data():
        return [], "shown to administrators only"
    kind = _audit_kind(kind)
    df = audit_table(kind, limit=AUDIT_ROWS_SHOWN)
    total = audit_reads.count_audit(get_engine(), kind=kind)
    what = AUDIT_KIND_WORD[kind].lower() if kind else "every kind"
    title = f"who did what, newest first · {what} · {total:,} entr{'y' if total == 1 else 'ies'}"
    if total > len(df):
        title += f" (the newest {len(df):,} shown; the downloads have all)"
    return df.to_dict("records"), title


@callback(
    Output(ids.DATA_AUDIT_DOWNLOAD, "data"),
    Input(ids.DATA_AUDIT_CSV, "n_clicks"),
    Input(ids.DATA_AUDIT_XLSX, "n_clicks"),
    State(ids.DATA_AUDIT_KIND, "value"),
    prevent_initial_call=True,
)
def download_audit(_csv, _xlsx, kind):
    """Every audit entry of the kind picked, as CSV or XLSX (formula cells neutralised)."""
    trigger = ctx.triggered_id
    if trigger not in (ids.DATA_AUDIT_CSV, ids.DATA_AUDIT_XLSX) or not auth.may_manage_data():
        return no_update
    kind = _audit_kind(kind)
    table = audit_table(kind).rename(columns=AUDIT_HEADERS)
    stem = ("audit", kind or "all", clock.today().isoformat())
    if trigger == ids.DATA_AUDIT_CSV:
        return dcc.send_bytes(exports.to_csv_bytes(table), exports.safe_filename(*stem, ext="csv"))
    title = f"Team Car audit log · {AUDIT_KIND_WORD[kind] if kind else 'every kind'}"
    return dcc.send_bytes(
        exports.to_xlsx_bytes(table, sheet="Audit log", title=title),
        exports.safe_filename(*stem, ext="xlsx"),
    )


@callback(
    Output(ids.DATA_UPLOAD_STATUS, "children"),
    Input(ids.DATA_UPLOAD_RESULT, "data"),
    prevent_initial_call=True,
)
def show_upload(result):
    """What came of the upload, in words (file names and messages as text)."""
    if not result:
        return no_update
    return [upload_alert(r) for r in result.get("results", [])]


def upload_alert(r: dict) -> dbc.Alert:
    """One upload's outcome as an alert a person can act on."""
    name = html.Span(str(r.get("file") or "the file"), className="upload-file")
    status = r.get("status")
    if status == "loaded":
        as_of = s.day(r.get("as_of")) if r.get("as_of") else s.MISSING
        rejected = int(r.get("rows_rejected") or 0)
        parts = [
            html.B("Loaded "),
            name,
            html.Br(),
            f"{r.get('kind')} ({r.get('format')}, {r.get('source')}) as of {as_of} · "
            f"{int(r.get('rows_read') or 0):,} rows read, "
            f"{int(r.get('rows_loaded') or 0):,} loaded, {rejected:,} rejected · batch "
            f"{r.get('batch_id')}",
        ]
        if rejected:
            parts += [html.Br(), "The rejected rows and their reasons are listed below."]
        if r.get("mapping"):
            parts += [
                html.Br(),
                f"Read with the mapping “{r['mapping']}”, now saved: later files with the same "
                "columns load by themselves.",
            ]
        for w in r.get("warnings") or []:
            parts += [html.Br(), html.Small(f"Note: {w}")]
        return dbc.Alert(parts, color="warning" if rejected else "success", className="upload-ok")
    if status == "needs_mapping":
        return dbc.Alert(
            [
                html.B("Needs a mapping: "),
                name,
                html.Br(),
                str(r.get("message") or "no format Team Car knows reads this layout yet")
                + " Nothing is stored until you load it.",
            ]
            + ([html.Br(), html.Small(str(r["reason"]))] if r.get("reason") else []),
            color="info",
            className="upload-needs-mapping",
        )
    if status == "unchanged":
        return dbc.Alert(
            [
                html.B("Already loaded: "),
                name,
                html.Br(),
                f"{r.get('message') or ''}. Nothing changed.",
            ]
            + (
                [html.Br(), f"The mapping “{r['mapping']}” is saved for files with these columns."]
                if r.get("mapping")
                else []
            ),
            color="info",
            className="upload-same",
        )
    head, more = data_model.split_message(
        str(r.get("message") or "the upload failed"), str(r.get("file") or "")
    )
    parts = [html.B("Not loaded: "), name, html.Br(), head]
    if more:
        parts.append(html.Details([html.Summary("What to do"), more], className="upload-more"))
    parts += [html.Small("Nothing was changed in the store.", className="d-block mt-1")]
    return dbc.Alert(parts, color="danger", className="upload-error")


def mapping_records(engine) -> list[dict]:
    """Rows for the saved mappings' grid (times as text)."""
    df = mapping_reads.saved_mappings(engine, None)
    if df.empty:
        return []
    df["updated_at"] = _text_time(df["updated_at"])
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in df.drop(columns=["created_at"]).to_dict("records")
    ]


@callback(
    Output(ids.DATA_MAPPINGS, "rowData"),
    Output(ids.DATA_MAPPINGS_TITLE, "children"),
    Output(ids.DATA_MAPPINGS, "selectedRows"),
    Input(ids.SHELL_DATA_VERSION, "data"),
    Input(ids.DATA_UPLOAD_RESULT, "data"),
    Input(ids.DATA_MAPPINGS_CHANGED, "data"),
)
def render_mappings(_version, _result, _changed):
    """The saved mappings, for administrators only (checked here, on the server); nothing picked
    once they are drawn again (a deleted one cannot stay picked)."""
    if not auth.may_manage_data():
        return [], "shown to administrators only", []
    rows = mapping_records(get_engine())
    n = len(rows)
    title = (
        f"{n} mapping{'s' if n != 1 else ''} · each loads files with exactly its columns by itself"
    )
    return rows, title, []


@callback(
    Output(ids.DATA_MAPPINGS_DELETE, "disabled"),
    Input(ids.DATA_MAPPINGS, "selectedRows"),
)
def pick_mapping(selected):
    """Delete is offered once a mapping is picked."""
    return not selected


@callback(
    Output(ids.DATA_MAPPINGS_MESSAGE, "children"),
    Output(ids.DATA_MAPPINGS_CHANGED, "data"),
    Input(ids.DATA_MAPPINGS_DELETE, "n_clicks"),
    State(ids.DATA_MAPPINGS, "selectedRows"),
    prevent_initial_call=True,
)
def delete_mapping(n_clicks, selected):
    """Delete the picked saved mapping (recorded in the audit log); files it read stay loaded."""
    if not n_clicks or not selected:
        return no_update, no_update
    if not auth.may_manage_data():
        return dbc.Alert("Only an administrator may delete a mapping.", color="danger"), no_update
    name = str((selected[0] or {}).get("name") or "")
    viewer = auth.current_viewer()
    actor = viewer.name if viewer is not None else "local (no sign-in)"
    if not saved_store.delete_mapping(get_engine(), name, actor=actor, via="browser"):
        return (
            dbc.Alert(f"No saved mapping is called “{name}” (deleted already?).", color="warning"),
            n_clicks,
        )
    return (
        dbc.Alert(
            f"Deleted the mapping “{name}”. Files it read stay loaded; a new file with its "
            "columns opens the import step again.",
            color="success",
            dismissable=True,
            className="mappings-deleted",
        ),
        n_clicks,
    )
