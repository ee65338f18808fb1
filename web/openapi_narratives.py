"""The OpenAPI document's operations and schemas for narratives (issue #10); web/openapi.py merges them."""
from __future__ import annotations

from typing import Any

from web.narratives import MAX_LENGTH
from web.openapi_paths import answer, error, json_body, op
from web.openapi_schemas import (BOOLEAN, DAY, PERIOD, STRING, TIMESTAMP, Schema, array, nullable, record,
                                 ref)

_PART: Schema = {"type": "string", "maxLength": MAX_LENGTH,
                 "description": "Plain text with a small Markdown: paragraphs, line breaks, **bold**, *italic*, "
                                "lists, [links](https://...) (http, https, mailto). HTML is kept as text."}

NARRATIVE: Schema = record({
    "id": {"type": "integer"},
    "kpi_id": STRING,
    "period": PERIOD,
    "period_start": {**DAY, "description": "The period's first day."},
    "happened": {**_PART, "description": "What happened. " + _PART["description"]},
    "why": nullable({**_PART, "description": "Why it happened."}),
    "next_steps": nullable({**_PART, "description": "What comes next: what the department will do to turn the "
                                                    "curve."}),
    "author": nullable({"type": "string", "description": "The writer's user name (null for anonymous callers)."}),
    "author_name": STRING,
    "created_at": {**TIMESTAMP, "description": "When this version was written (UTC)."},
    "version": {"type": "integer", "minimum": 1, "description": "1 for the period's first narrative, then 2, ..."},
    "current": {**BOOLEAN, "description": "The newest version of its period: the one shown."},
}, description="The story of one period of a KPI: what happened, why, what comes next. Public for published KPIs.")

NARRATIVE_NEW: Schema = record({
    "period": {**PERIOD, "description": "The KPI's period, as the city names it (2026-10, FY2027-Q1, ...)."},
    "happened": {**_PART, "minLength": 1, "description": "Required: what happened."},
    "why": nullable({**_PART, "description": "Why it happened."}),
    "next_steps": nullable({**_PART, "description": "What comes next."}),
}, optional=("why", "next_steps"), description="A narrative to save; saving a period again adds a version.")

EXAMPLE = {"period": "2026-10",
           "happened": "Repairs fell to 1,180, **below target** for the second month.",
           "why": "Two crews were moved to storm response after the October 14 flooding.",
           "next_steps": "- Crews back on potholes from November 3\n- Night shift on arterials until the backlog "
                         "is under 200"}

PATHS: dict[str, dict[str, Any]] = {
    "/kpis/{kpi_id}/narratives": {
        "get": op("A KPI's narratives", "public", {
            200: answer(record({"kpi_id": STRING, "narratives": array(ref("Narrative"))}),
                        "The current narrative of each period, newest period first (with `history`, every "
                        "version, newest first within a period)."),
            400: error("`history` is not true or false."),
            403: error("`history=true` from an anonymous caller: earlier versions are for the city's staff."),
            404: error("No such KPI (or, for anonymous callers, not published)."),
        }, tag="KPIs", params=("kpi_id", "narrative_history"),
            description="What happened, why and what comes next, per period. Anonymous callers get published KPIs' "
                        "narratives, without user names."),
        "post": op("Write the narrative of a period", "analyst", {
            200: answer(ref("Narrative"), "The period's current narrative says this already: nothing written."),
            201: answer(ref("Narrative"), "Saved as the period's current narrative (audited)."),
            400: error("The body is not a JSON object, lacks period or happened, or the period or a part cannot be "
                       "used (details list each problem)."),
            403: error("Analysts write narratives for their own departments' KPIs only (refusals are audited)."),
            404: error("No such KPI."),
        }, tag="KPIs", params=("kpi_id",), body=json_body("NarrativeNew", EXAMPLE),
            description="Saving a period again adds a version; the earlier ones stay in the history. Narratives "
                        "of published KPIs are public."),
    },
}
SCHEMAS: dict[str, Schema] = {"Narrative": NARRATIVE, "NarrativeNew": NARRATIVE_NEW}
