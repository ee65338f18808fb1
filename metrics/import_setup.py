"""Setting up an import (DESIGN §5): a look at a city's file before any profile exists -
its first rows, encoding, delimiter and sheets, the shape its headers suggest, the words
its short categorical columns hold - and a first profile built from the headers, for the
wizard to show and a person to correct."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from metrics.periods import FiscalCalendar
from metrics.profiles import CATEGORIES, Profile, suggest_columns
from metrics.sources import SourceError, is_xlsx, stage_csv, stage_xlsx
from metrics.warehouse import Warehouse

PREVIEW_ROWS = 10
MAX_WORDS = 30          # a column with more distinct values is not categorical
WORD_COLUMNS = 60       # distinct values are gathered for at most this many columns
WORD_LENGTH = 60

# Month names in English, Spanish and Portuguese, by their usual abbreviations.
_MONTH_WORDS = {
    1: ("jan", "january", "ene", "enero", "janeiro"), 2: ("feb", "february", "febrero", "fev", "fevereiro"),
    3: ("mar", "march", "marzo", "março", "marco"), 4: ("apr", "april", "abr", "abril"),
    5: ("may", "mayo", "mai", "maio"), 6: ("jun", "june", "junio", "junho"), 7: ("jul", "july", "julio", "julho"),
    8: ("aug", "august", "ago", "agosto"), 9: ("sep", "sept", "september", "set", "septiembre", "setembro"),
    10: ("oct", "october", "octubre", "out", "outubro"), 11: ("nov", "november", "noviembre", "novembro"),
    12: ("dec", "december", "dic", "diciembre", "dez", "dezembro"),
}
_KINDS = {"Actual": "actual", "Target": "target"}

# The usual ways exports name period columns: (pattern, period template, kind). First match wins.
WIDE_FORMS: tuple[tuple[str, str, Any], ...] = (
    (r"^FY ?(\d{2}) (Actual|Target)$", "FY20{1}", _KINDS),
    (r"^FY ?(\d{4}) (Actual|Target)$", "FY{1}", _KINDS),
    (r"^FY ?(\d{4}) Total (Actual|Target)", "FY{1}", _KINDS),
    (r"^FY ?(\d{2}) ?-? ?Q([1-4])$", "FY20{1}-Q{2}", "actual"),
    (r"^FY ?(\d{4}) ?-? ?Q([1-4])$", "FY{1}-Q{2}", "actual"),
    (r"^FY ?(\d{4})$", "FY{1}", "actual"),
    (r"^FY ?(\d{2})$", "FY20{1}", "actual"),
    (r"^(\d{4}) ?-? ?Q([1-4])$", "{1}-Q{2}", "actual"),
    (r"^Q([1-4]) ?(\d{4})$", "{2}-Q{1}", "actual"),
    (r"^(\d{4})-(\d{2})$", "{1}-{2}", "actual"),
    (r"^((?:19|20)\d{2}) (Actual|Target)$", "{1}", _KINDS),
    (r"^((?:19|20)\d{2})$", "{1}", "actual"),
)


@dataclass
class Preview:
    """What the wizard shows of a file before it is mapped."""

    kind: str                                   # csv or xlsx
    headers: list[str]
    rows: list[list[str | None]]                # the first PREVIEW_ROWS rows, as text
    row_count: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    shape: str | None = None                    # long, wide, or None when the headers do not say
    words: dict[str, list[str]] = field(default_factory=dict)   # header -> its few distinct values

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview_file(warehouse: Warehouse, path: Path, *, sheet: str | None = None, workdir: Path) -> Preview:
    """Stage `path` (CSV or XLSX, by content) and describe it. Raises SourceError."""
    with warehouse.workspace() as ws:
        if is_xlsx(path):
            staged = stage_xlsx(ws, path, sheet=sheet)
        else:
            staged = stage_csv(ws, path, workdir=workdir)
        width = len(staged.headers)
        if not width:
            raise SourceError("The file has no header row.")
        cells = ", ".join(f"c{i}" for i in range(width))
        rows = [list(r) for r in ws.execute(f"SELECT {cells} FROM raw ORDER BY _line LIMIT {PREVIEW_ROWS}").rows]
        words = _words(ws, staged.headers)
    return Preview(kind=staged.kind, headers=staged.headers, rows=rows, row_count=staged.rows,
                   encoding=staged.encoding, delimiter=staged.delimiter, sheet=staged.sheet,
                   sheets=list(staged.sheets), shape=guess_shape(staged.headers), words=words)


def _words(ws, headers: list[str]) -> dict[str, list[str]]:
    """The distinct values of each column that has only a few (a direction, a unit ...)."""
    columns = [i for i, h in enumerate(headers) if h][:WORD_COLUMNS]
    if not columns:
        return {}
    counts = ws.execute("SELECT " + ", ".join(f"count(DISTINCT nullif(trim(c{i}), ''))" for i in columns)
                        + " FROM raw").rows[0]
    few = [i for i, n in zip(columns, counts) if 0 < n <= MAX_WORDS]
    if not few:
        return {}
    lists = ws.execute("SELECT " + ", ".join(f"list(DISTINCT trim(c{i}) ORDER BY trim(c{i})) "
                                             f"FILTER (WHERE nullif(trim(c{i}), '') IS NOT NULL)" for i in few)
                       + " FROM raw").rows[0]
    return {headers[i]: [w[:WORD_LENGTH] for w in values] for i, values in zip(few, lists)}


# -- shapes and first profiles --------------------------------------------------------------------
def _month_of(header: str) -> int | None:
    word = header.strip().rstrip(".").lower()
    return next((month for month, names in _MONTH_WORDS.items() if word in names), None)


def period_headers(headers: list[str]) -> list[str]:
    """Headers that name a period: fiscal years, quarters, months, years."""
    return [h for h in headers if any(re.search(p, h.strip(), re.IGNORECASE) for p, _, _ in WIDE_FORMS)
            or _month_of(h) is not None]


def guess_shape(headers: list[str]) -> str | None:
    """long when a column names a period or date and another a value; wide when two or more
    headers look like periods (FY 24 Actual, FY2025, 2024-Q1, Jan); None otherwise."""
    suggested = suggest_columns(headers)
    if "period" in suggested and ("value" in suggested or "target" in suggested):
        return "long"
    if len(period_headers(headers)) >= 2:
        return "wide"
    return None


def suggest_wide_rules(headers: list[str], calendar: FiscalCalendar, today: date | None = None) -> list[dict]:
    """Wide rules covering the period headers, in the order their forms first appear.
    Bare month names (Jul ... Jun) are read as the months of the current fiscal year."""
    rules: list[dict] = []
    seen: set[str] = set()
    fiscal_year = calendar.fiscal_year(today or date.today())
    for header in headers:
        text = header.strip()
        form = next((f for f in WIDE_FORMS if re.search(f[0], text, re.IGNORECASE)), None)
        if form is not None:
            if form[0] not in seen:
                seen.add(form[0])
                rules.append({"pattern": form[0], "period": form[1], "kind": form[2]})
            continue
        month = _month_of(header)
        if month is not None:
            start = calendar.fiscal_year_start(fiscal_year)
            year = start.year if month >= calendar.start_month else start.year + 1
            pattern = f"^{re.escape(text)}$"
            if pattern not in seen:
                seen.add(pattern)
                rules.append({"pattern": pattern, "period": f"{year}-{month:02d}", "kind": "actual"})
    return rules


def suggest_profile(headers: list[str], calendar: FiscalCalendar, today: date | None = None) -> dict[str, Any]:
    """A first profile for a file with these headers, for a person to check."""
    shape = guess_shape(headers) or "long"
    columns = suggest_columns(headers)
    document: dict[str, Any] = {"shape": shape}
    if shape == "wide":
        taken = set(period_headers(headers))
        columns = {k: v for k, v in columns.items()
                   if k not in ("period", "value", "target", "note") and v not in taken}
        document["columns"] = columns
        document["wide"] = suggest_wide_rules(headers, calendar, today)
    else:
        document["columns"] = columns
    return document


# Source words a city writes for the model's categorical words.
_WORDS = {
    "direction": {"up": ("up", "increase", "increasing", "higher", "higher is better", "more", "maximize",
                         "aumentar", "aumento", "mayor", "maior", "subir"),
                  "down": ("down", "decrease", "decreasing", "lower", "lower is better", "less", "fewer", "minimize",
                           "reduce", "disminuir", "reducir", "menor", "diminuir", "reduzir"),
                  "band": ("band", "range", "within range", "between", "rango", "faixa", "intervalo"),
                  "neutral": ("neutral", "maintain", "none", "n/a", "context", "mantener", "manter")},
    "unit": {"count": ("count", "number", "#", "numero", "número", "cantidad", "quantidade", "total"),
             "percent": ("percent", "percentage", "%", "pct", "porcentaje", "porcentagem", "percentual"),
             "currency": ("currency", "dollars", "dollar", "$", "usd", "amount", "cost", "moneda", "pesos", "reais"),
             "duration": ("duration", "time", "days", "hours", "minutes", "tiempo", "tempo", "dias"),
             "rate": ("rate", "tasa", "taxa"), "ratio": ("ratio", "razon", "razão", "proportion"),
             "score": ("score", "index", "rating", "puntaje", "indice", "índice", "pontuação")},
    "frequency": {"daily": ("daily", "day", "diario", "diaria", "diário"),
                  "weekly": ("weekly", "week", "semanal"),
                  "monthly": ("monthly", "month", "mensual", "mensal"),
                  "quarterly": ("quarterly", "quarter", "trimestral"),
                  "annual": ("annual", "annually", "yearly", "year", "fiscal year", "anual")},
    "aggregation": {"sum": ("sum", "total", "suma", "soma"), "mean": ("mean", "average", "avg", "promedio", "média"),
                    "last": ("last", "latest", "ultimo", "último"), "ratio": ("ratio",)},
}


def guess_words(field_name: str, words: list[str]) -> dict[str, str]:
    """A model word for each source word of a categorical field, where one is plain."""
    allowed = CATEGORIES.get(field_name, ())
    table = _WORDS.get(field_name, {})
    guessed = {}
    for word in words:
        key = " ".join(word.lower().split())
        if key in allowed:
            guessed[word] = key
            continue
        match = next((model for model, synonyms in table.items() if key in synonyms), None)
        if match:
            guessed[word] = match
    return guessed


def wide_matches(profile: Profile, headers: list[str]) -> list[tuple[str, str, str]]:
    """(header, period, kind) for each column a wide profile reads, by the engine's rule."""
    return [(header, period, kind) for _index, header, period, kind in profile.wide_columns(headers)]
