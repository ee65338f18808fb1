"""One KPI: its status, trend and year-end forecast; its target-vs-actual chart over a
chosen range (with the tolerance zone, last year and the forecast), the values as a table
(the accessible alternative to the chart), the breakdown by district where there is one,
downloads, commentary on its periods (with a form for those who may write it) and its
methodology card."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import dash
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.chart_locale import plotly_locale
from dashboards.chart_parts import accessible_chart
from dashboards.components import (department_name, direction_text, dropdown_labels, frequency_text, goal_title,
                                   kpi_name, period_text, table_region, target_text, value_text)
from dashboards.figures import chart_summary, target_vs_actual
from dashboards.kpi_breakdown import breakdown_section, has_breakdown
from dashboards.kpi_edit_parts import kpi_page_notes
from dashboards.kpi_headline import computed_note, headline
from dashboards.kpi_narrative import (narrative_placeholders, narrative_section,
                                      register_narrative_callbacks)
from i18n import _, current_language, format_day, localized, translate
from metrics import catalog, forecast, series, status
from metrics.periods import Period, PeriodError
from web import audit
from web.auth import current_scope
from web.commentary import MAX_LENGTH, CommentaryError, add_commentary, list_commentary
from web.exports import kpi_values_csv
from web.rules import callback
from web.services import current_services

RANGES = series.RANGES
DEFAULT_RANGE = "24"
PRIOR = "prior"   # the one value of the prior-year checkbox


def _title(kpi_id: str | None = None) -> str:
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id, include_archived=True) if kpi_id else None
    name = kpi_name(kpi, current_language()) if kpi else _("kpi.not_found_title")
    return f"{name} · CityStat"


dash.register_page(__name__, path_template="/kpi/<kpi_id>", title=_title, access="viewer")


def _evaluation(services, kpi_id: str) -> tuple[dict | None, dict | None]:
    """The KPI's status row and year-end forecast as of today (metrics decides both)."""
    today = date.today()
    rows = status.kpi_statuses(services.warehouse, services.calendar, today, kpi_id=kpi_id)
    if not rows:
        return None, None
    return rows[0], forecast.forecasts(services.warehouse, services.calendar, today, rows)[kpi_id]


def _by_period(comments) -> dict:
    """Comments by period start, newest first, as the chart and table show them."""
    grouped = defaultdict(list)
    for comment in comments:
        grouped[comment["period_start"]].append(comment)
    return grouped


def _remarks_cell(row, comments):
    """The observation's note, then each comment with its author."""
    parts = [html.Div(row["note"])] if row.get("note") else []
    parts += [html.Div([comment["text"], html.Span(f" — {comment['author_name']}", className="nowrap")],
                       className="pre-line") for comment in comments]
    return html.Td(parts, className="note")


def _values_table(kpi, history, language, services, comments=(), prior=None):
    said = _by_period(comments)

    def prior_cell(row):
        return html.Td(value_text(kpi, (prior.get(row["period_start"]) or (None, None))[1], language, services),
                       className="num")

    rows = [html.Tr([
        html.Th(period_text(kpi, row["period_start"], language, services), scope="row"),
        html.Td(value_text(kpi, row["value"], language, services), className="num"),
        html.Td(target_text(kpi, row, language, services), className="num"),
        prior_cell(row) if prior is not None else None,
        _remarks_cell(row, said.get(row["period_start"], ())),
    ]) for row in reversed(history)]
    return html.Table([
        html.Caption(_("kpi.table_caption", name=kpi_name(kpi, language))),
        html.Thead(html.Tr([html.Th(_("kpi.col_period"), scope="col"),
                            html.Th(_("kpi.col_actual"), scope="col", className="num"),
                            html.Th(_("kpi.col_target"), scope="col", className="num"),
                            html.Th(_("kpi.col_prior"), scope="col", className="num") if prior is not None else None,
                            html.Th(_("kpi.col_note"), scope="col")])),
        html.Tbody(rows),
    ], className="kpi-table values-table")


def _forecast_table(kpi, prediction, future, language, services):
    """The forecast's periods as a table, folded away: the chart's dashed line, in words."""
    if not prediction or not prediction["projection"]:
        return None
    targets = {row["period_start"]: row for row in future}

    def value(v):
        return value_text(kpi, v, language, services)
    rows = [html.Tr([
        html.Th(period_text(kpi, p["period_start"], language, services), scope="row"),
        html.Td(value(p["value"]), className="num"),
        html.Td(f"{value(p['low'])} – {value(p['high'])}", className="num"),
        html.Td(target_text(kpi, targets.get(p["period_start"], {}), language, services), className="num"),
    ]) for p in prediction["projection"]]
    return html.Details([
        html.Summary(_("kpi.forecast_table_summary")),
        html.Table([
            html.Caption(_("kpi.forecast_table_caption", name=kpi_name(kpi, language), year=prediction["fiscal_year"])),
            html.Thead(html.Tr([html.Th(_("kpi.col_period"), scope="col"),
                                html.Th(_("kpi.col_forecast"), scope="col", className="num"),
                                html.Th(_("kpi.col_interval"), scope="col", className="num"),
                                html.Th(_("kpi.col_target"), scope="col", className="num")])),
            html.Tbody(rows),
        ], className="kpi-table forecast-table"),
    ], className="forecast-details")


