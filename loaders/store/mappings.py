"""Saved mappings: a mapping someone confirmed, kept by the header it fits (issue 15).

A mapping drafted by ``teamcar map`` (``--save NAME``) or confirmed in the browser's import step is
kept in ``saved_mappings`` with the header it was made for. A later file whose header no built-in
format recognises is read with the saved mapping whose header key fits it, by itself, whichever
way it arrives (``teamcar load``, the folder watcher, a browser upload: all go through
``loaders.ingest.load_file``, which asks ``saved_mappings`` here).

The header key is a hash of the header's names as compared (accents, case, spacing and
punctuation folded), in order: the same export saved again fits; an export whose columns changed
does not, and a saved mapping whose columns are mostly there but one it reads is gone is named in
the load's error (``loaders.formats.read``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence

from sqlalchemy import Engine, select

from loaders import clock
from loaders.formats.mapping import (
    MappedFormat,
    SavedFormat,
    header_fingerprint,
    mapping_from_dict,
)
from loaders.parsing.errors import LoadError
from loaders.store.audit import record_mapping_change
from loaders.store.engine import session_scope
from loaders.store.models import SavedMapping

MAX_NAME = 255
FORMAT_PREFIX = "mapping:"


def header_key(header: Sequence[str]) -> str:
    """A hash of the header's names as compared (``normalize_header``), in order, blanks left out."""
    return header_fingerprint(header)


def format_name(name: str) -> str:
    """The format name batches read with the saved mapping ``name`` are stored under."""
    return (FORMAT_PREFIX + name)[:64]


def parse_spec(spec_toml: str, *, name: str) -> tuple[dict, MappedFormat]:
    """The saved mapping's tables and its format.

    Raises:
        LoadError: not valid TOML, or a mapping that does not make sense.
    """
    where = f"the saved mapping {name!r}"
    try:
        spec = tomllib.loads(spec_toml)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(f"{where}: not valid TOML ({exc})") from None
    fmt = mapping_from_dict(spec, where=where, name=format_name(name))
    if "title" not in spec:
        fmt = _retitled(fmt, where)
    return spec, fmt


def _retitled(fmt: MappedFormat, title: str) -> MappedFormat:
    from dataclasses import replace

    return replace(fmt, title=title)


def save_mapping(
    engine: Engine,
    *,
    name: str,
    kind: str,
    header: Sequence[str],
    spec_toml: str,
    author: str,
    via: str,
) -> int:
    """Keep a mapping (a new one, or the one of that name replaced) and note it in the audit log.

    Args:
        name: what people call it; unique.
        kind: the kind of rows it reads (must be the mapping's own ``kind``).
        header: the file's header as found (its key is what later files are matched by).
        spec_toml: the mapping as TOML (``Draft.to_toml`` or an edited copy).
        author: who saved it; via: ``cli``, ``watcher`` or ``browser``.

    Returns:
        The saved mapping's id.

    Raises:
        LoadError: an empty name, a mapping that does not read, a kind that is not the mapping's,
            or another saved mapping already fitting this header for this kind.
    """
    name = " ".join(str(name or "").split())
    if not name:
        raise LoadError("a saved mapping needs a name")
    if len(name) > MAX_NAME:
        raise LoadError(f"a saved mapping's name is at most {MAX_NAME} characters")
    _spec, fmt = parse_spec(spec_toml, name=name)
    if fmt.kind != kind:
        raise LoadError(
            f"the saved mapping {name!r}: the mapping reads {fmt.kind} rows, not {kind}"
        )
    key = header_key(header)
    header_text = "\n".join(str(h) for h in header)
    now = clock.now()
    with session_scope(engine) as session:
        clash = session.scalar(
            select(SavedMapping).where(
                SavedMapping.header_key == key,
                SavedMapping.kind == kind,
                SavedMapping.name != name,
            )
        )
        if clash is not None:
            raise LoadError(
                f"the saved mapping {clash.name!r} already reads files with these columns as "
                f"{kind}; save under that name to replace it, or delete it first"
            )
        row = session.scalar(select(SavedMapping).where(SavedMapping.name == name))
        action = "edited" if row is not None else "created"
        if row is None:
            row = SavedMapping(name=name, author=str(author or "")[:255], created_at=now)
            session.add(row)
        row.kind = kind
        row.header_key = key
        row.header = header_text
        row.spec = spec_toml
        row.author = str(author or "")[:255]
        row.updated_at = now
        session.flush()
        record_mapping_change(
            session,
            action,
            name,
            actor=author,
            via=via,
            detail=f"{kind}; {len(fmt.fields)} columns mapped: "
            + ", ".join(f"{f.name} = {f.title!r}" for f in fmt.fields),
        )
        return row.id


def list_mappings(engine: Engine) -> list[dict]:
    """Every saved mapping, by name: id, name, kind, header (list), header_key, spec (TOML),
    fields (field -> column), author, created_at, updated_at."""
    with session_scope(engine) as session:
        rows = session.scalars(select(SavedMapping).order_by(SavedMapping.name)).all()
        out = []
        for r in rows:
            try:
                fields = {f.name: f.title for f in parse_spec(r.spec, name=r.name)[1].fields}
            except LoadError:
                fields = {}
            out.append(
                {
                    "id": r.id,
                    "name": r.name,
                    "kind": r.kind,
                    "header": r.header.split("\n") if r.header else [],
                    "header_key": r.header_key,
                    "spec": r.spec,
                    "fields": fields,
                    "author": r.author,
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                }
            )
        return out


def delete_mapping(engine: Engine, name: str, *, actor: str, via: str) -> bool:
    """Delete the saved mapping ``name`` (noted in the audit log); False when there is none."""
    with session_scope(engine) as session:
        row = session.scalar(select(SavedMapping).where(SavedMapping.name == name))
        if row is None:
            return False
        detail = f"{row.kind}; made by {row.author}"
        session.delete(row)
        session.flush()
        record_mapping_change(session, "deleted", name, actor=actor, via=via, detail=detail)
        return True


def saved_mappings(engine: Engine) -> list[SavedFormat]:
    """Every saved mapping as the readers use them (``read_export(saved=...)``); one that no
    longer reads (a field since renamed) is left out."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                SavedMapping.name, SavedMapping.header, SavedMapping.header_key, SavedMapping.spec
            ).order_by(SavedMapping.name)
        ).all()
    out = []
    for name, header, key, spec in rows:
        try:
            fmt = parse_spec(spec, name=name)[1]
        except LoadError:
            continue
        out.append(SavedFormat(name=name, header=tuple(header.split("\n")), key=key, format=fmt))
    return out


def saved_formats(engine: Engine, header: Sequence[str]) -> list[MappedFormat]:
    """The saved mappings whose header key fits ``header`` (one per kind at most)."""
    key = header_key(header)
    return [s.format for s in saved_mappings(engine) if s.key == key]


__all__ = [
    "delete_mapping",
    "format_name",
    "header_key",
    "list_mappings",
    "save_mapping",
    "saved_formats",
    "saved_mappings",
]
