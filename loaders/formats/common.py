"""Small column helpers several format readers share."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders.formats.base import Sheet
from loaders.parsing.columns import normalize_header

ALSO = "also"
"""``ReadResult.extra`` key: more canonical frames read from the same file, as ``(kind, frame)``
pairs (a HubSpot deals export's stage history). ``loaders.ingest`` stores each as a batch of its
own kind, in the file's one transaction."""

_TYPE_WORDS = {
    "call": "call",
    "calls": "call",
    "phonecall": "call",
    "phone": "call",
    "callbound": "call",
    "outboundcall": "call",
    "inboundcall": "call",
    "ligacao": "call",
    "llamada": "call",
    "appel": "call",
    "anruf": "call",
    "email": "email",
    "emails": "email",
    "listemail": "email",
    "mail": "email",
    "sendemail": "email",
    "emailmessage": "email",
    "correio": "email",
    "correo": "email",
    "meeting": "meeting",
    "meetings": "meeting",
    "event": "meeting",
    "demo": "meeting",
    "reuniao": "meeting",
    "reunion": "meeting",
    "besprechung": "meeting",
    "lunch": "meeting",
    "visit": "meeting",
    "onsite": "meeting",
    "presentation": "meeting",
    "videocall": "meeting",
}


def activity_kind(text: str | None) -> str | None:
    """``call``/``email``/``meeting`` for a type word (``Call``, ``ListEmail``, ``Meeting``)."""
    if not text:
        return None
    return _TYPE_WORDS.get(normalize_header(text))


_KIND_NAMES = np.array([None, "call", "email", "meeting", "other"], dtype=object)
_KIND_CODE = {None: 0, "call": 1, "email": 2, "meeting": 3, "other": 4}
_SUBJECT_CALL = re.compile(r"^\s*(call|logged call)\b", re.I)
_SUBJECT_EMAIL = re.compile(r"^\s*(email|e-mail|mass email)\s*:", re.I)


def _subject_kind(subject: str) -> str | None:
    if _SUBJECT_CALL.match(subject):
        return "call"
    if _SUBJECT_EMAIL.match(subject):
        return "email"
    return None


def activity_types(
    s: Sheet, subtype: str | None, type_: str | None, subject: str | None, *, default: str = "other"
) -> np.ndarray:
    """Activity type from Salesforce ``TaskSubtype``, then ``Type``, then a subject that starts
    with ``Call``/``Email:``; else ``default``. Each rule runs once per distinct value."""
    code = np.zeros(s.n, dtype=np.int8)
    rules = [(subtype, activity_kind), (type_, activity_kind), (subject, _subject_kind)]
    for name, rule in rules:
        if not name or not s.has(name) or code.all():
            continue
        more = s.per_value(name, lambda v, r=rule: _KIND_CODE[r(v) if v else None], np.int8)
        code = np.where(code == 0, more, code)
    out = _KIND_NAMES[code]
    out[code == 0] = default
    return out


def lookup_names(ids: np.ndarray, names: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Replace ids by names where known; returns (values, mask of ids not found)."""
    s = pd.Series(ids, dtype=object)
    mapped = s.map(names)
    unknown = (mapped.isna() & s.notna()).to_numpy()
    return mapped.where(mapped.notna(), s).to_numpy(dtype=object), unknown


def format_dates(values: np.ndarray) -> np.ndarray:
    """ISO date texts (``YYYY-MM-DD``) from datetime64 values; NaT gives None."""
    arr = np.asarray(values, dtype="datetime64[ns]")
    out = np.datetime_as_string(arr.astype("datetime64[D]"), unit="D").astype(object)
    out[np.isnat(arr)] = None
    return out


def _plain(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".10f").rstrip("0").rstrip(".")


def format_numbers(values: np.ndarray) -> np.ndarray:
    """Plain number texts (``15000``, ``0.4``, ``1234.5``); NaN gives None."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=float), use_na_sentinel=True)
    per = np.array([_plain(v) for v in uniques] + [None], dtype=object)
    return per[codes]


def latest(values: np.ndarray) -> datetime | None:
    """The latest of datetime64 values as a ``datetime``, None when all are NaT."""
    arr = np.asarray(values, dtype="datetime64[ns]")
    arr = arr[~np.isnat(arr)]
    if not len(arr):
        return None
    return pd.Timestamp(arr.max()).to_pydatetime()


def first_of_list(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first item of ``;``/``,``-separated lists, and a mask of cells that listed several."""
    s = pd.Series(values, dtype=object)
    parts = s.str.split(r"\s*[;,]\s*", regex=True)
    first = parts.str[0].where(s.notna(), None)
    first = first.where(first != "", None)
    several = (parts.str.len() > 1).fillna(False).to_numpy(dtype=bool)
    return first.to_numpy(dtype=object), several


def content_ids(s: Sheet, fields: list[str]) -> np.ndarray:
    """Stable ids for rows of an export without an id column: a hash of the rows' text."""
    cols = {
        f: pd.Series(s.column(f).to_numpy(zero_copy_only=False), dtype=object)
        for f in fields
        if s.has(f)
    }
    hashed = pd.util.hash_pandas_object(pd.DataFrame(cols), index=False)
    # identical rows (two calls logged alike) stay apart: -1, -2... after the first
    repeat = hashed.groupby(hashed.to_numpy()).cumcount().to_numpy()
    text = pa.array(hashed.to_numpy()).cast(pa.string())
    ids = np.asarray(
        pc.binary_join_element_wise("h", text, "").to_numpy(zero_copy_only=False), dtype=object
    )
    again = np.flatnonzero(repeat)
    if len(again):
        ids[again] = [f"{ids[i]}-{repeat[i]}" for i in again]
    return ids


# ``activities.participants`` holds at most this many characters.
PARTICIPANTS_CHARS = 1024


def participants_of(s: Sheet, fields: list[str], owner: np.ndarray | None = None) -> np.ndarray:
    """Who else took part in each activity, from the export's attendee or participant columns.

    The cells of ``fields`` (each a ``;``-separated list, HubSpot's way of writing several values)
    are joined with ``"; "``, each name once, leaving out the activity's own ``owner``; None when
    nobody else is listed. Cut at a name boundary to ``PARTICIPANTS_CHARS``.
    """
    present = [f for f in fields if s.has(f)]
    if not present:
        return np.full(s.n, None, dtype=object)
    cells = [s.text(f) for f in present]
    owners = owner if owner is not None else np.full(s.n, None, dtype=object)
    cache: dict[tuple, str | None] = {}
    out = np.full(s.n, None, dtype=object)
    for i in range(s.n):
        key = (owners[i], *(c[i] for c in cells))
        if key[1:] == (None,) * len(cells):
            continue
        if key not in cache:
            seen: dict[str, str] = {}
            mine = normalize_header(owners[i]) if owners[i] else None
            for text in key[1:]:
                for name in (text or "").split(";"):
                    name = name.strip()
                    folded = normalize_header(name)
                    if folded and folded != mine and folded not in seen:
                        seen[folded] = name
            joined = "; ".join(seen.values())
            if len(joined) > PARTICIPANTS_CHARS:
                joined = joined[: joined.rfind("; ", 0, PARTICIPANTS_CHARS)]
            cache[key] = joined or None
        out[i] = cache[key]
    return out
