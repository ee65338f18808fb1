"""Grid rows through the import engine (web.entry_batches): checked like a file, one batch,
kept for a revert, targets cleared in the same batch, kinds in the history."""
from __future__ import annotations

from datetime import date

import pytest

from metrics import imports
from metrics.access import Scope
from tests.conftest import seeded_demo_app
from web.entry_batches import commit_rows
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
ANALYST = Scope("analyst", "analyst", frozenset({"public-works"}))


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    server = seeded_demo_app(tmp_path_factory.mktemp("entry"))
    services = server.extensions[EXTENSION]
    with server.app_context():
        yield services
    services.close()


def _kpi(services, **where):
    sql = "SELECT id, unit, frequency, department_id FROM kpis WHERE NOT archived AND frequency = 'monthly'"
    for column, value in where.items():
        sql += f" AND {column} = '{value}'"
    return services.warehouse.query(sql + " AND id NOT IN (SELECT kpi_id FROM kpi_definitions) ORDER BY id").first()


def _value(services, kpi_id, start):
    return services.warehouse.query("SELECT value FROM observations WHERE kpi_id = $k AND period_start = $p "
                                    "AND dimension = ''", {"k": kpi_id, "p": start}).scalar()


def _target(services, kpi_id, frequency, start):
    return services.warehouse.query("SELECT value, low, high FROM targets WHERE kpi_id = $k AND frequency = $f "
                                    "AND period_start = $p", {"k": kpi_id, "f": frequency, "p": start}).first()


def test_values_commit_as_one_manual_batch_and_revert_restores(services):
    kpi = _kpi(services, unit="count")
    before = _value(services, kpi["id"], date(2026, 9, 1))
    report = commit_rows(services, MANAGER, [{"kpi_id": kpi["id"], "period": "2026-09", "value": 4321.5,
                                              "note": "typed in"}], kind="manual", file_name="entry.csv")
    assert report.committed and report.accepted == 1
    assert _value(services, kpi["id"], date(2026, 9, 1)) == 4321.5
    batch = imports.get_batch(services.warehouse, report.batch_id)
    assert batch["kind"] == "manual" and batch["created_by"] == "manager"
    imports.revert_batch(services.warehouse, report.batch_id, "manager")
    assert _value(services, kpi["id"], date(2026, 9, 1)) == before


def test_a_bad_row_commits_nothing(services):
    kpi = _kpi(services, unit="count")
    before = _value(services, kpi["id"], date(2026, 8, 1))
    report = commit_rows(services, MANAGER, [{"kpi_id": kpi["id"], "period": "2026-08", "value": 10.0},
                                             {"kpi_id": "no-such-kpi", "period": "2026-08", "value": 1.0}],
                         kind="manual", file_name="entry.csv")
    assert not report.committed and report.rejected == 1
    assert report.errors[0]["line"] == 3
    assert _value(services, kpi["id"], date(2026, 8, 1)) == before


def test_analyst_cannot_write_another_department(services):
    other = _kpi(services)
    other = services.warehouse.query("SELECT id FROM kpis WHERE department_id <> 'public-works' AND NOT archived "
                                     "AND frequency = 'monthly' ORDER BY id").first()
    report = commit_rows(services, ANALYST, [{"kpi_id": other["id"], "period": "2026-08", "value": 1.0}],
                         kind="manual", file_name="entry.csv")
    assert not report.committed and report.errors


def test_targets_set_and_cleared_in_one_batch_then_reverted(services):
    kpi = _kpi(services, unit="count")
    start = date(2026, 10, 1)
    first = commit_rows(services, MANAGER, [{"kpi_id": kpi["id"], "period": "2026-10", "target": 100.0},
                                            {"kpi_id": kpi["id"], "period": "2026-11", "target": 110.0}],
                        kind="targets", file_name="targets.csv")
    assert first.committed and first.targets == 2
    second = commit_rows(services, MANAGER, [{"kpi_id": kpi["id"], "period": "2026-11", "target": 120.0}],
                         kind="targets", file_name="targets.csv", clear_targets=[(kpi["id"], "monthly", start)])
    assert second.committed and second.targets_cleared == 1
    assert _target(services, kpi["id"], "monthly", start) is None
    assert _target(services, kpi["id"], "monthly", date(2026, 11, 1))["value"] == 120.0
    imports.revert_batch(services.warehouse, second.batch_id, "manager")
    assert _target(services, kpi["id"], "monthly", start)["value"] == 100.0
    assert _target(services, kpi["id"], "monthly", date(2026, 11, 1))["value"] == 110.0
    imports.revert_batch(services.warehouse, first.batch_id, "manager")


def test_only_clearing_still_makes_a_batch(services):
    kpi = _kpi(services, unit="count")
    commit_rows(services, MANAGER, [{"kpi_id": kpi["id"], "period": "FY2027", "target": 5000.0}],
                kind="targets", file_name="targets.csv")
    report = commit_rows(services, MANAGER, [], kind="targets", file_name="targets.csv",
                         clear_targets=[(kpi["id"], "annual", date(2026, 7, 1))])
    assert report.committed and report.targets_cleared == 1 and report.batch_id
    assert _target(services, kpi["id"], "annual", date(2026, 7, 1)) is None


def test_half_a_band_is_refused_by_line(services):
    kpi = _kpi(services, unit="count")
    report = commit_rows(services, MANAGER, [{"kpi_id": kpi["id"], "period": "2026-10", "target_low": 5.0},
                                             {"kpi_id": kpi["id"], "period": "2026-11", "target_low": 5.0,
                                              "target_high": 9.0}],
                         kind="targets", file_name="targets.csv", dry_run=True)
    assert [e["reason"].code for e in report.errors] == ["import.target_half_band"]
    assert report.errors[0]["line"] == 2


def test_an_archived_kpi_takes_no_values_and_imports_leave_versions(services):
    from metrics import versions
    kpi = _kpi(services, unit="count")
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE kpis SET archived = TRUE WHERE id = ?", [kpi["id"]])
    try:
        report = commit_rows(services, MANAGER, [{"kpi_id": kpi["id"], "period": "2026-09", "value": 1.0}],
                             kind="manual", file_name="entry.csv")
        assert not report.committed and report.errors[0]["reason"].code == "import.archived"
    finally:
        with services.warehouse.transaction() as tx:
            tx.execute("UPDATE kpis SET archived = FALSE WHERE id = ?", [kpi["id"]])
