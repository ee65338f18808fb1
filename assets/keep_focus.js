/* Keyboard focus kept in its place (WCAG 2.1: 2.4.3 focus order, 2.1.1 keyboard).
   - When Dash re-renders the part of a page that holds the focused control (an agenda item
     moved or removed, a form redrawn by its callback, a button hidden once used), the
     browser drops focus to <body> and the next Tab starts again from the top: a keyboard
     user loses their place. Focus goes back to the same control (same id) if it can take
     it; else, for a control still there but hidden or disabled, to the one just before it,
     so that the next Tab goes on from there; else, for one removed, to what now stands in
     its place (the next item once one is removed), preferring a control of the same kind
     (a pattern-matching id of the same type).
   - After a page change (dcc.Link), focus goes to the new page's <main>, as on a page
     loaded afresh: the next Tab is the page's first control, and screen readers start there.
   Nothing is done while focus is anywhere but <body>: only focus that was lost is moved. */
(function () {
  "use strict";

  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
    'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  var last = null;          // the control that had focus: {node, id, kind, trail, index}
  var pageChange = null;    // the page being left, until the new one shows: {heading, text, from, until}

  function kindOf(id) {
    if (!id || id.charAt(0) !== "{") { return null; }
    try { return JSON.parse(id).type || null; } catch (error) { return null; }
  }

  function usable(node) {
    if (!node || !node.isConnected || !node.matches(FOCUSABLE) || node.closest('[aria-hidden="true"], [hidden]')) {
      return false;
    }
    var box = node.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  }

  // Of `nodes`, those of `kind` when there are any.
  function ofKind(nodes, kind) {
    var same = kind ? nodes.filter(function (node) { return kindOf(node.id) === kind; }) : [];
    return same.length ? same : nodes;
  }

  // The usable controls in `container`, itself included, in Tab order.
  function controls(container) {
    var all = Array.prototype.slice.call(container.querySelectorAll(FOCUSABLE));
    return [container].concat(all).filter(usable);
  }

  // The control before `anchor` (still in the page) in Tab order, else the one after it.
  function besides(anchor, kind) {
    var all = ofKind(controls(document.getElementById("main") || document.body), kind);
    var before = all.filter(function (node) {
      return anchor.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING;
    });
    return before.length ? before[before.length - 1] : all.filter(function (node) {
      return anchor.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING;
    })[0] || null;
  }

  function remember(event) {
    var node = event.target, trail = [];
    if (!node || node === document.body || node.id === "main") { return; }
    // Dropdown lists and calendars (role=dialog) move focus themselves, over a list that
    // mounts only the options in view: left to them.
    if (node.closest('[role="dialog"]')) { last = null; return; }
    // Where it was, up to <main>: [ancestor, position of the branch holding it], nearest first.
    for (var child = node, parent = node.parentElement; parent && trail.length < 16 &&
         !parent.matches("main, #_pages_content, body"); child = parent, parent = parent.parentElement) {
      trail.push([parent, Array.prototype.indexOf.call(parent.children, child)]);
    }
    // ... and its place among the page's controls, for when it stays but is hidden or disabled.
    var main = document.getElementById("main");
    var index = main && main.contains(node) ? controls(main).indexOf(node) : -1;
    last = {node: node, id: node.id, kind: kindOf(node.id), trail: trail, index: index};
  }

  function successor() {
    if (usable(last.node)) { return last.node; }
    var same = last.id ? document.getElementById(last.id) : null;
    if (usable(same)) { return same; }
    if (same || last.node.isConnected) {
      // Hidden or disabled where it is: the control that was just before it, which the next
      // Tab leaves from (the page may have redrawn what comes before it meanwhile).
      var all = controls(document.getElementById("main") || document.body);
      return last.index > 0 && last.index <= all.length ? all[last.index - 1] : besides(same || last.node, last.kind);
    }
    // Removed (its whole list redrawn, say): from the nearest ancestor still in the page,
    // down the same positions to what is there now (the next item, once one is removed),
    // and a control of the same kind in it, else the control just before that place.
    for (var i = 0; i < last.trail.length; i++) {
      var spot = last.trail[i][0];
      if (!spot.isConnected) { continue; }
      for (var level = i; level >= 0 && spot.children.length; level--) {
        spot = spot.children[Math.min(last.trail[level][1], spot.children.length - 1)];
      }
      var inside = ofKind(controls(spot), last.kind);
      return (inside.length && (!last.kind || kindOf(inside[0].id) === last.kind)) ? inside[0] : besides(spot, last.kind);
    }
    return null;
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || active === document.documentElement;
  }

  /* Watched each frame for a while: the control found may be in a part still loading
     (hidden until its callback answers, when focus() does not take, or hidden again as
     dcc.Loading redraws it), and may be redrawn meanwhile: then the control now in its place
     (same position among the page's controls). The watch ends when the person moves on. */
  var watch = null;   // {until, chosen: {node, index}}

  function restore() {
    if (!watch || pageChange || !last || Date.now() > watch.until) { watch = null; return; }
    var chosen = watch.chosen;
    if (focusLost()) {
      if (!chosen || !chosen.node.isConnected) {
        var all = controls(document.getElementById("main") || document.body);
        var node = chosen ? all[Math.min(chosen.index, all.length - 1)] : successor();
        chosen = watch.chosen = node ? {node: node, index: all.indexOf(node)} : null;
      }
      if (chosen) { chosen.node.focus(); }
    } else if (!chosen || document.activeElement !== chosen.node) {
      watch = null;
      return;
    }
    window.requestAnimationFrame(restore);
  }

  function tookFocus(records) {
    if (!last) { return false; }
    return records.some(function (record) {
      if (record.type === "attributes") {
        return (record.attributeName === "disabled" || record.attributeName === "hidden") &&
          record.target.contains(last.node);
      }
      return Array.prototype.some.call(record.removedNodes, function (removed) {
        return removed === last.node || (removed.contains && removed.contains(last.node));
      });
    });
  }

  function pageHeading() {
    return document.querySelector("#_pages_content h1");
  }

  // A change of address but not of page (the skip link's #main) is no page change.
  var place = window.location.pathname + window.location.search;
  function leavingPage() {
    var now = window.location.pathname + window.location.search;
    if (now === place) { return; }
    place = now;
    var heading = pageHeading();
    pageChange = {heading: heading, text: heading ? heading.textContent : null, from: document.activeElement,
                  until: Date.now() + 5000};
    window.requestAnimationFrame(arrive);
  }

  // The new page is in when its heading is another node or says something else.
  function arrive() {
    if (!pageChange) { return; }
    var heading = pageHeading();
    var shown = heading && (heading !== pageChange.heading || heading.textContent !== pageChange.text);
    if (!shown && Date.now() < pageChange.until) {
      window.requestAnimationFrame(arrive);
      return;
    }
    var from = pageChange.from;
    pageChange = null;
    var main = document.getElementById("main");
    if (main && (focusLost() || document.activeElement === from)) { main.focus(); }
  }

  function observed(records) {
    if (tookFocus(records)) {
      var running = watch !== null;
      watch = {until: Date.now() + 5000, chosen: null};
      if (!running) { window.requestAnimationFrame(restore); }
    }
  }

  function start() {
    document.addEventListener("focusin", remember);
    window.addEventListener("_dashprivate_pushstate", leavingPage);
    window.addEventListener("popstate", leavingPage);
    new MutationObserver(observed).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["disabled", "hidden"]
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
