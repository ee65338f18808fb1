"""A KPI's targets for a whole fiscal year at a time (issue #10): a grid of the year's periods
and the year itself (a value, or a low and a high for a KPI good within a band; percent
targets typed in points), the values so far beside them, copying last year's targets as a
starting point, Save, and the history of every change.

Every rule is web.targets_write's, as for PUT /api/v1/kpis/{id}/targets: the callbacks read
the grid, turn typed text into numbers, call it, and show what it answers. Each callback
re-checks that the person may set this KPI's targets (its department read from the warehouse).
"""
from __future__ import annotations

import dash
from babel.numbers import format_decimal
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import direction_text, dropdown_labels, frequency_text, kpi_name
from dashboards.grid_parts import grid
from dashboards.kpi_targets_parts import P, columns, fiscal_years, grid_rows, history_table, parse_number
from dashboards.meeting_parts import clicked, field, message, note
from i18n import LOCALES, _, current_language, translate
from web.auth import current_scope
from web.kpi_definitions import kpi_row
from web.reasons import say
from web.rules import callback
from web.services import current_services
from web.targets_write import TargetsError, copy_last_year, fiscal_year_grid, may_write, save_targets


def _title(kpi_id: str | None = None) -> str:
    kpi = kpi_row(current_services(), kpi_id) if kpi_id else None
    return _("targets_page.title", name=kpi_name(kpi, current_language()) if kpi else kpi_id or "") + " · CityStat"


# Ordered so that Dash's router tries this page before /kpi/<kpi_id>, whose wildcard would
# otherwise take "/kpi/x/targets" too.
dash.register_page(__name__, path_template="/kpi/<kpi_id>/targets", title=_title, order=38, access="analyst")


# The whole year's row stands apart from its periods (dash-ag-grid reads the condition itself:
# no script is evaluated, so the CSP holds).
YEAR_ROW = {"styleConditions": [{"condition": "params.data.annual",
                                 "style": {"fontWeight": "700", "borderTop": "2px solid #555"}}]}


# -- the page ------------------------------------------------------------------------------------------------
def _validation_layout():
    return html.Div([dcc.Store(id=P + "kpi"), dcc.Store(id=P + "saved"), dcc.Dropdown(id=P + "year"),
                     html.Button(id=P + "copy"), html.Button(id=P + "save"), html.Div(id=P + "copied"),
                     grid(P + "grid", [], [], "en", label=""), html.Div(id=P + "message"),
                     html.Div(id=P + "history")])


def _hints(kpi, language: str) -> list:
    hints = [_("targets_page.hint")]
    if kpi["unit"] == "percent":
        hints.append(_("targets_page.hint_percent"))
    if kpi["direction"] == "band":
        hints.append(_("targets_page.hint_band"))
    if kpi["aggregation"] == "sum" and kpi["frequency"] != "annual":
        hints.append(_("targets_page.hint_sum", unit=_(f"targets_page.per_{kpi['frequency']}")))
    if kpi["frequency"] == "daily":
        hints.append(_("targets_page.hint_daily"))
    return [html.P(text, className="muted") for text in hints]


