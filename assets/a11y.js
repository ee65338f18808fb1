/* Accessibility mends for Dash 4's own components (WCAG 2.1 AA, checked by axe in the
   browser tests). Dash renders them; this only corrects their ARIA once they are in the
   page, and again whenever Dash re-renders them.
   - Dropdowns: Dash puts the Tab stop on a hidden input (aria-hidden) that hands focus to
     the real button. Screen readers then land on a hidden element, so the button itself
     becomes the Tab stop (its keyboard handlers are on it already).
   - Radio items and checklists: Dash wraps native radios and checkboxes in role=option
     inside role=listbox, which nests controls; the native inputs already say what they are,
     so the group becomes a radiogroup (or group) and the options plain labels.
   - Dropdown menus: their options hold a focusable input too; see mendMenus below.
   - Date pickers: aria-expanded on a wrapper without a role is not allowed, their clear
     link is a button (it has a label and no address), and their year field gets a name.
   - Upload zones: Dash's drop zone is a plain div over a see-through file input. The input
     takes Tab but opens the file chooser on Space only, and its ring is invisible (the
     input is). The zone becomes the button: the Tab stop, named by its visible text, and
     Enter or Space opens the chooser; the input leaves the Tab order.
   Keyboard focus that Dash's re-rendering takes away is put back by assets/keep_focus.js. */
(function () {
  "use strict";

  function mend(root) {
    root.querySelectorAll(".dash-dropdown-focus-target").forEach(function (target) {
      var button = target.nextElementSibling;
      if (!button || button.tagName !== "BUTTON") { return; }
      if (target.tabIndex !== -1) { target.tabIndex = -1; }
      if (!button.disabled && button.tabIndex !== 0) { button.tabIndex = 0; }
    });
    // Only radio items and checklists: a dropdown's open menu is a real listbox of options.
    root.querySelectorAll('.dash-radioitems[role="listbox"], .dash-checklist[role="listbox"]').forEach(function (list) {
      list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
    });
    // Dash re-renders a toggled option's aria-selected (not its role): drop it again.
    root.querySelectorAll('.dash-radioitems > .dash-options-list-option:is([role="option"], [aria-selected]), ' +
                          '.dash-checklist > .dash-options-list-option:is([role="option"], [aria-selected])'
    ).forEach(function (option) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    });
    root.querySelectorAll("[aria-expanded]:not([role]):not(button):not(a):not(input)").forEach(function (node) {
      node.removeAttribute("aria-expanded");
    });
    root.querySelectorAll("a.dash-datepicker-clear:not([role])").forEach(function (link) {
      link.setAttribute("role", "button");
    });
    // The open calendar's year field has no name; assets/component_labels.js translates it.
    root.querySelectorAll('.dash-datepicker-controls input[type="number"]:not([aria-label])').forEach(function (year) {
      year.setAttribute("aria-label", "Year");
    });
    root.querySelectorAll('div[aria-disabled] > input[type="file"]').forEach(function (input) {
      var zone = input.parentElement;
      var tabStop = zone.getAttribute("aria-disabled") === "true" ? -1 : 0;
      if (zone.getAttribute("role") !== "button") { zone.setAttribute("role", "button"); }
      if (zone.tabIndex !== tabStop) { zone.tabIndex = tabStop; }
      // Hidden, not only out of the Tab order: a focusable input inside a button is a control
      // nested in a control (axe: nested-interactive). A hidden file input still opens the
      // chooser on click(), and drops land on the zone.
      if (!input.hidden) { input.hidden = true; }
    });
    mendMenus(root);
  }

  /* Dropdown menus: each option is a role=option label around a native radio or checkbox,
     and the arrow keys move the focus onto that input. A control inside an option is
     nested interactive, and a screen reader hears "radio button" where it should hear the
     option. The option takes the focus instead (Dash's focus() on the input lands on its
     option), the input is inert (still drawn, still checked, out of the accessibility tree
     and the Tab order), and a click, Enter or Space on the option clicks the input, so that
     Dash's own change handler picks the value. for="" unties the label from its input: a
     click on it would otherwise be passed on to an inert control. The open menu, and its
     list, are named by the dropdown's <label>, and each option by its own text (aria-label:
     inert content does not count towards a name). */
  function focusOption(options) {
    HTMLElement.prototype.focus.call(this.closest('[role="option"]') || this, options);
  }

  function mendMenus(root) {
    root.querySelectorAll('.dash-dropdown-option[role="option"]').forEach(function (option) {
      var box = option.querySelector(":scope > .dash-options-list-option-wrapper");
      var input = box && box.querySelector("input");
      if (!input) { return; }
      if (!box.inert) { box.inert = true; }
      // An inert box is left out of the option's name as well: the option says its text itself.
      var text = box.textContent.trim();
      if (option.getAttribute("aria-label") !== text) { option.setAttribute("aria-label", text); }
      if (option.getAttribute("for") !== "") { option.setAttribute("for", ""); }
      if (option.getAttribute("tabindex") !== "-1") { option.setAttribute("tabindex", "-1"); }
      if (input.focus !== focusOption) { input.focus = focusOption; }
    });
    root.querySelectorAll("button.dash-dropdown[aria-controls]").forEach(function (button) {
      var menu = document.getElementById(button.getAttribute("aria-controls"));
      var label = button.labels && button.labels[0];
      var name = label ? label.textContent.trim() : button.getAttribute("aria-label");
      if (!menu || !name) { return; }
      [menu, menu.querySelector('[role="listbox"]')].forEach(function (node) {
        if (node && node.getAttribute("aria-label") !== name) { node.setAttribute("aria-label", name); }
      });
    });
  }

  function chosenOption(event) {
    var option = event.target.closest && event.target.closest('.dash-dropdown-option[role="option"][for=""]');
    return option && event.target.tagName !== "INPUT" ? option : null;
  }

  function clickOption(event) {
    var option = chosenOption(event);
    var input = option && option.querySelector("input");
    if (!input || input.disabled) { return; }
    if (event.type === "click") {
      input.click();
    } else if (event.key === "Enter" || event.key === " ") {
      // On keyup, as Dash does: a keydown would let the keyup reopen the closed menu.
      event.preventDefault();
      if (event.type === "keyup") { input.click(); }
    }
  }

  // Enter or Space on an upload zone opens its file chooser, as on any button.
  function openChooser(event) {
    var zone = event.target;
    if ((event.key !== "Enter" && event.key !== " ") || !zone.matches ||
        !zone.matches('div[role="button"][aria-disabled="false"]')) { return; }
    var input = zone.querySelector(':scope > input[type="file"]');
    if (!input) { return; }
    event.preventDefault();
    input.click();
  }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; mend(document); });
  }

  function start() {
    mend(document);
    document.addEventListener("keydown", openChooser);
    document.addEventListener("click", clickOption);
    document.addEventListener("keydown", clickOption);
    document.addEventListener("keyup", clickOption);
    // Menus at once, not in the next frame: Dash focuses a newly drawn option's input in
    // the next frame, and by then the option must take that focus.
    new MutationObserver(function () { mendMenus(document); }).observe(document.body,
                                                                   {subtree: true, childList: true});
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
