"""Shared fixtures: an in-memory warehouse, apps on temporary data directories, and one
demo-city app for the whole session (seeding it once keeps the suite fast)."""
from __future__ import annotations

from datetime import date

import pytest

from app import create_app
from metrics.periods import FiscalCalendar
from metrics.warehouse import Warehouse
from web.services import EXTENSION

# The demo city is generated relative to a day; tests pin it so they are repeatable.
DEMO_TODAY = date(2026, 11, 26)


@pytest.fixture
def calendar() -> FiscalCalendar:
    return FiscalCalendar(7)


@pytest.fixture
def warehouse():
    store = Warehouse(":memory:")
    yield store
    store.close()


@pytest.fixture
def make_app(tmp_path):
    """Build an app on a fresh data directory, with settings overridden as given."""
    built = []

    def build(**overrides):
        settings = {"data_dir": str(tmp_path / f"instance{len(built)}"), "seed_demo": False}
        settings.update(overrides)
        server = create_app(settings)
        built.append(server)
        return server

    yield build
    for server in built:
        server.extensions[EXTENSION].close()


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """One app holding the demo city, shared by the HTTP and browser tests."""
    from data.demo_city import seed_demo

    server = create_app({"data_dir": str(tmp_path_factory.mktemp("demo")), "seed_demo": False})
    services = server.extensions[EXTENSION]
    services.prepare(seed_demo=False)
    assert seed_demo(services.warehouse, services.calendar, today=DEMO_TODAY)
    yield server
    services.close()


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()
