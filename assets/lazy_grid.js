/* Team Car: an AG Grid is built when it comes near the screen, not before.
 *
 * Building a grid is the heaviest thing a page does in the browser: on the Review (four grids)
 * dash-ag-grid took 0.9 s of the main thread's 2.7 s before the page was usable, most of it for
 * grids below the fold. This wraps dash-ag-grid's component: until its box comes on screen
 * (or within AHEAD pixels below it), the grid is an empty box of the same size, so nothing on the
 * page moves; then the real grid is built with every prop it has by then. Whether a grid is on
 * screen is decided once the page's callbacks have answered (before that, the sections above it
 * have not their final height and every grid looks near). Dash is not affected: the component,
 * its props and its callbacks are the same (callbacks fill rowData whether or not the grid is
 * built yet), so a grid scrolled to shows its rows at once. A grid inside something hidden (a
 * closed panel) is built when it is shown; asking for a grid's API (getApiAsync) builds it;
 * printing builds them all. Where IntersectionObserver is missing, every grid is built at once.
 */
(function () {
  "use strict";
  var lib = window.dash_ag_grid;
  var React = window.React;
  if (!lib || !lib.AgGrid || !React || lib.AgGrid.teamcarLazy) {
    return;
  }
  var Real = lib.AgGrid;
  // A grid this close below the screen is built too (the next scroll shows it ready).
  var AHEAD = 300;

  function settled() {
    return !document.querySelector('[data-dash-is-loading="true"]');
  }

  function near(el) {
    var box = el.getBoundingClientRect();
    var height = window.innerHeight || document.documentElement.clientHeight;
    return box.bottom > 0 && box.top < height + AHEAD && box.width > 0;
  }

  // Dash's string form of an id (a pattern-matching id's keys sorted), as the grid library
  // keys its APIs.
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

  // Grids not built yet, by id: asking for a grid's API (getApiAsync) builds it.
  var waiting = {};

  function LazyAgGrid(props) {
    var box = React.useRef(null);
    var state = React.useState(typeof window.IntersectionObserver !== "function");
    var shown = state[0];
    var show = state[1];
    var key = idKey(props.id);
    React.useEffect(
      function () {
        var el = box.current;
        if (shown || !el) {
          return undefined;
        }
        waiting[key] = function () {
          show(true);
        };
        var timer = null;
        // While callbacks are still filling the page, sections above the grid have not their
        // final height yet and every grid looks near: decide once the page has settled.
        function decide() {
          timer = null;
          if (!settled()) {
            timer = window.setTimeout(decide, 60);
          } else if (near(el)) {
            seen.disconnect();
            show(true);
          }
        }
        var seen = new window.IntersectionObserver(
          function (entries) {
            if (entries[entries.length - 1].isIntersecting && timer === null) {
              decide();
            }
          },
          { rootMargin: "0px 0px " + AHEAD + "px 0px" }
        );
        seen.observe(el);
        return function () {
          seen.disconnect();
          delete waiting[key];
          if (timer !== null) {
            window.clearTimeout(timer);
          }
        };
      },
      [shown, key]
    );
    if (shown) {
      return React.createElement(Real, props);
    }
    return React.createElement("div", {
      ref: box,
      id: props.id,
      className: ["teamcar-grid-pending", props.className].filter(Boolean).join(" "),
      style: props.style,
      "data-grid-pending": "true",
    });
  }

  // Whatever Dash reads from the component itself (defaults, persistence, render type...).
  Object.getOwnPropertyNames(Real).forEach(function (name) {
    if (name === "length" || name === "name" || name === "prototype" || name === "caller" || name === "arguments") {
      return;
    }
    try {
      LazyAgGrid[name] = Real[name];
    } catch (e) {
      /* a read-only property: Dash does not need it */
    }
  });
  LazyAgGrid.teamcarLazy = true;
  // The library's exports are read-only getters: the namespace is replaced by a plain copy whose
  // AgGrid is the wrapper (getApi and the rest are the library's own functions).
  var wrapped = {};
  Object.keys(lib).forEach(function (name) {
    wrapped[name] = lib[name];
  });
  wrapped.AgGrid = LazyAgGrid;
  wrapped.getApiAsync = function (id) {
    var build = waiting[idKey(id)];
    if (build) {
      build();
    }
    return lib.getApiAsync.apply(this, arguments);
  };
  window.dash_ag_grid = wrapped;
  // A printed page holds every grid.
  window.addEventListener("beforeprint", function () {
    Object.keys(waiting).forEach(function (key) {
      waiting[key]();
    });
  });
})();
