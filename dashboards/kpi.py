"""One KPI: its target-vs-actual chart over a chosen range, the values as a table (the
accessible alternative to the chart), commentary on its periods (with a form for those
who may write it) and its methodology card."""
from __future__ import annotations

from collections import defaultdict

import dash
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import (department_name, direction_text, frequency_text, goal_title,
                                   kpi_name, period_text, target_text, value_text)
from dashboards.figures import target_vs_actual
from i18n import _, current_language, format_day, localized, translate
from metrics import catalog
from metrics.periods import Period, PeriodError
from web.auth import current_scope
from web.commentary import MAX_LENGTH, CommentaryError, add_commentary, list_commentary
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


def _values_table(kpi, history, language, services, comments=()):
    said = _by_period(comments)
    rows = [html.Tr([
        html.Th(period_text(kpi, row["period_start"], language, services), scope="row"),
        html.Td(value_text(kpi, row["value"], language, services), className="num"),
        html.Td(target_text(kpi, row, language, services), className="num"),
        _remarks_cell(row, said.get(row["period_start"], ())),
    ]) for row in reversed(history)]
    return html.Table([
        html.Caption(_("kpi.table_caption", name=kpi_name(kpi, language))),
        html.Thead(html.Tr([html.Th(_("kpi.col_period"), scope="col"),
                            html.Th(_("kpi.col_actual"), scope="col", className="num"),
                            html.Th(_("kpi.col_target"), scope="col", className="num"),
                            html.Th(_("kpi.col_note"), scope="col")])),
        html.Tbody(rows),
    ], className="kpi-table values-table")


def _chart_and_table(kpi, periods, language, comments=None):
    services = current_services()
    history = _history(kpi, periods)
    if comments is None:
        comments = list_commentary(services, kpi["id"], kpi=kpi)
    said = {start: [c["text"] for c in items] for start, items in _by_period(comments).items()}
    figure = target_vs_actual(kpi, history, language, services, commentary=said)
    return figure, _values_table(kpi, history, language, services, comments)


def _redraw(periods, kpi_id):
    """Chart and table again for a range and KPI the browser sent, both re-checked."""
    if periods not in RANGES or not isinstance(kpi_id, str):
        raise PreventUpdate
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    if kpi is None:
        raise PreventUpdate
    return _chart_and_table(kpi, periods, current_language())


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
                              labels={"search": _("commentary.period_search"),
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
                         html.Div(id="kpi-values"), dcc.Store(id="kpi-comment-saved"),
                         dcc.Dropdown(id="kpi-comment-period"), dcc.Textarea(id="kpi-comment-text"),
                         html.Button(id="kpi-comment-submit"), html.Div(id="kpi-comment-message"),
                         html.Div(id="kpi-comments")])

    comments = list_commentary(services, kpi["id"], kpi=kpi)
    figure, table = _chart_and_table(kpi, DEFAULT_RANGE, language, comments)
    return html.Div([
        html.Nav([dcc.Link(_("nav.overview"), href="/"), html.Span(" › "),
                  html.Span(goal_title(kpi, language))], className="breadcrumb",
                 **{"aria-label": _("kpi.breadcrumb")}),
        html.Div([
            html.H1(kpi_name(kpi, language)),
            html.P([department_name(kpi, language), " · ", goal_title(kpi, language)], className="lede"),
        ], className="page-head"),
        dcc.Store(id="kpi-id", data=kpi["id"]),
        dcc.Store(id="kpi-comment-saved", data=0),
        _headline(kpi, language, services),
        html.Section([
            html.Div([html.H2(_("kpi.chart_heading")), _range_control(DEFAULT_RANGE)], className="card-head"),
            dcc.Graph(id="kpi-chart", figure=figure, config={"displaylogo": False, "responsive": True},
                      className="chart"),
        ], className="card"),
        html.Section([html.H2(_("kpi.values_heading")), html.Div(table, id="kpi-values", className="table-scroll")],
                     className="card"),
        _commentary_card(kpi, comments, language, services),
        _methodology(kpi, language, services),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output("kpi-chart", "figure"), Output("kpi-values", "children"),
              Input("kpi-range", "value"), State("kpi-id", "data"), prevent_initial_call=True)
    def change_range(periods, kpi_id):
        # Both inputs come from the browser: re-check them here, never trust the page.
        return _redraw(periods, kpi_id)

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
              Output("kpi-values", "children", allow_duplicate=True), Input("kpi-comment-saved", "data"),
              State("kpi-range", "value"), State("kpi-id", "data"), prevent_initial_call=True)
    def show_new_comment(_saved, periods, kpi_id):
        """After a comment is saved, the chart marks its period and the table lists it."""
        return _redraw(periods, kpi_id)
