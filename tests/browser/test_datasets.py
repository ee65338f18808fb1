"""The datasets page in real Chromium: an analyst loads the real LA 311 export with a profile
that names its date format, reads the report, the datasets table, the columns with their
types and the first rows, then reverts the load from its history; a viewer sees the page
without the load form. Whatever the test loaded is reverted afterwards."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from metrics.access import Scope
from tests.browser.conftest import screenshot
from web import datasets
from web.services import EXTENSION

LA_311 = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "la_311" / \
    "MyLA311_Service_Request_Data_2017_Subset.csv"
LA_FORMAT = "%m/%d/%Y %I:%M:%S %p"
PROFILE = {"name": "la_311", "columns": {"createddate": {"type": "timestamp", "format": LA_FORMAT},
                                         "closeddate": {"type": "timestamp", "format": LA_FORMAT}}}


@pytest.fixture
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def new_loads(services):
    """Reverts, newest first, whatever the test loaded and left standing."""
    before = max((b["id"] for b in datasets.history(services, "la_311")), default=0)
    yield
    for batch in datasets.history(services, "la_311"):
        if batch["id"] > before and batch["status"] == "loaded":
            datasets.revert(services, Scope("tests", "admin"), batch["id"])


def _ready(page):
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def test_an_analyst_loads_the_la_311_file_sees_it_and_reverts_it(page_as, new_loads):
    page = page_as("analyst")
    page.goto("/datasets")
    _ready(page)
    expect(page.locator("#datasets-load-card")).to_be_visible()
    expect(page.locator("#datasets-file-hint")).to_contain_text("MB")

    page.set_input_files("#datasets-file input[type=file]", str(LA_311))
    expect(page.locator("#datasets-file-status")).to_contain_text("is ready to load")
    # A format that is not the file's: every cell is listed, and nothing is loaded.
    wrong = {**PROFILE, "columns": {"createddate": {"type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"}}}
    page.locator("#datasets-profile").fill(json.dumps(wrong, indent=2))
    page.get_by_role("button", name="Load the file").click()
    errors = page.locator("#datasets-report .errors-table")
    expect(errors).to_contain_text("12/31/2017 11:59:58 PM", timeout=60_000)
    expect(errors.locator("tbody tr").first).to_contain_text("2")
    expect(page.locator("#datasets-report")).to_contain_text("format: 9,999")
    screenshot(page, "datasets-la-311-wrong-format")

    page.locator("#datasets-profile").fill(json.dumps(PROFILE, indent=2))
    page.get_by_role("button", name="Load the file").click()

    report = page.locator("#datasets-report .form-ok")
    expect(report).to_contain_text("Loaded 9,999 rows into la_311", timeout=60_000)
    expect(report).to_contain_text("Read as dates and times: createddate, closeddate")
    expect(report).to_contain_text("servicedate")      # looks like dates, stays text: the report says so

    row = page.locator(".datasets-table tbody tr", has_text="la_311")
    expect(row).to_contain_text("9,999")
    expect(row).to_contain_text("Dec 27, 2017 to Dec 31, 2017")
    expect(row).to_contain_text("by analyst")
    detail = page.locator("#datasets-detail")
    expect(detail.locator(".column-list")).to_contain_text("createddate date and time")
    expect(detail.locator(".column-list")).to_contain_text("requesttype text")
    expect(detail.locator(".preview-table tbody tr")).to_have_count(20)
    expect(detail.locator(".preview-table")).to_contain_text("1-870704831")
    expect(detail.locator(".preview-table")).to_contain_text("2017-12-31 23:59:58")
    expect(detail.locator(".history-table")).to_contain_text("MyLA311_Service_Request_Data_2017_Subset.csv")
    page.locator("#datasets-report").scroll_into_view_if_needed()
    screenshot(page, "datasets-la-311-loaded")

    page.once("dialog", lambda dialog: dialog.accept())
    detail.locator(".history-table tbody tr").first.get_by_role("button", name="Revert").click()
    expect(page.locator("#datasets-revert-message .form-ok")).to_contain_text("9,999 rows left la_311")
    assert not page.problems.items, page.problems.items


def test_a_viewer_sees_the_datasets_without_the_load_form(page_as):
    page = page_as("viewer")
    page.goto("/datasets")
    _ready(page)
    expect(page.get_by_role("heading", name="Loaded datasets")).to_be_visible()
    expect(page.locator("#datasets-load-card")).to_be_hidden()
    expect(page.get_by_role("link", name="Datasets")).to_have_count(0)
    screenshot(page, "datasets-viewer")
    assert not page.problems.items, page.problems.items
