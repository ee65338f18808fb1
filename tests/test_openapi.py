"""GET /api/v1/openapi.json (issue #8): a valid OpenAPI 3.1 document that lists every route
of the app's url_map under /api/v1 and no other, with the same path parameters and the
access levels the views declare, and whose schemas the app's real answers meet."""
from __future__ import annotations

import io
import re

import jsonschema_rs
import pytest
# The OpenAPI 3.1 meta-schema (2022-10-07) as schemathesis ships it: offline, and the same
# one schemathesis checks the document against before it fuzzes.
from schemathesis.specs.openapi.definitions import OPENAPI_31

from config import VERSION
from metrics.schema import DIRECTIONS, FREQUENCIES, UNITS
from metrics.status import STATUSES, TRENDS
from tests.helpers import ORIGIN
from web.openapi import openapi_document

PREFIX = "/api/v1"
# The catch-all only turns unknown API paths into a JSON 404; it is not an operation.
NOT_OPERATIONS = {"api.unknown_route"}
# Werkzeug adds these to every rule by itself; the document says HEAD works wherever GET does.
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}
METHODS = ("get", "put", "post", "patch", "delete")
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def _routes(app) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """(document path, method) -> (endpoint, {path variable: converter}) from the url_map."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint in NOT_OPERATIONS:
            continue
        variables = {name: converter or "default" for converter, name in VARIABLE.findall(rule.rule)}
        path = VARIABLE.sub(lambda m: "{" + m.group(2) + "}", rule.rule.removeprefix(PREFIX))
        for method in rule.methods - AUTOMATIC_METHODS:
            found[(path, method.lower())] = (rule.endpoint, variables)
    return found


def _operations(document) -> dict[tuple[str, str], dict]:
    return {(path, method): operation for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS}


def _resolve(document, node: dict) -> dict:
    while "$ref" in node:
        section, kind, name = node["$ref"].removeprefix("#/").split("/")
        node = document[section][kind][name]
    return node


def _validator(document, schema: dict):
    """A validator for `schema` whose #/components/... references resolve in the document."""
    return jsonschema_rs.validator_for({**schema, "components": document["components"]}, validate_formats=True)


# -- the document itself ------------------------------------------------------------------------------------------
def test_the_route_serves_the_document(anonymous, document):
    response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == document
    assert "public" in response.headers["Cache-Control"]


def test_the_document_is_valid_openapi_3_1(document):
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message[:200]}"
              for e in jsonschema_rs.validator_for(OPENAPI_31).iter_errors(document)]
    assert not errors, errors
    assert document["openapi"] == "3.1.0" and document["info"]["title"] == "CityStat API"
    assert document["info"]["version"] == VERSION and document["servers"] == [{"url": PREFIX}]


def test_every_schema_is_valid_json_schema_and_every_reference_resolves(document):
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    text = repr(document)
    for pointer in set(re.findall(r"'\$ref': '#/([^']+)'", text)):
        section, kind, name = pointer.split("/")
        assert name in document[section][kind], pointer


# -- no drift either way -----------------------------------------------------------------------------------------
def test_every_route_is_documented_and_every_operation_is_a_route(demo_app, document):
    routes, operations = set(_routes(demo_app)), set(_operations(document))
    assert routes - operations == set(), "routes missing from the document"
    assert operations - routes == set(), "documented operations the app does not have"
    assert len(routes) >= 35   # the url_map was really read


def test_path_parameters_match_the_rules(demo_app, document):
    for (path, method), (endpoint, variables) in _routes(demo_app).items():
        operation = _operations(document)[(path, method)]
        documented = {p["name"]: p for p in map(lambda p: _resolve(document, p), operation.get("parameters", []))
                      if p["in"] == "path"}
        assert set(documented) == set(variables), (path, method)
        for name, converter in variables.items():
            assert documented[name]["required"] is True
            assert documented[name]["schema"]["type"] == ("integer" if converter == "int" else "string"), (path, name)


def test_access_levels_and_refusals_are_documented(demo_app, document):
    for (path, method), (endpoint, _) in _routes(demo_app).items():
        level = demo_app.view_functions[endpoint].citystat_access
        operation = _operations(document)[(path, method)]
        assert operation["x-citystat-access"] == level, (path, method)
        statuses = set(operation["responses"])
        assert any(s.startswith("2") for s in statuses), (path, method)
        if level == "public":
            assert {} in operation["security"], (path, method)
        else:
            assert {"401", "403"} <= statuses, (path, method)
            assert {} not in operation["security"] and level in operation["description"], (path, method)
        if "requestBody" in operation:
            assert "413" in statuses, (path, method)


