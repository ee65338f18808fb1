"""Writing KPIs through POST/PUT /api/v1/kpis and the definition page: a computed KPI created
with its SQL over a raw dataset gets its values, a changed SQL is version 2, refused SQL
(files, writes, two statements, unknown tables) is 422 with the checker's words and nothing
written, analysts write only for their departments and only managers publish, and every
write and refusal is audited. Each test uses KPI ids of its own: the demo app is shared."""
from __future__ import annotations

import pytest

from metrics import computed, datasets
from metrics.access import Scope
from tests.conftest import forget_kpis
from tests.dash_client import call, render_page, texts
from tests.helpers import ORIGIN
from web import audit, importing
from web import datasets as web_datasets
from web.kpi_definitions import KpiWriteError, create_kpi, update_kpi
from web.services import EXTENSION

REQUESTS = "created,closed,district\n" + "".join(
    f"2026-0{month}-{day:02d} 08:00:00,2026-0{month}-{day + 2:02d} 09:00:00,D{day % 3 + 1}\n"
    for month in range(1, 7) for day in range(1, 1 + month * 3))
VOLUME = "SELECT date_trunc('month', created) AS period, count(*) AS value FROM defs_requests GROUP BY 1"
BY_DISTRICT = ("SELECT date_trunc('month', created) AS period, district AS member, count(*) AS value "
               "FROM defs_requests GROUP BY GROUPING SETS ((1, 2), (1))")


@pytest.fixture(scope="module")
def services(demo_app, tmp_path_factory):
    """The demo app with a small raw 311 dataset, defs_requests, in its sandbox."""
    services = demo_app.extensions[EXTENSION]
    path = tmp_path_factory.mktemp("raw") / "requests.csv"
    path.write_text(REQUESTS)
    profile = datasets.DatasetProfile.parse({"name": "defs_requests", "mode": "replace", "columns": {
        "created": {"type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"},
        "closed": {"type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"}}})
    with services.sandbox.loading() as con:
        report = datasets.load(con, path, profile, actor="tests", workdir=importing.workdir(services))
    yield services
    # Reverted and removed, so that later tests of the shared app find the demo city as seeded.
    web_datasets.revert(services, Scope("tests", "admin"), report.batch_id)
    forget_kpis(services, "defs-%")


def _kpi(kpi_id: str, **more) -> dict:
    return {"id": kpi_id, "name": f"Requests {kpi_id}", "department": "public-works", "unit": "count",
            "direction": "neutral", "frequency": "monthly", "aggregation": "sum", **more}


def _values(services, kpi_id: str) -> list[dict]:
    return services.warehouse.query("SELECT period_start, member, value, definition_version, raw_batch "
                                    "FROM observations WHERE kpi_id = ? ORDER BY period_start, member",
                                    [kpi_id]).dicts()


def _events(services, action: str, target: str):
    return [e for e in audit.events(services, action=action, limit=500) if e.target == target]


def test_a_computed_kpi_is_created_with_its_values_and_changed_to_version_2(client_as, services):
    manager = client_as("manager")
    response = manager.post("/api/v1/kpis", json=_kpi("defs-volume", sql=VOLUME), headers=ORIGIN)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["definition"]["version"] == 1 and body["definition"]["observations"] == 6
    assert body["definition"]["datasets"] == ["defs_requests"]
    values = _values(services, "defs-volume")
    assert [v["value"] for v in values] == [3, 6, 9, 12, 15, 18]
    assert {v["definition_version"] for v in values} == {1} and values[0]["raw_batch"] is not None

    response = manager.put("/api/v1/kpis/defs-volume", json={"sql": BY_DISTRICT, "name": "Requests by district"},
                           headers=ORIGIN)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["definition"]["version"] == 2 and response.get_json()["changed"] == ["name"]
    assert len(_values(services, "defs-volume")) == 6 * 4
    assert [h["version"] for h in computed.definition_history(services.warehouse, "defs-volume")] == [2, 1]
    event = _events(services, "kpi.definition", "defs-volume")[0]
    assert event.outcome == "success" and event.details["old_version"] == 1 and event.details["new_version"] == 2
    assert event.details["old_sql"].startswith("SELECT date_trunc") and "district" in event.details["new_sql"]
    assert _events(services, "kpi.create", "defs-volume")[0].details["computed"] is True
    assert _events(services, "kpi.update", "defs-volume")[0].details["changed"] == ["name"]
    shown = client_as("viewer").get("/api/v1/kpis/defs-volume").get_json()
    assert shown["name"] == "Requests by district" and len(shown["observations"]) == 24


