"""Action items: the commitments and requests a stat meeting leaves with, followed up until
done or dropped (DESIGN §6, §7).

Managers and admins record and change them; an analyst updates the status and progress
of the items they own (and only those); everyone signed in who may read the meeting
reads them. Every change and every refusal is audited.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from appdb.models import ACTION_STATUSES, ActionItem, ActionItemKpi, Meeting, User, utcnow
from metrics import catalog
from metrics.access import Scope
from metrics.periods import Period
from web import audit
from web.meetings import _load, _refuse, can_edit, is_row_id
from web.texts import MeetingError, clean_text, parse_day

MANAGER_FIELDS = ("description", "owner_name", "owner_username", "due_date", "department_id", "kpi_ids")
OWNER_FIELDS = ("status", "progress_note")
MAX_KPIS = 20


def action_item_dict(item: ActionItem, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    return {"id": item.id, "meeting_id": item.meeting_id, "department_id": item.department_id,
            "description": item.description, "owner_name": item.owner_name, "owner_username": item.owner_username,
            "due_date": item.due_date.isoformat() if item.due_date else None, "status": item.status,
            "overdue": item.status == "open" and item.due_date is not None and item.due_date < today,
            "progress_note": item.progress_note, "kpi_ids": item.kpi_ids, "created_by": item.created_by,
            "created_at": item.created_at.isoformat(timespec="seconds"),
            "closed_at": item.closed_at.isoformat(timespec="seconds") if item.closed_at else None}


def meeting_action_items(services, meeting_id: int) -> list[ActionItem]:
    """The items recorded in one meeting, in the order they were recorded."""
    with services.session() as session:
        return list(session.scalars(select(ActionItem).where(ActionItem.meeting_id == meeting_id)
                                    .order_by(ActionItem.id)))


def _owner(session, given: dict[str, Any], current: ActionItem | None) -> tuple[str, str | None]:
    username = given.get("owner_username", current.owner_username if current else None) or None
    name = given.get("owner_name", current.owner_name if current else None)
    if username is not None:
        if not isinstance(username, str):
            raise MeetingError("action.unknown_owner", owner="?")
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None:
            raise MeetingError("action.unknown_owner", owner=username[:64])
        name = name or user.display_name
    return clean_text(name, "action.owner", 200, required=True), username


def _kpis(services, meeting: Meeting, given) -> list[str]:
    if given is None:
        return []
    if not isinstance(given, list) or len(given) > MAX_KPIS or not all(isinstance(k, str) for k in given):
        raise MeetingError("action.bad_kpis", high=MAX_KPIS)
    known = {r["id"]: r["department_id"] for r in catalog.kpi_summaries(services.warehouse, services.calendar)}
    for kpi_id in given:
        if kpi_id not in known:
            raise MeetingError("action.unknown_kpi", kpi_id=kpi_id[:128])
    return list(dict.fromkeys(given))


def _manager_fields(services, session, meeting: Meeting, given: dict[str, Any],
                    current: ActionItem | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "description" in given or current is None:
        fields["description"] = clean_text(given.get("description"), "action.description", 2000, required=True)
    if "owner_name" in given or "owner_username" in given or current is None:
        fields["owner_name"], fields["owner_username"] = _owner(session, given, current)
    if "due_date" in given or current is None:
        due = given.get("due_date")
        fields["due_date"] = parse_day(due, "action.bad_due") if due not in (None, "") else None
    if "department_id" in given or current is None:
        department = given.get("department_id")
        if department is None and len(meeting.department_ids) == 1:
            department = meeting.department_ids[0]
        if department not in meeting.department_ids:
            raise MeetingError("action.bad_department")
        fields["department_id"] = department
    if "kpi_ids" in given:
        fields["kpi_ids"] = _kpis(services, meeting, given["kpi_ids"])
    return fields


def _owner_fields(given: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "status" in given:
        if given["status"] not in ACTION_STATUSES:
            raise MeetingError("action.bad_status", value=str(given["status"])[:20])
        fields["status"] = given["status"]
    if "progress_note" in given:
        fields["progress_note"] = clean_text(given["progress_note"], "action.progress_note", 4000)
    return fields


def _apply(item: ActionItem, fields: dict[str, Any]) -> None:
    if "kpi_ids" in fields:
        item.kpis = [ActionItemKpi(kpi_id=k) for k in fields.pop("kpi_ids")]
    if "status" in fields and fields["status"] != item.status:
        item.closed_at = None if fields["status"] == "open" else utcnow()
    for name, value in fields.items():
        setattr(item, name, value)
    item.updated_at = utcnow()


def add_action_item(services, scope: Scope, meeting_id, given: dict[str, Any]) -> dict[str, Any]:
    """Record an action item in a meeting: what, owner, due date, department, linked KPIs."""
    with services.session() as session, session.begin():
        meeting = _load(session, services, scope, meeting_id, "action_item.create", edit=True)
        try:
            if not isinstance(given, dict):
                raise MeetingError("meeting.not_object")
            unknown = [k for k in given if k not in (*MANAGER_FIELDS, "status")]
            if unknown:
                raise MeetingError("meeting.unknown_field", field=str(unknown[0])[:40])
            fields = {**_manager_fields(services, session, meeting, given, None), **_owner_fields(given)}
        except MeetingError as error:
            raise _refuse(services, scope, "action_item.create", meeting_id, error)
        item = ActionItem(meeting_id=meeting.id, created_by=scope.username, status="open")
        _apply(item, fields)
        session.add(item)
        session.flush()
        created = action_item_dict(item)
    audit.record(services, "action_item.create", "success", actor=scope.username, target=str(created["id"]),
                 details={"meeting": meeting_id, "owner": created["owner_name"], "due": created["due_date"]})
    return created


def update_action_item(services, scope: Scope, item_id, given: dict[str, Any]) -> dict[str, Any]:
    """Change an item. Managers and admins change anything; the owner (an analyst, say)
    changes its status and progress note only."""
    action = "action_item.update"
    with services.session() as session, session.begin():
        item = session.get(ActionItem, item_id) if is_row_id(item_id) else None
        if item is None:
            raise _refuse(services, scope, action, item_id, MeetingError("action.unknown", status=404))
        meeting = _load(session, services, scope, item.meeting_id, action)
        # Viewers only read (DESIGN §7): owning an item lets analysts and up update it.
        owner = scope.allows("analyst") and item.owner_username == scope.username
        try:
            if not isinstance(given, dict) or not given:
                raise MeetingError("meeting.not_object")
            unknown = [k for k in given if k not in (*MANAGER_FIELDS, *OWNER_FIELDS)]
            if unknown:
                raise MeetingError("meeting.unknown_field", field=str(unknown[0])[:40])
            if not can_edit(scope) and not (owner and set(given) <= set(OWNER_FIELDS)):
                raise MeetingError("action.not_allowed", status=403)
            fields = _owner_fields(given)
            if can_edit(scope):
                fields.update(_manager_fields(services, session, meeting, given, item))
        except MeetingError as error:
            raise _refuse(services, scope, action, item_id, error)
        before = item.status
        _apply(item, fields)
        session.flush()
        changed = action_item_dict(item)
    audit.record(services, action, "success", actor=scope.username, target=str(item_id),
                 details={"fields": sorted(given), "status": [before, changed["status"]]})
    return changed


def list_action_items(services, scope: Scope, *, status: str | None = "open", department: str | None = None,
                      owner: str | None = None, today: date | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Items this person may read, overdue first, then by due date, department and owner."""
    today = today or date.today()
    if not scope.allows("viewer"):
        return []
    query = select(ActionItem, Meeting.title, Meeting.starts_at).join(Meeting, Meeting.id == ActionItem.meeting_id)
    if status:
        query = query.where(ActionItem.status == status)
    if department:
        query = query.where(ActionItem.department_id == department)
    if owner:
        query = query.where((ActionItem.owner_username == owner) | (ActionItem.owner_name == owner))
    if scope.role == "analyst":
        query = query.where(ActionItem.department_id.in_(scope.departments))
    with services.session() as session:
        rows = session.execute(query.limit(limit)).all()
    items = [{**action_item_dict(item, today), "meeting_title": title, "meeting_date": starts.date().isoformat()}
             for item, title, starts in rows]
    return sorted(items, key=lambda a: (not a["overdue"], a["due_date"] or "9999-12-31", a["department_id"],
                                        a["owner_name"].lower(), a["id"]))


def kpi_movement(services, kpi_id: str, since: date, *, before_periods: int = 6) -> dict[str, Any] | None:
    """A KPI's values before and since a commitment made on `since`: the last
    `before_periods` periods that ended before it, and every period that ended after."""
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    if kpi is None:
        return None
    history = catalog.kpi_history(services.warehouse, services.calendar, kpi_id)
    rows = [{"period": services.calendar.label(Period(kpi["frequency"], r["period_start"])),
             "period_start": r["period_start"], "end": Period(kpi["frequency"], r["period_start"]).end,
             "value": r["value"], "target": r.get("target_value")}
            for r in history if r["value"] is not None]
    before = [r for r in rows if r["end"] < since][-before_periods:]
    after = [r for r in rows if r["end"] >= since]
    return {"kpi": kpi, "before": before, "since": after}
