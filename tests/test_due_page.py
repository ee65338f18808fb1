"""What is due (issue #10) through HTTP: the page and its filters (as any browser can call
them), the analyst's own departments, the "No owner" flags, the department page's card, the
overdue count in the header, and GET /api/v1/due with `as_of`."""
from __future__ import annotations

import json
from datetime import date

import pytest

from dashboards.shell import _due_link
from metrics import due, status
from tests.conftest import DEMO_TODAY, forget_kpis
from tests.dash_client import call, components, render_page, texts
from web.services import EXTENSION

OUTPUTS = [("due-results", "children"), ("due-below", "children")]
LATE = "test-due-late"   # a Police KPI without an owner, last reported in January 2025


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def late_kpi(services):
    with services.warehouse.transaction() as tx:
        tx.execute("INSERT INTO kpis (id, name, department_id, unit, direction, frequency, aggregation, owner) "
                   "VALUES (?, 'Zebra crossings repainted', 'police', 'count', 'up', 'monthly', 'sum', NULL)", [LATE])
        tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) "
                   "VALUES (?, 'monthly', DATE '2025-01-01', 12)", [LATE])
    yield LATE
    forget_kpis(services, LATE)


def _owed(services, as_of: date | None = None, departments=None) -> list[dict]:
    as_of = as_of or date.today()
    rows = due.in_departments(status.kpi_statuses(services.warehouse, services.calendar, as_of), departments)
    return due.due_items(rows, services.calendar, as_of)


def _rows(payload) -> list[dict]:
    """The due table's rows: each {"kpi": id, "state": overdue|due, "no_owner": bool}."""
    found = []
    for row in components(payload):
        classes = row["props"].get("className") or ""
        if row.get("type") == "Tr" and "due-row" in classes.split():
            parts = list(components(row["props"]["children"]))
            kpi = next(p["props"]["href"].removeprefix("/kpi/") for p in parts
                       if str(p["props"].get("href", "")).startswith("/kpi/"))
            found.append({"kpi": kpi, "state": classes.split("due-row-")[1],
                          "no_owner": any("badge-no-owner" in (p["props"].get("className") or "") for p in parts)})
    return found


def _filter(client, departments=None, state="all", unowned=(), headers=None):
    return call(client, OUTPUTS, [("due-department", "value", departments), ("due-state", "value", state),
                                  ("due-only-unowned", "value", list(unowned))], headers=headers)


def _filtered(client, **filters):
    response = _filter(client, **filters)
    assert response.status_code == 200, response.data[:300]
    return json.loads(response.data)["response"]


# -- the page -------------------------------------------------------------------------------------------------
def test_the_page_lists_every_value_owed_overdue_first(client, services, late_kpi):
    payload = json.loads(render_page(client, "/due"))
    rows = _rows(payload)
    expected = _owed(services)
    assert [r["kpi"] for r in rows] == [k["id"] for k in expected] and LATE in [r["kpi"] for r in rows]
    assert [r["state"] for r in rows] == [k["due"]["state"] for k in expected]
    assert rows[0]["state"] == "overdue" and rows[-1]["state"] == "due"   # the demo city owes both kinds
    late = [k["due"]["days_late"] for k in expected if k["due"]["state"] == "overdue"]
    assert late == sorted(late, reverse=True)
    assert {r["kpi"] for r in rows if r["no_owner"]} == {k["id"] for k in expected if not k["due"]["has_owner"]}
    words = texts(json.dumps(payload))
    counts = due.state_counts(expected)
    unowned = due.without_owner(status.kpi_statuses(services.warehouse, services.calendar, date.today()))
    assert "Overdue:" in words and "No owner" in words and "days late" in words
    summary = next(c for c in components(payload) if c["props"].get("className") == "due-summary")
    assert [s for s in texts(json.dumps(summary)).split("\n") if s.isdigit()] == [
        str(counts["overdue"]), str(counts["due"]), str(len(unowned))]


def test_kpis_without_an_owner_are_listed_due_or_not(client, services, late_kpi):
    payload = json.loads(render_page(client, "/due"))
    section = next(c for c in components(payload) if c["props"].get("id") == "due-unowned")
    links = [c["props"]["href"] for c in components(section) if str(c["props"].get("href", "")).startswith("/kpi/")]
    rows = status.kpi_statuses(services.warehouse, services.calendar, date.today())
    assert links == [f"/kpi/{k['id']}" for k in due.without_owner(rows)]
    owed = {k["id"] for k in _owed(services)}
    assert f"/kpi/{LATE}" in links and any(link.removeprefix("/kpi/") not in owed for link in links)


