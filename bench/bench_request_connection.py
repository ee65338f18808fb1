"""Why the warehouse keeps one connection per process and hands out cursors.

Serves the catalogue query (every KPI with its latest value and target, on the demo
city) the way a request would: with a cursor of the shared connection (what CityStat
does), and with a fresh connection per request (the baseline). Prints medians and the
ratio; higher than 1 means the shared connection is faster.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from data.demo_city import seed_demo
from bench.timing import median_ms
from metrics import catalog
from metrics.periods import FiscalCalendar
from metrics.warehouse import Warehouse

ROUNDS = 7
REQUESTS = 30


def main() -> None:
    calendar = FiscalCalendar(7)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        shared = Warehouse(path)
        seed_demo(shared, calendar)
        kpis = len(catalog.kpi_summaries(shared, calendar))
        shared.close()

        shared = Warehouse(path)

        def with_cursor():
            catalog.kpi_summaries(shared, calendar)

        def with_new_connection():
            fresh = Warehouse(path)
            catalog.kpi_summaries(fresh, calendar)
            fresh.close()

        shared.close()  # the baseline needs the file to itself; reopen after
        baseline = median_ms(with_new_connection, ROUNDS, REQUESTS)
        shared = Warehouse(path)
        shared.schema_version
        ours = median_ms(with_cursor, ROUNDS, REQUESTS)
        shared.close()

    print(f"catalogue query over {kpis} KPIs, median of {ROUNDS} rounds x {REQUESTS} requests")
    print(f"  new connection per request (baseline): {baseline:8.2f} ms")
    print(f"  cursor of the shared connection:       {ours:8.2f} ms")
    print(f"  ratio baseline / shared: {baseline / ours:.2f}x")


if __name__ == "__main__":
    main()
