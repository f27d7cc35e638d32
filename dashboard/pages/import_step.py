"""The import step (issue 15): a file no format knows, mapped on the Data page, saved and loaded.

An upload no built-in format or saved mapping reads, but whose columns a drafted mapping can fill,
is kept on the server under a random token (``dashboard.serve.upload``: ``needs_mapping``) and
this panel opens on the Data page:

- the kind of rows (guessed, selectable), the source label and a name for the mapping;
- each canonical field of the kind with the drafted column preselected (a list of the file's
  columns; doubtful choices marked, with the draft's reason);
- a preview of the first rows as they will be read through the current choices (amounts, dates,
  statuses), read again whenever a choice changes, with the rows that would be rejected;
- for pipeline files, the stage table to confirm: each stage value with its order and status.

"Load" checks the choices (a column chosen for two fields, a required field without a column, a
name already used: one message, nothing stored), loads the kept file with the mapping exactly as
an upload is loaded (audited, all or nothing), and only then saves the mapping under its name; the
outcome goes to the page like any upload's. Later files with the same header are read with the
saved mapping by themselves (``loaders.ingest.load_file``). Every callback answers administrators
(and the local demo) only; the browser names a kept file by its token, never by a path.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import OrderedDict
from pathlib import PurePath

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import auth, ids
from dashboard.figures import import_preview as fig
from dashboard.reads import mappings as mapping_reads
from dashboard.serve import upload
from loaders import schema
from loaders.formats.mapping import FIELDS, PIPELINE_NAMES, mapping_from_dict
from loaders.parsing.errors import LoadError
from loaders.store import mappings as saved_store
from loaders.store.engine import get_engine

PREVIEW_ROWS = 10
NAME_MAX = 120
SOURCE_MAX = 64
KIND_WORDS = {
    "pipeline": "Pipeline (deals)",
    "activity": "Activities",
    "history": "Field history",
    "roster": "Roster",
    "quota": "Quotas",
    "readiness": "Enablement",
    "calls": "Forecast calls",
}
NO_COLUMN = "__no_column__"  # the column list's "not in this file"
STATUS_OPTIONS = [{"label": w, "value": w} for w in schema.STATUSES]
_DATE_IN_NAME = re.compile(r"[-_ .]*(20\d\d)[-_.]?(\d\d)[-_.]?(\d\d)")
_SOURCE = re.compile(r"[^\w.-]+")


# ---------------------------------------------------------------------------------------------
# The panel's skeleton (placed by the Data page; filled by the callbacks below)


def kind_options() -> list[dict]:
    """The kinds a mapping can be drafted for, in words."""
    drafted = _drafting().RULES
    return [{"label": w, "value": k} for k, w in KIND_WORDS.items() if k in drafted]


def step_section() -> html.Section:
    """The import step's panel, hidden until an upload needs a mapping."""
    return html.Section(
        [
            dcc.Store(id=ids.IMPORT_STATE),
            dcc.Store(id=ids.IMPORT_DRAFT),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Map the columns", className="section-title"),
                            html.Span(id=ids.IMPORT_TITLE, className="section-hint"),
                        ]
                    ),
                ],
                className="section-head",
            ),
            html.P(
                "No format Team Car knows reads this file. Check the column chosen for each "
                "field and the preview, then load it: the mapping is saved under its name, and "
                "later files with the same columns load by themselves.",
                className="import-intro muted",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Kind of rows", html_for=ids.IMPORT_KIND, size="sm"),
                            dbc.Select(
                                id=ids.IMPORT_KIND,
                                options=kind_options(),
                                size="sm",
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Source", html_for=ids.IMPORT_SOURCE, size="sm"),
                            dbc.Input(
                                id=ids.IMPORT_SOURCE,
                                size="sm",
                                maxLength=SOURCE_MAX,
                                debounce=True,
                            ),
                            dbc.FormText("stored with every row; ids are unique per source"),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Name of the mapping", html_for=ids.IMPORT_NAME, size="sm"),
                            dbc.Input(id=ids.IMPORT_NAME, size="sm", maxLength=NAME_MAX),
                            dbc.FormText("how the saved mappings list names it"),
                        ],
                        md=6,
                    ),
                ],
                className="g-3 mb-2 import-controls",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H3("Fields", className="import-subtitle"),
                            html.Div(id=ids.IMPORT_FIELDS, className="import-fields"),
                        ],
                        lg=5,
                    ),
                    dbc.Col(
                        [
                            html.H3(
                                f"Preview · the first {PREVIEW_ROWS} rows as they will be read",
                                className="import-subtitle",
                            ),
                            dcc.Loading(
                                [
                                    html.Div(id=ids.IMPORT_PREVIEW, className="import-preview"),
                                    html.Div(id=ids.IMPORT_PREVIEW_NOTE),
                                ],
                                type="dot",
                                delay_show=300,
                            ),
                            html.Div(id=ids.IMPORT_STAGES, className="import-stages"),
                        ],
                        lg=7,
                    ),
                ],
                className="g-3",
            ),
            html.Div(id=ids.IMPORT_MESSAGE, className="import-message", **{"aria-live": "polite"}),
            html.Div(
                [
                    dbc.Button("Load", id=ids.IMPORT_LOAD, color="primary", size="sm"),
                    dbc.Button(
                        "Cancel", id=ids.IMPORT_CANCEL, color="secondary", outline=True, size="sm"
                    ),
                ],
                className="import-actions d-flex gap-2 justify-content-end",
            ),
        ],
        id=ids.IMPORT_PANEL,
        className="panel import-step",
        hidden=True,
    )


