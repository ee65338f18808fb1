/* The data-entry grid's value cells (dashboards/data_entry.py): a number as the page's
   language writes it (85,5 in Spanish and Portuguese), with its unit after it ("85,5 %", "85.5%").
   What the person typed and the server could not read yet stays as typed. AG Grid calls
   this through dash-ag-grid's function table, which needs no eval (the CSP allows none). */
(function () {
  "use strict";
  var functions = window.dashAgGridFunctions = window.dashAgGridFunctions || {};

  functions.citystatEntryValue = function (params) {
    var value = params.value;
    if (value === null || value === undefined || value === "") { return ""; }
    var suffix = (params.data && params.data.suffix) || "";
    var text = typeof value === "number"
      ? new Intl.NumberFormat(document.documentElement.lang || "en", {maximumFractionDigits: 10}).format(value)
      : String(value);
    return text + suffix;   // the suffix brings its own space, as the language writes it
  };
}());
