"""A computed KPI's definition: the SQL editor (pre-filled with the current definition, or an
example over the first dataset), the datasets and their columns beside it, a preview of
the rows the definition would store and its problems, Save, and the version history.
Who may save is decided by web.kpi_definitions, which re-checks the KPI's department."""
from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import kpi_name, table_region, value_text
from i18n import _, current_language, format_day
from metrics import catalog, computed
from web.auth import current_scope
from web.kpi_definitions import KpiWriteError, example_sql, may_edit, preview_sql, update_kpi
from web.rules import callback
from web.services import current_services



def _title(kpi_id: str | None = None) -> str:
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id) if kpi_id else None
    return _("definition.title", name=kpi_name(kpi, current_language()) if kpi else kpi_id or "") + " · CityStat"


# Ordered so that Dash's router tries this page before /kpi/<kpi_id>, whose wildcard would
# otherwise take "/kpi/x/definition" too.
dash.register_page(__name__, path_template="/kpi/<kpi_id>/definition", title=_title, order=40, access="analyst")


def _datasets(tables):
    if not tables:
        return html.P([_("definition.no_datasets"), " ", dcc.Link(_("definition.datasets_link"), href="/datasets")],
                      className="muted")
    return html.Ul([html.Li([
        html.Strong(name, className="mono"),
        html.Ul([html.Li([html.Span(column, className="mono"), " ", html.Span(kind.lower(), className="muted small")])
                 for column, kind in columns if not column.startswith("_")], className="column-list"),
    ]) for name, columns in sorted(tables.items())], className="dataset-columns")


def _history(kpi, language, services):
    versions = computed.definition_history(services.warehouse, kpi["id"])
    if not versions:
        return html.P(_("definition.no_history"), className="muted")
    return table_region(html.Table([
        html.Caption(_("definition.history_caption")),
        html.Thead(html.Tr([html.Th(_("definition.col_version"), scope="col"),
                            html.Th(_("definition.col_who"), scope="col"),
                            html.Th(_("definition.col_when"), scope="col"),
                            html.Th(_("definition.col_sql"), scope="col")])),
        html.Tbody([html.Tr([html.Th(str(v["version"]), scope="row", className="num"), html.Td(v["created_by"]),
                             html.Td(format_day(v["created_at"].date(), language), className="nowrap"),
                             html.Td(html.Pre(v["sql"], className="mono"))]) for v in versions]),
    ], className="kpi-table definition-history"), _("definition.history_caption"), className="table-scroll")


def _problems(problems):
    if not problems:
        return None
    return html.Ul([html.Li(p["message"], className="form-error" if p["severity"] == "error" else "form-warning")
                    for p in problems], className="definition-problems")


def _preview(kpi, result, language, services):
    rows = [html.Tr([html.Th(row["period"], scope="row"), html.Td(row["member"] or _("definition.citywide")),
                     html.Td(value_text(kpi, row["value"], language, services), className="num")])
            for row in result["rows"]]
    return html.Div([
        html.P(_("definition.preview_count", rows=result["total_rows"],
                 datasets=", ".join(result["datasets"])), role="status",
               className="form-ok" if result["ok"] else "form-error"),
        _problems(result["problems"]),
        table_region(html.Table([
            html.Caption(_("definition.preview_caption")),
            html.Thead(html.Tr([html.Th(_("definition.col_period"), scope="col"),
                                html.Th(_("definition.col_member"), scope="col"),
                                html.Th(_("definition.col_value"), scope="col", className="num")])),
            html.Tbody(rows),
        ], className="kpi-table preview-rows"), _("definition.preview_caption"), className="table-scroll")
        if rows else None,
    ])


def _refusal(error: KpiWriteError, language):
    return html.Div([html.P(error.message(language)),
                     html.Ul([html.Li(problem) for problem in error.problem_texts(language)]) if error.problems
                     else None],
                    className="form-error", role="alert")


def _validation_layout():
    return html.Div([dcc.Store(id="kpi-def-id"), dcc.Textarea(id="kpi-def-sql"), html.Button(id="kpi-def-preview"),
                     html.Button(id="kpi-def-save"), html.Div(id="kpi-def-message"), html.Div(id="kpi-def-result"),
                     html.Div(id="kpi-def-history")])


