"""The users and audit pages in real Chromium: an administrator creates and deactivates a
user through the forms and filters the audit log; a viewer finds neither page."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

PASSWORD = "Lantern light over the quiet harbour"


def _ready(page):
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def _choose(page, dropdown: str, option: str):
    """Pick an option of a Dash 4 dropdown the way a person does: open it, click the option."""
    page.locator(dropdown).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_admin_creates_and_deactivates_a_user(page_as):
    page = page_as("admin")
    page.goto("/admin/users")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Users")
    rows = page.locator(".users-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 4

    username = f"pat{uuid.uuid4().hex[:6]}"
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Display name").fill("Pat Rivera")
    page.get_by_label("Email (optional)").fill("pat.rivera@example.org")
    expect(page.locator("#admin-users-new-departments-field")).to_be_hidden()
    _choose(page, "#admin-users-new-role", "Analyst")
    expect(page.locator("#admin-users-new-departments-field")).to_be_visible()
    _choose(page, "#admin-users-new-departments", "Department of Public Works")
    page.keyboard.press("Escape")
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()

    expect(page.locator("#admin-users-create-message .form-ok")).to_contain_text(username)
    expect(page.get_by_label("Initial password")).to_have_value("")
    row = page.locator(".users-table tbody tr", has_text=username)
    expect(row).to_contain_text("Pat Rivera")
    expect(row).to_contain_text("Analyst")
    expect(row).to_contain_text("Department of Public Works")
    expect(row).to_contain_text("Active")
    page.wait_for_load_state("networkidle")
    screenshot(page, "admin-users-en")

    page.locator("#admin-users-who").click()
    page.get_by_role("option", name=re.compile(f"^{username} ")).click()
    expect(page.locator("#admin-users-who-status")).to_contain_text("Analyst")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#admin-users-manage-message .form-ok")).to_contain_text(username)
    expect(row).to_contain_text("Deactivated")
    expect(page.get_by_role("button", name="Reactivate")).to_be_enabled()
    page.wait_for_load_state("networkidle")
    screenshot(page, "admin-users-changed-en")


def test_admin_cannot_deactivate_themself(page_as):
    page = page_as("admin")
    page.goto("/admin/users")
    _ready(page)
    page.locator("#admin-users-who").click()
    page.get_by_role("option", name=re.compile("^admin ")).click()
    expect(page.locator("#admin-users-who-status")).to_contain_text("Administrator")
    expect(page.get_by_role("button", name="Save role")).to_be_enabled()
    expect(page.get_by_role("button", name="Deactivate")).to_be_disabled()
    _choose(page, "#admin-users-role", "Viewer")
    page.get_by_role("button", name="Save role").click()
    expect(page.locator("#admin-users-manage-message [role=alert]")).to_contain_text("another administrator")


def test_admin_filters_the_audit_log(page_as):
    page = page_as("admin")
    page.goto("/admin/audit")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Audit log")
    expect(page.locator(".audit-table tbody tr").first).to_be_visible()
    with page.expect_response(lambda response: "/_dash-update-component" in response.url):
        _choose(page, "#admin-audit-action", "Sign-in (login)")
    actions = page.locator(".audit-table tbody td:nth-child(3)")
    expect(actions.filter(has_not_text="Sign-in")).to_have_count(0)
    expect(actions.first).to_be_visible()
    expect(actions.first).to_have_text("Sign-in")
    expect(page.locator("#admin-audit-summary")).to_contain_text("Page 1")
    screenshot(page, "admin-audit-en")


def test_a_viewer_finds_no_admin_pages(page_as):
    page = page_as("viewer")
    page.goto("/")
    _ready(page)
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="Overview")).to_be_visible()
    expect(navigation.get_by_role("link", name="Users")).to_have_count(0)
    expect(navigation.get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto("/admin/users")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Not available to your account")
    expect(page.locator(".users-table")).to_have_count(0)
