"""Track record (docs/metrics.md#backtest, #call-accuracy): how good the landing range and the
calls have been, so a manager knows how far to trust this quarter's.

One panel (``dashboard.app.PANELS``) with its own callback, placed on the Review:

* **Backtest** at the view's week of the quarter: per scope (the view, then each of its teams) the
  projection re-run on each past quarter's snapshot of that week against what the quarter won,
  beside the two baselines (the CRM's commit forecast; won + weighted pipeline), and the summary
  (mean absolute errors, how many actuals fell inside p10-p90), also over the quarters the
  reference method ran on when the first ones had no earlier quarter to learn from. Where a
  baseline did better than the projection (judged on the reference method's quarters when there
  are any), the panel says so in a sentence; it is never hidden.
* **Call accuracy** for the ended quarters: each person's commit call at each week's end against
  what the quarter won, as a person x week table of error %, with their bias in words and numbers
  (over-calling or sandbagging).

Without history the panel says what is missing and how to get it. The numbers are
``backtest_for`` and ``accuracy_for``'s (cached per data version), for the URL's quarter, team and
as_of, narrowed to the viewer's scope on the server in the callback.
"""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import auth, ids, urls
from dashboard.figures import style as s
from dashboard.metrics import forecast as fc
from dashboard.models import forecast as fm
from dashboard.models import review as rm
from dashboard.reads import cache
from dashboard.serve import warm
from loaders.store.engine import get_engine

TEAM_DETAILS_UP_TO = 12  # teams whose quarters are listed one by one (more: pick a team)
CLOSE_BIAS = 0.02  # a bias within ±2 % is "calls it close"
BASELINES = {
    "mae_commit_forecast": "the commit forecast",
    "mae_won_plus_weighted": "won + weighted pipeline",
}
# Rounded first, so a tiny miss shows as +0% rather than −0%.
PCT_FMT = {
    "function": "params.value == null ? '' : "
    "d3.format('+.0%')(Math.round(params.value * 100) / 100 + 0)"
}
# Error % cells: red where the call was above what came in, blue where below, deeper the further.
HEAT = {
    "styleConditions": [
        {"condition": "params.value == null", "style": {"backgroundColor": "#ffffff"}},
        {"condition": "params.value >= 0.25", "style": {"backgroundColor": "#fca5a5"}},
        {"condition": "params.value >= 0.1", "style": {"backgroundColor": "#fecaca"}},
        {"condition": "params.value > 0.02", "style": {"backgroundColor": "#fee2e2"}},
        {"condition": "params.value <= -0.25", "style": {"backgroundColor": "#93c5fd"}},
        {"condition": "params.value <= -0.1", "style": {"backgroundColor": "#bfdbfe"}},
        {"condition": "params.value < -0.02", "style": {"backgroundColor": "#dbeafe"}},
    ],
    "defaultStyle": {"backgroundColor": "#f8fafc"},
}


def track_record_panel(state: urls.ViewState) -> html.Section:
    """The panel's skeleton for the view's resolved URL state; ``render_track_record`` fills it."""
    data = {"quarter": state.quarter, "team": state.team, "as_of": state.as_of}
    return html.Section(
        [
            dcc.Store(id=ids.TRACK_STATE, data=data),
            html.Div(
                html.Div(
                    [
                        html.H2("Track record", className="section-title"),
                        html.Span(
                            "how the landing range did on past quarters at this week, and how "
                            "close past calls came",
                            id=ids.TRACK_HINT,
                            className="section-hint",
                        ),
                    ]
                ),
                className="section-head review-section-head",
            ),
            dcc.Loading(html.Div(id=ids.TRACK_BODY), delay_show=400, type="dot"),
            dbc.Button(
                "Show the quarters and each person's calls",
                id=ids.TRACK_MORE_TOGGLE,
                size="sm",
                color="secondary",
                outline=True,
                className="track-more-toggle",
            ),
            # Drawn only when opened: the tables and the heat grid cost a first view of the
            # Review about 0.3 s in the browser, for what a meeting opens now and then.
            dbc.Collapse(
                dcc.Loading(html.Div(id=ids.TRACK_MORE_BODY), delay_show=300, type="dot"),
                id=ids.TRACK_MORE,
                is_open=False,
            ),
        ],
        className="panel track-record",
    )


