"""GET /api/v1/kpis, /kpis/{id} and /goals: the status contract of DESIGN §8."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from metrics.status import STATUSES, TRENDS
from tests.conftest import DEMO_TODAY

FIELDS = {"id", "name", "department", "goal_id", "unit", "direction", "frequency", "published", "latest",
          "target", "status", "trend", "stale", "forecast"}


def test_kpis_carry_the_contract_fields(client):
    response = client.get("/api/v1/kpis?limit=1000")
    assert response.status_code == 200
    kpis = response.get_json()
    assert len(kpis) >= 80 and int(response.headers["X-Total-Count"]) == len(kpis)
    for kpi in kpis:
        assert FIELDS <= set(kpi)
        assert kpi["status"] in STATUSES and kpi["trend"] in TRENDS and isinstance(kpi["stale"], bool)
        if kpi["latest"] is not None:
            assert set(kpi["latest"]) == {"period", "value"}
        assert kpi["target"] is None or isinstance(kpi["target"], (int, float)) or set(kpi["target"]) == {"low", "high"}
    statuses = {kpi["status"] for kpi in kpis}
    assert {"on_track", "at_risk", "off_track", "no_target", "no_direction"} <= statuses
    assert any(kpi["stale"] for kpi in kpis)
    assert any(kpi["forecast"] and kpi["forecast"]["likelihood"] in ("likely", "unlikely", "uncertain") for kpi in kpis)


def test_filters(client):
    police = client.get("/api/v1/kpis?department=police&limit=1000").get_json()
    assert police and {k["department"] for k in police} == {"police"}
    off = client.get("/api/v1/kpis?status=off_track&limit=1000").get_json()
    assert off and {k["status"] for k in off} == {"off_track"}
    goal = client.get("/api/v1/kpis?goal=vision-zero&limit=1000").get_json()
    assert goal and {k["goal_id"] for k in goal} == {"vision-zero"}


def test_as_of_reproduces_an_earlier_picture(client):
    earlier = (DEMO_TODAY - timedelta(days=400)).isoformat()
    then = {k["id"]: k for k in client.get(f"/api/v1/kpis?as_of={earlier}&limit=1000").get_json()}
    now = {k["id"]: k for k in client.get("/api/v1/kpis?limit=1000").get_json()}
    assert then.keys() == now.keys()
    moved = [i for i in now if then[i]["latest"] and now[i]["latest"] and then[i]["latest"] != now[i]["latest"]]
    assert len(moved) > 50
    assert client.get(f"/api/v1/kpis?as_of={earlier}&limit=1000").get_json() == list(then.values())
    ancient = client.get("/api/v1/kpis?as_of=2000-01-01&limit=1000").get_json()
    assert {k["status"] for k in ancient} == {"no_data"} and all(k["latest"] is None for k in ancient)


@pytest.mark.parametrize("query, message", [
    ("as_of=2024-02-30", "February 2024 has 29 days"),
    ("as_of=yesterday", "YYYY-MM-DD"),
    ("status=great", "status must be one of"),
    ("limit=0", "limit must be a whole number"),
    ("limit=abc", "limit must be a whole number"),
    ("limit=%C2%B2", "limit must be a whole number"),   # "²" passes str.isdigit()
])
def test_bad_parameters_are_400_with_a_reason(client, query, message):
    response = client.get(f"/api/v1/kpis?{query}")
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_pagination_with_a_next_link(client):
    first = client.get("/api/v1/kpis?limit=30")
    link = first.headers["Link"]
    assert 'rel="next"' in link
    second = client.get(link.split(">")[0].lstrip("<"))
    ids = [k["id"] for k in first.get_json()] + [k["id"] for k in second.get_json()]
    assert len(ids) == len(set(ids)) == 60


def test_one_kpi_has_definition_targets_and_observations_with_breakdowns(client):
    listed = client.get("/api/v1/kpis?limit=1000").get_json()
    kpi_id = next(k["id"] for k in listed if k["latest"] and k["target"] is not None)
    body = client.get(f"/api/v1/kpis/{kpi_id}").get_json()
    assert FIELDS <= set(body) and body["targets"] and body["observations"]
    assert {"methodology", "tolerance", "lag", "owner", "data_source"} <= set(body)
    with_districts = [k for k in listed if k["id"]]
    breakdowns = [o for k in with_districts[:40]
                  for o in client.get(f"/api/v1/kpis/{k['id']}").get_json()["observations"] if o["dimension"]]
    assert breakdowns and {o["dimension"] for o in breakdowns} == {"district"}
    assert client.get("/api/v1/kpis/no-such-kpi").status_code == 404


def test_goals_roll_up(client):
    goals = client.get("/api/v1/goals").get_json()
    priorities = [g for g in goals if g["mayoral_priority"]]
    assert len(priorities) == 6
    for goal in goals:
        assert goal["status"] in ("on_track", "at_risk", "off_track", None)
        assert sum(goal["counts"].values()) == goal["kpi_total"]


def test_anonymous_callers_see_published_kpis_only(anonymous, client):
    everything = client.get("/api/v1/kpis?limit=1000").get_json()
    public = anonymous.get("/api/v1/kpis?limit=1000").get_json()
    assert public and all(k["published"] for k in public) and len(public) < len(everything)
    hidden = next(k["id"] for k in everything if not k["published"])
    assert anonymous.get(f"/api/v1/kpis/{hidden}").status_code == 404
    assert client.get(f"/api/v1/kpis/{hidden}").status_code == 200
    assert all(g["kpi_total"] > 0 for g in anonymous.get("/api/v1/goals").get_json())


def test_a_computed_kpi_shows_its_definition_and_the_lineage_of_its_values(make_app, tmp_path):
    from metrics import computed, datasets
    from metrics.datasets import DatasetProfile
    from tests.helpers import sign_in
    from web import accounts
    from web.services import EXTENSION

    server = make_app()
    services = server.extensions[EXTENSION]
    services.prepare(seed_demo=False)
    csv = tmp_path / "requests.csv"
    csv.write_text("id,opened\n1,2026-01-05\n2,2026-01-20\n3,2026-02-03\n")
    with services.sandbox.loading() as con:
        batch = datasets.load(con, csv, DatasetProfile.parse(
            {"name": "requests", "columns": {"opened": {"type": "date", "format": "%Y-%m-%d"}}}),
            actor="tests", workdir=tmp_path).batch_id
    with services.warehouse.transaction() as tx:
        tx.execute("INSERT INTO kpis (id, name, unit, direction, frequency, aggregation) "
                   "VALUES ('requests-opened', 'Requests opened', 'count', 'neutral', 'monthly', 'sum')")
    sql = "SELECT date_trunc('month', opened) AS period, count(*) AS value FROM requests GROUP BY 1"
    computed.save_definition(services.warehouse, services.sandbox, services.calendar, "requests-opened", sql,
                             actor="tests")
    with server.app_context():
        accounts.create_user(services, "ana", password="River trail at dawn, bench 9", role="viewer",
                             departments=[], display_name="Ana", actor="tests")
    client = server.test_client()
    sign_in(client, "ana", "River trail at dawn, bench 9")
    body = client.get("/api/v1/kpis/requests-opened?as_of=2026-11-26").get_json()
    assert body["sql"] == sql and body["definition"]["version"] == 1 and body["definition"]["datasets"] == ["requests"]
    assert [(o["period"], o["value"], o["definition_version"], o["raw_batch"], o["import_batch"])
            for o in body["observations"]] == [("2026-01", 2, 1, batch, None), ("2026-02", 1, 1, batch, None)]
