"""Imports through the API and the CLI: 200 or 201 with the report, 422 with row errors and
nothing written, 400 for unusable files or profiles (never 500), history and revert, and
who may do which."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.helpers import ORIGIN
from web import audit
from web.services import EXTENSION

CORPUS = Path(__file__).parent / "fixtures" / "imports"
PROFILE = json.dumps({"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "value": "value"}})


def _post(client, content: bytes, *, name="file.csv", profile=PROFILE, dry_run=False, profile_name=None):
    data = {"file": (io.BytesIO(content), name), "dry_run": "true" if dry_run else "false"}
    if profile is not None:
        data["profile"] = profile
    if profile_name:
        data["profile_name"] = profile_name
    return client.post("/api/v1/imports", data=data, content_type="multipart/form-data", headers=ORIGIN)


def _value(demo_app, kpi_id, period_start):
    store = demo_app.extensions[EXTENSION].warehouse
    return store.query("SELECT value FROM observations WHERE kpi_id = ? AND period_start = ? AND dimension = ''",
                       [kpi_id, period_start]).scalar()


def test_dry_run_then_commit_then_revert(client_as, demo_app):
    analyst = client_as("analyst")
    before = _value(demo_app, "potholes-repaired", "2026-09-01")
    content = b"kpi,period,value\npotholes-repaired,2026-09,4321\n"
    dry = _post(analyst, content, dry_run=True)
    assert dry.status_code == 200 and dry.get_json()["accepted"] == 1 and not dry.get_json()["committed"]
    assert _value(demo_app, "potholes-repaired", "2026-09-01") == before
    done = _post(analyst, content)
    assert done.status_code == 201 and done.get_json()["replaced"] == 1
    assert _value(demo_app, "potholes-repaired", "2026-09-01") == 4321
    batch = done.get_json()["batch_id"]
    history = analyst.get("/api/v1/imports").get_json()
    assert history[0]["id"] == batch and history[0]["created_by"] == "analyst"
    reverted = analyst.post(f"/api/v1/imports/{batch}/revert", headers=ORIGIN)
    assert reverted.status_code == 200
    assert _value(demo_app, "potholes-repaired", "2026-09-01") == before
    assert analyst.post(f"/api/v1/imports/{batch}/revert", headers=ORIGIN).status_code == 409
    actions = {(e.action, e.outcome) for e in audit.events(demo_app.extensions[EXTENSION], actor="analyst")}
    assert {("import", "success"), ("import.dry_run", "success"), ("import.revert", "success")} <= actions


def test_rejected_rows_are_422_and_nothing_is_written(client_as, demo_app):
    before = _value(demo_app, "potholes-repaired", "2026-08-01")
    response = _post(client_as("manager"), b"kpi,period,value\npotholes-repaired,2026-08,1\npotholes-repaired,2026-07,x\n")
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"][0] == {"line": 3, "column": "value", "period": "2026-07", "value": "x", "reason": "not a number"}
    assert "nothing was imported" in body["error"]
    assert _value(demo_app, "potholes-repaired", "2026-08-01") == before


def test_an_analyst_cannot_import_another_departments_kpi(client_as, demo_app):
    before = _value(demo_app, "violent-crimes", "2026-09-01")
    response = _post(client_as("analyst"), b"kpi,period,value\nviolent-crimes,2026-09,1\n")
    assert response.status_code == 422
    assert "not one of yours" in response.get_json()["errors"][0]["reason"]
    assert _value(demo_app, "violent-crimes", "2026-09-01") == before


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".xlsx")))
def test_the_broken_corpus_never_gives_a_500(client_as, name):
    profile = PROFILE
    if name == "wrong_delimiter.csv":   # sniffing would read it; a profile that insists on commas must not
        profile = json.dumps({**json.loads(PROFILE), "delimiter": ","})
    if name == "formula.csv":
        profile = json.dumps({**json.loads(PROFILE), "columns": {**json.loads(PROFILE)["columns"], "note": "note"}})
    response = _post(client_as("manager"), (CORPUS / name).read_bytes(), name=name, profile=profile)
    assert response.status_code in (400, 422), (name, response.status_code)
    assert response.is_json and response.get_json()["error"]


@pytest.mark.parametrize("profile, message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"shape": "round"}), '"shape" must be'),
    (None, 'send the profile as JSON'),
])
def test_bad_profiles_are_400(client_as, profile, message):
    response = _post(client_as("manager"), b"kpi,period,value\n", profile=profile)
    assert response.status_code == 400
    body = response.get_json()
    assert any(message in text for text in [body["error"], *body["details"]]), body


def test_a_shipped_profile_by_name(client_as):
    real = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "boston_cityscore" / "rptcityscoresummary.csv"
    response = _post(client_as("admin"), real.read_bytes(), name="rptcityscoresummary.csv", profile=None,
                     profile_name="boston-cityscore", dry_run=True)
    assert response.status_code == 200 and response.get_json()["rows"] == 12378


def test_who_may_import_and_revert(client, anonymous):
    assert _post(client, b"kpi,period,value\n").status_code == 403          # viewer
    assert _post(anonymous, b"kpi,period,value\n").status_code == 401
    assert client.get("/api/v1/imports").status_code == 200
    assert anonymous.get("/api/v1/imports").status_code == 401


def test_only_managers_or_the_importer_revert(client_as):
    manager = client_as("manager")
    batch = _post(manager, b"kpi,period,value\npotholes-repaired,2026-06,77\n").get_json()["batch_id"]
    assert client_as("analyst").post(f"/api/v1/imports/{batch}/revert", headers=ORIGIN).status_code == 403
    assert manager.post(f"/api/v1/imports/{batch}/revert", headers=ORIGIN).status_code == 200
    assert manager.post("/api/v1/imports/999999/revert", headers=ORIGIN).status_code == 404


def test_the_cli_imports_and_stops_on_rejected_rows(make_app, tmp_path):
    server = make_app(seed_demo=True)
    server.extensions[EXTENSION].prepare()
    good = tmp_path / "good.csv"
    good.write_text("kpi,period,value\npotholes-repaired,2026-09,11\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("kpi,period,value\npotholes-repaired,2026-09,eleven\n")
    profile = tmp_path / "profile.json"
    profile.write_text(PROFILE)
    runner = server.test_cli_runner()
    checked = runner.invoke(args=["import", str(good), "--profile", str(profile), "--dry-run"])
    assert checked.exit_code == 0 and "Checked good.csv: 1 rows, 1 values" in checked.output
    done = runner.invoke(args=["import", str(good), "--profile", str(profile)])
    assert done.exit_code == 0 and "Imported" in done.output and "(batch" in done.output
    refused = runner.invoke(args=["import", str(bad), "--profile", str(profile)])
    assert refused.exit_code == 1 and "line 2, value: 'eleven': not a number" in refused.output
    missing = runner.invoke(args=["import", str(good), "--profile", "no-such-profile"])
    assert missing.exit_code != 0 and "No saved or shipped profile" in missing.output
