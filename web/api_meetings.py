"""/api/v1 stat meetings and action items (DESIGN §6, §8).

The views parse the request and shape the answer; who may do what, what a valid meeting,
agenda or action item is, and the audit trail are the service layer's (web.meetings,
web.action_items), so the API, the pages and a crafted request meet the same rules. A
refusal is JSON in the reader's language, with the message key in `details`.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import jsonify, request, url_for
from sqlalchemy import func, select

from appdb.models import ACTION_STATUSES, ActionItem
from i18n import current_language, localized
from metrics import catalog
from metrics.periods import Period, PeriodError
from web import action_items, meetings
from web.api import api, error_response
from web.auth import current_scope
from web.rules import access
from web.services import current_services
from web.texts import MeetingError

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


@api.errorhandler(MeetingError)
def _meeting_error(error: MeetingError):
    return error_response(error.status, error.message(current_language()), [error.key])


def _body():
    """The JSON body, or None when there is none or it is not JSON (the service then
    refuses it with a message that says what to send)."""
    return request.get_json(silent=True)


def _whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:   # "²" is a digit to isdigit()
        raise MeetingError("meeting.bad_number", name=name, low=low, high=high, value=raw[:20])
    return int(raw)


def _meeting_json(services, meeting, status: int = 200):
    body = meetings.meeting_dict(services, meeting, current_language())
    for item in body["agenda"]:
        if item["values"].get("latest_period_start"):
            item["values"]["latest_period"] = _period_label(services, item["values"])
    return jsonify(body), status


def _period_label(services, values: dict) -> str | None:
    """The latest period as the city names it (2026-10, FY2026-Q1), beside its start date."""
    try:
        start = date.fromisoformat(values.get("latest_period_start") or "")
        return services.calendar.label(Period(values.get("frequency"), start))
    except (TypeError, ValueError, PeriodError):
        return None


def _open_counts(services, meeting_ids: list[int]) -> dict[int, int]:
    """Open action items per meeting, in one query for a whole page of meetings."""
    if not meeting_ids:
        return {}
    query = (select(ActionItem.meeting_id, func.count()).where(ActionItem.meeting_id.in_(meeting_ids),
                                                               ActionItem.status == "open")
             .group_by(ActionItem.meeting_id))
    with services.session() as session:
        return dict(session.execute(query).all())


# -- meetings ---------------------------------------------------------------------------------------
@api.post("/meetings")
@access("manager")
def create_meeting():
    """{"title", "departments": [...], "date": "YYYY-MM-DD", "duration_minutes", "time",
    "location", "attendees"} -> 201 with the meeting and its drafted agenda."""
    services = current_services()
    meeting = meetings.create_meeting(services, current_scope(), _body())
    response, status = _meeting_json(services, meeting, 201)
    response.headers["Location"] = url_for("api.get_meeting", meeting_id=meeting.id)
    return response, status


@api.get("/meetings")
@access("viewer")
def list_meetings():
    """Meetings this person may read, newest first; `department`, `limit` and `before`
    (a meeting id: the page after it), with a `Link: <...>; rel="next"` header."""
    services, scope = current_services(), current_scope()
    limit = _whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    before = _whole("before", 0, 0, 2**62) or None
    found = meetings.list_meetings(services, scope, department=request.args.get("department") or None,
                                   limit=limit + 1, before_id=before)
    page = found[:limit]
    language = current_language()
    names = {d["id"]: localized(d, "name", language) for d in catalog.list_departments(services.warehouse)}
    open_items = _open_counts(services, [m.id for m in page])
    response = jsonify([{
        "id": m.id, "title": m.title, "date": m.starts_at.date().isoformat(), "time": m.starts_at.strftime("%H:%M"),
        "duration_minutes": m.duration_minutes, "status": m.status,
        "departments": [{"id": d, "name": names.get(d, d)} for d in m.department_ids],
        "agenda_items": len(m.agenda), "open_action_items": open_items.get(m.id, 0),
    } for m in page])
    if len(found) > limit:
        query = {**request.args.to_dict(), "before": page[-1].id, "limit": limit}
        response.headers["Link"] = f'<{url_for("api.list_meetings")}?{urlencode(query)}>; rel="next"'
    return response


@api.get("/meetings/<int:meeting_id>")
@access("viewer")
def get_meeting(meeting_id: int):
    """One meeting with its agenda, decisions and action items; 404 when unknown or not
    open to this person."""
    services = current_services()
    return _meeting_json(services, meetings.get_meeting(services, current_scope(), meeting_id))


@api.patch("/meetings/<int:meeting_id>")
@access("manager")
def update_meeting(meeting_id: int):
    """Change fields of a meeting (title, date, time, duration_minutes, departments,
    location, attendees, notes, status)."""
    services = current_services()
    return _meeting_json(services, meetings.update_meeting(services, current_scope(), meeting_id, _body()))


@api.post("/meetings/<int:meeting_id>/agenda/draft")
@access("manager")
def redraft_agenda(meeting_id: int):
    """Draft the agenda afresh from the data; people's edits are replaced."""
    services = current_services()
    return _meeting_json(services, meetings.redraft_agenda(services, current_scope(), meeting_id))


@api.put("/meetings/<int:meeting_id>/agenda")
@access("manager")
def save_agenda(meeting_id: int):
    """{"agenda": [...]}: the edited agenda in its new order (see web.meetings.save_agenda)."""
    services, body = current_services(), _body()
    items = body.get("agenda") if isinstance(body, dict) else None
    return _meeting_json(services, meetings.save_agenda(services, current_scope(), meeting_id, items))


@api.post("/meetings/<int:meeting_id>/decisions")
@access("manager")
def add_decision(meeting_id: int):
    """{"text"}: record a decision taken in the meeting -> 201."""
    body = _body()
    text = body.get("text") if isinstance(body, dict) else None
    decision = meetings.add_decision(current_services(), current_scope(), meeting_id, text)
    return jsonify({"id": decision.id, "meeting_id": decision.meeting_id, "text": decision.text,
                    "created_by": decision.created_by,
                    "created_at": decision.created_at.isoformat(timespec="seconds")}), 201


# -- action items -----------------------------------------------------------------------------------
@api.post("/meetings/<int:meeting_id>/action-items")
@access("manager")
def add_action_item(meeting_id: int):
    """{"description", "owner_name" or "owner_username", "due_date", "department_id",
    "kpi_ids"} -> 201 with the action item."""
    created = action_items.add_action_item(current_services(), current_scope(), meeting_id, _body())
    return jsonify(created), 201


@api.get("/action-items")
@access("viewer")
def list_action_items():
    """Action items this person may read, overdue first; `status` (open, done, dropped or
    all; open by default), `department`, `owner` (account or name)."""
    wanted = request.args.get("status") or "open"
    if wanted not in (*ACTION_STATUSES, "all"):
        raise MeetingError("action.bad_status_filter", value=wanted[:20])
    found = action_items.list_action_items(current_services(), current_scope(),
                                           status=None if wanted == "all" else wanted,
                                           department=request.args.get("department") or None,
                                           owner=request.args.get("owner") or None)
    return jsonify(found)


@api.patch("/action-items/<int:item_id>")
@access("analyst")
def update_action_item(item_id: int):
    """Change an action item: managers and admins anything; its owner only `status` and
    `progress_note`."""
    return jsonify(action_items.update_action_item(current_services(), current_scope(), item_id, _body()))
