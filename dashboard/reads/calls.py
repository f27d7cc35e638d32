"""Forecast calls and the manager hierarchy, read and written under the viewer's scope.

Rules (``docs/metrics.md``, calls and the hierarchy):

* **Hierarchy.** Who reports to whom on a day comes from ``reporting_lines`` (the roster's
  Manager column, effective-dated like team membership). Chains have any depth (rep, manager,
  director, VP). ``load_hierarchy`` gives one row per person in force on the day: with a scope,
  the people whose team on that day is in it; with None, every person, including those with no
  team (people named only as someone's manager, directors and VPs above the teams). A person
  whose every team membership starts after the day is not in force yet. ``manager`` is None at
  the top of a chain. Should the lines in force ever form a loop, it is cut at the person whose
  name sorts first (their manager reads None), so a chain always ends.
* **Calls.** Every call is kept; nothing is overwritten or deleted. A call made in the browser
  has no import batch (``source`` "browser"); one loaded from a calls file has its batch
  (``source`` "file").
* **Scope, writing.** A viewer with a scope may call only for people whose team on the call's
  submitted day is in it; people without a team (chain people above the teams) only with scope
  None. A call that breaks a rule raises ``CallError`` and changes nothing.
* **Scope, reading.** A viewer with a scope reads a person's call when the person was in one of
  its teams on the day the call was submitted or at any time since: a manager sees the calls
  made while the person was theirs, and the earlier calls of a person who joined their team
  (the call in force may predate the move). Calls of people without a team: scope None only.
* Recording a call bumps the calls' version (``calls_version``) in the same transaction: open
  pages redraw on their next poll, and what shows calls (the forecast, call accuracy) is cached
  by that version too, while everything else (the summary, the views' models) stays cached.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, and_, exists, false, or_, select

from dashboard.reads.queries import scoped_rep_ids
from loaders import clock
from loaders.fiscal import quarter_name
from loaders.identity import name_key
from loaders.store import audit
from loaders.store.engine import bump_calls_version, session_scope
from loaders.store.models import (
    ForecastCall,
    Rep,
    RepAlias,
    ReportingLine,
    Team,
    TeamMembership,
)

HIERARCHY_COLUMNS = ("person", "manager", "role", "team")
CALL_COLUMNS = (
    "id",
    "person",
    "quarter",
    "submitted",
    "commit",
    "best_case",
    "note",
    "author",
    "created_at",
    "source",
)
MAX_NOTE = 5_000
MAX_AUTHOR = 255


class CallError(ValueError):
    """A call that cannot be kept; the message is for the person making it."""


def _in_force(table, day: dt.date):
    return and_(
        table.effective_from <= day,
        or_(table.effective_to.is_(None), table.effective_to > day),
    )


# --- hierarchy ------------------------------------------------------------------------------


def load_hierarchy(engine: Engine, scope: list[str] | None, day: dt.date) -> pd.DataFrame:
    """Who reports to whom on ``day``.

    Args:
        engine: the store.
        scope: the teams the viewer may see (None: all, with the people who have no team).
        day: the day the team memberships and reporting lines are taken on.

    Returns:
        ``person, manager, role, team``: one row per person in force on ``day``, ordered by
        person; ``manager`` None at the top of a chain, ``team`` None for people without one.
    """
    if scope is not None and not list(scope):
        return _empty(HIERARCHY_COLUMNS)
    with engine.connect() as conn:
        reps = conn.execute(select(Rep.id, Rep.name, Rep.role)).all()
        teams = conn.execute(
            select(TeamMembership.rep_id, Team.name, TeamMembership.effective_from)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(_in_force(TeamMembership, day))
        ).all()
        later = set(
            conn.execute(
                select(TeamMembership.rep_id).distinct().where(TeamMembership.effective_from > day)
            ).scalars()
        )
        lines = conn.execute(
            select(ReportingLine.rep_id, ReportingLine.manager_id).where(
                _in_force(ReportingLine, day)
            )
        ).all()
    team_of: dict[int, tuple[dt.date, str]] = {}
    for rep_id, team, start in teams:
        # two memberships in force (a data fault): the later one, as load_reps picks
        if rep_id not in team_of or start >= team_of[rep_id][0]:
            team_of[rep_id] = (start, team)
    names = {rep_id: name for rep_id, name, _ in reps}
    manager_of = _cut_loops({r: m for r, m in lines if m in names}, names)
    rows = []
    for rep_id, name, role in reps:
        team = team_of.get(rep_id, (None, None))[1]
        if team is None and rep_id in later:
            continue  # joins a team after the day: not in force yet
        if scope is not None and team not in scope:
            continue
        boss = manager_of.get(rep_id)
        rows.append((name, names[boss] if boss is not None else None, role, team))
    out = pd.DataFrame(rows, columns=list(HIERARCHY_COLUMNS), dtype=object)
    return out.sort_values("person", kind="stable").reset_index(drop=True)


def _cut_loops(manager_of: dict[int, int], names: dict[int, str]) -> dict[int, int]:
    """``manager_of`` with every loop cut at the member whose name sorts first."""
    out = dict(manager_of)
    done: set[int] = set()
    for start in list(out):
        path: list[int] = []
        seen: set[int] = set()
        node = start
        while node in out and node not in done and node not in seen:
            seen.add(node)
            path.append(node)
            node = out[node]
        if node in seen:  # a loop: the part of the path from ``node`` on
            loop = path[path.index(node) :]
            del out[min(loop, key=lambda r: (names[r], r))]
        done.update(path)
    return out


# --- calls ----------------------------------------------------------------------------------


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _visible(scope: Sequence[str]):
    """Calls of people in a team of ``scope`` on the call's day or at any time since."""
    m = TeamMembership
    return exists(
        select(m.id)
        .join(Team, Team.id == m.team_id)
        .where(
            m.rep_id == ForecastCall.person_id,
            Team.name.in_(list(scope)),
            or_(m.effective_to.is_(None), m.effective_to > ForecastCall.submitted),
        )
    )


