// Sorting cards fast; every page works without this file.
// - Triage: single keys act on the card shown (the buttons are the page's own forms).
// - The card list: shift-click ticks every card between the last one ticked and this one.
(function () {
  "use strict";

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function triageKeys(box) {
    var id = box.dataset.card;
    var press = function (selector) {
      var el = document.querySelector(selector);
      if (el) { el.click(); return true; }
      return false;
    };
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.altKey || event.ctrlKey || event.metaKey) return;
      var key = event.key.toLowerCase();
      var done = false;
      if (/^[1-3]$/.test(key)) done = press("#likely-" + id + "-" + key);
      else if (key === "n") {
        var input = document.getElementById("rec-" + id);
        if (input) input.value = "";
        done = press("#rec-add-" + id);
      } else if (key === "t") {
        var select = document.getElementById("tag-" + id);
        if (select) { select.focus(); done = true; }
      } else if (key === "s") {
        var reason = document.getElementById("reason-" + id);
        if (reason) reason.value = "off_topic";
        done = press("#aside-" + id);
      } else if (key === "j" || key === "arrowright") done = press("[data-key=j]");
      else if (key === "k" || key === "arrowleft") done = press("[data-key=k]");
      if (done) event.preventDefault();
    });
  }

  function shiftRanges() {
    var last = null;
    document.addEventListener("click", function (event) {
      var box = event.target;
      if (!box.matches || !box.matches("input[data-bulk]")) return;
      var all = Array.prototype.slice.call(document.querySelectorAll("input[data-bulk]"));
      if (event.shiftKey && last && last !== box) {
        var a = all.indexOf(last), b = all.indexOf(box);
        all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) {
          other.checked = box.checked;
        });
      }
      last = box;
    });
  }

  var triage = document.querySelector("[data-triage]");
  if (triage) triageKeys(triage);
  shiftRanges();
})();
