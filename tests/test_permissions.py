"""The permission matrix: every page, every route and every Dash callback, read from the
app's own registries, against anonymous, viewer, analyst, manager and admin.

A new page, route or callback without an access level fails here (and the app refuses to
start); one with a level gets checked by behaviour, so a wrong declaration shows up as a
wrong answer. EXPECTED pins the levels that matter most, so a loosened rule fails too.
"""
from __future__ import annotations

import re

import dash
import pytest

from metrics import catalog
from metrics.access import Scope
from tests.dash_client import call, render_page, texts
from web.guard import DASH_ENDPOINTS, ROUTER_OUTPUT, endpoint_level
from web.rules import CALLBACK_RULES
from web.services import EXTENSION

PEOPLE = (None, "viewer", "analyst", "manager", "admin")
FORBIDDEN_PAGE = "Not available to your account"

# Levels that must not drift. Anything not listed is still checked against its declaration.
EXPECTED = {
    "page /": "viewer",
    "page /kpi/<kpi_id>": "viewer",
    "page /admin/users": "admin",
    "page /admin/audit": "admin",
    "route GET /api/v1/health": "public",
    "route GET /login": "public",
    "route POST /logout": "public",
    "route GET /_dash-layout": "viewer",
    "route GET /_dash-dependencies": "viewer",
    "page /goal/<goal_id>": "viewer",
    "page /department/<department_id>": "viewer",
    "callback ..overview-kpis.children...overview-show-all.hidden..": "viewer",
    "callback ..goal-table.children...goal-sort.data..": "viewer",
    "callback ..department-table.children...department-sort.data..": "viewer",
    "callback ..kpi-chart.figure...kpi-chart-summary.children...kpi-values.children..": "viewer",
    "callback kpi-breakdown.children": "viewer",
    "callback kpi-download.data": "viewer",
    "page /imports": "analyst",
    "page /imports/history": "viewer",
    "callback ..imports-upload.data...imports-preview.data...imports-file-status.children...imports-file.contents"
    "...imports-sheet.options...imports-sheet.value...imports-sheet-field.hidden..": "analyst",
    "callback ..imports-save-message.children...imports-saved.data..": "analyst",
    "callback import-history-table.children": "viewer",
    "callback ..import-history-message.children...import-history-changed.data..": "analyst",
    "route POST /api/v1/meetings": "manager",
    "route GET /api/v1/meetings": "viewer",
    "route GET /api/v1/meetings/<int:meeting_id>": "viewer",
    "route PATCH /api/v1/meetings/<int:meeting_id>": "manager",
    "route POST /api/v1/meetings/<int:meeting_id>/agenda/draft": "manager",
    "route PUT /api/v1/meetings/<int:meeting_id>/agenda": "manager",
    "route POST /api/v1/meetings/<int:meeting_id>/decisions": "manager",
    "route POST /api/v1/meetings/<int:meeting_id>/action-items": "manager",
    "route GET /api/v1/action-items": "viewer",
    "route PATCH /api/v1/action-items/<int:item_id>": "analyst",
    "page /meetings": "viewer",
    "page /meetings/<meeting_id>": "viewer",
    "page /action-items": "viewer",
    "callback ..meetings-upcoming.children...meetings-history.children..": "viewer",
    "callback ..meetings-create-message.children...meetings-error-title.children...meetings-error-departments"
    ".children...meetings-error-date.children...meetings-error-time.children...meetings-error-duration.children"
    "...meetings-error-location.children...meetings-error-attendees.children...meetings-go.href..": "manager",
    "callback meeting-total.children": "viewer",
    "callback meeting-confirm-redraft.displayed": "manager",
    "callback ..meeting-items.data...meeting-agenda.children...meeting-agenda-message.children"
    "...meeting-custom-title.value...meeting-custom-questions.value...meeting-as-of.children..": "manager",
    "callback ..meeting-status.children...meeting-documents.children...meeting-held.hidden...meeting-planned.hidden"
    "...meeting-decisions.children...meeting-decision-text.value...meeting-record-message.children..": "manager",
    "callback ..meeting-actions.children...meeting-action-message.children...meeting-action-what.value"
    "...meeting-action-owner.value...meeting-action-owner-name.value...meeting-action-due.date"
    "...meeting-action-kpis.value...meeting-action-error-what.children...meeting-action-error-owner.children"
    "...meeting-action-error-due.children...meeting-action-error-department.children"
    "...meeting-action-error-kpis.children..": "manager",
    # Owners update their own items, as through PATCH /api/v1/action-items; the service checks whose.
    "callback ..actions-message.children...actions-changed.data..": "analyst",
    # The catalogue kept in the app (issue #10).
    "page /goals/manage": "manager",
    "page /kpi/<kpi_id>/edit": "analyst",
    "page /kpi/<kpi_id>/targets": "analyst",
    "page /entry": "analyst",
    "page /due": "viewer",
    "route POST /api/v1/goals": "manager",
    "route PUT /api/v1/goals/<goal_id>": "manager",
    "route PUT /api/v1/kpis/<kpi_id>": "analyst",
    "route PUT /api/v1/kpis/<kpi_id>/targets": "analyst",
    "route POST /api/v1/kpis/<kpi_id>/narratives": "analyst",
    "route GET /api/v1/kpis/<kpi_id>/narratives": "public",
    "route GET /api/v1/due": "viewer",
    "callback ..actions-list.children...actions-summary.children..": "viewer",
    "route POST /api/v1/datasets": "analyst",
    "route GET /api/v1/datasets": "viewer",
    "route GET /api/v1/datasets/<name>/batches": "viewer",
    # The service also checks whose load it is: its loader, managers and admins.
    "route POST /api/v1/datasets/batches/<int:batch_id>/revert": "analyst",
    "page /datasets": "viewer",
    "callback ..datasets-table.children...datasets-chosen.options...datasets-chosen.value...datasets-load-card.hidden"
    "...datasets-limit.data...datasets-file-hint.children..": "viewer",
    "callback datasets-detail.children": "viewer",
    "callback ..datasets-report.children...datasets-loaded.data..": "analyst",
    "callback ..datasets-confirm.displayed...datasets-confirm.message...datasets-pending.data..": "analyst",
    "callback ..datasets-revert-message.children...datasets-reverted.data..": "analyst",
    # Analysts write KPIs of their own departments only; web.kpi_definitions checks which.
    "route POST /api/v1/kpis": "analyst",
    "route PUT /api/v1/kpis/<kpi_id>": "analyst",
    "page /kpi/<kpi_id>/definition": "analyst",
    "page /kpi-new": "analyst",
    "callback kpi-def-result.children": "analyst",
    "callback ..kpi-def-message.children...kpi-def-history.children..": "analyst",
    "callback ..kpi-new-message.children...kpi-new-go.href..": "analyst",
}


