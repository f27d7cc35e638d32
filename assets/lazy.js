/* Team Car: build a heavy component when it comes near the screen, not before.
 *
 * window.teamcarLazy.wrap(namespace, name, options) replaces a component of a Dash component
 * library (window[namespace][name]) with a wrapper that renders an empty box of the same size
 * until the box is on screen or within AHEAD pixels below it, then renders the real component
 * with every prop it has by then. Dash is not affected: the component's id, props and callbacks
 * are the same (callbacks update props whether or not it is built yet), so a component scrolled
 * to shows its latest state at once. Used for AG Grids (lazy_grid.js) and Plotly graphs
 * (lazy_graph.js). window.teamcarLazy.whenNear(el, settled, then, waitMs) is the deciding part
 * alone, for anything else filled as it comes near: the Course's calls panel (lazy_panel.js).
 *
 * When: a box inside the screen when it first appears is built at once (what a manager sees
 * first is never held back). A box below the screen is decided once the page's callbacks have
 * answered: before that, sections above it have not their final height and everything looks
 * near. Something inside a hidden element (a closed panel) is built when it is shown. Printing
 * builds everything; where IntersectionObserver is missing, everything is built at once.
 *
 * options.placeholder(props) -> the box's own props besides ref (id, className, style, and a
 * data-*-pending attribute that bench/_browser.SETTLED counts: a box on screen and not built yet
 * is not a usable page). A component whose className holds "build-now" (a page's main chart,
 * which a manager opens the page for even when it starts below the fold) is built at once.
 */
