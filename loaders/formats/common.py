"""Small column helpers several format readers share."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from loaders.formats.base import Sheet
from loaders.parsing import map_distinct, normalize_header

_TYPE_WORDS = {
    "call": "call", "calls": "call", "phonecall": "call", "phone": "call", "callbound": "call",
    "outboundcall": "call", "inboundcall": "call", "ligacao": "call", "llamada": "call",
    "appel": "call", "anruf": "call",
    "email": "email", "emails": "email", "listemail": "email", "mail": "email", "sendemail": "email",
    "emailmessage": "email", "correio": "email", "correo": "email",
    "meeting": "meeting", "meetings": "meeting", "event": "meeting", "demo": "meeting",
    "reuniao": "meeting", "reunion": "meeting", "besprechung": "meeting", "lunch": "meeting",
    "visit": "meeting", "onsite": "meeting", "presentation": "meeting", "videocall": "meeting",
}


def activity_kind(text: str | None) -> str | None:
    """``call``/``email``/``meeting`` for a type word (``Call``, ``ListEmail``, ``Meeting``)."""
    if not text:
        return None
    return _TYPE_WORDS.get(normalize_header(text))


def _kinds(values: np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    return map_distinct(values, activity_kind)


def activity_type_from_text(subtype: np.ndarray | None, type_: np.ndarray | None,
                            subject: np.ndarray | None, *, default: str = "other") -> np.ndarray:
    """Activity type from Salesforce ``TaskSubtype``, then ``Type``, then a subject that starts
    with ``Call``/``Email:``; else ``default``."""
    n = next(len(a) for a in (subtype, type_, subject) if a is not None)
    out = _kinds(subtype, n)
    for more in (_kinds(type_, n),):
        fill = np.equal(out, None)
        out[fill] = more[fill]
    if subject is not None:
        subj = pd.Series(subject, dtype=object).fillna("").str.lower()
        guess = np.where(subj.str.match(r"^\s*(call|logged call)\b"), "call",
                         np.where(subj.str.match(r"^\s*(email|e-mail|mass email)\s*:"), "email",
                                  None))
        fill = np.equal(out, None)
        out[fill] = guess[fill]
    out[np.equal(out, None)] = default
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
    s = pd.Series(np.asarray(values, dtype=float))
    return s.map(_plain, na_action="ignore").astype(object).where(s.notna(), None).to_numpy(
        dtype=object)


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
    cols = {f: pd.Series(s.column(f).to_numpy(zero_copy_only=False), dtype=object)
            for f in fields if s.has(f)}
    hashed = pd.util.hash_pandas_object(pd.DataFrame(cols), index=False).to_numpy()
    seen: dict[int, int] = {}
    out = np.empty(len(hashed), dtype=object)
    for i, h in enumerate(hashed):
        k = seen.get(int(h), 0)
        seen[int(h)] = k + 1
        out[i] = f"h{int(h):016x}" + (f"-{k}" if k else "")
    return out
