"""Pieces of the goals page (dashboards/goals_manage.py) and of a goal's page: the goal tree,
the archived goals, the parent choices, a goal's version history, and when a goal was
archived. Rendering only: what may change is web.goals_write's to decide."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from babel.dates import format_date, format_time
from dash import dcc, html

from dashboards.components import table_region
from i18n import LOCALES, localized, translate
from web.goals_write import descendants

P = "goals-manage-"
MAX_VALUE_CHARS = 160


def moment_text(moment: datetime | None, language: str) -> str:
    if moment is None:
        return "–"
    locale = LOCALES[language]
    return f"{format_date(moment, 'medium', locale=locale)} {format_time(moment, 'short', locale=locale)}"


def archived_text(note: dict[str, Any] | None, language: str) -> str:
    """"Archived on 3 Nov 2026 by manager." (or that it is not recorded when)."""
    if note is None:
        return translate("goals_page.archived_unknown", language)
    return translate("goals_page.archived_when", language, when=moment_text(note["at"], language), who=note["by"])


def title_of(goal: dict[str, Any], language: str) -> str:
    return localized(goal, "title", language) or goal["id"]


def in_tree_order(goals: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """(goal, depth) with each goal followed by its sub-goals, in the list's own order; a goal
    whose parent is not in the list stands at the top level."""
    ids = {g["id"] for g in goals}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for goal in goals:
        parent = goal["parent_id"] if goal["parent_id"] in ids else None
        children.setdefault(parent, []).append(goal)
    ordered: list[tuple[dict[str, Any], int]] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for goal in children.get(parent, []):
            if goal["id"] not in seen:
                seen.add(goal["id"])
                ordered.append((goal, depth))
                walk(goal["id"], depth + 1)
    walk(None, 0)
    return ordered


def parent_options(goals: list[dict[str, Any]], selected: str | None, language: str) -> list[dict[str, str]]:
    """Live goals a goal may sit under: not itself, none of its sub-goals (the service checks
    again), each named by its title and then the goals above it ("Vision Zero ‹ Reliable
    Streets"), so that a long path cut short in the list still shows the goal itself."""
    live = [g for g in goals if not g["archived"]]
    barred = ({selected} | descendants(goals, selected)) if selected else set()
    by_id = {g["id"]: g for g in live}
    options = []
    for goal, _depth in in_tree_order(live):
        if goal["id"] in barred:
            continue
        path, current, seen = [title_of(goal, language)], goal["parent_id"], {goal["id"]}
        while current in by_id and current not in seen:
            seen.add(current)
            path.append(title_of(by_id[current], language))
            current = by_id[current]["parent_id"]
        options.append({"label": " ‹ ".join(path), "value": goal["id"]})
    return options


def _pick(goal: dict[str, Any], selected: str | None, language: str) -> html.Button:
    return html.Button(title_of(goal, language), id={"type": P + "pick", "index": goal["id"]}, n_clicks=0,
                       type="button", className="link-button goals-pick",
                       **{"aria-current": "true" if goal["id"] == selected else None,
                          "aria-label": translate("goals_manage.edit_label", language,
                                                  title=title_of(goal, language))})


def _open_link(goal: dict[str, Any], language: str) -> dcc.Link:
    # dcc.Link takes no aria-label: the goal's title is said to screen readers after the link's words.
    return dcc.Link([translate("goals_manage.open_page", language),
                     html.Span(translate("goals_manage.open_label", language, title=title_of(goal, language)),
                               className="visually-hidden")], href=f"/goal/{goal['id']}", className="small")


def goal_tree(goals: list[dict[str, Any]], selected: str | None, language: str):
    """Live goals, sub-goals indented under their parent, each a button that opens it for editing."""
    live = [g for g in goals if not g["archived"]]
    if not live:
        return html.P(translate("goals_manage.no_goals", language), className="empty")
    items = []
    for goal, depth in in_tree_order(live):
        badges = [html.Span(translate("overview.mayoral_priority", language), className="badge badge-priority")
                  if goal["mayoral_priority"] else None,
                  html.Span(translate("goals_manage.published", language), className="badge badge-ok")
                  if goal["published"] else None]
        items.append(html.Li([
            html.Div([_pick(goal, selected, language), *filter(None, badges)], className="goals-tree-title"),
            html.Div([html.Span(translate("goals_manage.kpi_count", language, count=goal["kpi_count"]),
                                className="muted small"), _open_link(goal, language)], className="goals-tree-facts"),
        ], className=f"goals-tree-item depth-{min(depth, 4)}" + (" selected" if goal["id"] == selected else "")))
    return html.Ul(items, className="goals-tree")


def archived_goals(goals: list[dict[str, Any]], notes: dict[str, dict | None], selected: str | None,
                   language: str):
    """The archived goals, collapsed: when and by whom each was archived, and Restore."""
    archived = [g for g in goals if g["archived"]]
    if not archived:
        return None
    items = [html.Li([
        html.Div(_pick(goal, selected, language), className="goals-tree-title"),
        html.P(archived_text(notes.get(goal["id"]), language), className="muted small"),
        html.Div([html.Button(translate("goals_manage.restore", language), type="button", n_clicks=0,
                              id={"type": P + "restore", "index": goal["id"]}, className="button small",
                              **{"aria-label": translate("goals_manage.restore_label", language,
                                                         title=title_of(goal, language))}),
                  _open_link(goal, language)], className="goals-tree-facts"),
    ], className="goals-tree-item" + (" selected" if goal["id"] == selected else "")) for goal in archived]
    return html.Details([
        html.Summary(translate("goals_manage.archived_heading", language, count=len(archived))),
        html.Ul(items, className="goals-tree goals-archived-list"),
    ], className="goals-archived", open=any(g["id"] == selected for g in archived))


# -- a goal's versions ----------------------------------------------------------------------------------
def _value(field: str, value, goals_by_id: dict[str, dict], language: str) -> str:
    if value is None or value == "":
        return translate("goals_manage.empty_value", language)
    if isinstance(value, bool):
        return translate("goals_manage.yes" if value else "goals_manage.no", language)
    if field == "parent_id" and value in goals_by_id:
        return title_of(goals_by_id[value], language)
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


def _changes(changes: dict[str, dict], goals_by_id: dict[str, dict], language: str) -> html.Ul:
    return html.Ul([html.Li([
        html.Span(translate(f"goals_manage.field_{field}", language), className="goals-change-field"), " ",
        html.Span(_value(field, change.get("old"), goals_by_id, language), className="goals-old"),
        html.Span(" → ", **{"aria-hidden": "true"}),
        html.Span(translate("goals_manage.changed_to", language), className="visually-hidden"),
        html.Span(_value(field, change.get("new"), goals_by_id, language), className="goals-new"),
    ]) for field, change in changes.items()], className="goals-changes")


def history_table(history: Iterable[dict[str, Any]], goals_by_id: dict[str, dict], language: str):
    """Who changed what, when, old -> new, newest first."""
    history = list(history)
    if not history:
        return html.P(translate("goals_manage.no_history", language), className="empty")
    rows = [html.Tr([
        html.Th(f"#{version['version']}", scope="row", className="num"),
        html.Td(moment_text(version["changed_at"], language), className="nowrap"),
        html.Td(version["changed_by"], className="mono"),
        html.Td(translate(f"goals_manage.action_{version['action']}", language)),
        html.Td(_changes(version["changes"], goals_by_id, language)),
    ]) for version in history]
    heads = ("version", "when", "who", "action", "changes")
    table = html.Table([
        html.Caption(translate("goals_manage.history_caption", language), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(translate(f"goals_manage.col_{h}", language), scope="col",
                                    className="num" if h == "version" else None) for h in heads])),
        html.Tbody(rows),
    ], className="kpi-table history-table goals-history")
    return table_region(table, translate("goals_manage.history_heading", language))