def _drafting():
    """``loaders.formats.draft``, imported when first needed (it reads files; pages only import
    it when a step opens)."""
    from loaders.formats import draft

    return draft


# ---------------------------------------------------------------------------------------------
# Pure pieces: the draft as the browser holds it, the choices back into a draft, their checks


class ChoiceError(ValueError):
    """Choices that cannot make a mapping, said in one line a person can act on."""


def default_name(file: str) -> str:
    """A name for the mapping from the file's: ``crm_deals_2026-11-22.csv`` -> ``crm deals``."""
    stem = PurePath(str(file)).stem
    stem = _DATE_IN_NAME.sub("", stem)
    words = " ".join(re.sub(r"[_\-.]+", " ", stem).split())
    return (words or "mapping")[:NAME_MAX]


def draft_record(token: str, draft) -> dict:
    """What the browser keeps of a draft: the fields with their columns, and the stages."""
    must = set(FIELDS[draft.kind][0])
    fields = [
        {
            "field": c.field,
            "column": c.column,
            "confidence": c.confidence,
            "why": c.why,
            "required": c.field in must,
        }
        for c in draft.choices
    ]
    drafted = {c.field for c in draft.choices}
    fields += [
        {
            "field": name,
            "column": None,
            "confidence": "none",
            "why": "",
            "required": False,
            "more": True,
        }
        for name in FIELDS[draft.kind][0] + FIELDS[draft.kind][1]
        if name not in drafted
    ]
    stage = next((c.column for c in draft.choices if c.field == "stage"), None)
    return {
        "token": token,
        "kind": draft.kind,
        "header": [h for h in draft.header if h],
        "fields": fields,
        "stage_column": stage,
        "status_from": draft.status_from,
        "stages": [
            {"name": r.name, "order": r.order, "status": r.status} for r in draft.stages or []
        ],
    }


def chosen_columns(values: list, field_ids: list) -> dict[str, str | None]:
    """The column chosen for each field (None: not in this file), from the field lists."""
    out: dict[str, str | None] = {}
    for value, fid in zip(values or [], field_ids or [], strict=False):
        out[str(fid["field"])] = None if value in (None, "", NO_COLUMN) else str(value)
    return out


