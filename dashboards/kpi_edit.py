"""The KPI editor (issue #10): every field of a KPI's definition in one form, grouped as a
reader thinks of them (identity; how it is measured; ownership and source; publication;
other languages, folded), Save, Archive or Restore with a confirmation, and the history of
every change. Save sends only the fields the person changed since the page loaded;
web.kpi_definitions.update_kpi re-checks who may change this KPI (its department read from
the warehouse), validates every field against the KPI's data, versions and audits the change.
"""
from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels, kpi_name
from dashboards.kpi_edit_parts import (AREAS, FLAGS, FORM, P, TEXTS, field_label, form_values, history_table,
                                      refusal)
from dashboards.meeting_parts import clicked, department_options, field
from i18n import _, current_language, localized, translate
from metrics import catalog, computed
from metrics.schema import AGGREGATIONS, DIRECTIONS, FREQUENCIES, UNITS
from web.auth import current_scope
from web.kpi_definitions import KpiWriteError, kpi_row, may_edit, update_kpi
from web.kpi_edit_rules import TEXT_LIMITS
from web.reasons import say_all
from web.rules import callback
from web.services import current_services


def _title(kpi_id: str | None = None) -> str:
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id, include_archived=True) if kpi_id else None
    return _("kpi_edit.title", name=kpi_name(kpi, current_language()) if kpi else kpi_id or "") + " · CityStat"


# Ordered so that Dash's router tries this page before /kpi/<kpi_id>, whose wildcard would
# otherwise take "/kpi/x/edit" too.
dash.register_page(__name__, path_template="/kpi/<kpi_id>/edit", title=_title, order=42, access="analyst")


# -- reading the form -----------------------------------------------------------------------------------
def _body_value(name: str, value):
    """What the form's `value` means for field `name` in a PUT body. Anything the browser
    sends that is not what the control gives is passed on as it is, for the service to refuse."""
    if name in TEXTS + AREAS:
        return value.strip() or None if isinstance(value, str) else value
    if name in FLAGS:
        if not isinstance(value, list):
            raise PreventUpdate
        return name in value
    if name == "breakdowns":
        if value is None:
            return []
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value
    return value


def changed_body(values: dict, loaded: dict) -> dict:
    """The fields whose value the person changed since the page loaded, as a PUT body."""
    body = {}
    for name in FORM:
        now = _body_value(name, values.get(name))
        if now != _body_value(name, loaded.get(name)):
            body[name] = now
    return body


# -- the form ------------------------------------------------------------------------------------------------
def _text(name: str, value, *, hint: str | None = None, wide: bool = False):
    return field(field_label(name, current_language()),
                 dcc.Input(id=P + name, type="text", value=value, maxLength=TEXT_LIMITS[name],
                           className="text-input"), hint=hint, wide=wide)


def _area(name: str, value, *, hint: str | None = None):
    return field(field_label(name, current_language()),
                 dcc.Textarea(id=P + name, value=value, rows=3, maxLength=TEXT_LIMITS[name],
                              className="text-input textarea"),
                 hint=hint, wide=True)


def _choice(name: str, options: list[dict], value, *, clearable: bool = False, hint: str | None = None):
    language = current_language()
    return field(field_label(name, language),
                 dcc.Dropdown(id=P + name, options=options, value=value, clearable=clearable, searchable=True,
                              labels=dropdown_labels(language)), hint=hint)


def _number(name: str, value, *, low, high, step, hint: str):
    return field(field_label(name, current_language()),
                 dcc.Input(id=P + name, type="number", value=value, min=low, max=high, step=step,
                           className="text-input narrow-number"), hint=hint)


def _flag(name: str, value: list, label: str, *, disabled: bool = False, hint: str | None = None):
    parts = [dcc.Checklist(id=P + name, value=value, options=[{"label": label, "value": name, "disabled": disabled}],
                           className="kpi-edit-flag")]
    if hint:
        parts.append(html.Span(hint, className="muted small"))
    return html.Div(parts, className="field")


def _group(heading: str, key: str, *fields, note=None):
    return html.Fieldset([html.Legend(heading), note, html.Div(list(fields), className="form-grid")],
                         className="form-group kpi-edit-group", id=P + "group-" + key)


