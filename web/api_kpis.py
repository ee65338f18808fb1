"""/api/v1 KPIs and goals with their status (DESIGN §8). Anonymous callers see only what the
city published; everyone else sees every live KPI."""
from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import jsonify, request, url_for

from i18n import current_language, translate
from metrics import computed, catalog, forecast, status
from metrics.periods import Period, PeriodError, parse_date
from web.api import api, error_response
from web.auth import current_scope
from web.http_cache import conditional
from web.reasons import reason_of, say
from web.rules import access
from web.services import current_services

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class BadRequest(ValueError):
    """A query parameter that cannot be used: the message key (api.*) that says which and
    how to fix it, and its values; worded in the caller's language when answered."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(translate(key, "en", **params))

    def message(self, language: str) -> str:
        return translate(self.key, language, **{name: say(value, language) for name, value in self.params.items()})


def as_of_date() -> date:
    """The request's `as_of` (default today); BadRequest says how to write it."""
    raw = request.args.get("as_of")
    if not raw:
        return date.today()
    try:
        return parse_date(raw)
    except PeriodError as error:
        raise BadRequest("api.bad_as_of", problem=reason_of(error)) from None


def _whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadRequest("api.bad_whole", name=name, low=low, high=high, value=repr(raw[:40]))
    return int(raw)


def _target(row: dict[str, Any]) -> float | dict[str, float] | None:
    if row["direction"] == "band" and row["compared_low"] is not None:
        return {"low": row["compared_low"], "high": row["compared_high"]}
    return row["compared_target"]


def _forecast(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {key: value[key] for key in ("fiscal_year", "method", "value", "low", "high", "likelihood", "target")}


def kpi_json(row: dict[str, Any], calendar, prediction: dict[str, Any] | None) -> dict[str, Any]:
    latest = None
    if row["latest_period_start"] is not None:
        latest = {"period": calendar.label(Period(row["frequency"], row["latest_period_start"])),
                  "value": row["latest_value"]}
    return {
        "id": row["id"], "name": row["name"], "department": row["department_id"],
        "department_name": row["department_name"], "goal_id": row["goal_id"], "unit": row["unit"],
        "direction": row["direction"], "frequency": row["frequency"], "aggregation": row["aggregation"],
        "published": row["published"], "critical": row["critical"], "latest": latest, "target": _target(row),
        "target_basis": row["target_basis"], "compared_value": row["compared_value"],
        "percent_of_target": row["percent_of_target"], "status": row["status"], "trend": row["trend"],
        "stale": row["stale"], "next_due": row["next_due"].isoformat() if row["next_due"] else None,
        "forecast": _forecast(prediction),
    }


@api.errorhandler(BadRequest)
def _bad_request(error: BadRequest):
    return error_response(400, error.message(current_language()))


@api.get("/kpis")
@access("public")
@conditional
def list_kpis():
    """KPIs with status as of a date; filters department, goal, status; `limit`/`offset`
    pages, with a `Link: <...>; rel="next"` header and X-Total-Count."""
    services, scope = current_services(), current_scope()
    as_of = as_of_date()
    wanted = request.args.get("status") or None
    if wanted is not None and wanted not in status.STATUSES:
        raise BadRequest("api.bad_status", allowed=", ".join(status.STATUSES), value=repr(wanted[:40]))
    limit = _whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _whole("offset", 0, 0, 10**9)
    rows = status.kpi_statuses(services.warehouse, services.calendar, as_of,
                               department=request.args.get("department") or None,
                               goal=request.args.get("goal") or None, published_only=scope.published_only)
    if wanted:
        rows = [row for row in rows if row["status"] == wanted]
    page = rows[offset:offset + limit]
    predictions = forecast.forecasts(services.warehouse, services.calendar, as_of, page)
    response = jsonify([kpi_json(row, services.calendar, predictions[row["id"]]) for row in page])
    response.headers["X-Total-Count"] = str(len(rows))
    if offset + limit < len(rows):
        query = {**request.args.to_dict(), "offset": offset + limit, "limit": limit}
        response.headers["Link"] = f'<{url_for("api.list_kpis")}?{urlencode(query)}>; rel="next"'
    return response


@api.get("/kpis/<kpi_id>")
@access("public")
@conditional
def get_kpi(kpi_id: str):
    """One KPI: its definition, targets, observations (with breakdowns) and status fields."""
    services, scope = current_services(), current_scope()
    as_of = as_of_date()
    rows = status.kpi_statuses(services.warehouse, services.calendar, as_of, kpi_id=kpi_id,
                               published_only=scope.published_only)
    if not rows:
        return error_response(404, translate("api.no_kpi", current_language(), kpi_id=repr(kpi_id[:128])))
    row = rows[0]
    prediction = forecast.forecasts(services.warehouse, services.calendar, as_of, rows)[kpi_id]
    body = kpi_json(row, services.calendar, prediction)
    definition_fields = ("name_es", "name_pt", "description", "description_es", "description_pt", "unit_label",
                         "tolerance", "decimals", "owner", "data_source", "methodology", "lag_days", "breakdowns")
    body.update({field: row[field] for field in definition_fields})
    body["lag"] = row["lag_days"]
    body["targets"] = [{"period": services.calendar.label(Period(t["frequency"], t["period_start"])),
                        "frequency": t["frequency"], "value": t["value"], "low": t["low"], "high": t["high"]}
                       for t in catalog.kpi_targets(services.warehouse, kpi_id)]
    body["observations"] = [{"period": services.calendar.label(Period(row["frequency"], o["period_start"])),
                             "dimension": o["dimension"] or None, "member": o["member"] or None,
                             "value": o["value"], "numerator": o["numerator"], "denominator": o["denominator"],
                             "note": o["note"],
                             # lineage: the import batch, or the definition version and raw batch
                             "import_batch": o["batch_id"], "definition_version": o["definition_version"],
                             "raw_batch": o["raw_batch"]}
                            for o in catalog.kpi_observations(services.warehouse, services.calendar, kpi_id, as_of)]
    current = computed.definition(services.warehouse, kpi_id)
    body["sql"] = current["sql"] if current else None
    body["definition"] = ({"version": current["version"], "datasets": list(current["datasets"]),
                           "saved_by": None if scope.published_only else current["created_by"],
                           "saved_at": current["created_at"].isoformat(timespec="seconds")} if current else None)
    return jsonify(body)


@api.get("/goals")
@access("public")
@conditional
def list_goals():
    """Goals with their roll-up status and KPI counts by status."""
    services, scope = current_services(), current_scope()
    as_of = as_of_date()
    kpis = status.kpi_statuses(services.warehouse, services.calendar, as_of, published_only=scope.published_only)
    goals = status.goal_statuses(services.warehouse, services.calendar, as_of, kpis,
                                 published_only=scope.published_only)
    fields = ("id", "title", "description", "owner", "parent_id", "mayoral_priority", "published", "status",
              "score", "counts", "kpi_total", "unscored")
    return jsonify([{field: goal[field] for field in fields} for goal in goals])
