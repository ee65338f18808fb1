"""What the datasets page shows: the table of datasets, a dataset's columns, first rows
and loads, and the outcome of a load (its report, or the cells that stopped it)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable

from babel.dates import format_date, format_time
from dash import html

from dashboards.components import table_region
from dashboards.import_parts import message, problems
from i18n import LOCALES, format_number, translate
from metrics.datasets import DatasetError
from web.reasons import say

CELL_LIMIT = 120
TYPE_WORDS = {"VARCHAR": "text", "BIGINT": "integer", "INTEGER": "integer", "DOUBLE": "number",
              "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp"}


def _moment(value: Any) -> datetime | date | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, (date, datetime)) else None


def _day(value: Any, language: str) -> str:
    moment = _moment(value)
    return format_date(moment, "medium", locale=LOCALES[language]) if moment else "–"


def _when(value: Any, language: str) -> list:
    """The day, and the time under it."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return [_day(value, language)]
    return [format_date(moment, "medium", locale=LOCALES[language]),
            html.Span(format_time(moment, "short", locale=LOCALES[language]), className="muted small block")]


def type_name(sql_type: str, language: str) -> str:
    word = TYPE_WORDS.get(sql_type)
    return translate(f"datasets.type_{word}", language) if word else sql_type.lower()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else str(value)
    return text if len(text) <= CELL_LIMIT else text[:CELL_LIMIT - 1] + "…"


def _heads(names: list[str], prefix: str, language: str, numeric: tuple[str, ...] = ()) -> html.Thead:
    return html.Thead(html.Tr([html.Th(translate(f"{prefix}{n}", language), scope="col",
                                       className="num" if n in numeric else None) for n in names]))


# -- the list -----------------------------------------------------------------------------------------------
def datasets_table(found: list[dict], language: str):
    if not found:
        return html.P(translate("datasets.empty", language), className="empty")
    rows = []
    for item in found:
        span = translate("datasets.span", language, first=_day(item["first"], language),
                         last=_day(item["last"], language)) if item.get("date_column") else \
            html.Span(translate("datasets.no_dates", language), className="muted")
        last = item.get("last_load")
        loaded = [*_when(last["created_at"], language),
                  html.Span(translate("datasets.loaded_by", language, who=last["created_by"]),
                            className="muted small block")] if last else "–"
        rows.append(html.Tr([
            html.Th(item["name"], scope="row", className="mono"),
            html.Td(format_number(item["rows"], language), className="num"),
            html.Td(format_number(len(item["columns"]), language), className="num"),
            html.Td([span, html.Span(item["date_column"], className="muted small block mono")
                     if item.get("date_column") else None]),
            html.Td(loaded, className="nowrap"),
        ]))
    return html.Table([
        html.Caption(translate("datasets.caption", language), className="visually-hidden"),
        _heads(["name", "rows", "columns", "span", "loaded"], "datasets.col_", language, ("rows", "columns")),
        html.Tbody(rows),
    ], className="kpi-table datasets-table")


# -- one dataset ----------------------------------------------------------------------------------------------
def detail(preview: dict, described: dict | None, loads: list[dict], may_revert: Callable[[dict], bool],
           language: str) -> html.Div:
    columns = described["columns"] if described else [{"name": n, "type": ""} for n in preview["columns"]]
    column_list = html.Ul([html.Li([html.Span(c["name"], className="mono"), " ",
                                    html.Span(type_name(c["type"], language), className="muted small")])
                           for c in columns], className="column-list")
    header = html.Tr([html.Th("#", scope="col", className="num")]
                     + [html.Th(c, scope="col") for c in preview["columns"]])
    body = [html.Tr([html.Td(str(n), className="num muted")] + [html.Td(_cell(v)) for v in row])
            for n, row in enumerate(preview["rows"], start=1)]
    table = html.Table([
        html.Caption(translate("datasets.preview_caption", language, count=len(preview["rows"]), name=preview["name"])),
        html.Thead(header), html.Tbody(body)], className="kpi-table preview-table")
    return html.Div([
        html.H3(translate("datasets.columns_heading", language, count=len(columns)), className="subheading"),
        column_list,
        html.H3(translate("datasets.preview_heading", language), className="subheading"),
        html.Div(table, className="table-wrap preview-wrap", tabIndex="0", role="region",
                 **{"aria-label": translate("datasets.preview_heading", language)}),
        html.H3(translate("datasets.history_heading", language), className="subheading"),
        table_region(history_table(loads, preview["name"], may_revert, language),
                     translate("datasets.history_heading", language)),
    ])


