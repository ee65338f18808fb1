"""What the overview, goal and department pages share: a goal's (or department's) roll-up
in words, and the KPI table with status, trend, sparkline and freshness, sorted on the
server by a column the reader picks."""
from __future__ import annotations

import unicodedata
from typing import Any, Mapping

from dash import Input, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards.chart_parts import sparkline_alt
from dashboards.components import (STATUS_ICONS, department_name, goal_title, kpi_name, period_text,
                                   stale_badge, status_badge, table_region, target_text, trend_marker,
                                   value_text)
from dashboards.figures import SPARKLINE_SIZE, sparkline_svg, svg_data_uri
from i18n import format_value, translate
from metrics.catalog import recent_values
from web.services import Services

SORT_KEYS = ("name", "percent", "status", "trend", "updated")
DEFAULT_SORT = {"key": "status", "descending": False}   # worst news first
SEVERITY = {status: rank for rank, status in enumerate(("off_track", "at_risk", "on_track", "no_target",
                                                        "no_direction", "no_data"))}
TREND_ORDER = {"worsening": 0, "flat": 1, "improving": 2, "insufficient": 3}
SPARKLINE_PERIODS = 12

# column -> (heading key, sort key or None, cell class)
COLUMNS = {
    "name": ("scorecard.col_kpi", "name", None),
    "department": ("scorecard.col_department", None, None),
    "goal": ("scorecard.col_goal", None, None),
    "status": ("scorecard.col_status", "status", None),
    "value": ("scorecard.col_latest", None, "num"),
    "target": ("scorecard.col_target", None, "num"),
    "percent": ("scorecard.col_percent", "percent", "num"),
    "trend": ("scorecard.col_trend", "trend", None),
    "sparkline": ("scorecard.col_sparkline", None, None),
    "updated": ("scorecard.col_updated", "updated", "updated nowrap"),
}


def folded(text: str | None) -> str:
    """`text` without case or accents, for matching and ordering ('Índice' finds 'indice')."""
    if text is None or text.isascii():
        return (text or "").casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# -- sorting ------------------------------------------------------------------------------------------
def parse_sort(value: Any) -> dict[str, Any]:
    """A sort the browser sent back, if it is one we offer; the default otherwise."""
    if (isinstance(value, dict) and value.get("key") in SORT_KEYS
            and isinstance(value.get("descending"), bool)):
        return {"key": value["key"], "descending": value["descending"]}
    return dict(DEFAULT_SORT)


def next_sort(current: dict[str, Any], key: str) -> dict[str, Any]:
    """Clicking the sorted column turns it round; another column sorts ascending."""
    if current["key"] == key:
        return {"key": key, "descending": not current["descending"]}
    return {"key": key, "descending": False}


def _sort_value(row: dict[str, Any], key: str, language: str):
    if key == "name":
        return folded(kpi_name(row, language))
    if key == "percent":
        return row["percent_of_target"]
    if key == "status":
        return SEVERITY.get(row["status"], len(SEVERITY))
    if key == "trend":
        return TREND_ORDER.get(row["trend"], len(TREND_ORDER))
    return row["latest_period_start"]


def sort_rows(rows: list[dict[str, Any]], sort: Mapping[str, Any], language: str) -> list[dict[str, Any]]:
    """Rows by the sort's column, ties by name; rows without a value last either way."""
    named = sorted(((folded(kpi_name(row, language)), _sort_value(row, sort["key"], language), row) for row in rows),
                   key=lambda item: item[0])
    present = [item for item in named if item[1] is not None]
    present.sort(key=lambda item: item[1], reverse=bool(sort["descending"]))   # stable: ties stay by name
    return [item[2] for item in present] + [item[2] for item in named if item[1] is None]


# -- roll-up -------------------------------------------------------------------------------------------
def roll_up_badge(status: str | None, language: str) -> html.Span:
    """A goal's roll-up status; a goal none of whose KPIs has a status says so in words."""
    if status is None:
        return html.Span([html.Span(STATUS_ICONS["no_target"], className="status-icon", **{"aria-hidden": "true"}),
                          translate("rollup.no_status", language)], className="status status-no_target")
    return status_badge(status, language)


