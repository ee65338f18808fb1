"""One stat meeting: its facts and documents, its agenda (drafted from the data, edited and
saved by managers and administrators, read by everyone else who may read the meeting),
and its record: held or not, notes, decisions and action items.

A meeting the person may not read reads as no meeting at all. The agenda's edits live in
the browser (a store) until Save; web.meetings and web.action_items check and write every
change, whoever sends it."""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import meeting_actions as actions
from dashboards import meeting_agenda as agenda
from dashboards import meeting_record as record
from dashboards.components import table_region
from dashboards.meeting_parts import (clicked, department_names, meeting_number, message, placeholders,
                                      text_of)
from dashboards.meeting_changes import add_action, change_agenda, change_record, set_status
from i18n import _, current_language
from web import meetings
from web.auth import current_scope
from web.rules import callback
from web.services import current_services
from web.texts import MeetingError

P = "meeting-"


def _title(meeting_id: str | None = None) -> str:
    # The meeting's own title would tell its name to whoever guesses its number: a plain one.
    return f"{_('meeting_page.title')} · CityStat"


dash.register_page(__name__, path_template="/meetings/<meeting_id>", title=_title, access="viewer")


def _not_found():
    return html.Div([
        html.H1(_("meeting_page.not_found_title")),
        html.P(_("meeting.unknown")),
        dcc.Link(_("meeting_page.back"), href="/meetings"),
    ], className="page-head not-found")


# -- the page -----------------------------------------------------------------------------------------
def _agenda_card(meeting, items, editor, language, services):
    tools = html.Div([
        agenda.custom_form(language),
        html.Div([
            html.Button(_("agenda_editor.save"), id=P + "agenda-save", n_clicks=0, type="button",
                        className="button primary"),
            html.Button(_("agenda_editor.redraft"), id=P + "redraft", n_clicks=0, type="button", className="button"),
        ], className="button-row agenda-actions"),
        dcc.ConfirmDialog(id=P + "confirm-redraft", message=_("agenda_editor.redraft_confirm")),
    ], className="agenda-tools")
    return html.Section([
        html.Div([html.H2(_("agenda_editor.heading"), id=P + "agenda-heading"),
                  html.Div(agenda.total_line(items, meeting["duration_minutes"], language), id=P + "total",
                           **{"aria-live": "polite"})], className="card-head"),
        html.P(record.as_of_text(meeting, language), id=P + "as-of", className="muted small card-lede"),
        html.P(_("agenda_editor.lede_editor") if editor else _("agenda_editor.lede_reader"),
               className="muted small card-lede"),
        html.Div(agenda.agenda_list(items, editor, language, services), id=P + "agenda"),
        tools if editor else placeholders(tools),
        html.Div(id=P + "agenda-message", className="form-message", **{"aria-live": "polite"}),
    ], className="card", **{"aria-labelledby": P + "agenda-heading"})


def _record_card(meeting, editor, language):
    held = html.Div(record.held_buttons(meeting["status"], language), className="button-row held-buttons")
    notes = record.notes_form(meeting, language)
    decide = record.decision_form(language)
    return html.Section([
        html.Div([html.H2(_("meeting_page.record_heading"), id=P + "record-heading"),
                  held if editor else placeholders(held)], className="card-head"),
        html.Div([
            notes if editor else html.Div([record.notes_text(meeting, language), placeholders(notes)]),
            html.Div([
                html.H3(_("meeting_page.decisions_heading"), className="form-heading"),
                html.Div(record.decisions_list(meeting, language), id=P + "decisions"),
                decide if editor else placeholders(decide),
            ]),
        ], className="record-columns"),
        html.Div(id=P + "record-message", className="form-message", **{"aria-live": "polite"}),
    ], className="card", **{"aria-labelledby": P + "record-heading"})


def _actions_card(table, form, editor, language):
    return html.Section([
        html.H2(_("actions.meeting_heading"), id=P + "actions-heading"),
        html.P(_("actions.meeting_lede"), className="muted small card-lede"),
        table_region(table, _("actions.meeting_heading"), id=P + "actions"),
        html.Div(id=P + "action-message", className="form-message", **{"aria-live": "polite"}),
        form if editor else placeholders(form),
    ], className="card", **{"aria-labelledby": P + "actions-heading"})


def _action_parts(meeting, scope, editor, language, services):
    """The meeting's action items table, and the form to record one (with its choices for
    editors only: the people with accounts, the departments' KPIs)."""
    departments = [{"label": d["name"], "value": d["id"]} for d in meeting["departments"]]
    ids = [d["id"] for d in meeting["departments"]]
    form = actions.add_form(P, language, departments,
                            owners=actions.owner_options(services) if editor else [],
                            kpis=actions.kpi_options(services, ids, language) if editor else [])
    table = actions.actions_table(P, meeting["action_items"], scope, language,
                                  kpis=actions.kpi_names(services, language),
                                  departments=department_names(services, language))
    return table, form


def _skeleton():
    """Called without a meeting only to check callbacks: every id, empty, and no data read."""
    blank = {"id": 0, "title": "", "date": "2000-01-01", "time": "09:00", "duration_minutes": 60,
             "status": "planned", "location": None, "attendees": None, "notes": None, "departments": [],
             "agenda_as_of": None, "agenda": [], "decisions": [], "action_items": []}
    language = current_language()
    form = actions.add_form(P, language, [], owners=[], kpis=[])
    return placeholders(html.Div([
        dcc.Store(id=P + "id"), dcc.Store(id=P + "length"), dcc.Store(id=P + "items"),
        html.Div(id=P + "status"), html.Div(id=P + "documents"),
        _agenda_card(blank, [], True, language, None), _record_card(blank, True, language),
        _actions_card(None, form, True, language),
    ]))


