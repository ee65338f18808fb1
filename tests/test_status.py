"""The status engine, rule by rule (DESIGN §4), on small hand-made KPIs."""
from __future__ import annotations

from datetime import date

import pytest

from metrics import status
from metrics.periods import FiscalCalendar
from metrics.warehouse import Warehouse

JULY = FiscalCalendar(7)
LATE = date(2030, 1, 1)   # as of a day long after every period below


@pytest.fixture
def store():
    warehouse = Warehouse(":memory:")
    yield warehouse
    warehouse.close()


def kpi(store, kpi_id="k", *, direction="up", frequency="monthly", aggregation="mean", tolerance=0.10,
        lag_days=None, goal_id=None, values=(), targets=(), department=None):
    """A KPI with `values` [(period_start, value)] and `targets` [(frequency, start, value|(low, high))]."""
    with store.transaction() as tx:
        tx.execute("INSERT INTO kpis (id, name, unit, direction, frequency, aggregation, tolerance, lag_days, goal_id,"
                   " department_id) VALUES (?, ?, 'count', ?, ?, ?, ?, ?, ?, ?)",
                   [kpi_id, kpi_id, direction, frequency, aggregation, tolerance, lag_days, goal_id, department])
        for start, value in values:
            tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) VALUES (?, ?, ?, ?)",
                       [kpi_id, frequency, start, value])
        for target_frequency, start, value in targets:
            low, high, single = (value[0], value[1], None) if isinstance(value, tuple) else (None, None, value)
            tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value, low, high) VALUES (?, ?, ?, ?, ?, ?)",
                       [kpi_id, target_frequency, start, single, low, high])


def one(store, kpi_id="k", as_of=LATE):
    rows = {row["id"]: row for row in status.kpi_statuses(store, JULY, as_of)}
    return rows[kpi_id]


FY24 = date(2023, 7, 1)


@pytest.mark.parametrize("direction, actual, target, expected", [
    ("up", 100, 100, "on_track"),          # equal to the target is on track
    ("up", 95, 100, "at_risk"),
    ("up", 90, 100, "at_risk"),            # exactly at the tolerance edge
    ("up", 89.9, 100, "off_track"),
    ("down", 100, 100, "on_track"),
    ("down", 105, 100, "at_risk"),
    ("down", 110, 100, "at_risk"),
    ("down", 110.1, 100, "off_track"),
    ("down", 80, 100, "on_track"),
    ("down", 0, 0, "on_track"),            # zero target: only zero itself is on track
    ("down", 1, 0, "off_track"),
    ("up", -4.5, -5, "on_track"),          # negative target: tolerance uses its absolute value
    ("up", -5.4, -5, "at_risk"),
    ("up", -5.6, -5, "off_track"),
])
def test_status_by_direction_with_tolerance(store, direction, actual, target, expected):
    kpi(store, direction=direction, values=[(date(2024, 1, 1), actual)], targets=[("annual", FY24, target)])
    assert one(store)["status"] == expected


@pytest.mark.parametrize("actual, expected", [
    (10, "on_track"), (20, "on_track"), (15, "on_track"),
    (9.5, "at_risk"), (9, "at_risk"), (8.9, "off_track"),
    (21, "at_risk"), (22, "at_risk"), (22.1, "off_track"),
])
def test_band(store, actual, expected):
    kpi(store, direction="band", values=[(date(2024, 1, 1), actual)], targets=[("annual", FY24, (10, 20))])
    assert one(store)["status"] == expected


def test_no_data_no_direction_no_target(store):
    kpi(store, "empty", targets=[("annual", FY24, 1)])
    kpi(store, "context", direction="neutral", values=[(date(2024, 1, 1), 5)], targets=[("annual", FY24, 1)])
    kpi(store, "untargeted", values=[(date(2024, 1, 1), 5)])
    kpi(store, "band-without-band", direction="band", values=[(date(2024, 1, 1), 5)], targets=[("annual", FY24, 5)])
    assert one(store, "empty")["status"] == "no_data"
    assert one(store, "context")["status"] == "no_direction"
    assert one(store, "untargeted")["status"] == "no_target"
    assert one(store, "band-without-band")["status"] == "no_target"