# --- words and numbers ------------------------------------------------------------------------


def _signed(value) -> str:
    if s.is_missing(value):
        return s.MISSING
    v = float(value)
    return ("+" if round(v) > 0 else "") + s.money_full(v)


def losing_sentence(summary: dict) -> str | None:
    """The plain sentence the panel shows where a baseline's mean absolute error is smaller than
    the projection's p50 (None where the projection did at least as well, or nothing was tested).
    """
    if not summary or not summary.get("quarters") or summary.get("mae_p50") is None:
        return None
    summary = fc.judged(summary)  # the reference method's quarters, when there are any
    p50 = float(summary["mae_p50"])
    better = [
        (name, float(summary[key]))
        for key, name in BASELINES.items()
        if summary.get(key) is not None and float(summary[key]) < p50
    ]
    if not better:
        return None
    which = " and ".join(f"{name} (off by {s.money_full(err)})" for name, err in better)
    verb = "were" if len(better) > 1 else "was"
    return (
        f"The projection lost to a baseline here: {which} {verb} closer on average than the "
        f"projection's p50 (off by {s.money_full(p50)}). Read this quarter's landing range with "
        "that in mind."
    )


def summary_sentence(summary: dict) -> str:
    """``Mean absolute error over 2 past quarters: p50 4,000 · commit forecast 4,000 · ...``,
    and the same over the quarters the reference method ran on when some did not."""
    text = _errors_sentence("Mean absolute error over", summary)
    ref = summary.get("reference") or {}
    if ref.get("quarters") and ref["quarters"] < summary["quarters"]:
        text += ". " + _errors_sentence(
            "With an earlier quarter to learn from (the reference method), over", ref
        )
    return text


def _errors_sentence(lead: str, summary: dict) -> str:
    n = int(summary["quarters"])
    coverage = summary["coverage"]
    inside = round(float(coverage) * n)
    return (
        f"{lead} {n} past quarter{'s' if n != 1 else ''}: projection (p50) "
        f"{s.money_full(summary['mae_p50'])} · commit forecast "
        f"{s.money_full(summary['mae_commit_forecast'])} · won + weighted "
        f"{s.money_full(summary['mae_won_plus_weighted'])} · actual inside p10–p90 in {inside} "
        f"of {n} ({s.pct(coverage)})"
    )


def bias_words(bias) -> str:
    """``over-calls by 20%``, ``sandbags by 8%``, ``calls it close (+1%)``."""
    if s.is_missing(bias):
        return "not graded (nothing won)"
    b = float(bias)
    if abs(b) < CLOSE_BIAS:
        return f"calls it close ({s.pct(b, signed=True)})"
    if b > 0:
        return f"over-calls by {s.pct(b)}"
    return f"sandbags by {s.pct(-b)}"


# --- the backtest -----------------------------------------------------------------------------

BACKTEST_HEAD = (
    "Quarter",
    "As of",
    "p50",
    "p10–p90",
    "Actual",
    "p50 error",
    "Commit forecast error",
    "Won + weighted error",
    "Inside p10–p90",
)


