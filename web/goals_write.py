"""Writing goals (DESIGN §3, §7; issue #10): creating one, changing its fields, nesting it
under another, archiving and restoring it. One service for the goals page and the API, so
the same checks, versions and audit apply however the request comes.

Managers and administrators own goals; anyone else is refused (audited as "denied"). A
body is checked field by field and every problem is said at once, before anything is
written. Each change is written with its version (metrics.versions) in one warehouse
transaction, then audited ("goal.create", "goal.update", "goal.archive", "goal.restore").
Archiving never deletes: the goal leaves the lists, keeps its row, and its KPIs keep their
goal and their data. Publishing is web.publishing's (its one rule and its own audit), so
"published" is changed on its own; it is not part of a goal's versions.

What an archived goal leaves behind: its KPIs are live measures whatever their goal, so they
stay in the overview's tiles and list, the scorecards and the API with their goal_id, and
link to the archived goal's page (which says it is archived); the goal itself has no card,
no roll-up in GET /goals, is no filter choice, and is gone from the public site.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

from metrics import catalog, versions
from metrics.access import Scope
from web import audit
from web.kpi_definitions import _SAFE_ID
from web.publishing import STATUS as PUBLISHING_STATUS, PublishingError, set_published
from web.reasons import Refusal, web_reason

FIELDS = ("id", "title", "title_es", "title_pt", "description", "description_es", "description_pt", "owner",
          "parent_id", "mayoral_priority", "sort_order", "published", "archived")
# What a version records: the goals table's own columns (publishing has its own trail).
VERSIONED = ("title", "title_es", "title_pt", "description", "description_es", "description_pt", "owner",
             "parent_id", "mayoral_priority", "sort_order", "archived")
TEXT_LIMITS = {"title": 200, "title_es": 200, "title_pt": 200, "owner": 200,
               "description": 4000, "description_es": 4000, "description_pt": 4000}
ONE_LINE = ("title", "title_es", "title_pt", "owner")
SORT_ORDER = (-9999, 9999)
# Refusals and the HTTP status each answers with (a publishing refusal keeps its own).
STATUS = {"goals_write.not_allowed": 403, "goals_write.unknown": 404, "goals_write.invalid": 400,
          "goals_write.published_alone": 400, "goals_write.exists": 409, "goals_write.has_subgoals": 409,
          **PUBLISHING_STATUS}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class GoalWriteError(Refusal):
    """A goal write refused: `problems` say what to fix, field by field. Already audited;
    nothing written."""

    STATUSES = STATUS


def may_manage(scope: Scope) -> bool:
    """Managers and administrators own goals (DESIGN §7)."""
    return scope.all_departments


# -- reading ------------------------------------------------------------------------------------------
def goal_record(services, goal_id: str) -> dict[str, Any] | None:
    """A goal as the API and the page show it, archived or not: its fields, live KPI count,
    and for an archived goal when and by whom (None when the versions do not say)."""
    if not isinstance(goal_id, str) or not 0 < len(goal_id) <= 128:
        return None
    goal = catalog.get_goal(services.warehouse, goal_id)
    if goal is None:
        return None
    archive = archive_note(services, goal_id) if goal["archived"] else None
    out = {name: goal[name] for name in FIELDS}
    out.update(archived_at=archive["at"] if archive else None, archived_by=archive["by"] if archive else None,
               kpi_count=goal["kpi_count"])
    return out


def archive_note(services, goal_id: str) -> dict[str, Any] | None:
    """{"at", "by"} of the goal's latest archiving, from its versions; None if none says."""
    for version in versions.history(services.warehouse, "goal", goal_id):
        if version["action"] == "archive":
            return {"at": version["changed_at"], "by": version["changed_by"]}
    return None


def goal_history(services, goal_id: str) -> list[dict[str, Any]] | None:
    """The goal's versions, newest first; None when there is no such goal."""
    if catalog.get_goal(services.warehouse, goal_id) is None:
        return None
    return versions.history(services.warehouse, "goal", goal_id)


def descendants(goals: list[Mapping[str, Any]], goal_id: str) -> set[str]:
    """The ids of every goal under `goal_id`, at any depth (a corrupted cycle ends the walk)."""
    children: dict[str, list[str]] = {}
    for goal in goals:
        if goal.get("parent_id"):
            children.setdefault(goal["parent_id"], []).append(goal["id"])
    found: set[str] = set()
    waiting = list(children.get(goal_id, []))
    while waiting:
        child = waiting.pop()
        if child not in found and child != goal_id:
            found.add(child)
            waiting.extend(children.get(child, []))
    return found