def test_an_analyst_opens_on_their_own_departments(client_as, services):
    payload = json.loads(render_page(client_as("analyst"), "/due"))
    dropdown = next(c for c in components(payload) if c["props"].get("id") == "due-department")
    assert dropdown["props"]["value"] == ["public-works"]
    assert [r["kpi"] for r in _rows(payload)] == [k["id"] for k in _owed(services, departments=["public-works"])]
    # ... and may look at every department, as anyone signed in may read them
    everything = _filtered(client_as("analyst"), departments=[])
    assert len(_rows(everything)) == len(_owed(services)) > len(_rows(payload))


def _open(client, search: str) -> dict:
    """The page as the router renders it for /due`search`."""
    response = call(client, [("_pages_content", "children"), ("_pages_store", "data")],
                    [("_pages_location", "pathname", "/due"), ("_pages_location", "search", search)])
    assert response.status_code == 200
    return json.loads(response.data)


def test_a_department_address_opens_filtered(client, services, late_kpi):
    everything = _rows(_open(client, ""))
    filtered = _open(client, "?department=police")
    dropdown = next(c for c in components(filtered) if c["props"].get("id") == "due-department")
    assert dropdown["props"]["value"] == ["police"]
    assert [r["kpi"] for r in _rows(filtered)] == [k["id"] for k in _owed(services, departments=["police"])]
    assert LATE in [r["kpi"] for r in _rows(filtered)] and len(_rows(filtered)) < len(everything)
    overdue_unowned = _rows(_open(client, "?state=overdue&unowned=1"))
    assert overdue_unowned and all(r["state"] == "overdue" and r["no_owner"] for r in overdue_unowned)
    unknown = _open(client, "?department=nowhere")
    assert "There is no department with the id “nowhere”" in texts(json.dumps(unknown))
    assert len(_rows(unknown)) == len(everything)


def test_the_filters(client, services, late_kpi):
    owed = _owed(services)
    overdue = _rows(_filtered(client, state="overdue"))
    assert {r["state"] for r in overdue} == {"overdue"} and len(overdue) == due.state_counts(owed)["overdue"]
    only_due = _rows(_filtered(client, state="due"))
    assert {r["state"] for r in only_due} == {"due"} and len(only_due) == due.state_counts(owed)["due"]
    unowned = _rows(_filtered(client, unowned=["unowned"]))
    assert unowned and all(r["no_owner"] for r in unowned)
    assert len(unowned) == sum(1 for k in owed if not k["due"]["has_owner"])
    police = _filtered(client, departments=["police"], state="overdue", unowned=["unowned"])
    assert [r["kpi"] for r in _rows(police)] == [LATE]


@pytest.mark.parametrize("departments, state, unowned, words", [
    (["public-works"], "all", ["unowned"], "Every KPI that owes a value has an owner."),
    (["fire"], "due", [], "Nothing is due on time any more: every value owed is already overdue."),
    (["economic-development"], "overdue", [], "Nothing is overdue:"),
    # Housing owes an overdue value without an owner and a due one with an owner
    (["housing"], "due", ["unowned"], "No value owed matches both filters"),
])
def test_filters_that_empty_the_list_say_why(client, services, departments, state, unowned, words):
    owed = _owed(services, departments=departments)
    assert owed and not [k for k in owed if state in ("all", k["due"]["state"])
                         and not (unowned and k["due"]["has_owner"])], "the demo city changed: pick other filters"
    assert words in texts(json.dumps(_filtered(client, departments=departments, state=state, unowned=unowned)))


@pytest.mark.parametrize("departments, state, unowned", [
    (["no-such-department"], "all", []), ("police", "all", []), ([{"id": 1}], "all", []),
    (None, "late", []), (None, 3, []), (None, "all", ["yes"]), (None, "all", "unowned"),
])
def test_filters_the_page_never_offered_change_nothing(client, departments, state, unowned):
    assert _filter(client, departments, state, unowned).status_code == 204


def test_anonymous_callers_get_nothing(anonymous):
    assert _filter(anonymous).status_code == 401


