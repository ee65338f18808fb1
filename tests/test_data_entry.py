"""Manual data entry (web.data_entry): which rows a person gets, the periods owed across a
fiscal year's end, percents typed in points, only changed rows written, problems on the
right row with nothing written, departments enforced and audited, one revertible batch of
kind "manual", and the KPIs an entry turns off track."""
from __future__ import annotations

from datetime import date

import pytest

from config import Config
from metrics import imports
from metrics.access import Scope
from tests.conftest import DEMO_TODAY, seeded_demo_app
from web import audit, importing
from web.data_entry import MAX_PERIODS, commit_entries, entry_rows, parse_number, shown_value
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
ANALYST = Scope("analyst", "analyst", frozenset({"public-works"}))
VIEWER = Scope("viewer", "viewer")

LATE = "test-entry-late"          # Public Works, monthly, last value April 2026 (FY2026)
QUARTERLY = "test-entry-quarter"  # Public Works, quarterly, last value FY2026-Q3
WEEKLY = "test-entry-weekly"      # Public Works, weekly, last value a year ago: more owed than listed
PERCENT = "test-entry-percent"    # Public Works, monthly percent, last value Sep 2026, target 90 %
COMPUTED = "test-entry-computed"  # Public Works, has a SQL definition
ARCHIVED = "test-entry-archived"  # Public Works, archived


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    server = seeded_demo_app(tmp_path_factory.mktemp("data-entry"))
    services = server.extensions[EXTENSION]
    with server.app_context():
        _add_kpis(services)
        yield services
    services.close()


def _add_kpis(services):
    kpis = [(LATE, "count", "up", "monthly", "sum"), (QUARTERLY, "count", "up", "quarterly", "sum"),
            (WEEKLY, "count", "up", "weekly", "sum"), (PERCENT, "percent", "up", "monthly", "mean"),
            (COMPUTED, "count", "up", "monthly", "sum"), (ARCHIVED, "count", "up", "monthly", "sum")]
    with services.warehouse.transaction() as tx:
        for kpi_id, unit, direction, frequency, aggregation in kpis:
            tx.execute("INSERT INTO kpis (id, name, department_id, unit, direction, frequency, aggregation, owner, "
                       "archived) VALUES (?, ?, 'public-works', ?, ?, ?, ?, 'Ops lead', ?)",
                       [kpi_id, f"Zz {kpi_id}", unit, direction, frequency, aggregation, kpi_id == ARCHIVED])
        for kpi_id, frequency, start, value in ((LATE, "monthly", date(2026, 4, 1), 10.0),
                                                (QUARTERLY, "quarterly", date(2026, 1, 1), 30.0),
                                                (WEEKLY, "weekly", date(2025, 11, 17), 5.0),
                                                (PERCENT, "monthly", date(2026, 9, 1), 0.9523)):
            tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) VALUES (?, ?, ?, ?)",
                       [kpi_id, frequency, start, value])
        # Annual targets on both sides of the fiscal year's end (July): 1,200 in FY2026, 2,400 in FY2027.
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) VALUES "
                   "(?, 'annual', DATE '2025-07-01', 1200), (?, 'annual', DATE '2026-07-01', 2400)", [LATE, LATE])
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) VALUES "
                   "(?, 'monthly', DATE '2026-10-01', 0.9)", [PERCENT])
        tx.execute("INSERT INTO kpi_definitions (kpi_id, version, sql, datasets, output, created_by) "
                   "VALUES (?, 1, 'SELECT 1', [], [], 'tests')", [COMPUTED])


def _rows(services, scope=ANALYST, department=None):
    return entry_rows(services, scope, DEMO_TODAY, department)


def _of(rows, kpi_id):
    return [row for row in rows if row["kpi_id"] == kpi_id]


def _grid(rows):
    """The rows as the page sends them back: values as shown (percents in points), notes as text."""
    return [{"kpi_id": r["kpi_id"], "period": r["label"], "value": shown_value(r), "note": r["note"] or ""}
            for r in rows]


def _value(services, kpi_id, start):
    return services.warehouse.query("SELECT value FROM observations WHERE kpi_id = $k AND period_start = $p "
                                    "AND dimension = ''", {"k": kpi_id, "p": start}).scalar()


def _commit(services, grid, scope=ANALYST, **options):
    return commit_entries(services, scope, grid, as_of=DEMO_TODAY, **options)


