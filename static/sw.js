// The service worker: keeps the delegate's pages on the phone for when the network is gone.
// Pages are kept as they are visited (network first, the kept copy when offline); static files,
// whose URLs carry a content hash (?v=...), are served from the cache first. Staff pages, the API,
// sign-in and every POST go to the network untouched. Card queueing lives in app.js.
"use strict";

var VERSION = "1";  // bump when this file changes in a way that needs the old caches gone
var PAGES = "actioncards-pages-v" + VERSION;
var ASSETS = "actioncards-static-v" + VERSION;
var NETWORK_WAIT = 6000;  // ms a congested network gets before a kept copy of the page is used

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("actioncards-") === 0 && name !== PAGES && name !== ASSETS;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// The delegate pages a phone needs offline. Not /cards/<id>, /groups/ (staff), /api/, /signin.
function isDelegatePage(url) {
  return ["/", "/cards", "/cards/new", "/join"].indexOf(url.pathname) !== -1;
}

function isAsset(url) {
  return url.pathname.indexOf("/static/") === 0;
}

function cacheable(response) {
  return response && response.status === 200 && response.type === "basic" && !response.redirected &&
    !/no-store/.test(response.headers.get("Cache-Control") || "");
}

function keptCopy(cacheName, request) {
  // The server varies pages on Cookie and Accept-Language, which a service worker cannot see.
  return caches.open(cacheName).then(function (cache) {
    return cache.match(request, { ignoreVary: true });
  });
}

function save(cacheName, request, response) {
  return caches.open(cacheName).then(function (cache) { return cache.put(request, response); });
}

function networkFirst(event) {
  var request = event.request;
  var saving = Promise.resolve();
  var network = fetch(request).then(function (response) {
    if (cacheable(response)) saving = save(PAGES, request, response.clone());
    return response;
  });
  event.waitUntil(network.then(function () { return saving; }).catch(function () {}));
  return new Promise(function (resolve) {
    var done = false;
    function finish(response) {
      if (!done) { done = true; resolve(response); }
    }
    // On a congested network, show the kept copy rather than a blank page; the fresh one
    // still replaces it in the cache when it arrives.
    var timer = setTimeout(function () {
      keptCopy(PAGES, request).then(function (kept) { if (kept) finish(kept); });
    }, NETWORK_WAIT);
    network.then(function (response) {
      clearTimeout(timer);
      finish(response);
    }, function () {
      clearTimeout(timer);
      keptCopy(PAGES, request).then(function (kept) { finish(kept || Response.error()); });
    });
  });
}

function cacheFirst(request) {
  return keptCopy(ASSETS, request).then(function (kept) {
    if (kept) return kept;
    return fetch(request).then(function (response) {
      if (cacheable(response) && new URL(request.url).searchParams.has("v")) {
        return save(ASSETS, request, response.clone()).then(function () { return response; });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/signout") {
    // A shared phone: the next person must not find the previous delegation's pages.
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (isAsset(url)) event.respondWith(cacheFirst(request));
  else if (request.mode === "navigate" && isDelegatePage(url)) event.respondWith(networkFirst(event));
});

// A page loaded before this worker controlled it asks for itself and its files to be kept.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  event.waitUntil(Promise.all(data.urls.map(function (address) {
    var url = new URL(address, self.location.origin);
    if (url.origin !== self.location.origin) return null;
    var request = new Request(url.href, { credentials: "same-origin" });
    if (isAsset(url)) return cacheFirst(request).catch(function () {});
    if (!isDelegatePage(url)) return null;
    return fetch(request).then(function (response) {
      if (cacheable(response)) return save(PAGES, request, response);
    }).catch(function () {});
  })));
});
