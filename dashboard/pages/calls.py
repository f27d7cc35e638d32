"""Forecast calls (docs/metrics.md#forecast): the calls in force and a form to make one.

One panel that several views place (``dashboard.app.PANELS``), with its own callbacks:

* On the Course and the Review (``calls_panel``): the call in force of every person of the view
  (the team in the URL, else every team the viewer sees) as a tree of the reporting chain, on the
  view's as_of day: status in words, commit and best case, the rolled-up sum below and the
  adjustment with who made it; the people who have not called this week are highlighted and
  listed. Small trees open whole; a large one (``OPEN_ALL_UP_TO``) opens its first two levels and
  each manager opens with a click, so 2,000 reps stay usable.
* On the Rider (``rider_calls_panel``): the rep's own call in force and their calls this quarter.
* A form to make a call: only people the viewer may call for are offered; the author is the
  signed-in viewer (in the local mode, a name remembered in this browser); the call is made today
  and only a view of today takes one (docs/metrics.md#making-a-call-in-the-browser).

Every id is ``{"type": ids.CALLS_..., "view": view}`` so one set of callbacks serves each view
(``MATCH``). Scope is enforced on the server in every callback: the tree comes from the forecast
narrowed to the viewer's scope, and ``record_call`` refuses a person outside it (a forged request
changes nothing). A call bumps the calls' version, so every open page redraws on its next poll
(only the forecast is computed again); this panel redraws at once.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import auth, ids, urls
from dashboard.figures import style as s
from dashboard.figures.review import MONEY_FMT
from dashboard.models import forecast as fm
from dashboard.reads import calls as call_reads
from loaders import clock
from loaders.store.engine import get_engine

VIEWS = ("course", "review", "rider")
VIEW_PATHS = {"course": "/", "review": "/review"}
OPEN_ALL_UP_TO = 60  # people in view: a tree this small opens whole
OPEN_DEPTH = 2  # a larger one opens the levels above this depth
NAMES_LISTED = 12  # who has not called: names shown before "and N more"
MAX_AMOUNT = 1e13
STATUS_WORDS = {"rolled_up": "rolled up", "crm": "CRM"}

SIGNED_FMT = {
    "function": "params.value == null ? '' : (params.value > 0 ? '+' : '') + "
    "d3.format(',.0f')(params.value)"
}
TONE_RULES = {"tc-up": "params.value > 0", "tc-down": "params.value < 0"}


def _id(kind: str, view: str) -> dict:
    return {"type": kind, "view": view}


# --- words and numbers ------------------------------------------------------------------------


def status_words(status: object, week: object = None) -> str:
    """A call's status as the panel says it: ``submitted this week``, ``carried from week 7``,
    ``rolled up``, ``CRM``."""
    if status == "submitted":
        return "submitted this week"
    if status == "carried":
        if week is None or pd.isna(week):
            return "carried"
        week = int(week)
        return "carried from before the quarter" if week <= 0 else f"carried from week {week}"
    return STATUS_WORDS.get(str(status), str(status or ""))


_AMOUNT = re.compile(r"^(?P<number>\d+(?:\.\d*)?|\.\d+)(?P<unit>[km]?)$")


def parse_amount(text: object, what: str) -> tuple[float | None, str | None]:
    """An amount typed in the form: ``125000``, ``125,000``, ``$125k``, ``1.2m``.

    Returns:
        (amount, None), or (None, a message for the field).
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None, f"Enter the {what}, like 125000."
    if isinstance(text, bool):
        return None, f"The {what} must be a number, like 125000."
    if isinstance(text, int | float):
        number = float(text)
    else:
        raw = re.sub(r"[\s,_$€£]", "", str(text)).lower()
        negative = raw.startswith(("-", "−"))
        match = _AMOUNT.match(raw.lstrip("-−"))
        if match is None:
            return None, f"The {what} must be a number, like 125000 or 125k."
        number = float(match["number"]) * {"": 1, "k": 1e3, "m": 1e6}[match["unit"]]
        number = -number if negative else number
    if not math.isfinite(number):
        return None, f"The {what} must be a number, like 125000."
    if number < 0:
        return None, f"The {what} cannot be negative."
    if number > MAX_AMOUNT:
        return None, f"The {what} is too large for a quarter."
    return round(number, 2), None


# --- the tree ---------------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _money(value) -> float | None:
    return None if _missing(value) else float(value)


