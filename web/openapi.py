"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the whole API (DESIGN §8, issue #8).

The document is data in modules (openapi_schemas, openapi_work, openapi_paths, and one per
part of the catalogue written in the app: goals, KPI edits, targets, narratives, what is
due); this one puts them together and serves them. tests/test_openapi.py proves it lists every
route of the app and no other, and tests/test_schemathesis.py calls every operation to
prove the app answers as it says.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify

from config import VERSION
from web import (openapi_due, openapi_goals, openapi_kpi_edit, openapi_narratives, openapi_schemas, openapi_targets,
                 openapi_work)
from web.api import api
from web.openapi_paths import HEADERS, PARAMETERS, PATHS
from web.rules import access

DESCRIPTION = """\
CityStat's HTTP API: KPIs with their status against target, goals, departments and the
observations behind them, for anyone (anonymous callers see what the city published);
imports, raw datasets, KPI definitions and stat meetings for the city's staff.

Authenticate with `Authorization: Bearer <token>` (an administrator creates tokens with
`flask --app app create-token NAME`) or the session cookie of a signed-in browser; a write
with the cookie needs a same-origin `Origin` header. Each operation says which role it needs.

Errors are JSON, `{"error": "...", "details": [...]}`, in the caller's language
(`Accept-Language`: en, es or pt); bad input is a 4xx, never a 500. The read routes send
ETag and Last-Modified and answer 304 to If-None-Match / If-Modified-Since. HEAD is
accepted wherever GET is. Periods are written as the city names them: 2026-03 (month),
2026-W10 (ISO week), FY2026-Q1 (fiscal quarter), FY2026 (fiscal year)."""

SECURITY_SCHEMES = {
    "bearerToken": {"type": "http", "scheme": "bearer",
                    "description": "An API token; it acts with its owner's role and departments."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                      "description": "The session of a person signed in at /login."},
}
TAGS = [{"name": name} for name in ("KPIs", "Goals", "Departments", "Imports", "Datasets", "Meetings",
                                    "Action items", "Service")]


# The modules that add operations and schemas of their own, each with PATHS and SCHEMAS.
_PARTS = (openapi_goals, openapi_kpi_edit, openapi_targets, openapi_narratives, openapi_due)


def _paths() -> dict[str, dict[str, Any]]:
    """Every module's operations, path by path; one operation is defined in one place only."""
    paths = {path: dict(operations) for path, operations in PATHS.items()}
    for part in _PARTS:
        for path, operations in part.PATHS.items():
            mine = paths.setdefault(path, {})
            clash = set(mine) & set(operations)
            if clash:
                raise ValueError(f"{path} {sorted(clash)} is defined twice in the OpenAPI document")
            mine.update(operations)
    return paths


def _schemas() -> dict[str, Any]:
    schemas = {**openapi_schemas.SCHEMAS, **openapi_work.SCHEMAS}
    for part in _PARTS:
        clash = set(schemas) & set(part.SCHEMAS)
        if clash:
            raise ValueError(f"schemas {sorted(clash)} are defined twice in the OpenAPI document")
        schemas.update(part.SCHEMAS)
    return schemas


def openapi_document() -> dict[str, Any]:
    """The whole document, built afresh (a few hundred small dicts: cheap, and nobody can
    change a shared copy)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "CityStat API", "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "tags": TAGS,
        "security": [{"bearerToken": []}, {"sessionCookie": []}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": PARAMETERS,
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


@api.get("/openapi.json")
@access("public")
def openapi_json():
    """The document. It changes only with a new release, so caches may keep it an hour."""
    response = jsonify(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
