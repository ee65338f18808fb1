"""The OpenAPI document's schemas for the staff's work (issue #8): imports, raw datasets,
stat meetings, agendas and action items, as web/api_imports.py, api_datasets.py and
api_meetings.py answer them. Data, not logic."""
from __future__ import annotations

from web.meetings import FIRST_DAY, LAST_DAY, MAX_ITEMS, MAX_MINUTES, MIN_MINUTES
from web.action_items import MAX_KPIS
from web.openapi_schemas import (BOOLEAN, DAY, ENUMS, INTEGER, STRING, TEXT, TIMESTAMP, Schema, array, nullable,
                                 record, ref)

COUNT: Schema = {"type": "integer", "minimum": 0}
ANY: Schema = {}


# -- imports -------------------------------------------------------------------------------------------------
ROW_ERROR: Schema = record({
    "line": INTEGER, "column": TEXT, "period": TEXT, "value": ANY,
    "reason": {"type": "string", "description": "Why the row was rejected, e.g. not a number."},
}, description="One rejected row: the file's line number, its column and the reason.")
_REPORT = {
    "dry_run": BOOLEAN, "rows": COUNT, "accepted": COUNT, "rejected": COUNT, "skipped": COUNT, "empty": COUNT,
    "replaced": COUNT, "targets": COUNT,
    "targets_cleared": {**COUNT, "description": "Targets the batch removed (the app's targets grid clears cells)."},
    "kpis_created": array(STRING), "kpis_updated": array(STRING),
    "errors": array(ref("ImportRowError"), "The rejected rows (the first ones, when there are many)."),
    "error_count": COUNT, "committed": BOOLEAN,
    "batch_id": nullable({"type": "integer", "description": "The import batch, when committed."}),
    "shape": nullable({"type": "string", "enum": ["long", "wide"]}), "headers": array(STRING),
    "sheet": TEXT, "sheets": array(STRING), "encoding": TEXT, "delimiter": TEXT,
}
IMPORT_REPORT: Schema = record(_REPORT, description="What an import (or its dry run) did, row by row.")
IMPORT_REJECTED: Schema = record({**_REPORT, "error": STRING, "details": array(STRING, "The rejected rows, "
                                                                                      "as text.")},
                                 description="Rows were rejected, so nothing was written: the report, with "
                                             "the error.")
IMPORT_UPLOAD: Schema = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "The CSV (any common encoding and delimiter) or XLSX file."},
        "profile": {"type": "string", "description": "The import profile as JSON text (DESIGN §5)."},
        "profile_name": {"type": "string", "description": "Or the name of a saved or shipped profile."},
        "dry_run": {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"],
                    "description": "true: check and report, write nothing."},
    },
    "required": ["file"],
}
IMPORT_BATCH: Schema = record({
    "id": INTEGER, "kind": {"type": "string", "description": "import, or seed for the demo city."},
    "status": {"type": "string", "enum": ["committed", "reverted"]},
    "file_name": TEXT, "file_size": nullable(COUNT), "sha256": TEXT, "profile_name": TEXT,
    "rows_accepted": COUNT, "rows_rejected": COUNT, "rows_replaced": COUNT, "targets_loaded": COUNT,
    "kpis_created": COUNT, "created_by": STRING, "created_at": TIMESTAMP,
    "reverted_by": TEXT, "reverted_at": nullable(TIMESTAMP),
})
IMPORT_PROFILE: Schema = record({
    "name": STRING, "document": {"type": "object", "description": "The profile (DESIGN §5)."},
    "source": {"type": "string", "enum": ["saved", "shipped"]}, "updated_by": STRING,
}, optional=("updated_by",))
IMPORT_REVERTED: Schema = record({"batch_id": INTEGER, "status": {"const": "reverted"},
                                  "restored": {**COUNT, "description": "Values the import had replaced, restored."}})


# -- raw datasets --------------------------------------------------------------------------------------------
COLUMN: Schema = record({"name": STRING, "type": {"type": "string", "description": "Its DuckDB type."}})
COMPUTED: Schema = record({"kpis": {"type": "object", "description": "Computed KPIs recomputed, by id."},
                           "observations": COUNT}, description="Computed KPIs that read the dataset, recomputed.")