def layout(kpi_id: str | None = None, **_query):
    language, services = current_language(), current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id) if kpi_id else None
    if kpi is None:
        if kpi_id is None:
            return _validation_layout()
        return html.Div([html.H1(_("kpi.not_found_title")), html.P(_("kpi.not_found_body", kpi_id=kpi_id)),
                         dcc.Link(_("kpi.back_to_overview"), href="/")], className="page-head")
    tables = services.sandbox.tables()
    current = computed.definition(services.warehouse, kpi["id"])
    editable = may_edit(current_scope(), kpi)
    return html.Div([
        html.Nav([dcc.Link(kpi_name(kpi, language), href=f"/kpi/{kpi['id']}")], className="breadcrumb",
                 **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([html.H1(_("definition.title", name=kpi_name(kpi, language))),
                  html.P(_("definition.lede"), className="lede"),
                  None if editable else html.P(_("definition.read_only"), className="muted")], className="page-head"),
        dcc.Store(id="kpi-def-id", data=kpi["id"]),
        html.Div([
            html.Section([
                html.Label(_("definition.sql_label"), htmlFor="kpi-def-sql"),
                dcc.Textarea(id="kpi-def-sql", value=current["sql"] if current else example_sql(kpi, tables),
                             rows=12, spellCheck="false", className="text-input textarea mono"),
                html.P(_("definition.sql_help"), className="muted small"),
                html.Div([html.Button(_("definition.preview"), id="kpi-def-preview", n_clicks=0, type="button",
                                      className="button"),
                          html.Button(_("definition.save"), id="kpi-def-save", n_clicks=0, type="button",
                                      className="button primary", disabled=not editable)], className="chart-actions"),
                html.Div(id="kpi-def-message", **{"aria-live": "polite"}),
                dcc.Loading(html.Div(id="kpi-def-result", **{"aria-live": "polite"})),
            ], className="card stacked-form"),
            html.Section([html.H2(_("definition.datasets_heading")), _datasets(tables)], className="card"),
        ], className="breakdown-grid"),
        html.Section([html.H2(_("definition.history_heading")),
                      html.Div(_history(kpi, language, services), id="kpi-def-history")], className="card"),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "analyst", Output("kpi-def-result", "children"), Input("kpi-def-preview", "n_clicks"),
              State("kpi-def-id", "data"), State("kpi-def-sql", "value"), prevent_initial_call=True)
    def preview(clicks, kpi_id, sql):
        if not isinstance(clicks, int) or clicks < 1 or not isinstance(kpi_id, str):
            raise PreventUpdate
        services, language = current_services(), current_language()
        try:
            result = preview_sql(services, current_scope(), kpi_id, sql)
        except KpiWriteError as error:
            return _refusal(error, language)
        kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
        return _preview(kpi, result, language, services)

    @callback(app, "analyst", Output("kpi-def-message", "children"), Output("kpi-def-history", "children"),
              Input("kpi-def-save", "n_clicks"),
              State("kpi-def-id", "data"), State("kpi-def-sql", "value"), prevent_initial_call=True)
    def save(clicks, kpi_id, sql):
        # update_kpi checks the KPI's department from the warehouse against the person.
        if not isinstance(clicks, int) or clicks < 1 or not isinstance(kpi_id, str):
            raise PreventUpdate
        services, language = current_services(), current_language()
        try:
            saved = update_kpi(services, current_scope(), kpi_id, {"sql": sql if isinstance(sql, str) else ""})
        except KpiWriteError as error:
            return _refusal(error, language), no_update
        kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
        definition = saved["definition"]
        return (html.Div([html.P(_("definition.saved", version=definition["version"],
                                   rows=definition["observations"]), className="form-ok", role="status"),
                          html.P(dcc.Link(_("definition.see_kpi"), href=f"/kpi/{kpi_id}")),
                          _problems([{"severity": "warning", "message": m} for m in definition["warnings"]])]),
                _history(kpi, language, services))
