"""The OpenAPI document's operations (issue #8): every route under /api/v1, with who may call
it, its parameters, its body and every status it answers with. Data built by three small
helpers; tests/test_openapi.py checks it against the app's url_map in both directions."""
from __future__ import annotations

from typing import Any

from i18n import LANGUAGES
from metrics.status import STATUSES
from web.openapi_schemas import ENUMS, Schema, array, record, ref

JSON = "application/json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ROLE_WORDS = {"viewer": "viewer, analyst, manager or admin", "analyst": "analyst, manager or admin",
              "manager": "manager or admin", "admin": "admin"}


# -- building blocks ----------------------------------------------------------------------------------------
def error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def answer(schema: Schema, description: str, *, media: str = JSON, headers: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {media: {"schema": schema}}}
    if headers:
        out["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in headers}
    return out


def param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def json_body(schema_name: str, example: Any = None) -> dict[str, Any]:
    """A JSON body of schema `schema_name`, with `example` (default: EXAMPLES' entry)."""
    return {"required": True, "content": {JSON: {"schema": ref(schema_name),
                                                 "example": EXAMPLES[schema_name] if example is None else example}}}


def upload_body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"multipart/form-data": {
        "schema": ref(schema_name), "example": EXAMPLES[schema_name],
        "encoding": {"file": {"contentType": "application/octet-stream"}}}}}


# Bodies as a city's staff would send them (the demo city's ids): documentation, and the
# first cases schemathesis tries before it generates its own.
EXAMPLES: dict[str, Any] = {
    "KpiWrite": {"id": "graffiti-removed-5d", "name": "Graffiti removed within 5 days", "department": "public-works",
                 "unit": "percent", "direction": "up", "frequency": "monthly", "aggregation": "mean"},
    "KpiChange": {"name": "Potholes repaired", "tolerance": 0.05, "critical": True},
    "CommentaryNew": {"period": "2026-10", "text": "Two crews were out sick; back to full strength in November."},
    "ImportUpload": {"file": "kpi,period,value\npotholes-repaired,2026-10,1250\n", "dry_run": "true",
                     "profile": '{"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", '
                                '"value": "value"}}'},
    "DatasetUpload": {"file": "Request Id,Opened On,Kind\n1,2026-10-01,pothole\n2,2026-10-02,graffiti\n",
                      "profile": '{"name": "requests_311", "columns": {"opened_on": {"type": "date", '
                                 '"format": "%Y-%m-%d"}}}'},
    "MeetingNew": {"title": "PublicWorksStat", "departments": ["public-works"], "date": "2026-12-10",
                   "time": "10:00", "duration_minutes": 60, "location": "City Hall, room 204"},
    "MeetingChange": {"notes": "The director will bring the crew schedule.", "status": "held"},
    "AgendaEdit": {"agenda": [{"title": "Snow season readiness", "minutes": 15,
                               "questions": ["Are the salt domes full?"]}]},
    "DecisionNew": {"text": "Shift two pothole crews to nights until the backlog is under 200."},
    "ActionItemNew": {"description": "Bring the night-crew plan to the next meeting", "owner_name": "Dana Reyes",
                      "due_date": "2026-12-31", "department_id": "public-works", "kpi_ids": ["potholes-repaired"]},
    "ActionItemChange": {"status": "done", "progress_note": "Night crews started on December 1."},
}


def op(summary: str, level: str, responses: dict[int, dict], *, tag: str, description: str = "",
       params: tuple[str, ...] = (), body: dict | None = None) -> dict[str, Any]:
    """One operation. Who may call it goes into its description, `security` and
    `x-citystat-access`; a route above public answers 401 (not signed in) and 403 (role too
    low, or a write without a token or a same-origin Origin); any body may be 413 (too big)."""
    responses = dict(responses)
    if level == "public":
        who = ("Public: anonymous callers see published KPIs and goals only (an unpublished one is 404, as if it "
               "did not exist); signed-in callers see every live one.")
        security: list[dict] = [{}, {"bearerToken": []}, {"sessionCookie": []}]
    else:
        who = f"Needs a signed-in {ROLE_WORDS[level]} (role {level} or above)."
        security = [{"bearerToken": []}, {"sessionCookie": []}]
        responses.setdefault(401, error("Not signed in: send `Authorization: Bearer <token>` or the session "
                                        "cookie."))
        responses.setdefault(403, error(f"Signed in without the {level} role, not allowed for this item, or a "
                                        "write from another site with the session cookie and no same-origin "
                                        "Origin header (use a bearer token from programs)."))
    if body is not None:
        responses.setdefault(413, error("The body is over the upload limit (CITYSTAT_MAX_UPLOAD_MB)."))
    out: dict[str, Any] = {
        "summary": summary, "description": f"{description}\n\n{who}".strip(), "tags": [tag],
        "security": security, "x-citystat-access": level,
        "responses": {str(status): responses[status] for status in sorted(responses)},
    }
    if params:
        out["parameters"] = [param(name) for name in params]
    if body is not None:
        out["requestBody"] = body
    return out


