"""CSV exports a spreadsheet can open safely (DESIGN §8): text that a spreadsheet would
run as a formula is neutralised, numbers stay numbers. Used by the KPI page's download
and meant for the API's CSV routes too."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Mapping, Sequence

from metrics import catalog
from metrics.periods import Period

# A cell starting with one of these is read as a formula (or a DDE call) by Excel, LibreOffice
# and Google Sheets; a leading single quote makes them show it as text instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KPI_VALUE_COLUMNS = ("period", "value", "target", "target_low", "target_high", "note")


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
    return neutralise(value)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows (mappings by column name) as CSV text with a header line; CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(column) for column in columns])
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def kpi_value_rows(services, kpi: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A KPI's city-wide values, oldest first, each with the target that applies to it;
    periods written as CityStat reads them back (2024-03, FY2024-Q1)."""
    history = catalog.kpi_history(services.warehouse, services.calendar, kpi["id"])
    return [{"period": services.calendar.label(Period(kpi["frequency"], row["period_start"])),
             "value": row["value"], "target": row["target_value"], "target_low": row["target_low"],
             "target_high": row["target_high"], "note": row["note"]} for row in history]


def kpi_values_csv(services, kpi: Mapping[str, Any]) -> str:
    return csv_text(KPI_VALUE_COLUMNS, kpi_value_rows(services, kpi))
