// Small enhancements; every page works without this file.
// With it, the card form also works offline: a card sent without a network waits on the phone
// (IndexedDB) and goes by itself when the network returns; a half-written card is kept as a
// draft (localStorage). The texts come from the page, translated by the server.
(function () {
  "use strict";

  var DRAFT = "actioncards:draft:";
  var SENT = "actioncards:sent";
  var HOUR = 3600 * 1000;
  var FORM_WAIT = 20000;   // ms before a card being sent is kept on the phone instead
  var QUEUE_WAIT = 30000;  // ms a waiting card gets to reach the server
  var OFFLINE_READY = !!(window.indexedDB && window.fetch && window.Promise && window.FormData &&
    window.URLSearchParams && window.DOMParser && Array.from);

  // Show "123 / 1,000" under each answer while typing, and warn past the limit
  // (the server refuses it with a message, but nobody should have to find out that way).
  // The limit is written as the server writes it in the hint and the error (data-max-text); the
  // count as Babel would: digits 0-9, grouped from 1,000 on.
  var NUMBER = window.Intl && Intl.NumberFormat ? new Intl.NumberFormat(
    document.documentElement.lang || undefined, {numberingSystem: "latn", useGrouping: "always"}) : null;

  function counter(textarea) {
    var out = document.querySelector('[data-counter-for="' + textarea.id + '"]');
    if (!out) return;
    var max = parseInt(textarea.dataset.max, 10);
    var used = Array.from(textarea.value).length;
    out.textContent = (NUMBER ? NUMBER.format(used) : used) + " / " + (out.dataset.maxText || max);
    out.classList.toggle("over", used > max);
  }

  function init(root) {
    root.querySelectorAll("textarea[data-max]").forEach(function (t) {
      counter(t);
      t.addEventListener("input", function () { counter(t); });
    });
    root.querySelectorAll("form[data-draft]").forEach(initCardForm);
    // The server puts a card id in the form; a page restored from an old cache may lack one.
    root.querySelectorAll("input[data-card-id]").forEach(function (input) {
      if (!input.value) input.value = newId();
    });
    if (window.htmx && root !== document) window.htmx.process(root);
  }

  // The hint of close cards under the card form's main answer comes by htmx (its attributes are
  // on the field), loaded only once someone uses that field: a first visit stays light.
  function loadHtmx(event) {
    var src = event.target.getAttribute && event.target.getAttribute("data-htmx");
    if (!src || window.htmx || loadHtmx.started) return;
    loadHtmx.started = true;
    var script = document.createElement("script");
    script.src = src;
    document.head.appendChild(script);
  }
  document.addEventListener("focusin", loadHtmx);
  document.addEventListener("input", loadHtmx);

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs HTTPS; getRandomValues does not.
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.from(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // ---- Drafts and recent sends, in localStorage (which may be full or forbidden: then none).

  function readJSON(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function writeJSON(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* the form still works, only without a draft */ }
  }

  function outboxBox() { return document.querySelector("[data-outbox]"); }
  function delegation() { var box = outboxBox(); return (box && box.dataset.delegation) || ""; }
  function idInput(form) { return form.querySelector("input[data-card-id]"); }
  function draftKey(form) { return DRAFT + delegation() + ":" + form.dataset.draft; }

  function fieldsOf(form) {
    return Array.from(new FormData(form)).filter(function (pair) { return typeof pair[1] === "string"; });
  }

  function hasText(fields) {
    return fields.some(function (pair) { return pair[0].indexOf("answers.") === 0 && pair[1].trim(); });
  }

  function saveDraft(form) {
    var fields = fieldsOf(form);
    var draft = { card_id: idInput(form).value, fields: fields, saved: Date.now() };
    writeJSON(draftKey(form), hasText(fields) ? draft : null);
  }

  function restoreDraft(form) {
    var draft = readJSON(draftKey(form));
    if (!draft || !draft.card_id || !Array.isArray(draft.fields)) return false;
    draft.fields.forEach(function (pair) {
      var field = form.elements.namedItem(pair[0]);
      if (!field || field.type === "hidden" || !("value" in field)) return;
      if (field.tagName === "SELECT" && !Array.from(field.options).some(function (o) { return o.value === pair[1]; })) return;
      field.value = pair[1];
    });
    idInput(form).value = draft.card_id;
    form.querySelectorAll("textarea[data-max]").forEach(counter);
    return true;
  }

  function forgetDrafts(cardId) {
    try {
      Object.keys(localStorage).forEach(function (key) {
        var draft = key.indexOf(DRAFT) === 0 && readJSON(key);
        if (draft && draft.card_id === cardId) localStorage.removeItem(key);
      });
    } catch (e) { /* nothing kept, nothing to forget */ }
  }

  // The same text sent again within the hour (back, send) keeps its card id: one card is stored.
  function fingerprint(fields) {
    var text = JSON.stringify([delegation()].concat(fields.filter(function (pair) {
      return pair[0] !== "card_id";
    }).map(function (pair) {
      return [pair[0], pair[1].replace(/\r\n?/g, "\n").trim()];
    }).sort()));
    var h1 = 0xdeadbeef, h2 = 0x41c6ce57;  // cyrb53: enough for a phone's cards of the hour
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16) + (h1 >>> 0).toString(16) + "." + text.length;
  }

  function recentSends() {
    var now = Date.now();
    return (readJSON(SENT) || []).filter(function (e) { return e && now - e.t < HOUR; });
  }

  function rememberSend(form) {
    var id = idInput(form);
    var print = fingerprint(fieldsOf(form));
    var earlier = recentSends().filter(function (e) { return e.print === print; })[0];
    if (earlier) id.value = earlier.id;
    var sends = recentSends().filter(function (e) { return e.id !== id.value; });
    sends.push({ id: id.value, print: print, t: Date.now() });
    writeJSON(SENT, sends.slice(-50));
  }

  // ---- The outbox: cards waiting on this phone, in IndexedDB, keyed by card id.

  function outbox(mode, use) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("actioncards", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("outbox", { keyPath: "card_id" }); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var db = open.result, result;
        var tx = db.transaction("outbox", mode, { durability: "strict" });
        var request = use(tx.objectStore("outbox"));
        if (request) request.onsuccess = function () { result = request.result; };
        // Closed after each use: an open connection would keep the page out of the back/forward cache.
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }

  function waitingCards() {
    if (!OFFLINE_READY) return Promise.resolve([]);
    return outbox("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    }, function () { return []; });
  }

  function keep(item) { return outbox("readwrite", function (store) { return store.put(item); }); }
  function drop(cardId) { return outbox("readwrite", function (store) { return store.delete(cardId); }); }

  function post(url, fields, wait) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, wait);
    return fetch(url, {
      method: "POST",
      body: new URLSearchParams(fields),
      credentials: "same-origin",
      redirect: "follow",
      headers: { Accept: "text/html" },
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      clearTimeout(timer);
      return response;
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  function landedOn(response) { return new URL(response.url).pathname; }
  function signedOut(response) { return response.redirected && landedOn(response) === "/join"; }
  function received(response) {
    return response.ok && response.redirected && /^\/cards\/[^/]+$/.test(landedOn(response));
  }

  // ---- Sending the form: by fetch, so that a missing network keeps the card instead of losing it.

  function setBusy(form, busy) {
    if (busy) form.dataset.sending = "1";
    else delete form.dataset.sending;
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      if (busy) b.setAttribute("aria-disabled", "true");
      else b.removeAttribute("aria-disabled");
    });
  }

  function submitNatively(form) {
    HTMLFormElement.prototype.submit.call(form);
  }

  function sendCard(form) {
    rememberSend(form);
    var fields = fieldsOf(form);
    if (!navigator.onLine) {
      keepCard(form, fields);
      return;
    }
    post(form.action, fields, FORM_WAIT).then(function (response) {
      if (response.status >= 500) return keepCard(form, fields);
      if (signedOut(response)) {
        return keepCard(form, fields).then(function (kept) { if (kept) location.assign(response.url); });
      }
      if (received(response)) {
        writeJSON(draftKey(form), null);
        location.assign(response.url);
        return null;
      }
      // Refused (422 and the like): show the server's page, its messages next to the fields.
      return response.text().then(function (html) { showAnswer(form, html); });
    }, function () {
      return keepCard(form, fields);
    }).catch(function () {
      setBusy(form, false);  // an answer cut short: the text is still in the form, to send again
    });
  }

  function showAnswer(form, html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var main = document.querySelector("main");
    var next = fresh.querySelector("main");
    if (!main || !next) {
      submitNatively(form);
      return;
    }
    next = document.importNode(next, true);
    main.replaceWith(next);
    if (fresh.title) document.title = fresh.title;
    init(next);
    refresh();  // the new page brought an empty banner
    window.scrollTo(0, 0);
    (next.querySelector("[autofocus]") || next).focus();  // as a page load would
  }

  function keepCard(form, fields) {
    var select = form.elements.namedItem("group");
    var option = select && select.options ? select.options[select.selectedIndex] : null;
    var box = outboxBox();
    var item = {
      card_id: idInput(form).value,
      url: new URL(form.action).pathname,
      fields: fields,
      group: select ? select.value : form.dataset.draft,
      group_title: option ? option.textContent.trim() : "",
      delegation: delegation(),
      delegation_name: (box && box.dataset.delegationName) || "",
      created: Date.now(),
      attempts: 0,
      state: "waiting",
    };
    return keep(item).then(function () {
      writeJSON(draftKey(form), null);
      startOver(form);
      refresh();
      retryLater();
      return true;
    }, function () {
      // No IndexedDB here: send as without this script; the draft still holds the text.
      submitNatively(form);
      return false;
    });
  }

  // Ready for the next card: the answers emptied, a new card id; name and language stay.
  function startOver(form) {
    form.querySelectorAll("textarea").forEach(function (t) { t.value = ""; counter(t); });
    idInput(form).value = newId();
    setBusy(form, false);
    var notice = document.querySelector("[data-queued-notice]");
    if (notice) {
      notice.textContent = "";
      // Emptied first so that a second card kept in a row is announced again.
      setTimeout(function () { notice.textContent = notice.dataset.text; }, 100);
    }
    window.scrollTo(0, 0);
  }

  function initCardForm(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    // A fresh form gets its id here, or its draft's; a form the server sent back keeps its own.
    if (form.hasAttribute("data-fresh") && !restoreDraft(form)) idInput(form).value = newId();
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
  }

  // A double tap sends the form once (the server would store one card anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-send-once")) return;
    if (form.dataset.sending) { event.preventDefault(); return; }
    setBusy(form, true);
    if (OFFLINE_READY && form.hasAttribute("data-draft")) {
      event.preventDefault();
      sendCard(form);
    }
  });

  // ---- The queue sender: on load, when the network returns, and after growing pauses.

  var sender = { busy: false, tries: 0, timer: 0, failed: false, signedOut: false, sent: false, wait: 0 };

  function retryLater() {
    clearTimeout(sender.timer);
    if (!navigator.onLine) return;  // the "online" event will start it
    var pause = Math.min(60, 2 * Math.pow(2, sender.tries));  // 2, 4, 8 ... 60 s
    sender.tries += 1;
    var wait = Math.max(pause * (0.5 + Math.random() / 2), sender.wait);
    sender.wait = 0;
    sender.timer = setTimeout(sendWaiting, wait * 1000);
  }

  function reasonsIn(response, text) {
    if (!/html/.test(response.headers.get("Content-Type") || "")) return [text.trim().slice(0, 300)];
    var page = new DOMParser().parseFromString(text, "text/html");
    var found = Array.from(page.querySelectorAll("main .error, main .alert p:first-child"));
    var errors = found.filter(function (e) { return e.classList.contains("error"); });
    return (errors.length ? errors : found.slice(0, 1)).map(function (e) { return e.textContent.trim(); });
  }

  function sendOne(item) {
    return post(item.url, item.fields, QUEUE_WAIT).then(function (response) {
      if (signedOut(response)) return "signed-out";
      if (received(response)) {
        if (response.body) response.body.cancel().catch(function () {});
        forgetDrafts(item.card_id);
        return drop(item.card_id).then(function () { return "sent"; });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        // It can never be accepted as it is (intake closed, ...): keep it for the person to see.
        return response.text().then(function (text) {
          item.state = "refused";
          item.reasons = reasonsIn(response, text);
          return keep(item).then(function () { return "refused"; });
        });
      }
      if (response.status === 429) sender.wait = parseInt(response.headers.get("Retry-After"), 10) || 0;
      return Promise.reject(new Error("not now"));
    }).catch(function () {
      item.attempts += 1;
      return keep(item).then(function () { return "later"; });
    });
  }

  function sendEach(items) {
    if (!items.length) return Promise.resolve("done");
    return sendOne(items[0]).then(function (outcome) {
      if (outcome === "sent") sender.sent = true;
      if (outcome === "later" || outcome === "signed-out") return outcome;
      return sendEach(items.slice(1));
    });
  }

  function sendMine() {
    var me = delegation();
    return waitingCards().then(function (items) {
      return sendEach(items.filter(function (i) { return i.state === "waiting" && i.delegation === me; }));
    });
  }

  function sendWaiting() {
    if (!OFFLINE_READY || sender.busy || !delegation() || !navigator.onLine) return refresh();
    sender.busy = true;
    clearTimeout(sender.timer);
    sender.sent = false;
    refresh();
    // One tab at a time sends (another tab would send the same cards; the server keeps one).
    var run = navigator.locks
      ? navigator.locks.request("actioncards-outbox", { ifAvailable: true }, function (lock) {
          return lock ? sendMine() : "busy";
        })
      : sendMine();
    return Promise.resolve(run).catch(function () { return "later"; }).then(function (outcome) {
      sender.busy = false;
      sender.failed = outcome === "later";
      sender.signedOut = outcome === "signed-out";
      if (sender.failed || outcome === "busy") retryLater();
      else sender.tries = 0;
      if (sender.sent && outcome === "done") {
        setTimeout(function () { sender.sent = false; refresh(); }, 6000);
      } else {
        sender.sent = false;
      }
      return refresh();
    });
  }

  function sendNow() {
    sender.tries = 0;
    sender.failed = false;
    return sendWaiting();
  }

  // ---- The banner: how many cards wait, and what needs the person.

  // The server rendered each text in every plural category of the language (data-waiting-few...);
  // the language's rules pick one. Without Intl.PluralRules: "one" or "other".
  function plural(box, name, count) {
    var category = count === 1 ? "one" : "other";
    try { category = new Intl.PluralRules(document.documentElement.lang).select(count); } catch (e) { /* as above */ }
    var text = box.getAttribute("data-" + name + "-" + category) || box.getAttribute("data-" + name + "-other");
    return text.replace("{num}", count);
  }

  function excerpt(item) {
    var answer = (item.fields || []).filter(function (pair) {
      return pair[0].indexOf("answers.") === 0 && pair[1].trim();
    })[0];
    var text = answer ? answer[1].trim().replace(/\s+/g, " ") : "";
    return text.length > 90 ? text.slice(0, 90) + "…" : text;
  }

  function listItem(box, item, kind) {
    var node = box.querySelector("template[data-outbox-" + kind + "]").content.firstElementChild.cloneNode(true);
    var slot = function (name) { return node.querySelector('[data-slot="' + name + '"]'); };
    slot("group").textContent = item.group_title;
    slot("excerpt").textContent = excerpt(item);
    (item.fields || []).forEach(function (pair) { if (pair[0] === "language") slot("excerpt").lang = pair[1]; });
    if (kind === "elsewhere") {
      var said = node.querySelector("p:last-child");
      said.textContent = said.textContent.replace("{delegation}", item.delegation_name);
      return node;
    }
    slot("reason").textContent = (item.reasons || []).join(" ");
    var open = slot("open");
    open.href = "/cards/new?group=" + encodeURIComponent(item.group);
    open.addEventListener("click", function () {
      // Open the form with its text and its card id: once received, it leaves the phone.
      writeJSON(DRAFT + item.delegation + ":" + item.group, { card_id: item.card_id, fields: item.fields, saved: Date.now() });
    });
    slot("delete").addEventListener("click", function () {
      if (window.confirm(box.dataset.confirmDelete)) drop(item.card_id).then(refresh);
    });
    return node;
  }

  function render(box, items) {
    var me = delegation();
    var waiting = items.filter(function (i) { return i.state !== "refused"; });
    var refused = items.filter(function (i) { return i.state === "refused" && (!me || i.delegation === me); });
    var mine = waiting.filter(function (i) { return me && i.delegation === me; });
    var unsigned = waiting.length > 0 && (!me || sender.signedOut);
    var lines = [];
    if (waiting.length) lines.push(plural(box, "waiting", waiting.length));
    if (refused.length) lines.push(plural(box, "refused", refused.length));
    if (!navigator.onLine) lines.push(box.dataset.offline);
    else if (unsigned) lines.push(box.dataset.signedOut);
    else if (mine.length && sender.failed) lines.push(box.dataset.retry);
    if (!waiting.length && sender.sent) lines.push(box.dataset.sent);
    var status = box.querySelector("[data-outbox-status]");
    var text = lines.join("\n");
    if (status.dataset.said !== text) {
      // Rewritten only when it changes: a live region announces every rewrite.
      status.dataset.said = text;
      status.textContent = "";
      lines.forEach(function (line) {
        var p = document.createElement("p");
        p.textContent = line;
        status.appendChild(p);
      });
    }

    var list = box.querySelector("[data-outbox-list]");
    list.textContent = "";
    refused.forEach(function (item) { list.appendChild(listItem(box, item, "refused")); });
    waiting.forEach(function (item) {
      if (me && item.delegation !== me) list.appendChild(listItem(box, item, "elsewhere"));
    });
    list.hidden = !list.children.length;
    var send = box.querySelector("[data-outbox-send]");
    send.hidden = !(mine.length && !sender.signedOut && navigator.onLine);
    if (sender.busy) send.setAttribute("aria-disabled", "true");
    else send.removeAttribute("aria-disabled");
    box.querySelector("[data-outbox-join]").hidden = !unsigned || location.pathname === "/join";
    box.classList.toggle("is-shown", Boolean(text) || !list.hidden);
  }

  function refresh() {
    var box = outboxBox();
    if (!box || !OFFLINE_READY) return Promise.resolve();
    return waitingCards().then(function (items) { render(box, items); });
  }

  // The confirmation page (/cards/<id>?sent=1): the server has the card; the phone may forget it.
  function confirmReceived() {
    var match = /^\/cards\/([0-9a-f-]{36})$/.exec(location.pathname);
    if (!match || new URLSearchParams(location.search).get("sent") !== "1") return Promise.resolve();
    forgetDrafts(match[1]);
    return OFFLINE_READY ? drop(match[1]).catch(function () {}) : Promise.resolve();
  }

  // ---- The service worker keeps the delegate's pages for offline use.

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    var controlled = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // This page and its files came before the worker did: ask it to keep them too.
      if (controlled || !registration.active) return;
      var files = document.querySelectorAll("link[rel=stylesheet][href], script[src]");
      var urls = [location.href].concat(Array.from(files, function (f) { return f.href || f.src; }));
      registration.active.postMessage({ type: "keep", urls: urls });
    }).catch(function () { /* no offline pages; everything else works */ });
  }

  // Coming back to a page kept in the back/forward cache: let its form be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(function (form) { setBusy(form, false); });
    sendWaiting();
  });
  window.addEventListener("online", sendNow);
  window.addEventListener("offline", refresh);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") sendWaiting();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-outbox-send]")) sendNow();
  });
  window.addEventListener("load", registerWorker);

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    confirmReceived().then(sendWaiting);
  });
})();
