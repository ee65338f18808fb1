"""The publishing page in real Chromium: a manager withdraws a published KPI with the mouse,
a resident's browser (no sign-in) then finds its public page gone, and the manager
publishes it again; the page in Spanish; and no serious WCAG problem on the page.
Screenshots go to test-artifacts/screenshots/publishing-*.png."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations, describe
from tests.browser.conftest import SCREENSHOTS, Problems, _forget_language, screenshot, sign_in
from web.services import EXTENSION

KPI = "homicides"   # published in the demo city, under a sub-goal (Reduce gun violence)


@pytest.fixture
def kpi(demo_app):
    """The KPI the test withdraws and publishes again (restore_flags puts it back whatever
    happens in between)."""
    services = demo_app.extensions[EXTENSION]
    row = services.warehouse.query("SELECT id, name, published FROM kpis WHERE id = ?", [KPI]).dicts()[0]
    assert row["published"], "the demo city publishes this KPI"
    return row


@pytest.fixture(autouse=True)
def restore_flags(demo_app):
    """Every published flag as it was before the test (the demo app is shared)."""
    services = demo_app.extensions[EXTENSION]
    before = dict(services.warehouse.query("SELECT id, published FROM kpis").rows)
    yield
    changed = {k: v for k, v in services.warehouse.query("SELECT id, published FROM kpis").rows if before.get(k) != v}
    with services.warehouse.transaction() as tx:
        for kpi_id in changed:
            tx.execute("UPDATE kpis SET published = ? WHERE id = ?", [before[kpi_id], kpi_id])


def _counts(demo_app) -> tuple[int, int]:
    services = demo_app.extensions[EXTENSION]
    return services.warehouse.query("SELECT count(*) FILTER (WHERE published), count(*) FROM kpis "
                                    "WHERE NOT archived").rows[0]


def _open(tab):
    tab.goto("/publishing")
    tab.wait_for_selector(".publishing-table")
    tab.wait_for_load_state("networkidle")


def _expected_not_found(tab, path: str) -> None:
    """The resident's tab saw a 404 on purpose: not a problem of the page."""
    tab.problems.items[:] = [item for item in tab.problems.items
                             if not (path in item or "status of 404" in item)]


def test_a_manager_withdraws_and_publishes_a_kpi(page_as, demo_app, kpi):
    manager = page_as("manager")
    _open(manager)
    published, total = _counts(demo_app)
    counts = manager.locator("#publishing-counts")
    expect(counts).to_contain_text(f"{published} of {total} KPIs published")
    screenshot(manager, "publishing-en")

    switch = manager.get_by_role("switch", name=f"Published: {kpi['name']}", exact=True)
    row = manager.locator("tr", has=switch)
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(row.get_by_role("link", name="Public page")).to_have_attribute("href", f"/public/kpis/{KPI}")
    expect(row.get_by_role("link", name=kpi["name"])).to_have_attribute("href", f"/kpi/{KPI}")

    switch.click()   # withdraw it
    toast = manager.locator("#publishing-message")
    expect(toast).to_contain_text(f"Unpublished “{kpi['name']}”")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(row).to_contain_text("Staff only")
    expect(row.get_by_role("link", name="Public page")).to_have_count(0)
    expect(counts).to_contain_text(f"{published - 1} of {total} KPIs published")
    row.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    manager.screenshot(path=str(SCREENSHOTS / "publishing-withdrawn-en.png"))   # the window, toast included

    resident = page_as(None)
    answer = resident.goto(f"/public/kpis/{KPI}")
    assert answer.status == 404
    expect(resident.locator("h1")).to_be_visible()
    assert kpi["name"] not in resident.content()
    screenshot(resident, "publishing-public-gone")
    _expected_not_found(resident, f"/public/kpis/{KPI}")
    api = resident.request.get(f"/api/v1/kpis/{KPI}")
    assert api.status == 404

    switch.click()   # and publish it again
    expect(toast).to_contain_text(f"Published “{kpi['name']}”")
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(row.get_by_role("link", name="Public page")).to_be_visible()
    expect(counts).to_contain_text(f"{published} of {total} KPIs published")

    # The same visitor sees it again at once: public pages are never served stale.
    newcomer = resident
    answer = newcomer.goto(f"/public/kpis/{KPI}")
    assert answer.status == 200
    expect(newcomer.locator("h1")).to_contain_text(kpi["name"])
    screenshot(newcomer, "publishing-public-back")


def test_filters_and_the_page_in_spanish(page_as):
    manager = page_as("manager")
    _open(manager)
    only = manager.get_by_role("switch", name="Show unpublished only")
    only.click()
    expect(only).to_have_attribute("aria-checked", "true")
    expect(manager.locator('.publishing-table .switch[aria-checked="true"]')).to_have_count(0)
    expect(manager.locator(".publishing-table .switch").first).to_be_visible()
    manager.locator("#publishing-department").click()
    manager.get_by_role("option", name="Fire & EMS Department").click()
    manager.wait_for_load_state("networkidle")
    expect(manager.locator("#publishing-counts")).to_contain_text(re.compile(r"Fire & EMS Department: \d+ of \d+"))
    cells = manager.locator(".publishing-table tbody td:nth-child(2)")
    expect(cells.filter(has_not_text="Fire & EMS Department")).to_have_count(0)   # the list redraws after the counts
    assert set(cells.all_inner_texts()) == {"Fire & EMS Department"}
    screenshot(manager, "publishing-filtered-en")

    manager.get_by_role("link", name="Español").click()
    manager.wait_for_selector(".publishing-table")
    manager.wait_for_load_state("networkidle")
    expect(manager.locator("h1")).to_have_text("Publicación")
    expect(manager.get_by_role("heading", name="Qué significa publicar")).to_be_visible()
    expect(manager.locator(".publishing-goal-switch").first).to_contain_text("Objetivo publicado")
    screenshot(manager, "publishing-es")
    manager.get_by_role("link", name="English").click()
    manager.wait_for_selector(".publishing-table")


def test_no_serious_accessibility_problem(browser, live_server, demo_app):
    # axe is injected as an inline script, which the app's Content-Security-Policy refuses.
    context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900}, locale="en-US",
                                  bypass_csp=True)
    try:
        manager = context.new_page()
        problems = Problems()
        problems.watch(manager, live_server)
        _forget_language(demo_app, "manager")
        sign_in(manager, "manager")
        _open(manager)
        violations = axe_violations(manager)
        assert not violations, describe(violations)
        _keyboard(manager)
        assert not problems.items, problems.items
    finally:
        context.close()


def _keyboard(manager):
    """A switch works from the keyboard and keeps the focus: the list is not redrawn."""
    switch = manager.locator(".publishing-table .switch").first
    switch.focus()
    was = switch.get_attribute("aria-checked")
    manager.keyboard.press("Space")
    expect(switch).not_to_have_attribute("aria-checked", was)
    expect(manager.locator("#publishing-message")).not_to_be_empty()
    expect(switch).to_be_focused()
    manager.keyboard.press("Enter")   # and back
    expect(switch).to_have_attribute("aria-checked", was)
    expect(switch).to_be_focused()
    manager.wait_for_load_state("networkidle")
