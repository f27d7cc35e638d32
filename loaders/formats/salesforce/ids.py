"""Salesforce record ids: the 18-character form, and the "empty" id.

Rules:

* A 15-character id is case-sensitive; its 18-character form adds three characters that encode
  which of its letters are upper case (five letters per character, from ``A``-``Z0``-``5``). Both
  forms of one id compare equal once normalised to 18 characters.
* ``000000000000000AAA`` (and its 15-character form) and empty cells mean "no record": None.
* Any other text passes unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.parsing.columns import Distinct, np_bool

_SF_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id18(value: str) -> str:
    """Salesforce 15-character ids become their 18-character form; others pass unchanged.

    One value at a time (the reference for ``salesforce_ids``, which does a whole column).
    """
    if len(value) != 15 or not value.isalnum():
        return value
    suffix = ""
    for i in range(3):
        chunk = value[i * 5 : (i + 1) * 5]
        bits = sum(1 << j for j, ch in enumerate(chunk) if ch.isupper())
        suffix += _SF_CHARS[bits]
    return value + suffix


_SF_ALPHABET = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)
_IS_UPPER = np.zeros(256, dtype=bool)
_IS_UPPER[ord("A") : ord("Z") + 1] = True
SALESFORCE_EMPTY_IDS = frozenset({"000000000000000AAA", "000000000000000"})


def _with_checksums(short: pa.StringArray) -> pa.StringArray:
    """15-character ids (all exactly 15 ASCII characters) with their 3-character suffix added."""
    short = pa.concat_arrays([short]) if short.offset else short
    offsets = np.frombuffer(short.buffers()[1], dtype=np.int32)[: len(short) + 1]
    raw = np.frombuffer(short.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    raw = raw.reshape(-1, 15)
    upper = _IS_UPPER[raw].view(np.uint8).reshape(-1, 3, 5)
    # bit j of each 5-character chunk says whether its j-th character is upper case
    bits = (
        upper[:, :, 0]
        | (upper[:, :, 1] << 1)
        | (upper[:, :, 2] << 2)
        | (upper[:, :, 3] << 3)
        | (upper[:, :, 4] << 4)
    )
    out = np.empty((len(short), 18), dtype=np.uint8)
    out[:, :15] = raw
    out[:, 15:] = _SF_ALPHABET[bits]
    new_offsets = np.arange(0, 18 * (len(short) + 1), 18, dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(short), pa.py_buffer(new_offsets), pa.py_buffer(out.ravel())
    )


def salesforce_ids(column: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> np.ndarray:
    """Salesforce ids as 18-character text; empty cells and ``000000000000000AAA`` become None.

    The 3-character suffix of a 15-character id encodes which of its letters are upper case
    (``salesforce_id18``); it is computed here for the whole column with numpy.
    """
    d = Distinct.of(column)
    values = salesforce_id_values(d.values)
    per = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    return d.spread(per)


def salesforce_id_values(values: pa.Array) -> pa.Array:
    """``salesforce_ids`` on an arrow array, returning an arrow array (nulls for empty)."""
    short_mask = (
        (pc.utf8_length(values).to_numpy(zero_copy_only=False) == 15)
        & np_bool(pc.utf8_is_alnum(values))
        & np_bool(pc.string_is_ascii(values))
    )
    if short_mask.all() and len(values):
        values = _with_checksums(values)
    elif short_mask.any():
        mask = pa.array(short_mask)
        values = pc.replace_with_mask(values, mask, _with_checksums(values.filter(mask)))
    empty = pc.or_(
        pc.equal(pc.utf8_length(values), 0),
        pc.is_in(values, pa.array(sorted(SALESFORCE_EMPTY_IDS))),
    )
    if pc.any(empty).as_py():
        values = pc.if_else(empty, None, values)
    return values
