"""The overview and a KPI page in real Chromium: they render the demo city, respond to
their controls, switch language, and log no console errors."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from metrics import catalog
from tests.browser.conftest import screenshot
from web.services import EXTENSION


def _ready(page):
    """Wait until Dash has rendered the page and finished its callbacks."""
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def test_overview_shows_goals_with_their_kpis(page):
    page.goto("/")
    _ready(page)
    expect(page).to_have_title(re.compile("Performance overview"))
    expect(page.locator("#main h1")).to_have_text("Performance overview")
    expect(page.locator(".brand-city")).to_have_text("City of Riverton")
    assert page.locator("section.goal-card").count() >= 6
    assert page.locator(".badge-priority").count() == 6
    rows = page.locator("table.kpi-table tbody tr")
    assert rows.count() == 50   # the worst first; the rest a click away
    page.get_by_role("button", name="Show every matching KPI").click()
    expect(page.get_by_role("button", name="Show every matching KPI")).to_be_hidden()
    assert rows.count() >= 80
    first = rows.first
    expect(first.locator("th a")).not_to_be_empty()
    screenshot(page, "overview-en")


def test_department_filter_narrows_the_overview(page):
    page.goto("/")
    _ready(page)
    before = page.locator("table.kpi-table tbody tr").count()
    page.locator("#overview-department").click()
    page.keyboard.type("Police")
    page.get_by_role("option", name="Police Department").click()
    expect(page.locator("table.kpi-table tbody tr")).not_to_have_count(before)
    page.wait_for_load_state("networkidle")
    departments = page.locator("table.kpi-table tbody tr td:nth-child(2)").all_inner_texts()
    assert departments and len(set(departments)) == 1 and departments[0].startswith("Police")
    screenshot(page, "overview-filtered-en")


def test_kpi_page_draws_target_against_actual(page):
    page.goto("/")
    _ready(page)
    link = page.locator("table.kpi-table tbody tr th a").first
    name = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/kpi/"))
    _ready(page)
    expect(page.locator("#main h1")).to_have_text(name)
    expect(page).to_have_title(re.compile(re.escape(name)))
    page.wait_for_selector("#kpi-chart .main-svg")
    legend = page.locator("#kpi-chart .legendtext").all_text_contents()
    assert "Actual" in legend
    axis_titles = page.locator("#kpi-chart .g-ytitle, #kpi-chart .g-xtitle").all_text_contents()
    assert "Period" in axis_titles and len([t for t in axis_titles if t.strip()]) == 2
    expect(page.locator(".values-table tbody tr").first).to_be_visible()
    expect(page.locator("text=How this KPI is measured")).to_be_visible()
    screenshot(page, "kpi-en")

    rows_24 = page.locator(".values-table tbody tr").count()
    page.get_by_label("12 periods").check()
    expect(page.locator(".values-table tbody tr")).to_have_count(min(12, rows_24))
    page.get_by_label("All", exact=True).check()   # not the table region named "…calls…"
    expect(page.locator(".values-table tbody tr")).not_to_have_count(min(12, rows_24))
    assert page.locator(".values-table tbody tr").count() >= rows_24


def test_band_kpi_shows_its_target_range(page, demo_app):
    services = demo_app.extensions[EXTENSION]
    band = next(k for k in catalog.kpi_summaries(services.warehouse, services.calendar)
                if k["direction"] == "band" and k["target_low"] is not None)
    page.goto(f"/kpi/{band['id']}")
    _ready(page)
    expect(page.locator(".tiles")).to_contain_text(" – ")
    page.wait_for_selector("#kpi-chart .main-svg")
    assert "Target range" in page.locator("#kpi-chart .legendtext").all_text_contents()
    screenshot(page, "kpi-band-en")


def test_language_switcher_translates_the_whole_page(page):
    page.goto("/")
    _ready(page)
    page.get_by_role("link", name="Español").click()
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Resumen del desempeño")
    expect(page.locator("html")).to_be_visible()
    screenshot(page, "overview-es")
    page.locator("table.kpi-table tbody tr th a").first.click()
    page.wait_for_url(re.compile(r"/kpi/"))
    _ready(page)
    page.wait_for_selector("#kpi-chart .main-svg")
    expect(page.locator("text=Cómo se mide este indicador")).to_be_visible()
    assert "Resultado" in page.locator("#kpi-chart .legendtext").all_text_contents()
    screenshot(page, "kpi-es")
    page.get_by_role("link", name="Português").click()
    _ready(page)
    page.wait_for_selector("#kpi-chart .main-svg")
    expect(page.locator("text=Como este indicador é medido")).to_be_visible()
    screenshot(page, "kpi-pt")


def test_unknown_kpi_is_a_friendly_page(page):
    page.goto("/kpi/no-such-kpi")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("KPI not found")
    page.get_by_role("link", name="Back to the overview").click()
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Performance overview")
