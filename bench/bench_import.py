"""Importing a 1,000,000-row long CSV (1,000 daily KPIs x 1,000 days).

Three ways over the same file, timed in this process (medians):
  ours      metrics.imports.run_import: stage, validate every row, report, commit in one
            transaction into the observations table (one row per key, kept by the import:
            the table has no key index since schema migration 3);
  (a) bare  DuckDB's CREATE TABLE AS SELECT * FROM read_csv(...): no checks, a 3-column table;
  (b) pandas read_csv, validate (numbers, dates, known KPIs), insert the frame into the same
            observations table.
Peak memory of each is the maximum resident size of a fresh child process doing it once,
and how much of it the work added over the libraries every way loads alike.
"""
from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench.timing import child_peak_mb, median_ms
from metrics import imports
from metrics.access import Scope
from metrics.periods import FiscalCalendar
from metrics.profiles import Profile
from metrics.warehouse import Warehouse

KPIS, DAYS, ROUNDS = 1000, 1000, 3
PROFILE = {"shape": "long", "columns": {"kpi_id": "kpi_id", "period": "period", "value": "value"}}


def make_file(folder: Path) -> Path:
    days = [(date(2022, 1, 1) + timedelta(days=i)).isoformat() for i in range(DAYS)]
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"kpi_id": np.repeat([f"k{i:04d}" for i in range(KPIS)], DAYS),
                          "period": np.tile(days, KPIS), "value": np.round(rng.uniform(0, 1000, KPIS * DAYS), 2)})
    path = folder / "big.csv"
    frame.to_csv(path, index=False)
    return path


def fresh_warehouse(folder: Path, name: str) -> Warehouse:
    store = Warehouse(folder / f"{name}.duckdb", timeout=600, row_cap=10**8)
    kpis = pd.DataFrame({"id": [f"k{i:04d}" for i in range(KPIS)], "name": [f"KPI {i}" for i in range(KPIS)],
                         "unit": "count", "direction": "up", "frequency": "daily", "aggregation": "sum"})
    with store.transaction() as tx:
        tx.insert_frame("kpis", kpis, list(kpis.columns))
    return store


def ours(folder: Path, csv: Path, n: int) -> None:
    store = fresh_warehouse(folder, f"ours{n}")
    report = imports.run_import(store, FiscalCalendar(7), csv, Profile.parse(PROFILE), Scope("bench", "admin"))
    assert report.committed and report.accepted == KPIS * DAYS
    store.close()


def bare(folder: Path, csv: Path, n: int) -> None:
    store = fresh_warehouse(folder, f"bare{n}")
    with store.transaction() as tx:
        tx.execute("CREATE TABLE loaded AS SELECT * FROM read_csv($path)", {"path": str(csv)})
    store.close()


def with_pandas(folder: Path, csv: Path, n: int) -> None:
    store = fresh_warehouse(folder, f"pandas{n}")
    frame = pd.read_csv(csv, dtype=str)
    values = pd.to_numeric(frame["value"].str.replace(",", "", regex=False), errors="coerce")
    periods = pd.to_datetime(frame["period"], format="%Y-%m-%d", errors="coerce")
    known = {row[0] for row in store.query("SELECT id FROM kpis").rows}
    bad = values.isna() | periods.isna() | ~frame["kpi_id"].isin(known) | frame.duplicated(["kpi_id", "period"])
    assert not bad.any()
    clean = pd.DataFrame({"kpi_id": frame["kpi_id"], "frequency": "daily", "period_start": periods.dt.date,
                          "value": values})
    with store.transaction() as tx:
        tx.insert_frame("observations", clean, list(clean.columns))
    store.close()


WAYS = {"ours": ours, "bare": bare, "pandas": with_pandas}


def _median(way, folder: Path, csv: Path) -> float:
    runs = iter(range(ROUNDS))   # each round writes a warehouse of its own
    return median_ms(lambda: WAYS[way](folder, csv, next(runs)), ROUNDS) / 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv = make_file(folder)
        print(f"{KPIS * DAYS:,} rows, {csv.stat().st_size / 1e6:.0f} MB; medians of {ROUNDS} runs")
        times = {way: _median(way, folder, csv) for way in WAYS}
        peaks = {way: child_peak_mb("bench_import", way, folder, csv) for way in WAYS}
    for way, label in (("ours", "CityStat import (validated)"), ("bare", "(a) bare CREATE TABLE AS read_csv"),
                       ("pandas", "(b) pandas read-validate-insert")):
        print(f"  {label:<38} {times[way]:6.2f} s   peak {peaks[way][0]:6.0f} MB (+{peaks[way][1]:.0f} MB for the work)")
    print(f"  ours / (a): {times['ours'] / times['bare']:.1f}x (target: at most 1.5x)")
    print(f"  (b) / ours: {times['pandas'] / times['ours']:.1f}x (target: at least 3x)")
    print(f"  peak memory ours / (b): {peaks['ours'][0] / peaks['pandas'][0]:.2f} of the whole process, "
          f"{peaks['ours'][1] / peaks['pandas'][1]:.2f} of what the work added (target: at most 0.5)")


if __name__ == "__main__":
    main()