def check_choices(kind: str, columns: dict[str, str | None], header: list[str]) -> None:
    """Raise ``ChoiceError`` for choices no mapping can be made of: a column that is not the
    file's, one column chosen for two fields, a field the kind needs without a column."""
    label = fig.field_label
    known = set(header)
    for fname, col in columns.items():
        if col is not None and col not in known:
            raise ChoiceError(f"“{col}” (for {label(fname)}) is not a column of this file.")
    by_column: dict[str, list[str]] = {}
    for fname, col in columns.items():
        if col is not None:
            by_column.setdefault(col, []).append(fname)
    for col, names in by_column.items():
        if len(names) > 1:
            both = " and ".join(label(n) for n in names)
            raise ChoiceError(
                f"The column “{col}” is chosen for {both}: a column fills one field. "
                "Choose another column for one of them."
            )
    mapped = {f for f, c in columns.items() if c is not None}
    word = {"activity": "activities", "readiness": "enablement", "calls": "forecast calls"}.get(
        kind, kind
    )
    for fname in FIELDS[kind][0]:
        if fname not in mapped:
            raise ChoiceError(f"Choose a column for {label(fname)}: every {word} file needs one.")
    if kind == "pipeline" and not set(PIPELINE_NAMES) & mapped:
        raise ChoiceError(
            "Choose a column for Deal name, Account or Deal id: deals are named by the first "
            "of them the file has."
        )
    if kind == "readiness" and not {"rep", "email", "user"} & mapped:
        raise ChoiceError("Choose a column for Rep or Email: whose progress each row is.")


def stage_rows(record: dict, orders: list, statuses: list) -> list[dict]:
    """The stage table as confirmed: each stage's order (a whole number) and status."""
    out = []
    for i, stage in enumerate(record.get("stages") or []):
        order = orders[i] if i < len(orders or []) else stage.get("order")
        status = statuses[i] if i < len(statuses or []) else stage.get("status")
        try:
            number = float(order)
        except (TypeError, ValueError):
            number = -1.0
        if number != int(number) or number < 0:
            raise ChoiceError(
                f"Stage “{stage['name']}”: the order must be a whole number (1, 2, 3…)."
            )
        order = int(number)
        if status not in schema.STATUSES:
            raise ChoiceError(
                f"Stage “{stage['name']}”: choose open, won or lost (not {status!r})."
            )
        out.append({"name": stage["name"], "order": order, "status": status})
    return out


def clean_source(value: object) -> str:
    """The source label as stored: letters, digits, ``_ . -``; spaces become ``-``."""
    text = _SOURCE.sub("-", " ".join(str(value or "").split())).strip("-").lower()
    if not text:
        raise ChoiceError("Give the data a source (a short label such as “warehouse”).")
    return text[:SOURCE_MAX]


STATUS_FIELDS = ("status", "is_won", "is_closed", "is_lost", "won_date", "lost_date")


def applied(draft, columns: dict[str, str | None], stages: list[dict], source: str, file: str):
    """A copy of the draft with the choices made on screen: the columns, the stage table as
    confirmed, the source; the draft itself (kept for the next preview) is left as it was."""
    choices = []
    seen = set()
    for c in draft.choices:
        seen.add(c.field)
        col = columns.get(c.field, c.column)
        if col == c.column:
            choices.append(dataclasses.replace(c))
        else:
            why = "chosen in the import step" if col else "left out in the import step"
            choices.append(
                dataclasses.replace(c, column=col, confidence="sure" if col else "none", why=why)
            )
    for fname, col in columns.items():
        if fname not in seen and col:
            choices.append(_drafting().Choice(fname, col, "sure", "chosen in the import step"))
    stage_type = _drafting().StageRow
    rows = [stage_type(s["name"], s["order"], s["status"]) for s in stages]
    status_from = next((columns[f] for f in STATUS_FIELDS if columns.get(f)), None)
    return dataclasses.replace(
        draft,
        choices=choices,
        stages=rows,
        source=source,
        status_from=status_from,
        name=file,
        notes=[n for n in draft.notes if not n.startswith("CHECK: stage statuses")],
    )


def mapped_fields(columns: dict[str, str | None]) -> list[str]:
    return [f for f, c in columns.items() if c]


# ---------------------------------------------------------------------------------------------
# Drafts, kept a little while per worker (a draft reads the file; every choice previews it)

_DRAFTS: OrderedDict[tuple, object] = OrderedDict()
_DRAFTS_LOCK = threading.Lock()
_DRAFTS_KEPT = 16


