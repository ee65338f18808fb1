"""axe-core on every page, as each kind of person sees it, in English and Spanish: no WCAG 2.1
AA violation of serious or critical impact may remain. The sign-in page, every Dash page
(checked against dash.page_registry, so a new page cannot be left out), the not-found page
and the public site; then what a click reveals: the KPI page's folded tables, prior-year
toggle and open period list, the import wizard after a file and its dry run, the meeting
page's refused forms, open owner list and open calendar. On every page each status pill
must carry an icon and a word (WCAG 1.4.1), and each control's edge, as drawn, 3:1 against
what is behind it and against the page (1.4.11).

One signed-in tab per person and language serves the whole module, so the run stays short."""
from __future__ import annotations

from pathlib import Path

import dash
import pytest
from playwright.sync_api import expect

from metrics import datasets
from metrics.access import Scope
from tests.browser.a11y import axe_violations, describe
from tests.browser.conftest import Problems, _forget_language, screenshot
from tests.conftest import forget_kpis, password_of
from tests.test_contrast import contrast
from web import importing, meetings
from web import datasets as web_datasets
from web.kpi_definitions import create_kpi
from web.services import EXTENSION

KPI = "police-p1-response"          # districts, forecast, commentary form
COMPUTED = "a11y-requests"          # a computed KPI with its definition, made below
SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "non_numeric.csv"
LANGUAGES = ("en", "es")

# Every Dash page, with demo ids filling its address, and the least role that may open it.
DASH_PAGES = {
    "/": "/",
    "/kpi/<kpi_id>": f"/kpi/{KPI}",
    "/kpi/<kpi_id>/definition": f"/kpi/{COMPUTED}/definition",
    "/kpi/<kpi_id>/edit": f"/kpi/{KPI}/edit",
    "/kpi/<kpi_id>/targets": f"/kpi/{KPI}/targets",
    "/kpi-new": "/kpi-new",
    "/goal/<goal_id>": "/goal/safe-neighborhoods",
    "/goals/manage": "/goals/manage?goal=vision-zero",
    "/department/<department_id>": "/department/police",
    "/meetings": "/meetings",
    "/meetings/<meeting_id>": "/meetings/{meeting}",
    "/action-items": "/action-items",
    "/due": "/due",
    "/entry": "/entry",
    "/imports": "/imports",
    "/imports/history": "/imports/history",
    "/datasets": "/datasets",
    "/publishing": "/publishing",
    "/admin/users": "/admin/users",
    "/admin/audit": "/admin/audit",
    "/404": "/no/such/address",
}
LEVEL = {"/kpi/<kpi_id>/definition": "analyst", "/kpi/<kpi_id>/edit": "analyst", "/kpi-new": "analyst",
         "/kpi/<kpi_id>/targets": "analyst", "/imports": "analyst", "/entry": "analyst", "/publishing": "manager",
         "/goals/manage": "manager",
         "/admin/users": "admin", "/admin/audit": "admin"}
RANK = {"viewer": 0, "analyst": 1, "manager": 2, "admin": 3}
# The admin opens every page in both languages. The analyst and the viewer see other
# controls on the same pages (no forms, other departments): each once, in one language,
# so every role's controls and every language's words are scanned without the product.
INTERNAL = [(role, language, template) for role, languages in (("admin", LANGUAGES), ("analyst", ("en",)),
                                                               ("viewer", ("es",)))
            for language in languages for template in DASH_PAGES
            if RANK[role] >= RANK[LEVEL.get(template, "viewer")]]
PUBLIC = ["/login", "/public", "/public/goals/safe-neighborhoods", f"/public/kpis/{KPI}", f"/embed/kpis/{KPI}",
          "/public/no-such-page"]
MISSING = ("/no/such/address", "/public/no-such-page")   # answered 404 on purpose