def backtest_table(rows: pd.DataFrame) -> dbc.Table:
    """One scope's past quarters: the projection, the actual and each one's error (signed:
    above the actual is +)."""
    body = []
    for r in rows.to_dict("records"):
        method = " (CRM probabilities)" if r["method"] == "crm_probability" else ""
        body.append(
            html.Tr(
                [
                    html.Td(r["quarter"] + method),
                    html.Td(
                        f"{s.day(r['day'], '%d %b %Y')} (week {int(r['week'])})", className="num"
                    ),
                    html.Td(s.money_full(r["p50"]), className="num"),
                    html.Td(f"{s.money(r['p10'])}–{s.money(r['p90'])}", className="num"),
                    html.Td(s.money_full(r["actual"]), className="num"),
                    html.Td(_signed(r["p50"] - r["actual"]), className="num"),
                    html.Td(_signed(r["commit_forecast"] - r["actual"]), className="num"),
                    html.Td(_signed(r["won_plus_weighted"] - r["actual"]), className="num"),
                    html.Td("yes" if r["inside"] else "no", className="num"),
                ]
            )
        )
    head = html.Thead(html.Tr([html.Th(h) for h in BACKTEST_HEAD]))
    return dbc.Table(
        [head, html.Tbody(body)],
        size="sm",
        hover=True,
        className="track-table",
    )


def _scope_rows(backtest: fm.Backtest, name) -> pd.DataFrame:
    return backtest.rows[backtest.rows["scope"].map(lambda v, n=name: v == n)]


def scope_head(backtest: fm.Backtest, name, label: str) -> list:
    """A scope's summary and its 'lost to a baseline' sentence where it applies."""
    summary = backtest.summary.get(name) or {}
    out: list = [html.H3(label, className="track-scope")]
    if not summary.get("quarters"):
        out.append(html.P("No past quarter to test against for this scope.", className="muted"))
        return out
    out.append(html.P(summary_sentence(summary), className="track-summary"))
    lost = losing_sentence(summary)
    if lost:
        out.append(dbc.Alert(lost, color="warning", className="track-lost py-2"))
    return out


def scope_table(backtest: fm.Backtest, name) -> list:
    """A scope's quarters one by one (nothing when it has none)."""
    summary = backtest.summary.get(name) or {}
    if not summary.get("quarters"):
        return []
    rows = _scope_rows(backtest, name)
    out: list = [backtest_table(rows)]
    if (rows["method"] == "crm_probability").any():
        out.append(
            html.P(
                "A quarter marked “CRM probabilities” had no earlier quarter to learn from: its "
                "projection used each deal's CRM probability and no new business, as this "
                "quarter's would without history.",
                className="track-note muted",
            )
        )
    return out


def scope_block(backtest: fm.Backtest, name, label: str) -> list:
    """A scope's summary, its 'lost to a baseline' sentence where it applies, and its table."""
    return scope_head(backtest, name, label) + scope_table(backtest, name)


def teams_table(backtest: fm.Backtest, teams: list[str]) -> dbc.Table:
    """Each team's summary on one row, with which did best."""
    body = []
    for team in teams:
        sm = backtest.summary.get(team) or {}
        if not sm.get("quarters"):
            continue
        lost = losing_sentence(sm)
        verdict = "a baseline was closer" if lost else "the projection was closest"
        j = fc.judged(sm)  # the numbers the verdict is drawn from
        judged_n = str(j["quarters"])
        if j["quarters"] < sm["quarters"]:
            judged_n += f" of {sm['quarters']}"
        body.append(
            html.Tr(
                [
                    html.Td(team),
                    html.Td(judged_n, className="num"),
                    html.Td(s.money_full(j["mae_p50"]), className="num"),
                    html.Td(s.money_full(j["mae_commit_forecast"]), className="num"),
                    html.Td(s.money_full(j["mae_won_plus_weighted"]), className="num"),
                    html.Td(s.pct(j["coverage"]), className="num"),
                    html.Td(verdict, className="track-lost-cell" if lost else None),
                ]
            )
        )
    head = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in (
                    "Team",
                    "Quarters judged",
                    "p50 error",
                    "Commit forecast error",
                    "Won + weighted error",
                    "Inside p10–p90",
                    "",
                )
            ]
        )
    )
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, className="track-table")


