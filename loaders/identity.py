"""How names, ids and emails are made comparable across exports."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def name_key(value: object) -> str:
    """Normalised key of a person's name or email: trimmed, single-spaced, case-folded."""
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value)).strip().casefold()