def status_counts(roll: Mapping[str, Any], language: str) -> html.Ul:
    """How many KPIs are on track, at risk, off track, and without a status: they add up
    to the goal's KPI total."""
    items = [(STATUS_ICONS[s], translate(f"status.{s}", language), roll["counts"][s], s)
             for s in ("on_track", "at_risk", "off_track")]
    items.append((STATUS_ICONS["no_target"], translate("rollup.unscored", language), roll["unscored"], "unscored"))
    return html.Ul([html.Li([html.Span(icon, className="status-icon", **{"aria-hidden": "true"}),
                             html.Span(word), html.Strong(f"{count}", className="count")],
                            className=f"count-{name}") for icon, word, count, name in items],
                   className="status-counts")


def roll_up_summary(roll: Mapping[str, Any], total: int, language: str) -> html.Div:
    """Roll-up status, score and counts by status, in one line that wraps."""
    score = roll["score"]
    return html.Div([
        roll_up_badge(roll["status"], language),
        html.Span(translate("rollup.score", language, score=format_value(score, "percent", language)),
                  className="rollup-score", title=translate("rollup.score_help", language))
        if score is not None else None,
        html.Span(translate("rollup.kpi_total", language, count=total), className="muted rollup-total"),
        status_counts(roll, language),
    ], className="rollup")


# -- the table -----------------------------------------------------------------------------------------
def _target_cell(row: dict[str, Any], language: str, services: Services):
    band = row["direction"] == "band" and row["compared_low"] is not None
    text = target_text(row, {"target_value": row["compared_target"],
                             "target_low": row["compared_low"] if band else None,
                             "target_high": row["compared_high"] if band else None}, language, services)
    if row["target_basis"] != "fiscal_year_to_date":
        return text
    # The status of a sum KPI with an annual target compares the year so far with its share.
    actual = value_text(row, row["compared_value"], language, services)
    return [text, html.Span([translate("scorecard.ytd_note", language), " ", html.Span(actual, className="nowrap")],
                            className="muted small block", title=translate("scorecard.ytd_help", language))]


def _updated_cell(row: dict[str, Any], language: str, services: Services):
    period = period_text(row, row["latest_period_start"], language, services)
    return [period, " ", stale_badge(True, language)] if row["stale"] else period


def sparkline(row: dict[str, Any], values: list[float | None], language: str, services: Services):
    """The KPI's last periods as a small line image; its alt text says which way it goes,
    from what to what."""
    svg = sparkline_svg(values)
    if svg is None:
        return "–"
    alt = sparkline_alt(row, values, language, services)
    width, height = SPARKLINE_SIZE
    return html.Img(src=svg_data_uri(svg), alt=alt, title=alt, width=width, height=height, className="sparkline")


def _cell(column: str, row: dict[str, Any], language: str, services: Services,
          sparklines: Mapping[str, list[float | None]]):
    if column == "department":
        name = department_name(row, language)
        return dcc.Link(name, href=f"/department/{row['department_id']}") if row.get("department_id") else name
    if column == "goal":
        title = goal_title(row, language)
        return dcc.Link(title, href=f"/goal/{row['goal_id']}") if row.get("goal_id") else title
    if column == "status":
        return status_badge(row["status"], language)
    if column == "value":
        return value_text(row, row["latest_value"], language, services)
    if column == "target":
        return _target_cell(row, language, services)
    if column == "percent":
        return format_value(row["percent_of_target"], "percent", language)
    if column == "trend":
        return trend_marker(row["trend"], row["trend_change"], language)
    if column == "sparkline":
        return sparkline(row, sparklines.get(row["id"], []), language, services)
    return _updated_cell(row, language, services)