def _chart_parts(kpi, periods, show_prior, language, comments=None, evaluated=None):
    """The chart, its summary in words and the values table, from the same rows;
    `evaluated`: the status row and forecast when the caller has them already."""
    services = current_services()
    since = series.window_start(services.calendar, kpi, periods)
    history = catalog.kpi_history(services.warehouse, services.calendar, kpi["id"], since=since)
    if comments is None:
        comments = list_commentary(services, kpi["id"], kpi=kpi)
    said = {start: [c["text"] for c in items] for start, items in _by_period(comments).items()}
    evaluation, prediction = evaluated or _evaluation(services, kpi["id"])
    prior = (series.prior_year(services.warehouse, services.calendar, kpi, [r["period_start"] for r in history])
             if show_prior else None)
    future = series.targets_for(services.warehouse, services.calendar, kpi["id"],
                                [p["period_start"] for p in prediction["projection"]]) if prediction else []
    figure = target_vs_actual(kpi, history, language, services, commentary=said, prior=prior,
                              forecast=prediction, future_targets=future)
    summary = chart_summary(kpi, history, evaluation, prediction, language, services, prior_shown=prior is not None)
    table = [table_region(_values_table(kpi, history, language, services, comments, prior),
                          _("kpi.table_caption", name=kpi_name(kpi, language)), className="table-scroll"),
             _forecast_table(kpi, prediction, future, language, services)]
    return figure, summary, table


def _checked_kpi(periods, prior, kpi_id):
    """The KPI the browser asked about, after checking every input it sent; else no update."""
    if periods not in RANGES or not isinstance(kpi_id, str) or not isinstance(prior, list) \
            or any(item != PRIOR for item in prior):
        raise PreventUpdate
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    if kpi is None:
        raise PreventUpdate
    return kpi


def _redraw(periods, prior, kpi_id):
    kpi = _checked_kpi(periods, prior, kpi_id)
    return _chart_parts(kpi, periods, PRIOR in prior, current_language())


# -- commentary ------------------------------------------------------------------------------
def _comment_period(kpi, comment, language, services) -> str:
    try:
        return period_text(kpi, comment["period_start"], language, services)
    except PeriodError:   # the KPI changed frequency since the comment was written
        return comment["period"]


def _comment_list(kpi, comments, language, services):
    if not comments:
        return html.P(_("commentary.none"), className="muted")
    return html.Ol([html.Li([
        html.Div([
            html.Strong(_comment_period(kpi, comment, language, services), className="comment-period"),
            " · ", comment["author_name"], " · ",
            html.Time(format_day(comment["created_at"].date(), language),
                      dateTime=comment["created_at"].isoformat(timespec="seconds") + "Z"),
        ], className="muted small"),
        html.P(comment["text"], className="comment-text"),
    ], className="comment") for comment in comments], className="comment-list",
        **{"aria-label": _("commentary.list_label")})


def _period_options(kpi, language, services):
    """The KPI's periods that have a value, newest first, valued by their calendar text."""
    history = catalog.kpi_history(services.warehouse, services.calendar, kpi["id"])
    return [{"label": period_text(kpi, row["period_start"], language, services),
             "value": services.calendar.label(Period(kpi["frequency"], row["period_start"]))}
            for row in reversed(history) if row["value"] is not None]


def _comment_form(kpi, language, services):
    options = _period_options(kpi, language, services)
    return html.Div([
        html.H3(_("commentary.form_heading"), className="form-heading"),
        html.Label(_("commentary.period_label"), htmlFor="kpi-comment-period"),
        html.Div(dcc.Dropdown(id="kpi-comment-period", options=options,
                              value=options[0]["value"] if options else None, clearable=False,
                              searchable=True, placeholder=_("commentary.period_placeholder"),
                              labels={**dropdown_labels(language), "search": _("commentary.period_search"),
                                      "no_options_found": _("commentary.no_periods")}),
                 className="narrow-control"),
        html.Label(_("commentary.text_label"), htmlFor="kpi-comment-text"),
        dcc.Textarea(id="kpi-comment-text", value="", rows=4, maxLength=MAX_LENGTH, className="text-input textarea",
                     placeholder=_("commentary.text_placeholder")),
        html.Span(_("commentary.text_help", limit=MAX_LENGTH), className="muted small"),
        html.Button(_("commentary.submit"), id="kpi-comment-submit", n_clicks=0, type="button",
                    className="button primary align-start"),
        html.Div(id="kpi-comment-message", **{"aria-live": "polite"}),
    ], className="stacked-form comment-form", role="form",
        **{"aria-label": _("commentary.form_heading")})


