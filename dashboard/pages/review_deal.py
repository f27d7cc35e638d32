"""The Review's deal panel (DESIGN §12): in the weekly meeting, a click on a deal of the focus
list or of the moved deals opens the same panel the Course opens from its map (the deal's fields
on "now", its snapshots, a link to its rider) with the deal's plan (``plans.plan_panel("review")``),
so the manager adds and ticks off steps without leaving the meeting; the focus list's Plan
column follows each edit at once.

A click on a Plan cell with words ("4 steps, 2 at risk") lists that deal's steps in the Review's
trace panel instead: the rows behind those words. "Plans CSV" / "Plans XLSX" beside the focus
list export every step in the review's view (its team, else the viewer's teams).

The deal is looked up in the viewer's own review (scoped, as the page draws it): an id from the
browser reaches no other row. A panel (``dashboard.app.PANELS``): the Review places
``deal_panel()``; the callbacks live here so the Review's own module stays as it was.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, no_update

from dashboard import auth, ids, urls
from dashboard.figures import details as fd
from dashboard.figures import make_deal_details
from dashboard.figures.trace_view import make_trace_body
from dashboard.models import course as cm
from dashboard.models import plans as pmodel
from dashboard.models import review as rm
from dashboard.pages import plans
from loaders import clock
from loaders.store.engine import get_engine

VIEW = "review"


def plans_export_tools():
    """ "Plans CSV" and "Plans XLSX" for the Review's focus list: every step in the view."""
    return plans.export_buttons(
        ids.REVIEW_PLANS_CSV, ids.REVIEW_PLANS_XLSX, ids.REVIEW_PLANS_DOWNLOAD
    )


def deal_panel() -> dbc.Offcanvas:
    """The deal panel the Review places (closed until a deal is clicked)."""
    return fd.deal_panel(
        ids.REVIEW_DEAL,
        ids.REVIEW_DEAL_BODY,
        ids.REVIEW_DEAL_RIDER,
        (*plans.plan_stores(VIEW), plans.plan_panel(VIEW)),
    )


def review_for(data: dict | None):
    """The viewer's review for the page's state (``REVIEW_STATE``): ``(model, state)``, or None
    for a team outside their scope or no state."""
    if not isinstance(data, dict) or not isinstance(data.get("view"), dict):
        return None
    state = urls.ViewState.from_dict(data["view"])
    scope = auth.viewer_scope()
    if not auth.team_allowed(state.team, scope):
        return None
    engine = get_engine()
    days = rm.snapshot_days(engine)
    now, since = rm.resolve_days(
        {"as_of": data.get("as_of"), "since": data.get("since")}, days, state.quarter
    )
    return rm.review_model(engine, state.quarter, now, since, state.team, scope), state


def deal_key(row_id: object) -> tuple[str, str] | None:
    """``(source, deal_id)`` from a grid's row id (``source|deal_id``), text of a sane length."""
    if not isinstance(row_id, str) or "|" not in row_id or len(row_id) > 200:
        return None
    source, deal_id = row_id.split("|", 1)
    return (source, deal_id) if source and deal_id else None


def deal_record(model: rm.ReviewModel, source: str, deal_id: str) -> dict | None:
    """One deal of the review as the deal panel shows it: its row on "now" (the review's deals
    on that day), else, for a deal gone by then (removed), its movement row with its fields as
    they were. None when the deal is not in this viewer's review."""
    f = model.flags
    hit = f[(f["source"].astype(str) == source) & (f["deal_id"].astype(str) == deal_id)]
    if len(hit):
        return hit.iloc[0].to_dict()
    m = model.movement
    hit = m[(m["source"].astype(str) == source) & (m["deal_id"].astype(str) == deal_id)]
    if hit.empty:
        return None
    row = hit.iloc[0]
    now = bool(row.get("in_sb"))
    pick = lambda a, b: row.get(a) if now else row.get(b)  # noqa: E731
    return {
        "deal_name": row.get("deal_name"),
        "account": row.get("account"),
        "rep": row.get("rep"),
        "team": row.get("team"),
        "amount": pick("amount_now", "amount_since"),
        "stage": pick("stage_now", "stage_since"),
        "forecast_category": pick("forecast_category_now", "forecast_category_since"),
        "status": pick("status_now", "status_since"),
        "close_date": pick("close_date_now", "close_date_since"),
        "source": row.get("source"),
        "deal_id": row.get("deal_id"),
    }


@callback(
    output=dict(
        is_open=Output(ids.REVIEW_DEAL, "is_open"),
        title=Output(ids.REVIEW_DEAL, "title"),
        body=Output(ids.REVIEW_DEAL_BODY, "children"),
        rider_href=Output(ids.REVIEW_DEAL_RIDER, "href"),
        plan=Output(plans.plan_id(ids.PLANS_DEAL, VIEW), "data"),
    ),
    inputs=[Input(ids.REVIEW_FOCUS, "cellClicked"), Input(ids.REVIEW_MOVED, "cellClicked")],
    state=[State(ids.REVIEW_STATE, "data"), State(ids.SHELL_CANONICAL, "data")],
    prevent_initial_call=True,
)
def open_deal(focus_cell, moved_cell, data, canonical):
    """A deal clicked in the focus list or the moved deals: its details and its plan (a Plan
    cell with words opens its rows behind instead: ``show_plan_rows``)."""
    if ctx.triggered_id == ids.REVIEW_FOCUS:
        if _plan_cell(focus_cell):
            return dict.fromkeys(("is_open", "title", "body", "rider_href", "plan"), no_update)
        return open_deal_for(focus_cell, data, canonical)
    return open_deal_for(moved_cell, data, canonical)