def test_period_target_wins_over_the_annual_one(store):
    kpi(store, values=[(date(2024, 1, 1), 100)],
        targets=[("annual", FY24, 200), ("monthly", date(2024, 1, 1), 100)])
    row = one(store)
    assert (row["status"], row["compared_target"], row["target_basis"]) == ("on_track", 100, "period")


def test_the_annual_target_is_the_fiscal_years_holding_the_period(store):
    # June 2024 is in FY2024 (target 100); July 2024 starts FY2025 (target 200).
    kpi(store, "june", values=[(date(2024, 6, 1), 150)], targets=[("annual", FY24, 100), ("annual", date(2024, 7, 1), 200)])
    kpi(store, "july", values=[(date(2024, 7, 1), 150)], targets=[("annual", FY24, 100), ("annual", date(2024, 7, 1), 200)])
    assert one(store, "june")["status"] == "on_track"
    assert one(store, "july")["status"] == "off_track"


def test_an_annual_target_on_a_sum_kpi_is_pro_rated_mid_year(store):
    # FY2024 target 1,200 a year; by October (4th month) 400 is due; 390 so far is at risk.
    months = [date(2023, m, 1) for m in (7, 8, 9, 10)]
    kpi(store, aggregation="sum", values=list(zip(months, (100, 100, 100, 90))), targets=[("annual", FY24, 1200)])
    row = one(store)
    assert row["target_basis"] == "fiscal_year_to_date"
    assert row["elapsed"] == 4 and row["periods_in_year"] == 12
    assert row["compared_value"] == 390 and row["compared_target"] == pytest.approx(400)
    assert row["status"] == "at_risk"
    assert row["latest_value"] == 90   # the latest value itself is still reported


def test_pro_rating_counts_elapsed_periods_even_when_some_are_missing(store):
    kpi(store, aggregation="sum", values=[(date(2023, 7, 1), 100), (date(2023, 10, 1), 300)],
        targets=[("annual", FY24, 1200)])
    row = one(store)
    assert row["compared_value"] == 400 and row["compared_target"] == pytest.approx(400)
    assert row["status"] == "on_track"


def test_weekly_pro_rating_uses_the_weeks_of_the_fiscal_year(store):
    weeks = [date(2023, 7, 3), date(2023, 7, 10)]   # the first two Mondays of FY2024
    kpi(store, frequency="weekly", aggregation="sum", values=[(w, 10) for w in weeks],
        targets=[("annual", FY24, 52 * 10)])
    row = one(store)
    assert row["elapsed"] == 2 and row["periods_in_year"] == 52
    assert row["status"] == "on_track"


def test_as_of_uses_only_periods_ended_by_then(store):
    kpi(store, values=[(date(2024, 1, 1), 100), (date(2024, 2, 1), 50)], targets=[("annual", FY24, 100)])
    assert one(store, as_of=date(2024, 2, 28))["latest_period_start"] == date(2024, 1, 1)
    assert one(store, as_of=date(2024, 2, 28))["status"] == "on_track"
    assert one(store, as_of=date(2024, 2, 29))["status"] == "off_track"   # February 2024 has 29 days
    assert one(store, as_of=date(2023, 12, 31))["status"] == "no_data"  # before any data


@pytest.mark.parametrize("lag_days, as_of, stale", [
    (None, date(2024, 2, 29), False),   # January's value is in; February's is due a period after
    (None, date(2024, 3, 31), False),   # February ends, so with the default lag it is due by March 31
    (None, date(2024, 4, 1), True),
    (10, date(2024, 3, 10), False),     # with a 10-day lag, February's value is due by March 10
    (10, date(2024, 3, 11), True),
])
def test_stale_when_the_next_value_is_overdue(store, lag_days, as_of, stale):
    kpi(store, lag_days=lag_days, values=[(date(2024, 1, 1), 1)], targets=[("annual", FY24, 1)])
    row = one(store, as_of=as_of)
    assert row["stale"] is stale
    assert row["status"] == "on_track"   # freshness is separate from status


def test_stale_does_not_apply_without_data(store):
    kpi(store)
    assert one(store)["stale"] is False


