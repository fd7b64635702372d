// carebook serve's live preview (added to pages only as `serve` sends them; never part of the built site).
// The page reloads when a newer build lands; a failed build shows its error here and the page stays as it was.
(function () {
  "use strict";
  var script = document.currentScript;
  var shown = script ? script.getAttribute("data-build") : null;
  var banner = null;

  function showError(text) {
    if (!banner) {
      banner = document.createElement("pre");
      banner.id = "carebook-build-error";
      banner.setAttribute("role", "alert");
      banner.style.cssText =
        "position:fixed;left:0;right:0;top:0;z-index:99999;margin:0;padding:0.6em 1em;" +
        "background:#fde8e8;color:#7a1010;border-bottom:2px solid #b42318;" +
        "font:13px/1.4 monospace;white-space:pre-wrap;max-height:40vh;overflow:auto";
      document.body.appendChild(banner);
    }
    banner.textContent = "The last build failed; this is the last good page.\n" + text;
  }

  function hideError() {
    if (banner) {
      banner.remove();
      banner = null;
    }
  }

  var events = new EventSource("/__carebook__/events");
  events.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (state.error) {
      showError(state.error);
    } else if (shown !== null && String(state.build) !== shown) {
      window.location.reload();
    } else {
      hideError();
    }
  };
})();
