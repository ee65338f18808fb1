"""Datasets (issue #7): the raw operational records computed KPIs read - each with its rows,
columns and date range; a chosen one's columns with their types, first rows and loads
(revertable by whoever made the load, or by a manager); and, for analysts and above, a
form to load a CSV file with its dataset profile.

The layout holds no data: callbacks fill it in, each checking the person again. The work
is in web.datasets; what the page shows of it is in dashboards/dataset_parts.py.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboards import dataset_parts as parts
from dashboards.components import dropdown_labels, pressed_index, table_region
from dashboards.import_parts import message, problems
from dashboards.import_steps import analyst, browser_locale, clicks, limit_bytes, megabytes
from i18n import _, current_language, format_number
from metrics.datasets import NAME, DatasetError
from web import datasets, importing
from web.auth import current_scope
from web.rules import CALLBACK_RULES, callback
from web.services import current_services

P = "datasets-"
EXAMPLE = {"name": "requests_311", "mode": "append", "columns": {
    "createddate": {"type": "timestamp", "format": "%m/%d/%Y %I:%M:%S %p"},
    "closeddate": {"type": "timestamp", "format": "%m/%d/%Y %I:%M:%S %p"}}}
_DATA_URL = re.compile(r"^data:[^,]{0,200};base64,")


def _title() -> str:
    return f"{_('datasets.title')} · CityStat"


dash.register_page(__name__, path="/datasets", title=_title, order=22, access="viewer")


def _load_card():
    return html.Section([
        html.H2(_("datasets.load_heading"), id=P + "load-heading"),
        html.P(_("datasets.load_lede"), className="muted"),
        dcc.Upload(id=P + "file", multiple=False, className="upload-zone", className_active="upload-zone active",
                   accept=".csv,.txt,.tsv,text/csv,text/plain",
                   children=html.Div([html.Strong(_("datasets.drop_file")), " ",
                                      html.Span(_("imports.or_choose"), className="upload-link")])),
        html.P(id=P + "file-hint", className="muted small"),
        html.Div(id=P + "file-status", className="form-message", **{"aria-live": "polite"}),
        html.Div([
            html.Label(_("datasets.profile_label"), htmlFor=P + "profile"),
            dcc.Textarea(id=P + "profile", className="textarea mono json-box", spellCheck=False,
                         maxLength=datasets.MAX_PROFILE_CHARS, value=json.dumps(EXAMPLE, indent=2)),
            html.Span(_("datasets.profile_hint"), className="muted small"),
        ], className="field profile-field"),
        html.Div(html.Button(_("datasets.load"), id=P + "load", n_clicks=0, className="button primary"),
                 className="button-row"),
        dcc.Loading(html.Div(id=P + "report", className="form-message", **{"aria-live": "polite"}), type="dot"),
    ], id=P + "load-card", hidden=True, className="card", **{"aria-labelledby": P + "load-heading"})


def layout(**_query):
    return html.Div([
        html.Div([html.H1(_("datasets.title")), html.P(_("datasets.lede"), className="lede"),
                  dcc.Link(_("datasets.define_kpi"), href="/kpi-new", className="button")
                  if current_scope().allows("analyst") else None], className="page-head"),
        *[dcc.Store(id=P + name) for name in ("limit", "loaded", "reverted", "pending")],
        dcc.ConfirmDialog(id=P + "confirm", message=""),
        html.Section([
            html.H2(_("datasets.list_heading"), id=P + "list-heading"),
            dcc.Loading(table_region(None, _("datasets.list_heading"), id=P + "table"), type="dot"),
        ], className="card", **{"aria-labelledby": P + "list-heading"}),
        html.Section([
            html.H2(_("datasets.detail_heading"), id=P + "detail-heading"),
            html.Div([html.Label(_("datasets.choose"), htmlFor=P + "chosen"),
                      dcc.Dropdown(id=P + "chosen", options=[], placeholder=_("datasets.choose_placeholder"),
                                   labels=dropdown_labels(current_language()))],
                     className="field narrow-control"),
            html.Div(id=P + "revert-message", className="form-message", **{"aria-live": "polite"}),
            dcc.Loading(html.Div(id=P + "detail"), type="dot"),
        ], className="card", **{"aria-labelledby": P + "detail-heading"}),
        _load_card(),
    ])


# -- the work behind the callbacks ------------------------------------------------------------------------
def _viewer():
    scope = current_scope()
    if not scope.allows("viewer"):
        raise PreventUpdate
    return scope


def _decode(contents, filename) -> tuple[bytes, str]:
    """The uploaded bytes and their name; ValueError(key) when they cannot be taken."""
    if not isinstance(contents, str) or not isinstance(filename, (str, type(None))):
        raise ValueError("imports.upload_unreadable")
    if len(contents) > current_app.config["MAX_CONTENT_LENGTH"]:
        raise ValueError("imports.too_big")
    prefix = _DATA_URL.match(contents)
    if not prefix:
        raise ValueError("imports.upload_unreadable")
    try:
        data = base64.b64decode(contents[prefix.end():], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("imports.upload_unreadable") from None
    if len(data) > limit_bytes():
        raise ValueError("imports.too_big")
    return data, re.split(r"[\\/]", filename or "")[-1].strip()[:255] or "upload.csv"


def _load(contents, filename, profile_text, language: str):
    """Load the chosen file with the typed profile; the report, and the dataset to show."""
    scope = analyst()
    if contents is None:
        return message(_("datasets.no_file"), False), dash.no_update
    try:
        data, name = _decode(contents, filename)
    except ValueError as error:
        return message(_(str(error), limit=megabytes(limit_bytes(), language)), False), dash.no_update
    try:
        profile = datasets.parse_profile(profile_text)
    except DatasetError as error:
        return problems(_("datasets.profile_problems"), error.problems), dash.no_update
    services = current_services()
    path = Path(importing.workdir(services)) / f"dataset-{secrets.token_hex(8)}"
    path.write_bytes(data)
    try:
        report = datasets.load(services, scope, path, profile, file_name=name)
    except PermissionError:
        raise PreventUpdate from None
    except DatasetError as error:
        return parts.failure(error, language), dash.no_update
    finally:
        path.unlink(missing_ok=True)
    return parts.report(report, language), {"dataset": report["dataset"], "at": time.time()}


def _chosen(value) -> str | None:
    return value if isinstance(value, str) and NAME.match(value) else None


_SIZE_CHECK = """
function(contents, filename, limit) {
    var skip = window.dash_clientside.no_update;
    if (!contents || !limit) { return [skip, skip]; }
    var size = Math.floor((contents.length - contents.indexOf(",") - 1) * 3 / 4);
    var mb = (size / 1048576).toLocaleString(limit.locale, {minimumFractionDigits: 1, maximumFractionDigits: 1});
    var name = filename || "";
    if (size > limit.bytes) { return [limit.too_big.replace("{name}", name).replace("{size}", mb), true]; }
    return [limit.ready.replace("{name}", name).replace("{size}", mb), false];
}
"""


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "viewer", Output(P + "table", "children"), Output(P + "chosen", "options"),
              Output(P + "chosen", "value"), Output(P + "load-card", "hidden"), Output(P + "limit", "data"),
              Output(P + "file-hint", "children"),
              Input(P + "loaded", "data"), Input(P + "reverted", "data"), State(P + "chosen", "value"))
    def show(loaded, _reverted, chosen):
        scope, language = _viewer(), current_language()
        found = datasets.list_datasets(current_services())
        names = [d["name"] for d in found]
        wanted = loaded.get("dataset") if isinstance(loaded, dict) and ctx.triggered_id == P + "loaded" else None
        chosen = next((n for n in (wanted, _chosen(chosen)) if n in names), names[0] if names else None)
        limit = megabytes(limit_bytes(), language)
        sizes = {"bytes": limit_bytes(), "locale": browser_locale(language),
                 "too_big": _("datasets.too_big", limit=limit, name="{name}", size="{size}"),
                 "ready": _("datasets.file_ready", name="{name}", size="{size}")}
        return (parts.datasets_table(found, language), [{"label": n, "value": n} for n in names], chosen,
                not datasets.may_load(scope), sizes, _("datasets.file_hint", limit=limit))

    @callback(app, "viewer", Output(P + "detail", "children"),
              Input(P + "chosen", "value"), Input(P + "loaded", "data"), Input(P + "reverted", "data"))
    def detail(chosen, _loaded, _reverted):
        scope, language = _viewer(), current_language()
        name = _chosen(chosen)
        if name is None:
            return html.P(_("datasets.none_chosen"), className="muted")
        services = current_services()
        try:
            preview = datasets.preview(services, name)
        except DatasetError:
            return html.P(_("datasets.preview_missing", name=name), className="muted")
        described = next((d for d in datasets.list_datasets(services) if d["name"] == name), None)
        loads = datasets.history(services, name)
        return parts.detail(preview, described, loads, lambda b: datasets.may_revert(scope, b), language)

    before = set(app.callback_map)
    app.clientside_callback(_SIZE_CHECK, Output(P + "file-status", "children"), Output(P + "load", "disabled"),
                            Input(P + "file", "contents"), State(P + "file", "filename"), State(P + "limit", "data"),
                            prevent_initial_call=True)
    # Never reaches the server, but the app refuses to start with any callback undeclared.
    app.server.extensions.setdefault(CALLBACK_RULES, {}).update({k: "analyst" for k in set(app.callback_map) - before})

    @callback(app, "analyst", Output(P + "report", "children"), Output(P + "loaded", "data"),
              Input(P + "load", "n_clicks"), State(P + "file", "contents"), State(P + "file", "filename"),
              State(P + "profile", "value"), prevent_initial_call=True)
    def load(pressed, contents, filename, profile_text):
        if not clicks(pressed):
            raise PreventUpdate
        return _load(contents, filename, profile_text, current_language())

    @callback(app, "analyst", Output(P + "confirm", "displayed"), Output(P + "confirm", "message"),
              Output(P + "pending", "data"),
              Input({"type": P + "revert", "index": ALL}, "n_clicks"), prevent_initial_call=True)
    def ask(presses):
        scope = analyst()
        index = pressed_index(presses)
        if index is None:
            raise PreventUpdate
        batch = datasets.find_batch(current_services(), index)
        if batch is None or not datasets.may_revert(scope, batch):
            raise PreventUpdate
        return True, _("datasets.confirm", batch=batch["id"], file=batch["file_name"] or "–",
                       name=batch["dataset"], rows=format_number(batch["rows_loaded"], current_language())), batch["id"]

    @callback(app, "analyst", Output(P + "revert-message", "children"), Output(P + "reverted", "data"),
              Input(P + "confirm", "submit_n_clicks"), State(P + "pending", "data"), prevent_initial_call=True)
    def revert(submitted, batch_id):
        scope = analyst()
        if not clicks(submitted) or not isinstance(batch_id, int) or isinstance(batch_id, bool) or batch_id < 1:
            raise PreventUpdate
        try:
            result = datasets.revert(current_services(), scope, batch_id)
        except PermissionError:
            return message(_("datasets.not_allowed"), False), dash.no_update
        except DatasetError as error:
            return message(_("datasets.revert_failed", problem=str(error)), False), submitted
        rows = format_number(result["rows_removed"], current_language())
        return message(_("datasets.reverted", batch=batch_id, rows=rows, name=result["dataset"]), True), submitted