@pytest.mark.parametrize("direction, series, expected", [
    ("up", [10, 11, 12, 13, 14, 15], "improving"),
    ("up", [15, 14, 13, 12, 11, 10], "worsening"),
    ("down", [15, 14, 13, 12, 11, 10], "improving"),
    ("down", [10, 11, 12, 13, 14, 15], "worsening"),
    ("up", [100, 100.1, 100, 100.2, 100.1, 100.2], "flat"),
    ("up", [0, 0, 0, 0], "flat"),                      # mean of zero
    ("up", [1, 2, 3], "insufficient"),                 # fewer than four points
    ("neutral", [10, 11, 12, 13, 14, 15], "flat"),
])
def test_trend_over_the_last_six_periods(store, direction, series, expected):
    months = [date(2024, m, 1) for m in range(1, len(series) + 1)]
    kpi(store, direction=direction, values=list(zip(months, series)))
    assert one(store)["trend"] == expected


def test_trend_looks_only_at_the_last_six_periods(store):
    # A long decline, then six periods of rise: improving.
    months = [date(2023, m, 1) for m in range(1, 13)] + [date(2024, m, 1) for m in range(1, 7)]
    series = [100 - 5 * i for i in range(12)] + [50, 52, 54, 56, 58, 60]
    kpi(store, values=list(zip(months, series)))
    assert one(store)["trend"] == "improving"


def test_trend_with_gaps_counts_the_points_present(store):
    months = [date(2024, 1, 1), date(2024, 3, 1), date(2024, 5, 1), date(2024, 6, 1)]
    kpi(store, values=list(zip(months, [10, 12, 14, 15])))
    assert one(store)["trend"] == "improving"
    kpi(store, "sparse", values=[(date(2024, 1, 1), 1), (date(2024, 6, 1), 2), (date(2023, 1, 1), 3)])
    assert one(store, "sparse")["trend"] == "insufficient"


def test_band_trend_is_judged_towards_the_band(store):
    months = [date(2024, m, 1) for m in range(1, 7)]
    kpi(store, "above", direction="band", values=list(zip(months, [30, 29, 28, 27, 26, 25])),
        targets=[("annual", FY24, (10, 20))])
    assert one(store, "above")["trend"] == "improving"


@pytest.mark.parametrize("statuses, expected", [
    (["on_track"] * 4 + ["at_risk"], "on_track"),             # 0.9
    (["on_track"] * 3 + ["at_risk"] * 2, "on_track"),         # 0.8 exactly
    (["on_track", "at_risk", "off_track"], "at_risk"),        # 0.5 exactly
    (["on_track", "off_track", "off_track"], "off_track"),    # 0.33
    (["no_target", "no_data"], None),
])
def test_goal_roll_up(statuses, expected):
    result = status.roll_up(statuses)
    assert result["status"] == expected
    assert sum(result["counts"].values()) == len(statuses)


def test_roll_up_counts_kpis_without_status_apart():
    result = status.roll_up(["on_track", "no_target", "no_direction", "no_data"])
    assert result["status"] == "on_track" and result["unscored"] == 3


def test_goal_statuses_include_sub_goals(store):
    with store.transaction() as tx:
        tx.execute("INSERT INTO goals (id, title, mayoral_priority) VALUES ('parent', 'Parent', TRUE)")
        tx.execute("INSERT INTO goals (id, title, parent_id) VALUES ('child', 'Child', 'parent')")
    kpi(store, "a", goal_id="parent", values=[(date(2024, 1, 1), 100)], targets=[("annual", FY24, 100)])
    kpi(store, "b", goal_id="child", values=[(date(2024, 1, 1), 50)], targets=[("annual", FY24, 100)])
    goals = {g["id"]: g for g in status.goal_statuses(store, JULY, LATE)}
    assert goals["child"]["status"] == "off_track" and goals["child"]["kpi_total"] == 1
    assert goals["parent"]["kpi_total"] == 2 and goals["parent"]["score"] == 0.5
    assert goals["parent"]["status"] == "at_risk"


