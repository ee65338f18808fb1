"""Languages: one translation function over the catalogues beside this file, the choice of
language per request, and locale-aware numbers, dates and periods through Babel.

Strings are looked up when a page or message is built, never at import time. Keys are
dotted ids (`overview.title`); texts use `{name}` placeholders.
"""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date as _babel_date, get_month_names
from babel.numbers import format_currency, format_decimal, format_percent

from metrics.periods import FiscalCalendar, Period

LANGUAGES = {"en": "English", "es": "Español", "pt": "Português"}
LOCALES = {"en": "en_US", "es": "es", "pt": "pt_BR"}
COOKIE = "citystat_lang"
_HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """The messages of `language` (read once; the files do not change while serving)."""
    with open(_HERE / f"{language}.json", encoding="utf-8") as handle:
        return json.load(handle)


def translate(key: str, language: str, **params) -> str:
    """The text of `key` in `language`, English when missing there, the key as a last resort."""
    text = catalogue(language).get(key) if language in LANGUAGES else None
    if text is None:
        text = catalogue("en").get(key, key)
    return text.format(**params) if params else text


def negotiate(cookie: str | None, accept_languages: list[tuple[str, float]], default: str) -> str:
    """Cookie first, then the browser's Accept-Language in its order, then the default."""
    if cookie in LANGUAGES:
        return cookie
    for tag, _quality in accept_languages:
        code = tag.split("-")[0].split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return default


def current_language() -> str:
    """The language of the request being served: the signed-in person's preference (which
    the guard puts in `g.user_language`), then cookie, browser, default. English outside
    a request."""
    from flask import current_app, has_request_context, request, g

    if not has_request_context():
        return "en"
    if "language" not in g:
        preferred = g.get("user_language")
        if preferred in LANGUAGES:
            g.language = preferred
        else:
            default = current_app.extensions["citystat"].config.default_language
            g.language = negotiate(request.cookies.get(COOKIE), list(request.accept_languages), default)
    return g.language


def _(key: str, **params) -> str:
    """Translate `key` into the current request's language."""
    return translate(key, current_language(), **params)


def localized(record: dict, field: str, language: str) -> str | None:
    """A record's own translation of `field` (`name_es`, ...) when it has one."""
    if language != "en":
        value = record.get(f"{field}_{language}")
        if value:
            return value
    return record.get(field)


# -- numbers, dates, periods ------------------------------------------------------------------
def format_number(value: float | None, language: str, decimals: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALES[language])


def format_value(value: float | None, unit: str, language: str, *, decimals: int = 0,
                 unit_label: str | None = None, currency: str = "USD") -> str:
    """A KPI value as a person reads it: 85.0 %, $1,234, 4.2 days, 3.1 per 1,000 residents."""
    if value is None:
        return "–"
    locale = LOCALES[language]
    if unit == "percent":
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
        return format_percent(value, format=pattern, locale=locale)
    if unit == "currency":
        return format_currency(value, currency, locale=locale, format_type="standard",
                               currency_digits=False,
                               format="¤#,##0" + ("." + "0" * decimals if decimals else ""))
    number = format_number(value, language, decimals)
    if unit == "duration" and unit_label:
        return f"{number} {translate('unit.' + unit_label, language)}"
    if unit == "rate" and unit_label:
        return f"{number} {unit_label}"
    return number


def axis_title(unit: str, language: str, *, unit_label: str | None = None, currency: str = "USD") -> str:
    """The y-axis title of a KPI chart: what one unit on it means."""
    if unit == "duration" and unit_label:
        return translate("unit." + unit_label, language)
    if unit == "rate" and unit_label:
        return unit_label
    if unit == "currency":
        return currency
    return translate("unit_name." + unit, language)


def format_day(day: date | None, language: str) -> str:
    return _babel_date(day, format="medium", locale=LOCALES[language]) if day else "–"


def format_period(period: Period, calendar: FiscalCalendar, language: str) -> str:
    """A period as a person reads it: Mar 2024, FY2024-Q1, week 2024-W10, FY2024."""
    locale = LOCALES[language]
    if period.frequency == "monthly":
        return _babel_date(period.start, format="MMM y", locale=locale)
    if period.frequency == "daily":
        return _babel_date(period.start, format="medium", locale=locale)
    if period.frequency == "weekly":
        return translate("period.week", language, label=calendar.label(period))
    return calendar.label(period)


def month_name(month: int, language: str) -> str:
    return get_month_names("wide", locale=LOCALES[language])[month]
