"""The 1:1 in real Chromium, on the demo's data (today pinned to 2026-11-22).

Open a rider from the Course; read their figures, what must be true and their flagged deals
against the store; open the inputs of a readiness component; add a coaching note, reload, see it;
edit it, reload, see the edit. The console stays clean.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dashboard.figures import style
from dashboard.models.standings import compute_summary
from dashboard.reads import notes
from loaders.store.engine import dispose_engines, get_engine
from tests.support.browser import screenshot
from tests.support.demo import TODAY, demo_copy

pytestmark = pytest.mark.browser

# Centre of a rider's status bar on the Course (the click target that opens the rider).
RIDER_BAR_JS = """
(rep) => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  if (!gd || !gd._fullData) return null;
  const fl = gd._fullLayout, box = gd.getBoundingClientRect();
  const t = gd._fullData.find((d) => d.name === 'rider');
  if (!t) return null;
  for (let i = 0; i < t.y.length; i++) {
    if (t.customdata[i][0] === 'rider' && t.customdata[i][1] === rep) {
      return [box.left + fl.xaxis2._offset + fl.xaxis2.l2p(0.3),
              box.top + fl.yaxis._offset + fl.yaxis.l2p(t.y[i])];
    }
  }
  return null;
}
"""
GRID_COUNT_JS = """
async (id) => (await window.dash_ag_grid.getApiAsync(id)).getDisplayedRowCount()
"""


@pytest.fixture
def rider_store(tmp_path, data_dir):
    return demo_copy(tmp_path / "db")


def test_rider_journey(serve_store, rider_store, data_dir, page, console_errors):
    engine = get_engine(rider_store)
    summary = compute_summary(
        engine, "2026-Q4", TODAY, TODAY - dt.timedelta(days=7), "Enterprise West"
    )
    rep = summary.reps.sort_values("open_deals", ascending=False).index[0]
    f = summary.reps.loc[rep]
    flags = summary.flags
    open_deals = int((flags["open_in_quarter"] & (flags["rep"] == rep)).sum())
    dispose_engines()
    base = serve_store(rider_store, data_dir)

    # From the Course: click the rider's status beside their lane.
    page.goto(base + "/?quarter=2026-Q4&team=Enterprise+West")
    page.wait_for_function(RIDER_BAR_JS, arg=rep, timeout=30_000)
    page.wait_for_timeout(300)
    x, y = page.evaluate(RIDER_BAR_JS, rep)
    page.evaluate("(y) => window.scrollBy(0, y - window.innerHeight / 2)", y)
    page.wait_for_timeout(200)
    x, y = page.evaluate(RIDER_BAR_JS, rep)
    page.mouse.move(x, y)
    page.wait_for_timeout(200)
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"/rider/"), timeout=10_000)
    assert page.locator("#rider-title").inner_text() == rep

    # Their figures, what must be true, and their deals, as the engine has them.
    kpis = page.locator("#rider-kpis .kpi-value")
    kpis.first.wait_for(timeout=20_000)
    assert kpis.first.inner_text() == style.pct(f["attainment"])
    must = page.locator("#rider-must")
    must.locator(".must-list").wait_for()
    assert style.money(f["needed_pipeline"]) in must.inner_text()
    page.wait_for_function(
        "async ([id, n]) => (await window.dash_ag_grid.getApiAsync(id)).getDisplayedRowCount()"
        " === n",
        arg=["rider-flags-grid", open_deals],
        timeout=20_000,
    )
    page.wait_for_function(
        "(t) => document.querySelector('#rider-flags-info').innerText.startsWith(t)",
        arg=f"{open_deals} open deals closing this quarter",
        timeout=10_000,
    )
    page.wait_for_function(
        "() => { const gd = document.querySelector('#rider-trend .js-plotly-plot');"
        " return gd && gd.data && gd.data.some((t) => t.name === 'Attainment'); }",
        timeout=30_000,
    )
    screenshot(page, "rider-demo")

    # The inputs behind a readiness component.
    page.locator("#rider-readiness .component-card").nth(3).click()
    panel = page.locator(".trace-panel")
    panel.wait_for(state="visible", timeout=10_000)
    assert panel.locator(".offcanvas-title").inner_text() == f"{rep} · Pipeline hygiene"
    assert f"{int(f['hygiene_ok'])} of {int(f['hygiene_deals'])} open deals" in panel.inner_text()
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden", timeout=5_000)

    # A coaching note, kept in the store: add it, reload, it is there.
    page.fill("#rider-note-author", "Mia <Manager>")
    body = "Agreed: <b>two</b> demos before Friday\nand a call with the CFO"
    page.fill("#rider-note-text", body)
    page.click("#rider-note-save")
    page.locator(".note-item").first.wait_for(timeout=10_000)
    assert page.locator("#rider-note-message").inner_text() == "Note added."
    page.reload()
    item = page.locator(".note-item").first
    item.wait_for(timeout=20_000)
    assert item.locator(".note-body").inner_text() == body  # text, not markup
    assert "Mia <Manager>" in item.locator(".note-meta").inner_text()
    assert page.locator("#rider-note-author").input_value() == "Mia <Manager>"  # remembered

    # Edit it; reload; the edit is there with its time.
    item.locator(".note-edit").click()
    page.wait_for_function(
        "() => document.querySelector('#rider-note-text').value.startsWith('Agreed')"
    )
    page.fill("#rider-note-text", "Agreed: three demos")
    page.click("#rider-note-save")
    page.wait_for_function(
        "() => document.querySelector('#rider-note-message').innerText === 'Note saved.'"
    )
    page.reload()
    item = page.locator(".note-item").first
    item.wait_for(timeout=20_000)
    assert item.locator(".note-body").inner_text() == "Agreed: three demos"
    assert page.locator(".note-item").count() == 1
    assert len(notes.list_notes(get_engine(rider_store), rep)) == 1
    dispose_engines()
    page.locator("#rider-notes").scroll_into_view_if_needed()
    screenshot(page, "rider-demo-notes")
    assert console_errors == []


def test_graphs_below_the_fold_are_drawn_as_they_come_on_screen(demo_server, page, console_errors):
    """The Rider's first screen is drawn at once; the season's graphs further down are empty boxes
    of their figure's height until the manager scrolls to them, then drawn with the figure the
    server sent (assets/lazy.js, lazy_graph.js). Nothing on the page moves when they are drawn."""
    rep = "Alex Nuñez"
    page.goto(demo_server.base + "/rider/" + rep.replace(" ", "%20") + "?quarter=2026-Q4")
    page.wait_for_function(
        "() => !!document.querySelector('#rider-forecast-trend .js-plotly-plot .main-svg')"
        " && !document.querySelector('[data-dash-is-loading=\"true\"]')",
        timeout=30_000,
    )
    page.wait_for_timeout(300)
    # the page's main chart is built at once wherever it sits ("build-now")
    assert page.locator("#rider-lane").get_attribute("data-graph-pending") is None
    flow = page.locator("#rider-season-flow")
    assert flow.get_attribute("data-graph-pending") == "true"
    assert page.locator("#rider-season-flow .js-plotly-plot").count() == 0
    below = page.evaluate("() => document.querySelector('#rider-season-flow').offsetTop")
    height = flow.bounding_box()["height"]
    assert below > 900 and height > 100  # below a laptop's first screen, and holding its place

    flow.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const gd = document.querySelector('#rider-season-flow .js-plotly-plot');"
        " return gd && gd.querySelector('.main-svg') && gd.data && gd.data.length > 0; }",
        timeout=20_000,
    )
    assert page.locator("#rider-season-flow").get_attribute("data-graph-pending") is None
    assert abs(flow.bounding_box()["height"] - height) <= 2
    assert page.evaluate("() => document.querySelector('#rider-season-flow').offsetTop") == below
    # printing holds every graph and grid
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-graph-pending], [data-grid-pending]').length === 0",
        timeout=20_000,
    )
    assert console_errors == []
