"""Deal plans (DESIGN §12; docs/metrics.md, deal plans): one panel several views place.

* On the Course, in the deal panel (``plan_panel("course")``): the plan of the deal clicked on
  the map (or on one of its plan's ticks).
* On the Review, in its deal panel (``dashboard.pages.review_deal``): the plan of the deal
  clicked in the focus list or the moved deals.
* On the Rider (``rider_plans_section``): a picker of the rider's open deals (a click on a row of
  "Deals to talk about" picks it too) and that deal's plan.
* Each plan lists its steps (kind, title, owner, due day, what puts it at risk, the note and the
  activities that are evidence for it: "Demo — SE Sam Ortiz, 14 Nov"), each with a tick to mark
  it done (or open again) and a button to remove it; a form adds a step (kind, title, owner from
  the roster, due day, note). The author is the signed-in viewer (the local mode: the operating
  system's user running Team Car).

Helpers the views call: ``with_ticks`` (the steps as ticks on a drawn course map),
``plan_column`` and ``with_plan_state`` (the plan's words, "3 steps, 1 at risk", in a grid).

Every id is ``{"type": ids.PLANS_..., "view": view}`` so one set of callbacks serves each view
(``MATCH``). Scope is enforced on the server in every callback (``dashboard.reads.plans``): a step
on a deal outside the viewer's teams is never read, and a forged id changes nothing.
"""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, MATCH, Input, Output, Patch, State, callback, ctx, html, no_update

from dashboard import auth, exports, ids, urls
from dashboard.figures import style as s
from dashboard.figures.plans import plan_tick_slot
from dashboard.figures.trace_view import make_trace_body
from dashboard.metrics import plans as mp
from dashboard.models import plans as plan_model
from dashboard.models import rider as rdm
from dashboard.models.trace import Trace
from dashboard.reads import plans as plan_reads
from loaders import clock
from loaders.schema import PLAN_KIND_LABELS, PLAN_KINDS
from loaders.store.engine import get_engine

VIEWS = ("course", "rider", "review")
KIND_OPTIONS = [{"label": PLAN_KIND_LABELS[k], "value": k} for k in PLAN_KINDS]
EVIDENCE_SHOWN = 3  # per step; "and N more" beyond


def plan_id(kind: str, view: str, **more) -> dict:
    """The id of one of a view's panel parts: ``{"type": kind, "view": view, ...}``."""
    return {"type": kind, "view": view, **more}


_id = plan_id


# --- the panel --------------------------------------------------------------------------------


def _form(view: str) -> html.Div:
    size = {"size": "sm"}
    return html.Div(
        [
            html.Div(
                [
                    dbc.Select(
                        id=_id(ids.PLANS_KIND, view),
                        options=KIND_OPTIONS,
                        value="technical",
                        className="plan-kind-pick",
                        **size,
                    ),
                    dbc.Input(
                        id=_id(ids.PLANS_TITLE, view),
                        placeholder="What (e.g. Demo to IT)",
                        maxLength=200,
                        **size,
                    ),
                ],
                className="plan-form-row",
            ),
            html.Div(
                [
                    dbc.Select(
                        id=_id(ids.PLANS_OWNER, view),
                        options=[],
                        placeholder="Owner",
                        className="plan-owner-pick",
                        **size,
                    ),
                    dbc.Input(
                        id=_id(ids.PLANS_DUE, view),
                        type="date",
                        className="plan-due-pick",
                        **size,
                    ),
                ],
                className="plan-form-row",
            ),
            dbc.Input(
                id=_id(ids.PLANS_NOTE, view), placeholder="Note (optional)", maxLength=2000, **size
            ),
            html.Div(
                [
                    dbc.Button("Add step", id=_id(ids.PLANS_ADD, view), color="dark", **size),
                    html.Span(id=_id(ids.PLANS_MESSAGE, view), className="small"),
                ],
                className="note-actions",
            ),
        ],
        id=_id(ids.PLANS_FORM, view),
        className="plan-form",
        hidden=True,
    )


