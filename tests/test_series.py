"""The series a KPI chart draws beside its values: range windows, last year's value at the
same place of the fiscal year, at-risk zones, targets of periods to come, members."""
from __future__ import annotations

from datetime import date

import pytest

from metrics import catalog, series
from metrics.forecast import forecast_one
from metrics.periods import FiscalCalendar, Period
from metrics.warehouse import Warehouse

JULY = FiscalCalendar(7)
FY24 = date(2023, 7, 1)


@pytest.fixture
def store():
    warehouse = Warehouse(":memory:")
    yield warehouse
    warehouse.close()


def _kpi(store, kpi_id="k", *, frequency="monthly", aggregation="sum", values=(), members=(), targets=()):
    with store.transaction() as tx:
        tx.execute("INSERT INTO kpis (id, name, unit, direction, frequency, aggregation) "
                   "VALUES (?, ?, 'count', 'up', ?, ?)", [kpi_id, kpi_id, frequency, aggregation])
        for start, value in values:
            tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) VALUES (?, ?, ?, ?)",
                       [kpi_id, frequency, start, value])
        for start, member, value in members:
            tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, dimension, member, value) "
                       "VALUES (?, ?, ?, 'district', ?, ?)", [kpi_id, frequency, start, member, value])
        for target_frequency, start, value in targets:
            tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) VALUES (?, ?, ?, ?)",
                       [kpi_id, target_frequency, start, value])
    return catalog.get_kpi(store, JULY, kpi_id)


def _month(year, month):
    return date(year, month, 1)


@pytest.mark.parametrize("periods, expected", [
    ("12", date(2023, 11, 1)), ("24", date(2022, 11, 1)), ("60", date(2019, 11, 1)),
    ("fytd", date(2024, 7, 1)), ("all", None),
])
def test_window_start(periods, expected):
    kpi = {"frequency": "monthly", "latest_period_start": date(2024, 10, 1)}
    start = series.window_start(JULY, kpi, periods)
    assert (start.start if start else None) == expected


def test_window_start_refuses_unknown_ranges_and_handles_no_data():
    with pytest.raises(ValueError):
        series.window_start(JULY, {"frequency": "monthly", "latest_period_start": FY24}, "9999")
    assert series.window_start(JULY, {"frequency": "monthly", "latest_period_start": None}, "12") is None


def test_fiscal_year_to_date_follows_the_citys_calendar():
    kpi = {"frequency": "quarterly", "latest_period_start": date(2024, 4, 1)}
    assert series.window_start(JULY, kpi, "fytd").start == date(2023, 7, 1)
    assert series.window_start(FiscalCalendar(1), kpi, "fytd").start == date(2024, 1, 1)


@pytest.mark.parametrize("period, expected", [
    (Period("monthly", date(2024, 3, 1)), date(2023, 3, 1)),
    (Period("quarterly", date(2023, 10, 1)), date(2022, 10, 1)),
    (Period("annual", date(2023, 7, 1)), date(2022, 7, 1)),
    (Period("weekly", date(2023, 7, 3)), date(2022, 7, 4)),     # the first week of each fiscal year
])
def test_same_place_last_year(period, expected):
    assert series.same_place_last_year(JULY, period).start == expected


def test_prior_year_values_sit_at_the_same_place(store):
    kpi = _kpi(store, values=[(_month(2023, 3), 5), (_month(2024, 3), 7), (_month(2024, 4), 8)])
    prior = series.prior_year(store, JULY, kpi, [_month(2024, 3), _month(2024, 4)])
    assert prior == {_month(2024, 3): (_month(2023, 3), 5), _month(2024, 4): (_month(2023, 4), None)}


@pytest.mark.parametrize("direction, row, zones", [
    ("up", {"target_value": 100}, [(90, 100)]),
    ("down", {"target_value": 100}, [(100, 110)]),
    ("up", {"target_value": -50}, [(-55, -50)]),
    ("band", {"target_low": 10, "target_high": 20}, [(9, 10), (20, 22)]),
    ("up", {"target_value": None}, []),
    ("neutral", {"target_value": 100}, []),
])
def test_at_risk_zones_follow_the_status_rules(direction, row, zones):
    got = series.at_risk_zones({"direction": direction, "tolerance": 0.1}, row)
    assert got == [pytest.approx(zone) for zone in zones]


def test_targets_for_periods_without_values_use_the_same_rule(store):
    # A sum KPI with an annual target: each month's target is an even share of it.
    _kpi(store, values=[(_month(2023, 7), 10)], targets=[("annual", FY24, 120), ("monthly", _month(2024, 1), 50)])
    rows = series.targets_for(store, JULY, "k", [_month(2023, 12), _month(2024, 1)])
    assert [(r["period_start"], r["target_value"], r["target_basis"]) for r in rows] == [
        (_month(2023, 12), pytest.approx(10), "fiscal_year_share"), (_month(2024, 1), 50, "period")]
    assert series.targets_for(store, JULY, "k", []) == []


def test_latest_value_by_member(store):
    kpi = _kpi(store, values=[(_month(2024, 1), 30), (_month(2024, 2), 31)],
               members=[(_month(2024, 1), "District 1", 10), (_month(2024, 1), "District 2", 20),
                        (_month(2024, 2), "District 1", 11), (_month(2024, 2), "District 2", None)])
    rows = series.member_history(store, JULY, kpi, "all")
    assert len(rows) == 4
    assert series.latest_by_member(rows) == (_month(2024, 2), {"District 1": 11})
    assert series.latest_by_member([]) == (None, {})


def test_target_fits_members_of_averages_only():
    assert series.target_fits_members({"aggregation": "mean"})
    assert not series.target_fits_members({"aggregation": "sum"})


def test_forecast_of_a_measure_never_negative_stays_at_or_above_zero():
    months = [date(2023, m, 1) if m >= 7 else date(2024, m, 1) for m in (7, 8, 9, 10)]
    history = dict(zip(months, (0, 3, 0, 4)))   # a small, noisy count
    kpi = {"id": "k", "frequency": "monthly", "direction": "down", "aggregation": "sum",
           "latest_period_start": months[-1]}
    result = forecast_one(kpi, JULY, history, [{"frequency": "annual", "period_start": FY24, "value": 20,
                                                "low": None, "high": None}])
    assert result["low"] >= 0 and all(p["low"] >= 0 for p in result["projection"])
