"""Deal plans in the store (DESIGN §12): steps added, ticked off, edited and removed, and the
steps of a plans file.

Each change is written inside the caller's session, with its audit entry
(``audit.record_plan_edit``) in the same transaction, so the change and its entry commit
together. Nothing here knows who may see a deal: the browser's writes go through
``dashboard.reads.plans``, which checks the viewer's scope in that same session first; a plans
file is loaded by whoever may load files (``loaders.ingest.load_file``).

Rules of a plans file (``loaders/formats/plans.py`` reads it):

* The deal is found by its id in the stored snapshots (a Salesforce 15-character id also by its
  18-character form), else by its name (any snapshot's ``deal_name``, compared trimmed and
  case-folded). An id or name that no deal has, or a name several deals share, rejects the row
  with its line.
* The owner is a roster person found by name, e-mail or CRM user id (the roster's aliases, as
  for calls); anyone else rejects the row with its line.
* A step already on the deal with the same text (trimmed, case-folded) is updated in place
  (kind, owner, due, status, note), not added twice; within one file the last row of a step wins.
* The step's author is the file (its name); its time is the load's.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from loaders.identity import name_key
from loaders.schema import PLAN_KIND_LABELS, PLAN_KINDS, PLAN_STATUSES
from loaders.store import audit
from loaders.store.models import DealPlanStep, ImportBatch, OpportunitySnapshot, Rep, RepAlias

MAX_TITLE = 200
MAX_NOTE = 2_000
MAX_ACTOR = 255


class PlanError(ValueError):
    """A step that cannot be saved; the message is for the person writing it."""


def deal_label(source: str, deal_id: str, name: str | None = None) -> str:
    """How the audit log names a deal: ``Acme renewal (salesforce:006...)``."""
    key = f"{source}:{deal_id}"
    return f"{name} ({key})" if name else key


def clean_step(
    kind: object, title: object, due: object = None, note: object = None
) -> tuple[str, str, dt.date | None, str | None]:
    """A step's fields as kept, or the reason they cannot be.

    The title may be left empty for a kind other than free text: it is then the kind's label.

    Raises:
        PlanError: an unknown kind, no title for free text, a title or note too long, a due day
            that is not a day.
    """
    kind = str(kind or "").strip().lower()
    if kind not in PLAN_KINDS:
        raise PlanError(f"Pick a kind of step: one of {', '.join(PLAN_KIND_LABELS.values())}.")
    title = " ".join(str(title or "").split())
    if not title:
        if kind == "other":
            raise PlanError("Say what the step is: a free-text step needs a title.")
        title = PLAN_KIND_LABELS[kind]
    if len(title) > MAX_TITLE:
        raise PlanError(
            f"A step's title holds up to {MAX_TITLE} characters; this has {len(title)}."
        )
    note = str(note or "").replace("\r\n", "\n").strip() or None
    if note and len(note) > MAX_NOTE:
        raise PlanError(
            f"A step's note holds up to {MAX_NOTE:,} characters; this has {len(note):,}."
        )
    if due is not None and not isinstance(due, dt.date):
        try:
            due = dt.date.fromisoformat(str(due)[:10])
        except ValueError as exc:
            raise PlanError(f"The due day {due!r} is not a day like 2026-12-01.") from exc
    if isinstance(due, dt.datetime):
        due = due.date()
    return kind, title, due, note


def _actor(actor: str | None) -> str:
    return (" ".join(str(actor or "").split()) or audit.local_actor())[:MAX_ACTOR]


def _describe(step: DealPlanStep) -> str:
    due = f", due {step.due:%Y-%m-%d}" if step.due else ""
    return f"{PLAN_KIND_LABELS.get(step.kind, step.kind)}: {step.title}{due} (step {step.id})"


def add_step(
    session: Session,
    *,
    source: str,
    deal_id: str,
    kind: str,
    title: str | None,
    owner_id: int | None,
    due: dt.date | None,
    note: str | None,
    author: str | None,
    now: dt.datetime,
    deal: str | None = None,
    via: str = "browser",
) -> int:
    """Add an open step to a deal's plan (and its audit entry); returns the step's id.

    Args:
        deal: how the audit log names the deal (default ``source:deal_id``).

    Raises:
        PlanError: see ``clean_step``.
    """
    kind, title, due, note = clean_step(kind, title, due, note)
    author = _actor(author)
    step = DealPlanStep(
        source=source,
        deal_id=deal_id,
        kind=kind,
        title=title,
        owner_id=owner_id,
        due=due,
        status="open",
        note=note,
        author=author,
        created_at=now,
        updated_at=now,
    )
    session.add(step)
    session.flush()
    audit.record_plan_edit(
        session,
        "step added",
        deal or deal_label(source, deal_id),
        actor=author,
        via=via,
        detail=_describe(step),
    )
    return int(step.id)


def set_status(
    session: Session,
    step: DealPlanStep,
    status: str,
    *,
    actor: str | None,
    now: dt.datetime,
    deal: str | None = None,
    via: str = "browser",
) -> bool:
    """Mark a step done or open again (and the audit entry); False when it already was.

    Raises:
        PlanError: a status other than open or done.
    """
    if status not in PLAN_STATUSES:
        raise PlanError(f"A step is {' or '.join(PLAN_STATUSES)}, not {status!r}.")
    if step.status == status:
        return False
    actor = _actor(actor)
    step.status = status
    step.updated_at = now
    step.done_at, step.done_by = (now, actor) if status == "done" else (None, None)
    session.flush()
    audit.record_plan_edit(
        session,
        "step done" if status == "done" else "step reopened",
        deal or deal_label(step.source, step.deal_id),
        actor=actor,
        via=via,
        detail=_describe(step),
    )
    return True


def edit_step(
    session: Session,
    step: DealPlanStep,
    *,
    kind: str,
    title: str | None,
    owner_id: int | None,
    due: dt.date | None,
    note: str | None,
    actor: str | None,
    now: dt.datetime,
    deal: str | None = None,
    via: str = "browser",
) -> None:
    """Replace a step's kind, title, owner, due day and note; it keeps its author and first time.

    Raises:
        PlanError: see ``clean_step``.
    """
    kind, title, due, note = clean_step(kind, title, due, note)
    before = _describe(step)
    step.kind, step.title, step.owner_id, step.due, step.note = kind, title, owner_id, due, note
    step.updated_at = now
    session.flush()
    audit.record_plan_edit(
        session,
        "step edited",
        deal or deal_label(step.source, step.deal_id),
        actor=_actor(actor),
        via=via,
        detail=f"{before} → {_describe(step)}",
    )


def delete_step(
    session: Session,
    step: DealPlanStep,
    *,
    actor: str | None,
    deal: str | None = None,
    via: str = "browser",
) -> None:
    """Remove a step from its plan (the audit entry keeps what it was)."""
    detail = _describe(step)
    label = deal or deal_label(step.source, step.deal_id)
    session.delete(step)
    session.flush()
    audit.record_plan_edit(
        session, "step removed", label, actor=_actor(actor), via=via, detail=detail
    )


# --- a plans file -------------------------------------------------------------------------------


def _short_id18(value: str) -> str | None:
    from loaders.formats.salesforce.ids import salesforce_id18

    try:
        return salesforce_id18(value) if len(value) == 15 and value.isalnum() else None
    except (ValueError, KeyError):
        return None


def _deals_by_id(session: Session, ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Stored deals (source, id) for each id a file names (15-character Salesforce ids also by
    their 18-character form)."""
    wanted = {i: {i} | ({_short_id18(i)} - {None}) for i in ids}
    flat = sorted({v for vs in wanted.values() for v in vs})
    found: dict[str, set[tuple[str, str]]] = {}
    S = OpportunitySnapshot
    for start in range(0, len(flat), 500):
        rows = session.execute(
            select(S.source, S.deal_id).distinct().where(S.deal_id.in_(flat[start : start + 500]))
        ).all()
        for source, deal_id in rows:
            found.setdefault(deal_id, set()).add((source, deal_id))
    return {i: set().union(*(found.get(v, set()) for v in vs)) for i, vs in wanted.items()}


