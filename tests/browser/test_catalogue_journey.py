"""The catalogue kept in the app, end to end in real Chromium (issue #10): a manager creates a
goal, then a KPI kept by hand under it, types its fiscal year's targets in the grid, sees it
owed (and ownerless) in what is due, enters October's value in the data-entry grid, writes
October's narrative, and finds all of it on the KPI page and in what is due. Everything the
test wrote is taken out again afterwards."""
from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import delete

from appdb.models import Narrative
from metrics import imports
from tests.browser.conftest import screenshot
from tests.conftest import forget_kpis
from web.services import EXTENSION

GOAL, GOAL_TITLE = "e2e-clean-parks", "Clean and green parks"
KPI, KPI_NAME = "e2e-park-litter", "Park litter complaints"
MONTHS = 12                      # FY2027: July 2026 to June 2027, then the whole year
TARGET, YEAR_TARGET, OCTOBER = 40, 480, 35
STORY = {"happened": "Complaints fell to 35 in October.",
         "why": "Two more crews emptied the bins on weekends.",
         "next_steps": "Keep the weekend crews through the winter."}


def _cleanup(services, last_batch: int) -> None:
    for batch in imports.list_batches(services.warehouse):
        if batch["id"] > last_batch and batch["status"] == "committed" and batch["kind"] in ("manual", "targets"):
            imports.revert_batch(services.warehouse, batch["id"], "manager")
    forget_kpis(services, "e2e-%")
    with services.warehouse.transaction() as tx:
        tx.execute("DELETE FROM goals WHERE id = ?", [GOAL])
        tx.execute("DELETE FROM catalogue_versions WHERE item_type = 'goal' AND item_id = ?", [GOAL])
    with services.session() as session, session.begin():
        session.execute(delete(Narrative).where(Narrative.kpi_id == KPI))


def _choose(page, dropdown: str, text: str) -> None:
    """Open a Dash dropdown and pick the option that reads `text`."""
    page.locator(dropdown).click()
    page.get_by_role("option", name=text, exact=True).click()
    expect(page.locator(dropdown)).to_contain_text(text)


def _create_goal(page) -> None:
    page.goto("/goals/manage")
    page.wait_for_load_state("networkidle")
    page.locator("#goals-manage-title").fill(GOAL_TITLE)
    page.locator("#goals-manage-id").fill(GOAL)
    page.get_by_role("button", name="Create goal").click()
    expect(page.locator("#goals-manage-message")).to_contain_text(f"Created the goal “{GOAL_TITLE}”.")
    expect(page.locator("#goals-manage-tree")).to_contain_text(GOAL_TITLE)


def _create_kpi(page) -> None:
    page.goto("/kpi-new")
    page.wait_for_load_state("networkidle")
    page.locator("#kpi-new-id").fill(KPI)
    page.locator("#kpi-new-name").fill(KPI_NAME)
    _choose(page, "#kpi-new-department", "Department of Public Works")
    _choose(page, "#kpi-new-goal", GOAL_TITLE)
    _choose(page, "#kpi-new-direction", "Lower is better")
    page.get_by_label("Kept by hand (imported or entered)").check()
    page.get_by_role("button", name="Create and define").click()
    page.wait_for_url(f"**/kpi/{KPI}/edit")


def _type_targets(page) -> None:
    grid = "#kpi-targets-grid"
    page.goto(f"/kpi/{KPI}/targets")
    page.wait_for_selector(f"{grid} .ag-row[row-index='{MONTHS}']")
    page.wait_for_load_state("networkidle")
    page.locator(f"{grid} .ag-row[row-index='0'] [col-id='label']").click()
    page.keyboard.press("ArrowRight")
    for value in [TARGET] * MONTHS + [YEAR_TARGET]:   # typing edits; Enter keeps it and moves down
        page.keyboard.type(str(value))
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Save targets").click()
    expect(page.locator("#kpi-targets-message [role=status]")).to_contain_text(
        f"Saved. Targets set: {MONTHS + 1}; cleared: 0.")
    expect(page.locator("#kpi-targets-history tbody tr").filter(has_text="FY2027").first).to_contain_text("480")


def _due_row(page):
    page.goto("/due?department=public-works")
    page.wait_for_load_state("networkidle")
    return page.locator("tr.due-row").filter(has_text=KPI_NAME)


def _enter_october(page) -> None:
    page.goto("/entry?department=public-works")
    page.wait_for_selector("#entry-grid .ag-row")
    page.wait_for_load_state("networkidle")
    row = page.locator(f'#entry-grid .ag-center-cols-container .ag-row[row-id="{KPI}|2026-10"]')
    expect(row).to_be_visible()
    row.locator('[col-id="value"]').click()
    page.keyboard.type(str(OCTOBER))
    page.get_by_role("button", name="Save values").click()
    expect(page.locator("#entry-saved-text [role=status]")).to_contain_text("Saved 1 value as batch ")


def _write_narrative(page) -> None:
    page.goto(f"/kpi/{KPI}")
    page.wait_for_selector("#kpi-narrative-form")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#kpi-narrative-period")).to_contain_text("Oct 2026")   # the latest period, chosen
    page.locator("#kpi-narrative-happened").fill(STORY["happened"])
    page.locator("#kpi-narrative-why").fill(STORY["why"])
    page.locator("#kpi-narrative-next").fill(STORY["next_steps"])
    page.get_by_role("button", name="Save narrative").click()
    expect(page.locator("#kpi-narrative-message")).to_contain_text("Narrative saved for Oct 2026.")


def test_a_goal_a_kpi_its_targets_a_month_of_values_and_a_narrative(page_as, demo_app):
    services = demo_app.extensions[EXTENSION]
    last_batch = services.warehouse.query("SELECT coalesce(max(id), 0) FROM import_batches").scalar()
    page = page_as("manager")
    try:
        _create_goal(page)
        _create_kpi(page)
        _type_targets(page)

        # Never reported: October's value is owed (due by the end of November), and nobody owns the KPI.
        owed = _due_row(page)
        expect(owed).to_have_count(1)
        expect(owed).to_contain_text("Oct 2026")
        expect(owed).to_contain_text("No owner")

        _enter_october(page)
        _write_narrative(page)

        # The KPI page: its goal, its value against its target, and the story.
        page.goto(f"/kpi/{KPI}")
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1")).to_have_text(KPI_NAME)
        main = page.locator("#main")
        expect(main).to_contain_text(GOAL_TITLE)
        expect(main).to_contain_text("On track")   # 35 complaints against 40, lower is better
        def tile(label: str):
            return page.locator(".kpi-tiles .tile").filter(has=page.locator("dt", has_text=re.compile(f"^{label}$")))
        expect(tile("Latest value")).to_contain_text(f"{OCTOBER}Oct 2026")
        expect(tile("Target")).to_contain_text(f"{TARGET}Target for this period")
        stories = page.locator("#kpi-narrative-list")
        for part in STORY.values():
            expect(stories).to_contain_text(part)
        screenshot(page, "catalogue-journey-kpi")

        # What is due: October came, so nothing is owed now; the KPI still has no owner.
        expect(_due_row(page)).to_have_count(0)
        expect(page.locator("#due-unowned")).to_contain_text(KPI_NAME)
        screenshot(page, "catalogue-journey-due")

        assert services.warehouse.query("SELECT value FROM observations WHERE kpi_id = $k AND period_start = $p",
                                        {"k": KPI, "p": date(2026, 10, 1)}).scalar() == OCTOBER
    finally:
        _cleanup(services, last_batch)
