"""A new KPI: its id, name, department (an analyst's own), goal, how it is measured and
where its values come from. A computed KPI then opens in the definition editor to get its
SQL; one kept by hand (imported or entered) opens in the KPI editor for its other fields.
The checks and the audit are web.kpi_definitions.create_kpi's, as for POST /api/v1/kpis."""
from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels
from dashboards.kpi_edit_parts import refusal
from dashboards.meeting_parts import clicked, department_options, field
from i18n import _, current_language, localized, translate
from metrics import catalog
from metrics.schema import AGGREGATIONS, DIRECTIONS, FREQUENCIES, UNITS
from web.auth import current_scope
from web.kpi_definitions import KpiWriteError, create_kpi
from web.rules import callback
from web.services import current_services

P = "kpi-new-"


KINDS = ("computed", "by_hand")   # where the values come from; computed unless said otherwise


def _title() -> str:
    return _("kpi_edit.new_title") + " · CityStat"


dash.register_page(__name__, path="/kpi-new", title=_title, order=41, access="analyst")


def _choice(name: str, options: list[dict], value, language: str) -> dcc.Dropdown:
    return dcc.Dropdown(id=P + name, options=options, value=value, clearable=False, searchable=True,
                        labels=dropdown_labels(language))


def layout(**_query):
    language, services, scope = current_language(), current_services(), current_scope()
    departments = department_options(services, language, None if scope.all_departments else sorted(scope.departments))
    goals = [{"label": localized(g, "title", language) or g["id"], "value": g["id"]}
             for g in catalog.list_goals(services.warehouse)]

    def options(prefix: str, values) -> list[dict]:
        return [{"label": translate(f"{prefix}.{v}", language), "value": v} for v in values]
    return html.Div([
        html.Div([html.H1(_("kpi_edit.new_title")), html.P(_("kpi_edit.new_lede"), className="lede")],
                 className="page-head"),
        html.Section([
            html.Div([
                field(_("kpi_new.field_id"), dcc.Input(id=P + "id", type="text", maxLength=128, className="text-input",
                                                       placeholder="requests-311-volume"),
                      hint=_("kpi_new.id_hint")),
                field(_("kpi_new.field_name"), dcc.Input(id=P + "name", type="text", maxLength=200,
                                                         className="text-input"), wide=True),
                field(_("kpi_new.field_department"),
                      _choice("department", departments, departments[0]["value"] if departments else None, language)),
                field(_("kpi_new.field_goal"), dcc.Dropdown(id=P + "goal", options=goals, value=None, clearable=True,
                                                            labels=dropdown_labels(language))),
                field(_("kpi_new.field_unit"), _choice("unit", options("kpi_new.unit", UNITS), "count", language)),
                field(_("kpi_new.field_direction"),
                      _choice("direction", options("direction", DIRECTIONS), "neutral", language)),
                field(_("kpi_new.field_frequency"),
                      _choice("frequency", options("frequency", FREQUENCIES), "monthly", language)),
                field(_("kpi_new.field_aggregation"),
                      _choice("aggregation", options("aggregation", AGGREGATIONS), "sum", language)),
                html.Fieldset([
                    html.Legend(_("kpi_edit.kind_label"), className="control-label"),
                    dcc.RadioItems(id=P + "kind", value="computed", className="kpi-new-kind",
                                   options=[{"label": _(f"kpi_edit.kind_{kind}"), "value": kind} for kind in KINDS]),
                ], className="field wide kpi-new-kind-field"),
            ], className="form-grid"),
            html.Button(_("kpi_new.create"), id=P + "create", n_clicks=0, type="button", className="button primary"),
            html.Div(id=P + "message", className="form-message", **{"aria-live": "polite"}),
            dcc.Location(id=P + "go", refresh="callback-nav"),
        ], className="card"),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "analyst", Output(P + "message", "children"), Output(P + "go", "href"),
              Input(P + "create", "n_clicks"), State(P + "id", "value"), State(P + "name", "value"),
              State(P + "department", "value"), State(P + "goal", "value"), State(P + "unit", "value"),
              State(P + "direction", "value"), State(P + "frequency", "value"), State(P + "aggregation", "value"),
              State(P + "kind", "value"), prevent_initial_call=True)
    def create(clicks, kpi_id, name, department, goal, unit, direction, frequency, aggregation, kind):
        # create_kpi checks every value and whether this person may write for the department;
        # the kind only says which page opens next.
        if not clicked(clicks) or kind not in KINDS:
            raise PreventUpdate
        body = {"id": kpi_id, "name": name, "department": department, "goal_id": goal, "unit": unit,
                "direction": direction, "frequency": frequency, "aggregation": aggregation}
        try:
            created = create_kpi(current_services(), current_scope(), body)
        except KpiWriteError as error:
            return refusal(error, current_language()), no_update
        return no_update, f"/kpi/{created['id']}/{'edit' if kind == 'by_hand' else 'definition'}"
