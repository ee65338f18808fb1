"""Import history: every batch loaded into the warehouse, newest first, with what it
brought and whether it still stands. Whoever may revert an import (its importer, managers
and administrators; web.importing.revert decides) gets a Revert button, confirmed first.
The layout holds no batches; a callback fills them in."""
from __future__ import annotations

import dash
from babel.dates import format_date, format_time
from dash import ALL, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import pressed_index, table_region
from i18n import LOCALES, _, current_language, format_number
from metrics import imports
from metrics.imports import REVERTIBLE, ImportError_
from web import importing
from web.auth import current_scope
from web.rules import callback
from web.services import current_services

P = "import-history-"
KINDS = ("import", "seed", "manual", "targets", "dataset")


def _title() -> str:
    return f"{_('import_history.title')} · CityStat"


dash.register_page(__name__, path="/imports/history", title=_title, order=21, access="viewer")


def layout(**_query):
    return html.Div([
        html.Div([html.H1(_("import_history.title")), html.P(_("import_history.lede"), className="lede")],
                 className="page-head"),
        dcc.Store(id=P + "pending"),
        dcc.Store(id=P + "changed"),
        dcc.ConfirmDialog(id=P + "confirm", message=""),
        html.Div(id=P + "message", className="form-message", **{"aria-live": "polite"}),
        html.Section([
            html.Div([html.H2(_("import_history.batches_heading"), id=P + "heading"),
                      dcc.Link(_("import_history.new_import"), href="/imports", id=P + "new",
                               className="button small")], className="card-head"),
            dcc.Loading(table_region(None, _("import_history.batches_heading"), id=P + "table"), type="dot"),
        ], className="card", **{"aria-labelledby": P + "heading"}),
    ])


def _may_revert(scope, batch: dict) -> bool:
    """Mirrors web.importing.revert, which decides: it only chooses who sees the button."""
    if batch["kind"] not in REVERTIBLE or batch["status"] != "committed" or not scope.allows("analyst"):
        return False
    return scope.all_departments or batch["created_by"] == scope.username


def _moment(moment, language: str) -> str:
    if moment is None:
        return "–"
    locale = LOCALES[language]
    return f"{format_date(moment, 'medium', locale=locale)} {format_time(moment, 'short', locale=locale)}"


def _when(moment, language: str):
    """The day, and the time under it: the table keeps its width for the numbers."""
    if moment is None:
        return "–"
    locale = LOCALES[language]
    return [format_date(moment, "medium", locale=locale),
            html.Span(format_time(moment, "short", locale=locale), className="muted small block")]


def _status(batch: dict, language: str):
    if batch["status"] == "reverted":
        when = _moment(batch["reverted_at"], language)
        return [html.Span(_("import_history.status_reverted"), className="badge badge-off"),
                html.Span(_("import_history.reverted_by", who=batch["reverted_by"] or "–", when=when),
                          className="muted small block")]
    return html.Span(_("import_history.status_committed"), className="badge badge-ok")


def _table(batches: list[dict], scope, language: str):
    if not batches:
        return html.P(_("import_history.empty"), className="empty")
    number = lambda value: format_number(value or 0, language)  # noqa: E731
    rows = []
    for b in batches:
        action = html.Button(_("import_history.revert"), id={"type": P + "revert", "index": b["id"]}, n_clicks=0,
                             className="button small danger",
                             **{"aria-label": _("import_history.revert_label", batch=b["id"])}) \
            if _may_revert(scope, b) else None
        source = b["file_name"] or (_(f"import_history.kind_{b['kind']}") if b["kind"] in KINDS else b["kind"])
        rows.append(html.Tr([
            html.Th(f"#{b['id']}", scope="row", className="num"),
            html.Td(_when(b["created_at"], language), className="nowrap"),
            html.Td(b["created_by"] or "–", className="mono nowrap"),
            html.Td(source, className="wrap file"),
            html.Td(b["profile_name"] or (_("import_history.custom_profile") if b["kind"] == "import" else "–"),
                    className="wrap profile"),
            *[html.Td(number(b[c]), className="num") for c in
              ("rows_accepted", "rows_rejected", "rows_replaced", "targets_loaded")],
            html.Td(_status(b, language)),
            html.Td(action),
        ], className="reverted-row" if b["status"] == "reverted" else None))
    heads = ("batch", "when", "who", "file", "profile", "accepted", "rejected", "replaced", "targets", "status",
             "action")
    return html.Table([
        html.Caption(_("import_history.caption"), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(_(f"import_history.col_{c}"), scope="col",
                                    className="num" if c in ("batch", "accepted", "rejected", "replaced", "targets")
                                    else None) for c in heads])),
        html.Tbody(rows),
    ], className="kpi-table history-table")


def _revert(batch_id, submitted: int) -> tuple:
    scope = current_scope()
    if not scope.allows("analyst"):
        raise PreventUpdate
    if not isinstance(batch_id, int) or isinstance(batch_id, bool) or batch_id <= 0:
        raise PreventUpdate
    services = current_services()
    try:
        result = importing.revert(services, scope, batch_id)
    except PermissionError:
        return _message(_("import_history.not_allowed"), False), no_update
    except ImportError_ as error:
        return _message(_("import_history.revert_failed", problem=str(error)), False), submitted
    return _message(_("import_history.reverted", batch=batch_id, restored=result.get("restored", 0)), True), submitted


def _message(text: str, ok: bool) -> html.Div:
    return html.Div(text, className="form-ok" if ok else "form-error", role="status" if ok else "alert")


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "table", "children"), Input(P + "changed", "data"))
    def show(_changed):
        scope = current_scope()
        if not scope.allows("viewer"):
            raise PreventUpdate
        return _table(imports.list_batches(current_services().warehouse), scope, current_language())

    @callback(app, "analyst", Output(P + "confirm", "displayed"), Output(P + "confirm", "message"),
              Output(P + "pending", "data"),
              Input({"type": P + "revert", "index": ALL}, "n_clicks"), prevent_initial_call=True)
    def ask(clicks):
        if not current_scope().allows("analyst"):
            raise PreventUpdate
        index = pressed_index(clicks)
        if index is None:
            raise PreventUpdate
        batch = imports.get_batch(current_services().warehouse, index)
        if batch is None:
            raise PreventUpdate
        return True, _("import_history.confirm", batch=batch["id"], file=batch["file_name"] or "–",
                       rows=batch["rows_accepted"]), batch["id"]

    @callback(app, "analyst", Output(P + "message", "children"), Output(P + "changed", "data"),
              Input(P + "confirm", "submit_n_clicks"), State(P + "pending", "data"), prevent_initial_call=True)
    def revert(submitted, batch_id):
        if not isinstance(submitted, int) or isinstance(submitted, bool) or submitted < 1:
            raise PreventUpdate
        return _revert(batch_id, submitted)