def plan_panel(view: str) -> html.Div:
    """The plan of the deal the view names in its ``PLANS_DEAL`` store (filled by the view)."""
    return html.Div(
        [
            html.Div(
                [
                    html.H3("Deal plan", className="plan-heading"),
                    html.Span(id=_id(ids.PLANS_SUMMARY, view), className="plan-summary"),
                ],
                className="plan-head",
            ),
            html.Div(id=_id(ids.PLANS_STEPS, view), className="plan-steps"),
            _form(view),
        ],
        className="plan-panel",
    )


def plan_stores(view: str) -> list:
    """The stores a view holds for its panel: the deal shown and a counter bumped by edits."""
    from dash import dcc

    return [dcc.Store(id=_id(ids.PLANS_DEAL, view)), dcc.Store(id=_id(ids.PLANS_VERSION, view))]


def rider_plans_section() -> html.Section:
    """The Rider's "Deal plans": pick one of the rider's open deals, then its plan."""
    return html.Section(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Deal plans", className="section-title"),
                            html.Span(
                                "the work around the deals that decide the quarter · pick a "
                                "deal (or click one in “Deals to talk about”)",
                                className="section-hint",
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            dbc.Select(
                                id=ids.PLANS_PICK,
                                options=[],
                                placeholder="Pick a deal…",
                                size="sm",
                                className="since-select plan-deal-pick",
                            ),
                            export_buttons(
                                ids.RIDER_PLANS_CSV, ids.RIDER_PLANS_XLSX, ids.RIDER_PLANS_DOWNLOAD
                            ),
                        ],
                        className="plan-tools",
                    ),
                ],
                className="section-head review-section-head",
            ),
            *plan_stores("rider"),
            plan_panel("rider"),
        ],
        className="panel",
    )


def export_buttons(csv_id: str, xlsx_id: str, download_id: str) -> html.Div:
    """ "Plans CSV" and "Plans XLSX": the steps a view may see, as a file (``plans_file``)."""
    from dash import dcc

    button = {"size": "sm", "color": "secondary", "outline": True}
    return html.Div(
        [
            dbc.Button(
                "Plans CSV", id=csv_id, title="Download the deal plans' steps as CSV", **button
            ),
            dbc.Button(
                "Plans XLSX",
                id=xlsx_id,
                title="Download the deal plans' steps as an Excel workbook",
                **button,
            ),
            dcc.Download(id=download_id),
        ],
        className="plan-export",
    )


def plans_file(rows: pd.DataFrame, fmt: str, stem: tuple, title: str) -> dict:
    """The steps (``models.plans.plan_rows``) as a download: CSV or XLSX, formulas neutralised
    (``dashboard.exports``)."""
    from dash import dcc

    table = plan_model.export_table(rows)
    if fmt == "csv":
        return dcc.send_bytes(exports.to_csv_bytes(table), exports.safe_filename(*stem, ext="csv"))
    return dcc.send_bytes(
        exports.to_xlsx_bytes(table, sheet="Deal plans", title=title),
        exports.safe_filename(*stem, ext="xlsx"),
    )


# --- words -----------------------------------------------------------------------------------


def _author() -> str:
    """Who writes: the signed-in viewer; in the local mode, the system's user running Team Car."""
    viewer = auth.current_viewer()
    if viewer is not None:
        return viewer.name
    from loaders.store.audit import local_actor

    return local_actor()


