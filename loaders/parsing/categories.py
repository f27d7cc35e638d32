"""Labels in export text to canonical values: yes/no, forecast categories, mapped values.

Rules:

* Labels are compared after ``normalize_header`` (case, accents, spaces and punctuation ignored)
  or ``casefold`` (yes/no words, which include symbols such as ``✓`` and ``-``).
* Yes/no reads English, Portuguese, Spanish, French and German words, ``1``/``0`` and check marks;
  ``won``/``closed``/``done`` are yes, ``open``/``pending``/``to do`` are no.
* Forecast categories come from Salesforce API values and labels and from HubSpot's names, all to
  ``schema.FORECAST_CATEGORIES``.
* An unknown label is None and flagged unreadable; an empty cell is None and not flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from loaders.parsing.columns import Distinct, Parsed, normalize_header

_TRUE = {
    "true",
    "t",
    "1",
    "yes",
    "y",
    "x",
    "checked",
    "sim",
    "s",
    "ja",
    "j",
    "oui",
    "si",
    "sí",
    "wahr",
    "required",
    "mandatory",
    "won",
    "closed",
    "1.0",
    "done",
    "completed",
    "✓",
    "✔",
}
_FALSE = {
    "false",
    "f",
    "0",
    "no",
    "n",
    "unchecked",
    "nao",
    "não",
    "nein",
    "non",
    "falsch",
    "optional",
    "0.0",
    "open",
    "not done",
    "notdone",
    "to do",
    "todo",
    "undone",
    "pending",
    "-",
}


def parse_bools(column: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> Parsed:
    """Yes/no texts (``1``/``0``, ``true``/``false``, ``Yes``/``No``...) to an object array of
    True/False/None."""
    d = Distinct.of(column)
    keys = [v.casefold() for v in d.values.to_pylist()]
    per = np.array(
        [True if k in _TRUE else False if k in _FALSE else None for k in keys], dtype=object
    )
    empty = d.empty
    bad = ~empty & np.array([p is None for p in per], dtype=bool)
    per[empty] = None
    return Parsed(d.spread(per), d.spread(bad), d.spread(empty))


_FORECAST = {
    "pipeline": "pipeline",
    "open": "pipeline",
    "upside": "best_case",
    "bestcase": "best_case",
    "best": "best_case",
    "commit": "commit",
    "forecast": "commit",
    "mostlikely": "commit",
    "committed": "commit",
    "closed": "closed",
    "closedwon": "closed",
    "won": "closed",
    "omit": "omitted",
    "omitted": "omitted",
    "notforecasted": "omitted",
    "closedlost": "omitted",
    "lost": "omitted",
    "excluded": "omitted",
}


def forecast_categories(column: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> Parsed:
    """Forecast category labels or API values to ``schema.FORECAST_CATEGORIES``.

    ``BestCase``/``Best Case``/``Best case`` give ``best_case``; ``Forecast`` (Salesforce's API value
    for Commit) gives ``commit``; ``Omit``/``Omitted``/``Not forecasted`` give ``omitted``;
    ``Closed``/``Closed won`` give ``closed``. Unknown labels are None and flagged ``bad``.
    """
    d = Distinct.of(column)
    keys = [normalize_header(v) for v in d.values.to_pylist()]
    per = np.array([_FORECAST.get(k) for k in keys], dtype=object)
    empty = d.empty
    bad = ~empty & np.array([p is None for p in per], dtype=bool)
    return Parsed(d.spread(per), d.spread(bad), d.spread(empty))


def flag_values(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None], values: Sequence[str]
) -> np.ndarray:
    """Rows whose normalised text is one of ``values`` (compared with ``normalize_header``)."""
    d = Distinct.of(column)
    wanted = {normalize_header(v) for v in values}
    per = np.array([normalize_header(v) in wanted for v in d.values.to_pylist()], dtype=bool)
    return d.spread(per) if len(per) else np.zeros(len(d.indices), dtype=bool)


def map_values(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None], mapping: Callable[[str], object]
) -> np.ndarray:
    """Apply ``mapping`` to each distinct trimmed value (empty cells give None)."""
    d = Distinct.of(column)
    per = np.array([mapping(v) if v else None for v in d.values.to_pylist()] or [], dtype=object)
    if len(per) == 0:
        return np.full(len(d.indices), None, dtype=object)
    return d.spread(per)
