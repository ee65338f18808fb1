"""What is due (issue #10): the next value each KPI owes by its frequency and lag, whether
it is due now or overdue and by how many days, and who owes it.

A KPI owes the period after its latest city-wide value once that period has ended. The
value is due from then until the period's end plus the KPI's lag (one period when the lag
is not set, as in the status engine's freshness), and overdue after: so "overdue" here is
exactly the status engine's `stale`. A KPI that never had a value owes the last period
that ended. Periods follow the city's fiscal calendar, so a quarterly or annual KPI owes
fiscal quarters and fiscal years.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Iterable

from metrics.periods import FiscalCalendar, Period

STATES = ("overdue", "due")


def _due_date(period: Period, lag_days: int | None) -> date:
    """When the value of `period` is due: its end plus the lag (one period by default)."""
    if lag_days is None:
        return (period + 1).end
    return period.end + timedelta(days=lag_days)


def due_item(kpi: dict[str, Any], calendar: FiscalCalendar, as_of: date) -> dict[str, Any] | None:
    """What `kpi` (a row of status.kpi_statuses) owes as of `as_of`, or None when nothing:
    {"kpi_id", "period" (the first period owed), "periods_owed", "due_date", "state",
    "days_late" (0 while only due), "days_left" (0 once overdue), "owner", "has_owner"}."""
    frequency = kpi["frequency"]
    try:
        last_ended = calendar.containing(frequency, as_of) - 1   # the latest period over by as_of
        if kpi.get("latest_period_start") is None:
            owed = last_ended
        else:
            owed = Period(frequency, kpi["latest_period_start"]) + 1
        if owed.end >= as_of:
            return None
        due = _due_date(owed, kpi.get("lag_days"))
    except (OverflowError, ValueError):
        return None   # a day at the calendar's edge (year 1, year 9999): no period before or after it
    overdue = as_of > due
    owner = (kpi.get("owner") or "").strip()
    return {
        "kpi_id": kpi["id"], "period": owed, "periods_owed": last_ended - owed + 1, "due_date": due,
        "state": "overdue" if overdue else "due", "days_late": (as_of - due).days if overdue else 0,
        "days_left": 0 if overdue else (due - as_of).days, "owner": owner or None, "has_owner": bool(owner),
    }


def due_items(kpis: Iterable[dict[str, Any]], calendar: FiscalCalendar, as_of: date) -> list[dict[str, Any]]:
    """Every KPI that owes a value, each row the KPI's own fields plus its `due` facts:
    overdue first, the latest first, then due soonest."""
    items = []
    for kpi in kpis:
        item = due_item(kpi, calendar, as_of)
        if item is not None:
            items.append({**kpi, "due": item})
    return sorted(items, key=lambda k: (k["due"]["state"] != "overdue", -k["due"]["days_late"],
                                        k["due"]["days_left"], k["name"]))


def has_owner(kpi: dict[str, Any]) -> bool:
    """True when someone is named as the KPI's owner (blank text names no one)."""
    return bool((kpi.get("owner") or "").strip())


def without_owner(kpis: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The KPIs that name no owner, by name: nobody is asked for their values."""
    return sorted((kpi for kpi in kpis if not has_owner(kpi)), key=lambda k: (k["name"], k["id"]))


def in_departments(kpis: Iterable[dict[str, Any]], departments: Iterable[str] | None) -> list[dict[str, Any]]:
    """The KPIs of `departments` (None or empty: every department)."""
    wanted = frozenset(departments or ())
    return [kpi for kpi in kpis if not wanted or kpi.get("department_id") in wanted]


def state_counts(items: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many of `due_items`' rows are in each state: {"overdue": n, "due": n}."""
    counts = dict.fromkeys(STATES, 0)
    for item in items:
        counts[item["due"]["state"]] += 1
    return counts


def overdue_count(kpis: Iterable[dict[str, Any]], calendar: FiscalCalendar, as_of: date,
                  departments: frozenset[str] | None = None) -> int:
    """How many of `kpis` are overdue, within `departments` when given (None: all)."""
    return sum(1 for kpi in kpis
               if (departments is None or kpi.get("department_id") in departments)
               and (item := due_item(kpi, calendar, as_of)) is not None and item["state"] == "overdue")
