"""GET /api/v1/due (issue #10): the KPIs whose next value is due or overdue, as of a day, with
who owes it and how late it is. For signed-in people (every department: DESIGN §7)."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from i18n import current_language, translate
from metrics import catalog, due, status
from web.api import api, error_response
from web.api_kpis import BadRequest, as_of_date
from web.auth import current_scope
from web.http_cache import conditional
from web.rules import access
from web.services import current_services

STATES = ("all", *due.STATES)


def due_json(kpi: dict[str, Any], calendar) -> dict[str, Any]:
    """One row of metrics.due.due_items as the API writes it."""
    item = kpi["due"]
    return {
        "kpi_id": kpi["id"], "kpi_name": kpi["name"], "department": kpi["department_id"],
        "department_name": kpi["department_name"], "frequency": kpi["frequency"],
        "period": calendar.label(item["period"]), "period_start": item["period"].start.isoformat(),
        "periods_owed": item["periods_owed"], "due_date": item["due_date"].isoformat(), "state": item["state"],
        "days_late": item["days_late"], "days_left": item["days_left"], "owner": item["owner"],
        "has_owner": item["has_owner"],
    }


@api.get("/due")
@access("viewer")
@conditional
def list_due():
    """What is due as of `as_of` (default today): overdue first, the latest first; filters
    `department` (an id) and `state` (overdue, due or all)."""
    services, language = current_services(), current_language()
    if not current_scope().allows("viewer"):   # the guard refused already; reading needs a person
        return error_response(401, translate("guard.sign_in", language))
    as_of = as_of_date()
    state = request.args.get("state") or "all"
    if state not in STATES:
        raise BadRequest("due.api_bad_state", allowed=", ".join(STATES), value=repr(state[:40]))
    department = request.args.get("department") or None
    if department is not None and department not in {d["id"] for d in catalog.list_departments(services.warehouse)}:
        return error_response(400, translate("due.api_no_department", language, value=repr(department[:128])),
                              ["department"])
    rows = status.kpi_statuses(services.warehouse, services.calendar, as_of, department=department)
    items = [kpi for kpi in due.due_items(rows, services.calendar, as_of)
             if state == "all" or kpi["due"]["state"] == state]
    return jsonify([due_json(kpi, services.calendar) for kpi in items])
