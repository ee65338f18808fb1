"""Action items on the meeting page and the action items page: how an item reads, the
buttons that change its status, the form that records one, and reading which button was
pressed. web.action_items decides who may change what (managers any item, the owner the
status and progress of their own); the buttons only follow that rule."""
from __future__ import annotations

from datetime import date
from typing import Any

from dash import ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels, kpi_name
from dashboards.meeting_parts import clicked, field
from i18n import format_day, translate
from metrics import catalog
from metrics.access import Scope
from web import accounts

STATUSES = ("open", "done", "dropped")
FORM_FIELDS = ("what", "owner", "due", "department", "kpis")   # each has its own message line
# What each button sets, and the buttons an item in each status offers.
BUTTONS = {"open": ("done", "dropped"), "done": ("open",), "dropped": ("open",)}
BUTTON_KEYS = {"done": "actions.mark_done", "dropped": "actions.drop", "open": "actions.reopen"}


def may_update(scope: Scope, item: dict[str, Any]) -> bool:
    """Mirrors web.action_items.update_action_item, which decides: it only chooses who sees
    buttons. Owners update through the pages (and the API) from the analyst level up."""
    if scope.allows("manager"):
        return True
    return scope.allows("analyst") and item.get("owner_username") == scope.username


def kpi_names(services, language: str) -> dict[str, str]:
    return {k["id"]: kpi_name(k, language) for k in catalog.kpi_summaries(services.warehouse, services.calendar)}


def status_word(item: dict[str, Any], language: str) -> list:
    """The status in words, and 'Overdue' in words too for an open item past its due date."""
    parts = [html.Span(translate(f"action.status.{item['status']}", language),
                       className=f"action-status action-{item['status']}")]
    if item.get("overdue"):
        parts.append(html.Span(["⚠ ", translate("actions.overdue", language)], className="badge badge-overdue"))
    return parts


def status_buttons(prefix: str, item: dict[str, Any], language: str) -> html.Div:
    what = item["description"][:80]
    return html.Div([
        html.Button(translate(BUTTON_KEYS[status], language),
                    id={"type": prefix + "set-status", "item": item["id"], "status": status}, n_clicks=0,
                    type="button", className="button small" + (" danger" if status == "dropped" else ""),
                    **{"aria-label": translate(f"{BUTTON_KEYS[status]}_label", language, item=what)})
        for status in BUTTONS[item["status"]]], className="status-buttons")


def pressed_status(prefix: str) -> tuple[int, str]:
    """The item and status of the status button that was pressed; no update for anything else."""
    chosen = ctx.triggered_id
    if not (isinstance(chosen, dict) and chosen.get("type") == prefix + "set-status"
            and isinstance(chosen.get("item"), int) and not isinstance(chosen["item"], bool)
            and chosen.get("status") in STATUSES):
        raise PreventUpdate
    if not ctx.triggered or not clicked(ctx.triggered[0].get("value")):
        raise PreventUpdate
    return chosen["item"], chosen["status"]


def _kpi_links(item: dict[str, Any], names: dict[str, str]):
    if not item["kpi_ids"]:
        return "–"
    links = []
    for kpi_id in item["kpi_ids"]:
        links += [dcc.Link(names.get(kpi_id, kpi_id), href=f"/kpi/{kpi_id}"), html.Br()]
    return links[:-1]


