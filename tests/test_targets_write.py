"""A KPI's targets written in the app (issue #10): web.targets_write, metrics.target_history and
PUT /api/v1/kpis/{id}/targets, GET /api/v1/kpis/{id}/targets/history. The fiscal-year grid for
monthly, quarterly, weekly, annual and daily KPIs on a July and a January fiscal year; saving
values, bands and clears as one revertible batch; the band, percent, period and duplicate
rules, every problem named by row with nothing written; archived KPIs; who may write; copying
last year; and the history of who changed what, when, from what to what, reverts included.

The tests write, so they run on a demo city of their own, never the session's."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from metrics import imports
from metrics import target_history as history_sql
from metrics.access import Scope
from metrics.periods import FiscalCalendar
from tests.conftest import own_demo_app
from tests.helpers import ORIGIN
from web import audit, importing
from web.entry_batches import commit_rows
from web.kpi_definitions import kpi_row
from web.targets_write import (TargetsError, copy_last_year, fiscal_year_grid, grid_file_name, save_targets,
                               target_history)

MANAGER = Scope("manager", "manager")
ADMIN = Scope("admin", "admin")
ANALYST = Scope("analyst", "analyst", frozenset({"public-works"}))
VIEWER = Scope("viewer", "viewer")
MONTHLY = "potholes-repaired"        # public-works, count, up, sum; FY2027 annual target 14,000 in the demo
PERCENT = "graffiti-5d"              # public-works, percent, up, monthly
BAND = "shelter-occupancy"           # housing, percent, band, monthly
QUARTERLY = "violent-clearance-rate"  # police, percent, quarterly
WEEKLY = "911-answer-15s"            # police, percent, weekly
ANNUAL = "residents-feel-safe"       # police, percent, annual
OTHER = "homicides"                  # police: not the demo analyst's department
FY2027 = date(2026, 7, 1)


app, services = own_demo_app("targets", "Targets")


def target(services, kpi_id, frequency, start):
    row = services.warehouse.query("SELECT value, low, high FROM targets WHERE kpi_id = $k AND frequency = $f AND "
                                   "period_start = $p", {"k": kpi_id, "f": frequency, "p": start}).first()
    return None if row is None else (row["value"], row["low"], row["high"])


def all_targets(services, kpi_id):
    return services.warehouse.query("SELECT frequency, period_start, value, low, high, batch_id FROM targets "
                                    "WHERE kpi_id = $k ORDER BY ALL", {"k": kpi_id}).rows


def batch_count(services):
    return services.warehouse.query("SELECT count(*) FROM import_batches").scalar()


def refused(services, scope, kpi_id, rows, **kwargs) -> TargetsError:
    before = (all_targets(services, kpi_id), batch_count(services))
    with pytest.raises(TargetsError) as caught:
        save_targets(services, scope, kpi_id, rows, **kwargs)
    assert (all_targets(services, kpi_id), batch_count(services)) == before, "a refused save wrote something"
    return caught.value


# -- the grid ------------------------------------------------------------------------------------------------
def test_a_monthly_kpi_has_twelve_months_then_the_fiscal_year(services):
    rows = fiscal_year_grid(services, kpi_row(services, MONTHLY), 2027)
    assert [r["period"] for r in rows] == [f"2026-{m:02d}" for m in range(7, 13)] + \
        [f"2027-{m:02d}" for m in range(1, 7)] + ["FY2027"]
    assert [r["annual"] for r in rows] == [False] * 12 + [True]
    year = rows[-1]
    assert (year["frequency"], year["period_start"], year["value"]) == ("annual", FY2027, 14000.0)
    # Values so far: July to October 2026 exist on the demo's day; the year's is their sum.
    months = [r["actual"] for r in rows[:-1]]
    assert all(v is not None for v in months[:4]) and months[4:] == [None] * 8
    assert year["actual"] == pytest.approx(sum(months[:4]))
    assert (year["actual_periods"], year["periods"]) == (4, 12)


def test_a_quarterly_kpi_has_its_fiscal_quarters_and_an_annual_one_only_the_year(services):
    rows = fiscal_year_grid(services, kpi_row(services, QUARTERLY), 2027)
    assert [r["period"] for r in rows] == ["FY2027-Q1", "FY2027-Q2", "FY2027-Q3", "FY2027-Q4", "FY2027"]
    assert [r["period_start"] for r in rows[:4]] == [date(2026, 7, 1), date(2026, 10, 1), date(2027, 1, 1),
                                                     date(2027, 4, 1)]
    assert [r["period"] for r in fiscal_year_grid(services, kpi_row(services, ANNUAL), 2027)] == ["FY2027"]


def test_a_weekly_kpi_has_the_weeks_starting_in_the_year_and_a_daily_one_the_year_only(services):
    rows = fiscal_year_grid(services, kpi_row(services, WEEKLY), 2027)
    weeks = rows[:-1]
    assert weeks[0]["period"] == "2026-W28" and weeks[0]["period_start"] == date(2026, 7, 6)   # the first Monday
    assert weeks[-1]["period_start"] == date(2027, 6, 28) and len(weeks) == 52
    fy2025 = fiscal_year_grid(services, kpi_row(services, WEEKLY), 2025)   # 2024-07-01 and 2025-06-30 are Mondays
    assert len(fy2025) == 53 + 1 and fy2025[0]["period"] == "2024-W27" and fy2025[52]["period"] == "2025-W27"
    daily = {"id": "no-such-daily", "frequency": "daily", "aggregation": "sum"}
    assert [r["period"] for r in fiscal_year_grid(services, daily, 2027)] == ["FY2027"]


def test_on_a_january_fiscal_year_the_grid_is_the_calendar_year(services):
    january = SimpleNamespace(warehouse=services.warehouse, calendar=FiscalCalendar(1))
    rows = fiscal_year_grid(january, kpi_row(services, MONTHLY), 2027)
    assert [r["period"] for r in rows] == [f"2027-{m:02d}" for m in range(1, 13)] + ["2027"]
    assert rows[-1]["period_start"] == date(2027, 1, 1) and rows[-1]["value"] is None   # the demo's are July years
    quarters = fiscal_year_grid(january, kpi_row(services, QUARTERLY), 2026)
    assert [r["period"] for r in quarters] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"]


# -- saving ----------------------------------------------------------------------------------------------------
def test_values_are_set_changed_and_cleared_in_one_batch(services, undo):
    first = save_targets(services, MANAGER, MONTHLY, [{"period": "2026-10", "value": 1200},
                                                       {"period": "2026-11", "value": 1150.5},
                                                       {"period": "FY2027", "value": 15000}])
    assert (first["set"], first["cleared"], first["unchanged"], first["dry_run"]) == (3, 0, 0, False)
    batch = imports.get_batch(services.warehouse, first["batch_id"])
    assert (batch["kind"], batch["file_name"], batch["created_by"]) == ("targets", grid_file_name(MONTHLY), "manager")
    assert target(services, MONTHLY, "monthly", date(2026, 11, 1)) == (1150.5, None, None)
    assert target(services, MONTHLY, "annual", FY2027) == (15000.0, None, None)
    assert {"period": "2026-10", "frequency": "monthly", "value": 1200.0, "low": None, "high": None} \
        in first["targets"]

    before = batch_count(services)
    second = save_targets(services, MANAGER, MONTHLY, [{"period": "2026-10", "value": None},
                                                        {"period": "2026-11", "value": 1150.5},
                                                        {"period": "2026-12", "value": 990}])
    assert (second["set"], second["cleared"], second["unchanged"]) == (1, 1, 1)
    assert batch_count(services) == before + 1, "a save is one batch"
    assert target(services, MONTHLY, "monthly", date(2026, 10, 1)) is None
    assert target(services, MONTHLY, "monthly", date(2026, 12, 1)) == (990.0, None, None)


def test_a_save_that_changes_nothing_writes_no_batch(services, undo):
    before = batch_count(services)
    result = save_targets(services, MANAGER, MONTHLY, [{"period": "FY2027", "value": 14000},
                                                        {"period": "2027-03", "value": None}])
    assert (result["batch_id"], result["set"], result["cleared"], result["unchanged"]) == (None, 0, 0, 2)
    assert batch_count(services) == before


def test_a_dry_run_counts_and_writes_nothing(services, undo):
    before = (all_targets(services, MONTHLY), batch_count(services))
    result = save_targets(services, MANAGER, MONTHLY, [{"period": "2026-10", "value": 1}, {"period": "FY2027"}],
                          dry_run=True)
    assert (result["batch_id"], result["set"], result["cleared"], result["dry_run"]) == (None, 1, 1, True)
    assert (all_targets(services, MONTHLY), batch_count(services)) == before


def test_a_band_kpi_takes_low_and_high(services, undo):
    result = save_targets(services, MANAGER, BAND, [{"period": "2026-10", "low": 0.8, "high": 0.9},
                                                     {"period": "FY2027", "low": 0.85, "high": 0.85}])
    assert result["set"] == 2
    assert target(services, BAND, "monthly", date(2026, 10, 1)) == (None, 0.8, 0.9)
    assert target(services, BAND, "annual", FY2027) == (None, 0.85, 0.85)
    cleared = save_targets(services, MANAGER, BAND, [{"period": "2026-10", "low": None, "high": None}])
    assert cleared["cleared"] == 1 and target(services, BAND, "monthly", date(2026, 10, 1)) is None


def test_the_band_rule_is_refused_row_by_row(services):
    error = refused(services, MANAGER, BAND, [{"period": "2026-10", "value": 0.9},
                                              {"period": "2026-11", "low": 0.8},
                                              {"period": "2026-12", "low": 0.95, "high": 0.9},
                                              {"period": "2027-01", "low": 0.8, "high": 0.9}])
    assert error.status == 422
    assert [(p["row"], p["reason"].code) for p in error.problems] == [
        (1, "targets.band_not_value"), (2, "targets.band_both"), (3, "targets.band_order")]
    texts = error.problem_texts("en")
    assert texts[1].startswith("Row 2 (2026-11): a band needs both ends")
    assert "Fila 3 (2026-12)" in error.problem_texts("es")[2]
    other = refused(services, MANAGER, MONTHLY, [{"period": "2026-10", "low": 1, "high": 2}])
    assert [p["reason"].code for p in other.problems] == ["targets.value_not_band"]


def test_percent_targets_are_fractions(services, undo):
    error = refused(services, MANAGER, PERCENT, [{"period": "2026-10", "value": 85},
                                                 {"period": "FY2027", "value": 0.9}])
    assert [(p["row"], p["reason"].code) for p in error.problems] == [(1, "targets.percent_fraction")]
    assert "write 0.85 for 85 %" in error.problem_texts("en")[0]
    assert "escriba 0.85 para 85 %" in error.problem_texts("es")[0]
    band = refused(services, MANAGER, BAND, [{"period": "2026-10", "low": 80, "high": 90}])
    assert [p["reason"].code for p in band.problems] == ["targets.percent_fraction"] * 2
    assert save_targets(services, MANAGER, PERCENT, [{"period": "2026-10", "value": 0.85}])["set"] == 1
    assert target(services, PERCENT, "monthly", date(2026, 10, 1)) == (0.85, None, None)


def test_periods_must_be_the_kpis_frequency_or_a_fiscal_year_on_the_citys_calendar(services):
    error = refused(services, MANAGER, MONTHLY, [{"period": "FY2027-Q1", "value": 1},
                                                 {"period": "2026-W40", "value": 1}, {"period": "2026", "value": 1},
                                                 {"period": "Oct 2026", "value": 1}, {"period": "", "value": 1},
                                                 {"value": 1}])
    codes = [(p["row"], p["reason"].code) for p in error.problems]
    assert codes == [(1, "targets.wrong_frequency"), (2, "targets.wrong_frequency"), (3, "period.off_calendar"),
                     (4, "period.unreadable"), (5, "targets.no_period"), (6, "targets.no_period")]
    assert "per month (e.g. " in error.problem_texts("en")[0] and "or per fiscal year (e.g. FY" in \
        error.problem_texts("en")[0]
    assert "write it as FY2027" in error.problem_texts("en")[2]
    quarterly = refused(services, MANAGER, QUARTERLY, [{"period": "2026-10", "value": 0.5}])
    assert "per quarter" in quarterly.problem_texts("en")[0]
    assert "por trimestre" in quarterly.problem_texts("es")[0]


def test_a_period_given_twice_is_refused(services):
    error = refused(services, MANAGER, MONTHLY, [{"period": "2026-10", "value": 1}, {"period": "FY2027", "value": 2},
                                                 {"period": " 2026-10", "value": 3}, {"period": "fy2027", "value": 4}])
    assert [(p["row"], p["reason"].code) for p in error.problems] == [(3, "targets.duplicate"),
                                                                     (4, "targets.duplicate")]
    assert "rows 1 and 3" in error.problem_texts("en")[0]


def test_numbers_and_fields_are_checked(services):
    error = refused(services, MANAGER, MONTHLY, [{"period": "2026-10", "value": "12"},
                                                 {"period": "2026-11", "value": True},
                                                 {"period": "2026-12", "value": float("nan")},
                                                 {"period": "2027-01", "value": 1, "target": 2}, "2027-02"])
    assert [(p["row"], p["reason"].code) for p in error.problems] == [
        (1, "targets.not_a_number"), (2, "targets.not_a_number"), (3, "targets.not_a_number"),
        (4, "targets.unknown_field"), (5, "targets.not_object")]


def test_an_archived_kpi_takes_no_targets(services):
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE kpis SET archived = TRUE WHERE id = ?", [MONTHLY])
    try:
        error = refused(services, MANAGER, MONTHLY, [{"period": "2026-10", "value": 1}])
        assert (error.status, error.key) == (409, "targets.archived")
    finally:
        with services.warehouse.transaction() as tx:
            tx.execute("UPDATE kpis SET archived = FALSE WHERE id = ?", [MONTHLY])
    assert refused(services, MANAGER, "no-such-kpi", [{"period": "2026-10", "value": 1}]).status == 404


def test_analysts_write_their_own_departments_targets_only(services, undo):
    assert save_targets(services, ANALYST, MONTHLY, [{"period": "2026-10", "value": 1300}])["set"] == 1
    error = refused(services, ANALYST, OTHER, [{"period": "2026-10", "value": 1}])
    assert (error.status, error.key) == (403, "targets.not_allowed")
    denied = audit.events(services, action="targets.save", outcome="denied", limit=1)[0]
    assert (denied.actor, denied.target, denied.details["department"]) == ("analyst", OTHER, "police")
    assert refused(services, VIEWER, MONTHLY, [{"period": "2026-10", "value": 1}]).status == 403
    assert save_targets(services, ADMIN, OTHER, [{"period": "2026-10", "value": 3}])["set"] == 1


def test_a_save_is_audited_with_its_batch(services, undo):
    result = save_targets(services, MANAGER, MONTHLY, [{"period": "2027-01", "value": 1111}])
    event = audit.events(services, action="targets.save", outcome="success", limit=1)[0]
    assert (event.actor, event.target) == ("manager", MONTHLY)
    assert event.details["batch_id"] == result["batch_id"] and event.details["set"] == 1
    refused(services, MANAGER, MONTHLY, [{"period": "2027-01", "value": "x"}])
    failure = audit.events(services, action="targets.save", outcome="failure", limit=1)[0]
    assert failure.details["reason"] == "invalid" and failure.details["problems"]


def test_a_revert_restores_what_the_save_replaced(services, undo):
    before = all_targets(services, MONTHLY)
    result = save_targets(services, ANALYST, MONTHLY, [{"period": "FY2027", "value": 17000},
                                                       {"period": "2026-10", "value": 1400}])
    assert target(services, MONTHLY, "annual", FY2027) == (17000.0, None, None)
    importing.revert(services, ANALYST, result["batch_id"])   # the analyst reverts their own batch
    assert all_targets(services, MONTHLY) == before


# -- copying last year -----------------------------------------------------------------------------------------
def test_copying_last_year_moves_its_targets_one_year_on_and_saves_nothing(services, undo):
    save_targets(services, MANAGER, MONTHLY, [{"period": "2025-07", "value": 900}, {"period": "2026-06", "value": 950}])
    save_targets(services, MANAGER, MONTHLY, [{"period": "2026-08", "value": 1000}])   # this year's own
    before = (all_targets(services, MONTHLY), batch_count(services))
    rows = {r["period"]: r for r in copy_last_year(services, kpi_row(services, MONTHLY), 2027)}
    assert (rows["2026-07"]["value"], rows["2026-07"]["copied"]) == (900.0, True)
    assert (rows["2027-06"]["value"], rows["2027-06"]["copied"]) == (950.0, True)
    assert (rows["2026-08"]["value"], rows["2026-08"]["copied"]) == (1000.0, False)   # kept: last year had none
    assert (rows["FY2027"]["value"], rows["FY2027"]["copied"]) == (23000.0, True)      # FY2026's total
    assert sum(r["copied"] for r in rows.values()) == 3
    assert (all_targets(services, MONTHLY), batch_count(services)) == before


def test_copying_weeks_goes_by_position_in_the_year(services, undo):
    kpi = kpi_row(services, WEEKLY)
    save_targets(services, MANAGER, WEEKLY, [{"period": "2024-W27", "value": 0.91},     # FY2025's weeks 1,
                                             {"period": "2025-W26", "value": 0.92},     # 52
                                             {"period": "2025-W27", "value": 0.93}])    # and 53
    rows = copy_last_year(services, kpi, 2026)
    # Week 1 of FY2025 lands on week 1 of FY2026 (2025-W28), week 52 on week 52; the 53rd has no place.
    assert len(rows) == 52 + 1
    assert (rows[0]["period"], rows[0]["value"], rows[0]["copied"]) == ("2025-W28", 0.91, True)
    assert (rows[51]["period"], rows[51]["value"], rows[51]["copied"]) == ("2026-W27", 0.92, True)
    assert 0.93 not in [r["value"] for r in rows]


def test_copying_from_a_year_without_targets_copies_nothing(services):
    rows = copy_last_year(services, kpi_row(services, MONTHLY), 2023)   # FY2022 has only its annual target
    assert [r["period"] for r in rows if r["copied"]] == ["FY2023"]
    assert not any(r["copied"] for r in copy_last_year(services, kpi_row(services, "active-cardholders"), 2027))


# -- history ---------------------------------------------------------------------------------------------------
def test_history_says_who_changed_what_when_from_what_to_what(services, undo):
    first = save_targets(services, MANAGER, MONTHLY, [{"period": "2026-10", "value": 1200},
                                                       {"period": "FY2027", "value": 15000}])
    second = save_targets(services, ANALYST, MONTHLY, [{"period": "2026-10", "value": 1250},
                                                        {"period": "FY2027", "value": None}])
    changes = target_history(services, MONTHLY)
    newest = [c for c in changes if c["batch_id"] == second["batch_id"]]
    assert [(c["period"], c["changed_by"], c["old"], c["new"], c["state"]) for c in newest] == [
        ("FY2027", "analyst", {"value": 15000.0, "low": None, "high": None}, None, "cleared"),
        ("2026-10", "analyst", {"value": 1200.0, "low": None, "high": None},
         {"value": 1250.0, "low": None, "high": None}, "set"),
    ]
    older = [c for c in changes if c["batch_id"] == first["batch_id"]]
    assert [(c["period"], c["old"], c["new"]) for c in older] == [
        ("FY2027", {"value": 14000.0, "low": None, "high": None}, {"value": 15000.0, "low": None, "high": None}),
        ("2026-10", None, {"value": 1200.0, "low": None, "high": None}),   # its value, since replaced, still shown
    ]
    assert changes[0]["batch_id"] == second["batch_id"], "newest first"
    assert all(c["changed_at"] is not None and c["kind"] == "targets" for c in newest + older)
    seed = [c for c in changes if c["kind"] == "seed"]
    assert seed and all(c["old"] is None and c["state"] == "set" for c in seed)
    assert target_history(services, "no-such-kpi") is None


def test_a_reverted_batch_stays_in_the_history_with_its_values(services, undo):
    save = save_targets(services, MANAGER, MONTHLY, [{"period": "2027-02", "value": 1010},   # a new target
                                                      {"period": "FY2027", "value": 16000}])  # over the seed's
    imports.revert_batch(services.warehouse, save["batch_id"], "manager")
    mine = [c for c in target_history(services, MONTHLY) if c["batch_id"] == save["batch_id"]]
    assert [(c["period"], c["old"], c["new"], c["state"], c["reverted"], c["reverted_by"]) for c in mine] == [
        ("FY2027", {"value": 14000.0, "low": None, "high": None}, {"value": 16000.0, "low": None, "high": None},
         "set", True, "manager"),
        ("2027-02", None, {"value": 1010.0, "low": None, "high": None}, "set", True, "manager"),
    ]


def test_a_reverted_file_whose_new_values_nothing_kept_says_so(services, undo):
    # A batch of another kind (here data entry carrying a target) keeps no grid file to read back.
    report = commit_rows(services, MANAGER, [{"kpi_id": MONTHLY, "period": "FY2027", "target": 18000.0}],
                         kind="manual", file_name="entry.csv")
    imports.revert_batch(services.warehouse, report.batch_id, "manager")
    changes = history_sql.history(services.warehouse, services.calendar, MONTHLY)
    mine = [c for c in changes if c["batch_id"] == report.batch_id]
    assert [(c["old"], c["new"], c["state"], c["reverted"]) for c in mine] == [
        ({"value": 14000.0, "low": None, "high": None}, None, "unrecorded", True)]


def test_the_grid_file_of_a_batch_reads_back(services, undo, tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("kpi_id,period,target,target_low,target_high\nx,2026-10,5,,\nx,FY2027,,1,2\ny,2026-10,7,,\n"
                    "x,bad,1,,\n", encoding="utf-8")
    read = history_sql.grid_file_targets(path, "x", FiscalCalendar(7))
    assert read == {("monthly", date(2026, 10, 1)): {"value": 5.0, "low": None, "high": None},
                    ("annual", FY2027): {"value": None, "low": 1.0, "high": 2.0}}
    assert history_sql.grid_file_targets(tmp_path / "gone.csv", "x", FiscalCalendar(7)) is None
    assert history_sql.grid_file_targets(None, "x", FiscalCalendar(7)) is None


# -- the API ---------------------------------------------------------------------------------------------------
def put(client, kpi_id, body, **headers):
    return client.put(f"/api/v1/kpis/{kpi_id}/targets", json=body, headers={**ORIGIN, **headers})


def test_put_targets_answers_200_with_what_it_wrote(services, signed_in, undo):
    response = put(signed_in("analyst"), MONTHLY, {"targets": [{"period": "2026-10", "value": 1234},
                                                                {"period": "FY2027", "value": None}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["kpi_id"], body["set"], body["cleared"], body["unchanged"], body["dry_run"]) == \
        (MONTHLY, 1, 1, 0, False)
    assert body["batch_id"] and {"period": "2026-10", "frequency": "monthly", "value": 1234.0, "low": None,
                                 "high": None} in body["targets"]
    dry = put(signed_in("manager"), MONTHLY, {"targets": [{"period": "2026-10", "value": 1}], "dry_run": True})
    assert dry.status_code == 200 and dry.get_json()["batch_id"] is None and dry.get_json()["set"] == 1
    assert target(services, MONTHLY, "monthly", date(2026, 10, 1)) == (1234.0, None, None)


@pytest.mark.parametrize("body", [
    [], {}, {"targets": []}, {"targets": {"period": "2026-10"}},
    {"targets": [{"period": "2026-10"}], "dry_run": "yes"}, {"targets": [{"period": "2026-10", "value": "12"}]},
    {"targets": [{"period": 202610, "value": 1}]}, {"targets": [{"period": "2026-10", "value": 1, "note": "x"}]},
    {"targets": [1]}, {"targets": [{"period": "2026-10", "value": 1}], "kpi_id": MONTHLY},
])
def test_put_targets_answers_400_for_a_body_of_another_shape(services, signed_in, body):
    before = batch_count(services)
    response = put(signed_in("manager"), MONTHLY, body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] and response.get_json()["details"]
    assert batch_count(services) == before


def test_put_targets_answers_400_for_a_body_that_is_not_json(signed_in):
    response = signed_in("manager").put(f"/api/v1/kpis/{MONTHLY}/targets", data="targets: 2026-10",
                                        content_type="application/json", headers=ORIGIN)
    assert response.status_code == 400 and response.get_json()["details"] == ["The body is not a JSON object."]


def test_put_targets_answers_403_404_409_and_401(services, signed_in, app):
    assert put(signed_in("analyst"), OTHER, {"targets": [{"period": "2026-10", "value": 1}]}).status_code == 403
    assert put(signed_in("viewer"), MONTHLY, {"targets": [{"period": "2026-10", "value": 1}]}).status_code == 403
    missing = put(signed_in("manager"), "no-such-kpi", {"targets": [{"period": "2026-10", "value": 1}]})
    assert missing.status_code == 404 and "no-such-kpi" in missing.get_json()["error"]
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE kpis SET archived = TRUE WHERE id = ?", [MONTHLY])
    try:
        assert put(signed_in("manager"), MONTHLY, {"targets": [{"period": "2026-10", "value": 1}]}).status_code == 409
    finally:
        with services.warehouse.transaction() as tx:
            tx.execute("UPDATE kpis SET archived = FALSE WHERE id = ?", [MONTHLY])
    anonymous = app.test_client()
    assert put(anonymous, MONTHLY, {"targets": [{"period": "2026-10", "value": 1}]}).status_code == 401
    assert anonymous.get(f"/api/v1/kpis/{MONTHLY}/targets/history").status_code == 401


def test_put_targets_answers_422_naming_each_row_in_the_callers_language(services, signed_in):
    before = (all_targets(services, PERCENT), batch_count(services))
    body = {"targets": [{"period": "2026-10", "value": 0.9}, {"period": "2026-11", "value": 90},
                        {"period": "2026-Q4", "value": 0.9}]}
    response = put(signed_in("manager"), PERCENT, body)
    assert response.status_code == 422
    details = response.get_json()["details"]
    assert details[0].startswith("Row 2 (2026-11): ") and "0.85" in details[0]
    assert details[1].startswith("Row 3 (2026-Q4): ")
    spanish = put(signed_in("manager"), PERCENT, body, **{"Accept-Language": "es"})
    assert spanish.get_json()["details"][0].startswith("Fila 2 (2026-11): ")
    assert (all_targets(services, PERCENT), batch_count(services)) == before


def test_the_history_route_lists_changes_newest_first(services, signed_in, undo):
    saved = put(signed_in("manager"), MONTHLY, {"targets": [{"period": "FY2027", "value": 14500}]}).get_json()
    response = signed_in("viewer").get(f"/api/v1/kpis/{MONTHLY}/targets/history")
    assert response.status_code == 200
    newest = response.get_json()["history"][0]
    assert newest["batch_id"] == saved["batch_id"] and newest["period"] == "FY2027"
    assert (newest["old"], newest["new"]) == ({"value": 14000.0, "low": None, "high": None},
                                              {"value": 14500.0, "low": None, "high": None})
    assert (newest["changed_by"], newest["kind"], newest["state"], newest["reverted"]) == \
        ("manager", "targets", "set", False)
    assert newest["changed_at"][:4].isdigit() and "T" in newest["changed_at"]
    assert signed_in("viewer").get("/api/v1/kpis/no-such-kpi/targets/history").status_code == 404

