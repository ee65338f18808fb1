"""Import profiles (DESIGN §5): how a city's export maps onto goals, KPIs, targets and
observations, checked once when saved and again when used, with messages that say what to
fix. A profile is JSON; `Profile.parse(document)` returns a checked profile or raises
ProfileError listing every problem found."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from metrics.reasons import Reason
from metrics.schema import AGGREGATIONS, DIRECTIONS, FREQUENCIES, UNITS

# What a column mapping may name. Observation fields, then KPI fields.
VALUE_FIELDS = ("period", "value", "target", "target_low", "target_high", "numerator", "denominator",
                "dimension", "member", "note")
KPI_FIELDS = ("kpi_id", "kpi_name", "department", "goal_id", "goal_title", "description", "unit", "unit_label",
              "direction", "frequency", "aggregation", "tolerance", "lag", "published", "critical", "owner",
              "data_source", "methodology", "name_es", "name_pt", "description_es", "description_pt")
FIELDS = VALUE_FIELDS + KPI_FIELDS
CATEGORIES = {"unit": UNITS, "direction": DIRECTIONS, "frequency": FREQUENCIES, "aggregation": AGGREGATIONS}
WIDE_KINDS = ("actual", "target", "target_low", "target_high", "numerator", "denominator", "note")
DEFAULT_MISSING = ("", "NA", "N/A", "N\\A", "n/a", "#N/A", "null", "NULL", "-", "—", "No Data")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1")
PERCENT_MODES = ("auto", "fraction", "points")
_TEMPLATE_PART = re.compile(r"{([^{}]+)}")

# Header words that suggest a mapping in the wizard (lower case, without punctuation).
SYNONYMS = {
    "kpi_id": ("measure id", "kpi id", "indicator id", "metric id", "id", "code", "measure code"),
    "kpi_name": ("performance measure", "measure", "kpi", "indicator", "metric", "measure name", "kpi name",
                 "indicator name", "metric name", "name"),
    "department": ("agency", "department", "dept", "division", "bureau", "office"),
    "period": ("period", "date", "month", "reporting period", "fiscal period", "as of"),
    "value": ("actual", "value", "result", "actuals", "amount", "count", "score"),
    "target": ("target", "goal", "benchmark", "objective"),
    "direction": ("desired outcome", "direction", "polarity", "desired direction", "better if"),
    "unit": ("unit", "units", "percent or count", "measure type", "unit of measure"),
    "frequency": ("frequency", "interval", "reporting frequency"),
    "note": ("note", "notes", "comment", "comments", "explanation", "context"),
    "description": ("description", "definition", "service description"),
    "methodology": ("methodology", "measure formula", "formula", "calculation"),
    "data_source": ("data source", "source", "system"),
}


class ProfileError(ValueError):
    """The profile cannot be used; `problems` lists each thing to fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Source:
    """Where a field comes from: a column, a constant, or a template over columns."""

    column: str | None = None
    constant: Any = None
    template: str | None = None

    @property
    def columns(self) -> list[str]:
        if self.column:
            return [self.column]
        if self.template:
            return _TEMPLATE_PART.findall(self.template)
        return []


@dataclass(frozen=True)
class WideRule:
    pattern: re.Pattern
    period: str
    kind: dict[str, str] | str


