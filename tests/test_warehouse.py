"""The warehouse: migrations, the one query path (parameters, time limit, row cap), and
all-or-nothing writes under one lock."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date

import duckdb
import pandas as pd
import pytest

from metrics import catalog
from metrics.schema import MIGRATIONS
from metrics.warehouse import QueryTimeout, Warehouse, WarehouseBusy, WarehouseError


def _kpi(tx, kpi_id="k1", **fields):
    row = {"id": kpi_id, "name": f"KPI {kpi_id}", "unit": "count", "direction": "up",
           "frequency": "monthly", "aggregation": "sum"}
    row.update(fields)
    columns = ", ".join(row)
    marks = ", ".join(f"${c}" for c in row)
    tx.execute(f"INSERT INTO kpis ({columns}) VALUES ({marks})", row)


def test_migrations_apply_in_order_and_record_the_version(warehouse):
    assert warehouse.schema_version == max(v for v, _, _ in MIGRATIONS)
    assert {"goals", "kpis", "targets", "observations", "import_batches", "departments", "meta"} <= warehouse.tables()
    versions = [v for v, _, _ in MIGRATIONS]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))


def test_reopening_a_file_does_not_migrate_twice(tmp_path):
    path = tmp_path / "w.duckdb"
    first = Warehouse(path)
    with first.transaction() as tx:
        _kpi(tx)
    first.close()
    second = Warehouse(path)
    assert second.schema_version == len(MIGRATIONS)
    assert second.query("SELECT count(*) FROM schema_migrations").scalar() == len(MIGRATIONS)
    assert second.query("SELECT name FROM kpis").scalar() == "KPI k1"
    second.close()


def test_migration_3_keeps_every_observation_and_drops_the_key_index(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    monkeypatch.setattr("metrics.warehouse.MIGRATIONS", MIGRATIONS[:2])
    old = Warehouse(path)
    with old.transaction() as tx:
        _kpi(tx)
        tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, dimension, member, value, note, "
                   "batch_id) VALUES ('k1', 'monthly', '2024-02-01', '', '', 2, 'b', 7), "
                   "('k1', 'monthly', '2024-01-01', 'ward', '3', 1, NULL, NULL)")
    before = old.query("SELECT * FROM observations ORDER BY ALL")
    old.close()
    monkeypatch.undo()
    new = Warehouse(path)
    assert new.schema_version == len(MIGRATIONS)
    # Later migrations may add columns (4: lineage); the columns there before keep their rows.
    columns = ", ".join(before.columns)
    assert new.query(f"SELECT {columns} FROM observations ORDER BY ALL").rows == before.rows
    assert new.query("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'observations' "
                     "AND constraint_type = 'PRIMARY KEY'").scalar() == 0
    with pytest.raises(duckdb.ConstraintException):   # the column checks came through the rebuild
        with new.transaction() as tx:
            tx.execute("INSERT INTO observations (kpi_id, frequency, period_start) VALUES ('k1', 'hourly', "
                       "'2024-03-01')")
    new.close()


def test_kpi_fields_are_checked_by_the_schema(warehouse):
    with pytest.raises(duckdb.ConstraintException):
        with warehouse.transaction() as tx:
            _kpi(tx, direction="sideways")
    with pytest.raises(duckdb.ConstraintException):
        with warehouse.transaction() as tx:
            _kpi(tx, unit="furlongs")
    assert catalog.is_empty(warehouse)


def test_a_target_is_a_value_or_a_band_never_both(warehouse):
    with warehouse.transaction() as tx:
        _kpi(tx)
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) VALUES ('k1', 'annual', '2023-07-01', 10)")
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, low, high) VALUES ('k1', 'annual', '2024-07-01', 1, 2)")
    for bad in ("value, low, high) VALUES ('k1', 'monthly', '2024-01-01', 1, 1, 2)",
                "low, high) VALUES ('k1', 'monthly', '2024-02-01', 3, 2)",
                "low) VALUES ('k1', 'monthly', '2024-03-01', 3)"):
        with pytest.raises(duckdb.ConstraintException):
            with warehouse.transaction() as tx:
                tx.execute(f"INSERT INTO targets (kpi_id, frequency, period_start, {bad}")
    assert warehouse.query("SELECT count(*) FROM targets").scalar() == 2


def test_query_takes_named_and_positional_parameters(warehouse):
    with warehouse.transaction() as tx:
        _kpi(tx, "a")
        _kpi(tx, "b")
    assert warehouse.query("SELECT name FROM kpis WHERE id = $id", {"id": "b"}).scalar() == "KPI b"
    assert warehouse.query("SELECT name FROM kpis WHERE id = ?", ["a"]).scalar() == "KPI a"
    hostile = "a' OR '1'='1"
    assert warehouse.query("SELECT count(*) FROM kpis WHERE id = $id", {"id": hostile}).scalar() == 0


def test_row_cap_cuts_and_flags(warehouse):
    result = warehouse.query("SELECT * FROM range(50)", max_rows=10)
    assert len(result.rows) == 10 and result.truncated
    whole = warehouse.query("SELECT * FROM range(10)", max_rows=10)
    assert len(whole.rows) == 10 and not whole.truncated
    capped = Warehouse(":memory:", row_cap=5)
    assert capped.query("SELECT * FROM range(6)").truncated
    capped.close()


def test_a_slow_query_is_interrupted_at_its_time_limit(warehouse):
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match="longer than 0.2 seconds"):
        warehouse.query("SELECT count(*) FROM range(100000000000) a", timeout=0.2)
    assert time.perf_counter() - started < 5
    assert warehouse.query("SELECT 42").scalar() == 42  # the connection is still usable


def test_a_failed_transaction_writes_nothing(warehouse):
    with pytest.raises(RuntimeError):
        with warehouse.transaction() as tx:
            _kpi(tx, "a")
            raise RuntimeError("half way")
    assert catalog.is_empty(warehouse)


def test_insert_frame_checks_table_and_columns(warehouse):
    frame = pd.DataFrame({"key": ["city_name"], "value": ["Testville"]})
    with warehouse.transaction() as tx:
        assert tx.insert_frame("meta", frame, ["key", "value"]) == 1
    assert catalog.get_meta(warehouse, "city_name") == "Testville"
    with pytest.raises(WarehouseError, match="unknown table"):
        with warehouse.transaction() as tx:
            tx.insert_frame("meta; DROP TABLE kpis", frame, ["key"])
    with pytest.raises(WarehouseError, match="invalid column"):
        with warehouse.transaction() as tx:
            tx.insert_frame("meta", frame, ["key) SELECT 1; --"])


def test_writers_queue_on_one_lock_and_readers_use_their_own_cursors(tmp_path):
    store = Warehouse(tmp_path / "w.duckdb")
    errors = []

    def write(n):
        try:
            for i in range(10):
                with store.transaction() as tx:
                    tx.execute("INSERT INTO meta VALUES ($k, 'v')", {"k": f"{n}-{i}"})
                store.query("SELECT count(*) FROM meta")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert store.query("SELECT count(*) FROM meta WHERE key <> 'data_changed_at'").scalar() == 40
    assert store.generation == 40 and store.changed_at() is not None
    store.close()


def test_a_second_process_is_told_plainly_that_the_warehouse_is_held(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = Warehouse(path)
    holder.schema_version
    code = ("import sys; sys.path.insert(0, '.');"
            "from metrics.warehouse import Warehouse, WarehouseBusy\n"
            f"try:\n    Warehouse({str(path)!r}).schema_version\n"
            "except WarehouseBusy as e:\n    print('BUSY', e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "BUSY" in result.stdout and "held by another CityStat process" in result.stdout
    holder.close()


def test_catalog_applies_period_targets_then_annual_ones(warehouse, calendar):
    with warehouse.transaction() as tx:
        _kpi(tx, "sum", aggregation="sum")
        _kpi(tx, "mean", aggregation="mean", unit="percent")
        _kpi(tx, "band", aggregation="mean", direction="band")
        for kpi in ("sum", "mean", "band"):
            for month, value in ((date(2024, 1, 1), 100.0), (date(2024, 2, 1), 110.0)):
                tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) VALUES (?, 'monthly', ?, ?)",
                           [kpi, month, value])
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) VALUES ('sum', 'annual', '2023-07-01', 1200)")
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) VALUES ('sum', 'monthly', '2024-02-01', 150)")
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) VALUES ('mean', 'annual', '2023-07-01', 0.9)")
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, low, high) VALUES ('band', 'annual', '2023-07-01', 90, 120)")
    history = {row["period_start"]: row for row in catalog.kpi_history(warehouse, calendar, "sum")}
    assert history[date(2024, 1, 1)]["target_value"] == pytest.approx(100)  # 1200 / 12
    assert history[date(2024, 1, 1)]["target_basis"] == "fiscal_year_share"
    assert history[date(2024, 2, 1)]["target_value"] == 150
    assert history[date(2024, 2, 1)]["target_basis"] == "period"
    mean = catalog.get_kpi(warehouse, calendar, "mean")
    assert (mean["latest_value"], mean["target_value"], mean["target_basis"]) == (110.0, 0.9, "fiscal_year")
    band = catalog.get_kpi(warehouse, calendar, "band")
    assert (band["target_low"], band["target_high"], band["target_value"]) == (90, 120, None)
    # With a January calendar the July-start annual targets no longer hold these months.
    assert catalog.get_kpi(warehouse, type(calendar)(1), "mean")["target_value"] is None
