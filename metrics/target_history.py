"""Every change of a KPI's targets, read back from the import tables (issue #10).

Targets change only through batches (imports, the targets grid, the demo seed), and each
batch keeps what it replaced, so the history is in the tables already:
- a batch B's new values are the targets rows with batch_id = B, and the rows of
  `import_replaced_targets` with batch_id = B (B's values that a later batch replaced);
- its old values are the `import_replaced_targets` rows with replaced_by = B;
- a period B touched with an old value and no new one anywhere was cleared by B.

A revert deletes what its batch wrote without keeping it, so a reverted batch's new values
may be gone from the tables. The targets grid keeps its rows as a small CSV (the batch's
stored original), which `grid_file_targets` reads back; for a reverted import the new
value is "unrecorded".
"""
from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path
from typing import Any

from metrics.periods import FiscalCalendar, PeriodError
from metrics.warehouse import Warehouse

STATES = ("set", "cleared", "unrecorded")
# What a history is capped at: a weekly KPI with years of targets has thousands of rows.
LIMIT = 2000

_CHANGES = """
    WITH new_now AS (
        SELECT batch_id, frequency, period_start, value, low, high
        FROM targets WHERE kpi_id = $kpi_id AND batch_id IS NOT NULL
    ), new_later AS (
        SELECT batch_id, frequency, period_start, any_value(value) AS value, any_value(low) AS low,
               any_value(high) AS high
        FROM import_replaced_targets WHERE kpi_id = $kpi_id AND batch_id IS NOT NULL
        GROUP BY batch_id, frequency, period_start
    ), news AS (
        SELECT * FROM new_now
        UNION ALL
        SELECT l.* FROM new_later l ANTI JOIN new_now n USING (batch_id, frequency, period_start)
    ), olds AS (
        SELECT replaced_by AS batch_id, frequency, period_start, value, low, high
        FROM import_replaced_targets WHERE kpi_id = $kpi_id
    ), touched AS (
        SELECT coalesce(n.batch_id, o.batch_id) AS batch_id, coalesce(n.frequency, o.frequency) AS frequency,
               coalesce(n.period_start, o.period_start) AS period_start,
               o.batch_id IS NOT NULL AS had_old, o.value AS old_value, o.low AS old_low, o.high AS old_high,
               n.batch_id IS NOT NULL AS has_new, n.value AS new_value, n.low AS new_low, n.high AS new_high
        FROM news n FULL OUTER JOIN olds o
          ON n.batch_id = o.batch_id AND n.frequency = o.frequency AND n.period_start = o.period_start
    )
    SELECT t.*, b.kind, b.file_name, b.created_by, b.created_at, b.status, b.reverted_at, b.reverted_by,
           b.stored_path
    FROM touched t JOIN import_batches b ON b.id = t.batch_id
    ORDER BY t.batch_id DESC, t.period_start, t.frequency
    LIMIT $limit
"""

_REVERTED_GRID_BATCHES = """
    SELECT id AS batch_id, kind, file_name, created_by, created_at, status, reverted_at, reverted_by, stored_path
    FROM import_batches
    WHERE kind = 'targets' AND status = 'reverted' AND file_name = $file_name
"""


def _target(value, low, high) -> dict[str, float | None] | None:
    if value is None and low is None and high is None:
        return None
    return {"value": value, "low": low, "high": high}


def _number(text: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def grid_file_targets(path: str | Path | None, kpi_id: str,
                      calendar: FiscalCalendar) -> dict[tuple[str, date], dict[str, float | None]] | None:
    """The targets a targets-grid file sets for `kpi_id`, by (frequency, period start); None
    when the file is gone or is not one the grid wrote (columns kpi_id, period, target...)."""
    if not path:
        return None
    try:
        with Path(path).open(encoding="utf-8", newline="") as source:
            reader = csv.DictReader(source)
            if not reader.fieldnames or not {"kpi_id", "period"} <= set(reader.fieldnames):
                return None
            found = {}
            for row in reader:
                if row.get("kpi_id") != kpi_id:
                    continue
                target = _target(_number(row.get("target")), _number(row.get("target_low")),
                                 _number(row.get("target_high")))
                if target is None:
                    continue
                try:
                    period = calendar.parse(row.get("period") or "")
                except PeriodError:
                    continue
                found[(period.frequency, period.start)] = target
            return found
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _entry(row: dict[str, Any], batch: dict[str, Any]) -> dict[str, Any]:
    return {"batch_id": batch["batch_id"], "kind": batch["kind"], "file_name": batch["file_name"],
            "changed_by": batch["created_by"], "changed_at": batch["created_at"],
            "reverted": batch["status"] == "reverted", "reverted_at": batch["reverted_at"],
            "reverted_by": batch["reverted_by"], "frequency": row["frequency"], "period_start": row["period_start"],
            "old": row["old"], "new": row["new"], "state": row["state"]}


def history(warehouse: Warehouse, calendar: FiscalCalendar, kpi_id: str, *,
            grid_file_name: str | None = None, limit: int = LIMIT) -> list[dict[str, Any]]:
    """Each change of the KPI's targets, newest batch first, then by period: {"batch_id",
    "kind", "file_name", "changed_by", "changed_at", "reverted", "reverted_at", "reverted_by",
    "frequency", "period_start", "old", "new", "state"}. `old` and `new` are {"value", "low",
    "high"} or None; `state` is "set", "cleared", or "unrecorded" (a reverted import's new
    value, which nothing kept). `grid_file_name` is the file name the targets grid gives this
    KPI's batches, so that its reverted batches are found even when the tables kept nothing."""
    rows = warehouse.query(_CHANGES, {"kpi_id": kpi_id, "limit": limit}).dicts()
    batches: dict[int, dict[str, Any]] = {}
    changes: dict[int, dict[tuple[str, date], dict[str, Any]]] = {}
    for row in rows:
        batches.setdefault(row["batch_id"], row)
        old = _target(row["old_value"], row["old_low"], row["old_high"]) if row["had_old"] else None
        new = _target(row["new_value"], row["new_low"], row["new_high"]) if row["has_new"] else None
        state = "set" if row["has_new"] else "unrecorded" if row["status"] == "reverted" else "cleared"
        changes.setdefault(row["batch_id"], {})[(row["frequency"], row["period_start"])] = {
            "frequency": row["frequency"], "period_start": row["period_start"], "old": old, "new": new,
            "state": state}
    if grid_file_name:
        for batch in warehouse.query(_REVERTED_GRID_BATCHES, {"file_name": grid_file_name}).dicts():
            batches.setdefault(batch["batch_id"], batch)
    for batch_id, batch in batches.items():
        if batch["kind"] != "targets" or batch["status"] != "reverted":
            continue
        written = grid_file_targets(batch["stored_path"], kpi_id, calendar)
        if written is None:
            continue
        mine = changes.setdefault(batch_id, {})
        for key, change in mine.items():   # what the grid's file did not set, the batch cleared
            if change["state"] == "unrecorded" and key not in written:
                change["state"] = "cleared"
        for key, target in written.items():
            change = mine.setdefault(key, {"frequency": key[0], "period_start": key[1], "old": None})
            change.update(new=target, state="set")
    out = [_entry(change, batches[batch_id]) for batch_id in sorted(changes, reverse=True)
           for change in sorted(changes[batch_id].values(), key=lambda c: (c["period_start"], c["frequency"]))]
    return out[:limit]
