"""Action items: every commitment and request from stat meetings that this person may read,
overdue first, by department and owner, each with its meeting and, for an item linked to
a KPI, the KPI's values before and since the commitment. Owners mark their own items done
and note their progress here; managers change any item. web.action_items decides; the
list is filled in by a callback, so the layout Dash keeps of this page holds no item."""
from __future__ import annotations

from datetime import date

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.action_movement import movement_table
from dashboards.components import dropdown_labels
from dashboards.meeting_actions import format_day_text, may_update, pressed_status, status_buttons, status_word
from dashboards.meeting_parts import clicked, department_names, department_options, message, when_text
from i18n import _, current_language
from web import action_items
from web.auth import current_scope
from web.rules import callback
from web.services import current_services
from web.texts import MeetingError

P = "actions-"
FILTERS = ("open", "done", "dropped", "all")


def _title() -> str:
    return f"{_('actions.title')} · CityStat"


dash.register_page(__name__, path="/action-items", title=_title, order=31, access="viewer")


def _owner_options(services, scope) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for item in action_items.list_action_items(services, scope, status=None):
        seen.setdefault(item["owner_username"] or item["owner_name"], item["owner_name"])
    return sorted(({"label": label, "value": value} for value, label in seen.items()),
                  key=lambda option: option["label"].casefold())


def layout(**_query):
    language, services, scope = current_language(), current_services(), current_scope()
    return html.Div([
        html.Div([html.H1(_("actions.title")), html.P(_("actions.lede"), className="lede")], className="page-head"),
        dcc.Store(id=P + "changed", data=0),
        html.Div([
            html.Div([html.Label(_("actions.col_department"), htmlFor=P + "department"),
                      dcc.Dropdown(id=P + "department", options=department_options(services, language),
                                   placeholder=_("meetings.all_departments"), clearable=True,
                                   labels=dropdown_labels(language))], className="field"),
            html.Div([html.Label(_("actions.col_owner"), htmlFor=P + "owner"),
                      dcc.Dropdown(id=P + "owner", options=_owner_options(services, scope),
                                   placeholder=_("actions.all_owners"), clearable=True,
                                   labels=dropdown_labels(language))], className="field"),
            html.Fieldset([
                html.Legend(_("actions.col_status"), className="control-label"),
                dcc.RadioItems(id=P + "status", value="open", inline=True, className="segmented",
                               options=[{"label": _(f"actions.filter_{f}"), "value": f} for f in FILTERS]),
            ], className="controls status-filter"),
        ], className="form-grid action-filters card"),
        html.P(id=P + "summary", className="list-count", **{"aria-live": "polite"}),
        html.Div(id=P + "message", className="form-message", **{"aria-live": "polite"}),
        dcc.Loading(html.Div(id=P + "list"), type="dot"),
    ])


# -- the list ------------------------------------------------------------------------------------------
def _controls(item, language):
    note_id = {"type": P + "note", "item": item["id"]}
    return html.Div([
        status_buttons(P, item, language),
        html.Div([
            html.Label([html.Span(_("action.progress_note"), className="small"),
                        dcc.Input(id=note_id, type="text", value=item["progress_note"] or "", maxLength=4000,
                                  className="text-input", debounce=False)], className="note-field"),
            html.Button(_("actions.save_note"), id={"type": P + "save-note", "item": item["id"]}, n_clicks=0,
                        type="button", className="button small",
                        **{"aria-label": _("actions.save_note_label", item=item["description"][:80])}),
        ], className="note-row"),
    ], className="action-controls")


def _card(item, scope, names, language, services):
    meeting_day = date.fromisoformat(item["meeting_date"])
    facts = [
        (_("actions.col_department"), names.get(item["department_id"], item["department_id"])),
        (_("actions.col_owner"), item["owner_name"]),
        (_("actions.col_due"), format_day_text(item["due_date"], language)),
        (_("actions.col_meeting"), [dcc.Link(item["meeting_title"], href=f"/meetings/{item['meeting_id']}"),
                                    html.Span(f" · {when_text(meeting_day, None, language)}", className="muted")]),
    ]
    return html.Li([
        html.Div([html.H2(item["description"], className="action-title"),
                  html.Div(status_word(item, language), className="action-badges")], className="action-head"),
        html.Dl([html.Div([html.Dt(label), html.Dd(value)]) for label, value in facts], className="action-facts"),
        html.P([html.Strong(_("action.progress_note") + ": "), item["progress_note"]], className="pre-line small")
        if item["progress_note"] else None,
        *[movement_table(services, kpi_id, meeting_day, language) for kpi_id in item["kpi_ids"]],
        _controls(item, language) if may_update(scope, item) else None,
    ], className="action-card" + (" overdue" if item["overdue"] else ""))


def _list(department, owner, status, language):
    scope, services = current_scope(), current_services()
    items = action_items.list_action_items(services, scope, status=None if status == "all" else status,
                                           department=department, owner=owner)
    overdue = sum(1 for item in items if item["overdue"])
    summary = _("actions.summary", count=len(items), overdue=overdue)
    if not items:
        return html.P(_("actions.none"), className="empty card"), summary
    names = department_names(services, language)
    return html.Ol([_card(item, scope, names, language, services) for item in items],
                   className="action-list"), summary


# -- changes ---------------------------------------------------------------------------------------------
def _note_for(item_id: int, notes) -> str:
    for entry in notes if isinstance(notes, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), dict) and entry["id"].get("item") == item_id:
            value = entry.get("value")
            if value is None or (isinstance(value, str) and len(value) <= 8000):
                return value or ""
    raise PreventUpdate


def _change(changed):
    scope = current_scope()
    if not scope.allows("analyst") or not ctx.triggered or not clicked(ctx.triggered[0].get("value")):
        raise PreventUpdate
    chosen = ctx.triggered_id
    if isinstance(chosen, dict) and chosen.get("type") == P + "save-note":
        item_id = chosen.get("item")
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            raise PreventUpdate
        given = {"progress_note": _note_for(item_id, ctx.states_list[0])}
    else:
        item_id, status = pressed_status(P)
        given = {"status": status}
    language = current_language()
    try:
        done = action_items.update_action_item(current_services(), scope, item_id, given)
    except MeetingError as error:
        return message(error.message(language), False), no_update
    key = "actions.note_saved" if "progress_note" in given else "actions.status_changed"
    text = _(key, item=done["description"][:80], status=_(f"action.status.{done['status']}"))
    return message(text, True), (changed if isinstance(changed, int) and not isinstance(changed, bool) else 0) + 1


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "list", "children"), Output(P + "summary", "children"),
              Input(P + "department", "value"), Input(P + "owner", "value"), Input(P + "status", "value"),
              Input(P + "changed", "data"))
    def show(department, owner, status, _changed):
        if not current_scope().allows("viewer") or status not in FILTERS \
                or any(v is not None and not isinstance(v, str) for v in (department, owner)):
            raise PreventUpdate
        return _list(department or None, owner or None, status, current_language())

    # Owners change their own items (web.action_items checks whose item it is); managers any.
    # Analysts and up, as PATCH /api/v1/action-items.
    @callback(app, "analyst", Output(P + "message", "children"), Output(P + "changed", "data"),
              Input({"type": P + "set-status", "item": ALL, "status": ALL}, "n_clicks"),
              Input({"type": P + "save-note", "item": ALL}, "n_clicks"),
              State({"type": P + "note", "item": ALL}, "value"), State(P + "changed", "data"),
              prevent_initial_call=True)
    def change(_status_clicks, _note_clicks, _notes, changed):
        return _change(changed)
