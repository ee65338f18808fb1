"""One KPI: its target-vs-actual chart over a chosen range, the values as a table (the
accessible alternative to the chart), and its methodology card."""
from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.components import (department_name, direction_text, frequency_text, goal_title,
                                   kpi_name, period_text, target_text, value_text)
from dashboards.figures import target_vs_actual
from i18n import _, current_language, localized, translate
from metrics import catalog
from metrics.periods import Period
from web.rules import callback
from web.services import current_services

RANGES = ("12", "24", "60", "all")
DEFAULT_RANGE = "24"


def _title(kpi_id: str | None = None) -> str:
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id) if kpi_id else None
    name = kpi_name(kpi, current_language()) if kpi else _("kpi.not_found_title")
    return f"{name} · CityStat"


dash.register_page(__name__, path_template="/kpi/<kpi_id>", title=_title, access="viewer")


def _history(kpi, periods: str):
    services = current_services()
    since = None
    if kpi["latest_period_start"] is not None and periods != "all":
        since = Period(kpi["frequency"], kpi["latest_period_start"]) - (int(periods) - 1)
    return catalog.kpi_history(services.warehouse, services.calendar, kpi["id"], since=since)


def _values_table(kpi, history, language, services):
    rows = [html.Tr([
        html.Th(period_text(kpi, row["period_start"], language, services), scope="row"),
        html.Td(value_text(kpi, row["value"], language, services), className="num"),
        html.Td(target_text(kpi, row, language, services), className="num"),
        html.Td(row.get("note") or "", className="note"),
    ]) for row in reversed(history)]
    return html.Table([
        html.Caption(_("kpi.table_caption", name=kpi_name(kpi, language))),
        html.Thead(html.Tr([html.Th(_("kpi.col_period"), scope="col"),
                            html.Th(_("kpi.col_actual"), scope="col", className="num"),
                            html.Th(_("kpi.col_target"), scope="col", className="num"),
                            html.Th(_("kpi.col_note"), scope="col")])),
        html.Tbody(rows),
    ], className="kpi-table values-table")


def _chart_and_table(kpi, periods, language):
    services = current_services()
    history = _history(kpi, periods)
    figure = target_vs_actual(kpi, history, language, services)
    return figure, _values_table(kpi, history, language, services)


def _methodology(kpi, language, services):
    lag = (translate("kpi.lag_days", language, days=kpi["lag_days"]) if kpi["lag_days"] is not None
           else translate("kpi.lag_one_period", language))
    items = [
        (_("kpi.field_description"), localized(kpi, "description", language) or "–"),
        (_("kpi.field_methodology"), kpi["methodology"] or "–"),
        (_("kpi.field_data_source"), kpi["data_source"] or "–"),
        (_("kpi.field_owner"), kpi["owner"] or _("kpi.no_owner")),
        (_("kpi.field_frequency"), frequency_text(kpi, language)),
        (_("kpi.field_aggregation"), translate(f"aggregation.{kpi['aggregation']}", language)),
        (_("kpi.field_direction"), direction_text(kpi, language)),
        (_("kpi.field_tolerance"), f"±{kpi['tolerance'] * 100:g} %"),
        (_("kpi.field_lag"), lag),
    ]
    return html.Section([
        html.H2(_("kpi.methodology_heading")),
        html.Dl([html.Div([html.Dt(label), html.Dd(value)]) for label, value in items], className="definition"),
    ], className="card")


def _headline(kpi, language, services):
    tiles = [
        (_("kpi.tile_latest"), value_text(kpi, kpi["latest_value"], language, services),
         period_text(kpi, kpi["latest_period_start"], language, services)),
        (_("kpi.tile_target"), target_text(kpi, kpi, language, services),
         translate(f"target.basis.{kpi['target_basis']}", language) if kpi["target_basis"] else _("kpi.no_target")),
        (_("kpi.tile_direction"), direction_text(kpi, language), frequency_text(kpi, language)),
    ]
    return html.Dl([html.Div([html.Dt(label), html.Dd(value), html.Dd(note, className="muted small")],
                             className="tile") for label, value, note in tiles], className="tiles")


def _range_control(value: str):
    return html.Fieldset([
        html.Legend(_("kpi.range_label"), className="control-label"),
        dcc.RadioItems(id="kpi-range", value=value, inline=True, className="segmented",
                       options=[{"label": _(f"kpi.range_{r}"), "value": r} for r in RANGES]),
    ], className="controls")


def layout(kpi_id: str | None = None, **_query):
    language = current_language()
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id) if kpi_id else None
    if kpi is None and kpi_id is not None:
        return html.Div([
            html.H1(_("kpi.not_found_title")),
            html.P(_("kpi.not_found_body", kpi_id=kpi_id)),
            dcc.Link(_("kpi.back_to_overview"), href="/"),
        ], className="page-head")
    if kpi is None:
        # Called without a KPI only to validate callbacks: the components, empty.
        return html.Div([dcc.Store(id="kpi-id"), _range_control(DEFAULT_RANGE), dcc.Graph(id="kpi-chart"),
                         html.Div(id="kpi-values")])

    figure, table = _chart_and_table(kpi, DEFAULT_RANGE, language)
    return html.Div([
        html.Nav([dcc.Link(_("nav.overview"), href="/"), html.Span(" › "),
                  html.Span(goal_title(kpi, language))], className="breadcrumb",
                 **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([
            html.H1(kpi_name(kpi, language)),
            html.P([department_name(kpi, language), " · ", goal_title(kpi, language)], className="lede"),
        ], className="page-head"),
        dcc.Store(id="kpi-id", data=kpi["id"]),
        _headline(kpi, language, services),
        html.Section([
            html.Div([html.H2(_("kpi.chart_heading")), _range_control(DEFAULT_RANGE)], className="card-head"),
            dcc.Graph(id="kpi-chart", figure=figure, config={"displaylogo": False, "responsive": True},
                      className="chart"),
        ], className="card"),
        html.Section([html.H2(_("kpi.values_heading")), html.Div(table, id="kpi-values", className="table-scroll")],
                     className="card"),
        _methodology(kpi, language, services),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output("kpi-chart", "figure"), Output("kpi-values", "children"),
              Input("kpi-range", "value"), State("kpi-id", "data"), prevent_initial_call=True)
    def change_range(periods, kpi_id):
        # Both inputs come from the browser: re-check them here, never trust the page.
        if periods not in RANGES or not isinstance(kpi_id, str):
            raise PreventUpdate
        services = current_services()
        kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
        if kpi is None:
            raise PreventUpdate
        return _chart_and_table(kpi, periods, current_language())
