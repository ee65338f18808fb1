"""The mapping form of the import wizard and the profile document it stands for.

A profile (DESIGN §5) is the truth; the form shows the parts of it a person usually
sets - which column holds each field, the wide rules, the words of categorical columns,
missing-value words, percents, date format, what to do with bad rows - and `compose`
writes the form back over the profile it started from, leaving alone what the form does
not show (templates, header_row, decimal ...). Filling the form from a profile and
composing it again gives back the same profile.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from dash import dcc, html

from dashboards.components import dropdown_labels
from i18n import translate
from metrics.profiles import CATEGORIES, WIDE_KINDS

P = "imports-"
FIELDS_KPI = ("kpi_id", "kpi_name", "department", "goal_id")
FIELDS_LONG = ("period", "value", "target", "target_low", "target_high", "note")
FIELDS_DEFINITION = ("direction", "unit", "frequency", "aggregation", "description", "methodology", "data_source")
FORM_FIELDS = FIELDS_KPI + FIELDS_LONG + FIELDS_DEFINITION
WORD_FIELDS = ("direction", "unit", "frequency", "aggregation")
WORD_LABELS = {"direction": "direction.{}", "unit": "unit_name.{}", "frequency": "frequency.{}",
               "aggregation": "aggregation.{}"}
KEEP = "t:"              # the field keeps what the profile says (a template, an unusual constant)
BY_WORD = "by-word"      # a wide rule whose kind is read from the header (Actual / Target)
DEFAULT_KINDS = {"Actual": "actual", "Target": "target"}
DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%y", "%d/%m/%y", "excel")
PERCENTS = ("auto", "fraction", "points")
ON_ERROR = ("reject", "skip")
RULE_ROWS_EXTRA = 2      # empty rule rows offered below the profile's own
MAX_TEXT = 1000


class FormError(ValueError):
    """A form value no browser of ours would send."""


# -- reading the browser's values ------------------------------------------------------------------
def text(value, limit: int = MAX_TEXT) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise FormError("text")
    return value


def choice(value, allowed) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in allowed:
        raise FormError("choice")
    return value


def values_list(value, length: int) -> list:
    """A pattern-matching (ALL) input: a list of `length` at most."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > length:
        raise FormError("list")
    return value


# -- options ------------------------------------------------------------------------------------------
def constants(field: str, departments: dict[str, str]) -> dict[str, str]:
    """The words a field may take as one value for every row: id -> label key or name."""
    if field == "department":
        return departments
    return {word: WORD_LABELS[field].format(word) for word in CATEGORIES.get(field, ())}


def field_options(field: str, headers: list[str], spec: Any, departments: dict[str, str],
                  language: str) -> tuple[list[dict], str | None]:
    """A field's dropdown: the file's headers, then constants; and the value `spec` means."""
    options = [{"label": h, "value": "c:" + h} for h in headers if h]
    value = None
    if isinstance(spec, str):
        value = "c:" + spec
        if spec not in headers:
            options.insert(0, {"label": translate("imports.not_in_file", language, column=spec), "value": value})
    fixed = constants(field, departments) if field in ("department",) + WORD_FIELDS else {}
    for word, label in fixed.items():
        shown = translate(label, language) if field != "department" else label
        options.append({"label": translate("imports.every_row", language, value=shown), "value": "v:" + word})
    if isinstance(spec, dict) and set(spec) == {"value"} and isinstance(spec["value"], str) and spec["value"] in fixed:
        value = "v:" + spec["value"]
    elif spec is not None and value is None:
        value = KEEP
        options.insert(0, {"label": translate("imports.as_in_profile", language,
                                              spec=json.dumps(spec, ensure_ascii=False)[:120]), "value": KEEP})
    return options, value


def allowed_field_values(field: str, headers: list[str], departments: dict[str, str], spec: Any) -> set[str]:
    allowed = {"c:" + h for h in headers if h} | {KEEP}
    if isinstance(spec, str):
        allowed.add("c:" + spec)
    if field in ("department",) + WORD_FIELDS:
        allowed |= {"v:" + w for w in constants(field, departments)}
    return allowed


