/* Team Car: a Plotly graph is drawn when it comes near the screen, not before (assets/lazy.js).
 *
 * Drawing is most of a page's work in the browser: the Rider has seven graphs and shows two on
 * a laptop's first screen. Until a graph comes near, it is an empty box of the figure's height
 * (the figure, its data and its callbacks are already there), so nothing on the page moves.
 */
(function () {
  "use strict";
  var lazy = window.teamcarLazy;
  if (!lazy) {
    return;
  }
  // Plotly's own default when a figure does not set its height.
  var PLOTLY_HEIGHT = 450;

  function height(props) {
    var layout = props.figure && props.figure.layout;
    if (layout && typeof layout.height === "number") {
      return layout.height + "px";
    }
    return PLOTLY_HEIGHT + "px";
  }

  lazy.wrap("dash_core_components", "Graph", {
    placeholder: function (props) {
      var style = Object.assign({}, props.style || {});
      if (style.height === undefined) {
        style.height = height(props);
      }
      return {
        id: lazy.domId(props.id),
        className: ["dash-graph", "teamcar-graph-pending", props.className]
          .filter(Boolean)
          .join(" "),
        style: style,
        "data-graph-pending": "true",
      };
    },
  });
})();
