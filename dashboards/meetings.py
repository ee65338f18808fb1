"""Stat meetings: the ones this person may read, upcoming first and then the history,
filtered by department; managers and administrators also create one here, with its agenda
drafted from the data, and land on its page. web.meetings decides who may read and change
what; this page only shows it. The list is filled in by a callback, so the layout Dash
keeps of this page holds no meeting."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date

import dash
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels, table_region
from dashboards.meeting_parts import (clicked, department_names, department_options, field, field_error,
                                      join_names, meeting_status, message, placeholders, text_of, when_text)
from i18n import _, current_language
from web import action_items, meetings
from web.auth import current_scope
from web.meetings import MAX_MINUTES, MIN_MINUTES
from web.rules import callback
from web.services import current_services
from web.texts import MeetingError

P = "meetings-"
# Which form field each refusal of web.meetings is about (the rest show under the button).
FIELD_OF = {"meeting.no_departments": "departments", "meeting.unknown_department": "departments",
            "meeting.bad_date": "date", "meeting.bad_time": "time", "meeting.bad_duration": "duration"}
TEXT_FIELDS = {"meeting.title": "title", "meeting.location": "location", "meeting.attendees": "attendees"}
FIELDS = ("title", "departments", "date", "time", "duration", "location", "attendees")


def _title() -> str:
    return f"{_('meetings.title')} · CityStat"


dash.register_page(__name__, path="/meetings", title=_title, order=30, access="viewer")


# -- the form ------------------------------------------------------------------------------------------
def _input(name: str, **kwargs) -> dcc.Input:
    return dcc.Input(id=P + name, className="text-input", **kwargs)


def _create_card(language: str) -> html.Section:
    services = current_services()
    return html.Section([
        html.H2(_("meetings.new_heading"), id=P + "new-heading"),
        html.P(_("meetings.new_lede"), className="muted small card-lede"),
        html.Div([
            field(_("meeting.title"), _input("new-title", type="text", maxLength=200,
                                             placeholder=_("meetings.title_placeholder")),
                  error_id=P + "error-title", wide=True),
            field(_("meetings.field_departments"),
                  dcc.Dropdown(id=P + "new-departments", options=department_options(services, language), value=[],
                               multi=True, placeholder=_("meetings.pick_departments"),
                               labels=dropdown_labels(language)),
                  error_id=P + "error-departments", wide=True),
            field(_("meetings.field_date"),
                  dcc.DatePickerSingle(id=P + "new-date", display_format="YYYY-MM-DD",
                                       placeholder=_("date.placeholder"), first_day_of_week=1, clearable=True),
                  hint=_("meetings.date_hint"), error_id=P + "error-date"),
            field(_("meetings.field_time"), _input("new-time", type="text", value="09:00", maxLength=5,
                                                   placeholder="09:30"),
                  hint=_("meetings.time_hint"), error_id=P + "error-time"),
            field(_("meetings.field_duration"), _input("new-duration", type="number", value=60, min=MIN_MINUTES,
                                                       max=MAX_MINUTES, step=5),
                  hint=_("meetings.duration_hint", low=MIN_MINUTES, high=MAX_MINUTES), error_id=P + "error-duration"),
            field(_("meeting.location"), _input("new-location", type="text", maxLength=200,
                                                placeholder=_("meetings.location_placeholder")),
                  error_id=P + "error-location"),
            field(_("meeting.attendees"),
                  dcc.Textarea(id=P + "new-attendees", value="", rows=2, maxLength=4000,
                               className="text-input textarea short",
                               placeholder=_("meetings.attendees_placeholder")),
                  error_id=P + "error-attendees", wide=True),
        ], className="form-grid"),
        html.Button(_("meetings.create_button"), id=P + "create", n_clicks=0, type="button",
                    className="button primary"),
        html.Div(id=P + "create-message", className="form-message", **{"aria-live": "polite"}),
        dcc.Location(id=P + "go", refresh="callback-nav"),
    ], className="card", **{"aria-labelledby": P + "new-heading"})


def layout(**_query):
    language = current_language()
    scope = current_scope()
    form = _create_card(language)
    return html.Div([
        html.Div([html.H1(_("meetings.title")), html.P(_("meetings.lede"), className="lede")],
                 className="page-head"),
        html.Div([
            html.Label(_("meetings.filter_department"), htmlFor=P + "department"),
            dcc.Dropdown(id=P + "department", options=department_options(current_services(), language),
                         placeholder=_("meetings.all_departments"), clearable=True, searchable=True,
                         labels=dropdown_labels(language)),
        ], className="filters"),
        html.Section([
            html.H2(_("meetings.upcoming_heading"), id=P + "upcoming-heading"),
            dcc.Loading(table_region(None, _("meetings.upcoming_heading"), id=P + "upcoming"), type="dot"),
        ], className="card", **{"aria-labelledby": P + "upcoming-heading"}),
        html.Section([
            html.H2(_("meetings.history_heading"), id=P + "history-heading"),
            table_region(None, _("meetings.history_heading"), id=P + "history"),
        ], className="card", **{"aria-labelledby": P + "history-heading"}),
        form if meetings.can_edit(scope) else placeholders(form),
    ])


# -- the list -------------------------------------------------------------------------------------------
def _table(rows: list[dict], open_items: Counter, names: dict[str, str], language: str, caption: str):
    if not rows:
        return html.P(_("meetings.none"), className="empty")
    body = [html.Tr([
        html.Td(when_text(m.starts_at.date(), m.starts_at.time(), language), className="nowrap-wide"),
        html.Th(dcc.Link(m.title, href=f"/meetings/{m.id}"), scope="row"),
        html.Td(join_names([names.get(d, d) for d in m.department_ids])),
        html.Td(meeting_status(m.status, language)),
        html.Td(str(len(m.agenda)), className="num"),
        html.Td(str(open_items.get(m.id, 0)), className="num"),
    ]) for m in rows]
    heads = [("when", None), ("meeting", None), ("departments", None), ("status", None), ("agenda", "num"),
             ("open_actions", "num")]
    return html.Table([
        html.Caption(caption, className="visually-hidden"),
        html.Thead(html.Tr([html.Th(_(f"meetings.col_{name}"), scope="col", className=cls) for name, cls in heads])),
        html.Tbody(body),
    ], className="kpi-table meetings-table")


def _lists(department, scope, language):
    services = current_services()
    found = meetings.list_meetings(services, scope, department=department)
    today = date.today()
    upcoming = sorted((m for m in found if m.starts_at.date() >= today and m.status == "planned"),
                      key=lambda m: m.starts_at)
    history = [m for m in found if m not in upcoming]
    open_items = Counter(a["meeting_id"] for a in action_items.list_action_items(services, scope, status="open"))
    names = department_names(services, language)
    return (_table(upcoming, open_items, names, language, _("meetings.upcoming_heading")),
            _table(history, open_items, names, language, _("meetings.history_heading")))


# -- creating ---------------------------------------------------------------------------------------------
def _time(value: str) -> str:
    """'9:30' as '09:30'; anything else as typed, for web.meetings to judge."""
    match = re.fullmatch(r"\s*(\d{1,2})[:.h](\d{2})\s*", value)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else value.strip()


def _missing(given: dict) -> dict[str, str]:
    """What is missing, each under its own field, all at once."""
    problems = {}
    if not given["title"].strip():
        problems["title"] = _("text.required", field=_("meeting.title"))
    if not given["departments"]:
        problems["departments"] = _("meeting.no_departments")
    if not given["date"]:
        problems["date"] = _("meetings.date_required")
    if given["duration_minutes"] is None:
        problems["duration"] = _("meeting.bad_duration", low=MIN_MINUTES, high=MAX_MINUTES)
    return problems


def _field_of(error: MeetingError) -> str | None:
    if error.key in FIELD_OF:
        return FIELD_OF[error.key]
    return TEXT_FIELDS.get(error.params.get("field"))


def _answer(problems: dict[str, str], general, go=no_update) -> tuple:
    return (general, *[field_error(problems[name]) if name in problems else None for name in FIELDS], go)


def _create(title, departments, day, at, duration, location, attendees) -> tuple:
    scope = current_scope()
    if not meetings.can_edit(scope):
        raise PreventUpdate
    if departments is not None and (not isinstance(departments, list)
                                    or not all(isinstance(d, str) for d in departments)):
        raise PreventUpdate
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float))):
        raise PreventUpdate
    given = {"title": text_of(title, 400), "departments": departments or [], "date": text_of(day, 40)[:10],
             "time": _time(text_of(at, 20)) or None, "duration_minutes": duration,
             "location": text_of(location, 400), "attendees": text_of(attendees, 8000)}
    problems = _missing(given)
    if problems:
        return _answer(problems, message(_("meetings.fix_fields"), False))
    language = current_language()
    try:
        created = meetings.create_meeting(current_services(), scope, given)
    except MeetingError as error:
        where = _field_of(error)
        if where:
            return _answer({where: error.message(language)}, message(_("meetings.fix_fields"), False))
        return _answer({}, message(error.message(language), False))
    return _answer({}, message(_("meetings.created", title=created.title), True),
                   f"/meetings/{created.id}?created=1")


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "upcoming", "children"), Output(P + "history", "children"),
              Input(P + "department", "value"))
    def show(department):
        scope = current_scope()
        if not scope.allows("viewer") or (department is not None and not isinstance(department, str)):
            raise PreventUpdate
        return _lists(department or None, scope, current_language())

    @callback(app, "manager", Output(P + "create-message", "children"),
              *[Output(P + f"error-{name}", "children") for name in FIELDS], Output(P + "go", "href"),
              Input(P + "create", "n_clicks"),
              State(P + "new-title", "value"), State(P + "new-departments", "value"), State(P + "new-date", "date"),
              State(P + "new-time", "value"), State(P + "new-duration", "value"),
              State(P + "new-location", "value"), State(P + "new-attendees", "value"), prevent_initial_call=True)
    def create(clicks, *values):
        if not clicked(clicks):
            raise PreventUpdate
        return _create(*values)
