"""What the KPI editor shows besides its form, and what the KPI page borrows from it: the
history of a KPI's definition (field versions and SQL definition versions, newest first),
refusals said field by field, and the notice on an archived KPI's page. Text only comes
from the catalogue; values are said in the reader's language (units, directions, flags)."""
from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from dashboards.components import table_region
from i18n import format_day, localized, translate
from metrics import catalog, computed, versions
from web.auth import current_scope
from web.kpi_definitions import kpi_row, may_edit
from web.reasons import say

P = "kpi-edit-"
LONG_TEXT = 160   # characters of a description shown in the history; the rest is cut
# Refusals that concern one field without naming it in their parameters.
_FIELD_OF = {"kpi_field.department": "department", "kpi_field.goal": "goal_id",
             "kpi_field.tolerance": "tolerance", "kpi_field.decimals": "decimals", "kpi_field.lag": "lag",
             "kpi_field.id_fixed": "id", "kpi_edit.breakdowns": "breakdowns", "kpi_edit.frequency_values": "frequency",
             "kpi_edit.frequency_targets": "frequency", "kpi_edit.percent_points": "unit",
             "kpi_edit.ratio_parts": "aggregation", "kpi_edit.ratio_definition": "aggregation",
             "kpi_edit.band_needs_bands": "direction", "kpi_edit.value_needs_values": "direction"}
_CATEGORY_KEYS = {"unit": "kpi_new.unit", "direction": "direction", "frequency": "frequency",
                  "aggregation": "aggregation"}
# The editor's fields by the control that edits them.
TEXTS = ("name", "unit_label", "owner", "data_source", "name_es", "name_pt")
AREAS = ("description", "methodology", "description_es", "description_pt")
CHOICES = ("department", "goal_id", "unit", "direction", "frequency", "aggregation")
NUMBERS = ("tolerance", "decimals", "lag")
FLAGS = ("critical", "published")
# Every field of the form, in the order Save reads them (the callback's States follow it).
FORM = TEXTS + AREAS + CHOICES + NUMBERS + ("breakdowns",) + FLAGS


def form_values(row) -> dict:
    """A KPI's row (kpis columns) as the editor's form shows it, by body name."""
    values = {name: row.get(name) for name in TEXTS + AREAS + ("unit", "direction", "frequency", "aggregation",
                                                                 "goal_id", "tolerance", "decimals")}
    values.update(department=row["department_id"], lag=row["lag_days"],
                  breakdowns=", ".join(row["breakdowns"] or []),
                  **{flag: [flag] if row[flag] else [] for flag in FLAGS})
    return values


def field_label(name: str, language: str) -> str:
    return translate(f"kpi_edit.field.{name}", language)


# -- values, as a reader sees them --------------------------------------------------------------------
def value_words(name: str, value, language: str, names: dict[str, dict[str, str]]) -> str:
    """A field's stored value in words: "–" for nothing, yes/no, translated categories, the
    department's and goal's names, the lag in days, long texts cut."""
    if value is None or value == "" or value == []:
        return translate("kpi_edit.lag_default", language) if name == "lag" else "–"
    if isinstance(value, bool):
        return translate("kpi_edit.yes" if value else "kpi_edit.no", language)
    if name in _CATEGORY_KEYS:
        return translate(f"{_CATEGORY_KEYS[name]}.{value}", language)
    if name == "department":
        return names["department"].get(value, str(value))
    if name == "goal_id":
        return names["goal"].get(value, str(value))
    if name == "lag":
        return translate("kpi.lag_days", language, days=value)
    if name == "tolerance" and isinstance(value, (int, float)):
        return f"±{value * 100:g} %"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[:LONG_TEXT].rstrip() + "…"


def _names(services, language: str) -> dict[str, dict[str, str]]:
    return {"department": {d["id"]: localized(d, "name", language) or d["id"]
                           for d in catalog.list_departments(services.warehouse)},
            "goal": {g["id"]: localized(g, "title", language) or g["id"]
                     for g in catalog.list_goals(services.warehouse)}}


def _when(moment: datetime, language: str) -> str:
    return f"{format_day(moment.date(), language)} {moment:%H:%M}"


# -- the history ---------------------------------------------------------------------------------------
def history_rows(services, kpi_id: str) -> list[dict]:
    """Field versions and SQL definition versions of a KPI, newest first: {"kind", "version",
    "who", "when", "action", "changes"} ("changes" empty for a definition)."""
    rows = [{"kind": "fields", "version": v["version"], "who": v["changed_by"], "when": v["changed_at"],
             "action": v["action"], "changes": v["changes"]}
            for v in versions.history(services.warehouse, "kpi", kpi_id)]
    rows += [{"kind": "definition", "version": d["version"], "who": d["created_by"], "when": d["created_at"],
              "action": "definition", "changes": {}}
             for d in computed.definition_history(services.warehouse, kpi_id)]
    return sorted(rows, key=lambda row: (row["when"], row["kind"] == "fields", row["version"]), reverse=True)


