"""POST /api/v1/kpis, PUT /api/v1/kpis/<kpi_id> and GET /api/v1/kpis/<kpi_id>/versions (DESIGN
§8, issue #10): a KPI written with the field names of §3 ("archived": true archives it,
false restores it), and "sql" for a computed KPI, whose values then come from that
definition; and the versions its changes made. Errors are JSON {"error", "details"}: 400 for
a body to fix, 403 not yours to change, 404 no such KPI, 409 the id is taken, 422 a
definition the checker refused or that does not run."""
from __future__ import annotations

from flask import jsonify, request

from i18n import current_language, translate
from web.api import api, error_response
from web.reasons import say_all
from web.auth import current_scope
from web.kpi_definitions import KpiWriteError, create_kpi, kpi_versions, update_kpi
from web.rules import access
from web.services import current_services


def _body():
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _refused(error: KpiWriteError):
    language = current_language()
    return error_response(error.status, error.message(language), error.problem_texts(language))


@api.post("/kpis")
@access("analyst")
def create_kpi_route():
    """Create a KPI; 201 with {"id", "definition"} (its version and observations when computed)."""
    body = _body()
    if body is None:
        return error_response(400, translate("kpi_write.bad_json", current_language()))
    try:
        created = create_kpi(current_services(), current_scope(), body)
    except KpiWriteError as error:
        return _refused(error)
    response = jsonify(created)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/kpis/{created['id']}"
    return response


@api.put("/kpis/<kpi_id>")
@access("analyst")
def update_kpi_route(kpi_id: str):
    """Change the fields the body gives (and/or its "sql"); 200 with what changed."""
    body = _body()
    if body is None:
        return error_response(400, translate("kpi_write.bad_json", current_language()))
    # The body's shape first; whether this person may change this KPI is update_kpi's to check.
    if not body:
        return error_response(400, translate("kpi_write.nothing", current_language()))
    try:
        changed = update_kpi(current_services(), current_scope(), kpi_id, body)
    except KpiWriteError as error:
        return _refused(error)
    return jsonify({**changed, "warnings": say_all(changed["warnings"], current_language())})


def _version_json(row: dict) -> dict:
    return {"version": row["version"], "action": row["action"], "changed_by": row["changed_by"],
            "changed_at": row["changed_at"].isoformat(timespec="seconds"), "changes": row["changes"]}


@api.get("/kpis/<kpi_id>/versions")
@access("viewer")
def kpi_versions_route(kpi_id: str):
    """The versions of a KPI's fields, newest first (archived KPIs too: their history stays)."""
    found = kpi_versions(current_services(), kpi_id)
    if found is None:
        return error_response(404, translate("api.no_kpi", current_language(), kpi_id=repr(kpi_id[:128])))
    return jsonify({"kpi_id": kpi_id, "versions": [_version_json(row) for row in found]})
