"""Rows typed into the app's grids (data entry, targets) become one batch through the import
engine (issue #10): they are written as a small CSV file, judged by the same checks as an
uploaded file (the person's departments, computed KPIs, periods on the city's calendar,
numbers, percents, target bands) and committed in one transaction, or not at all. The file
is kept like an uploaded original, and the batch is listed in the import history and
reverted like any import.

Callers audit their own action; this module only turns rows into a batch.
"""
from __future__ import annotations

import csv
import math
import secrets
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from metrics import imports
from metrics.access import Scope
from metrics.imports import ImportReport
from metrics.periods import Period
from metrics.profiles import Profile
from web.importing import workdir

# The columns a grid row may carry, in the file's order.
COLUMNS = ("kpi_id", "period", "value", "numerator", "denominator", "target", "target_low", "target_high", "note")
KINDS = ("manual", "targets")


def _cell(value: Any) -> str:
    """A cell as the import reads it: numbers in full precision with a dot, text as given."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a flag is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return repr(value)
    return str(value)


def profile_for(columns: Iterable[str]) -> Profile:
    """The long profile that reads a grid file with `columns`. Values are written as the
    model stores them, so percents are fractions already (a "%" sign still means points)."""
    used = [c for c in COLUMNS if c in set(columns)]
    return Profile.parse({"shape": "long", "encoding": "utf-8", "delimiter": ",",
                          "columns": {name: name for name in used},
                          "values": {"percent": "fraction", "missing": [""]}})


def commit_rows(services, scope: Scope, rows: Sequence[Mapping[str, Any]], *, kind: str, file_name: str,
                dry_run: bool = False, clear_targets: Sequence[tuple[str, str, date]] = ()) -> ImportReport:
    """Judge `rows` (dicts keyed by COLUMNS; `period` as the city's calendar writes it, e.g.
    "2026-10" or "FY2027") and, unless `dry_run`, commit them as one batch of `kind`.
    `clear_targets` are (KPI id, frequency, period start) targets the batch removes.
    Raises ImportError_ when there is nothing to judge."""
    if kind not in KINDS:
        raise ValueError(f"unknown grid batch kind {kind!r}")
    columns = [c for c in COLUMNS if any(row.get(c) not in (None, "") for row in rows) or c in ("kpi_id", "period")]
    if not ({"value", "numerator", "target", "target_low", "target_high"} & set(columns)):
        columns.append("value" if kind == "manual" else "target")   # a file of cleared cells only
    path = workdir(services) / f"{kind}-{secrets.token_hex(8)}.csv"
    try:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(c)) for c in columns])
            if not rows and clear_targets:   # only cleared cells: one line that loads nothing
                kpi_id, frequency, start = clear_targets[0]
                writer.writerow([kpi_id, services.calendar.label(Period(frequency, start))] + [""] * (len(columns) - 2))
        return imports.run_import(services.warehouse, services.calendar, path, profile_for(columns), scope,
                                  dry_run=dry_run, file_name=file_name, profile_name=None,
                                  originals=services.config.data_path / "imports", workdir=workdir(services),
                                  kind=kind, clear_targets=clear_targets)
    finally:
        Path(path).unlink(missing_ok=True)
