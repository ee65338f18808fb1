"""The mayor's overview for a big city: 2,000 KPIs with ten years of monthly data (the
catalogue of bench_status), in six priority goals and twelve departments.

Times the overview's whole server-side work, as a request does it: dashboards.overview's
layout() in a request of an app whose warehouse holds that catalogue, which evaluates
status as of today and a month ago, rolls the goals up, finds what changed and builds the
page. The baseline is the status query alone (metrics.status.kpi_statuses as of today),
in the same process on the same warehouse. Prints medians and the ratio; the target is
the whole overview within 2x the status query alone.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import dash
import pandas as pd
import plotly.utils

from bench.bench_status import KPIS, YEARS, build
from bench.timing import median_ms
from metrics import status
from metrics.periods import FiscalCalendar

ROUNDS = 15
DEPARTMENTS = 12
GOALS = 6


def _median_ms(run) -> float:
    return median_ms(run, ROUNDS)


def _paired_medians_ms(first, second) -> tuple[float, float]:
    """Medians of `first` and `second` timed in turn, so that whatever else the machine is
    doing weighs on both alike."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for run, times in zip((first, second), samples):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])


def _name_the_goals_and_departments(warehouse) -> None:
    goals = pd.DataFrame({"id": [f"goal-{i}" for i in range(GOALS)], "title": [f"Priority {i}" for i in range(GOALS)],
                          "owner": "Deputy Mayor", "mayoral_priority": True, "sort_order": range(GOALS)})
    departments = pd.DataFrame({"id": [f"dept-{i}" for i in range(DEPARTMENTS)],
                                "name": [f"Department {i}" for i in range(DEPARTMENTS)]})
    with warehouse.transaction() as tx:
        tx.insert_frame("goals", goals, list(goals.columns))
        tx.insert_frame("departments", departments, list(departments.columns))


def _overview_layout():
    page = next(p for p in dash.page_registry.values() if p["path"] == "/")
    return sys.modules[page["module"]].layout


def main() -> None:
    from app import create_app
    from web.services import EXTENSION

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        # The catalogue first, in the file the app will use; then the app opens it.
        build(Path(folder) / "warehouse.duckdb").close()
        server = create_app({"data_dir": folder, "seed_demo": False})
        services = server.extensions[EXTENSION]
        services.prepare(seed_demo=False)
        _name_the_goals_and_departments(services.warehouse)
        print(f"built {KPIS} KPIs x {YEARS * 12} months in {GOALS} goals in {time.perf_counter() - started:.1f} s")
        warehouse, calendar = services.warehouse, FiscalCalendar(services.config.fiscal_year_start_month)
        today = date.today()   # what the page evaluates as of
        layout = _overview_layout()

        def whole_overview():
            with server.test_request_context("/"):
                return layout()

        page = whole_overview()   # warm up, and check what it built
        shown = json.dumps(page, cls=plotly.utils.PlotlyJSONEncoder)
        assert shown.count('goal-card"') == GOALS and 'overview-changes' in shown, shown[:300]
        alone, whole = _paired_medians_ms(lambda: status.kpi_statuses(warehouse, calendar, today), whole_overview)
        both = _median_ms(lambda: status.kpi_statuses(warehouse, calendar, today,
                                                      compare_with=status.one_month_before(today)))
        apart = _median_ms(lambda: (status.kpi_statuses(warehouse, calendar, status.one_month_before(today)),
                                    status.kpi_statuses(warehouse, calendar, today)))
        serialise = _median_ms(lambda: json.dumps(page, cls=plotly.utils.PlotlyJSONEncoder))
        services.close()
    print(f"  status query alone (today):             {alone:8.1f} ms")
    print(f"  status today and a month ago, one query: {both:8.1f} ms   (two separate queries: {apart:.1f} ms)")
    print(f"  whole overview (queries, roll-up, changes, layout): {whole:8.1f} ms")
    print(f"  (Dash then serialises that layout in {serialise:.1f} ms, not counted above)")
    print(f"  ratio whole overview / status query alone: {whole / alone:.2f}x (target: at most 2x)")


if __name__ == "__main__":
    main()
