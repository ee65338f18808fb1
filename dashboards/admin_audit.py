"""The audit log, for administrators: who did what, when, from where and how it ended,
newest first, filtered by action, actor, outcome and dates, 100 events a page.

Like the users page, the layout holds no events (Dash sends each page's first layout to
every browser to check callback ids); a callback, open to administrators only, fills it.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import dash
from babel.dates import format_datetime
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.components import dropdown_labels, table_region
from i18n import LOCALES, _, current_language, translate
from web import audit
from web.auth import current_scope
from web.rules import callback
from web.services import current_services

P = "admin-audit-"
PAGE_SIZE = 100
OUTCOMES = ("success", "failure", "denied")
DETAILS_LIMIT = 240


def _title() -> str:
    return f"{_('admin_audit.title')} · CityStat"


dash.register_page(__name__, path="/admin/audit", title=_title, order=11, access="admin")


def _action_name(action: str, language: str) -> str:
    """The action in words when the catalogue knows it, else its code."""
    key = f"audit.action.{action}"
    text = translate(key, language)
    return action if text == key else text


def _action_option(action: str, language: str) -> dict:
    name = _action_name(action, language)
    return {"label": action if name == action else f"{name} ({action})", "value": action}


def _details(details) -> str:
    if not details:
        return ""
    parts = [f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)}"
             for key, value in sorted(details.items())] if isinstance(details, dict) else [str(details)]
    text = "; ".join(parts)
    return text if len(text) <= DETAILS_LIMIT else text[:DETAILS_LIMIT - 1] + "…"


# -- filters from the browser ----------------------------------------------------------------------
def _day(value) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PreventUpdate
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise PreventUpdate from None


def _filters(action, actor, outcome, start, end, actions: list[str]) -> dict:
    """The filters as audit.events takes them; anything unexpected stops the callback."""
    if action is not None and action not in actions:
        raise PreventUpdate
    if actor is not None and (not isinstance(actor, str) or len(actor) > 64):
        raise PreventUpdate
    if outcome is not None and outcome not in OUTCOMES:
        raise PreventUpdate
    since, until = _day(start), _day(end)
    return {"action": action, "actor": (actor or "").strip() or None, "outcome": outcome,
            "since": datetime.combine(since, time()) if since else None,
            "until": datetime.combine(until + timedelta(days=1), time()) if until else None}


def _cursor(value) -> tuple[int | None, int]:
    """(the oldest event id shown, the page number) kept in the browser between pages."""
    if (isinstance(value, dict) and isinstance(value.get("oldest"), int) and isinstance(value.get("page"), int)
            and value["oldest"] > 0 and value["page"] > 0):
        return value["oldest"], value["page"]
    return None, 0


# -- pieces -----------------------------------------------------------------------------------------
def _outcome(outcome: str) -> html.Span:
    css = {"success": "badge-ok", "failure": "badge-off", "denied": "badge-off"}.get(outcome, "")
    return html.Span(_(f"audit.outcome.{outcome}") if outcome in OUTCOMES else outcome, className=f"badge {css}")


def _events_table(events, language: str):
    if not events:
        return html.P(_("admin_audit.empty"), className="empty")
    locale = LOCALES[language]
    rows = [html.Tr([
        html.Td(format_datetime(e.at, "medium", locale=locale), className="nowrap"),
        html.Td(e.actor, className="mono"),
        html.Td(_action_name(e.action, language), title=e.action),
        html.Td(_outcome(e.outcome)),
        html.Td(e.target or "", className="mono wrap"),
        html.Td(e.client_address or "", className="mono nowrap"),
        # The log's details are a record, kept as they were written (English), not page text.
        html.Td(_details(e.details), className="note mono", **{"data-i18n-exempt": "record"}),
    ]) for e in events]
    return html.Table([
        html.Caption(_("admin_audit.table_caption"), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(_(f"admin_audit.col_{c}"), scope="col") for c in
                            ("time", "actor", "action", "outcome", "target", "address", "details")])),
        html.Tbody(rows),
    ], className="kpi-table audit-table")


def _field(label: str, control, target: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=target), control], className="field")


def layout(**_query):
    return html.Div([
        html.Div([html.H1(_("admin_audit.title")), html.P(_("admin_audit.lede"), className="lede")],
                 className="page-head"),
        dcc.Store(id=P + "cursor"),
        html.Section([
            html.H2(_("admin_audit.filters_heading"), id=P + "filters-heading"),
            html.Div([
                _field(_("admin_audit.filter_action"),
                       dcc.Dropdown(id=P + "action", options=[], placeholder=_("admin_audit.any_action"),
                                    labels=dropdown_labels(current_language())),
                       P + "action"),
                _field(_("admin_audit.filter_actor"),
                       dcc.Input(id=P + "actor", type="text", className="text-input", debounce=True, maxLength=64,
                                 placeholder=_("admin_audit.actor_placeholder"), autoComplete="off"), P + "actor"),
                _field(_("admin_audit.filter_outcome"),
                       dcc.Dropdown(id=P + "outcome", placeholder=_("admin_audit.any_outcome"), searchable=False,
                                    options=[{"label": _(f"audit.outcome.{o}"), "value": o} for o in OUTCOMES],
                                    labels=dropdown_labels(current_language())),
                       P + "outcome"),
                _field(_("admin_audit.filter_dates"),
                       dcc.DatePickerRange(id=P + "dates", start_date_id=P + "from", end_date_id=P + "to",
                                           start_date_placeholder_text=_("admin_audit.date_from"),
                                           end_date_placeholder_text=_("admin_audit.date_to"),
                                           display_format="YYYY-MM-DD", clearable=True),
                       P + "from"),
            ], className="form-grid filter-grid"),
        ], className="card", **{"aria-labelledby": P + "filters-heading"}),
        html.Section([
            html.Div([html.H2(_("admin_audit.events_heading"), id=P + "events-heading"),
                      html.P(id=P + "summary", className="muted small", **{"aria-live": "polite"})],
                     className="card-head"),
            dcc.Loading(table_region(None, _("admin_audit.events_heading"), id=P + "table"), type="dot"),
            html.Div([
                html.Button(_("admin_audit.newest_button"), id=P + "newest", n_clicks=0, disabled=True,
                            className="button small"),
                html.Button(_("admin_audit.older_button"), id=P + "older", n_clicks=0, disabled=True,
                            className="button small"),
            ], className="button-row pager"),
        ], className="card", **{"aria-labelledby": P + "events-heading"}),
    ])


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "admin", Output(P + "table", "children"), Output(P + "action", "options"),
              Output(P + "summary", "children"), Output(P + "cursor", "data"),
              Output(P + "older", "disabled"), Output(P + "newest", "disabled"),
              Input(P + "action", "value"), Input(P + "actor", "value"), Input(P + "outcome", "value"),
              Input(P + "dates", "start_date"), Input(P + "dates", "end_date"),
              Input(P + "older", "n_clicks"), Input(P + "newest", "n_clicks"),
              State(P + "cursor", "data"))
    def show_events(action, actor, outcome, start, end, _older, _newest, cursor):
        # The guard let only administrators through; check again, then check every value.
        if current_scope().role != "admin":
            raise PreventUpdate
        services = current_services()
        language = current_language()
        actions = audit.actions(services)
        filters = _filters(action, actor, outcome, start, end, actions)
        oldest, page = _cursor(cursor)
        if ctx.triggered_id == P + "older" and oldest:
            before, page = oldest, page + 1
        else:
            before, page = None, 1
        found = audit.events(services, **filters, limit=PAGE_SIZE + 1, before_id=before)
        shown, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
        options = [_action_option(a, language) for a in actions]
        summary = _("admin_audit.summary", page=page, count=len(shown)) if shown else ""
        next_cursor = {"oldest": shown[-1].id, "page": page} if shown else None
        return _events_table(shown, language), options, summary, next_cursor, not more, page == 1
