"""Stat meetings: create, read, edit, and draft or edit the agenda (DESIGN §6, §7).

One place for the rules, whoever calls (a page, the API, a crafted request): managers and
admins create and edit meetings; viewers read them all; analysts read the meetings of
their departments. Every change is audited, every refusal too, and a refused change
writes nothing.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from appdb.models import ActionItem, AgendaItem, Meeting, MeetingDecision, MeetingDepartment, utcnow
from i18n import format_day, translate
from metrics import agenda as agenda_rules
from metrics import catalog
from metrics.access import Scope
from web import audit
from web.texts import MeetingError, clean_text, parse_day

MIN_MINUTES, MAX_MINUTES = 15, 480
# Days a meeting can be on: drafting its agenda looks back from its day (a month, a year),
# which the calendar cannot do from year 1.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
MAX_ITEMS = 100
EDITABLE = ("title", "date", "time", "duration_minutes", "location", "attendees", "notes", "status")


# -- who may ----------------------------------------------------------------------------------------
def can_read(scope: Scope, meeting: Meeting) -> bool:
    if not scope.allows("viewer"):
        return False
    if scope.role == "analyst":
        return bool(set(meeting.department_ids) & scope.departments)
    return True


def can_edit(scope: Scope) -> bool:
    return scope.allows("manager")


def is_row_id(value) -> bool:
    """An id the app database can hold (a larger one would fail in the driver, not be unknown)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _refuse(services, scope: Scope, action: str, target, error: MeetingError) -> MeetingError:
    audit.record(services, action, "denied", actor=scope.username, target=str(target)[:255],
                 details={"reason": error.key})
    return error


def _load(session, services, scope: Scope, meeting_id, action: str, *, edit: bool = False) -> Meeting:
    meeting = session.get(Meeting, meeting_id) if is_row_id(meeting_id) else None
    if meeting is None or not can_read(scope, meeting):
        # Someone who may not read a meeting learns nothing about it, not even that it exists.
        raise _refuse(services, scope, action, meeting_id, MeetingError("meeting.unknown", status=404))
    if edit and not can_edit(scope):
        raise _refuse(services, scope, action, meeting_id, MeetingError("meeting.not_allowed", status=403))
    return meeting


# -- fields -----------------------------------------------------------------------------------------
def _departments(services, given) -> list[str]:
    known = {d["id"] for d in catalog.list_departments(services.warehouse)}
    if not isinstance(given, (list, tuple)) or not given or not all(isinstance(d, str) for d in given):
        raise MeetingError("meeting.no_departments")
    unknown = [d for d in given if d not in known]
    if unknown:
        raise MeetingError("meeting.unknown_department", department=str(unknown[0])[:64])
    return list(dict.fromkeys(given))


def _time(given) -> time:
    if given in (None, ""):
        return time(9, 0)
    try:
        at = time.fromisoformat(str(given)[:8])
        if at.tzinfo is not None:   # a meeting is at the city's own clock time
            raise ValueError
        return at
    except ValueError:
        raise MeetingError("meeting.bad_time", value=str(given)[:20]) from None


def _duration(given) -> int:
    try:
        minutes = int(given)
        if isinstance(given, float) and given != minutes or isinstance(given, bool):
            raise ValueError
    except (TypeError, ValueError, OverflowError):   # OverflowError: JSON's Infinity
        raise MeetingError("meeting.bad_duration", low=MIN_MINUTES, high=MAX_MINUTES) from None
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise MeetingError("meeting.bad_duration", low=MIN_MINUTES, high=MAX_MINUTES)
    return minutes


def _fields(services, given: dict[str, Any], current: Meeting | None) -> dict[str, Any]:
    """Checked values for the meeting fields present in `given`."""
    fields: dict[str, Any] = {}
    if "title" in given or current is None:
        fields["title"] = clean_text(given.get("title"), "meeting.title", 200, required=True)
    if current is None and given.get("date") in (None, ""):
        raise MeetingError("meeting.no_date")
    day = parse_day(given["date"], "meeting.bad_date") if "date" in given or current is None else None
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise MeetingError("meeting.date_range", value=day.isoformat(), low=FIRST_DAY.isoformat(),
                           high=LAST_DAY.isoformat())
    if day is not None or "time" in given:
        day = day or current.starts_at.date()
        at = _time(given.get("time")) if "time" in given else (current.starts_at.time() if current else time(9))
        fields["starts_at"] = datetime.combine(day, at)
    if "duration_minutes" in given or current is None:
        fields["duration_minutes"] = _duration(given.get("duration_minutes", 60 if current is None else None))
    for name, limit in (("location", 200), ("attendees", 4000), ("notes", 20000)):
        if name in given:
            fields[name] = clean_text(given[name], f"meeting.{name}", limit)
    if "status" in given:
        if given["status"] not in ("planned", "held"):
            raise MeetingError("meeting.bad_status", value=str(given["status"])[:20])
        fields["status"] = given["status"]
    if "departments" in given or current is None:
        fields["departments"] = _departments(services, given.get("departments"))
    return fields


