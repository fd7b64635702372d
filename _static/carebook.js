/* Joined Up?: draw each chart from the Vega-Lite spec embedded in the page (vega is served
   from _static, so charts work offline), give it its accessible name, and wire table filters. */
(function () {
  "use strict";

  var ACTIONS = { export: true, source: false, compiled: false, editor: false };

  function draw(script) {
    var target = document.getElementById(script.getAttribute("data-for"));
    if (!target || target.getAttribute("data-drawn")) return;
    target.setAttribute("data-drawn", "yes");
    var spec = JSON.parse(script.textContent);
    window.vegaEmbed(target, spec, { renderer: "svg", actions: ACTIONS, downloadFileName: target.id })
      .then(function () {
        var svg = target.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", target.getAttribute("data-alt"));
        }
      })
      .catch(function (error) {
        target.textContent = "This chart could not be drawn (" + error + "). The data are in the table below.";
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

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script.carebook-spec").forEach(draw);
    document.querySelectorAll("input.carebook-filter").forEach(wireFilter);
  });
})();
