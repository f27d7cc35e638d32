"""Browser-tier helpers: screenshots for people to look at, and reading the Course's map."""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "out" / "screenshots"

# Pixel position (in the page) of every deal marker on the map, and its customdata.
DEAL_POINTS_JS = """
() => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  const fl = gd._fullLayout, box = gd.getBoundingClientRect();
  const out = [];
  gd._fullData.forEach((t) => {
    if (!t.customdata || !t.type.startsWith('scatter')) return;
    for (let i = 0; i < t.x.length; i++) {
      const c = t.customdata[i];
      if (!c || c[0] !== 'deal') continue;
      out.push({trace: t.name, id: c[2], name: c[3],
                px: box.left + fl.xaxis._offset + fl.xaxis.l2p(t.x[i]),
                py: box.top + fl.yaxis._offset + fl.yaxis.l2p(t.y[i]),
                size: Array.isArray(t.marker.size) || ArrayBuffer.isView(t.marker.size)
                      ? t.marker.size[i] : t.marker.size});
    }
  });
  return out;
}
"""


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under bench/out/screenshots/ for people to look at (every grid
    and graph on it built first)."""
    scroll_through(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_map(page, timeout: float = 30_000) -> None:
    """Wait until the Course map has drawn its lanes (and a moment for the markers)."""
    page.wait_for_function(
        "() => { const gd = document.querySelector('#course-map .js-plotly-plot');"
        " return gd && gd.layout && gd.layout.yaxis && gd.layout.yaxis.ticktext &&"
        " gd.layout.yaxis.ticktext.length > 0; }",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


# A grid or graph not built yet that a reader could scroll to (not inside a closed panel).
PENDING_JS = """
() => Array.from(document.querySelectorAll('[data-grid-pending], [data-graph-pending]'))
  .filter((e) => e.getBoundingClientRect().width > 0).map((e) => e.id)
"""


def scroll_through(page, timeout: float = 20_000) -> None:
    """Scroll the page top to bottom as a reader does, until every grid and graph on it is built.

    Grids and graphs are built when they come near the screen (assets/lazy.js); a test that reads
    one below the fold, or checks everything the page renders, scrolls to it first. The pass
    starts once the page's callbacks have answered (what comes near before that is decided when
    they have), and anything still not built is then scrolled to one by one. The page is left
    where it was.
    """
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=timeout
    )
    start = page.evaluate("() => window.scrollY")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    step = page.evaluate("() => window.innerHeight")
    for y in range(0, height + step, step):
        page.evaluate("(y) => window.scrollTo(0, y)", y)
        page.wait_for_timeout(100)
    for _ in range(3):
        left = page.evaluate(PENDING_JS)
        if not left:
            break
        for element_id in left:
            page.evaluate("(id) => document.getElementById(id)?.scrollIntoView()", element_id)
            page.wait_for_timeout(150)
    page.wait_for_function(f"() => ({PENDING_JS})().length === 0", timeout=timeout)
    page.evaluate("(y) => window.scrollTo(0, y)", start)