def draft_for(kept: upload.Staged, kind: str | None):
    """The drafted mapping of a kept upload (of ``kind``, or the kind guessed). Read-only: the
    step's choices are applied to a copy (``applied``)."""
    key = (kept.token, kept.at, kind)
    with _DRAFTS_LOCK:
        if key in _DRAFTS:
            _DRAFTS.move_to_end(key)
            return _DRAFTS[key]
    found = _drafting().draft_mapping(kept.path, kind=kind)
    with _DRAFTS_LOCK:
        _DRAFTS[key] = found
        while len(_DRAFTS) > _DRAFTS_KEPT:
            _DRAFTS.popitem(last=False)
    return found


def stages_of_column(kept: upload.Staged, header: list[str], column: str) -> list[dict]:
    """The stage table for another stage column than the draft's: its values, open ones in the
    order they first appear, then won, then lost (statuses from the words, as the draft says)."""
    from loaders.formats.mapping import header_fingerprint
    from loaders.parsing.tables import read_table

    key = header_fingerprint(header)
    table = read_table(
        kept.path, match_header=lambda cells: 1.0 if header_fingerprint(cells) == key else None
    )
    if column not in table.header:
        return []
    values = table.columns[table.header.index(column)].to_pylist()
    names: dict[str, str] = {}
    for v in values:
        text = str(v or "").strip()
        if text:
            names.setdefault(" ".join(text.lower().split()), text)
    rank = {"open": 0, "won": 1, "lost": 2}
    said = [(n, _drafting().stage_status(n)[0]) for n in names.values()]
    ordered = sorted(enumerate(said), key=lambda t: (rank[t[1][1]], t[0]))
    return [
        {"name": n, "order": i, "status": status}
        for i, (_, (n, status)) in enumerate(ordered, start=1)
    ]


# ---------------------------------------------------------------------------------------------
# Drawing the form


def dom_id(component_id: dict) -> str:
    """The id Dash gives a pattern-matching component in the page (its keys sorted, as JSON),
    for a label's ``htmlFor``."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def field_rows(record: dict) -> html.Div:
    """One line per canonical field: its name, the file's columns with the draft's choice, and
    the draft's reason (doubtful choices marked). Fields the draft did not weigh (the kind reads
    them when a column holds them) are folded under "More fields"."""
    options = [{"label": "— not in this file —", "value": NO_COLUMN}] + [
        {"label": h, "value": h} for h in record["header"]
    ]
    main = [field_line(f, options) for f in record["fields"] if not f.get("more")]
    more = [field_line(f, options) for f in record["fields"] if f.get("more")]
    parts: list = main
    if more:
        parts.append(
            html.Details(
                [
                    html.Summary(f"More fields ({len(more)}), none found in this file"),
                    html.Div(more),
                ],
                className="import-more",
            )
        )
    return html.Div(parts)


def field_line(f: dict, options: list[dict]) -> html.Div:
    """One field: its name (needed ones starred), the column list, the draft's reason."""
    doubtful = bool(f["column"]) and f["confidence"] == "doubtful"
    select_id = {"type": ids.IMPORT_FIELD, "field": f["field"]}
    name: list = [fig.field_label(f["field"])]
    if f["required"]:
        name.append(html.Span(" *", className="import-required", title="needed"))
    badge = (
        dbc.Badge("check", color="warning", text_color="dark", className="import-badge")
        if doubtful
        else None
    )
    return html.Div(
        [
            html.Label(name, htmlFor=dom_id(select_id), className="import-field-name"),
            dbc.Select(
                id=select_id,
                options=options,
                value=f["column"] or NO_COLUMN,
                size="sm",
                className="import-doubtful" if doubtful else None,
            ),
            html.Div(
                [badge, html.Span(f["why"] or "", className="import-why")],
                className="import-field-why",
            ),
        ],
        className="import-field" + (" is-doubtful" if doubtful else ""),
    )


