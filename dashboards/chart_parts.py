"""Chart alternatives: every chart is a <figure> whose caption says in words what it shows,
with its data as a real table (in the figure, or named where the page already shows it),
and every sparkline's alt text says where the line goes. People who cannot see a chart,
or who would rather read numbers, get the same facts (WCAG 2.1: 1.1.1, 1.3.1, 1.4.1)."""
from __future__ import annotations

from typing import Any

from dash import html

from dashboards.components import kpi_name, period_text, table_region, value_text
from i18n import translate
from web.services import Services

LEVEL = 0.02   # a sparkline that moves less than 2 % of its size reads as level, as trends do


def accessible_chart(graph, summary: str, *, summary_id: str, heading_id: str, language: str,
                     table=None, table_id: str | None = None, table_note: str | None = None,
                     live: bool = False) -> html.Figure:
    """`graph` in a <figure> named by the heading `heading_id` and described by `summary`
    (the caption, id `summary_id`). The data as a table: `table`, folded into a "Show the
    data as a table" disclosure in the caption; or, when the page shows the table already,
    `table_id` naming it (aria-details) and `table_note` a visible link to it. `live`
    announces a summary that callbacks rewrite."""
    caption = [html.P(summary, id=summary_id, className="chart-summary",
                      **({"aria-live": "polite"} if live else {}))]
    if table_id is not None and table_note:
        caption.append(html.P(html.A(table_note, href=f"#{table_id}"), className="chart-table-link"))
    if table is not None:
        caption.append(html.Details([html.Summary(translate("chart.show_table", language)), table],
                                    className="chart-data"))
    aria = {"aria-labelledby": heading_id, "aria-describedby": summary_id}
    if table_id is not None:
        aria["aria-details"] = table_id
    return html.Figure([graph, html.Figcaption(caption, className="chart-caption")], className="chart-figure",
                       **aria)


# -- the district breakdown's small multiples --------------------------------------------------------
def district_lines_summary(kpi: dict[str, Any], rows: list[dict[str, Any]], members: list[str], language: str,
                           services: Services) -> str:
    """The small multiples in sentences: how many districts over which periods, who was
    highest and lowest in the latest period, and which district moved the most."""
    def value(v):
        return value_text(kpi, v, language, services)

    def period(start):
        return period_text(kpi, start, language, services)

    starts = sorted({row["period_start"] for row in rows})
    parts = [translate("breakdown.lines_summary", language, count=len(members), first=period(starts[0]),
                       last=period(starts[-1]))]
    valued = [row for row in rows if row["value"] is not None]
    if not valued:
        return parts[0]
    latest = max(row["period_start"] for row in valued)
    now = {row["member"]: row["value"] for row in valued if row["period_start"] == latest}
    high, low = max(now, key=now.get), min(now, key=now.get)
    if high != low:
        parts.append(translate("breakdown.lines_latest", language, period=period(latest), high_name=high,
                               high=value(now[high]), low_name=low, low=value(now[low])))
    moves = []
    for member in members:
        own = [row for row in valued if row["member"] == member]
        if len(own) > 1:
            moves.append((abs(own[-1]["value"] - own[0]["value"]), member, own[0], own[-1]))
    if moves:
        size, member, first, last = max(moves, key=lambda move: move[0])
        if size > 0:
            parts.append(translate("breakdown.lines_change", language, name=member, first=value(first["value"]),
                                   first_period=period(first["period_start"]), last=value(last["value"]),
                                   last_period=period(last["period_start"])))
    return " ".join(parts)


def district_lines_table(kpi: dict[str, Any], rows: list[dict[str, Any]], members: list[str], language: str,
                         services: Services, *, show_target: bool) -> html.Div:
    """Every value the small multiples draw: a row per period (newest first, as the
    values table), a column per district, and the city's target where the charts show it."""
    starts = sorted({row["period_start"] for row in rows}, reverse=True)
    values = {(row["member"], row["period_start"]): row["value"] for row in rows}
    targets = {row["period_start"]: row["target_value"] for row in rows}
    show_target = show_target and any(v is not None for v in targets.values())
    caption = translate("breakdown.lines_table_caption", language, name=kpi_name(kpi, language))

    def cell(v):
        return html.Td(value_text(kpi, v, language, services), className="num")

    body = [html.Tr([html.Th(period_text(kpi, start, language, services), scope="row"),
                     *[cell(values.get((member, start))) for member in members],
                     cell(targets.get(start)) if show_target else None]) for start in starts]
    table = html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(translate("kpi.col_period", language), scope="col"),
                            *[html.Th(member, scope="col", className="num") for member in members],
                            html.Th(translate("kpi.col_target", language), scope="col", className="num")
                            if show_target else None])),
        html.Tbody(body),
    ], className="kpi-table chart-data-table")
    return table_region(table, caption, className="chart-data-scroll")


# -- sparklines ------------------------------------------------------------------------------------
def sparkline_alt(kpi: dict[str, Any], values: list[float | None], language: str, services: Services) -> str:
    """A sparkline in words: how many periods it spans, which way it goes and from what to
    what (`values` oldest first, None where a period has no value; at least one value)."""
    shown = [v for v in values if v is not None]
    if len(shown) == 1:
        return translate("sparkline.alt_single", language, value=value_text(kpi, shown[0], language, services))
    first_slot = next(slot for slot, v in enumerate(values) if v is not None)
    first, last = shown[0], shown[-1]
    size = max(abs(v) for v in shown)
    change = 0.0 if size == 0 else (last - first) / size
    way = "level" if abs(change) <= LEVEL else ("rising" if change > 0 else "falling")
    return translate(f"sparkline.alt_{way}", language, count=len(values) - first_slot,
                     first=value_text(kpi, first, language, services),
                     last=value_text(kpi, last, language, services))
