"""A column of export text, seen as its distinct values; header cells made comparable.

Rules:

* Headers are compared by ``normalize_header``: accents, case, spaces and punctuation removed, so
  ``Opportunity Owner``, ``opportunity_owner`` and ``OPPORTUNITY-OWNER`` are one column.
* Cells are trimmed; an empty cell is ``None`` (text) or NaN/NaT (numbers, dates), never an error.
* Every parser works on a column's distinct values (``Distinct``) and broadcasts the result back, so
  a million-row column with a few thousand distinct dates or owners costs a few thousand parses.
  Columns that are mostly distinct (ids, names, amounts) skip the encoding.
* A parser returns ``Parsed``: values plus masks of the empty and the unreadable cells, so readers
  reject bad rows with masks rather than per-row Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_header(text: object) -> str:
    """The comparable form of a header cell: accents, case, spaces and punctuation removed.

    ``"Opportunity Owner"``, ``"opportunity_owner"`` and ``"OPPORTUNITY-OWNER "`` all give
    ``"opportunityowner"``; ``"Proprietário"`` gives ``"proprietario"``.
    """
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", plain.casefold())


def _as_array(
    values: pa.Array | pa.ChunkedArray | Sequence[str | None],
) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks == 0:
            values = pa.array([], values.type)
    elif not isinstance(values, pa.Array):
        values = pa.array([None if v is None else str(v) for v in values], pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    if values.null_count:
        values = values.fill_null("")
    return values


@dataclass
class Distinct:
    """A column split into its distinct trimmed values and the index of each row's value.

    Columns whose values are mostly distinct (ids, names, amounts) skip the encoding:
    ``indices`` is None and ``values`` holds every row.
    """

    indices: np.ndarray | None
    values: pa.Array

    @classmethod
    def of(cls, column: Distinct | pa.Array | pa.ChunkedArray | Sequence[str | None]) -> Distinct:
        if isinstance(column, Distinct):
            return column
        arr = _as_array(column)
        if len(arr) > 100_000:
            sample = arr.slice(0, 20_000)
            if pc.count_distinct(sample).as_py() > 10_000:
                if isinstance(arr, pa.ChunkedArray):
                    arr = arr.combine_chunks()
                return cls(None, pc.utf8_trim_whitespace(arr))
        encoded = pc.dictionary_encode(arr)
        if isinstance(encoded, pa.ChunkedArray):
            # chunks share one growing dictionary: the last chunk's holds every value
            indices = np.concatenate(
                [c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks]
            )
            dictionary = encoded.chunks[-1].dictionary
        else:
            indices = encoded.indices.to_numpy(zero_copy_only=False)
            dictionary = encoded.dictionary
        return cls(indices, pc.utf8_trim_whitespace(dictionary))

    def spread(self, per_value: np.ndarray) -> np.ndarray:
        """Per-distinct results broadcast back to every row."""
        if self.indices is None:
            return per_value
        return per_value[self.indices]

    @property
    def empty(self) -> np.ndarray:
        return pc.equal(pc.utf8_length(self.values), 0).to_numpy(zero_copy_only=False)


def np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def np_float(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def group(struct: pa.StructArray, name: str) -> pa.Array:
    child = struct.field(name)
    valid = struct.is_valid()
    return pc.if_else(pc.and_(valid, pc.greater(pc.utf8_length(child), 0)), child, None)


def group_float(struct: pa.StructArray, name: str) -> np.ndarray:
    return np_float(group(struct, name))


@dataclass
class Parsed:
    """Values of a parsed column, with masks of empty and unreadable cells."""

    values: np.ndarray
    bad: np.ndarray
    empty: np.ndarray
    note: dict = field(default_factory=dict)


def text_values(column: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> np.ndarray:
    """Trimmed text as an object array, ``None`` for empty cells."""
    d = Distinct.of(column)
    per = np.asarray(d.values.to_numpy(zero_copy_only=False), dtype=object)
    per[d.empty] = None
    return d.spread(per)


def surely_unique(values: pa.Array) -> bool:
    """True when a string array certainly has no repeats; False means "not sure".

    Fast for ids of one length (the usual case): a 64-bit hash of every value is computed with
    numpy straight from the arrow buffers and sorted; no equal neighbours means no duplicates.
    """
    if len(values) < 2:
        return True
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count or values.type != pa.string():
        return False
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    width = int(offsets[1] - offsets[0])
    if width == 0 or not (np.diff(offsets) == width).all():
        return False
    grid = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    grid = grid.reshape(len(values), width)
    h = np.full(len(values), 14695981039346656037, dtype=np.uint64)
    prime = np.uint64(1099511628211)
    for i in range(width):
        h ^= grid[:, i]
        h *= prime
    h.sort()
    return not (h[1:] == h[:-1]).any()


def map_distinct(values: np.ndarray, fn: Callable[[object], object]) -> np.ndarray:
    """``fn`` applied once per distinct value of an object array (None stays None)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    per = np.array([fn(u) for u in uniques] + [None], dtype=object)
    return per[codes]
