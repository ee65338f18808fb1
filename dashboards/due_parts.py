"""The pieces of "what is due" (issue #10): the table of values owed, the summary line, the
KPIs without an owner, the narratives owed, and the short card on a department's page.

Each takes rows already computed (metrics.status.kpi_statuses and metrics.due.due_items) and
only renders them; states are shown in words and an icon, never colour alone.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from dash import dcc, html

from dashboards.components import department_name, frequency_text, kpi_name, period_text, table_region
from i18n import format_day, format_number, translate
from metrics import due
from metrics.periods import Period
from web.services import Services

P = "due-"
STATE_CHOICES = ("all", "overdue", "due")
STATE_ICONS = {"overdue": "!", "due": "◷"}   # the word beside it says the same


def due_href(department_id: str | None = None) -> str:
    """The page, opened on one department when given."""
    return "/due" if not department_id else f"/due?department={quote(department_id, safe='')}"


# -- cells --------------------------------------------------------------------------------------------------
def state_badge(state: str, language: str) -> html.Span:
    return html.Span([html.Span(STATE_ICONS[state], className="due-state-icon", **{"aria-hidden": "true"}),
                      translate(f"due.state_{state}", language)], className=f"due-state due-state-{state}")


def late_text(item: Mapping[str, Any], language: str) -> str:
    """'12 days late', '1 day left', 'Due today'."""
    if item["state"] == "overdue":
        days, kind = item["days_late"], "late"
    elif item["days_left"] == 0:
        return translate("due.today", language)
    else:
        days, kind = item["days_left"], "left"
    if days == 1:
        return translate(f"due.days_{kind}_one", language)
    return translate(f"due.days_{kind}", language, count=format_number(days, language))


def no_owner_badge(language: str) -> html.Span:
    return html.Span([html.Span("⚑", className="due-flag", **{"aria-hidden": "true"}),
                      translate("due.no_owner", language)], className="badge badge-no-owner")


def _period_cell(kpi: Mapping[str, Any], item: Mapping[str, Any], language: str, services: Services):
    owed = html.Span(period_text(kpi, item["period"].start, language, services), className="nowrap")
    if item["periods_owed"] <= 1:
        return owed
    count = format_number(item["periods_owed"], language)
    return [owed, html.Span(translate("due.periods_owed", language, count=count), className="muted small block")]


COLUMNS = ("col_kpi", "col_department", "col_frequency", "col_period", "col_due_date", "col_state", "col_late",
           "col_owner")


def _row(kpi: Mapping[str, Any], labels: list[str], language: str, services: Services) -> html.Tr:
    """One KPI's row; each cell carries its column's name, which narrow screens show beside
    the value when the rows stack (assets/due.css)."""
    item = kpi["due"]
    cells = [
        dcc.Link(department_name(kpi, language), href=f"/department/{kpi['department_id']}")
        if kpi.get("department_id") else "–",
        frequency_text(kpi, language),
        _period_cell(kpi, item, language, services),
        html.Span(format_day(item["due_date"], language), className="nowrap"),
        state_badge(item["state"], language),
        html.Span(late_text(item, language), className="nowrap"),
        item["owner"] if item["has_owner"] else no_owner_badge(language),
    ]
    return html.Tr([html.Th(dcc.Link(kpi_name(kpi, language), href=f"/kpi/{kpi['id']}"), scope="row"),
                    *[html.Td(cell, **{"data-label": label}) for cell, label in zip(cells, labels[1:])]],
                   className=f"due-row due-row-{item['state']}")


def due_table(items: list[dict[str, Any]], language: str, services: Services) -> html.Div:
    """The values owed, in the order given (metrics.due.due_items: overdue first, the latest first)."""
    caption = translate("due.caption", language)
    labels = [translate(f"due.{column}", language) for column in COLUMNS]
    table = html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(label, scope="col") for label in labels])),
        html.Tbody([_row(kpi, labels, language, services) for kpi in items]),
    ], className="kpi-table due-table")
    return table_region(table, caption)


# -- the summary and the empty states ---------------------------------------------------------------------
def summary(counts: Mapping[str, int], unowned: int, today: date, language: str) -> html.P:
    """'Overdue: 5 · Due: 3 · KPIs without an owner: 9', for the departments chosen."""
    def part(key: str, count: int, name: str):
        return html.Span([translate(key, language), " ", html.Strong(format_number(count, language))],
                         className=f"due-count due-count-{name}")
    return html.P([
        part("due.count_overdue", counts["overdue"], "overdue"), html.Span(" · ", **{"aria-hidden": "true"}),
        part("due.count_due", counts["due"], "due"), html.Span(" · ", **{"aria-hidden": "true"}),
        html.A(part("due.count_unowned", unowned, "unowned"), href="#" + P + "unowned-heading"),
        html.Span(translate("due.as_of", language, date=format_day(today, language)), className="muted small"),
    ], className="due-summary", role="status")


def empty_text(owed: list[dict[str, Any]], state: str, only_unowned: bool, language: str) -> str:
    """What an empty list means: nothing owed at all, nothing in the state asked for, no
    value owed without an owner, or only the two filters together leaving nothing."""
    if not owed:
        return translate("due.empty", language)
    if state != "all" and not any(kpi["due"]["state"] == state for kpi in owed):
        return translate(f"due.none_{state}", language)
    if only_unowned and all(kpi["due"]["has_owner"] for kpi in owed):
        return translate("due.none_unowned", language)
    return translate("due.none_match", language)


# -- KPIs without an owner -------------------------------------------------------------------------------
def unowned_section(kpis: list[dict[str, Any]], language: str) -> html.Section:
    """Every live KPI of the chosen departments that names no owner, due or not."""
    if kpis:
        body = html.Ul([html.Li([dcc.Link(kpi_name(kpi, language), href=f"/kpi/{kpi['id']}"),
                                 html.Span([" · ", department_name(kpi, language)], className="muted small")])
                        for kpi in kpis], className="due-unowned-list")
    else:
        body = html.P(translate("due.unowned_none", language), className="empty")
    return _list_card("unowned", len(kpis), body, language)


def _list_card(name: str, count: int, body, language: str) -> html.Section:
    """A card of the page's lower lists: heading with its count, lede, the list."""
    heading = P + name + "-heading"
    return html.Section([
        html.H2([translate(f"due.{name}_heading", language), " ",
                 html.Span(format_number(count, language), className="due-heading-count")], id=heading),
        html.P(translate(f"due.{name}_lede", language), className="muted small card-lede"),
        body,
    ], className="card", id=P + name, **{"aria-labelledby": heading})


