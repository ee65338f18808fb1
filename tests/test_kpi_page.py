"""The KPI page through the test client: the headline tiles (status, trend, freshness,
percent of target, year-end forecast), the target-vs-actual chart and its text summary,
the prior-year toggle and the range, the district breakdown, the CSV download, and
callbacks called with hostile inputs."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest

from data.demo_city import seed_demo
from i18n import translate
from metrics import catalog, forecast, series, status
from metrics.periods import Period
from tests.conftest import DEMO_TODAY
from tests.dash_client import call, render_page, texts
from tests.helpers import sign_in
from web import accounts, audit
from web.services import EXTENSION

VIEW_OUTPUTS = [("kpi-chart", "figure"), ("kpi-chart-summary", "children"), ("kpi-values", "children")]
DISTRICT_KPI = "police-p1-response"     # monthly mean, lower is better, broken down by district
PLAIN_KPI = "bulk-pickups-5d"           # monthly percent, no breakdown


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture(scope="module")
def evaluated(services):
    """Every KPI's status row and forecast as of today, as the page computes them."""
    rows = status.kpi_statuses(services.warehouse, services.calendar, date.today())
    predictions = forecast.forecasts(services.warehouse, services.calendar, date.today(), rows)
    return {row["id"]: (row, predictions[row["id"]]) for row in rows}


