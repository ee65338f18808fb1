"""A KPI's targets written in the app (DESIGN §3-4, issue #10): the fiscal-year grid the
targets page shows, saving a set of targets as one batch, copying last year's as a starting
point, and the history of every change. One service for the page and the API, so the same
checks, batch and audit apply however the request comes.

A target is per period of the KPI's frequency or per fiscal year ("FY2027"), a value or (for
a KPI whose direction is "band") a low and a high; percent targets are fractions (0.85).
Every row is checked before anything is written and every problem is said with its row.
Then the rows go through the import engine as one batch of kind "targets"
(web.entry_batches), kept for a revert on /imports/history like any import, and the save is
audited ("targets.save"). Analysts write their own departments' targets; managers and
administrators any department's.
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any, Mapping, Sequence

from i18n import translate
from metrics import catalog, target_history as history_sql
from metrics.access import Scope
from metrics.imports import ImportError_
from metrics.periods import Period, PeriodError
from metrics.reasons import Reason, reason_of
from web import audit
from web.entry_batches import commit_rows
from web.kpi_definitions import kpi_row
from web.reasons import Refusal, say, web_reason

ROW_FIELDS = ("period", "value", "low", "high")
MAX_ROWS = 1000
# Refusals and the HTTP status each answers with.
STATUS = {"targets.unknown_kpi": 404, "targets.not_allowed": 403, "targets.archived": 409,
          "targets.invalid": 422, "targets.too_many": 400, "targets.not_a_list": 400}
_UNITS = {"daily": "unit.day", "weekly": "unit.week", "monthly": "unit.month", "quarterly": "unit.quarter",
          "annual": "unit.year"}


class TargetsError(Refusal):
    """A save refused: `problems` ({"row", "period", "reason"}) say what to fix, row by row
    (row 1 is the first row sent). Already audited; nothing written."""

    STATUSES = STATUS

    def __init__(self, key: str, problems: Sequence[Mapping[str, Any]] = (), **params):
        super().__init__(key, [dict(p) for p in problems], **params)

    def _english_problems(self) -> str:
        return "".join(f" {p['reason']}" for p in self.problems[:5])

    def problem_texts(self, language: str) -> list[str]:
        """"Row 3 (2026-10): ..." for each problem, in `language`."""
        return [translate("targets.row_problem", language, row=p["row"], period=p["period"] or "–",
                          problem=say(p["reason"], language)) if p["row"] is not None else say(p["reason"], language)
                for p in self.problems]


def grid_file_name(kpi_id: str) -> str:
    """The file name of the targets grid's batches for a KPI, as the import history lists it."""
    return f"targets-{kpi_id}.csv"


def may_write(scope: Scope, kpi: Mapping[str, Any] | None) -> bool:
    """Whether `scope` may set this KPI's targets: its department's analysts, managers, admins."""
    return kpi is not None and scope.can_edit_department(kpi.get("department_id"))


# -- reading ------------------------------------------------------------------------------------------------
def _target_of(row: Mapping[str, Any] | None) -> dict[str, float | None]:
    row = row or {}
    return {"value": row.get("value"), "low": row.get("low"), "high": row.get("high")}


def _stored_targets(services, kpi_id: str) -> dict[tuple[str, date], dict[str, float | None]]:
    return {(t["frequency"], t["period_start"]): _target_of(t) for t in catalog.kpi_targets(services.warehouse, kpi_id)}


def fiscal_year_periods(services, kpi: Mapping[str, Any], fiscal_year: int) -> list[Period]:
    """The periods the grid offers for `fiscal_year`: each period of the KPI's frequency that
    starts in it (none for a daily KPI: a year of days is no grid), then the fiscal year."""
    year = services.calendar.fiscal_year_period(fiscal_year)
    if kpi["frequency"] in ("daily", "annual"):
        return [year]
    return [*services.calendar.periods_in(year, kpi["frequency"]), year]


