"""CSV and XLSX exports a spreadsheet can open safely (DESIGN §8): text that a spreadsheet
would run as a formula is neutralised, numbers stay numbers. Used by the KPI page's
download and the API's observation exports."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

import xlsxwriter

from metrics import catalog
from metrics.periods import Period

# A cell starting with one of these is read as a formula (or a DDE call) by Excel, LibreOffice
# and Google Sheets; a leading single quote makes them show it as text instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KPI_VALUE_COLUMNS = ("period", "value", "target", "target_low", "target_high", "note")
OBSERVATION_COLUMNS = ("kpi_id", "period", "period_start", "dimension", "member", "value", "numerator",
                       "denominator", "note")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """A text cell safe for spreadsheets: prefixed with ' when it starts like a formula.
    Anything that is not text (numbers, None) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return int(value)   # 1297, not 1297.0
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows (mappings by column name) as CSV text with a header line; CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(column) for column in columns])
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def xlsx_bytes(sheet: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *,
               modified: datetime | None = None) -> bytes:
    """Rows as one XLSX sheet: numbers as numbers, dates as dates, text as text cells (never
    formulas). Text that starts like a formula is written as the CSV writes it (a leading ')
    and with Excel's quote-prefix style too, so no spreadsheet runs it, even after an edit
    of the cell. The file's timestamps are `modified`: the same data gives the same bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    stamp = (modified or datetime(2000, 1, 1)).replace(tzinfo=None)
    book.set_properties({"created": stamp})
    header = book.add_format({"bold": True})
    as_text = book.add_format({"quote_prefix": True})
    as_day = book.add_format({"num_format": "yyyy-mm-dd"})
    page = book.add_worksheet(sheet[:31])
    for column, name in enumerate(columns):
        page.write_string(0, column, str(name), header)
    for line, row in enumerate(rows, start=1):
        for column, name in enumerate(columns):
            value = row.get(name)
            if value is None:
                continue
            if isinstance(value, bool):
                page.write_boolean(line, column, value)
            elif isinstance(value, (int, float)):
                page.write_number(line, column, value)
            elif isinstance(value, date):
                page.write_datetime(line, column, datetime(value.year, value.month, value.day), as_day)
            else:
                text = str(value)
                if text.startswith(FORMULA_STARTS):
                    page.write_string(line, column, neutralise(text), as_text)
                else:
                    page.write_string(line, column, text)
    page.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def observation_rows(services, kpi: Mapping[str, Any], as_of) -> list[dict[str, Any]]:
    """A KPI's values for periods ended by `as_of`, totals and breakdowns, oldest first, in
    the columns a long import profile reads back."""
    rows = catalog.kpi_observations(services.warehouse, services.calendar, kpi["id"], as_of)
    return [{"kpi_id": kpi["id"], "period": services.calendar.label(Period(kpi["frequency"], row["period_start"])),
             "period_start": row["period_start"], "dimension": row["dimension"] or None,
             "member": row["member"] or None, "value": row["value"], "numerator": row["numerator"],
             "denominator": row["denominator"], "note": row["note"]} for row in rows]


def kpi_value_rows(services, kpi: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A KPI's city-wide values, oldest first, each with the target that applies to it;
    periods written as CityStat reads them back (2024-03, FY2024-Q1)."""
    history = catalog.kpi_history(services.warehouse, services.calendar, kpi["id"])
    return [{"period": services.calendar.label(Period(kpi["frequency"], row["period_start"])),
             "value": row["value"], "target": row["target_value"], "target_low": row["target_low"],
             "target_high": row["target_high"], "note": row["note"]} for row in history]


def kpi_values_csv(services, kpi: Mapping[str, Any]) -> str:
    return csv_text(KPI_VALUE_COLUMNS, kpi_value_rows(services, kpi))