def _component(node, component_id):
    """The props of the component with `component_id` in a Dash JSON tree (None: absent)."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        for value in node.values():
            found = _component(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _component(value, component_id)
            if found is not None:
                return found
    return None


def _page(client, kpi_id, headers=None):
    payload = render_page(client, f"/kpi/{kpi_id}", headers=headers)
    return json.loads(payload)["response"]["_pages_content"]["children"], texts(payload)


def _view(client, kpi_id, periods="24", prior=()):
    response = call(client, VIEW_OUTPUTS, [("kpi-range", "value", periods), ("kpi-prior", "value", list(prior))],
                    state=[("kpi-id", "data", kpi_id)])
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]


def _trace(figure, name):
    """The trace named `name` (or starting so) that the legend lists."""
    return next(t for t in figure["data"] if t.get("name", "").startswith(name) and t.get("showlegend") is not False)


def _names(figure):
    return [t.get("name") for t in figure["data"] if t.get("showlegend", True) is not False and t.get("name")]


# -- the headline --------------------------------------------------------------------------------------
def test_tiles_show_status_trend_percent_of_target_and_forecast(client, evaluated):
    kpi_id = next(k for k, (row, prediction) in evaluated.items()
                  if prediction and prediction["likelihood"] and row["percent_of_target"] and not row["stale"]
                  and row["status"] in ("at_risk", "off_track") and row["trend"] != "insufficient")
    row, prediction = evaluated[kpi_id]
    tree, page = _page(client, kpi_id)
    tile = texts(json.dumps(_component(tree, "kpi-tile-status")))
    assert translate(f"status.{row['status']}", "en") in tile
    assert translate(f"trend.{row['trend']}", "en") in tile
    assert "of target" in tile or "Year to date:" in tile
    assert "Data overdue" not in tile
    forecast_tile = texts(json.dumps(_component(tree, "kpi-tile-forecast")))
    assert translate(f"forecast.{prediction['likelihood']}", "en") in forecast_tile
    assert "80 % interval:" in forecast_tile and f"End of {prediction['fiscal_year']}" in forecast_tile


def test_an_overdue_kpi_says_so(client, evaluated):
    kpi_id = next(k for k, (row, _) in evaluated.items() if row["stale"])
    tree, _ = _page(client, kpi_id)
    tile = texts(json.dumps(_component(tree, "kpi-tile-status")))
    assert "Data overdue" in tile and "The next value was due" in tile


def test_a_context_measure_has_no_forecast(client, evaluated):
    kpi_id = next(k for k, (row, _) in evaluated.items() if row["direction"] == "neutral" and row["latest_value"])
    tree, _ = _page(client, kpi_id)
    assert "No forecast" in texts(json.dumps(_component(tree, "kpi-tile-forecast")))
    assert "Context only" in texts(json.dumps(_component(tree, "kpi-tile-status")))


def test_tiles_in_spanish(client, evaluated):
    row, prediction = evaluated[DISTRICT_KPI]
    _, page = _page(client, DISTRICT_KPI, headers={"Cookie": "citystat_lang=es"})
    assert translate(f"status.{row['status']}", "es") in page
    assert translate(f"forecast.{prediction['likelihood']}", "es") in page
    assert "Pronóstico al cierre del año" in page and "Por distrito" in page


# -- the chart -------------------------------------------------------------------------------------------
def test_chart_has_actual_target_tolerance_and_forecast(client, evaluated):
    tree, _ = _page(client, PLAIN_KPI)
    graph = _component(tree, "kpi-chart")
    names = _names(graph["figure"])
    for expected in ("Actual", "Target", "Tolerance zone (±10 %)", "Forecast to end of FY", "80 % forecast interval"):
        assert any(name.startswith(expected) for name in names), (expected, names)
    assert "Prior year" not in names
    assert graph["config"]["toImageButtonOptions"] == {"format": "png", "filename": PLAIN_KPI, "scale": 2}


def test_the_tolerance_zone_lies_on_the_bad_side_of_the_target(client):
    figure = _view(client, DISTRICT_KPI)["kpi-chart"]["figure"]     # lower is better: the zone is above
    target = _trace(figure, "Target")
    zone_low, zone_high = [t for t in figure["data"] if t.get("legendgroup") == "tolerance"][:2]
    assert zone_high["fill"] == "tonexty" and zone_high["fillpattern"]["shape"] == "/"
    for target_value, low, high in zip(target["y"], zone_low["y"], zone_high["y"]):
        assert low == pytest.approx(target_value) and high == pytest.approx(target_value * 1.1)


def test_the_forecast_runs_to_year_end_from_the_last_value(client, evaluated):
    _, prediction = evaluated[PLAIN_KPI]
    view = _view(client, PLAIN_KPI)
    figure = view["kpi-chart"]["figure"]
    line = _trace(figure, "Forecast to end of")
    assert line["line"]["dash"] == "dashdot"
    assert line["y"] == pytest.approx([p["value"] for p in prediction["projection"]])
    assert figure["layout"]["xaxis"]["categoryarray"][-1] == line["x"][-1] == "Jun 2027"
    band = _trace(figure, "80 % forecast interval")
    assert band["fill"] == "tonexty" and len(band["x"]) == len(line["x"]) + 1   # from the last actual value
    table = texts(json.dumps(view["kpi-values"]))   # the dashed line in words, for those who cannot see it
    assert "Forecast by period (table)" in table and "Jun 2027" in table.splitlines()


def test_axes_follow_the_honest_chart_policy(client):
    percent = _view(client, PLAIN_KPI)["kpi-chart"]["figure"]["layout"]["yaxis"]
    assert percent["range"][0] == 0 and percent["range"][1] >= 1 and percent["title"]["text"] == "Percent"
    count = _view(client, "violent-crimes")["kpi-chart"]["figure"]["layout"]["yaxis"]
    assert count["rangemode"] == "tozero" and count["title"]["text"] == "Count"
    quarterly = _view(client, "non-revenue-water")["kpi-chart"]["figure"]
    assert all(label.startswith("FY20") and "-Q" in label for label in _trace(quarterly, "Actual")["x"])


def test_lines_differ_by_more_than_colour(client):
    figure = _view(client, DISTRICT_KPI, prior=["prior"])["kpi-chart"]["figure"]
    dashes = {name: _trace(figure, name)["line"].get("dash", "solid")
              for name in ("Actual", "Target", "Prior year", "Forecast to end of")}
    assert len(set(dashes.values())) == 4, dashes


def test_the_summary_says_what_the_chart_shows(client, evaluated):
    row, prediction = evaluated[DISTRICT_KPI]
    summary = _view(client, DISTRICT_KPI)["kpi-chart-summary"]["children"]
    assert summary.startswith("Target-vs-actual chart of 24 periods")
    assert re.search(r"Actual [\d.]+ minutes in \w{3} \d{4} against a target of [\d.]+ minutes, ", summary)
    assert translate(f"status.{row['status']}", "en").lower() in summary
    assert translate(f"trend.{row['trend']}", "en").lower() in summary
    assert f"Forecast for the end of {prediction['fiscal_year']}" in summary


def test_prior_year_toggle_adds_last_years_values_at_the_same_place(client, services):
    without = _view(client, DISTRICT_KPI)
    with_prior = _view(client, DISTRICT_KPI, prior=["prior"])
    assert len(with_prior["kpi-chart"]["figure"]["data"]) == len(without["kpi-chart"]["figure"]["data"]) + 1
    prior = _trace(with_prior["kpi-chart"]["figure"], "Prior year")
    assert prior["line"]["dash"] == "dot" and len(prior["x"]) == 24
    history = {row["period_start"]: row["value"]
               for row in catalog.kpi_history(services.warehouse, services.calendar, DISTRICT_KPI)}
    latest = max(history)
    assert prior["y"][-1] == pytest.approx(history[(Period("monthly", latest) - 12).start])
    assert "Prior year" in texts(json.dumps(with_prior["kpi-values"]))
    assert "Prior year" not in texts(json.dumps(without["kpi-values"]))
    assert "a year earlier" in with_prior["kpi-chart-summary"]["children"]


def test_fiscal_year_to_date_shows_the_current_fiscal_year_only(client, services):
    kpi = catalog.get_kpi(services.warehouse, services.calendar, DISTRICT_KPI)
    latest = Period(kpi["frequency"], kpi["latest_period_start"])
    year = services.calendar.fiscal_year_of(latest)
    expected = [p for p in services.calendar.periods_in(year, "monthly") if p <= latest]
    view = _view(client, DISTRICT_KPI, periods="fytd")
    actual = _trace(view["kpi-chart"]["figure"], "Actual")
    assert len(actual["x"]) == len(expected) and actual["x"][0] == "Jul 2026"
    table = texts(json.dumps(view["kpi-values"]))
    assert "Jul 2026" in table and "Jun 2026" not in table
    assert f"of {len(expected)} periods" in view["kpi-chart-summary"]["children"]


# -- the breakdown by district -----------------------------------------------------------------------------
def test_a_district_kpi_has_small_multiples_a_map_and_a_table(client):
    tree, page = _page(client, DISTRICT_KPI)
    lines = _component(tree, "kpi-district-lines")["figure"]
    districts = [t for t in lines["data"] if t["name"].startswith("District ")]
    assert len(districts) == 10 and districts[0]["name"] == "District 1" and districts[-1]["name"] == "District 10"
    axes = [lines["layout"]["yaxis"]] + [lines["layout"][f"yaxis{i}"] for i in range(2, 11)]
    assert len({axis.get("matches") for axis in axes} - {None}) == 1   # one value axis shared by all
    area = _component(tree, "kpi-district-map")
    choropleth = next(t for t in area["figure"]["data"] if t["type"] == "choropleth")
    assert len(choropleth["locations"]) == 10 and choropleth["featureidkey"] == "properties.name"
    assert {f["properties"]["name"] for f in choropleth["geojson"]["features"]} == set(choropleth["locations"])
    geo = area["figure"]["layout"]["geo"]
    assert geo["fitbounds"] == "locations" and geo["visible"] is False
    assert area["config"]["topojsonURL"] == "/assets/topojson/"   # never plotly's CDN
    assert "Latest value by district, Oct 2026" in page
    table = texts(json.dumps(_component(tree, "kpi-breakdown")))
    assert all(f"District {n}" in table.splitlines() for n in range(1, 11))


def test_the_breakdown_follows_the_range(client):
    response = call(client, [("kpi-breakdown", "children")], [("kpi-range", "value", "12")],
                    state=[("kpi-id", "data", DISTRICT_KPI)])
    assert response.status_code == 200
    lines = _component(response.get_json()["response"]["kpi-breakdown"]["children"], "kpi-district-lines")
    assert {len(t["x"]) for t in lines["figure"]["data"]} == {12}


def test_a_kpi_without_breakdowns_has_none(client):
    tree, page = _page(client, PLAIN_KPI)
    assert _component(tree, "kpi-district-map") is None and _component(tree, "kpi-district-lines") is None
    assert _component(tree, "kpi-breakdown")["hidden"] is True and "By district" not in page
    response = call(client, [("kpi-breakdown", "children")], [("kpi-range", "value", "12")],
                    state=[("kpi-id", "data", PLAIN_KPI)])
    assert response.status_code == 204


def test_the_district_boundaries_file_is_what_the_generator_makes():
    from data import riverton_districts

    committed = json.loads(riverton_districts.PATH.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(riverton_districts.build()))
    assert [f["properties"]["name"] for f in committed["features"]] == [f"District {n}" for n in range(1, 11)]
    assert riverton_districts.PATH.stat().st_size < 10_000


# -- downloads -------------------------------------------------------------------------------------------------
def _download(client, kpi_id, clicks=1):
    return call(client, [("kpi-download", "data")], [("kpi-download-csv", "n_clicks", clicks)],
                state=[("kpi-id", "data", kpi_id)])


def test_csv_download_has_every_period_and_is_audited(client, services):
    before = len(audit.events(services, action="export.csv", limit=1000))
    response = _download(client, "violent-crimes")
    assert response.status_code == 200
    data = response.get_json()["response"]["kpi-download"]["data"]
    assert data["filename"] == "violent-crimes.csv" and data["type"] == "text/csv" and not data["base64"]
    rows = list(csv.DictReader(io.StringIO(data["content"])))
    history = catalog.kpi_history(services.warehouse, services.calendar, "violent-crimes")
    assert list(rows[0]) == ["period", "value", "target", "target_low", "target_high", "note"]
    assert len(rows) == len(history) and rows[-1]["period"] == services.calendar.label(
        Period("monthly", history[-1]["period_start"]))
    assert float(rows[-1]["value"]) == history[-1]["value"] and not rows[-1]["value"].startswith("'")
    events = audit.events(services, action="export.csv", limit=1000)
    assert len(events) == before + 1
    assert (events[0].actor, events[0].outcome, events[0].target) == ("viewer", "success", "violent-crimes")


def test_csv_download_neutralises_formula_text_and_keeps_numbers(make_app):
    server = make_app()
    fresh = server.extensions[EXTENSION]
    fresh.prepare(seed_demo=False)
    assert seed_demo(fresh.warehouse, fresh.calendar, today=DEMO_TODAY)
    with server.app_context():
        accounts.create_user(fresh, "reader", password="A long enough passphrase, 42", role="viewer",
                             actor="tests")
    first = catalog.kpi_history(fresh.warehouse, fresh.calendar, PLAIN_KPI)[0]["period_start"]
    with fresh.warehouse.transaction() as tx:
        tx.execute("UPDATE observations SET note = '=HYPERLINK(\"http://evil.example\")', value = -0.5 "
                   "WHERE kpi_id = ? AND period_start = ? AND dimension = ''", [PLAIN_KPI, first])
    client = server.test_client()
    sign_in(client, "reader", "A long enough passphrase, 42")
    content = _download(client, PLAIN_KPI).get_json()["response"]["kpi-download"]["data"]["content"]
    line = content.splitlines()[1]
    assert line.startswith(f"{fresh.calendar.label(Period('monthly', first))},-0.5,")   # a number, unquoted
    row = next(csv.DictReader(io.StringIO(content)))
    assert row["note"] == "'=HYPERLINK(\"http://evil.example\")"


def test_anonymous_visitors_cannot_download(anonymous):
    assert _download(anonymous, "violent-crimes").status_code == 401


# -- hostile inputs --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("periods, prior, kpi_id", [
    ("fytd", [], "no-such-kpi"), ("13", [], DISTRICT_KPI), (12, [], DISTRICT_KPI), ("12", ["yes"], DISTRICT_KPI),
    ("12", "prior", DISTRICT_KPI), ("12", None, DISTRICT_KPI), ("12", [], ["x"]), ("12", [{"x": 1}], DISTRICT_KPI),
    ("' OR 1=1 --", [], DISTRICT_KPI),
])
def test_view_callback_refuses_bad_inputs(client, periods, prior, kpi_id):
    response = call(client, VIEW_OUTPUTS, [("kpi-range", "value", periods), ("kpi-prior", "value", prior)],
                    state=[("kpi-id", "data", kpi_id)])
    assert response.status_code == 204


@pytest.mark.parametrize("periods, kpi_id", [("12", "no-such-kpi"), ("9999", DISTRICT_KPI), (None, DISTRICT_KPI),
                                             ("12", {"id": DISTRICT_KPI})])
def test_breakdown_callback_refuses_bad_inputs(client, periods, kpi_id):
    response = call(client, [("kpi-breakdown", "children")], [("kpi-range", "value", periods)],
                    state=[("kpi-id", "data", kpi_id)])
    assert response.status_code == 204


@pytest.mark.parametrize("clicks, kpi_id", [(0, DISTRICT_KPI), ("1", DISTRICT_KPI), (True, DISTRICT_KPI),
                                            (None, DISTRICT_KPI), (1, "no-such-kpi"), (1, None),
                                            (1, ["violent-crimes"]), (1, "../../etc/passwd")])
def test_download_refuses_bad_inputs(client, services, clicks, kpi_id):
    before = len(audit.events(services, action="export.csv", limit=1000))
    assert _download(client, kpi_id, clicks).status_code == 204
    assert len(audit.events(services, action="export.csv", limit=1000)) == before


def test_every_range_draws(client):
    for periods in series.RANGES:
        figure = _view(client, DISTRICT_KPI, periods=periods)["kpi-chart"]["figure"]
        assert _trace(figure, "Actual")["x"]