# True once Dash's store has had no callback pending for three frames in a row. Run in the page.
DASH_IDLE = """() => {
    const state = window.store && window.store.getState();
    const pending = state ? Object.entries(state.callbacks || {})
        .filter(([kind]) => kind !== 'stored' && kind !== 'completed')
        .some(([, list]) => list && list.length) : true;
    window.__calmFrames = pending ? 0 : (window.__calmFrames || 0) + 1;
    return window.__calmFrames >= 3;
}"""

# Every status-like pill: an aria-hidden icon, then a word. Run in the page.
STATUS_WORDS = """() => [...document.querySelectorAll('.status, .likelihood, .meeting-status, .status-counts > li')]
    .filter(pill => {
        const icon = pill.querySelector(':scope > .status-icon[aria-hidden="true"]');
        const word = [...pill.childNodes].filter(n => n !== icon).map(n => n.textContent).join('').trim();
        return !icon || !icon.textContent.trim() || !/\\p{L}{2,}/u.test(word);
    }).map(pill => pill.outerHTML.slice(0, 160))"""

# Each visible control's edge (its border, and its fill), the nearest opaque background behind
# it, and the page's own background. Run in the page.
CONTROL_EDGES = """() => {
    const opaque = c => c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c);
    const behind = node => {
        for (let up = node.parentElement; up; up = up.parentElement) {
            const c = getComputedStyle(up).backgroundColor;
            if (opaque(c)) { return c; }
        }
        return page;
    };
    const page = getComputedStyle(document.body).backgroundColor;
    const controls = document.querySelectorAll(
        'input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea, ' +
        'button.button, .dash-dropdown, .upload-zone, .dash-input-container, .dash-datepicker-input-wrapper');
    // A field Dash wraps is drawn by its wrapper (measured itself): skip the bare input inside.
    // Dash's dropdown hands the focus on from a 1px input hidden from everyone: not a control.
    const wrapped = n => /^(INPUT|TEXTAREA)$/.test(n.tagName) && (n.matches('.dash-dropdown-focus-target') ||
        n.parentElement.closest('.dash-input-container, .dash-datepicker-input-wrapper, .dash-dropdown, ' +
                                '.dash-dropdown-content'));
    return [...controls].filter(n => n.getClientRects().length && !wrapped(n)).map(n => {
        const s = getComputedStyle(n);
        const width = parseFloat(s.borderTopWidth) + parseFloat(s.borderBottomWidth);
        return {what: (n.id ? '#' + n.id : n.tagName.toLowerCase()) + '.' + [...n.classList].join('.'),
                border: width > 0 && s.borderTopStyle !== 'none' && opaque(s.borderTopColor) ? s.borderTopColor : null,
                fill: opaque(s.backgroundColor) ? s.backgroundColor : null, behind: behind(n), page: page};
    });
}"""


@pytest.fixture(scope="module")
def demo_ids(demo_app, tmp_path_factory):
    """A computed KPI with its definition (over a small raw dataset) and a Library meeting,
    made for this module; the dataset and KPI are removed after it."""
    services = demo_app.extensions[EXTENSION]
    raw = tmp_path_factory.mktemp("a11y") / "requests.csv"
    raw.write_text("created\n" + "".join(f"2026-0{m}-0{d} 08:00:00\n" for m in range(1, 7) for d in range(1, m + 1)))
    profile = datasets.DatasetProfile.parse({"name": "a11y_requests", "mode": "replace", "columns": {
        "created": {"type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"}}})
    with services.sandbox.loading() as con:
        report = datasets.load(con, raw, profile, actor="tests", workdir=importing.workdir(services))
    admin = Scope("tests", "admin")
    create_kpi(services, admin, {
        "id": COMPUTED, "name": "Service requests received", "department": "public-works", "unit": "count",
        "direction": "neutral", "frequency": "monthly", "aggregation": "sum",
        "sql": "SELECT date_trunc('month', created) AS period, count(*) AS value FROM a11y_requests GROUP BY 1"})
    # Library: a department no other test holds meetings for, so their agendas are unchanged.
    meeting = meetings.create_meeting(services, Scope("manager", "manager"), {
        "title": "LibraryStat", "departments": ["library"], "date": "2026-10-15", "time": "10:00",
        "duration_minutes": 60, "location": "Central Library"})
    yield {"meeting": meeting.id}
    web_datasets.revert(services, admin, report.batch_id)
    forget_kpis(services, COMPUTED)