def test_filters_and_published_only(store):
    kpi(store, "a", department="police", values=[(date(2024, 1, 1), 1)])
    kpi(store, "b", department="parks", values=[(date(2024, 1, 1), 1)])
    with store.transaction() as tx:
        tx.execute("UPDATE kpis SET published = TRUE WHERE id = 'b'")
    assert [r["id"] for r in status.kpi_statuses(store, JULY, LATE, department="police")] == ["a"]
    assert [r["id"] for r in status.kpi_statuses(store, JULY, LATE, published_only=True)] == ["b"]


def test_status_changes_lists_moves_worst_first():
    before = [{"id": "a", "name": "A", "status": "on_track"}, {"id": "b", "name": "B", "status": "at_risk"},
              {"id": "c", "name": "C", "status": "off_track"}, {"id": "d", "name": "D", "status": "no_data"}]
    after = [{"id": "a", "name": "A", "status": "off_track"}, {"id": "b", "name": "B", "status": "on_track"},
             {"id": "c", "name": "C", "status": "off_track"}, {"id": "d", "name": "D", "status": "on_track"}]
    moved = status.status_changes(before, after)
    assert [(m["id"], m["previous_status"], m["status"]) for m in moved] == [
        ("a", "on_track", "off_track"), ("b", "at_risk", "on_track")]


@pytest.mark.parametrize("as_of, earlier", [
    (date(2024, 5, 10), date(2024, 3, 15)),
    (date(2024, 7, 2), date(2024, 5, 10)),
    (date(2024, 3, 15), date(2023, 11, 1)),   # nothing had ended yet
    (date(2024, 3, 15), date(2024, 3, 15)),
])
def test_comparing_with_an_earlier_date_in_the_same_query(store, as_of, earlier):
    kpi(store, "a", values=[(date(2024, m, 1), 80 + 5 * m) for m in range(1, 7)], targets=[("annual", FY24, 100)])
    kpi(store, "b", aggregation="sum", values=[(date(2024, m, 1), 10) for m in range(1, 5)],
        targets=[("annual", FY24, 120)], lag_days=20)
    kpi(store, "c", direction="band", values=[(date(2023, 12, 1), 50)], targets=[("annual", FY24, (40, 45))])
    kpi(store, "d")
    compared = status.kpi_statuses(store, JULY, as_of, compare_with=earlier)
    alone = status.kpi_statuses(store, JULY, as_of)
    before = {row["id"]: row["status"] for row in status.kpi_statuses(store, JULY, earlier)}
    assert [r["id"] for r in compared] == [r["id"] for r in alone] == ["a", "b", "c", "d"]
    for mine, theirs in zip(compared, alone):
        assert mine["previous_status"] == before[mine["id"]]
        for field in ("as_of", "status", "trend", "stale", "latest_period_start", "latest_value", "target_basis",
                      "next_due"):
            assert mine[field] == theirs[field], (mine["id"], field)
        for field in ("compared_value", "compared_target", "trend_change", "percent_of_target"):
            assert mine[field] == pytest.approx(theirs[field], nan_ok=True), (mine["id"], field)
    assert "previous_status" not in alone[0]


def test_changes_since_an_earlier_date(store):
    kpi(store, "a", values=[(date(2024, 1, 1), 100), (date(2024, 2, 1), 50)], targets=[("annual", FY24, 100)])
    kpi(store, "b", values=[(date(2024, 1, 1), 95), (date(2024, 2, 1), 100)], targets=[("annual", FY24, 100)])
    kpi(store, "c", values=[(date(2024, 1, 1), 100), (date(2024, 2, 1), 100)], targets=[("annual", FY24, 100)])
    rows = status.kpi_statuses(store, JULY, date(2024, 3, 5), compare_with=date(2024, 2, 5))
    assert [(r["id"], r["previous_status"], r["status"]) for r in status.changes_since(rows)] == [
        ("a", "on_track", "off_track"), ("b", "at_risk", "on_track")]


@pytest.mark.parametrize("day, expected", [
    (date(2026, 11, 26), date(2026, 10, 26)),
    (date(2026, 1, 15), date(2025, 12, 15)),
    (date(2026, 3, 31), date(2026, 2, 28)),
    (date(2024, 3, 30), date(2024, 2, 29)),
    (date(2026, 5, 31), date(2026, 4, 30)),
])
def test_one_month_before(day, expected):
    assert status.one_month_before(day) == expected