# -- meetings ---------------------------------------------------------------------------------------
def list_meetings(services, scope: Scope, *, department: str | None = None, limit: int = 200,
                  before_id: int | None = None) -> list[Meeting]:
    """Meetings this person may read, newest first; filtered by department. `before_id`
    pages on: the meetings that come after that one in this order."""
    if not scope.allows("viewer"):
        return []
    query = select(Meeting).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    if department:
        query = query.where(Meeting.id.in_(select(MeetingDepartment.meeting_id)
                                           .where(MeetingDepartment.department_id == department)))
    if scope.role == "analyst":
        query = query.where(Meeting.id.in_(select(MeetingDepartment.meeting_id)
                                           .where(MeetingDepartment.department_id.in_(scope.departments))))
    if before_id:
        # The list is in date order, not id order: page on from the anchor's place in it.
        anchor = select(Meeting.starts_at).where(Meeting.id == before_id).scalar_subquery()
        query = query.where((Meeting.starts_at < anchor) | ((Meeting.starts_at == anchor) & (Meeting.id < before_id)))
    with services.session() as session:
        return list(session.scalars(query.limit(limit)))


def get_meeting(services, scope: Scope, meeting_id) -> Meeting:
    with services.session() as session:
        return _load(session, services, scope, meeting_id, "meeting.read")


def create_meeting(services, scope: Scope, given: dict[str, Any]) -> Meeting:
    """A new planned meeting with its agenda drafted from the data."""
    try:
        if not can_edit(scope):
            raise MeetingError("meeting.not_allowed", status=403)
        if not isinstance(given, dict):
            raise MeetingError("meeting.not_object")
        fields = _fields(services, given, None)
    except MeetingError as error:
        raise _refuse(services, scope, "meeting.create", given.get("title") if isinstance(given, dict) else "",
                      error)
    departments = fields.pop("departments")
    with services.session() as session, session.begin():
        meeting = Meeting(**fields, status="planned", created_by=scope.username)
        meeting.departments = [MeetingDepartment(department_id=d) for d in departments]
        session.add(meeting)
        session.flush()
        _draft_into(services, session, meeting)
        meeting_id = meeting.id
    audit.record(services, "meeting.create", "success", actor=scope.username, target=str(meeting_id),
                 details={"title": fields["title"], "departments": departments})
    return get_meeting(services, scope, meeting_id)


def update_meeting(services, scope: Scope, meeting_id, given: dict[str, Any]) -> Meeting:
    """Change a meeting's fields (title, date, time, length, departments, place, attendees,
    notes, status). The agenda stays as people left it; redraft it to follow the data."""
    with services.session() as session, session.begin():
        meeting = _load(session, services, scope, meeting_id, "meeting.update", edit=True)
        try:
            if not isinstance(given, dict):
                raise MeetingError("meeting.not_object")
            unknown = [k for k in given if k not in (*EDITABLE, "departments")]
            if unknown:
                raise MeetingError("meeting.unknown_field", field=str(unknown[0])[:40])
            fields = _fields(services, given, meeting)
        except MeetingError as error:
            raise _refuse(services, scope, "meeting.update", meeting_id, error)
        if "departments" in fields:
            meeting.departments = [MeetingDepartment(department_id=d) for d in fields.pop("departments")]
        for name, value in fields.items():
            setattr(meeting, name, value)
        meeting.updated_at = utcnow()
    audit.record(services, "meeting.update", "success", actor=scope.username, target=str(meeting_id),
                 details={"fields": sorted(given)})
    return get_meeting(services, scope, meeting_id)


# -- the agenda -------------------------------------------------------------------------------------
def open_follow_ups(session, departments: list[str], before: datetime,
                    exclude_meeting: int | None = None) -> list[ActionItem]:
    """Open action items of earlier meetings of these departments."""
    query = (select(ActionItem).join(Meeting, Meeting.id == ActionItem.meeting_id)
             .where(ActionItem.status == "open", ActionItem.department_id.in_(departments),
                    Meeting.starts_at < before))
    if exclude_meeting is not None:
        query = query.where(ActionItem.meeting_id != exclude_meeting)
    return list(session.scalars(query))