@dataclass(frozen=True)
class Profile:
    shape: str
    columns: dict[str, Source]
    wide: tuple[WideRule, ...] = ()
    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1
    period_format: str | None = None
    decimal: str = "."
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    missing: tuple[str, ...] = DEFAULT_MISSING
    percent: str = "auto"
    on_error: str = "reject"
    document: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, document: Any) -> "Profile":
        problems: list[str] = []
        if not isinstance(document, dict):
            raise ProfileError([Reason("profile.not_object")])
        known = {"shape", "columns", "wide", "encoding", "delimiter", "sheet", "header_row", "period_format",
                 "decimal", "values", "on_error", "name", "description"}
        problems += [Reason("profile.unknown_key", key=repr(key), known=", ".join(sorted(known)))
                     for key in document if key not in known]
        shape = document.get("shape")
        if shape not in ("long", "wide"):
            problems.append(Reason("profile.shape"))
        columns = _columns(document.get("columns"), problems)
        wide = _wide(document.get("wide"), shape, problems)
        values = document.get("values") or {}
        if not isinstance(values, dict):
            problems.append(Reason("profile.values"))
            values = {}
        value_maps: dict[str, dict[str, str]] = {}
        for name, mapping in values.items():
            if name in ("missing", "percent"):
                continue
            if name not in FIELDS or not isinstance(mapping, dict):
                problems.append(Reason("profile.value_map", name=name))
                continue
            allowed = CATEGORIES.get(name)
            for source, target in mapping.items():
                if allowed and target not in allowed:
                    problems.append(Reason("profile.value_word", name=name, word=repr(target), allowed=", ".join(allowed)))
            value_maps[name] = {str(k).strip().lower(): v for k, v in mapping.items()}
        missing = values.get("missing", list(DEFAULT_MISSING))
        if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
            problems.append(Reason("profile.missing"))
            missing = list(DEFAULT_MISSING)
        percent = values.get("percent", "auto")
        if percent not in PERCENT_MODES:
            problems.append(Reason("profile.percent", allowed=", ".join(PERCENT_MODES)))
        encoding = document.get("encoding") or "auto"
        if str(encoding).lower() not in ENCODINGS:
            problems.append(Reason("profile.encoding", allowed=", ".join(ENCODINGS)))
        delimiter = document.get("delimiter")
        if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
            problems.append(Reason("profile.delimiter"))
        decimal = document.get("decimal", ".")
        if decimal not in (".", ","):
            problems.append(Reason("profile.decimal"))
        on_error = document.get("on_error", "reject")
        if on_error not in ("reject", "skip"):
            problems.append(Reason("profile.on_error"))
        header_row = document.get("header_row", 1)
        if not isinstance(header_row, int) or not 1 <= header_row <= 100:
            problems.append(Reason("profile.header_row"))
        period_format = document.get("period_format")
        if period_format is not None and (not isinstance(period_format, str) or
                                          (period_format != "excel" and "%" not in period_format)):
            problems.append(Reason("profile.period_format"))
        if "kpi_id" not in columns and "kpi_name" not in columns:
            problems.append(Reason("profile.kpi_column"))
        if shape == "long":
            if "period" not in columns:
                problems.append(Reason("profile.long_period"))
            if not {"value", "target", "target_low", "numerator"} & set(columns):
                problems.append(Reason("profile.long_value"))
        if ("target_low" in columns) != ("target_high" in columns):
            problems.append(Reason("profile.target_pair"))
        if problems:
            raise ProfileError(problems)
        return cls(shape=shape, columns=columns, wide=wide, encoding=str(encoding).lower(), delimiter=delimiter,
                   sheet=document.get("sheet"), header_row=header_row, period_format=period_format,
                   decimal=decimal, value_maps=value_maps, missing=tuple(missing), percent=percent,
                   on_error=on_error, document=document)

    def wide_columns(self, headers: list[str]) -> list[tuple[int, str, str, str]]:
        """(index, header, period text, kind) of each column a wide profile reads: the first
        rule whose pattern matches the header and whose kind map names one of its groups."""
        found = []
        for index, header in enumerate(headers):
            for rule in self.wide:
                match = rule.pattern.search(header)
                if not match:
                    continue
                period = re.sub(r"{(\d+)}", lambda m: match.group(int(m[1])) or "", rule.period)
                groups = {g.lower() for g in match.groups() if g}
                kind = rule.kind if isinstance(rule.kind, str) else next(
                    (v for k, v in rule.kind.items() if k.lower() in groups), None)
                if kind is not None:
                    found.append((index, header, period, kind))
                    break
        return found

    def referenced_columns(self) -> set[str]:
        return {column for source in self.columns.values() for column in source.columns}


def _columns(raw: Any, problems: list[str]) -> dict[str, Source]:
    if not isinstance(raw, dict):
        problems.append(Reason("profile.columns"))
        return {}
    columns = {}
    for name, spec in raw.items():
        if name not in FIELDS:
            problems.append(Reason("profile.not_a_field", name=name, fields=", ".join(FIELDS)))
            continue
        if spec is None:
            continue
        if isinstance(spec, str):
            columns[name] = Source(column=spec)
        elif isinstance(spec, dict) and set(spec) == {"value"}:
            columns[name] = Source(constant=spec["value"])
        elif isinstance(spec, dict) and set(spec) == {"template"} and isinstance(spec["template"], str) \
                and _TEMPLATE_PART.search(spec["template"]):
            columns[name] = Source(template=spec["template"])
        else:
            problems.append(Reason("profile.column_source", name=name))
    return columns


def _wide(raw: Any, shape: str | None, problems: list[str]) -> tuple[WideRule, ...]:
    if shape != "wide":
        if raw:
            problems.append(Reason("profile.wide_only"))
        return ()
    if not isinstance(raw, list) or not raw:
        problems.append(Reason("profile.wide_needed"))
        return ()
    rules = []
    for number, rule in enumerate(raw, start=1):
        if not isinstance(rule, dict) or not {"pattern", "period", "kind"} <= set(rule):
            problems.append(Reason("profile.wide_rule", number=number))
            continue
        try:
            pattern = re.compile(rule["pattern"], re.IGNORECASE)
        except (re.error, TypeError) as error:
            problems.append(Reason("profile.wide_pattern", number=number, problem=str(error)))
            continue
        kind = rule["kind"]
        kinds = kind.values() if isinstance(kind, dict) else [kind]
        if not all(k in WIDE_KINDS for k in kinds):
            problems.append(Reason("profile.wide_kind", number=number, allowed=", ".join(WIDE_KINDS)))
            continue
        groups = [int(g) for g in re.findall(r"{(\d+)}", rule["period"])]
        if any(g > pattern.groups for g in groups):
            problems.append(Reason("profile.wide_group", number=number))
            continue
        rules.append(WideRule(pattern, rule["period"], kind))
    return tuple(rules)


def suggest_columns(headers: list[str]) -> dict[str, str]:
    """A first mapping for the wizard: each field to the header that names it best."""
    normal = {h: re.sub(r"[^a-z0-9 ]+", " ", h.lower()).strip() for h in headers}
    suggestion: dict[str, str] = {}
    for name, words in SYNONYMS.items():
        for word in words:
            match = next((h for h in headers if normal[h] == word and h not in suggestion.values()), None)
            if match:
                suggestion[name] = match
                break
    return suggestion
