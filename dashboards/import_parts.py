"""What the import wizard shows of a file and of an import: the preview of the first rows,
and the report of a dry run or an import (counts, then each rejected row)."""
from __future__ import annotations

from typing import Any

from dash import dcc, html

from i18n import current_language, format_number, translate
from metrics.import_setup import PREVIEW_ROWS
from web.reasons import say

CELL_LIMIT = 200         # characters of a cell shown in the preview


def message(text, ok: bool) -> html.Div:
    if ok:
        return html.Div(text, className="form-ok", role="status")
    return html.Div(text, className="form-error", role="alert")


def problems(title: str, items: list[str]) -> html.Div:
    """A list of what to fix; a metrics Reason among `items` is said in the reader's language."""
    language = current_language()
    return html.Div([html.P(title), html.Ul([html.Li(say(item, language)) for item in items])],
                    className="form-error", role="alert")


def delimiter_name(delimiter: str | None, language: str) -> str:
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    if delimiter in names:
        return translate(f"imports.delimiter_{names[delimiter]}", language)
    return repr(delimiter) if delimiter else "–"


def preview_block(preview: dict[str, Any], language: str) -> html.Div:
    """The file as read: what was detected, then the first rows under their headers."""
    facts = [(translate("imports.fact_rows", language), format_number(preview["row_count"], language)),
             (translate("imports.fact_columns", language), format_number(len(preview["headers"]), language))]
    if preview["kind"] == "csv":
        facts += [(translate("imports.fact_encoding", language), preview.get("encoding") or "–"),
                  (translate("imports.fact_delimiter", language), delimiter_name(preview.get("delimiter"), language))]
    else:
        facts.append((translate("imports.fact_sheet", language), preview.get("sheet") or "–"))
    shape = preview.get("shape")
    facts.append((translate("imports.fact_shape", language),
                  translate(f"imports.shape_{shape}", language) if shape in ("long", "wide")
                  else translate("imports.shape_unknown", language)))
    tiles = html.Dl([html.Div([html.Dt(label), html.Dd(value)], className="tile") for label, value in facts],
                    className="tiles import-facts")
    header = html.Tr([html.Th("#", scope="col", className="num")]
                     + [html.Th(h or "–", scope="col") for h in preview["headers"]])
    body = [html.Tr([html.Td(str(number), className="num muted")]
                    + [html.Td(_cell(cell)) for cell in row])
            for number, row in enumerate(preview["rows"], start=2)]
    table = html.Table([
        html.Caption(translate("imports.preview_caption", language, count=min(PREVIEW_ROWS, len(preview["rows"])))),
        html.Thead(header), html.Tbody(body),
    ], className="kpi-table preview-table")
    return html.Div([tiles, html.Div(table, className="table-wrap preview-wrap", tabIndex="0",
                                     role="region", **{"aria-label": translate("imports.preview_heading", language)})])


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= CELL_LIMIT else text[:CELL_LIMIT - 1] + "…"


def report_block(report: dict[str, Any], language: str, *, on_error: str) -> html.Div:
    """A dry run's or an import's report: its outcome in words, the counts, the problems."""
    errors = report.get("errors") or []
    count = report.get("error_count") or 0
    if report.get("committed"):
        outcome = html.Div([
            html.P(translate("imports.done", language, batch=report["batch_id"]), className="done-line"),
            dcc.Link(translate("imports.see_history", language), href="/imports/history"),
        ], className="form-ok", role="status")
    elif count and on_error == "reject":
        outcome = message(translate("imports.blocked", language, rows=format_number(report["rejected"], language)),
                          False)
    elif not (report.get("accepted") or report.get("targets")):
        outcome = message(translate("imports.nothing_to_load", language), False)
    elif count:
        outcome = message(translate("imports.checked_with_skips", language,
                                    rows=format_number(report["skipped"], language)), True)
    else:
        outcome = message(translate("imports.checked_clean", language), True)
    counts = [("rows", report.get("rows")), ("accepted", report.get("accepted")), ("targets", report.get("targets")),
              ("replaced", report.get("replaced")), ("rejected", report.get("rejected")),
              ("skipped", report.get("skipped")), ("empty", report.get("empty")),
              ("kpis_created", len(report.get("kpis_created") or []))]
    tiles = html.Dl([html.Div([html.Dt(translate(f"imports.count_{name}", language)),
                               html.Dd(format_number(value or 0, language))], className="tile")
                     for name, value in counts], className="tiles import-counts")
    parts = [outcome, tiles]
    if errors:
        parts.append(_errors_table(errors, count, language))
    return html.Div(parts, className="import-report")


def _errors_table(errors: list[dict], count: int, language: str) -> html.Div:
    caption = translate("imports.errors_caption", language, shown=format_number(len(errors), language),
                        total=format_number(count, language))
    rows = [html.Tr([
        html.Td(str(e.get("line") if e.get("line") is not None else "–"), className="num"),
        html.Td(e.get("column") or "–", className="mono"),
        html.Td(e.get("period") or "–", className="nowrap"),
        html.Td(_cell(e.get("value")) or "–", className="mono wrap"),
        html.Td(say(e.get("reason") or "", language)),
    ]) for e in errors]
    return html.Div(html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(translate(f"imports.col_{c}", language), scope="col",
                                    className="num" if c == "line" else None)
                            for c in ("line", "column", "period", "value", "reason")])),
        html.Tbody(rows),
    ], className="kpi-table errors-table"), className="table-scroll errors-scroll", tabIndex="0", role="region",
        **{"aria-label": caption})