def _heading(column: str, language: str, prefix: str | None, sort: Mapping[str, Any] | None) -> html.Th:
    label_key, sort_key, cell_class = COLUMNS[column]
    label = translate(label_key, language)
    if prefix is None or sort is None or sort_key is None:
        return html.Th(label, scope="col", className=cell_class)
    active = sort["key"] == sort_key
    order = ("descending" if sort["descending"] else "ascending") if active else "none"
    arrow = {"ascending": "▲", "descending": "▼", "none": "↕"}[order]
    return html.Th(html.Button([label, html.Span(arrow, className="sort-arrow", **{"aria-hidden": "true"})],
                               id=f"{prefix}sort-{sort_key}", n_clicks=0, type="button",
                               className="sort-button" + (" active" if active else ""),
                               title=translate("scorecard.sort_by", language, column=label)),
                   scope="col", className=cell_class, **{"aria-sort": order})


def kpi_table(rows: list[dict[str, Any]], language: str, services: Services, *, columns: tuple[str, ...],
              caption: str, sparklines: Mapping[str, list[float | None]] | None = None,
              prefix: str | None = None, sort: Mapping[str, Any] | None = None) -> html.Table:
    """KPIs as table rows in the order given. With `prefix` and `sort`, sortable headings are
    buttons `{prefix}sort-{key}` that a page's callback listens to."""
    sparklines = sparklines or {}
    body = []
    for row in rows:
        cells = [html.Th(dcc.Link(kpi_name(row, language), href=f"/kpi/{row['id']}"), scope="row")]
        cells += [html.Td(_cell(column, row, language, services, sparklines), className=COLUMNS[column][2])
                  for column in columns if column != "name"]
        body.append(html.Tr(cells))
    return html.Table([
        html.Caption(caption, className="visually-hidden"),
        html.Thead(html.Tr([_heading(column, language, prefix, sort) for column in columns])),
        html.Tbody(body),
    ], className="kpi-table scorecard-table")


# -- the sortable section a page embeds ----------------------------------------------------------------
def sort_inputs(prefix: str) -> list[Input]:
    return [Input(f"{prefix}sort-{key}", "n_clicks") for key in SORT_KEYS]


def chosen_sort(prefix: str, clicks: tuple, current: Any) -> dict[str, Any]:
    """The sort after a click on a heading: only our own heading buttons count (the
    allowlist), each click a positive whole number; PreventUpdate for anything else."""
    buttons = {f"{prefix}sort-{key}": (key, count) for key, count in zip(SORT_KEYS, clicks)}
    chosen = buttons.get(ctx.triggered_id) if isinstance(ctx.triggered_id, str) else None
    if chosen is None:
        raise PreventUpdate
    key, count = chosen
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise PreventUpdate
    return next_sort(parse_sort(current), key)


def sorted_table(rows: list[dict[str, Any]], language: str, services: Services, *, columns: tuple[str, ...],
                 caption: str, prefix: str, sort: Mapping[str, Any], as_of) -> html.Table:
    """The KPIs in `sort` order with their sparklines (one query for all of them)."""
    ordered = sort_rows(rows, sort, language)
    sparklines = recent_values(services.warehouse, [row["id"] for row in ordered], as_of, SPARKLINE_PERIODS)
    return kpi_table(ordered, language, services, columns=columns, caption=caption, sparklines=sparklines,
                     prefix=prefix, sort=sort)


def empty_components(prefix: str) -> list:
    """The ids a scorecard page's callback uses, for Dash's check of the layout."""
    return [dcc.Store(id=f"{prefix}id"), dcc.Store(id=f"{prefix}sort"), html.Div(id=f"{prefix}table"),
            *[html.Button(id=f"{prefix}sort-{key}") for key in SORT_KEYS]]


def kpis_card(prefix: str, table, language: str, sort_default: Mapping[str, Any], owner_id: str) -> list:
    """The sortable KPI card of a goal page or a department scorecard, with the stores its
    sorting callback reads (the owner's id and the current sort)."""
    return [
        dcc.Store(id=prefix + "id", data=owner_id),
        dcc.Store(id=prefix + "sort", data=sort_default),
        html.Section([
            html.H2(translate("scorecard.heading", language), id=prefix + "kpis-heading"),
            html.P(translate("scorecard.lede", language), className="muted small card-lede"),
            table_region(table if table is not None else
                         html.P(translate("scorecard.empty", language), className="empty"),
                         translate("scorecard.heading", language), id=prefix + "table"),
        ], className="card", **{"aria-labelledby": prefix + "kpis-heading"}),
    ]
