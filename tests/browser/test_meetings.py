"""Stat meetings in real Chromium: a manager creates a Public Works meeting, edits and saves
the drafted agenda, records an action item and a decision, marks the meeting held and
finds the packet and memo links; the analyst who owns the action item marks it done on the
action items page."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from metrics.access import Scope
from tests.browser.conftest import screenshot
from web import action_items, meetings
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
KPI_NAME = "Potholes repaired within 48 hours"


@pytest.fixture
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def close_items(services):
    """Closes the action items of the meetings a test made, so later meetings of those
    departments in the shared demo city do not carry them as follow-ups."""
    made: list[int] = []
    yield made
    for item in action_items.list_action_items(services, MANAGER, status="open"):
        if item["meeting_id"] in made:
            action_items.update_action_item(services, MANAGER, item["id"], {"status": "dropped"})


def _ready(page):
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def _pick(page, dropdown: str, typed: str, option: str):
    page.locator(dropdown).click()
    expect(page.get_by_role("option").first).to_be_visible()   # open, with its search box focused
    # fill(), not typing key by key: the list re-renders as it filters and can drop a key.
    page.locator("input.dash-dropdown-search:visible").fill(typed)
    choice = page.get_by_role("option", name=option, exact=True)
    expect(page.get_by_role("option")).to_have_count(1)   # typed until one is left: no race with the list
    choice.click()
    page.keyboard.press("Escape")
    # Closed before anything else is typed: under load a closing list still shows its
    # options, and the next pick's typing would land in this one's search box.
    expect(page.get_by_role("option")).to_have_count(0)


def _titles(page) -> list[str]:
    return page.locator(".agenda-item .agenda-item-title").all_inner_texts()


def _create_meeting(page, title: str) -> int:
    page.goto("/")
    _ready(page)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Meetings").click()
    expect(page.locator("#main h1")).to_have_text("Stat meetings")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Create the meeting and draft its agenda").click()
    expect(page.locator("#meetings-error-title")).to_contain_text("Title is required")
    expect(page.locator("#meetings-error-date")).to_contain_text("Choose the day of the meeting")
    page.get_by_label("Title").fill(title)
    _pick(page, "#meetings-new-departments", "Public Works", "Department of Public Works")
    page.locator("#meetings-new-date").fill("2026-11-19")
    page.locator("#meetings-new-date").press("Tab")
    page.get_by_label("Length in minutes").fill("60")
    page.get_by_label("Place").fill("City Hall, room 301")
    screenshot(page, "meetings-new-en")
    page.get_by_role("button", name="Create the meeting and draft its agenda").click()
    page.wait_for_url(re.compile(r"/meetings/\d+\?created=1$"))
    _ready(page)
    return int(re.search(r"/meetings/(\d+)", page.url).group(1))


def test_a_meeting_from_draft_to_commitments(page_as, services, close_items):
    page = page_as("manager")
    title = f"Public Works stat {uuid.uuid4().hex[:6]}"
    meeting_id = _create_meeting(page, title)
    close_items.append(meeting_id)
    expect(page.locator("#main h1")).to_have_text(title)
    expect(page.locator(".page-message .form-ok")).to_contain_text("The meeting was created")
    expect(page.locator("#meeting-as-of")).to_have_text("Agenda drafted from the data as of Nov 19, 2026.")
    drafted = _titles(page)
    assert len(drafted) >= 3
    expect(page.locator("#meeting-total")).to_contain_text("60 of 60 minutes")
    screenshot(page, "meeting-drafted-en")

    # Move the second item up, give it 20 minutes, add an item of our own, save.
    items = page.locator(".agenda-item")
    items.nth(1).get_by_role("button", name=f"Move “{drafted[1]}” up").click()
    expect(items.nth(0).locator(".agenda-item-title")).to_have_text(drafted[1])
    expect(page.locator("#meeting-agenda-message")).to_contain_text("Unsaved changes")
    items.nth(0).locator("input[type=number]").fill("20")
    expect(page.locator("#meeting-total")).to_contain_text("of 60 minutes")
    expect(page.locator("#meeting-total")).to_contain_text("more than the meeting's length")
    page.locator("#meeting-custom-title").fill("Winter storm readiness")
    page.locator("#meeting-custom-minutes").fill("5")
    page.locator("#meeting-custom-questions").fill("Are the salt domes full?")
    page.get_by_role("button", name="Add to the agenda").click()
    expect(items.last).to_contain_text("Winter storm readiness")
    expect(items.last).to_contain_text("Are the salt domes full?")
    page.get_by_role("button", name="Save the agenda").click()
    expect(page.locator("#meeting-agenda-message .form-ok")).to_contain_text("Agenda saved")
    page.wait_for_load_state("networkidle")
    screenshot(page, "meeting-edited-en")

    page.reload()
    _ready(page)
    expect(items.nth(0).locator(".agenda-item-title")).to_have_text(drafted[1])
    expect(items.nth(0).locator("input[type=number]")).to_have_value("20")
    expect(items.last).to_contain_text("Winter storm readiness")
    saved = meetings.get_meeting(services, MANAGER, meeting_id)
    assert [i.kind for i in saved.agenda][-1] == "custom" and saved.agenda[0].minutes == 20

    # Record an action item owned by the analyst, and a decision; then the meeting is held.
    page.get_by_label("What").fill("Clear the pothole backlog in District 3")
    _pick(page, "#meeting-action-owner", "analyst", "Test Analyst (analyst)")
    page.locator("#meeting-action-due").fill("2026-12-15")
    page.locator("#meeting-action-due").press("Tab")
    _pick(page, "#meeting-action-kpis", "within 48 hours", KPI_NAME)
    page.get_by_role("button", name="Record the action item").click()
    expect(page.locator("#meeting-action-message .form-ok")).to_contain_text("owned by Test Analyst")
    row = page.locator(".actions-table tbody tr", has_text="Clear the pothole backlog in District 3")
    expect(row).to_contain_text("Test Analyst")
    expect(row).to_contain_text("Dec 15, 2026")
    expect(row).to_contain_text(KPI_NAME)
    page.get_by_label("New decision").fill("Crews move to night shifts until the backlog is cleared.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#meeting-decisions")).to_contain_text("night shifts")
    expect(page.locator("#meeting-documents")).to_contain_text("ready once the meeting is marked as held")
    page.get_by_role("button", name="Mark as held").click()
    expect(page.locator("#meeting-status")).to_contain_text("Held")
    documents = page.locator("#meeting-documents")
    base = f"/api/v1/meetings/{meeting_id}/"
    for name, href in (("Briefing packet (PDF)", "packet.pdf"), ("Briefing packet (Word)", "packet.docx"),
                       ("Print view (HTML)", "packet.html"), ("Commitments memo (PDF)", "memo.pdf"),
                       ("Commitments memo (Word)", "memo.docx"), ("Commitments memo (text for an email)", "memo.txt")):
        expect(documents.get_by_role("link", name=name)).to_have_attribute("href", base + href)
    page.wait_for_load_state("networkidle")
    screenshot(page, "meeting-held-en")

    # The print view of the packet opens beside it: the edited agenda, a chart per KPI
    # item, and the commitment just recorded.
    with page.expect_popup() as opened:
        documents.get_by_role("link", name="Print view (HTML)").click()
    packet = opened.value
    packet.wait_for_load_state("load")
    expect(packet.locator("h1").first).to_have_text(title)
    for name in [drafted[1], drafted[0], "Winter storm readiness"]:
        expect(packet.locator("body")).to_contain_text(name)
    expect(packet.locator("body")).to_contain_text("Clear the pothole backlog in District 3")
    expect(packet.locator("img").first).to_be_visible()
    screenshot(packet, "meeting-packet-print-view-en")
    packet.close()

    # The analyst finds the item on the action items page and marks it done.
    analyst = page_as("analyst")
    analyst.goto("/")
    _ready(analyst)
    analyst.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Action items").click()
    expect(analyst.locator("#main h1")).to_have_text("Action items")
    card = analyst.locator(".action-card", has_text="Clear the pothole backlog in District 3")
    expect(card).to_contain_text(title)
    expect(card).to_contain_text(KPI_NAME)
    expect(card).to_contain_text("No value since the commitment yet.")
    analyst.wait_for_load_state("networkidle")
    screenshot(analyst, "action-items-analyst-en")
    card.get_by_role("button", name="Mark “Clear the pothole backlog in District 3” done").click()
    expect(analyst.locator("#actions-message .form-ok")).to_contain_text("is now Done")
    expect(card).to_have_count(0)
    item = next(a for a in action_items.list_action_items(services, MANAGER, status=None)
                if a["description"] == "Clear the pothole backlog in District 3" and a["meeting_id"] == meeting_id)
    assert item["status"] == "done" and item["owner_username"] == "analyst"


def test_pages_hold_together_on_a_phone(page_as, services, close_items):
    # An August meeting: its overdue commitment has values since, so the movement table is full.
    meeting = meetings.create_meeting(services, MANAGER, {"title": "Police stat, August", "departments": ["police"],
                                                          "date": "2026-08-20", "duration_minutes": 45})
    close_items.append(meeting.id)
    action_items.add_action_item(services, MANAGER, meeting.id, {
        "description": "Staff the clearance task force", "owner_name": "Deputy Chief Ruiz",
        "due_date": "2026-10-01", "kpi_ids": ["violent-crimes"]})
    page = page_as("manager")
    page.set_viewport_size({"width": 400, "height": 860})
    for path, name in (("/meetings", "meetings-phone-en"), (f"/meetings/{meeting.id}", "meeting-phone-en"),
                       ("/action-items", "action-items-phone-en")):
        page.goto(path)
        _ready(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{path} is {width}px wide on a 400px screen"
        screenshot(page, name)
    card = page.locator(".action-card", has_text="Staff the clearance task force")
    expect(card).to_contain_text("Overdue")
    expect(card.locator(".movement-table tbody tr").first.locator("td")).not_to_have_count(0)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("#actions-department").click()
    page.keyboard.type("Police")
    page.get_by_role("option", name="Police Department", exact=True).click()
    expect(page.locator(".action-card")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    screenshot(page, "action-items-overdue-en")


def test_a_viewer_reads_the_meeting_without_editing_it(page_as, services):
    meeting = meetings.create_meeting(services, MANAGER, {"title": "Read-only stat", "departments": ["public-works"],
                                                          "date": "2026-11-12", "duration_minutes": 30})
    page = page_as("viewer")
    page.goto(f"/meetings/{meeting.id}")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("Read-only stat")
    expect(page.locator(".agenda-item").first).to_be_visible()
    expect(page.locator(".agenda-item button")).to_have_count(0)
    expect(page.get_by_role("button", name="Save the agenda")).to_be_hidden()
    expect(page.get_by_role("button", name="Mark as held")).to_be_hidden()
    page.goto("/meetings/999999")
    _ready(page)
    expect(page.locator("#main h1")).to_have_text("No such meeting")
