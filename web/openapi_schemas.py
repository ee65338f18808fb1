"""The OpenAPI document's shared pieces (issue #8): the error body, the KPI, goal and
department objects, and the few JSON-Schema helpers the path descriptions use. Data, not
logic: the enums come from metrics/, so the document cannot drift from what the status
engine and the catalogue accept. Meetings, imports and datasets are in openapi_work.py."""
from __future__ import annotations

from typing import Any

from appdb.models import ACTION_STATUSES, MEETING_STATUSES
from i18n import LANGUAGES
from metrics.agenda import KINDS as AGENDA_KINDS
from metrics.schema import AGGREGATIONS, DIRECTIONS, FREQUENCIES, UNITS
from metrics.status import STATUSES, TRENDS
from web.kpi_edit_rules import MAX_BREAKDOWNS, TEXT_LIMITS as KPI_TEXT_LIMITS

Schema = dict[str, Any]


# -- helpers --------------------------------------------------------------------------------------------
def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """`schema` or null, written the OpenAPI 3.1 way (a type list, or anyOf for a $ref)."""
    if "type" in schema and isinstance(schema["type"], str):
        out = {**schema, "type": [schema["type"], "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def record(properties: dict[str, Schema], *, optional: tuple[str, ...] = (), open_ended: bool = False,
           description: str | None = None) -> Schema:
    """An object whose properties are all present (bar `optional`); closed unless
    `open_ended`, so a field added to an answer without the document fails its test."""
    out: Schema = {"type": "object", "properties": properties,
                   "required": [name for name in properties if name not in optional]}
    if not open_ended:
        out["additionalProperties"] = False
    if description:
        out["description"] = description
    return out


def array(items: Schema, description: str | None = None) -> Schema:
    out: Schema = {"type": "array", "items": items}
    if description:
        out["description"] = description
    return out


STRING: Schema = {"type": "string"}
TEXT: Schema = nullable(STRING)
NUMBER: Schema = {"type": "number"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
DAY: Schema = {"type": "string", "format": "date", "description": "A day, YYYY-MM-DD."}
# Stored times are the city's local clock time without a zone (commentary adds a Z: UTC).
TIMESTAMP: Schema = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$",
                     "description": "A moment, YYYY-MM-DDTHH:MM:SS."}
PERIOD: Schema = {"type": "string", "description": "A period as the city names it: 2026-03-05 (day), "
                  "2026-W10 (ISO week), 2026-03 (month), 2026-Q1 or FY2026-Q1 (quarter), FY2026 (fiscal year), "
                  "2026 (calendar year)."}
LANGUAGE: Schema = {"type": "string", "enum": list(LANGUAGES)}


# -- errors ----------------------------------------------------------------------------------------------
ERROR: Schema = record({
    "error": {"type": "string", "description": "What went wrong and what to do about it, in the caller's "
                                               "language (Accept-Language or the signed-in person's choice)."},
    "details": {"type": "array", "description": "Specifics, usually text: the fields or rows to fix, or the "
                                                "message key of the refusal."},
}, description="Every error answer of the API (an import's or a dataset's 422 adds its report).")


# -- KPIs --------------------------------------------------------------------------------------------------
BAND: Schema = record({"low": NUMBER, "high": NUMBER}, description="A target band: good between low and high.")
FORECAST: Schema = record({
    "fiscal_year": {"type": "string", "description": "The fiscal year forecast, e.g. FY2027."},
    "method": {"type": "string", "enum": ["seasonal_naive", "linear", "actual"],
               "description": "seasonal_naive: from last year's pattern; linear: the trend so far; actual: "
                              "the year is complete."},
    "value": NUMBER,
    "low": {**NUMBER, "description": "Lower end of the 80 % interval."},
    "high": {**NUMBER, "description": "Upper end of the 80 % interval."},
    "likelihood": nullable({"type": "string", "enum": ["likely", "unlikely", "uncertain"]}),
    "target": record({"value": nullable(NUMBER), "low": nullable(NUMBER), "high": nullable(NUMBER)},
                     description="The fiscal year's target: a value, or a band."),
}, description="The projected year-end value, where the fiscal year has a target.")

KPI_PROPERTIES: dict[str, Schema] = {
    "id": {"type": "string", "description": "Stable slug, e.g. potholes-repaired."},
    "name": STRING,
    "department": nullable({"type": "string", "description": "Department id."}),
    "department_name": TEXT,
    "goal_id": nullable({"type": "string", "description": "The goal it serves; null for anonymous callers "
                                                          "when that goal is not published."}),
    "unit": {"type": "string", "enum": list(UNITS)},
    "direction": {"type": "string", "enum": list(DIRECTIONS), "description": "Which way is good."},
    "frequency": {"type": "string", "enum": list(FREQUENCIES)},
    "aggregation": {"type": "string", "enum": list(AGGREGATIONS), "description": "How periods add up over time."},
    "published": {"type": "boolean", "description": "Shown to anonymous visitors (always true for them)."},
    "critical": BOOLEAN,
    "latest": nullable(record({"period": PERIOD, "value": nullable(NUMBER)},
                              description="The latest period with a city-wide value, as of `as_of`.")),
    "target": {"description": "The target the status compares with: a number, a band, or null.",
               "anyOf": [NUMBER, BAND, {"type": "null"}]},
    "target_basis": nullable({"type": "string", "enum": ["period", "fiscal_year_to_date", "fiscal_year"],
                              "description": "Where the target came from: the period's own, the fiscal year's "
                                             "pro-rated to date (sum KPIs), or the fiscal year's."}),
    "compared_value": nullable({**NUMBER, "description": "The value compared with the target (a fiscal-year-to-"
                                                         "date sum when target_basis is fiscal_year_to_date)."}),
    "percent_of_target": nullable({**NUMBER, "description": "compared_value / target, as a fraction."}),
    "status": {"type": "string", "enum": list(STATUSES)},
    "trend": {"type": "string", "enum": list(TRENDS)},
    "stale": {"type": "boolean", "description": "The next value is overdue."},
    "next_due": nullable({**DAY, "description": "When the next period's value is due."}),
    "forecast": nullable(ref("Forecast")),
}
KPI: Schema = record(KPI_PROPERTIES, description="A KPI with its status as of `as_of` (DESIGN §4, §8).")

KPI_DETAIL: Schema = record({
    **KPI_PROPERTIES,
    "name_es": TEXT, "name_pt": TEXT, "description": TEXT, "description_es": TEXT, "description_pt": TEXT,
    "unit_label": TEXT, "tolerance": NUMBER, "decimals": {"type": "integer", "minimum": 0, "maximum": 6},
    "owner": TEXT, "data_source": TEXT, "methodology": TEXT,
    "lag": nullable({"type": "integer", "minimum": 0, "description": "Days after a period ends that its value "
                                                                     "is due; null: one period."}),
    "lag_days": nullable({"type": "integer", "minimum": 0, "description": "The same as lag."}),
    "breakdowns": array(STRING, "Dimensions the observations are broken down by, e.g. district."),
    "targets": array(record({"period": PERIOD, "frequency": {"type": "string", "enum": list(FREQUENCIES)},
                             "value": nullable(NUMBER), "low": nullable(NUMBER), "high": nullable(NUMBER)})),
    "observations": array(record({
        "period": PERIOD, "dimension": TEXT, "member": TEXT, "value": nullable(NUMBER),
        "numerator": nullable(NUMBER), "denominator": nullable(NUMBER), "note": TEXT,
        "import_batch": nullable({"type": "integer", "description": "The import that loaded it."}),
        "definition_version": nullable({"type": "integer", "description": "The SQL definition that computed it."}),
        "raw_batch": nullable({"type": "integer", "description": "The raw dataset load it was computed from."}),
    }), "Values of periods ended by `as_of`, city-wide (dimension null) and by breakdown."),
    "sql": nullable({"type": "string", "description": "A computed KPI's SQL over the raw datasets."}),
    "definition": nullable(record({
        "version": INTEGER, "datasets": array(STRING), "saved_by": TEXT, "saved_at": TIMESTAMP,
    }, description="A computed KPI's current definition.")),
}, description="One KPI: the list fields, its definition, targets and observations.")


def _kpi_text(name: str) -> Schema:
    return nullable({"type": "string", "maxLength": KPI_TEXT_LIMITS[name]})


KPI_WRITE: Schema = {
    "type": "object",
    "description": "A new KPI's fields as DESIGN §3 names them; managers and admins only may set published.",
    "required": ["id", "name", "department", "frequency"],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"},
        "name": {"type": "string", "maxLength": KPI_TEXT_LIMITS["name"]},
        "name_es": _kpi_text("name_es"), "name_pt": _kpi_text("name_pt"),
        "department": STRING, "goal_id": nullable({"type": "string", "description": "A goal that is not archived."}),
        "unit": {"type": "string", "enum": list(UNITS)}, "unit_label": _kpi_text("unit_label"),
        "direction": {"type": "string", "enum": list(DIRECTIONS)},
        "frequency": {"type": "string", "enum": list(FREQUENCIES)},
        "aggregation": {"type": "string", "enum": list(AGGREGATIONS)},
        "tolerance": {"type": "number", "minimum": 0, "maximum": 10},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 6},
        "lag": nullable({"type": "integer", "minimum": 0, "maximum": 3660}),
        "published": BOOLEAN, "critical": BOOLEAN,
        **{name: _kpi_text(name) for name in ("owner", "data_source", "methodology", "description",
                                              "description_es", "description_pt")},
        "breakdowns": {**array({"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"}),
                       "maxItems": MAX_BREAKDOWNS, "uniqueItems": True},
        "sql": {"type": "string", "description": "One SELECT over the raw datasets returning period and value "
                                                 "(and member for breakdowns): makes the KPI computed."},
    },
    "additionalProperties": False,
}
KPI_CHANGE: Schema = {**KPI_WRITE, "properties": {
    **{k: v for k, v in KPI_WRITE["properties"].items() if k != "id"},
    "archived": {"type": "boolean", "description": "true archives the KPI (kept with its data and history, left out "
                                                   "of lists), false restores it."}},
    "minProperties": 1, "description": "The fields to change (not id); managers and admins only may change published, "
                                       "or archive and restore a published KPI. A frequency, percent unit or ratio "
                                       "aggregation the KPI's stored values and targets would not fit is refused."}
