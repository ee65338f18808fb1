/* Accessibility mends for Dash 4's own components (WCAG 2.1 AA, checked by axe in the
   browser tests). Dash renders them; this only corrects their ARIA once they are in the
   page, and again whenever Dash re-renders them.
   - Dropdowns: Dash puts the Tab stop on a hidden input (aria-hidden) that hands focus to
     the real button. Screen readers then land on a hidden element, so the button itself
     becomes the Tab stop (its keyboard handlers are on it already).
   - Radio items and checklists: Dash wraps native radios and checkboxes in role=option
     inside role=listbox, which nests controls; the native inputs already say what they are,
     so the group becomes a radiogroup (or group) and the options plain labels.
   - Date pickers: aria-expanded on a wrapper without a role is not allowed, and their
     clear link is a button (it has a label and no address). */
(function () {
  "use strict";

  function mend(root) {
    root.querySelectorAll(".dash-dropdown-focus-target").forEach(function (target) {
      var button = target.nextElementSibling;
      if (!button || button.tagName !== "BUTTON") { return; }
      if (target.tabIndex !== -1) { target.tabIndex = -1; }
      if (!button.disabled && button.tabIndex !== 0) { button.tabIndex = 0; }
    });
    root.querySelectorAll('.dash-options-list[role="listbox"]').forEach(function (list) {
      list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
    });
    root.querySelectorAll('.dash-options-list-option[role="option"]').forEach(function (option) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    });
    root.querySelectorAll("[aria-expanded]:not([role]):not(button):not(a):not(input)").forEach(function (node) {
      node.removeAttribute("aria-expanded");
    });
    root.querySelectorAll("a.dash-datepicker-clear:not([role])").forEach(function (link) {
      link.setAttribute("role", "button");
    });
  }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; mend(document); });
  }

  function start() {
    mend(document);
    new MutationObserver(schedule).observe(document.body, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ["tabindex", "role", "aria-expanded", "aria-selected"]
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
