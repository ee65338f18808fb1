"""Goals, for managers and administrators (issue #10): the goal tree, a form to create a goal
or edit the one chosen (nesting it under another), archiving and restoring with a
confirmation, and the chosen goal's version history.

Every rule is web.goals_write's, as for POST and PUT /api/v1/goals: the callbacks read the
form, call it, and show what it answers. The page keeps one small state, the goal being
edited and a counter, and redraws the tree, the form and the history from the warehouse
whenever that state changes.
"""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels
from dashboards.goals_parts import (P, archived_goals, archived_text, goal_tree, history_table, parent_options,
                                    title_of)
from dashboards.meeting_parts import clicked, field, message
from i18n import _, current_language, translate
from metrics import catalog
from web.auth import current_scope
from web.goals_write import (SORT_ORDER, TEXT_LIMITS, GoalWriteError, archive_note, create_goal, goal_history,
                             goal_record, may_manage, update_goal)
from web.rules import callback
from web.services import current_services

TEXTS = ("title", "title_es", "title_pt", "description", "description_es", "description_pt", "owner")
FORM = (*TEXTS, "parent", "priority", "order")


def _title() -> str:
    return f"{_('goals_manage.title')} · CityStat"


dash.register_page(__name__, path="/goals/manage", title=_title, order=31, access="manager")


def _input(name: str, *, wide: bool = False, hint: str | None = None, area: bool = False):
    control = (dcc.Textarea(id=P + name, className="text-input textarea short", maxLength=TEXT_LIMITS[name])
               if area else dcc.Input(id=P + name, type="text", className="text-input", maxLength=TEXT_LIMITS[name]))
    return field(_(f"goals_manage.field_{name}"), control, hint=hint, wide=wide)


def _form(language: str) -> html.Div:
    return html.Div([
        html.Div([
            _input("title", wide=True),
            field(_("goals_manage.field_id"), dcc.Input(id=P + "id", type="text", maxLength=128,
                                                        className="text-input"), hint=_("goals_manage.id_hint")),
            _input("owner", hint=_("goals_manage.owner_hint")),
            _input("description", wide=True, area=True),
            field(_("goals_manage.field_parent_id"),
                  dcc.Dropdown(id=P + "parent", options=[], clearable=True, placeholder=_("goals_manage.top_level"),
                               labels=dropdown_labels(language)), hint=_("goals_manage.parent_hint")),
            field(_("goals_manage.field_sort_order"),
                  dcc.Input(id=P + "order", type="number", step=1, min=SORT_ORDER[0], max=SORT_ORDER[1],
                            className="text-input narrow-control"), hint=_("goals_manage.order_hint")),
            html.Div(dcc.Checklist(id=P + "priority", options=[{"label": _("goals_manage.field_mayoral_priority"),
                                                                 "value": "yes"}], value=[],
                                   className="goals-priority"), className="field wide"),
        ], className="form-grid"),
        html.Details([
            html.Summary(_("goals_manage.other_languages")),
            html.Div([_input("title_es"), _input("title_pt"), _input("description_es", area=True),
                      _input("description_pt", area=True)], className="form-grid"),
        ], className="goals-languages"),
        html.Div([
            html.Button(_("goals_manage.create"), id=P + "save", n_clicks=0, type="button",
                        className="button primary"),
            html.Button(_("goals_manage.archive"), id=P + "archive", n_clicks=0, type="button",
                        className="button danger", hidden=True),
        ], className="button-row goals-buttons"),
    ])


def layout(goal: str | None = None, **_query):
    language = current_language()
    chosen = goal if isinstance(goal, str) and 0 < len(goal) <= 128 else None
    return html.Div([
        html.Div([html.H1(_("goals_manage.title")), html.P(_("goals_manage.lede"), className="lede")],
                 className="page-head"),
        dcc.Store(id=P + "state", data={"goal": chosen, "n": 0}),
        dcc.Store(id=P + "pending"),
        dcc.ConfirmDialog(id=P + "confirm", message=""),
        html.Div(id=P + "message", className="form-message", **{"aria-live": "polite"}),
        html.Div([
            html.Section([
                html.Div([html.H2(_("goals_manage.tree_heading"), id=P + "tree-heading"),
                          html.Button(_("goals_manage.new"), id=P + "new", n_clicks=0, type="button",
                                      className="button small")], className="card-head"),
                html.Div(id=P + "tree"),
                html.Div(id=P + "archived"),
            ], className="card goals-tree-card", **{"aria-labelledby": P + "tree-heading"}),
            html.Div([
                html.Section([
                    html.Div([html.H2(id=P + "form-heading"), html.Span(id=P + "open")], className="card-head"),
                    html.Div(id=P + "form-note"),
                    _form(language),
                ], className="card", **{"aria-labelledby": P + "form-heading"}),
                html.Section([
                    html.H2(_("goals_manage.history_heading"), id=P + "history-heading"),
                    html.Div(id=P + "history"),
                ], className="card", **{"aria-labelledby": P + "history-heading"}),
            ], className="goals-editor"),
        ], className="goals-manage-columns"),
    ])