def tree_rows(
    people: pd.DataFrame, callers: set[str], expanded: dict | None = None
) -> tuple[list[dict], list[str]]:
    """The roll-up as rows of a tree, and who has not called this week.

    Args:
        people: ``Forecast.people`` (``fc.roll_up`` on the view's day).
        callers: the people a call can be kept for (on the roster, in scope); others (owners
            off the roster) are shown but never counted as not having called.
        expanded: ``{"open": [...], "closed": [...]}``: managers opened or closed by a click;
            others follow the default (all open in a small tree, the first levels in a large).

    Returns:
        (rows in tree order, the visible ones only, each with ``person, role, team, depth,
        toggle, status, status_key, commit, best_case, rolled_commit, rolled_best, adj_commit,
        adj_best, by, missing, not_called``; the names of everyone in view expected to call who
        has not called this week, in tree order). A person is expected to call when they manage
        someone or carry their own figures (a rider), and can be called for.
    """
    if people.empty:
        return [], []
    rows = {r["person"]: r for r in people.to_dict("records")}
    children: dict[str | None, list[str]] = {}
    for person, row in rows.items():
        manager = row["manager"] if row["manager"] in rows else None
        children.setdefault(manager, []).append(person)

    def order(names):
        return sorted(names, key=lambda p: (not rows[p]["is_manager"], p.casefold()))

    opened = set((expanded or {}).get("open") or [])
    closed = set((expanded or {}).get("closed") or [])
    small = len(rows) <= OPEN_ALL_UP_TO

    def is_open(person: str) -> bool:
        if person in closed:
            return False
        return person in opened or small or rows[person]["depth"] < OPEN_DEPTH

    def expected(person: str) -> bool:
        row = rows[person]
        return person in callers and (bool(row["is_manager"]) or not _missing(row["own_commit"]))

    # not called below each manager (deepest first, so each sums its reports' counts)
    below: dict[str, int] = {}
    for person in sorted(rows, key=lambda p: -rows[p]["depth"]):
        below[person] = sum(
            below.get(r, 0) + (expected(r) and rows[r]["status"] != "submitted")
            for r in children.get(person, [])
        )

    out: list[dict] = []
    not_called: list[str] = []
    stack = [(p, True) for p in reversed(order(children.get(None, [])))]
    seen: set[str] = set()
    while stack:
        person, visible = stack.pop()
        if person in seen:
            continue
        seen.add(person)
        row = rows[person]
        reports = children.get(person, [])
        missing = expected(person) and row["status"] != "submitted"
        if missing:
            not_called.append(person)
        open_ = is_open(person)
        if visible:
            day = row.get("submitted")
            by = None if _missing(row["by"]) else str(row["by"])
            if by and not _missing(day):
                by = f"{by} · {s.day(day, '%d %b')}"
            out.append(
                {
                    "person": person,
                    "role": None if _missing(row["role"]) else row["role"],
                    "team": None if _missing(row["team"]) else row["team"],
                    "depth": int(row["depth"]),
                    "toggle": ("▾ " if open_ else "▸ ") if reports else "",
                    "status": status_words(row["status"], row["week"]),
                    "status_key": row["status"],
                    "commit": _money(row["value_commit"]),
                    "best_case": _money(row["value_best_case"]),
                    "rolled_commit": _money(row["rolled_up_commit"]) if reports else None,
                    "rolled_best": _money(row["rolled_up_best_case"]) if reports else None,
                    "adj_commit": _money(row["adjustment_commit"]) if reports else None,
                    "adj_best": _money(row["adjustment_best_case"]) if reports else None,
                    "by": by,
                    "missing": bool(missing),
                    "not_called": below[person] if reports else None,
                    "has_reports": bool(reports),
                }
            )
        for report in reversed(order(reports)):
            stack.append((report, visible and open_))
    return out, not_called