def no_backtest(backtest: fm.Backtest, days: list) -> dbc.Alert:
    """What is missing for a backtest, and how to get it."""
    have = (
        f" The snapshots loaded run from {s.day(days[0])} to {s.day(days[-1])} "
        f"({len(days)} day{'s' if len(days) != 1 else ''})."
        if days
        else " No snapshot is loaded yet."
    )
    return dbc.Alert(
        [
            html.B("No backtest yet. "),
            f"The backtest re-runs the projection on a past quarter's snapshot from week "
            f"{backtest.week} (the week of {s.day(backtest.as_of)}) and compares it with what "
            f"that quarter won by its end, but no quarter that has ended has a snapshot in "
            f"week {backtest.week}.{have} ",
            "Load weekly pipeline snapshots that reach back through at least one whole past "
            "quarter (older exports with ",
            html.Code("teamcar load"),
            " or the Data page), and the projection's record appears here.",
        ],
        color="info",
        className="track-missing",
    )


def _backtest_title(backtest: fm.Backtest) -> html.H3:
    return html.H3(
        f"Backtest at week {backtest.week}: the projection against past quarters",
        className="track-part",
    )


def backtest_summary_section(backtest: fm.Backtest, days: list, view_label: str) -> html.Div:
    """What the panel always shows of the backtest: the view's summary and its verdict (or what
    is missing)."""
    title = _backtest_title(backtest)
    if backtest.rows.empty:
        return html.Div([title, no_backtest(backtest, days)])
    return html.Div([title, *scope_head(backtest, None, view_label)])


def backtest_details(backtest: fm.Backtest) -> html.Div | None:
    """The backtest's details: the view's quarters, then its teams."""
    if backtest.rows.empty:
        return None
    parts: list = [
        html.H3("The view's quarters", className="track-scope"),
        *scope_table(backtest, None),
    ]
    teams = sorted(t for t in backtest.summary if t is not None)
    if len(teams) > 1:
        parts.append(html.H3("By team", className="track-scope"))
        parts.append(teams_table(backtest, teams))
        if len(teams) <= TEAM_DETAILS_UP_TO:
            for team in teams:
                parts.append(
                    html.Details(
                        [
                            html.Summary(f"{team}: quarter by quarter"),
                            *scope_block(backtest, team, team)[1:],
                        ],
                        className="track-details",
                    )
                )
        else:
            parts.append(
                html.P("Pick a team in the top bar for its quarters one by one.", className="muted")
            )
    return html.Div(parts)


# --- call accuracy ----------------------------------------------------------------------------


def accuracy_rows(accuracy: fm.Accuracy) -> tuple[list[dict], list[int]]:
    """One row per person and quarter (the most biased first): bias in words and numbers, the
    mean miss, and the error % of each week (``w1``...), with the weeks that appear."""
    rows = accuracy.rows
    if rows.empty:
        return [], []
    weeks = sorted(int(w) for w in rows["week"].unique())
    wide = rows.pivot_table(
        index=["person", "quarter"], columns="week", values="error_pct", aggfunc="first"
    )
    bias = accuracy.bias
    out = []
    for (person, quarter), cells in wide.iterrows():
        b = bias.loc[person] if person in bias.index else None
        record = {
            "person": person,
            "quarter": quarter,
            "bias_words": bias_words(None if b is None else b["bias"]),
            "bias": None if b is None or s.is_missing(b["bias"]) else float(b["bias"]),
            "miss": None
            if b is None or s.is_missing(b["mean_abs_error_pct"])
            else float(b["mean_abs_error_pct"]),
            "weeks": 0 if b is None else int(b["weeks"]),
        }
        for w in weeks:
            v = cells.get(w)
            record[f"w{w}"] = None if s.is_missing(v) else float(v)
        out.append(record)
    out.sort(key=lambda r: (-(abs(r["bias"]) if r["bias"] is not None else -1), r["person"]))
    return out, weeks


