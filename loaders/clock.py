"""The one place that reads the clock. ``TEAMCAR_TODAY`` pins it for demos and tests."""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    """Today's date, or ``TEAMCAR_TODAY`` (YYYY-MM-DD) when set."""
    pinned = os.environ.get("TEAMCAR_TODAY", "").strip()
    if pinned:
        try:
            return dt.date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(f"TEAMCAR_TODAY={pinned!r}: expected YYYY-MM-DD") from None
    return dt.date.today()


def now() -> dt.datetime:
    """The current UTC time (naive), for audit stamps such as ``loaded_at``."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
