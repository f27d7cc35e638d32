"""Forecast calls kept in a spreadsheet: ``Person, Quarter, Submitted, Commit, Best Case, Note``.

Rules (``docs/metrics.md``, calls and the hierarchy):

* A row is a call by or for ``Person`` (a roster name, e-mail or CRM user id) for ``Quarter``
  (``2026-Q4``, or the other ways quota files write one: ``Q4 2026``, ``Q4-FY26``,
  ``FY2026 Q4``), made on ``Submitted``.
* ``Commit`` and ``Best Case`` are amounts in the database's currency; a negative one, or one that
  cannot be read, rejects the row. A best case below the commit is kept as written (a warning
  counts them): it is the caller's number, not ours to correct.
* ``Note`` is optional. So is a column saying who made the call (``Author``, ``Called By``,
  ``Submitted By``); without one, the call's author is the person it names, and the import batch
  shows the file it came from.
* Whether the person is on the roster is the store's question: the writer rejects such rows by
  the ``line`` this reader keeps (``loaders/store/writes.py`` ``write_calls``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders.fiscal import quarter_name
from loaders.formats.base import F, Format, Sheet
from loaders.parsing.categories import map_values
from loaders.parsing.columns import text_values

CALL_FIELDS = (
    F(
        "person",
        "Person",
        "Rep",
        "Name",
        "Rep Name",
        "Full Name",
        "Sales Rep",
        "Employee",
        "Owner",
        "Seller",
        "Forecaster",
        "Forecast Owner",
        required=True,
        label="Person",
    ),
    F(
        "quarter",
        "Quarter",
        "Period",
        "Fiscal Quarter",
        "Fiscal Period",
        "Forecast Period",
        "Forecast Quarter",
        required=True,
    ),
    F(
        "submitted",
        "Submitted",
        "Submitted On",
        "Submitted Date",
        "Submitted At",
        "Submission Date",
        "Call Date",
        "Called On",
        "Date",
        "Forecast Date",
        "Week Of",
        "As Of",
        required=True,
        type="date",
    ),
    F(
        "commit",
        "Commit",
        "Commit Call",
        "Commit Amount",
        "Commit Forecast",
        "Forecast Commit",
        "Commit (USD)",
        required=True,
    ),
    F(
        "best_case",
        "Best Case",
        "Best Case Call",
        "Best Case Amount",
        "Best Case Forecast",
        "Forecast Best Case",
        "Best Case (USD)",
        "Upside",
        "Upside Call",
        "Stretch",
        required=True,
    ),
    F("note", "Note", "Notes", "Comment", "Comments", "Commentary", "Remarks", expected=False),
    F(
        "author",
        "Author",
        "Called By",
        "Submitted By",
        "Entered By",
        "Made By",
        "By",
        expected=False,
    ),
)


def read_calls(s: Sheet) -> pd.DataFrame:
    """Calls: ``Person, Quarter, Submitted, Commit, Best Case`` (``Note``, author optional)."""
    person = s.text("person", required=True)
    quarter = map_values(s.column("quarter"), quarter_name)
    given = ~np.equal(text_values(s.column("quarter")), None)
    s.reject(
        given & np.equal(quarter, None),
        "quarter",
        "expected a quarter like 2026-Q4 (or Q4 2026, Q4-FY26, FY2026 Q4)",
    )
    s.reject(~given, "quarter", "a quarter is required")
    submitted = s.date("submitted", required=True)
    commit = s.amount("commit", required=True)
    best_case = s.amount("best_case", required=True)
    for name, values in (("commit", commit), ("best_case", best_case)):
        s.reject(np.isinf(values), name, "expected an amount like 1,234.00")
        s.reject(values < 0, name, "a call cannot be negative")
    s.warn_count(
        best_case < commit, "best case below commit (kept as written: it is the caller's number)"
    )
    return s.frame(
        {
            "person": person,
            "quarter": quarter,
            "submitted": submitted,
            "commit": commit,
            "best_case": best_case,
            "note": s.text("note"),
            "author": s.text("author"),
            "line": s.table.line_numbers,
        }
    )


CALLS = Format(
    name="calls",
    kind="calls",
    source="calls",
    title="a forecast calls file",
    fields=CALL_FIELDS,
    reader=read_calls,
)
