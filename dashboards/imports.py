"""The import wizard (DESIGN §5): upload a CSV or XLSX export, look at its first rows, map
its columns onto a profile (or pick a saved one), save the profile, dry-run, then import.
A returning analyst picks their profile, uploads, and presses "Check and import".

The upload stays on the server (web.import_uploads) under a token only its owner may
use; the browser holds the token, the preview and the profile JSON. The engine
(web.importing.run) applies the person's departments to every row and audits each run.
The layout holds no data: callbacks, open to analysts and above, fill it in; the work
behind them is in dashboards/import_steps.py.
"""
from __future__ import annotations

import json

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import import_form as form
from dashboards import import_steps as steps
from dashboards.import_form import FIELDS_DEFINITION, FIELDS_KPI, FIELDS_LONG, FORM_FIELDS, WORD_FIELDS, FormError
from dashboards.components import dropdown_labels
from dashboards.import_parts import preview_block
from i18n import _, current_language
from web import importing
from web.rules import CALLBACK_RULES, callback
from web.services import current_services

P = form.P
_RULE_IDS = ("rule-pattern", "rule-period", "rule-kind")


def _title() -> str:
    return f"{_('imports.title')} · CityStat"


dash.register_page(__name__, path="/imports", title=_title, order=20, access="analyst")


# -- layout ---------------------------------------------------------------------------------------------
def _field(label: str, control, *, hint: str | None = None, field_id: str | None = None, hidden: bool = False):
    parts = [html.Label(label, htmlFor=control.id), control]
    if hint:
        parts.append(html.Span(hint, className="muted small"))
    extra = {"id": field_id, "hidden": hidden} if field_id else {}
    return html.Div(parts, className="field", **extra)


def _mapping(field: str):
    return _field(_(f"imports.field_{field}"), dcc.Dropdown(id=P + "f-" + field, options=[],
                                                            placeholder=_("imports.not_mapped"),
                                                            labels=dropdown_labels(current_language())),
                  hint=_(f"imports.hint_{field}") if field in ("kpi_id", "kpi_name", "period", "frequency") else None)


def _radios(name: str, legend: str, options: list[tuple[str, str]], value: str):
    return html.Fieldset([
        html.Legend(legend, className="control-label"),
        dcc.RadioItems(id=P + name, options=[{"label": label, "value": key} for key, label in options],
                       value=value, className="segmented", inline=True),
    ], className="controls")


def _file_card():
    return html.Section([
        html.H2(_("imports.step_file"), id=P + "file-heading"),
        html.Div([
            _field(_("imports.saved_profile"),
                   dcc.Dropdown(id=P + "profile", options=[], placeholder=_("imports.no_profile"),
                                labels=dropdown_labels(current_language())),
                   hint=_("imports.saved_profile_hint")),
            _field(_("imports.sheet"), dcc.Dropdown(id=P + "sheet", options=[], clearable=False, searchable=False,
                                                      labels=dropdown_labels(current_language())),
                   field_id=P + "sheet-field", hidden=True),
        ], className="form-grid"),
        dcc.Upload(id=P + "file", multiple=False, className="upload-zone", className_active="upload-zone active",
                   accept=".csv,.txt,.tsv,.xlsx,text/csv,text/plain,"
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   children=html.Div([html.Strong(_("imports.drop_file")), " ",
                                      html.Span(_("imports.or_choose"), className="upload-link")])),
        html.P(id=P + "file-hint", className="muted small"),
        html.Div(id=P + "size-note", className="form-error size-note", role="alert"),
        html.Div(id=P + "file-status", className="form-message", **{"aria-live": "polite"}),
        html.Div([
            html.Button(_("imports.check_and_import"), id=P + "quick", n_clicks=0, className="button primary"),
            html.Span(_("imports.quick_hint"), className="muted small"),
        ], className="button-row quick-row"),
    ], className="card", **{"aria-labelledby": P + "file-heading"})