def _commentary_card(kpi, comments, language, services):
    """The comments, and the form for people who may write about this KPI's department."""
    may_write = current_scope().can_edit_department(kpi["department_id"])
    return html.Section([
        html.H2(_("commentary.heading")),
        html.P(_("commentary.lede"), className="muted small card-lede"),
        _comment_form(kpi, language, services) if may_write else None,
        html.Div(_comment_list(kpi, comments, language, services), id="kpi-comments"),
    ], className="card", id="kpi-commentary")


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


# -- the chart card --------------------------------------------------------------------------
def _controls(periods: str, prior: list[str]):
    return html.Div([
        html.Fieldset([
            html.Legend(_("kpi.range_label"), className="control-label"),
            dcc.RadioItems(id="kpi-range", value=periods, inline=True, className="segmented",
                           options=[{"label": _(f"kpi.range_{r}"), "value": r} for r in RANGES]),
        ], className="controls"),
        html.Fieldset([
            html.Legend(_("kpi.compare_label"), className="visually-hidden"),
            dcc.Checklist(id="kpi-prior", value=prior, inline=True, className="segmented",
                          options=[{"label": _("kpi.prior_toggle"), "value": PRIOR}]),
        ], className="controls"),
    ], className="chart-controls")


def _graph_config(kpi_id: str) -> dict:
    # Plotly's own camera button saves the chart as PNG in the browser: offline, named by KPI.
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", kpi_id)
    return {"displaylogo": False, "responsive": True, "displayModeBar": True,
            "modeBarButtonsToRemove": ["select2d", "lasso2d"],
            "toImageButtonOptions": {"format": "png", "filename": safe, "scale": 2},
            **plotly_locale(current_language())}


def _chart_card(kpi, figure, summary):
    return html.Section([
        html.Div([html.H2(_("kpi.chart_heading"), id="kpi-chart-heading"), _controls(DEFAULT_RANGE, [])],
                 className="card-head"),
        # The summary is the chart's caption; its values are the Values card's table.
        accessible_chart(dcc.Graph(id="kpi-chart", figure=figure, config=_graph_config(kpi["id"]), className="chart"),
                         summary, summary_id="kpi-chart-summary", heading_id="kpi-chart-heading",
                         language=current_language(), table_id="kpi-values-card",
                         table_note=_("chart.table_below"), live=True),
        html.Div([
            html.Button(_("kpi.download_csv"), id="kpi-download-csv", n_clicks=0, type="button",
                        className="button small"),
            html.Span(_("kpi.download_help"), className="muted small"),
            dcc.Download(id="kpi-download"),
        ], className="chart-actions"),
    ], className="card", **{"aria-labelledby": "kpi-chart-heading"})


def _validation_layout():
    """Called without a KPI only to validate callbacks: the components, empty."""
    return html.Div([dcc.Store(id="kpi-id"), _controls(DEFAULT_RANGE, []), dcc.Graph(id="kpi-chart"),
                     html.P(id="kpi-chart-summary"), html.Div(id="kpi-values"), html.Div(id="kpi-breakdown"),
                     html.Button(id="kpi-download-csv"), dcc.Download(id="kpi-download"),
                     dcc.Store(id="kpi-comment-saved"), dcc.Dropdown(id="kpi-comment-period"),
                     dcc.Textarea(id="kpi-comment-text"), html.Button(id="kpi-comment-submit"),
                     html.Div(id="kpi-comment-message"), html.Div(id="kpi-comments"), narrative_placeholders()])


