"""The requests a page opens with, in real Chromium on the demo (today pinned to 2026-11-22).

- The layout and the callback graph are asked for once each, as the page's HTML is read, not
  after the scripts have run (``dashboard.serve.early``); a failed early request is asked again
  by the renderer. A page with charts fetches Dash's graph and plotly.js with its other scripts
  (preloaded), once; the Data page, which has none, fetches neither.
- The Rider's first picture is in its layout, and its five drawing callbacks are not called as
  the page opens (``first_picture.gate``); when the layout holds no picture (Dash's router built
  it: another rider picked on the page) the browser's gate has them draw it.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytestmark = pytest.mark.browser

RIDER = "/rider/Caleb%20Miller?quarter=2026-Q4"
DRAWING = (
    "rider-lane.figure",
    "rider-kpis.children",
    "rider-forecast-trend.figure",
    "rider-trend.figure",
    "rider-season-flow.figure",
)
# The Rider's lane drawn with deals (its scatter has points) and nothing pending.
LANE_DRAWN_JS = """
(rep) => {
  const gd = document.querySelector('#rider-lane .js-plotly-plot');
  const title = document.querySelector('#rider-title');
  if (!gd || !gd._fullData || !title || title.textContent !== rep) return false;
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  return gd._fullData.some((t) => (t.x || []).length > 0);
}
"""


def _record(page, done: list[str] | None = None) -> list[dict]:
    """The requests ``page`` sends, in order; with ``done``, the addresses of the requests it
    finished are appended there, as they finish (one order for both: ``order``)."""
    seen: list[dict] = []

    def sent(request):
        body = request.post_data or ""
        seen.append({"url": request.url, "body": body, "order": _tick()})

    page.on("request", sent)
    if done is not None:
        page.on("requestfinished", lambda request: done.append((_tick(), request.url)))
    return seen


_TICKS = [0]


def _tick() -> int:
    _TICKS[0] += 1
    return _TICKS[0]


def _index(seen: list[dict], part: str) -> list[int]:
    return [i for i, r in enumerate(seen) if part in r["url"]]


def test_the_layout_is_asked_for_once_before_the_scripts(demo_server, page, console_errors):
    done: list = []
    seen = _record(page, done)
    page.goto(demo_server.base + RIDER)
    page.wait_for_function(LANE_DRAWN_JS, arg="Caleb Miller", timeout=30_000)
    page.wait_for_load_state("networkidle")
    layouts, deps = _index(seen, "/_dash-layout"), _index(seen, "/_dash-dependencies")
    assert len(layouts) == 1 and len(deps) == 1
    # sent from the <head>: before the renderer's script (which asked for it before) had arrived
    renderer_done = [order for order, url in done if "dash_renderer" in url]
    assert renderer_done and seen[layouts[0]]["order"] < renderer_done[0]
    calls = [r["body"] for r in seen if "_dash-update-component" in r["url"]]
    assert calls  # the notes, the plans, the calls panel... still come by callback
    assert not [b for b in calls if any(out in b for out in DRAWING)]
    assert page.locator("#rider-kpis").inner_text().strip()
    # the chart scripts, preloaded from the <head>, are fetched once, with the page's scripts
    for script in ("/dcc/async-graph.js", "/plotly/package_data/plotly.min.js"):
        (fetched,) = _index(seen, script)
        assert seen[fetched]["order"] < renderer_done[0]
    assert console_errors == []


def test_a_page_without_charts_preloads_no_chart_scripts(demo_server, page, console_errors):
    seen = _record(page)
    page.goto(demo_server.base + "/data")
    page.wait_for_selector("#data-batches .ag-center-cols-container .ag-row", timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert _index(seen, "/_dash-layout") and not _index(seen, "plotly.min.js")
    assert console_errors == []


def test_a_failed_early_request_is_asked_again_by_the_renderer(demo_server, page):
    failed: list[str] = []

    def refuse_first(route):
        if not failed:
            failed.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/_dash-layout", refuse_first)
    seen = _record(page)
    page.goto(demo_server.base + RIDER)
    page.wait_for_function(LANE_DRAWN_JS, arg="Caleb Miller", timeout=30_000)
    assert len(failed) == 1 and len(_index(seen, "/_dash-layout")) == 2


def test_another_rider_picked_on_the_page_is_drawn_by_the_callbacks(
    demo_server, page, console_errors
):
    page.goto(demo_server.base + RIDER)
    page.wait_for_function(LANE_DRAWN_JS, arg="Caleb Miller", timeout=30_000)
    before = page.locator("#rider-kpis").inner_text()
    seen = _record(page)
    other = page.evaluate(
        """() => [...document.querySelectorAll('#rider-pick option')]
             .map((o) => o.value).find((v) => v && v !== 'Caleb Miller')"""
    )
    page.select_option("#rider-pick", other)
    page.wait_for_function(LANE_DRAWN_JS, arg=other, timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert "/rider/" + quote(other) in page.url
    calls = [r["body"] for r in seen if "_dash-update-component" in r["url"]]
    for out in DRAWING:
        assert any(out in b for b in calls), out  # the gate had them draw the skeleton
    assert page.locator("#rider-kpis").inner_text() != before
    assert console_errors == []


SHELL_CALLS = ("shell-canonical.data", "shell-url.href")


def test_the_shell_is_filled_in_by_the_layout(demo_server, page, console_errors):
    """The top bar (pickers, nav links with the shared state) comes with the layout: neither
    the shell's URL sync nor the picker's URL writer is called as the page opens, and the
    address bar still gets the full state (defaults made explicit)."""
    seen = _record(page)
    page.goto(demo_server.base + "/review")
    page.wait_for_selector("#review-waterfall .js-plotly-plot .main-svg", timeout=30_000)
    page.wait_for_load_state("networkidle")
    calls = [r["body"] for r in seen if "_dash-update-component" in r["url"]]
    assert not [b for b in calls if any(out in b for out in SHELL_CALLS)]
    assert page.locator("#shell-quarter").input_value() == "2026-Q4"
    assert page.locator("#shell-quarter option").count() > 1
    assert "quarter=2026-Q4" in page.url  # the canonical address, written as the page started
    assert "quarter=2026-Q4" in page.locator("#shell-nav-rider").get_attribute("href")
    assert "active" in page.locator("#shell-nav-review").get_attribute("class")
    page.select_option("#shell-quarter", "2026-Q3")  # the picker still writes the URL
    page.wait_for_url("**quarter=2026-Q3**", timeout=30_000)
    assert console_errors == []


def test_a_layout_asked_for_without_a_referer_is_filled_by_the_callbacks(demo_server, page):
    """A browser that sends no Referer gets Dash's routing and skeletons: the browser's gates
    have the shell and the Course's drawing callbacks fill them."""

    def no_referer(route):  # the page as served, with a policy that sends no Referer
        response = route.fetch()
        headers = {**response.headers, "referrer-policy": "no-referrer"}
        route.fulfill(response=response, headers=headers)

    page.route(lambda url: "/_dash" not in url and "/assets/" not in url, no_referer)
    seen = _record(page)
    page.goto(demo_server.base + "/?quarter=2026-Q4")
    page.wait_for_function(
        """() => { const gd = document.querySelector('#course-map .js-plotly-plot');
                   return !!(gd && gd.data && gd.data.length); }""",
        timeout=30_000,
    )
    page.wait_for_load_state("networkidle")
    calls = [r["body"] for r in seen if "_dash-update-component" in r["url"]]
    assert any("shell-canonical.data" in b for b in calls)
    assert any("course-map.figure" in b for b in calls)
    assert page.locator("#shell-quarter").input_value() == "2026-Q4"
