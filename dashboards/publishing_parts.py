"""Pieces of the publishing page: the goals nested as the city set them up, each with its
KPIs in a table, and a "Published" switch per goal and per KPI.

A switch is a button with role="switch" and aria-checked, a pattern screen readers
announce as "Published, switch, on"; Dash's own checklist would be read as a list box.
"""
from __future__ import annotations

from collections import defaultdict

from dash import dcc, html

from dashboards.components import kpi_name, status_badge
from i18n import _, format_number, localized

P = "publishing-"


def switch(element_id, on: bool, label: str, item_name: str = "") -> html.Button:
    """A labelled on/off switch. With `item_name`, a screen reader hears "Published: Homicides"
    where the eye reads "Published" in the row of Homicides."""
    extra = {"aria-label": f"{label}: {item_name}"} if item_name else {}
    return html.Button([
        html.Span(html.Span("✓", className="switch-tick"), className="switch-track", **{"aria-hidden": "true"}),
        html.Span(label, className="switch-label"),
    ], id=element_id, type="button", role="switch", n_clicks=0, className="switch",
        **{"aria-checked": "true" if on else "false"}, **extra)


def _public(kind: str, item_id: str) -> html.Span:
    """The public page's link and "Staff only", both: the stylesheet shows the one that
    matches the row's switch, so the row reads right as soon as the switch moves."""
    path = "kpis" if kind == "kpi" else "goals"
    return html.Span([
        html.A([_("publishing_page.public_link"), html.Span(" ↗", **{"aria-hidden": "true"})],
               href=f"/public/{path}/{item_id}", className="small when-published"),
        html.Span(_("publishing_page.staff_only"), className="muted small when-unpublished"),
    ], className="publishing-public")


def _kpi_table(kpis, goal_label: str, departments: dict[str, str], language: str) -> html.Table:
    rows = [html.Tr([
        html.Th(dcc.Link(kpi_name(k, language), href=f"/kpi/{k['id']}"), scope="row"),
        html.Td(departments.get(k["department_id"], k["department_id"] or "–")),
        html.Td(status_badge(k["status"], language)),
        html.Td(switch({"type": P + "kpi", "index": k["id"]}, k["published"], _("publishing_page.published_label"),
                       kpi_name(k, language))),
        html.Td(_public("kpi", k["id"])),
    ], className="publishing-row") for k in kpis]
    return html.Table([
        html.Caption(_("publishing_page.kpis_caption", goal=goal_label), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(_(f"publishing_page.col_{c}"), scope="col")
                            for c in ("kpi", "department", "status", "published", "public")])),
        html.Tbody(rows),
    ], className="kpi-table publishing-table")


def _goal_block(goal, level: int, kpis_of, children_of, shown, departments, language: str):
    title = localized(goal, "title", language) or goal["id"]
    heading_id = f"{P}goal-{goal['id']}"
    heading = (html.H2 if level == 0 else html.H3)(dcc.Link(title, href=f"/goal/{goal['id']}"), id=heading_id)
    head = html.Div([
        html.Div([heading, html.Span(_("overview.mayoral_priority"), className="badge badge-priority")
                  if goal["mayoral_priority"] else None], className="goal-head"),
        html.Div([switch({"type": P + "goal", "index": goal["id"]}, goal["published"],
                         _("publishing_page.goal_published_label"), title),
                  _public("goal", goal["id"])], className="publishing-goal-switch publishing-row"),
    ], className="goal-head publishing-goal-head")
    parts = [head]
    if kpis_of.get(goal["id"]):
        parts.append(html.Div(_kpi_table(kpis_of[goal["id"]], title, departments, language), className="table-wrap"))
    for child in children_of.get(goal["id"], []):
        if child["id"] in shown:
            parts.append(_goal_block(child, level + 1, kpis_of, children_of, shown, departments, language))
    if level == 0:
        return html.Section(parts, className="card publishing-goal", **{"aria-labelledby": heading_id})
    return html.Div(parts, className="publishing-subgoal", role="group", **{"aria-labelledby": heading_id})


def _visible_goals(goals, kpis_of, children_of, department, unpublished_only) -> set[str]:
    """Goals to show: those holding a KPI that passes the filters (or a sub-goal that
    does) and, without a department filter, the goals that are themselves a match."""
    shown: set[str] = set()

    def visit(goal) -> bool:
        inside = [visit(child) for child in children_of.get(goal["id"], [])]
        keep = bool(kpis_of.get(goal["id"])) or any(inside) or \
            (department is None and (not unpublished_only or not goal["published"]))
        if keep:
            shown.add(goal["id"])
        return keep

    for goal in goals:
        if goal["parent_id"] is None:
            visit(goal)
    return shown


def publishing_list(catalogue, departments: dict[str, str], department: str | None, unpublished_only: bool,
                    language: str):
    """Goals nested as the city set them up, each followed by its KPIs that pass the filters;
    KPIs under no goal last. `departments` maps ids to names in `language`."""
    goal_ids = {g["id"] for g in catalogue["goals"]}
    goals = [{**g, "parent_id": g["parent_id"] if g["parent_id"] in goal_ids else None} for g in catalogue["goals"]]
    children_of = defaultdict(list)
    for goal in goals:
        if goal["parent_id"]:
            children_of[goal["parent_id"]].append(goal)
    kpis_of = defaultdict(list)
    for kpi in sorted(catalogue["kpis"], key=lambda k: kpi_name(k, language).casefold()):
        if (department is None or kpi["department_id"] == department) and not (unpublished_only and kpi["published"]):
            kpis_of[kpi["goal_id"] if kpi["goal_id"] in goal_ids else None].append(kpi)
    shown = _visible_goals(goals, kpis_of, children_of, department, unpublished_only)
    blocks = [_goal_block(g, 0, kpis_of, children_of, shown, departments, language)
              for g in goals if g["parent_id"] is None and g["id"] in shown]
    if kpis_of.get(None):
        blocks.append(html.Section([
            html.H2(_("publishing_page.no_goal_heading"), id=P + "no-goal"),
            html.Div(_kpi_table(kpis_of[None], _("publishing_page.no_goal_heading"), departments, language),
                     className="table-wrap"),
        ], className="card publishing-goal", **{"aria-labelledby": P + "no-goal"}))
    return blocks or html.P(_("publishing_page.empty"), className="empty card")


def counts(catalogue, departments: dict[str, str], department: str | None, language: str) -> list:
    """"31 of 102 KPIs published · 11 of 11 goals published", and the chosen department's share."""
    def share(items):
        return {"published": format_number(sum(1 for i in items if i["published"]), language),
                "total": format_number(len(items), language)}

    parts = [_("publishing_page.kpi_count", **share(catalogue["kpis"])), " · ",
             _("publishing_page.goal_count", **share(catalogue["goals"]))]
    if department is not None:
        mine = [k for k in catalogue["kpis"] if k["department_id"] == department]
        parts += [html.Br(), html.Span(_("publishing_page.department_count",
                                         department=departments.get(department, department), **share(mine)),
                                       className="muted")]
    return parts


def flags(catalogue) -> dict[str, dict[str, bool]]:
    """What the warehouse holds, for the switches on the page: {"kpi": {id: bool}, "goal": ...}."""
    return {kind: {item["id"]: bool(item["published"]) for item in catalogue[kind + "s"]} for kind in ("kpi", "goal")}


def message(text: str, ok: bool) -> html.Div:
    return html.Div(text, className="form-ok" if ok else "form-error", role="status" if ok else "alert")
