"""The changes people make on a meeting's page, one function per callback: the agenda
(move, remove, add, save, redraft), the record (held, notes, decisions) and action items
(record one, change a status). Each re-checks the person and hands the change to
web.meetings or web.action_items, which check it again and write it; a refusal comes back
as a message in the reader's language and writes nothing."""
from __future__ import annotations

from dash import ctx, no_update
from dash.exceptions import PreventUpdate

from dashboards import meeting_actions as actions
from dashboards import meeting_agenda as agenda
from dashboards import meeting_record as record
from dashboards.meeting_parts import (clicked, department_names, field_error, meeting_status, message, note,
                                      text_of)
from i18n import _, current_language
from web import action_items, meetings
from web.auth import current_scope
from web.services import current_services
from web.texts import MeetingError

P = "meeting-"


def _pressed() -> None:
    """Only a real click (or the confirm dialog's OK) changes anything."""
    if not ctx.triggered or not clicked(ctx.triggered[0].get("value")):
        raise PreventUpdate


def _editor():
    scope = current_scope()
    if not meetings.can_edit(scope):
        raise PreventUpdate
    return scope


# -- the agenda -----------------------------------------------------------------------------------------
def _shown(items, said, language, services, *, clear_form: bool = False, as_of=no_update) -> tuple:
    cleared = ("", "") if clear_form else (no_update, no_update)
    return (items, agenda.agenda_list(items, True, language, services), said, *cleared, as_of)


def _fresh(saved, said, language, services) -> tuple:
    meeting = meetings.meeting_dict(services, saved, language)
    return _shown(agenda.store_items(meeting["agenda"]), said, language, services,
                  as_of=record.as_of_text(meeting, language))


def change_agenda(items, minute_inputs, title: str, minutes, questions: str, meeting_id: int) -> tuple:
    scope = _editor()
    _pressed()
    language, services = current_language(), current_services()
    current = agenda.with_minutes(agenda.checked_items(items), minute_inputs)
    chosen = ctx.triggered_id
    if isinstance(chosen, dict):
        key = chosen.get("key") if isinstance(chosen.get("key"), str) else None
        steps = {P + "up": -1, P + "down": 1}
        if key is None or chosen.get("type") not in (*steps, P + "remove"):
            raise PreventUpdate
        edited = agenda.remove(current, key) if chosen["type"] == P + "remove" else \
            agenda.move(current, key, steps[chosen["type"]])
        return _shown(edited, note(_("agenda_editor.unsaved")), language, services)
    if chosen == P + "custom-add":
        edited, problems = agenda.add_custom(current, title, minutes, questions, language)
        if problems:
            return (no_update, no_update, message(" ".join(problems), False), no_update, no_update, no_update)
        return _shown(edited, message(_("agenda_editor.added", title=title.strip()), True), language, services,
                      clear_form=True)
    try:
        if chosen == P + "agenda-save":
            saved = meetings.save_agenda(services, scope, meeting_id, agenda.to_save(current))
            total = sum(item.minutes for item in saved.agenda)
            done = _("agenda_editor.saved", count=len(saved.agenda), minutes=total)
        elif chosen == P + "confirm-redraft":
            saved = meetings.redraft_agenda(services, scope, meeting_id)
            done = _("agenda_editor.redrafted", count=len(saved.agenda))
        else:
            raise PreventUpdate
    except MeetingError as error:
        return (no_update, no_update, message(error.message(language), False), no_update, no_update, no_update)
    return _fresh(saved, message(done, True), language, services)