def tree_columns() -> list[dict]:
    """The tree grid's columns: person (indented by depth), role, status, the call in force,
    the rolled-up sum and the adjustment (with who made the call), and who below has not called."""
    money = {
        "type": "numericColumn",
        "valueFormatter": MONEY_FMT,
        "minWidth": 88,
        "flex": 1,
    }
    return [
        {
            "field": "person",
            "headerName": "Person",
            "pinned": "left",
            "minWidth": 220,
            "flex": 2.2,
            "valueFormatter": {"function": "(params.data.toggle || '') + params.value"},
            "cellStyle": {
                "function": "({paddingLeft: (10 + 18 * params.data.depth) + 'px'})",
            },
            "cellClassRules": {"calls-branch": "params.data.has_reports"},
            "tooltipField": "team",
        },
        {"field": "role", "headerName": "Role", "minWidth": 96, "flex": 0.8},
        {
            "field": "status",
            "headerName": "Status",
            "minWidth": 172,
            "flex": 1.3,
            "cellClassRules": {
                "calls-submitted": "params.data.status_key === 'submitted'",
                "calls-late": "params.data.missing",
            },
        },
        {
            "headerName": "Call in force",
            "children": [
                {"field": "commit", "headerName": "Commit", **money},
                {"field": "best_case", "headerName": "Best case", **money},
            ],
        },
        {
            "headerName": "Rolled up from reports",
            "children": [
                {"field": "rolled_commit", "headerName": "Commit", **money},
                {"field": "rolled_best", "headerName": "Best case", **money},
            ],
        },
        {
            "headerName": "Adjustment",
            "children": [
                {
                    "field": "adj_commit",
                    "headerName": "Commit",
                    **money,
                    "valueFormatter": SIGNED_FMT,
                    "cellClassRules": TONE_RULES,
                },
                {
                    "field": "adj_best",
                    "headerName": "Best case",
                    **money,
                    "valueFormatter": SIGNED_FMT,
                    "cellClassRules": TONE_RULES,
                },
            ],
        },
        {
            "field": "by",
            "headerName": "Called by",
            "minWidth": 190,
            "flex": 1.6,
            "tooltipField": "by",
        },
        {
            "field": "not_called",
            "headerName": "Not called",
            "headerTooltip": "people below them who have not called this week",
            "type": "numericColumn",
            "minWidth": 96,
            "flex": 0.9,
            "cellClassRules": {"tc-down": "params.value > 0"},
        },
    ]


def history_columns() -> list[dict]:
    """The Rider's grid: the rep's calls this quarter, newest first."""
    money = {"type": "numericColumn", "valueFormatter": MONEY_FMT, "minWidth": 88, "flex": 1}
    return [
        {"field": "submitted", "headerName": "Submitted", "minWidth": 110, "flex": 1},
        {"field": "commit", "headerName": "Commit", **money},
        {"field": "best_case", "headerName": "Best case", **money},
        {"field": "author", "headerName": "By", "minWidth": 120, "flex": 1.2},
        {"field": "made", "headerName": "Recorded", "minWidth": 130, "flex": 1.1},
        {"field": "source", "headerName": "From", "minWidth": 80, "flex": 0.7},
        {
            "field": "note",
            "headerName": "Note",
            "minWidth": 180,
            "flex": 2.5,
            "tooltipField": "note",
        },
    ]


def history_rows(calls: pd.DataFrame, person: str, as_of: dt.date) -> list[dict]:
    """``person``'s calls submitted on or before ``as_of``, newest first."""
    if calls is None or calls.empty:
        return []
    own = calls[(calls["person"] == person) & (calls["submitted"] <= pd.Timestamp(as_of))]
    own = own.sort_values(["submitted", "created_at", "id"], ascending=False, kind="stable")
    return [
        {
            "id": int(r["id"]),
            "key": f"call-{int(r['id'])}",
            "submitted": s.day(r["submitted"]),
            "commit": _money(r["commit"]),
            "best_case": _money(r["best_case"]),
            "author": None if _missing(r["author"]) else r["author"],
            "made": None
            if _missing(r["created_at"])
            else pd.Timestamp(r["created_at"]).strftime("%d %b %Y %H:%M").lstrip("0"),
            "source": {"browser": "browser", "file": "calls file"}.get(r["source"], r["source"]),
            "note": None if _missing(r["note"]) else r["note"],
        }
        for r in own.to_dict("records")
    ]


# --- layout -----------------------------------------------------------------------------------


def _signed_author() -> dict:
    """A signed-in viewer calls under their own name (the field shows it, locked)."""
    viewer = auth.current_viewer()
    return {"value": viewer.name, "disabled": True} if viewer else {}


def _field(label: str, control, error_id: dict | None = None, extra: str = "") -> html.Div:
    parts = [dbc.Label(label, className="calls-label"), control]
    if error_id is not None:
        parts.append(dbc.FormFeedback(id=error_id, type="invalid"))
    return html.Div(parts, className=f"calls-field {extra}".strip())


def _amount(kind: str, view: str) -> dbc.Input:
    return dbc.Input(
        id=_id(kind, view),
        type="text",
        inputMode="decimal",
        placeholder="e.g. 125000",
        size="sm",
        autoComplete="off",
        className=f"{kind}-input",
    )


