"""Computed KPIs (DESIGN §3, issue #7): a KPI defined once as a SELECT over the raw datasets
of the sandbox, versioned in the warehouse, and recomputed on every raw load and change.

A definition returns `period` (a DATE or TIMESTAMP), `value` or `numerator` and
`denominator`, and optionally `member` for a breakdown (NULL member: the city-wide row).
Each period is stored as the KPI's period holding it, on the city's fiscal calendar.

All the definitions to recompute run as ONE query in the sandbox (a UNION ALL of one branch
per definition, each tagged by its position, so no KPI id is ever spliced into SQL); the
result (periods x KPIs x members) is small, so periods are mapped in Python with the same
FiscalCalendar the rest of the app uses. The observations of those KPIs are then replaced in
one warehouse transaction, each row carrying its definition version and raw batch.
Auditing is the web layer's: the functions return who, what and the old and new SQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Mapping

import pandas as pd

from metrics.kpi_sql import DefinitionError, check_definition, wrap
from metrics.periods import FREQUENCIES, FiscalCalendar, Period
from metrics.reasons import Reason
from metrics.sandbox import Sandbox, SandboxError
from metrics.warehouse import Warehouse

RECOMPUTE_TIMEOUT = 60.0
RECOMPUTE_MAX_ROWS = 1_000_000
PREVIEW_TIMEOUT = 30.0
# The dimension of breakdown rows when the KPI names none of its own.
DEFAULT_DIMENSION = "member"
OBSERVATION_COLUMNS = ["kpi_id", "frequency", "period_start", "dimension", "member", "value", "numerator",
                       "denominator", "definition_version", "raw_batch"]
_DEFINITION_COLUMNS = "kpi_id, version, sql, datasets, output, created_by, created_at"


class ComputedError(DefinitionError):
    """A computed KPI could not be saved or recomputed; `kpi_id` names the KPI at fault.
    Nothing was written."""

    def __init__(self, message: str, kpi_id: str | None = None):
        super().__init__(message)
        self.kpi_id = kpi_id


@dataclass(frozen=True)
class _Definition:
    kpi_id: str
    version: int | None
    sql: str
    output: tuple[str, ...]
    frequency: str
    dimension: str
    datasets: tuple[str, ...] = ()


@dataclass
class _Outcome:
    """What one definition produced: observation rows, errors that refuse it, and warnings."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- reading definitions ----------------------------------------------------------------------
def definition(warehouse: Warehouse, kpi_id: str) -> dict[str, Any] | None:
    """The KPI's current definition (its latest version), or None for a KPI kept by hand."""
    return warehouse.query(f"SELECT {_DEFINITION_COLUMNS} FROM kpi_definitions WHERE kpi_id = ? "
                           "ORDER BY version DESC LIMIT 1", [kpi_id]).first()


def definition_history(warehouse: Warehouse, kpi_id: str) -> list[dict[str, Any]]:
    """Every version of the KPI's definition, newest first: who saved which SQL, when."""
    return warehouse.query(f"SELECT {_DEFINITION_COLUMNS} FROM kpi_definitions WHERE kpi_id = ? "
                           "ORDER BY version DESC", [kpi_id]).dicts()


def _kpi(warehouse: Warehouse, kpi_id: str) -> dict[str, Any]:
    kpi = warehouse.query("SELECT id, frequency, breakdowns FROM kpis WHERE id = ?", [kpi_id]).first()
    if kpi is None:
        raise ComputedError(Reason("definition.no_kpi", kpi=repr(kpi_id)), kpi_id)
    return kpi


