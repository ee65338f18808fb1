"""Languages: complete catalogues, negotiation order, locale formatting."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from i18n import (LANGUAGES, axis_title, catalogue, format_number, format_period, format_value,
                  negotiate, translate)
from metrics.periods import FiscalCalendar, Period

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"{(\w+)}")


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_key_is_translated_with_the_same_placeholders(language):
    english, other = catalogue("en"), catalogue(language)
    assert sorted(set(english) - set(other)) == [], f"missing in {language}"
    assert sorted(set(other) - set(english)) == [], f"unknown keys in {language}"
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(other[key])), key
        assert other[key].strip(), key


def test_every_key_used_in_the_code_exists():
    used = set()
    for path in list((ROOT / "dashboards").glob("*.py")) + list((ROOT / "web").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""(?:_|translate)\(\s*f?["']([a-z_]+\.[a-z_.{}0-9]+)["']""", text))
    english = catalogue("en")
    dynamic = {key for key in used if "{" in key}
    missing = sorted(key for key in used - dynamic if key not in english)
    assert not missing, missing
    for key in dynamic:  # f-strings such as f"direction.{kpi['direction']}" need a family of keys
        prefix = key.split("{")[0]
        assert any(k.startswith(prefix) for k in english), key


@pytest.mark.parametrize("cookie, accept, expected", [
    ("pt", [("es", 1.0)], "pt"),
    (None, [("es-MX", 1.0), ("en", 0.5)], "es"),
    (None, [("fr", 1.0), ("pt-BR", 0.8)], "pt"),
    ("klingon", [("de", 1.0)], "en"),
    (None, [], "es"),
])
def test_negotiation_order(cookie, accept, expected):
    default = "es" if not accept else "en"
    assert negotiate(cookie, accept, default) == expected


def test_missing_text_falls_back_to_english_then_the_key():
    assert translate("nav.overview", "xx") == "Overview"
    assert translate("no.such.key", "es") == "no.such.key"
    assert translate("overview.owner", "es", owner="Ana") == "Responsable: Ana"


@pytest.mark.parametrize("language, expected", [("en", "1,234.5"), ("es", "1.234,5"), ("pt", "1.234,5")])
def test_numbers_follow_the_locale(language, expected):
    assert format_number(1234.5, language, 1) == expected


def test_values_by_unit():
    assert format_value(0.853, "percent", "en", decimals=1) == "85.3%"
    assert format_value(0.853, "percent", "pt", decimals=1).replace("\xa0", " ") == "85,3%"
    assert format_value(1234567, "currency", "en") == "$1,234,567"
    assert format_value(4.26, "duration", "es", decimals=1, unit_label="days") == "4,3 días"
    assert format_value(3.14, "rate", "en", decimals=1, unit_label="per 1,000 residents") == "3.1 per 1,000 residents"
    assert format_value(None, "count", "en") == "–"
    assert axis_title("duration", "pt", unit_label="minutes") == "minutos"
    assert axis_title("count", "es") == "Cantidad"


def test_periods_read_in_the_language():
    calendar = FiscalCalendar(7)
    march = Period("monthly", date(2024, 3, 1))
    assert format_period(march, calendar, "en") == "Mar 2024"
    assert format_period(march, calendar, "es").lower().startswith("mar")
    assert format_period(calendar.parse("FY2024-Q2"), calendar, "pt") == "FY2024-Q2"
    assert format_period(calendar.parse("2024-W10"), calendar, "es") == "Semana 2024-W10"
