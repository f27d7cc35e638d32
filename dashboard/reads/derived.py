"""Frames derived from rows that never change once loaded, kept in the store (``derived_frames``).

The forecast reads every past quarter's weekly snapshots for its rates, new business and trend,
and sums each snapshot batch per owner (``dashboard.reads.history``). A loaded batch's rows never
change, so its sums never do either. ``stored`` keeps each such frame in the store under a hash
of its name and key (which names the batches by id and content hash), so a new process (another
worker, the ``teamcar forecast`` command, a server started again) reads a few small frames instead
of scanning the snapshots again.

Frames are kept as Arrow IPC streams (types survive: strings, integers, floats, timestamps and
nulls), never pickled. Writing one is best effort: two processes computing the same frame at once
both succeed (the second insert is ignored), and a store that refuses the write (read-only, full)
costs only the time to compute it again next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Hashable

import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from loaders.store.models import DerivedFrame

log = logging.getLogger(__name__)


def frame_key(name: str, key: Hashable) -> str:
    """The stored frame's key: a hash of its name and key (stable across processes)."""
    return hashlib.sha256(repr((name, key)).encode()).hexdigest()


def to_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` (index dropped) as an Arrow IPC stream."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_bytes(data: bytes) -> pd.DataFrame:
    """The frame ``to_bytes`` wrote, with a fresh range index."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all().to_pandas()


def stored(
    engine: Engine, name: str, key: Hashable, compute: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """The frame ``compute()`` makes for ``(name, key)``, read from the store when it is there,
    else computed and kept.

    Args:
        engine: the store.
        name: what the frame is (e.g. ``"forecast-batch-totals"``).
        key: everything it depends on; it must name the batches it reads by content hash.
        compute: makes the frame on a miss.

    Returns:
        The frame (a fresh copy either way).
    """
    hashed = frame_key(name, key)
    try:
        with engine.connect() as conn:
            data = conn.execute(
                select(DerivedFrame.data).where(DerivedFrame.key == hashed)
            ).scalar_one_or_none()
    except SQLAlchemyError as exc:  # an older store without the table, or a passing failure
        log.warning("derived frame %s not read (%s); computing it", name, exc)
        return compute()
    if data is not None:
        return from_bytes(data)
    frame = compute()
    try:
        with engine.begin() as conn:
            conn.execute(
                DerivedFrame.__table__.insert().values(
                    key=hashed, name=name, data=to_bytes(frame), created_at=dt.datetime.now()
                )
            )
    except IntegrityError:
        pass  # another process kept the same frame first
    except SQLAlchemyError as exc:
        log.warning("derived frame %s not kept (%s)", name, exc)
    return frame


__all__ = ["frame_key", "from_bytes", "stored", "to_bytes"]