def _form(view: str) -> html.Div:
    """The form: whom for, commit, best case, note, who is calling; the errors beside each."""
    fields = html.Div(
        [
            _field(
                "Call for",
                dbc.Select(id=_id(ids.CALLS_PERSON, view), options=[], size="sm"),
                extra="calls-for",
            ),
            _field(
                "Commit",
                _amount(ids.CALLS_COMMIT, view),
                _id(ids.CALLS_COMMIT_ERROR, view),
                "calls-amount",
            ),
            _field(
                "Best case",
                _amount(ids.CALLS_BEST, view),
                _id(ids.CALLS_BEST_ERROR, view),
                "calls-amount",
            ),
            _field(
                "Note",
                dbc.Input(
                    id=_id(ids.CALLS_NOTE, view),
                    placeholder="What moved it? (optional)",
                    size="sm",
                    maxLength=call_reads.MAX_NOTE,
                    className="calls-note",
                ),
                extra="calls-note-field",
            ),
            _field(
                "Called by",
                dbc.Input(
                    id=_id(ids.CALLS_AUTHOR, view),
                    placeholder="Your name",
                    size="sm",
                    maxLength=call_reads.MAX_AUTHOR,
                    className="calls-author",
                    **_signed_author(),
                ),
                extra="calls-by",
            ),
            html.Div(
                dbc.Button(
                    "Record call",
                    id=_id(ids.CALLS_SAVE, view),
                    size="sm",
                    color="dark",
                    className="calls-save",
                ),
                className="calls-field calls-button",
            ),
        ],
        className="calls-fields",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H3("Make a call", className="calls-form-title"),
                            html.Span(
                                "made today; every call is kept, a new one never replaces "
                                "an earlier one",
                                className="calls-form-hint muted",
                            ),
                        ],
                        className="calls-form-head",
                    ),
                    fields,
                    html.Div(id=_id(ids.CALLS_MESSAGE, view), className="calls-message"),
                ],
                id=_id(ids.CALLS_FORM, view),
                hidden=True,
            ),
            html.Div(id=_id(ids.CALLS_CLOSED, view), className="calls-closed muted"),
        ],
        className="calls-form",
    )


def _panel(
    view: str, state: urls.ViewState, rep: str | None, title: str, columns, lazy: bool = False
) -> html.Section:
    # A lazy panel is drawn when it first comes near the screen: assets/lazy_panel.js sets its
    # CALLS_SEEN store, named in the section's data-lazy-seen attribute.
    seen = _id(ids.CALLS_SEEN, view)
    marks = {"data-lazy-seen": json.dumps(seen, separators=(",", ":"))} if lazy else {}
    return html.Section(
        [
            dcc.Store(
                id=_id(ids.CALLS_STATE, view),
                data={"panel": view, "view": state.to_dict(), "rep": rep},
            ),
            dcc.Store(id=seen, data=not lazy),
            dcc.Store(id=_id(ids.CALLS_EXPANDED, view)),
            dcc.Store(id=_id(ids.CALLS_SAVED, view), data=0),
            dcc.Store(id=_id(ids.CALLS_AUTHOR_STORE, view), storage_type="local"),
            html.Div(
                [
                    html.H2(title, className="section-title"),
                    html.Span(id=_id(ids.CALLS_HINT, view), className="section-hint"),
                ],
                className="section-head",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div(id=_id(ids.CALLS_SUMMARY, view), className="calls-summary"),
                            dag.AgGrid(
                                id=_id(ids.CALLS_GRID, view),
                                columnDefs=columns,
                                rowData=None,  # "Loading…" until the callback answers
                                defaultColDef={"resizable": True, "sortable": False},
                                # a tree row is its person, a history row its call; dash-ag-grid's
                                # expression subset has no String(), so each row carries its key
                                getRowId="params.data.person || params.data.key",
                                dashGridOptions={
                                    "suppressCellFocus": True,
                                    "animateRows": False,
                                    "tooltipShowDelay": 400,
                                    "rowClassRules": {"calls-row-late": "params.data.missing"},
                                    "localeText": {"noRowsToShow": "No calls to show"},
                                },
                                className="review-grid calls-grid",
                                style={"height": "160px"},
                            ),
                        ],
                        className="calls-main",
                    ),
                    _form(view),
                ],
                className="calls-body",
            ),
        ],
        className=f"panel calls-panel calls-{view}",
        **marks,
    )


def calls_panel(view: str, state: urls.ViewState, lazy: bool = False) -> html.Section:
    """The calls of the view's people and the form, for the Course (``view="course"``) or the
    Review (``"review"``); ``state`` is the view's resolved URL state.

    ``lazy``: the panel is filled when it first comes near the screen, not as the page opens (at
    2,000 reps its tree and the form's list of people are the page's largest answer, below the
    fold; computing them held up the callbacks that draw what is on screen).
    """
    if view not in VIEW_PATHS:
        raise ValueError(f"calls_panel is for {sorted(VIEW_PATHS)}, not {view!r}")
    return _panel(view, state, None, "Forecast calls", tree_columns(), lazy)


