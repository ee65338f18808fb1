/* The public site's only script: draws each chart from the figure JSON the server put in
   <script type="application/json" data-chart-for="..."> (no inline script, so the page
   keeps script-src 'self'), and wires the "Copy" button of the embed code. Plotly comes
   from /public/static/plotly.min.js, served from the installed plotly package: nothing
   is fetched from elsewhere, and the charts work offline. */
(function () {
  "use strict";

  var NARROW = 560;   // px of chart width below which the chart packs itself for a phone

  // On a phone the server's layout would crowd: fewer period labels, slimmer margins and a
  // taller chart, so the legend (which names every line's dash pattern) keeps its room.
  function fitted(layout, width) {
    var copy = JSON.parse(JSON.stringify(layout));
    if (width >= NARROW) {
      return copy;
    }
    copy.height = (copy.height || 440) + 60;
    copy.margin = {l: 52, r: 10, t: 40, b: 44};
    copy.xaxis = copy.xaxis || {};
    copy.xaxis.nticks = 4;
    copy.xaxis.tickangle = 0;
    copy.font = copy.font || {};
    copy.font.size = 12;
    return copy;
  }

  function drawChart(source) {
    var target = document.getElementById(source.getAttribute("data-chart-for"));
    if (!target || !window.Plotly) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var figure = spec.figure || {};
    var data = figure.data || [];
    var layout = figure.layout || {};
    var narrow = target.clientWidth < NARROW;
    window.Plotly.newPlot(target, data, fitted(layout, target.clientWidth), spec.config || {});
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        var now = target.clientWidth < NARROW;
        if (now !== narrow) {   // plotly follows the width itself; only the packing changes here
          narrow = now;
          window.Plotly.react(target, data, fitted(layout, target.clientWidth), spec.config || {});
        }
      }, 150);
    });
  }

  function copyText(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    // Plain http (a city's intranet, say): select the text and use the older command.
    field.focus();
    field.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function wireCopy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var message = document.getElementById(button.id + "-message");
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(field).then(function () {
        if (message) { message.textContent = button.getAttribute("data-copied"); }
      }, function () {
        field.focus();
        field.select();
        if (message) { message.textContent = button.getAttribute("data-copy-failed"); }
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("script[data-chart-for]"), drawChart);
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), wireCopy);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
