"""/api/v1/kpis/<kpi_id>/narratives (issue #10): a KPI's narratives, and writing one.

GET is public as the KPI is: anonymous callers get the narratives of published KPIs (an
unpublished KPI is 404, as one that does not exist), without the authors' user names, and
only the current version of each period; staff may ask for every version with
`?history=true`. POST saves a narrative through web.narratives, which checks the person's
department and audits every save and refusal.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from i18n import current_language, translate
from web.api import api, error_response
from web.api_catalog import _visible_kpi
from web.auth import current_scope
from web.narratives import NarrativeError, list_narratives, save_narrative
from web.rules import access
from web.services import current_services

TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


def narrative_json(item: dict[str, Any], *, public: bool = False) -> dict[str, Any]:
    """A narrative as the API writes it; anonymous callers get no user names."""
    return {"id": item["id"], "kpi_id": item["kpi_id"], "period": item["period"],
            "period_start": item["period_start"].isoformat(), "happened": item["happened"], "why": item["why"],
            "next_steps": item["next_steps"], "author": None if public else item["author"],
            "author_name": item["author_name"], "created_at": item["created_at"].isoformat(timespec="seconds") + "Z",
            "version": item["version"], "current": item["current"]}


@api.get("/kpis/<kpi_id>/narratives")
@access("public")
def kpi_narratives(kpi_id: str):
    """The current narrative of each period, newest period first; `history=true` (staff
    only) every version."""
    language, scope = current_language(), current_scope()
    asked = request.args.get("history", "").strip().lower()
    if asked not in TRUE + FALSE:
        return error_response(400, translate("narratives.bad_history", language, value=asked[:40]), ["history"])
    kpi = _visible_kpi(kpi_id)
    if kpi is None:
        return error_response(404, translate("api.no_kpi", language, kpi_id=repr(kpi_id[:128])))
    history = asked in TRUE
    if history and scope.published_only:
        return error_response(403, translate("narratives.history_staff_only", language), ["history"])
    items = list_narratives(current_services(), kpi["id"], history=history, kpi=kpi)
    return jsonify({"kpi_id": kpi["id"],
                    "narratives": [narrative_json(item, public=scope.published_only) for item in items]})


@api.post("/kpis/<kpi_id>/narratives")
@access("analyst")
def add_kpi_narrative(kpi_id: str):
    """Write the narrative of one period: {"period": "2026-10", "happened": "...", "why":
    "...", "next_steps": "..."}. 201 with it (200 when it said this already)."""
    language = current_language()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, translate("narratives.bad_body", language), ["body"])
    # The body's shape is checked first, as for commentary; what it means for this KPI and
    # this person (department, period, text) is save_narrative's to check and to audit.
    missing = [field for field in ("period", "happened") if field not in body]
    if missing:
        fields = ", ".join(f'"{field}"' for field in missing)
        return error_response(400, translate("narratives.missing_fields", language, fields=fields), missing)
    try:
        saved = save_narrative(current_services(), current_scope(), kpi_id, None, body)
    except NarrativeError as error:
        return error_response(error.status, error.message(language), error.details(language))
    return jsonify(narrative_json(saved)), 200 if saved["unchanged"] else 201
