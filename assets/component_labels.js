/* Labels that Dash's own components write in English and take no prop for: the date
   pickers' "Previous month", "Next month", "Clear Dates" and "Close calendar" buttons, and
   the number inputs' "Increase value" / "Decrease value" steppers. The shell puts the
   page's translations on .app as data-component-labels ({"English": "translation"}, from
   the catalogue); this swaps each English aria-label (and title) for its translation when
   the component appears, and again whenever Dash re-renders it. */
(function () {
  "use strict";

  var ATTRIBUTES = ["aria-label", "title"];

  function labels() {
    var app = document.querySelector(".app[data-component-labels]");
    if (!app) { return null; }
    try {
      return JSON.parse(app.getAttribute("data-component-labels"));
    } catch (error) {
      return null;
    }
  }

  function relabel(root) {
    var known = labels();
    if (!known) { return; }
    ATTRIBUTES.forEach(function (attribute) {
      root.querySelectorAll("[" + attribute + "]").forEach(function (node) {
        var translated = known[node.getAttribute(attribute)];
        // Only a real change: setting the same text again would wake the observer for ever.
        if (translated && translated !== node.getAttribute(attribute)) { node.setAttribute(attribute, translated); }
      });
    });
  }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; relabel(document); });
  }

  function start() {
    relabel(document);
    new MutationObserver(schedule).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ATTRIBUTES
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
