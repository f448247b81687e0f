// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // Show "123 / 1000" under each answer while typing, and warn past the limit
  // (the server refuses it with a message, but nobody should have to find out that way).
  function counter(textarea) {
    var out = document.querySelector('[data-counter-for="' + textarea.id + '"]');
    if (!out) return;
    var max = parseInt(textarea.dataset.max, 10);
    var used = Array.from(textarea.value).length;
    out.textContent = used + " / " + max;
    out.classList.toggle("over", used > max);
  }

  function init(root) {
    root.querySelectorAll("textarea[data-max]").forEach(function (t) {
      counter(t);
      t.addEventListener("input", function () { counter(t); });
    });
    // The server puts a card id in the form; a page restored from an old cache may lack one.
    root.querySelectorAll("input[data-card-id]").forEach(function (input) {
      if (!input.value && window.crypto && crypto.randomUUID) input.value = crypto.randomUUID();
    });
  }

  // A double tap sends the form once (the server would store one card anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-send-once")) return;
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
  });
  // Coming back to a page kept in the back/forward cache: let its form be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      form.querySelectorAll("button[aria-disabled]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
    });
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
