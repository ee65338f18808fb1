"""A department's scorecard: who heads it, how its KPIs roll up, and every KPI it reports in a
table the reader sorts by column, each linked to its goal."""
from __future__ import annotations

from datetime import date

import dash
from dash import Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.due_parts import department_due_card
from dashboards.scorecard import (DEFAULT_SORT, chosen_sort, empty_components, kpis_card, roll_up_summary,
                                  sort_inputs, sorted_table)
from i18n import _, current_language, localized
from metrics import catalog, status
from web.rules import callback
from web.services import current_services

P = "department-"
COLUMNS = ("name", "goal", "status", "value", "target", "percent", "trend", "sparkline", "updated")


def _department(services, department_id: str):
    return next((d for d in catalog.list_departments(services.warehouse) if d["id"] == department_id), None)


def _title(department_id: str | None = None) -> str:
    department = _department(current_services(), department_id) if department_id else None
    name = localized(department, "name", current_language()) if department else _("department.not_found_title")
    return f"{name} · CityStat"


dash.register_page(__name__, path_template="/department/<department_id>", title=_title, access="viewer")


def _rows(services, department_id: str, today: date):
    return status.kpi_statuses(services.warehouse, services.calendar, today, department=department_id)


def _table(rows, department, sort, today, language, services):
    return sorted_table(rows, language, services, columns=COLUMNS, prefix=P, sort=sort, as_of=today,
                        caption=_("scorecard.caption", name=localized(department, "name", language)))


def _not_found(department_id: str):
    return html.Div([
        html.H1(_("department.not_found_title")),
        html.P(_("department.not_found_body", department_id=department_id)),
        dcc.Link(_("kpi.back_to_overview"), href="/"),
    ], className="page-head not-found")


def layout(department_id: str | None = None, **_query):
    if department_id is None:
        return html.Div(empty_components(P))   # called without a department only to check callbacks
    language, services, today = current_language(), current_services(), date.today()
    department = _department(services, department_id)
    if department is None:
        return _not_found(department_id)
    rows = _rows(services, department_id, today)
    roll = status.roll_up(row["status"] for row in rows)
    name = localized(department, "name", language)
    return html.Div([
        html.Nav([dcc.Link(_("nav.overview"), href="/"), html.Span(" › "),
                  html.Span(name, **{"aria-current": "page"})],
                 className="breadcrumb", **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([
            html.H1(name),
            html.P(_("department.lede"), className="lede"),
            html.P(_("department.head", head=department["head"]), className="muted small")
            if department.get("head") else None,
        ], className="page-head"),
        html.Section([html.H2(_("department.rollup_heading"), id=P + "rollup-heading"),
                      roll_up_summary(roll, len(rows), language)],
                     className="card", **{"aria-labelledby": P + "rollup-heading"}),
        department_due_card(department["id"], rows, today, language, services),
        *kpis_card(P, _table(rows, department, DEFAULT_SORT, today, language, services) if rows else None,
                   language, DEFAULT_SORT, department["id"]),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "table", "children"), Output(P + "sort", "data"),
              *sort_inputs(P), State(P + "sort", "data"), State(P + "id", "data"), prevent_initial_call=True)
    def sort_kpis(*values):
        # The heading clicked, the current sort and the department all come from the browser:
        # chosen_sort allows only our headings, and the department must exist.
        *clicks, current, department_id = values
        sort = chosen_sort(P, tuple(clicks), current)
        if not isinstance(department_id, str):
            raise PreventUpdate
        language, services, today = current_language(), current_services(), date.today()
        department = _department(services, department_id)
        if department is None:
            raise PreventUpdate
        return _table(_rows(services, department_id, today), department, sort, today, language, services), sort