def layout(meeting_id: str | None = None, created: str | None = None, **_query):
    if meeting_id is None:
        return _skeleton()
    language, services, scope = current_language(), current_services(), current_scope()
    try:
        found = meetings.get_meeting(services, scope, int(meeting_id) if meeting_id.isdigit() else None)
    except MeetingError:
        return _not_found()
    meeting = meetings.meeting_dict(services, found, language)
    editor = meetings.can_edit(scope)
    items = agenda.store_items(meeting["agenda"])
    return html.Div([
        dcc.Store(id=P + "id", data=meeting["id"]),
        dcc.Store(id=P + "length", data=meeting["duration_minutes"]),
        dcc.Store(id=P + "items", data=items),
        *record.header(meeting, language),
        html.Div(message(_("meeting_page.created"), True), className="page-message")
        if created == "1" and editor else None,
        html.Section([html.H2(_("meeting_page.documents_heading"), id=P + "documents-heading"),
                      html.Div(record.documents(meeting, language), id=P + "documents", className="doc-columns")],
                     className="card", **{"aria-labelledby": P + "documents-heading"}),
        _agenda_card(meeting, items, editor, language, services),
        _record_card(meeting, editor, language),
        _actions_card(*_action_parts(meeting, scope, editor, language, services), editor, language),
    ], className="meeting-page")


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "total", "children"), Input({"type": P + "minutes", "key": ALL}, "value"),
              Input(P + "items", "data"), State(P + "length", "data"), prevent_initial_call=True)
    def total(_minutes, items, length):
        if not current_scope().allows("viewer") or not isinstance(length, int) or isinstance(length, bool):
            raise PreventUpdate
        typed = agenda.with_minutes(agenda.checked_items(items), ctx.inputs_list[0])
        return agenda.total_line(typed, length, current_language())

    @callback(app, "manager", Output(P + "confirm-redraft", "displayed"), Input(P + "redraft", "n_clicks"),
              prevent_initial_call=True)
    def ask_redraft(clicks):
        if not clicked(clicks) or not meetings.can_edit(current_scope()):
            raise PreventUpdate
        return True

    @callback(app, "manager", Output(P + "items", "data"), Output(P + "agenda", "children"),
              Output(P + "agenda-message", "children"), Output(P + "custom-title", "value"),
              Output(P + "custom-questions", "value"), Output(P + "as-of", "children"),
              Input({"type": P + "up", "key": ALL}, "n_clicks"), Input({"type": P + "down", "key": ALL}, "n_clicks"),
              Input({"type": P + "remove", "key": ALL}, "n_clicks"), Input(P + "custom-add", "n_clicks"),
              Input(P + "agenda-save", "n_clicks"), Input(P + "confirm-redraft", "submit_n_clicks"),
              State(P + "items", "data"), State({"type": P + "minutes", "key": ALL}, "value"),
              State(P + "custom-title", "value"), State(P + "custom-minutes", "value"),
              State(P + "custom-questions", "value"), State(P + "id", "data"), prevent_initial_call=True)
    def edit_agenda(_up, _down, _remove, _add, _save, _redraft, items, _minutes, title, minutes, questions,
                    meeting_id):
        return change_agenda(items, ctx.states_list[1], text_of(title, 1000), minutes, text_of(questions, 8000),
                             meeting_number(meeting_id))

    @callback(app, "manager", Output(P + "status", "children"), Output(P + "documents", "children"),
              Output(P + "held", "hidden"), Output(P + "planned", "hidden"), Output(P + "decisions", "children"),
              Output(P + "decision-text", "value"), Output(P + "record-message", "children"),
              Input(P + "held", "n_clicks"), Input(P + "planned", "n_clicks"), Input(P + "notes-save", "n_clicks"),
              Input(P + "decision-add", "n_clicks"), State(P + "notes", "value"), State(P + "decision-text", "value"),
              State(P + "id", "data"), prevent_initial_call=True)
    def edit_record(_held, _planned, _notes, _decide, notes, decision, meeting_id):
        return change_record(notes, decision, meeting_number(meeting_id))

    @callback(app, "manager", Output(P + "actions", "children"), Output(P + "action-message", "children"),
              Output(P + "action-what", "value"), Output(P + "action-owner", "value"),
              Output(P + "action-owner-name", "value"), Output(P + "action-due", "date"),
              Output(P + "action-kpis", "value"),
              *[Output(P + f"action-error-{name}", "children") for name in actions.FORM_FIELDS],
              Input(P + "action-add", "n_clicks"), State(P + "action-what", "value"),
              State(P + "action-owner", "value"),
              State(P + "action-owner-name", "value"), State(P + "action-due", "date"),
              State(P + "action-department", "value"), State(P + "action-kpis", "value"), State(P + "id", "data"),
              prevent_initial_call=True)
    def record_action(clicks, what, owner, owner_name, due, department, kpis, meeting_id):
        if not clicked(clicks):
            raise PreventUpdate
        return add_action(what, owner, owner_name, due, department, kpis, meeting_number(meeting_id))

    # Owners change their own items' status (web.action_items checks whose item it is).
    @callback(app, "analyst", Output(P + "actions", "children", allow_duplicate=True),
              Output(P + "action-message", "children", allow_duplicate=True),
              Input({"type": P + "set-status", "item": ALL, "status": ALL}, "n_clicks"), State(P + "id", "data"),
              prevent_initial_call=True)
    def change_status(_clicks, meeting_id):
        return set_status(meeting_number(meeting_id))