def _preview_card():
    return html.Details([
        html.Summary(html.H2(_("imports.step_preview"))),
        html.Div(html.P(_("imports.preview_empty"), className="muted"), id=P + "preview-body"),
    ], id=P + "preview-box", open=True, className="card step")


def _map_card():
    return html.Details([
        html.Summary(html.H2(_("imports.step_map"))),
        html.P(_("imports.map_lede"), className="muted"),
        _radios("shape", _("imports.shape"), [("long", _("imports.shape_long")), ("wide", _("imports.shape_wide"))],
                "long"),
        html.H3(_("imports.group_kpi"), className="subheading"),
        html.Div([_mapping(f) for f in FIELDS_KPI], className="form-grid"),
        html.Div([html.H3(_("imports.group_values"), className="subheading"),
                  html.Div([_mapping(f) for f in FIELDS_LONG], className="form-grid")], id=P + "long-fields"),
        html.Div([html.H3(_("imports.group_wide"), className="subheading"),
                  html.P(_("imports.wide_hint"), className="muted small"),
                  html.Div(form.rule_rows([], current_language()), id=P + "rules")],
                 id=P + "wide-fields", hidden=True),
        html.H3(_("imports.group_definition"), className="subheading"),
        html.P(_("imports.definition_hint"), className="muted small"),
        html.Div([_mapping(f) for f in FIELDS_DEFINITION], className="form-grid"),
        html.Div(id=P + "words"),
        html.H3(_("imports.group_reading"), className="subheading"),
        html.Div([
            _field(_("imports.missing"), dcc.Input(id=P + "missing", type="text", className="text-input",
                                                   maxLength=1000, debounce=True),
                   hint=_("imports.missing_hint")),
            _field(_("imports.period_format"),
                   dcc.Dropdown(id=P + "period-format", options=form.date_format_options(current_language(), None),
                                placeholder=_("imports.period_format_none"),
                                labels=dropdown_labels(current_language())),
                   hint=_("imports.period_format_hint")),
        ], className="form-grid"),
        _radios("percent", _("imports.percent"), [(m, _(f"imports.percent_{m}")) for m in form.PERCENTS], "auto"),
        _radios("on-error", _("imports.on_error"), [(m, _(f"imports.on_error_{m}")) for m in form.ON_ERROR],
                "reject"),
        html.Details([
            html.Summary(_("imports.json_summary")),
            html.Label(_("imports.json_label"), htmlFor=P + "json", className="muted small block"),
            dcc.Textarea(id=P + "json", className="textarea mono json-box", spellCheck=False, maxLength=steps.MAX_JSON,
                         value=""),
        ], className="json-details"),
        html.Div(id=P + "json-check", className="form-message", **{"aria-live": "polite"}),
        html.Div([
            _field(_("imports.profile_name"), dcc.Input(id=P + "name", type="text", className="text-input",
                                                        maxLength=100, autoComplete="off"),
                   hint=_("imports.profile_name_hint")),
            html.Button(_("imports.save_profile"), id=P + "save", n_clicks=0, className="button"),
        ], className="save-row"),
        html.Div(id=P + "save-message", className="form-message", **{"aria-live": "polite"}),
    ], id=P + "map-box", open=True, className="card step")


def _run_card():
    return html.Section([
        html.H2(_("imports.step_run"), id=P + "run-heading"),
        html.P(_("imports.run_lede"), className="muted"),
        html.Div([
            html.Button(_("imports.dry_run"), id=P + "dry", n_clicks=0, className="button"),
            html.Button(_("imports.commit"), id=P + "commit", n_clicks=0, disabled=True, className="button primary"),
        ], className="button-row run-buttons"),
        dcc.Loading(html.Div(id=P + "report", className="form-message", **{"aria-live": "polite"}), type="dot"),
    ], className="card", **{"aria-labelledby": P + "run-heading"})


