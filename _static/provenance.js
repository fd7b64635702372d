/* Glued figures' provenance cards: shown on hover and focus (CSS), opened by a tap on touch screens (a
   second tap follows the link), closed by Escape or a tap elsewhere, and kept inside the window. */
(function () {
  "use strict";
  var lastPointer = "mouse";

  function wrapOf(el) {
    return el && el.closest ? el.closest(".carebook-fig-wrap") : null;
  }

  function place(wrap) {
    var card = wrap.querySelector(".carebook-card");
    if (!card || window.matchMedia("(max-width: 600px)").matches) return;
    card.style.left = "0px";
    var box = card.getBoundingClientRect();
    var room = document.documentElement.clientWidth - 8;
    var shift = 0;
    if (box.right > room) shift = room - box.right;
    if (box.left + shift < 8) shift = 8 - box.left;
    card.style.left = shift + "px";
  }

  function closeAll(except) {
    document.querySelectorAll(".carebook-fig-wrap.is-open").forEach(function (wrap) {
      if (wrap !== except) wrap.classList.remove("is-open");
    });
  }

  document.addEventListener("pointerdown", function (event) {
    lastPointer = event.pointerType || "mouse";
    if (!wrapOf(event.target)) closeAll(null);
  }, true);

  document.addEventListener("click", function (event) {
    var fig = event.target.closest ? event.target.closest(".carebook-fig") : null;
    if (!fig) return;
    var wrap = wrapOf(fig);
    if (lastPointer === "touch" && !wrap.classList.contains("is-open")) {
      event.preventDefault(); // the first tap shows the card; a second follows the link
      closeAll(wrap);
      wrap.classList.remove("is-dismissed");
      wrap.classList.add("is-open");
      place(wrap);
    }
  });

  function shown(event) {
    var wrap = wrapOf(event.target);
    if (wrap) {
      wrap.classList.remove("is-dismissed");
      place(wrap);
    }
  }
  document.addEventListener("focusin", shown);
  document.addEventListener("mouseover", shown);
  document.addEventListener("focusout", function (event) {
    var wrap = wrapOf(event.target);
    if (wrap && !wrap.contains(event.relatedTarget)) wrap.classList.remove("is-open");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".carebook-fig-wrap").forEach(function (wrap) {
      if (wrap.classList.contains("is-open") || wrap.matches(":hover") || wrap.contains(document.activeElement)) {
        wrap.classList.remove("is-open");
        wrap.classList.add("is-dismissed");
      }
    });
  });
})();