# -- the record -----------------------------------------------------------------------------------------
def change_record(notes, decision, meeting_id: int) -> tuple:
    scope = _editor()
    _pressed()
    language, services = current_language(), current_services()
    chosen = ctx.triggered_id
    unchanged = [no_update] * 6
    try:
        if chosen in (P + "held", P + "planned"):
            status = "held" if chosen == P + "held" else "planned"
            meeting = meetings.meeting_dict(services, meetings.update_meeting(
                services, scope, meeting_id, {"status": status}), language)
            return (meeting_status(status, language), record.documents(meeting, language), status == "held",
                    status != "held", no_update, no_update,
                    message(_(f"meeting_page.now_{status}"), True))
        if chosen == P + "notes-save":
            meetings.update_meeting(services, scope, meeting_id, {"notes": text_of(notes)})
            return (*unchanged, message(_("meeting_page.notes_saved"), True))
        if chosen == P + "decision-add":
            meetings.add_decision(services, scope, meeting_id, text_of(decision, 8000))
            meeting = meetings.meeting_dict(services, meetings.get_meeting(services, scope, meeting_id), language)
            return (*unchanged[:4], record.decisions_list(meeting, language), "",
                    message(_("meeting_page.decision_added"), True))
    except MeetingError as error:
        return (*unchanged, message(error.message(language), False))
    raise PreventUpdate


# -- action items ------------------------------------------------------------------------------------------
# Which form field each refusal of web.action_items is about.
ACTION_FIELD = {"action.unknown_owner": "owner", "action.bad_due": "due", "action.bad_department": "department",
                "action.bad_kpis": "kpis", "action.unknown_kpi": "kpis"}
ACTION_TEXT_FIELD = {"action.description": "what", "action.owner": "owner"}


def _table(scope, meeting_id: int, language: str, services):
    meeting = meetings.meeting_dict(services, meetings.get_meeting(services, scope, meeting_id), language)
    return actions.actions_table(P, meeting["action_items"], scope, language,
                                 kpis=actions.kpi_names(services, language),
                                 departments=department_names(services, language))


def _form_answer(problems: dict[str, str], said, table=no_update, cleared: bool = False) -> tuple:
    resets = ("", None, "", None, []) if cleared else (no_update,) * 5
    return (table, said, *resets,
            *[field_error(problems[name]) if name in problems else None for name in actions.FORM_FIELDS])


def _checked_list(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PreventUpdate
    return value


def add_action(what, owner, owner_name, due, department, kpis, meeting_id: int) -> tuple:
    scope = _editor()
    if any(v is not None and not isinstance(v, str) for v in (owner, department)):
        raise PreventUpdate
    language, services = current_language(), current_services()
    given = {"description": text_of(what, 4000), "owner_username": owner or None,
             "owner_name": text_of(owner_name, 400).strip() or None, "due_date": text_of(due, 40)[:10] or None,
             "department_id": department, "kpi_ids": _checked_list(kpis)}
    problems = {}
    if not given["description"].strip():
        problems["what"] = _("text.required", field=_("action.description"))
    if not given["owner_username"] and not given["owner_name"]:
        problems["owner"] = _("actions.owner_required")
    if problems:
        return _form_answer(problems, message(_("meetings.fix_fields"), False))
    try:
        created = action_items.add_action_item(services, scope, meeting_id, given)
    except MeetingError as error:
        where = ACTION_FIELD.get(error.key) or ACTION_TEXT_FIELD.get(error.params.get("field"))
        if where:
            return _form_answer({where: error.message(language)}, message(_("meetings.fix_fields"), False))
        return _form_answer({}, message(error.message(language), False))
    return _form_answer({}, message(_("actions.recorded", owner=created["owner_name"]), True),
                        _table(scope, meeting_id, language, services), cleared=True)


def set_status(meeting_id: int) -> tuple:
    """A status button of the meeting's action items table."""
    scope = current_scope()
    if not scope.allows("analyst"):
        raise PreventUpdate
    item_id, status = actions.pressed_status(P)
    language, services = current_language(), current_services()
    try:
        changed = action_items.update_action_item(services, scope, item_id, {"status": status})
        table = _table(scope, meeting_id, language, services)
    except MeetingError as error:
        return no_update, message(error.message(language), False)
    return table, message(_("actions.status_changed", item=changed["description"][:80],
                            status=_(f"action.status.{changed['status']}")), True)