@pytest.fixture(scope="module")
def dash_app(demo_app):
    demo_app.test_client().get("/login")   # Dash registers its page router on the first request
    return demo_app.extensions["dash"]


@pytest.fixture(scope="module")
def sample_kpi(demo_app):
    services = demo_app.extensions[EXTENSION]
    return catalog.kpi_summaries(services.warehouse, services.calendar)[0]


@pytest.fixture
def client_for(client_as, anonymous):
    return lambda person: anonymous if person is None else client_as(person)


def _scope(person) -> Scope:
    return Scope(person or "anonymous", person)


def _fill(template: str, kpi) -> str:
    # Numeric ids (meetings, loads, action items) that exist nowhere: access is decided
    # before the record is looked up; a real one would be changed by the probe (a load
    # reverted) or rendered (a packet, a browser started) once per route and role.
    return re.sub(r"<[^>]+>", lambda m: kpi["id"] if "kpi" in m.group(0) else
                  "987654" if m.group(0).startswith("<int:") else "1", template)


def _pages():
    return [(page.get("path_template") or page["path"], page.get("access")) for page in dash.page_registry.values()]


# -- every registered thing has a level ------------------------------------------------------------
def test_every_route_declares_who_may_call_it(demo_app):
    missing = [rule.rule for rule in demo_app.url_map.iter_rules()
               if rule.endpoint != "static" and endpoint_level(demo_app, rule.endpoint) is None]
    assert not missing, f"routes without an access level: {missing}"


def test_every_page_and_callback_declares_who_may_use_it(dash_app):
    assert all(level for _, level in _pages()), _pages()
    rules = dash_app.server.extensions[CALLBACK_RULES]
    server_side = {key for key, entry in dash_app.callback_map.items() if entry.get("callback")}
    assert server_side - {ROUTER_OUTPUT} - set(rules) == set()


def test_pinned_levels_hold(demo_app, dash_app):
    declared = {f"page {path}": level for path, level in _pages()}
    for rule in demo_app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            declared[f"route {method} {rule.rule}"] = endpoint_level(demo_app, rule.endpoint)
    declared.update({f"callback {key}": level for key, level in dash_app.server.extensions[CALLBACK_RULES].items()})
    drift = {name: (declared.get(name), level) for name, level in EXPECTED.items() if declared.get(name) != level}
    assert not drift, f"declared vs expected: {drift}"


