"""Manual data entry (issue #10, item 4): the values a person types into the app's grid.

`entry_rows` lists what a person may enter: each live KPI kept by hand in their departments,
for its current period (the latest one over) and every earlier period it still owes since
its latest value (at most MAX_PERIODS), with what is stored already, the target that applies
and when the value is due. `commit_entries` takes the grid's rows back, keeps those whose
value or note differ from what is stored, and commits them as ONE batch of kind "manual"
through the import engine (web.entry_batches), so that they are judged like a file, listed
in the import history and reverted like one. Everything about a KPI (its department, unit,
frequency) is read from the warehouse, never taken from the rows sent.
"""
from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from i18n import translate
from metrics import due, status
from metrics.catalog import _APPLICABLE_TARGET, _TARGET_COLUMNS  # the one rule for which target applies
from metrics.access import Scope
from metrics.imports import ImportError_
from metrics.periods import Period, PeriodError
from web import audit
from web.entry_batches import commit_rows
from web.narratives import current_narrative
from web.reasons import say

ACTION = "entry.commit"
MAX_PERIODS = 12        # periods listed per KPI; older ones owed are left to a file import
MAX_ROWS = 5000         # rows one request may send back
MAX_NOTE = 1000         # characters of a note
FILE_NAME = "data-entry.csv"
STATES = ("overdue", "due", "entered")
_RELATIVE = 1e-9        # a typed value this close to the stored one is the same value


# -- what a person may enter ------------------------------------------------------------------------------
def _computed_ids(services) -> set[str]:
    """KPIs with a SQL definition: their values come from the definition, never from people."""
    return {row["kpi_id"] for row in services.warehouse.query("SELECT DISTINCT kpi_id FROM kpi_definitions").dicts()}


def _entry_kpis(services, scope: Scope, as_of: date, department: str | None) -> list[dict[str, Any]]:
    """Status rows (metrics.status.kpi_statuses) of the live KPIs kept by hand that `scope` may write."""
    if not scope.allows("analyst"):
        return []
    rows = status.kpi_statuses(services.warehouse, services.calendar, as_of, department=department)
    computed = _computed_ids(services)
    return [row for row in rows if row["id"] not in computed and scope.can_edit_department(row["department_id"])]


def _stored(services, pairs: Iterable[tuple[str, date]]) -> dict[tuple[str, date], dict[str, Any]]:
    """The city-wide value and note stored for each (KPI id, period start)."""
    pairs = list(pairs)
    if not pairs:
        return {}
    rows = services.warehouse.query("""
        SELECT o.kpi_id, o.period_start, o.value, o.note
        FROM observations o
        JOIN (SELECT unnest(CAST($ids AS VARCHAR[])) AS kpi_id, unnest(CAST($starts AS DATE[])) AS period_start) w
          USING (kpi_id, period_start)
        WHERE o.dimension = ''
    """, {"ids": [p[0] for p in pairs], "starts": [p[1] for p in pairs]}).dicts()
    return {(row["kpi_id"], row["period_start"]): row for row in rows}


def _targets(services, pairs: list[tuple[str, date]]) -> dict[tuple[str, date], dict[str, Any]]:
    """The target that applies to each (KPI id, period start), by metrics.catalog's one rule
    (as metrics.series.targets_for, for many KPIs in one query)."""
    if not pairs:
        return {}
    rows = services.warehouse.query(f"""
        SELECT o.kpi_id, o.period_start, {_TARGET_COLUMNS}
        FROM (SELECT unnest(CAST($ids AS VARCHAR[])) AS kpi_id, unnest(CAST($starts AS DATE[])) AS period_start) o
        JOIN kpis k ON k.id = o.kpi_id
        {_APPLICABLE_TARGET}
    """, {"fy_month": services.calendar.start_month, "ids": [p[0] for p in pairs],
          "starts": [p[1] for p in pairs]}).dicts()
    return {(row["kpi_id"], row["period_start"]): row for row in rows}


def _periods(kpi: Mapping[str, Any], calendar, as_of: date) -> tuple[list[Period], int]:
    """The periods listed for `kpi` (oldest first, the current one last) and how many it owes."""
    try:
        current = calendar.containing(kpi["frequency"], as_of) - 1
    except (OverflowError, ValueError):
        return [], 0
    item = due.due_item(kpi, calendar, as_of)
    if item is None:
        return [current], 0
    owed = item["periods_owed"]
    first = max(item["period"], current - (MAX_PERIODS - 1))
    return [first + n for n in range(current - first + 1)], owed