DATASET_UPLOAD: Schema = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream", "description": "The raw CSV."},
        "profile": {"type": "string", "description": 'The dataset profile as JSON text: {"name", "mode", '
                                                     '"columns": {...}}.'},
    },
    "required": ["file", "profile"],
}
DATASET_LOAD: Schema = record({
    "id": INTEGER, "dataset": STRING, "mode": {"type": "string", "enum": ["replace", "append"]},
    "status": {"type": "string", "enum": ["loaded", "reverted"]}, "file_name": TEXT, "file_size": nullable(COUNT),
    "sha256": TEXT, "rows_loaded": COUNT, "rows_before": COUNT, "created_by": STRING, "created_at": TIMESTAMP,
    "reverted_by": TEXT, "reverted_at": nullable(TIMESTAMP),
})
DATASET: Schema = record({
    "name": STRING, "rows": COUNT, "columns": array(ref("DatasetColumn")),
    "date_column": nullable({"type": "string", "description": "Its first date or time column."}),
    "first": TEXT, "last": TEXT, "loaded_at": nullable(TIMESTAMP),
    "profile": nullable({"type": "object"}), "last_load": nullable(ref("DatasetLoad")),
})
DATASET_LOADED: Schema = record({
    "dataset": STRING, "mode": {"type": "string", "enum": ["replace", "append"]}, "batch_id": nullable(INTEGER),
    "rows": COUNT, "rows_before": COUNT, "columns": array(ref("DatasetColumn")),
    "text_dates": array(STRING, "Columns that look like dates but were kept as text."),
    "file_name": STRING, "computed": ref("Recomputed"),
})
DATASET_REJECTED: Schema = record({
    "error": STRING, "details": array(STRING), "error_count": COUNT,
    "errors": array(record({"line": INTEGER, "column": STRING, "value": ANY, "reason": STRING}),
                    "The cells that miss their column's type or format (the first ones)."),
}, description="Cells miss their format, so nothing was loaded.")
DATASET_REVERTED: Schema = record({"batch_id": INTEGER, "status": {"const": "reverted"}, "dataset": STRING,
                                   "rows_removed": COUNT, "computed": ref("Recomputed")}, open_ended=True)


# -- meetings and action items ------------------------------------------------------------------------------
DEPARTMENT_NAME: Schema = record({"id": STRING, "name": STRING})
AGENDA_ITEM: Schema = record({
    "id": INTEGER, "position": COUNT, "kind": {"type": "string", "enum": ENUMS["agenda_kinds"]},
    "kpi_id": TEXT, "kpi_name": TEXT, "action_item_id": nullable(INTEGER), "title": TEXT,
    "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES}, "questions": array(STRING),
    "values": {"type": "object", "description": "The values shown: latest value and period, target, status, "
                                                "trend, as of the draft."},
})
DECISION: Schema = record({"id": INTEGER, "meeting_id": INTEGER, "text": STRING, "created_by": STRING,
                           "created_at": TIMESTAMP}, optional=("meeting_id",))
ACTION_ITEM: Schema = record({
    "id": INTEGER, "meeting_id": INTEGER, "department_id": STRING, "description": STRING, "owner_name": STRING,
    "owner_username": TEXT, "due_date": nullable(DAY), "status": {"type": "string", "enum": ENUMS["action_statuses"]},
    "overdue": BOOLEAN, "progress_note": TEXT, "kpi_ids": array(STRING), "created_by": STRING,
    "created_at": TIMESTAMP, "closed_at": nullable(TIMESTAMP),
    "meeting_title": {"type": "string", "description": "In lists only."}, "meeting_date": {**DAY},
}, optional=("meeting_title", "meeting_date"))
MEETING: Schema = record({
    "id": INTEGER, "title": STRING, "date": DAY, "time": {"type": "string", "pattern": r"^\d{2}:\d{2}$"},
    "duration_minutes": INTEGER, "status": {"type": "string", "enum": ENUMS["meeting_statuses"]},
    "location": TEXT, "attendees": TEXT, "notes": TEXT, "departments": array(ref("DepartmentName")),
    "agenda_as_of": nullable(DAY), "agenda_minutes": COUNT, "agenda": array(ref("AgendaItem")),
    "decisions": array(ref("Decision")), "action_items": array(ref("ActionItem")), "created_by": STRING,
}, description="A stat meeting with its agenda, decisions and action items (DESIGN §6).")
MEETING_SUMMARY: Schema = record({
    "id": INTEGER, "title": STRING, "date": DAY, "time": STRING, "duration_minutes": INTEGER,
    "status": {"type": "string", "enum": ENUMS["meeting_statuses"]}, "departments": array(ref("DepartmentName")),
    "agenda_items": COUNT, "open_action_items": COUNT,
})
_MEETING_FIELDS: dict[str, Schema] = {
    "title": {"type": "string", "maxLength": 200}, "departments": array(STRING) | {"minItems": 1},
    "date": {**DAY, "description": f"YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}."},
    "time": {"type": "string", "description": "HH:MM, the city's clock time; 09:00 when left out."},
    "duration_minutes": {"type": "integer", "minimum": MIN_MINUTES, "maximum": MAX_MINUTES},
    "location": TEXT, "attendees": TEXT, "notes": TEXT,
}
MEETING_NEW: Schema = {"type": "object", "properties": _MEETING_FIELDS,
                       "required": ["title", "departments", "date"], "additionalProperties": False}
