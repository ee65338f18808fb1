"""The series a KPI's chart draws beside its values (DESIGN §4): which periods a range
shows, last year's value at the same place in the fiscal year, the targets of periods
still to come (for the forecast), and the latest value of each breakdown member.

Ranges are a number of periods ending with the latest one that has a value, `fytd` (the
fiscal year holding that latest period, from its first period), or `all`.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from metrics import catalog
from metrics.catalog import _APPLICABLE_TARGET, _TARGET_COLUMNS  # the one rule for which target applies
from metrics.periods import FiscalCalendar, Period
from metrics.warehouse import Warehouse

RANGES = ("12", "24", "60", "fytd", "all")


def window_start(calendar: FiscalCalendar, kpi: dict[str, Any], periods: str) -> Period | None:
    """The first period a range shows (None: from the first value on)."""
    if periods not in RANGES:
        raise ValueError(f"unknown range {periods!r}; use one of {', '.join(RANGES)}")
    if kpi["latest_period_start"] is None or periods == "all":
        return None
    latest = Period(kpi["frequency"], kpi["latest_period_start"])
    if periods == "fytd":
        return calendar.periods_in(calendar.fiscal_year_of(latest), kpi["frequency"])[0]
    return latest - (int(periods) - 1)


def same_place_last_year(calendar: FiscalCalendar, period: Period) -> Period | None:
    """The period at the same position of the previous fiscal year (the 3rd month, the
    2nd quarter, the 10th week...); None when last year had fewer such periods."""
    year = calendar.fiscal_year_of(period)
    position = calendar.periods_in(year, period.frequency).index(period)
    earlier = calendar.periods_in(calendar.fiscal_year_period(calendar.fiscal_year(year.start) - 1),
                                  period.frequency)
    return earlier[position] if position < len(earlier) else None


def prior_year(warehouse: Warehouse, calendar: FiscalCalendar, kpi: dict[str, Any],
               starts: Iterable[date]) -> dict[date, tuple[date, float | None]]:
    """For each period start, last year's period at the same place and its city-wide value
    (periods without such a period are left out; a period without a value maps to None)."""
    pairs = {}
    for start in starts:
        earlier = same_place_last_year(calendar, Period(kpi["frequency"], start))
        if earlier is not None:
            pairs[start] = earlier
    if not pairs:
        return {}
    since = min(pairs.values())
    values = {row["period_start"]: row["value"]
              for row in catalog.kpi_history(warehouse, calendar, kpi["id"], since=since)}
    return {start: (earlier.start, values.get(earlier.start)) for start, earlier in pairs.items()}


def targets_for(warehouse: Warehouse, calendar: FiscalCalendar, kpi_id: str,
                starts: list[date]) -> list[dict[str, Any]]:
    """The target that applies to each of `starts` (periods of the KPI's frequency, with
    or without values yet), by the same rule as catalog.kpi_history."""
    if not starts:
        return []
    return warehouse.query(f"""
        SELECT o.period_start, {_TARGET_COLUMNS}
        FROM (SELECT unnest(CAST($starts AS DATE[])) AS period_start) o
        JOIN kpis k ON k.id = $kpi_id
        {_APPLICABLE_TARGET}
        ORDER BY o.period_start
    """, {"fy_month": calendar.start_month, "kpi_id": kpi_id, "starts": list(starts)}).dicts()


def at_risk_zones(kpi: dict[str, Any], row: dict[str, Any]) -> list[tuple[float, float]]:
    """The (low, high) value ranges that make a period `at_risk` against the target of
    `row` (DESIGN §4): within tolerance x |target| on the bad side of the target, or
    outside either edge of a band. Empty without a target or a direction of good."""
    tolerance, direction = kpi["tolerance"], kpi["direction"]
    if direction == "band":
        low, high = row.get("target_low"), row.get("target_high")
        if low is None or high is None:
            return []
        return [(low - tolerance * abs(low), low), (high, high + tolerance * abs(high))]
    target = row.get("target_value")
    if target is None or direction not in ("up", "down"):
        return []
    margin = tolerance * abs(target)
    return [(target - margin, target)] if direction == "up" else [(target, target + margin)]


def target_fits_members(kpi: dict[str, Any]) -> bool:
    """Whether the city's target reads against each member's value too: yes for averages
    and ratios (a district's response time or share), no for totals, which the members
    split between them."""
    return kpi["aggregation"] in ("mean", "ratio")


def member_history(warehouse: Warehouse, calendar: FiscalCalendar, kpi: dict[str, Any], periods: str,
                   dimension: str = "district") -> list[dict[str, Any]]:
    """Every member's values over a range, in period then member order."""
    return catalog.kpi_history(warehouse, calendar, kpi["id"], dimension=dimension,
                               since=window_start(calendar, kpi, periods))


def latest_by_member(rows: list[dict[str, Any]]) -> tuple[date | None, dict[str, float]]:
    """The latest period that has member values among `rows`, and each member's value in it."""
    valued = [row for row in rows if row["value"] is not None]
    if not valued:
        return None, {}
    latest = max(row["period_start"] for row in valued)
    return latest, {row["member"]: row["value"] for row in valued if row["period_start"] == latest}
