"""The KPI page's narratives card (issue #10): the current narrative of each period, newest
first, in three labelled parts with earlier versions folded away; a notice when the city
requires a narrative the KPI does not have yet; and, for people who may edit the KPI's
department, a form to write or revise one. dashboards/kpi.py places the card and calls
register_narrative_callbacks; web.narratives decides everything.

Narrative texts are the city's records, shown as written (in whatever language the
department wrote them): they are marked data-i18n-exempt for the language tests.
"""
from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels, period_text
from dashboards.meeting_parts import field, message
from i18n import _, current_language, format_day
from metrics import catalog, status
from metrics.periods import Period, PeriodError
from web.auth import current_scope
from web.narratives import (MAX_LENGTH, PARTS, NarrativeError, as_dash, list_narratives, narrative_of_period,
                            narratives_owed, save_narrative)
from web.rules import callback
from web.services import current_services

RECENT_PERIODS = 24        # how far back the form's period list goes
TEXT_IDS = {"happened": "kpi-narrative-happened", "why": "kpi-narrative-why", "next_steps": "kpi-narrative-next"}
HINTS = {"happened": "narratives.happened_hint", "why": "narratives.why_hint", "next_steps": "narratives.next_hint"}
RECORD = {"data-i18n-exempt": "record"}


def _period_label(kpi, item, language, services) -> str:
    try:
        return period_text(kpi, item["period_start"], language, services)
    except PeriodError:   # the KPI changed frequency since the narrative was written
        return item["period"]


def _written(item, language) -> html.P:
    return html.P([
        _("narratives.written", author=item["author_name"], date=format_day(item["created_at"].date(), language)),
    ], className="muted small narrative-byline")


def _parts(item) -> html.Div:
    """The three parts, each under its label; an empty optional part is left out."""
    shown = []
    for part in PARTS:
        if item[part]:
            shown += [html.H4(_(f"narratives.part.{part}"), className="narrative-part"),
                      html.Div(as_dash(item[part]), className="narrative-text", **RECORD)]
    return html.Div(shown, className="narrative-parts")


def _period_block(kpi, versions, language, services) -> html.Article:
    """One period: its current narrative, and the earlier versions folded away."""
    current, earlier = versions[0], versions[1:]
    history = html.Details([
        html.Summary(_("narratives.history_summary", count=len(earlier))),
        html.Ol([html.Li([
            html.P(html.Strong(_("narratives.version", number=item["version"])), className="narrative-version"),
            _parts(item), _written(item, language),
        ], className="narrative-old") for item in earlier], className="narrative-history-list"),
    ], className="narrative-history") if earlier else None
    return html.Article([
        html.H3(_period_label(kpi, current, language, services), className="narrative-period"),
        _parts(current), _written(current, language), history,
    ], className="narrative")


def narrative_list(kpi, language, services):
    """Every period's narrative, newest period first, or a line saying there is none."""
    items = list_narratives(services, kpi["id"], history=True, kpi=kpi)
    if not items:
        return html.P(_("narratives.none"), className="muted")
    periods: dict = {}
    for item in items:
        periods.setdefault(item["period_start"], []).append(item)
    return html.Div([_period_block(kpi, versions, language, services) for versions in periods.values()],
                    className="narrative-list", role="region", **{"aria-label": _("narratives.list_label")})


def owed_notice(kpi, evaluation, language, services, may_write: bool):
    """The notice that the city requires a narrative this KPI does not have yet, or None."""
    owed = narratives_owed(services, [evaluation]) if evaluation else []
    if not owed:
        return None
    period = period_text(kpi, owed[0]["period_start"], language, services)
    return html.Div([
        html.Span("✎ ", **{"aria-hidden": "true"}), _("narratives.owed", period=period),
        " ", html.A(_("narratives.owed_link"), href="#kpi-narrative-form") if may_write else None,
    ], className="form-warning narrative-owed", role="status")


def _period_options(kpi, language, services):
    """The KPI's recent periods that have a value, newest first, valued by calendar text."""
    history = catalog.kpi_history(services.warehouse, services.calendar, kpi["id"])
    rows = [row for row in reversed(history) if row["value"] is not None][:RECENT_PERIODS]
    return [{"label": period_text(kpi, row["period_start"], language, services),
             "value": services.calendar.label(Period(kpi["frequency"], row["period_start"]))} for row in rows]


