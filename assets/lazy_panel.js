/* Team Car: a panel is filled when it comes near the screen, not as the page opens.
 *
 * An element with a data-lazy-seen attribute (the JSON id of a dcc.Store) is a panel whose
 * callback waits for that store to say it has been seen (dashboard/pages/calls.py, lazy=True).
 * When the element comes on screen, or within 300 pixels below it, the store's data is set to
 * true through Dash's own set_props, and its callback draws the panel. At 2,000 reps the Course's
 * forecast calls (a tree of every person and the form's list of them) were the page's largest
 * answer and its slowest callback, below the fold, holding up what is on screen.
 *
 * As for grids and graphs, whether a panel is near is decided by assets/lazy.js's whenNear
 * (loaded before this file: Dash loads assets in alphabetical order), once the page has settled:
 * here its callbacks answered and its graphs drawn (before that, sections above it may not have
 * their final height: a graph waiting for plotly.js is an empty box). Where
 * IntersectionObserver is missing, every panel is filled at once; printing fills them all.
 */
(function () {
  "use strict";
  if (window.teamcarLazyPanels) {
    return;
  }
  window.teamcarLazyPanels = true;
  // a graph that never draws (plotly.js failed to load) does not hold a panel back longer
  var WAIT_MS = 10000;
  var ATTR = "data-lazy-seen";
  var watched = typeof window.WeakSet === "function" ? new window.WeakSet() : null;

  // No callback pending and no graph waiting for plotly.js or drawing: until then a graph above
  // the panel may not have its height yet, and the panel looks nearer than it is.
  function settled() {
    if (document.querySelector('[data-dash-is-loading="true"], .dash-graph--pending')) {
      return false;
    }
    var graphs = document.querySelectorAll(".js-plotly-plot");
    for (var i = 0; i < graphs.length; i++) {
      if (!graphs[i].querySelector(".main-svg")) {
        return false;
      }
    }
    return true;
  }

  function mark(el) {
    var api = window.dash_clientside;
    if (!api || typeof api.set_props !== "function") {
      return false;
    }
    var id;
    try {
      id = JSON.parse(el.getAttribute(ATTR));
    } catch (e) {
      return true; /* not ours to fill */
    }
    api.set_props(id, { data: true });
    return true;
  }

  function watch(el) {
    var lazy = window.teamcarLazy;
    if (!watched || !lazy || typeof window.IntersectionObserver !== "function") {
      mark(el);
      return;
    }
    if (watched.has(el)) {
      return;
    }
    watched.add(el);
    var done = false;
    // false while Dash cannot set the store yet: the watch goes on
    function fill() {
      if (!done && mark(el)) {
        done = true;
      }
      return done;
    }
    var stop = lazy.whenNear(el, settled, fill, WAIT_MS);
    el.teamcarFill = function () {
      if (!done && fill()) {
        stop();
      }
    };
  }

  function scan() {
    var found = document.querySelectorAll("[" + ATTR + "]");
    for (var i = 0; i < found.length; i++) {
      watch(found[i]);
    }
  }

  // Dash renders pages after this script runs, and again on every navigation: look for new
  // panels after the DOM changes (at most once per animation frame).
  var queued = false;
  function queue() {
    if (!queued) {
      queued = true;
      window.requestAnimationFrame(function () {
        queued = false;
        scan();
      });
    }
  }
  function start() {
    scan();
    new window.MutationObserver(queue).observe(document.body, { childList: true, subtree: true });
  }
  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
  window.addEventListener("beforeprint", function () {
    var found = document.querySelectorAll("[" + ATTR + "]");
    for (var i = 0; i < found.length; i++) {
      if (found[i].teamcarFill) {
        found[i].teamcarFill();
      } else {
        mark(found[i]);
      }
    }
  });
})();