def kind_options(language: str, kind: Any) -> tuple[list[dict], str]:
    options = [{"label": translate("imports.kind_by_word", language), "value": BY_WORD}]
    options += [{"label": translate(f"imports.kind_{k}", language), "value": k} for k in WIDE_KINDS]
    if isinstance(kind, str) and kind in WIDE_KINDS:
        return options, kind
    if kind is None or kind == DEFAULT_KINDS:
        return options, BY_WORD
    options.insert(0, {"label": translate("imports.as_in_profile", language,
                                          spec=json.dumps(kind, ensure_ascii=False)[:120]), "value": KEEP})
    return options, KEEP


def date_format_options(language: str, current: Any) -> list[dict]:
    formats = list(DATE_FORMATS)
    if isinstance(current, str) and current not in formats:
        formats.insert(0, current)
    return [{"label": translate("imports.excel_dates", language) if f == "excel" else f, "value": f} for f in formats]


# -- pieces of the form ------------------------------------------------------------------------------
def rule_rows(rules: list[dict], language: str) -> list:
    """One row per wide rule of the profile, and a couple of empty ones to add more."""
    rows = []
    for index, rule in enumerate(list(rules) + [{}] * RULE_ROWS_EXTRA):
        options, kind = kind_options(language, rule.get("kind"))
        pattern_id = {"type": P + "rule-pattern", "index": index}
        period_id = {"type": P + "rule-period", "index": index}
        rows.append(html.Tr([
            html.Td([html.Label(translate("imports.rule_label", language, part=translate("imports.rule_pattern",
                                                                                           language), number=index + 1),
                                htmlFor=dom_id(pattern_id), className="visually-hidden"),
                     dcc.Input(id=pattern_id, type="text", className="text-input mono", value=rule.get("pattern") or "",
                               maxLength=300, debounce=True, placeholder="^FY ?(\\d{2}) (Actual|Target)$")]),
            html.Td([html.Label(translate("imports.rule_label", language, part=translate("imports.rule_period",
                                                                                           language), number=index + 1),
                                htmlFor=dom_id(period_id), className="visually-hidden"),
                     dcc.Input(id=period_id, type="text", className="text-input mono", value=rule.get("period") or "",
                               maxLength=60, debounce=True, placeholder="FY20{1}")]),
            html.Td(dcc.Dropdown(id={"type": P + "rule-kind", "index": index}, options=options, value=kind,
                                 clearable=False, searchable=False, className="rule-kind",
                                 labels=dropdown_labels(language))),
        ]))
    return [html.Table([
        html.Caption(translate("imports.rules_caption", language), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(translate(f"imports.rule_{c}", language), scope="col")
                            for c in ("pattern", "period", "kind")])),
        html.Tbody(rows),
    ], className="kpi-table rules-table")]


