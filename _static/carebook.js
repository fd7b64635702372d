/* Joined Up?: draw each chart from the Vega-Lite spec embedded in the page (vega is served
   from _static, so charts work offline), give it its accessible name, wire table filters, and
   mend two bits of generated markup that assistive technology misreads. */
(function () {
  "use strict";

  var ACTIONS = { export: true, source: false, compiled: false, editor: false };
  var MENU_LABEL = "Save this chart as an image";
  var RESIZE_DELAY_MS = 250;
  var DEFAULT_PLOT = 640; // charts.WIDTH: the theme's plot width when a chart sets none
  var MIN_PLOT = 240; // pixels
  // Each drawn chart: {target, spec, natural: its own width in pixels, width: the width it is drawn at
  // (0: its own), unfit: true once fitting it to the column has failed}.
  var drawn = [];

  // A single or layered chart wider than its column is drawn to the column's width, the plot
  // narrowing while its labels keep their size, rather than the whole picture shrinking. Facets
  // and concatenations cannot be fitted (Vega-Lite draws them 0 pixels wide): CSS scales them.
  var UNFITTABLE = ["facet", "repeat", "concat", "hconcat", "vconcat"];

  function fittable(spec) {
    var encoding = spec.encoding || {};
    return (
      UNFITTABLE.every(function (key) { return !(key in spec); }) &&
      !encoding.row && !encoding.column && !encoding.facet &&
      (spec.width === undefined || typeof spec.width === "number")
    );
  }

  function fitTo(width) {
    return function (vg) {
      if (typeof vg.width !== "number" || vg.layout) return vg; // compiled to a layout after all
      vg.autosize = { type: "fit-x", contains: "padding" };
      vg.width = width;
      return vg;
    };
  }

  // The width the chart may take: its column's, less the room kept for vega-embed's menu button.
  function room(target) {
    var style = window.getComputedStyle(target);
    var column = target.parentNode.clientWidth;
    return Math.floor(column - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
  }

  function embed(chart, width) {
    var options = {
      renderer: "svg",
      actions: ACTIONS,
      downloadFileName: chart.target.id,
      i18n: { CLICK_TO_VIEW_ACTIONS: MENU_LABEL },
    };
    if (width) options.patch = fitTo(width);
    chart.width = width;
    return window.vegaEmbed(chart.target, chart.spec, options).then(function (result) {
      var svg = chart.target.querySelector("svg.marks");
      if (svg) {
        // One name for the whole picture; the marks' details are in the data table beneath.
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", chart.target.getAttribute("data-alt"));
        svg.removeAttribute("aria-roledescription");
      }
      // vega-embed's menu button is an icon with a title only: give it an accessible name.
      var summary = chart.target.querySelector(":scope > details > summary");
      if (summary) summary.setAttribute("aria-label", MENU_LABEL);
      return result;
    });
  }

  // How far (in the chart's own pixels) something drawn runs past its right edge: a bottom legend
  // starts under the plot, so narrowing the plot does not pull it in.
  function overflow(target) {
    var svg = target.querySelector("svg.marks");
    var content = svg && svg.querySelector(":scope > g");
    if (!content) return 0;
    var box = svg.getBoundingClientRect();
    var scale = box.width / (+svg.getAttribute("width") || box.width);
    return (content.getBoundingClientRect().right - box.right) / scale;
  }

  // The width to draw at: 0 for the chart's own, or the column's when that is narrower, but never
  // so narrow that the plot (the chart less its axes and legend) falls below MIN_PLOT: on a phone
  // the chart is then drawn a little wider than the screen and scaled down to it.
  function wanted(chart) {
    if (chart.unfit || !fittable(chart.spec)) return 0;
    var plot = typeof chart.spec.width === "number" ? chart.spec.width : DEFAULT_PLOT;
    var width = Math.max(room(chart.target), chart.natural - plot + Math.min(plot, MIN_PLOT));
    return chart.natural > width ? width : 0;
  }

  function draw(script) {
    var target = document.getElementById(script.getAttribute("data-for"));
    if (!target || target.getAttribute("data-drawn")) return;
    target.setAttribute("data-drawn", "yes");
    var chart = { target: target, spec: JSON.parse(script.textContent), natural: 0, width: 0 };
    embed(chart, 0)
      .then(function () {
        var svg = target.querySelector("svg.marks");
        chart.natural = svg ? +svg.getAttribute("width") : 0;
        drawn.push(chart);
        return fit(chart);
      })
      .then(function () {
        target.setAttribute("data-ready", "yes"); // drawn at its final width (tests wait for this)
      })
      .catch(failed(target));
  }

  function failed(target) {
    return function (error) {
      target.textContent = "This chart could not be drawn (" + error + "). The data are in the table below.";
    };
  }

  // Draw the chart at the width wanted; if its legend then sticks out, widen it by that much (CSS
  // scales it down a little), and if that does not do, draw it at its own width.
  function fit(chart) {
    var width = wanted(chart);
    if (width === chart.width) return null;
    function settle(tries) {
      var over = Math.ceil(overflow(chart.target));
      if (!chart.width || over <= 1) return null;
      if (tries > 0 && chart.width + over < chart.natural) {
        return embed(chart, chart.width + over).then(function () {
          return settle(tries - 1);
        });
      }
      chart.unfit = true;
      return embed(chart, 0);
    }
    return embed(chart, width).then(function () {
      return settle(1);
    });
  }

  function refit() {
    drawn.forEach(function (chart) {
      var done = fit(chart);
      if (done) done.catch(failed(chart.target));
    });
  }

  function wireFilter(input) {
    var table = input.closest(".carebook-filterable").querySelector("table");
    input.addEventListener("input", function () {
      var query = input.value.toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (row) {
        row.hidden = query !== "" && row.textContent.toLowerCase().indexOf(query) < 0;
      });
    });
  }

  // docutils marks bibliography entries role="doc-biblioentry" inside role="list"; that role is
  // deprecated and is not a list item, so screen readers announce an empty list.
  function mendCitationList(list) {
    Array.prototype.forEach.call(list.children, function (entry) {
      if (entry.getAttribute("role") === "doc-biblioentry") entry.setAttribute("role", "listitem");
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(refit, RESIZE_DELAY_MS);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script.carebook-spec").forEach(draw);
    document.querySelectorAll("input.carebook-filter").forEach(wireFilter);
    document.querySelectorAll('.citation-list[role="list"]').forEach(mendCitationList);
  });
})();
