"""Raw datasets through the API and the datasets page: 201 with the load's report, 422 with
the cells that miss their format and nothing written, 400 for a bad profile; the list,
a dataset's loads and revert; who may do which; the original kept with its sha256; the
computed KPIs recomputed after a load and a revert; and every load, revert and refusal
audited. Each test loads a dataset of its own name: the demo app is shared."""
from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest

from metrics import computed
from tests.dash_client import call, render_page, texts
from tests.helpers import ORIGIN
from web import audit
from web.services import EXTENSION

REQUESTS = b"Request Id,Opened On,Kind,Days\n1,2024-03-01,pothole,2\n2,2024-03-02,graffiti,5\n3,2024-03-09,pothole,1\n"


def _profile(name: str, **more) -> str:
    return json.dumps({"name": name, "columns": {"opened_on": {"type": "date", "format": "%Y-%m-%d"}}, **more})


def _post(client, content: bytes, profile: str | None, file_name: str = "requests.csv"):
    data = {"file": (io.BytesIO(content), file_name)}
    if profile is not None:
        data["profile"] = profile
    return client.post("/api/v1/datasets", data=data, content_type="multipart/form-data", headers=ORIGIN)


def _services(demo_app):
    return demo_app.extensions[EXTENSION]


def _listed(client, name: str) -> dict | None:
    return next((d for d in client.get("/api/v1/datasets").get_json() if d["name"] == name), None)


@pytest.fixture
def recomputes(monkeypatch):
    """The recompute calls a load or revert makes (the engine itself is tested in test_computed)."""
    calls = []

    def record(warehouse, sandbox, calendar, *, dataset=None, kpi_ids=None, raw_batch=None):
        calls.append({"dataset": dataset, "raw_batch": raw_batch})
        return {"kpis": {}, "observations": 0}
    monkeypatch.setattr(computed, "recompute", record)
    return calls


