/* Glued figures' provenance cards (carebook/figurelinks.py). On a wide screen a card shows beside its
   figure on hover and focus (CSS) and is kept inside the window: below the figure, or above it when the
   window has no room below, scrolling within itself when it is taller than the room on either side (never
   under the sticky top bar). On a phone the first tap on a figure opens its card as a sheet at the foot of
   the screen (a second tap follows the link); the sheet is moved to the end of the page while open, so no
   transformed ancestor (a home-page card) can trap it. Escape, or a tap elsewhere, closes it. */
(function () {
  "use strict";
  var lastPointer = "mouse";
  var phone = window.matchMedia("(max-width: 600px)");
  var MIN_CARD = 96; // pixels: the least height a card is given beside a figure (it scrolls within it)

  function wrapOf(el) {
    return el && el.closest ? el.closest(".carebook-fig-wrap") : null;
  }

  function cardOf(wrap) {
    return wrap.carebookCard || (wrap.carebookCard = wrap.querySelector(".carebook-card"));
  }

  function placeBeside(wrap) {
    var card = cardOf(wrap);
    if (!card || phone.matches) return;
    card.style.left = "0px";
    var box = card.getBoundingClientRect();
    var room = document.documentElement.clientWidth - 8;
    var shift = 0;
    if (box.right > room) shift = room - box.right;
    if (box.left + shift < 8) shift = 8 - box.left;
    card.style.left = shift + "px";
    // below its figure when there is room in the window, else above it when it fits there or there is more
    // room there; a card taller than the room on its side scrolls within it (a figure computed from many rows)
    card.classList.remove("is-above");
    card.style.maxHeight = "";
    box = card.getBoundingClientRect();
    var figure = wrap.getBoundingClientRect();
    var below = document.documentElement.clientHeight - figure.bottom - 8;
    var above = figure.top - barBottom() - 8;
    var up = box.height > below && (box.height <= above || above > below);
    if (up) card.classList.add("is-above");
    var room = Math.floor(up ? above : below);
    if (box.height > room) card.style.maxHeight = Math.max(room, MIN_CARD) + "px";
  }

  // Where the window's top bar (the theme's sticky article header, drawn over the page) ends, in pixels.
  function barBottom() {
    var bar = document.querySelector(".bd-header-article");
    if (!bar || !bar.getClientRects().length) return 0;
    var box = bar.getBoundingClientRect();
    return box.top <= 1 && box.bottom > 0 ? box.bottom : 0;
  }

  function open(wrap) {
    closeAll(wrap);
    wrap.classList.remove("is-dismissed");
    wrap.classList.add("is-open");
    var card = cardOf(wrap);
    if (phone.matches && card) {
      var view = window.visualViewport;
      card.classList.add("is-sheet");
      card.style.left = (view ? view.offsetLeft : 0) + 8 + "px";
      card.style.width = (view ? view.width : document.documentElement.clientWidth) - 16 + "px";
      document.body.appendChild(card);
    } else {
      placeBeside(wrap);
    }
  }

  function close(wrap) {
    wrap.classList.remove("is-open");
    var card = cardOf(wrap);
    if (card && card.classList.contains("is-sheet")) {
      card.classList.remove("is-sheet");
      card.style.left = "";
      card.style.width = "";
      wrap.appendChild(card);
    }
  }

  function closeAll(except) {
    document.querySelectorAll(".carebook-fig-wrap.is-open").forEach(function (wrap) {
      if (wrap !== except) close(wrap);
    });
  }

  document.addEventListener(
    "pointerdown",
    function (event) {
      lastPointer = event.pointerType || "mouse";
      var inside = event.target.closest && event.target.closest(".carebook-fig-wrap, .carebook-card");
      if (!inside) closeAll(null);
    },
    true
  );

  document.addEventListener("click", function (event) {
    var fig = event.target.closest ? event.target.closest(".carebook-fig") : null;
    if (!fig) return;
    var wrap = wrapOf(fig);
    if (lastPointer === "touch" && !wrap.classList.contains("is-open")) {
      event.preventDefault(); // the first tap shows the card; a second follows the link
      open(wrap);
    }
  });

  document.addEventListener("focusin", function (event) {
    var wrap = wrapOf(event.target);
    if (!wrap) return;
    if (phone.matches) {
      if (lastPointer !== "touch") open(wrap); // a tap opens it on click, below
    } else {
      wrap.classList.remove("is-dismissed");
      placeBeside(wrap);
    }
  });
  document.addEventListener("mouseover", function (event) {
    var wrap = wrapOf(event.target);
    if (wrap && !phone.matches) {
      wrap.classList.remove("is-dismissed");
      placeBeside(wrap);
    }
  });
  document.addEventListener("focusout", function (event) {
    var wrap = wrapOf(event.target);
    if (wrap && !wrap.contains(event.relatedTarget) && lastPointer !== "touch") close(wrap);
  });

  document.addEventListener("keydown", function (event) {
    lastPointer = "keyboard";
    if (event.key !== "Escape") return;
    document.querySelectorAll(".carebook-fig-wrap").forEach(function (wrap) {
      if (wrap.classList.contains("is-open") || wrap.matches(":hover") || wrap.contains(document.activeElement)) {
        close(wrap);
        wrap.classList.add("is-dismissed");
      }
    });
  });
})();
