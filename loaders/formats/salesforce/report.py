"""Salesforce report exports: opportunities, field history, stage history, tasks and events.

Reports carry human headers (``Opportunity Owner``, ``Close Date``), in the user's language, with
titles above the table and totals and notices below it (``loaders.parsing.tables`` skips those).
Ids are 15 or 18 characters (``ids``); stages follow Salesforce's standard order unless the export
says otherwise.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders import schema
from loaders.formats.base import (
    F,
    Format,
    Sheet,
    derive_status,
    fallback_deal_keys,
    learn_stage_order,
    reject_duplicates,
    stage_status_code,
)
from loaders.formats.common import (
    activity_types,
    content_ids,
    format_dates,
    format_numbers,
    participants_of,
)
from loaders.formats.salesforce.data_export import SALESFORCE_STAGES, history_changes
from loaders.parsing.amounts import parse_amounts, parse_probabilities
from loaders.parsing.categories import forecast_categories
from loaders.parsing.columns import map_distinct, normalize_header, text_values
from loaders.parsing.dates import date_order, parse_dates
from loaders.parsing.errors import LoadError
from loaders.parsing.tables import RawTable

# ---------------------------------------------------------------------------------------------
# Report export: "Opportunities" report, Details Only, CSV or XLSX

REPORT_FIELDS = (
    F(
        "owner",
        "Opportunity Owner",
        "Owner",
        "Owner Name",
        "Opportunity Owner Name",
        "Owner Full Name",
        "Owner: Full Name",
        "Rep",
        "Rep Name",
        "Sales Rep",
        "Proprietário da oportunidade",
        "Proprietario da oportunidade",
        "Propietario de la oportunidad",
        "Propriétaire de l'opportunité",
        "Opportunity-Inhaber",
        "Opportunity Inhaber",
        required=True,
        label="Opportunity Owner",
    ),
    F(
        "deal_name",
        "Opportunity Name",
        "Opportunity",
        "Nome da oportunidade",
        "Nombre de la oportunidad",
        "Nom de l'opportunité",
        "Opportunity-Name",
        "Opportunityname",
        required=True,
    ),
    F(
        "deal_id",
        "Opportunity ID",
        "Opportunity ID (18)",
        "Opportunity 18 ID",
        "Opportunity Id 18",
        "ID da oportunidade",
        "Id. de la oportunidad",
        "ID de oportunidad",
        "ID de l'opportunité",
        "Opportunity-ID",
    ),
    F(
        "account",
        "Account Name",
        "Account",
        "Nome da conta",
        "Nombre de la cuenta",
        "Nom du compte",
        "Accountname",
        "Account: Account Name",
    ),
    F(
        "stage",
        "Stage",
        "Opportunity Stage",
        "Fase",
        "Fase da oportunidade",
        "Etapa",
        "Étape",
        "Phase",
        required=True,
    ),
    F("amount", "Amount", "Amount (converted)", "Valor", "Importe", "Montant", "Betrag"),
    F(
        "amount_currency",
        "Amount Currency",
        "Amount (converted) Currency",
        "Opportunity Currency",
        "Currency",
        "Moeda",
        "Moneda",
        "Devise",
        "Währung",
        expected=False,
    ),
    F(
        "probability",
        "Probability (%)",
        "Probability",
        "Probabilidade (%)",
        "Probabilidade",
        "Probabilidad (%)",
        "Probabilidad",
        "Probabilité (%)",
        "Wahrscheinlichkeit (%)",
    ),
    F(
        "close_date",
        "Close Date",
        "Data de fechamento",
        "Data de encerramento",
        "Fecha de cierre",
        "Date de clôture",
        "Schlusstermin",
        "Abschlussdatum",
        required=True,
        type="date",
    ),
    F(
        "created_date",
        "Created Date",
        "Data de criação",
        "Fecha de creación",
        "Date de création",
        "Erstellungsdatum",
        "Erstelldatum",
        type="date",
    ),
    F(
        "next_step",
        "Next Step",
        "Próxima etapa",
        "Próximo passo",
        "Paso siguiente",
        "Étape suivante",
        "Nächster Schritt",
    ),
    F(
        "lead_source",
        "Lead Source",
        "Origem do lead",
        "Origen del candidato",
        "Origine de la piste",
        "Lead-Quelle",
        "Leadquelle",
    ),
    F(
        "deal_type",
        "Type",
        "Opportunity Type",
        "Tipo",
        "Tipo de oportunidade",
        "Tipo de oportunidad",
        "Type d'opportunité",
        "Typ",
        "Opportunity-Typ",
    ),
    F(
        "forecast_category",
        "Forecast Category",
        "Categoria de previsão",
        "Categoría de pronóstico",
        "Catégorie de prévision",
        "Prognosekategorie",
    ),
    F(
        "last_activity_date",
        "Last Activity",
        "Last Activity Date",
        "Última atividade",
        "Última actividad",
        "Dernière activité",
        "Letzte Aktivität",
        type="date",
    ),
    F("push_count", "Push Count", expected=False),
    F("is_won", "Won", "Ganho", "Ganado", "Gagné", "Gewonnen", expected=False),
    F("is_closed", "Closed", "Fechado", "Cerrado", "Fermé", "Geschlossen", expected=False),
)


# ---------------------------------------------------------------------------------------------
# Summary-format reports ("Formatted Report" exports, or a summary report saved as a sheet)

# A group row: one filled cell `Opportunity Owner: Ann Lee` (maybe `(3 records)` after it).
_GROUP_ROW = re.compile(r"^\s*(?P<label>[^:]{1,80}?)\s*:\s*(?P<value>.*?)\s*$")
# A count Salesforce writes after a group's value: `Ann Lee (3)`, `Ann Lee (3 records)`.
_GROUP_COUNT = re.compile(r"\s*\(\s*\d[\d,.]*(\s+[^\W\d]+)?\s*\)\s*$")
# A subtotal row's label: `Subtotal`, `Sum`, `Count`, `Total (3 records)`, `Average: 1,200`...
_SUBTOTAL = (
    r"(?i)^\s*(grand\s+totals?|totals?|sub-?totals?|sum|count|average|avg|max|min|median|"
    r"record\s+count|subtotal|summe|anzahl|soma|contagem|suma|recuento|somme|nombre)"
    r"\s*(\(.*\))?\s*:?\s*[-+\d.,$%\s"
    "\u20ac\u00a3"
    r"]*$"
)


def _filled(col: pa.Array) -> np.ndarray:
    return pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0).to_numpy(
        zero_copy_only=False
    )


def _column_of(table: RawTable, fmt: Format, label: str) -> int | None:
    """The column a group row's label names: a header cell of that text, else the column of the
    format's field that answers to it (``Owner`` for ``Opportunity Owner``)."""
    key = normalize_header(label)
    keys = [normalize_header(h) for h in table.header]
    if key in keys:
        return keys.index(key)
    for f in fmt.fields:
        if key in f.keys:
            for k in f.keys:
                if k in keys:
                    return keys.index(k)
    return None