def test_a_load_is_listed_kept_audited_and_recomputed(client_as, demo_app, recomputes):
    analyst = client_as("analyst")
    response = _post(analyst, REQUESTS, _profile("web_requests"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["dataset"] == "web_requests" and body["rows"] == 3 and body["file_name"] == "requests.csv"
    assert {c["name"]: c["type"] for c in body["columns"]} == {
        "request_id": "BIGINT", "opened_on": "DATE", "kind": "VARCHAR", "days": "BIGINT"}
    assert recomputes == [{"dataset": "web_requests", "raw_batch": body["batch_id"]}]

    listed = _listed(client_as("viewer"), "web_requests")
    assert listed["rows"] == 3 and listed["date_column"] == "opened_on"
    assert (listed["first"], listed["last"]) == ("2024-03-01", "2024-03-09")
    assert listed["last_load"]["id"] == body["batch_id"] and listed["last_load"]["created_by"] == "analyst"
    assert [c["name"] for c in listed["columns"]] == ["request_id", "opened_on", "kind", "days"]

    loads = client_as("viewer").get("/api/v1/datasets/web_requests/batches").get_json()
    assert loads[0]["id"] == body["batch_id"] and loads[0]["sha256"] == hashlib.sha256(REQUESTS).hexdigest()
    kept = list((_services(demo_app).config.data_path / "datasets").glob(f"{body['batch_id']:06d}-*.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == REQUESTS
    assert kept[0].name == f"{body['batch_id']:06d}-{hashlib.sha256(REQUESTS).hexdigest()[:12]}.csv"
    event = audit.events(_services(demo_app), action="dataset.load", actor="analyst")[0]
    assert event.outcome == "success" and event.target == "web_requests" and event.details["rows"] == 3


def test_cells_that_miss_their_format_are_422_and_nothing_is_written(client_as, demo_app, recomputes):
    manager = client_as("manager")
    assert _post(manager, REQUESTS, _profile("web_strict")).status_code == 201
    bad = b"Request Id,Opened On,Kind,Days\n4,2024-03-10,pothole,1\n5,10/03/2024,graffiti,2\n"
    response = _post(manager, bad, _profile("web_strict"))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error_count"] == 1 and "nothing was loaded" in body["error"]
    assert body["errors"] == [{"line": 3, "column": "opened_on", "value": "10/03/2024",
                               "reason": "not a date in the format %Y-%m-%d"}]
    assert _listed(manager, "web_strict")["rows"] == 3
    assert len(manager.get("/api/v1/datasets/web_strict/batches").get_json()) == 1
    assert len(recomputes) == 1        # only the good load recomputed
    event = audit.events(_services(demo_app), action="dataset.load", actor="manager")[0]
    assert event.outcome == "failure" and event.target == "web_strict" and event.details["bad_cells"] == 1


def test_a_file_that_cannot_be_read_leaves_nothing_behind(client_as):
    analyst = client_as("analyst")
    response = _post(analyst, b"Request Id,Opened On\n", _profile("web_empty"))
    assert response.status_code == 400 and "no rows" in response.get_json()["details"][0]
    assert _listed(analyst, "web_empty") is None
    assert analyst.get("/api/v1/datasets/web_empty/batches").status_code == 404


@pytest.mark.parametrize("profile, says", [
    (None, "JSON text"),
    ("{not json", "not valid JSON"),
    (json.dumps({"name": "Bad Name!"}), "lower-case letters"),
    (json.dumps({"name": "duckdb_settings"}), "not a system name"),
    (json.dumps({"name": "web_x", "mode": "merge"}), "append or replace"),
    (json.dumps({"name": "web_x", "columns": {"opened_on": {"type": "text", "format": "%Y"}}}), "a format"),
])
def test_a_bad_profile_is_400_saying_what_to_fix(client_as, profile, says):
    response = _post(client_as("analyst"), REQUESTS, profile)
    assert response.status_code == 400
    assert says in " ".join(response.get_json()["details"])


def test_a_load_needs_a_file(client_as):
    response = client_as("analyst").post("/api/v1/datasets", data={"profile": _profile("web_x")},
                                         content_type="multipart/form-data", headers=ORIGIN)
    assert response.status_code == 400 and '"file"' in response.get_json()["error"]


def test_viewers_and_visitors_cannot_load(client_as, anonymous, demo_app):
    assert _post(client_as("viewer"), REQUESTS, _profile("web_viewer")).status_code == 403
    assert _post(anonymous, REQUESTS, _profile("web_viewer")).status_code == 401
    assert _listed(client_as("viewer"), "web_viewer") is None


def test_only_the_loader_or_a_manager_reverts_and_it_is_audited(client_as, demo_app, recomputes):
    manager, analyst = client_as("manager"), client_as("analyst")
    first = _post(manager, REQUESTS, _profile("web_revert")).get_json()["batch_id"]
    more = b"Request Id,Opened On,Kind,Days\n9,2024-04-01,pothole,3\n"
    second = _post(analyst, more, _profile("web_revert"), file_name="more.csv").get_json()["batch_id"]
    assert _listed(analyst, "web_revert")["rows"] == 4

    refused = analyst.post(f"/api/v1/datasets/batches/{first}/revert", headers=ORIGIN)
    assert refused.status_code == 403
    denied = audit.events(_services(demo_app), action="dataset.revert", actor="analyst", outcome="denied")
    assert denied and denied[0].target == str(first)
    assert client_as("viewer").post(f"/api/v1/datasets/batches/{second}/revert", headers=ORIGIN).status_code == 403

    reverted = analyst.post(f"/api/v1/datasets/batches/{second}/revert", headers=ORIGIN)
    assert reverted.status_code == 200
    assert reverted.get_json()["rows_removed"] == 1 and reverted.get_json()["status"] == "reverted"
    assert _listed(analyst, "web_revert")["rows"] == 3
    assert recomputes[-1] == {"dataset": "web_revert", "raw_batch": None}
    assert analyst.post(f"/api/v1/datasets/batches/{second}/revert", headers=ORIGIN).status_code == 409
    assert manager.post("/api/v1/datasets/batches/987654/revert", headers=ORIGIN).status_code == 404

    assert manager.post(f"/api/v1/datasets/batches/{first}/revert", headers=ORIGIN).status_code == 200
    assert _listed(manager, "web_revert") is None
    outcomes = {(e.actor, e.outcome) for e in audit.events(_services(demo_app), action="dataset.revert")}
    assert {("analyst", "success"), ("manager", "success"), ("analyst", "failure")} <= outcomes


# -- the page ------------------------------------------------------------------------------------------------
SHOW = [("datasets-table", "children"), ("datasets-chosen", "options"), ("datasets-chosen", "value"),
        ("datasets-load-card", "hidden"), ("datasets-limit", "data"), ("datasets-file-hint", "children")]
LOAD = [("datasets-report", "children"), ("datasets-loaded", "data")]


def _data_url(content: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(content).decode()


def _load_on_page(client, content: bytes, profile: str):
    return call(client, LOAD, [("datasets-load", "n_clicks", 1)],
                [("datasets-file", "contents", _data_url(content)), ("datasets-file", "filename", "page.csv"),
                 ("datasets-profile", "value", profile)])


def test_the_page_offers_the_load_form_to_analysts_only(client_as):
    assert "Datasets" in texts(render_page(client_as("viewer"), "/datasets"))
    for person, hidden in (("viewer", True), ("analyst", False), ("admin", False)):
        response = call(client_as(person), SHOW,
                        [("datasets-loaded", "data", None), ("datasets-reverted", "data", None)],
                        [("datasets-chosen", "value", None)])
        assert response.status_code == 200
        assert response.get_json()["response"]["datasets-load-card"]["hidden"] is hidden, person
    assert _load_on_page(client_as("viewer"), REQUESTS, _profile("web_page_viewer")).status_code == 403


def test_loading_through_the_page_shows_the_report_then_the_dataset(client_as, recomputes):
    analyst = client_as("analyst")
    response = _load_on_page(analyst, REQUESTS, _profile("web_page"))
    assert response.status_code == 200
    shown = texts(response.get_data(as_text=True))
    assert "Loaded 3 rows into web_page" in shown
    assert response.get_json()["response"]["datasets-loaded"]["data"]["dataset"] == "web_page"
    detail = call(analyst, [("datasets-detail", "children")], [("datasets-chosen", "value", "web_page"),
                                                                ("datasets-loaded", "data", None),
                                                                ("datasets-reverted", "data", None)])
    seen = texts(detail.get_data(as_text=True))
    assert "graffiti" in seen and "opened_on" in seen and "date" in seen and "Revert" in seen
    # The viewer sees the same rows and loads, without a Revert button.
    viewer = call(client_as("viewer"), [("datasets-detail", "children")],
                  [("datasets-chosen", "value", "web_page"), ("datasets-loaded", "data", None),
                   ("datasets-reverted", "data", None)])
    assert "graffiti" in texts(viewer.get_data(as_text=True)) and "Revert" not in texts(viewer.get_data(as_text=True))


def test_bad_cells_show_as_a_table_on_the_page(client_as):
    bad = b"Request Id,Opened On\n1,2024-03-01\n2,March 2\n"
    shown = texts(_load_on_page(client_as("analyst"), bad, _profile("web_page_bad")).get_data(as_text=True))
    assert "do not match their column's format: 1." in shown and "March 2" in shown
    assert "not a date in the format %Y-%m-%d" in shown
    assert _listed(client_as("viewer"), "web_page_bad") is None
    unreadable = texts(_load_on_page(client_as("analyst"), REQUESTS, "{").get_data(as_text=True))
    assert "The profile cannot be used" in unreadable