def rider_calls_panel(rep: str | None, state: urls.ViewState) -> html.Section:
    """The rep's own call in force, their calls this quarter and the form, for the Rider."""
    return _panel("rider", state, rep, "Their call", history_columns())


# --- callbacks --------------------------------------------------------------------------------


def _read_state(data) -> tuple[str, urls.ViewState, str | None]:
    """The panel's view, the view's state and the rider, from the browser's store, checked
    again like a URL (a forged or stale store falls back to defaults)."""
    if not isinstance(data, dict):
        return "course", urls.resolve({}), None
    panel = data.get("panel") if data.get("panel") in VIEWS else "course"
    state = urls.ViewState.from_dict(data.get("view"))
    rep = data.get("rep")
    rep = rep if isinstance(rep, str) and 0 < len(rep) <= 255 else None
    return panel, state, rep


def _today_link(view: str, state: urls.ViewState, rep: str | None) -> str:
    search = urls.build({"quarter": state.quarter, "team": state.team})
    if view == "rider":
        return urls.rider_path(rep or "", search) if rep else "/rider" + search
    return VIEW_PATHS.get(view, "/") + search


def closed_reason(state: urls.ViewState, today: dt.date) -> str | None:
    """Why a view takes no call (None when it does): a call is made today, so a view of a past
    day, or of a quarter that has ended, is read only."""
    quarter = state.quarter_obj()
    if quarter.end < today:
        return f"{quarter.name} has ended: its calls are closed."
    if state.as_of_day < today:
        return (
            f"This view is as of {s.day(state.as_of_day)}. A call is made on the day it is "
            "made, so it can be recorded only in a view of today."
        )
    return None


def _callers(engine, view_teams, today: dt.date) -> pd.DataFrame:
    return call_reads.load_hierarchy(engine, view_teams, today)


def _person_options(hierarchy: pd.DataFrame, order: list[str], viewer: str | None) -> list[dict]:
    """Whom the viewer may call for: themself first, then the tree's order."""
    info = {r["person"]: r for r in hierarchy.to_dict("records")}
    rank = {p: i for i, p in enumerate(order)}
    names = sorted(info, key=lambda p: (p != viewer, rank.get(p, len(rank)), p))
    out = []
    for p in names:
        role, team = info[p]["role"], info[p]["team"]
        bits = [b for b in (role, team) if isinstance(b, str) and b]
        out.append({"label": " · ".join([p, *bits]), "value": p})
    return out


def _call_line(row: dict, label: str) -> html.Div:
    """One person's call in force as a sentence, with the roll-up and adjustment when they
    manage people."""
    parts = [
        html.Span(label, className="calls-line-label"),
        html.Span(
            [
                html.Strong(s.money_full(row["value_commit"])),
                html.Span(" commit · ", className="muted"),
                html.Strong(s.money_full(row["value_best_case"])),
                html.Span(" best case", className="muted"),
            ],
            className="calls-line-values",
        ),
        html.Span(
            status_words(row["status"], row["week"]),
            className=f"calls-status calls-status-{row['status']}",
        ),
    ]
    by = None if _missing(row.get("by")) else row["by"]
    if by:
        when = row.get("submitted")
        parts.append(
            html.Span(
                f"by {by}" + ("" if _missing(when) else f", {s.day(when)}"), className="muted"
            )
        )
    if row.get("reports"):
        parts.append(
            html.Span(
                f"rolled up {s.money_full(row['rolled_up_commit'])} / "
                f"{s.money_full(row['rolled_up_best_case'])}",
                className="muted",
            )
        )
    if row["status"] in ("submitted", "carried"):
        adj_c, adj_b = row["adjustment_commit"], row["adjustment_best_case"]
        parts.append(
            html.Span(
                f"adjustment {_signed(adj_c)} / {_signed(adj_b)}" + (f" by {by}" if by else ""),
                className="calls-adjustment",
                title="the call minus what stands below it (rolled up, or the CRM figures)",
            )
        )
    return html.Div(parts, className="calls-line")


def _signed(value) -> str:
    text = s.money_full(value)
    return "+" + text if not _missing(value) and float(value) > 0 else text


