"""Salesforce report exports: opportunities, field history, stage history, tasks and events.

Reports carry human headers (``Opportunity Owner``, ``Close Date``), in the user's language, with
titles above the table and totals and notices below it (``loaders.parsing.tables`` skips those).
Ids are 15 or 18 characters (``ids``); stages follow Salesforce's standard order unless the export
says otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
)
from loaders.formats.salesforce.data_export import SALESFORCE_STAGES, history_changes
from loaders.parsing.amounts import parse_amounts, parse_probabilities
from loaders.parsing.categories import forecast_categories
from loaders.parsing.columns import map_distinct, normalize_header, text_values
from loaders.parsing.dates import date_order, parse_dates
from loaders.parsing.errors import LoadError

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


def read_report(s: Sheet) -> pd.DataFrame:
    """Salesforce opportunity report export ("Details Only")."""
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
            "participants": None,
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