def _deals_by_name(session: Session, names: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Stored deals (source, id) whose name in any snapshot is each name a file gives."""
    keys = {n: name_key(n) for n in names}
    lowered = sorted({n.lower() for n in keys.values()})
    by_key: dict[str, set[tuple[str, str]]] = {}
    S = OpportunitySnapshot
    for start in range(0, len(lowered), 500):
        rows = session.execute(
            select(S.source, S.deal_id, S.deal_name)
            .distinct()
            .where(func.lower(S.deal_name).in_(lowered[start : start + 500]))
        ).all()
        for source, deal_id, name in rows:
            by_key.setdefault(name_key(name), set()).add((source, deal_id))
    return {n: by_key.get(k, set()) for n, k in keys.items()}


def _owners(session: Session, names: list[str]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for name in names:
        rep_id = session.scalar(select(RepAlias.rep_id).where(RepAlias.alias == name_key(name)))
        if rep_id is None:
            rep_id = session.scalar(select(Rep.id).where(Rep.name == " ".join(name.split())))
        out[name] = rep_id
    return out


def _raw(row) -> str:
    due = row.due.date().isoformat() if pd.notna(row.due) else ""
    return ",".join(
        "" if v is None else str(v)
        for v in (row.deal_id, row.deal_name, row.step, row.owner, due, row.status, row.note)
    )


def write_plans(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    """Keep the steps of a plans file (see the module's rules); rows naming no stored deal or no
    roster person become the batch's rejects, with their line."""
    from loaders.store.writes import _Rejected, store_rejects  # writes imports this module

    by_id = _deals_by_id(session, sorted(set(frame["deal_id"].dropna())))
    names = set(frame["deal_name"].dropna())
    # an id that no deal has may be a name written in an id column ("Deal")
    names |= {i for i, found in by_id.items() if not found}
    by_name = _deals_by_name(session, sorted(names))
    owners = _owners(session, sorted(set(frame["owner"].dropna())))
    rejects, keep = [], []
    for row in frame.itertuples(index=False):
        line = int(row.line) if pd.notna(row.line) else 0
        found: set[tuple[str, str]] = set()
        column, what = "Deal ID", row.deal_id
        if row.deal_id is not None:
            found = by_id.get(row.deal_id, set())
            if not found and row.deal_name is None:
                found = by_name.get(row.deal_id, set())
        if not found and row.deal_name is not None:
            column, what = "Opportunity Name", row.deal_name
            found = by_name.get(row.deal_name, set())
        reason = None
        if not found:
            by = "id" if column == "Deal ID" else "name"
            reason = (
                f"{column} {what!r}: no deal by that {by} in the stored pipeline; load the "
                "pipeline that holds it first"
            )
        elif len(found) > 1:
            some = ", ".join(sorted(f"{s}:{d}" for s, d in found)[:3])
            reason = (
                f"{column} {what!r}: {len(found)} deals answer to it ({some}); name the deal by "
                "its Deal ID"
            )
        elif owners.get(row.owner) is None:
            column = "Owner"
            reason = (
                f"Owner {row.owner!r}: not on the roster (no rep, e-mail or CRM user id by that "
                "name); load the roster that names them first"
            )
        if reason:
            rejects.append(_Rejected(line, column, reason, _raw(row)))
            continue
        source, deal_id = next(iter(found))
        keep.append((source, deal_id, row, owners[row.owner]))
    if rejects:
        store_rejects(session, batch.id, rejects)
        batch.rows_loaded -= len(rejects)
        batch.rows_rejected += len(rejects)
    # the last row of a step wins within the file
    steps: dict[tuple[str, str, str], tuple] = {}
    for source, deal_id, row, owner_id in keep:
        steps[(source, deal_id, name_key(row.step))] = (source, deal_id, row, owner_id)
    warnings = []
    repeated = len(keep) - len(steps)
    if repeated:
        warnings.append(
            f"{repeated} row{'s' if repeated != 1 else ''} repeat a step of the same deal: "
            "the last row of each was kept"
        )
    deals = sorted({(s, d) for s, d, _ in steps})
    existing: dict[tuple[str, str, str], DealPlanStep] = {}
    for start in range(0, len(deals), 500):
        for step in session.scalars(
            select(DealPlanStep).where(
                tuple_(DealPlanStep.source, DealPlanStep.deal_id).in_(deals[start : start + 500])
            )
        ):
            existing.setdefault((step.source, step.deal_id, name_key(step.title)), step)
    now = batch.loaded_at
    author = f"file {batch.source_name}"[:MAX_ACTOR]
    updated = 0
    for key, (source, deal_id, row, owner_id) in steps.items():
        due = row.due.date() if pd.notna(row.due) else None
        title = " ".join(str(row.step).split())[:MAX_TITLE]
        note = (row.note or None) and str(row.note)[:MAX_NOTE]
        step = existing.get(key)
        if step is None:
            step = DealPlanStep(
                source=source,
                deal_id=deal_id,
                title=title,
                author=author,
                created_at=now,
                batch_id=batch.id,
                status="open",
            )
            session.add(step)
        else:
            updated += 1
        step.kind, step.owner_id, step.due, step.note = row.kind, owner_id, due, note
        if step.status != row.status:
            step.status = row.status
            step.done_at, step.done_by = (now, author) if row.status == "done" else (None, None)
        step.updated_at = now
    if updated:
        warnings.append(
            f"{updated} step{'s' if updated != 1 else ''} already on their deal's plan: updated "
            "(kind, owner, due, status, note), not added twice"
        )
    session.flush()
    return warnings


__all__ = [
    "MAX_NOTE",
    "MAX_TITLE",
    "PlanError",
    "add_step",
    "clean_step",
    "deal_label",
    "delete_step",
    "edit_step",
    "set_status",
    "write_plans",
]
