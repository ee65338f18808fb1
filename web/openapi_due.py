"""The OpenAPI document's operations and schemas for due (issue #10); web/openapi.py merges them."""
from __future__ import annotations

from typing import Any

from metrics.due import STATES
from metrics.schema import FREQUENCIES
from web.openapi_paths import CACHED, CONDITIONAL, NOT_MODIFIED, answer, error, op
from web.openapi_schemas import BOOLEAN, DAY, INTEGER, PERIOD, STRING, TEXT, Schema, array, record, ref

DUE_ITEM: Schema = record({
    "kpi_id": STRING, "kpi_name": STRING,
    "department": TEXT, "department_name": TEXT,
    "frequency": {"type": "string", "enum": list(FREQUENCIES)},
    "period": {**PERIOD, "description": "The first period whose value has not come (the city's label)."},
    "period_start": {**DAY, "description": "That period's first day."},
    "periods_owed": {**INTEGER, "minimum": 1, "description": "Periods ended since the latest value, that one "
                                                             "included."},
    "due_date": {**DAY, "description": "The period's end plus the KPI's lag (one period when none is set)."},
    "state": {"type": "string", "enum": list(STATES), "description": "`due` until the due date, `overdue` after "
                                                                     "it (exactly the status engine's `stale`)."},
    "days_late": {**INTEGER, "minimum": 0, "description": "Days past the due date; 0 while only due."},
    "days_left": {**INTEGER, "minimum": 0, "description": "Days until the due date; 0 once overdue."},
    "owner": TEXT,
    "has_owner": {**BOOLEAN, "description": "False when the KPI names no owner: nobody is asked for the value."},
}, description="A value a KPI owes: the period after its latest value, once that period has ended.")

SCHEMAS: dict[str, Schema] = {"DueItem": DUE_ITEM}


PATHS: dict[str, dict[str, Any]] = {"/due": {"get": op("What is due", "viewer", {
    200: answer(array(ref("DueItem")), "Overdue first, the latest first, then due soonest.", headers=CACHED),
    304: NOT_MODIFIED,
    400: error("`as_of` or `state` cannot be used, or `department` is not a department's id (details names it)."),
}, tag="KPIs", params=("as_of", "department", "due_state", *CONDITIONAL),
    description="The KPIs whose next value is due or overdue as of `as_of` (default today), by their frequency "
                "and lag across fiscal years: a value is due once its period has ended and overdue after the "
                "KPI's lag. A KPI that never had a value owes the last period that ended.")}}
