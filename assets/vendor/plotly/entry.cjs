// Team Car's plotly.js: the core (scatter) and the trace types the figure builders draw.
// Built by `make plotly-bundle` (esbuild, an IIFE that sets window.Plotly); see README.md.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
  require('plotly.js/lib/bar'),
  require('plotly.js/lib/waterfall'),
  require('plotly.js/lib/scattergl'),
]);
module.exports = Plotly;