def last_meeting_day(session, departments: list[str], before: datetime, exclude: int | None) -> date | None:
    """The day of the latest earlier meeting reviewing any of these departments."""
    query = (select(Meeting.starts_at).join(MeetingDepartment, MeetingDepartment.meeting_id == Meeting.id)
             .where(MeetingDepartment.department_id.in_(departments), Meeting.starts_at < before)
             .order_by(Meeting.starts_at.desc()).limit(1))
    if exclude is not None:
        query = query.where(Meeting.id != exclude)
    found = session.scalar(query)
    return found.date() if found else None


def _json_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}


def _draft_into(services, session, meeting: Meeting) -> agenda_rules.Draft:
    departments = meeting.department_ids
    follow_ups = [{"id": a.id, "description": a.description, "owner_name": a.owner_name, "due_date": a.due_date,
                   "department_id": a.department_id, "meeting_id": a.meeting_id, "kpi_ids": a.kpi_ids}
                  for a in open_follow_ups(session, departments, meeting.starts_at, meeting.id)]
    since = last_meeting_day(session, departments, meeting.starts_at, meeting.id)
    draft = agenda_rules.draft_for_meeting(
        services.warehouse, services.calendar, departments, meeting_day=meeting.starts_at.date(),
        duration_minutes=meeting.duration_minutes, follow_ups=follow_ups, since=since)
    meeting.agenda = [
        AgendaItem(position=i, kind=item.kind, kpi_id=item.kpi_id, action_item_id=item.action_item_id,
                   title=item.title, minutes=item.minutes,
                   values=_json_values({**item.values, "severity": item.severity, "priority": item.priority,
                                        "overdue": item.overdue,
                                        "questions": [[key, _json_values(params)] for key, params in item.questions]}))
        for i, item in enumerate(draft.items)]
    meeting.agenda_as_of = draft.as_of
    meeting.agenda_drafted_at = utcnow()
    meeting.updated_at = utcnow()
    return draft


def redraft_agenda(services, scope: Scope, meeting_id) -> Meeting:
    """Draft the agenda afresh from the data as of the meeting's day; people's edits to the
    previous draft are replaced (the page asks before)."""
    with services.session() as session, session.begin():
        meeting = _load(session, services, scope, meeting_id, "meeting.draft_agenda", edit=True)
        draft = _draft_into(services, session, meeting)
    audit.record(services, "meeting.draft_agenda", "success", actor=scope.username, target=str(meeting_id),
                 details={"items": len(draft.items), "omitted": draft.omitted})
    return get_meeting(services, scope, meeting_id)


def _edited_item(raw, existing: dict[int, AgendaItem], position: int) -> AgendaItem:
    if not isinstance(raw, dict):
        raise MeetingError("agenda.not_object", position=position + 1)
    minutes = raw.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise MeetingError("agenda.bad_minutes", position=position + 1, high=MAX_MINUTES)
    questions = raw.get("questions")
    if isinstance(questions, list):
        questions = "\n".join(str(q) for q in questions)
    questions = clean_text(questions, "agenda.questions", 4000) if questions is not None else None
    if raw.get("id") is not None:
        item = existing.pop(raw["id"], None) if isinstance(raw["id"], int) else None
        if item is None:
            raise MeetingError("agenda.unknown_item", position=position + 1)
        item.position, item.minutes = position, minutes
        if "questions" in raw:
            item.questions = questions
        if item.kind == "custom" and "title" in raw:
            item.title = clean_text(raw.get("title"), "agenda.title", 300, required=True)
        return item
    if raw.get("kind", "custom") != "custom":
        raise MeetingError("agenda.only_custom", position=position + 1)
    return AgendaItem(position=position, kind="custom", minutes=minutes, questions=questions,
                      title=clean_text(raw.get("title"), "agenda.title", 300, required=True))


def save_agenda(services, scope: Scope, meeting_id, items) -> Meeting:
    """Replace the agenda by people's edit of it: `items` in their new order, each an
    existing item (`id`, with `minutes`, and `questions` or a custom item's `title`) or a
    new custom item (`title`, `minutes`, optional `questions`). Items left out are removed."""
    with services.session() as session, session.begin():
        meeting = _load(session, services, scope, meeting_id, "meeting.save_agenda", edit=True)
        try:
            if not isinstance(items, list) or len(items) > MAX_ITEMS:
                raise MeetingError("agenda.not_list", high=MAX_ITEMS)
            existing = {item.id: item for item in meeting.agenda}
            edited = [_edited_item(raw, existing, i) for i, raw in enumerate(items)]
        except MeetingError as error:
            raise _refuse(services, scope, "meeting.save_agenda", meeting_id, error)
        meeting.agenda = edited
        meeting.updated_at = utcnow()
    audit.record(services, "meeting.save_agenda", "success", actor=scope.username, target=str(meeting_id),
                 details={"items": len(items), "minutes": sum(i.get("minutes", 0) for i in items)})
    return get_meeting(services, scope, meeting_id)


