/* Joined Up?: draw each chart from the Vega-Lite spec embedded in the page (vega is served
   from _static, so charts work offline) at the width of its column, give it its accessible name,
   show a mark's details on a tap as on hover, wire table filters, glossary previews, self-test
   answers and the link to the PDF edition, and mend two bits of generated markup that assistive
   technology misreads. */
(function () {
  "use strict";

  var ACTIONS = { export: true, source: false, compiled: false, editor: false };
  var MENU_LABEL = "Save this chart as an image";
  var RESIZE_DELAY_MS = 250;
  var DEFAULT_PLOT = 640; // charts.WIDTH: the theme's plot width when a chart sets none
  var MIN_PLOT = 90; // pixels: the narrowest a plot is drawn
  var NARROW = 560; // a column narrower than this gets the narrow layout (shorter labels, legends in columns)
  var NARROW_LABEL = 110; // pixels: the longest axis label in the narrow layout
  var LABEL_CHAR = 7; // pixels per character of a 12 px axis label, at most about
  var FLAT_GAP = 12; // pixels kept between two category names lying flat side by side
  var LABEL_GAP = 8; // pixels kept between two year or amount labels along an axis
  var PIPED = "split(datum.label, '|')"; // an author's multi-line axis label
  var LABEL_LINE = 14; // pixels per line of a wrapped axis label
  var MAX_LABEL_LINES = 4; // a longer category name is cut after its fourth line (its full name is in the data table)
  var LEGEND_COLUMN = 150; // pixels per legend column in the narrow layout
  var FIT_TRIES = 3;
  var FOOTER_CHAR = 6; // pixels per character of the 11 px source line under a chart
  var PDF_NAME = "joined-up.pdf"; // published into the site by `carebook pdf`
  var COARSE = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  var drawn = [];

  function copy(value) {
    return JSON.parse(JSON.stringify(value));
  }

  // Every plot width in a spec: the top level's, each part's (layers, concatenations, a facet's
  // inner chart) and the configured default. `shrink` takes pixels off each (shared among the
  // parts of a horizontal concatenation); bars of a fixed width become a share of their band.
  function narrow(spec, shrink, tight, width) {
    function walk(node, share) {
      if (!node || typeof node !== "object") return;
      if (typeof node.width === "number") node.width = Math.max(MIN_PLOT, node.width - share);
      if (node.mark && typeof node.mark === "object" && typeof node.mark.width === "number") {
        node.mark.width = { band: 0.7 };
      }
      ["layer", "vconcat", "concat"].forEach(function (key) {
        (node[key] || []).forEach(function (part) { walk(part, share); });
      });
      (node.hconcat || []).forEach(function (part) { walk(part, share / node.hconcat.length); });
      if (node.spec) walk(node.spec, share);
    }
    var out = copy(spec);
    walk(out, shrink);
    var config = (out.config = out.config || {});
    var view = (config.view = config.view || {});
    ["continuousWidth", "discreteWidth"].forEach(function (key) {
      view[key] = Math.max(MIN_PLOT, (typeof view[key] === "number" ? view[key] : DEFAULT_PLOT) - shrink);
    });
    if (width) {
      config.legend = Object.assign({}, config.legend, { columns: Math.max(1, Math.floor(width / LEGEND_COLUMN)) });
    }
    if (tight) {
      capLimits(out, NARROW_LABEL, tight - NARROW_LABEL);
      wrapSideLabels(out);
      rewrapTitle(out, Math.floor(tight / FOOTER_CHAR));
      config.axis = Object.assign({}, config.axis, { labelLimit: NARROW_LABEL });
      config.axisY = Object.assign({}, config.axisY, { labelLimit: NARROW_LABEL });
      // categories along the bottom slant rather than collide or drop out
      config.axisXDiscrete = Object.assign({}, config.axisXDiscrete, { labelAngle: -35, labelAlign: "right", labelLimit: 170 });
      config.legend = Object.assign({}, config.legend, {
        orient: "bottom",
        direction: "horizontal",
        labelLimit: tight - 40,
      });
      config.title = Object.assign({}, config.title, { limit: tight });
    }
    return out;
  }

  // In the narrow layout a long category name along the side wraps onto as many lines as its row has room for
  // (cut with "…" only beyond that), instead of being cut to one short line.
  function wrapSideLabels(spec) {
    var rows = datasetRows(spec);
    var view = (spec.config && spec.config.view) || {};
    (function walk(node, owner) {
      if (!node || typeof node !== "object") return;
      if (typeof node.height === "number" || (node.height && typeof node.height.step === "number")) owner = node;
      var height = owner ? owner.height : null;
      var y = node.encoding && node.encoding.y;
      // An author's "what|when" label (labelExpr splitting at "|") keeps its lines, each wrapped in turn.
      var piped = !!(y && y.axis && y.axis.labelExpr === PIPED);
      if (y && y.field && (y.type === "nominal" || y.type === "ordinal") && y.axis !== null && (piped || !(y.axis && y.axis.labelExpr))) {
        var cap = piped ? MAX_LABEL_LINES + 3 : MAX_LABEL_LINES; // what and when, each wrapped
        var linesOf = function (value, most) {
          var parts = piped ? value.split("|") : [value];
          var all = [];
          parts.forEach(function (part) { all = all.concat(wrapWords(part, chars, cap)); });
          if (all.length > most) {
            all = all.slice(0, most);
            all[most - 1] = all[most - 1].replace(/\s*\S*$/, "") + "…";
          }
          return all;
        };
        var values = [];
        rows.forEach(function (row) {
          var value = row[y.field];
          if (value != null && values.indexOf(String(value)) < 0) values.push(String(value));
        });
        var per = height && height.step ? height.step : typeof height === "number" ? height / (values.length || 1) : view.discreteHeight && view.discreteHeight.step || 20;
        var chars = Math.floor(NARROW_LABEL / LABEL_CHAR);
        var needed = Math.min(cap, Math.max.apply(null, values.map(function (value) {
          return linesOf(value, cap).length;
        }).concat([1])));
        var most = Math.floor(per / LABEL_LINE);
        if (most < needed && owner) { // rows tall enough for their names: a phone page scrolls down, not across
          per = needed * LABEL_LINE + 4;
          owner.height = typeof owner.height === "number" ? Math.ceil(per * values.length) : { step: per };
          most = needed;
        }
        if (most >= 2 && values.length) {
          var lines = {};
          values.forEach(function (value) { lines[value] = linesOf(value, most); });
          y.axis = Object.assign({}, y.axis, { labelExpr: "(" + JSON.stringify(lines) + ")[datum.value] || datum.label" });
        }
      }
      ["layer", "vconcat", "concat", "hconcat"].forEach(function (key) {
        (node[key] || []).forEach(function (part) { walk(part, owner); });
      });
      if (node.spec) walk(node.spec, owner);
    })(spec, null);
  }

  // `text` in lines of at most `chars` characters, at most `most` lines (the last ending "…" if cut short).
  function wrapWords(text, chars, most) {
    var lines = [];
    text.split(/\s+/).forEach(function (word) {
      var last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= chars) lines[last] += " " + word;
      else lines.push(word);
    });
    if (lines.length > most) {
      lines = lines.slice(0, most);
      lines[most - 1] = lines[most - 1].replace(/\s*\S*$/, "") + "…";
    }
    return lines;
  }

  // In the narrow layout no axis label is longer than `label` pixels and no text mark than `text`, unless
  // its author wrapped it (their full wording is in the tooltip and the data table).
  function capLimits(spec, label, text) {
    var rows = datasetRows(spec);
    (function walk(node, width) {
      if (!node || typeof node !== "object") return;
      if (typeof node.width === "number") width = node.width;
      if (node.axis && typeof node.axis === "object" && node.axis.labelLimit > label) node.axis.labelLimit = label;
      var x = node.encoding && node.encoding.x;
      if (x && x.axis && x.axis.labelAngle === 0 && (x.type === "nominal" || x.type === "ordinal")) {
        var band = flatBand(rows, x.field, width);
        if (band) Object.assign(x.axis, { labelLimit: band, labelAlign: "center" }); // flat, each in its band
        else delete x.axis.labelAngle; // the narrow layout's slant (config.axisXDiscrete) instead
      }
      if (node.mark && typeof node.mark === "object" && node.mark.type === "text" && !node.mark.lineBreak) {
        node.mark.limit = Math.max(80, text);
      }
      Object.keys(node).forEach(function (key) {
        if (key !== "datasets" && typeof node[key] === "object") walk(node[key], width);
      });
    })(spec, null);
  }

  // Every row of a spec's named datasets.
  function datasetRows(spec) {
    var rows = [];
    Object.keys(spec.datasets || {}).forEach(function (name) { rows = rows.concat(spec.datasets[name]); });
    return rows;
  }

  // The pixels each category along the bottom of a plot `width` wide may take, if every category's name fits
  // flat in its band with a gap to the next (else 0: the names slant).
  function flatBand(rows, field, width) {
    if (!field || typeof width !== "number") return 0;
    var names = [];
    rows.forEach(function (row) {
      var value = row[field];
      if (value != null && names.indexOf(String(value)) < 0) names.push(String(value));
    });
    if (!names.length) return 0;
    var band = Math.floor(width / names.length) - FLAT_GAP;
    var longest = Math.max.apply(null, names.map(function (name) { return name.length * LABEL_CHAR; }));
    return longest <= band ? band : 0;
  }

  // The source line beneath a chart, wrapped again to the narrow width, each source starting a line of its own
  // (a footer naming several sources reads as a list rather than a block).
  function rewrapTitle(spec, chars) {
    var title = spec.title;
    if (!title || typeof title !== "object" || !title.text) return;
    var text = Array.isArray(title.text) ? title.text : [String(title.text)];
    var lines = [];
    text.join(" ").split(/;\s+/).forEach(function (source, index, all) {
      var start = lines.length;
      (source + (index < all.length - 1 ? ";" : "")).split(/\s+/).forEach(function (word) {
        var last = lines.length - 1;
        if (last >= start && (lines[last] + " " + word).length <= chars) lines[last] += " " + word;
        else lines.push(word);
      });
    });
    title.text = lines;
  }

  // Years and amounts along an axis keep a gap between their labels at every width: where a label would come
  // closer than LABEL_GAP pixels to the one before, every other label is dropped (1950, 1960, ... rather
  // than 1950 1955 1960 ... set shoulder to shoulder).
  function spaced(spec) {
    var out = copy(spec);
    var config = (out.config = out.config || {});
    ["axisTemporal", "axisQuantitative"].forEach(function (key) {
      config[key] = Object.assign({ labelOverlap: "greedy", labelSeparation: LABEL_GAP }, config[key]);
    });
    return out;
  }

  // On a touch screen a finger on a chart scrolls the page: no dragging or zooming of scales there.
  function forTouch(spec) {
    var out = copy(spec);
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      if (Array.isArray(node.params)) {
        // bound scales would also clip the marks to the plot: the chart is drawn as a still picture
        node.params = node.params.filter(function (param) { return param.bind !== "scales"; });
        if (!node.params.length) delete node.params;
      }
      Object.keys(node).forEach(function (key) {
        if (key !== "datasets" && typeof node[key] === "object") walk(node[key]);
      });
    })(out);
    return out;
  }

  // The width the chart may take: its column's, less the room kept for vega-embed's menu button.
  function room(target) {
    var style = window.getComputedStyle(target);
    var column = target.parentNode.clientWidth;
    return Math.floor(column - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
  }

  // How wide the drawing is in its own pixels, everything drawn included (a legend can stick out).
  function drawnWidth(target) {
    var svg = target.querySelector("svg.marks");
    if (!svg) return 0;
    var own = +svg.getAttribute("width") || 0;
    var content = svg.querySelector(":scope > g");
    if (!content) return own;
    var box = svg.getBoundingClientRect();
    var scale = box.width / (own || box.width || 1);
    var right = (content.getBoundingClientRect().right - box.left) / (scale || 1);
    return Math.max(own, Math.ceil(right));
  }

  // A tap on a mark shows what pointing at it shows (vega-tooltip listens to the pointer only).
  function tapForDetails(view) {
    view.addEventListener("click", function (event, item) {
      var handler = view.tooltip();
      if (typeof handler !== "function") return;
      var value = item && item.tooltip != null ? item.tooltip : null;
      handler(view._handler, event, item, value);
    });
  }

  // A mark's details box (vega-tooltip's) never stays on screen past its moment: a tap elsewhere or a scroll
  // closes it (a swipe that starts on a mark would else leave it stuck), and on a wide screen it is kept
  // inside the window (on a phone the CSS makes it a sheet at the foot of the screen).
  function tipBox() {
    return document.getElementById("vg-tooltip-element");
  }

  function closeTip() {
    var box = tipBox();
    if (box) box.classList.remove("visible");
  }

  function keepTipInView() {
    var box = tipBox();
    if (!box || !box.classList.contains("visible") || window.matchMedia("(max-width: 600px)").matches) return;
    var rect = box.getBoundingClientRect();
    var width = document.documentElement.clientWidth;
    var height = document.documentElement.clientHeight;
    var left = Math.max(8, Math.min(rect.left, width - rect.width - 8));
    var top = Math.max(8, Math.min(rect.top, height - rect.height - 8));
    if (Math.abs(left - rect.left) > 0.5) box.style.left = left + "px";
    if (Math.abs(top - rect.top) > 0.5) box.style.top = top + "px";
  }

  function watchTips() {
    var box = tipBox();
    if (!box || box.carebookWatched) return;
    box.carebookWatched = true;
    new MutationObserver(keepTipInView).observe(box, { attributes: true, attributeFilter: ["style", "class"] });
  }

  window.addEventListener("scroll", closeTip, { passive: true });
  document.addEventListener(
    "pointerdown",
    function (event) {
      if (!(event.target.closest && event.target.closest(".carebook-vis svg.marks"))) closeTip();
    },
    true
  );

  function embed(chart, spec) {
    var options = {
      renderer: "svg",
      actions: ACTIONS,
      downloadFileName: chart.target.id,
      i18n: { CLICK_TO_VIEW_ACTIONS: MENU_LABEL },
    };
    if (chart.view) chart.view.finalize();
    return window.vegaEmbed(chart.target, spec, options).then(function (result) {
      chart.view = result.view;
      tapForDetails(result.view);
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

  // Draw the chart at its own width; if it is wider than its column, take the difference off its plot
  // widths and draw it again (a few times: axes and legends change with the width), so that it is
  // drawn at the column's width with its lettering at full size instead of scaled down.
  // A chart with a phone layout of its own (charts.figure's `narrow`) is drawn in that layout in a narrow column.
  function fit(chart) {
    var column = chart.target.parentNode.clientWidth;
    var tight = column < NARROW ? column : 0;
    var chosen = tight && chart.narrowSpec ? chart.narrowSpec : chart.spec;
    var base = spaced(COARSE ? forTouch(chosen) : chosen);
    var shrink = 0;
    chart.target.setAttribute("data-layout", chosen === chart.spec ? "wide" : "narrow");
    if (chart.tools) chart.tools.hidden = chosen !== chart.spec;
    function attempt(tries) {
      var spec = shrink || tight ? narrow(base, shrink, tight, column) : base;
      return embed(chart, spec).then(function () {
        var width = room(chart.target); // known once drawn: vega-embed's menu button may take a margin
        var over = drawnWidth(chart.target) - width;
        if (over > 1 && tries > 0) {
          shrink += over;
          return attempt(tries - 1);
        }
        chart.width = column;
        return null;
      });
    }
    return attempt(FIT_TRIES);
  }

  function zoomable(spec) {
    return JSON.stringify(spec).indexOf('"bind":"scales"') >= 0;
  }

  // Charts that can be dragged and zoomed get a button that puts them back as they were drawn.
  function addReset(chart) {
    if (COARSE || !zoomable(chart.spec)) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "carebook-reset";
    button.textContent = "Reset the view";
    button.addEventListener("click", function () {
      fit(chart).catch(failed(chart.target));
    });
    var hint = document.createElement("span");
    hint.className = "carebook-hint";
    hint.textContent = "Drag to move along the axis; hold Shift and scroll to zoom.";
    var bar = document.createElement("p");
    bar.className = "carebook-chart-tools";
    bar.appendChild(button);
    bar.appendChild(hint);
    bar.hidden = chart.target.getAttribute("data-layout") !== "wide"; // the phone layout is a still picture
    chart.tools = bar;
    chart.target.parentNode.insertBefore(bar, chart.target.nextSibling);
  }

  function draw(script) {
    var target = document.getElementById(script.getAttribute("data-for"));
    if (!target || target.getAttribute("data-drawn")) return;
    target.setAttribute("data-drawn", "yes");
    var phone = document.querySelector('script.carebook-spec-narrow[data-for="' + target.id + '"]');
    var chart = { target: target, spec: JSON.parse(script.textContent), width: 0, view: null, tools: null };
    chart.narrowSpec = phone ? JSON.parse(phone.textContent) : null;
    fit(chart)
      .then(function () {
        drawn.push(chart);
        addReset(chart);
        target.setAttribute("data-ready", "yes"); // drawn at its final width (tests wait for this)
      })
      .catch(failed(target));
  }

  function failed(target) {
    return function (error) {
      target.textContent = "This chart could not be drawn (" + error + "). The data are in the table below.";
      target.setAttribute("data-ready", "failed");
    };
  }

  function refit() {
    drawn.forEach(function (chart) {
      if (chart.target.parentNode.clientWidth !== chart.width) fit(chart).catch(failed(chart.target));
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

  // Glossary terms carry their definition (carebook/html.py puts it in the link's title): show it in a
  // small box on pointing and on keyboard focus, named as the link's description.
  var tip = null;
  function glossaryTip() {
    if (!tip) {
      tip = document.createElement("div");
      tip.id = "carebook-term-tip";
      tip.className = "carebook-term-tip";
      tip.setAttribute("role", "tooltip");
      tip.hidden = true;
      document.body.appendChild(tip);
    }
    return tip;
  }

  function showTerm(link) {
    var box = glossaryTip();
    box.textContent = link.getAttribute("data-definition");
    box.hidden = false;
    var at = link.getBoundingClientRect();
    var width = Math.min(320, document.documentElement.clientWidth - 16);
    box.style.maxWidth = width + "px";
    var left = Math.max(8, Math.min(at.left, document.documentElement.clientWidth - width - 8));
    box.style.left = left + window.scrollX + "px";
    box.style.top = at.bottom + window.scrollY + 6 + "px";
    link.setAttribute("aria-describedby", box.id);
  }

  function hideTerm(link) {
    if (tip) tip.hidden = true;
    link.carebookTapped = false;
    link.removeAttribute("aria-describedby");
  }

  function wireTerm(link) {
    var definition = link.getAttribute("title");
    if (!definition) return;
    link.setAttribute("data-definition", definition);
    link.removeAttribute("title"); // the box replaces the browser's own tooltip
    link.addEventListener("mouseenter", function () { showTerm(link); });
    link.addEventListener("mouseleave", function () { hideTerm(link); });
    link.addEventListener("focus", function () { showTerm(link); });
    link.addEventListener("blur", function () { hideTerm(link); });
    link.addEventListener("keydown", function (event) {
      if (event.key === "Escape") hideTerm(link);
    });
    // On a touch screen the first tap shows the definition, as a tap on a figure shows its card; a second
    // tap follows the link to the glossary.
    link.addEventListener("pointerdown", function (event) {
      link.carebookTouch = event.pointerType === "touch";
    });
    link.addEventListener("click", function (event) {
      if (!link.carebookTouch || link.carebookTapped) return;
      event.preventDefault();
      link.carebookTapped = true;
      showTerm(link);
    });
  }

  // "Check your understanding": each question gets a box for the reader's own answer; opening the
  // model answer then says what to compare. Nothing is sent anywhere.
  function wireQuiz(section, index) {
    section.querySelectorAll("details.sd-dropdown").forEach(function (details, n) {
      var question = details.previousElementSibling;
      if (!question || question.tagName !== "P") return;
      var id = "carebook-answer-" + index + "-" + n;
      var label = document.createElement("label");
      label.className = "carebook-quiz-label";
      label.setAttribute("for", id);
      label.textContent = "Your answer (for you alone: it is not saved or sent)";
      var box = document.createElement("textarea");
      box.id = id;
      box.className = "carebook-quiz-answer";
      box.rows = 2;
      var feedback = document.createElement("p");
      feedback.className = "carebook-quiz-feedback";
      feedback.setAttribute("role", "status");
      details.parentNode.insertBefore(label, details);
      details.parentNode.insertBefore(box, details);
      details.parentNode.insertBefore(feedback, details);
      var summary = details.querySelector("summary");
      if (summary && summary.firstChild) summary.setAttribute("aria-label", "Show the model answer");
      details.addEventListener("toggle", function () {
        if (!details.open) {
          feedback.textContent = "";
          return;
        }
        feedback.textContent = box.value.trim()
          ? "Compare your answer with the model answer below: does it make the same points?"
          : "Try writing an answer first; the model answer is below.";
      });
    });
  }

  // The other editions (PDF, EPUB): linked from every page once `carebook pdf` or `carebook epub` has
  // published them into the site (it then lists the file and its link in _static/carebook-editions.js).
  function linkEditions() {
    var script = document.querySelector('script[src*="carebook.js"]');
    var base = script ? script.getAttribute("src").replace(/_static\/carebook\.js.*$/, "") : "";
    var article = document.querySelector(".bd-article") || document.querySelector("main");
    if (!article) return;
    var editions = window.carebookEditions || {};
    Object.keys(editions).sort().forEach(function (name) {
      var edition = editions[name];
      var p = document.createElement("p");
      p.className = "carebook-" + name;
      var a = document.createElement("a");
      a.href = base + edition.file;
      a.textContent = edition.link;
      p.appendChild(a);
      article.insertBefore(p, article.firstChild);
    });
  }

  // A table wider than its column scrolls in its own box: keyboard users reach it by Tab (and scroll it with
  // the arrow keys), and screen readers hear it named by the heading above it.
  function focusableScrollers() {
    document.querySelectorAll(".bd-article table, .bd-article .table-wrapper, .carebook-data, .carebook-filterable").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 && window.getComputedStyle(box).overflowX !== "visible";
      if (!scrolls) {
        if (box.getAttribute("data-carebook-scroller")) {
          box.removeAttribute("tabindex");
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
          box.removeAttribute("data-carebook-scroller");
        }
        return;
      }
      if (box.hasAttribute("tabindex")) return;
      var section = box.closest("section");
      var heading = section ? section.querySelector("h1, h2, h3, h4") : null;
      var caption = box.querySelector("caption");
      var name = (caption || heading || {}).textContent || "Table";
      box.setAttribute("tabindex", "0");
      if (box.tagName !== "TABLE") box.setAttribute("role", "region"); // a table keeps its own role
      box.setAttribute("aria-label", name.replace(/[#¶]/g, "").trim() + " (scrolls sideways)");
      box.setAttribute("data-carebook-scroller", "yes");
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    window.setTimeout(focusableScrollers, RESIZE_DELAY_MS);
    window.clearTimeout(pending);
    pending = window.setTimeout(refit, RESIZE_DELAY_MS);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script.carebook-spec").forEach(draw);
    document.querySelectorAll("input.carebook-filter").forEach(wireFilter);
    document.querySelectorAll('.citation-list[role="list"]').forEach(mendCitationList);
    document.querySelectorAll("a.carebook-term[title]").forEach(wireTerm);
    document.querySelectorAll("section#check-your-understanding").forEach(wireQuiz);
    linkEditions();
    focusableScrollers();
    new MutationObserver(watchTips).observe(document.body, { childList: true }); // vega-tooltip adds its box on first use
  });
})();