# -- what the form shows --------------------------------------------------------------------------------
def _state(value) -> tuple[str | None, int]:
    """The goal chosen and the counter kept in the page: anything else from the browser is refused."""
    if not isinstance(value, dict) or not isinstance(value.get("n"), int):
        raise PreventUpdate
    goal = value.get("goal")
    if goal is not None and (not isinstance(goal, str) or not 0 < len(goal) <= 128):
        raise PreventUpdate
    return goal, value["n"]


def _shown(goal_id: str | None, language: str) -> tuple:
    """Every output of `show`, in order, for the goal `goal_id` (None: a new goal)."""
    services = current_services()
    goals = catalog.list_goals(services.warehouse, include_archived=True)
    goal = goal_record(services, goal_id) if goal_id else None
    chosen = goal["id"] if goal else None
    notes = {g["id"]: archive_note(services, g["id"]) for g in goals if g["archived"]}
    tree, archived = goal_tree(goals, chosen, language), archived_goals(goals, notes, chosen, language)
    options = parent_options(goals, chosen, language)
    if goal is None:
        note = message(translate("goals_page.not_found", language, goal_id=goal_id), False) if goal_id else \
            html.P(translate("goals_manage.new_note", language), className="muted")
        return (tree, archived, translate("goals_manage.new_heading", language), note, "", False,
                *([""] * len(TEXTS)), options, None, [], None, translate("goals_manage.create", language),
                True, translate("goals_manage.archive", language), "button danger", None,
                html.P(translate("goals_manage.history_new", language), className="muted"))
    note = html.Div([html.Strong(translate("goals_page.archived_heading", language)), " ",
                     archived_text({"at": goal["archived_at"], "by": goal["archived_by"]}
                                   if goal["archived_at"] else None, language), " ",
                     translate("goals_manage.archived_note", language)],
                    className="form-warning", role="note") if goal["archived"] else None
    link = dcc.Link(translate("goals_manage.open_page", language), href=f"/goal/{goal['id']}",
                    className="button small")
    by_id = {g["id"]: g for g in goals}
    return (tree, archived, translate("goals_manage.edit_heading", language, title=title_of(goal, language)), note,
            goal["id"], True, *[goal[name] or "" for name in TEXTS], options, goal["parent_id"],
            ["yes"] if goal["mayoral_priority"] else [], goal["sort_order"],
            translate("goals_manage.save", language), False,
            translate("goals_manage.restore" if goal["archived"] else "goals_manage.archive", language),
            "button" if goal["archived"] else "button danger", link,
            history_table(goal_history(services, goal["id"]) or [], by_id, language))


# -- what a person did ----------------------------------------------------------------------------------
def _pressed(kind: str) -> str | None:
    """The goal id of the `kind` button ("pick", "restore") a person really pressed; None for
    buttons that merely appeared (a redrawn list fires with no click)."""
    chosen = ctx.triggered_id
    if not isinstance(chosen, dict) or chosen.get("type") != P + kind or not isinstance(chosen.get("index"), str):
        return None
    for group in ctx.inputs_list:
        for item in group if isinstance(group, list) else [group]:
            if isinstance(item, dict) and item.get("id") == chosen and clicked(item.get("value")):
                return chosen["index"]
    return None


def _body(values: dict) -> dict:
    """The form as a goal body; the service checks every value."""
    body = {name: values[name] for name in TEXTS}
    body["parent_id"] = values["parent"]
    body["mayoral_priority"] = isinstance(values["priority"], list) and "yes" in values["priority"]
    if values["order"] is not None and values["order"] != "":
        body["sort_order"] = values["order"]
    return body


def _refusal(error: GoalWriteError, language: str) -> html.Div:
    problems = error.problem_texts(language)
    return html.Div([html.P(error.message(language)),
                     html.Ul([html.Li(p) for p in problems]) if problems else None],
                    className="form-error", role="alert")