def _options(prefix: str, values) -> list[dict]:
    language = current_language()
    return [{"label": translate(f"{prefix}.{v}", language), "value": v} for v in values]


def _goal_options(services, row, kpi, language: str) -> list[dict]:
    options = [{"label": localized(g, "title", language) or g["id"], "value": g["id"]}
               for g in catalog.list_goals(services.warehouse)]
    if row["goal_id"] and row["goal_id"] not in {o["value"] for o in options}:   # an archived goal: kept, not offered
        options.append({"label": _("kpi_edit.archived_goal", title=localized(kpi, "goal_title", language)
                                   or row["goal_id"]), "value": row["goal_id"], "disabled": True})
    return options


def _form(services, scope, kpi, row, language: str, definition):
    values = form_values(row)
    departments = department_options(services, language, None if scope.all_departments else sorted(scope.departments))
    computed_hint = _("kpi_edit.computed_hint") if definition else None
    return html.Section([
        html.H2(_("kpi_edit.form_heading"), id=P + "form-heading"),
        _group(_("kpi_edit.group_identity"), "identity",
               html.Div([html.Span(field_label("id", language), className="label-like"),
                         html.Code(row["id"], className="mono", id=P + "id-shown"),
                         html.Span(_("kpi_edit.id_fixed"), className="muted small")], className="field"),
               _text("name", values["name"], wide=True),
               _choice("department", departments, values["department"]),
               _choice("goal_id", _goal_options(services, row, kpi, language), values["goal_id"], clearable=True,
                       hint=_("kpi_edit.goal_hint")),
               _area("description", values["description"])),
        _group(_("kpi_edit.group_measure"), "measure",
               _choice("unit", _options("kpi_new.unit", UNITS), values["unit"], hint=_("kpi_edit.unit_hint")),
               _text("unit_label", values["unit_label"], hint=_("kpi_edit.unit_label_hint")),
               _choice("direction", _options("direction", DIRECTIONS), values["direction"],
                       hint=_("kpi_edit.direction_hint")),
               _choice("frequency", _options("frequency", FREQUENCIES), values["frequency"],
                       hint=computed_hint or _("kpi_edit.frequency_hint")),
               _choice("aggregation", _options("aggregation", AGGREGATIONS), values["aggregation"],
                       hint=_("kpi_edit.aggregation_hint")),
               _number("tolerance", values["tolerance"], low=0, high=10, step=0.01, hint=_("kpi_edit.tolerance_hint")),
               _number("decimals", values["decimals"], low=0, high=6, step=1, hint=_("kpi_edit.decimals_hint")),
               _number("lag", values["lag"], low=0, high=3660, step=1, hint=_("kpi_edit.lag_hint")),
               field(field_label("breakdowns", language),
                     dcc.Input(id=P + "breakdowns", type="text", value=values["breakdowns"], maxLength=400,
                               className="text-input"), hint=_("kpi_edit.breakdowns_hint")),
               _flag("critical", values["critical"], _("kpi_edit.critical_label"), hint=_("kpi_edit.critical_hint"))),
        _group(_("kpi_edit.group_ownership"), "ownership",
               _text("owner", values["owner"], hint=_("kpi_edit.owner_hint")),
               _text("data_source", values["data_source"]),
               _area("methodology", values["methodology"], hint=_("kpi_edit.methodology_hint"))),
        _group(_("kpi_edit.group_publication"), "publication",
               _flag("published", values["published"], _("kpi_edit.published_label"),
                     disabled=not scope.all_departments,
                     hint=_("kpi_edit.published_hint") if scope.all_departments else _("kpi_edit.published_managers"))),
        html.Details([
            html.Summary(_("kpi_edit.group_languages")),
            html.Div([_text("name_es", values["name_es"], wide=True), _text("name_pt", values["name_pt"], wide=True),
                      _area("description_es", values["description_es"]),
                      _area("description_pt", values["description_pt"])], className="form-grid"),
        ], className="kpi-edit-languages", id=P + "group-languages"),
        html.Div([html.Button(_("kpi_edit.save"), id=P + "save", n_clicks=0, type="button",
                              className="button primary")], className="button-row"),
        html.Div(id=P + "message", **{"aria-live": "polite"}),
        dcc.Store(id=P + "loaded", data=values),
    ], className="card kpi-edit-form", **{"aria-labelledby": P + "form-heading"})


