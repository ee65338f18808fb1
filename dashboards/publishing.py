"""Publishing, for managers and administrators: every goal (with its sub-goals) and under it
its KPIs, each with a "Published" switch. Pressing one calls web.publishing.set_published,
which checks the person again and audits the change; the switches then show what the
warehouse holds.

The layout holds no goals or KPIs: a callback fills them in, so nothing reaches a browser
before the guard and the callback have both checked the person. The list is drawn once per
filter: a change redraws nothing (a keyboard user keeps the focus), a small script in the
browser sets each switch to what the server answered instead.
"""
from __future__ import annotations

import time
from datetime import date

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels
from dashboards.publishing_parts import P, counts, flags, message, publishing_list, switch
from i18n import _, current_language, localized
from metrics import catalog
from web.auth import current_scope
from web.publishing import PublishingError, may_publish, publishing_catalogue, set_published
from web.rules import CALLBACK_RULES, callback
from web.services import current_services

KINDS = {P + "kpi": "kpi", P + "goal": "goal"}


def _title() -> str:
    return f"{_('publishing_page.title')} · CityStat"


dash.register_page(__name__, path="/publishing", title=_title, order=30, access="manager")


def _about() -> html.Section:
    return html.Section([
        html.H2(_("publishing_page.about_heading"), id=P + "about-heading"),
        html.Ul([html.Li(_("publishing_page.about_kpi")), html.Li(_("publishing_page.about_goal")),
                 html.Li(_("publishing_page.about_withdraw"))], className="publishing-about"),
        html.P([_("publishing_page.where"), " ",
                html.A(_("publishing_page.public_site"), href="/public"),
                html.Span(" (/public) · ", className="muted"),
                html.A(_("publishing_page.open_data"), href="/api/v1/kpis"),
                html.Span(" (/api/v1)", className="muted")], className="small"),
    ], className="card", **{"aria-labelledby": P + "about-heading"})


def _department_names(language: str) -> dict[str, str]:
    return {d["id"]: localized(d, "name", language) or d["id"]
            for d in catalog.list_departments(current_services().warehouse)}


def layout(**_query):
    names = _department_names(current_language())
    return html.Div([
        html.Div([html.H1(_("publishing_page.title")), html.P(_("publishing_page.lede"), className="lede")],
                 className="page-head"),
        _about(),
        dcc.Store(id=P + "saved"),
        html.Section([
            html.Div([
                html.Div([html.Label(_("publishing_page.filter_department"), htmlFor=P + "department"),
                          dcc.Dropdown(id=P + "department", placeholder=_("publishing_page.all_departments"),
                                       labels=dropdown_labels(current_language()),
                                       options=[{"label": name, "value": key} for key, name in
                                                sorted(names.items(), key=lambda item: item[1])])],
                         className="field"),
                html.Div(switch(P + "unpublished-only", False, _("publishing_page.unpublished_only")),
                         className="field publishing-only"),
            ], className="form-grid filter-grid publishing-filters"),
            html.P(id=P + "counts", className="publishing-counts", role="status"),
        ], className="card publishing-controls"),
        html.Div(id=P + "list"),
        # Pinned to the bottom of the window: the switch pressed may be far down the page.
        html.Div(id=P + "message", className="publishing-toast", **{"aria-live": "polite"}),
    ])


# -- checks: every value comes from the browser and may be anything --------------------------------
def _manager():
    """PreventUpdate for anyone who may not publish. The guard already refused them and
    set_published checks again: this keeps the page from even reading for them."""
    if not may_publish(current_scope()):
        raise PreventUpdate


def _department(value) -> str | None:
    if value is not None and (not isinstance(value, str) or value not in _department_names("en")):
        raise PreventUpdate
    return value


