"""Deal plans in real Chromium, on the demo's data (today pinned to 2026-11-22): on the Rider,
pick a deal, add a step that is overdue (due 18 Nov, before today) and one that is not, tick the
second off; the Plan column says "2 steps, 1 at risk"; on the Course the deal carries both steps
as ticks on its lane, the overdue one red. The console stays clean.
"""

from __future__ import annotations

import pytest

from dashboard.figures.plans import TICK_NAME
from dashboard.figures.style import BEHIND
from tests.support.browser import screenshot
from tests.support.demo import demo_copy

pytestmark = pytest.mark.browser

REP = "Sophie Zhang"  # Enterprise West in the demo
TICKS_JS = """
(name) => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  if (!gd || !gd._fullData) return null;
  const t = gd._fullData.find((d) => d.name === name);
  if (!t) return null;
  return {n: t.x.length, ids: Array.from(t.customdata, (c) => c[2]),
          colours: Array.from(t.marker.line.color)};
}
"""


def test_plan_a_deal_on_the_rider_and_see_it_on_the_course(
    serve_store, tmp_path, data_dir, page, console_errors
):
    base = serve_store(demo_copy(tmp_path / "db"), data_dir)
    page.goto(f"{base}/rider/{REP.replace(' ', '%20')}")
    page.wait_for_selector("#rider-plans-pick option >> nth=1", state="attached", timeout=60_000)
    value = page.eval_on_selector("#rider-plans-pick option:nth-child(2)", "o => o.value")
    deal_id = value.split("|", 1)[1]
    page.select_option("#rider-plans-pick", value)
    form = page.locator(".rider-page .plan-form")
    form.wait_for(state="visible", timeout=30_000)
    for kind, title, due in (
        ("legal", "MSA redlines back from legal", "2026-11-18"),
        ("technical", "Demo to IT", "2026-12-05"),
    ):
        form.locator("select").first.select_option(kind)
        form.locator("input[placeholder^='What']").fill(title)
        form.locator("select").nth(1).select_option(index=1)
        form.locator("input[type=date]").fill(due)
        form.locator("button:has-text('Add step')").click()
        page.wait_for_selector(f".rider-page .plan-step:has-text('{title}')", timeout=30_000)
    risky = page.locator(".rider-page .plan-step.at-risk")
    assert risky.count() == 1 and "overdue since 18 Nov" in risky.inner_text()
    page.locator(".rider-page .plan-step:has-text('Demo to IT') .plan-tick").click()
    page.wait_for_selector(".rider-page .plan-step.done:has-text('Demo to IT')", timeout=30_000)
    assert "2 steps, 1 at risk" in page.locator(".rider-page .plan-summary").inner_text()
    screenshot(page, "plans-rider")

    page.goto(f"{base}/?team=Enterprise%20West")
    page.wait_for_function(f"() => ({TICKS_JS})({TICK_NAME!r}) !== null", timeout=60_000)
    ticks = page.evaluate(TICKS_JS, TICK_NAME)
    assert ticks["n"] == 2 and set(ticks["ids"]) == {deal_id}
    assert sorted(ticks["colours"]).count(BEHIND) == 1
    assert console_errors == []
