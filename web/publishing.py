"""Publishing (DESIGN §7, issue #8): managers and admins decide which KPIs and goals exist
for anonymous visitors. One service for the publishing page and the API, so the same
checks and the same audit trail apply however the request comes."""
from __future__ import annotations

from typing import Any

from i18n import translate
from metrics import catalog, status
from metrics.access import Scope
from web import audit

KINDS = {"kpi": "kpis", "goal": "goals"}
STATUS = {"publishing.not_allowed": 403, "publishing.unknown": 404, "publishing.invalid": 400}


class PublishingError(ValueError):
    """A publishing change refused; already audited, nothing written."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(translate(key, "en", **params))

    @property
    def status(self) -> int:
        return STATUS.get(self.key, 400)

    def message(self, language: str) -> str:
        return translate(self.key, language, **self.params)


def may_publish(scope: Scope) -> bool:
    return scope.all_departments


def _current(services, kind: str, item_id: str) -> dict[str, Any] | None:
    table = KINDS[kind]   # an allowlisted table name, never user text
    title = "name" if kind == "kpi" else "title"
    return services.warehouse.query(
        f"SELECT id, {title} AS title, coalesce(published, FALSE) AS published FROM {table} "
        "WHERE id = ? AND NOT archived", [item_id]).first()


def set_published(services, scope: Scope, kind: str, item_id: str, published: bool) -> dict[str, Any]:
    """Publish or withdraw one KPI or goal; returns {"kind", "id", "title", "published",
    "changed"}. Raises PublishingError (audited) for a refusal or a bad request."""
    target = f"{kind}:{str(item_id)[:200]}"
    try:
        if not may_publish(scope):
            raise PublishingError("publishing.not_allowed")
        if kind not in KINDS or not isinstance(published, bool):
            raise PublishingError("publishing.invalid")
        item = _current(services, kind, item_id) if isinstance(item_id, str) and 0 < len(item_id) <= 128 else None
        if item is None:
            raise PublishingError("publishing.unknown", id=str(item_id)[:128])
    except PublishingError as error:
        audit.record(services, "publishing", "denied" if error.status == 403 else "failure",
                     actor=scope.username, target=target, details={"reason": error.key.removeprefix("publishing.")})
        raise
    changed = item["published"] != published
    if changed:
        with services.warehouse.transaction() as tx:
            tx.execute(f"UPDATE {KINDS[kind]} SET published = ?, updated_at = current_localtimestamp() WHERE id = ?",
                       [published, item["id"]])
        audit.record(services, "publishing", "success", actor=scope.username, target=target,
                     details={"before": item["published"], "after": published})
    return {"kind": kind, "id": item["id"], "title": item["title"], "published": published, "changed": changed}


def publishing_catalogue(services, as_of) -> dict[str, list[dict[str, Any]]]:
    """Every live goal and KPI with its published flag (and each KPI's status as of
    `as_of`), for the page where managers choose what to publish."""
    kpis = status.kpi_statuses(services.warehouse, services.calendar, as_of)
    return {
        "goals": [{key: goal[key] for key in ("id", "title", "title_es", "title_pt", "parent_id", "mayoral_priority",
                                               "published", "kpi_count")}
                  for goal in catalog.list_goals(services.warehouse)],
        "kpis": [{"id": k["id"], "name": k["name"], "name_es": k["name_es"], "name_pt": k["name_pt"],
                  "department_id": k["department_id"], "department_name": k["department_name"],
                  "goal_id": k["goal_id"], "status": k["status"], "published": bool(k["published"])}
                 for k in kpis],
    }