@pytest.fixture(scope="module")
def tabs(browser, live_server, demo_app):
    """`tabs(role, language)`: one tab per person (None: anonymous) and language, signed in
    through the form, in a context that lets axe's script past the CSP (bypass_csp)."""
    opened = {}

    def tab_for(role: str | None, language: str):
        if (role, language) not in opened:
            context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900},
                                          locale="en-US", bypass_csp=True)
            context.add_cookies([{"name": "citystat_lang", "value": language, "url": live_server}])
            tab = context.new_page()
            tab.problems = Problems()
            tab.problems.watch(tab, live_server)
            if role:
                _forget_language(demo_app, role)   # the cookie decides, not a saved preference
                tab.goto("/login")
                tab.locator("#username").fill(role)
                tab.locator("#password").fill(password_of(role))
                tab.locator("button[type=submit]").click()
                tab.wait_for_selector("#main h1")
            opened[(role, language)] = tab
        tab = opened[(role, language)]
        tab.problems.items.clear()
        return tab

    yield tab_for
    for tab in opened.values():
        tab.context.close()


def _settle(tab) -> None:
    """Wait until Dash has no callback in flight (its store, as dash.testing reads it) for a
    few frames running, so assets/a11y.js has mended what the callbacks drew. Quicker than
    waiting for the network to idle for half a second on every page."""
    tab.evaluate("window.__calmFrames = 0")
    tab.wait_for_function(DASH_IDLE, polling="raf")


def _visit(tab, address: str) -> None:
    tab.goto(address)
    tab.wait_for_selector("h1")
    if not address.startswith(("/login", "/public", "/embed")):
        _settle(tab)
    if address in MISSING:   # the 404 is the page under test
        tab.problems.items[:] = [p for p in tab.problems.items if "404" not in p]


def _edges_that_fade(tab) -> list[str]:
    """Controls whose edge (the border, or the fill where it differs from its surroundings)
    is below 3:1 against what is behind them, or against the page's background: a control
    must still show its edge where a layout puts it straight on the page."""
    faint = []
    for control in tab.evaluate(CONTROL_EDGES):
        for ground in {control["behind"], control["page"]}:
            edges = [c for c in (control["border"], control["fill"]) if c and c != ground]
            if edges and max(contrast(edge, ground) for edge in edges) < 3:
                faint.append(f"{control['what']}: border {control['border']}, fill {control['fill']} on {ground}")
    return faint


def _assert_clean(tab, what: str) -> None:
    """No serious or critical axe violation, every status pill with an icon and a word,
    every control's edge at 3:1, and nothing the page logged as a problem."""
    found = axe_violations(tab)
    assert not found, f"{what}: axe found serious or critical WCAG 2.1 AA violations:\n{describe(found)}"
    colour_only = tab.evaluate(STATUS_WORDS)
    assert not colour_only, f"{what}: a status without an icon and a word:\n" + "\n".join(colour_only)
    faint = _edges_that_fade(tab)
    assert not faint, f"{what}: controls whose edge is below 3:1:\n" + "\n".join(faint)
    assert not tab.problems.items, f"{what}: the page reported problems:\n" + "\n".join(tab.problems.items)


def _open_list(tab, dropdown: str) -> None:
    """Open a dropdown and wait until assets/a11y.js has mended its menu (it works in the
    next animation frame, as Dash renders)."""
    tab.locator(dropdown).click()
    expect(tab.get_by_role("option").first).to_be_visible()
    tab.wait_for_function("""() => document.querySelector('[role=listbox][aria-label]') &&
        !document.querySelector('.dash-dropdown-option[role=option]:not([for=""])')""")