def _year_actual(kpi: Mapping[str, Any], observed: list[dict[str, Any]]) -> float | None:
    """The fiscal year's value so far from its periods' values, by the KPI's aggregation."""
    values = [o["value"] for o in observed if o["value"] is not None]
    if not values:
        return None
    aggregation = kpi["aggregation"]
    if aggregation == "sum":
        return sum(values)
    if aggregation == "last":
        return values[-1]
    if aggregation == "ratio":
        pairs = [(o["numerator"], o["denominator"]) for o in observed if o["value"] is not None]
        if all(n is not None and d for n, d in pairs):
            return sum(n for n, _ in pairs) / sum(d for _, d in pairs)
    return sum(values) / len(values)


def fiscal_year_grid(services, kpi: Mapping[str, Any], fiscal_year: int) -> list[dict[str, Any]]:
    """One row per period of the KPI's frequency in `fiscal_year`, then the whole fiscal year:
    {"period" (the city's label), "frequency", "period_start", "annual", "value", "low", "high"
    (the target stored now, or None), "actual" (the value, read-only context; for the year,
    its value so far by the KPI's aggregation), "actual_periods" and "periods" (how many of
    the year's periods have a value, of how many)}."""
    periods = fiscal_year_periods(services, kpi, fiscal_year)
    year = periods[-1]
    stored = _stored_targets(services, kpi["id"])
    history = catalog.kpi_history(services.warehouse, services.calendar, kpi["id"], since=year)
    observed = {o["period_start"]: o for o in history if o["member"] == "" and o["period_start"] <= year.end}
    in_year = [observed[p.start] for p in services.calendar.periods_in(year, kpi["frequency"]) if p.start in observed]
    count = len(services.calendar.periods_in(year, kpi["frequency"]))
    rows = []
    for period in periods:
        annual = period.frequency == "annual"
        if annual and kpi["frequency"] != "annual":
            actual, with_value = _year_actual(kpi, in_year), sum(1 for o in in_year if o["value"] is not None)
        else:
            found = observed.get(period.start) if period.frequency == kpi["frequency"] else None
            actual = found["value"] if found else None
            with_value = int(actual is not None)
        rows.append({"period": services.calendar.label(period), "frequency": period.frequency,
                     "period_start": period.start, "annual": annual,
                     **_target_of(stored.get((period.frequency, period.start))),
                     "actual": actual, "actual_periods": with_value, "periods": count if annual else 1})
    return rows


def copy_last_year(services, kpi: Mapping[str, Any], fiscal_year: int) -> list[dict[str, Any]]:
    """`fiscal_year`'s grid with the previous fiscal year's targets moved one year on (the same
    month, quarter or week of the year; the year's to the year's), each such row marked
    "copied": True; rows last year had no target for keep theirs. Nothing is saved."""
    rows = fiscal_year_grid(services, kpi, fiscal_year)
    stored = _stored_targets(services, kpi["id"])
    before = fiscal_year_periods(services, kpi, fiscal_year - 1)
    now = fiscal_year_periods(services, kpi, fiscal_year)
    # Position by position: the year is last in both; a 53rd week has no counterpart.
    sources = {now[-1]: before[-1], **dict(zip(now[:-1], before[:-1]))}
    for row in rows:
        source = sources.get(Period(row["frequency"], row["period_start"]))
        target = stored.get((source.frequency, source.start)) if source else None
        row["copied"] = target is not None
        if target is not None:
            row.update(target)
    return rows


def target_history(services, kpi_id: str) -> list[dict[str, Any]] | None:
    """Every change of the KPI's targets, newest first (metrics.target_history), each with its
    period as the city names it; None when there is no such KPI."""
    kpi = kpi_row(services, kpi_id)
    if kpi is None:
        return None
    changes = history_sql.history(services.warehouse, services.calendar, kpi["id"],
                                  grid_file_name=grid_file_name(kpi["id"]))
    return [{**change, "period": services.calendar.label(Period(change["frequency"], change["period_start"]))}
            for change in changes]


def targets_json(services, kpi_id: str) -> list[dict[str, Any]]:
    """The KPI's targets as the API writes them (as GET /kpis/{id} does)."""
    return [{"period": services.calendar.label(Period(t["frequency"], t["period_start"])), "frequency": t["frequency"],
             "value": t["value"], "low": t["low"], "high": t["high"]}
            for t in catalog.kpi_targets(services.warehouse, kpi_id)]