def _archive_card(kpi, row, scope):
    archived = bool(row["archived"])
    locked = bool(row["published"]) and not scope.all_departments
    return html.Section([
        html.H2(_("kpi_edit.archive_heading"), id=P + "archive-heading"),
        html.P(_("kpi_edit.archive_explained"), className="muted"),
        html.Div([
            html.Button(_("kpi_edit.restore" if archived else "kpi_edit.archive"), id=P + "archive", n_clicks=0,
                        type="button", className="button", disabled=locked),
            html.Span(_("kpi_edit.archive_managers"), className="muted small") if locked else None,
        ], className="button-row"),
        html.Div(id=P + "archive-message", **{"aria-live": "polite"}),
        dcc.ConfirmDialog(id=P + "confirm", message=""),
        dcc.Store(id=P + "archived", data=archived),
    ], className="card", **{"aria-labelledby": P + "archive-heading"})


def _links(kpi, definition):
    return html.P([
        dcc.Link(_("kpi_edit.back_to_kpi"), href=f"/kpi/{kpi['id']}"), " · ",
        dcc.Link(_("kpi_edit.definition_link", version=definition["version"]) if definition
                 else _("definition.link_new"), href=f"/kpi/{kpi['id']}/definition", id=P + "definition-link"),
    ], className="kpi-edit-links")


def _banner(archived: bool):
    return html.P([html.Strong(_("kpi_edit.archived_title")), " ", _("kpi_edit.archived_body")],
                  className="form-note archived-banner") if archived else None


def _validation_layout():
    return html.Div([dcc.Store(id=P + "id"), dcc.Store(id=P + "loaded"), dcc.Store(id=P + "archived"),
                     *[dcc.Input(id=P + name) for name in FORM], html.Button(id=P + "save"),
                     html.Div(id=P + "message"), html.Div(id=P + "history"), html.Div(id=P + "banner"),
                     html.Button(id=P + "archive"), html.Div(id=P + "archive-message"),
                     dcc.ConfirmDialog(id=P + "confirm")])


def _refused_page(heading_key: str, body: str, kpi_id: str):
    return html.Div([html.H1(_(heading_key)), html.P(body), dcc.Link(_("kpi_edit.back_to_kpi"), href=f"/kpi/{kpi_id}")],
                    className="page-head")


