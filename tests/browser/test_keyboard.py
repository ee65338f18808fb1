"""Keyboard only, in real Chromium (WCAG 2.1: 2.1.1 keyboard, 2.1.2 no keyboard trap, 2.4.3
focus order, 2.4.7 focus visible, 1.4.11 contrast of the focus ring): the demo admin signs
in through the form, filters the overview, opens a KPI and works its chart controls, goes
to the import wizard through the navigation and dry-runs a file, then moves an agenda item
of a stat meeting and saves it; a resident tabs through the public site and copies a
chart's embed code. No mouse at all: Tab, Shift+Tab, Enter, Space, arrows and typing.

After every Tab and Shift+Tab, `assert_focus_visible` (tests/browser/keyboard.py) checks the
focused element: not <body> (focus lost or trapped), on screen and not covered, not hidden,
and visibly ringed, 3:1 against its surroundings."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from metrics.access import Scope
from tests.browser.conftest import _forget_language, screenshot
from tests.browser.keyboard import arrow_to, assert_focus_visible, press, tab_to
from tests.conftest import password_of
from web import importing, meetings
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
KPI = "potholes-48h"   # monthly, in Public Works: the range control changes its chart


def _list_closed(page, dropdown: str) -> None:
    """The dropdown's list is gone and focus is back on its button. The list hands focus back
    a moment after it unmounts (a timeout of 0): a Tab pressed in that moment would be undone,
    so the walk waits for it, as a person sees the list close before going on."""
    expect(page.locator(".dash-dropdown-content")).to_have_count(0)
    page.evaluate("() => new Promise(done => setTimeout(() => setTimeout(done, 0), 0))")
    expect(page.locator(dropdown)).to_be_focused()


def _main_has_focus(page) -> None:
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")


@pytest.fixture
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def monthly_file(services, tmp_path):
    """Two months of Curb ramps, each with the value it already has: a dry run accepts it."""
    rows = []
    for month in ("2026-08", "2026-09"):
        value = services.warehouse.query("SELECT value FROM observations WHERE kpi_id = 'curb-ramps' AND "
                                         "period_start = ? AND dimension = ''", [f"{month}-01"]).scalar()
        rows.append(f"curb-ramps,{month},{value:g}")
    path = tmp_path / "curb-ramps-keyboard.csv"
    path.write_text("KPI ID,Month,Actual\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def saved_profile(services):
    name = f"kb-monthly-{uuid.uuid4().hex[:6]}"
    importing.save_profile(services, name, {"shape": "long", "columns": {
        "kpi_id": "KPI ID", "period": "Month", "value": "Actual"}}, "tests")
    return name


@pytest.fixture
def police_meeting(services, demo_app):
    with demo_app.app_context():
        return meetings.create_meeting(services, MANAGER, {
            "title": "PoliceStat", "departments": ["police"], "date": "2026-12-03", "time": "10:00",
            "duration_minutes": 90, "location": "Police Headquarters"})


def test_admin_walks_the_app_with_the_keyboard_only(page_as, demo_app, services, monthly_file, saved_profile,
                                                     police_meeting):
    _forget_language(demo_app, "admin")
    page = page_as(None)
    # Playwright intercepts file choosers once a page has a listener, and turns that on
    # asynchronously: listening from the start, the chooser the upload zone opens is caught.
    page.on("filechooser", lambda chooser: None)

    # 1. Sign in: focus starts on the username, type, Tab, type, Enter.
    page.goto("/login")
    page.wait_for_function("() => document.activeElement.id === 'username'")   # the form puts it there
    assert_focus_visible(page)
    page.keyboard.type("admin")
    press(page, "Tab", "#password")
    page.keyboard.type(password_of("admin"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("#main h1")).to_have_text("Performance overview")
    page.wait_for_load_state("networkidle")

    # 2. The overview: the skip link comes first and moves focus into the page.
    facts = press(page, "Tab")
    assert facts["where"].startswith("a.skip-link"), f"the first Tab stop is {facts['where']}, not the skip link"
    screenshot(page, "keyboard-skip-link-en")
    page.keyboard.press("Enter")
    _main_has_focus(page)
    tab_to(page, "#overview-department")
    screenshot(page, "keyboard-dropdown-en")
    count = page.locator(".list-count")
    before = count.inner_text()
    page.keyboard.press("Enter")   # opens the list, focus in its search box
    arrow_to(page, "ArrowDown", "el => optionValue(el) === 'public-works'")
    page.keyboard.press("Enter")
    _list_closed(page, "#overview-department")
    expect(count).not_to_have_text(before)
    departments = page.locator(".scorecard-table tbody td:nth-child(2)").all_inner_texts()
    assert departments and set(departments) == {"Department of Public Works"}, departments
    link = tab_to(page, f".scorecard-table tbody th a[href='/kpi/{KPI}']")
    page.keyboard.press("Enter")
    expect(page.locator("#main h1")).to_have_text(link["name"])
    _main_has_focus(page)   # the new page starts where a loaded page would, not at <body>

    # 3. A KPI: the range with arrows, the prior year with Space, the summary and the table.
    page.wait_for_load_state("networkidle")
    summary = page.locator("#kpi-chart-summary")
    shown = summary.inner_text()
    assert shown.strip(), "the chart has no summary in words"
    tab_to(page, "#kpi-range input:checked")
    press(page, "ArrowRight", "#kpi-range input:checked")
    expect(summary).not_to_have_text(shown)
    tab_to(page, "#kpi-prior input[type=checkbox]")
    shown = summary.inner_text()
    page.keyboard.press(" ")
    expect(page.locator("#kpi-prior input[type=checkbox]")).to_be_checked()
    expect(summary).not_to_have_text(shown)
    assert_focus_visible(page, "#kpi-prior input")
    screenshot(page, "keyboard-kpi-controls-en")
    values = tab_to(page, "#kpi-values [tabindex='0']")   # the values table scrolls: it takes focus
    assert re.search(r"\d", values["name"]), f"the values table reads “{values['name']}”"
    expect(page.locator("#kpi-values table tbody tr").first).to_be_visible()
    forecast = tab_to(page, "details:not([open]) > summary")
    page.keyboard.press("Enter")
    expect(page.locator("details[open] > summary", has_text=forecast["name"])).to_be_visible()

    # 4. An import: back up to the navigation, the saved profile, the file, a dry run.
    tab_to(page, "a.nav-link[href='/imports']", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#main h1")).to_have_text("Import data")
    _main_has_focus(page)
    page.wait_for_load_state("networkidle")
    tab_to(page, "#imports-profile")
    page.keyboard.press("Enter")
    arrow_to(page, "ArrowDown", f"el => optionValue(el) === {saved_profile!r}")
    page.keyboard.press("Enter")
    expect(page.locator("#imports-profile")).to_contain_text(saved_profile)
    _list_closed(page, "#imports-profile")
    tab_to(page, ".upload-zone[role=button]")
    screenshot(page, "keyboard-upload-zone-en")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(monthly_file))
    expect(page.locator("#imports-file-status .form-ok")).to_contain_text(monthly_file.name)
    expect(page.locator(".preview-table tbody tr")).to_have_count(2)
    expect(page.locator("#imports-json-check .form-ok")).to_contain_text("The profile is complete")
    tab_to(page, "#imports-map-box > summary")   # step 3, folded when a saved profile is chosen
    page.keyboard.press("Enter")
    expect(page.locator("#imports-map-box")).to_have_attribute("open", "")
    expect(page.locator("#imports-f-kpi_id")).to_contain_text("KPI ID")
    tab_to(page, "#imports-dry")
    page.keyboard.press("Enter")
    report = page.locator("#imports-report")
    expect(report).to_contain_text("no row was rejected")
    expect(page.locator("#imports-commit")).to_be_enabled()
    page.wait_for_load_state("networkidle")
    assert_focus_visible(page, "#imports-dry")
    screenshot(page, "keyboard-dry-run-en")

    # 5. A meeting: through the navigation, open it, move its first item down, save.
    tab_to(page, "a.nav-link[href='/meetings']", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#main h1")).to_have_text("Stat meetings")
    expect(page.locator(f"#meetings-upcoming a[href='/meetings/{police_meeting.id}']")).to_be_visible()
    tab_to(page, f"a[href='/meetings/{police_meeting.id}']")
    page.keyboard.press("Enter")
    expect(page.locator("#main h1")).to_have_text("PoliceStat")
    page.wait_for_load_state("networkidle")
    titles = page.locator(".agenda-item .agenda-item-title")
    drafted = titles.all_inner_texts()
    assert len(drafted) >= 2, drafted
    down = page.get_by_role("button", name=f"Move “{drafted[0]}” down")
    tab_to(page, f"[id='{down.get_attribute('id')}']")
    page.keyboard.press("Enter")
    expect(titles.nth(1)).to_have_text(drafted[0])
    expect(page.locator("#meeting-agenda-message")).to_contain_text("Unsaved changes")
    # Focus stays on the button just pressed, now in the item's new place.
    expect(down).to_be_focused()
    assert_focus_visible(page)
    screenshot(page, "keyboard-agenda-move-en")
    tab_to(page, "#meeting-agenda-save")
    page.keyboard.press("Enter")
    expect(page.locator("#meeting-agenda-message .form-ok")).to_contain_text("Agenda saved")
    saved = meetings.get_meeting(services, MANAGER, police_meeting.id)
    first, second = (item.kpi_id for item in police_meeting.agenda[:2])
    assert [item.kpi_id for item in saved.agenda][:2] == [second, first]
    assert_focus_visible(page, "#meeting-agenda-save")


def test_a_resident_uses_the_public_site_with_the_keyboard(page_as, live_server):
    tab = page_as(None)
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    tab.goto("/public")
    expect(tab.locator("h1")).to_have_text("How the city is doing")
    facts = press(tab, "Tab")
    assert facts["where"].startswith("a.skip-link"), f"the first Tab stop is {facts['where']}, not the skip link"
    tab_to(tab, ".lang-switch a[lang='es']")
    screenshot(tab, "keyboard-public-language-en")
    link = tab_to(tab, ".kpi-list a[href^='/public/kpis/']")
    tab.keyboard.press("Enter")
    expect(tab.locator("h1")).to_have_text(link["name"])
    tab.wait_for_load_state("networkidle")
    tab_to(tab, "#embed-copy")
    tab.keyboard.press("Enter")
    expect(tab.locator("#embed-copy-message")).to_contain_text("Copied.")
    copied = tab.evaluate("() => navigator.clipboard.readText()")
    assert copied == tab.locator("#embed-code").input_value() and copied.startswith("<iframe")
    assert_focus_visible(tab, "#embed-copy")
    screenshot(tab, "keyboard-public-copy-en")
