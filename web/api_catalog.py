"""/api/v1 departments, writing goals (issue #10), and a KPI's observations as CSV or XLSX
(DESIGN §8, issue #8). Anonymous callers see what the city published and nothing else: an
unpublished KPI's exports answer 404, as a KPI that does not exist does. Goals are written
by managers and administrators through web.goals_write, which checks, versions and audits."""
from __future__ import annotations

from flask import Response, jsonify, request

from i18n import current_language, translate
from metrics import catalog
from web.api import api, error_response
from web.api_kpis import as_of_date
from web.auth import current_scope
from web.exports import OBSERVATION_COLUMNS, XLSX_TYPE, csv_text, observation_rows, xlsx_bytes
from web.goals_write import (FIELDS as GOAL_WRITE_FIELDS, GoalWriteError, create_goal, goal_history, goal_record,
                             update_goal as update_goal_service)
from web.http_cache import conditional, last_modified
from web.publishing import PublishingError, set_published
from web.rules import access
from web.services import current_services

GOAL_FIELDS = GOAL_WRITE_FIELDS   # what POST /goals and PUT /goals/<id> take


@api.get("/departments")
@access("public")
@conditional
def list_departments():
    """Departments with their count of live KPIs (anonymous: those with published KPIs,
    counting those)."""
    rows = catalog.list_departments(current_services().warehouse, published_only=current_scope().published_only)
    return jsonify([{key: row[key] for key in ("id", "name", "name_es", "name_pt", "head", "kpi_count")}
                    for row in rows])


def _goal_refused(error: GoalWriteError):
    language = current_language()
    return error_response(error.status, error.message(language), error.problem_texts(language))


def _goal_json(goal: dict) -> dict:
    at = goal["archived_at"]
    return {**goal, "archived_at": at.isoformat(timespec="seconds") if at is not None else None}


@api.post("/goals")
@access("manager")
def create_goal_route():
    """Create a goal; 201 with the goal and its Location. The id is made from the title when
    the body gives none."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return error_response(400, translate("goal_write.bad_json", current_language()))
    try:
        created = create_goal(current_services(), current_scope(), body)
    except GoalWriteError as error:
        return _goal_refused(error)
    response = jsonify(_goal_json(created))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/goals/{created['id']}"
    return response


@api.get("/goals/<goal_id>")
@access("viewer")
def get_goal_route(goal_id: str):
    """One goal as written, archived or not (the list of goals with their status is GET /goals)."""
    goal = goal_record(current_services(), goal_id)
    if goal is None:
        return error_response(404, translate("goals_write.unknown", current_language(), goal_id=goal_id[:128]))
    return jsonify(_goal_json(goal))


@api.put("/goals/<goal_id>")
@access("manager")
def update_goal(goal_id: str):
    """Change a goal. {"published": true|false} alone publishes or withdraws it, answering
    {"id", "title", "published", "changed"} as it always has; any other fields change the
    goal ("archived": true archives it, false restores it), answering the goal and the
    fields that changed."""
    language = current_language()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return error_response(400, translate("goal_write.bad_json", language))
    if set(body) == {"published"}:
        try:
            result = set_published(current_services(), current_scope(), "goal", goal_id, body["published"])
        except PublishingError as error:
            return error_response(error.status, error.message(language), [error.key])
        return jsonify({"id": result["id"], "title": result["title"], "published": result["published"],
                        "changed": result["changed"]})
    try:
        result = update_goal_service(current_services(), current_scope(), goal_id, body)
    except GoalWriteError as error:
        return _goal_refused(error)
    return jsonify({**_goal_json(result["goal"]), "changed": result["changed"]})


@api.get("/goals/<goal_id>/history")
@access("viewer")
def goal_history_route(goal_id: str):
    """The goal's versions, newest first: who changed which fields, when, from what to what.
    Staff read it as they read the goal page (viewers read everything internal)."""
    history = goal_history(current_services(), goal_id) if len(goal_id) <= 128 else None
    if history is None:
        return error_response(404, translate("goals_write.unknown", current_language(), goal_id=goal_id[:128]))
    return jsonify({"goal_id": goal_id, "versions": [
        {**version, "changed_at": version["changed_at"].isoformat(timespec="seconds")} for version in history]})


def _visible_kpi(kpi_id: str):
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id) if len(kpi_id) <= 128 else None
    if kpi is None or (current_scope().published_only and not kpi["published"]):
        return None
    return kpi


def _export(kpi_id: str, kind: str):
    kpi = _visible_kpi(kpi_id)
    if kpi is None:
        return error_response(404, translate("api.no_kpi", current_language(), kpi_id=repr(kpi_id[:128])))
    services = current_services()
    rows = observation_rows(services, kpi, as_of_date())
    name = f"{kpi['id']}-observations.{kind}"
    if kind == "csv":
        response = Response(csv_text(OBSERVATION_COLUMNS, rows), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        body = xlsx_bytes(kpi["id"], OBSERVATION_COLUMNS, rows, modified=last_modified("as_of" in request.args))
        response = Response(body, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@api.get("/kpis/<kpi_id>/observations.csv")
@access("public")
@conditional
def kpi_observations_csv(kpi_id: str):
    """A KPI's observations (totals and breakdowns) for periods ended by `as_of`, as CSV."""
    return _export(kpi_id, "csv")


@api.get("/kpis/<kpi_id>/observations.xlsx")
@access("public")
@conditional
def kpi_observations_xlsx(kpi_id: str):
    """The same as an XLSX workbook: numbers as numbers, text never run as a formula."""
    return _export(kpi_id, "xlsx")