MEETING_CHANGE: Schema = {"type": "object", "additionalProperties": False, "properties": {
    **_MEETING_FIELDS, "status": {"type": "string", "enum": ENUMS["meeting_statuses"]}}}
AGENDA_EDIT: Schema = record({"agenda": array({
    "type": "object",
    "description": "An existing item (its id, minutes, and questions or a custom item's title), or a new custom "
                   "item (title, minutes, questions). Items left out are removed.",
    "properties": {"id": INTEGER, "kind": {"const": "custom"}, "title": STRING,
                   "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES},
                   "questions": {"anyOf": [STRING, array(STRING)]}},
    "required": ["minutes"],
}) | {"maxItems": MAX_ITEMS}})
DECISION_NEW: Schema = record({"text": {"type": "string", "maxLength": 4000}})
_ACTION_FIELDS: dict[str, Schema] = {
    "description": {"type": "string", "maxLength": 2000}, "owner_name": {"type": "string", "maxLength": 200},
    "owner_username": TEXT, "due_date": nullable(DAY), "department_id": TEXT,
    "kpi_ids": array(STRING) | {"maxItems": MAX_KPIS},
    "status": {"type": "string", "enum": ENUMS["action_statuses"]}, "progress_note": TEXT,
}
ACTION_ITEM_NEW: Schema = {"type": "object", "properties": {k: v for k, v in _ACTION_FIELDS.items()
                                                            if k != "progress_note"},
                           "required": ["description"], "additionalProperties": False,
                           "description": "An owner (owner_name or an account's owner_username) is needed."}
ACTION_ITEM_CHANGE: Schema = {"type": "object", "properties": _ACTION_FIELDS, "additionalProperties": False,
                              "description": "Managers change any field; the item's owner only status and "
                                             "progress_note."}

SCHEMAS: dict[str, Schema] = {
    "ImportRowError": ROW_ERROR, "ImportReport": IMPORT_REPORT, "ImportRejected": IMPORT_REJECTED,
    "ImportUpload": IMPORT_UPLOAD, "ImportBatch": IMPORT_BATCH, "ImportProfile": IMPORT_PROFILE,
    "ImportReverted": IMPORT_REVERTED, "DatasetColumn": COLUMN, "Recomputed": COMPUTED,
    "DatasetUpload": DATASET_UPLOAD, "DatasetLoad": DATASET_LOAD, "Dataset": DATASET, "DatasetLoaded": DATASET_LOADED,
    "DatasetRejected": DATASET_REJECTED, "DatasetReverted": DATASET_REVERTED, "DepartmentName": DEPARTMENT_NAME,
    "AgendaItem": AGENDA_ITEM, "Decision": DECISION, "ActionItem": ACTION_ITEM, "Meeting": MEETING,
    "MeetingSummary": MEETING_SUMMARY, "MeetingNew": MEETING_NEW, "MeetingChange": MEETING_CHANGE,
    "AgendaEdit": AGENDA_EDIT, "DecisionNew": DECISION_NEW, "ActionItemNew": ACTION_ITEM_NEW,
    "ActionItemChange": ACTION_ITEM_CHANGE,
}