def _step_item(view: str, step: dict, evidence: list[dict]) -> html.Div:
    done = step["status"] == "done"
    risky = bool(step.get("at_risk"))
    label = mp.kind_label(step["kind"])
    meta = [
        html.Span(step["owner"] if isinstance(step.get("owner"), str) else "no owner"),
        html.Span(
            f"due {s.day(step['due'], '%d %b')}"
            if not s.is_missing(step.get("due"))
            else "no due day"
        ),
    ]
    if risky:
        meta.append(html.Span(f"at risk: {step['risk']}", className="plan-risk"))
    if done and not s.is_missing(step.get("done_at")):
        meta.append(html.Span(f"done {s.day(step['done_at'], '%d %b')} by {step.get('done_by')}"))
    body = [
        html.Div(
            [
                html.Span(label, className="plan-kind"),
                html.Span(step["title"], className="plan-title")
                if step["title"] != label
                else None,
            ],
            className="plan-line",
        ),
        html.Div(meta, className="plan-meta"),
    ]
    if isinstance(step.get("note"), str) and step["note"]:
        body.append(html.Div(step["note"], className="plan-note"))
    if evidence:
        more = len(evidence) - EVIDENCE_SHOWN
        items = [html.Li(mp.evidence_text(e)) for e in evidence[-EVIDENCE_SHOWN:]]
        if more > 0:
            items.insert(0, html.Li(f"and {more} earlier", className="muted"))
        body.append(html.Ul(items, className="plan-evidence", title="activities that match it"))
    return html.Div(
        [
            dbc.Button(
                "✓" if done else "",
                id=_id(ids.PLANS_DONE, view, step=int(step["id"])),
                className="plan-tick" + (" is-done" if done else ""),
                title="Done: click to open it again" if done else "Mark done",
                n_clicks=0,
            ),
            html.Div(body, className="plan-body"),
            dbc.Button(
                "×",
                id=_id(ids.PLANS_DELETE, view, step=int(step["id"])),
                color="link",
                className="plan-delete",
                title="Remove this step",
                n_clicks=0,
            ),
        ],
        className="plan-step" + (" done" if done else "") + (" at-risk" if risky else ""),
    )


def _deal_of(data) -> tuple[str, str, dt.date] | None:
    """The deal a panel shows (from its store): text of a sane length, else nothing."""
    if not isinstance(data, dict):
        return None
    source, deal_id = data.get("source"), data.get("deal_id")
    if not (isinstance(source, str) and isinstance(deal_id, str)):
        return None
    if not (0 < len(source) <= 64 and 0 < len(deal_id) <= 64):
        return None
    as_of = urls.parse_day(data.get("as_of")) or clock.today()
    return source, deal_id, as_of


