"""Results kept in the store per data version (``derived_frames``), so any process reads them.

The all-teams summary and forecast behind every landing view take seconds to compute at the
design sizes (docs/architecture.md#sizes); the Course's all-teams model, shaped from both, is kept
too, so a new worker's first Course visit reads one 8 MB entry instead of unpacking both. ``cache.cached`` keeps a result in a worker's memory
(and in Redis when configured); ``kept`` adds the store itself as the tier below: a result
computed once for a data version (by the warming thread when data lands, by ``teamcar load``, or
by the first request) is written to the store, and every other process — another gunicorn worker,
a server started again, a second machine — reads it back in a fraction of a second instead of
computing it again.

Correctness never depends on it:

- The key names the data version the caller read (and the newest import batch's content hash,
  for a store restored from an older backup), so an entry computed for an older version is never
  shown for a newer one; entries of older versions are deleted when a newer one is kept.
- Values are packed as a JSON tree whose frames and arrays are Arrow IPC (never pickled: the
  store is shared, and unpacking may only ever build the types the caller names).
- A value that cannot be packed, a store that refuses the write, or an older store without the
  table only costs the time to compute again.
- Scope is applied after: only all-teams results are kept, and every viewer's answer is narrowed
  from them on the server (``standings.restrict``, ``forecast.restrict_forecast``).

Two processes that miss at once do not both compute: the first inserts a claim row, the others
wait (polling the store) for its result, up to ``CLAIM_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import struct
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from loaders.store.models import DerivedFrame, ImportBatch

T = TypeVar("T")
log = logging.getLogger(__name__)
MAGIC = b"TCK1"
CLAIM_SECONDS = 180.0  # a claim older than this is taken as abandoned (its process died)
POLL_SECONDS = 0.1
_IPC = pa.ipc.IpcWriteOptions(compression="lz4")


class PackError(TypeError):
    """A value holding something ``pack`` does not keep (it is then computed, not kept)."""


# --- packing ------------------------------------------------------------------------------------


def _frame_bytes(frame: pd.DataFrame) -> tuple[bytes, dict]:
    """The frame as Arrow IPC, and what Arrow does not keep: each column's exact pandas dtype
    (object columns of text come back as ``str`` otherwise), which null an object column holds
    (None or NaN: Arrow has one null), and the index."""
    meta: dict = {"columns_name": frame.columns.name}
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        meta["range"] = [index.start, index.stop, index.step, index.name]
        flat = frame
    else:
        names = [n if n is not None else f"__index_{i}" for i, n in enumerate(index.names)]
        if len(set(names)) != len(names) or set(names) & set(frame.columns):
            raise PackError("index names clash with columns")
        meta["index"] = names
        meta["index_names"] = list(index.names)
        meta["index_dtype"] = str(index.dtype)
        flat = frame.rename_axis(names).reset_index()
    meta["dtypes"] = {c: str(flat[c].dtype) for c in flat.columns}
    nulls = {}
    for c in flat.columns:
        col = flat[c]
        if col.dtype == object:
            kinds = set(map(type, col[col.notna()]))
            if kinds & {tuple, list}:
                if len(kinds) > 1:
                    raise PackError(f"column {c!r} mixes sequences and other values")
                meta.setdefault("sequences", {})[c] = kinds.pop().__name__
            elif kinds & {dict, set, np.ndarray}:
                raise PackError(f"column {c!r} holds containers")
            missing = col[col.isna()]
            if len(missing):
                is_none = missing.map(lambda x: x is None)
                if is_none.all():
                    nulls[c] = "none"
                elif not is_none.any() and all(isinstance(x, float) for x in missing):
                    nulls[c] = "nan"
                else:
                    raise PackError(f"column {c!r} mixes kinds of null")
    meta["nulls"] = nulls
    categories = {}
    for c in flat.columns:
        dtype = flat[c].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = dtype.categories
            if not all(isinstance(x, str | int | float) for x in cats):
                raise PackError(f"column {c!r} has categories that are not text or numbers")
            categories[c] = [list(cats), str(cats.dtype), bool(dtype.ordered)]
    meta["categories"] = categories
    table = pa.Table.from_pandas(flat, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_IPC) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes(), meta


def _frame(data, meta: dict) -> pd.DataFrame:
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    dtypes = meta["dtypes"]
    # Object columns of text straight to object arrays (pandas would make them ``str`` first).
    texts = [
        c
        for c, dtype in dtypes.items()
        if dtype == "object"
        and c not in meta.get("sequences", {})
        and pa.types.is_string(table.schema.field(c).type)
    ]
    frame = table.drop_columns(texts).to_pandas() if texts else table.to_pandas()
    for c in texts:
        values = table.column(c).to_numpy(zero_copy_only=False)
        if meta["nulls"].get(c) == "nan":
            values[pd.isna(values)] = np.nan
        frame[c] = pd.Series(values, index=frame.index, dtype=object)
    frame = frame[list(dtypes)]
    for c, dtype in dtypes.items():
        if c in texts:
            continue
        if dtype == "object":  # Python values exactly (ints stay ints next to None)
            values = np.empty(len(frame), dtype=object)
            for i, v in enumerate(table.column(c).to_pylist()):  # no broadcasting of lists
                values[i] = v
            frame[c] = pd.Series(values, index=frame.index, dtype=object)
        elif c in meta.get("categories", {}):
            cats, cats_dtype, ordered = meta["categories"][c]
            exact = pd.CategoricalDtype(pd.Index(cats, dtype=cats_dtype), ordered=ordered)
            if frame[c].dtype != exact:
                frame[c] = frame[c].astype(object).astype(exact)
        elif str(frame[c].dtype) != dtype:
            frame[c] = frame[c].astype(dtype)
    for c, kind in meta.get("sequences", {}).items():
        make = tuple if kind == "tuple" else list
        frame[c] = [make(x) if x is not None else None for x in frame[c]]
    for c, kind in meta["nulls"].items():
        if c in texts:
            continue
        values = frame[c].to_numpy(dtype=object, copy=True)
        values[pd.isna(values)] = None if kind == "none" else np.nan
        frame[c] = pd.Series(values, index=frame.index, dtype=object)
    if "range" in meta:
        start, stop, step, name = meta["range"]
        frame.index = pd.RangeIndex(start, stop, step, name=name)
    else:
        frame = frame.set_index(meta["index"])
        if len(meta["index"]) == 1:  # reset_index and set_index infer the text dtype again
            dtype = meta["index_dtype"]
            if str(frame.index.dtype) != dtype:
                frame.index = frame.index.astype(dtype)
        frame.index.names = meta["index_names"]
    frame.columns.name = meta["columns_name"]
    return frame


class _Packer:
    def __init__(self, types: Iterable[type]) -> None:
        self.types = {_name(t): t for t in types}
        self.blobs: list[bytes] = []

    def blob(self, data: bytes) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def tree(self, v: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per kept type
        if v is None or isinstance(v, bool | str):
            return v
        if isinstance(v, np.generic):
            if v.dtype.kind not in "biuf":
                raise PackError(f"numpy scalar of type {v.dtype}")
            return {"np": v.dtype.str, "v": v.item()}
        if isinstance(v, int | float):
            return {"i": v} if isinstance(v, int) else v
        if v is pd.NaT:
            return {"nat": 1}
        if isinstance(v, pd.Timestamp):
            if v.tz is not None:
                raise PackError("time zone aware timestamp")
            return {"ts": v.isoformat(), "unit": v.unit}
        if isinstance(v, dt.datetime):
            if v.tzinfo is not None:
                raise PackError("time zone aware datetime")
            return {"dt": v.isoformat()}
        if isinstance(v, dt.date):
            return {"date": v.isoformat()}
        if isinstance(v, pd.DataFrame):
            if not v.columns.is_unique or not all(isinstance(c, str) for c in v.columns):
                raise PackError("frame columns must be unique strings")
            try:
                data, meta = _frame_bytes(v)
            except (pa.ArrowException, ValueError, TypeError) as exc:
                raise PackError(f"frame not kept as Arrow: {exc}") from exc
            return {"df": self.blob(data), "meta": meta}
        if isinstance(v, pd.Series):
            if v.name is not None and not isinstance(v.name, str):
                raise PackError("series name must be a string")
            return {"sr": self.tree(v.to_frame(name="_")), "name": v.name}
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in "biuf":
                raise PackError(f"array of type {v.dtype}")
            data = np.ascontiguousarray(v)
            return {"nd": self.blob(data.tobytes()), "dtype": v.dtype.str, "shape": list(v.shape)}
        if isinstance(v, list):
            return {"l": [self.tree(x) for x in v]}
        if isinstance(v, tuple) and not hasattr(v, "_fields"):
            return {"t": [self.tree(x) for x in v]}
        if isinstance(v, dict):
            return {"d": [[self.tree(k), self.tree(x)] for k, x in v.items()]}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            name = _name(type(v))
            if self.types.get(name) is not type(v):
                raise PackError(f"{name} is not among the types to keep")
            return {
                "dc": name,
                "f": {f.name: self.tree(getattr(v, f.name)) for f in dataclasses.fields(v)},
            }
        raise PackError(f"cannot keep a {type(v).__name__}")


def _name(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def pack(value: Any, types: Iterable[type] = ()) -> bytes:
    """``value`` as bytes: a JSON tree, its frames and arrays as Arrow IPC / raw buffers.

    Keeps None, bools, ints, floats (NaN too), strings, dates, datetimes, timestamps, NaT, numpy
    numbers and arrays, lists, tuples, dicts (any kept keys), frames, series and the dataclasses
    named in ``types`` (nested freely).

    Raises:
        PackError: for anything else.
    """
    packer = _Packer(types)
    tree = packer.tree(value)
    head = json.dumps({"tree": tree, "blobs": [len(b) for b in packer.blobs]}).encode()
    return b"".join([MAGIC, struct.pack("<Q", len(head)), head, *packer.blobs])


def unpack(data: bytes, types: Iterable[type] = ()) -> Any:
    """The value ``pack`` wrote; dataclasses only of ``types`` (anything else raises)."""
    if data[:4] != MAGIC:
        raise PackError("not a kept value")
    (n,) = struct.unpack("<Q", data[4:12])
    head = json.loads(data[12 : 12 + n])
    view = memoryview(data)
    blobs, at = [], 12 + n
    for size in head["blobs"]:
        blobs.append(view[at : at + size])
        at += size
    allowed = {_name(t): t for t in types}
    return _Unpacker(blobs, allowed).value(head["tree"])


class _Unpacker:
    def __init__(self, blobs: list, types: dict[str, type]) -> None:
        self.blobs = blobs
        self.types = types

    def value(self, t: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per kept type
        if t is None or isinstance(t, bool | str | float):
            return t
        if isinstance(t, int):  # pragma: no cover - ints are always wrapped
            return t
        (tag, *_) = t
        if tag == "i":
            return int(t["i"])
        if tag == "np":
            return np.dtype(t["np"]).type(t["v"])
        if tag == "nat":
            return pd.NaT
        if tag == "ts":
            return pd.Timestamp(t["ts"]).as_unit(t["unit"])
        if tag == "dt":
            return dt.datetime.fromisoformat(t["dt"])
        if tag == "date":
            return dt.date.fromisoformat(t["date"])
        if tag == "df":
            return _frame(self.blobs[t["df"]], t["meta"])
        if tag == "sr":
            return self.value(t["sr"])["_"].rename(t["name"])
        if tag == "nd":
            arr = np.frombuffer(self.blobs[t["nd"]], dtype=np.dtype(t["dtype"]))
            return arr.reshape(t["shape"]).copy()
        if tag == "l":
            return [self.value(x) for x in t["l"]]
        if tag == "t":
            return tuple(self.value(x) for x in t["t"])
        if tag == "d":
            return {self.value(k): self.value(x) for k, x in t["d"]}
        if tag == "dc":
            cls = self.types.get(t["dc"])
            if cls is None:
                raise PackError(f"{t['dc']} is not among the types to read")
            return cls(**{k: self.value(x) for k, x in t["f"].items()})
        raise PackError(f"unknown tag {tag!r}")


# --- the store tier -----------------------------------------------------------------------------


def _label(name: str, version: int) -> str:
    return f"{name}@{version}"[:64]


def _keys(name: str, version: int, args: Hashable) -> tuple[str, str]:
    # Not the store's URL: the entries live in the store itself, and the version and the
    # fingerprint say which data they are of. With the URL in the key, a store reached under
    # another address (a SQLite file moved or copied, a restored backup, a replica, another
    # spelling of the same server) computed everything again on its first visits.
    raw = repr(("kept", name, version, args))
    return (
        hashlib.sha256(raw.encode()).hexdigest(),
        hashlib.sha256((raw + ":claim").encode()).hexdigest(),
    )


def fingerprint(engine: Engine) -> tuple:
    """What the data is besides its version counter: the number of import batches and the newest
    one's id and content hash. A store restored from an older backup, or emptied and loaded
    again, can count to the same version with other data; its entries then never match."""
    with engine.connect() as conn:
        count, newest = conn.execute(select(func.count(), func.max(ImportBatch.id))).one()
        content = conn.execute(
            select(ImportBatch.content_hash).where(ImportBatch.id == newest)
        ).scalar_one_or_none()
    return (int(count or 0), newest, content)


def _read(engine: Engine, key: str) -> bytes | None:
    with engine.connect() as conn:
        return conn.execute(
            select(DerivedFrame.data).where(DerivedFrame.key == key)
        ).scalar_one_or_none()


def _claim(engine: Engine, claim: str, name: str, version: int) -> bool:
    """Insert the claim row; False when another process holds a live one."""
    now = dt.datetime.now()
    try:
        with engine.begin() as conn:
            held = conn.execute(
                select(DerivedFrame.created_at).where(DerivedFrame.key == claim)
            ).scalar_one_or_none()
            if held is not None:
                if (now - held).total_seconds() < CLAIM_SECONDS:
                    return False
                conn.execute(delete(DerivedFrame).where(DerivedFrame.key == claim))
            conn.execute(
                DerivedFrame.__table__.insert().values(
                    key=claim, name="claim:" + _label(name, version)[:58], data=b"", created_at=now
                )
            )
        return True
    except IntegrityError:
        return False


def _write(engine: Engine, key: str, claim: str, name: str, version: int, data: bytes) -> None:
    """Keep ``data`` and drop this name's entries (and claims) of older data versions."""
    label = _label(name, version)
    with engine.begin() as conn:
        conn.execute(delete(DerivedFrame).where(DerivedFrame.key == claim))
        conn.execute(
            DerivedFrame.__table__.insert().values(
                key=key, name=label, data=data, created_at=dt.datetime.now()
            )
        )
        older = conn.execute(
            select(DerivedFrame.key, DerivedFrame.name).where(
                DerivedFrame.name.like(f"{name}@%") | DerivedFrame.name.like(f"claim:{name}@%")
            )
        ).all()
        stale = [k for k, n in older if _version_of(n) is not None and _version_of(n) < version]
        if stale:
            conn.execute(delete(DerivedFrame).where(DerivedFrame.key.in_(stale)))