def layout(kpi_id: str | None = None, **_query):
    if kpi_id is None:
        return _validation_layout()
    language, services, scope = current_language(), current_services(), current_scope()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id, include_archived=True)
    row = kpi_row(services, kpi_id)
    if kpi is None or row is None:
        return html.Div([html.H1(_("kpi.not_found_title")), html.P(_("kpi.not_found_body", kpi_id=kpi_id)),
                         dcc.Link(_("kpi.back_to_overview"), href="/")], className="page-head")
    if not may_edit(scope, kpi):
        return _refused_page("kpi_edit.not_yours_title",
                             _("kpi_edit.not_yours_body", department=localized(kpi, "department_name", language)
                               or kpi["department_id"]), kpi["id"])
    definition = computed.definition(services.warehouse, kpi["id"])
    return html.Div([
        html.Nav([dcc.Link(kpi_name(kpi, language), href=f"/kpi/{kpi['id']}")], className="breadcrumb",
                 **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([html.H1(_("kpi_edit.title", name=kpi_name(kpi, language))),
                  html.P(_("kpi_edit.lede"), className="lede"),
                  html.Div(_banner(bool(row["archived"])), id=P + "banner"),
                  _links(kpi, definition)], className="page-head"),
        dcc.Store(id=P + "id", data=kpi["id"]),
        _form(services, scope, kpi, row, language, definition),
        _archive_card(kpi, row, scope),
        html.Section([html.H2(_("kpi_edit.history_heading"), id=P + "history-heading"),
                      html.P(_("kpi_edit.history_lede"), className="muted small card-lede"),
                      html.Div(history_table(services, kpi["id"], language), id=P + "history")],
                     className="card", **{"aria-labelledby": P + "history-heading"}),
    ], className="kpi-edit")


# -- callbacks -------------------------------------------------------------------------------------------------
def _saved_message(result, language: str):
    if not result["changed"] and result["definition"] is None:
        return html.Div(translate("kpi_edit.nothing_changed", language), className="form-note", role="status")
    names = ", ".join(field_label(name, language) for name in result["changed"])
    parts = [html.P(translate("kpi_edit.saved", language, version=result["version"], fields=names))]
    if result["definition"] is not None:
        parts.append(html.P(translate("definition.saved", language, version=result["definition"]["version"],
                                      rows=result["definition"]["observations"])))
    ok = html.Div(parts, className="form-ok", role="status")
    warnings = say_all(result["warnings"], language)
    if not warnings:
        return ok
    return html.Div([ok, html.Div([html.P(translate("kpi_edit.warnings", language)),
                                   html.Ul([html.Li(w) for w in warnings])], className="form-warning", role="alert")])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "analyst", Output(P + "message", "children"), Output(P + "loaded", "data"),
              Input(P + "save", "n_clicks"), State(P + "id", "data"),
              State(P + "loaded", "data"), *[State(P + name, "value") for name in FORM], prevent_initial_call=True)
    def save(clicks, kpi_id, loaded, *values):
        # update_kpi checks this person against the KPI's department as the warehouse holds it.
        if not clicked(clicks) or not isinstance(kpi_id, str) or not isinstance(loaded, dict):
            raise PreventUpdate
        services, language = current_services(), current_language()
        current = dict(zip(FORM, values))
        body = changed_body(current, loaded)
        if not body:
            return html.Div(translate("kpi_edit.nothing_changed", language), className="form-note",
                            role="status"), no_update
        try:
            result = update_kpi(services, current_scope(), kpi_id, body)
        except KpiWriteError as error:
            return refusal(error, language), no_update
        # The form as the warehouse now holds it: the next Save compares with this.
        return _saved_message(result, language), form_values(kpi_row(services, kpi_id))

    @callback(app, "analyst", Output(P + "confirm", "displayed"), Output(P + "confirm", "message"),
              Input(P + "archive", "n_clicks"), State(P + "archived", "data"), prevent_initial_call=True)
    def ask(clicks, archived):
        if not clicked(clicks) or not isinstance(archived, bool):
            raise PreventUpdate
        return True, _("kpi_edit.confirm_restore" if archived else "kpi_edit.confirm_archive")

    @callback(app, "analyst", Output(P + "archive-message", "children"), Output(P + "archived", "data"),
              Output(P + "archive", "children"), Output(P + "banner", "children"),
              Input(P + "confirm", "submit_n_clicks"), State(P + "id", "data"), State(P + "archived", "data"),
              prevent_initial_call=True)
    def archive(confirmed, kpi_id, archived):
        # The wanted state is the opposite of what the page showed: pressing twice changes nothing twice.
        if not clicked(confirmed) or not isinstance(kpi_id, str) or not isinstance(archived, bool):
            raise PreventUpdate
        services, language = current_services(), current_language()
        try:
            update_kpi(services, current_scope(), kpi_id, {"archived": not archived})
        except KpiWriteError as error:
            return refusal(error, language), no_update, no_update, no_update
        now = not archived
        return (html.Div(translate("kpi_edit.archived_done" if now else "kpi_edit.restored_done", language),
                         className="form-ok", role="status"),
                now, translate("kpi_edit.restore" if now else "kpi_edit.archive", language), _banner(now))

    @callback(app, "analyst", Output(P + "history", "children"), Input(P + "loaded", "data"),
              Input(P + "archived", "data"), State(P + "id", "data"), prevent_initial_call=True)
    def redraw_history(_loaded, _archived, kpi_id):
        """After a save or an archive (each changes one of the inputs), the history as it now is."""
        if not isinstance(kpi_id, str) or not 0 < len(kpi_id) <= 128:
            raise PreventUpdate
        return history_table(current_services(), kpi_id, current_language())