def entry_rows(services, scope: Scope, as_of: date, department: str | None = None) -> list[dict[str, Any]]:
    """The rows of `scope`'s data-entry grid as of `as_of`: analysts their departments' KPIs,
    managers and admins every department's (or `department`'s), viewers none. Each row is one
    KPI and period: "kpi_id", "name" (and name_es/name_pt), "department_id" (and its names),
    "unit", "unit_label", "decimals", "frequency", "period" (a Period), "label" ("2026-10"),
    "current" (the latest period over), "value" and "note" as stored (value as stored: percents
    are fractions), "has_value", the target that applies ("target_value", "target_low",
    "target_high", "target_basis", "annual_target_value", "fiscal_year_start"), "owner",
    "due_date", "state" (overdue, due, or entered when a value is stored), "days_late",
    "days_left", "periods_owed" (all the KPI owes) and "capped" (it owes more than are listed).

    KPIs that owe something come first (overdue before due), then by department, KPI and period."""
    calendar = services.calendar
    planned: list[tuple[dict[str, Any], Period, int, bool]] = []
    for kpi in _entry_kpis(services, scope, as_of, department):
        periods, owed = _periods(kpi, calendar, as_of)
        planned += [(kpi, period, owed, period == periods[-1]) for period in periods]
    pairs = [(kpi["id"], period.start) for kpi, period, _owed, _current in planned]
    stored, targets = _stored(services, pairs), _targets(services, pairs)
    rows = []
    for kpi, period, owed, current in planned:
        found = stored.get((kpi["id"], period.start)) or {}
        target = targets.get((kpi["id"], period.start)) or {}
        # The due facts of this very period: what due_item says when the value before it is in.
        item = due.due_item({**kpi, "latest_period_start": (period - 1).start}, calendar, as_of) or {}
        has_value = found.get("value") is not None
        rows.append({
            "kpi_id": kpi["id"], "name": kpi["name"], "name_es": kpi.get("name_es"), "name_pt": kpi.get("name_pt"),
            "department_id": kpi["department_id"], "department_name": kpi.get("department_name"),
            "department_name_es": kpi.get("department_name_es"), "department_name_pt": kpi.get("department_name_pt"),
            "unit": kpi["unit"], "unit_label": kpi.get("unit_label"), "decimals": kpi.get("decimals") or 0,
            "frequency": kpi["frequency"], "period": period, "label": calendar.label(period),
            "current": current, "value": found.get("value"),
            "note": found.get("note"), "has_value": has_value,
            "target_value": target.get("target_value"), "target_low": target.get("target_low"),
            "target_high": target.get("target_high"), "target_basis": target.get("target_basis"),
            "annual_target_value": target.get("annual_target_value"),
            "fiscal_year_start": target.get("fiscal_year_start"),
            "owner": (kpi.get("owner") or "").strip() or None, "due_date": item.get("due_date"),
            "state": "entered" if has_value else item.get("state", "due"),
            "days_late": item.get("days_late", 0), "days_left": item.get("days_left", 0),
            "periods_owed": owed, "capped": owed > MAX_PERIODS,
        })
    rank = {}
    for row in rows:
        rank[row["kpi_id"]] = min(rank.get(row["kpi_id"], 2), STATES.index(row["state"]))
    return sorted(rows, key=lambda r: (rank[r["kpi_id"]], r["department_name"] or r["department_id"] or "",
                                       r["name"], r["kpi_id"], r["period"].start))


# -- numbers as people type them ---------------------------------------------------------------------------
_GROUPED = {",": re.compile(r"^\d{1,3}(,\d{3})+$"), ".": re.compile(r"^\d{1,3}(\.\d{3})+$")}