def _version_of(label: str) -> int | None:
    try:
        return int(label.rsplit("@", 1)[1])
    except (IndexError, ValueError):
        return None


def _release(engine: Engine, claim: str) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(delete(DerivedFrame).where(DerivedFrame.key == claim))
    except SQLAlchemyError:
        pass  # the claim expires on its own


def _read_or_claim(
    engine: Engine, key: str, claim: str, name: str, version: int, wait: float
) -> bytes | None:
    """The kept data; or None when this process is to compute it: it holds the claim, or another
    process held one for longer than ``wait``."""
    deadline = time.monotonic() + wait
    while True:
        data = _read(engine, key)
        if data is not None:
            return data
        if _claim(engine, claim, name, version):
            # The computer may have kept its result (dropping its claim with it) between the read
            # above and this claim: read again, or a second process computes it all again.
            data = _read(engine, key)
            if data is not None:
                _release(engine, claim)
            return data
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_SECONDS)


def kept(
    engine: Engine,
    name: str,
    version: int,
    args: Hashable,
    compute: Callable[[], T],
    types: Iterable[type] = (),
    wait: float = CLAIM_SECONDS,
) -> T:
    """``compute()``'s result for ``(name, version, args)``, read from the store when another
    process (or an earlier run) kept it, else computed once and kept.

    Args:
        engine: the store.
        name: what is kept (``"summary"``); entries of older versions of it are deleted.
        version: the data version the caller read (part of the key).
        args: everything else the result depends on.
        compute: makes the result on a miss.
        types: the dataclasses the value may hold.
        wait: seconds to wait for another process computing the same entry.

    Returns:
        The result (a fresh copy when read).
    """
    types = tuple(types)
    try:
        key, claim = _keys(name, version, (args, fingerprint(engine)))
        data = _read_or_claim(engine, key, claim, name, version, wait)
    except SQLAlchemyError as exc:  # an older store without the table, or a passing failure
        log.warning("kept %s not read (%s); computing it", name, exc)
        return compute()
    if data is not None:
        try:
            return unpack(bytes(data), types)
        except (PackError, pa.ArrowException, ValueError, TypeError, KeyError) as exc:
            log.warning("kept %s unreadable (%s); computing it", name, exc)
    try:
        value = compute()
    except BaseException:
        _release(engine, claim)
        raise
    try:
        _write(engine, key, claim, name, version, pack(value, types))
    except PackError as exc:
        log.warning("%s not kept (%s)", name, exc)
        _release(engine, claim)
    except IntegrityError:
        _release(engine, claim)  # another process kept it first
    except SQLAlchemyError as exc:
        log.warning("%s not kept (%s)", name, exc)
        _release(engine, claim)
    return value


__all__ = ["PackError", "kept", "pack", "unpack"]