def accuracy_columns(weeks: list[int]) -> list[dict]:
    """The person x week table's columns."""
    cols = [
        {"field": "person", "headerName": "Person", "pinned": "left", "width": 165},
        {"field": "quarter", "headerName": "Quarter", "width": 80},
        {
            "field": "bias_words",
            "headerName": "Bias (all quarters)",
            "width": 165,
            "headerTooltip": "over the person's graded weeks of every ended quarter",
        },
        {
            "field": "bias",
            "headerName": "Bias %",
            "width": 72,
            "type": "rightAligned",
            "valueFormatter": PCT_FMT,
            "headerTooltip": "mean signed error % over the graded weeks: + over-calls",
        },
        {
            "field": "miss",
            "headerName": "Mean miss",
            "width": 82,
            "type": "rightAligned",
            "valueFormatter": {
                "function": "params.value == null ? '' : d3.format('.0%')(params.value)"
            },
            "headerTooltip": "mean absolute error % over the graded weeks",
        },
    ]
    for w in weeks:
        cols.append(
            {
                "field": f"w{w}",
                "headerName": f"W{w}",
                "width": 54,
                "type": "rightAligned",
                "valueFormatter": PCT_FMT,
                "cellStyle": HEAT,
                "sortable": False,
            }
        )
    return cols


def accuracy_section(accuracy: fm.Accuracy) -> html.Div:
    """What the panel always shows of call accuracy: who was graded, how many over-call and
    sandbag (the heat table is ``accuracy_grid``), or what is missing."""
    title = html.H3("Calls of ended quarters: how close they came", className="track-part")
    rows, weeks = accuracy_rows(accuracy)
    if not rows:
        return html.Div(
            [
                title,
                dbc.Alert(
                    [
                        html.B("No graded calls yet. "),
                        "Call accuracy compares each week's commit call with what the quarter "
                        f"won, once the quarter has ended (on or before {s.day(accuracy.as_of)}). "
                        "No ended quarter has calls for the people in view. Load the calls of "
                        "past quarters (a calls file: Person, Quarter, Submitted, Commit, Best "
                        "Case, Note) or keep making calls in Team Car each week.",
                    ],
                    color="info",
                    className="track-missing",
                ),
            ]
        )
    over = [r for r in rows if r["bias"] is not None and r["bias"] >= CLOSE_BIAS]
    under = [r for r in rows if r["bias"] is not None and r["bias"] <= -CLOSE_BIAS]
    people = len({r["person"] for r in rows})
    note = (
        f"{people} {'person' if people == 1 else 'people'} graded · "
        f"{len({r['person'] for r in over})} over-call · "
        f"{len({r['person'] for r in under})} sandbag · each cell is the commit call in force "
        "at that week's end against what the quarter won: (call − won) ÷ won; red above, "
        "blue below"
    )
    return html.Div([title, html.P(note, className="track-summary")])


def accuracy_grid(accuracy: fm.Accuracy) -> html.Div | None:
    """The person x week heat table of call accuracy (None without graded calls)."""
    rows, weeks = accuracy_rows(accuracy)
    if not rows:
        return None
    return html.Div(
        [
            html.H3("Each person's calls, week by week", className="track-scope"),
            dag.AgGrid(
                id=ids.TRACK_ACCURACY,
                columnDefs=accuracy_columns(weeks),
                rowData=rows,
                defaultColDef={"sortable": True, "resizable": True},
                dashGridOptions={
                    "suppressCellFocus": True,
                    "animateRows": False,
                    "tooltipShowDelay": 300,
                },
                className="review-grid track-grid",
                style={"height": f"{min(480, 40 + 29 * len(rows))}px"},
            ),
        ]
    )


# --- callback ---------------------------------------------------------------------------------


def _read(data) -> tuple[str, str | None, str]:
    """Quarter, team and as_of from the browser's store, checked again like a URL."""
    query = data if isinstance(data, dict) else {}
    state = urls.ViewState.from_dict(
        {k: query.get(k) for k in ("quarter", "team", "as_of") if isinstance(query.get(k), str)}
    )
    return state.quarter, state.team, state.as_of