def actions_table(prefix: str, items: list[dict[str, Any]], scope: Scope, language: str, *,
                  kpis: dict[str, str], departments: dict[str, str]):
    """A meeting's action items with their status, and buttons where this person may change it."""
    if not items:
        return html.P(translate("actions.none_recorded", language), className="empty")
    rows = [html.Tr([
        html.Th([item["description"],
                 html.Span(item["progress_note"], className="muted small block pre-line")
                 if item.get("progress_note") else None], scope="row", className="wrap"),
        html.Td(item["owner_name"]),
        html.Td(format_day_text(item["due_date"], language), className="nowrap"),
        html.Td(departments.get(item["department_id"], item["department_id"])),
        html.Td(_kpi_links(item, kpis)),
        html.Td(status_word(item, language)),
        html.Td(status_buttons(prefix, item, language) if may_update(scope, item) else None),
    ], className="overdue-row" if item.get("overdue") else None) for item in items]
    heads = ("what", "owner", "due", "department", "kpis", "status", "change")
    return html.Table([
        html.Caption(translate("actions.meeting_caption", language), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(translate(f"actions.col_{name}", language), scope="col") for name in heads])),
        html.Tbody(rows),
    ], className="kpi-table actions-table")


def format_day_text(value, language: str) -> str:
    if not value:
        return translate("actions.no_due", language)
    return format_day(date.fromisoformat(value) if isinstance(value, str) else value, language)


# -- recording one ------------------------------------------------------------------------------------
def owner_options(services) -> list[dict[str, str]]:
    people = [a for a in accounts.list_accounts(services) if a.active]
    return sorted(({"label": f"{a.display_name} ({a.username})", "value": a.username} for a in people),
                  key=lambda option: option["label"].casefold())


def kpi_options(services, departments: list[str], language: str) -> list[dict[str, str]]:
    rows = [k for k in catalog.kpi_summaries(services.warehouse, services.calendar)
            if k["department_id"] in departments]
    return sorted(({"label": kpi_name(k, language), "value": k["id"]} for k in rows),
                  key=lambda option: option["label"].casefold())


def add_form(prefix: str, language: str, departments: list[dict[str, str]], *,
             owners: list[dict[str, str]], kpis: list[dict[str, str]]) -> html.Div:
    """What, owner (an account or a name), due date, department and linked KPIs."""
    single = departments[0]["value"] if len(departments) == 1 else None
    return html.Div([
        html.H3(translate("actions.add_heading", language), className="form-heading"),
        html.Div([
            field(translate("action.description", language),
                  dcc.Textarea(id=prefix + "action-what", value="", rows=2, maxLength=2000,
                               className="text-input textarea short"),
                  error_id=prefix + "action-error-what", wide=True),
            field(translate("actions.field_owner_account", language),
                  dcc.Dropdown(id=prefix + "action-owner", options=owners, clearable=True,
                               placeholder=translate("actions.pick_owner", language),
                               labels=dropdown_labels(language)),
                  hint=translate("actions.owner_hint", language), error_id=prefix + "action-error-owner"),
            field(translate("actions.field_owner_name", language),
                  dcc.Input(id=prefix + "action-owner-name", type="text", value="", maxLength=200,
                            className="text-input"),
                  hint=translate("actions.owner_name_hint", language)),
            field(translate("actions.col_due", language),
                  dcc.DatePickerSingle(id=prefix + "action-due", display_format="YYYY-MM-DD",
                                       placeholder=translate("date.placeholder", language), first_day_of_week=1,
                                       clearable=True),
                  hint=translate("meetings.date_hint", language), error_id=prefix + "action-error-due"),
            field(translate("actions.col_department", language),
                  dcc.Dropdown(id=prefix + "action-department", options=departments, value=single,
                               clearable=False, labels=dropdown_labels(language)),
                  error_id=prefix + "action-error-department"),
            field(translate("actions.field_kpis", language),
                  dcc.Dropdown(id=prefix + "action-kpis", options=kpis, value=[], multi=True,
                               placeholder=translate("actions.pick_kpis", language),
                               labels=dropdown_labels(language)),
                  error_id=prefix + "action-error-kpis", wide=True),
        ], className="form-grid"),
        html.Button(translate("actions.add_button", language), id=prefix + "action-add", n_clicks=0, type="button",
                    className="button primary"),
    ], className="action-form", role="group", **{"aria-label": translate("actions.add_heading", language)})