def _fill_down_columns(
    table: RawTable, filled: list[np.ndarray], rows: np.ndarray, evidence: bool
) -> list[int]:
    """The leading columns a summary layout fills only on each group's first row.

    A column qualifies when, over the detail ``rows``, its first cell is filled, some are blank,
    and no filled cell repeats the filled cell before it within the same outer group (a details
    export repeats the owner on every row). Without ``evidence`` (subtotal or group rows) at least
    half of its cells must be blank, over two groups or more.
    """
    out: list[int] = []
    parent = np.zeros(len(rows), dtype=np.int64)
    for j in range(len(table.columns) - 1):
        mine = filled[j][rows]
        if not len(mine) or not mine[0] or mine.all():
            break
        values = np.asarray(table.columns[j].take(pa.array(rows)).to_pylist(), dtype=object)
        starts = np.flatnonzero(mine)
        same = (values[starts][1:] == values[starts][:-1]) & (
            parent[starts][1:] == parent[starts][:-1]
        )
        if same.any():
            break
        if not evidence and (mine.mean() > 0.5 or len(starts) < 2):
            break
        out.append(j)
        parent = parent * (len(rows) + 1) + np.cumsum(mine)
    return out


def unfold_summary(table: RawTable, fmt: Format) -> tuple[RawTable, list[str]] | None:
    """A summary-format report as a details table; None when the table is not one.

    * Group rows (one filled cell, ``Opportunity Owner: Ann Lee (3 records)``) are left out and
      their value fills the column they name (by header or by field) on the rows below them, up
      to the next group row of that label.
    * Leading columns filled only on each group's first row (a formatted export's merged group
      cells) are filled down; a count after the value (``Ann Lee (3)``) is removed.
    * Subtotal rows (a cell reading ``Subtotal``, ``Sum``, ``Count``, ``Total (3 records)``...,
      or, in a summary layout, rows with neither an opportunity name nor a stage) are left out.

    Rows keep their physical line numbers, so rejects still name the file's lines.
    """
    n = len(table)
    if n == 0 or not table.columns:
        return None
    # every summary layout leaves the first column blank on some rows or puts `Label: value`
    # group rows in it: a details report (most files, some of a million rows) stops here
    first_col = table.columns[0]
    if not (
        pc.any(pc.equal(pc.utf8_length(first_col), 0)).as_py()
        or pc.any(pc.match_substring(first_col, ":")).as_py()
    ):
        return None
    filled = [_filled(c) for c in table.columns]
    count = np.sum(filled, axis=0)
    group = np.zeros(n, dtype=bool)
    lone = np.flatnonzero(count == 1)
    if len(lone):
        first = np.argmax(np.vstack(filled)[:, lone], axis=0)
        for i, j in zip(lone, first, strict=True):
            text = table.columns[int(j)][int(i)].as_py()
            m = _GROUP_ROW.match(text)
            if m and m["value"] and not re.fullmatch(r"[\d\s:.,/-]+", text):
                group[i] = True
    subtotal = np.zeros(n, dtype=bool)
    for col in table.columns:
        subtotal |= np.asarray(
            pc.fill_null(pc.match_substring_regex(col, _SUBTOTAL), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        ) & _filled(col)
    keys = [normalize_header(h) for h in table.header]
    name_col = next(
        (keys.index(k) for f in fmt.fields if f.name == "deal_name" for k in f.keys if k in keys),
        None,
    )
    subtotal &= ~group
    detail = np.flatnonzero(~group & ~subtotal)
    evidence = bool(group.any() or subtotal.any())
    fill = _fill_down_columns(table, filled, detail, evidence)
    if not evidence and not fill:
        return None
    columns = list(table.columns)
    notes: list[str] = []
    # group rows: their value down their column
    placed: dict[int, str] = {}
    unplaced: set[str] = set()
    group_rows = np.flatnonzero(group)
    if len(group_rows):
        by_column: dict[int, list[tuple[int, str]]] = {}
        for i in group_rows:
            text = next(
                c[int(i)].as_py() for c, f in zip(table.columns, filled, strict=True) if f[i]
            )
            m = _GROUP_ROW.match(text)
            j = _column_of(table, fmt, m["label"])
            if j is None:
                unplaced.add(m["label"])
                continue
            placed[j] = m["label"]
            by_column.setdefault(j, []).append((int(i), _GROUP_COUNT.sub("", m["value"])))
        for j, marks in by_column.items():
            value = np.full(n, None, dtype=object)
            for i, v in marks:
                value[i] = v
            carried = pd.Series(value, dtype=object).ffill().to_numpy(dtype=object)
            own = np.asarray(columns[j].to_pylist(), dtype=object)
            use = ~filled[j] & ~np.equal(carried, None)
            own[use] = carried[use]
            columns[j] = pa.array(own.tolist(), pa.string())
    # merged group cells: filled down within the detail rows
    for j in fill:
        if j in placed:
            continue
        values = np.asarray(columns[j].to_pylist(), dtype=object)
        mine = filled[j].copy()
        mine[~np.isin(np.arange(n), detail)] = False
        carried = pd.Series(np.where(mine, values, None), dtype=object).ffill()
        carried = carried.map(lambda v: _GROUP_COUNT.sub("", v) if isinstance(v, str) else v)
        values[detail] = carried.to_numpy(dtype=object)[detail]
        values[np.equal(values, None)] = ""
        columns[j] = pa.array(values.tolist(), pa.string())
    # rows with no name and no stage in a summary layout: unlabelled subtotals
    stage_col = next(
        (keys.index(k) for f in fmt.fields if f.name == "stage" for k in f.keys if k in keys),
        None,
    )
    if name_col is not None and stage_col is not None:
        blank = ~filled[name_col] & ~filled[stage_col] & ~group
        subtotal |= blank
    keep = ~group & ~subtotal
    out = RawTable(
        name=table.name,
        header=table.header,
        columns=columns,
        line_numbers=table.line_numbers,
        header_line=table.header_line,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        matched=table.matched,
        problems={k: v for k, v in table.problems.items() if not group[k]},
        skipped_lines=table.skipped_lines,
        parser=table.parser,
    ).take(keep)
    what = []
    if group.any():
        what.append(f"{int(group.sum())} group row{'s' if group.sum() != 1 else ''}")
    if subtotal.any():
        what.append(f"{int(subtotal.sum())} subtotal row{'s' if subtotal.sum() != 1 else ''}")
    filled_names = [table.header[j] for j in sorted(set(fill) | set(placed))]
    notes.append(
        "summary-format report: "
        + (" and ".join(what) + " left out" if what else "no subtotal rows")
        + (
            "; " + ", ".join(repr(h) for h in filled_names) + " filled down from each group"
            if filled_names
            else ""
        )
    )
    if unplaced:
        notes.append(
            f"group rows by {', '.join(sorted(map(repr, unplaced)))}: no such column, "
            "their values are not kept"
        )
    return out, notes


def read_report(s: Sheet) -> pd.DataFrame:
    """Salesforce opportunity report export ("Details Only", or a summary-format report whose
    groups are unfolded by ``unfold_summary``)."""
    unfolded = unfold_summary(s.table, s.format)
    if unfolded is not None:
        table, notes = unfolded
        dropped = len(s.table) - len(table)
        s.__init__(table, s.format, s.options)  # the same sheet, over the details table
        s.warnings.extend(notes)
        s.dropped = dropped
    owner = s.owner("owner")
    name = s.text("deal_name")
    account = s.text("account")
    if s.has("deal_id"):
        deal_id = s.ids("deal_id", required=True)
    else:
        deal_id = fallback_deal_keys(name, account, owner)
        s.reject(
            np.equal(deal_id, None),
            "deal_name",
            "a deal name is required when the export has no Opportunity ID column",
        )
        s.warnings.append(
            "no 'Opportunity ID' column: deals are keyed by opportunity name + "
            "account, so a renamed deal will look like a new one"
        )
    stage = s.text("stage", required=True)
    amount = s.amount("amount", currency="amount_currency")
    probability = s.probability("probability", scale="percent")
    forecast = s.forecast("forecast_category")
    close = s.date("close_date", required=True)
    created = s.date("created_date")
    last_activity = s.date("last_activity_date", on_bad="blank")
    push = s.number("push_count", on_bad="blank")
    status = derive_status(
        s.per_value("stage", stage_status_code, np.int8),
        is_won=s.truth("is_won") if s.has("is_won") else None,
        is_closed=s.truth("is_closed") if s.has("is_closed") else None,
        forecast_closed=forecast == "closed",
    )
    reject_duplicates(
        s,
        deal_id,
        "deal_id" if s.has("deal_id") else "deal_name",
        "Opportunity ID" if s.has("deal_id") else "opportunity name + account",
    )
    return s.frame(
        {
            "deal_id": deal_id,
            "deal_name": name,
            "account": account,
            "owner": owner,
            "stage": stage,
            "stage_order": learn_stage_order(stage, status, known=SALESFORCE_STAGES),
            "status": status,
            "amount": amount,
            "probability": probability,
            "forecast_category": forecast,
            "close_date": close,
            "created_date": created,
            "next_step": s.text("next_step"),
            "last_activity_date": last_activity,
            "deal_type": s.text("deal_type"),
            "lead_source": s.text("lead_source"),
            "push_count": pd.array(push, dtype="Int64"),
        }
    )


REPORT = Format(
    name="salesforce-report",
    kind="pipeline",
    source="salesforce",
    title="a Salesforce opportunity report export",
    fields=REPORT_FIELDS,
    reader=read_report,
)


# ---------------------------------------------------------------------------------------------
# Opportunity Field History report

FIELD_HISTORY_FIELDS = (
    F(
        "field",
        "Field / Event",
        "Field/Event",
        "Field",
        "Campo / Evento",
        "Campo/Evento",
        "Champ / Événement",
        "Feld / Ereignis",
        required=True,
        label="Field / Event",
    ),
    F(
        "old_value",
        "Old Value",
        "Valor antigo",
        "Valor anterior",
        "Ancienne valeur",
        "Alter Wert",
        required=True,
    ),
    F(
        "new_value",
        "New Value",
        "Novo valor",
        "Valor nuevo",
        "Nouvelle valeur",
        "Neuer Wert",
        required=True,
    ),
    F(
        "changed_at",
        "Edit Date",
        "Data de edição",
        "Fecha de edición",
        "Date de modification",
        "Bearbeitungsdatum",
        required=True,
        type="date",
    ),
    F(
        "deal_name",
        "Opportunity Name",
        "Nome da oportunidade",
        "Nombre de la oportunidad",
        "Nom de l'opportunité",
        required=True,
    ),
    F("deal_id", "Opportunity ID", "Opportunity ID (18)", "ID da oportunidade"),
    F("account", "Account Name", expected=False),
    F("owner", "Opportunity Owner", expected=False),
    F("edited_by", "Edited By", expected=False),
    F("stage", "Stage", expected=False),
)

_FIELD_NAMES = {
    "closedate": "close_date",
    "amount": "amount",
    "stage": "stage",
    "forecastcategory": "forecast_category",
    "opportunityowner": "owner",
    "owner": "owner",
    "probability": "probability",
    "probability%": "probability",
    "datadefechamento": "close_date",
    "valor": "amount",
    "fase": "stage",
    "fechadecierre": "close_date",
    "importe": "amount",
    "etapa": "stage",
}


def read_field_history(s: Sheet) -> pd.DataFrame:
    """Salesforce "Opportunity Field History" report: one row per field edit."""
    field_text = s.text("field", required=True)
    own = getattr(s.format, "values", {}).get("field", {})
    canon = map_distinct(
        field_text, lambda f: own.get(normalize_header(f), _FIELD_NAMES.get(normalize_header(f)))
    )
    other = np.equal(canon, None)
    s.warn_count(
        other & ~np.equal(field_text, None),
        "events or fields Team Car does not track (such as 'Created.'), skipped",
    )
    changed_at = s.date("changed_at", required=True)
    name = s.text("deal_name", required=not s.has("deal_id"))
    if s.has("deal_id"):
        deal_id = s.ids("deal_id", required=True)
    else:
        deal_id = fallback_deal_keys(name, s.text("account"), s.text("owner"))
        s.warnings.append(
            "no 'Opportunity ID' column: history is keyed by opportunity name + "
            "account, matching snapshots that have no ids either"
        )
    old_raw, new_raw = s.column("old_value"), s.column("new_value")
    old = text_values(old_raw)
    new = text_values(new_raw)
    for fname, parse in (
        ("close_date", "date"),
        ("amount", "amount"),
        ("probability", "probability"),
        ("forecast_category", "forecast"),
    ):
        rows = canon == fname
        if not rows.any():
            continue
        if parse == "date":
            evidence = date_order(np.concatenate([old[rows], new[rows]]))
            day_first = s.options.day_first
            if day_first is None:
                day_first = evidence.decide()
            if day_first is None:
                day_first = s.day_first("changed_at")
            if day_first is None:
                raise LoadError(
                    f"{s.name}: close dates such as {evidence.example!r} read both as "
                    "day/month and month/day; rerun with --date-format %d/%m/%Y or "
                    "%m/%d/%Y"
                )
            conv = lambda v, d=day_first: parse_dates(v, day_first=d)  # noqa: E731
            fmt = format_dates
            expected = "expected a date"
        elif parse == "amount":
            conv = parse_amounts
            fmt = format_numbers
            expected = "expected an amount like 1,234.00"
        elif parse == "probability":
            conv = lambda v: parse_probabilities(v, scale="percent")  # noqa: E731
            fmt = format_numbers
            expected = "expected a probability like 40%"
        else:
            conv = forecast_categories
            fmt = None
            expected = "expected a forecast category"
        for values, column in ((old, "old_value"), (new, "new_value")):
            parsed = conv(values[rows])
            if parse != "forecast":
                bad = np.zeros(s.n, dtype=bool)
                bad[rows] = parsed.bad
                s.reject(bad, column, expected)
            converted = fmt(parsed.values) if fmt else parsed.values
            values[rows] = converted
    return s.frame(
        {
            "deal_id": deal_id,
            "changed_at": changed_at,
            "field": canon,
            "old_value": old,
            "new_value": new,
        },
        drop=other,
    )


FIELD_HISTORY = Format(
    name="salesforce-field-history",
    kind="history",
    source="salesforce",
    title="a Salesforce Opportunity Field History report",
    fields=FIELD_HISTORY_FIELDS,
    reader=read_field_history,
)


# ---------------------------------------------------------------------------------------------
# Opportunity History report (stage history): one row per stage change, with the deal's values

STAGE_HISTORY_FIELDS = (
    F("from_stage", "From Stage", "Fase anterior", "Etapa anterior", required=True),
    F("to_stage", "To Stage", "Fase nova", "Etapa nueva", required=True),
    F(
        "changed_at",
        "Last Modified",
        "Last Modified Date",
        "Stage Change Date",
        "Edit Date",
        required=True,
        type="date",
    ),
    F("deal_name", "Opportunity Name", required=True),
    F("deal_id", "Opportunity ID", "Opportunity ID (18)"),
    F("account", "Account Name", expected=False),
    F("amount", "Amount", expected=False),
    F("close_date", "Close Date", expected=False, type="date"),
    F("probability", "Probability (%)", "Probability", expected=False),
    F("forecast", "Forecast Category", expected=False),
)


def read_stage_history(s: Sheet) -> pd.DataFrame:
    """Salesforce "Opportunity History" report: stage moves, and the deal's amount, close date,
    probability and forecast category after each move (changes between rows become history)."""
    if s.has("deal_id"):
        deal_id = s.ids("deal_id", required=True)
    else:
        deal_id = fallback_deal_keys(s.text("deal_name", required=True), s.text("account"))
        s.warnings.append(
            "no 'Opportunity ID' column: history is keyed by opportunity name + "
            "account, matching snapshots that have no ids either"
        )
    changed_at = s.date("changed_at", required=True)
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "stage": (s.text("to_stage", required=True), s.text("from_stage"))
    }
    if s.has("amount"):
        fields["amount"] = (format_numbers(s.amount("amount")), None)
    if s.has("close_date"):
        fields["close_date"] = (format_dates(s.date("close_date")), None)
    if s.has("probability"):
        fields["probability"] = (
            format_numbers(s.probability("probability", scale="percent")),
            None,
        )
    if s.has("forecast"):
        fields["forecast_category"] = (s.forecast("forecast"), None)
    keep = np.flatnonzero(~s.bad)
    changes = history_changes(
        deal_id[keep],
        changed_at[keep],
        keep,
        {k: (v[keep], None if p is None else p[keep]) for k, (v, p) in fields.items()},
    )
    # a deal's first row tells its values then, not a change: keep only its stage move
    first_values = changes["old_value"].isna() & (changes["field"] != "stage")
    return schema.conform(changes[~first_values].drop(columns="row"), "history")


