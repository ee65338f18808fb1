"""No stack trace ever reaches a person: unexpected errors are logged in full and answered
with a short message (JSON for the API and Dash, plain text elsewhere)."""
from __future__ import annotations

from dash.exceptions import DependencyException
from flask import jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from i18n import current_language, translate


def _json_wanted() -> bool:
    return request.path.startswith(("/api/", "/_dash-"))


def init_errors(server) -> None:
    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_error):
        limit = server.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = translate("errors.too_large", current_language(), limit=limit)
        if _json_wanted():
            response = jsonify({"error": message, "details": []})
            response.status_code = 413
            return response
        return message, 413

    @server.errorhandler(DependencyException)
    def _unknown_component_file(_error):
        # Dash raises this for a component package or file it does not serve: a bad address.
        return translate("errors.not_found", current_language()), 404

    @server.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return error
        server.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = translate("errors.unexpected", current_language())
        if _json_wanted():
            response = jsonify({"error": message, "details": []})
            response.status_code = 500
            return response
        return message, 500
