"""One goal: what it sets out to do and who owns it, its roll-up, its sub-goals, and every KPI
behind it (its sub-goals' included) in a table the reader sorts by column. An archived goal
still opens for staff, saying so (when, by whom), with its KPIs and their history;
managers and administrators get a link to edit the goal."""
from __future__ import annotations

from datetime import date

import dash
from dash import Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.goals_parts import archived_text
from dashboards.scorecard import (DEFAULT_SORT, chosen_sort, empty_components, kpis_card, roll_up_summary,
                                  sort_inputs, sorted_table)
from i18n import _, current_language, localized
from metrics import catalog, status
from web.auth import current_scope
from web.goals_write import archive_note, may_manage
from web.rules import callback
from web.services import current_services

P = "goal-"
COLUMNS = ("name", "department", "status", "value", "target", "percent", "trend", "sparkline", "updated")


def _goal(services, goal_id: str, today: date):
    """The goal with its roll-up, its KPIs' rows, and the live goals by id (None: no such
    goal). An archived goal is rolled up over the KPIs that still name it."""
    rows = status.kpi_statuses(services.warehouse, services.calendar, today, goal=goal_id)
    goals = {g["id"]: g for g in status.goal_statuses(services.warehouse, services.calendar, today, kpis=rows)}
    goal = goals.get(goal_id)
    if goal is None and len(goal_id) <= 128:
        stored = catalog.get_goal(services.warehouse, goal_id)
        if stored is not None and stored["archived"]:
            goal = {**stored, **status.roll_up(row["status"] for row in rows), "kpi_total": len(rows)}
    return goal, rows, goals


def _title(goal_id: str | None = None) -> str:
    goal = catalog.get_goal(current_services().warehouse, goal_id) if goal_id and len(goal_id) <= 128 else None
    name = localized(goal, "title", current_language()) if goal else _("goal.not_found_title")
    return f"{name} · CityStat"


dash.register_page(__name__, path_template="/goal/<goal_id>", title=_title, access="viewer")


def _table(rows, goal, sort, today, language, services):
    return sorted_table(rows, language, services, columns=COLUMNS, prefix=P, sort=sort, as_of=today,
                        caption=_("scorecard.caption", name=localized(goal, "title", language)))


def _subgoals(goal, goals, language):
    children = [g for g in goals.values() if g["parent_id"] == goal["id"]]
    if not children:
        return None
    return html.Section([
        html.H2(_("goal.subgoals_heading"), id=P + "subgoals-heading"),
        html.Ul([html.Li([html.Div(dcc.Link(localized(child, "title", language), href=f"/goal/{child['id']}"),
                                   className="other-goal-title"),
                          roll_up_summary(child, child["kpi_total"], language)], className="other-goal")
                 for child in children], className="other-goals"),
    ], className="card", **{"aria-labelledby": P + "subgoals-heading"})


def _archived(goal, services, language: str):
    """What an archived goal's page says first: that it is archived, when and by whom."""
    if not goal.get("archived"):
        return None
    restore = dcc.Link(_("goals_page.restore_link"), href=f"/goals/manage?goal={goal['id']}") \
        if may_manage(current_scope()) else None
    return html.Div([html.Strong(_("goals_page.archived_heading")), " ",
                     archived_text(archive_note(services, goal["id"]), language), " ",
                     _("goals_page.archived_body"), " ", restore],
                    className="form-warning goal-archived", role="note")


def _edit_link(goal):
    if not may_manage(current_scope()):
        return None
    return dcc.Link(_("goals_page.edit"), href=f"/goals/manage?goal={goal['id']}", className="button small")


def _not_found(goal_id: str):
    return html.Div([
        html.H1(_("goal.not_found_title")),
        html.P(_("goal.not_found_body", goal_id=goal_id)),
        dcc.Link(_("kpi.back_to_overview"), href="/"),
    ], className="page-head not-found")


def layout(goal_id: str | None = None, **_query):
    if goal_id is None:
        return html.Div(empty_components(P))   # called without a goal only to check callbacks
    language, services, today = current_language(), current_services(), date.today()
    goal, rows, goals = _goal(services, goal_id, today)
    if goal is None:
        return _not_found(goal_id)
    parent = goals.get(goal["parent_id"]) if goal["parent_id"] else None
    crumbs = [dcc.Link(_("nav.overview"), href="/"), html.Span(" › ")]
    if parent:
        crumbs += [dcc.Link(localized(parent, "title", language), href=f"/goal/{parent['id']}"), html.Span(" › ")]
    description = localized(goal, "description", language)
    return html.Div([
        html.Nav(crumbs + [html.Span(localized(goal, "title", language), **{"aria-current": "page"})],
                 className="breadcrumb", **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([
            html.Div([html.H1(localized(goal, "title", language)),
                      html.Span(_("overview.mayoral_priority"), className="badge badge-priority")
                      if goal["mayoral_priority"] else None,
                      html.Span(_("goals_page.archived_badge"), className="badge badge-off")
                      if goal.get("archived") else None, _edit_link(goal)], className="goal-head"),
            _archived(goal, services, language),
            html.P(description, className="lede") if description else None,
            html.P(_("overview.owner", owner=goal["owner"]), className="muted small") if goal.get("owner") else None,
        ], className="page-head"),
        html.Section([html.H2(_("goal.rollup_heading"), id=P + "rollup-heading"),
                      roll_up_summary(goal, goal["kpi_total"], language)],
                     className="card", **{"aria-labelledby": P + "rollup-heading"}),
        _subgoals(goal, goals, language),
        *kpis_card(P, _table(rows, goal, DEFAULT_SORT, today, language, services) if rows else None,
                   language, DEFAULT_SORT, goal["id"]),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "table", "children"), Output(P + "sort", "data"),
              *sort_inputs(P), State(P + "sort", "data"), State(P + "id", "data"), prevent_initial_call=True)
    def sort_kpis(*values):
        # The heading clicked, the current sort and the goal all come from the browser:
        # chosen_sort allows only our headings, and the goal must exist.
        *clicks, current, goal_id = values
        sort = chosen_sort(P, tuple(clicks), current)
        if not isinstance(goal_id, str):
            raise PreventUpdate
        language, services, today = current_language(), current_services(), date.today()
        goal, rows, _goals = _goal(services, goal_id, today)
        if goal is None:
            raise PreventUpdate
        return _table(rows, goal, sort, today, language, services), sort
