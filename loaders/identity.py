"""How names, ids and emails are made comparable across exports."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")
_SF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def name_key(value: object) -> str:
    """Normalised key of a person's name or email: trimmed, single-spaced, case-folded."""
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value)).strip().casefold()


def salesforce_id18(value: str) -> str:
    """Salesforce 15-character ids become their 18-character form; others pass unchanged."""
    if len(value) != 15 or not value.isalnum():
        return value
    suffix = ""
    for i in range(3):
        chunk = value[i * 5 : (i + 1) * 5]
        bits = sum(1 << j for j, ch in enumerate(chunk) if ch.isupper())
        suffix += _SF_ALPHABET[bits]
    return value + suffix