def _save(goal_id: str | None, new_id, values: dict, n: int, language: str):
    services, scope = current_services(), current_scope()
    try:
        if goal_id is None:
            body = _body(values)
            if new_id:
                body["id"] = new_id
            goal = create_goal(services, scope, body)
            done = translate("goals_manage.created", language, title=title_of(goal, language))
        else:
            result = update_goal(services, scope, goal_id, _body(values))
            goal = result["goal"]
            done = translate("goals_manage.saved" if result["changed"] else "goals_manage.unchanged", language,
                             title=title_of(goal, language))
    except GoalWriteError as error:
        return _refusal(error, language), no_update
    return message(done, True), {"goal": goal["id"], "n": n + 1}


def _archive(pending, n: int, language: str):
    if not isinstance(pending, dict) or not isinstance(pending.get("goal"), str) or \
            not isinstance(pending.get("archived"), bool):
        raise PreventUpdate
    try:
        result = update_goal(current_services(), current_scope(), pending["goal"], {"archived": pending["archived"]})
    except GoalWriteError as error:
        return _refusal(error, language), no_update
    key = "goals_manage.archived_done" if pending["archived"] else "goals_manage.restored_done"
    return message(translate(key, language, title=title_of(result["goal"], language)), True), \
        {"goal": result["goal"]["id"], "n": n + 1}


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "manager", Output(P + "tree", "children"), Output(P + "archived", "children"),
              Output(P + "form-heading", "children"), Output(P + "form-note", "children"),
              Output(P + "id", "value"), Output(P + "id", "disabled"),
              *[Output(P + name, "value") for name in TEXTS], Output(P + "parent", "options"),
              Output(P + "parent", "value"), Output(P + "priority", "value"), Output(P + "order", "value"),
              Output(P + "save", "children"), Output(P + "archive", "hidden"), Output(P + "archive", "children"),
              Output(P + "archive", "className"),
              Output(P + "open", "children"), Output(P + "history", "children"),
              Input(P + "state", "data"))
    def show(state):
        if not may_manage(current_scope()):
            raise PreventUpdate
        goal_id, _n = _state(state)
        return _shown(goal_id, current_language())

    @callback(app, "manager", Output(P + "confirm", "displayed"), Output(P + "confirm", "message"),
              Output(P + "pending", "data"), Input(P + "archive", "n_clicks"),
              Input({"type": P + "restore", "index": ALL}, "n_clicks"), State(P + "state", "data"),
              prevent_initial_call=True)
    def ask(archive_clicks, _restore_clicks, state):
        if not may_manage(current_scope()):
            raise PreventUpdate
        goal_id = _pressed("restore")
        if goal_id is None and ctx.triggered_id == P + "archive" and clicked(archive_clicks):
            goal_id = _state(state)[0]
        goal = goal_record(current_services(), goal_id) if goal_id else None
        if goal is None:
            raise PreventUpdate
        language = current_language()
        key = "goals_manage.confirm_restore" if goal["archived"] else "goals_manage.confirm_archive"
        return True, translate(key, language, title=title_of(goal, language), kpis=goal["kpi_count"]), \
            {"goal": goal["id"], "archived": not goal["archived"]}

    @callback(app, "manager", Output(P + "message", "children"), Output(P + "state", "data"),
              Input({"type": P + "pick", "index": ALL}, "n_clicks"), Input(P + "new", "n_clicks"),
              Input(P + "save", "n_clicks"), Input(P + "confirm", "submit_n_clicks"),
              State(P + "id", "value"), *[State(P + name, "value") for name in FORM],
              State(P + "state", "data"), State(P + "pending", "data"), prevent_initial_call=True)
    def act(_picks, new_clicks, save_clicks, confirmed, new_id, *rest):
        # Which control fired decides; each path checks its own click and the service the rest.
        if not may_manage(current_scope()):
            raise PreventUpdate
        *values, state, pending = rest
        goal_id, n = _state(state)
        language, trigger = current_language(), ctx.triggered_id
        picked = _pressed("pick")
        if picked is not None:
            return "", {"goal": picked, "n": n + 1}
        if trigger == P + "new" and clicked(new_clicks):
            return "", {"goal": None, "n": n + 1}
        if trigger == P + "save" and clicked(save_clicks):
            return _save(goal_id, new_id if isinstance(new_id, str) else None, dict(zip(FORM, values)), n, language)
        if trigger == P + "confirm" and clicked(confirmed):
            return _archive(pending, n, language)
        raise PreventUpdate
