"""A KPI's targets page in real Chromium: a manager types a fiscal year's targets into the grid
by keyboard (three months, then the year, whose cell is still being edited when Save is
pressed), saves, and sees the status and the history; the batch is reverted afterwards."""
from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from metrics import imports
from tests.browser.conftest import screenshot
from web.services import EXTENSION

KPI = "potholes-repaired"   # Public Works, monthly, a sum: FY2027 runs July 2026 to June 2027
GRID = "#kpi-targets-grid"


def _target(services, frequency: str, start: date):
    return services.warehouse.query("SELECT value FROM targets WHERE kpi_id = $k AND frequency = $f AND "
                                    "period_start = $p", {"k": KPI, "f": frequency, "p": start}).scalar()


def test_a_manager_types_a_fiscal_years_targets_and_saves_them(page_as, demo_app):
    services = demo_app.extensions[EXTENSION]
    last_batch = services.warehouse.query("SELECT coalesce(max(id), 0) FROM import_batches").scalar()
    year_before = _target(services, "annual", date(2026, 7, 1))
    page = page_as("manager")
    try:
        page.goto(f"/kpi/{KPI}/targets")
        page.wait_for_selector(f"{GRID} .ag-row[row-index='12']")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_have_text("Targets: Potholes repaired")
        expect(page.locator(f"{GRID} .ag-row[row-index='12']")).to_contain_text("FY2027 · whole fiscal year")

        page.locator(f"{GRID} .ag-row[row-index='0'] [col-id='label']").click()   # Jul 2026's period
        page.keyboard.press("ArrowRight")
        for value in ("1250", "1300", "1350"):   # typing starts editing; Enter saves the cell and moves down
            page.keyboard.type(value)
            page.keyboard.press("Enter")
        for _ in range(9):
            page.keyboard.press("ArrowDown")
        page.keyboard.type("15500")   # the year's total, left in its editor
        expect(page.locator(f"{GRID} .ag-row[row-index='12'] input")).to_have_value("15500")
        page.get_by_role("button", name="Save targets").click()

        status = page.locator("#kpi-targets-message [role=status]")
        expect(status).to_contain_text("Saved. Targets set: 4; cleared: 0.")
        expect(status.get_by_role("link")).to_have_attribute("href", "/imports/history")
        history = page.locator("#kpi-targets-history tbody tr")
        expect(history.filter(has_text="Sep 2026").first).to_contain_text("1,350")
        year_row = history.filter(has_text="FY2027").first
        expect(year_row).to_contain_text("manager")
        expect(year_row).to_contain_text(f"{year_before:,.0f}")
        expect(year_row).to_contain_text("15,500")
        # The grid is read back from the warehouse after the save.
        expect(page.locator(f"{GRID} .ag-row[row-index='2'] [col-id='value']")).to_have_text("1350")
        assert _target(services, "monthly", date(2026, 7, 1)) == 1250
        assert _target(services, "annual", date(2026, 7, 1)) == 15500
        page.wait_for_load_state("networkidle")
        screenshot(page, "kpi-targets-saved")
    finally:
        for batch in imports.list_batches(services.warehouse):
            if batch["id"] > last_batch and batch["kind"] == "targets" and batch["status"] == "committed":
                imports.revert_batch(services.warehouse, batch["id"], "manager")
    assert _target(services, "annual", date(2026, 7, 1)) == year_before
    assert _target(services, "monthly", date(2026, 7, 1)) is None