def test_the_page_in_spanish(client):
    words = texts(render_page(client, "/due", headers={"Accept-Language": "es"}))
    assert "Datos pendientes" in words and "Indicadores sin responsable" in words
    assert "What is due" not in words and "No owner" not in words


def test_the_department_page_says_what_is_due_there(client, services):
    payload = json.loads(render_page(client, "/department/public-works"))
    card = next(c for c in components(payload) if "due-card" in (c["props"].get("className") or ""))
    assert any(c["props"].get("href") == "/due?department=public-works" for c in components(card))
    counts = due.state_counts(_owed(services, departments=["public-works"]))
    numbers = [s for s in texts(json.dumps(card)).split("\n") if s.isdigit()]
    assert numbers == [str(counts["overdue"]), str(counts["due"])]


# -- the header ------------------------------------------------------------------------------------------------
def _due_nav(client) -> dict:
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    return next(c for c in components(layout.get_json()) if c["props"].get("href") == "/due"
                and c["props"].get("className") == "nav-link")


def _nav_count(client) -> int | None:
    link = _due_nav(client)
    badge = [c for c in components(link) if c["props"].get("className") == "nav-count"]
    return int(badge[0]["props"]["children"]) if badge else None


def test_the_header_counts_overdue_kpis_of_the_persons_departments(client_as, services, late_kpi):
    today = date.today()
    rows = status.kpi_statuses(services.warehouse, services.calendar, today)
    everywhere = due.overdue_count(rows, services.calendar, today)
    public_works = due.overdue_count(rows, services.calendar, today, frozenset({"public-works"}))
    assert everywhere > public_works > 0
    for person in ("manager", "viewer", "admin"):
        assert _nav_count(client_as(person)) == everywhere
    analyst = client_as("analyst")
    assert _nav_count(analyst) == public_works
    hidden = [c["props"]["children"] for c in components(_due_nav(analyst))
              if c["props"].get("className") == "visually-hidden"]
    assert hidden == [f", {public_works} overdue"]


def test_the_count_follows_writes_to_the_warehouse(client_as, services):
    manager = client_as("manager")
    before = _nav_count(manager)
    with services.warehouse.transaction() as tx:
        tx.execute("INSERT INTO kpis (id, name, department_id, unit, direction, frequency, aggregation) "
                   "VALUES ('test-due-count', 'Count check', 'parks', 'count', 'up', 'monthly', 'sum')")
        tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) "
                   "VALUES ('test-due-count', 'monthly', DATE '2024-01-01', 1)")
    try:
        assert _nav_count(manager) == before + 1
    finally:
        forget_kpis(services, "test-due-count")
    assert _nav_count(manager) == before


def test_no_badge_when_nothing_is_overdue():
    link = _due_link("en", 0)
    assert link.children == "What is due" and link.href == "/due"
    with_count = _due_link("es", 1200)
    assert [getattr(c, "children", c) for c in with_count.children] == ["Pendientes", "1.200", ", 1.200 atrasados"]


def test_the_navigation_links_by_role(client_as):
    def hrefs(person):
        layout = client_as(person).get("/_dash-layout").get_json()
        return {c["props"]["href"] for c in components(layout) if c["props"].get("className") == "nav-link"}
    assert {"/due", "/entry", "/goals/manage"} <= hrefs("manager") and {"/due", "/entry"} <= hrefs("admin")
    assert "/goals/manage" in hrefs("admin")
    assert "/entry" in hrefs("analyst") and "/goals/manage" not in hrefs("analyst")
    assert "/due" in hrefs("viewer") and not {"/entry", "/goals/manage"} & hrefs("viewer")


# -- the API ----------------------------------------------------------------------------------------------------
def test_the_api_lists_what_is_due_as_of_a_day(client, services):
    for as_of in (DEMO_TODAY, date(2026, 3, 15), date(2025, 7, 1)):
        answer = client.get(f"/api/v1/due?as_of={as_of.isoformat()}")
        assert answer.status_code == 200
        expected = _owed(services, as_of)
        assert [i["kpi_id"] for i in answer.get_json()] == [k["id"] for k in expected]
    first = client.get(f"/api/v1/due?as_of={DEMO_TODAY.isoformat()}").get_json()[0]
    kpi = _owed(services, DEMO_TODAY)[0]
    assert first == {
        "kpi_id": kpi["id"], "kpi_name": kpi["name"], "department": kpi["department_id"],
        "department_name": kpi["department_name"], "frequency": kpi["frequency"],
        "period": services.calendar.label(kpi["due"]["period"]),
        "period_start": kpi["due"]["period"].start.isoformat(), "periods_owed": kpi["due"]["periods_owed"],
        "due_date": kpi["due"]["due_date"].isoformat(), "state": "overdue", "days_late": kpi["due"]["days_late"],
        "days_left": 0, "owner": kpi["due"]["owner"], "has_owner": kpi["due"]["has_owner"]}