# -- every page ------------------------------------------------------------------------------------
def test_every_dash_page_is_in_the_scan(demo_app):
    registered = {page.get("path_template") or page["path"]: page.get("access") for page in dash.page_registry.values()}
    assert set(registered) == set(DASH_PAGES), ("give each new page an address with demo ids in DASH_PAGES "
                                                f"(and its role in LEVEL): {sorted(set(registered) ^ set(DASH_PAGES))}")
    assert registered == {template: LEVEL.get(template, "viewer") for template in DASH_PAGES}, \
        "LEVEL must name each page's access level as its register_page does"


@pytest.mark.parametrize("role,language,template", INTERNAL, ids=[f"{r}-{lang}:{t}" for r, lang, t in INTERNAL])
def test_dash_page(tabs, demo_ids, role, language, template):
    tab = tabs(role, language)
    address = DASH_PAGES[template].format(**demo_ids)
    _visit(tab, address)
    _assert_clean(tab, f"{address} as {role} in {language}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("address", PUBLIC)
def test_public_page(tabs, address, language):
    tab = tabs(None, language)
    _visit(tab, address)
    if "/kpis/" in address:
        tab.wait_for_selector("#kpi-chart .main-svg")
    _assert_clean(tab, f"{address} (anonymous) in {language}")


# -- what a click reveals --------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_kpi_page_unfolded(tabs, language):
    """Prior year on (the chart, table and toggles re-rendered), every disclosure open
    (forecast table, chart data) and the commentary form's period list open."""
    tab = tabs("admin", language)
    _visit(tab, f"/kpi/{KPI}")
    tab.locator("#kpi-prior input[type=checkbox]").check()
    expect(tab.locator(".values-table thead th")).to_have_count(5)
    _settle(tab)
    tab.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    _open_list(tab, "#kpi-comment-period")
    _assert_clean(tab, f"the KPI page with its tables and period list open, in {language}")
    tab.keyboard.press("Escape")
    if language == "en":
        screenshot(tab, "a11y-kpi-unfolded-en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_import_wizard_after_a_file(tabs, language):
    """A sample file with a bad value, dry-run: the preview, the mapping and the report
    with the rejected row, all on the page at once."""
    tab = tabs("analyst" if language == "en" else "admin", language)
    _visit(tab, "/imports")
    tab.set_input_files("#imports-file input[type=file]", str(SAMPLE))
    expect(tab.locator(".preview-table tbody tr")).to_have_count(1)
    _settle(tab)
    tab.locator("#imports-dry").click()
    expect(tab.locator("#imports-report .errors-table, #imports-report .form-error").first).to_be_visible()
    _settle(tab)
    tab.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    _assert_clean(tab, f"the import wizard with a file and its dry run, in {language}")
    if language == "en":
        screenshot(tab, "a11y-import-report-en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_meeting_page_forms(tabs, demo_ids, language):
    """A manager's meeting page: the forms refused (their errors shown) with the owner list
    open, then the due date's calendar open."""
    tab = tabs("admin", language)
    _visit(tab, f"/meetings/{demo_ids['meeting']}")
    tab.locator("#meeting-custom-add").click()
    tab.locator("#meeting-action-add").click()
    expect(tab.locator("#meeting-action-error-what")).not_to_be_empty()
    _settle(tab)
    _open_list(tab, "#meeting-action-owner")
    _assert_clean(tab, f"the meeting page's forms with their errors and the owner list open, in {language}")
    tab.keyboard.press("Escape")
    tab.locator("#meeting-action-due").click()
    year = {"en": "Year", "es": "Año"}[language]   # named by a11y.js, translated by component_labels.js
    expect(tab.locator(".dash-datepicker-controls input[type=number]")).to_have_attribute("aria-label", year)
    _assert_clean(tab, f"the meeting page's date picker, open, in {language}")
    tab.keyboard.press("Escape")
