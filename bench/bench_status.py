"""Status for a big city: 2,000 KPIs with ten years of monthly data.

CityStat computes status, freshness and trend for every KPI in one set-wise query
(metrics.status.kpi_statuses). The baseline does what a straightforward app would: a loop
over KPIs with a handful of small queries each (latest value, its target, the year to
date, the trend window) and the rules in Python. Both run in this process on the same
warehouse, their answers are checked to agree, and the medians and ratio are printed.
"""
from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from bench.timing import median_ms
from metrics import status
from metrics.periods import FiscalCalendar, Period
from metrics.warehouse import Warehouse

KPIS = 2000
YEARS = 10
ROUNDS = 5
AS_OF = date(2026, 11, 26)
CALENDAR = FiscalCalendar(7)


def build(path: Path) -> Warehouse:
    rng = np.random.default_rng(7)
    months = [Period("monthly", date(2016, 11, 1)) + i for i in range(YEARS * 12)]
    ids = [f"kpi-{i:04d}" for i in range(KPIS)]
    kpis = pd.DataFrame({
        "id": ids, "name": [f"KPI {i}" for i in range(KPIS)], "unit": "count",
        "direction": rng.choice(["up", "down", "band", "neutral"], KPIS, p=[0.5, 0.35, 0.1, 0.05]),
        "frequency": "monthly", "aggregation": rng.choice(["sum", "mean"], KPIS),
        "tolerance": 0.1, "department_id": [f"dept-{i % 12}" for i in range(KPIS)],
        "goal_id": [f"goal-{i % 6}" for i in range(KPIS)],
    })
    level = rng.uniform(50, 500, KPIS)
    values = level[:, None] * (1 + 0.1 * rng.standard_normal((KPIS, len(months))))
    observations = pd.DataFrame({
        "kpi_id": np.repeat(ids, len(months)), "frequency": "monthly",
        "period_start": np.tile([m.start for m in months], KPIS), "value": values.ravel(),
    })
    years = sorted({CALENDAR.fiscal_year(m.start) for m in months})
    rows = []
    for kpi_id, direction, aggregation, base in zip(ids, kpis["direction"], kpis["aggregation"], level):
        for fy in years:
            start = CALENDAR.fiscal_year_start(fy)
            if direction == "band":
                rows.append((kpi_id, "annual", start, None, base * 0.95, base * 1.05))
            elif direction != "neutral":
                rows.append((kpi_id, "annual", start, base * (12 if aggregation == "sum" else 1), None, None))
    targets = pd.DataFrame(rows, columns=["kpi_id", "frequency", "period_start", "value", "low", "high"])
    store = Warehouse(path, timeout=600, row_cap=10_000_000)
    with store.transaction() as tx:
        tx.insert_frame("kpis", kpis, list(kpis.columns))
        tx.insert_frame("observations", observations, list(observations.columns))
        tx.insert_frame("targets", targets, list(targets.columns))
    return store


def per_kpi_baseline(store: Warehouse) -> dict[str, str]:
    """The loop a first version would write: small queries per KPI, rules in Python."""
    result = {}
    for kpi in store.query("SELECT id, direction, aggregation, tolerance FROM kpis ORDER BY id").dicts():
        latest = store.query("SELECT period_start, value FROM observations WHERE kpi_id = ? AND dimension = '' "
                             "AND value IS NOT NULL AND period_start + INTERVAL 1 MONTH - INTERVAL 1 DAY <= ? "
                             "ORDER BY period_start DESC LIMIT 1", [kpi["id"], AS_OF]).first()
        if latest is None:
            result[kpi["id"]] = "no_data"
            continue
        period = Period("monthly", latest["period_start"])
        fy = CALENDAR.fiscal_year_of(period)
        target = store.query("SELECT value, low, high FROM targets WHERE kpi_id = ? AND frequency = 'annual' "
                             "AND period_start = ?", [kpi["id"], fy.start]).first()
        store.query("SELECT period_start, value FROM observations WHERE kpi_id = ? AND dimension = '' "
                    "AND period_start > ? AND period_start <= ?", [kpi["id"], (period - 6).start, period.start])
        ytd = store.query("SELECT sum(value) FROM observations WHERE kpi_id = ? AND dimension = '' "
                          "AND period_start >= ? AND period_start <= ?", [kpi["id"], fy.start, period.start]).scalar()
        elapsed = (period - Period("monthly", fy.start)) + 1
        result[kpi["id"]] = _rule(kpi, latest["value"], ytd, elapsed, target)
    return result


def _rule(kpi, value, ytd, elapsed, target) -> str:
    if kpi["direction"] == "neutral":
        return "no_direction"
    if target is None:
        return "no_target"
    tol = kpi["tolerance"]
    share = elapsed / 12 if kpi["aggregation"] == "sum" else 1.0
    actual = ytd if kpi["aggregation"] == "sum" else value
    if kpi["direction"] == "band":
        low, high = target["low"] * share, target["high"] * share
        if low <= actual <= high:
            return "on_track"
        edge = low if actual < low else high
        return "at_risk" if abs(actual - edge) <= tol * abs(edge) else "off_track"
    goal = target["value"] * share
    better = actual >= goal if kpi["direction"] == "up" else actual <= goal
    if better:
        return "on_track"
    return "at_risk" if abs(actual - goal) <= tol * abs(goal) else "off_track"


def _median_seconds(run, rounds: int = ROUNDS) -> float:
    return median_ms(run, rounds) / 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = build(Path(folder) / "bench.duckdb")
        print(f"built {KPIS} KPIs x {YEARS * 12} months in {time.perf_counter() - started:.1f} s")
        ours = {row["id"]: row["status"] for row in status.kpi_statuses(store, CALENDAR, AS_OF)}
        theirs = per_kpi_baseline(store)
        disagree = [k for k in ours if ours[k] != theirs[k]]
        print(f"answers agree on {len(ours) - len(disagree)} of {len(ours)} KPIs")
        assert not disagree, disagree[:5]
        set_wise = _median_seconds(lambda: status.kpi_statuses(store, CALENDAR, AS_OF))
        baseline = _median_seconds(lambda: per_kpi_baseline(store), rounds=3)
        store.close()
    print(f"  per-KPI queries (baseline): {baseline * 1000:9.1f} ms")
    print(f"  one set-wise query:         {set_wise * 1000:9.1f} ms")
    print(f"  ratio baseline / set-wise: {baseline / set_wise:.1f}x (target: at least 20x)")


if __name__ == "__main__":
    main()