def load_calls(engine: Engine, scope: list[str] | None, quarter: str | None = None) -> pd.DataFrame:
    """Every kept call of the people in scope (all of a quarter's, or all).

    Args:
        engine: the store.
        scope: the teams the viewer may see (None: all); see the module's reading rule.
        quarter: ``2026-Q4`` (the other spellings quota files use are read too), or None.

    Returns:
        ``id, person, quarter, submitted, commit, best_case, note, author, created_at, source``
        ordered by ``submitted`` then ``id``; ``submitted`` and ``created_at`` are
        ``datetime64[ns]`` (``submitted`` a day), ``source`` is "browser" or "file".

    Raises:
        CallError: ``quarter`` is not a quarter.
    """
    C = ForecastCall
    stmt = select(
        C.id,
        Rep.name,
        C.quarter,
        C.submitted,
        C.commit,
        C.best_case,
        C.note,
        C.author,
        C.created_at,
        C.batch_id,
    ).join(Rep, Rep.id == C.person_id)
    if quarter is not None:
        stmt = stmt.where(C.quarter == _quarter(quarter))
    if scope is not None:
        stmt = stmt.where(_visible(scope) if list(scope) else false())
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(C.submitted, C.id)).all()
    out = pd.DataFrame(
        [tuple(r) for r in rows], columns=[*CALL_COLUMNS[:-1], "batch_id"], dtype=object
    )
    out["id"] = out["id"].astype("int64")
    out["submitted"] = pd.to_datetime(out["submitted"]).astype("datetime64[ns]").dt.normalize()
    out["created_at"] = pd.to_datetime(out["created_at"]).astype("datetime64[ns]")
    for col in ("commit", "best_case"):
        out[col] = out[col].astype("float64")
    out["source"] = out["batch_id"].map(lambda b: "browser" if b is None or pd.isna(b) else "file")
    out = out.drop(columns="batch_id").astype({"source": object})
    return out[list(CALL_COLUMNS)]


