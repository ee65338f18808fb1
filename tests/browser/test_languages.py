"""Every page in Spanish and Portuguese, read by a real browser: no English left where
Spanish or Portuguese belongs (tests/browser/english_left.py says what counts).

Each page of the Dash registry (path templates filled with demo ids), the login page, the
public site, the embeddable chart and the not-found pages are opened with the
`citystat_lang` cookie, their dropdowns and date pickers opened one by one; then the pages
in use: an import's preview, mapping and dry-run report, a wide file's rules, forms sent
empty, a person chosen. The packet and memo are fetched through their routes in both
languages and read the same way (PDF through pypdf, DOCX through python-docx).

A full-page screenshot of each goes to test-artifacts/screenshots/lang-<lang>-<page>.png,
for people to look at: longer words must not break the layout.

The city's own records (KPI and goal descriptions, methodology, data source, owner, meeting
notes, the headers of an uploaded file) are data, not interface: a KPI description in English
is the city's to translate (description_es / description_pt), so those texts are cut out
before the common-word check. Catalogue strings are caught wherever they appear.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from metrics import catalog
from metrics.access import Scope
from tests.browser.conftest import screenshot
from tests.browser.english_left import COLLECT, document_texts, english_in, open_each_control, report
from web import action_items, meetings
from web.services import EXTENSION

LANGUAGES = ("es", "pt")
SLOW = 20_000   # ms for a step that reads a file on the server, on a busy test machine


def _ready(tab):
    """Wait until Dash has rendered the page and finished its callbacks."""
    tab.wait_for_selector("#main h1")
    tab.wait_for_load_state("networkidle")


def _read(tab, language: str, name: str, *, dash_page: bool = True, controls: bool = True) -> list[str]:
    """Every text the page shows (its controls opened one by one), after a screenshot."""
    if dash_page:
        _ready(tab)
    else:
        tab.wait_for_load_state("networkidle")
    screenshot(tab, f"lang-{language}-{name}")
    texts = tab.evaluate(COLLECT)
    if controls:
        texts += open_each_control(tab)
    return texts


# -- the demo city's ids and records ----------------------------------------------------------------
MANAGER = Scope("tests-languages", "manager")
# The meetings this test makes: in Housing, a department no other test holds meetings for.
HELD = {"title": "HousingStat", "departments": ["housing"], "date": "2026-10-22", "time": "09:30",
        "duration_minutes": 60, "location": "City Hall, Room 204", "attendees": "Deputy Mayor R. Chen; A. Patel"}
COMMITMENT = {"description": "Publish the rental inspection backlog by district", "owner_name": "Alex Patel",
              "due_date": "2026-11-12"}
DECISION = "Inspections move to two shifts until the backlog is under 200."
NOTES = "Backlog traced to vacancies."
# An import file as a department's system writes it: its headers are its own words.
IMPORT_HEADERS = ("KPI ID", "Month", "Actual")
# Fields of the city's records whose text is data: what the city wrote, in the words it chose.
DATA_FIELDS = ("name", "title", "description", "methodology", "data_source", "source", "owner", "head",
               "unit_label", "department_name", "goal_title", "note")


@pytest.fixture(scope="module")
def demo(demo_app):
    """Real ids to fill the page templates with, and the city's own texts: a held HousingStat
    with a commitment and a decision, and the next one, planned, whose agenda starts with
    that commitment."""
    services = demo_app.extensions[EXTENSION]
    with demo_app.app_context():
        held = meetings.create_meeting(services, MANAGER, HELD)
        commitment = action_items.add_action_item(services, MANAGER, held.id, COMMITMENT)
        meetings.add_decision(services, MANAGER, held.id, DECISION)
        meetings.update_meeting(services, MANAGER, held.id, {"status": "held", "notes": NOTES})
        planned = meetings.create_meeting(services, MANAGER, dict(HELD, date="2026-11-26", attendees=None))
        listed = meetings.list_meetings(services, MANAGER)
    kpis = catalog.kpi_summaries(services.warehouse, services.calendar)
    # A published KPI broken down by district: its page has the map and the small multiples too.
    kpi = next(k for k in kpis if k["published"] and "district" in (k["breakdowns"] or []))
    goals = catalog.list_goals(services.warehouse, published_only=True)
    data = {COMMITMENT["description"], COMMITMENT["owner_name"], DECISION, NOTES, HELD["location"],
            HELD["attendees"], *IMPORT_HEADERS, catalog.get_meta(services.warehouse, "city_name") or ""}
    for record in [*kpis, *catalog.list_goals(services.warehouse), *catalog.list_departments(services.warehouse)]:
        data |= {v for k, v in record.items() if isinstance(v, str) and k.startswith(DATA_FIELDS)}
    for meeting in listed:
        data |= {t for t in (meeting.title, meeting.location, meeting.attendees, meeting.notes) if t}
    yield {"kpi": kpi["id"], "goal": goals[0]["id"], "department": kpi["department_id"],
           "meeting": held.id, "planned": planned.id, "data": data}
    with demo_app.app_context():   # an open commitment would lead other Housing agendas
        action_items.update_action_item(services, MANAGER, commitment["id"], {"status": "dropped"})


def _internal_pages(demo) -> list[tuple[str, str]]:
    """(name, path) of every page in the Dash registry, templates filled with demo ids."""
    import dash

    fill = {"kpi_id": demo["kpi"], "goal_id": demo["goal"], "department_id": demo["department"],
            "meeting_id": demo["meeting"]}
    pages = []
    for page in dash.page_registry.values():
        path = page.get("path_template") or page["path"]
        pages.append((page["module"].split(".")[-1], re.sub(r"<(\w+)>", lambda m: str(fill[m.group(1)]), path)))
    return pages + [("meeting-planned", f"/meetings/{demo['planned']}"), ("kpi-not-found", "/kpi/no-such-kpi"),
                    ("page-not-found", "/no-such-page")]


def _in_language(tab, language: str):
    tab.context.add_cookies([{"name": "citystat_lang", "value": language, "url": tab.url}])


# -- the tests ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_internal_page_speaks_the_language(page_as, demo, language):
    tab = page_as("admin")
    _in_language(tab, language)
    problems = {}
    for name, path in _internal_pages(demo):
        tab.goto(path)
        found = english_in(_read(tab, language, name), language, demo["data"])
        if found:
            problems[f"{name} ({path})"] = found
    tab.problems.items[:] = [p for p in tab.problems.items if "404" not in p]   # the not-found pages say 404
    assert not problems, f"English left on {language} pages:\n{report(problems)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_in_use_speak_the_language(page_as, demo, language, tmp_path):
    """What pages say once used: an import's preview, mapping and dry-run report with a
    wrong row, a wide file's rules, the meeting and KPI forms sent empty, a person chosen."""
    tab = page_as("admin")
    _in_language(tab, language)
    problems = {}

    def check(name: str, controls: bool = False):
        found = english_in(_read(tab, language, name, controls=controls), language, demo["data"])
        if found:
            problems[name] = found

    upload = tmp_path / "obras.csv"
    upload.write_text(",".join(IMPORT_HEADERS) + "\ncurb-ramps,2026-09,12\ncurb-ramps,2026-13,7\n", encoding="utf-8")
    tab.goto("/imports")
    _ready(tab)
    tab.set_input_files("#imports-file input[type=file]", str(upload))
    expect(tab.locator("#imports-file-status .form-ok")).to_contain_text(upload.name, timeout=SLOW)
    expect(tab.locator("#imports-json-check .form-ok")).to_be_visible(timeout=SLOW)   # the headers mapped themselves
    tab.locator("#imports-dry").click()
    expect(tab.locator("#imports-report table")).to_be_visible(timeout=SLOW)          # the wrong row, with its reason
    check("imports-dry-run", controls=True)
    tab.locator("#imports-shape input[value=wide]").check()
    expect(tab.locator("#imports-wide-fields")).to_be_visible()
    check("imports-wide")

    tab.goto("/meetings")
    _ready(tab)
    tab.locator("#meetings-create").click()
    expect(tab.locator("#meetings-error-departments")).not_to_be_empty()
    check("meetings-sent-empty")

    tab.goto("/kpi-new")
    _ready(tab)
    tab.locator("#kpi-new-create").click()
    tab.wait_for_load_state("networkidle")
    check("kpi-new-sent-empty")

    tab.goto("/admin/users")
    _ready(tab)
    tab.locator("#admin-users-who").click()
    tab.get_by_role("option", name=re.compile(r"^analyst ")).click()
    expect(tab.locator("#admin-users-who-status")).not_to_be_empty()
    check("admin-users-person", controls=True)
    assert not problems, f"English left on {language} pages in use:\n{report(problems)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_site_and_login_speak_the_language(page_as, demo, language, live_server):
    tab = page_as(None)
    tab.context.add_cookies([{"name": "citystat_lang", "value": language, "url": live_server}])
    pages = [("login", "/login"), ("public-home", "/public"), ("public-goal", f"/public/goals/{demo['goal']}"),
             ("public-kpi", f"/public/kpis/{demo['kpi']}"), ("public-not-found", "/public/kpis/no-such-kpi"),
             ("signed-out", "/kpi/anything")]
    problems = {}
    for name, path in pages:
        tab.goto(path)
        found = english_in(_read(tab, language, name, dash_page=False, controls=False), language, demo["data"])
        if found:
            problems[f"{name} ({path})"] = found
    tab.goto("/login")   # a name nobody has: no account is throttled by this
    tab.locator("#username").fill("nobody-by-this-name")
    tab.locator("#password").fill("not the right password at all")
    tab.locator("form.stacked-form button[type=submit]").click()
    expect(tab.get_by_role("alert")).to_be_visible()
    found = english_in(_read(tab, language, "login-refused", dash_page=False, controls=False), language, demo["data"])
    if found:
        problems["login-refused"] = found
    # The embed gets no cookie inside another site's iframe: its language comes with the address.
    embed = tab.context.browser.new_context(base_url=live_server)
    framed = embed.new_page()
    framed.goto(f"/embed/kpis/{demo['kpi']}?lang={language}")
    found = english_in(_read(framed, language, "embed-kpi", dash_page=False, controls=False), language, demo["data"])
    embed.close()
    if found:
        problems["embed-kpi"] = found
    tab.problems.items[:] = [p for p in tab.problems.items if "404" not in p and "401" not in p]
    assert not problems, f"English left on {language} pages:\n{report(problems)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_packet_and_memo_speak_the_language(client_as, demo, language):
    client = client_as("admin")
    client.set_cookie("citystat_lang", language)
    problems = {}
    for document in ("packet.html", "packet.pdf", "packet.docx", "memo.pdf", "memo.docx", "memo.txt"):
        response = client.get(f"/api/v1/meetings/{demo['meeting']}/{document}")
        assert response.status_code == 200, (document, response.status_code)
        found = english_in(document_texts(document, response.data, demo["data"]), language, demo["data"])
        if found:
            problems[document] = found
    assert not problems, f"English left in {language} documents:\n{report(problems)}"
