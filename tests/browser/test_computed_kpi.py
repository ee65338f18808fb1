"""A computed KPI end to end in real Chromium, as a manager: load a raw 311 file on the
datasets page, create a KPI on /kpi-new, type its definition, preview the rows it would
store, save it, and see the KPI page with the computed values and where they come from.
Screenshots at each step; the page fixture fails the test on any console error."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from metrics.access import Scope
from tests.browser.conftest import screenshot
from tests.conftest import forget_kpis
from web import datasets
from web.services import EXTENSION

DEFINITION = """SELECT date_trunc('month', created) AS period,
       median(date_diff('hour', created, closed) / 24.0) AS value
FROM browser_311
WHERE closed IS NOT NULL
GROUP BY 1"""


def _requests_csv(path) -> None:
    """200 311 requests, 2026-01 to 2026-06, each closed a few days after it was opened."""
    lines = ["request_id,created,closed,district"]
    start = datetime(2026, 1, 1, 8, 0)
    for number in range(200):
        created = start + timedelta(hours=number * 21)
        closed = created + timedelta(hours=12 + (number % 7) * 18 + created.month * 10)
        lines.append(f"{number + 1},{created:%Y-%m-%d %H:%M:%S},{closed:%Y-%m-%d %H:%M:%S},D{number % 4 + 1}")
    path.write_text("\n".join(lines) + "\n")


def _ready(page):
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def new_loads(demo_app):
    """Reverts whatever the test loaded, so later tests of the shared app find no load of ours."""
    services = demo_app.extensions[EXTENSION]
    yield
    for batch in datasets.history(services, "browser_311"):
        if batch["status"] == "loaded":
            datasets.revert(services, Scope("tests", "admin"), batch["id"])
    forget_kpis(services, "browser-days-to-close")


def test_a_manager_loads_a_raw_file_and_defines_a_kpi_over_it(page_as, tmp_path, new_loads):
    raw = tmp_path / "requests_311.csv"
    _requests_csv(raw)
    page = page_as("manager")

    page.goto("/datasets")
    _ready(page)
    page.set_input_files("#datasets-file input[type=file]", str(raw))
    expect(page.locator("#datasets-file-status")).to_contain_text("is ready to load")
    profile = {"name": "browser_311", "mode": "replace",
               "columns": {"created": {"type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"},
                           "closed": {"type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"}}}
    page.locator("#datasets-profile").fill(json.dumps(profile, indent=2))
    page.get_by_role("button", name="Load the file").click()
    expect(page.locator("#datasets-report .form-ok")).to_contain_text("Loaded 200 rows into browser_311",
                                                                      timeout=60_000)
    screenshot(page, "computed-kpi-1-dataset-loaded")

    page.goto("/kpi-new")
    _ready(page)
    page.locator("#kpi-new-id").fill("browser-days-to-close")
    page.locator("#kpi-new-name").fill("Median days to close a 311 request")
    screenshot(page, "computed-kpi-2-new-kpi")
    page.get_by_role("button", name="Create and define").click()
    page.wait_for_url("**/kpi/browser-days-to-close/definition")
    _ready(page)
    expect(page.locator(".dataset-columns")).to_contain_text("browser_311")
    expect(page.locator("#kpi-def-history")).to_contain_text("no saved definition yet")

    page.locator("#kpi-def-sql").fill(DEFINITION)
    page.get_by_role("button", name="Preview").click()
    result = page.locator("#kpi-def-result")
    expect(result).to_contain_text("6 row(s) from browser_311", timeout=30_000)
    expect(result.locator(".preview-rows tbody tr")).to_have_count(6)
    screenshot(page, "computed-kpi-3-preview")

    page.get_by_role("button", name="Save the definition").click()
    expect(page.locator("#kpi-def-message")).to_contain_text("Saved as version 1; 6 value(s) computed",
                                                             timeout=30_000)
    expect(page.locator("#kpi-def-history .definition-history tbody tr")).to_have_count(1)
    expect(page.locator("#kpi-def-history")).to_contain_text("manager")
    screenshot(page, "computed-kpi-4-saved")

    page.get_by_role("link", name="See the KPI with its computed values").click()
    page.wait_for_url("**/kpi/browser-days-to-close")
    _ready(page)
    expect(page.locator("h1")).to_have_text("Median days to close a 311 request")
    expect(page.locator("#kpi-lineage")).to_contain_text("Computed from browser_311 by definition version 1")
    expect(page.locator("#kpi-lineage")).to_contain_text("Values from raw batch")
    expect(page.locator(".values-table tbody tr")).to_have_count(6)
    expect(page.locator("#kpi-chart .main-svg").first).to_be_visible()
    screenshot(page, "computed-kpi-5-kpi-page")
