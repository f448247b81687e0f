// Where focus goes when htmx swaps part of a workspace or report page, so that a keyboard or
// screen reader user is never thrown back to the top of the page:
// - a control that a swap replaces gets focus back in its new version: htmx does this for
//   elements with an id, and every control of a workspace card has one;
// - a change the server refused puts focus on the field to correct (its error is tied to it);
// - if the control is gone (a tag taken off, the card moved out of a recommendation), focus
//   goes to the swapped part's heading (tabindex="-1");
// - swaps nobody asked for (the poll for new cards) never move focus: a part that comes back
//   unchanged is left as it is, and a <details> that was open stays open;
// - what a change did is said in a live region that the server fills (#ws-status).
// Filters swap the card list, not the form: focus stays on the filter that was used.
(function () {
  "use strict";

  var holder = null;  // the id of the part being swapped, if it held focus

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    holder = target && target.id && target.contains(document.activeElement) ? target.id : null;
  });

  // Fired once per swapped element, after htmx has put focus back where ids allow.
  document.addEventListener("htmx:afterSwap", function () {
    var part = holder && document.getElementById(holder);
    holder = null;
    if (!part) return;
    var invalid = part.querySelector("[aria-invalid='true']");
    if (invalid) invalid.focus();
    else if (!part.contains(document.activeElement)) (part.querySelector("[tabindex='-1']") || part).focus();
  });

  // The part as the server would send it again: without the <details> the person opened.
  function asServed(part) {
    var copy = part.cloneNode(true);
    copy.querySelectorAll("details[open]").forEach(function (d) { d.removeAttribute("open"); });
    return copy;
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var old = event.detail.target;
    var fresh = event.detail.fragment.firstElementChild;
    if (!fresh || fresh.id !== old.id) return;  // only a part that comes back as a new version
    if (fresh.isEqualNode(asServed(old))) {
      event.detail.shouldSwap = false;
      return;
    }
    old.querySelectorAll("details[open][id]").forEach(function (details) {
      var twin = fresh.querySelector("#" + CSS.escape(details.id));
      if (twin) twin.open = true;
    });
  });
})();
