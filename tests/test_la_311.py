"""The real LA 311 export (../shared/data/real/la_311/): its shipped dataset profile loads
the file as published, and its three computed KPIs agree with the same measures computed
here independently, in plain Python over the CSV."""
from __future__ import annotations

import csv
import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from metrics import computed, datasets
from metrics.datasets import DatasetProfile
from metrics.periods import FiscalCalendar
from metrics.sandbox import Sandbox
from metrics.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
LA_311 = ROOT.parent / "shared" / "data" / "real" / "la_311" / "MyLA311_Service_Request_Data_2017_Subset.csv"
SHIPPED = json.loads((ROOT / "data" / "datasets" / "la-311.json").read_text())
FORMAT = "%m/%d/%Y %I:%M:%S %p"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("la311")
    sandbox, store = Sandbox(folder / "raw.duckdb", memory_limit="256MB"), Warehouse(":memory:")
    with sandbox.loading() as con:
        report = datasets.load(con, LA_311, DatasetProfile.parse(SHIPPED["profile"]), actor="tests", workdir=folder)
    for kpi in SHIPPED["kpis"]:
        with store.transaction() as tx:
            tx.execute("INSERT INTO kpis (id, name, unit, direction, frequency, aggregation, breakdowns) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", [kpi["id"], kpi["name"], kpi["unit"], kpi["direction"],
                                                        kpi["frequency"], kpi["aggregation"], kpi["breakdowns"]])
        computed.save_definition(store, sandbox, FiscalCalendar(7), kpi["id"], kpi["sql"], actor="tests")
    yield report, store
    sandbox.close()
    store.close()


@pytest.fixture(scope="module")
def rows():
    with open(LA_311, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _values(store, kpi_id):
    return {(r[0].isoformat(), r[1]): r[2] for r in store.query(
        "SELECT period_start, member, value FROM observations WHERE kpi_id = $k", {"k": kpi_id}).rows}


def _day(text):
    return datetime.strptime(text, FORMAT).date().isoformat()


def test_the_file_loads_as_published(loaded):
    report, _ = loaded
    assert report.rows == 9999
    assert {c["name"]: c["type"] for c in report.columns}["createddate"] == "TIMESTAMP"


def test_requests_per_day_citywide_and_by_council_district(loaded, rows):
    expected = Counter(_day(r["CreatedDate"]) for r in rows)
    by_district = Counter((_day(r["CreatedDate"]), f"CD {r['CD']}" if r["CD"] else "No district") for r in rows)
    got = _values(loaded[1], "la-311-requests")
    assert {day: got[(day, "")] for day in expected} == expected
    assert {key: got[key] for key in by_district} == by_district
    assert {member for _, member in got} - {""} == {member for _, member in by_district}
    assert sum(v for (day, member), v in got.items() if member == "") == 9999


def test_median_days_to_close_per_day(loaded, rows):
    spans = defaultdict(list)
    for r in rows:
        if r["Status"] == "Closed" and r["ClosedDate"]:
            opened, closed = datetime.strptime(r["CreatedDate"], FORMAT), datetime.strptime(r["ClosedDate"], FORMAT)
            if closed >= opened:   # 12 rows close before they open: left out, not counted as negative
                spans[opened.date().isoformat()].append((closed - opened).total_seconds() / 86400)
    got = _values(loaded[1], "la-311-median-days-to-close")
    assert set(got) == {(day, "") for day in spans}
    for day, values in spans.items():
        assert got[(day, "")] == pytest.approx(statistics.median(values), rel=1e-9)


def test_share_closed_within_three_days(loaded, rows):
    within, total = Counter(), Counter()
    for r in rows:
        opened = datetime.strptime(r["CreatedDate"], FORMAT)
        day = opened.date().isoformat()
        total[day] += 1
        if r["Status"] == "Closed" and r["ClosedDate"]:
            closed = datetime.strptime(r["ClosedDate"], FORMAT)
            within[day] += opened <= closed <= opened + timedelta(days=3)
    got = _values(loaded[1], "la-311-closed-within-3-days")
    for day in total:
        assert got[(day, "")] == pytest.approx(within[day] / total[day], rel=1e-12)
