"""Open Team Car's pages in headless Chromium (Playwright): time to a usable page, bytes over the
wire, and every callback request the page made (its payload, for replaying over HTTP).

Bytes are Chromium's own count (CDP ``Network.loadingFinished`` ``encodedDataLength``: headers and
body as they crossed the wire, compressed where they were). A page is *usable* when its main graph
or grid shows data (``READY`` below, the same checks the browser tests wait for) *and* it is
settled as the bare Dash page is judged (``SETTLED``: every Plotly graph drawn, no callback
pending), so Team Car's figures and the bare page's baseline mean the same thing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from urllib.parse import quote, urlsplit

CHROMIUM = os.environ.get("TEAMCAR_CHROMIUM", "/usr/bin/chromium")
ENDPOINT = "/_dash-update-component"
QUARTER = "2026-Q4"

# The main graph or grid of each page holds data.
READY = {
    "course": "() => { const gd = document.querySelector('#course-map .js-plotly-plot');"
    " return !!(gd && gd.layout && gd.layout.yaxis && gd.layout.yaxis.ticktext &&"
    " gd.layout.yaxis.ticktext.length > 0); }",
    "review": "() => { const gd = document.querySelector('#review-waterfall .js-plotly-plot');"
    " return !!(gd && gd.data && gd.data.length && gd.data[0].type === 'waterfall'); }",
    "rider": "() => { const gd = document.querySelector('#rider-lane .js-plotly-plot');"
    " return !!(gd && gd.data && gd.data.length > 0"
    " && document.querySelector('#rider-kpis .kpi-value')); }",
    "data": "() => !!document.querySelector('#data-batches .ag-center-cols-container .ag-row')",
    # the classification drawn and every graph drawn (bench_pages.READY_SELECTORS' season)
    "season": "() => !!document.querySelector('#season-gc-grid .ag-center-cols-container .ag-row') &&"
    " [...document.querySelectorAll('.js-plotly-plot')].every(g => g.querySelector('.main-svg'))"
    " && !document.querySelector('[data-dash-is-loading=\"true\"]')",
}

# *Usable* as the issue and the team's pageratio.py define it, for Team Car and the bare Dash page
# alike: the page's own element present, every Plotly graph drawn and no Dash callback pending.
SETTLED = """(sel) => {
  if (!document.querySelector(sel)) return false;
  const g = document.querySelectorAll('.js-plotly-plot');
  for (const el of g) if (!el.querySelector('.main-svg')) return false;
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  // Team Car builds a grid or draws a graph when it comes on screen (assets/lazy.js): one on
  // screen and not built yet is not usable (the bare page has none: this changes nothing there).
  for (const el of document.querySelectorAll('[data-grid-pending], [data-graph-pending]')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.bottom > 0 && r.top < innerHeight) return false;
  }
  return true;
}"""
GRAPH = ".js-plotly-plot .main-svg"
# What must be on each page besides (a page without graphs: its main grid has rows).
READY_SELECTORS = {
    "course": GRAPH,
    "review": GRAPH,
    "rider": GRAPH,
    "data": "#data-batches .ag-center-cols-container .ag-row",
    "support": "#support-focus-grid .ag-center-cols-container .ag-row",
    "season": "#season-gc-grid .ag-center-cols-container .ag-row",
}

# Dash's shell drawn (the top bar's pickers filled in by the first callback),
# before any page data. What every page costs before its own callbacks.
SHELL_READY = (
    "() => { const s = document.querySelector('#shell-quarter');"
    " return !!(s && s.options && s.options.length > 0); }"
)


def page_path(page: str, team: str | None = None, rep: str | None = None) -> str:
    """The URL path and query of ``page`` for ``team`` (all teams when None)."""
    query = f"?quarter={QUARTER}" + (f"&team={quote(team)}" if team else "")
    if page == "course":
        return "/" + query
    if page == "rider":
        return "/rider/" + quote(rep or "", safe="") + query
    return f"/{page}" + query


def launch(pw):
    """Headless Debian Chromium with the browser tests' flags."""
    return pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


def callback_label(output: str) -> str:
    """A short name for a callback from its ``output`` key (``..a.b...c.d..`` or ``a.b``):
    its first figure or grid output (else its first output) and how many more it has."""
    parts = [_short(p) for p in output.strip(".").split("...") if p] or [output]
    main = next((p for p in parts if p.endswith((".figure", ".rowData"))), parts[0])
    return main + (f" +{len(parts) - 1}" if len(parts) > 1 else "")


def _short(part: str) -> str:
    if part.startswith("{"):  # a pattern-matching id is JSON
        try:
            obj, prop = part.rsplit(".", 1)
            return f"{json.loads(obj).get('type', obj)}.{prop}"
        except ValueError:
            return part
    return part