def _not_called(names: list[str], expected: int, week: int) -> html.Div:
    if expected == 0:
        return html.Div()
    if not names:
        return html.Div(
            f"Everyone ({expected}) has called in week {week}.", className="calls-all-in"
        )
    shown = [html.Span(n, className="calls-chip") for n in names[:NAMES_LISTED]]
    if len(names) > NAMES_LISTED:
        shown.append(html.Span(f"and {len(names) - NAMES_LISTED:,} more", className="muted"))
    return html.Div(
        [
            html.Span(
                f"Not called in week {week} ({len(names)} of {expected}):",
                className="calls-late-label",
            ),
            *shown,
        ],
        className="calls-not-called",
    )


def _grid_height(rows: int, header: int = 96) -> dict:
    # the header (two rows with the tree's column groups), then one 34 px row per line
    return {"height": f"{min(header + 35 * max(rows, 1), 560)}px"}


PANEL_OUTPUTS = dict(
    hint=Output(_id(ids.CALLS_HINT, MATCH), "children"),
    summary=Output(_id(ids.CALLS_SUMMARY, MATCH), "children"),
    rows=Output(_id(ids.CALLS_GRID, MATCH), "rowData"),
    grid_style=Output(_id(ids.CALLS_GRID, MATCH), "style"),
    options=Output(_id(ids.CALLS_PERSON, MATCH), "options"),
    person=Output(_id(ids.CALLS_PERSON, MATCH), "value"),
    form_hidden=Output(_id(ids.CALLS_FORM, MATCH), "hidden"),
    closed=Output(_id(ids.CALLS_CLOSED, MATCH), "children"),
)


def _nothing(message, hint: str = "") -> dict:
    return dict(
        hint=hint,
        summary=message,
        rows=[],
        grid_style=_grid_height(1),
        options=[],
        person=None,
        form_hidden=True,
        closed=None,
    )


@callback(
    output=PANEL_OUTPUTS,
    inputs=dict(
        data=Input(_id(ids.CALLS_STATE, MATCH), "data"),
        version=Input(ids.SHELL_DATA_VERSION, "data"),
        _saved=Input(_id(ids.CALLS_SAVED, MATCH), "data"),
        expanded=Input(_id(ids.CALLS_EXPANDED, MATCH), "data"),
        seen=Input(_id(ids.CALLS_SEEN, MATCH), "data"),
    ),
    state=dict(person=State(_id(ids.CALLS_PERSON, MATCH), "value")),
)
def render_calls(data, version, _saved, expanded, person, seen=True):
    """The view's calls in force (a tree, or the rider's own), who has not called, and the form
    (a lazy panel once it has come near the screen: ``seen``)."""
    if version is None or not isinstance(data, dict) or not seen:
        return no_update
    view, state, rep = _read_state(data)
    scope = auth.viewer_scope()
    if not auth.team_allowed(state.team, scope):
        return _nothing(dbc.Alert(auth.not_allowed_text(state.team), color="warning"))
    engine = get_engine()
    today = clock.today()
    try:
        forecast = fm.forecast_for(engine, state.quarter, state.as_of_day, state.team, scope=scope)
    except fm.ForecastError as exc:
        return _nothing(dbc.Alert(str(exc), color="warning"))
    hint = (
        f"{forecast.quarter.name} · week {forecast.week} · as of {s.day(forecast.as_of)} · "
        "each person's latest call; without one, a rep's CRM figures and a manager's roll-up"
    )
    view_teams = [state.team] if state.team else scope
    reason = closed_reason(state, today)
    # whom a call can be kept for: on the roster and in view today (the form), and on the
    # view's day (who is expected to have called)
    hierarchy = _callers(engine, view_teams, today) if reason is None else None
    same_day = hierarchy is not None and forecast.as_of == today
    callers = set(
        (hierarchy if same_day else _callers(engine, view_teams, forecast.as_of))["person"]
    )
    people = forecast.people
    if view == "rider":
        return _render_rider(forecast, rep, callers, hierarchy, reason, person, view, state)
    rows, not_called = tree_rows(people, callers, expanded)
    expected = [
        p
        for p, m, own in zip(
            people["person"], people["is_manager"], people["own_commit"], strict=True
        )
        if p in callers and (m or not _missing(own))
    ]
    tops = people[people["depth"] == 0]
    if len(tops) == 1:
        top = tops.iloc[0].to_dict()
        line = _call_line(top, f"{top['person']}'s call")
    else:
        call = forecast.team["call"]
        line = _call_line(
            {
                "value_commit": call["commit"],
                "value_best_case": call["best_case"],
                "status": call["status"] or "rolled_up",
                "week": call["week"],
                "by": call["by"],
                "reports": (),
            },
            "The view's call" if len(tops) else "No people in view",
        )
    summary = [line, _not_called(not_called, len(expected), forecast.week)]
    order = list(people["person"])
    return _form_outputs(
        dict(
            hint=hint,
            summary=summary,
            rows=rows,
            grid_style=_grid_height(len(rows)),
        ),
        hierarchy,
        order,
        reason,
        person,
        view,
        state,
        None,
    )