def layout(**_query):
    return html.Div([
        html.Div([html.H1(_("imports.title")), html.P(_("imports.lede"), className="lede")], className="page-head"),
        *[dcc.Store(id=P + name) for name in ("limit", "go", "upload", "preview", "base", "checked", "saved")],
        _file_card(), _preview_card(), _map_card(), _run_card(),
    ])


# -- callbacks ----------------------------------------------------------------------------------------------
_SIZE_CHECK = """
function(contents, filename, limit) {
    var skip = window.dash_clientside.no_update;
    if (!contents || !limit) { return [skip, skip]; }
    var size = Math.floor((contents.length - contents.indexOf(",") - 1) * 3 / 4);
    if (size > limit.bytes) {
        var mb = (size / 1048576).toLocaleString(limit.locale, {minimumFractionDigits: 1, maximumFractionDigits: 1});
        return [skip, limit.message.replace("{name}", filename || "").replace("{size}", mb)];
    }
    return [{"at": Date.now()}, ""];
}
"""


def _clientside(app: dash.Dash, level: str, script: str, *dependencies) -> None:
    """A browser-side callback, recorded with its level like every other (it never reaches
    the server, but the app refuses to start with any callback left undeclared)."""
    before = set(app.callback_map)
    app.clientside_callback(script, *dependencies, prevent_initial_call=True)
    rules = app.server.extensions.setdefault(CALLBACK_RULES, {})
    for key in set(app.callback_map) - before:
        rules[key] = level


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "analyst", Output(P + "profile", "options"), Output(P + "limit", "data"),
              Output(P + "file-hint", "children"), Input(P + "saved", "data"))
    def setup(_saved):
        steps.analyst()
        language = current_language()
        limit = steps.megabytes(steps.limit_bytes(), language)
        options = [{"label": p["name"] if p["source"] == "saved" else _("imports.shipped", name=p["name"]),
                    "value": p["name"]} for p in importing.list_profiles(current_services())]
        # The browser fills in the file's name and size.
        too_big = _("imports.too_big_browser", limit=limit, name="{name}", size="{size}")
        limits = {"bytes": steps.limit_bytes(), "message": too_big, "locale": steps.browser_locale(language)}
        return options, limits, _("imports.file_hint", limit=limit)

    _clientside(app, "analyst", _SIZE_CHECK, Output(P + "go", "data"), Output(P + "size-note", "children"),
                Input(P + "file", "contents"), State(P + "file", "filename"), State(P + "limit", "data"))

    @callback(app, "analyst", Output(P + "upload", "data"), Output(P + "preview", "data"),
              Output(P + "file-status", "children"), Output(P + "file", "contents"), Output(P + "sheet", "options"),
              Output(P + "sheet", "value"), Output(P + "sheet-field", "hidden"),
              Input(P + "go", "data"), Input(P + "sheet", "value"),
              State(P + "file", "contents"), State(P + "file", "filename"), State(P + "upload", "data"),
              State(P + "profile", "value"), prevent_initial_call=True)
    def upload(_go, sheet, contents, filename, upload_data, picked):
        language = current_language()
        if ctx.triggered_id == P + "sheet":
            return steps.change_sheet(sheet, upload_data, language)
        if contents is None:
            raise PreventUpdate
        return steps.receive(contents, filename, picked, language)

    @callback(app, "analyst", Output(P + "preview-body", "children"), Input(P + "preview", "data"),
              prevent_initial_call=True)
    def show_preview(data):
        steps.analyst()
        preview = steps.checked_preview(data)
        if preview is None:
            return html.P(_("imports.preview_empty"), className="muted")
        return preview_block(preview, current_language())

    @callback(app, "analyst", Output(P + "shape", "value"),
              *[Output(P + "f-" + f, "options") for f in FORM_FIELDS],
              *[Output(P + "f-" + f, "value") for f in FORM_FIELDS],
              Output(P + "rules", "children"), Output(P + "missing", "value"), Output(P + "percent", "value"),
              Output(P + "period-format", "options"), Output(P + "period-format", "value"),
              Output(P + "on-error", "value"), Output(P + "base", "data"), Output(P + "name", "value"),
              Output(P + "preview-box", "open"), Output(P + "map-box", "open"), Output(P + "sheet", "value",
                                                                                        allow_duplicate=True),
              Input(P + "preview", "data"), Input(P + "profile", "value"), prevent_initial_call=True)
    def fill_form(data, picked):
        steps.analyst()
        return steps.fill(steps.checked_preview(data), picked, ctx.triggered_id)

    @callback(app, "analyst", Output(P + "long-fields", "hidden"), Output(P + "wide-fields", "hidden"),
              Input(P + "shape", "value"))
    def shape_fields(shape):
        steps.analyst()
        wide = shape == "wide"
        return wide, not wide

    @callback(app, "analyst", Output(P + "words", "children"),
              *[Input(P + "f-" + f, "value") for f in WORD_FIELDS], Input(P + "preview", "data"),
              Input(P + "base", "data"), prevent_initial_call=True)
    def words(*values):
        steps.analyst()
        *fields, data, base = values
        return steps.word_maps(fields, steps.checked_preview(data), base)

    @callback(app, "analyst", Output(P + "json", "value"), Input(P + "shape", "value"),
              *[Input(P + "f-" + f, "value") for f in FORM_FIELDS],
              *[Input({"type": P + name, "index": ALL}, "value") for name in _RULE_IDS],
              Input({"type": P + "word", "field": ALL, "word": ALL}, "value"),
              Input(P + "missing", "value"), Input(P + "percent", "value"), Input(P + "period-format", "value"),
              Input(P + "on-error", "value"), Input(P + "base", "data"),
              State({"type": P + "word", "field": ALL, "word": ALL}, "id"), State(P + "preview", "data"),
              prevent_initial_call=True)
    def build_json(shape, *values):
        steps.analyst()
        field_values = values[:len(FORM_FIELDS)]
        patterns, periods, kinds, word_values, missing, percent, period_format, on_error, base, word_ids, data = \
            values[len(FORM_FIELDS):]
        if not isinstance(base, dict):
            raise PreventUpdate
        try:
            document = steps.compose(shape, field_values, patterns, periods, kinds, word_values, word_ids, missing,
                                percent, period_format, on_error, steps.checked_preview(data), base)
        except FormError:
            raise PreventUpdate from None
        return json.dumps(document, indent=2, ensure_ascii=False)

    @callback(app, "analyst", Output(P + "json-check", "children"), Output(P + "commit", "disabled"),
              Input(P + "json", "value"), Input(P + "checked", "data"), Input(P + "upload", "data"),
              State(P + "preview", "data"))
    def check_json(text_value, checked, upload_data, data):
        steps.analyst()
        return steps.check(text_value, checked, upload_data, steps.checked_preview(data))

    @callback(app, "analyst", Output(P + "save-message", "children"), Output(P + "saved", "data"),
              Input(P + "save", "n_clicks"), State(P + "name", "value"), State(P + "json", "value"),
              prevent_initial_call=True)
    def save(clicks, name, text_value):
        if not steps.clicks(clicks):
            raise PreventUpdate
        return steps.save(name, text_value)

    @callback(app, "analyst", Output(P + "report", "children"), Output(P + "checked", "data"),
              Output(P + "upload", "data", allow_duplicate=True),
              Input(P + "dry", "n_clicks"), Input(P + "commit", "n_clicks"), Input(P + "quick", "n_clicks"),
              State(P + "upload", "data"), State(P + "json", "value"), State(P + "name", "value"),
              State(P + "profile", "value"), prevent_initial_call=True)
    def run(dry, commit, quick, upload_data, text_value, name, picked):
        clicks = {P + "dry": steps.clicks(dry), P + "commit": steps.clicks(commit), P + "quick": steps.clicks(quick)}
        if not isinstance(ctx.triggered_id, str) or not clicks.get(ctx.triggered_id):
            raise PreventUpdate
        return steps.run(ctx.triggered_id.removeprefix(P), upload_data, text_value, [name, picked])