def _kpi_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A KPI not saved yet (e.g. the API creating one with its SQL): id, frequency, breakdowns."""
    frequency = fields.get("frequency")
    if frequency not in FREQUENCIES:
        raise ComputedError(Reason("definition.needs_frequency", allowed=", ".join(FREQUENCIES),
                                   value=repr(frequency)), fields.get("id"))
    return {"id": fields.get("id") or "", "frequency": frequency, "breakdowns": list(fields.get("breakdowns") or [])}


def _datasets(sandbox: Sandbox) -> dict[str, list[str]]:
    return {name: [column for column, _ in columns] for name, columns in sandbox.tables().items()}


# -- running definitions in the sandbox ------------------------------------------------------------
def _branch(position: int, item: _Definition) -> str:
    """One definition's part of the plan: fixed column order and types, missing ones NULL.
    typeof(period) comes along so a text period is refused by name rather than guessed."""
    def column(name: str, cast: str) -> str:
        return f"CAST({name} AS {cast})" if name in item.output else f"CAST(NULL AS {cast})"
    return (f"SELECT {int(position)} AS branch, typeof(period) AS period_type, "
            f"TRY_CAST(period AS TIMESTAMP) AS period, {column('member', 'VARCHAR')} AS member, "
            f"{column('value', 'DOUBLE')} AS value, {column('numerator', 'DOUBLE')} AS numerator, "
            f"{column('denominator', 'DOUBLE')} AS denominator\n"
            f"FROM (\n{wrap(item.sql, item.output)}\n) AS branch_{int(position)}")


def _name(item: _Definition) -> str:
    return item.kpi_id or "the new KPI"


def _plain(error: SandboxError) -> str:
    # Settings are locked in the sandbox, so DuckDB's "or SET ..." advice cannot be followed.
    message = re.sub(r",? or SET \w+\s*=\s*\w+[^.]*", "", str(error))
    if "INTERVAL" in message:
        message += (" (a duration is not a number: for days use date_diff('day', created, closed) "
                    "or epoch(closed - created) / 86400)")
    return message


def _run(sandbox: Sandbox, items: list[_Definition], *, timeout: float, max_rows: int) -> list[tuple]:
    """All `items` in one query; on failure, each alone, to name the definition at fault."""
    plan = "\nUNION ALL\n".join(_branch(position, item) for position, item in enumerate(items))
    try:
        result = sandbox.run(plan, timeout=timeout, max_rows=max_rows)
    except SandboxError as error:
        # Only on the way to an error: run each alone to say which one fails (not after a
        # time-out or running out of memory, which would only repeat the wait).
        if len(items) > 1 and not any(word in str(error) for word in ("longer than", "more memory")):
            for item in items:
                try:
                    sandbox.run(_branch(0, item), timeout=timeout, max_rows=max_rows)
                except SandboxError as own:
                    raise ComputedError(Reason("definition.kpi_does_not_run", kpis=_name(item), problem=_plain(own)),
                                        item.kpi_id) from None
        raise ComputedError(Reason("definition.kpi_does_not_run", kpis=", ".join(map(_name, items)),
                                   problem=_plain(error)), items[0].kpi_id if len(items) == 1 else None) from None
    if result.truncated:
        raise ComputedError(f"The definitions of {', '.join(map(_name, items))} return more than "
                            f"{max_rows:,} rows: a definition returns one row per period (and member); "
                            "aggregate with GROUP BY.", items[0].kpi_id if len(items) == 1 else None)
    return result.rows


# -- from result rows to observations ---------------------------------------------------------------
def _shape(calendar: FiscalCalendar, items: list[_Definition], rows: list[tuple]) -> list[_Outcome]:
    """Map each row's period onto its KPI's period, compute ratio values, and say what is
    wrong: text periods and repeated (period, member) pairs are errors; periods inside a
    KPI period, rows without a period or value, and no city-wide rows are warnings."""
    outcomes = [_Outcome() for _ in items]
    containing: dict[tuple[str, date], Period] = {}
    tally = [{"mapped": 0, "example": None, "no_period": 0, "no_value": 0, "types": set(), "seen": set(),
              "repeated": []} for _ in items]
    for branch, period_type, period, member, value, numerator, denominator in rows:
        item, count, outcome = items[branch], tally[branch], outcomes[branch]
        if not (period_type.startswith("DATE") or period_type.startswith("TIMESTAMP")):
            count["types"].add(period_type)
            continue
        if period is None:
            count["no_period"] += 1
            continue
        day = period.date()
        key = (item.frequency, day)
        if key not in containing:
            containing[key] = calendar.containing(item.frequency, day)
        target = containing[key]
        if target.start != day or period.time() != time(0):
            count["mapped"] += 1
            count["example"] = count["example"] or (period, target)
        ratio = "numerator" in item.output
        if ratio:
            value = numerator / denominator if numerator is not None and denominator else None
        elif value is None:
            count["no_value"] += 1
            continue
        slot = (target.start, member)
        if slot in count["seen"]:
            count["repeated"].append(slot)
            continue
        count["seen"].add(slot)
        outcome.rows.append({"period": target, "member": member, "value": value,
                             "numerator": numerator if ratio else None, "denominator": denominator if ratio else None})
    for item, count, outcome in zip(items, tally, outcomes):
        _explain(calendar, item, count, outcome)
        outcome.rows.sort(key=lambda row: (row["period"].start, row["member"] is not None, row["member"] or ""))
    return outcomes


def _explain(calendar: FiscalCalendar, item: _Definition, count: dict, outcome: _Outcome) -> None:
    noun = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "annual": "year"}
    unit = noun[item.frequency]
    if count["types"]:
        outcome.errors.append(Reason("definition.period_type", types=", ".join(sorted(count["types"]))))
    if count["repeated"]:
        start, member = count["repeated"][0]
        where = calendar.label(Period(item.frequency, start))
        if member is not None:
            where = Reason("definition.where_member", label=where, member=repr(member))
        fiscal = (Reason("definition.fiscal_hint", month=calendar.start_month, unit=Reason("unit." + unit))
                  if item.frequency in ("quarterly", "annual") else "")
        about = dict(count=len(count["repeated"]), unit=Reason("unit." + unit), where=where,
                     frequency=item.frequency, fiscal=fiscal)
        outcome.errors.append(Reason("definition.repeated_member" if "member" in item.output else "definition.repeated",
                                     **about))
    if count["mapped"]:
        given, target = count["example"]
        shown = given.date().isoformat() if given.time() == time(0) else given.isoformat(sep=" ")
        outcome.warnings.append(Reason("definition.off_start", count=count["mapped"], unit=Reason("unit." + unit),
                                       shown=shown, label=calendar.label(target)))
    if count["no_period"]:
        outcome.warnings.append(Reason("definition.no_period_rows", count=count["no_period"]))
    if count["no_value"]:
        outcome.warnings.append(Reason("definition.no_value_rows", count=count["no_value"]))
    if not outcome.errors and not outcome.rows:
        outcome.warnings.append(Reason("definition.no_rows"))
    elif "member" in item.output and outcome.rows and all(row["member"] is not None for row in outcome.rows):
        outcome.warnings.append(Reason("definition.no_city_wide"))


def _evaluate(sandbox: Sandbox, calendar: FiscalCalendar, items: list[_Definition], *, timeout: float,
              max_rows: int) -> list[_Outcome]:
    return _shape(calendar, items, _run(sandbox, items, timeout=timeout, max_rows=max_rows))


def _checked(sandbox: Sandbox, calendar: FiscalCalendar, kpi: dict[str, Any], sql: str, *, timeout: float,
             max_rows: int) -> tuple[_Definition, _Outcome]:
    """Check `sql` as the definition of `kpi` and run it once (the trial that also computes)."""
    checked = check_definition(sql, _datasets(sandbox), sandbox)
    item = _Definition(kpi["id"], None, checked.sql, checked.columns, kpi["frequency"],
                       (list(kpi["breakdowns"] or []) or [DEFAULT_DIMENSION])[0], checked.tables)
    return item, _evaluate(sandbox, calendar, [item], timeout=timeout, max_rows=max_rows)[0]


def _row_dict(calendar: FiscalCalendar, row: dict[str, Any]) -> dict[str, Any]:
    return {"period": calendar.label(row["period"]), "period_start": row["period"].start, "member": row["member"],
            "value": row["value"], "numerator": row["numerator"], "denominator": row["denominator"]}


# -- the entry points -----------------------------------------------------------------------------------
def preview(warehouse: Warehouse, sandbox: Sandbox, calendar: FiscalCalendar, kpi: str | Mapping[str, Any],
            sql: str, *, limit: int = 200, timeout: float = PREVIEW_TIMEOUT,
            max_rows: int = RECOMPUTE_MAX_ROWS) -> dict[str, Any]:
    """The rows `sql` would store for `kpi` (an id, or the fields of a KPI not saved yet: id,
    frequency, breakdowns), at most `limit` of them, with its problems. Raises
    DefinitionError when the definition is refused or does not run; `ok` is False when a
    problem (a text period, a repeated period) would refuse it on save."""
    fields = _kpi(warehouse, kpi) if isinstance(kpi, str) else _kpi_fields(kpi)
    item, outcome = _checked(sandbox, calendar, fields, sql, timeout=timeout, max_rows=max_rows)
    return {"kpi_id": item.kpi_id, "frequency": item.frequency, "sql": item.sql, "datasets": list(item.datasets),
            "output": list(item.output), "ok": not outcome.errors, "total_rows": len(outcome.rows),
            "truncated": len(outcome.rows) > limit,
            "rows": [_row_dict(calendar, row) for row in outcome.rows[:limit]],
            "problems": [{"severity": "error", "message": m} for m in outcome.errors]
            + [{"severity": "warning", "message": m} for m in outcome.warnings]}


def save_definition(warehouse: Warehouse, sandbox: Sandbox, calendar: FiscalCalendar, kpi_id: str, sql: str, *,
                    actor: str, raw_batch: int | None = None, timeout: float = PREVIEW_TIMEOUT,
                    max_rows: int = RECOMPUTE_MAX_ROWS) -> dict[str, Any]:
    """Check, trial-run and store `sql` as the next version of the KPI's definition, and
    replace its observations with what it computes, in one transaction. Saving the current
    SQL again recomputes without a new version (`changed` False). Raises DefinitionError
    (ComputedError for an unknown KPI) and writes nothing when refused."""
    kpi = _kpi(warehouse, kpi_id)
    item, outcome = _checked(sandbox, calendar, kpi, sql, timeout=timeout, max_rows=max_rows)
    if outcome.errors:
        raise ComputedError("The definition cannot be saved: " + " ".join(outcome.errors), kpi_id)
    batch = raw_batch if raw_batch is not None else _latest_batch(sandbox, item.datasets)
    with warehouse.transaction() as tx:
        previous = tx.execute(f"SELECT {_DEFINITION_COLUMNS} FROM kpi_definitions WHERE kpi_id = ? "
                              "ORDER BY version DESC LIMIT 1", [kpi_id]).first()
        changed = previous is None or previous["sql"] != item.sql
        version = (previous["version"] + 1 if previous else 1) if changed else previous["version"]
        if changed:
            tx.execute("INSERT INTO kpi_definitions (kpi_id, version, sql, datasets, output, created_by) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [kpi_id, version, item.sql, list(item.datasets),
                                                     list(item.output), actor])
        written = _replace(tx, [(item, version, batch, outcome)])
    return {"kpi_id": kpi_id, "version": version, "changed": changed, "previous": previous, "sql": item.sql,
            "datasets": list(item.datasets), "output": list(item.output), "actor": actor, "raw_batch": batch,
            "observations": written[kpi_id], "warnings": outcome.warnings}


def recompute(warehouse: Warehouse, sandbox: Sandbox, calendar: FiscalCalendar, *, dataset: str | None = None,
              kpi_ids: list[str] | None = None, raw_batch: int | None = None, timeout: float = RECOMPUTE_TIMEOUT,
              max_rows: int = RECOMPUTE_MAX_ROWS) -> dict[str, Any]:
    """Recompute the current definitions that read `dataset`, or those of `kpi_ids` (all of
    them when neither is given) in one sandbox query, and replace their observations in one
    transaction. `raw_batch` is the load that triggered this, else each KPI's is the latest
    loaded batch of the datasets it reads. Raises ComputedError naming the first KPI whose
    definition fails; then nothing is written."""
    current = warehouse.query("""
        SELECT d.kpi_id, d.version, d.sql, d.output, d.datasets, k.frequency, k.breakdowns
        FROM kpi_definitions d JOIN kpis k ON k.id = d.kpi_id
        WHERE d.version = (SELECT max(version) FROM kpi_definitions l WHERE l.kpi_id = d.kpi_id)
          AND ($dataset IS NULL OR list_contains(d.datasets, $dataset))
          AND ($all_kpis OR list_contains(CAST($kpi_ids AS VARCHAR[]), d.kpi_id))
        ORDER BY d.kpi_id""", {"dataset": dataset, "all_kpis": kpi_ids is None, "kpi_ids": list(kpi_ids or [])},
        max_rows=100_000).dicts()
    if not current:
        return {"kpis": {}, "observations": 0}
    datasets = _datasets(sandbox)
    items = []
    for row in current:
        try:   # the datasets may have changed since the definition was saved
            check_definition(row["sql"], datasets)
        except DefinitionError as error:
            raise ComputedError(f"The definition of {row['kpi_id']} no longer runs: {error}", row["kpi_id"]) from None
        items.append(_Definition(row["kpi_id"], row["version"], row["sql"], tuple(row["output"]), row["frequency"],
                                 (list(row["breakdowns"] or []) or [DEFAULT_DIMENSION])[0], tuple(row["datasets"])))
    outcomes = _evaluate(sandbox, calendar, items, timeout=timeout, max_rows=max_rows)
    for item, outcome in zip(items, outcomes):
        if outcome.errors:
            raise ComputedError(f"The definition of {item.kpi_id} (version {item.version}) cannot be computed: "
                                + " ".join(outcome.errors), item.kpi_id)
    work = [(item, item.version, raw_batch if raw_batch is not None else _latest_batch(sandbox, item.datasets),
             outcome) for item, outcome in zip(items, outcomes)]
    with warehouse.transaction() as tx:
        written = _replace(tx, work)
    return {"kpis": {item.kpi_id: {"version": item.version, "raw_batch": batch, "observations": written[item.kpi_id],
                                   "warnings": outcome.warnings} for item, _, batch, outcome in work},
            "observations": sum(written.values())}


# -- writing ----------------------------------------------------------------------------------------------
def _replace(tx, work: list[tuple[_Definition, int, int | None, _Outcome]]) -> dict[str, int]:
    """Delete every observation of the KPIs and insert the computed ones (inside the caller's
    transaction, so readers see the old set or the new one, never a mix)."""
    kpi_ids = [item.kpi_id for item, *_ in work]
    tx.execute("DELETE FROM observations WHERE list_contains(CAST(? AS VARCHAR[]), kpi_id)", [kpi_ids])
    records = [{"kpi_id": item.kpi_id, "frequency": item.frequency, "period_start": row["period"].start,
                "dimension": "" if row["member"] is None else item.dimension,
                "member": "" if row["member"] is None else row["member"], "value": row["value"],
                "numerator": row["numerator"], "denominator": row["denominator"], "definition_version": version,
                "raw_batch": batch}
               for item, version, batch, outcome in work for row in outcome.rows]
    if records:
        frame = pd.DataFrame.from_records(records, columns=OBSERVATION_COLUMNS)
        tx.insert_frame("observations", frame, OBSERVATION_COLUMNS)
    written = {kpi_id: 0 for kpi_id in kpi_ids}
    for record in records:
        written[record["kpi_id"]] += 1
    return written


def _latest_batch(sandbox: Sandbox, datasets: tuple[str, ...]) -> int | None:
    """The newest load still in force among `datasets` (batch numbers share one sequence), from
    the sandbox's own register; None for tables not loaded from files (e.g. test fixtures)."""
    if not datasets:
        return None
    with sandbox.cursor() as cursor:
        registered = cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                                    "AND table_name = '_dataset_batches'").fetchone()[0]
        if not registered:
            return None
        return cursor.execute("SELECT max(id) FROM _dataset_batches WHERE list_contains(?, dataset) "
                              "AND status = 'loaded'", [list(datasets)]).fetchone()[0]
