"""The city overview: every goal, mayoral priorities first, with its KPIs' latest values
against their targets. Filtered by department on the server."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import dash
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.components import (department_name, kpi_name, period_text, target_cell,
                                   value_text)
from i18n import _, current_language, format_day, localized
from metrics import catalog
from web.rules import callback
from web.services import current_services


def _title() -> str:
    return f"{_('overview.title')} · CityStat"


dash.register_page(__name__, path="/", title=_title, order=0, access="viewer")


def _kpi_rows(kpis, language, services):
    rows = []
    for kpi in kpis:
        rows.append(html.Tr([
            html.Th(dcc.Link(kpi_name(kpi, language), href=f"/kpi/{kpi['id']}"), scope="row"),
            html.Td(department_name(kpi, language)),
            html.Td(period_text(kpi, kpi["latest_period_start"], language, services), className="nowrap"),
            html.Td(value_text(kpi, kpi["latest_value"], language, services), className="num"),
            html.Td(target_cell(kpi, kpi, language, services), className="num"),
        ]))
    return rows


def _kpi_table(kpis, language, services, caption: str) -> html.Table:
    return html.Table([
        html.Caption(caption, className="visually-hidden"),
        html.Thead(html.Tr([
            html.Th(_("overview.col_kpi"), scope="col"),
            html.Th(_("overview.col_department"), scope="col"),
            html.Th(_("overview.col_period"), scope="col"),
            html.Th(_("overview.col_latest"), scope="col", className="num"),
            html.Th(_("overview.col_target"), scope="col", className="num"),
        ])),
        html.Tbody(_kpi_rows(kpis, language, services)),
    ], className="kpi-table")


def _goal_section(goal, children_goals, kpis_by_goal, language, services):
    title = localized(goal, "title", language)
    parts = [html.Div([
        html.H2(title, id=f"goal-{goal['id']}"),
        html.Span(_("overview.mayoral_priority"), className="badge badge-priority")
        if goal["mayoral_priority"] else None,
    ], className="goal-head")]
    description = localized(goal, "description", language)
    if description:
        parts.append(html.P(description, className="goal-description"))
    if goal.get("owner"):
        parts.append(html.P(_("overview.owner", owner=goal["owner"]), className="muted small"))
    own = kpis_by_goal.get(goal["id"], [])
    if own:
        parts.append(_kpi_table(own, language, services, title))
    for child in children_goals:
        child_kpis = kpis_by_goal.get(child["id"], [])
        if not child_kpis:
            continue
        child_title = localized(child, "title", language)
        parts.append(html.H3(child_title, className="subgoal"))
        parts.append(_kpi_table(child_kpis, language, services, child_title))
    return html.Section(parts, className="card goal-card", **{"aria-labelledby": f"goal-{goal['id']}"})


def render_goals(language: str, department: str | None):
    """Goal cards holding the KPIs of `department` (all when None)."""
    services = current_services()
    goals = catalog.list_goals(services.warehouse)
    kpis = [k for k in catalog.kpi_summaries(services.warehouse, services.calendar)
            if department is None or k["department_id"] == department]
    kpis_by_goal = defaultdict(list)
    for kpi in kpis:
        kpis_by_goal[kpi["goal_id"]].append(kpi)
    children = defaultdict(list)
    for goal in goals:
        if goal["parent_id"]:
            children[goal["parent_id"]].append(goal)
    sections = []
    for goal in goals:
        if goal["parent_id"]:
            continue
        subgoals = children.get(goal["id"], [])
        if kpis_by_goal.get(goal["id"]) or any(kpis_by_goal.get(c["id"]) for c in subgoals):
            sections.append(_goal_section(goal, subgoals, kpis_by_goal, language, services))
    if not sections:
        return html.P(_("overview.empty"), className="empty")
    return sections


def _summary(services, language):
    kpis = catalog.kpi_summaries(services.warehouse, services.calendar)
    with_data = [k for k in kpis if k["latest_period_start"] is not None]
    fiscal_year = services.calendar.fiscal_year(date.today())
    tiles = [
        (_("overview.tile_kpis"), f"{len(kpis)}"),
        (_("overview.tile_with_data"), f"{len(with_data)}"),
        (_("overview.tile_fiscal_year"), f"FY{fiscal_year}"),
        (_("overview.tile_fiscal_year_runs"),
         f"{format_day(services.calendar.fiscal_year_start(fiscal_year), language)} – "
         f"{format_day(services.calendar.fiscal_year_period(fiscal_year).end, language)}"),
    ]
    return html.Dl([html.Div([html.Dt(label), html.Dd(value)], className="tile") for label, value in tiles],
                   className="tiles")


def layout(**_query):
    language = current_language()
    services = current_services()
    departments = catalog.list_departments(services.warehouse)
    return html.Div([
        html.Div([
            html.H1(_("overview.title")),
            html.P(_("overview.lede"), className="lede"),
        ], className="page-head"),
        _summary(services, language),
        html.Div([
            html.Label(_("overview.filter_department"), htmlFor="overview-department"),
            dcc.Dropdown(id="overview-department", placeholder=_("overview.all_departments"),
                         options=[{"label": localized(d, "name", language), "value": d["id"]} for d in departments],
                         clearable=True, searchable=True),
        ], className="filters"),
        dcc.Loading(html.Div(render_goals(language, None), id="overview-goals"), type="dot"),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output("overview-goals", "children"), Input("overview-department", "value"),
              prevent_initial_call=True)
    def filter_by_department(department):
        services = current_services()
        if department is not None:
            # The id comes from the browser: accept only a department that exists.
            known = {d["id"] for d in catalog.list_departments(services.warehouse)}
            if not isinstance(department, str) or department not in known:
                raise PreventUpdate
        return render_goals(current_language(), department)