def suggest_id(services, title: str) -> str:
    """A free id made from `title`: "Safe Streets for All" -> "safe-streets-for-all" (-2, -3
    when taken, archived goals included)."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].rstrip("-") or "goal"
    taken = {g["id"] for g in catalog.list_goals(services.warehouse, include_archived=True)}
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


# -- checking a body ----------------------------------------------------------------------------------
def _text(name: str, value, problems: list) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if name == "title":
            problems.append(web_reason("goals_field.title"))
        return None
    limit = TEXT_LIMITS[name]
    if not isinstance(value, str) or len(value) > limit or not _encodable(value):
        problems.append(web_reason("goals_field.text", name=name, limit=f"{limit:,}"))
        return None
    if (name in ONE_LINE and _CONTROL.search(value)) or "\x00" in value:
        problems.append(web_reason("goals_field.one_line", name=name))
        return None
    return value.strip()


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate from a JSON "\ud800"
        return False
    return True


def _fields(body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The body's values as goals columns (plus "id", "published"), only those it gives;
    GoalWriteError("goals_write.invalid") listing every problem of form. Whether a parent
    fits is `_check_parent`'s."""
    problems: list = []
    unknown = sorted(str(name) for name in set(body) - set(FIELDS))
    if unknown:
        problems.append(web_reason("goals_field.unknown", unknown=", ".join(repr(u)[:60] for u in unknown[:20]),
                                   fields=", ".join(FIELDS)))
    out: dict[str, Any] = {}
    if creating:
        if body.get("id") not in (None, "") and (not isinstance(body["id"], str) or not _SAFE_ID.match(body["id"])):
            problems.append(web_reason("goals_field.id"))
        elif body.get("id"):
            out["id"] = body["id"]
    elif "id" in body and body["id"] is not None:
        problems.append(web_reason("goals_field.id_fixed"))
    for name in TEXT_LIMITS:
        if name in body or (creating and name == "title"):
            out[name] = _text(name, body.get(name), problems)
    if "parent_id" in body:
        parent = body["parent_id"]
        if parent is not None and parent != "" and (not isinstance(parent, str) or len(parent) > 128):
            problems.append(web_reason("goals_field.parent_text"))
        else:
            out["parent_id"] = parent or None
    for name in ("mayoral_priority", "published", "archived"):
        if name in body:
            if not isinstance(body[name], bool):
                problems.append(web_reason("goals_field.flag", name=name))
            else:
                out[name] = body[name]
    if creating and body.get("archived") is True:
        problems.append(web_reason("goals_field.archived_new"))
    if "sort_order" in body:
        order = body["sort_order"]
        if not isinstance(order, int) or isinstance(order, bool) or not SORT_ORDER[0] <= order <= SORT_ORDER[1]:
            problems.append(web_reason("goals_field.sort_order", low=SORT_ORDER[0], high=SORT_ORDER[1]))
        else:
            out["sort_order"] = order
    if problems:
        raise GoalWriteError("goals_write.invalid", problems)
    return out


def _check_parent(goals: list[dict[str, Any]], goal_id: str | None, parent_id: str | None) -> list:
    """Problems with making `parent_id` the parent of `goal_id` (None: a new goal)."""
    if parent_id is None:
        return []
    by_id = {g["id"]: g for g in goals}
    parent = by_id.get(parent_id)
    if parent is None:
        live = sorted(g["id"] for g in goals if not g["archived"])
        return [web_reason("goals_field.parent_unknown", value=repr(parent_id)[:130], allowed=", ".join(live[:50]))]
    if parent["archived"]:
        return [web_reason("goals_field.parent_archived", parent=parent["title"])]
    if goal_id is not None and (parent_id == goal_id or parent_id in descendants(goals, goal_id)):
        return [web_reason("goals_field.cycle", parent=parent["title"])]
    return []


# -- writing ------------------------------------------------------------------------------------------
def _refuse(services, scope: Scope, action: str, target, error: GoalWriteError):
    audit.record(services, action, "denied" if error.status == 403 else "failure", actor=scope.username,
                 target=str(target)[:255], details={"reason": error.key.split(".", 1)[1],
                                                    "problems": [str(p) for p in error.problems[:10]]})
    raise error


def _allowed(scope: Scope, body) -> None:
    if not may_manage(scope):
        raise GoalWriteError("goals_write.not_allowed")
    if not isinstance(body, Mapping) or not body:
        raise GoalWriteError("goals_write.invalid", [web_reason("goals_field.object")])


