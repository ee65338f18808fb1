"""The import wizard and history in real Chromium: an analyst uploads a small Public Works
file, reads the preview, dry-runs and imports it; a returning analyst picks a saved
profile, uploads and presses "Check and import"; the importer reverts from the history.
Every import is reverted afterwards, so the shared demo city stays as it was."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from metrics import imports
from metrics.access import Scope
from metrics.profiles import Profile
from tests.browser.conftest import screenshot
from web import importing
from web.services import EXTENSION

KPI = "curb-ramps"


@pytest.fixture
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def monthly_file(services, tmp_path):
    """Two months of a Public Works KPI, each with the value it already has."""
    rows = []
    for month in ("2026-08", "2026-09"):
        value = services.warehouse.query("SELECT value FROM observations WHERE kpi_id = ? AND period_start = ? "
                                         "AND dimension = ''", [KPI, f"{month}-01"]).scalar()
        rows.append(f"{KPI},{month},{value:g},Crew log checked")
    path = tmp_path / "public-works-october.csv"
    path.write_text("KPI ID,Month,Actual,Note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def new_batches(services):
    """Reverts whatever the test imported."""
    before = imports.list_batches(services.warehouse)[0]["id"]
    yield
    for batch in imports.list_batches(services.warehouse):
        if batch["id"] > before and batch["status"] == "committed" and batch["kind"] == "import":
            imports.revert_batch(services.warehouse, batch["id"], "tests")


def _ready(page):
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def _upload(page, path):
    page.set_input_files("#imports-file input[type=file]", str(path))
    expect(page.locator("#imports-file-status .form-ok")).to_contain_text(path.name)


def test_analyst_walks_the_wizard_from_upload_to_import(page_as, monthly_file, services, new_batches):
    page = page_as("analyst")
    page.goto("/")
    _ready(page)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Imports").click()
    expect(page.locator("#main h1")).to_have_text("Import data")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#imports-file-hint")).to_contain_text("Files up to")

    _upload(page, monthly_file)
    preview = page.locator(".preview-table")
    expect(preview.locator("thead th")).to_have_text(["#", "KPI ID", "Month", "Actual", "Note"])
    expect(preview.locator("tbody tr")).to_have_count(2)
    facts = page.locator(".import-facts")
    expect(facts).to_contain_text("utf-8")
    expect(facts).to_contain_text("comma (,)")
    expect(facts).to_contain_text("Long: a row per KPI and period")

    # The suggestions map the headers; the profile JSON follows the form.
    expect(page.locator("#imports-f-kpi_id")).to_contain_text("KPI ID")
    expect(page.locator("#imports-f-period")).to_contain_text("Month")
    expect(page.locator("#imports-f-value")).to_contain_text("Actual")
    expect(page.locator("#imports-json-check .form-ok")).to_contain_text("The profile is complete")
    page.get_by_text("Skip them, import the rest").click()
    page.get_by_text("Profile (JSON)").click()
    expect(page.locator("#imports-json")).to_have_value(re.compile(r'"on_error": "skip"'))
    page.get_by_text("Stop the import").click()
    expect(page.locator("#imports-json")).not_to_have_value(re.compile("on_error"))

    name = f"pw-monthly-{uuid.uuid4().hex[:6]}"
    page.get_by_label("Profile name").fill(name)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#imports-save-message .form-ok")).to_contain_text(name)

    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    page.get_by_role("button", name="Dry run").click()
    report = page.locator("#imports-report")
    expect(report).to_contain_text("no row was rejected")
    expect(report.locator(".import-counts")).to_contain_text("Values replaced")
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_enabled()
    page.wait_for_load_state("networkidle")
    screenshot(page, "import-wizard-en")

    page.get_by_role("button", name="Import", exact=True).click()
    expect(report.locator(".form-ok")).to_contain_text("Imported as batch #")
    latest = imports.list_batches(services.warehouse)[0]
    assert latest["created_by"] == "analyst" and latest["profile_name"] == name and latest["rows_accepted"] == 2
    expect(report).to_contain_text(f"#{latest['id']}")
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    page.wait_for_load_state("networkidle")
    screenshot(page, "import-done-en")
    report.get_by_role("link", name="See the import history").click()
    expect(page.locator("#main h1")).to_have_text("Import history")
    expect(page.locator(".history-table tbody tr").first).to_contain_text(monthly_file.name)


def test_a_returning_analyst_checks_and_imports_with_a_saved_profile(page_as, monthly_file, services, new_batches):
    name = f"pw-saved-{uuid.uuid4().hex[:6]}"
    importing.save_profile(services, name, {"shape": "long", "columns": {
        "kpi_id": "KPI ID", "period": "Month", "value": "Actual", "note": "Note"}}, "analyst")
    page = page_as("analyst")
    page.goto("/imports")
    _ready(page)
    page.locator("#imports-profile").click()
    page.get_by_role("option", name=name, exact=True).click()
    expect(page.locator("#imports-map-box")).not_to_have_attribute("open", "")
    _upload(page, monthly_file)
    expect(page.locator("#imports-json-check .form-ok")).to_contain_text("The profile is complete")
    page.get_by_role("button", name="Check and import").click()
    expect(page.locator("#imports-report .form-ok")).to_contain_text("Imported as batch #")
    latest = imports.list_batches(services.warehouse)[0]
    assert latest["profile_name"] == name and latest["rows_accepted"] == 2


def test_a_bad_row_is_reported_with_its_line_and_reason(page_as, tmp_path, new_batches):
    path = tmp_path / "bad.csv"
    path.write_text(f"KPI ID,Month,Actual\n{KPI},2026-09,12\n{KPI},2026-13,7\n", encoding="utf-8")
    page = page_as("analyst")
    page.goto("/imports")
    _ready(page)
    _upload(page, path)
    expect(page.locator("#imports-json-check .form-ok")).to_be_visible()
    page.get_by_role("button", name="Check and import").click()
    report = page.locator("#imports-report")
    expect(report.locator("[role=alert]")).to_contain_text("Rows rejected: 1")
    row = report.locator(".errors-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text("3")
    expect(row).to_contain_text("2026-13")
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()


def test_the_importer_reverts_from_the_history(page_as, monthly_file, services, new_batches):
    report = importing.run(services, Scope("analyst", "analyst", frozenset({"public-works"})), monthly_file,
                           Profile.parse({"shape": "long", "columns": {
                               "kpi_id": "KPI ID", "period": "Month", "value": "Actual"}}),
                           file_name=monthly_file.name, profile_name=None, dry_run=False)
    assert report.committed
    page = page_as("analyst")
    page.goto("/imports/history")
    _ready(page)
    row = page.locator(".history-table tbody tr", has_text=f"#{report.batch_id}")
    expect(row).to_contain_text(monthly_file.name)
    expect(row).to_contain_text("Imported")
    expect(page.locator(".history-table tbody tr", has_text="demo city generator")
           .get_by_role("button")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    screenshot(page, "import-history-en")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"Revert import #{report.batch_id}").click()
    expect(page.locator("#import-history-message .form-ok")).to_contain_text(f"Import #{report.batch_id} was reverted")
    expect(row).to_contain_text("Reverted")
    expect(row.get_by_role("button")).to_have_count(0)


def test_a_viewer_sees_the_history_but_not_the_wizard(page_as):
    page = page_as("viewer")
    page.goto("/")
    _ready(page)
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="Import history")).to_be_visible()
    expect(navigation.get_by_role("link", name="Imports", exact=True)).to_have_count(0)
    navigation.get_by_role("link", name="Import history").click()
    expect(page.locator("#main h1")).to_have_text("Import history")
    expect(page.locator(".history-table tbody tr").first).to_be_visible()
    expect(page.locator(".history-table button")).to_have_count(0)
    page.goto("/imports")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Not available to your account")


def test_a_file_too_big_for_the_page_is_refused_before_it_is_sent(page_as, demo_app, tmp_path, monkeypatch):
    # 200 kB of requests: the page takes files up to 3/4 of that, less room for the rest.
    monkeypatch.setitem(demo_app.config, "MAX_CONTENT_LENGTH", 200_000)
    path = tmp_path / "everything.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 60_000)
    page = page_as("analyst")
    page.goto("/imports")
    _ready(page)
    expect(page.locator("#imports-file-hint")).to_contain_text("Files up to 0.1 MB")
    page.set_input_files("#imports-file input[type=file]", str(path))
    expect(page.locator("#imports-size-note")).to_contain_text("“everything.csv” is 0.2 MB; this page takes files "
                                                              "up to 0.1 MB")
    expect(page.locator("#imports-file-status")).to_be_empty()
    expect(page.locator(".preview-table")).to_have_count(0)