def parse_number(value: Any, language: str) -> float | None:
    """A typed value as a number: None when blank; ValueError when it is not a number.
    A decimal comma is read in every language ("85,5"), and in English a comma that groups
    thousands ("1,234") too; with both marks, the last one is the decimal one ("1.234,5").
    A trailing "%" is allowed (the grid's percents are typed in points anyway)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a flag is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = re.sub(r"[\s\u00a0\u202f']", "", value).removesuffix("%")
        if not text:
            return None
        sign = ""
        if text[0] in "+-−":
            sign, text = ("-" if text[0] != "+" else ""), text[1:]
        if "," in text and "." in text:
            decimal = "," if text.rfind(",") > text.rfind(".") else "."
            grouping = "." if decimal == "," else ","
            whole, _, fraction = text.rpartition(decimal)
            if not _GROUPED[grouping].match(whole) or not fraction.isdigit():
                raise ValueError(f"not a number: {value!r}")
            text = whole.replace(grouping, "") + "." + fraction
        elif "," in text:
            if language == "en" and _GROUPED[","].match(text):
                text = text.replace(",", "")
            elif text.count(",") == 1:
                text = text.replace(",", ".")
            else:
                raise ValueError(f"not a number: {value!r}")
        if not re.fullmatch(r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
            raise ValueError(f"not a number: {value!r}")
        number = float(sign + text)
    else:
        raise ValueError(f"not a number: {value!r}")
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def shown_value(row: Mapping[str, Any]) -> float | None:
    """A stored value as the grid shows it: percents in points (0.85 -> 85)."""
    value = row.get("value")
    if value is None or row.get("unit") != "percent":
        return value
    return round(value * 100, 10)   # full precision, without the float noise of the product


def _same(typed: float | None, stored: float | None) -> bool:
    if typed is None or stored is None:
        return typed is stored
    return abs(typed - stored) <= _RELATIVE * max(1.0, abs(stored))


# -- committing --------------------------------------------------------------------------------------------
def _problem(index: int | None, kpi_id: Any, period: Any, message: str) -> dict[str, Any]:
    return {"row": index, "kpi_id": kpi_id if isinstance(kpi_id, str) else None,
            "period": period if isinstance(period, str) else None, "message": message}


def _kpis(services, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = services.warehouse.query("""
        SELECT id, name, name_es, name_pt, department_id, unit, frequency, archived
        FROM kpis WHERE list_contains(CAST($ids AS VARCHAR[]), id)
    """, {"ids": ids}).dicts()
    computed = _computed_ids(services)
    return {row["id"]: {**row, "computed": row["id"] in computed} for row in rows}


def _result(**fields) -> dict[str, Any]:
    base = {"batch_id": None, "committed": False, "dry_run": False, "changed": 0, "accepted": 0, "replaced": 0,
            "problems": [], "turned_off_track": []}
    return {**base, **fields}


def _judge(services, scope: Scope, rows: Sequence[Any], language: str, as_of: date):
    """(the changed rows as grid batch rows, the index in `rows` of each, problems, refused
    departments) for `rows` as the grid sent them."""
    say_ = lambda key, **params: translate(f"entry.problem.{key}", language, **params)  # noqa: E731
    ids = sorted({row.get("kpi_id") for row in rows if isinstance(row, dict) and isinstance(row.get("kpi_id"), str)
                  and 0 < len(row["kpi_id"]) <= 128})
    kpis = _kpis(services, ids)
    calendar = services.calendar
    judged: list[tuple[int, dict[str, Any], Period, float | None, str]] = []
    problems, refused = [], set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(_problem(index, None, None, say_("unreadable")))
            continue
        kpi_id, label = row.get("kpi_id"), row.get("period")
        kpi = kpis.get(kpi_id) if isinstance(kpi_id, str) else None
        if kpi is None:
            problems.append(_problem(index, kpi_id, label, say_("unknown_kpi", kpi=str(kpi_id)[:128])))
            continue
        if not scope.can_edit_department(kpi["department_id"]):
            refused.add(kpi["department_id"] or "")
            problems.append(_problem(index, kpi_id, label, say_("not_yours")))
            continue
        if kpi["archived"] or kpi["computed"]:
            problems.append(_problem(index, kpi_id, label, say_("archived" if kpi["archived"] else "computed")))
            continue
        try:
            period = calendar.parse(label) if isinstance(label, str) and len(label) <= 20 else None
        except PeriodError:
            period = None
        if period is None or period.frequency != kpi["frequency"]:
            problems.append(_problem(index, kpi_id, label, say_("bad_period")))
            continue
        if period.end >= as_of:
            problems.append(_problem(index, kpi_id, label, say_("not_over")))
            continue
        try:
            value = parse_number(row.get("value"), language)
        except ValueError:
            problems.append(_problem(index, kpi_id, label, say_("not_a_number", value=str(row.get("value"))[:40])))
            continue
        if value is not None and kpi["unit"] == "percent":
            value = value / 100
        note = row.get("note")
        if note is not None and not isinstance(note, str):
            problems.append(_problem(index, kpi_id, label, say_("unreadable")))
            continue
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            problems.append(_problem(index, kpi_id, label, say_("note_too_long", limit=MAX_NOTE)))
            continue
        judged.append((index, kpi, period, value, note))
    stored = _stored(services, ((kpi["id"], period.start) for _i, kpi, period, _v, _n in judged))
    changed, lines = [], []
    for index, kpi, period, value, note in judged:
        before = stored.get((kpi["id"], period.start)) or {}
        if _same(value, before.get("value")) and note == (before.get("note") or ""):
            continue
        label = calendar.label(period)
        if value is None:
            # The engine has no "delete": a stored value is undone by reverting its batch.
            problems.append(_problem(index, kpi["id"], label, say_("cleared" if before.get("value") is not None
                                                                   else "note_without_value")))
            continue
        changed.append({"kpi_id": kpi["id"], "period": label, "value": value, "note": note or None})
        lines.append(index)
    return changed, lines, problems, refused


def commit_entries(services, scope: Scope, rows: Sequence[Any], *, dry_run: bool = False, language: str = "en",
                   as_of: date | None = None) -> dict[str, Any]:
    """Judge the grid's `rows` (dicts with "kpi_id", "period" as the calendar writes it,
    "value" as typed: percents in points, and "note") and, unless `dry_run`, commit the ones
    whose value or note changed as one batch of kind "manual". Any problem writes nothing.

    Returns {"batch_id", "committed", "dry_run", "changed", "accepted", "replaced",
    "problems": [{"row" (index in `rows`, None for the whole request), "kpi_id", "period",
    "message" (in `language`)}], "turned_off_track": [{"kpi_id", "name", "name_es", "name_pt",
    "department_id", "frequency", "period", "period_start", "has_narrative"}]}: the KPIs off
    track, after the commit and as of `as_of` (today), for a period this batch entered.
    Every commit, failure and refusal is audited as "entry.commit"; a dry run only its refusals."""
    as_of = as_of or date.today()
    if not scope.allows("analyst"):
        audit.record(services, ACTION, "denied", actor=scope.username, details={"reason": "role", "dry_run": dry_run})
        return _result(dry_run=dry_run, problems=[_problem(None, None, None,
                                                           translate("entry.problem.not_allowed", language))])
    if not isinstance(rows, (list, tuple)) or len(rows) > MAX_ROWS:
        return _result(dry_run=dry_run, problems=[_problem(None, None, None, translate(
            "entry.problem.too_many", language, limit=MAX_ROWS))])
    changed, lines, problems, refused = _judge(services, scope, rows, language, as_of)
    if refused:
        audit.record(services, ACTION, "denied", actor=scope.username,
                     details={"departments": sorted(refused)[:20], "rows": len(rows), "dry_run": dry_run})
    if not changed:
        return _result(dry_run=dry_run, problems=problems)
    try:
        report = commit_rows(services, scope, changed, kind="manual", file_name=FILE_NAME,
                             dry_run=dry_run or bool(problems))
    except ImportError_ as error:
        problems.append(_problem(None, None, None, say(error.args[0] if error.args else error, language)))
        report = None
    if report is not None:
        for error in report.errors:
            at = error["line"] - 2
            row = changed[at] if 0 <= at < len(changed) else {}
            problems.append(_problem(lines[at] if 0 <= at < len(lines) else None, row.get("kpi_id"),
                                     row.get("period"), say(error["reason"], language)))
    problems.sort(key=lambda p: (p["row"] is None, p["row"] or 0))
    counts = {"changed": len(changed), "accepted": report.accepted if report else 0,
              "replaced": report.replaced if report else 0}
    if dry_run:
        return _result(dry_run=True, problems=problems, **counts)
    if problems or report is None or not report.committed:
        if not refused:   # a refusal is audited above, as denied
            audit.record(services, ACTION, "failure", actor=scope.username,
                         details={"rows": len(rows), "changed": len(changed), "problems": len(problems)})
        return _result(problems=problems, **{**counts, "accepted": 0, "replaced": 0})
    audit.record(services, ACTION, "success", actor=scope.username, target=str(report.batch_id),
                 details={"batch_id": report.batch_id, "accepted": report.accepted, "replaced": report.replaced,
                          "kpis": len({row["kpi_id"] for row in changed})})
    return _result(batch_id=report.batch_id, committed=True, **counts,
                   turned_off_track=turned_off_track(services, changed, as_of))


def turned_off_track(services, changed: Sequence[Mapping[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """The KPIs of `changed` (grid batch rows) that are off track as of `as_of` for a period
    those rows entered, each with whether that period has a narrative already."""
    entered: dict[str, set[str]] = {}
    for row in changed:
        entered.setdefault(row["kpi_id"], set()).add(row["period"])
    found = []
    for row in status.kpi_statuses(services.warehouse, services.calendar, as_of):
        if row["id"] not in entered or row["status"] != "off_track" or row["latest_period_start"] is None:
            continue
        label = services.calendar.label(Period(row["frequency"], row["latest_period_start"]))
        if label not in entered[row["id"]]:
            continue
        found.append({"kpi_id": row["id"], "name": row["name"], "name_es": row.get("name_es"),
                      "name_pt": row.get("name_pt"), "department_id": row["department_id"],
                      "frequency": row["frequency"], "period": label,
                      "period_start": row["latest_period_start"],
                      "has_narrative": current_narrative(services, row["id"], row["latest_period_start"]) is not None})
    return found