def stage_table(record: dict) -> html.Div | None:
    """The stage values with their order and status, to confirm (pipeline files only)."""
    if record["kind"] != "pipeline":
        return None
    stages = record.get("stages") or []
    status_from = record.get("status_from")
    head = html.Div(
        [
            html.H3("Stages", className="import-subtitle"),
            html.Span(
                f"from the column “{record['stage_column']}” · order and status as they will "
                "be read"
                if record.get("stage_column")
                else "choose the stage column first",
                className="section-hint",
            ),
        ],
        className="import-stages-head",
    )
    if not stages:
        return html.Div([head, html.Div("No stage values found.", className="muted")])
    rows = [
        html.Tr(
            [
                html.Td(
                    html.Label(
                        s["name"],
                        htmlFor=dom_id({"type": ids.IMPORT_STAGE_ORDER, "index": i}),
                        className="mb-0",
                    ),
                    className="import-stage-name",
                ),
                html.Td(
                    dbc.Input(
                        id={"type": ids.IMPORT_STAGE_ORDER, "index": i},
                        type="number",
                        min=0,
                        step=1,
                        value=s["order"],
                        size="sm",
                        className="import-stage-order",
                        debounce=True,
                    )
                ),
                html.Td(
                    html.Span(f"from “{status_from}”", className="muted")
                    if status_from
                    else dbc.Select(
                        id={"type": ids.IMPORT_STAGE_STATUS, "index": i},
                        options=STATUS_OPTIONS,
                        value=s["status"] if s["status"] in schema.STATUSES else "open",
                        size="sm",
                        className=f"import-stage-status status-{s['status']}",
                    )
                ),
            ]
        )
        for i, s in enumerate(stages)
    ]
    table = dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Stage"), html.Th("Order"), html.Th("Status")])),
            html.Tbody(rows),
        ],
        size="sm",
        className="import-stage-table mb-0",
    )
    return html.Div([head, table])


# ---------------------------------------------------------------------------------------------
# Callbacks


def _closed() -> tuple:
    return None, True, "", no_update, no_update, no_update, None


@callback(
    Output(ids.IMPORT_STATE, "data"),
    Output(ids.IMPORT_PANEL, "hidden"),
    Output(ids.IMPORT_TITLE, "children"),
    Output(ids.IMPORT_KIND, "value"),
    Output(ids.IMPORT_SOURCE, "value"),
    Output(ids.IMPORT_NAME, "value"),
    Output(ids.IMPORT_MESSAGE, "children", allow_duplicate=True),
    Input(ids.DATA_UPLOAD_RESULT, "data"),
    Input(ids.IMPORT_CANCEL, "n_clicks"),
    State(ids.IMPORT_STATE, "data"),
    prevent_initial_call=True,
)
def open_step(result, _cancel, state):
    """Open the step for the first upload that needs a mapping; close it when cancelled (the
    kept file is removed) or once no upload is waiting."""
    if not auth.may_manage_data():
        return _closed()
    if ctx.triggered_id == ids.IMPORT_CANCEL:
        upload.discard_staged((state or {}).get("token"))
        for waiting in (state or {}).get("queue") or []:
            upload.discard_staged(waiting.get("token"))
        return _closed()
    pending = [
        r
        for r in (result or {}).get("results") or []
        if r.get("status") == "needs_mapping" and upload.staged(r.get("token")) is not None
    ]
    if not pending:
        if state and upload.staged(state.get("token")) is not None:
            return (no_update,) * 7  # another file loaded while this one waits: keep the step
        return _closed()
    first, queue = pending[0], pending[1:]
    kept = upload.staged(first["token"])
    try:
        draft = draft_for(kept, None)
    except LoadError as exc:
        return (
            None,
            True,
            "",
            no_update,
            no_update,
            no_update,
            dbc.Alert(str(exc), color="danger"),
        )
    title = [html.Span(kept.file, className="upload-file")]
    if queue:
        title.append(f" · {len(queue)} more file{'s' if len(queue) > 1 else ''} after this one")
    new_state = {
        "token": kept.token,
        "file": kept.file,
        "queue": [{"token": r["token"], "file": r.get("file")} for r in queue],
    }
    return (
        new_state,
        False,
        title,
        draft.kind,
        draft.source,
        default_name(kept.file),
        None,
    )


