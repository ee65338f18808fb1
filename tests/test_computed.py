"""Computed KPIs (issue #7 items 2 and 3): definitions are checked, trial-run, versioned and
recomputed in one sandbox query, with lineage; values are checked against the same measures
computed in plain Python from the raw rows."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from metrics import computed
from metrics.computed import ComputedError
from metrics.kpi_sql import DefinitionError
from metrics.periods import FiscalCalendar
from metrics.sandbox import Sandbox
from metrics.warehouse import Warehouse

CALENDAR = FiscalCalendar(7)
# 2,000 requests every 331 minutes from 2024-05-01 (to mid-August 2025, across three fiscal
# years); every tenth is still open; close times spread over 0..399 hours.
REQUESTS = """
SELECT i AS id, TIMESTAMP '2024-05-01 08:00:00' + to_minutes(i * 331) AS created,
       CASE WHEN i % 10 = 0 THEN NULL
            ELSE TIMESTAMP '2024-05-01 08:00:00' + to_minutes(i * 331) + to_hours((i * 7919) % 400) END AS closed,
       ['pothole', 'graffiti', 'streetlight'][i % 3 + 1] AS type, 'District ' || (i % 4 + 1) AS district
FROM range({first}, {last}) AS r(i)"""

VOLUME_BY_TYPE = """
SELECT date_trunc('month', created) AS period, type AS member, count(*) AS value
FROM requests
GROUP BY GROUPING SETS ((date_trunc('month', created), type), (date_trunc('month', created)))"""
MEDIAN_DAYS = """
SELECT date_trunc('month', created) AS period, median(date_diff('hour', created, closed) / 24.0) AS value
FROM requests WHERE closed IS NOT NULL GROUP BY 1"""
WITHIN_5_DAYS = """
SELECT date_trunc('month', created) AS period, district AS member,
       count(*) FILTER (WHERE closed <= created + INTERVAL 5 DAY) AS numerator, count(*) AS denominator