# -- shared answers -------------------------------------------------------------------------------------------
CACHED = ("ETag", "Last-Modified", "Cache-Control")
NOT_MODIFIED = {"description": "Not modified since the ETag (If-None-Match) or the date (If-Modified-Since) "
                               "the caller sent.",
                "headers": {"ETag": {"$ref": "#/components/headers/ETag"},
                            "Cache-Control": {"$ref": "#/components/headers/Cache-Control"}}}
CONDITIONAL = ("If-None-Match", "If-Modified-Since")
NO_KPI = error("No such KPI (or, for anonymous callers, not published).")
NO_MEETING = error("No such meeting, or not one this person may read.")
BAD_AS_OF = error("A query parameter cannot be used: the message says which and how to write it.")


def document(meeting_id: str, what: str, formats: dict[str, str]) -> dict[str, dict]:
    """The packet's or memo's routes, one per format."""
    paths = {}
    for fmt, media in formats.items():
        responses = {200: answer({"type": "string", "contentMediaType": media}, f"The {what} as {fmt.upper()}.",
                                 media=media, headers=("Content-Disposition",)),
                     400: error("`lang` is not one of en, es, pt."), 404: NO_MEETING}
        if fmt == "pdf":
            responses[503] = error("PDF rendering is not available on this server; the DOCX works.")
        paths[f"/meetings/{{{meeting_id}}}/{what}.{fmt}"] = {"get": op(
            f"The meeting's {what} as {fmt.upper()}", "viewer", responses, tag="Meetings",
            params=(meeting_id, "lang"),
            description=("The briefing packet: agenda, a section per item with its chart and values, open action "
                         "items." if what == "packet" else "The commitments memo: decisions and action items.")
            + " In the reader's language, or `lang`. Every download is audited.")}
    return paths


PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": op("Liveness", "public", {200: answer(record({"status": {"const": "ok"}, "version": {
        "type": "string"}}), "The app answers.")}, tag="Service", description="Does not touch the warehouse.")},
    "/openapi.json": {"get": op("This document", "public", {200: answer(
        {"type": "object", "required": ["openapi", "paths"]}, "The OpenAPI 3.1 document.",
        headers=("Cache-Control",))}, tag="Service")},
    "/kpis": {
        "get": op("KPIs with their status", "public", {
            200: answer(array(ref("Kpi")), "A page of KPIs, in goal and name order.",
                        headers=("X-Total-Count", "Link", *CACHED)),
            304: NOT_MODIFIED, 400: BAD_AS_OF,
        }, tag="KPIs", params=("as_of", "department", "goal", "status", "limit", "offset", *CONDITIONAL),
            description="Status, trend, freshness and forecast as of `as_of` (DESIGN §4), filtered by department, "
                        "goal and status; `limit`/`offset` pages, with a `Link: <...>; rel=\"next\"` header."),
        "post": op("Create a KPI", "analyst", {
            201: answer(ref("KpiWritten"), "Created; with its SQL definition's result when computed.",
                        headers=("Location",)),
            400: error("The body is not a JSON object, or fields need fixing (listed in details)."),
            403: error("Analysts write only their own departments' KPIs; only managers and admins publish."),
            409: error("A KPI with this id exists."),
            422: error("The SQL definition was refused by the checker or did not run (its words in details)."),
        }, tag="KPIs", body=json_body("KpiWrite"),
            description="Analysts create KPIs of their own departments; with `sql` the KPI is computed from the "
                        "raw datasets."),
    },
    "/kpis/{kpi_id}": {
        "get": op("One KPI", "public", {
            200: answer(ref("KpiDetail"), "The KPI.", headers=CACHED), 304: NOT_MODIFIED, 400: BAD_AS_OF,
            404: NO_KPI,
        }, tag="KPIs", params=("kpi_id", "as_of", *CONDITIONAL),
            description="The definition, targets, observations (with breakdowns) and the status fields."),
        "put": op("Change a KPI", "analyst", {
            200: answer(ref("KpiWritten"), "Changed: the fields that changed."),
            400: error("The body is not a JSON object, is empty, or fields need fixing (listed in details)."),
            403: error("Not this person's department, or publishing without the manager role."),
            404: error("No such KPI."),
            422: error("The SQL definition was refused by the checker or did not run."),
        }, tag="KPIs", params=("kpi_id",), body=json_body("KpiChange")),
    },
    "/kpis/{kpi_id}/commentary": {
        "get": op("A KPI's commentary", "viewer", {
            200: answer(record({"kpi_id": {"type": "string"}, "commentary": array(ref("Commentary"))}),
                        "Newest first."), 404: error("No such KPI."),
        }, tag="KPIs", params=("kpi_id",)),
        "post": op("Comment on a period of a KPI", "analyst", {
            201: answer(ref("Commentary"), "Saved."),
            400: error("The body is not JSON, misses period or text, or the period or text cannot be used."),
            403: error("Analysts comment on their own departments' KPIs only."), 404: error("No such KPI."),
        }, tag="KPIs", params=("kpi_id",), body=json_body("CommentaryNew")),
    },
    "/kpis/{kpi_id}/observations.csv": {"get": op("A KPI's observations as CSV", "public", {
        200: answer({"type": "string"}, "Columns kpi_id, period, period_start, dimension, member, value, "
                    "numerator, denominator, note; text that a spreadsheet would run as a formula is neutralised.",
                    media="text/csv", headers=("Content-Disposition", *CACHED)),
        304: NOT_MODIFIED, 400: BAD_AS_OF, 404: NO_KPI,
    }, tag="KPIs", params=("kpi_id", "as_of", *CONDITIONAL),
        description="Totals and breakdowns of the periods ended by `as_of`, oldest first.")},
    "/kpis/{kpi_id}/observations.xlsx": {"get": op("A KPI's observations as XLSX", "public", {
        200: answer({"type": "string", "contentMediaType": XLSX}, "The same columns; numbers stay numbers, "
                    "formula-like text is shown as text.", media=XLSX, headers=("Content-Disposition", *CACHED)),
        304: NOT_MODIFIED, 400: BAD_AS_OF, 404: NO_KPI,
    }, tag="KPIs", params=("kpi_id", "as_of", *CONDITIONAL))},
    "/goals": {"get": op("Goals with their roll-up status", "public", {
        200: answer(array(ref("Goal")), "Goals with KPI counts by status.", headers=CACHED),
        304: NOT_MODIFIED, 400: BAD_AS_OF,
    }, tag="Goals", params=("as_of", *CONDITIONAL))},
    "/departments": {"get": op("Departments", "public", {
        200: answer(array(ref("Department")), "Departments with their KPI counts.", headers=CACHED),
        304: NOT_MODIFIED,
    }, tag="Departments", params=CONDITIONAL,
        description="Anonymous callers get the departments with a published KPI, counting those.")},
    "/imports": {
        "post": op("Import a file of KPI values", "analyst", {
            200: answer(ref("ImportReport"), "A dry run's report, or a file with nothing to write."),
            201: answer(ref("ImportReport"), "Imported: the report, with its batch_id."),
            400: error("No file, a profile that cannot be used or does not fit the file, or a file that cannot "
                       "be read."),
            422: answer(ref("ImportRejected"), "Rows were rejected, so nothing was written (unless the profile "
                                               "says \"on_error\": \"skip\")."),
        }, tag="Imports", body=upload_body("ImportUpload"),
            description="CSV or XLSX, long or wide, mapped by an import profile (DESIGN §5). All or nothing."),
        "get": op("Import history", "viewer", {200: answer(array(ref("ImportBatch")), "Newest first.")},
                  tag="Imports"),
    },
    "/imports/profiles": {"get": op("Import profiles", "analyst", {
        200: answer(array(ref("ImportProfile")), "Saved profiles, then shipped ones.")}, tag="Imports")},
    "/imports/{batch_id}/revert": {"post": op("Revert an import", "analyst", {
        200: answer(ref("ImportReverted"), "Reverted: what it replaced is restored."),
        403: error("Only managers, admins and the person who imported may revert."),
        404: error("No such import."), 409: error("Already reverted, or not an import (the demo seed)."),
    }, tag="Imports", params=("batch_id",))},
    "/datasets": {
        "post": op("Load a raw dataset", "analyst", {
            201: answer(ref("DatasetLoaded"), "Loaded; computed KPIs that read it are recomputed."),
            400: error("No file, or a dataset profile or file that cannot be used (details say why)."),
            422: answer(ref("DatasetRejected"), "Cells miss their column's format; nothing was loaded."),
        }, tag="Datasets", body=upload_body("DatasetUpload"),
            description="A raw operational file (e.g. 311 requests) that computed KPIs read."),
        "get": op("Raw datasets", "viewer", {200: answer(array(ref("Dataset")), "Every dataset.")},
                  tag="Datasets"),
    },
    "/datasets/{name}/batches": {"get": op("A dataset's loads", "viewer", {
        200: answer(array(ref("DatasetLoad")), "Newest first, reverted ones too."),
        404: error("No such dataset."),
    }, tag="Datasets", params=("name",))},
    "/datasets/batches/{batch_id}/revert": {"post": op("Revert a dataset load", "analyst", {
        200: answer(ref("DatasetReverted"), "Reverted."),
        403: error("Only managers, admins and the person who loaded may revert."),
        404: error("No such load."), 409: error("The load cannot be reverted (already reverted, or a later "
                                                "load stands on it)."),
    }, tag="Datasets", params=("batch_id",))},
    "/meetings": {
        "post": op("Plan a stat meeting", "manager", {
            201: answer(ref("Meeting"), "Planned, with its agenda drafted from the data.", headers=("Location",)),
            400: error("The body needs fixing: the message says which field."),
        }, tag="Meetings", body=json_body("MeetingNew")),
        "get": op("Stat meetings", "viewer", {
            200: answer(array(ref("MeetingSummary")), "Newest first; analysts see their departments' meetings.",
                        headers=("Link",)),
            400: error("`limit` or `before` is not a whole number in range."),
        }, tag="Meetings", params=("meeting_department", "meeting_limit", "before")),
    },
    "/meetings/{meeting_id}": {
        "get": op("One meeting", "viewer", {200: answer(ref("Meeting"), "The meeting."), 404: NO_MEETING},
                  tag="Meetings", params=("meeting_id",)),
        "patch": op("Change a meeting", "manager", {
            200: answer(ref("Meeting"), "Changed; the agenda stays as people left it."),
            400: error("The body needs fixing: the message says which field."), 404: NO_MEETING,
        }, tag="Meetings", params=("meeting_id",), body=json_body("MeetingChange")),
    },
    "/meetings/{meeting_id}/agenda/draft": {"post": op("Draft the agenda afresh", "manager", {
        200: answer(ref("Meeting"), "Redrafted from the data; people's edits are replaced."), 404: NO_MEETING,
    }, tag="Meetings", params=("meeting_id",))},
    "/meetings/{meeting_id}/agenda": {"put": op("Save the edited agenda", "manager", {
        200: answer(ref("Meeting"), "Saved in the new order."),
        400: error("An item needs fixing: the message says which."), 404: NO_MEETING,
    }, tag="Meetings", params=("meeting_id",), body=json_body("AgendaEdit"))},
    "/meetings/{meeting_id}/decisions": {"post": op("Record a decision", "manager", {
        201: answer(ref("Decision"), "Recorded."), 400: error("No text, or text that cannot be used."),
        404: NO_MEETING,
    }, tag="Meetings", params=("meeting_id",), body=json_body("DecisionNew"))},
    "/meetings/{meeting_id}/action-items": {"post": op("Record an action item", "manager", {
        201: answer(ref("ActionItem"), "Recorded."), 400: error("The body needs fixing: the message says which "
                                                                 "field."),
        404: NO_MEETING,
    }, tag="Action items", params=("meeting_id",), body=json_body("ActionItemNew"))},
    "/action-items": {"get": op("Action items", "viewer", {
        200: answer(array(ref("ActionItem")), "Overdue first, then by due date."),
        400: error("`status` is not open, done, dropped or all."),
    }, tag="Action items", params=("action_status", "action_department", "owner"))},
    "/action-items/{item_id}": {"patch": op("Change an action item", "analyst", {
        200: answer(ref("ActionItem"), "Changed."), 400: error("The body needs fixing: the message says which."),
        403: error("Analysts change only status and progress_note of items they own."),
        404: error("No such action item, or not one this person may read."),
    }, tag="Action items", params=("item_id",), body=json_body("ActionItemChange"))},
    **document("meeting_id", "packet", {"pdf": "application/pdf", "docx": DOCX, "html": "text/html"}),
    **document("meeting_id", "memo", {"pdf": "application/pdf", "docx": DOCX, "txt": "text/plain"}),
}


