"""What is due (issue #10): every KPI whose next value is due or overdue by its frequency and
lag, with who owes it and how late it is; the KPIs that name no owner; and, once the
narratives service supplies them, the narratives owed.

`/due?department=<id>` opens on one department (`state=overdue|due` and `unowned=1` too).
An analyst's page opens on their own departments; everyone else's on all of them. One status
query per render (metrics.status.kpi_statuses), the rest is arithmetic (metrics.due).
"""
from __future__ import annotations

from datetime import date
from typing import Any

import dash
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels
from dashboards.due_parts import (P, STATE_CHOICES, due_table, empty_text, narratives_owed_section, summary,
                                  unowned_section)
from i18n import _, current_language, localized
from metrics import catalog, due, status
from metrics.access import Scope
from web import narratives
from web.auth import current_scope
from web.rules import callback
from web.services import Services, current_services

UNOWNED = "unowned"   # the value of the "only without an owner" box


def _title() -> str:
    return f"{_('due.title')} · CityStat"


dash.register_page(__name__, path="/due", title=_title, order=5, access="viewer")


def _department_names(services: Services, language: str) -> dict[str, str]:
    return {d["id"]: localized(d, "name", language) or d["id"] for d in catalog.list_departments(services.warehouse)}


def narratives_owed(services: Services, kpis: list[dict], language: str) -> list[dict] | None:
    """The narratives `kpis` (status rows) owe, for narratives_owed_section: [{"kpi_id",
    "kpi_name", "period", "department_id"}]. None when the city does not require narratives
    (CITYSTAT_NARRATIVE_REQUIRED): the section is then left out."""
    if not narratives.narrative_required(services):
        return None
    names = {kpi["id"]: localized(kpi, "name", language) for kpi in kpis}
    return [{**item, "kpi_name": names.get(item["kpi_id"])} for item in narratives.narratives_owed(services, kpis)]


def _results(services: Services, scope: Scope, departments: list[str], state: str, only_unowned: bool,
             language: str, today: date) -> tuple[list, list]:
    """(the summary and the table, the sections below it) for the filters chosen."""
    kpis = due.in_departments(status.kpi_statuses(services.warehouse, services.calendar, today), departments)
    owed = due.due_items(kpis, services.calendar, today)
    unowned = due.without_owner(kpis)
    shown = [kpi for kpi in owed if (state == "all" or kpi["due"]["state"] == state)
             and not (only_unowned and kpi["due"]["has_owner"])]
    listing = (due_table(shown, language, services) if shown else
               html.P(empty_text(owed, state, only_unowned, language), className="empty"))
    names = _department_names(services, language)
    owed_stories = narratives_owed(services, kpis, language)
    return ([summary(due.state_counts(owed), len(unowned), today, language), listing],
            [narratives_owed_section(owed_stories, names, language, services), unowned_section(unowned, language)])


def _filters(names: dict[str, str], departments: list[str], state: str, only_unowned: bool,
             language: str) -> html.Div:
    return html.Div([
        html.Div([html.Label(_("due.filter_department"), htmlFor=P + "department"),
                  dcc.Dropdown(id=P + "department", value=departments, multi=True, clearable=True,
                               placeholder=_("due.all_departments"), labels=dropdown_labels(language),
                               options=[{"label": name, "value": key}
                                        for key, name in sorted(names.items(), key=lambda item: item[1])])],
                 className="field"),
        html.Fieldset([
            html.Legend(_("due.filter_state"), className="control-label"),
            dcc.RadioItems(id=P + "state", value=state, inline=True, className="segmented",
                           options=[{"label": _(f"due.state_{choice}"), "value": choice} for choice in STATE_CHOICES]),
        ], className="controls due-state-filter"),
        html.Fieldset([
            html.Legend(_("due.filter_owner"), className="visually-hidden"),
            dcc.Checklist(id=P + "only-unowned", value=[UNOWNED] if only_unowned else [], inline=True,
                          className="segmented", options=[{"label": _("due.only_unowned"), "value": UNOWNED}]),
        ], className="controls due-owner-filter"),
    ], className="form-grid filter-grid due-filters")


def _chosen_departments(department: Any, scope: Scope, names: dict[str, str]) -> tuple[list[str], str | None]:
    """The departments the page opens on, and an unknown id asked for in the address (if any)."""
    if isinstance(department, str) and department:
        return ([department], None) if department in names else ([], department)
    if scope.role == "analyst":
        return sorted(d for d in scope.departments if d in names), None
    return [], None


def layout(department: Any = None, state: Any = None, unowned: Any = None, **_query):
    language, services, scope, today = current_language(), current_services(), current_scope(), date.today()
    names = _department_names(services, language)
    departments, unknown = _chosen_departments(department, scope, names)
    state = state if state in STATE_CHOICES else "all"
    only_unowned = unowned in ("1", "true", "yes")
    top, below = _results(services, scope, departments, state, only_unowned, language, today)
    return html.Div([
        html.Div([html.H1(_("due.title")), html.P(_("due.lede"), className="lede")], className="page-head"),
        html.Section([
            html.H2(_("due.list_heading"), id=P + "list-heading"),
            _filters(names, departments, state, only_unowned, language),
            html.P(_("due.unknown_department", department_id=unknown[:128]), className="form-error", role="alert")
            if unknown else None,
            dcc.Loading(html.Div(top, id=P + "results"), type="dot"),
        ], className="card", **{"aria-labelledby": P + "list-heading"}),
        html.Div(below, id=P + "below"),
    ])


def _checked(departments, state, unowned) -> tuple[list[str], str, bool]:
    """The filters the browser sent, each checked; PreventUpdate for anything else."""
    known = _department_names(current_services(), "en")
    if departments is None:
        departments = []
    if (not isinstance(departments, list) or len(departments) > len(known)
            or not all(isinstance(d, str) and d in known for d in departments)):
        raise PreventUpdate
    if state not in STATE_CHOICES:
        raise PreventUpdate
    if unowned is None:
        unowned = []
    if not isinstance(unowned, list) or any(value != UNOWNED for value in unowned):
        raise PreventUpdate
    return sorted(set(departments)), state, bool(unowned)


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "results", "children"), Output(P + "below", "children"),
              Input(P + "department", "value"), Input(P + "state", "value"), Input(P + "only-unowned", "value"),
              prevent_initial_call=True)
    def filter_due(departments, state, unowned):
        # Anyone signed in reads what is due in every department (DESIGN §7); the guard has
        # refused anonymous callers already, and this keeps the page from reading for them.
        scope = current_scope()
        if not scope.allows("viewer"):
            raise PreventUpdate
        departments, state, only_unowned = _checked(departments, state, unowned)
        return _results(current_services(), scope, departments, state, only_unowned, current_language(),
                        date.today())
