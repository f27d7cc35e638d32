"""Coaching notes: what a manager writes down in a 1:1, kept in the store's ``coaching_notes``.

A note belongs to a rep on the roster, has an author and the times it was written and last
edited. Notes are read and written under the viewer's scope like every query: a scoped viewer
reaches only the notes of reps in their teams (on the day asked). Bodies and authors are plain
text; pages render them as text, never as HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, select

from dashboard.reads import queries
from loaders import clock
from loaders.store.engine import session_scope
from loaders.store.models import CoachingNote, Rep

MAX_BODY = 5_000
MAX_AUTHOR = 120


class NoteError(ValueError):
    """A note that cannot be saved; the message is for the person writing it."""


def _rep_id(session, rep: str, scope: Sequence[str] | None, day: dt.date) -> int | None:
    stmt = select(Rep.id).where(Rep.name == rep)
    if scope is not None:
        stmt = stmt.where(Rep.id.in_(queries.scoped_rep_ids(scope, day)))
    return session.scalar(stmt)


def can_write(
    engine: Engine, rep: str, scope: Sequence[str] | None = None, day: dt.date | None = None
) -> bool:
    """Whether ``rep`` is on the roster (and in scope), so notes can be kept for them."""
    with session_scope(engine) as s:
        return _rep_id(s, rep, scope, day or clock.today()) is not None


def list_notes(
    engine: Engine, rep: str, scope: Sequence[str] | None = None, day: dt.date | None = None
) -> list[dict]:
    """The rep's notes, newest first: ``id, author, body, created_at, updated_at``."""
    with session_scope(engine) as s:
        rep_id = _rep_id(s, rep, scope, day or clock.today())
        if rep_id is None:
            return []
        rows = s.execute(
            select(
                CoachingNote.id,
                CoachingNote.author,
                CoachingNote.body,
                CoachingNote.created_at,
                CoachingNote.updated_at,
            )
            .where(CoachingNote.rep_id == rep_id)
            .order_by(CoachingNote.created_at.desc(), CoachingNote.id.desc())
        ).all()
    return [
        {
            "id": r.id,
            "author": r.author,
            "body": r.body,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }
        for r in rows
    ]


def _clean(author: str | None, body: str | None) -> tuple[str, str]:
    body = (body or "").replace("\r\n", "\n").strip()
    author = " ".join((author or "").split())
    if not body:
        raise NoteError("Write something first: the note is empty.")
    if len(body) > MAX_BODY:
        raise NoteError(f"A note holds up to {MAX_BODY:,} characters; this one has {len(body):,}.")
    if not author:
        raise NoteError("Say who is writing: the author is empty.")
    return author[:MAX_AUTHOR], body


def add_note(
    engine: Engine,
    rep: str,
    author: str,
    body: str,
    scope: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Keep a new note for ``rep``; returns its id.

    Raises:
        NoteError: an empty or too long note, no author, or a rep not on the roster (or not in
            the viewer's scope).
    """
    author, body = _clean(author, body)
    now = now or clock.now()
    with session_scope(engine) as s:
        rep_id = _rep_id(s, rep, scope, now.date())
        if rep_id is None:
            raise NoteError(f"{rep} is not on the roster, so notes cannot be kept for them.")
        note = CoachingNote(rep_id=rep_id, author=author, body=body, created_at=now, updated_at=now)
        s.add(note)
        s.flush()
        return int(note.id)


def edit_note(
    engine: Engine,
    note_id: int,
    rep: str,
    author: str,
    body: str,
    scope: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Replace a note's text; it keeps its author and first time, and records the edit's time.

    Args:
        author: who edits it (must be given; the note's author stays who wrote it).

    Raises:
        NoteError: as for ``add_note``, or when the note is not one of ``rep``'s.
    """
    author, body = _clean(author, body)
    now = now or clock.now()
    with session_scope(engine) as s:
        rep_id = _rep_id(s, rep, scope, now.date())
        note = s.get(CoachingNote, int(note_id))
        if rep_id is None or note is None or note.rep_id != rep_id:
            raise NoteError("That note is not one of this rep's notes any more.")
        note.body = body
        note.updated_at = now


__all__ = ["MAX_BODY", "NoteError", "add_note", "can_write", "edit_note", "list_notes"]