def _typed(services, kpi_id, label, value, note="", scope=ANALYST):
    """The analyst's grid with one cell typed in."""
    grid = _grid(_rows(services, scope))
    row = next(r for r in grid if r["kpi_id"] == kpi_id and r["period"] == label)
    row["value"], row["note"] = value, note or row["note"]
    return grid


# -- who gets which rows --------------------------------------------------------------------------------------
def test_an_analyst_gets_their_departments_kpis_and_a_manager_every_department(services):
    mine = {row["department_id"] for row in _rows(services)}
    assert mine == {"public-works"}
    everyone = {row["department_id"] for row in _rows(services, MANAGER)}
    assert {"public-works", "police", "fire"} <= everyone
    assert {row["department_id"] for row in _rows(services, MANAGER, "police")} == {"police"}
    assert _rows(services, ANALYST, "police") == []   # not theirs, whatever they ask for
    assert _rows(services, VIEWER) == []


def test_computed_and_archived_kpis_are_left_out(services):
    listed = {row["kpi_id"] for row in _rows(services)}
    assert LATE in listed and COMPUTED not in listed and ARCHIVED not in listed


def test_each_kpi_has_its_current_period_with_the_stored_value(services):
    rows = _of(_rows(services), "potholes-repaired")
    assert [(r["label"], r["current"], r["state"]) for r in rows] == [("2026-10", True, "entered")]
    assert rows[0]["value"] == _value(services, "potholes-repaired", date(2026, 10, 1))
    assert rows[0]["due_date"] == date(2026, 11, 30) and rows[0]["owner"]


def test_periods_owed_are_listed_across_the_fiscal_years_end(services):
    rows = _of(_rows(services), LATE)
    assert [r["label"] for r in rows] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert [r["state"] for r in rows] == ["overdue"] * 5 + ["due"]
    assert rows[0]["due_date"] == date(2026, 6, 30) and rows[0]["days_late"] == (DEMO_TODAY - date(2026, 6, 30)).days
    assert rows[-1]["current"] and not any(r["current"] for r in rows[:-1])
    # Each period's target comes from its own fiscal year: a month's share of 1,200, then of 2,400.
    assert [r["target_value"] for r in rows] == [100.0, 100.0, 200.0, 200.0, 200.0, 200.0]
    quarters = _of(_rows(services), QUARTERLY)
    assert [r["label"] for r in quarters] == ["FY2026-Q4", "FY2027-Q1"]
    assert all(r["periods_owed"] == 2 and not r["capped"] for r in quarters)


def test_a_kpi_owing_more_than_the_cap_lists_the_latest_periods_and_says_so(services):
    rows = _of(_rows(services), WEEKLY)
    assert len(rows) == MAX_PERIODS and all(r["capped"] for r in rows)
    assert rows[0]["periods_owed"] > MAX_PERIODS
    assert rows[-1]["label"] == "2026-W47" and rows[-1]["current"]


def test_kpis_owing_values_come_first(services):
    states = [row["state"] for row in _rows(services)]
    first_entered = states.index("entered")
    assert "overdue" in states[:first_entered] and set(states[first_entered:]) == {"entered"}


# -- numbers as typed -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, language, number", [
    ("85", "en", 85.0), ("85,5", "es", 85.5), ("85,5", "en", 85.5), ("85.5", "pt", 85.5), ("1,234", "en", 1234.0),
    ("1.234,5", "es", 1234.5), ("1,234.5", "en", 1234.5), (" 12 345 ", "pt", 12345.0), ("85 %", "es", 85.0),
    ("-3", "en", -3.0), (12, "en", 12.0), ("", "en", None), (None, "es", None),
])
def test_typed_numbers_are_read_with_a_decimal_comma_or_point(text, language, number):
    assert parse_number(text, language) == number