STAGE_HISTORY = Format(
    name="salesforce-stage-history",
    kind="history",
    source="salesforce",
    title="a Salesforce Opportunity History report",
    fields=STAGE_HISTORY_FIELDS,
    reader=read_stage_history,
)


# ---------------------------------------------------------------------------------------------
# "Tasks and Events" report

ACTIVITY_REPORT_FIELDS = (
    F(
        "owner",
        "Assigned",
        "Assigned To",
        "Assigned: Full Name",
        "Atribuído a",
        "Asignado",
        "Zugewiesen",
        required=True,
        label="Assigned",
    ),
    F(
        "activity_date",
        "Date",
        "Due Date",
        "Activity Date",
        "Data",
        "Fecha",
        required=True,
        type="date",
    ),
    F("subject", "Subject", "Assunto", "Asunto", "Objet", "Betreff", required=True),
    F("account", "Company / Account", "Company/Account", "Account", "Account Name"),
    F("deal_name", "Opportunity", "Related To", expected=False),
    F("deal_id", "Opportunity ID", expected=False),
    F("activity_id", "Activity ID", "Task ID", "Event ID", expected=False),
    F("status", "Status"),
    F("activity_type", "Activity Type"),
    F("subtype", "Task Subtype", "Task/Event Subtype"),
    F("task_type", "Task Type", "Type", expected=False),
    F("duration", "Call Duration", "Duration", "Call Duration (seconds)", expected=False),
    F("created_date", "Created Date", type="date", expected=False),
    F(
        "participants",
        "Attendees",
        "Participants",
        "Invitees",
        "Event Attendees",
        "Participantes",
        "Teilnehmer",
        expected=False,
    ),
)
ACTIVITY_REPORT_SIGNATURE = (
    ("Assigned", "Assigned To", "Assigned: Full Name"),
    ("Subject",),
    ("Date", "Due Date", "Activity Date"),
    ("Activity Type", "Task Subtype", "Status", "Call Type"),
)


