"""The demo city speaks all three languages (issue #9): every KPI the city shows, the 311
ones computed from raw data included, has its name and description in Spanish and
Portuguese, and so do its goals and departments."""
from __future__ import annotations

import pytest

import data.demo_311
from data.demo_311 import KPIS as KPIS_311, TEXTS, seed_demo_311
from data.demo_catalogue import DEPARTMENTS, GOALS, KPIS
from data.demo_city import seed_demo
from metrics.periods import FiscalCalendar
from metrics.sandbox import Sandbox
from metrics.warehouse import Warehouse
from tests.conftest import DEMO_TODAY
from web.services import EXTENSION

FIELDS = ("id", "name", "name_es", "name_pt", "description", "description_es", "description_pt")


@pytest.fixture(scope="module")
def city_with_311(tmp_path_factory):
    """The demo city with a small 311 export (a few requests a day: the texts are the point)."""
    folder = tmp_path_factory.mktemp("demo-languages")
    warehouse, sandbox = Warehouse(folder / "w.duckdb"), Sandbox(folder / "raw.duckdb", memory_limit="1GB")
    calendar = FiscalCalendar(7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data.demo_311, "REQUESTS_PER_DAY", 20)
        seed_demo(warehouse, calendar, today=DEMO_TODAY)
        seed_demo_311(warehouse, sandbox, calendar, today=DEMO_TODAY, workdir=folder)
    yield warehouse
    sandbox.close()
    warehouse.close()


def _complete(row: dict) -> bool:
    return (all(row[field] and row[field].strip() for field in FIELDS)
            and row["description_es"] != row["description"] and row["description_pt"] != row["description"])


def test_the_catalogue_gives_every_kpi_goal_and_department_three_languages():
    for spec in KPIS:
        assert all(spec.names) and all(spec.description), spec.id
        assert len({spec.description[0], spec.description[1], spec.description[2]}) == 3, spec.id
    for goal in GOALS:
        assert all(goal.titles) and all(goal.descriptions), goal.id
    for department in DEPARTMENTS:
        assert all(department[1:4]), department[0]
    assert set(TEXTS) == {kpi[0] for kpi in KPIS_311}


def test_every_published_demo_kpi_has_its_spanish_and_portuguese_texts(city_with_311):
    rows = city_with_311.query(f"SELECT {', '.join(FIELDS)} FROM kpis WHERE published").dicts()
    assert len(rows) > 40 and {kpi[0] for kpi in KPIS_311} <= {row["id"] for row in rows}
    assert [row["id"] for row in rows if not _complete(row)] == []


def test_the_api_gives_a_kpi_its_descriptions(anonymous, demo_app):
    body = anonymous.get("/api/v1/kpis/potholes-48h").get_json()
    assert body["description_es"].startswith("Proporción de baches")
    assert body["description_pt"].startswith("Proporção de buracos")
