"""Commentary on the KPI page in real Chromium: an analyst writes about a period of their
department's KPI and sees it listed, in the table and on the chart; a viewer only reads."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

KPI = "potholes-repaired"   # Public Works, the demo analyst's department


def _open(page, kpi_id: str):
    page.goto(f"/kpi/{kpi_id}")
    page.wait_for_selector("#main h1")
    page.wait_for_selector("#kpi-chart .main-svg")
    page.wait_for_load_state("networkidle")


def test_an_analyst_adds_commentary_to_a_period(page_as):
    page = page_as("analyst")
    _open(page, KPI)
    card = page.locator("#kpi-commentary")
    expect(card.get_by_role("heading", name="Commentary", exact=True)).to_be_visible()

    card.locator("#kpi-comment-period").click()
    page.get_by_role("option", name="Sep 2026").click()
    text = "Two crews were moved to storm cleanup for most of September, so fewer potholes were filled."
    card.get_by_label("Comment", exact=True).fill(text)
    card.get_by_role("button", name="Save comment").click()

    expect(card.locator(".form-ok")).to_have_text("Comment saved for Sep 2026.")
    newest = card.locator(".comment-list li").first
    expect(newest).to_contain_text(text)
    expect(newest).to_contain_text("Sep 2026")
    expect(newest).to_contain_text("Test Analyst")
    expect(card.get_by_label("Comment", exact=True)).to_have_value("")
    # The values table lists it beside the period, and the chart marks that period.
    expect(page.locator(".values-table tbody tr", has_text="Sep 2026").locator("td.note")).to_contain_text(text)
    expect(page.locator("#kpi-chart .legendtext", has_text="Commentary")).to_be_visible()
    page.wait_for_load_state("networkidle")
    card.scroll_into_view_if_needed()
    screenshot(page, "kpi-commentary-en")


def test_an_empty_comment_is_refused_with_a_reason(page_as):
    page = page_as("analyst")
    _open(page, KPI)
    card = page.locator("#kpi-commentary")
    card.get_by_role("button", name="Save comment").click()
    expect(card.get_by_role("alert")).to_contain_text("The comment is empty")


def test_a_viewer_reads_commentary_without_the_form(page_as):
    page = page_as("viewer")
    _open(page, KPI)
    card = page.locator("#kpi-commentary")
    expect(card.get_by_role("heading", name="Commentary", exact=True)).to_be_visible()
    expect(card.locator("textarea")).to_have_count(0)
    expect(card.get_by_role("button", name="Save comment")).to_have_count(0)
