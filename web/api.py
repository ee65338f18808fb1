"""The /api/v1 blueprint (DESIGN §8). Errors under /api/ are JSON: {"error", "details"}."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from config import VERSION
from i18n import current_language, translate
from metrics import catalog
from web.auth import current_scope
from web.commentary import CommentaryError, add_commentary, list_commentary
from web.rules import access
from web.services import current_services

api = Blueprint("api", __name__, url_prefix="/api/v1")


def error_response(status: int, message: str, details: list | None = None):
    response = jsonify({"error": message, "details": details or []})
    response.status_code = status
    return response


@api.app_errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """JSON for API callers; the ordinary error page everywhere else."""
    if request.path.startswith("/api/"):
        return error_response(error.code or 500, http_message(error, current_language()))
    return error


def http_message(error: HTTPException, language: str) -> str:
    """What an HTTP error means for an API caller, in `language` (Werkzeug's own
    descriptions are English and speak of servers, not of what to do)."""
    code = error.code or 500
    if code == 405:
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or [])) or "GET"
        return translate("api.http_405", language, method=request.method, path=request.path[:200], allowed=allowed)
    if code in (400, 404, 406, 415, 429):
        return translate(f"api.http_{code}", language, path=request.path[:200])
    return translate("api.http_other", language, code=code, name=error.name)


@api.get("/health")
@access("public")
def health():
    """Liveness: the app answers. Does not touch the warehouse, so it stays cheap."""
    return jsonify({"status": "ok", "version": VERSION})


def _commentary_json(item: dict) -> dict:
    return {"id": item["id"], "period": item["period"], "text": item["text"], "author": item["author"],
            "author_name": item["author_name"],
            "created_at": item["created_at"].isoformat(timespec="seconds") + "Z"}


@api.get("/kpis/<kpi_id>/commentary")
@access("viewer")
def kpi_commentary(kpi_id: str):
    """A KPI's commentary, newest first."""
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    if kpi is None:
        return error_response(404, translate("commentary.unknown_kpi", current_language(), kpi_id=kpi_id[:128]))
    return jsonify({"kpi_id": kpi["id"],
                    "commentary": [_commentary_json(c) for c in list_commentary(services, kpi["id"], kpi=kpi)]})


@api.post("/kpis/<kpi_id>/commentary")
@access("analyst")
def add_kpi_commentary(kpi_id: str):
    """Comment on one period of a KPI: {"period": "2026-09", "text": "..."}; analysts only
    for their own departments (checked, and refusals audited, by add_commentary)."""
    language = current_language()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, translate("commentary.bad_json", language))
    # The body's shape is checked first; what it means for this KPI and this person
    # (period, department, text) is add_commentary's to check and to audit.
    missing = [field for field in ("period", "text") if field not in body]
    if missing:
        fields = ", ".join(f'"{field}"' for field in missing)
        return error_response(400, translate("commentary.missing_fields", language, fields=fields), missing)
    try:
        created = add_commentary(current_services(), current_scope(), kpi_id, body["period"], body["text"])
    except CommentaryError as error:
        return error_response(error.status, error.message(language), [error.key])
    return jsonify(_commentary_json(created)), 201


@api.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@access("public")
def unknown_route(_unknown: str):
    """Without this, Dash's catch-all page route would answer unknown API paths with HTML."""
    return error_response(404, translate("api.no_route", current_language(), path=request.path[:200]))
