"""What the targets page (dashboards/kpi_targets.py) is made of: numbers as people type them
in the grid and as the grid shows stored targets, the grid's rows and columns, and the table
of every change of a KPI's targets."""
from __future__ import annotations

import math
import re
from datetime import date

from babel.dates import format_datetime
from dash import html

from dashboards.components import table_region, value_text
from i18n import LOCALES, _, format_period, translate
from metrics.periods import Period
from web.targets_write import target_history

P = "kpi-targets-"
HISTORY_ROWS = 200
_COMMA_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+$")
_DOT_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


# -- numbers as people type them ------------------------------------------------------------------------
def parse_number(text, language: str) -> float | None:
    """A typed cell as a number: None when empty; "85,5", "1.234,5" (es, pt), "1,234.5" and
    "85 %" are read; ValueError for anything else. A lone separator followed by three digits
    groups thousands in the language that groups with it (1,234 in English; 1.234 in Spanish)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, bool):
        raise ValueError(text)
    if isinstance(text, (int, float)):
        number = float(text)
    elif isinstance(text, str) and len(text) <= 40:
        plain = re.sub(r"[\s\u00a0\u202f%]", "", text)
        if "," in plain and "." in plain:
            decimal = "," if plain.rfind(",") > plain.rfind(".") else "."
            plain = plain.replace("." if decimal == "," else ",", "").replace(",", ".")
        elif "," in plain:
            plain = plain.replace(",", "" if language == "en" and _COMMA_THOUSANDS.match(plain) else ".")
        elif "." in plain and language != "en" and _DOT_THOUSANDS.match(plain):
            plain = plain.replace(".", "")
        number = float(plain)
    else:
        raise ValueError(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def cell_text(value: float | None, language: str, *, points: bool) -> str | None:
    """A stored target as the grid shows it for typing over: no grouping, the language's decimal
    mark, percent in points."""
    if value is None:
        return None
    number = float(f"{value * 100 if points else value:.10g}")
    text = f"{number:.10g}" if not number.is_integer() else str(int(number))
    return text.replace(".", ",") if language != "en" else text


# -- the grid -------------------------------------------------------------------------------------------------
def _row_label(kpi, row, language: str, services) -> str:
    if row["annual"]:
        return translate("targets_page.year_row", language, year=row["period"])
    return format_period(Period(row["frequency"], row["period_start"]), services.calendar, language)


def _actual(kpi, row, language: str, services) -> str:
    text = value_text(kpi, row["actual"], language, services)
    if row["annual"] and kpi["frequency"] != "annual" and row["actual"] is not None \
            and row["actual_periods"] < row["periods"]:
        return translate("targets_page.so_far", language, value=text, count=row["actual_periods"],
                         total=row["periods"])
    return text


def grid_rows(kpi, rows: list[dict], language: str, services) -> list[dict]:
    points = kpi["unit"] == "percent"
    return [{"period": row["period"], "label": _row_label(kpi, row, language, services), "annual": row["annual"],
             "value": cell_text(row["value"], language, points=points),
             "low": cell_text(row["low"], language, points=points),
             "high": cell_text(row["high"], language, points=points),
             "actual": _actual(kpi, row, language, services)} for row in rows]


def columns(kpi, language: str) -> list[dict]:
    percent = kpi["unit"] == "percent"
    # A column type's cellClass is replaced by the column's own: both named here.
    editable = {"editable": True, "cellDataType": "text", "type": "rightAligned",
                "cellClass": "ag-right-aligned-cell targets-cell", "minWidth": 90}
    if percent:   # typed in points, shown with their sign as the language writes it (85% or 85 %)
        sign = "%" if language == "en" else "\u00a0%"
        editable["valueFormatter"] = {"function": f"params.value ? `${{params.value}}`.replace('%', '').trim() + "
                                                  f"'{sign}' : ''"}
    unit = " (%)" if percent else ""
    typed = ([{"field": "low", "headerName": translate("targets_page.col_low", language) + unit, **editable},
              {"field": "high", "headerName": translate("targets_page.col_high", language) + unit, **editable}]
             if kpi["direction"] == "band" else
             [{"field": "value", "headerName": translate("targets_page.col_target", language) + unit, **editable}])
    read_only = {"editable": False, "wrapText": True, "autoHeight": True, "minWidth": 110}
    return [{"field": "label", "headerName": translate("targets_page.col_period", language),
             "cellClass": "targets-label", **read_only},
            *typed,
            {"field": "actual", "headerName": translate("targets_page.col_actual", language), "type": "rightAligned",
             "cellClass": "ag-right-aligned-cell targets-actual", **read_only}]


def fiscal_years(services) -> tuple[list[int], int]:
    this_year = services.calendar.fiscal_year(date.today())
    return [this_year - 1, this_year, this_year + 1, this_year + 2], this_year


# -- the history ----------------------------------------------------------------------------------------------
def _target_words(kpi, target, language: str, services) -> str:
    if target is None:
        return "–"
    if target.get("low") is not None:
        return (f"{value_text(kpi, target['low'], language, services)} – "
                f"{value_text(kpi, target['high'], language, services)}")
    return value_text(kpi, target.get("value"), language, services)


def _moment(moment, language: str) -> str:
    return format_datetime(moment, "medium", locale=LOCALES[language]) if moment else "–"


def history_table(kpi, language: str, services):
    changes = target_history(services, kpi["id"]) or []
    if not changes:
        return html.P(_("targets_page.no_history"), className="muted")
    rows = []
    for change in changes[:HISTORY_ROWS]:
        after = (_target_words(kpi, change["new"], language, services) if change["state"] == "set"
                 else _(f"targets_page.state_{change['state']}"))
        kind = _(f"import_history.kind_{change['kind']}") if change["kind"] in (
            "import", "seed", "manual", "targets", "dataset") else change["kind"]
        source = [f"#{change['batch_id']} · {kind}"]
        if change["reverted"]:
            source.append(html.Span([html.Span("↶ ", **{"aria-hidden": "true"}), _("targets_page.reverted")],
                                    className="badge badge-off targets-reverted"))
        rows.append(html.Tr([
            html.Td(_moment(change["changed_at"], language), className="nowrap"),
            html.Td(change["changed_by"] or "–", className="mono"),
            html.Th(format_period(Period(change["frequency"], change["period_start"]), services.calendar, language),
                    scope="row", className="nowrap"),
            html.Td(_target_words(kpi, change["old"], language, services), className="num"),
            html.Td(after, className="num"),
            html.Td(source),
        ], className="reverted-row" if change["reverted"] else None))
    heads = ("when", "who", "period", "old", "new", "batch")
    table = html.Table([
        html.Caption(_("targets_page.history_caption"), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(_(f"targets_page.col_{h}"), scope="col",
                                    className="num" if h in ("old", "new") else None) for h in heads])),
        html.Tbody(rows),
    ], className="kpi-table targets-history")
    more = (html.P(_("targets_page.history_more", shown=HISTORY_ROWS, total=len(changes)), className="muted small")
            if len(changes) > HISTORY_ROWS else None)
    return html.Div([table_region(table, _("targets_page.history_heading"), className="table-scroll"), more])
