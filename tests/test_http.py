"""HTTP through the Flask test client: the API, the pages as Dash renders them, languages,
and callbacks called directly with hostile inputs."""
from __future__ import annotations

import json

import pytest

from metrics import catalog
from tests.dash_client import call, render_page, texts
from web.services import EXTENSION


@pytest.fixture(scope="module")
def demo_kpis(demo_app):
    services = demo_app.extensions[EXTENSION]
    return catalog.kpi_summaries(services.warehouse, services.calendar)


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["version"]


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and "no-such-thing" in response.get_json()["error"]
    assert response.get_json()["details"] == []


def test_index_serves_the_dash_shell_with_local_assets_only(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "citystat.css" in html
    for marker in ("https://", "http://"):
        scripts = [line for line in html.splitlines() if ("<script" in line or "<link" in line) and marker in line]
        assert not scripts, f"external asset: {scripts}"


def test_the_index_page_speaks_the_readers_language(client):
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Loading…" in english and "<footer>" not in english
    client.set_cookie("citystat_lang", "pt")
    portuguese = client.get("/").get_data(as_text=True)
    client.delete_cookie("citystat_lang")
    assert '<html lang="pt">' in portuguese and "Carregando…" in portuguese and "Loading..." not in portuguese


def test_layout_names_the_city_and_offers_three_languages(client):
    layout = texts(client.get("/_dash-layout").get_data(as_text=True))
    assert "City of Riverton" in layout
    assert {"English", "Español", "Português"} <= set(layout.splitlines())


def test_overview_lists_goals_and_kpis_with_names_not_ids(client, demo_kpis):
    page = texts(render_page(client, "/"))
    assert "Performance overview" in page
    # The list opens on the 50 worst KPIs; the filters and "show every matching KPI" reach the rest.
    shown = [k for k in demo_kpis if k["name"] in page]
    assert len(shown) >= 50
    for kpi in shown:
        assert kpi["department_name"] in page
    assert not set(page.splitlines()) & {k["id"] for k in demo_kpis}   # names, never ids
    assert "Mayoral priority" in page


def test_kpi_page_has_chart_table_and_methodology(client, demo_kpis):
    kpi = next(k for k in demo_kpis if k["latest_value"] is not None and k["target_value"] is not None)
    payload = render_page(client, f"/kpi/{kpi['id']}")
    page = texts(payload)
    assert kpi["name"] in page and "How this KPI is measured" in page
    figure = json.loads(payload)["response"]["_pages_content"]["children"]
    assert '"Actual"' in json.dumps(figure) and '"Target"' in json.dumps(figure)


def test_unknown_kpi_says_so(client):
    page = texts(render_page(client, "/kpi/no-such-kpi"))
    assert "KPI not found" in page and "no-such-kpi" in page


def test_unknown_address_gets_a_not_found_page(client):
    assert "Page not found" in texts(render_page(client, "/no/such/page"))


@pytest.mark.parametrize("headers, expected", [
    ({"Cookie": "citystat_lang=es"}, "Resumen del desempeño"),
    ({"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}, "Visão geral do desempenho"),
    ({"Accept-Language": "fr-FR,es;q=0.8"}, "Resumen del desempeño"),
    ({"Accept-Language": "de-DE"}, "Performance overview"),
    ({"Cookie": "citystat_lang=es", "Accept-Language": "pt-BR"}, "Resumen del desempeño"),
])
def test_language_from_cookie_then_browser_then_default(client, headers, expected):
    assert expected in texts(render_page(client, "/", headers=headers))


def test_numbers_follow_the_locale(client, demo_kpis):
    big = next(k for k in demo_kpis if k["unit"] == "count" and (k["latest_value"] or 0) >= 10_000)
    english = texts(render_page(client, f"/kpi/{big['id']}"))
    portuguese = texts(render_page(client, f"/kpi/{big['id']}", headers={"Cookie": "citystat_lang=pt"}))
    value = round(big["latest_value"])
    assert f"{value:,}" in english
    assert f"{value:,}".replace(",", ".") in portuguese


def test_language_switch_remembers_and_returns_only_to_this_site(anonymous):
    client = anonymous
    response = client.get("/lang/es", headers={"Referer": "http://localhost/kpi/abc"})
    assert response.status_code == 302 and response.headers["Location"] == "/kpi/abc"
    assert "citystat_lang=es" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    for evil in ("https://evil.example/x", "//evil.example/x", "/\\evil.example"):
        assert client.get(f"/lang/pt?next={evil}").headers["Location"] == "/"
    assert client.get("/lang/xx").status_code == 404


def _filter(client, department=None, goal=None, status=None, search=""):
    return call(client, [("overview-kpis", "children"), ("overview-show-all", "hidden")],
                [("overview-department", "value", department), ("overview-goal", "value", goal),
                 ("overview-status", "value", status), ("overview-search", "value", search),
                 ("overview-show-all", "n_clicks", 0)])


def test_department_filter_callback(client, demo_kpis):
    department = demo_kpis[0]["department_id"]
    response = _filter(client, department=department)
    assert response.status_code == 200
    shown = texts(response.get_data(as_text=True))
    inside = [k["name"] for k in demo_kpis if k["department_id"] == department]
    outside = [k["name"] for k in demo_kpis if k["department_id"] != department]
    assert all(name in shown for name in inside)
    assert not any(name in shown.splitlines() for name in outside)


@pytest.mark.parametrize("value", ["no-such-department", "' OR 1=1 --", {"nested": "object"}, 17])
def test_department_filter_refuses_ids_that_are_not_departments(client, value):
    response = _filter(client, department=value)
    assert response.status_code == 204


def test_kpi_range_callback(client, demo_kpis):
    kpi = next(k for k in demo_kpis if k["frequency"] == "monthly" and k["latest_value"] is not None)
    response = call(client, [("kpi-chart", "figure"), ("kpi-chart-summary", "children"), ("kpi-values", "children")],
                    [("kpi-range", "value", "12"), ("kpi-prior", "value", [])], state=[("kpi-id", "data", kpi["id"])])
    assert response.status_code == 200
    figure = response.get_json()["response"]["kpi-chart"]["figure"]
    actual = next(trace for trace in figure["data"] if trace["name"] == "Actual")
    assert len(actual["x"]) == 12


@pytest.mark.parametrize("periods, kpi_id", [("12", "no-such-kpi"), ("9999", None), ("all", ["x"]),
                                             ("; DROP TABLE kpis", "x")])
def test_kpi_range_callback_refuses_bad_inputs(client, periods, kpi_id):
    response = call(client, [("kpi-chart", "figure"), ("kpi-chart-summary", "children"), ("kpi-values", "children")],
                    [("kpi-range", "value", periods), ("kpi-prior", "value", [])], state=[("kpi-id", "data", kpi_id)])
    assert response.status_code == 204


@pytest.mark.parametrize("inputs, state", [([], None), ("x", None), ([1, 2], None), (None, "nope")])
def test_a_callback_request_not_shaped_like_its_callback_is_a_400(client, demo_app, inputs, state):
    """Dash would answer a crafted body with the wrong inputs with a 500."""
    from tests.helpers import ORIGIN
    output = "..overview-kpis.children...overview-show-all.hidden.."
    body = {"output": output, "outputs": {}, "changedPropIds": []}
    if inputs is not None:
        body["inputs"] = inputs
    if state is not None:
        body["state"] = state
    response = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert response.status_code == 400 and response.get_json()["error"]


def test_an_unknown_component_file_is_a_404(client):
    assert client.get("/_dash-component-suites/no_such_package/x.js").status_code == 404
    assert client.get("/_dash-component-suites/dash/no/such/file.js").status_code == 404