def test_the_api_filters_by_department_and_state(client, services):
    as_of = DEMO_TODAY.isoformat()
    police = client.get(f"/api/v1/due?as_of={as_of}&department=housing").get_json()
    assert police and {i["department"] for i in police} == {"housing"}
    overdue = client.get(f"/api/v1/due?as_of={as_of}&state=overdue").get_json()
    assert overdue and {i["state"] for i in overdue} == {"overdue"}
    assert all(i["days_late"] > 0 and i["days_left"] == 0 for i in overdue)
    still_due = client.get(f"/api/v1/due?as_of={as_of}&state=due").get_json()
    assert {i["state"] for i in still_due} == {"due"} and len(overdue) + len(still_due) == len(
        client.get(f"/api/v1/due?as_of={as_of}&state=all").get_json())


@pytest.mark.parametrize("query, words", [
    ("as_of=2026-02-30", "as_of"), ("as_of=tomorrow", "as_of"), ("state=late", "state must be one of"),
    ("department=nowhere", "There is no department 'nowhere'"),
])
def test_the_api_says_what_to_fix(client, query, words):
    answer = client.get(f"/api/v1/due?{query}")
    assert answer.status_code == 400 and words in answer.get_json()["error"]


def test_the_api_answers_in_the_callers_language(client):
    answer = client.get("/api/v1/due?department=nowhere", headers={"Accept-Language": "pt"})
    assert answer.status_code == 400 and answer.get_json() == {
        "error": "Não há departamento 'nowhere': use um id de GET /api/v1/departments.", "details": ["department"]}


def test_the_api_needs_a_signed_in_person(anonymous):
    answer = anonymous.get("/api/v1/due")
    assert answer.status_code == 401 and answer.get_json()["error"]


def test_the_api_answers_304_when_nothing_changed(client):
    first = client.get("/api/v1/due?as_of=2026-11-26")
    again = client.get("/api/v1/due?as_of=2026-11-26", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_narratives_owed_section_renders_what_it_is_given(services):
    from dashboards.due_parts import narratives_owed_section
    from metrics.periods import Period

    assert narratives_owed_section(None, {}, "en", services) is None   # nothing supplies them yet: no section
    items = [{"kpi_id": "potholes-repaired", "kpi_name": "Potholes repaired",
              "period": Period("monthly", date(2026, 10, 1)), "department_id": "public-works"},
             {"kpi_id": "violent-crimes", "kpi_name": "Violent crimes", "period": "2026-09", "department_id": "police"}]
    section = narratives_owed_section(items, {"public-works": "Public Works"}, "en", services).to_plotly_json()
    words = texts(json.dumps(section, default=lambda c: c.to_plotly_json()))
    assert "Narratives owed" in words and "2026-10" in words and "Public Works" in words and "police" in words
    assert "/kpi/potholes-repaired" in words and "/kpi/violent-crimes" in words
    empty = narratives_owed_section([], {}, "pt", services).to_plotly_json()
    assert "Nenhuma narrativa pendente." in texts(json.dumps(empty, default=lambda c: c.to_plotly_json()))


def test_narratives_owed_are_listed_when_the_city_requires_them(client, services, monkeypatch):
    from config import Config

    def section(response):
        return [node for node in components(response) if node.get("props", {}).get("id") == "due-narratives"]
    assert section(_filtered(client)) == []   # by default the city requires none: no section
    monkeypatch.setattr(services, "config", Config({**services.config.as_dict(), "narrative_required": "off_track"}))
    found = section(_filtered(client))
    assert len(found) == 1
    links = [node["props"]["href"] for node in components(found[0]) if str(node.get("props", {}).get("href", ""))
             .startswith("/kpi/")]
    rows = status.kpi_statuses(services.warehouse, services.calendar, date.today())
    off = {f"/kpi/{row['id']}" for row in rows if row["status"] == "off_track"}
    assert links and set(links) <= off
