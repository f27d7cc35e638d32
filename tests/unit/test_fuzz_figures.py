"""Names with markup in figures, fuzzed: Plotly shows them exactly as typed (no browser, no store).

Plotly renders a subset of HTML in labels and hovers and decodes only some entities (``&lt;``,
``&amp;``, numeric ones; not ``&quot;`` or upper-case ``&LT;``), and reads ``%{...}`` in hover
templates as fields. ``style.esc`` must turn any text into something Plotly draws literally.
"""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.figures import style as s

# plotly.js (svg_text_utils): the entities it decodes, and the pattern it decodes them with
_NAMED = {
    "mu": "\u03bc",
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "nbsp": "\xa0",
    "times": "\xd7",
    "plusmn": "\xb1",
    "deg": "\xb0",
}
_ENTITY = re.compile(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);")
_TEMPLATE_FIELD = re.compile(r"%{([^\s%{}:]*)([:|\|][^}]*)?}")


def plotly_decode(text: str) -> str:
    def one(m: re.Match) -> str:
        ref = m.group(1)
        if ref.startswith("#"):
            return chr(int(ref[2:], 16) if ref[1] == "x" else int(ref[1:]))
        return _NAMED.get(ref, m.group(0))

    return _ENTITY.sub(one, text)


HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    '"><b>bold</b>',
    'Tom & Jerry\'s "deal"',
    "%{customdata[0]}",
    "&lt;already escaped&gt;",
    "&LT;",
    "<a href='javascript:alert(1)'>x</a>",
    "<br>",
    "100% <sup>2</sup>",
]


@given(
    st.one_of(
        st.sampled_from(HOSTILE),
        st.text(max_size=60),
        st.text(alphabet="<>&\"'%{}#;xlt/=ab ", max_size=40),
    )
)
@settings(max_examples=300, deadline=None)
def test_any_name_is_drawn_as_typed(name):
    shown = s.esc(name)
    assert "<" not in shown and ">" not in shown
    assert not _TEMPLATE_FIELD.search(shown)
    assert plotly_decode(shown) == name


def test_course_lane_labels_show_hostile_names_literally():
    from dashboard.figures.course import _axes

    rows = pd.DataFrame(
        {"lane": ["<script>x</script>", '"><b>', "Ann"], "header": [True, False, False]}
    )
    labels = _axes(pd.Timestamp("2026-10-01").date(), 92, 3, rows)["yaxis"]["ticktext"]
    assert [plotly_decode(label) for label in labels] == [
        "<b><SCRIPT>X</SCRIPT></b>",
        '"><b>',
        "Ann",
    ]