def _quarter(text: str) -> str:
    name = quarter_name(str(text)) if text is not None else None
    if name is None:
        raise CallError(f"{text!r} is not a quarter; write it like 2026-Q4.")
    return name


def _amount(value, what: str) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise CallError(f"The {what} must be an amount, like 125000.") from None
    if not math.isfinite(number):
        raise CallError(f"The {what} must be an amount, like 125000.")
    if number < 0:
        raise CallError(f"The {what} cannot be negative.")
    return number


def _person_id(session, person: str, scope: Sequence[str] | None, day: dt.date) -> int | None:
    """The person's id when they are on the roster and (with a scope) in it on ``day``."""
    name = " ".join(str(person or "").split())
    rep_id = session.scalar(select(Rep.id).where(Rep.name == name))
    if rep_id is None and name:
        rep_id = session.scalar(select(RepAlias.rep_id).where(RepAlias.alias == name_key(name)))
    if rep_id is None or scope is None:
        return rep_id
    allowed = session.scalar(
        select(TeamMembership.rep_id).where(
            TeamMembership.rep_id == rep_id, TeamMembership.rep_id.in_(scoped_rep_ids(scope, day))
        )
    )
    return rep_id if allowed is not None else None


def record_call(
    engine: Engine,
    *,
    person: str,
    quarter: str,
    commit: float,
    best_case: float,
    note: str | None,
    author: str,
    submitted: dt.date,
    scope: list[str] | None,
) -> int:
    """Keep a new call (nothing is overwritten) and return its id.

    Args:
        person: whom the call is for: a roster name (or an alias: e-mail, CRM user id).
        quarter: ``2026-Q4`` (or ``Q4 2026``, ``FY2026 Q4``...).
        commit, best_case: non-negative amounts (a best case below the commit is the caller's
            number and is kept as given).
        note: optional text.
        author: who makes the call (the signed-in viewer).
        submitted: the day the call is made.
        scope: the teams the viewer may see (None: all); see the module's writing rule.

    Raises:
        CallError: a malformed quarter, a negative or unreadable amount, no author, a note too
            long, or a person not on the roster or not in scope. Nothing is written then.
    """
    quarter = _quarter(quarter)
    commit = _amount(commit, "commit")
    best_case = _amount(best_case, "best case")
    author = " ".join(str(author or "").split())
    if not author:
        raise CallError("Say who is making the call: the author is empty.")
    note = (note or "").replace("\r\n", "\n").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise CallError(f"A note holds up to {MAX_NOTE:,} characters; this one has {len(note):,}.")
    if isinstance(submitted, dt.datetime):
        submitted = submitted.date()
    if not isinstance(submitted, dt.date):
        raise CallError("The call needs the day it is made.")
    with session_scope(engine) as s:
        person_id = _person_id(s, person, scope, submitted)
        if person_id is None:
            if scope is None:
                raise CallError(f"{person} is not on the roster, so no call can be kept for them.")
            raise CallError(f"{person} is not one of the people you may call for.")
        call = ForecastCall(
            person_id=person_id,
            quarter=quarter,
            submitted=submitted,
            commit=commit,
            best_case=best_case,
            note=note,
            author=author[:MAX_AUTHOR],
            created_at=clock.now(),
            batch_id=None,
        )
        s.add(call)
        s.flush()
        bump_calls_version(s)
        audit.record(
            s,
            audit.CALL,
            "made",
            actor=author,
            via="browser",
            subject=f"{person} · {quarter}",
            detail=f"commit {commit:,.2f}, best case {best_case:,.2f}, submitted {submitted}",
        )
        return int(call.id)


__all__ = [
    "CALL_COLUMNS",
    "HIERARCHY_COLUMNS",
    "CallError",
    "load_calls",
    "load_hierarchy",
    "record_call",
]
