"""The OpenAPI document's operations and schemas for targets (issue #10): writing a KPI's
targets in one batch, and the history of every change; web/openapi.py merges them."""
from __future__ import annotations

from typing import Any

from metrics.schema import FREQUENCIES
from metrics.target_history import STATES
from web.openapi_paths import answer, error, json_body, op
from web.openapi_schemas import BOOLEAN, NUMBER, PERIOD, STRING, TEXT, TIMESTAMP, Schema, array, nullable, record, ref
from web.targets_write import MAX_ROWS

_NUMBER_OR_NULL: Schema = nullable(NUMBER)
TARGET_ROW: Schema = record({
    "period": {**PERIOD, "description": "A period of the KPI's frequency (2026-10, FY2027-Q1, 2026-W27), or a "
                                        "fiscal year (FY2027), as the city's calendar names it."},
    "value": {**_NUMBER_OR_NULL, "description": "The target; null (with no low and high) clears the period's "
                                                "target. A percent KPI's targets are fractions: 0.85 for 85 %."},
    "low": {**_NUMBER_OR_NULL, "description": "A band's low end (KPIs whose direction is band), with high."},
    "high": {**_NUMBER_OR_NULL, "description": "A band's high end, with low; low <= high."},
}, optional=("value", "low", "high"), description="One period's target: a value, a band (low and high), or all "
                                                 "null to clear it.")
TARGETS_WRITE: Schema = record({
    "targets": {**array(ref("TargetRow")), "minItems": 1, "maxItems": MAX_ROWS,
                "description": "Each period at most once."},
    "dry_run": {**BOOLEAN, "default": False, "description": "true: check and count, write nothing."},
}, optional=("dry_run",), description="Targets to set, change or clear, written as one batch.")
_TARGET: Schema = record({"period": PERIOD, "frequency": {"type": "string", "enum": list(FREQUENCIES)},
                          "value": _NUMBER_OR_NULL, "low": _NUMBER_OR_NULL, "high": _NUMBER_OR_NULL})
TARGETS_WRITTEN: Schema = record({
    "kpi_id": STRING,
    "batch_id": nullable({"type": "integer", "minimum": 1, "description": "The batch written (listed, and "
                                                                           "revertible, in the import history); "
                                                                           "null for a dry run or when nothing "
                                                                           "changed."}),
    "set": {"type": "integer", "minimum": 0, "description": "Targets set or changed (would be, in a dry run)."},
    "cleared": {"type": "integer", "minimum": 0, "description": "Targets removed."},
    "unchanged": {"type": "integer", "minimum": 0, "description": "Rows that already said what is stored."},
    "dry_run": BOOLEAN,
    "targets": array(_TARGET, "The KPI's targets after the save, by period."),
}, description="What a save wrote.")
_STORED: Schema = nullable(record({"value": _NUMBER_OR_NULL, "low": _NUMBER_OR_NULL, "high": _NUMBER_OR_NULL},
                                  description="A value, or a band (low and high)."))
TARGET_CHANGE: Schema = record({
    "batch_id": {"type": "integer", "description": "The batch that made the change."},
    "kind": {"type": "string", "description": "Where it came from: import (a file), targets (the targets grid or "
                                              "this API), manual (data entry), seed (the demo city)."},
    "file_name": TEXT,
    "changed_by": {**TEXT, "description": "The account that made the change."},
    "changed_at": TIMESTAMP,
    "period": PERIOD,
    "frequency": {"type": "string", "enum": list(FREQUENCIES)},
    "old": {**_STORED, "description": "The target before (null: none)."},
    "new": {**_STORED, "description": "The target the batch set (null: cleared, or not recorded)."},
    "state": {"type": "string", "enum": list(STATES), "description": "set, cleared, or unrecorded: a reverted "
                                                                     "import file whose new value nothing kept."},
    "reverted": {**BOOLEAN, "description": "The batch was reverted: its change no longer stands."},
    "reverted_at": nullable(TIMESTAMP),
    "reverted_by": TEXT,
})
TARGET_HISTORY: Schema = record({"kpi_id": STRING, "history": array(ref("TargetChange"),
                                                                    "Newest batch first, then by period.")})

EXAMPLE = {"targets": [{"period": "2026-10", "value": 1250}, {"period": "2026-11", "value": 1200},
                       {"period": "2026-12", "value": None}, {"period": "FY2027", "value": 14500}],
           "dry_run": True}

PATHS: dict[str, dict[str, Any]] = {
    "/kpis/{kpi_id}/targets": {"put": op("Set a KPI's targets", "analyst", {
        200: answer(ref("TargetsWritten"), "Written as one batch (audited), or judged only (dry_run)."),
        400: error("The body is not {\"targets\": [rows], \"dry_run\": bool} (details say what to fix)."),
        403: error("Analysts set their own departments' targets only."),
        404: error("No such KPI."),
        409: error("The KPI is archived: restore it first."),
        422: error("Rows need fixing; nothing was written. Each detail names its row and period, e.g. "
                   "\"Row 3 (2026-10): ...\"."),
    }, tag="KPIs", params=("kpi_id",), body=json_body("TargetsWrite", EXAMPLE),
        description="Per period of the KPI's frequency or per fiscal year; a value, or a band for a KPI whose "
                    "direction is band; percent targets as fractions. Rows that change nothing are not written; "
                    "the batch is listed and revertible in the import history.")},
    "/kpis/{kpi_id}/targets/history": {"get": op("A KPI's target history", "viewer", {
        200: answer(ref("TargetHistory"), "Newest first."), 404: error("No such KPI."),
    }, tag="KPIs", params=("kpi_id",),
        description="Every change of the KPI's targets: the batch, who, when, the period, old and new, and whether "
                    "the batch was reverted.")},
}
SCHEMAS: dict[str, Schema] = {"TargetRow": TARGET_ROW, "TargetsWrite": TARGETS_WRITE,
                              "TargetsWritten": TARGETS_WRITTEN, "TargetChange": TARGET_CHANGE,
                              "TargetHistory": TARGET_HISTORY}