@pytest.mark.parametrize("text", ["lots", "1,2,3", "1.2.3,4,5", "nan", "inf", "1e999", True, [1], "--1"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_number(text, "es")


# -- committing -----------------------------------------------------------------------------------------------
def test_percents_typed_in_points_are_stored_as_fractions_and_shown_back_in_points(services):
    grid = _typed(services, PERCENT, "2026-10", "85,5")
    result = _commit(services, grid, language="es")
    try:
        assert result["committed"] and result["accepted"] == 1 and result["problems"] == []
        assert _value(services, PERCENT, date(2026, 10, 1)) == pytest.approx(0.855)
        row = _of(_rows(services), PERCENT)[-1]
        assert shown_value(row) == 85.5
    finally:
        importing.revert(services, ANALYST, result["batch_id"])


def test_unchanged_rows_are_not_written(services):
    grid = _grid(_rows(services))
    nothing = _commit(services, grid)
    assert nothing["changed"] == 0 and nothing["batch_id"] is None and nothing["problems"] == []
    # A stored percent shown in points (0.9323 -> 93.23) comes back as the same value.
    assert next(r for r in grid if r["kpi_id"] == "graffiti-5d")["value"] == 93.23
    grid = _typed(services, LATE, "2026-05", 11)
    result = _commit(services, grid)
    try:
        assert result["changed"] == 1 and result["accepted"] == 1 and result["replaced"] == 0
        assert imports.get_batch(services.warehouse, result["batch_id"])["rows_accepted"] == 1
    finally:
        importing.revert(services, ANALYST, result["batch_id"])


def test_a_changed_note_rewrites_the_row_with_its_stored_value(services):
    grid = _typed(services, "potholes-repaired", "2026-10", None)
    row = next(r for r in grid if r["kpi_id"] == "potholes-repaired")
    row["value"] = shown_value(_of(_rows(services), "potholes-repaired")[0])
    row["note"] = "Two crews on storm duty."
    result = _commit(services, grid)
    try:
        assert result["accepted"] == 1 and result["replaced"] == 1
        note = services.warehouse.query("SELECT note FROM observations WHERE kpi_id = 'potholes-repaired' AND "
                                        "period_start = DATE '2026-10-01' AND dimension = ''").scalar()
        assert note == "Two crews on storm duty."
    finally:
        importing.revert(services, ANALYST, result["batch_id"])


def test_a_bad_value_is_a_problem_on_its_row_and_nothing_is_written(services):
    grid = _typed(services, LATE, "2026-05", 11)
    bad = next(i for i, r in enumerate(grid) if r["kpi_id"] == LATE and r["period"] == "2026-07")
    grid[bad]["value"] = "lots"
    batches = len(imports.list_batches(services.warehouse))
    result = _commit(services, grid, language="es")
    assert not result["committed"] and result["batch_id"] is None
    assert [(p["row"], p["kpi_id"], p["period"]) for p in result["problems"]] == [(bad, LATE, "2026-07")]
    assert "no es un número" in result["problems"][0]["message"]
    assert _value(services, LATE, date(2026, 5, 1)) is None
    assert len(imports.list_batches(services.warehouse)) == batches
    assert audit.events(services, action="entry.commit", limit=1)[0].outcome == "failure"


def test_the_engines_problems_come_back_on_the_grid_row(services):
    # Two rows for one period with different values: the import engine refuses the second
    # one's line; it comes back as that row of the grid.
    grid = _typed(services, LATE, "2026-05", 11)
    grid.append({"kpi_id": LATE, "period": "2026-05", "value": 12, "note": ""})
    result = _commit(services, grid, dry_run=True)
    rows = {p["row"] for p in result["problems"]}
    assert len(grid) - 1 in rows and all(p["kpi_id"] == LATE for p in result["problems"])


def test_a_stored_value_cannot_be_cleared_and_a_note_needs_a_value(services):
    grid = _typed(services, "potholes-repaired", "2026-10", "")
    result = _commit(services, grid)
    assert [p["kpi_id"] for p in result["problems"]] == ["potholes-repaired"]
    assert "undo the batch" in result["problems"][0]["message"]
    grid = _typed(services, LATE, "2026-06", None, note="Counts late from the vendor")
    assert "needs a value" in _commit(services, grid)["problems"][0]["message"]


def test_crafted_rows_are_refused(services):
    # Periods not over, not of the KPI, computed and archived KPIs, unknown ids and junk.
    rows = [{"kpi_id": LATE, "period": "2026-11", "value": 1}, {"kpi_id": LATE, "period": "FY2026", "value": 1},
            {"kpi_id": COMPUTED, "period": "2026-10", "value": 1},
            {"kpi_id": ARCHIVED, "period": "2026-10", "value": 1},
            {"kpi_id": "no-such-kpi", "period": "2026-10", "value": 1}, "junk",
            {"kpi_id": LATE, "period": "2026-10", "value": 1, "note": 5}]
    result = _commit(services, rows, scope=MANAGER)
    assert [p["row"] for p in result["problems"]] == list(range(len(rows)))
    assert result["batch_id"] is None and _value(services, LATE, date(2026, 10, 1)) is None


def test_another_departments_kpi_is_refused_and_audited(services):
    grid = _typed(services, LATE, "2026-05", 11)
    grid.append({"kpi_id": "homicides", "period": "2026-10", "value": 1, "note": ""})
    before = _value(services, "homicides", date(2026, 10, 1))
    result = _commit(services, grid)
    assert result["batch_id"] is None
    assert [(p["row"], p["kpi_id"]) for p in result["problems"]] == [(len(grid) - 1, "homicides")]
    assert _value(services, "homicides", date(2026, 10, 1)) == before
    assert _value(services, LATE, date(2026, 5, 1)) is None
    event = audit.events(services, action="entry.commit", limit=1)[0]
    assert event.outcome == "denied" and event.actor == "analyst" and event.details["departments"] == ["police"]


def test_a_viewer_writes_nothing_and_is_audited(services):
    result = _commit(services, [{"kpi_id": LATE, "period": "2026-05", "value": 1}], scope=VIEWER)
    assert result["problems"] and result["batch_id"] is None
    assert audit.events(services, action="entry.commit", limit=1)[0].outcome == "denied"


def test_one_manual_batch_audited_and_reverted_as_a_whole(services):
    grid = _typed(services, LATE, "2026-05", 11)
    next(r for r in grid if r["kpi_id"] == LATE and r["period"] == "2026-06")["value"] = "12,5"
    next(r for r in grid if r["kpi_id"] == "potholes-repaired")["value"] = 999
    stored = _value(services, "potholes-repaired", date(2026, 10, 1))
    checked = _commit(services, grid, dry_run=True)
    assert checked["dry_run"] and checked["accepted"] == 3 and checked["replaced"] == 1 and not checked["batch_id"]
    assert _value(services, LATE, date(2026, 5, 1)) is None
    result = _commit(services, grid)
    batch = imports.get_batch(services.warehouse, result["batch_id"])
    assert batch["kind"] == "manual" and batch["created_by"] == "analyst" and batch["rows_accepted"] == 3
    assert _value(services, LATE, date(2026, 6, 1)) == 12.5 and _value(services, "potholes-repaired",
                                                                       date(2026, 10, 1)) == 999
    event = audit.events(services, action="entry.commit", limit=1)[0]
    assert event.outcome == "success" and event.details["batch_id"] == result["batch_id"]
    assert event.details["accepted"] == 3 and event.details["replaced"] == 1
    importing.revert(services, ANALYST, result["batch_id"])
    assert _value(services, LATE, date(2026, 5, 1)) is None and _value(services, LATE, date(2026, 6, 1)) is None
    assert _value(services, "potholes-repaired", date(2026, 10, 1)) == stored


def test_the_kpis_an_entry_turns_off_track_are_named(services):
    # 50 % against a 90 % target is off track; 1,000 so far this fiscal year against 4/12 of
    # 2,400 is on track.
    grid = _typed(services, PERCENT, "2026-10", 50)
    next(r for r in grid if r["kpi_id"] == LATE and r["period"] == "2026-10")["value"] = 1000
    result = _commit(services, grid)
    try:
        turned = result["turned_off_track"]
        assert [(t["kpi_id"], t["period"], t["has_narrative"]) for t in turned] == [(PERCENT, "2026-10", False)]
    finally:
        importing.revert(services, ANALYST, result["batch_id"])


def test_a_kpi_is_named_only_for_its_latest_period(services):
    # A correction to September leaves October the period its status is about: not this entry's doing.
    result = _commit(services, [{"kpi_id": PERCENT, "period": "2026-09", "value": 1}])
    try:
        assert result["committed"] and result["turned_off_track"] == []
    finally:
        importing.revert(services, ANALYST, result["batch_id"])
    assert _value(services, PERCENT, date(2026, 9, 1)) == 0.9523


def test_a_written_narrative_is_noted(services, monkeypatch):
    from web.narratives import save_narrative

    monkeypatch.setattr(services, "config", Config({**services.config.as_dict(), "narrative_required": "off_track"}))
    save_narrative(services, ANALYST, PERCENT, "2026-10", {"happened": "A vendor outage."})
    result = _commit(services, _typed(services, PERCENT, "2026-10", 40))
    try:
        assert [(t["kpi_id"], t["has_narrative"]) for t in result["turned_off_track"]] == [(PERCENT, True)]
    finally:
        importing.revert(services, ANALYST, result["batch_id"])