def _form_outputs(out: dict, hierarchy, order, reason, person, view, state, rep) -> dict:
    if reason is not None:
        link = html.A("Open today's view", href=_today_link(view, state, rep))
        return out | dict(
            options=[], person=None, form_hidden=True, closed=[html.Span(reason + " "), link]
        )
    viewer = auth.current_viewer()
    options = _person_options(hierarchy, order, viewer.name if viewer else None)
    values = [o["value"] for o in options]
    if not options:
        return out | dict(
            options=[],
            person=None,
            form_hidden=True,
            closed="Nobody in this view can be called for: calls are kept for people on the "
            "roster, in the teams you may see.",
        )
    chosen = person if person in values else values[0]
    return out | dict(options=options, person=chosen, form_hidden=False, closed=None)


def _render_rider(forecast, rep, callers, hierarchy, reason, person, view, state) -> dict:
    people = forecast.people.set_index("person")
    if not rep or rep not in people.index:
        return _nothing(
            html.Div(
                "No call to show: pick a rider." if not rep else f"No call to show for {rep}.",
                className="muted",
            )
        )
    row = {"person": rep, **people.loc[rep].to_dict()}
    is_manager = bool(row["is_manager"])
    stands = (
        "their reports' roll-up"
        if is_manager
        else "their CRM figures (won + commit, won + best case)"
    )
    summary = [
        _call_line(row, "Call in force"),
        html.Div(
            f"Without a call, {stands} stand for them: "
            f"{s.money_full(row['rolled_up_commit'])} commit · "
            f"{s.money_full(row['rolled_up_best_case'])} best case.",
            className="calls-line-sub muted",
        ),
    ]
    if rep in callers and row["status"] != "submitted":
        summary.append(
            html.Div(f"Not called in week {forecast.week}.", className="calls-late-label")
        )
    rows = history_rows(forecast.calls, rep, forecast.as_of)
    hierarchy = None if hierarchy is None else hierarchy[hierarchy["person"] == rep]
    hint = f"{forecast.quarter.name} · week {forecast.week} · as of {s.day(forecast.as_of)}"
    return _form_outputs(
        dict(hint=hint, summary=summary, rows=rows, grid_style=_grid_height(len(rows), 52)),
        hierarchy,
        [rep],
        reason,
        person,
        view,
        state,
        rep,
    )


@callback(
    Output(_id(ids.CALLS_EXPANDED, MATCH), "data"),
    Input(_id(ids.CALLS_GRID, MATCH), "cellClicked"),
    State(_id(ids.CALLS_EXPANDED, MATCH), "data"),
    State(_id(ids.CALLS_GRID, MATCH), "rowData"),
    prevent_initial_call=True,
)
def toggle_branch(cell, expanded, rows):
    """A click on a manager's name opens or closes the people below them."""
    if not isinstance(cell, dict) or cell.get("colId") != "person":
        return no_update
    shown = {r.get("person"): r for r in rows or [] if isinstance(r, dict)}
    person = cell.get("value")
    row = shown.get(person)
    if not row or not row.get("has_reports"):
        return no_update
    expanded = expanded if isinstance(expanded, dict) else {}
    opened = set(expanded.get("open") or []) - {person}
    closed = set(expanded.get("closed") or []) - {person}
    if str(row.get("toggle", "")).startswith("▾"):
        closed.add(person)
    else:
        opened.add(person)
    return {"open": sorted(opened), "closed": sorted(closed)}


SAVE_OUTPUTS = dict(
    commit_invalid=Output(_id(ids.CALLS_COMMIT, MATCH), "invalid"),
    commit_error=Output(_id(ids.CALLS_COMMIT_ERROR, MATCH), "children"),
    best_invalid=Output(_id(ids.CALLS_BEST, MATCH), "invalid"),
    best_error=Output(_id(ids.CALLS_BEST_ERROR, MATCH), "children"),
    message=Output(_id(ids.CALLS_MESSAGE, MATCH), "children"),
    saved=Output(_id(ids.CALLS_SAVED, MATCH), "data"),
    commit=Output(_id(ids.CALLS_COMMIT, MATCH), "value"),
    best=Output(_id(ids.CALLS_BEST, MATCH), "value"),
    note=Output(_id(ids.CALLS_NOTE, MATCH), "value"),
    remembered=Output(_id(ids.CALLS_AUTHOR_STORE, MATCH), "data"),
)


