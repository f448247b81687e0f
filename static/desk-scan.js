// The paper desk's camera: read the QR code of a card into the serial field and open the card,
// as if the clerk had typed it. Offered only where the browser can open a camera; typing stays
// the way in everywhere else (and is the only one without JavaScript). The browser's own
// BarcodeDetector reads the code where it has one; else jsQR, fetched only when asked for.
(function () {
  "use strict";
  var form = document.querySelector("form[data-scan]");
  var media = navigator.mediaDevices;
  if (!form || !media || typeof media.getUserMedia !== "function") return;
  var field = form.querySelector("#serial");
  var toggle = form.querySelector("[data-scan-toggle]");
  var status = form.querySelector("[data-scan-status]");
  var box = form.querySelector("[data-scan-box]");
  var video = box.querySelector("video");
  var texts = function (name) { return form.getAttribute("data-text-" + name) || ""; };
  var startText = toggle.textContent;
  var FRAME_MS = 125; // about 8 frames a second: a card held still is read, a laptop stays cool
  var scan = null; // the scan under way: { stream, timer, stopped }
  var decoder = null; // a promise of a function from the video to the text read, or null

  function say(text) {
    status.textContent = text;
    // Read out with the field once focus is back on it, not only as it appears.
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== status.id;
    });
    if (text) described.push(status.id);
    field.setAttribute("aria-describedby", described.join(" "));
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") === -1) return null;
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function () {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }, function () { return null; });
  }

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var script = document.createElement("script");
      script.src = form.getAttribute("data-scan-decoder");
      script.onload = function () {
        if (window.jsQR) resolve(window.jsQR); else reject(new Error("no jsQR"));
      };
      script.onerror = function (error) { script.remove(); reject(error); };
      document.head.appendChild(script);
    });
  }

  function jsQRReader(jsQR) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function () {
      var width = video.videoWidth, height = video.videoHeight;
      if (!width || !height) return Promise.resolve(null);
      var scale = Math.min(1, 640 / Math.max(width, height)); // a printed card's code needs no more
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      // Printed codes are dark on light: skip the inverted pass, which doubles the work.
      var code = jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "dontInvert" });
      return Promise.resolve(code ? code.data : null);
    };
  }

  function reader() {
    if (!decoder) {
      decoder = nativeDetector().then(function (native) {
        return native || loadJsQR().then(jsQRReader);
      });
      decoder.catch(function () { decoder = null; }); // a failed download may be retried
    }
    return decoder;
  }

  function openCamera() {
    // The camera facing away from the screen where there is one; a laptop's own camera else.
    var wanted = { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } };
    return media.getUserMedia({ audio: false, video: wanted }).catch(function (error) {
      if (error && error.name === "OverconstrainedError") {
        return media.getUserMedia({ audio: false, video: true }); // any camera will do
      }
      throw error;
    });
  }

  function release(current) {
    current.stopped = true;
    clearTimeout(current.timer);
    if (current.stream) current.stream.getTracks().forEach(function (track) { track.stop(); });
  }

  function stop(message) {
    if (!scan) return;
    release(scan);
    scan = null;
    video.srcObject = null;
    box.hidden = true;
    toggle.textContent = startText;
    toggle.setAttribute("aria-expanded", "false");
    say(message || "");
    field.focus();
  }

  // What the code carries ("<meeting> G3-0147") is what the server reads from the field.
  function found(text) {
    stop();
    field.value = String(text).trim().slice(0, 200);
    form.requestSubmit();
  }

  function look(current, read) {
    if (current.stopped) return;
    read().then(function (text) {
      if (current.stopped) return;
      if (text) { found(text); return; }
      current.timer = setTimeout(function () { look(current, read); }, FRAME_MS);
    }, function () {
      if (!current.stopped) current.timer = setTimeout(function () { look(current, read); }, FRAME_MS);
    });
  }

  function start() {
    var current = { stream: null, timer: null, stopped: false };
    scan = current;
    toggle.textContent = texts("stop");
    toggle.setAttribute("aria-expanded", "true");
    say(texts("looking"));
    var reading = reader();
    openCamera().then(function (stream) {
      current.stream = stream;
      if (current.stopped) { release(current); return; } // stopped while the browser asked
      video.srcObject = stream;
      box.hidden = false;
      video.play().catch(function () { /* a muted video plays; frames are read either way */ });
      reading.then(function (read) { look(current, read); }, function () {
        if (scan === current) stop(texts("unreadable"));
      });
    }, function () {
      if (scan === current) stop(texts("refused"));
    });
  }

  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    if (scan) stop(); else start();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && scan) { event.preventDefault(); stop(); }
  });
  // Leaving the page (or keeping it in the back-forward cache) lets the camera go.
  window.addEventListener("pagehide", function () { if (scan) stop(); });
})();
