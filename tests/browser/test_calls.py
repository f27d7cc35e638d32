"""Forecast calls in real Chromium, on the demo's data (today pinned to 2026-11-22, week 8).

Open the Course for one team: the calls panel, filled once scrolled to, lists the team's calls in force as the store has
them; a bad amount is said beside its field; a call made through the form is kept and the
person's status becomes "submitted this week". The console stays clean.
"""

from __future__ import annotations

import json

import pytest

from dashboard.models import forecast as fm
from loaders.store.engine import dispose_engines, get_engine
from tests.support.browser import screenshot
from tests.support.demo import TODAY, demo_copy

pytestmark = pytest.mark.browser
TEAM = "Enterprise West"


def cid(kind: str) -> str:
    """The CSS selector of a calls panel component on the Course."""
    return "[id='" + json.dumps({"type": kind, "view": "course"}, separators=(",", ":")) + "']"


GRID = '{"type":"calls-grid","view":"course"}'
# The grid's rows once it shows ``n`` of them (null until then: the poll may redraw it).
ROWS_JS = """
async (n) => {
  const api = await window.dash_ag_grid.getApiAsync('GRID');
  const out = [];
  api.forEachNode((node) => out.push(node.data));
  return out.length === n && out.every((r) => r) ? out : null;
}
""".replace("GRID", GRID)


# The page's graphs drawn and no callback pending.
SETTLED_JS = """
() => document.querySelector('#course-map .main-svg') &&
      !document.querySelector('[data-dash-is-loading="true"]')
"""


CALLED_JS = """
async (p) => {
  const api = await window.dash_ag_grid.getApiAsync('GRID');
  const n = api.getRowNode(p);
  return n && n.data.status === 'submitted this week' ? n.data : null;
}
""".replace("GRID", GRID)


def poll(page, js: str, arg, seconds: float = 30):
    """What an async check returns once it is not null (``wait_for_function`` would take its
    promise as truthy at once)."""
    for _ in range(int(seconds * 5)):
        found = page.evaluate(js, arg)
        if found:
            return found
        page.wait_for_timeout(200)
    raise AssertionError(f"not seen within {seconds} s: {js}")


@pytest.fixture
def calls_store(tmp_path, data_dir):
    return demo_copy(tmp_path / "db")


def test_calls_journey(serve_store, calls_store, data_dir, page, console_errors):
    engine = get_engine(calls_store)
    expected = fm.forecast_for(engine, "2026-Q4", TODAY, TEAM).people
    dispose_engines()
    base = serve_store(calls_store, data_dir)
    # someone of the team who has not called this week, if any, else the first rep
    reps = expected[~expected["is_manager"] & expected["own_commit"].notna()]
    late = reps[reps["status"] != "submitted"]
    person = (late if len(late) else reps).iloc[0]["person"]

    page.goto(base + f"/?quarter=2026-Q4&team={TEAM.replace(' ', '+')}")
    panel = page.locator(".calls-course")
    # Below the fold, the panel is filled only once it comes near the screen (lazy_panel.js).
    page.wait_for_function(SETTLED_JS, timeout=30_000)
    page.wait_for_timeout(500)
    assert panel.evaluate("e => e.getBoundingClientRect().top") > page.viewport_size["height"] + 300
    assert panel.locator(".section-hint").inner_text() == ""
    panel.scroll_into_view_if_needed()
    found = poll(page, ROWS_JS, len(expected))
    rows = {r["person"]: r for r in found}
    assert set(rows) == set(expected["person"])
    for row in expected.to_dict("records"):
        assert rows[row["person"]]["commit"] == pytest.approx(row["value_commit"])
    assert "week 8" in panel.locator(".section-hint").inner_text()
    screenshot(page, "calls-course")

    # a bad amount is said beside its field, and nothing is kept
    page.select_option(cid("calls-person"), person)
    page.fill(cid("calls-commit"), "lots")
    page.fill(cid("calls-best"), "90000")
    page.click(cid("calls-save"))
    error = page.locator(cid("calls-commit-error"))
    error.wait_for(state="visible", timeout=10_000)
    assert "must be a number" in error.inner_text()

    # a call through the form: kept, and the person's status becomes "submitted this week"
    page.fill(cid("calls-commit"), "80,000")
    page.fill(cid("calls-best"), "95k")
    page.fill(cid("calls-note"), "one deal pulled in")
    page.fill(cid("calls-author"), "Andre Lopez")
    page.click(cid("calls-save"))
    page.locator(cid("calls-message")).get_by_text(f"Recorded {person}'s call").wait_for(
        timeout=15_000
    )
    called = poll(page, CALLED_JS, person)
    assert (called["status"], called["commit"], called["missing"]) == (
        "submitted this week",
        80000,
        False,
    )
    assert not page.locator(cid("calls-commit")).evaluate("e => e.classList.contains('is-invalid')")
    screenshot(page, "calls-course-called")
    # the author is remembered in this browser: the form has it again after a reload
    page.reload()
    page.wait_for_function(SETTLED_JS, timeout=30_000)
    panel.scroll_into_view_if_needed()
    page.wait_for_function(
        "(sel) => { const e = document.querySelector(sel); return e && e.value === 'Andre Lopez'; }",
        arg=cid("calls-author"),
        timeout=15_000,
    )
    engine = get_engine(calls_store)
    from dashboard.reads.calls import load_calls

    newest = load_calls(engine, None, "2026-Q4").sort_values("id").iloc[-1]
    dispose_engines()
    assert (newest["person"], newest["commit"], newest["best_case"]) == (person, 80000.0, 95000.0)
    assert (newest["author"], newest["note"], newest["source"]) == (
        "Andre Lopez",
        "one deal pulled in",
        "browser",
    )
    assert console_errors == []
