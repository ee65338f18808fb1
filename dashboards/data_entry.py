"""Data entry (issue #10, item 4): a grid of the values a person owes, typed in and saved as
one batch. An analyst sees their departments' KPIs kept by hand; managers and admins every
department's, or one chosen (`/entry?department=<id>`). Each KPI shows its current period
and any earlier one still owed, with the value stored already (editable), the target and
when it is due. "Check" judges the rows like an import without writing; "Save values"
commits the changed ones as one batch (web.data_entry.commit_entries), which the import
history lists and "Undo this entry" reverts. When the city requires narratives, each KPI the
batch turned off track gets a short narrative form.

Managers open on every department: the page is where they fill in for whoever is late, and
the KPIs that owe something come first, so the whole city's gaps are at the top.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboards.components import department_name, dropdown_labels, kpi_name, period_text, pressed_index, target_text
from dashboards.grid_parts import grid
from dashboards.meeting_parts import clicked, department_names, text_of
from i18n import _, current_language, format_day, format_number, localized, translate
from metrics.imports import ImportError_
from metrics.periods import FREQUENCIES
from web import data_entry, importing
from web.auth import current_scope
from web.narratives import MAX_LENGTH, NarrativeError, narrative_required, save_narrative
from web.reasons import say
from web.rules import callback
from web.services import Services, current_services

P = "entry-"
ALL_DEPARTMENTS = "all"
OWED_ONLY = "owed"   # the value of the "only values still owed" box
STATE_ICONS = {"overdue": "!", "due": "◷", "entered": "✔"}   # the words beside them say the same


def _title() -> str:
    return f"{_('entry.title')} · CityStat"


dash.register_page(__name__, path="/entry", title=_title, order=22, access="analyst")


# -- rows as the grid shows them -------------------------------------------------------------------------
def _suffix(row: dict[str, Any], services: Services, language: str) -> str:
    """The unit written after a typed value, with its space (none before "%" in English, as
    format_value writes it): percents are typed in points."""
    if row["unit"] == "percent":
        return "%" if language == "en" else "\u00a0%"
    if row["unit"] == "duration" and row.get("unit_label"):
        return "\u00a0" + translate("unit." + row["unit_label"], language)
    if row["unit"] == "rate" and row.get("unit_label"):
        return "\u00a0" + row["unit_label"]
    return "\u00a0" + services.config.currency if row["unit"] == "currency" else ""


def _due_text(row: dict[str, Any], language: str) -> str:
    """The Due cell: an icon and words for the state, and the day it is (or was) due."""
    icon = STATE_ICONS[row["state"]]
    if row["state"] == "entered":
        return f"{icon} {translate('entry.entered', language)}"
    day = format_day(row["due_date"], language)
    if row["state"] == "overdue":
        days = row["days_late"]
        words = (translate("entry.overdue_one", language, date=day) if days == 1 else
                 translate("entry.overdue", language, count=format_number(days, language), date=day))
    elif row["days_left"] == 0:
        words = translate("entry.due_today", language, date=day)
    else:
        words = translate("entry.due_by", language, date=day)
    return f"{icon} {words}"


def grid_rows(rows: list[dict[str, Any]], language: str, services: Services) -> list[dict[str, Any]]:
    """web.data_entry.entry_rows as the grid's rowData: texts in `language`, values as typed
    (percents in points). Only "value" and "note" are editable; the server reads nothing else
    but the KPI id and period of each row."""
    return [{
        "row_id": f"{row['kpi_id']}|{row['label']}", "kpi_id": row["kpi_id"], "period": row["label"],
        "department": department_name(row, language), "kpi": kpi_name(row, language),
        "period_text": period_text(row, row["period"].start, language, services),
        "due": _due_text(row, language), "state": row["state"], "target": target_text(row, row, language, services),
        "value": data_entry.shown_value(row), "note": row["note"] or "", "suffix": _suffix(row, services, language),
    } for row in rows]


def _columns(language: str, *, with_department: bool = True) -> list[dict[str, Any]]:
    """The grid's columns; the department's is left out when every row is of one department
    (the lede names it), which leaves room for the values on a phone."""
    def head(name: str) -> str:
        return translate(f"entry.col_{name}", language)
    wrapped = {"wrapText": True, "autoHeight": True}
    columns = [
        # Pinned: on a phone the other columns scroll beside it, and each value keeps its KPI in view.
        {"field": "kpi", "headerName": head("kpi"), "width": 260, "minWidth": 150, "pinned": "left", **wrapped},
        {"field": "department", "headerName": head("department"), "width": 170, "minWidth": 120, **wrapped},
        {"field": "period_text", "headerName": head("period"), "width": 120, "minWidth": 100, **wrapped},
        {"field": "due", "headerName": head("due"), "width": 210, "minWidth": 170, "cellClass": "entry-due", **wrapped},
        {"field": "target", "headerName": head("target"), "width": 120, "minWidth": 100, "type": "rightAligned"},
        {"field": "value", "headerName": head("value"), "width": 130, "minWidth": 110, "type": "rightAligned",
         "editable": True, "cellEditor": "agTextCellEditor", "cellEditorParams": {"maxLength": 40},
         "valueFormatter": {"function": "citystatEntryValue(params)"},
         "cellClass": ["ag-right-aligned-cell", "entry-editable"]},
        {"field": "note", "headerName": head("note"), "width": 220, "minWidth": 160, "editable": True,
         "cellEditor": "agTextCellEditor", "cellEditorParams": {"maxLength": data_entry.MAX_NOTE},
         "cellClass": "entry-editable"},
    ]
    return columns if with_department else [c for c in columns if c["field"] != "department"]


# -- the words around the grid ------------------------------------------------------------------------------
def _departments_text(scope, department: str | None, names: dict[str, str], language: str) -> str:
    if department:
        return names.get(department, department)
    if scope.all_departments:
        return translate("entry.every_department", language)
    return ", ".join(sorted(names.get(d, d) for d in scope.departments)) or "–"


def _periods_text(rows: list[dict[str, Any]], language: str, services: Services) -> str:
    """"Oct 2026 for monthly KPIs, FY2026 for annual KPIs": the current period of each frequency."""
    current = {row["frequency"]: row for row in rows if row["current"]}
    return ", ".join(translate(f"entry.for_frequency.{frequency}", language,
                               period=period_text(current[frequency], current[frequency]["period"].start, language,
                                                  services))
                     for frequency in FREQUENCIES if frequency in current)


def _icon(state: str) -> html.Span:
    return html.Span(STATE_ICONS[state], className="entry-state-icon", **{"aria-hidden": "true"})


def _lede(rows, departments: str, language: str, services: Services) -> str:
    if not rows:
        return translate("entry.lede_empty", language, departments=departments)
    return translate("entry.lede", language, departments=departments, periods=_periods_text(rows, language, services))


def _summary(rows: list[dict[str, Any]], departments: str, language: str, services: Services) -> list:
    """Counts by state, or the empty state; and the KPIs that owe more periods than are listed."""
    if not rows:
        return [html.P(translate("entry.no_kpis", language, departments=departments), className="empty")]
    counts = {state: sum(1 for row in rows if row["state"] == state) for state in data_entry.STATES}
    if not counts["overdue"] and not counts["due"]:
        head = html.P(["✔ ", translate("entry.nothing_owed", language, departments=departments,
                                       periods=_periods_text(rows, language, services))],
                      className="form-ok entry-nothing-owed")
    else:
        head = html.P([html.Span([_icon(state), translate(f"entry.count_{state}", language), " ",
                                  html.Strong(format_number(counts[state], language))],
                                 className=f"entry-count entry-count-{state}")
                       for state in data_entry.STATES], className="entry-summary")
    capped = {row["kpi_id"]: row for row in rows if row["capped"]}
    notes = [html.P(translate("entry.capped", language, kpi=kpi_name(row, language),
                              count=format_number(row["periods_owed"], language), limit=data_entry.MAX_PERIODS),
                    className="muted small") for row in capped.values()]
    return [head, *notes]


def _view(services: Services, scope, department: str | None, owed_only: bool, language: str) -> tuple:
    """(rowData, columnDefs, lede, summary) for `department` (None: all this person may
    enter), only the rows that owe a value when `owed_only`."""
    rows = data_entry.entry_rows(services, scope, date.today(), department)
    names = department_names(services, language)
    departments = _departments_text(scope, department, names, language)
    shown = [row for row in rows if row["state"] != "entered"] if owed_only else rows
    several = len({row["department_id"] for row in shown}) > 1
    return (grid_rows(shown, language, services), _columns(language, with_department=several),
            _lede(rows, departments, language, services), _summary(rows, departments, language, services))


def _filters(scope, names: dict[str, str], chosen: str | None, owed_only: bool, language: str) -> html.Div:
    """Managers and admins choose a department (for analysts the control is kept, hidden, so
    that the page's callbacks find it whoever loads the page); anyone may hide the rows that
    have their value already."""
    options = [{"label": translate("entry.all_departments", language), "value": ALL_DEPARTMENTS}] + [
        {"label": name, "value": key} for key, name in sorted(names.items(), key=lambda item: item[1])]
    control = dcc.Dropdown(id=P + "department", options=options, value=chosen or ALL_DEPARTMENTS, clearable=False,
                           searchable=True, labels=dropdown_labels(language))
    return html.Div([
        html.Div([html.Label(_("entry.filter_department"), htmlFor=P + "department"), control],
                 className="field", hidden=not scope.all_departments),
        html.Fieldset([
            html.Legend(_("entry.filter_rows"), className="visually-hidden"),
            dcc.Checklist(id=P + "owed-only", value=[OWED_ONLY] if owed_only else [], inline=True,
                          className="segmented", options=[{"label": _("entry.owed_only"), "value": OWED_ONLY}]),
        ], className="controls entry-owed-filter"),
    ], className="form-grid filter-grid entry-filters")


def layout(department: Any = None, **_query):
    language, services, scope = current_language(), current_services(), current_scope()
    names = department_names(services, language)
    chosen = department if scope.all_departments and isinstance(department, str) and department in names else None
    # Every department at once is long: there, only what is owed until asked for the rest.
    owed_only = scope.all_departments and chosen is None
    row_data, columns, lede, summary = _view(services, scope, chosen, owed_only, language)
    return html.Div([
        html.Div([html.H1(_("entry.title")), html.P(lede, id=P + "lede", className="lede")], className="page-head"),
        dcc.Store(id=P + "batch"),
        dcc.Store(id=P + "owed"),
        html.Section([
            html.H2(_("entry.list_heading"), id=P + "heading"),
            _filters(scope, names, chosen, owed_only, language),
            html.Div(summary, id=P + "summary", **{"aria-live": "polite"}),
            html.P(_("entry.hint"), className="muted entry-hint", id=P + "hint"),
            grid(P + "grid", row_data, columns, language, label=_("entry.grid_label"),
                 getRowId="params.data.row_id",
                 options={"rowClassRules": {"entry-row-overdue": "params.data.state === 'overdue'",
                                            "entry-row-entered": "params.data.state === 'entered'"}}),
            html.Div([
                html.Button(_("entry.check"), id=P + "check", n_clicks=0, type="button", className="button"),
                html.Button(_("entry.save"), id=P + "save", n_clicks=0, type="button", className="button primary"),
            ], className="entry-actions"),
            html.Div(id=P + "message", className="form-message", **{"aria-live": "polite"}),
            html.Div([
                html.Div(id=P + "saved-text", className="entry-saved-text"),
                dcc.Link(_("entry.history_link"), href="/imports/history", className="button small"),
                html.Button(_("entry.undo"), id=P + "undo", n_clicks=0, type="button", className="button small danger"),
            ], id=P + "saved", className="entry-saved", hidden=True),
        ], className="card", **{"aria-labelledby": P + "heading"}),
        html.Div(id=P + "narratives"),
        html.Div(id=P + "narrative-message", className="form-message entry-narrative-message",
                 **{"aria-live": "polite"}),
    ])


# -- the results of Check, Save and Undo ---------------------------------------------------------------------
def _problem_list(title: str, problems: list[dict], row_data: list, language: str) -> html.Div:
    items = []
    for problem in problems:
        index = problem["row"]
        shown = row_data[index] if isinstance(index, int) and 0 <= index < len(row_data) else {}
        shown = shown if isinstance(shown, dict) else {}
        kpi = shown.get("kpi") if isinstance(shown.get("kpi"), str) else problem["kpi_id"]
        period = shown.get("period_text") if isinstance(shown.get("period_text"), str) else problem["period"]
        items.append(html.Li(translate("entry.problem_line", language, kpi=kpi or "–", period=period or "–",
                                       message=problem["message"]) if kpi or period else problem["message"]))
    return html.Div([html.P(title), html.Ul(items[:200])], className="form-error", role="alert")


def _status(text: str) -> html.Div:
    return html.Div(text, className="form-ok", role="status")


def _checked_text(result: dict, language: str) -> str:
    count = result["accepted"]
    text = (translate("entry.ready_one", language) if count == 1 else
            translate("entry.ready", language, count=format_number(count, language)))
    if result["replaced"]:
        text += " " + translate("entry.replacing", language, count=format_number(result["replaced"], language))
    return text


def _saved_text(result: dict, language: str) -> str:
    count, batch = result["accepted"], result["batch_id"]
    text = (translate("entry.saved_one", language, batch=batch) if count == 1 else
            translate("entry.saved", language, count=format_number(count, language), batch=batch))
    if result["replaced"]:
        text += " " + translate("entry.replacing", language, count=format_number(result["replaced"], language))
    return text


def _narratives(services: Services, turned: list[dict], language: str) -> tuple[list, list]:
    """(the section under the grid, the narratives it asks for as [{"kpi_id", "period",
    "title"}]) for the KPIs this batch turned off track."""
    if not turned:
        return [], []
    if not narrative_required(services):
        items = [html.Li(dcc.Link(_turned_title(services, k, language), href=f"/kpi/{k['kpi_id']}")) for k in turned]
        return [html.Section([html.H2(translate("entry.off_track_heading", language), id=P + "off-heading"),
                              html.P(translate("entry.off_track_lede", language)), html.Ul(items)],
                             className="card", **{"aria-labelledby": P + "off-heading"})], []
    owed = [k for k in turned if not k["has_narrative"]]
    if not owed:
        return [], []
    forms = [_narrative_form(index, _turned_title(services, k, language), language) for index, k in enumerate(owed)]
    section = html.Section([
        html.H2(translate("entry.narratives_heading", language), id=P + "narratives-heading"),
        html.P(translate("entry.narratives_required", language)),
        html.P(translate("narratives.markdown_hint", language, limit=MAX_LENGTH), className="muted small"),
        *forms,
    ], className="card entry-narratives", **{"aria-labelledby": P + "narratives-heading"})
    # The title only names the KPI in the message after a save; the service reads the rest.
    return [section], [{"kpi_id": k["kpi_id"], "period": k["period"], "title": _turned_title(services, k, language)}
                       for k in owed]


def _turned_title(services: Services, kpi: dict, language: str) -> str:
    """"Potholes repaired within 48 hours · Oct 2026"."""
    return translate("entry.narrative_title", language, kpi=localized(kpi, "name", language) or kpi["kpi_id"],
                     period=period_text(kpi, kpi["period_start"], language, services))


def _narrative_form(index: int, title: str, language: str) -> html.Fieldset:
    """What happened, why, what comes next for one KPI and period; `index` ties its fields to
    its place in the page's list of narratives asked for."""
    def part(name: str, hint_key: str, rows: int) -> html.Label:
        return html.Label([html.Span(translate(f"narratives.part.{name}", language), className="control-label"),
                           dcc.Textarea(id={"type": P + f"nar-{name}", "index": index}, rows=rows,
                                        className="text-input", maxLength=MAX_LENGTH),
                           html.Span(translate(hint_key, language), className="muted small")], className="field wide")
    return html.Fieldset([
        html.Legend(title),
        html.Div([part("happened", "narratives.happened_hint", 3), part("why", "narratives.why_hint", 2),
                  part("next_steps", "narratives.next_hint", 2)], className="form-grid"),
        html.Button(translate("narratives.submit", language), id={"type": P + "nar-save", "index": index},
                    n_clicks=0, type="button", className="button primary",
                    **{"aria-label": translate("entry.narrative_save_label", language, title=title)}),
    ], className="entry-narrative")


# -- callbacks -----------------------------------------------------------------------------------------------
def _department(value, scope) -> str | None:
    """The department the browser chose, checked: None for all (and always for analysts)."""
    if not scope.all_departments or value in (None, ALL_DEPARTMENTS):
        return None
    if not isinstance(value, str) or value not in department_names(current_services(), "en"):
        raise PreventUpdate
    return value


def _owed_only(value) -> bool:
    if value is None:
        return False
    if not isinstance(value, list) or any(item != OWED_ONLY for item in value):
        raise PreventUpdate
    return bool(value)


# What the page's one callback writes, in its Outputs' order; `_answer` fills in the rest.
PARTS = ("rows", "columns", "lede", "summary", "message", "saved_hidden", "saved_text", "batch", "narratives", "owed",
         "narrative_message")


def _answer(**parts) -> tuple:
    return tuple(parts.get(name, no_update) for name in PARTS)


def _reloaded(services, scope, chosen, owed_only, language, **parts) -> tuple:
    """The grid read again (after a change of department or filter, a save or an undo)."""
    rows, columns, lede, summary = _view(services, scope, chosen, owed_only, language)
    return _answer(rows=rows, columns=columns, lede=lede, summary=summary, **parts)


def _act(trigger: str, department, owed_only, row_data, batch) -> tuple:
    services, scope, language = current_services(), current_scope(), current_language()
    chosen, owed_only = _department(department, scope), _owed_only(owed_only)
    forget = {"message": None, "saved_hidden": True, "saved_text": None, "batch": None, "narratives": [], "owed": [],
              "narrative_message": None}
    if trigger in (P + "department", P + "owed-only"):
        return _reloaded(services, scope, chosen, owed_only, language, **forget)
    if trigger in (P + "check", P + "save"):
        if not isinstance(row_data, list):
            raise PreventUpdate
        dry_run = trigger == P + "check"
        result = data_entry.commit_entries(services, scope, row_data, dry_run=dry_run, language=language)
        if result["problems"]:
            title = translate("entry.check_problems" if dry_run else "entry.save_problems", language)
            return _answer(message=_problem_list(title, result["problems"], row_data, language))
        if not result["changed"]:
            return _answer(message=html.Div(translate("entry.nothing_changed", language), className="form-note",
                                            role="status"))
        if dry_run:
            return _answer(message=_status(_checked_text(result, language)))
        narratives, owed = _narratives(services, result["turned_off_track"], language)
        return _reloaded(services, scope, chosen, owed_only, language, message=None, saved_hidden=False,
                         saved_text=_status(_saved_text(result, language)), batch=result["batch_id"],
                         narratives=narratives, owed=owed, narrative_message=None)
    if trigger == P + "undo":
        if not isinstance(batch, int) or isinstance(batch, bool) or batch <= 0:
            raise PreventUpdate
        try:
            importing.revert(services, scope, batch)
        except (ImportError_, PermissionError) as error:
            reason = error.args[0] if error.args else error
            return _answer(message=html.Div(say(reason, language), className="form-error", role="alert"))
        return _reloaded(services, scope, chosen, owed_only, language,
                         **{**forget, "message": _status(translate("entry.undone", language, batch=batch))})
    raise PreventUpdate


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "analyst", Output(P + "grid", "rowData"), Output(P + "grid", "columnDefs"),
              Output(P + "lede", "children"), Output(P + "summary", "children"), Output(P + "message", "children"),
              Output(P + "saved", "hidden"), Output(P + "saved-text", "children"), Output(P + "batch", "data"),
              Output(P + "narratives", "children"), Output(P + "owed", "data"),
              Output(P + "narrative-message", "children", allow_duplicate=True),
              Input(P + "department", "value"), Input(P + "owed-only", "value"), Input(P + "check", "n_clicks"),
              Input(P + "save", "n_clicks"), Input(P + "undo", "n_clicks"), State(P + "grid", "rowData"),
              State(P + "batch", "data"), prevent_initial_call=True)
    def act(department, owed_only, check, save, undo, row_data, batch):
        # commit_entries and importing.revert check the person and every KPI's department
        # against the warehouse; this only refuses what is not a real click.
        if not current_scope().allows("analyst"):
            raise PreventUpdate
        trigger = ctx.triggered_id
        clicks = {P + "check": check, P + "save": save, P + "undo": undo}
        if trigger in clicks and not clicked(clicks[trigger]):
            raise PreventUpdate
        return _act(trigger, department, owed_only, row_data, batch)

    @callback(app, "analyst", Output(P + "narrative-message", "children"),
              Input({"type": P + "nar-save", "index": ALL}, "n_clicks"),
              State({"type": P + "nar-happened", "index": ALL}, "value"),
              State({"type": P + "nar-why", "index": ALL}, "value"),
              State({"type": P + "nar-next_steps", "index": ALL}, "value"),
              State(P + "owed", "data"), prevent_initial_call=True)
    def write_narrative(clicks, happened, why, next_steps, owed):
        # web.narratives.save_narrative checks the writer against the KPI's department.
        index = pressed_index(clicks)
        if index is None or not isinstance(owed, list) or not 0 <= index < len(owed) \
                or not isinstance(owed[index], dict):
            raise PreventUpdate
        if not all(isinstance(values, list) and len(values) == len(clicks) for values in (happened, why, next_steps)):
            raise PreventUpdate
        language, item = current_language(), owed[index]
        title = (item.get("title") if isinstance(item.get("title"), str) else str(item.get("kpi_id")))[:300]
        body = {"happened": text_of(happened[index]), "why": text_of(why[index]),
                "next_steps": text_of(next_steps[index])}
        try:
            saved = save_narrative(current_services(), current_scope(), item.get("kpi_id"), item.get("period"), body)
        except NarrativeError as error:
            return html.Div([html.P(title), html.Ul([html.Li(message) for message in error.details(language)])],
                            className="form-error", role="alert")
        key = "entry.narrative_unchanged" if saved.get("unchanged") else "entry.narrative_saved"
        return _status(translate(key, language, title=title))