(function () {
  "use strict";
  if (window.teamcarLazy) {
    return;
  }
  // A box this close below the screen is built too (the next scroll shows it ready).
  var AHEAD = 300;
  // How often a decision held back by a page not settled yet is tried again.
  var POLL_MS = 60;
  // Builders of the boxes not built yet, by key: printing builds them all.
  var waiting = {};
  var serial = 0;
  var NOW = /(^|\s)build-now(\s|$)/;

  function settled() {
    return !document.querySelector('[data-dash-is-loading="true"]');
  }

  function viewportHeight() {
    return window.innerHeight || document.documentElement.clientHeight;
  }

  function near(el) {
    var box = el.getBoundingClientRect();
    return box.bottom > 0 && box.top < viewportHeight() + AHEAD && box.width > 0;
  }

  function onScreen(el) {
    var box = el.getBoundingClientRect();
    return box.bottom > 0 && box.top < viewportHeight() && box.width > 0;
  }

  // Calls then() once el is near the screen, decided only when isSettled() says the page has its
  // final geometry (before that, sections above el may not have their height and everything
  // looks near). waitMs, when given, is how long isSettled() may hold the decision back; after
  // that el's geometry decides as it is. then() returning false (it could not act yet) keeps the
  // watch; an element taken out of the page ends it. Where IntersectionObserver is missing,
  // then() is called at once. Returns a function that ends the watch.
  function whenNear(el, isSettled, then, waitMs) {
    if (typeof window.IntersectionObserver !== "function") {
      then();
      return function () {};
    }
    var limit = waitMs === undefined ? Infinity : waitMs;
    var waited = 0;
    var timer = null;
    var stopped = false;
    function stop() {
      stopped = true;
      seen.disconnect();
      if (timer !== null) {
        window.clearTimeout(timer);
        timer = null;
      }
    }
    function decide() {
      timer = null;
      if (stopped || !document.body.contains(el)) {
        stop();
      } else if (!isSettled() && waited < limit) {
        waited += POLL_MS;
        timer = window.setTimeout(decide, POLL_MS);
      } else if (near(el) && then() !== false) {
        stop();
      }
    }
    var seen = new window.IntersectionObserver(
      function (entries) {
        if (entries[entries.length - 1].isIntersecting && timer === null && !stopped) {
          decide();
        }
      },
      { rootMargin: "0px 0px " + AHEAD + "px 0px" }
    );
    seen.observe(el);
    return stop;
  }

  // Dash's string form of an id (a pattern-matching id's keys sorted).
  function idKey(id) {
    if (id && typeof id === "object") {
      return (
        "{" +
        Object.keys(id)
          .sort()
          .map(function (k) {
            return JSON.stringify(k) + ":" + JSON.stringify(id[k]);
          })
          .join(",") +
        "}"
      );
    }
    return String(id);
  }

  // The DOM id Dash gives a component (a pattern-matching id as its string form).
  function domId(id) {
    return id && typeof id === "object" ? idKey(id) : id;
  }

  function build(key) {
    var go = waiting[key];
    if (go) {
      go();
    }
  }

  // Some libraries load after these assets (Dash 4 loads dash_core_components after the
  // renderer): their namespace is wrapped as the library assigns it, before Dash renders.
  function whenDefined(namespace, then) {
    if (window[namespace]) {
      then(window[namespace]);
      return;
    }
    var value;
    Object.defineProperty(window, namespace, {
      configurable: true,
      enumerable: true,
      get: function () {
        return value;
      },
      set: function (lib) {
        Object.defineProperty(window, namespace, {
          configurable: true,
          enumerable: true,
          writable: true,
          value: lib,
        });
        then(lib);
      },
    });
  }

  // options.ready(wrapped namespace), when given, is called once the wrapper is in place.
  function wrap(namespace, name, options) {
    whenDefined(namespace, function (lib) {
      var wrapped = wrapNow(namespace, lib, name, options);
      if (wrapped && options.ready) {
        options.ready(wrapped, lib);
      }
    });
  }

  function wrapNow(namespace, lib, name, options) {
    var React = window.React;
    if (!lib || !lib[name] || !React || lib[name].teamcarLazy) {
      return null;
    }
    var Real = lib[name];

    function Lazy(props) {
      if (NOW.test(props.className || "")) {
        return React.createElement(Real, props);
      }
      return React.createElement(Deferred, props);
    }

    function Deferred(props) {
      var box = React.useRef(null);
      var state = React.useState(typeof window.IntersectionObserver !== "function");
      var shown = state[0];
      var show = state[1];
      var own = React.useRef(null);
      if (own.current === null) {
        own.current = "#" + serial++;
      }
      var key = props.id === undefined ? own.current : idKey(props.id);
      // Inside the screen as it first appears: built before the browser paints the empty box.
      React.useLayoutEffect(function () {
        if (!shown && box.current && onScreen(box.current)) {
          show(true);
        }
      }, []);
      React.useEffect(
        function () {
          var el = box.current;
          if (shown || !el) {
            return undefined;
          }
          function showReal() {
            show(true);
          }
          waiting[key] = showReal;
          var stop = whenNear(el, settled, showReal);
          return function () {
            stop();
            delete waiting[key];
          };
        },
        [shown, key]
      );
      if (shown) {
        return React.createElement(Real, props);
      }
      var empty = options.placeholder(props);
      empty.ref = box;
      return React.createElement("div", empty);
    }

    // Whatever Dash reads from the component itself (defaults, prop types, lazy-ready flags).
    Object.getOwnPropertyNames(Real).forEach(function (prop) {
      if (["length", "name", "prototype", "caller", "arguments"].indexOf(prop) >= 0) {
        return;
      }
      try {
        Lazy[prop] = Real[prop];
      } catch (e) {
        /* a read-only property: Dash does not need it */
      }
    });
    Lazy.teamcarLazy = true;
    // A library's exports are read-only getters: its namespace is replaced by a plain copy
    // holding the wrapper (every other export is the library's own).
    var copy = {};
    Object.keys(lib).forEach(function (k) {
      copy[k] = lib[k];
    });
    copy[name] = Lazy;
    window[namespace] = copy;
    return copy;
  }

  window.teamcarLazy = {
    wrap: wrap,
    build: build,
    idKey: idKey,
    domId: domId,
    settled: settled,
    near: near,
    whenNear: whenNear,
  };
  // A printed page holds everything.
  window.addEventListener("beforeprint", function () {
    Object.keys(waiting).forEach(build);
  });
})();
