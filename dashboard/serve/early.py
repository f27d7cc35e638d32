"""The layout asked for as the page starts, while its scripts load (``script_html``).

Dash's renderer asks for the layout (``_dash-layout``) and the callback graph
(``_dash-dependencies``) only once React, the renderer and every component library are loaded
and run: at full size about 0.6 s after the page's HTML arrived, during which the server has
nothing to do. Then the server draws the view's first picture into the layout
(``pages.first_picture``): 0.2 s warm, up to a second in a worker that has not seen the rider.
Both waits came one after the other.

A small inline script at the top of the page's ``<head>`` sends both requests at once, as the
HTML is read, and hands the answers to the renderer when it asks: it wraps ``window.fetch`` so
that the renderer's first GET of each of the two addresses gets the response already on its way
(each is handed out once; every later request, and any request if the early one failed, goes to
the network as before). The server draws the layout while the browser loads the scripts. The
request is the same one the renderer would send (same address, same cookies, same Referer), so
the server answers it the same way, scope included.
"""

from __future__ import annotations

import json

# The renderer's own requests (dash-renderer's ``La``: GET, same-origin credentials, JSON).
_SCRIPT = """(function () {
  var base = %s, early = {};
  if (!window.fetch || !window.Promise) { return; }
  ["_dash-layout", "_dash-dependencies"].forEach(function (path) {
    var url = base + path;
    early[url] = window.fetch(url, {
      method: "GET", credentials: "same-origin",
      headers: {"Accept": "application/json", "Content-Type": "application/json"}
    });
    early[url].catch(function () {});  // a failure is the renderer's to see, when it asks
  });
  var plain = window.fetch;
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : null;
    var method = (init && init.method) || "GET";
    if (url !== null && early[url] && method.toUpperCase() === "GET") {
      var answer = early[url];
      delete early[url];
      return answer.catch(function () { return plain.call(window, input, init); });
    }
    return plain.apply(window, arguments);
  };
})();"""


def preload_html(urls: list[str]) -> str:
    """``<link rel="preload">`` tags for the scripts a page with charts fetches once its layout
    has rendered (Dash's graph, then plotly.js): fetched while the page's other scripts load
    instead, and run when the graph asks for them."""
    return "".join(f'<link rel="preload" href="{url}" as="script">' for url in urls)


def script_html(base: str) -> str:
    """The inline ``<script>`` for an app served under ``base`` (Dash's
    ``requests_pathname_prefix``, ``/`` at the root). Its hash joins the page's
    Content-Security-Policy like any inline script Dash writes (``server.inline_script_hashes``)."""
    return "<script>" + _SCRIPT % json.dumps(base) + "</script>"


__all__ = ["preload_html", "script_html"]
