/* Joined Up?: draw each chart from the Vega-Lite spec embedded in the page (vega is served
   from _static, so charts work offline), give it its accessible name, wire table filters, and
   mend two bits of generated markup that assistive technology misreads. */
(function () {
  "use strict";

  var ACTIONS = { export: true, source: false, compiled: false, editor: false };
  var MENU_LABEL = "Save this chart as an image";

  function draw(script) {
    var target = document.getElementById(script.getAttribute("data-for"));
    if (!target || target.getAttribute("data-drawn")) return;
    target.setAttribute("data-drawn", "yes");
    var spec = JSON.parse(script.textContent);
    window.vegaEmbed(target, spec, {
      renderer: "svg",
      actions: ACTIONS,
      downloadFileName: target.id,
      i18n: { CLICK_TO_VIEW_ACTIONS: MENU_LABEL },
    })
      .then(function () {
        var svg = target.querySelector("svg");
        if (svg) {
          // One name for the whole picture; the marks' details are in the data table beneath.
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", target.getAttribute("data-alt"));
          svg.removeAttribute("aria-roledescription");
        }
        // vega-embed's menu button is an icon with a title only: give it an accessible name.
        var summary = target.querySelector(":scope > details > summary");
        if (summary) summary.setAttribute("aria-label", MENU_LABEL);
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

  // docutils marks bibliography entries role="doc-biblioentry" inside role="list"; that role is
  // deprecated and is not a list item, so screen readers announce an empty list.
  function mendCitationList(list) {
    Array.prototype.forEach.call(list.children, function (entry) {
      if (entry.getAttribute("role") === "doc-biblioentry") entry.setAttribute("role", "listitem");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script.carebook-spec").forEach(draw);
    document.querySelectorAll("input.carebook-filter").forEach(wireFilter);
    document.querySelectorAll('.citation-list[role="list"]').forEach(mendCitationList);
  });
})();