def _change_cells(row, language: str, names) -> list[tuple[str, object]]:
    """(field, what changed) pairs of one history row."""
    if row["kind"] == "definition":
        return [(translate("kpi_edit.field.sql", language),
                 translate("kpi_edit.definition_saved", language, version=row["version"]))]
    return [(field_label(name, language),
             html.Span([html.Span(value_words(name, change.get("old"), language, names), className="old-value"),
                        html.Span(" → ", **{"aria-hidden": "true"}),
                        html.Span(f" {translate('kpi_edit.became', language)} ", className="visually-hidden"),
                        html.Span(value_words(name, change.get("new"), language, names), className="new-value")]))
            for name, change in sorted(row["changes"].items())]


def history_table(services, kpi_id: str, language: str):
    """The table of every change to the KPI's definition, one line per field changed."""
    rows = history_rows(services, kpi_id)
    if not rows:
        return html.P(translate("kpi_edit.no_history", language), className="muted")
    names = _names(services, language)
    caption = translate("kpi_edit.history_caption", language)
    body = []
    for row in rows:
        version = (translate("kpi_edit.definition_version", language, version=row["version"])
                   if row["kind"] == "definition" else str(row["version"]))
        for field, change in _change_cells(row, language, names) or [("–", "–")]:
            body.append(html.Tr([html.Th(version, scope="row", className="num"), html.Td(row["who"]),
                                 html.Td(_when(row["when"], language), className="nowrap"),
                                 html.Td(translate(f"kpi_edit.action.{row['action']}", language)),
                                 html.Td(field), html.Td(change, className="change-cell")]))
    return table_region(html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(translate(f"kpi_edit.col_{col}", language), scope="col")
                            for col in ("version", "who", "when", "action", "field", "change")])),
        html.Tbody(body),
    ], className="kpi-table kpi-edit-history"), caption, className="table-scroll")


# -- refusals -----------------------------------------------------------------------------------------
def problem_items(problems, language: str) -> list:
    """Each problem in the reader's language, led by the label of the field it concerns."""
    items = []
    for problem in problems:
        code, params = getattr(problem, "code", None), getattr(problem, "params", {}) or {}
        field = params.get("name") if code in ("kpi_field.text", "kpi_field.required", "kpi_field.one_of",
                                               "kpi_field.flag") else _FIELD_OF.get(code)
        text = say(problem, language)
        items.append(html.Li([html.Strong(field_label(field, language) + ": "), text] if field else text))
    return items


def refusal(error, language: str, *, heading: str | None = None) -> html.Div:
    """A KpiWriteError as a role="alert" box: what went wrong, then every problem to fix."""
    return html.Div([html.P(heading or error.message(language)),
                     html.Ul(problem_items(error.problems, language)) if error.problems else None],
                    className="form-error", role="alert")


# -- on the KPI page ----------------------------------------------------------------------------------
def kpi_page_notes(kpi, language: str, services):
    """For the KPI page: a link to the editor for those who may edit it, and for an archived
    KPI a notice that says so, with its history. None when there is nothing to show."""
    row = kpi_row(services, kpi["id"])
    archived = bool(row and row["archived"])
    editable = may_edit(current_scope(), kpi)
    if not archived and not editable:
        return None
    link = dcc.Link(translate("kpi_edit.edit_link", language), href=f"/kpi/{kpi['id']}/edit", id="kpi-edit-link",
                    className="button small") if editable else None
    if not archived:
        targets = dcc.Link(translate("kpi_edit.targets_link", language), href=f"/kpi/{kpi['id']}/targets",
                           id="kpi-targets-link", className="button small")
        return html.P([link, " ", targets], className="kpi-edit-links kpi-page-edit")
    when = next((v for v in versions.history(services.warehouse, "kpi", kpi["id"]) if v["action"] == "archive"), None)
    said = (translate("kpi_edit.archived_by", language, who=when["changed_by"],
                      date=format_day(when["changed_at"].date(), language)) if when else "")
    return html.Div([
        html.P([html.Strong(translate("kpi_edit.archived_title", language)), " ", said], className="archived-head"),
        html.P(translate("kpi_edit.archived_body", language)),
        link,
        html.Details([html.Summary(translate("kpi_edit.history_heading", language)),
                      history_table(services, kpi["id"], language)], className="kpi-edit-history-details"),
    ], className="archived-notice", id="kpi-archived-notice")
