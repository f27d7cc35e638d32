"""Writing each kind of canonical frame into the store, inside the load's transaction.

Rules:

* Pipeline: one snapshot per source and day; a second snapshot of that day replaces the first
  (its batch is marked ``replaced``); duplicate deal ids keep the last row.
* History: changes already stored (same deal, time and field) are skipped.
* Activities: keyed by (source, id); a later export updates them in place, unchanged rows are left
  alone; duplicate ids keep the last row.
* Roster: reps are found by any alias (name, email, CRM user id) and created when new; team
  memberships are effective-dated: a first membership reaches back to ``EARLIEST`` so past
  snapshots have a team, a later one ends the current one.
* Quotas: one per rep and quarter, the latest file wins.
* Readiness: an LMS export replaces the earlier rows of the programs it lists.
* Each writer returns warnings for the batch record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from loaders.identity import name_key
from loaders.store.bulk import bulk_insert, first_load, indexes_rebuilt_after
from loaders.store.models import (
    Activity,
    ImportBatch,
    OpportunityHistory,
    OpportunitySnapshot,
    Quota,
    ReadinessEvent,
    RejectedRow,
    Rep,
    RepAlias,
    Team,
    TeamMembership,
)

# The day a rep's first team membership starts: before any snapshot.
EARLIEST = dt.date(1900, 1, 1)


def write_pipeline(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    warnings = []
    dupes = frame["deal_id"].duplicated(keep="last")
    if dupes.any():
        warnings.append(f"{int(dupes.sum())} duplicate deal ids; the last row of each was kept")
        frame = frame[~dupes]
    day = batch.as_of.date()
    # before any read of the snapshots: on PostgreSQL a first load drops indexes, and a load that
    # had read the table while waiting its turn would deadlock with it
    first = first_load(session, OpportunitySnapshot)
    # A second snapshot of the same source and day replaces the first, so a day has one picture.
    replaced = session.scalars(
        select(ImportBatch.id)
        .where(
            ImportBatch.kind == "pipeline",
            ImportBatch.source == batch.source,
            ImportBatch.id != batch.id,
        )
        .join(OpportunitySnapshot, OpportunitySnapshot.batch_id == ImportBatch.id)
        .where(OpportunitySnapshot.snapshot_date == day)
        .distinct()
    ).all()
    if replaced:
        session.execute(
            delete(OpportunitySnapshot).where(OpportunitySnapshot.batch_id.in_(replaced))
        )
        session.execute(
            update(ImportBatch).where(ImportBatch.id.in_(replaced)).values(status="replaced")
        )
        warnings.append(
            f"replaces the {batch.source} snapshot of {day} from batch(es) "
            + ", ".join(map(str, replaced))
        )
    frame = frame.assign(
        owner_key=_name_keys(frame["owner"]),
        batch_id=batch.id,
        source=batch.source,
        snapshot_date=pd.Timestamp(day),
    )
    frame = frame.sort_values("deal_id", kind="stable")  # primary-key order: sequential B-tree fill
    if first:
        with indexes_rebuilt_after(session, OpportunitySnapshot):
            bulk_insert(session, OpportunitySnapshot, frame)
        return warnings
    bulk_insert(session, OpportunitySnapshot, frame)
    return warnings


def write_history(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    frame = frame.copy()
    frame["changed_at"] = frame["changed_at"].astype("datetime64[ns]")
    key_cols = ["deal_id", "changed_at", "field"]
    existing = set()
    ids = frame["deal_id"].dropna().unique().tolist()
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                OpportunityHistory.deal_id, OpportunityHistory.changed_at, OpportunityHistory.field
            ).where(
                OpportunityHistory.source == batch.source,
                OpportunityHistory.deal_id.in_(ids[start : start + 500]),
            )
        ).all()
        existing.update((d, pd.Timestamp(c), f) for d, c, f in rows)
    keep = [tuple(k) not in existing for k in frame[key_cols].itertuples(index=False)]
    skipped = len(frame) - sum(keep)
    frame = frame[keep]
    bulk_insert(session, OpportunityHistory, frame.assign(batch_id=batch.id, source=batch.source))
    return [f"{skipped} history rows were already stored"] if skipped else []


def write_activity(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    warnings = []
    dupes = frame["activity_id"].duplicated(keep="last")
    if dupes.any():
        warnings.append(f"{int(dupes.sum())} duplicate activity ids; the last row of each was kept")
        frame = frame[~dupes]
    frame = frame.assign(
        owner_key=_name_keys(frame["owner"]), batch_id=batch.id, source=batch.source
    ).sort_values("activity_id", kind="stable")
    # rows in key order fill the unique index's B-tree in sequence (about a third faster)
    if first_load(session, Activity):
        # no row can conflict with an empty table: a plain insert, indexes built after
        with indexes_rebuilt_after(session, Activity):
            bulk_insert(session, Activity, frame)
        return warnings
    # activities re-exported in a later file are updated in place, keyed by (source, id);
    # rows identical to the stored ones are left alone (a weekly full export rewrites nothing)
    bulk_insert(session, Activity, frame, upsert_keys=("source", "activity_id"))
    return warnings


def _name_keys(names: pd.Series) -> pd.Series:
    """identity.name_key over a column, computed once per distinct name."""
    uniques = names.dropna().unique()
    return names.map(dict(zip(uniques, map(name_key, uniques), strict=True))).fillna("")


def _rep_for(session: Session, name: str, cache: dict[str, Rep]) -> Rep:
    """The rep known by ``name`` (an alias), created with that alias when new."""
    key = name_key(name)
    if key in cache:
        return cache[key]
    rep = session.scalar(
        select(Rep).join(RepAlias, RepAlias.rep_id == Rep.id).where(RepAlias.alias == key)
    )
    if rep is None:
        rep = session.scalar(select(Rep).where(Rep.name == name.strip()))
    if rep is None:
        rep = Rep(name=" ".join(name.split()))
        session.add(rep)
        session.flush()
    _add_alias(session, rep, key)
    cache[key] = rep
    return rep


def _add_alias(session: Session, rep: Rep, key: str) -> None:
    if not key:
        return
    alias = session.get(RepAlias, key)
    if alias is None:
        session.add(RepAlias(alias=key, rep_id=rep.id))
        session.flush()
    elif alias.rep_id != rep.id:
        alias.rep_id = rep.id


def write_roster(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    warnings: list[str] = []
    cache: dict[str, Rep] = {}
    teams: dict[str, Team] = {t.name: t for t in session.scalars(select(Team))}
    file_day = batch.as_of.date()
    # Rows of one rep load oldest first, so a re-org row (with Effective From) ends the old team.
    frame = frame.assign(_from=frame["effective_from"].fillna(pd.Timestamp(EARLIEST)))
    frame = frame.sort_values(["_from"], kind="stable")
    for row in frame.itertuples(index=False):
        rep = _rep_for(session, row.rep, cache)
        for attr in ("email", "crm_user_id", "role", "manager"):
            value = getattr(row, attr)
            if value:
                setattr(rep, attr, value)
        if pd.notna(row.start_date):
            rep.start_date = row.start_date.date()
        _add_alias(session, rep, name_key(row.email))
        _add_alias(session, rep, name_key(row.crm_user_id))
        if not row.team:
            continue
        team = teams.get(row.team)
        if team is None:
            team = teams[row.team] = Team(name=row.team)
            session.add(team)
            session.flush()
        current = session.scalars(
            select(TeamMembership)
            .where(TeamMembership.rep_id == rep.id)
            .order_by(TeamMembership.effective_from.desc())
        ).first()
        if pd.notna(row.effective_from):
            start = row.effective_from.date()
        elif current is None:
            # A first membership covers the rep's whole history, so past snapshots have a team.
            start = EARLIEST
        else:
            start = file_day
        if current is not None and current.team_id == team.id:
            continue
        if current is not None and current.effective_from >= start:
            if current.effective_from == start:
                current.team_id = team.id
                current.batch_id = batch.id
                continue
            warnings.append(
                f"{row.rep}: membership of {row.team} from {start} is older than the "
                f"stored one from {current.effective_from}; kept the stored one"
            )
            continue
        if current is not None:
            current.effective_to = start
        session.add(
            TeamMembership(rep_id=rep.id, team_id=team.id, effective_from=start, batch_id=batch.id)
        )
        session.flush()
    return warnings


def write_quota(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    cache: dict[str, Rep] = {}
    for row in frame.itertuples(index=False):
        rep = _rep_for(session, row.rep, cache)
        quota = session.get(Quota, (rep.id, row.quarter))
        if quota is None:
            session.add(
                Quota(
                    rep_id=rep.id, quarter=row.quarter, amount=float(row.quota), batch_id=batch.id
                )
            )
        else:
            quota.amount, quota.batch_id = float(row.quota), batch.id
    session.flush()
    return []


def write_readiness(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    frame = frame.rename(columns={"rep": "owner"})
    frame = frame.assign(owner_key=_name_keys(frame["owner"]))
    # An LMS export is the current state of the programs it lists: it replaces their earlier rows.
    pairs = list({(k, p) for k, p in zip(frame["owner_key"], frame["program"], strict=True)})
    for start in range(0, len(pairs), 400):
        session.execute(
            delete(ReadinessEvent).where(
                tuple_(ReadinessEvent.owner_key, ReadinessEvent.program).in_(
                    pairs[start : start + 400]
                )
            )
        )
    bulk_insert(session, ReadinessEvent, frame.assign(batch_id=batch.id))
    return []


def store_rejects(session: Session, batch_id: int, rejects: Sequence) -> None:
    """The batch's rejected rows (line number, column, reason, raw text)."""
    frame = pd.DataFrame(
        {
            "batch_id": batch_id,
            "row_number": [int(r.row_number) for r in rejects],
            "column": [r.column for r in rejects],
            "reason": [r.reason for r in rejects],
            "raw": [r.raw for r in rejects],
        }
    )
    bulk_insert(session, RejectedRow, frame)


# kind -> writer(session, batch, frame) returning the batch's warnings
WRITERS = {
    "pipeline": write_pipeline,
    "history": write_history,
    "activity": write_activity,
    "roster": write_roster,
    "quota": write_quota,
    "readiness": write_readiness,
}
