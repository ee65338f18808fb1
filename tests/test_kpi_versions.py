"""The KPI editor's service and API (issue #10): every create, change, archive and restore is
a version saying who changed which fields, when, from what to what, and only a real change
makes one; a refused write makes none. An archived KPI leaves the lists, status, what is due
and the public site, keeps its values, targets and versions, and comes back when restored.
Analysts change only their departments' KPIs (and never a published KPI's archive state);
a frequency, percent unit or ratio aggregation the stored data would not fit is refused,
and every field is validated. Each test uses KPI ids of its own: the demo app is shared."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from metrics import due, status
from metrics.access import Scope
from tests.conftest import DEMO_TODAY, forget_kpis
from tests.helpers import ORIGIN
from web import audit
from web.kpi_definitions import KpiWriteError, create_kpi, kpi_versions, update_kpi
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")


@pytest.fixture
def services(demo_app):
    services = demo_app.extensions[EXTENSION]
    yield services
    forget_kpis(services, "kver-%")
    with services.warehouse.transaction() as tx:
        tx.execute("DELETE FROM catalogue_versions WHERE item_type = 'kpi' AND item_id LIKE 'kver-%'")


def _kpi(kpi_id: str, **more) -> dict:
    return {"id": kpi_id, "name": f"Potholes {kpi_id}", "department": "public-works", "unit": "count",
            "direction": "up", "frequency": "monthly", "aggregation": "sum", **more}


def _values(services, kpi_id: str, values: list[float], *, frequency: str = "monthly", numerator=None):
    """Values for the months from July 2026 on, as an import would store them."""
    with services.warehouse.transaction() as tx:
        for month, value in enumerate(values, start=7):
            tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value, numerator, denominator) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [kpi_id, frequency, date(2026, month, 1), value,
                                                     numerator, 10.0 if numerator is not None else None])


def _target(services, kpi_id: str, frequency: str, start: date, value=None, low=None, high=None):
    with services.warehouse.transaction() as tx:
        tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value, low, high) VALUES (?, ?, ?, ?, ?, ?)",
                   [kpi_id, frequency, start, value, low, high])


def _events(services, action: str, target: str):
    return [e for e in audit.events(services, action=action, limit=500) if e.target == target]


def _details(response) -> str:
    return " ".join(response.get_json()["details"])


# -- versions ------------------------------------------------------------------------------------------
def test_create_and_change_are_versions_of_who_what_when_old_and_new(client_as, services):
    manager = client_as("manager")
    before = datetime.now().replace(microsecond=0)
    response = manager.post("/api/v1/kpis", json=_kpi("kver-basic", owner="Street crews"), headers=ORIGIN)
    assert response.status_code == 201 and response.get_json()["version"] == 1

    response = manager.put("/api/v1/kpis/kver-basic", json={"name": "Potholes filled", "tolerance": 0.05,
                                                             "owner": "Street crews", "name_es": "Baches tapados"},
                           headers=ORIGIN)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["version"] == 2 and body["changed"] == ["name", "name_es", "tolerance"] and body["warnings"] == []

    versions = manager.get("/api/v1/kpis/kver-basic/versions").get_json()["versions"]
    assert [v["version"] for v in versions] == [2, 1] and [v["action"] for v in versions] == ["update", "create"]
    change, created = versions
    assert change["changed_by"] == "manager" and datetime.fromisoformat(change["changed_at"]) >= before
    assert change["changes"] == {"name": {"old": "Potholes kver-basic", "new": "Potholes filled"},
                                 "name_es": {"old": None, "new": "Baches tapados"},
                                 "tolerance": {"old": 0.1, "new": 0.05}}
    assert created["changes"]["department"] == {"old": None, "new": "public-works"}
    assert created["changes"]["owner"] == {"old": None, "new": "Street crews"}

    event = _events(services, "kpi.update", "kver-basic")[0]
    assert event.details["version"] == 2 and event.details["before"]["tolerance"] == 0.1


def test_only_changed_fields_make_a_version(client_as, services):
    manager = client_as("manager")
    manager.post("/api/v1/kpis", json=_kpi("kver-same"), headers=ORIGIN)
    response = manager.put("/api/v1/kpis/kver-same", json={"name": "Potholes kver-same", "unit": "count",
                                                            "department": "public-works", "lag": None},
                           headers=ORIGIN)
    assert response.status_code == 200
    assert response.get_json()["changed"] == [] and response.get_json()["version"] is None
    assert len(kpi_versions(services, "kver-same")) == 1
    response = manager.put("/api/v1/kpis/kver-same", json={"name": "Potholes kver-same", "lag": 20}, headers=ORIGIN)
    assert response.get_json()["changed"] == ["lag"]
    assert kpi_versions(services, "kver-same")[0]["changes"] == {"lag": {"old": None, "new": 20}}


def test_a_refused_write_makes_no_version(client_as, services):
    create_kpi(services, MANAGER, _kpi("kver-refused"))
    create_kpi(services, MANAGER, _kpi("kver-theirs", department="transportation"))
    manager, analyst = client_as("manager"), client_as("analyst")
    assert manager.put("/api/v1/kpis/kver-refused", json={"name": "x", "tolerance": "lots"},
                       headers=ORIGIN).status_code == 400
    response = analyst.put("/api/v1/kpis/kver-theirs", json={"name": "Mine now"}, headers=ORIGIN)
    assert response.status_code == 403 and "transportation" in response.get_json()["error"]
    assert _events(services, "kpi.update", "kver-theirs")[0].outcome == "denied"
    assert len(kpi_versions(services, "kver-refused")) == 1 and len(kpi_versions(services, "kver-theirs")) == 1
    assert manager.get("/api/v1/kpis/kver-refused").get_json()["name"] == "Potholes kver-refused"


def test_versions_need_a_signed_in_viewer(client_as, anonymous, services):
    create_kpi(services, MANAGER, _kpi("kver-read", published=True))
    assert anonymous.get("/api/v1/kpis/kver-read/versions").status_code == 401
    assert client_as("viewer").get("/api/v1/kpis/kver-read/versions").get_json()["kpi_id"] == "kver-read"
    response = client_as("viewer").get("/api/v1/kpis/kver-nowhere/versions")
    assert response.status_code == 404 and response.get_json()["error"]


# -- archive, never delete --------------------------------------------------------------------------------
def test_an_archived_kpi_leaves_every_list_keeps_its_data_and_comes_back(client_as, anonymous, services):
    create_kpi(services, MANAGER, _kpi("kver-archive", published=True))
    _values(services, "kver-archive", [5, 6, 7])
    _target(services, "kver-archive", "annual", date(2026, 7, 1), value=100)
    manager, viewer = client_as("manager"), client_as("viewer")

    def listed() -> dict:
        rows = status.kpi_statuses(services.warehouse, services.calendar, DEMO_TODAY)
        return {"api": any(k["id"] == "kver-archive" for k in viewer.get("/api/v1/kpis?limit=500").get_json()),
                "public_api": anonymous.get("/api/v1/kpis/kver-archive").status_code == 200,
                "public_page": anonymous.get("/public/kpis/kver-archive").status_code == 200,
                "status": any(r["id"] == "kver-archive" for r in rows),
                "due": any(due.due_item(r, services.calendar, date(2027, 3, 1)) for r in rows
                           if r["id"] == "kver-archive")}
    assert all(listed().values()), listed()

    response = manager.put("/api/v1/kpis/kver-archive", json={"archived": True}, headers=ORIGIN)
    assert response.status_code == 200 and response.get_json()["changed"] == ["archived"]
    assert not any(listed().values()), listed()
    assert viewer.get("/api/v1/kpis/kver-archive").status_code == 404
    kept = services.warehouse.query("SELECT (SELECT count(*) FROM observations WHERE kpi_id = $id), "
                                    "(SELECT count(*) FROM targets WHERE kpi_id = $id)", {"id": "kver-archive"}).rows
    assert kept == [(3, 1)]
    assert manager.post("/api/v1/kpis", json=_kpi("kver-archive"), headers=ORIGIN).status_code == 409

    response = manager.put("/api/v1/kpis/kver-archive", json={"archived": False}, headers=ORIGIN)
    assert response.status_code == 200 and all(listed().values())
    assert [v["action"] for v in kpi_versions(services, "kver-archive")] == ["restore", "archive", "create"]
    assert kpi_versions(services, "kver-archive")[1]["changes"] == {"archived": {"old": False, "new": True}}
    assert _events(services, "kpi.archive", "kver-archive")[0].details["version"] == 2
    assert _events(services, "kpi.restore", "kver-archive")[0].outcome == "success"
    assert len(viewer.get("/api/v1/kpis/kver-archive").get_json()["observations"]) == 3


def test_analysts_archive_only_their_own_unpublished_kpis(client_as, services):
    create_kpi(services, MANAGER, _kpi("kver-own"))
    create_kpi(services, MANAGER, _kpi("kver-own-public", published=True))
    create_kpi(services, MANAGER, _kpi("kver-other", department="transportation"))
    analyst = client_as("analyst")
    assert analyst.put("/api/v1/kpis/kver-own", json={"archived": True}, headers=ORIGIN).status_code == 200
    assert analyst.put("/api/v1/kpis/kver-own", json={"archived": False}, headers=ORIGIN).status_code == 200
    response = analyst.put("/api/v1/kpis/kver-own-public", json={"archived": True}, headers=ORIGIN)
    assert response.status_code == 403 and "published" in response.get_json()["error"]
    assert _events(services, "kpi.update", "kver-own-public")[0].outcome == "denied"
    response = analyst.put("/api/v1/kpis/kver-other", json={"archived": True}, headers=ORIGIN)
    assert response.status_code == 403
    assert [v["action"] for v in kpi_versions(services, "kver-own")] == ["restore", "archive", "create"]
    assert [v["action"] for v in kpi_versions(services, "kver-other")] == ["create"]


# -- changes the data would not fit -------------------------------------------------------------------------
def test_frequency_cannot_change_under_values_or_period_targets(client_as, services):
    manager = client_as("manager")
    create_kpi(services, MANAGER, _kpi("kver-freq-values"))
    _values(services, "kver-freq-values", [1, 2])
    response = manager.put("/api/v1/kpis/kver-freq-values", json={"frequency": "quarterly"}, headers=ORIGIN)
    assert response.status_code == 400
    assert "2 value(s) of this KPI are stored for periods of its current frequency" in _details(response)

    create_kpi(services, MANAGER, _kpi("kver-freq-targets"))
    _target(services, "kver-freq-targets", "monthly", date(2026, 7, 1), value=3)
    response = manager.put("/api/v1/kpis/kver-freq-targets", json={"frequency": "quarterly"}, headers=ORIGIN)
    assert response.status_code == 400 and "1 target(s)" in _details(response)
    spanish = manager.put("/api/v1/kpis/kver-freq-targets", json={"frequency": "quarterly"},
                          headers={**ORIGIN, "Accept-Language": "es"})
    assert "no puede cambiar" in _details(spanish)
    assert len(kpi_versions(services, "kver-freq-targets")) == 1

    create_kpi(services, MANAGER, _kpi("kver-freq-annual"))   # a fiscal-year target holds for any frequency
    _target(services, "kver-freq-annual", "annual", date(2026, 7, 1), value=30)
    response = manager.put("/api/v1/kpis/kver-freq-annual", json={"frequency": "quarterly"}, headers=ORIGIN)
    assert response.status_code == 200 and response.get_json()["changed"] == ["frequency"]


def test_a_percent_kpi_keeps_fractions(client_as, services):
    manager = client_as("manager")
    create_kpi(services, MANAGER, _kpi("kver-points"))
    _values(services, "kver-points", [0.8, 85])
    response = manager.put("/api/v1/kpis/kver-points", json={"unit": "percent"}, headers=ORIGIN)
    assert response.status_code == 400 and "1 of this KPI's values or targets are above 1" in _details(response)
    create_kpi(services, MANAGER, _kpi("kver-fractions"))
    _values(services, "kver-fractions", [0.8, 0.85])
    _target(services, "kver-fractions", "annual", date(2026, 7, 1), low=0.8, high=0.95)
    assert manager.put("/api/v1/kpis/kver-fractions", json={"unit": "percent"}, headers=ORIGIN).status_code == 200


def test_a_ratio_needs_numerators_and_denominators(client_as, services):
    manager = client_as("manager")
    create_kpi(services, MANAGER, _kpi("kver-ratio-bare"))
    _values(services, "kver-ratio-bare", [0.5])
    response = manager.put("/api/v1/kpis/kver-ratio-bare", json={"aggregation": "ratio"}, headers=ORIGIN)
    assert response.status_code == 400 and "have no numerator and denominator" in _details(response)
    create_kpi(services, MANAGER, _kpi("kver-ratio-parts"))
    _values(services, "kver-ratio-parts", [0.5], numerator=5.0)
    assert manager.put("/api/v1/kpis/kver-ratio-parts", json={"aggregation": "ratio"},
                       headers=ORIGIN).status_code == 200


def test_a_band_direction_warns_of_single_value_targets(client_as, services):
    manager = client_as("manager")
    create_kpi(services, MANAGER, _kpi("kver-band"))
    _target(services, "kver-band", "annual", date(2026, 7, 1), value=30)
    response = manager.put("/api/v1/kpis/kver-band", json={"direction": "band"}, headers=ORIGIN)
    assert response.status_code == 200 and response.get_json()["changed"] == ["direction"]
    assert "1 target(s) of this KPI are a single value" in " ".join(response.get_json()["warnings"])
    response = manager.put("/api/v1/kpis/kver-band", json={"direction": "up"}, headers=ORIGIN)
    assert response.get_json()["warnings"] == []


# -- every field validated ----------------------------------------------------------------------------------
@pytest.mark.parametrize("body, words", [
    ({"name_es": "x" * 201}, '"name_es" must be text of at most 200 characters'),
    ({"name_pt": 5}, '"name_pt" must be text of at most 200 characters'),
    ({"description_es": "x" * 4001}, '"description_es" must be text of at most 4,000 characters'),
    ({"description_pt": ["a"]}, '"description_pt" must be text'),
    ({"unit_label": "x" * 61}, '"unit_label" must be text of at most 60 characters'),
    ({"owner": "x" * 201}, '"owner" must be text of at most 200 characters'),
    ({"data_source": "x" * 501}, '"data_source" must be text of at most 500 characters'),
    ({"methodology": 7}, '"methodology" must be text'),
    ({"name": "  "}, '"name" is required'),
    ({"archived": "yes"}, '"archived" must be true or false'),
    ({"critical": 1}, '"critical" must be true or false'),
    ({"breakdowns": ["district", "district"]}, '"breakdowns" must be a list of at most 5 different'),
    ({"breakdowns": ["a", "b", "c", "d", "e", "f"]}, '"breakdowns" must be a list of at most 5 different'),
    ({"goal_id": "no-such-goal"}, '"goal_id" \'no-such-goal\' is not a goal'),
    ({"unit": "furlongs"}, '"unit" must be one of'),
    ({"direction": ["up"]}, '"direction" must be one of'),
    ({"aggregation": "median"}, '"aggregation" must be one of'),
    ({"decimals": 7}, '"decimals" must be a whole number from 0 to 6'),
    ({"lag": -1}, '"lag" must be a whole number of days'),
    ({"id": "other"}, '"id" cannot change'),
])
def test_every_field_is_validated(client_as, services, body, words):
    create_kpi(services, MANAGER, _kpi("kver-fields"))
    response = client_as("manager").put("/api/v1/kpis/kver-fields", json=body, headers=ORIGIN)
    assert response.status_code == 400, response.get_json()
    assert words in _details(response)
    assert len(kpi_versions(services, "kver-fields")) == 1


def test_a_new_kpi_takes_every_field_and_cannot_start_archived(client_as, services):
    manager = client_as("manager")
    response = manager.post("/api/v1/kpis", json=_kpi("kver-born-archived", archived=True), headers=ORIGIN)
    assert response.status_code == 400 and "cannot be archived" in _details(response)
    full = _kpi("kver-full", name_es="Baches", name_pt="Buracos", description_es="Baches tapados",
                description_pt="Buracos tapados", unit_label="baches", owner="Street crews", data_source="Work orders",
                methodology="Counted when closed.", lag=15, critical=True, breakdowns=["district"], decimals=1,
                tolerance=0.2, goal_id="reliable-streets")
    response = manager.post("/api/v1/kpis", json=full, headers=ORIGIN)
    assert response.status_code == 201, response.get_json()
    shown = client_as("viewer").get("/api/v1/kpis/kver-full").get_json()
    assert (shown["name_es"], shown["description_pt"], shown["lag"], shown["breakdowns"]) == \
        ("Baches", "Buracos tapados", 15, ["district"])


def test_an_archived_goal_cannot_be_chosen(services):
    create_kpi(services, MANAGER, _kpi("kver-goal"))
    with services.warehouse.transaction() as tx:
        tx.execute("INSERT INTO goals (id, title, archived) VALUES ('kver-old-goal', 'Old goal', TRUE)")
    try:
        with pytest.raises(KpiWriteError) as refused:
            update_kpi(services, MANAGER, "kver-goal", {"goal_id": "kver-old-goal"})
        assert refused.value.status == 400 and "is not a goal" in str(refused.value)
        # A KPI whose goal was archived since keeps it: its form sent back unchanged is no error.
        with services.warehouse.transaction() as tx:
            tx.execute("UPDATE kpis SET goal_id = 'kver-old-goal' WHERE id = 'kver-goal'")
        assert update_kpi(services, MANAGER, "kver-goal", {"goal_id": "kver-old-goal", "name": "Renamed"})[
            "changed"] == ["name"]
    finally:
        with services.warehouse.transaction() as tx:
            tx.execute("DELETE FROM goals WHERE id = 'kver-old-goal'")


def test_a_computed_kpi_changes_frequency_with_its_values_computed_again(client_as, services, tmp_path):
    """Values computed by a definition are computed again for the new periods (the frequency
    and a definition that fits it change together); targets per period would still refuse it."""
    from metrics import datasets
    from web import datasets as web_datasets
    from web import importing

    path = tmp_path / "requests.csv"
    path.write_text("created\n" + "".join(f"2026-0{m}-0{d} 08:00:00\n" for m in range(1, 7) for d in range(1, m + 1)))
    profile = datasets.DatasetProfile.parse({"name": "kver_requests", "mode": "replace", "columns": {
        "created": {"type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"}}})
    with services.sandbox.loading() as con:
        report = datasets.load(con, path, profile, actor="tests", workdir=importing.workdir(services))
    try:
        monthly = "SELECT date_trunc('month', created) AS period, count(*) AS value FROM kver_requests GROUP BY 1"
        quarterly = monthly.replace("'month'", "'quarter'")
        create_kpi(services, MANAGER, _kpi("kver-computed", sql=monthly))
        manager = client_as("manager")
        response = manager.put("/api/v1/kpis/kver-computed", json={"frequency": "quarterly", "sql": quarterly},
                               headers=ORIGIN)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["changed"] == ["frequency"] and response.get_json()["definition"]["version"] == 2
        values = services.warehouse.query("SELECT frequency, value FROM observations WHERE kpi_id = ? "
                                          "ORDER BY period_start", ["kver-computed"]).rows
        assert values == [("quarterly", 6.0), ("quarterly", 15.0)]
        _target(services, "kver-computed", "quarterly", date(2026, 1, 1), value=5)
        response = manager.put("/api/v1/kpis/kver-computed", json={"frequency": "monthly", "sql": monthly},
                               headers=ORIGIN)
        assert response.status_code == 400 and "1 target(s)" in _details(response)
    finally:
        web_datasets.revert(services, Scope("tests", "admin"), report.batch_id)
