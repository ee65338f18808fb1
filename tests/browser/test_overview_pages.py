"""The mayor's overview, a goal page and a department scorecard in real Chromium: roll-ups,
changes, filters and search, sorting by a column heading, links between the pages, and the
Spanish overview; no console errors (the page fixture fails the test on any)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboards.scorecard import SEVERITY
from tests.browser.conftest import screenshot


def _ready(page):
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def _statuses(page, table: str = "table.kpi-table") -> list[str]:
    """The status of each row of the table, read from its badge's class."""
    return page.locator(f"{table} tbody tr .status").evaluate_all(
        "badges => badges.map(b => [...b.classList].find(c => c.startsWith('status-')).slice(7))")


def _choose(page, control: str, option: str):
    page.locator(control).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_overview_shows_priorities_changes_and_a_filtered_list(page):
    page.goto("/")
    _ready(page)
    cards = page.locator("section.goal-card")
    expect(cards).to_have_count(6)
    for index in range(6):
        expect(cards.nth(index).locator(".rollup .status").first).to_have_text(
            re.compile("On track|At risk|Off track|No status yet"))
        expect(cards.nth(index).locator(".status-counts li")).to_have_count(4)
    expect(page.get_by_role("heading", name="What changed since last month")).to_be_visible()
    assert page.locator("#overview-changes .change").count() >= 1
    expect(page.locator("#overview-changes .change").first.locator(".status")).to_have_count(2)
    expect(page.get_by_role("heading", name="Other goals")).to_be_visible()
    rows = page.locator("table.kpi-table tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".list-count")).to_contain_text("Matching KPIs: 102. Showing the first 50")
    screenshot(page, "overview-status-en")
    page.get_by_role("button", name="Show every matching KPI").click()
    expect(rows).to_have_count(102, timeout=15_000)
    expect(page.get_by_role("button", name="Show every matching KPI")).to_be_hidden()
    everything = rows.count()

    _choose(page, "#overview-status", "Off track")
    expect(page.locator("table.kpi-table tbody tr")).not_to_have_count(everything)
    page.wait_for_load_state("networkidle")
    assert set(_statuses(page)) == {"off_track"}
    off_track = page.locator("table.kpi-table tbody tr").count()

    _choose(page, "#overview-department", "Police Department")
    expect(page.locator("table.kpi-table tbody tr")).not_to_have_count(off_track)
    page.wait_for_load_state("networkidle")
    departments = page.locator("table.kpi-table tbody tr td:nth-child(2)").all_inner_texts()
    assert departments and set(departments) == {"Police Department"}

    page.reload()
    _ready(page)
    page.get_by_label("Name contains").fill("OVERTIME")
    expect(page.locator("table.kpi-table tbody tr")).to_have_count(1)
    expect(page.locator("table.kpi-table tbody tr th a")).to_have_text("Police overtime spending")
    page.get_by_label("Name contains").fill("no such kpi anywhere")
    expect(page.locator("#overview-kpis")).to_contain_text("No KPIs match this filter.")


def test_goal_page_sorts_by_status_and_links_onwards(page):
    page.goto("/")
    _ready(page)
    page.locator("section.goal-card h3 a", has_text="Safe Neighborhoods").click()
    page.wait_for_url(re.compile(r"/goal/safe-neighborhoods$"))
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Safe Neighborhoods")
    expect(page).to_have_title(re.compile("Safe Neighborhoods"))
    rows = page.locator("#goal-table tbody tr")
    assert rows.count() >= 15
    severities = [SEVERITY[s] for s in _statuses(page, "#goal-table table")]
    assert severities == sorted(severities)            # worst first to begin with
    sparklines = page.locator("#goal-table img.sparkline")
    assert sparklines.count() >= 15
    assert sparklines.first.evaluate("img => img.complete && img.naturalWidth > 0")   # the CSP lets it draw
    screenshot(page, "goal-en")

    status_heading = page.locator("#goal-table th", has=page.locator("#goal-sort-status"))
    expect(status_heading).to_have_attribute("aria-sort", "ascending")
    page.locator("#goal-sort-status").click()
    expect(status_heading).to_have_attribute("aria-sort", "descending")
    page.wait_for_load_state("networkidle")
    severities = [SEVERITY[s] for s in _statuses(page, "#goal-table table")]
    assert severities == sorted(severities, reverse=True)

    page.locator("#goal-sort-name").click()
    expect(page.locator("#goal-table th", has=page.locator("#goal-sort-name"))).to_have_attribute(
        "aria-sort", "ascending")
    page.wait_for_load_state("networkidle")
    names = page.locator("#goal-table tbody th a").all_inner_texts()
    assert names == sorted(names, key=str.casefold)

    page.locator("#goal-table tbody tr td:nth-child(2) a").first.click()
    page.wait_for_url(re.compile(r"/department/"))
    _ready(page)
    expect(page.locator(".breadcrumb")).to_contain_text("Overview")


def test_department_scorecard(page):
    page.goto("/department/police")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Police Department")
    expect(page.locator(".page-head")).to_contain_text("Chief of Police")
    expect(page.locator("#department-table tbody tr")).to_have_count(12)
    expect(page.locator("#department-table img.sparkline")).to_have_count(12)
    headings = page.locator("#department-table thead th").all_inner_texts()
    assert [h.strip(" ▲▼↕\n").upper() for h in headings][:3] == ["KPI", "GOAL", "STATUS"]
    screenshot(page, "department-en")
    page.locator("#department-sort-updated").click()
    expect(page.locator("#department-table th", has=page.locator("#department-sort-updated"))).to_have_attribute(
        "aria-sort", "ascending")
    first_goal = page.locator("#department-table tbody tr td:nth-child(2) a").first
    title = first_goal.inner_text()
    first_goal.click()
    page.wait_for_url(re.compile(r"/goal/"))
    _ready(page)
    expect(page.locator("#main h1")).to_have_text(title)


def test_unknown_goal_and_department_are_friendly(page):
    page.goto("/goal/no-such-goal")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Goal not found")
    page.goto("/department/no-such-department")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Department not found")
    page.get_by_role("link", name="Back to the overview").click()
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Performance overview")


def test_overview_in_spanish(page):
    page.goto("/")
    _ready(page)
    page.get_by_role("link", name="Español").click()
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Resumen del desempeño")
    expect(page.get_by_role("heading", name="Prioridades de la alcaldía")).to_be_visible()
    expect(page.get_by_role("heading", name="Qué cambió desde el mes pasado")).to_be_visible()
    expect(page.locator("section.goal-card").first).to_contain_text("Puntaje")
    screenshot(page, "overview-status-es")
    page.get_by_label("El nombre contiene").fill("POLICIA")
    expect(page.locator("table.kpi-table tbody tr")).to_have_count(1)
    expect(page.locator("table.kpi-table tbody tr th a")).to_have_text("Gasto en horas extra de la policía")