# -- checking rows ----------------------------------------------------------------------------------------------
def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _period(services, kpi: Mapping[str, Any], text) -> tuple[Period | None, Reason | None]:
    calendar = services.calendar
    if not isinstance(text, str) or not text.strip() or len(text) > 40:
        return None, web_reason("targets.no_period")
    try:
        period = calendar.parse(text)
    except PeriodError as error:
        return None, reason_of(error)
    frequency = kpi["frequency"]
    if period.frequency not in (frequency, "annual"):
        today = date.today()
        return None, web_reason("targets.wrong_frequency", period=text.strip()[:40], unit=Reason(_UNITS[frequency]),
                                example=calendar.label(calendar.containing(frequency, today)),
                                year=calendar.label(calendar.fiscal_year_period(calendar.fiscal_year(today))))
    on_calendar = calendar.containing(period.frequency, period.start)
    if period.frequency == "annual" and on_calendar != period:
        label = calendar.label(calendar.fiscal_year_period(calendar.fiscal_year(period.end)))
        return None, Reason("period.off_calendar", text=repr(text.strip()), month=calendar.start_month, label=label)
    if on_calendar != period:
        return None, Reason("period.off_calendar", text=repr(text.strip()), month=calendar.start_month,
                            label=calendar.label(on_calendar))
    return period, None


def _row_problems(kpi: Mapping[str, Any], row: Mapping[str, Any]) -> list[Reason]:
    """What is wrong with a row's numbers for this KPI (its period is checked apart)."""
    problems = []
    unknown = sorted(str(k)[:40] for k in row if k not in ROW_FIELDS)
    if unknown:
        problems.append(web_reason("targets.unknown_field", fields=", ".join(unknown), known="period, value, low, "
                                                                                             "high"))
    numbers = {}
    for name in ("value", "low", "high"):
        value = row.get(name)
        if value is not None and not _is_number(value):
            problems.append(web_reason("targets.not_a_number", field=name, value=repr(value)[:40]))
        else:
            numbers[name] = value
    if problems:
        return problems
    value, low, high = numbers["value"], numbers["low"], numbers["high"]
    if kpi["direction"] == "band":
        if value is not None:
            problems.append(web_reason("targets.band_not_value"))
        elif (low is None) != (high is None):
            problems.append(web_reason("targets.band_both"))
        elif low is not None and low > high:
            problems.append(web_reason("targets.band_order", low=low, high=high))
    elif low is not None or high is not None:
        problems.append(web_reason("targets.value_not_band"))
    if kpi["unit"] == "percent":
        for name in ("value", "low", "high"):
            if numbers[name] is not None and abs(numbers[name]) > 1:
                problems.append(web_reason("targets.percent_fraction", field=name, value=numbers[name]))
    return problems


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    def close(x, y):
        if x is None or y is None:
            return x is None and y is None
        return abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))
    return all(close(a.get(k), b.get(k)) for k in ("value", "low", "high"))


def checked_rows(services, kpi: Mapping[str, Any], rows: Sequence[Any]) -> tuple[list[dict[str, Any]], list[dict]]:
    """(rows read as {"row", "period", "target"}, problems {"row", "period", "reason"})."""
    problems: list[dict[str, Any]] = []
    read: list[dict[str, Any]] = []
    seen: dict[Period, int] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            problems.append({"row": number, "period": None, "reason": web_reason("targets.not_object")})
            continue
        text = row.get("period")
        shown = text.strip()[:40] if isinstance(text, str) else None
        period, problem = _period(services, kpi, text)
        found = [problem] if problem else []
        if period is not None and period in seen:
            found.append(web_reason("targets.duplicate", period=shown, first=seen[period], row=number))
        elif period is not None:
            seen[period] = number
        found += _row_problems(kpi, row)
        problems += [{"row": number, "period": shown, "reason": reason} for reason in found]
        if not found:
            read.append({"row": number, "period": period, "target": _target_of(row)})
    return read, problems


# -- saving ---------------------------------------------------------------------------------------------------
def _refuse(services, scope: Scope, kpi_id, error: TargetsError, *, dry_run: bool, department=None):
    audit.record(services, "targets.save", "denied" if error.status == 403 else "failure", actor=scope.username,
                 target=str(kpi_id)[:255],
                 details={"reason": error.key.removeprefix("targets."), "department": department, "dry_run": dry_run,
                          "problems": [f"row {p['row']}: {p['reason']}" for p in error.problems[:10]]})
    raise error


