"""The OpenAPI document's operations and schemas for goals (issue #10): creating, reading,
changing, archiving and restoring a goal, and its versions; web/openapi.py merges them."""
from __future__ import annotations

from typing import Any

from metrics.versions import ACTIONS
from web.goals_write import SORT_ORDER, TEXT_LIMITS
from web.openapi_paths import answer, error, json_body, op
from web.openapi_schemas import BOOLEAN, STRING, TEXT, TIMESTAMP, Schema, array, nullable, record, ref

SLUG: Schema = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"}


def _text(name: str, description: str | None = None) -> Schema:
    out: Schema = nullable({"type": "string", "maxLength": TEXT_LIMITS[name]})
    if description:
        out["description"] = description
    return out


# What a goal is written with (DESIGN §3); PUT takes any of them but id.
_WRITE_PROPERTIES: dict[str, Schema] = {
    "id": {**SLUG, "description": "Stable slug; left out, one is made from the title (e.g. safe-streets)."},
    "title": {"type": "string", "minLength": 1, "maxLength": TEXT_LIMITS["title"]},
    "title_es": _text("title_es"), "title_pt": _text("title_pt"),
    "description": _text("description"), "description_es": _text("description_es"),
    "description_pt": _text("description_pt"),
    "owner": _text("owner", "Who answers for the goal, e.g. Deputy Mayor for Operations."),
    "parent_id": nullable({"type": "string", "description": "The goal it sits under; null: a top-level goal. "
                                                            "Not archived, not itself nor one of its sub-goals."}),
    "mayoral_priority": BOOLEAN,
    "sort_order": {"type": "integer", "minimum": SORT_ORDER[0], "maximum": SORT_ORDER[1],
                   "description": "Order among its sibling goals; left out, after them."},
    "published": {"type": "boolean", "description": "Shown to anonymous visitors. In PUT it is sent alone (it "
                                                    "answers GoalChanged)."},
}
GOAL_WRITE: Schema = {
    "type": "object", "required": ["title"], "properties": _WRITE_PROPERTIES, "additionalProperties": False,
    "description": "A new goal.",
}
GOAL_EDIT: Schema = {
    "type": "object", "minProperties": 1, "additionalProperties": False,
    "properties": {**{k: v for k, v in _WRITE_PROPERTIES.items() if k != "id"},
                   "archived": {"type": "boolean", "description": "true archives the goal (never deletes it; it "
                                                                  "may have no live sub-goal), false restores it."}},
    "description": "The fields to change. {\"published\": ...} is sent on its own; with other fields it is 400.",
}
GOAL_RECORD_PROPERTIES: dict[str, Schema] = {
    "id": STRING, "title": STRING, "title_es": TEXT, "title_pt": TEXT, "description": TEXT,
    "description_es": TEXT, "description_pt": TEXT, "owner": TEXT, "parent_id": TEXT,
    "mayoral_priority": BOOLEAN, "sort_order": {"type": "integer"}, "published": BOOLEAN,
    "archived": {"type": "boolean", "description": "Archived goals leave the lists; their KPIs and data stay."},
    "archived_at": nullable({**TIMESTAMP, "description": "When it was archived (null: live, or not recorded)."}),
    "archived_by": {**TEXT, "description": "Who archived it."},
    "kpi_count": {"type": "integer", "minimum": 0, "description": "Its live KPIs (not its sub-goals')."},
}
GOAL_RECORD: Schema = record(GOAL_RECORD_PROPERTIES, description="A goal as written, archived or not.")
GOAL_WRITTEN: Schema = record({**GOAL_RECORD_PROPERTIES,
                               "changed": array(STRING, "The fields that changed (empty: it already was so).")},
                              description="The goal after a change.")
GOAL_CHANGED: Schema = record({"id": STRING, "title": STRING, "published": BOOLEAN,
                               "changed": {"type": "boolean", "description": "false: it already was so."}},
                              description="The answer to {\"published\": ...} alone.")
GOAL_VERSION: Schema = record({
    "version": {"type": "integer", "minimum": 1},
    "changed_by": {"type": "string", "description": "The account that made the change."},
    "changed_at": TIMESTAMP,
    "action": {"type": "string", "enum": list(ACTIONS)},
    "changes": {"type": "object", "description": "Each field that changed, with its old and new value.",
                "additionalProperties": record({"old": {}, "new": {}})},
})
GOAL_HISTORY: Schema = record({"goal_id": STRING, "versions": array(ref("GoalVersion"), "Newest first.")})

EXAMPLES = {
    "GoalWrite": {"title": "Safe Routes to School", "title_es": "Caminos seguros a la escuela",
                  "owner": "Director of Transportation", "parent_id": "vision-zero", "mayoral_priority": False},
    "GoalEdit": {"description": "Every school with a safe walking route by 2028.", "sort_order": 3},
}

NO_GOAL = error("No such goal.")
PATHS: dict[str, dict[str, Any]] = {
    "/goals": {"post": op("Create a goal", "manager", {
        201: answer(ref("GoalRecord"), "Created (audited, version 1).", headers=("Location",)),
        400: error("The body is not a JSON object, or fields need fixing (listed in details)."),
        409: error("A goal with this id exists (archived goals keep their ids)."),
    }, tag="Goals", body=json_body("GoalWrite", EXAMPLES["GoalWrite"]),
        description="Goals nest: `parent_id` puts it under a goal that is not archived.")},
    "/goals/{goal_id}": {
        "get": op("One goal as written", "viewer", {
            200: answer(ref("GoalRecord"), "The goal, archived or not."), 404: NO_GOAL,
        }, tag="Goals", params=("goal_id",),
            description="Its fields as written; GET /goals gives the live goals with their roll-up status."),
        "put": op("Change, archive or restore a goal; or publish it", "manager", {
            200: answer({"anyOf": [ref("GoalWritten"), ref("GoalChanged")]},
                        "Done (audited; a change is a new version): GoalChanged for {\"published\": ...} alone, "
                        "else the goal and the fields that changed."),
            400: error("The body is not a JSON object, is empty, or fields need fixing (listed in details)."),
            404: NO_GOAL,
            409: error("Archiving a goal that still has sub-goals that are not archived (named in details)."),
        }, tag="Goals", params=("goal_id",), body=json_body("GoalEdit", EXAMPLES["GoalEdit"]),
            description="Only the fields given change. `\"archived\": true` archives the goal: it leaves the lists "
                        "and the public site, its KPIs keep it and their data; `false` restores it."),
    },
    "/goals/{goal_id}/history": {"get": op("A goal's versions", "viewer", {
        200: answer(ref("GoalHistory"), "Newest first."), 404: NO_GOAL,
    }, tag="Goals", params=("goal_id",),
        description="Who changed which fields of the goal, when, from what to what (archived goals too).")},
}
SCHEMAS: dict[str, Schema] = {
    "GoalWrite": GOAL_WRITE, "GoalEdit": GOAL_EDIT, "GoalRecord": GOAL_RECORD, "GoalWritten": GOAL_WRITTEN,
    "GoalChanged": GOAL_CHANGED, "GoalVersion": GOAL_VERSION, "GoalHistory": GOAL_HISTORY,
}
