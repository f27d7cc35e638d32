"""``reads.kept.pack``/``unpack``: a kept value reads back exactly as it was (no store needed).

Frames keep their dtypes, index and kind of null (Arrow has one null; pandas object columns hold
None or NaN), and unpacking builds only the dataclasses the caller names: the store is shared, so
nothing in it may make a reader build anything else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.reads.kept import PackError, pack, unpack


@dataclasses.dataclass
class Box:
    name: str
    frame: pd.DataFrame
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Other:
    x: int


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": pd.Series(["a", None, "c"], dtype="str"),
            "obj_none": pd.Series(["East", None, "West"], dtype=object),
            "obj_nan": pd.Series(["East", np.nan, "West"], dtype=object),
            "days": pd.Series([dt.date(2026, 11, 1), None, dt.date(2026, 11, 22)], dtype=object),
            "when": pd.to_datetime(["2026-11-01", None, "2026-11-22"]).astype("datetime64[ns]"),
            "money": [1.5, np.nan, 3.0],
            "count": np.array([1, 2, 3], dtype="int64"),
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "cat": pd.Categorical(["x", "y", "x"]),
            "people": pd.Series([("Ann", "Bob"), (), ("Cy",)], dtype=object),
            "week": pd.Series([3, None, 1], dtype=object),
        }
    ).set_axis(pd.Index(["r1", "r2", "r3"], name="rep", dtype=object))


def test_a_frame_reads_back_exactly():
    frame = _frame()
    back = unpack(pack(frame))
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert list(back.dtypes) == list(frame.dtypes)
    assert back.loc["r2", "obj_none"] is None
    assert isinstance(back.loc["r2", "obj_nan"], float)
    assert back.loc["r1", "people"] == ("Ann", "Bob")
    assert type(back.loc["r1", "week"]) is int and back.loc["r2", "week"] is None


def test_range_index_and_empty_frames():
    frame = _frame().reset_index(drop=True).iloc[1:]
    pd.testing.assert_frame_equal(unpack(pack(frame)), frame, check_exact=True)
    empty = _frame().iloc[:0]
    pd.testing.assert_frame_equal(unpack(pack(empty)), empty, check_exact=True)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2.5,
        float("nan"),
        "text",
        dt.date(2026, 11, 22),
        dt.datetime(2026, 11, 22, 6, 30),
        pd.Timestamp("2026-11-22"),
        np.float64(0.25),
        np.int64(7),
        [1, "a", None],
        (1, (2, 3)),
        {"a": 1, None: 2.0, ("k", 1): [dt.date(2026, 1, 1)]},
    ],
)
def test_plain_values_keep_their_types(value):
    back = unpack(pack(value))
    assert type(back) is type(value)
    if isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value


def test_arrays_series_and_nat():
    arr = np.arange(6, dtype="int64").reshape(2, 3)
    back = unpack(pack({"a": arr, "s": pd.Series([1.0, 2.0], name="x"), "t": pd.NaT}))
    np.testing.assert_array_equal(back["a"], arr)
    assert back["a"].dtype == arr.dtype
    pd.testing.assert_series_equal(back["s"], pd.Series([1.0, 2.0], name="x"))
    assert back["t"] is pd.NaT


def test_only_the_named_dataclasses_are_built():
    box = Box("b", _frame(), {"inner": Other(1)})
    back = unpack(pack(box, [Box, Other]), [Box, Other])
    assert isinstance(back, Box) and back.extra["inner"] == Other(1)
    pd.testing.assert_frame_equal(back.frame, box.frame, check_exact=True)
    with pytest.raises(PackError, match="not among the types to keep"):
        pack(box, [Box])
    with pytest.raises(PackError, match="not among the types to read"):
        unpack(pack(box, [Box, Other]), [Box])


@pytest.mark.parametrize(
    "value",
    [
        object(),
        {1, 2},
        pd.DataFrame({"a": [1], "b": [2]}).rename(columns={"b": "a"}),
        pd.DataFrame({"a": pd.Series([None, np.nan], dtype=object)}),
        pd.DataFrame({"a": pd.Series([{"x": 1}], dtype=object)}),
        np.array(["a"], dtype=object),
    ],
)
def test_what_cannot_be_kept_is_refused(value):
    with pytest.raises(PackError):
        pack(value)


def test_other_bytes_are_refused():
    with pytest.raises(PackError, match="not a kept value"):
        unpack(b"\x80\x04pickle")
