"""The city overview, the mayor's view: the mayoral priorities with their roll-up, the other
goals, what changed since last month, and every KPI in a list that the server filters by
department, goal, status and a name search.

One status query per render: today and a month ago are evaluated together
(kpi_statuses with compare_with), and the roll-ups, changes and list all come from it.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import dash
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.components import department_name, dropdown_labels, kpi_name, status_badge, table_region
from dashboards.scorecard import DEFAULT_SORT, SEVERITY, folded, kpi_table, roll_up_summary, sort_rows
from i18n import _, current_language, format_day, format_number, localized
from metrics import catalog, status
from web.rules import callback
from web.services import current_services

P = "overview-"
LIST_COLUMNS = ("name", "department", "status", "value", "target", "trend", "updated")
LIST_LIMIT = 50         # rows in the KPI list at first; the filters narrow it, "show all" lifts it
ALL_LIMIT = 1000        # ... to this many
CHANGES_SHOWN = 8       # changes in view; the next ones behind "show more"
CHANGES_LIMIT = 30
SEARCH_MAX = 100


def _title() -> str:
    return f"{_('overview.title')} · CityStat"


dash.register_page(__name__, path="/", title=_title, order=0, access="viewer")


def _goal_link(goal, language: str):
    return dcc.Link(localized(goal, "title", language), href=f"/goal/{goal['id']}")


# -- goals -----------------------------------------------------------------------------------------
def _subgoal_line(subgoals, language: str):
    if not subgoals:
        return None
    links = []
    for goal in subgoals:
        links += [", " if links else "", _goal_link(goal, language)]
    return html.P([_("overview.includes"), " ", *links], className="small subgoal-line")


def _priority_card(goal, subgoals, language: str) -> html.Section:
    heading = f"{P}goal-{goal['id']}"
    return html.Section([
        html.Div([html.H3(_goal_link(goal, language), id=heading),
                  html.Span(_("overview.mayoral_priority"), className="badge badge-priority")],
                 className="goal-head"),
        roll_up_summary(goal, goal["kpi_total"], language),
        html.P(_("overview.owner", owner=goal["owner"]), className="muted small") if goal.get("owner") else None,
        _subgoal_line(subgoals, language),
    ], className="card goal-card", **{"aria-labelledby": heading})


def _goal_sections(goals, language: str):
    """Priority goals as cards, then the other top-level goals as a list."""
    children = defaultdict(list)
    for goal in goals:
        if goal["parent_id"]:
            children[goal["parent_id"]].append(goal)
    priorities = [g for g in goals if g["mayoral_priority"]]
    others = [g for g in goals if not g["mayoral_priority"] and not g["parent_id"]]
    sections = [html.Section([
        html.H2(_("overview.priorities_heading"), id=P + "priorities"),
        html.Div([_priority_card(g, children.get(g["id"], []), language) for g in priorities],
                 className="goal-grid"),
    ], **{"aria-labelledby": P + "priorities"})]
    if others:
        sections.append(html.Section([
            html.H2(_("overview.other_goals_heading"), id=P + "other-goals"),
            html.Ul([html.Li([html.Div(_goal_link(g, language), className="other-goal-title"),
                              roll_up_summary(g, g["kpi_total"], language),
                              _subgoal_line(children.get(g["id"], []), language)], className="other-goal")
                     for g in others], className="other-goals"),
        ], className="card", **{"aria-labelledby": P + "other-goals"}))
    return sections


# -- what changed ----------------------------------------------------------------------------------
def _change_item(change, language: str) -> html.Li:
    return html.Li([
        html.Div([dcc.Link(kpi_name(change, language), href=f"/kpi/{change['id']}", className="change-kpi"),
                  html.Span([" · ", dcc.Link(department_name(change, language),
                                             href=f"/department/{change['department_id']}")],
                            className="muted small") if change.get("department_id") else None]),
        html.Div([
            html.Span(_("overview.change_from"), className="visually-hidden"),
            status_badge(change["previous_status"], language),
            html.Span(" → ", className="change-arrow", **{"aria-hidden": "true"}),
            html.Span(_("overview.change_to"), className="visually-hidden"),
            status_badge(change["status"], language),
        ], className="change-move"),
    ], className="change")


def _changes(rows, before: date, today: date, language: str) -> html.Section:
    changes = status.changes_since(rows)
    worse = sum(1 for c in changes if SEVERITY[c["status"]] < SEVERITY[c["previous_status"]])
    parts = [html.H2(_("overview.changes_heading"), id=P + "changes-heading"),
             html.P(_("overview.changes_lede", before=format_day(before, language), today=format_day(today, language)),
                    className="muted small card-lede")]
    if not changes:
        parts.append(html.P(_("overview.changes_none"), className="empty"))
    else:
        parts.append(html.P(_("overview.changes_summary", worse=format_number(worse, language),
                              better=format_number(len(changes) - worse, language)), className="changes-summary"))
        parts.append(html.Ol([_change_item(c, language) for c in changes[:CHANGES_SHOWN]], className="change-list"))
        more = changes[CHANGES_SHOWN:CHANGES_LIMIT]
        if more:
            parts.append(html.Details([
                html.Summary(_("overview.changes_more", count=format_number(len(more), language))),
                html.Ol([_change_item(c, language) for c in more], className="change-list",
                        start=CHANGES_SHOWN + 1),
            ], className="changes-more"))
        if len(changes) > CHANGES_LIMIT:
            parts.append(html.P(_("overview.changes_cut", count=format_number(len(changes) - CHANGES_LIMIT, language)),
                                className="muted small"))
    return html.Section(parts, className="card", id=P + "changes", **{"aria-labelledby": P + "changes-heading"})


# -- the KPI list ----------------------------------------------------------------------------------
def _tiles(rows, today: date, language: str) -> html.Dl:
    counts = defaultdict(int)
    for row in rows:
        counts[row["status"]] += 1
    tiles = [(_("overview.tile_kpis"), format_number(len(rows), language))]
    tiles += [(_(f"status.{s}"), format_number(counts[s], language)) for s in ("on_track", "at_risk", "off_track")]
    tiles += [(_("status.stale"), format_number(sum(1 for r in rows if r["stale"]), language)),
              (_("overview.tile_as_of"), format_day(today, language))]
    return html.Dl([html.Div([html.Dt(label), html.Dd(value)], className="tile") for label, value in tiles],
                   className="tiles overview-tiles")


def matching(rows, language: str, status_word: str | None = None, search: str | None = None):
    """Rows with that status and whose name, in `language`, contains `search` (case and
    accents aside)."""
    needle = folded(search.strip()) if search else ""
    return [row for row in rows if (status_word is None or row["status"] == status_word)
            and (not needle or needle in folded(kpi_name(row, language)))]


def kpi_list(rows, language: str, services, limit: int = LIST_LIMIT):
    """The count, then the KPIs worst status first, at most `limit` of them."""
    if not rows:
        return html.P(_("overview.empty"), className="empty")
    shown = sort_rows(rows, DEFAULT_SORT, language)[:limit]
    count = [_("overview.list_count", count=format_number(len(rows), language))]
    if len(rows) > limit:
        count += [" ", _("overview.list_capped", shown=format_number(limit, language))]
    return [html.P(count, className="muted small list-count", role="status"),
            table_region(kpi_table(shown, language, services, columns=LIST_COLUMNS,
                                   caption=_("overview.list_heading")), _("overview.list_heading"))]


def _field(label: str, control, target: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=target), control], className="field")


def _filters(departments, goals, language: str) -> html.Div:
    return html.Div([
        _field(_("overview.filter_department"),
               dcc.Dropdown(id=P + "department", placeholder=_("overview.all_departments"), clearable=True,
                            labels=dropdown_labels(language),
                            options=[{"label": localized(d, "name", language), "value": d["id"]} for d in departments]),
               P + "department"),
        _field(_("overview.filter_goal"),
               dcc.Dropdown(id=P + "goal", placeholder=_("overview.all_goals"), clearable=True,
                            labels=dropdown_labels(language),
                            options=[{"label": ("— " if g["parent_id"] else "") + localized(g, "title", language),
                                      "value": g["id"]} for g in goals]),
               P + "goal"),
        _field(_("overview.filter_status"),
               dcc.Dropdown(id=P + "status", placeholder=_("overview.all_statuses"), clearable=True, searchable=False,
                            labels=dropdown_labels(language),
                            options=[{"label": _(f"status.{s}"), "value": s} for s in status.STATUSES]),
               P + "status"),
        _field(_("overview.search"),
               dcc.Input(id=P + "search", type="search", value="", debounce=0.4, maxLength=SEARCH_MAX,
                         placeholder=_("overview.search_placeholder"), className="text-input", autoComplete="off"),
               P + "search"),
    ], className="form-grid filter-grid overview-filters")


def _goals_in_order(goals):
    """Top-level goals each followed by its sub-goals, for the goal filter."""
    children = defaultdict(list)
    for goal in goals:
        if goal["parent_id"]:
            children[goal["parent_id"]].append(goal)
    ordered = []
    for goal in goals:
        if not goal["parent_id"]:
            ordered += [goal, *children.get(goal["id"], [])]
    return ordered


def layout(**_query):
    language = current_language()
    services = current_services()
    today = date.today()
    before = status.one_month_before(today)
    rows = status.kpi_statuses(services.warehouse, services.calendar, today, compare_with=before)
    goals = status.goal_statuses(services.warehouse, services.calendar, today, kpis=rows)
    return html.Div([
        html.Div([html.H1(_("overview.title")), html.P(_("overview.lede"), className="lede")], className="page-head"),
        _tiles(rows, today, language),
        *_goal_sections(goals, language),
        _changes(rows, before, today, language),
        html.Section([
            html.H2(_("overview.list_heading"), id=P + "list-heading"),
            _filters(catalog.list_departments(services.warehouse), _goals_in_order(goals), language),
            dcc.Loading(html.Div(kpi_list(rows, language, services), id=P + "kpis"), type="dot"),
            html.Button(_("overview.show_all"), id=P + "show-all", n_clicks=0, type="button",
                        className="button show-all", hidden=len(rows) <= LIST_LIMIT),
        ], className="card", **{"aria-labelledby": P + "list-heading"}),
    ])


def _checked_filters(department, goal, status_word, search, show_all):
    """The filters the browser sent, each checked; PreventUpdate for anything else."""
    services = current_services()
    if department is not None and (not isinstance(department, str) or department not in
                                   {d["id"] for d in catalog.list_departments(services.warehouse)}):
        raise PreventUpdate
    if goal is not None and (not isinstance(goal, str) or goal not in
                             {g["id"] for g in catalog.list_goals(services.warehouse)}):
        raise PreventUpdate
    if status_word is not None and status_word not in status.STATUSES:
        raise PreventUpdate
    if search is not None and (not isinstance(search, str) or len(search) > SEARCH_MAX):
        raise PreventUpdate
    if show_all is not None and (not isinstance(show_all, int) or isinstance(show_all, bool) or show_all < 0):
        raise PreventUpdate
    return department, goal, status_word, search, bool(show_all)


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "kpis", "children"), Output(P + "show-all", "hidden"),
              Input(P + "department", "value"), Input(P + "goal", "value"), Input(P + "status", "value"),
              Input(P + "search", "value"), Input(P + "show-all", "n_clicks"), prevent_initial_call=True)
    def filter_kpis(department, goal, status_word, search, show_all):
        # Every value comes from the browser: known ids and words only, search text bounded.
        department, goal, status_word, search, show_all = _checked_filters(department, goal, status_word, search,
                                                                           show_all)
        services, language = current_services(), current_language()
        rows = status.kpi_statuses(services.warehouse, services.calendar, date.today(),
                                   department=department, goal=goal)
        found = matching(rows, language, status_word, search)
        limit = ALL_LIMIT if show_all else LIST_LIMIT
        return kpi_list(found, language, services, limit), len(found) <= limit