def _form(kpi, language, services):
    options = _period_options(kpi, language, services)
    chosen = options[0]["value"] if options else None
    current = narrative_of_period(services, kpi, chosen) if chosen else None
    texts = [field(_(f"narratives.part.{part}"),
                   dcc.Textarea(id=TEXT_IDS[part], value=(current or {}).get(part) or "", rows=4 if part == "happened"
                                else 3, maxLength=MAX_LENGTH, className="text-input textarea"),
                   hint=_(HINTS[part]), wide=True) for part in PARTS]
    return html.Div([
        html.H3(_("narratives.form_heading"), className="form-heading", id="kpi-narrative-form-heading"),
        html.P(_("narratives.form_lede"), className="muted small"),
        field(_("narratives.period_label"), dcc.Dropdown(
            id="kpi-narrative-period", options=options, value=chosen, clearable=False, searchable=True,
            placeholder=_("narratives.period_placeholder"),
            labels={**dropdown_labels(language), "search": _("narratives.period_search"),
                    "no_options_found": _("narratives.no_periods")})),
        *texts,
        html.P(_("narratives.markdown_hint", limit=MAX_LENGTH), className="muted small"),
        html.P(_("narratives.public_warning"), className="small narrative-public-warning"),
        html.Button(_("narratives.submit"), id="kpi-narrative-submit", n_clicks=0, type="button",
                    className="button primary align-start"),
        html.Div(id="kpi-narrative-message", **{"aria-live": "polite"}),
    ], className="stacked-form narrative-form", id="kpi-narrative-form", role="form",
        **{"aria-labelledby": "kpi-narrative-form-heading"})


def narrative_section(kpi, evaluation, language, services) -> html.Section:
    """The card: lede, the notice of a narrative owed, the narratives, the form."""
    # An archived KPI keeps its narratives but takes no new ones (as it takes no values).
    may_write = current_scope().can_edit_department(kpi["department_id"]) and not kpi.get("archived")
    return html.Section([
        html.H2(_("narratives.heading"), id="kpi-narratives-heading"),
        html.P([_("narratives.lede"), " ", _("narratives.is_public" if kpi["published"] else "narratives.not_public")],
               className="muted small card-lede"),
        html.Div(owed_notice(kpi, evaluation, language, services, may_write), id="kpi-narrative-owed"),
        html.Div(narrative_list(kpi, language, services), id="kpi-narrative-list"),
        _form(kpi, language, services) if may_write else None,
    ], className="card narratives-card", id="kpi-narratives", **{"aria-labelledby": "kpi-narratives-heading"})


def narrative_placeholders() -> html.Div:
    """The card's ids, empty, for the page's validation layout."""
    return html.Div([dcc.Dropdown(id="kpi-narrative-period"), *(dcc.Textarea(id=i) for i in TEXT_IDS.values()),
                     html.Button(id="kpi-narrative-submit"), html.Div(id="kpi-narrative-message"),
                     html.Div(id="kpi-narrative-list"), html.Div(id="kpi-narrative-owed")])


def _editable_kpi(kpi_id):
    """The KPI when the person may edit its department (read from the warehouse); else None."""
    if not isinstance(kpi_id, str) or not 0 < len(kpi_id) <= 128:
        return None
    services = current_services()
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    return kpi if kpi is not None and current_scope().can_edit_department(kpi["department_id"]) else None


def register_narrative_callbacks(app: dash.Dash) -> None:
    @callback(app, "analyst", *(Output(i, "value") for i in TEXT_IDS.values()),
              Input("kpi-narrative-period", "value"), State("kpi-id", "data"), prevent_initial_call=True)
    def fill_form(period, kpi_id):
        """A period chosen: its current narrative fills the form (empty parts if none), to revise."""
        kpi = _editable_kpi(kpi_id)
        if kpi is None or not isinstance(period, str):
            raise PreventUpdate
        try:
            current = narrative_of_period(current_services(), kpi, period)
        except NarrativeError:
            raise PreventUpdate from None
        return tuple((current or {}).get(part) or "" for part in PARTS)

    @callback(app, "analyst", Output("kpi-narrative-message", "children"), Output("kpi-narrative-list", "children"),
              Output("kpi-narrative-owed", "children"), Input("kpi-narrative-submit", "n_clicks"),
              State("kpi-id", "data"), State("kpi-narrative-period", "value"),
              *(State(i, "value") for i in TEXT_IDS.values()), prevent_initial_call=True)
    def save(clicks, kpi_id, period, happened, why, next_steps):
        # save_narrative reads the KPI's department from the warehouse and checks it against
        # the person (and audits a refusal); nothing the browser sent decides who may write.
        if not isinstance(clicks, int) or isinstance(clicks, bool) or clicks < 1:
            raise PreventUpdate
        services, language, scope = current_services(), current_language(), current_scope()
        body = {"happened": happened, "why": why, "next_steps": next_steps}
        try:
            saved = save_narrative(services, scope, kpi_id, period, body)
        except NarrativeError as error:
            return message(" ".join(error.details(language)), ok=False), no_update, no_update
        kpi = catalog.get_kpi(services.warehouse, services.calendar, saved["kpi_id"])
        shown = _period_label(kpi, saved, language, services)
        rows = status.kpi_statuses(services.warehouse, services.calendar, date.today(), kpi_id=kpi["id"])
        return (message(_("narratives.unchanged" if saved["unchanged"] else "narratives.saved", period=shown),
                        ok=True),
                narrative_list(kpi, language, services),
                owed_notice(kpi, rows[0] if rows else None, language, services, True))