def test_every_error_answer_is_json(document):
    for (path, method), operation in _operations(document).items():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/json"], (path, method, status)


def test_the_kpi_enums_come_from_the_status_engine(document):
    kpi = document["components"]["schemas"]["Kpi"]["properties"]
    assert kpi["status"]["enum"] == list(STATUSES) and kpi["trend"]["enum"] == list(TRENDS)
    assert kpi["unit"]["enum"] == list(UNITS) and kpi["direction"]["enum"] == list(DIRECTIONS)
    assert kpi["frequency"]["enum"] == list(FREQUENCIES)


# -- real answers meet their schemas -----------------------------------------------------------------------------
def _check(document, path: str, method: str, response) -> None:
    documented = _operations(document)[(path, method)]["responses"]
    assert str(response.status_code) in documented, (path, response.status_code)
    content = _resolve(document, documented[str(response.status_code)]).get("content", {})
    schema = content[response.mimetype]["schema"]
    if response.mimetype == "application/json":
        errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message[:300]}"
                  for e in _validator(document, schema).iter_errors(response.get_json())]
        assert not errors, (path, errors[:5])


CALLS = [
    ("/health", "/health"), ("/openapi.json", "/openapi.json"), ("/kpis", "/kpis?limit=1000"),
    ("/kpis", "/kpis?status=nonsense"), ("/kpis/{kpi_id}", "/kpis/potholes-repaired"),
    ("/kpis/{kpi_id}", "/kpis/no-such-kpi"), ("/kpis/{kpi_id}", "/kpis/potholes-repaired?as_of=2026-02-30"),
    ("/kpis/{kpi_id}/observations.csv", "/kpis/potholes-repaired/observations.csv"),
    ("/kpis/{kpi_id}/observations.xlsx", "/kpis/potholes-repaired/observations.xlsx"),
    ("/goals", "/goals"), ("/departments", "/departments"),
]


@pytest.mark.parametrize("person", [None, "admin"])
@pytest.mark.parametrize("path, url", CALLS)
def test_public_answers_meet_their_schemas(person, path, url, anonymous, client_as, document):
    client = client_as(person) if person else anonymous
    _check(document, path, "get", client.get(PREFIX + url))


@pytest.mark.parametrize("path, url", [
    ("/kpis/{kpi_id}/commentary", "/kpis/potholes-repaired/commentary"), ("/imports", "/imports"),
    ("/imports/profiles", "/imports/profiles"), ("/datasets", "/datasets"), ("/meetings", "/meetings"),
    ("/action-items", "/action-items?status=all"), ("/meetings/{meeting_id}", "/meetings/987654"),
    ("/datasets/{name}/batches", "/datasets/no_such_dataset/batches"),
])
def test_staff_answers_meet_their_schemas(path, url, client_as, anonymous, document):
    _check(document, path, "get", client_as("admin").get(PREFIX + url))
    _check(document, path, "get", anonymous.get(PREFIX + url))   # 401


def test_a_conditional_request_is_304_as_documented(anonymous, document):
    first = anonymous.get(PREFIX + "/goals")
    again = anonymous.get(PREFIX + "/goals", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and "304" in _operations(document)[("/goals", "get")]["responses"]
    for name, header in _operations(document)[("/goals", "get")]["responses"]["200"]["headers"].items():
        assert name in first.headers, name


def test_rejected_import_rows_are_an_error_with_details(client_as, document):
    """A 422 import keeps its report and, like every API error, says what to fix in details."""
    profile = '{"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "value": "value"}}'
    data = {"file": (io.BytesIO(b"kpi,period,value\npotholes-repaired,2026-08,lots\n"), "values.csv"),
            "profile": profile}
    response = client_as("analyst").post(PREFIX + "/imports", data=data, content_type="multipart/form-data",
                                         headers=ORIGIN)
    assert response.status_code == 422
    assert response.get_json()["details"] == ["line 2, column value: not a number"]
    _check(document, "/imports", "post", response)