@callback(
    Output(ids.IMPORT_FIELDS, "children"),
    Output(ids.IMPORT_STAGES, "children"),
    Output(ids.IMPORT_DRAFT, "data"),
    Input(ids.IMPORT_STATE, "data"),
    Input(ids.IMPORT_KIND, "value"),
    Input({"type": ids.IMPORT_FIELD, "field": ALL}, "value"),
    State({"type": ids.IMPORT_FIELD, "field": ALL}, "id"),
    State(ids.IMPORT_DRAFT, "data"),
    prevent_initial_call=True,
)
def draw_step(state, kind, values, field_ids, record):
    """The fields and the stage table of the kind picked (drafted again when the kind changes);
    the stage table again when another column is chosen for the stage."""
    if not auth.may_manage_data() or not state:
        return [], None, None
    kept = upload.staged(state.get("token"))
    if kept is None:
        return no_update, no_update, no_update
    kind = kind if kind in FIELDS else None
    field_changed = isinstance(ctx.triggered_id, dict)
    if field_changed:
        if not record or record.get("token") != kept.token or record["kind"] != "pipeline":
            return no_update, no_update, no_update
        stage = chosen_columns(values, field_ids).get("stage")
        if stage == record.get("stage_column"):
            return no_update, no_update, no_update
        try:
            stages = stages_of_column(kept, record["header"], stage) if stage else []
        except LoadError:
            return no_update, no_update, no_update
        new = {**record, "stage_column": stage, "stages": stages}
        return no_update, stage_table(new), new
    try:
        draft = draft_for(kept, kind)
    except LoadError as exc:
        return dbc.Alert(str(exc), color="danger"), None, None
    new = draft_record(kept.token, draft)
    return field_rows(new), stage_table(new), new


def _choices(record, values, field_ids, orders, statuses, source):
    """The draft with the screen's choices applied, checked (``ChoiceError`` otherwise)."""
    columns = chosen_columns(values, field_ids)
    check_choices(record["kind"], columns, record["header"])
    stages = stage_rows(record, orders, statuses)
    return columns, stages, clean_source(source)


@callback(
    Output(ids.IMPORT_PREVIEW, "children"),
    Output(ids.IMPORT_PREVIEW_NOTE, "children"),
    Output(ids.IMPORT_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.IMPORT_FIELD, "field": ALL}, "value"),
    Input({"type": ids.IMPORT_STAGE_ORDER, "index": ALL}, "value"),
    Input({"type": ids.IMPORT_STAGE_STATUS, "index": ALL}, "value"),
    Input(ids.IMPORT_SOURCE, "value"),
    Input(ids.IMPORT_DRAFT, "data"),
    State({"type": ids.IMPORT_FIELD, "field": ALL}, "id"),
    State(ids.IMPORT_STATE, "data"),
    prevent_initial_call=True,
)
def preview_step(values, orders, statuses, source, record, field_ids, state):
    """The first rows as the current choices read them (read again on every change; a message
    from an earlier Load goes, since the choices it was about changed)."""
    return (*_preview(values, orders, statuses, source, record, field_ids, state), None)


def _preview(values, orders, statuses, source, record, field_ids, state):
    if not auth.may_manage_data() or not record or not state:
        return None, None
    kept = upload.staged(state.get("token"))
    if kept is None or record.get("token") != kept.token:
        return None, _gone()
    if len(field_ids or []) != len(record["fields"]):
        return no_update, no_update  # the fields of another kind are being drawn
    try:
        columns, stages, clean = _choices(record, values, field_ids, orders, statuses, source)
        draft = applied(draft_for(kept, record["kind"]), columns, stages, clean, kept.file)
        frame, rejects = _drafting().preview(kept.path, draft.spec(), rows=PREVIEW_ROWS)
    except ChoiceError as exc:
        return None, dbc.Alert(str(exc), color="warning", className="import-alert")
    except LoadError as exc:
        return None, dbc.Alert(_short(str(exc), kept), color="warning", className="import-alert")
    table = fig.preview_table(frame, record["kind"], mapped_fields(columns))
    return table, fig.reject_notes(rejects, PREVIEW_ROWS)