def dom_id(component_id: dict) -> str:
    """The id attribute Dash gives a component with a dict id (for <label for=...>)."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def word_rows(field: str, column: str, words: list[str] | None, current: dict[str, str], language: str):
    """For a categorical column: each word found in it, with the model word it means."""
    heading = translate("imports.words_heading", language, field=translate(f"imports.field_{field}", language),
                        column=column)
    if words is None:
        return html.Div([html.H4(heading, className="form-heading"),
                         html.P(translate("imports.too_many_words", language), className="muted small")],
                        className="word-map")
    options = [{"label": translate(WORD_LABELS[field].format(w), language), "value": w} for w in CATEGORIES[field]]
    rows = []
    for word in words:
        control_id = {"type": P + "word", "field": field, "word": word}
        rows.append(html.Div([
            html.Label(word, htmlFor=dom_id(control_id), className="word"),
            dcc.Dropdown(id=control_id, options=options, value=current.get(word.lower()),
                         placeholder=translate("imports.word_unmapped", language), labels=dropdown_labels(language)),
        ], className="word-row"))
    return html.Div([html.H4(heading, className="form-heading"), html.Div(rows, className="word-grid")],
                    className="word-map")


# -- profile -> form -> profile ----------------------------------------------------------------------------
def form_from(document: dict) -> dict:
    """The values the form shows for a profile document (besides the field dropdowns)."""
    values = document.get("values") if isinstance(document.get("values"), dict) else {}
    missing = values.get("missing")
    return {
        "shape": document.get("shape") if document.get("shape") in ("long", "wide") else "long",
        "missing": ", ".join(m for m in missing if isinstance(m, str) and m) if isinstance(missing, list) else "",
        "percent": values.get("percent") if values.get("percent") in PERCENTS else "auto",
        "period_format": document.get("period_format") if isinstance(document.get("period_format"), str) else None,
        "on_error": document.get("on_error") if document.get("on_error") in ON_ERROR else "reject",
        "rules": [r for r in document.get("wide") or [] if isinstance(r, dict)]
        if isinstance(document.get("wide"), list) else [],
    }


def _missing(text_value: str | None, base: Any) -> list[str] | None:
    words = [w.strip() for w in (text_value or "").split(",") if w.strip()]
    if isinstance(base, list) and [b for b in base if b] == words:
        return base
    return words or None


def compose(base: dict, form: dict) -> dict:
    """`base` with the form's choices written over it. `form` holds shape, fields (field ->
    option value), rules [(pattern, period, kind)], words (field -> {word: model}),
    missing, percent, period_format, on_error and sheet, already checked."""
    document = copy.deepcopy(base) if isinstance(base, dict) else {}
    shape = form["shape"]
    document["shape"] = shape
    base_columns = document.get("columns") if isinstance(document.get("columns"), dict) else {}
    columns = dict(base_columns)
    for field, value in form["fields"].items():
        if value is None or (shape == "wide" and field in FIELDS_LONG):
            columns.pop(field, None)
        elif value == KEEP:
            if field not in base_columns:
                columns.pop(field, None)
        elif value.startswith("c:"):
            columns[field] = value[2:]
        elif value.startswith("v:"):
            columns[field] = {"value": value[2:]}
    document["columns"] = columns
    base_rules = document.get("wide") if isinstance(document.get("wide"), list) else []
    rules = []
    for index, (pattern, period, kind) in enumerate(form["rules"]):
        if not pattern:
            continue
        if kind == KEEP and index < len(base_rules) and isinstance(base_rules[index], dict):
            kind = base_rules[index].get("kind")
        elif kind in (BY_WORD, KEEP, None):
            kind = dict(DEFAULT_KINDS)
        rules.append({"pattern": pattern, "period": period or "", "kind": kind})
    if shape == "wide":
        document["wide"] = rules
    else:
        document.pop("wide", None)
    values = dict(document.get("values")) if isinstance(document.get("values"), dict) else {}
    for field, mapping in form["words"].items():
        merged = {k: v for k, v in (values.get(field) or {}).items()
                  if isinstance(k, str) and k.lower() not in {w.lower() for w in mapping}}
        merged.update({word: model for word, model in mapping.items() if model})
        if merged:
            values[field] = merged
        else:
            values.pop(field, None)
    missing = _missing(form["missing"], values.get("missing"))
    if missing is None:
        values.pop("missing", None)
    else:
        values["missing"] = missing
    if form["percent"] != "auto" or "percent" in values:
        values["percent"] = form["percent"]
    if values:
        document["values"] = values
    else:
        document.pop("values", None)
    for key, default in (("period_format", None), ("on_error", "reject")):
        if form[key] != default or key in document:
            document[key] = form[key]
        if document.get(key) is None:
            document.pop(key, None)
    if form.get("sheet") is not None:
        document["sheet"] = form["sheet"]
    return document
