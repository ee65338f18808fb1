"""The demo city's raw 311 requests: loaded through the dataset path, with eight KPIs
computed from them by SQL, their values by district, their lineage, and their status."""
from __future__ import annotations

import statistics
from datetime import date

import pytest

from data.demo_311 import DATASET, KPIS, seed_demo_311
from data.demo_city import seed_demo
from metrics import computed, status
from metrics.periods import FiscalCalendar
from metrics.sandbox import Sandbox
from metrics.warehouse import Warehouse
from tests.conftest import DEMO_TODAY

CALENDAR = FiscalCalendar(7)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo311")
    warehouse, sandbox = Warehouse(folder / "w.duckdb"), Sandbox(folder / "raw.duckdb", memory_limit="1GB")
    seed_demo(warehouse, CALENDAR, today=DEMO_TODAY)
    loaded = seed_demo_311(warehouse, sandbox, CALENDAR, today=DEMO_TODAY, workdir=folder)
    yield warehouse, sandbox, loaded
    sandbox.close()
    warehouse.close()


def test_a_million_and_a_half_requests_over_three_years(city):
    warehouse, sandbox, loaded = city
    assert 1_000_000 <= loaded <= 2_000_000
    with sandbox.cursor() as cursor:
        first, last, districts = cursor.execute(
            f"SELECT min(opened), max(opened), count(DISTINCT district) FROM {DATASET}").fetchone()
    assert first.date() == date(2023, 11, 1) and last.date() < DEMO_TODAY and districts == 10
    assert seed_demo_311(warehouse, sandbox, CALENDAR, today=DEMO_TODAY) == 0     # once only


def test_every_kpi_is_defined_computed_with_lineage_and_has_a_status(city):
    warehouse, _, _ = city
    rows = {r["id"]: r for r in status.kpi_statuses(warehouse, CALENDAR, DEMO_TODAY)}
    for kpi_id, *_ in KPIS:
        assert computed.definition(warehouse, kpi_id)["version"] == 1
        lineage = warehouse.query("SELECT count(*), count(DISTINCT definition_version), min(raw_batch) "
                                  "FROM observations WHERE kpi_id = $k", {"k": kpi_id}).rows[0]
        assert lineage[0] >= 36 and lineage[1] == 1 and lineage[2] == 1
        assert rows[kpi_id]["status"] in ("on_track", "at_risk", "off_track", "no_direction"), kpi_id
    by_district = warehouse.query("SELECT count(DISTINCT member) FROM observations "
                                  "WHERE kpi_id = '311-median-days-to-close' AND dimension = 'district'").scalar()
    assert by_district == 10


def test_a_computed_value_agrees_with_python_over_the_raw_rows(city):
    warehouse, sandbox, _ = city
    with sandbox.cursor() as cursor:
        spans = [r[0] for r in cursor.execute(
            f"SELECT date_diff('second', opened, closed) / 86400.0 FROM {DATASET} "
            "WHERE request_type = 'Pothole' AND closed IS NOT NULL "
            "AND opened >= TIMESTAMP '2026-06-01' AND opened < TIMESTAMP '2026-07-01'").fetchall()]
    stored = warehouse.query("SELECT value FROM observations WHERE kpi_id = '311-pothole-days-to-close' "
                             "AND period_start = DATE '2026-06-01'").scalar()
    assert stored == pytest.approx(statistics.median(spans), rel=1e-9)
