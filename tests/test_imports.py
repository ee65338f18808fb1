"""The import engine: shapes, parsing, reports, history and revert, on small files made
here, the broken-file corpus in tests/fixtures/imports, and the real exports in
../shared/data/real."""
from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from data.demo_city import seed_demo
from metrics import imports
from metrics.access import Scope
from metrics.imports import ImportError_, parse_period
from metrics.periods import FiscalCalendar, PeriodError
from metrics.profiles import Profile, ProfileError, suggest_columns
from metrics.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
CORPUS = Path(__file__).parent / "fixtures" / "imports"
JULY = FiscalCalendar(7)
ADMIN = Scope("admin", "admin")
LONG = {"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "value": "value"}}
WITH_NOTE = {"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "value": "value", "note": "note"}}
TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A demo-city warehouse file, copied fresh for each test that writes."""
    folder = tmp_path_factory.mktemp("seeded")
    store = Warehouse(folder / "w.duckdb")
    seed_demo(store, JULY, today=TODAY)
    store.query("CHECKPOINT")
    store.close()
    return folder / "w.duckdb"


@pytest.fixture
def store(seeded, tmp_path):
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(seeded.read_bytes())
    warehouse = Warehouse(copy)
    yield warehouse
    warehouse.close()


def _csv(tmp_path, text: str, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _run(store, path, document=LONG, scope=ADMIN, **kwargs):
    return imports.run_import(store, JULY, path, Profile.parse(document), scope, **kwargs)


def _contents(store) -> str:
    """Every table's rows, as text, for 'unchanged' checks."""
    tables = sorted(store.tables())
    return json.dumps({t: store.query(f"SELECT * FROM {t} ORDER BY ALL").rows for t in tables}, default=str)


# -- profiles --------------------------------------------------------------------------------------
@pytest.mark.parametrize("document, problem", [
    ([], "JSON object"),
    ({"shape": "tall", "columns": {"kpi_id": "a", "period": "b", "value": "c"}}, '"shape" must be'),
    ({"shape": "long", "columns": {"kpi_id": "a", "value": "c"}}, 'needs "columns.period"'),
    ({"shape": "long", "columns": {"kpi_id": "a", "period": "b", "value": "c", "colour": "d"}}, "is not a field"),
    ({"shape": "long", "columns": {"kpi_id": "a", "period": "b", "value": "c"}, "values": {"percent": "maybe"}},
     '"values.percent"'),
    ({"shape": "long", "columns": {"kpi_id": "a", "period": "b", "value": "c"},
      "values": {"direction": {"More": "bigger"}}}, "is not one of up, down"),
    ({"shape": "wide", "columns": {"kpi_id": "a"}, "wide": [{"pattern": "([", "period": "FY{1}", "kind": "actual"}]},
     "not a regular expression"),
    ({"shape": "wide", "columns": {"kpi_id": "a"}, "wide": [{"pattern": "^FY$", "period": "FY{2}", "kind": "actual"}]},
     "group the pattern does not have"),
    ({"shape": "long", "columns": {"kpi_id": "a", "period": "b", "value": "c"}, "period_format": "dd/mm"},
     '"period_format"'),
])
def test_profiles_are_checked_with_clear_messages(document, problem):
    with pytest.raises(ProfileError, match=problem.replace("(", r"\(").replace("[", r"\[")):
        Profile.parse(document)


def test_suggestions_from_header_synonyms():
    suggestion = suggest_columns(["Measure ID", "Performance Measure", "Agency", "Actual", "Target", "Month"])
    assert suggestion == {"kpi_id": "Measure ID", "kpi_name": "Performance Measure", "department": "Agency",
                          "period": "Month", "value": "Actual", "target": "Target"}


# -- periods from what files write -------------------------------------------------------------------
@pytest.mark.parametrize("text, frequency, fmt, expected", [
    ("2014-06-15", "monthly", None, ("monthly", date(2014, 6, 1))),
    ("2016-06-27 00:00:00", "daily", None, ("daily", date(2016, 6, 27))),
    ("2014-06-15", "quarterly", None, ("quarterly", date(2014, 4, 1))),
    ("25/03/2024", "monthly", None, ("monthly", date(2024, 3, 1))),
    ("03/25/2024", "monthly", None, ("monthly", date(2024, 3, 1))),
    ("03/01/2024", "daily", "%d/%m/%Y", ("daily", date(2024, 1, 3))),
    ("45291", "monthly", "excel", ("monthly", date(2023, 12, 1))),
    ("FY2024", "monthly", None, ("annual", date(2023, 7, 1))),
    ("fy2024-q2", "quarterly", None, ("quarterly", date(2023, 10, 1))),
])
def test_periods_from_files(text, frequency, fmt, expected):
    period = parse_period(text, frequency, JULY, fmt)
    assert (period.frequency, period.start) == expected


@pytest.mark.parametrize("text, message", [
    ("03/01/2024", "could be day/month or month/day"),
    ("2024-02-30", "February 2024 has 29 days"),
    ("31/02/2024", "not a real date"),
    ("2024-Q1", "not on the city's fiscal calendar"),
    ("soon", "is not a period"),
])
def test_periods_are_never_guessed(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(text, "monthly" if "Q" not in text else "quarterly", FiscalCalendar(2), None)


# -- loading -----------------------------------------------------------------------------------------
def test_a_long_file_loads_with_percents_as_fractions(store, tmp_path):
    path = _csv(tmp_path, "kpi,period,value,note\n"
                          "potholes-repaired,2026-10,\"1,234\",fixed\n"
                          "311-within-sla,2026-10,85%,\n311-within-sla,2026-09,0.8,\n311-within-sla,2026-08,77,\n"
                          "violent-crimes,2026-10,N/A,\n")
    report = _run(store, path, WITH_NOTE)
    assert report.committed and report.error_count == 0
    assert (report.rows, report.accepted, report.empty) == (5, 4, 1)
    values = dict(store.query("SELECT period_start, value FROM observations WHERE kpi_id = '311-within-sla' "
                              "AND batch_id = ?", [report.batch_id]).rows)
    assert values == {date(2026, 10, 1): 0.85, date(2026, 9, 1): 0.8, date(2026, 8, 1): 0.77}
    assert store.query("SELECT value, note FROM observations WHERE kpi_id = 'potholes-repaired' "
                       "AND period_start = '2026-10-01' AND dimension = ''").rows == [(1234.0, "fixed")]


def test_a_rejected_row_writes_nothing(store, tmp_path):
    before = _contents(store)
    path = _csv(tmp_path, "kpi,period,value\npotholes-repaired,2026-10,12\npotholes-repaired,2026-09,twelve\n")
    report = _run(store, path)
    assert not report.committed and report.rejected == 1
    assert report.errors == [{"line": 3, "column": "value", "period": "2026-09", "value": "twelve",
                              "reason": "not a number"}]
    assert _contents(store) == before


def test_skip_loads_the_good_rows_and_lists_the_rest(store, tmp_path):
    path = _csv(tmp_path, "kpi,period,value\npotholes-repaired,2026-10,12\npotholes-repaired,2026-09,twelve\n")
    report = _run(store, path, {**LONG, "on_error": "skip"})
    assert report.committed and report.accepted == 1 and report.skipped == 1 and report.errors[0]["line"] == 3


def test_dry_run_reports_and_writes_nothing(store, tmp_path):
    before = _contents(store)
    report = _run(store, _csv(tmp_path, "kpi,period,value\npotholes-repaired,2026-10,12\n"), dry_run=True)
    assert report.accepted == 1 and report.replaced == 1 and not report.committed
    assert _contents(store) == before


def test_reimporting_is_idempotent_and_revert_restores_exactly(store, tmp_path):
    before = _contents(store)
    path = _csv(tmp_path, "kpi,period,value\npotholes-repaired,2026-10,12\npotholes-repaired,2026-11,7\n")
    first = _run(store, path, originals=tmp_path / "originals")
    second = _run(store, path)
    assert (first.replaced, second.replaced) == (1, 2)
    batches = {b["id"]: b for b in imports.list_batches(store)}
    original = Path(store.query("SELECT stored_path FROM import_batches WHERE id = ?", [first.batch_id]).scalar())
    assert original.read_bytes() == path.read_bytes()
    assert batches[first.batch_id]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    imports.revert_batch(store, second.batch_id, "tests")
    imports.revert_batch(store, first.batch_id, "tests")
    after = json.loads(_contents(store))
    expected = json.loads(before)
    for table in ("observations", "targets", "kpis"):
        assert after[table] == expected[table], table
    with pytest.raises(ImportError_, match="already reverted"):
        imports.revert_batch(store, first.batch_id, "tests")


def _doubled_keys(store) -> list[tuple]:
    return store.query("SELECT kpi_id, period_start, dimension, member, count(*) FROM observations "
                       "GROUP BY ALL HAVING count(*) > 1").rows


BY_DISTRICT = {"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "value": "value",
                                            "dimension": {"value": "district"}, "member": "district"}}


def test_importing_the_same_file_twice_keeps_one_row_per_key(store, tmp_path):
    """Observations have no key index: the import's delete-then-insert keeps keys unique."""
    path = _csv(tmp_path, "kpi,period,district,value\npotholes-repaired,2026-10,,12\n"
                          "potholes-repaired,2026-10,North,5\npotholes-repaired,2026-10,South,7\n"
                          "potholes-repaired,2026-11,,9\n")
    before = store.query("SELECT count(*) FROM observations").scalar()
    first, second = _run(store, path, BY_DISTRICT), _run(store, path, BY_DISTRICT)
    assert first.committed and second.committed and second.replaced == 4
    assert _doubled_keys(store) == []
    assert store.query("SELECT count(*) FROM observations").scalar() == before - first.replaced + 4
    imports.revert_batch(store, second.batch_id, "tests")
    assert _doubled_keys(store) == []
    assert store.query("SELECT count(*) FROM observations WHERE batch_id = ?", [first.batch_id]).scalar() == 4


def test_repeated_rows_load_once_when_they_agree(store, tmp_path):
    path = _csv(tmp_path, "kpi,period,value\npotholes-repaired,2026-10,12\npotholes-repaired,2026-10,12.0\n")
    report = _run(store, path)
    assert report.committed and report.accepted == 1 and report.error_count == 0
    assert _doubled_keys(store) == []


def test_repeated_breakdown_rows_that_disagree_are_rejected(store, tmp_path):
    # With a breakdown, repeats are found by hashing the keys, not by the (KPI, period) bitmap.
    path = _csv(tmp_path, "kpi,period,district,value\npotholes-repaired,2026-10,North,5\n"
                          "potholes-repaired,2026-10,South,5\npotholes-repaired,2026-10,North,6\n")
    report = _run(store, path, BY_DISTRICT)
    assert not report.committed
    assert [(e["line"], e["reason"]) for e in report.errors] == [
        (2, "the same KPI, period and breakdown has a different value on line 4"),
        (4, "the same KPI, period and breakdown has a different value on line 2")]


def test_cells_are_trimmed_of_every_kind_of_space(store, tmp_path):
    nbsp, thin = "\u00a0", "\u2009"
    path = _csv(tmp_path, "kpi,period,value\npotholes-repaired,2026-09,11\n"
                          f" potholes-repaired{nbsp},{thin}2026-10 , 12{nbsp}\n")
    report = _run(store, path)
    assert report.committed and report.accepted == 2, report.errors
    assert store.query("SELECT period_start, value FROM observations WHERE batch_id = ? ORDER BY 1",
                       [report.batch_id]).rows == [(date(2026, 9, 1), 11.0), (date(2026, 10, 1), 12.0)]


def test_line_numbers_hold_in_a_file_read_in_parallel(tmp_path):
    """Rows are numbered by their place in the staged table: true only if staging keeps the
    file's order, which a file of several buffers and row groups puts to the test."""
    days = [date(2022, 1, 1) + timedelta(days=i) for i in range(1000)]
    lines = [f"k{k:03d},{day.isoformat()},{k}.5" for k in range(500) for day in days]
    lines[1], lines[412_345] = lines[1].rsplit(",", 1)[0] + ",one", lines[412_345].rsplit(",", 1)[0] + ",x"
    path = _csv(tmp_path, "kpi,period,value\n" + "\n".join(lines) + "\n")
    document = {"shape": "long", "columns": {"kpi_id": "kpi", "kpi_name": "kpi", "period": "period",
                                             "value": "value", "frequency": {"value": "daily"}}}
    store = Warehouse(tmp_path / "w.duckdb")
    report = imports.run_import(store, JULY, path, Profile.parse(document), ADMIN, dry_run=True)
    assert [(e["line"], e["value"]) for e in report.errors] == [(3, "one"), (412_347, "x")]
    assert (report.rows, report.accepted) == (500_000, 499_998)
    store.close()


def test_targets_only_files_set_targets(store, tmp_path):
    path = _csv(tmp_path, "kpi,period,target\npotholes-repaired,FY2027,9999\n")
    report = _run(store, path, {"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "target": "target"}})
    assert report.committed and report.targets == 1 and report.accepted == 0
    assert store.query("SELECT value FROM targets WHERE kpi_id = 'potholes-repaired' AND frequency = 'annual' "
                       "AND period_start = '2026-07-01'").scalar() == 9999


def test_a_file_can_create_kpis(store, tmp_path):
    path = _csv(tmp_path, "Measure,Agency,Month,Actual,Better\nStreet trees planted,Parks,2026-10,42,Increase\n")
    document = {"shape": "long", "columns": {"kpi_name": "Measure", "department": "Agency", "period": "Month",
                                             "value": "Actual", "direction": "Better",
                                             "frequency": {"value": "monthly"}},
                "values": {"direction": {"increase": "up"}}}
    report = _run(store, path, document)
    assert report.kpis_created == ["street-trees-planted"]
    kpi = store.query("SELECT department_id, direction, frequency, unit FROM kpis WHERE id = 'street-trees-planted'").first()
    assert kpi == {"department_id": "parks", "direction": "up", "frequency": "monthly", "unit": "count"}


def test_analysts_import_only_their_departments(store, tmp_path):
    path = _csv(tmp_path, "kpi,period,value\npotholes-repaired,2026-10,12\nviolent-crimes,2026-10,3\n")
    report = _run(store, path, scope=Scope("ana", "analyst", frozenset({"public-works"})))
    assert not report.committed
    assert [e["reason"] for e in report.errors] == [
        "KPI 'violent-crimes' belongs to department police, which is not one of yours"]


def test_encodings_and_delimiters(store, tmp_path):
    text = "kpi;period;value;note\npotholes-repaired;2026-10;12;Año récord\n"
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        report = _run(store, _csv(tmp_path, text, f"{encoding}.csv", encoding), WITH_NOTE, dry_run=True)
        assert report.accepted == 1 and report.delimiter == ";", encoding
    report = _run(store, _csv(tmp_path, text, "latin.csv", "cp1252"), WITH_NOTE)
    assert store.query("SELECT note FROM observations WHERE batch_id = ?", [report.batch_id]).scalar() == "Año récord"


def test_decimal_commas_when_the_profile_says_so(store, tmp_path):
    path = _csv(tmp_path, "kpi;period;value\npotholes-repaired;2026-10;1.234,5\n")
    report = _run(store, path, {**LONG, "columns": {"kpi_id": "kpi", "period": "period", "value": "value"},
                                "decimal": ","})
    assert store.query("SELECT value FROM observations WHERE batch_id = ?", [report.batch_id]).scalar() == 1234.5


@pytest.mark.parametrize("name, message", [
    ("empty.csv", "The file is empty"),
    ("header_only.csv", "no rows of data"),
    ("binary.csv", "looks binary"),
    ("truncated.xlsx", "not a valid .xlsx"),
    ("wrong_delimiter.csv", "seems to put ';' between cells"),
    ("duplicate_keys.csv", "has a different value on line"),
    ("unknown_kpi.csv", "gives no name to create it"),
    ("non_numeric.csv", "not a number"),
    ("impossible_date.csv", "February 2024 has 29 days"),
    ("formula.csv", "not a number"),
    ("mixed_encoding.csv", "mixes encodings"),
    ("ragged.csv", "as many cells as the header"),
    ("zip_bomb.xlsx", "zip bomb"),
])
def test_broken_files_get_a_clear_report_and_change_nothing(store, name, message):
    before = _contents(store)
    store.query("CHECKPOINT")
    file_bytes = Path(store.path).read_bytes()
    try:
        document = WITH_NOTE if name == "formula.csv" else LONG
        if name == "wrong_delimiter.csv":
            document = {**LONG, "delimiter": ","}
        report = _run(store, CORPUS / name, document)
        assert not report.committed
        text = json.dumps(report.errors)
        assert message in text, text
    except (ImportError_, ProfileError) as error:
        assert message in str(error), str(error)
    assert _contents(store) == before
    store.query("CHECKPOINT")
    assert Path(store.path).read_bytes() == file_bytes


def test_a_sniffed_delimiter_needs_no_profile_setting(store):
    assert _run(store, CORPUS / "wrong_delimiter.csv", dry_run=True).delimiter == ";"


def test_a_named_encoding_reads_a_mixed_file_as_told(store):
    report = _run(store, CORPUS / "mixed_encoding.csv", {**WITH_NOTE, "encoding": "cp1252"}, dry_run=True)
    assert report.encoding == "cp1252" and report.accepted == 2


# -- the real exports -----------------------------------------------------------------------------------
def _profile(name: str) -> dict:
    return json.loads((ROOT / "data" / "profiles" / f"{name}.json").read_text())


def test_boston_cityscore(tmp_path):
    store = Warehouse(tmp_path / "w.duckdb")
    report = imports.run_import(store, JULY, REAL / "boston_cityscore" / "rptcityscoresummary.csv",
                                Profile.parse(_profile("boston-cityscore")), ADMIN)
    assert report.committed and report.rows == 12378 and report.error_count == 0
    assert len(report.kpis_created) == 22
    # Spot values against the file: the first data row, HOMICIDES (TREND) loaded 2016-06-27.
    assert store.query("SELECT value FROM observations WHERE kpi_id = 'boston-homicides-trend' "
                       "AND period_start = '2016-06-27'").scalar() == 0.0
    satisfaction = store.query("SELECT o.value, t.value FROM observations o JOIN targets t USING (kpi_id, period_start)"
                               " WHERE kpi_id = 'boston-city-services-satisfaction-surveys' "
                               "AND period_start = '2016-06-28'").rows
    assert satisfaction == [(2.0, 4.0)]
    assert store.query("SELECT count(DISTINCT kpi_id) FROM observations").scalar() == 22
    store.close()


def test_baltimore_performance_plan(tmp_path):
    store = Warehouse(tmp_path / "w.duckdb")
    report = imports.run_import(store, JULY, REAL / "baltimore_performance" / "perf_data_export.xlsx",
                                Profile.parse(_profile("baltimore-performance")), ADMIN)
    assert report.committed and report.rows == 1465 and report.sheet == "query (50)"
    assert store.query("SELECT count(DISTINCT department_id) FROM kpis").scalar() == 56
    # AM01 "% of general funds expended (unaudited)": FY 23 Actual 64.98% -> 0.6498 in FY2023.
    assert store.query("SELECT value FROM observations WHERE kpi_id = 'AM01' AND period_start = '2022-07-01'"
                       ).scalar() == pytest.approx(0.6498)
    assert store.query("SELECT unit FROM kpis WHERE id = 'AM01'").scalar() == "percent"
    assert store.query("SELECT direction FROM kpis WHERE id = 'AM02'").scalar() == "up"
    reasons = {e["reason"].split(" on line")[0].split(" but")[0] for e in report.errors}
    assert "not a number" in reasons and report.skipped > 0
    store.close()


# -- computed KPIs ----------------------------------------------------------------------------------
def test_a_computed_kpis_values_are_refused_but_its_targets_load(store, tmp_path):
    """Its values come from its SQL definition over raw data: an import must not write
    values the next recompute would silently replace."""
    kpi = store.query("SELECT id FROM kpis WHERE frequency = 'monthly' ORDER BY id LIMIT 1").scalar()
    with store.transaction() as tx:
        tx.execute("INSERT INTO kpi_definitions (kpi_id, version, sql, datasets, output, created_by) "
                   "VALUES (?, 1, 'SELECT 1', ['requests'], ['period', 'value'], 'tests')", [kpi])
    before = _contents(store)
    report = _run(store, _csv(tmp_path, f"kpi,period,value\n{kpi},2026-10,5\n"))
    assert not report.committed and report.errors[0]["reason"].startswith("the KPI is computed from raw data")
    assert _contents(store) == before
    targets = {"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "target": "target"}}
    loaded = _run(store, _csv(tmp_path, f"kpi,period,target\n{kpi},FY2027,7\n", name="t.csv"), targets)
    assert loaded.committed and loaded.targets == 1


# -- the catalogue's versions and archived KPIs (issue #10) ------------------------------------------
def test_an_import_that_creates_or_changes_kpis_leaves_their_versions(store, tmp_path):
    from metrics import versions
    profile = {"shape": "long", "columns": {"kpi_id": "kpi", "kpi_name": "name", "period": "period", "value": "value",
                                            "frequency": {"value": "monthly"}, "department": {"value": "police"}}}
    first = _run(store, _csv(tmp_path, "kpi,name,period,value\nnew-kpi,Brand new,2026-09,5\n"), profile)
    assert first.committed
    second = _run(store, _csv(tmp_path, "kpi,name,period,value\nnew-kpi,Renamed,2026-10,6\n", "b.csv"), profile)
    assert second.committed
    history = versions.history(store, "kpi", "new-kpi")
    assert [(v["version"], v["action"], v["changed_by"]) for v in history] == [(2, "update", "admin"),
                                                                               (1, "create", "admin")]
    assert history[0]["changes"] == {"name": {"old": "Brand new", "new": "Renamed"}}
    assert history[1]["changes"]["department"] == {"old": None, "new": "police"}


def test_an_archived_kpi_is_refused_with_a_reason(store, tmp_path):
    kpi = store.query("SELECT id FROM kpis WHERE frequency = 'monthly' AND id NOT IN "
                      "(SELECT kpi_id FROM kpi_definitions) ORDER BY id").scalar()
    store.query("UPDATE kpis SET archived = TRUE WHERE id = $id", {"id": kpi})
    before = _contents(store)
    report = _run(store, _csv(tmp_path, f"kpi,period,value\n{kpi},2026-09,5\n"))
    assert not report.committed and report.errors[0]["reason"].code == "import.archived"
    assert _contents(store) == before


def test_a_kpi_is_not_put_under_an_archived_goal(store, tmp_path):
    goal = store.query("SELECT id FROM goals ORDER BY id").scalar()
    store.query("UPDATE goals SET archived = TRUE WHERE id = $id", {"id": goal})
    profile = {"shape": "long", "columns": {"kpi_id": "kpi", "kpi_name": "name", "period": "period", "value": "value",
                                            "goal_id": "goal", "frequency": {"value": "monthly"},
                                            "department": {"value": "police"}}}
    report = _run(store, _csv(tmp_path, f"kpi,name,goal,period,value\nunder-archived,X,{goal},2026-09,5\n"), profile)
    assert not report.committed and report.errors[0]["reason"].code == "import.goal_archived"