# -- and behaves accordingly ----------------------------------------------------------------------------
@pytest.mark.parametrize("person", PEOPLE)
def test_pages(person, client_for, sample_kpi):
    client = client_for(person)
    for template, level in _pages():
        path = _fill(template, sample_kpi)
        response = call(client, [("_pages_content", "children"), ("_pages_store", "data")],
                        [("_pages_location", "pathname", path), ("_pages_location", "search", "")])
        if person is None:
            assert response.status_code == 401, path
            assert sample_kpi["name"] not in response.get_data(as_text=True)
            continue
        assert response.status_code == 200, (path, person)
        shown = texts(response.get_data(as_text=True))
        if _scope(person).allows(level):
            assert FORBIDDEN_PAGE not in shown, (path, person)
        else:
            assert FORBIDDEN_PAGE in shown, (path, person)


@pytest.mark.parametrize("person", PEOPLE)
def test_page_urls_send_anonymous_visitors_to_sign_in(person, client_for, sample_kpi):
    client = client_for(person)
    for template, _level in _pages():
        response = client.get(_fill(template, sample_kpi))
        if person is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
        else:
            assert response.status_code == 200


@pytest.mark.parametrize("person", PEOPLE)
def test_routes(person, client_for, demo_app, sample_kpi):
    client = client_for(person)
    for rule in demo_app.url_map.iter_rules():
        level = endpoint_level(demo_app, rule.endpoint)
        if rule.endpoint in DASH_ENDPOINTS and level in ("page", "callback"):
            continue   # pages and callbacks have their own tests above and below
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = _fill(rule.rule, sample_kpi)
            if rule.endpoint.startswith("/_dash-component-suites") or rule.endpoint == "_dash_assets.static":
                path = "/assets/citystat.css"
            response = client.open(path, method=method, json={} if method != "GET" else None,
                                   headers={"Origin": "http://localhost"})
            response.close()   # file answers (assets) hold the file open until closed
            label = f"{method} {rule.rule} as {person}"
            if _scope(person).allows(level):
                assert response.status_code not in (401, 403), label
            elif person is None:
                assert response.status_code in (401, 302), label
            else:
                assert response.status_code == 403, label


@pytest.mark.parametrize("person", PEOPLE)
def test_callbacks(person, client_for, dash_app):
    client = client_for(person)
    rules = dash_app.server.extensions[CALLBACK_RULES]
    for key, entry in dash_app.callback_map.items():
        if not entry.get("callback") or key == ROUTER_OUTPUT:
            continue
        outputs = [tuple(part.rsplit(".", 1)) for part in key.strip(".").split("...")]
        inputs = [(i["id"], i["property"], None) for i in entry["inputs"]]
        state = [(s["id"], s["property"], None) for s in entry["state"]]
        response = call(client, outputs, inputs, state)
        label = f"{key} as {person}"
        if _scope(person).allows(rules[key]):
            assert response.status_code in (200, 204), label
        elif person is None:
            assert response.status_code == 401, label
            assert response.get_json()["error"] and "response" not in response.get_json()
        else:
            assert response.status_code == 403, label


def test_an_unknown_callback_is_refused(client):
    response = call(client, [("made-up", "children")], [("made-up-input", "value", 1)])
    assert response.status_code == 403


def test_a_refusal_is_audited(client_as, demo_app):
    from web import audit

    services = demo_app.extensions[EXTENSION]
    before = len(audit.events(services, outcome="denied", actor="viewer", limit=1000))
    render = render_page(client_as("viewer"), "/admin/users")
    assert FORBIDDEN_PAGE in texts(render)
    after = audit.events(services, outcome="denied", actor="viewer", limit=1000)
    assert len(after) == before + 1 and after[0].target == "/admin/users"


def test_the_page_config_carries_no_data_from_whoever_came_first(client_as, demo_app):
    """Dash embeds every page's layout, built on its first request, in the HTML it sends
    to everyone; it must hold ids only, never the first person's data."""
    admin = client_as("admin")
    admin.get("/")
    html = client_as("viewer").get("/").get_data(as_text=True)
    config = html.split('id="_dash-config"', 1)[1].split("</script>", 1)[0]
    assert "Test Admin" not in config and "Test Viewer" not in config
    assert '"name":"csrf_token"' not in config
    services = demo_app.extensions[EXTENSION]
    names = [k["name"] for k in catalog.kpi_summaries(services.warehouse, services.calendar)]
    assert not any(name in config for name in names)
    assert "overview-department" in config   # the ids Dash needs are still there