def _with_risk(steps: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    return steps.assign(at_risk=mp.at_risk(steps, as_of), risk=mp.risk_reason(steps, as_of))


# --- callbacks --------------------------------------------------------------------------------


@callback(
    output=dict(
        summary=Output(_id(ids.PLANS_SUMMARY, MATCH), "children"),
        steps=Output(_id(ids.PLANS_STEPS, MATCH), "children"),
        form_hidden=Output(_id(ids.PLANS_FORM, MATCH), "hidden"),
        owners=Output(_id(ids.PLANS_OWNER, MATCH), "options"),
    ),
    inputs=[
        Input(_id(ids.PLANS_DEAL, MATCH), "data"),
        Input(_id(ids.PLANS_VERSION, MATCH), "data"),
        Input(ids.SHELL_DATA_VERSION, "data"),
    ],
    # As a page opens no deal is named (the layout shows the empty panel this would draw); a
    # deal named by the view, an edit or new data still draws it. On the Rider the first call
    # was the last of a chain of three round trips (picker, deal, panel) after the first ones.
    prevent_initial_call=True,
)
def render_plan(data, _edits, version):
    """The deal's steps with their risk and evidence, and the form (for a deal in scope)."""
    deal = _deal_of(data)
    if deal is None or version is None:
        return dict(summary="", steps=None, form_hidden=True, owners=[])
    source, deal_id, as_of = deal
    engine = get_engine()
    scope = auth.viewer_scope()
    if not plan_reads.can_plan(engine, source, deal_id, scope, as_of):
        return dict(
            summary="",
            steps=html.Div("No plan can be kept for this deal here.", className="muted"),
            form_hidden=True,
            owners=[],
        )
    steps = _with_risk(plan_reads.load_steps(engine, scope, as_of, [(source, deal_id)]), as_of)
    acts = plan_reads.load_deal_activities(engine, scope, [(source, deal_id)])
    found = mp.evidence(steps, acts)
    per_step = {k: g.to_dict("records") for k, g in found.groupby("step_id")}
    owners = plan_reads.owner_options(engine, scope)
    options = [
        {
            "label": f"{r.name}" + (f" · {r.role}" if isinstance(r.role, str) else ""),
            "value": str(r.id),
        }
        for r in owners.itertuples(index=False)
    ]
    if steps.empty:
        return dict(
            summary="no steps yet",
            steps=html.Div(
                "No plan yet: add the steps that close this deal (briefing, legal, security, "
                "the technical win, partner, pricing).",
                className="muted plan-empty",
            ),
            form_hidden=False,
            owners=options,
        )
    state = mp.plan_states(steps, as_of).iloc[0]
    items = [
        _step_item(view_of(data), r, per_step.get(r["id"], [])) for r in steps.to_dict("records")
    ]
    return dict(
        summary=html.Span(
            state["plan"], className="plan-summary-risk" if state["at_risk"] else None
        ),
        steps=items,
        form_hidden=False,
        owners=options,
    )


def view_of(data) -> str:
    """The view a panel's store belongs to (written there with the deal)."""
    view = data.get("view") if isinstance(data, dict) else None
    return view if view in VIEWS else "course"


@callback(
    output=dict(
        version=Output(_id(ids.PLANS_VERSION, MATCH), "data"),
        message=Output(_id(ids.PLANS_MESSAGE, MATCH), "children"),
        title=Output(_id(ids.PLANS_TITLE, MATCH), "value"),
        note=Output(_id(ids.PLANS_NOTE, MATCH), "value"),
    ),
    inputs=[
        Input(_id(ids.PLANS_ADD, MATCH), "n_clicks"),
        Input(_id(ids.PLANS_DONE, MATCH, step=ALL), "n_clicks"),
        Input(_id(ids.PLANS_DELETE, MATCH, step=ALL), "n_clicks"),
    ],
    state=[
        State(_id(ids.PLANS_KIND, MATCH), "value"),
        State(_id(ids.PLANS_TITLE, MATCH), "value"),
        State(_id(ids.PLANS_OWNER, MATCH), "value"),
        State(_id(ids.PLANS_DUE, MATCH), "value"),
        State(_id(ids.PLANS_NOTE, MATCH), "value"),
        State(_id(ids.PLANS_DEAL, MATCH), "data"),
        State(_id(ids.PLANS_VERSION, MATCH), "data"),
    ],
    prevent_initial_call=True,
)
def plan_action(_add, _done, _delete, kind, title, owner, due, note, data, edits):
    """Add a step, tick one off (or open it again), or remove one."""
    return act(ctx.triggered_id, ctx.triggered, kind, title, owner, due, note, data, edits)


def act(trigger, triggered, kind, title, owner, due, note, data, edits) -> dict:
    """``plan_action``'s work, callable with the trigger as an argument (tests)."""
    unchanged = dict(version=no_update, message=no_update, title=no_update, note=no_update)
    if not triggered or not triggered[0].get("value"):
        return unchanged  # a button drawn anew (n_clicks 0), not a click
    deal = _deal_of(data)
    if deal is None:
        return unchanged
    source, deal_id, _as_of = deal
    engine = get_engine()
    scope = auth.viewer_scope()
    author = _author()
    bumped = (edits or 0) + 1
    try:
        if isinstance(trigger, dict) and trigger.get("type") == ids.PLANS_DONE:
            steps = plan_reads.load_steps(engine, scope, None, [(source, deal_id)])
            current = steps.loc[steps["id"] == trigger.get("step"), "status"]
            status = "open" if len(current) and current.iloc[0] == "done" else "done"
            plan_reads.set_status(engine, scope, trigger.get("step"), status, author)
            said = "Step done." if status == "done" else "Step open again."
            return dict(
                unchanged, version=bumped, message=html.Span(said, className="text-success")
            )
        if isinstance(trigger, dict) and trigger.get("type") == ids.PLANS_DELETE:
            plan_reads.delete_step(engine, scope, trigger.get("step"), author)
            return dict(
                unchanged,
                version=bumped,
                message=html.Span("Step removed.", className="text-success"),
            )
        if isinstance(trigger, dict) and trigger.get("type") == ids.PLANS_ADD:
            plan_reads.add_step(
                engine,
                scope,
                source=source,
                deal_id=deal_id,
                kind=kind,
                title=title,
                owner=owner,
                due=due or None,
                note=note,
                author=author,
            )
            return dict(
                version=bumped,
                message=html.Span("Step added.", className="text-success"),
                title="",
                note="",
            )
    except plan_reads.PlanError as exc:
        return dict(unchanged, message=html.Span(str(exc), className="text-danger"))
    return unchanged


# --- where views place it --------------------------------------------------------------------


@callback(
    Output(_id(ids.PLANS_DEAL, "course"), "data"),
    Input(ids.COURSE_MAP, "clickData"),
    State(ids.COURSE_STATE, "data"),
    prevent_initial_call=True,
)
def course_deal(click, state_data):
    """A deal (or a tick of its plan) clicked on the map: its plan in the deal panel."""
    try:
        point = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return no_update
    if not isinstance(point, list | tuple) or len(point) < 3 or point[0] != "deal":
        return no_update
    state = urls.ViewState.from_dict(state_data or {})
    return {
        "view": "course",
        "source": str(point[1]),
        "deal_id": str(point[2]),
        "as_of": state.as_of_day.isoformat(),
    }


@callback(
    Output(ids.PLANS_PICK, "options"),
    Output(ids.PLANS_PICK, "value"),
    Input(ids.RIDER_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
    Input(ids.RIDER_FLAGS, "cellClicked"),
    Input(ids.RIDER_FLAGS, "rowData"),
    State(ids.PLANS_PICK, "value"),
)
def rider_deals(data, version, cell, rows, current):
    """The rider's open deals to plan (those "Deals to talk about" lists); a click on a row of
    that grid picks its deal."""
    rows = rows or []
    options = [
        {
            "label": f"{r.get('deal_name') or r.get('deal_id')}",
            "value": f"{r['source']}|{r['deal_id']}",
        }
        for r in rows
        if isinstance(r, dict) and r.get("source") and r.get("deal_id")
    ]
    values = {o["value"] for o in options}
    if ctx.triggered_id == ids.RIDER_FLAGS and isinstance(cell, dict):
        key = None
        row_id = cell.get("rowId")
        if isinstance(row_id, str) and row_id in values:
            key = row_id
        return options, key or no_update
    picked = current if current in values else None
    # An unchanged pick is not set again: that would start the deal's chain for nothing.
    return options, no_update if picked == current else picked


@callback(
    Output(_id(ids.PLANS_DEAL, "rider"), "data"),
    Input(ids.PLANS_PICK, "value"),
    State(ids.RIDER_STATE, "data"),
    prevent_initial_call=True,  # nothing is picked as the page opens
)
def rider_deal(value, data):
    """The picked deal's plan (the server checks the deal is the viewer's before showing it)."""
    if not isinstance(value, str) or "|" not in value:
        return None
    source, deal_id = value.split("|", 1)
    view = (data or {}).get("view") or {}
    as_of = urls.ViewState.from_dict(view).as_of_day if view else clock.today()
    return {"view": "rider", "source": source, "deal_id": deal_id, "as_of": as_of.isoformat()}


def _rider(data) -> rdm.RiderView | None:
    """The viewer's view of the rider the page names (None for nobody, or a forged name)."""
    rep = data.get("rep") if isinstance(data, dict) else None
    view = data.get("view") if isinstance(data, dict) else None
    if not isinstance(rep, str) or not rep.strip() or len(rep) > 255 or not isinstance(view, dict):
        return None
    state = urls.ViewState.from_dict(view)
    return rdm.rider_view(
        get_engine(),
        rep.strip(),
        state.quarter,
        state.as_of_day,
        state.since_day,
        auth.viewer_scope(),
    )


def rider_plan_rows(data, deal: tuple[str, str] | None = None) -> pd.DataFrame | None:
    """The steps on the rider's deals this quarter (or on ``deal``, one of them) the viewer may
    see, with risk and evidence; None when the page names no rider they can see."""
    who = _rider(data)
    if who is None or who.summary.flags.empty:
        return None
    flags = who.summary.flags
    mine = flags[flags["rep"].astype("object") == who.rep]
    keys = sorted(set(zip(mine["source"].astype(str), mine["deal_id"].astype(str), strict=True)))
    if deal is not None:
        keys = [k for k in keys if k == deal]
    return plan_model.load_plan_rows(get_engine(), auth.viewer_scope(), who.as_of, keys)


@callback(
    Output(ids.RIDER_PLANS_DOWNLOAD, "data"),
    Input(ids.RIDER_PLANS_CSV, "n_clicks"),
    Input(ids.RIDER_PLANS_XLSX, "n_clicks"),
    State(ids.RIDER_STATE, "data"),
    prevent_initial_call=True,
)
def export_rider_plans(_csv, _xlsx, data):
    """The steps on the rider's deals as CSV or XLSX."""
    fmt = {ids.RIDER_PLANS_CSV: "csv", ids.RIDER_PLANS_XLSX: "xlsx"}.get(ctx.triggered_id)
    return rider_plans_export(fmt, data) if fmt else no_update


def rider_plans_export(fmt: str, data) -> dict | object:
    """``export_rider_plans``' work (tests call it): the file, or nothing for no rider."""
    rows = rider_plan_rows(data)
    if rows is None:
        return no_update
    rep, view = data["rep"].strip(), urls.ViewState.from_dict(data["view"])
    stem = ("plans", rep, view.quarter, view.as_of_day.isoformat())
    title = (
        f"Deal plans · {rep} · {view.quarter} · as of {view.as_of_day.isoformat()} · generated "
        f"{clock.today().isoformat()}"
    )
    return plans_file(rows, fmt, stem, title)


def plan_rows_trace(rows: pd.DataFrame | None, row_id: object) -> Trace | None:
    """The rows behind the plan's words of the grid row ``row_id`` (``source|deal_id``)."""
    if rows is None or not isinstance(row_id, str) or "|" not in row_id or len(row_id) > 200:
        return None
    source, deal_id = row_id.split("|", 1)
    return plan_model.plan_trace(rows, source, deal_id)


@callback(
    output=dict(
        is_open=Output(ids.RIDER_TRACE, "is_open", allow_duplicate=True),
        title=Output(ids.RIDER_TRACE, "title", allow_duplicate=True),
        body=Output(ids.RIDER_TRACE_BODY, "children", allow_duplicate=True),
    ),
    inputs=[Input(ids.RIDER_FLAGS, "cellClicked")],
    state=[State(ids.RIDER_STATE, "data")],
    prevent_initial_call=True,
)
def rider_plan_trace(cell, data):
    """A deal's Plan cell in "Deals to talk about": its steps, the rows behind the words."""
    if not isinstance(cell, dict) or cell.get("colId") != "plan" or not cell.get("value"):
        return no_update
    key = cell.get("rowId")
    if not isinstance(key, str) or "|" not in key:
        return no_update
    trace = plan_rows_trace(rider_plan_rows(data, tuple(key.split("|", 1))), key)
    if trace is None:
        return no_update
    return dict(is_open=True, title=trace.title, body=make_trace_body(trace, ids.RIDER_TRACE_GRID))


# --- the plan elsewhere: ticks on the course, the plan's words in grids ------------------------


def plan_states(engine, scope, as_of: dt.date) -> pd.DataFrame:
    """Every visible plan's state on ``as_of`` (``source, deal_id, steps, done, at_risk, plan``)."""
    return mp.plan_states(plan_reads.load_steps(engine, scope, as_of), as_of)


def _ticks_of(figure: dict, engine, scope, start: dt.date, end: dt.date, as_of: dt.date):
    steps = _with_risk(plan_reads.load_steps(engine, scope, as_of), as_of)
    return plan_tick_slot(figure, steps, start, (end - start).days + 1)


def with_ticks(figure, engine, scope, quarter_start: dt.date, quarter_end: dt.date, as_of: dt.date):
    """A drawn course map (dict or figure) with its deals' plan steps as ticks: one trace, the
    figure's last. A map drawn as a dict (the Course's) keeps that trace even with no tick (so
    ``course_ticks`` can replace it); a figure object with no tick is returned as it was."""
    drawn = figure
    if hasattr(figure, "to_plotly_json"):
        figure = figure.to_plotly_json()
    if not isinstance(figure, dict):
        return figure
    _at, trace = _ticks_of(figure, engine, scope, quarter_start, quarter_end, as_of)
    if drawn is not figure and len(trace["x"]) == 0:
        return drawn
    return {**figure, "data": [*(figure.get("data") or []), trace]}


@callback(
    Output(ids.COURSE_MAP, "figure", allow_duplicate=True),
    Input(_id(ids.PLANS_VERSION, "course"), "data"),
    State(ids.COURSE_STATE, "data"),
    prevent_initial_call=True,
)
def course_ticks(_edits, state_data):
    """After a step is added, ticked or removed in the Course's deal panel, the map's ticks at
    once: only the tick trace is sent (a Patch), the map itself is the cached drawing."""
    return course_tick_patch(state_data)


def course_tick_patch(state_data) -> Patch | object:
    """``course_ticks``' work: a Patch replacing the map's tick trace, read again in the
    viewer's scope; nothing when the view is not one they may see or drew no map."""
    # the Course's cached drawing, as its render took it (a page imports this panel, so the page
    # is imported here, when called)
    from dashboard.pages import course

    if not isinstance(state_data, dict) or not state_data:
        return no_update
    state = urls.ViewState.from_dict(state_data)
    scope = auth.viewer_scope()
    if not auth.team_allowed(state.team, scope):
        return no_update
    engine = get_engine()
    drawn = course._view(engine, state, scope)  # noqa: SLF001 (the page's cached drawing)
    figure = drawn.get("map") if isinstance(drawn, dict) else None
    if not isinstance(figure, dict):
        return no_update
    q = state.quarter_obj()
    at, trace = _ticks_of(figure, engine, scope, q.start, q.end, state.as_of_day)
    patch = Patch()
    patch["data"][at] = trace
    return patch


def plan_column() -> dict:
    """The grid column saying each deal's plan ("3 steps, 1 at risk"; red when at risk)."""
    return {
        "field": "plan",
        "headerName": "Plan",
        "width": 150,
        "tooltipField": "plan",
        "cellClassRules": {"tc-down": "params.data && params.data.plan_at_risk > 0"},
    }


def plan_columns(columns: list[dict], after: str = "flags") -> list[dict]:
    """A grid's columns with ``plan_column`` after its ``after`` column (else at the end)."""
    at = next((i + 1 for i, c in enumerate(columns) if c.get("field") == after), len(columns))
    return [*columns[:at], plan_column(), *columns[at:]]


def with_plan_state(rows: list[dict], engine, scope, as_of: dt.date) -> list[dict]:
    """Grid rows (with ``source`` and ``deal_id``) with ``plan`` and ``plan_at_risk`` added."""
    if not rows:
        return rows
    states = plan_states(engine, scope, as_of)
    if states.empty:
        return [{**r, "plan": "", "plan_at_risk": 0} for r in rows]
    by = {
        (a, b): (p, int(k))
        for a, b, p, k in states[["source", "deal_id", "plan", "at_risk"]].itertuples(index=False)
    }
    out = []
    for r in rows:
        plan, risky = by.get((r.get("source"), r.get("deal_id")), ("", 0))
        out.append({**r, "plan": plan, "plan_at_risk": risky})
    return out


__all__ = [
    "act",
    "course_tick_patch",
    "export_buttons",
    "plan_rows_trace",
    "plans_file",
    "rider_plan_rows",
    "rider_plans_export",
    "plan_column",
    "plan_columns",
    "plan_id",
    "plan_panel",
    "plan_states",
    "plan_stores",
    "rider_plans_section",
    "with_plan_state",
    "with_ticks",
]
