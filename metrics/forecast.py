"""Year-end forecasts (DESIGN §4): where a KPI has a target for the fiscal year, project the
year-end value from the data so far, with an 80 % interval, and say whether the target is
likely, unlikely or uncertain.

The method is seasonal naive when last fiscal year has values for most of its periods
(each remaining period is last year's value, scaled by how this year compares so far),
else a straight line through this year's values. The interval comes from how far the
method misses on the periods already known. One query fetches every KPI's data.
"""
from __future__ import annotations

import math
from collections import defaultdict
from functools import lru_cache
from datetime import date
from statistics import fmean, stdev
from typing import Any, Callable

from metrics import sql
from metrics.periods import FiscalCalendar, Period
from metrics.warehouse import Warehouse

Z80 = 1.2816                 # two-sided 80 % interval of a normal error
SEASONAL_COVERAGE = 0.75     # last year needs values for this share of its periods

_DATA_SQL = f"""
SELECT o.kpi_id, o.period_start, o.value
FROM observations o JOIN kpis k ON k.id = o.kpi_id
WHERE o.dimension = '' AND o.value IS NOT NULL AND list_contains($kpi_ids, o.kpi_id)
  AND o.period_start >= $since AND {sql.period_end('k.frequency', 'o.period_start')} <= $as_of
"""

_TARGETS_SQL = """
SELECT kpi_id, frequency, period_start, value, low, high FROM targets
WHERE list_contains($kpi_ids, kpi_id) AND period_start >= $since
"""


def _year_value(values: list[float], aggregation: str) -> float:
    if aggregation == "sum":
        return sum(values)
    if aggregation == "last":
        return values[-1]
    return fmean(values)


def _fit(known: dict[int, float], last_year: dict[int, float], periods: int) -> tuple[str, dict[int, float], float]:
    """The method's estimate for every period 1..n of the year, and its error's spread."""
    indices = sorted(known)
    seasonal = len(last_year) >= SEASONAL_COVERAGE * periods and all(i in last_year for i in indices)
    if seasonal:
        base = sum(last_year[i] for i in indices)
        scale = sum(known[i] for i in indices) / base if base else 1.0
        estimate = {i: last_year.get(i, fmean(last_year.values())) * scale for i in range(1, periods + 1)}
        method = "seasonal_naive"
    elif len(indices) >= 2:
        mean_x, mean_y = fmean(indices), fmean(known[i] for i in indices)
        spread = sum((i - mean_x) ** 2 for i in indices)
        slope = sum((i - mean_x) * (known[i] - mean_y) for i in indices) / spread
        estimate = {i: mean_y + slope * (i - mean_x) for i in range(1, periods + 1)}
        method = "linear"
    else:
        estimate = {i: known[indices[0]] for i in range(1, periods + 1)}
        method = "linear"
    misses = [known[i] - estimate[i] for i in indices]
    needed = 2 if method == "seasonal_naive" else 3
    if len(misses) >= needed:
        error = stdev(misses)
    else:   # too few points to measure the error: assume a tenth of the level
        error = 0.1 * abs(fmean(known.values()))
    return method, estimate, error


def _likelihood(direction: str, low: float, high: float, target: dict[str, float | None]) -> str | None:
    if direction == "up" and target.get("value") is not None:
        return "likely" if low >= target["value"] else "unlikely" if high < target["value"] else "uncertain"
    if direction == "down" and target.get("value") is not None:
        return "likely" if high <= target["value"] else "unlikely" if low > target["value"] else "uncertain"
    if direction == "band" and target.get("low") is not None:
        if low >= target["low"] and high <= target["high"]:
            return "likely"
        return "unlikely" if high < target["low"] or low > target["high"] else "uncertain"
    return None


def _year_target(kpi: dict[str, Any], fy: Period, periods: list[Period], rows: list[dict]) -> dict | None:
    annual = next((t for t in rows if t["frequency"] == "annual" and t["period_start"] == fy.start), None)
    if annual:
        return {"value": annual["value"], "low": annual["low"], "high": annual["high"]}
    own = {t["period_start"]: t for t in rows if t["frequency"] == kpi["frequency"]}
    chosen = [own[p.start] for p in periods if p.start in own]
    if len(chosen) < len(periods) or not chosen:
        return None
    if chosen[0]["value"] is None:
        return {"value": None, "low": _year_value([t["low"] for t in chosen], kpi["aggregation"]),
                "high": _year_value([t["high"] for t in chosen], kpi["aggregation"])}
    return {"value": _year_value([t["value"] for t in chosen], kpi["aggregation"]), "low": None, "high": None}


