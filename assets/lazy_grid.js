/* Team Car: an AG Grid is built when it comes near the screen, not before (assets/lazy.js).
 *
 * Building a grid is the heaviest thing a page does in the browser: on the Review (four grids)
 * dash-ag-grid took 0.9 s of the main thread's 2.7 s before the page was usable, most of it for
 * grids below the fold. Until then a grid is an empty framed box of its size, so nothing on the
 * page moves. Asking for a grid's API (getApiAsync) builds it.
 */
(function () {
  "use strict";
  var lazy = window.teamcarLazy;
  if (!lazy) {
    return;
  }
  lazy.wrap("dash_ag_grid", "AgGrid", {
    placeholder: function (props) {
      return {
        id: lazy.domId(props.id),
        className: ["teamcar-grid-pending", props.className].filter(Boolean).join(" "),
        style: props.style,
        "data-grid-pending": "true",
      };
    },
    ready: function (wrapped, lib) {
      wrapped.getApiAsync = function (id) {
        lazy.build(lazy.idKey(id));
        return lib.getApiAsync.apply(this, arguments);
      };
    },
  });
})();