def layout(kpi_id: str | None = None, **_query):
    language = current_language()
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id, include_archived=True) if kpi_id else None
    if kpi is None and kpi_id is not None:
        return html.Div([
            html.H1(_("kpi.not_found_title")),
            html.P(_("kpi.not_found_body", kpi_id=kpi_id)),
            dcc.Link(_("kpi.back_to_overview"), href="/"),
        ], className="page-head")
    if kpi is None:
        return _validation_layout()

    comments = list_commentary(services, kpi["id"], kpi=kpi)
    evaluation, prediction = _evaluation(services, kpi["id"])
    figure, summary, table = _chart_parts(kpi, DEFAULT_RANGE, False, language, comments,
                                          (evaluation, prediction))
    breakdown = breakdown_section(kpi, DEFAULT_RANGE, language, services)
    return html.Div([
        html.Nav([dcc.Link(_("nav.overview"), href="/"), html.Span(" › "),
                  dcc.Link(goal_title(kpi, language), href=f"/goal/{kpi['goal_id']}") if kpi["goal_id"]
                  else html.Span(goal_title(kpi, language))], className="breadcrumb",
                 **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([
            html.H1(kpi_name(kpi, language)),
            html.P([department_name(kpi, language), " · ", goal_title(kpi, language)], className="lede"),
            computed_note(kpi, language, services),
            kpi_page_notes(kpi, language, services),   # "Edit" for those who may; an archived KPI says so
        ], className="page-head"),
        dcc.Store(id="kpi-id", data=kpi["id"]),
        dcc.Store(id="kpi-comment-saved", data=0),
        headline(kpi, evaluation, prediction, language, services),
        _chart_card(kpi, figure, summary),
        html.Section([html.H2(_("kpi.values_heading")), html.Div(table, id="kpi-values")],
                     className="card", id="kpi-values-card"),
        html.Div(breakdown, id="kpi-breakdown", hidden=breakdown is None),
        narrative_section(kpi, evaluation, language, services),
        _commentary_card(kpi, comments, language, services),
        _methodology(kpi, language, services),
    ])


def register_callbacks(app: dash.Dash) -> None:
    register_narrative_callbacks(app)

    @callback(app, "viewer", Output("kpi-chart", "figure"), Output("kpi-chart-summary", "children"),
              Output("kpi-values", "children"), Input("kpi-range", "value"), Input("kpi-prior", "value"),
              State("kpi-id", "data"), prevent_initial_call=True)
    def change_view(periods, prior, kpi_id):
        # Every input comes from the browser: re-check them here, never trust the page.
        return _redraw(periods, prior, kpi_id)

    @callback(app, "viewer", Output("kpi-breakdown", "children"), Input("kpi-range", "value"),
              State("kpi-id", "data"), prevent_initial_call=True)
    def change_breakdown_range(periods, kpi_id):
        kpi = _checked_kpi(periods, [], kpi_id)
        if not has_breakdown(kpi):
            raise PreventUpdate
        return breakdown_section(kpi, periods, current_language(), current_services())

    @callback(app, "viewer", Output("kpi-download", "data"), Input("kpi-download-csv", "n_clicks"),
              State("kpi-id", "data"), prevent_initial_call=True)
    def download_csv(clicks, kpi_id):
        if not isinstance(clicks, int) or isinstance(clicks, bool) or clicks < 1 or not isinstance(kpi_id, str):
            raise PreventUpdate
        services = current_services()
        kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
        if kpi is None:
            raise PreventUpdate
        text = kpi_values_csv(services, kpi)
        audit.record(services, "export.csv", "success", target=kpi["id"])
        return dcc.send_string(text, f"{re.sub(r'[^A-Za-z0-9_.-]', '_', kpi['id'])}.csv", type="text/csv")

    @callback(app, "analyst", Output("kpi-comment-message", "children"), Output("kpi-comments", "children"),
              Output("kpi-comment-text", "value"), Output("kpi-comment-saved", "data"),
              Input("kpi-comment-submit", "n_clicks"), State("kpi-id", "data"),
              State("kpi-comment-period", "value"), State("kpi-comment-text", "value"),
              State("kpi-comment-saved", "data"), prevent_initial_call=True)
    def add_comment(clicks, kpi_id, period, text, saved):
        # add_commentary checks the KPI's department from the warehouse against the person;
        # nothing the browser sent decides who may write.
        if not isinstance(clicks, int) or clicks < 1:
            raise PreventUpdate
        services, language = current_services(), current_language()
        try:
            created = add_commentary(services, current_scope(), kpi_id, period, text)
        except CommentaryError as error:
            return (html.Div(error.message(language), className="form-error", role="alert"),
                    no_update, no_update, no_update)
        kpi = catalog.get_kpi(services.warehouse, services.calendar, created["kpi_id"])
        comments = list_commentary(services, kpi["id"], kpi=kpi)
        saved = saved + 1 if isinstance(saved, int) and not isinstance(saved, bool) else 1
        return (html.Div(_("commentary.saved", period=_comment_period(kpi, created, language, services)),
                         className="form-ok", role="status"),
                _comment_list(kpi, comments, language, services), "", saved)

    @callback(app, "viewer", Output("kpi-chart", "figure", allow_duplicate=True),
              Output("kpi-chart-summary", "children", allow_duplicate=True),
              Output("kpi-values", "children", allow_duplicate=True), Input("kpi-comment-saved", "data"),
              State("kpi-range", "value"), State("kpi-prior", "value"), State("kpi-id", "data"),
              prevent_initial_call=True)
    def show_new_comment(_saved, periods, prior, kpi_id):
        """After a comment is saved, the chart marks its period and the table lists it."""
        return _redraw(periods, prior, kpi_id)