def _refused(message: str, **fields) -> dict:
    out = dict.fromkeys(SAVE_OUTPUTS, no_update)
    out.update(commit_invalid=False, commit_error=None, best_invalid=False, best_error=None)
    out.update(fields)
    out["message"] = html.Span(message, className="text-danger") if message else None
    return out


@callback(
    output=SAVE_OUTPUTS,
    inputs=[Input(_id(ids.CALLS_SAVE, MATCH), "n_clicks")],
    state=[
        State(_id(ids.CALLS_PERSON, MATCH), "value"),
        State(_id(ids.CALLS_COMMIT, MATCH), "value"),
        State(_id(ids.CALLS_BEST, MATCH), "value"),
        State(_id(ids.CALLS_NOTE, MATCH), "value"),
        State(_id(ids.CALLS_AUTHOR, MATCH), "value"),
        State(_id(ids.CALLS_STATE, MATCH), "data"),
        State(_id(ids.CALLS_SAVED, MATCH), "data"),
    ],
    prevent_initial_call=True,
)
def make_call(clicks, person, commit, best_case, note, author, data, saved):
    """Keep a new call (never overwriting one) for a person the viewer may call for, made today.

    The person, the amounts and the view come from the browser and are checked here again:
    ``record_call`` refuses a person outside the viewer's scope, and nothing is written then.
    """
    if not clicks:
        return no_update
    _, state, rep = _read_state(data)
    if not isinstance(data, dict):
        return _refused("This panel lost its view; reload the page.")
    scope = auth.viewer_scope()
    if not auth.team_allowed(state.team, scope):
        return _refused(auth.not_allowed_text(state.team))
    today = clock.today()
    reason = closed_reason(state, today)
    if reason is not None:
        return _refused(reason)
    person = " ".join(str(person or "").split()) if isinstance(person, str) else ""
    if not person:
        return _refused("Pick whom the call is for.")
    if rep is not None and person != rep:
        return _refused(f"This panel calls for {rep} only.")
    commit_value, commit_error = parse_amount(commit, "commit")
    best_value, best_error = parse_amount(best_case, "best case")
    if commit_error is None and best_error is None and best_value < commit_value:
        best_error = (
            f"The best case ({s.money_full(best_value)}) is below the commit "
            f"({s.money_full(commit_value)}): the best case is the most that can land."
        )
    if commit_error or best_error:
        return _refused(
            "",
            commit_invalid=commit_error is not None,
            commit_error=commit_error,
            best_invalid=best_error is not None,
            best_error=best_error,
        )
    viewer = auth.current_viewer()
    if viewer is not None:
        author = viewer.name  # never the name the browser sends
    author = " ".join(str(author or "").split()) if isinstance(author, str) else ""
    try:
        call_reads.record_call(
            get_engine(),
            person=person,
            quarter=state.quarter,
            commit=commit_value,
            best_case=best_value,
            note=note if isinstance(note, str) else None,
            author=author,
            submitted=today,
            scope=scope,
        )
    except call_reads.CallError as exc:
        return _refused(str(exc))
    said = (
        f"Recorded {person}'s call for {state.quarter}: {s.money_full(commit_value)} commit, "
        f"{s.money_full(best_value)} best case, {s.day(today)}, by {author}."
    )
    return dict(
        commit_invalid=False,
        commit_error=None,
        best_invalid=False,
        best_error=None,
        message=html.Span(said, className="text-success"),
        saved=(saved if isinstance(saved, int) else 0) + 1,
        commit="",
        best="",
        note="",
        remembered=author if viewer is None else no_update,
    )


# In the local mode, the caller's name is remembered in this browser between calls (local
# storage). In the browser: a round trip to the server for it was one more of the requests a
# page sends as it opens, which queue six at a time.
clientside_callback(
    """
    function(_ts, stored, current) {
        if (current || !stored || typeof stored !== "string") {
            return window.dash_clientside.no_update;
        }
        return stored;
    }
    """,
    Output(_id(ids.CALLS_AUTHOR, MATCH), "value"),
    Input(_id(ids.CALLS_AUTHOR_STORE, MATCH), "modified_timestamp"),
    State(_id(ids.CALLS_AUTHOR_STORE, MATCH), "data"),
    State(_id(ids.CALLS_AUTHOR, MATCH), "value"),
)


__all__ = [
    "calls_panel",
    "closed_reason",
    "history_rows",
    "make_call",
    "parse_amount",
    "render_calls",
    "rider_calls_panel",
    "status_words",
    "toggle_branch",
    "tree_rows",
]