def _short(message: str, kept: upload.Staged) -> str:
    """A loader's message naming the kept file by the name the person knows."""
    return message.replace(str(kept.path), kept.file).replace(kept.path.name, kept.file)


def _gone() -> dbc.Alert:
    return dbc.Alert(
        "The uploaded file is no longer kept (it waited too long, or was loaded or cancelled): "
        "drop it again.",
        color="warning",
        className="import-alert",
    )


@callback(
    Output(ids.DATA_UPLOAD_RESULT, "data", allow_duplicate=True),
    Output(ids.IMPORT_MESSAGE, "children"),
    Input(ids.IMPORT_LOAD, "n_clicks"),
    State({"type": ids.IMPORT_FIELD, "field": ALL}, "value"),
    State({"type": ids.IMPORT_FIELD, "field": ALL}, "id"),
    State({"type": ids.IMPORT_STAGE_ORDER, "index": ALL}, "value"),
    State({"type": ids.IMPORT_STAGE_STATUS, "index": ALL}, "value"),
    State(ids.IMPORT_SOURCE, "value"),
    State(ids.IMPORT_NAME, "value"),
    State(ids.IMPORT_DRAFT, "data"),
    State(ids.IMPORT_STATE, "data"),
    prevent_initial_call=True,
)
def load_step(n_clicks, values, field_ids, orders, statuses, source, name, record, state):
    """Check the choices, load the kept file with them, then save the mapping under its name.

    Bad choices, a name already used, a mapping that does not read or a load that fails leave
    the store as it was (one message in the step, which stays open for another try)."""
    if not n_clicks or not state or not record:
        return no_update, no_update
    if not auth.may_manage_data():
        return no_update, _error("Only an administrator may load data.")
    kept = upload.staged(state.get("token"))
    if kept is None or record.get("token") != kept.token:
        return no_update, _gone()
    engine = get_engine()
    try:
        columns, stages, clean = _choices(record, values, field_ids, orders, statuses, source)
        name = " ".join(str(name or "").split())
        if not name:
            raise ChoiceError("Give the mapping a name, to find it in the saved mappings.")
        if len(name) > NAME_MAX:
            raise ChoiceError(f"A mapping's name is at most {NAME_MAX} characters.")
        if mapping_reads.name_taken(engine, name):
            raise ChoiceError(
                f"A saved mapping is called “{name}” already: choose another name, or delete "
                "that one first."
            )
        other = mapping_reads.fitting(engine, record["header"], record["kind"])
        if other is not None:
            raise ChoiceError(
                f"The saved mapping “{other}” already reads files with these columns: delete "
                "it first to save another."
            )
        draft = applied(draft_for(kept, record["kind"]), columns, stages, clean, kept.file)
        mapping_from_dict(draft.spec(), where=kept.file)
        text = draft.to_toml()
    except ChoiceError as exc:
        return no_update, _error(str(exc))
    except LoadError as exc:
        return no_update, _error(_short(str(exc), kept))
    body = upload.load_staged(kept.token, text)
    if body.get("status") not in ("loaded", "unchanged"):
        return no_update, _error(
            f"Not loaded: {body.get('message') or 'the load failed'}. Nothing was changed."
        )
    try:
        saved_store.save_mapping(
            engine,
            name=name,
            kind=record["kind"],
            header=list(draft.header),
            spec_toml=text,
            author=_who(),
            via="browser",
        )
        body["mapping"] = name
    except LoadError as exc:
        body.setdefault("warnings", []).append(f"the mapping was not saved: {exc}")
    results = [body] + [
        {"status": "needs_mapping", "file": q.get("file"), "token": q.get("token")}
        for q in state.get("queue") or []
    ]
    return {"results": results}, None


def _error(text: str) -> dbc.Alert:
    return dbc.Alert(text, color="danger", className="import-alert mb-0")


def _who() -> str:
    viewer = auth.current_viewer()
    return viewer.name if viewer is not None else "local (no sign-in)"


__all__ = [
    "ChoiceError",
    "applied",
    "check_choices",
    "clean_source",
    "default_name",
    "draft_record",
    "stage_rows",
    "step_section",
]
