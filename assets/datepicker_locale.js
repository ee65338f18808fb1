/* Month and weekday names in Dash's date pickers, in the language the page is shown in.
   Dash's picker formats with date-fns and looks for its locales in window.dateFns.locale,
   matched against the *browser's* languages, else the first one there. We offer a single
   entry, built on request from the page's own language (the `lang` of .app, set by the
   shell) with the browser's Intl names, so a person reading Spanish sees "noviembre" and
   "Lun", whatever their browser says. Dates are still typed and stored as YYYY-MM-DD. */
(function () {
  "use strict";
  var TAGS = { en: "en-US", es: "es", pt: "pt-BR" };

  function tag() {
    var app = document.querySelector(".app[lang]");
    return TAGS[app && app.getAttribute("lang")] || "en-US";
  }

  function name(locale, options, when) {
    var text = new Intl.DateTimeFormat(locale, Object.assign({ timeZone: "UTC" }, options)).format(when);
    return text.replace(/\.$/, "");
  }

  function width(options, wide, abbreviated, narrow) {
    var asked = options && options.width;
    return asked === "narrow" ? narrow : asked === "abbreviated" || asked === "short" ? abbreviated : wide;
  }

  function build(locale) {
    return {
      code: locale,
      localize: {
        ordinalNumber: function (n) { return String(n); },
        era: function (n) { return n ? "AD" : "BC"; },
        quarter: function (n) { return "Q" + n; },
        month: function (i, options) {
          var month = width(options, "long", "short", "narrow");
          return name(locale, { month: month }, Date.UTC(2021, i, 1));
        },
        day: function (i, options) {
          // 2021-01-03 was a Sunday: date-fns counts weekdays from Sunday = 0.
          var when = Date.UTC(2021, 0, 3 + i);
          if (options && options.width === "short") {   // column heads: "Lun", "Seg" (two letters repeat in pt)
            var short = name(locale, { weekday: "short" }, when);
            return short.charAt(0).toUpperCase() + short.slice(1);
          }
          return name(locale, { weekday: width(options, "long", "short", "narrow") }, when);
        },
        dayPeriod: function (period) { return period === "am" ? "AM" : "PM"; }
      },
      formatLong: {
        date: function () { return "yyyy-MM-dd"; },
        time: function () { return "HH:mm"; },
        dateTime: function () { return "{{date}} {{time}}"; }
      },
      match: {},
      options: { weekStartsOn: 1, firstWeekContainsDate: 4 }
    };
  }

  var built = {};
  window.dateFns = window.dateFns || {};
  Object.defineProperty(window.dateFns, "locale", {
    configurable: true,
    get: function () {
      var locale = tag();
      built[locale] = built[locale] || build(locale);
      return { citystat: built[locale] };
    }
  });
})();
