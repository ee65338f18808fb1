"""What is due (metrics/due.py): the next value each KPI owes, across fiscal years."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from metrics import due, status
from metrics.periods import Period
from tests.conftest import DEMO_TODAY


def _kpi(frequency, latest, lag=None, owner="Ana Ruiz", **extra):
    return {"id": "k", "name": "K", "frequency": frequency, "latest_period_start": latest, "lag_days": lag,
            "owner": owner, "department_id": "parks", **extra}


@pytest.mark.parametrize("as_of, expected", [
    (date(2026, 10, 31), None),                       # October has not ended: nothing owed
    (date(2026, 11, 1), ("due", 0, 29)),              # October over, due by Nov 30 (one period)
    (date(2026, 11, 30), ("due", 0, 0)),              # the due day itself is not late
    (date(2026, 12, 1), ("overdue", 1, 0)),
    (date(2027, 1, 15), ("overdue", 46, 0)),
])
def test_a_monthly_kpi_owes_the_month_after_its_latest(calendar, as_of, expected):
    item = due.due_item(_kpi("monthly", date(2026, 9, 1)), calendar, as_of)
    if expected is None:
        assert item is None
        return
    assert item["period"] == Period("monthly", date(2026, 10, 1)) and item["due_date"] == date(2026, 11, 30)
    assert (item["state"], item["days_late"], item["days_left"]) == expected


def test_a_lag_in_days_replaces_the_one_period_default(calendar):
    item = due.due_item(_kpi("monthly", date(2026, 9, 1), lag=10), calendar, date(2026, 11, 12))
    assert item["due_date"] == date(2026, 11, 10) and item["state"] == "overdue" and item["days_late"] == 2


def test_periods_owed_counts_every_ended_period_since_the_latest(calendar):
    item = due.due_item(_kpi("monthly", date(2026, 5, 1)), calendar, date(2026, 11, 26))
    assert item["period"].start == date(2026, 6, 1) and item["periods_owed"] == 5   # Jun..Oct


def test_fiscal_quarters_across_the_fiscal_year_boundary(calendar):
    """July start: FY2026-Q4 is Apr-Jun 2026; the next, FY2027-Q1, is Jul-Sep 2026."""
    kpi = _kpi("quarterly", date(2026, 4, 1), lag=45)
    assert due.due_item(kpi, calendar, date(2026, 9, 30)) is None
    item = due.due_item(kpi, calendar, date(2026, 11, 20))
    assert calendar.label(item["period"]) == "FY2027-Q1"
    assert item["due_date"] == date(2026, 11, 14) and item["days_late"] == 6


def test_fiscal_years(calendar):
    kpi = _kpi("annual", date(2024, 7, 1), lag=90)   # FY2025 reported; FY2026 ended 2026-06-30
    item = due.due_item(kpi, calendar, date(2026, 10, 1))
    assert calendar.label(item["period"]) == "FY2026" and item["due_date"] == date(2026, 9, 28)
    assert item["days_late"] == 3 and item["periods_owed"] == 1


def test_calendar_years_when_the_fiscal_year_starts_in_january():
    from metrics.periods import FiscalCalendar
    item = due.due_item(_kpi("annual", date(2024, 1, 1), lag=60), FiscalCalendar(1), date(2026, 3, 5))
    assert item["period"] == Period("annual", date(2025, 1, 1)) and item["due_date"] == date(2026, 3, 1)
    assert item["days_late"] == 4


def test_weeks_and_days(calendar):
    week = due.due_item(_kpi("weekly", date(2026, 11, 2)), calendar, date(2026, 11, 24))   # Mon 2 Nov
    assert week["period"].start == date(2026, 11, 9) and week["due_date"] == date(2026, 11, 22)
    assert week["days_late"] == 2 and week["periods_owed"] == 2
    day = due.due_item(_kpi("daily", date(2026, 11, 24), lag=0), calendar, date(2026, 11, 26))
    assert day["period"].start == date(2026, 11, 25) and day["days_late"] == 1


def test_a_kpi_without_any_value_owes_the_last_ended_period(calendar):
    item = due.due_item(_kpi("monthly", None), calendar, date(2026, 11, 26))
    assert item["period"].start == date(2026, 10, 1) and item["state"] == "due"


def test_kpis_without_an_owner_are_flagged(calendar):
    for owner in (None, "", "   "):
        item = due.due_item(_kpi("monthly", date(2026, 5, 1), owner=owner), calendar, date(2026, 11, 26))
        assert item["has_owner"] is False and item["owner"] is None


def test_overdue_is_exactly_the_status_engines_stale(calendar, demo_app):
    from web.services import EXTENSION
    services = demo_app.extensions[EXTENSION]
    for as_of in (DEMO_TODAY, DEMO_TODAY - timedelta(days=200), date(2025, 7, 1)):
        rows = status.kpi_statuses(services.warehouse, services.calendar, as_of)
        listed = {k["id"]: k["due"] for k in due.due_items(rows, services.calendar, as_of)}
        for row in rows:
            if row["latest_period_start"] is None:
                continue
            overdue = row["id"] in listed and listed[row["id"]]["state"] == "overdue"
            assert overdue == row["stale"], (row["id"], as_of)
            if overdue:
                assert listed[row["id"]]["due_date"] == row["next_due"]


def test_order_and_department_counts(calendar):
    kpis = [_kpi("monthly", date(2026, 9, 1), id="a", name="A", department_id="parks"),      # due
            _kpi("monthly", date(2026, 6, 1), id="b", name="B", department_id="police"),     # overdue longer
            _kpi("monthly", date(2026, 8, 1), id="c", name="C", department_id="parks"),      # overdue
            _kpi("monthly", date(2026, 10, 1), id="d", name="D", department_id="parks")]     # nothing owed
    as_of = date(2026, 11, 26)
    assert [k["id"] for k in due.due_items(kpis, calendar, as_of)] == ["b", "c", "a"]
    assert due.overdue_count(kpis, calendar, as_of) == 2
    assert due.overdue_count(kpis, calendar, as_of, frozenset({"parks"})) == 1


# -- across fiscal years, lag 0, KPIs never reported (issue #10) ------------------------------------------
def test_quarters_owed_across_the_july_fiscal_year_boundary(calendar):
    """FY2026-Q3 (Jan-Mar 2026) reported: FY2026-Q4 and FY2027-Q1 are owed by mid-October, the first
    due at FY2027-Q1's end (one period of lag), so 15 days late."""
    item = due.due_item(_kpi("quarterly", date(2026, 1, 1)), calendar, date(2026, 10, 15))
    assert calendar.label(item["period"]) == "FY2026-Q4" and item["periods_owed"] == 2
    assert item["due_date"] == date(2026, 9, 30) and (item["state"], item["days_late"]) == ("overdue", 15)


