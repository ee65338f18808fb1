"""Did the commitment move the number? A KPI's values before and since the meeting where
an action item was committed, as a small table with the commitment marked between them."""
from __future__ import annotations

from datetime import date
from typing import Any

from dash import dcc, html

from dashboards.components import kpi_name, period_text, table_region, value_text
from i18n import format_day, translate
from web import action_items

SHOWN_SINCE = 12   # the latest periods since the commitment; older ones add little


def movement_table(services, kpi_id: str, since: date, language: str):
    """The KPI's last values before `since` and its values after, or a plain line when the
    KPI no longer exists."""
    moved = action_items.kpi_movement(services, kpi_id, since)
    if moved is None:
        return html.P(translate("actions.kpi_gone", language, kpi_id=kpi_id), className="muted small")
    kpi = moved["kpi"]
    name = kpi_name(kpi, language)
    before, after = moved["before"], moved["since"][-SHOWN_SINCE:]
    committed = format_day(since, language)

    def period(row: dict[str, Any]):
        return html.Th(period_text(kpi, row["period_start"], language, services, short=True), scope="col",
                       className="num")

    def value(row: dict[str, Any], field: str):
        return html.Td(value_text(kpi, row[field], language, services), className="num")

    marker_head = html.Th([html.Span("◆ ", **{"aria-hidden": "true"}), translate("actions.committed", language)],
                          scope="col", className="commit-mark")
    if after:
        tail_heads = [period(row) for row in after]
        tail_values = [value(row, "value") for row in after]
        tail_targets = [value(row, "target") for row in after]
    else:
        tail_heads = [html.Th(translate("actions.since_heading", language), scope="col")]
        tail_values = [html.Td(translate("actions.nothing_since", language), rowSpan=2, className="nothing-since")]
        tail_targets = []
    table = html.Table([
        html.Caption(translate("actions.movement_caption", language, kpi=name, day=committed),
                     className="visually-hidden"),
        html.Thead(html.Tr([html.Th(translate("kpi.col_period", language), scope="col"),
                            *[period(row) for row in before], marker_head, *tail_heads])),
        html.Tbody([
            html.Tr([html.Th(translate("kpi.col_actual", language), scope="row"),
                     *[value(row, "value") for row in before],
                     html.Td(committed, rowSpan=2, className="commit-mark nowrap"), *tail_values]),
            html.Tr([html.Th(translate("kpi.col_target", language), scope="row"),
                     *[value(row, "target") for row in before], *tail_targets], className="target-row"),
        ]),
    ], className="kpi-table movement-table")
    return html.Div([
        html.Div([dcc.Link(name, href=f"/kpi/{kpi_id}", className="movement-kpi"),
                  html.Span(_summary(kpi, before, after, language, services), className="muted small")],
                  className="movement-head"),
        table_region(table, translate("actions.movement_caption", language, kpi=name, day=committed)),
    ], className="movement")


def _summary(kpi, before, after, language, services) -> str | None:
    """The move in words: last value before, latest since (the table has the rest)."""
    if not after:
        return None   # the table says so where the values would be
    if not before:
        return translate("actions.latest_since", language,
                         value=value_text(kpi, after[-1]["value"], language, services))
    return translate("actions.moved", language, before=value_text(kpi, before[-1]["value"], language, services),
                     after=value_text(kpi, after[-1]["value"], language, services))