def add_decision(services, scope: Scope, meeting_id, text) -> MeetingDecision:
    with services.session() as session, session.begin():
        meeting = _load(session, services, scope, meeting_id, "meeting.add_decision", edit=True)
        try:
            text = clean_text(text, "meeting.decision", 4000, required=True)
        except MeetingError as error:
            raise _refuse(services, scope, "meeting.add_decision", meeting_id, error)
        decision = MeetingDecision(meeting_id=meeting.id, text=text, created_by=scope.username)
        session.add(decision)
        meeting.updated_at = utcnow()
        session.flush()
        decision_id = decision.id
    audit.record(services, "meeting.add_decision", "success", actor=scope.username, target=str(meeting_id),
                 details={"decision": decision_id})
    return decision


# -- as people read them ----------------------------------------------------------------------------
def questions(item: AgendaItem, language: str) -> list[str]:
    """People's own questions when they wrote some, else the drafted ones in `language`."""
    if item.questions is not None:
        return [line for line in item.questions.splitlines() if line.strip()]
    drafted = (item.values or {}).get("questions") or []
    return [translate(key, language, **{name: _shown(value, language) for name, value in params.items()})
            for key, params in drafted]


def _shown(value, language: str):
    """A drafted question's parameter as the reader writes it (days in their language)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return format_day(date.fromisoformat(value), language)
        except ValueError:
            return value
    return value


def agenda_item_dict(item: AgendaItem, language: str) -> dict[str, Any]:
    values = {k: v for k, v in (item.values or {}).items() if k != "questions"}
    return {"id": item.id, "position": item.position, "kind": item.kind, "kpi_id": item.kpi_id,
            "kpi_name": None, "action_item_id": item.action_item_id, "title": item.title,
            "minutes": item.minutes, "questions": questions(item, language), "values": values}


def meeting_dict(services, meeting: Meeting, language: str) -> dict[str, Any]:
    """A meeting as the API and the packet read it: fields, agenda, decisions."""
    from web.action_items import action_item_dict, meeting_action_items

    names = {d["id"]: d for d in catalog.list_departments(services.warehouse)}
    kpi_names = _kpi_names(services, [i.kpi_id for i in meeting.agenda if i.kpi_id], language)
    agenda = []
    for item in meeting.agenda:
        entry = agenda_item_dict(item, language)
        entry["kpi_name"] = kpi_names.get(item.kpi_id) if item.kpi_id else None
        agenda.append(entry)
    return {
        "id": meeting.id, "title": meeting.title, "date": meeting.starts_at.date().isoformat(),
        "time": meeting.starts_at.strftime("%H:%M"), "duration_minutes": meeting.duration_minutes,
        "status": meeting.status, "location": meeting.location, "attendees": meeting.attendees,
        "notes": meeting.notes,
        "departments": [{"id": d, "name": _localized_name(names.get(d), language) or d}
                        for d in meeting.department_ids],
        "agenda_as_of": meeting.agenda_as_of.isoformat() if meeting.agenda_as_of else None,
        "agenda_minutes": sum(i.minutes for i in meeting.agenda), "agenda": agenda,
        "decisions": [{"id": d.id, "text": d.text, "created_by": d.created_by,
                       "created_at": d.created_at.isoformat(timespec="seconds")} for d in meeting.decisions],
        "action_items": [action_item_dict(a) for a in meeting_action_items(services, meeting.id)],
        "created_by": meeting.created_by,
    }


def _localized_name(record: dict | None, language: str) -> str | None:
    if record is None:
        return None
    return record.get(f"name_{language}") or record.get("name") if language != "en" else record.get("name")


def _kpi_names(services, kpi_ids: list[str], language: str) -> dict[str, str]:
    if not kpi_ids:
        return {}
    rows = services.warehouse.query(
        "SELECT id, name, name_es, name_pt FROM kpis WHERE list_contains(CAST($ids AS VARCHAR[]), id)",
        {"ids": sorted(set(kpi_ids))}).dicts()
    return {r["id"]: _localized_name(r, language) for r in rows}
