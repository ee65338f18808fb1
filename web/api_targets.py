"""PUT /api/v1/kpis/<kpi_id>/targets and GET /api/v1/kpis/<kpi_id>/targets/history (issue #10):
a KPI's targets written as one batch, and every change of them. web.targets_write checks,
writes and audits; this module checks the body's shape and answers in the caller's language:
400 a body that is not {"targets": [...], "dry_run": bool}, 403 not this person's department,
404 no such KPI, 409 an archived KPI, 422 rows to fix (each named in `details`), nothing written."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from i18n import current_language, translate
from web.api import api, error_response
from web.auth import current_scope
from web.rules import access
from web.services import current_services
from web.targets_write import MAX_ROWS, ROW_FIELDS, TargetsError, save_targets, target_history

BODY_FIELDS = ("targets", "dry_run")


def _number_or_null(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def shape_problems(body: Any, language: str) -> list[str]:
    """What keeps `body` from being {"targets": [{"period", "value" | "low", "high"}...],
    "dry_run": bool}; empty when it has that shape (whether its rows make sense is the
    service's to say)."""
    if not isinstance(body, dict):
        return [translate("targets_api.not_object", language)]
    problems = []
    unknown = sorted(str(key)[:40] for key in body if key not in BODY_FIELDS)
    if unknown:
        problems.append(translate("targets_api.unknown_keys", language, keys=", ".join(unknown)))
    if "dry_run" in body and not isinstance(body["dry_run"], bool):
        problems.append(translate("targets_api.dry_run", language))
    rows = body.get("targets")
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS:
        return problems + [translate("targets_api.rows", language, limit=MAX_ROWS)]
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not isinstance(row.get("period"), str):
            problems.append(translate("targets_api.row_shape", language, row=number))
        elif set(row) - set(ROW_FIELDS) or not all(_number_or_null(row.get(k)) for k in ("value", "low", "high")):
            problems.append(translate("targets_api.row_fields", language, row=number))
        if len(problems) >= 20:
            break
    return problems


@api.put("/kpis/<kpi_id>/targets")
@access("analyst")
def put_kpi_targets(kpi_id: str):
    """Set, change or clear targets of one KPI in one batch; 200 with what was written."""
    language = current_language()
    body = request.get_json(silent=True)
    problems = shape_problems(body, language)
    if problems:
        return error_response(400, translate("targets_api.bad_body", language), problems)
    try:
        result = save_targets(current_services(), current_scope(), kpi_id, body["targets"],
                              dry_run=body.get("dry_run", False))
    except TargetsError as error:
        return error_response(error.status, error.message(language), error.problem_texts(language))
    return jsonify({"kpi_id": kpi_id, **result})


def _moment(value) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


@api.get("/kpis/<kpi_id>/targets/history")
@access("viewer")
def kpi_targets_history(kpi_id: str):
    """Every change of the KPI's targets, newest first (archived KPIs too)."""
    changes = target_history(current_services(), kpi_id)
    if changes is None:
        return error_response(404, translate("api.no_kpi", current_language(), kpi_id=repr(kpi_id[:128])))
    return jsonify({"kpi_id": kpi_id, "history": [
        {"batch_id": c["batch_id"], "kind": c["kind"], "file_name": c["file_name"], "changed_by": c["changed_by"],
         "changed_at": _moment(c["changed_at"]), "period": c["period"], "frequency": c["frequency"],
         "old": c["old"], "new": c["new"], "state": c["state"], "reverted": c["reverted"],
         "reverted_at": _moment(c["reverted_at"]), "reverted_by": c["reverted_by"]} for c in changes]})