FROM requests GROUP BY ALL"""


def load_requests(sandbox: Sandbox, count: int = 2000) -> None:
    sandbox.create_table_as("requests", REQUESTS.format(first=0, last=count))


def raw_requests(sandbox: Sandbox) -> list[tuple]:
    with sandbox.cursor() as cursor:
        return cursor.execute("SELECT created, closed, type, district FROM requests").fetchall()


@pytest.fixture()
def sandbox(tmp_path):
    box = Sandbox(tmp_path / "sandbox.duckdb", memory_limit="256MB", threads=1)
    load_requests(box)
    yield box
    box.close()


@pytest.fixture()
def store():
    warehouse = Warehouse(":memory:")
    for kpi_id, unit, frequency, aggregation, breakdowns in [
            ("requests", "count", "monthly", "sum", ["type"]),
            ("days_to_close", "duration", "monthly", "mean", []),
            ("closed_in_5_days", "percent", "monthly", "ratio", ["district"]),
            ("requests_quarterly", "count", "quarterly", "sum", []),
            ("requests_annual", "count", "annual", "sum", [])]:
        with warehouse.transaction() as tx:
            tx.execute("INSERT INTO kpis (id, name, unit, direction, frequency, aggregation, breakdowns) "
                       "VALUES (?, ?, ?, 'up', ?, ?, ?)", [kpi_id, kpi_id, unit, frequency, aggregation, breakdowns])
    yield warehouse
    warehouse.close()


def stored(store: Warehouse, kpi_id: str) -> list[dict]:
    return store.query("SELECT * FROM observations WHERE kpi_id = ? ORDER BY period_start, dimension, member",
                       [kpi_id]).dicts()


def month(moment) -> date:
    return date(moment.year, moment.month, 1)


# -- values against an independent computation ----------------------------------------------------
def test_monthly_volume_by_type_matches_a_count_in_python(store, sandbox):
    saved = computed.save_definition(store, sandbox, CALENDAR, "requests", VOLUME_BY_TYPE, actor="ana")
    raw = raw_requests(sandbox)
    totals = Counter(month(created) for created, _, _, _ in raw)
    by_type = Counter((month(created), kind) for created, _, kind, _ in raw)
    rows = stored(store, "requests")
    assert {r["period_start"]: r["value"] for r in rows if r["dimension"] == ""} == totals
    assert {(r["period_start"], r["member"]): r["value"] for r in rows if r["dimension"] == "type"} == by_type
    assert {r["dimension"] for r in rows} == {"", "type"}   # the KPI's own breakdown names the dimension
    assert saved["observations"] == len(rows) == len(totals) + len(by_type)
    assert saved["version"] == 1 and saved["changed"] and saved["previous"] is None
    assert saved["datasets"] == ["requests"] and saved["output"] == ["period", "member", "value"]


def test_median_days_to_close_matches_python(store, sandbox):
    computed.save_definition(store, sandbox, CALENDAR, "days_to_close", MEDIAN_DAYS, actor="ana")
    hours = defaultdict(list)
    for created, closed, _, _ in raw_requests(sandbox):
        if closed is not None:
            hours[month(created)].append((closed - created) / timedelta(hours=1) / 24)
    rows = stored(store, "days_to_close")
    assert [r["period_start"] for r in rows] == sorted(hours)
    for row in rows:
        assert row["value"] == pytest.approx(statistics.median(hours[row["period_start"]]))
        assert row["dimension"] == row["member"] == "" and row["numerator"] is None


def test_share_closed_within_five_days_by_district_is_numerator_over_denominator(store, sandbox):
    saved = computed.save_definition(store, sandbox, CALENDAR, "closed_in_5_days", WITHIN_5_DAYS, actor="ana")
    within, everyone = Counter(), Counter()
    for created, closed, _, district in raw_requests(sandbox):
        everyone[(month(created), district)] += 1
        within[(month(created), district)] += closed is not None and closed - created <= timedelta(days=5)
    rows = stored(store, "closed_in_5_days")
    assert {(r["period_start"], r["member"]) for r in rows} == set(everyone)
    for row in rows:
        key = (row["period_start"], row["member"])
        assert row["dimension"] == "district"
        assert (row["numerator"], row["denominator"]) == (within[key], everyone[key])
        assert row["value"] == pytest.approx(within[key] / everyone[key])
    # Only districts, no city-wide row: saved, with a warning saying how to add one.
    assert any("city-wide" in warning for warning in saved["warnings"])


# -- versions ------------------------------------------------------------------------------------------
def test_each_change_is_a_new_version_and_the_old_sql_stays(store, sandbox):
    first = computed.save_definition(store, sandbox, CALENDAR, "days_to_close", MEDIAN_DAYS, actor="ana")
    faster = MEDIAN_DAYS.replace("median", "quantile_cont").replace("/ 24.0)", "/ 24.0, 0.25)")
    second = computed.save_definition(store, sandbox, CALENDAR, "days_to_close", faster, actor="bo")
    assert (first["version"], second["version"]) == (1, 2)
    assert second["previous"]["sql"] == MEDIAN_DAYS.strip() and second["sql"] == faster.strip()
    assert second["previous"]["created_by"] == "ana" and second["actor"] == "bo"
    history = computed.definition_history(store, "days_to_close")
    assert [(h["version"], h["sql"], h["created_by"]) for h in history] == [
        (2, faster.strip(), "bo"), (1, MEDIAN_DAYS.strip(), "ana")]
    assert history[0]["created_at"] is not None
    assert computed.definition(store, "days_to_close")["version"] == 2
    assert computed.definition(store, "requests") is None
    assert {r["definition_version"] for r in stored(store, "days_to_close")} == {2}
    again = computed.save_definition(store, sandbox, CALENDAR, "days_to_close", faster + ";", actor="cy")
    assert (again["version"], again["changed"]) == (2, False)   # same SQL: recomputed, no new version
    assert len(computed.definition_history(store, "days_to_close")) == 2


# -- refusals ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sql, words", [
    ("SELEC date_trunc('month', created) AS period, count(*) AS value FROM requests", ["not valid SQL"]),
    ("SELECT date_trunc('month', created) AS period, count(*) AS value FROM permits GROUP BY 1", ["permits"]),
    ("SELECT created AS period FROM requests", ["value"]),
    ("SELECT date_trunc('month', created) AS period, count(*) AS value, type FROM requests GROUP BY ALL",
     ["type"]),
    ("SELECT date_trunc('month', created) AS period, count(*) // (count(*) - count(*)) AS value "
     "FROM requests GROUP BY 1", ["division by zero", "TRY("]),
    ("SELECT date_trunc('month', created) AS period, sum(CAST(type AS INTEGER)) AS value FROM requests GROUP BY 1",
     ["pothole"]),
    ("SELECT strftime(created, '%Y-%m') AS period, count(*) AS value FROM requests GROUP BY 1", ["VARCHAR", "DATE"]),
    ("SELECT date_trunc('month', created) AS period, median(closed - created) AS value FROM requests GROUP BY 1",
     ["date_diff"]),
    ("SELECT date_trunc('day', created) AS period, count(*) AS value FROM requests GROUP BY 1", ["repeat a month already returned"]),
    ("SELECT * FROM read_csv('/etc/passwd')", ["table function"]),
])
def test_a_refused_definition_writes_nothing(store, sandbox, sql, words):
    computed.save_definition(store, sandbox, CALENDAR, "requests", VOLUME_BY_TYPE, actor="ana")
    before = stored(store, "requests")
    with pytest.raises(DefinitionError) as refused:
        computed.save_definition(store, sandbox, CALENDAR, "requests", sql, actor="mallory")
    for word in words:
        assert word.lower() in str(refused.value).lower(), str(refused.value)
    assert stored(store, "requests") == before
    assert [h["version"] for h in computed.definition_history(store, "requests")] == [1]


def test_a_definition_for_an_unknown_kpi_is_refused(store, sandbox):
    with pytest.raises(ComputedError, match="no KPI 'nope'"):
        computed.save_definition(store, sandbox, CALENDAR, "nope", MEDIAN_DAYS, actor="ana")
    assert store.query("SELECT count(*) FROM kpi_definitions").scalar() == 0


# -- preview -----------------------------------------------------------------------------------------------
def test_preview_shows_the_rows_as_stored_and_writes_nothing(store, sandbox):
    shown = computed.preview(store, sandbox, CALENDAR, "requests", VOLUME_BY_TYPE, limit=5)
    assert shown["ok"] and shown["truncated"] and len(shown["rows"]) == 5 and shown["problems"] == []
    first = shown["rows"][0]
    assert (first["period"], first["period_start"], first["member"]) == ("2024-05", date(2024, 5, 1), None)
    assert shown["rows"][1]["member"] == "graffiti"      # city-wide row first, then members in order
    assert store.query("SELECT count(*) FROM observations").scalar() == 0
    assert store.query("SELECT count(*) FROM kpi_definitions").scalar() == 0


def test_preview_for_a_kpi_not_saved_yet_names_mapped_and_repeated_periods(store, sandbox):
    weekly_into_months = "SELECT date_trunc('week', created) AS period, count(*) AS value FROM requests GROUP BY 1"
    shown = computed.preview(store, sandbox, CALENDAR, {"id": "new", "frequency": "monthly"}, weekly_into_months)
    assert not shown["ok"]
    errors = [p["message"] for p in shown["problems"] if p["severity"] == "error"]
    warnings = [p["message"] for p in shown["problems"] if p["severity"] == "warning"]
    assert len(errors) == 1 and "repeat a month" in errors[0]
    assert len(warnings) == 1 and "not the first day of a month" in warnings[0]
    with pytest.raises(ComputedError, match="frequency"):
        computed.preview(store, sandbox, CALENDAR, {"id": "new"}, weekly_into_months)


# -- fiscal periods ---------------------------------------------------------------------------------------
def test_quarterly_and_annual_kpis_land_on_fiscal_periods(store, sandbox):
    quarters = computed.preview(store, sandbox, CALENDAR, "requests_quarterly",
                                "SELECT date_trunc('quarter', created) AS period, count(*) AS value "
                                "FROM requests GROUP BY 1")
    # The fiscal year starts in July: April-June 2024 is FY2024-Q4, July-September FY2025-Q1.
    assert [r["period"] for r in quarters["rows"][:3]] == ["FY2024-Q4", "FY2025-Q1", "FY2025-Q2"]
    assert quarters["problems"] == []
    # Grouped by fiscal year, dated by each year's first request: mapped onto the fiscal year.
    fiscal_years = ("SELECT min(created) AS period, count(*) AS value FROM requests "
                    "GROUP BY year(created + INTERVAL 6 MONTH)")
    saved = computed.save_definition(store, sandbox, CALENDAR, "requests_annual", fiscal_years, actor="ana")
    assert any("FY2024" in warning for warning in saved["warnings"])
    expected = Counter(date(created.year - (created.month < 7), 7, 1) for created, *_ in raw_requests(sandbox))
    assert {r["period_start"]: r["value"] for r in stored(store, "requests_annual")} == expected
    assert sorted(expected) == [date(2023, 7, 1), date(2024, 7, 1), date(2025, 7, 1)]
    # Calendar months are not fiscal years: many rows for one year are refused.
    with pytest.raises(ComputedError, match="Fiscal years start in month 7"):
        computed.save_definition(store, sandbox, CALENDAR, "requests_annual",
                                 "SELECT date_trunc('month', created) AS period, count(*) AS value "
                                 "FROM requests GROUP BY 1", actor="ana")


# -- recompute ---------------------------------------------------------------------------------------------
def save_three(store, sandbox):
    for kpi_id, sql in (("requests", VOLUME_BY_TYPE), ("days_to_close", MEDIAN_DAYS),
                        ("closed_in_5_days", WITHIN_5_DAYS)):
        computed.save_definition(store, sandbox, CALENDAR, kpi_id, sql, actor="ana")


def test_recompute_after_new_raw_rows_replaces_the_observations_with_lineage(store, sandbox):
    save_three(store, sandbox)
    before = stored(store, "requests")
    assert {(r["definition_version"], r["raw_batch"]) for r in before} == {(1, None)}
    load_requests(sandbox, count=2500)     # 500 more requests arrive, into autumn 2025
    result = computed.recompute(store, sandbox, CALENDAR, dataset="requests", raw_batch=7)
    assert set(result["kpis"]) == {"requests", "days_to_close", "closed_in_5_days"}
    after = stored(store, "requests")
    assert len(after) > len(before) and result["kpis"]["requests"]["observations"] == len(after)
    assert result["observations"] == store.query("SELECT count(*) FROM observations").scalar()
    assert sum(r["value"] for r in after if r["dimension"] == "") == 2500
    assert store.query("SELECT DISTINCT definition_version, raw_batch FROM observations").rows == [(1, 7)]
    # One row per KPI, period and breakdown: the old rows were deleted, not kept beside the new.
    assert store.query("SELECT count(*) FROM (SELECT kpi_id, period_start, dimension, member FROM observations "
                       "GROUP BY ALL HAVING count(*) > 1)").scalar() == 0


def test_recompute_runs_every_definition_in_one_sandbox_query(store, sandbox, monkeypatch):
    save_three(store, sandbox)
    calls = []
    run = sandbox.run
    monkeypatch.setattr(sandbox, "run", lambda sql, *args, **kwargs: calls.append(sql) or run(sql, *args, **kwargs))
    result = computed.recompute(store, sandbox, CALENDAR, dataset="requests")
    assert len(calls) == 1 and calls[0].count("UNION ALL") == 2
    assert all(info["observations"] > 0 for info in result["kpis"].values())
    assert computed.recompute(store, sandbox, CALENDAR, dataset="permits") == {"kpis": {}, "observations": 0}
    assert set(computed.recompute(store, sandbox, CALENDAR, kpi_ids=["days_to_close"])["kpis"]) == {"days_to_close"}
    assert len(calls) == 2


def test_raw_batch_defaults_to_the_latest_load_of_the_datasets_read(store, sandbox):
    sandbox.create_table_as("_dataset_batches", "SELECT * FROM (VALUES (3, 'requests', 'loaded'), "
                            "(5, 'requests', 'reverted'), (9, 'permits', 'loaded')) AS b(id, dataset, status)")
    saved = computed.save_definition(store, sandbox, CALENDAR, "days_to_close", MEDIAN_DAYS, actor="ana")
    assert saved["raw_batch"] == 3
    assert {r["raw_batch"] for r in stored(store, "days_to_close")} == {3}


def test_a_failing_definition_fails_the_whole_recompute_by_name(store, sandbox):
    save_three(store, sandbox)
    before = store.query("SELECT * FROM observations ORDER BY ALL").rows
    # The dataset is reloaded without the closed column: two definitions no longer bind.
    sandbox.create_table_as("requests", "SELECT id, created, type, district FROM ("
                            + REQUESTS.format(first=0, last=3000) + ")")
    with pytest.raises(ComputedError) as failed:
        computed.recompute(store, sandbox, CALENDAR, dataset="requests")
    assert failed.value.kpi_id in {"closed_in_5_days", "days_to_close"}
    assert failed.value.kpi_id in str(failed.value) and "closed" in str(failed.value)
    assert store.query("SELECT * FROM observations ORDER BY ALL").rows == before
    with pytest.raises(ComputedError, match="no longer runs"):   # a dataset that is gone, found before running
        sandbox.create_table_as("requests_old", "SELECT 1 AS x")
        with sandbox.cursor() as cursor:
            cursor.execute("DROP TABLE requests")
        computed.recompute(store, sandbox, CALENDAR)
    assert store.query("SELECT * FROM observations ORDER BY ALL").rows == before


def test_recompute_has_a_row_cap_and_a_time_limit(store, sandbox):
    save_three(store, sandbox)
    before = store.query("SELECT * FROM observations ORDER BY ALL").rows
    with pytest.raises(ComputedError, match="more than 10 rows"):
        computed.recompute(store, sandbox, CALENDAR, kpi_ids=["requests"], max_rows=10)
    slow = ("SELECT date_trunc('month', a.created) AS period, count(*) AS value "
            "FROM requests a, requests b, requests c GROUP BY 1")
    with pytest.raises(DefinitionError, match="longer than 0.2 s"):
        computed.save_definition(store, sandbox, CALENDAR, "requests", slow, actor="ana", timeout=0.2)
    assert store.query("SELECT * FROM observations ORDER BY ALL").rows == before