def _pressed() -> tuple[str, str, bool] | None:
    """(kind, id, published wanted) for the switch a person really pressed: its click count
    went up and the browser says how it showed; None for anything else (a list that merely
    appeared sends counts of 0)."""
    chosen = ctx.triggered_id
    if not isinstance(chosen, dict) or chosen.get("type") not in KINDS or not isinstance(chosen.get("index"), str):
        return None
    group = 0 if chosen["type"] == P + "kpi" else 1

    def value_of(lists):
        items = lists[group] if isinstance(lists, list) and len(lists) > group else None
        if not isinstance(items, list):
            return None
        return next((i.get("value") for i in items if isinstance(i, dict) and i.get("id") == chosen), None)
    clicks, shown = value_of(ctx.inputs_list), value_of(ctx.states_list)
    if not isinstance(clicks, int) or isinstance(clicks, bool) or clicks < 1 or shown not in ("true", "false"):
        return None
    return KINDS[chosen["type"]], chosen["index"], shown == "false"


def _done_text(catalogue, kind: str, done: dict, language: str) -> str:
    item = next((i for i in catalogue[kind + "s"] if i["id"] == done["id"]), {})
    name = localized(item, "name" if kind == "kpi" else "title", language) or done["title"]
    return _(f"publishing_page.{'published' if done['published'] else 'withdrew'}_{kind}", name=name)


# Browser-side only: set every switch on the page to what the server answered, and flip
# the filter switch. Neither reads or sends anything.
_SHOW_SAVED = """
function(saved) {
    var context = window.dash_clientside.callback_context, skip = window.dash_clientside.no_update;
    function states(outputs, known) {
        return outputs.map(function (o) {
            return known && Object.prototype.hasOwnProperty.call(known, o.id.index) ? String(known[o.id.index]) : skip;
        });
    }
    saved = saved || {};
    return [states(context.outputs_list[0], saved.kpi), states(context.outputs_list[1], saved.goal)];
}
"""
_FLIP = "function(clicks) { return clicks % 2 === 1 ? 'true' : 'false'; }"


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "manager", Output(P + "list", "children"),
              Input(P + "department", "value"), Input(P + "unpublished-only", "aria-checked"))
    def show(department, unpublished_only):
        _manager()
        department = _department(department)
        language = current_language()
        catalogue = publishing_catalogue(current_services(), date.today())
        return publishing_list(catalogue, _department_names(language), department, unpublished_only == "true",
                               language)

    @callback(app, "manager", Output(P + "counts", "children"),
              Input(P + "saved", "data"), Input(P + "department", "value"))
    def count(_saved, department):
        _manager()
        department = _department(department)
        language = current_language()
        return counts(publishing_catalogue(current_services(), date.today()), _department_names(language),
                      department, language)

    @callback(app, "manager", Output(P + "message", "children"), Output(P + "saved", "data"),
              Input({"type": P + "kpi", "index": ALL}, "n_clicks"),
              Input({"type": P + "goal", "index": ALL}, "n_clicks"),
              State({"type": P + "kpi", "index": ALL}, "aria-checked"),
              State({"type": P + "goal", "index": ALL}, "aria-checked"), prevent_initial_call=True)
    def toggle(_kpi_clicks, _goal_clicks, _kpis_shown, _goals_shown):
        scope = current_scope()   # set_published decides who may publish; the page only asks
        pressed = _pressed()
        if pressed is None:
            raise PreventUpdate
        kind, item_id, published = pressed
        services, language = current_services(), current_language()
        try:
            done = set_published(services, scope, kind, item_id, published)
        except PublishingError as error:
            if not may_publish(scope):   # refused: the reason, and nothing of the city's
                return message(error.message(language), False), no_update
            text, done = error.message(language), None
        catalogue = publishing_catalogue(services, date.today())
        if done is not None:
            text = _done_text(catalogue, kind, done, language)
        # The moment makes every answer new, so the switches and counts follow even a repeat.
        return message(text, done is not None), {**flags(catalogue), "at": time.time()}

    before = set(app.callback_map)
    app.clientside_callback(_SHOW_SAVED, Output({"type": P + "kpi", "index": ALL}, "aria-checked"),
                            Output({"type": P + "goal", "index": ALL}, "aria-checked"),
                            Input(P + "saved", "data"), prevent_initial_call=True)
    app.clientside_callback(_FLIP, Output(P + "unpublished-only", "aria-checked"),
                            Input(P + "unpublished-only", "n_clicks"), prevent_initial_call=True)
    # Never reach the server, but the app refuses to start with any callback undeclared.
    app.server.extensions.setdefault(CALLBACK_RULES, {}).update({k: "manager" for k in set(app.callback_map) - before})