def read_activity_report(s: Sheet) -> pd.DataFrame:
    """Salesforce "Tasks and Events" report export."""
    owner = s.owner("owner")
    date = s.date("activity_date", required=True)
    subject = s.text("subject")
    kind = activity_types(s, "subtype", "task_type", "subject")
    is_event = s.flag("activity_type", ["event", "evento", "evenement", "ereignis"])
    kind = np.where(is_event & (kind == "other"), "meeting", kind)
    open_status = s.flag(
        "status", ["Not Started", "In Progress", "Waiting on someone else", "Deferred", "Open"]
    )
    completed = ~open_status
    if s.has("activity_id"):
        activity_id = s.ids("activity_id", required=True)
    else:
        activity_id = content_ids(
            s,
            [
                "owner",
                "activity_date",
                "subject",
                "account",
                "deal_name",
                "activity_type",
                "subtype",
            ],
        )
        s.warnings.append("no activity id column: activities are identified by their content")
    if s.has("deal_id"):
        deal_id = s.ids("deal_id")
    else:
        deal_id = np.full(s.n, None, dtype=object)
        if s.has("deal_name"):
            s.warnings.append("no 'Opportunity ID' column: activities are not linked to deals")
    reject_duplicates(
        s, activity_id, "activity_id" if s.has("activity_id") else "subject", "activity"
    )
    return s.frame(
        {
            "activity_id": activity_id,
            "owner": owner,
            "activity_date": date,
            "type": kind,
            "deal_id": deal_id,
            "account": s.text("account"),
            "duration_seconds": s.duration("duration"),
            "subject": subject,
            "participants": participants_of(s, ["participants"], owner),
            "completed": completed,
        }
    )


ACTIVITY_REPORT = Format(
    name="salesforce-activity-report",
    kind="activity",
    source="salesforce",
    title="a Salesforce Tasks and Events report export",
    fields=ACTIVITY_REPORT_FIELDS,
    reader=read_activity_report,
    signature=ACTIVITY_REPORT_SIGNATURE,
)
