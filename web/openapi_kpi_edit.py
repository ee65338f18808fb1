"""The OpenAPI document's operations and schemas for the KPI editor (issue #10): a KPI's
versions; web/openapi.py merges them. PUT /kpis/{kpi_id} itself is in openapi_paths, its
body (KpiChange, with "archived") in openapi_schemas."""
from __future__ import annotations

from typing import Any

from metrics.versions import ACTIONS
from web.kpi_edit_rules import FIELDS
from web.openapi_paths import answer, error, op
from web.openapi_schemas import STRING, TIMESTAMP, Schema, array, record, ref

KPI_VERSION: Schema = record({
    "version": {"type": "integer", "minimum": 1},
    "action": {"type": "string", "enum": list(ACTIONS)},
    "changed_by": {"type": "string", "description": "The account that made the change."},
    "changed_at": TIMESTAMP,
    "changes": {"type": "object", "description": "Each field that changed (body names), with its old and new value.",
                "propertyNames": {"enum": [name for name in FIELDS if name != "sql"]},
                "additionalProperties": record({"old": {}, "new": {}})},
}, description="One version of a KPI's fields. A computed KPI's SQL has versions of its own (GET /kpis/{kpi_id}: "
               "definition).")
KPI_VERSIONS: Schema = record({"kpi_id": STRING, "versions": array(ref("KpiVersion"), "Newest first.")})

PATHS: dict[str, dict[str, Any]] = {
    "/kpis/{kpi_id}/versions": {"get": op("A KPI's versions", "viewer", {
        200: answer(ref("KpiVersions"), "Newest first."), 404: error("No such KPI."),
    }, tag="KPIs", params=("kpi_id",),
        description="Who changed which fields of the KPI, when, from what to what: its creation, each change, "
                    "archiving and restoring (archived KPIs too).")},
}
SCHEMAS: dict[str, Schema] = {"KpiVersion": KPI_VERSION, "KpiVersions": KPI_VERSIONS}