# -- narratives owed ---------------------------------------------------------------------------------------
def narratives_owed_section(items: list[dict[str, Any]] | None, department_names: Mapping[str, str],
                            language: str, services: Services) -> html.Section | None:
    """The narratives owed: KPIs that turned off track and need their story for a period.

    `items` come from the narratives service (each {"kpi_id", "kpi_name", "period",
    "department_id"}; `period` a Period or its label); None when the city does not require
    narratives (CITYSTAT_NARRATIVE_REQUIRED), and then there is no section at all."""
    if items is None:
        return None

    def period_label(value) -> str:
        return services.calendar.label(value) if isinstance(value, Period) else str(value)
    if items:
        body = html.Ul([html.Li([
            dcc.Link(item["kpi_name"] or item["kpi_id"], href=f"/kpi/{item['kpi_id']}"),
            html.Span([" · ", period_label(item["period"]), " · ",
                       department_names.get(item["department_id"], item["department_id"] or "–")],
                      className="muted small"),
        ]) for item in items], className="due-narratives-list")
    else:
        body = html.P(translate("due.narratives_none", language), className="empty")
    return _list_card("narratives", len(items), body, language)


# -- on a department's page --------------------------------------------------------------------------------
def department_due_card(department_id: str, rows: Iterable[dict[str, Any]], today: date,
                        language: str, services: Services) -> html.Section:
    """A short "What is due" card for one department's page, from the status rows it already
    has: how many values are overdue and due, and a link to the page opened on it."""
    counts = due.state_counts(due.due_items(rows, services.calendar, today))
    heading = "department-due-heading"
    if counts["overdue"] or counts["due"]:
        line = html.P([state_badge("overdue", language), " ", html.Strong(format_number(counts["overdue"], language)),
                       html.Span(" · ", **{"aria-hidden": "true"}),
                       state_badge("due", language), " ", html.Strong(format_number(counts["due"], language))],
                      className="due-card-counts")
    else:
        line = html.P(translate("due.empty", language), className="muted")
    return html.Section([
        html.H2(translate("due.card_heading", language), id=heading),
        line,
        dcc.Link(translate("due.card_link", language), href=due_href(department_id)),
    ], className="card due-card", **{"aria-labelledby": heading})