def _numbers(engine, quarter: str, team: str | None, as_of: str, scope):
    backtest = fm.backtest_for(engine, quarter, as_of, team, scope=scope)
    accuracy = fm.accuracy_for(engine, as_of, team, scope=scope)
    return backtest, accuracy


def draw(engine, quarter: str, team: str | None, as_of: str, scope) -> list:
    """What the panel always shows for a quarter, team, day and scope: the backtest's summary and
    verdict, and who over-calls or sandbags (numbers from ``backtest_for`` and
    ``accuracy_for``)."""
    backtest, accuracy = _numbers(engine, quarter, team, as_of, scope)
    days = [d for d in rm.snapshot_days(engine) if d <= backtest.as_of]
    label = team or ("All teams" if scope is None else "All your teams")
    return [backtest_summary_section(backtest, days, label), accuracy_section(accuracy)]


def draw_details(engine, quarter: str, team: str | None, as_of: str, scope) -> list:
    """The details behind the summary: each scope's quarters and the call-accuracy heat table."""
    backtest, accuracy = _numbers(engine, quarter, team, as_of, scope)
    parts = [backtest_details(backtest), accuracy_grid(accuracy)]
    parts = [p for p in parts if p is not None]
    return parts or [
        html.P("Nothing more to show until a past quarter is graded.", className="muted")
    ]


def _guarded(data, name: str, drawer):
    """``drawer``'s output for the view in the browser's store under the viewer's scope, cached
    per data version (a team outside the scope gets the refusal, not its numbers)."""
    quarter, team, as_of = _read(data)
    scope = auth.viewer_scope()
    if not auth.team_allowed(team, scope):
        return dbc.Alert(auth.not_allowed_text(team), color="warning")
    try:
        return _cached(get_engine(), name, drawer, quarter, team, as_of, scope)
    except fm.ForecastError as exc:
        return dbc.Alert(str(exc), color="warning")


def _cached(engine, name: str, drawer, quarter: str, team, as_of: str, scope):
    """``drawer``'s output, cached per data version under ``name`` for the view and scope."""
    key = (quarter, team, as_of, tuple(scope) if scope is not None else None)
    return cache.cached(name, engine, key, lambda: drawer(engine, quarter, team, as_of, scope))


@callback(
    Output(ids.TRACK_BODY, "children"),
    Input(ids.TRACK_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
)
def render_track_record(data, version):
    """The backtest's summary and verdict and the callers' bias for the view's quarter, team and
    day, in the viewer's scope."""
    if version is None or not isinstance(data, dict):
        return no_update
    return _guarded(data, "track-record-render", draw)


@callback(
    Output(ids.TRACK_MORE, "is_open"),
    Input(ids.TRACK_MORE_TOGGLE, "n_clicks"),
    State(ids.TRACK_MORE, "is_open"),
    prevent_initial_call=True,
)
def toggle_details(_clicks, is_open):
    """The button opens and closes the details."""
    return not is_open


@callback(
    Output(ids.TRACK_MORE_BODY, "children"),
    Input(ids.TRACK_MORE, "is_open"),
    Input(ids.TRACK_STATE, "data"),
    Input(ids.SHELL_DATA_VERSION, "data"),
)
def render_details(is_open, data, version):
    """The details, drawn only once opened (and again as the view or the data change)."""
    if not is_open or version is None or not isinstance(data, dict):
        return no_update
    return _guarded(data, "track-record-details", draw_details)


@warm.on_new_data("track-record")
def _warm_track_record(engine) -> None:
    """The forecast, its backtest and call accuracy for all teams on the landing day, and this
    panel drawn from them, when data lands: the first manager never waits on the Monte Carlo."""
    state = urls.resolve({})
    fm.forecast_for(engine, state.quarter, state.as_of_day)
    _cached(engine, "track-record-render", draw, state.quarter, None, state.as_of, None)