def _plan_cell(cell) -> bool:
    return isinstance(cell, dict) and cell.get("colId") == "plan" and bool(cell.get("value"))


def open_deal_for(cell, data, canonical) -> dict:
    """``open_deal``'s work, callable with the clicked cell as an argument (tests)."""
    unchanged = dict(
        is_open=no_update, title=no_update, body=no_update, rider_href=no_update, plan=no_update
    )
    if not isinstance(cell, dict):
        return unchanged
    key = deal_key(cell.get("rowId"))
    if key is None:
        return unchanged
    found = review_for(data)
    if found is None:
        return unchanged
    model, _state = found
    deal = deal_record(model, *key)
    if deal is None:
        return dict(
            unchanged,
            is_open=True,
            title="Deal",
            body=dbc.Alert("This deal is not in this review any more.", color="warning"),
        )
    scope = auth.viewer_scope()
    trail = cm.deal_trail(get_engine(), key[0], key[1], model.as_of, model.quarter, scope=scope)
    rep = deal.get("rep")
    return dict(
        is_open=True,
        title=str(deal.get("deal_name") or deal.get("deal_id")),
        body=make_deal_details(deal, trail),
        rider_href=urls.rider_path(rep, urls.search_of(canonical))
        if isinstance(rep, str) and rep
        else no_update,
        plan={
            "view": VIEW,
            "source": key[0],
            "deal_id": key[1],
            "as_of": model.as_of.isoformat(),
        },
    )


@callback(
    Output(ids.REVIEW_FOCUS, "rowData", allow_duplicate=True),
    Input(plans.plan_id(ids.PLANS_VERSION, VIEW), "data"),
    State(ids.REVIEW_FOCUS, "rowData"),
    State(plans.plan_id(ids.PLANS_DEAL, VIEW), "data"),
    prevent_initial_call=True,
)
def refresh_plans(_edits, rows, deal):
    """After a step is added, ticked or removed in the panel, the focus list's Plan column says
    so at once (a plan edit changes no data version, so the page does not redraw)."""
    return plan_words(rows, deal)


def plan_words(rows, deal) -> list | object:
    """``refresh_plans``' work: the grid's rows with each deal's plan read again on the panel's
    day (only ``plan`` and ``plan_at_risk`` change; the steps are read in the viewer's scope)."""
    if not isinstance(rows, list) or not rows or not isinstance(deal, dict):
        return no_update
    as_of = urls.parse_day(deal.get("as_of"))
    if as_of is None:
        return no_update
    kept = [r for r in rows if isinstance(r, dict)]
    return plans.with_plan_state(kept, get_engine(), auth.viewer_scope(), as_of)


# --- the plans' rows: the export and the rows behind a Plan cell --------------------------------


def review_plan_rows(data, deal: tuple[str, str] | None = None):
    """The steps in the review's view (its team, else every team the viewer may see) on its
    "now" day, with risk and evidence; ``deal``'s only when given. None for a view the viewer
    may not see."""
    found = review_for(data)
    if found is None:
        return None
    model, state = found
    scope = [state.team] if state.team else auth.viewer_scope()
    rows = pmodel.load_plan_rows(get_engine(), scope, model.as_of, [deal] if deal else None)
    return rows, model, state


@callback(
    Output(ids.REVIEW_PLANS_DOWNLOAD, "data"),
    Input(ids.REVIEW_PLANS_CSV, "n_clicks"),
    Input(ids.REVIEW_PLANS_XLSX, "n_clicks"),
    State(ids.REVIEW_STATE, "data"),
    prevent_initial_call=True,
)
def export_plans(_csv, _xlsx, data):
    """Every step in the review's view as CSV or XLSX."""
    fmt = {ids.REVIEW_PLANS_CSV: "csv", ids.REVIEW_PLANS_XLSX: "xlsx"}.get(ctx.triggered_id)
    return plans_export(fmt, data) if fmt else no_update


def plans_export(fmt: str, data) -> dict | object:
    """``export_plans``' work (tests call it): the file, or nothing for a view not theirs."""
    found = review_plan_rows(data)
    if found is None:
        return no_update
    rows, model, state = found
    who = state.team or "all-teams"
    stem = ("plans", state.quarter, who, model.as_of.isoformat())
    title = (
        f"Deal plans · {state.team or 'All teams'} · {state.quarter} · as of "
        f"{model.as_of.isoformat()} · generated {clock.today().isoformat()}"
    )
    return plans.plans_file(rows, fmt, stem, title)


@callback(
    output=dict(
        is_open=Output(ids.REVIEW_TRACE, "is_open", allow_duplicate=True),
        title=Output(ids.REVIEW_TRACE, "title", allow_duplicate=True),
        body=Output(ids.REVIEW_TRACE_BODY, "children", allow_duplicate=True),
    ),
    inputs=[Input(ids.REVIEW_FOCUS, "cellClicked")],
    state=[State(ids.REVIEW_STATE, "data")],
    prevent_initial_call=True,
)
def show_plan_rows(cell, data):
    """A focus deal's Plan cell ("4 steps, 2 at risk"): its steps, the rows behind the words."""
    if not _plan_cell(cell):
        return no_update
    key = deal_key(cell.get("rowId"))
    found = review_plan_rows(data, key) if key else None
    trace = plans.plan_rows_trace(found[0], cell.get("rowId")) if found else None
    if trace is None:
        return no_update
    return dict(is_open=True, title=trace.title, body=make_trace_body(trace, ids.REVIEW_TRACE_GRID))


__all__ = [
    "VIEW",
    "deal_key",
    "deal_panel",
    "deal_record",
    "open_deal_for",
    "plan_words",
    "plans_export",
    "plans_export_tools",
    "review_plan_rows",
    "review_for",
]
