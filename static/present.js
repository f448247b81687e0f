// The presentation view: arrow keys turn the slides; a countdown that survives turning them.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var keys = { ArrowRight: "next", PageDown: "next", " ": "next", ArrowLeft: "prev", PageUp: "prev" };
    var link = keys[event.key] && document.getElementById(keys[event.key]);
    if (link) { event.preventDefault(); link.click(); }
  });

  var clock = document.getElementById("countdown");
  var toggle = document.getElementById("countdown-toggle");
  if (!clock || !toggle) return;
  var key = "actioncards-countdown:" + location.pathname;
  var total = parseInt(clock.dataset.seconds, 10);
  clock.hidden = false;
  toggle.hidden = false;

  function state() { try { return JSON.parse(sessionStorage.getItem(key)) || {}; } catch (e) { return {}; } }
  function save(s) { sessionStorage.setItem(key, JSON.stringify(s)); }
  function left(s) {
    var used = (s.used || 0) + (s.started ? (Date.now() - s.started) / 1000 : 0);
    return Math.round(total - used);
  }
  function show() {
    var s = state(), rest = left(s), sign = rest < 0 ? "−" : "";
    rest = Math.abs(rest);
    clock.textContent = sign + Math.floor(rest / 60) + ":" + String(rest % 60).padStart(2, "0");
    clock.classList.toggle("over", left(s) < 0);
    toggle.textContent = s.started ? toggle.dataset.pause || "❚❚" : toggle.dataset.start || "▶";
  }
  toggle.dataset.start = toggle.textContent;
  toggle.dataset.pause = "❚❚";
  toggle.setAttribute("aria-label", toggle.textContent);
  toggle.addEventListener("click", function () {
    var s = state();
    if (s.started) { s.used = (s.used || 0) + (Date.now() - s.started) / 1000; s.started = null; }
    else { s.started = Date.now(); }
    save(s);
    show();
  });
  show();
  setInterval(show, 1000);
})();
