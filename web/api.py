"""The /api/v1 blueprint (DESIGN §8). Errors under /api/ are JSON: {"error", "details"}."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from config import VERSION
from web.rules import access

api = Blueprint("api", __name__, url_prefix="/api/v1")


def error_response(status: int, message: str, details: list | None = None):
    response = jsonify({"error": message, "details": details or []})
    response.status_code = status
    return response


@api.app_errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """JSON for API callers; the ordinary error page everywhere else."""
    if request.path.startswith("/api/"):
        return error_response(error.code or 500, error.description or error.name)
    return error


@api.get("/health")
@access("public")
def health():
    """Liveness: the app answers. Does not touch the warehouse, so it stays cheap."""
    return jsonify({"status": "ok", "version": VERSION})


@api.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@access("public")
def unknown_route(_unknown: str):
    """Without this, Dash's catch-all page route would answer unknown API paths with HTML."""
    return error_response(404, f"There is no API route {request.path}; the README lists the routes.")