def test_the_kpi_page_says_where_computed_values_come_from(client_as, services):
    create_kpi(services, Scope("manager", "manager"), _kpi("defs-lineage", sql=VOLUME))
    page = render_page(client_as("analyst"), "/kpi/defs-lineage")
    assert "Computed from defs_requests by definition version 1 (saved by manager" in texts(page)
    assert "kpi-definition-link" in page and "/kpi/defs-lineage/definition" in texts(page)
    page = render_page(client_as("viewer"), "/kpi/defs-lineage")
    assert "Computed from defs_requests" in texts(page) and "kpi-definition-link" not in page


@pytest.mark.parametrize("sql, words", [
    ("SELECT * FROM read_csv('/etc/passwd')", "Table functions"),
    ("DROP TABLE defs_requests", "single SELECT"),
    (VOLUME + "; " + VOLUME, "2 statements"),
    ("SELECT date_trunc('month', created) AS period, count(*) AS value FROM secret_table GROUP BY 1", "secret_table"),
])
def test_refused_sql_is_422_with_the_checkers_words_and_nothing_written(client_as, services, sql, words):
    manager = client_as("manager")
    response = manager.post("/api/v1/kpis", json=_kpi("defs-refused", sql=sql), headers=ORIGIN)
    assert response.status_code == 422, response.get_json()
    assert words in " ".join(response.get_json()["details"])
    assert manager.get("/api/v1/kpis/defs-refused").status_code == 404
    assert _events(services, "kpi.create", "defs-refused")[0].outcome == "failure"

    create_kpi(services, Scope("manager", "manager"), _kpi("defs-kept", sql=VOLUME)) \
        if computed.definition(services.warehouse, "defs-kept") is None else None
    response = manager.put("/api/v1/kpis/defs-kept", json={"sql": sql, "name": "Renamed"}, headers=ORIGIN)
    assert response.status_code == 422 and words in " ".join(response.get_json()["details"])
    assert computed.definition(services.warehouse, "defs-kept")["version"] == 1
    assert manager.get("/api/v1/kpis/defs-kept").get_json()["name"] == "Requests defs-kept"


def test_who_may_write(client_as, anonymous, services):
    body = _kpi("defs-transport", department="transportation", sql=VOLUME)
    response = client_as("analyst").post("/api/v1/kpis", json=body, headers=ORIGIN)
    assert response.status_code == 403 and "transportation" in response.get_json()["error"]
    assert _events(services, "kpi.create", "defs-transport")[0].outcome == "denied"
    assert client_as("viewer").post("/api/v1/kpis", json=body, headers=ORIGIN).status_code == 403
    assert anonymous.post("/api/v1/kpis", json=body, headers=ORIGIN).status_code == 401

    analyst = client_as("analyst")
    assert analyst.post("/api/v1/kpis", json=_kpi("defs-own", sql=VOLUME), headers=ORIGIN).status_code == 201
    response = analyst.put("/api/v1/kpis/defs-own", json={"published": True}, headers=ORIGIN)
    assert response.status_code == 403 and "managers" in response.get_json()["error"]
    response = analyst.put("/api/v1/kpis/defs-own", json={"department": "transportation"}, headers=ORIGIN)
    assert response.status_code == 403
    create_kpi(services, Scope("manager", "manager"), _kpi("defs-theirs", department="transportation"))
    response = analyst.put("/api/v1/kpis/defs-theirs", json={"sql": VOLUME}, headers=ORIGIN)
    assert response.status_code == 403 and computed.definition(services.warehouse, "defs-theirs") is None
    assert _events(services, "kpi.definition", "defs-theirs")[0].outcome == "denied"
    assert client_as("viewer").put("/api/v1/kpis/defs-own", json={"name": "x"}, headers=ORIGIN).status_code == 403
    assert anonymous.put("/api/v1/kpis/defs-own", json={"name": "x"}, headers=ORIGIN).status_code == 401