def create_goal(services, scope: Scope, body: Mapping[str, Any]) -> dict[str, Any]:
    """Create a goal from `body` (an id is made from the title when none is given); returns
    its goal_record. Raises GoalWriteError (audited, nothing written)."""
    target = body.get("id") if isinstance(body, Mapping) else None
    try:
        _allowed(scope, body)
        fields = _fields(body, creating=True)
        goals = catalog.list_goals(services.warehouse, include_archived=True)
        goal_id = fields.pop("id", None) or suggest_id(services, fields["title"])
        target = goal_id
        if any(g["id"] == goal_id for g in goals):
            raise GoalWriteError("goals_write.exists", goal_id=goal_id)
        problems = _check_parent(goals, goal_id, fields.get("parent_id"))
        if problems:
            raise GoalWriteError("goals_write.invalid", problems)
    except GoalWriteError as error:
        _refuse(services, scope, "goal.create", target, error)
    published = fields.pop("published", False)
    fields.pop("archived", None)
    if "sort_order" not in fields:   # after its siblings, so a new goal never jumps ahead of them
        fields["sort_order"] = min(SORT_ORDER[1], max(
            [g["sort_order"] for g in goals if g["parent_id"] == fields.get("parent_id")] or [0]) + 1)
    fields.setdefault("mayoral_priority", False)
    with services.warehouse.transaction() as tx:
        tx.execute(f"INSERT INTO goals (id, {', '.join(fields)}) VALUES (?{', ?' * len(fields)})",
                   [goal_id, *fields.values()])
        versions.record(tx, "goal", goal_id, scope.username, "create", versions.diff({}, fields))
    audit.record(services, "goal.create", "success", actor=scope.username, target=goal_id,
                 details={"fields": sorted(k for k, v in fields.items() if v is not None),
                          "parent_id": fields.get("parent_id")})
    if published:
        set_published(services, scope, "goal", goal_id, True)
    return goal_record(services, goal_id)


def update_goal(services, scope: Scope, goal_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Change the fields `body` gives; "archived" true archives, false restores. Returns
    {"goal": goal_record, "changed": [fields]}. Raises GoalWriteError (audited, nothing written)."""
    goal = catalog.get_goal(services.warehouse, goal_id) if isinstance(goal_id, str) and 0 < len(goal_id) <= 128 \
        else None
    # A refusal is audited as what the body meant to do; a change as what it did.
    intent = body.get("archived") if isinstance(body, Mapping) else None
    action = {True: "goal.archive", False: "goal.restore"}.get(intent, "goal.update") \
        if isinstance(intent, bool) else "goal.update"
    try:
        _allowed(scope, body)
        if goal is None:
            raise GoalWriteError("goals_write.unknown", goal_id=str(goal_id)[:128])
        if "published" in body and len(body) > 1:
            others = sorted(str(name) for name in body if name != "published")
            raise GoalWriteError("goals_write.published_alone", [web_reason("goals_field.published_alone")],
                                 fields=", ".join(others)[:300])
        if "published" not in body:
            fields = _fields(body, creating=False)
            changes = {k: v for k, v in fields.items() if goal[k] != v}
            action = ("goal.archive" if changes["archived"] else "goal.restore") if "archived" in changes \
                else "goal.update"
            _check_change(services, goal, changes)
    except GoalWriteError as error:
        _refuse(services, scope, action, goal_id, error)
    if "published" in body:
        return _publish(services, scope, goal, body["published"])
    if not changes:
        return {"goal": goal_record(services, goal["id"]), "changed": []}
    with services.warehouse.transaction() as tx:
        tx.execute(f"UPDATE goals SET {', '.join(f'{name} = ?' for name in changes)}, "
                   "updated_at = current_localtimestamp() WHERE id = ?", [*changes.values(), goal["id"]])
        versions.record(tx, "goal", goal["id"], scope.username, action.removeprefix("goal."),
                        versions.diff(goal, changes))
    audit.record(services, action, "success", actor=scope.username, target=goal["id"],
                 details={"changed": sorted(changes), "before": {k: versions.plain(goal[k]) for k in changes},
                          "after": {k: versions.plain(v) for k, v in changes.items()}})
    return {"goal": goal_record(services, goal["id"]), "changed": sorted(changes)}


def _check_change(services, goal: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Refuse a parent that does not fit, archiving over live sub-goals, and restoring under
    an archived parent (the body may give a new parent in the same change)."""
    goals = catalog.list_goals(services.warehouse, include_archived=True)
    if changes.get("archived") is True:
        live = [g for g in goals if g["parent_id"] == goal["id"] and not g["archived"]]
        if live:
            raise GoalWriteError("goals_write.has_subgoals", [web_reason("goals_field.subgoal", title=g["title"],
                                                                         id=g["id"]) for g in live],
                                 titles=", ".join(f"“{g['title']}”" for g in live[:10]))
    restoring = changes.get("archived") is False
    if "parent_id" in changes or (restoring and goal["parent_id"]):
        problems = _check_parent(goals, goal["id"], changes.get("parent_id", goal["parent_id"]))
        if problems and restoring and "parent_id" not in changes:
            problems = [web_reason("goals_field.restore_parent", parent=goal["parent_id"])]
        if problems:
            raise GoalWriteError("goals_write.invalid", problems)


def _publish(services, scope: Scope, goal: Mapping[str, Any], published) -> dict[str, Any]:
    """{"published": ...} alone: web.publishing decides and audits."""
    try:
        done = set_published(services, scope, "goal", goal["id"], published)
    except PublishingError as error:   # already audited there
        raise GoalWriteError(error.key, **error.params) from None
    return {"goal": goal_record(services, goal["id"]), "changed": ["published"] if done["changed"] else []}
