"""Issue #8's reading API: departments, publishing a goal, observation exports (CSV and
XLSX, formula-safe), and conditional GET (ETag, Last-Modified, 304)."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.conftest import forget_kpis
from tests.helpers import ORIGIN
from web import audit
from web.services import EXTENSION

NOTE = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.fixture
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def export_kpi(services):
    """A published KPI with a value and a note that a spreadsheet would run as a formula."""
    with services.warehouse.transaction() as tx:
        tx.execute("INSERT INTO kpis (id, name, department_id, unit, direction, frequency, aggregation, published) "
                   "VALUES ('zz-export', '-Export check', 'police', 'count', 'up', 'monthly', 'sum', TRUE)")
        tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value, note) VALUES "
                   "('zz-export', 'monthly', DATE '2026-09-01', 1297, ?), "
                   "('zz-export', 'monthly', DATE '2026-10-01', 12.5, '+1 more'), "
                   "('zz-export', 'monthly', DATE '2026-10-01', 3, '@sum')", [NOTE])
        tx.execute("UPDATE observations SET dimension = 'district', member = '-District 1' "
                   "WHERE kpi_id = 'zz-export' AND note = '@sum'")
    yield "zz-export"
    forget_kpis(services, "zz-export")


def _flag(services, table, item_id, value):
    with services.warehouse.transaction() as tx:
        tx.execute(f"UPDATE {table} SET published = ? WHERE id = ?", [value, item_id])


# -- departments ---------------------------------------------------------------------------------------
def test_departments_count_what_the_caller_may_see(anonymous, client, services):
    with services.warehouse.transaction() as tx:
        tx.execute("INSERT INTO departments (id, name) VALUES ('zz-dept', 'Internal Audit Office')")
        tx.execute("INSERT INTO kpis (id, name, department_id, unit, direction, frequency, aggregation) "
                   "VALUES ('zz-dept-kpi', 'Audits closed', 'zz-dept', 'count', 'up', 'monthly', 'sum')")
    try:
        _check_departments(anonymous, client, services)
    finally:
        forget_kpis(services, "zz-dept-kpi")
        with services.warehouse.transaction() as tx:
            tx.execute("DELETE FROM departments WHERE id = 'zz-dept'")


def _check_departments(anonymous, client, services):
    everyone = {d["id"]: d for d in client.get("/api/v1/departments").get_json()}
    public = {d["id"]: d for d in anonymous.get("/api/v1/departments").get_json()}
    live = services.warehouse.query("SELECT department_id, count(*), count(*) FILTER (WHERE published) "
                                    "FROM kpis WHERE NOT archived GROUP BY ALL").rows
    assert {d: n for d, n, _ in live} == {d: row["kpi_count"] for d, row in everyone.items() if row["kpi_count"]}
    assert {d: p for d, _, p in live if p} == {d: row["kpi_count"] for d, row in public.items()}
    assert "zz-dept" in everyone and "zz-dept" not in public   # no published KPI: not there for anonymous
    assert set(next(iter(public.values()))) == {"id", "name", "name_es", "name_pt", "head", "kpi_count"}


# -- publishing a goal ---------------------------------------------------------------------------------
def test_a_manager_publishes_a_goal_and_it_is_audited(client_as, anonymous, services):
    manager = client_as("manager")
    goal = services.warehouse.query("SELECT id FROM goals WHERE published ORDER BY id LIMIT 1").scalar()
    try:
        response = manager.put(f"/api/v1/goals/{goal}", json={"published": False}, headers=ORIGIN)
        assert response.status_code == 200
        assert response.get_json() == {"id": goal, "title": response.get_json()["title"], "published": False,
                                       "changed": True}
        assert goal not in {g["id"] for g in anonymous.get("/api/v1/goals").get_json()}
        assert anonymous.get(f"/api/v1/kpis?goal={goal}").get_json() == []
        assert all(k["goal_id"] != goal for k in anonymous.get("/api/v1/kpis?limit=1000").get_json())
        event = audit.events(services, action="publishing", limit=1)[0]
        assert (event.actor, event.outcome, event.target) == ("manager", "success", f"goal:{goal}")
        assert event.details == {"before": True, "after": False}
        again = manager.put(f"/api/v1/goals/{goal}", json={"published": False}, headers=ORIGIN)
        assert again.get_json()["changed"] is False
    finally:
        manager.put(f"/api/v1/goals/{goal}", json={"published": True}, headers=ORIGIN)
    assert goal in {g["id"] for g in anonymous.get("/api/v1/goals").get_json()}


@pytest.mark.parametrize("who, status", [("analyst", 403), ("viewer", 403)])
def test_only_managers_publish(client_as, services, who, status):
    goal = services.warehouse.query("SELECT id FROM goals WHERE published ORDER BY id LIMIT 1").scalar()
    response = client_as(who).put(f"/api/v1/goals/{goal}", json={"published": False}, headers=ORIGIN)
    assert response.status_code == status
    assert services.warehouse.query("SELECT published FROM goals WHERE id = ?", [goal]).scalar() is True
    event = audit.events(services, action="access", limit=1)[0]
    assert event.outcome == "denied" and event.actor == who


def test_the_service_refuses_analysts_too(services, demo_app):
    """Pages call the service directly: it checks the person itself, and audits the refusal."""
    from metrics.access import Scope
    from web.publishing import PublishingError, set_published

    analyst = Scope("analyst", "analyst", frozenset({"public-works"}))
    with demo_app.test_request_context():
        with pytest.raises(PublishingError) as refused:
            set_published(services, analyst, "kpi", "police-p1-response", False)
    assert refused.value.status == 403
    assert services.warehouse.query("SELECT published FROM kpis WHERE id = 'police-p1-response'").scalar() is True
    event = audit.events(services, action="publishing", limit=1)[0]
    assert (event.actor, event.outcome, event.target) == ("analyst", "denied", "kpi:police-p1-response")


@pytest.mark.parametrize("body, status, words", [
    ({}, 400, "JSON object"),
    ({"published": "yes"}, 400, "true or false"),
    ({"published": True, "title": "New"}, 400, "title"),
    ([True], 400, "JSON object"),
])
def test_goal_bodies_that_cannot_be_used(client_as, body, status, words):
    response = client_as("manager").put("/api/v1/goals/vision-zero", json=body, headers=ORIGIN)
    assert response.status_code == status and words in response.get_json()["error"]


def test_publishing_an_unknown_goal_is_404(client_as):
    response = client_as("manager").put("/api/v1/goals/no-such-goal", json={"published": True}, headers=ORIGIN)
    assert response.status_code == 404 and "no-such-goal" in response.get_json()["error"]


def test_a_published_kpi_under_an_unpublished_goal_shows_no_goal(anonymous, client, services):
    kpi = services.warehouse.query("SELECT id, goal_id FROM kpis WHERE published AND goal_id IS NOT NULL "
                                   "ORDER BY id LIMIT 1").first()
    _flag(services, "goals", kpi["goal_id"], False)
    try:
        public = anonymous.get(f"/api/v1/kpis/{kpi['id']}").get_json()
        assert public["goal_id"] is None
        assert client.get(f"/api/v1/kpis/{kpi['id']}").get_json()["goal_id"] == kpi["goal_id"]
    finally:
        _flag(services, "goals", kpi["goal_id"], True)


def test_goal_roll_ups_for_anonymous_count_published_kpis_only(anonymous, client):
    public = {g["id"]: g for g in anonymous.get("/api/v1/goals").get_json()}
    internal = {g["id"]: g for g in client.get("/api/v1/goals").get_json()}
    published = anonymous.get("/api/v1/kpis?limit=1000").get_json()
    for goal_id, goal in public.items():
        assert goal["published"] is True
        direct = [k for k in published if k["goal_id"] == goal_id]
        assert goal["kpi_total"] >= len(direct)
        assert goal["kpi_total"] <= internal[goal_id]["kpi_total"]
    assert any(public[g]["kpi_total"] < internal[g]["kpi_total"] for g in public)


# -- exports -------------------------------------------------------------------------------------------
def test_observations_csv_neutralises_formulas_and_keeps_numbers(anonymous, export_kpi):
    response = anonymous.get(f"/api/v1/kpis/{export_kpi}/observations.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["value"] for r in rows] == ["1297", "12.5", "3"]
    assert [r["note"] for r in rows] == ["'" + NOTE, "'+1 more", "'@sum"]
    assert rows[2]["member"] == "'-District 1" and rows[0]["period"] == "2026-09"


def test_observations_xlsx_has_typed_cells_and_no_formula(anonymous, export_kpi):
    response = anonymous.get(f"/api/v1/kpis/{export_kpi}/observations.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["kpi_id", "period", "period_start"]
    cells = {name: [row[i] for row in sheet.iter_rows(min_row=2)] for i, name in enumerate(header)}
    assert [c.value for c in cells["value"]] == [1297, 12.5, 3] and {c.data_type for c in cells["value"]} == {"n"}
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    notes = cells["note"]
    assert [c.value for c in notes] == ["'" + NOTE, "'+1 more", "'@sum"]
    assert all(c.quotePrefix for c in notes)
    assert cells["period_start"][0].is_date


def test_exports_follow_as_of(client, export_kpi):
    text = client.get(f"/api/v1/kpis/{export_kpi}/observations.csv?as_of=2026-10-15").get_data(as_text=True)
    assert "2026-09" in text and "2026-10" not in text
    assert client.get(f"/api/v1/kpis/{export_kpi}/observations.csv?as_of=2026-13-01").status_code == 400


def test_unpublished_exports_exist_only_for_staff(anonymous, client, services):
    hidden = services.warehouse.query("SELECT id FROM kpis WHERE NOT published AND NOT archived "
                                      "ORDER BY id LIMIT 1").scalar()
    for kind in ("csv", "xlsx"):
        refused = anonymous.get(f"/api/v1/kpis/{hidden}/observations.{kind}")
        unknown = anonymous.get(f"/api/v1/kpis/not-a-kpi/observations.{kind}")
        assert refused.status_code == unknown.status_code == 404
        assert refused.get_json()["error"].replace(hidden, "X") == unknown.get_json()["error"].replace("not-a-kpi", "X")
        assert client.get(f"/api/v1/kpis/{hidden}/observations.{kind}").status_code == 200


# -- conditional GET -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/kpis?limit=5", "/api/v1/kpis/police-p1-response", "/api/v1/goals",
                                  "/api/v1/departments", "/api/v1/kpis/police-p1-response/observations.csv",
                                  "/api/v1/kpis/police-p1-response/observations.xlsx"])
def test_read_routes_answer_304_while_nothing_changed(anonymous, path):
    first = anonymous.get(path)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert "no-cache" in first.headers["Cache-Control"] and "Cookie" in first.headers["Vary"]
    assert anonymous.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert anonymous.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert anonymous.get(path).headers["ETag"] == first.headers["ETag"]
    assert anonymous.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_a_write_moves_last_modified_and_the_etag(anonymous, services, export_kpi):
    path = f"/api/v1/kpis/{export_kpi}?as_of=2026-11-01"
    first = anonymous.get(path)
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE observations SET value = 1300 WHERE kpi_id = ? AND period_start = DATE '2026-09-01'",
                   [export_kpi])
    second = anonymous.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert second.last_modified >= first.last_modified


def test_signed_in_answers_are_private(client):
    assert "private" in client.get("/api/v1/goals").headers["Cache-Control"]


def test_kept_answers_never_cross_from_staff_to_anonymous(anonymous, client, services):
    hidden = services.warehouse.query("SELECT id FROM kpis WHERE NOT published AND NOT archived "
                                      "ORDER BY id LIMIT 1").scalar()
    for path in (f"/api/v1/kpis/{hidden}", "/api/v1/kpis?limit=1000", "/api/v1/goals", "/api/v1/departments",
                 f"/api/v1/kpis/{hidden}/observations.csv"):
        staff = client.get(path)
        assert staff.status_code == 200
        public = anonymous.get(path)
        assert hidden not in public.get_data(as_text=True) or public.status_code == 404
        assert public.headers.get("ETag") != staff.headers["ETag"]