def test_bodies_that_say_what_to_fix(client_as, services):
    manager = client_as("manager")
    response = manager.post("/api/v1/kpis", data="not json", content_type="application/json", headers=ORIGIN)
    assert response.status_code == 400
    response = manager.post("/api/v1/kpis", json={"id": "bad id!", "frequency": "hourly", "colour": "red",
                                                   "department": "nowhere", "tolerance": "lots"}, headers=ORIGIN)
    assert response.status_code == 400
    details = " ".join(response.get_json()["details"])
    for words in ('"id" is required', '"name" is required', '"frequency" must be one of', "'colour'",
                  '"department" must be one of', '"tolerance" must be a fraction'):
        assert words in details
    create_kpi(services, Scope("manager", "manager"), _kpi("defs-twice"))
    assert manager.post("/api/v1/kpis", json=_kpi("defs-twice"), headers=ORIGIN).status_code == 409
    assert manager.put("/api/v1/kpis/defs-nowhere", json={"name": "x"}, headers=ORIGIN).status_code == 404
    assert manager.put("/api/v1/kpis/defs-twice", json={}, headers=ORIGIN).status_code == 400
    with pytest.raises(KpiWriteError) as refused:
        update_kpi(services, Scope("manager", "manager"), "defs-twice", {"id": "other"})
    assert refused.value.status == 400


def test_the_definition_page_previews_and_saves(client_as, services):
    create_kpi(services, Scope("manager", "manager"), _kpi("defs-page"))
    analyst = client_as("analyst")
    shown = texts(render_page(analyst, "/kpi/defs-page/definition"))
    assert "defs_requests" in shown and "date_trunc('month', created)" in shown and "created" in shown
    outputs = [("kpi-def-result", "children")]
    state = [("kpi-def-id", "data", "defs-page"), ("kpi-def-sql", "value", VOLUME)]
    preview = call(analyst, outputs, [("kpi-def-preview", "n_clicks", 1)], state)
    assert preview.status_code == 200 and "6 row(s) from defs_requests" in texts(preview.get_data(as_text=True))
    bad = call(analyst, outputs, [("kpi-def-preview", "n_clicks", 1)],
               [state[0], ("kpi-def-sql", "value", "SELECT * FROM read_csv('/etc/passwd')")])
    assert "Table functions" in texts(bad.get_data(as_text=True))
    saved = call(analyst, [("kpi-def-message", "children"), ("kpi-def-history", "children")],
                 [("kpi-def-save", "n_clicks", 1)], state)
    assert "Saved as version 1" in texts(saved.get_data(as_text=True))
    assert len(_values(services, "defs-page")) == 6
    create_kpi(services, Scope("manager", "manager"), _kpi("defs-page-transport", department="transportation"))
    refused = call(analyst, [("kpi-def-message", "children"), ("kpi-def-history", "children")],
                   [("kpi-def-save", "n_clicks", 1)], [("kpi-def-id", "data", "defs-page-transport"), state[1]])
    assert "only of your own departments" in texts(refused.get_data(as_text=True))
    assert computed.definition(services.warehouse, "defs-page-transport") is None


def test_the_new_kpi_form_creates_and_opens_the_editor(client_as, services):
    analyst = client_as("analyst")
    assert "Public Works" in texts(render_page(analyst, "/kpi-new"))
    outputs = [("kpi-new-message", "children"), ("kpi-new-go", "href")]
    values = {"id": "defs-form", "name": "Potholes", "department": "public-works", "goal": None, "unit": "count",
              "direction": "down", "frequency": "monthly", "aggregation": "sum", "kind": "computed"}
    state = [(f"kpi-new-{name}", "value", value) for name, value in values.items()]
    response = call(analyst, outputs, [("kpi-new-create", "n_clicks", 1)], state)
    assert response.status_code == 200 and "/kpi/defs-form/definition" in texts(response.get_data(as_text=True))
    refused = call(analyst, outputs, [("kpi-new-create", "n_clicks", 1)],
                   [(i, p, "transportation" if i == "kpi-new-department" else "defs-form-2" if i == "kpi-new-id"
                     else v) for i, p, v in state])
    assert "only of your own departments" in texts(refused.get_data(as_text=True))
