"""Writing each kind of canonical frame into the store, inside the load's transaction.

Rules:

* Pipeline: one snapshot per source and day; a second snapshot of that day replaces the first
  (its batch is marked ``replaced``), a snapshot of no rows too; loads of one source and day take
  turns, so two at once leave the later one live. Duplicate deal ids keep the last row.
* History: changes already stored (same deal, time and field) are skipped.
* Activities: keyed by (source, id); a later export updates them in place, unchanged rows are left
  alone; duplicate ids keep the last row.
* Roster: reps are found by any alias (name, email, CRM user id) and created when new; team
  memberships are effective-dated: a first membership reaches back to ``EARLIEST`` so past
  snapshots have a team, a later one ends the one in force. Reporting lines (the Manager column)
  are effective-dated the same way in ``reporting_lines``. A row's period starts on its
  Effective From; an undated row starts at ``EARLIEST`` for a first period or when the person
  also has dated rows in the file (it is the period before them), else on the file's day. A row
  splits the period in force on its day, so a row about the past slots in before later ones and
  an edited roster loaded again changes only what it changes. A manager named who is not a
  roster row becomes a person (role Manager, no team). An empty Manager cell leaves the line as
  it was, as every empty roster cell does.
* Calls: a row whose person is not on the roster (no alias) is rejected with its line; a row
  identical to a call already kept (same person, quarter, day, commit, best case and note) is
  not added twice. Without an author column, a call's author is the person it names.
* Plans: see ``loaders/store/plans.py`` (an unknown deal or owner rejects the row by its line).
* Quotas: one per rep and quarter, the latest file wins.
* Readiness: an LMS export replaces the earlier rows of the programs it lists.
* Each writer returns warnings for the batch record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from loaders.identity import name_key
from loaders.parsing.columns import surely_unique
from loaders.store.bulk import (
    bulk_insert,
    ensure_indexes,
    first_load,
    foreign_keys_checked_after,
    indexes_rebuilt_after,
    lock_key,
)
from loaders.store.models import (
    Activity,
    ForecastCall,
    ImportBatch,
    OpportunityHistory,
    OpportunitySnapshot,
    Quota,
    ReadinessEvent,
    RejectedRow,
    Rep,
    RepAlias,
    ReportingLine,
    Team,
    TeamMembership,
)
from loaders.store.plans import write_plans

# The day a rep's first team membership starts: before any snapshot.
EARLIEST = dt.date(1900, 1, 1)


def _repeated(ids: pd.Series) -> pd.Series | None:
    """Rows whose id repeats a later row's (``duplicated(keep="last")``), None when none does.

    Readers have rejected repeated ids already, so the usual answer is "none": proved by hashing
    the ids in numpy (``surely_unique``) instead of hashing millions of Python strings.
    """
    if len(ids) > 10_000:
        try:
            values = pa.array(ids.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            values = None
        if values is not None and surely_unique(values):
            return None
    dupes = ids.duplicated(keep="last")
    return dupes if dupes.any() else None


def write_pipeline(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    warnings = []
    dupes = _repeated(frame["deal_id"])
    if dupes is not None:
        warnings.append(f"{int(dupes.sum())} duplicate deal ids; the last row of each was kept")
        frame = frame[~dupes]
    day = batch.as_of.date()
    # before any read of the snapshots: on PostgreSQL a first load drops indexes, and a load that
    # had read the table while waiting its turn would deadlock with it
    first = first_load(session, OpportunitySnapshot)
    # A second snapshot of the same source and day replaces the first, so a day has one picture.
    # Loads of one source and day take turns from here to their commit, so the later one always
    # sees (and replaces) the earlier; on SQLite the single write lock already does that.
    lock_key(session, f"pipeline|{batch.source}|{day.isoformat()}")
    start = dt.datetime.combine(day, dt.time())
    live = select(ImportBatch.id).where(
        ImportBatch.kind == "pipeline",
        ImportBatch.source == batch.source,
        ImportBatch.status == "loaded",
        ImportBatch.as_of >= start,
        ImportBatch.as_of < start + dt.timedelta(days=1),
    )
    # found by the batches, not by their rows: a snapshot of no rows is the day's picture too
    replaced = [i for i in session.scalars(live.order_by(ImportBatch.id)).all() if i != batch.id]
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
        with (
            indexes_rebuilt_after(session, OpportunitySnapshot, len(frame)),
            foreign_keys_checked_after(session, OpportunitySnapshot, len(frame)),
        ):
            bulk_insert(session, OpportunitySnapshot, frame)
        return warnings
    ensure_indexes(session, OpportunitySnapshot)  # a first load killed before its index step
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
    dupes = _repeated(frame["activity_id"])
    if dupes is not None:
        warnings.append(f"{int(dupes.sum())} duplicate activity ids; the last row of each was kept")
        frame = frame[~dupes]
    frame = frame.assign(
        owner_key=_name_keys(frame["owner"]), batch_id=batch.id, source=batch.source
    ).sort_values("activity_id", kind="stable")
    # rows in key order fill the unique index's B-tree in sequence (about a third faster)
    if first_load(session, Activity):
        # no row can conflict with an empty table: a plain insert, indexes built after
        with (
            indexes_rebuilt_after(session, Activity, len(frame)),
            foreign_keys_checked_after(session, Activity, len(frame)),
        ):
            bulk_insert(session, Activity, frame)
        return warnings
    ensure_indexes(session, Activity)  # a first load killed before its index step
    # activities re-exported in a later file are updated in place, keyed by (source, id);
    # rows identical to the stored ones are left alone (a weekly full export rewrites nothing)
    bulk_insert(session, Activity, frame, upsert_keys=("source", "activity_id"))
    return warnings


def _name_keys(names: pd.Series) -> pd.Series:
    """identity.name_key over a column, computed once per distinct name ("" for none).

    The names are hashed once (``factorize``) and each row takes its key by position.
    """
    codes, uniques = pd.factorize(names.to_numpy(dtype=object), use_na_sentinel=True)
    keys = np.array([name_key(u) for u in uniques] + [""], dtype=object)
    return pd.Series(keys[codes], index=names.index, dtype=object, copy=False)


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
    # Rows of one rep load oldest first, so a re-org row (with Effective From) ends the old team.
    frame = frame.assign(_from=frame["effective_from"].fillna(pd.Timestamp(EARLIEST)))
    frame = frame.sort_values(["_from"], kind="stable")
    # An undated row of a person who also has dated rows here is the period before them.
    dated = {
        name_key(r)
        for r, f in zip(frame["rep"], frame["effective_from"], strict=True)
        if pd.notna(f)
    }
    starts = [
        f.date() if pd.notna(f) else (EARLIEST if name_key(r) in dated else None)
        for r, f in zip(frame["rep"], frame["effective_from"], strict=True)
    ]
    for row, start in zip(frame.itertuples(index=False), starts, strict=True):
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
        # A first membership covers the rep's whole history, so past snapshots have a team.
        _put_period(session, batch, TeamMembership, "team_id", rep.id, team.id, start)
    # Reporting lines after every row's person exists: a manager who is a roster row of this
    # file is that row's person, not a new one.
    for row, start in zip(frame.itertuples(index=False), starts, strict=True):
        if not row.manager:
            continue
        rep = _rep_for(session, row.rep, cache)
        manager = _manager_for(session, row.manager, cache)
        if manager.id == rep.id:
            warnings.append(f"{row.rep}: named as their own manager; no reporting line recorded")
            continue
        _put_period(session, batch, ReportingLine, "manager_id", rep.id, manager.id, start)
    return warnings


def _manager_for(session: Session, name: str, cache: dict[str, Rep]) -> Rep:
    """The person a Manager cell names: a rep known by that alias, else a new person with role
    Manager and no team (so the chain can name them)."""
    key = name_key(name)
    known = key in cache or session.scalar(select(RepAlias.rep_id).where(RepAlias.alias == key))
    if not known and session.scalar(select(Rep.id).where(Rep.name == name.strip())) is None:
        person = Rep(name=" ".join(name.split()), role="Manager")
        session.add(person)
        session.flush()
        _add_alias(session, person, key)
        cache[key] = person
        return person
    return _rep_for(session, name, cache)


def _put_period(
    session: Session,
    batch: ImportBatch,
    model: type[TeamMembership] | type[ReportingLine],
    attr: str,
    rep_id: int,
    value: int,
    start: dt.date | None,
) -> None:
    """Record that the rep's ``attr`` (team or manager) is ``value`` from ``start`` on, until
    the next stored period (None: ``EARLIEST`` for a first period, else the file's day).

    The period in force on ``start`` is split there (or, starting that very day, changed): a row
    about the past slots in before later periods instead of replacing them, and loading an
    edited roster that repeats its re-org rows changes only what it changes.
    """
    periods = session.scalars(
        select(model).where(model.rep_id == rep_id).order_by(model.effective_from)
    ).all()
    if start is None:
        start = EARLIEST if not periods else batch.as_of.date()
    same_day = [p for p in periods if p.effective_from == start]
    if same_day:
        if getattr(same_day[0], attr) != value:
            setattr(same_day[0], attr, value)
            same_day[0].batch_id = batch.id
        return
    before = [p for p in periods if p.effective_from < start]
    after = [p for p in periods if p.effective_from > start]
    if before and getattr(before[-1], attr) == value:
        return
    if before:
        before[-1].effective_to = start
    session.add(
        model(
            rep_id=rep_id,
            effective_from=start,
            effective_to=after[0].effective_from if after else None,
            batch_id=batch.id,
            **{attr: value},
        )
    )
    session.flush()


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


def write_calls(session: Session, batch: ImportBatch, frame: pd.DataFrame) -> list[str]:
    """Keep each call of a calls file (``loaders/formats/calls.py``); see the module's rules.

    Rows naming no roster person become the batch's rejects (with their file line), and the
    batch's counts say so.
    """
    people: dict[str, int | None] = {}
    for name in frame["person"].unique():
        key = name_key(name)
        rep_id = session.scalar(select(RepAlias.rep_id).where(RepAlias.alias == key))
        if rep_id is None:
            rep_id = session.scalar(select(Rep.id).where(Rep.name == " ".join(name.split())))
        people[name] = rep_id
    person_id = frame["person"].map(people)
    unknown = person_id.isna().to_numpy()
    if unknown.any():
        lost = frame[unknown]
        store_rejects(
            session,
            batch.id,
            [
                _Rejected(
                    int(r.line) if pd.notna(r.line) else 0,
                    "Person",
                    f"Person {r.person!r}: not on the roster (no rep, e-mail or CRM user id "
                    "by that name); load the roster that names them first",
                    ",".join(
                        "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                        for v in (r.person, r.quarter, r.submitted.date(), r.commit, r.best_case)
                    ),
                )
                for r in lost.itertuples(index=False)
            ],
        )
        batch.rows_loaded -= int(unknown.sum())
        batch.rows_rejected += int(unknown.sum())
    calls = frame.loc[~unknown].assign(person_id=person_id[~unknown].astype("int64"))
    names = (
        {
            rid: n
            for rid, n in session.execute(
                select(Rep.id, Rep.name).where(
                    Rep.id.in_([int(i) for i in calls["person_id"].unique()])
                )
            ).all()
        }
        if len(calls)
        else {}
    )
    calls["note"] = calls["note"].where(calls["note"].notna(), None)
    # Without an author column, the call is the named person's own (the batch shows the file).
    calls["author"] = (
        calls["author"].where(calls["author"].notna(), calls["person_id"].map(names)).str[:255]
    )
    key_cols = ["person_id", "quarter", "submitted", "commit", "best_case", "note"]
    kept = set()
    ids = [int(i) for i in calls["person_id"].unique()]
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                ForecastCall.person_id,
                ForecastCall.quarter,
                ForecastCall.submitted,
                ForecastCall.commit,
                ForecastCall.best_case,
                ForecastCall.note,
            ).where(ForecastCall.person_id.in_(ids[start : start + 500]))
        ).all()
        kept.update((p, q, pd.Timestamp(d), float(c), float(b), n) for p, q, d, c, b, n in rows)
    keys = [
        (int(p), q, pd.Timestamp(d), float(c), float(b), n)
        for p, q, d, c, b, n in calls[key_cols].itertuples(index=False)
    ]
    new = []
    for k in keys:
        new.append(k not in kept)
        kept.add(k)
    warnings = []
    again = len(keys) - sum(new)
    if again:
        warnings.append(
            f"{again} call{'s' if again != 1 else ''} already kept (same person, quarter, day, "
            "commit, best case and note): not added twice"
        )
    calls = calls.loc[pd.Series(new, index=calls.index, dtype=bool)]
    bulk_insert(
        session,
        ForecastCall,
        calls[[*key_cols, "author"]].assign(batch_id=batch.id, created_at=batch.loaded_at),
    )
    return warnings


@dataclass(frozen=True)
class _Rejected:
    """A row the store rejects (the fields ``store_rejects`` reads, as a reader's ``Reject``)."""

    row_number: int
    column: str | None
    reason: str
    raw: str | None


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
    "calls": write_calls,
    "plans": write_plans,  # loaders/store/plans.py: deal plan steps (DESIGN §12)
}