def forecast_one(kpi: dict[str, Any], calendar: FiscalCalendar, observations: dict[date, float],
                 targets: list[dict], periods_in: Callable[[Period, str], list[Period]] | None = None
                 ) -> dict[str, Any] | None:
    """The year-end forecast of one KPI, from its city-wide values and its targets.
    `periods_in` may stand in for calendar.periods_in (a memo shared over many KPIs)."""
    periods_in = periods_in or calendar.periods_in
    if kpi.get("latest_period_start") is None or kpi["direction"] == "neutral":
        return None
    latest = Period(kpi["frequency"], kpi["latest_period_start"])
    fy = calendar.fiscal_year_of(latest)
    periods = periods_in(fy, kpi["frequency"])
    target = _year_target(kpi, fy, periods, targets)
    if target is None:
        return None
    index = {p.start: i for i, p in enumerate(periods, start=1)}
    known = {index[d]: v for d, v in observations.items() if d in index and d <= latest.start}
    if not known:
        return None
    last_fy = periods_in(fy - 1, kpi["frequency"])
    last_year = {i: observations[p.start] for i, p in enumerate(last_fy, start=1) if p.start in observations}
    method, estimate, error = _fit(known, last_year, len(periods))
    year = [known.get(i, estimate[i]) for i in range(1, len(periods) + 1)]
    unknown = [i for i in range(1, len(periods) + 1) if i not in known]
    value = _year_value(year, kpi["aggregation"])
    if not unknown:
        method, spread = "actual", 0.0
    elif kpi["aggregation"] == "sum":
        spread = error * math.sqrt(len(unknown))
    elif kpi["aggregation"] == "last":
        spread = error * math.sqrt(len(periods) - max(known))
    else:
        spread = error * math.sqrt(len(unknown)) / len(periods)
    # A measure that has never been negative (a count, a time, a share) is not forecast below zero.
    floor = 0.0 if min(observations.values()) >= 0 else -math.inf
    low, high = max(value - Z80 * spread, floor), value + Z80 * spread
    return {
        "fiscal_year": calendar.label(fy), "method": method, "value": value, "low": low, "high": high,
        "target": target, "likelihood": _likelihood(kpi["direction"], low, high, target),
        "projection": [{"period_start": periods[i - 1].start, "value": estimate[i],
                        "low": max(estimate[i] - Z80 * error, floor), "high": estimate[i] + Z80 * error}
                       for i in unknown],
    }


def forecasts(warehouse: Warehouse, calendar: FiscalCalendar, as_of: date,
              kpis: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Year-end forecasts for `kpis` (rows of status.kpi_statuses), keyed by KPI id."""
    live = [k for k in kpis if k.get("latest_period_start") is not None and k["direction"] != "neutral"]
    if not live:
        return {k["id"]: None for k in kpis}
    since = min(calendar.fiscal_year_start(calendar.fiscal_year(k["latest_period_start"]) - 1) for k in live)
    ids = [k["id"] for k in live]
    values: dict[str, dict[date, float]] = defaultdict(dict)
    for row in warehouse.query(_DATA_SQL, {"kpi_ids": ids, "since": since, "as_of": as_of}).rows:
        values[row[0]][row[1]] = row[2]
    targets: dict[str, list[dict]] = defaultdict(list)
    for row in warehouse.query(_TARGETS_SQL, {"kpi_ids": ids, "since": since}).dicts():
        targets[row["kpi_id"]].append(row)
    result = {k["id"]: None for k in kpis}
    periods_in = lru_cache(maxsize=None)(calendar.periods_in)   # KPIs share a few fiscal years
    for kpi in live:
        result[kpi["id"]] = forecast_one(kpi, calendar, values[kpi["id"]], targets[kpi["id"]], periods_in)
    return result