def _status(batch: dict, language: str):
    if batch["status"] == "reverted":
        return [html.Span(translate("datasets.status_reverted", language), className="badge badge-off"),
                html.Span(translate("datasets.reverted_by", language, who=batch["reverted_by"] or "–",
                                    when=_day(batch["reverted_at"], language)), className="muted small block")]
    return html.Span(translate("datasets.status_loaded", language), className="badge badge-ok")


def _mode(batch: dict) -> str:
    """A replace with nothing before it is the load that created the table."""
    return "new" if batch["mode"] == "replace" and not batch["rows_before"] else batch["mode"]


def history_table(loads: list[dict], name: str, may_revert: Callable[[dict], bool], language: str):
    rows = []
    for b in loads:
        action = html.Button(translate("datasets.revert", language), n_clicks=0, className="button small danger",
                             id={"type": "datasets-revert", "index": b["id"]},
                             **{"aria-label": translate("datasets.revert_label", language, batch=b["id"])}) \
            if may_revert(b) else None
        rows.append(html.Tr([
            html.Th(f"#{b['id']}", scope="row", className="num"),
            html.Td(_when(b["created_at"], language), className="nowrap"),
            html.Td(b["created_by"], className="mono nowrap"),
            html.Td(b["file_name"] or "–", className="wrap file"),
            html.Td(translate(f"datasets.mode_{_mode(b)}", language)),
            html.Td(format_number(b["rows_loaded"], language), className="num"),
            html.Td(_status(b, language)),
            html.Td(action),
        ], className="reverted-row" if b["status"] == "reverted" else None))
    return html.Table([
        html.Caption(translate("datasets.history_caption", language, name=name), className="visually-hidden"),
        _heads(["batch", "when", "who", "file", "mode", "added", "status", "action"], "datasets.col_", language,
               ("batch", "added")),
        html.Tbody(rows),
    ], className="kpi-table history-table")


# -- a load's outcome ------------------------------------------------------------------------------------------
def report(body: dict, language: str) -> html.Div:
    total = body["rows"] + (body["rows_before"] if body["mode"] == "append" else 0)
    parts = [html.P(translate("datasets.done", language, rows=format_number(body["rows"], language),
                              name=body["dataset"], batch=body["batch_id"], total=format_number(total, language)),
                    className="done-line")]
    if body.get("text_dates"):
        parts.append(html.P(translate("datasets.text_dates", language, columns=", ".join(body["text_dates"])),
                            className="small"))
    typed = [c for c in body["columns"] if c["type"] in ("DATE", "TIMESTAMP")]
    if typed:
        parts.append(html.P(translate("datasets.dated", language, columns=", ".join(c["name"] for c in typed)),
                            className="small"))
    computed = body.get("computed") or {}
    if computed.get("kpis"):
        parts.append(html.P(translate("datasets.recomputed", language, count=len(computed["kpis"])), className="small"))
    outcome = html.Div(parts, className="form-ok", role="status")
    if computed.get("error"):
        return html.Div([outcome, message(translate("datasets.recompute_failed", language, problem=computed["error"]),
                                          False)])
    return outcome


def failure(error: DatasetError, language: str) -> html.Div:
    if not error.rows:
        return problems(translate("datasets.file_problems", language), error.problems)
    heads = ["line", "column", "value", "reason"]
    table = html.Table([
        html.Caption(translate("datasets.errors_caption", language), className="visually-hidden"),
        _heads(heads, "datasets.col_", language, ("line",)),
        html.Tbody([html.Tr([html.Td(str(r["line"]), className="num"), html.Td(r["column"], className="mono"),
                             html.Td(_cell(r["value"]), className="mono"),
                             html.Td(say(r["reason"], language))])
                    for r in error.rows]),
    ], className="kpi-table errors-table")
    return html.Div([
        message(translate("datasets.bad_cells", language, count=format_number(error.total, language),
                          shown=len(error.rows)), False),
        table_region(table, translate("datasets.errors_caption", language), className="table-wrap errors-scroll"),
    ], className="import-report")

