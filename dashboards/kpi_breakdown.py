"""A KPI's breakdown by district, for its page (dashboards/kpi.py): a map of the latest
value per district over the city's district boundaries, the same values as a table (the
accessible alternative to the map), and one small line chart per district on a shared
value axis, its every value in a table folded under it. Shown only for KPIs broken down
by district."""
from __future__ import annotations

import re
from typing import Any

import dash
from dash import dcc, html

from dashboards.chart_locale import plotly_locale
from dashboards.chart_parts import accessible_chart, district_lines_summary, district_lines_table
from dashboards.components import kpi_name, period_text, value_text
from dashboards.figures import district_map, district_small_multiples
from data import riverton_districts
from i18n import translate
from metrics import series

DIMENSION = "district"


def has_breakdown(kpi: dict[str, Any]) -> bool:
    return DIMENSION in (kpi.get("breakdowns") or [])


def _member_order(member: str):
    """District 2 before District 10: numbers inside names compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", member)]


def _graph(graph_id: str, figure, filename: str, heading_id: str, summary_id: str, summary: str,
           language: str, *, geo: bool = False, **data):
    """The chart in its figure with its summary; `data` says where its table is
    (dashboards.chart_parts.accessible_chart: `table`, or `table_id` and `table_note`)."""
    config = {"displaylogo": False, "responsive": True, "scrollZoom": False,
              "modeBarButtonsToRemove": ["select2d", "lasso2d"],
              "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
              **plotly_locale(language)}
    if geo:
        # plotly.js fetches a base map for any map, from its CDN unless told otherwise: point
        # it at the empty one in assets/ so that nothing loads from the internet.
        config["topojsonURL"] = dash.get_asset_url("topojson/")
    return accessible_chart(dcc.Graph(id=graph_id, figure=figure, config=config), summary, summary_id=summary_id,
                            heading_id=heading_id, language=language, **data)


def _table(kpi, members, values, period, language, services):
    return html.Table([
        html.Caption(translate("breakdown.table_caption", language, name=kpi_name(kpi, language), period=period)),
        html.Thead(html.Tr([html.Th(translate("breakdown.col_district", language), scope="col"),
                            html.Th(translate("breakdown.col_value", language), scope="col", className="num")])),
        html.Tbody([html.Tr([html.Th(member, scope="row"),
                             html.Td(value_text(kpi, values.get(member), language, services), className="num")])
                    for member in members]),
    ], className="kpi-table district-table", id="kpi-district-table")


def _map(kpi, values, period, language, services):
    boundaries = riverton_districts.load()
    named = {f["properties"].get("name") for f in boundaries["features"]}
    if not named & set(values):
        return html.P(translate("breakdown.no_map", language), className="muted")
    high = max(values, key=lambda m: values[m])
    low = min(values, key=lambda m: values[m])
    summary = translate("breakdown.map_summary", language, count=len(values), period=period,
                        high_name=high, high=value_text(kpi, values[high], language, services),
                        low_name=low, low=value_text(kpi, values[low], language, services))
    return _graph("kpi-district-map", district_map(kpi, values, boundaries, language, services),
                  f"{kpi['id']}-districts-map", "kpi-district-map-heading", "kpi-district-map-summary", summary,
                  language, geo=True, table_id="kpi-district-table",
                  table_note=translate("breakdown.map_table_link", language))


def _lines(kpi, rows, members, language, services):
    starts = sorted({row["period_start"] for row in rows})
    span = {"first": period_text(kpi, starts[0], language, services),
            "last": period_text(kpi, starts[-1], language, services)}
    summary = district_lines_summary(kpi, rows, members, language, services)
    show_target = series.target_fits_members(kpi)
    figure = district_small_multiples(kpi, rows, members, language, services, show_target=show_target)
    table = district_lines_table(kpi, rows, members, language, services, show_target=show_target)
    return [html.H3(translate("breakdown.lines_heading", language, **span), className="subheading",
                    id="kpi-district-lines-heading"),
            _graph("kpi-district-lines", figure, f"{kpi['id']}-districts", "kpi-district-lines-heading",
                   "kpi-district-lines-summary", summary, language, table=table)]


def breakdown_section(kpi: dict[str, Any], periods: str, language: str, services) -> html.Section | None:
    """The district card for a range of periods (metrics.series.RANGES); None for a KPI
    without a district breakdown."""
    if not has_breakdown(kpi):
        return None
    rows = series.member_history(services.warehouse, services.calendar, kpi, periods, DIMENSION)
    head = [html.H2(translate("breakdown.heading", language), id="kpi-breakdown-heading")]
    latest, values = series.latest_by_member(rows)
    if latest is None:
        return html.Section(head + [html.P(translate("breakdown.no_data", language), className="muted")],
                            className="card", **{"aria-labelledby": "kpi-breakdown-heading"})
    members = sorted({row["member"] for row in rows}, key=_member_order)
    period = period_text(kpi, latest, language, services)
    return html.Section(head + [
        html.P(translate("breakdown.lede", language), className="muted small card-lede"),
        html.H3(translate("breakdown.map_heading", language, period=period), className="subheading",
                id="kpi-district-map-heading"),
        html.Div([
            html.Div(_map(kpi, values, period, language, services), className="breakdown-map"),
            html.Div(_table(kpi, members, values, period, language, services), className="breakdown-table"),
        ], className="breakdown-grid"),
        *_lines(kpi, rows, members, language, services),
    ], className="card", id="kpi-breakdown-card", **{"aria-labelledby": "kpi-breakdown-heading"})