def save_targets(services, scope: Scope, kpi_id: str, rows: Sequence[Any], *, dry_run: bool = False) -> dict:
    """Set, change or clear a KPI's targets: `rows` are {"period", "value"} or {"period",
    "low", "high"}; a row whose numbers are all null clears that period's target. Everything
    is checked first; then the rows that change something are written as ONE batch (or, with
    `dry_run`, only judged). Returns {"batch_id" (None when nothing was written), "set",
    "cleared", "unchanged", "dry_run", "targets" (the KPI's targets after)}. Raises
    TargetsError (audited; nothing written)."""
    kpi = kpi_row(services, kpi_id)
    if kpi is None:
        _refuse(services, scope, kpi_id, TargetsError("targets.unknown_kpi", kpi_id=str(kpi_id)[:128]),
                dry_run=dry_run)
    if not may_write(scope, kpi):
        _refuse(services, scope, kpi["id"], TargetsError("targets.not_allowed", department=kpi["department_id"]),
                dry_run=dry_run, department=kpi["department_id"])
    if kpi["archived"]:
        _refuse(services, scope, kpi["id"], TargetsError("targets.archived", kpi_id=kpi["id"]), dry_run=dry_run,
                department=kpi["department_id"])
    if not isinstance(rows, (list, tuple)):
        _refuse(services, scope, kpi["id"], TargetsError("targets.not_a_list"), dry_run=dry_run,
                department=kpi["department_id"])
    if len(rows) > MAX_ROWS:
        _refuse(services, scope, kpi["id"], TargetsError("targets.too_many", limit=MAX_ROWS), dry_run=dry_run,
                department=kpi["department_id"])
    read, problems = checked_rows(services, kpi, rows)
    if problems:
        _refuse(services, scope, kpi["id"], TargetsError("targets.invalid", problems), dry_run=dry_run,
                department=kpi["department_id"])
    stored = _stored_targets(services, kpi["id"])
    setting, clearing, sent, unchanged = [], [], [], 0
    for item in read:
        period, target = item["period"], item["target"]
        key = (period.frequency, period.start)
        if _same(target, stored.get(key) or {}):
            unchanged += 1
        elif target["value"] is None and target["low"] is None:
            clearing.append((kpi["id"], period.frequency, period.start))
        else:
            sent.append(item)
            setting.append({"kpi_id": kpi["id"], "period": services.calendar.label(period),
                            "target": target["value"], "target_low": target["low"], "target_high": target["high"]})
    result = {"batch_id": None, "set": 0, "cleared": 0, "unchanged": unchanged, "dry_run": dry_run}
    if setting or clearing:
        try:
            report = commit_rows(services, scope, setting, kind="targets", file_name=grid_file_name(kpi["id"]),
                                 dry_run=dry_run, clear_targets=clearing)
        except ImportError_ as error:   # the engine could not read its own file: say so, write nothing
            problem = {"row": 1, "period": None, "reason": reason_of(error)}
            _refuse(services, scope, kpi["id"], TargetsError("targets.invalid", [problem]), dry_run=dry_run,
                    department=kpi["department_id"])
        if report.errors:   # the engine's own checks (a department changed meanwhile, ...)
            engine = [{"row": sent[e["line"] - 2]["row"] if 0 <= e["line"] - 2 < len(sent) else None,
                       "period": e.get("period"), "reason": e["reason"]} for e in report.errors]
            _refuse(services, scope, kpi["id"], TargetsError("targets.invalid", engine), dry_run=dry_run,
                    department=kpi["department_id"])
        result.update(batch_id=report.batch_id, set=report.targets, cleared=report.targets_cleared)
    if result["batch_id"] is not None:
        audit.record(services, "targets.save", "success", actor=scope.username, target=kpi["id"],
                     details={"batch_id": result["batch_id"], "set": result["set"], "cleared": result["cleared"],
                              "unchanged": unchanged, "department": kpi["department_id"]})
    result["targets"] = targets_json(services, kpi["id"])
    return result
