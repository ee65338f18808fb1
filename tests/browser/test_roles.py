"""Each role signs in through the real form and sees what that role should see."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import password_of

ROLE_WORDS = {"admin": "Administrator", "manager": "Manager", "analyst": "Analyst", "viewer": "Viewer"}


def test_anonymous_visitors_meet_the_sign_in_page(page_as):
    tab = page_as(None)
    tab.goto("/kpi/anything")
    expect(tab).to_have_url(re.compile(r"/login\?next=/kpi/anything"))
    expect(tab.get_by_role("heading", level=1)).to_have_text("Sign in to CityStat")
    expect(tab.locator(".brand-city")).to_have_text("City of Riverton")
    screenshot(tab, "login-en")


def test_a_wrong_password_says_so_without_saying_which_part(page_as):
    tab = page_as(None)
    tab.goto("/login")
    tab.get_by_label("Username").fill("viewer")
    tab.get_by_label("Password").fill("not the right password at all")
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("alert")).to_contain_text("do not match an active account")
    expect(tab.get_by_label("Username")).to_have_value("viewer")
    tab.problems.items.clear()   # the 401 answer is the point of this test


def test_signing_in_returns_to_the_page_asked_for(page_as, demo_app):
    tab = page_as(None)
    tab.goto("/kpi/no-such-kpi")
    tab.get_by_label("Username").fill("manager")
    tab.get_by_label("Password").fill(password_of("manager"))
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.locator("#main h1")).to_have_text("KPI not found")


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager", "admin"])
def test_each_role_sees_its_own_header_and_pages(page_as, role):
    tab = page_as(role)
    tab.goto("/")
    tab.wait_for_selector("#main h1")
    expect(tab.locator(".user-menu")).to_contain_text(ROLE_WORDS[role])
    expect(tab.locator("#main h1")).to_have_text("Performance overview")
    users_link = tab.get_by_role("link", name="Users")
    if role == "admin":
        expect(users_link).to_be_visible()
        expect(tab.get_by_role("link", name="Audit log")).to_be_visible()
    else:
        expect(users_link).to_have_count(0)
        tab.goto("/admin/users")
        expect(tab.locator("#main h1")).to_have_text("Not available to your account")
    screenshot(tab, f"signed-in-{role}")


def test_signing_out_ends_the_session(page_as):
    tab = page_as("viewer")
    tab.goto("/")
    tab.wait_for_selector("#main h1")
    tab.get_by_role("button", name="Sign out").click()
    expect(tab).to_have_url(re.compile(r"/login"))
    tab.goto("/")
    expect(tab).to_have_url(re.compile(r"/login\?next=/"))
