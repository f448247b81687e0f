// Speakers lists: keep the projector and the moderator's page in step with the server.
// The server sends its time with each state; the clock runs on the server's time (corrected
// for this device's offset) from the stored deadline, so it keeps going if the network drops.
// States come by Server-Sent Events; where those are missing or fail, by polling.
(function () {
  "use strict";
  var root = document.querySelector("[data-floor]");
  if (!root) return;
  var mode = root.getAttribute("data-floor");
  var offset = 0; // server time minus this device's time, in ms
  var state = null;
  var lastSpeaker = root.getAttribute("data-current") || null;
  var texts = function (name) { return root.getAttribute("data-text-" + name) || ""; };
  var announce = root.querySelector("[data-floor-announce]");

  function serverNow() { return Date.now() + offset; }

  function secondsLeft(current) {
    if (!current) return null;
    if (current.deadline) return current.deadline - serverNow() / 1000;
    return current.seconds_left;
  }

  function clockText(seconds) {
    var over = seconds < 0;
    var whole = Math.ceil(Math.abs(seconds) - 0.001);
    var s = whole % 60;
    return (over ? "\u2212" : "") + Math.floor(whole / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    if (!state) return;
    var current = state.current;
    var left = secondsLeft(current);
    document.querySelectorAll("[data-floor-clock]").forEach(function (clock) {
      var time = clock.querySelector("[data-slot=time]");
      var phase = clock.querySelector("[data-slot=phase]");
      if (left === null) {
        time.textContent = "\u2013:\u2013\u2013";
        phase.textContent = "";
        clock.setAttribute("data-phase", "normal");
        return;
      }
      var name = left < 0 ? "over" : left <= state.warning ? "warning" : "normal";
      if (name === "over" && current.state !== "paused" && mode === "projector") ring(current);
      clock.setAttribute("data-phase", name);
      time.textContent = clockText(left);
      phase.textContent = current.state === "paused" ? texts("paused")
        : name === "over" ? texts("over") : name === "warning" ? texts("warning") : "";
    });
  }

  // The optional chime, once per speaker when their time is up. The room's screen plays it;
  // a browser lets a page play sound only after a press, so the box's press starts the audio.
  var chime = { box: null, audio: null, rungFor: null };
  function setUpChime() {
    var holder = root.querySelector("[data-floor-chime]");
    var Audio = window.AudioContext || window.webkitAudioContext;
    if (!holder || !Audio) return;
    holder.hidden = false;
    chime.box = holder.querySelector("input");
    var wanted = false;
    try { wanted = localStorage.getItem("floor-chime") === "on"; } catch (e) { /* private mode */ }
    chime.box.checked = wanted;
    chime.box.addEventListener("change", function () {
      try { localStorage.setItem("floor-chime", chime.box.checked ? "on" : "off"); } catch (e) { /* kept for this page */ }
      if (chime.box.checked && !chime.audio) chime.audio = new Audio();
      if (chime.audio && chime.audio.state === "suspended") chime.audio.resume();
    });
  }
  function ring(current) {
    if (!chime.box || !chime.box.checked || !current || chime.rungFor === current.id) return;
    chime.rungFor = current.id;
    if (!chime.audio) chime.audio = new (window.AudioContext || window.webkitAudioContext)();
    var audio = chime.audio, at = audio.currentTime;
    var tone = audio.createOscillator(), level = audio.createGain();
    tone.frequency.value = 880;
    level.gain.setValueAtTime(0.0001, at);
    level.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
    level.gain.exponentialRampToValueAtTime(0.0001, at + 0.8);
    tone.connect(level).connect(audio.destination);
    tone.start(at);
    tone.stop(at + 0.8);
  }

  function speakerChanged(current) {
    var id = current ? String(current.id) : null;
    if (id === lastSpeaker) return;
    lastSpeaker = id;
    // Said once per change of speaker: the clock itself is never announced.
    if (announce) announce.textContent = current ? texts("now").replace("{name}", current.name) : texts("nobody");
  }

  function fill(next) {
    var slot = function (name) { return root.querySelector("[data-slot=" + name + "]"); };
    slot("group").textContent = next.group;
    slot("name").textContent = next.current ? next.current.name : texts("nobody");
    slot("kind").textContent = next.current ? next.current.kind : "";
    var list = slot("next");
    list.textContent = "";
    next.next.forEach(function (n) {
      var li = document.createElement("li");
      var statement = root.getAttribute("data-statement");
      li.textContent = n.kind === statement ? n.name : n.name + " \u00b7 " + n.kind;
      list.appendChild(li);
    });
    slot("empty").hidden = next.next.length > 0;
    slot("closed").hidden = !next.closed;
  }

  function refreshPanel(version) {
    var panel = document.querySelector("[data-floor-panel]");
    if (!panel || panel.getAttribute("data-version") === String(version)) return;
    var focused = document.activeElement;
    var focusKey = focused && panel.contains(focused) && focused.form ? focused.form.getAttribute("action") : null;
    fetch(root.getAttribute("data-panel-url"), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("[data-floor-panel]");
        var now = document.querySelector("[data-floor-panel]");
        if (!fresh || !now) return;
        now.replaceWith(fresh);
        if (focusKey) {
          var again = fresh.querySelector('form[action="' + focusKey + '"] button');
          if (again && !again.disabled) again.focus();
        }
        tick();
      })
      .catch(function () { /* the next state tries again */ });
  }

  function apply(next, sentAt) {
    offset = next.now * 1000 - (sentAt || Date.now());
    state = next;
    speakerChanged(next.current);
    if (mode === "projector") fill(next);
    else refreshPanel(next.version);
    root.setAttribute("data-version", next.version);
    var status = root.querySelector("[data-slot=status]");
    if (status) status.textContent = "";
    tick();
  }

  function offline() {
    var status = root.querySelector("[data-slot=status]");
    if (status) status.textContent = texts("offline");
  }

  var polling = null;
  function poll() {
    var asked = Date.now();
    fetch(root.getAttribute("data-state-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (next) { apply(next, (asked + Date.now()) / 2); })
      .catch(offline);
  }
  function startPolling() {
    if (polling) return;
    poll();
    polling = setInterval(poll, 1000);
  }

  function listen() {
    if (!window.EventSource) { startPolling(); return; }
    var source = new EventSource(root.getAttribute("data-events-url"));
    var failures = 0;
    source.onmessage = function (event) {
      failures = 0;
      if (polling) { clearInterval(polling); polling = null; }
      apply(JSON.parse(event.data));
    };
    source.onerror = function () {
      failures += 1;
      offline();
      // Some proxies break event streams: after a few failures, poll instead, and try the
      // stream again a little later.
      if (failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        startPolling();
        setTimeout(function () { if (polling) { clearInterval(polling); polling = null; } listen(); }, 30000);
      }
    };
  }

  // Keyboard: N next, P pause/resume, E end, B put back, A the add field.
  if (mode === "moderate") {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) return;
      var key = event.key.toLowerCase();
      if (key === "a") {
        event.preventDefault();
        document.getElementById("delegation").focus();
        return;
      }
      var form = document.querySelector('[data-floor-panel] form[data-shortcut="' + key + '"]');
      if (!form) return;
      var button = form.querySelector("button");
      if (button && button.disabled) return;
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  }

  if (mode === "projector") setUpChime();
  var initial = document.getElementById("floor-state");
  if (initial) {
    try { apply(JSON.parse(initial.textContent)); } catch (e) { /* the stream brings one */ }
  }
  setInterval(tick, 250);
  listen();
})();