KPI_WRITTEN: Schema = record({
    "id": STRING,
    "changed": array(STRING, "The fields that changed (PUT only)."),
    "version": nullable({"type": "integer", "minimum": 1,
                         "description": "The version the change made; null when no field changed."}),
    "warnings": array(STRING, "What to check after the change, e.g. targets a new direction cannot use (PUT only)."),
    "definition": nullable(record({
        "version": INTEGER, "changed": BOOLEAN, "datasets": array(STRING),
        "observations": {"type": "integer", "minimum": 0}, "warnings": array({}), "raw_batch": nullable(INTEGER),
    }, description="The saved SQL definition: its version, the datasets it reads, the values it computed.")),
}, optional=("changed", "warnings"))

COMMENTARY: Schema = record({
    "id": INTEGER, "period": PERIOD, "text": STRING, "author": STRING, "author_name": TEXT, "created_at": TIMESTAMP,
})
COMMENTARY_NEW: Schema = record({"period": PERIOD, "text": {"type": "string", "minLength": 1}},
                                description="A comment on one period of a KPI.")


# -- goals and departments ---------------------------------------------------------------------------------
GOAL: Schema = record({
    "id": STRING, "title": STRING, "description": TEXT, "owner": TEXT, "parent_id": TEXT,
    "mayoral_priority": BOOLEAN, "published": BOOLEAN,
    "status": nullable({"type": "string", "enum": ["on_track", "at_risk", "off_track"],
                        "description": "The roll-up; null when none of its KPIs has a scored status."}),
    "score": nullable({"type": "number", "minimum": 0, "maximum": 1}),
    "counts": record({name: {"type": "integer", "minimum": 0} for name in STATUSES},
                     description="Its KPIs by status."),
    "kpi_total": {"type": "integer", "minimum": 0},
    "unscored": {"type": "integer", "minimum": 0, "description": "KPIs without on/at-risk/off status."},
}, description="A goal with its roll-up status (DESIGN §4).")
DEPARTMENT: Schema = record({
    "id": STRING, "name": STRING, "name_es": TEXT, "name_pt": TEXT, "head": TEXT,
    "kpi_count": {"type": "integer", "minimum": 0, "description": "Its live KPIs (anonymous: published ones)."},
})

SCHEMAS: dict[str, Schema] = {
    "Error": ERROR, "Forecast": FORECAST, "Band": BAND, "Kpi": KPI, "KpiDetail": KPI_DETAIL,
    "KpiWrite": KPI_WRITE, "KpiChange": KPI_CHANGE, "KpiWritten": KPI_WRITTEN, "Commentary": COMMENTARY,
    "CommentaryNew": COMMENTARY_NEW, "Goal": GOAL,
    "Department": DEPARTMENT,
}
# Shared with openapi_work.py, which describes meetings with the same words.
ENUMS = {"agenda_kinds": list(AGENDA_KINDS), "meeting_statuses": list(MEETING_STATUSES),
         "action_statuses": list(ACTION_STATUSES)}