def test_quarters_owed_across_the_january_boundary():
    from metrics.periods import FiscalCalendar
    january = FiscalCalendar(1)
    kpi = _kpi("quarterly", date(2025, 7, 1), lag=15)   # 2025-Q3 reported; 2025-Q4 ended on Dec 31
    assert due.due_item(kpi, january, date(2025, 12, 31)) is None
    item = due.due_item(kpi, january, date(2026, 1, 20))
    assert january.label(item["period"]) == "2025-Q4" and item["due_date"] == date(2026, 1, 15)
    assert (item["state"], item["days_late"], item["periods_owed"]) == ("overdue", 5, 1)
    on_time = due.due_item(kpi, january, date(2026, 1, 10))
    assert (on_time["state"], on_time["days_left"]) == ("due", 5)


def test_a_lag_of_zero_days_is_late_the_day_after_the_period(calendar):
    kpi = _kpi("monthly", date(2026, 9, 1), lag=0)
    assert due.due_item(kpi, calendar, date(2026, 10, 31)) is None      # October's last day: still running
    item = due.due_item(kpi, calendar, date(2026, 11, 1))
    assert item["due_date"] == date(2026, 10, 31) and (item["state"], item["days_late"]) == ("overdue", 1)


def test_a_kpi_never_reported_owes_the_last_fiscal_year_or_quarter(calendar):
    annual = due.due_item(_kpi("annual", None), calendar, date(2026, 7, 1))
    assert calendar.label(annual["period"]) == "FY2026" and annual["periods_owed"] == 1
    assert annual["due_date"] == date(2027, 6, 30) and (annual["state"], annual["days_left"]) == ("due", 364)
    quarter = due.due_item(_kpi("quarterly", None, lag=30), calendar, date(2026, 8, 15))
    assert calendar.label(quarter["period"]) == "FY2026-Q4" and quarter["due_date"] == date(2026, 7, 30)
    assert quarter["days_late"] == 16


def test_days_at_the_edge_of_the_calendar_owe_nothing(calendar):
    assert due.due_item(_kpi("annual", None), calendar, date(1, 1, 1)) is None
    assert due.due_item(_kpi("daily", date(9999, 12, 29), lag=400), calendar, date(9999, 12, 31)) is None


def test_owners_departments_and_counts(calendar):
    kpis = [_kpi("monthly", date(2026, 9, 1), id="a", name="Beta", owner=" "),
            _kpi("monthly", date(2026, 6, 1), id="b", name="Alpha", owner=None, department_id="police"),
            _kpi("monthly", date(2026, 10, 1), id="c", name="Gamma")]
    assert [k["id"] for k in due.without_owner(kpis)] == ["b", "a"]
    assert [k["id"] for k in due.in_departments(kpis, ["police"])] == ["b"]
    assert due.in_departments(kpis, []) == kpis and due.in_departments(kpis, None) == kpis
    counts = due.state_counts(due.due_items(kpis, calendar, date(2026, 11, 26)))
    assert counts == {"overdue": 1, "due": 1}
    assert due.overdue_count(kpis, calendar, date(2026, 11, 26), frozenset()) == 0   # an analyst of no department