def open_page(
    context, base: str, page_name: str, path: str, timeout_s: float = 120, settle_ms: int = 600
) -> dict:
    """Open ``base + path`` in a new tab of ``context`` and measure it.

    Returns:
        ``usable_s`` (navigation start to the main graph/grid showing data, every graph drawn
        and no callback pending), ``main_s`` (to the main graph/grid showing data alone),
        ``shell_s`` (to the top bar drawn), ``bytes``, ``callback_bytes`` and ``responses`` (received
        until the page's callbacks went quiet), ``console``
        (errors), and ``callbacks``: each ``POST /_dash-update-component`` in the order sent,
        as ``{"label", "body", "path", "status", "response_bytes", "ms", "done_at_s"}``
        (``done_at_s``: when its response ended, seconds after navigation started).
    """
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received = {"bytes": 0, "responses": 0, "callback_bytes": 0}

    def finished(event: dict) -> None:
        n = int(event.get("encodedDataLength") or 0)
        received["bytes"] += n
        received["responses"] += 1
        if urlsplit(urls.get(event.get("requestId", ""), "")).path.endswith(ENDPOINT):
            received["callback_bytes"] += n

    urls: dict[str, str] = {}

    def responded(event: dict) -> None:
        urls[event.get("requestId", "")] = event.get("response", {}).get("url", "")

    cdp.on("Network.responseReceived", responded)
    cdp.on("Network.loadingFinished", finished)
    sent: list = []
    inflight = {"n": 0, "last": time.monotonic()}
    console: list[str] = []

    def is_callback(req) -> bool:
        return req.method == "POST" and urlsplit(req.url).path.endswith(ENDPOINT)

    def on_request(req) -> None:
        if is_callback(req):
            sent.append(req)
            inflight["n"] += 1

    def on_done(req) -> None:
        if is_callback(req):
            inflight["n"] -= 1
            inflight["last"] = time.monotonic()

    page.on("request", on_request)
    page.on("requestfinished", on_done)
    page.on("requestfailed", on_done)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    try:
        started = time.perf_counter()
        epoch = time.time() * 1000
        page.goto(base + path, timeout=timeout_s * 1000)
        try:
            page.wait_for_function(SHELL_READY, timeout=timeout_s * 1000, polling=50)
            shell = time.perf_counter() - started
            page.wait_for_function(READY[page_name], timeout=timeout_s * 1000, polling=50)
            main = time.perf_counter() - started
            page.wait_for_function(
                SETTLED, arg=READY_SELECTORS[page_name], timeout=timeout_s * 1000, polling=50
            )
        except Exception as exc:  # noqa: BLE001 - say what the page showed instead
            answers = [
                (_req_label(r), r.response().status if r.response() else "no answer") for r in sent
            ]
            raise TimeoutError(
                f"{page_name} ({path}) not usable within {timeout_s:.0f} s: "
                f"{type(exc).__name__}; console errors: {console[:3]}; "
                f"callbacks: {answers[:12]}"
            ) from None
        usable = time.perf_counter() - started
        # The rest of the first render: wait until no callback is in flight for settle_ms.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            if inflight["n"] <= 0 and time.monotonic() - inflight["last"] > settle_ms / 1000:
                break
        full = time.perf_counter() - started
        calls = []
        for req in sent:
            resp = req.response()
            try:
                body = resp.body() if resp is not None and resp.status == 200 else b""
            except Exception:  # noqa: BLE001 - a body Chromium did not keep
                body = b""
            payload = req.post_data or ""
            try:
                output = json.loads(payload).get("output", "?")
            except ValueError:
                output = "?"
            timing = req.timing
            ms = timing.get("responseEnd", -1) - max(timing.get("requestStart", 0), 0)
            done_at = (timing.get("startTime", epoch) + timing.get("responseEnd", 0) - epoch) / 1000
            url = urlsplit(req.url)
            calls.append(
                {
                    "label": callback_label(output),
                    "output": output,
                    "body": payload,
                    "path": url.path + (f"?{url.query}" if url.query else ""),
                    "status": resp.status if resp is not None else 0,
                    "response_bytes": len(body),
                    "ms": round(ms, 1),
                    "done_at_s": round(done_at, 3),
                }
            )
        # When the last data-bearing answer before the page was usable arrived: the rest of
        # ``usable_s`` is the browser's own work (scripts, drawing).
        answered = [
            c["done_at_s"]
            for c in calls
            if c["response_bytes"] > 200 and c["done_at_s"] <= usable + 0.05
        ]
        return {
            "page": page_name,
            "path": path,
            "shell_s": round(shell, 3),
            "main_s": round(main, 3),
            "data_answered_s": round(max(answered), 3) if answered else None,
            "usable_s": round(usable, 3),
            "settled_s": round(full, 3),
            "bytes": received["bytes"],
            "callback_bytes": received["callback_bytes"],
            "responses": received["responses"],
            "console": console[:10],
            "callbacks": calls,
        }
    finally:
        with contextlib.suppress(Exception):  # the page may be gone already
            cdp.detach()
        page.close()


def _req_label(req) -> str:
    try:
        return callback_label(json.loads(req.post_data or "{}").get("output", "?"))
    except ValueError:
        return "?"


def visit(context, url: str, selector: str, timeout_ms: float = 120_000) -> dict:
    """One visit of ``url`` in a new tab of ``context``: seconds from navigation to ``SETTLED``
    with ``selector`` (``usable_s``) and the bytes that crossed the wire (``bytes``). The tab
    closes once the network is idle (at most 30 s more), so no request of this visit runs into
    the next one's measure."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received = {"bytes": 0}

    def finished(event: dict) -> None:
        received["bytes"] += int(event.get("encodedDataLength") or 0)

    cdp.on("Network.loadingFinished", finished)
    try:
        t0 = time.monotonic()
        page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
        page.wait_for_function(SETTLED, arg=selector, timeout=timeout_ms, polling=50)
        took = time.monotonic() - t0
        # a page still polling never goes idle: the measure is taken already
        with contextlib.suppress(Exception):
            page.wait_for_load_state("networkidle", timeout=30_000)
        return {"usable_s": round(took, 3), "bytes": received["bytes"]}
    finally:
        with contextlib.suppress(Exception):
            cdp.detach()
        page.close()


def new_context(browser):
    """A fresh context: an empty HTTP cache, as a first visit has."""
    return browser.new_context(viewport={"width": 1440, "height": 900})