def _refused(kpi, language: str, text: str):
    return html.Div([
        html.Nav([dcc.Link(kpi_name(kpi, language), href=f"/kpi/{kpi['id']}")], className="breadcrumb",
                 **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([html.H1(_("targets_page.title", name=kpi_name(kpi, language))),
                  html.P(text, className="form-error", role="alert"),
                  html.P(dcc.Link(_("targets_page.back", name=kpi_name(kpi, language)), href=f"/kpi/{kpi['id']}"))],
                 className="page-head"),
    ])


def layout(kpi_id: str | None = None, **_query):
    language, services, scope = current_language(), current_services(), current_scope()
    kpi = kpi_row(services, kpi_id) if kpi_id else None
    if kpi is None:
        if kpi_id is None:
            return _validation_layout()
        return html.Div([html.H1(_("kpi.not_found_title")), html.P(_("kpi.not_found_body", kpi_id=kpi_id)),
                         dcc.Link(_("kpi.back_to_overview"), href="/")], className="page-head")
    if not may_write(scope, kpi):
        return _refused(kpi, language, _("targets_page.not_allowed"))
    if kpi["archived"]:
        return _refused(kpi, language, _("targets_page.archived"))
    years, this_year = fiscal_years(services)
    year_options = [{"label": services.calendar.label(services.calendar.fiscal_year_period(y))
                     + (" · " + _("targets_page.this_year") if y == this_year else ""), "value": y} for y in years]
    name = kpi_name(kpi, language)
    unit = translate("unit_name." + kpi["unit"], language)
    return html.Div([
        html.Nav([dcc.Link(name, href=f"/kpi/{kpi['id']}")], className="breadcrumb",
                 **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([html.H1(_("targets_page.title", name=name)),
                  html.P(" · ".join([unit, direction_text(kpi, language), frequency_text(kpi, language)]),
                         className="lede")], className="page-head"),
        dcc.Store(id=P + "kpi", data=kpi["id"]),
        dcc.Store(id=P + "saved", data=0),
        html.Section([
            html.Div(_hints(kpi, language), className="targets-hints"),
            html.Div([
                field(_("targets_page.year"), dcc.Dropdown(id=P + "year", options=year_options, value=this_year,
                                                           clearable=False, searchable=False,
                                                           labels=dropdown_labels(language))),
                html.Div(html.Button(_("targets_page.copy"), id=P + "copy", n_clicks=0, type="button",
                                     className="button"), className="field targets-copy"),
            ], className="form-grid targets-controls"),
            html.Div(id=P + "copied", **{"aria-live": "polite"}),
            grid(P + "grid", [], columns(kpi, language), language, label=_("targets_page.grid_label", name=name),
                 options={"getRowStyle": YEAR_ROW}),
            html.Div(html.Button(_("targets_page.save"), id=P + "save", n_clicks=0, type="button",
                                 className="button primary"), className="button-row"),
            html.Div(id=P + "message", className="form-message", **{"aria-live": "polite"}),
        ], className="card targets-card"),
        html.Section([html.H2(_("targets_page.history_heading")),
                      html.Div(history_table(kpi, language, services), id=P + "history")], className="card"),
        html.P(dcc.Link(_("targets_page.back", name=name), href=f"/kpi/{kpi['id']}")),
    ], className="kpi-targets")


# -- callbacks ------------------------------------------------------------------------------------------------
def _writable_kpi(kpi_id):
    """The KPI whose targets the person may set, or no update: the browser may send any id."""
    if not isinstance(kpi_id, str):
        raise PreventUpdate
    kpi = kpi_row(current_services(), kpi_id)
    if kpi is None or kpi["archived"] or not may_write(current_scope(), kpi):
        raise PreventUpdate
    return kpi


def _year(value, services) -> int:
    years, _this = fiscal_years(services)
    if not isinstance(value, int) or isinstance(value, bool) or value not in years:
        raise PreventUpdate
    return value


def _problem_text(kpi, problem: dict, language: str) -> str:
    reason = problem["reason"]
    code = getattr(reason, "code", None)
    points = lambda name: format_decimal(float(reason.params[name]) * 100, format="#,##0.##",  # noqa: E731
                                         locale=LOCALES[language])
    # The person typed points: the service's fractions are said back in points.
    if code == "targets.percent_fraction":
        return translate("targets_page.percent_points", language, value=points("value"))
    if code == "targets.band_order" and kpi["unit"] == "percent":
        return translate("targets_page.band_order_points", language, low=points("low"), high=points("high"))
    return say(reason, language)


def _problems(kpi, problems: list[dict], rows: list, language: str):
    """The rows in trouble, named by their period as the grid shows it."""
    items = []
    for problem in problems:
        index = problem.get("row")
        label = rows[index - 1].get("label") if isinstance(index, int) and 0 < index <= len(rows) \
            and isinstance(rows[index - 1], dict) else None
        text = _problem_text(kpi, problem, language)
        items.append(html.Li(f"{label}: {text}" if isinstance(label, str) else text))
    return html.Div([html.P(_("targets_page.not_saved")), html.Ul(items)], className="form-error", role="alert")


def _typed_rows(kpi, rows, language: str) -> tuple[list[dict], list[dict]]:
    """The grid's rows as the service takes them, and the cells that are not numbers."""
    if not isinstance(rows, list) or len(rows) > 400:
        raise PreventUpdate
    points = kpi["unit"] == "percent"
    typed, problems = [], []
    names = ("low", "high") if kpi["direction"] == "band" else ("value",)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise PreventUpdate
        out = {"period": row.get("period")}
        for name in names:
            try:
                value = parse_number(row.get(name), language)
            except (ValueError, TypeError):
                problems.append({"row": number, "reason": translate("targets_page.not_a_number", language,
                                                                    text=str(row.get(name))[:40])})
                continue
            out[name] = None if value is None else float(f"{value / 100 if points else value:.12g}")
        typed.append(out)
    return typed, problems


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "analyst", Output(P + "grid", "rowData"), Output(P + "copied", "children"),
              Input(P + "year", "value"), Input(P + "copy", "n_clicks"), Input(P + "saved", "data"),
              State(P + "kpi", "data"))
    def load(year, copies, _saved, kpi_id):
        kpi, services, language = _writable_kpi(kpi_id), current_services(), current_language()
        year = _year(year, services)
        if ctx.triggered_id == P + "copy" and clicked(copies):
            rows = copy_last_year(services, kpi, year)
            copied = sum(1 for row in rows if row["copied"])
            last = services.calendar.label(services.calendar.fiscal_year_period(year - 1))
            said = (note(_("targets_page.copied", count=copied, year=last)) if copied
                    else message(_("targets_page.nothing_to_copy", year=last), True))
            return grid_rows(kpi, rows, language, services), said
        return grid_rows(kpi, fiscal_year_grid(services, kpi, year), language, services), None

    @callback(app, "analyst", Output(P + "message", "children"), Output(P + "history", "children"),
              Output(P + "saved", "data"),
              Input(P + "save", "n_clicks"), State(P + "grid", "rowData"), State(P + "kpi", "data"),
              State(P + "saved", "data"), prevent_initial_call=True)
    def save(clicks, rows, kpi_id, saved):
        if not clicked(clicks) or not isinstance(kpi_id, str):
            raise PreventUpdate
        services, language, scope = current_services(), current_language(), current_scope()
        kpi = kpi_row(services, kpi_id)
        if kpi is None:
            raise PreventUpdate
        typed, problems = _typed_rows(kpi, rows, language)
        if problems:
            return _problems(kpi, problems, rows, language), no_update, no_update
        try:
            result = save_targets(services, scope, kpi["id"], typed)
        except TargetsError as error:
            if error.problems:
                return _problems(kpi, error.problems, rows, language), no_update, no_update
            return message(error.message(language), False), no_update, no_update
        if result["batch_id"] is None:
            return message(_("targets_page.nothing_changed"), True), no_update, no_update
        said = html.Div([
            html.P(_("targets_page.saved", set=result["set"], cleared=result["cleared"])),
            html.P(dcc.Link(_("targets_page.batch_link", batch=result["batch_id"]), href="/imports/history")),
        ], className="form-ok", role="status")
        count = saved + 1 if isinstance(saved, int) and not isinstance(saved, bool) else 1
        return said, history_table(kpi, language, services), count