# -- parameters and headers ------------------------------------------------------------------------------------
def _path(name: str, schema: Schema, description: str, example: Any) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description,
            "example": example}


def _query(name: str, schema: Schema, description: str, example: Any = None) -> dict[str, Any]:
    out = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if example is not None:
        out["example"] = example
    return out


SLUG = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
ROW_ID = {"type": "integer", "minimum": 1}
PARAMETERS: dict[str, dict[str, Any]] = {
    "kpi_id": _path("kpi_id", SLUG, "The KPI's id.", "potholes-repaired"),
    "goal_id": _path("goal_id", SLUG, "The goal's id.", "reliable-streets"),
    "name": _path("name", SLUG, "The dataset's name.", "requests_311"),
    "batch_id": _path("batch_id", ROW_ID, "The import batch or dataset load.", 1),
    "meeting_id": _path("meeting_id", ROW_ID, "The meeting.", 1),
    "item_id": _path("item_id", ROW_ID, "The action item.", 1),
    "as_of": _query("as_of", {"type": "string", "format": "date"}, "Evaluate with the data of periods ended by "
                    "this day, and freshness as of it (YYYY-MM-DD); default today.", "2026-10-31"),
    "department": _query("department", {"type": "string"}, "Only this department's KPIs (its id).",
                         "public-works"),
    "goal": _query("goal", {"type": "string"}, "Only this goal's KPIs (its id)."),
    "status": _query("status", {"type": "string", "enum": list(STATUSES)}, "Only KPIs with this status.",
                     "off_track"),
    "limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "Page size.", 20),
    "offset": _query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0},
                     "KPIs to skip."),
    "If-None-Match": {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                      "description": "An ETag from an earlier answer: 304 when the answer is the same."},
    "If-Modified-Since": {"name": "If-Modified-Since", "in": "header", "required": False,
                          "schema": {"type": "string"}, "description": "An HTTP date: 304 when nothing changed "
                                                                      "since (and If-None-Match is not sent)."},
    "lang": _query("lang", {"type": "string", "enum": list(LANGUAGES)}, "The document's language; default the "
                   "reader's."),
    "meeting_department": _query("department", {"type": "string"}, "Only meetings reviewing this department."),
    "meeting_limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                            "Page size."),
    "before": _query("before", {"type": "integer", "minimum": 1}, "A meeting id: the page after that meeting."),
    "action_status": _query("status", {"type": "string", "enum": [*ENUMS["action_statuses"], "all"],
                                       "default": "open"}, "Which items."),
    "action_department": _query("department", {"type": "string"}, "Only this department's items."),
    "owner": _query("owner", {"type": "string"}, "Only items of this owner (account or name)."),
    "narrative_history": _query("history", {"type": "boolean", "default": False}, "true: every version of each "
                                "period's narrative, newest first (staff only); false: the current ones."),
    "due_state": _query("state", {"type": "string", "enum": ["all", "overdue", "due"], "default": "all"},
                        "Only overdue values, only those still due, or all.", "overdue"),
}
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"required": True, "schema": {"type": "string"}, "description": "A strong validator of the body."},
    "Last-Modified": {"required": True, "schema": {"type": "string"},
                      "description": "When the warehouse last changed (or today's start, for answers as of today)."},
    "Cache-Control": {"required": True, "schema": {"type": "string"}, "description": "no-cache (revalidate with "
                      "the ETag), private for signed-in callers, public for anonymous ones."},
    "X-Total-Count": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"},
                      "description": "KPIs matching the filters, over all pages."},
    "Link": {"required": False, "schema": {"type": "string"}, "description": '`<url>; rel="next"` when there '
                                                                            "is a next page."},
    "Location": {"required": True, "schema": {"type": "string"}, "description": "Where the new item is."},
    "Content-Disposition": {"required": True, "schema": {"type": "string"}, "description": "The file name."},
}
