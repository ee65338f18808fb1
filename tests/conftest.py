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


# One person per role in the demo app; the analyst works for Public Works only.
PEOPLE = {
    "admin": ("admin", []),
    "manager": ("manager", []),
    "analyst": ("analyst", ["public-works"]),
    "viewer": ("viewer", []),
}


def password_of(username: str) -> str:
    return f"River trail at dawn, bench {sorted(PEOPLE).index(username) + 1}"


def seeded_demo_app(data_dir, *, label: str = "Test", meetings: bool = False):
    """An app on `data_dir` holding the demo city as of DEMO_TODAY and one person per role
    (and, with `meetings`, the demo stat meetings). Close its services when done."""
    from data.demo_city import seed_demo
    from web import accounts

    server = create_app({"data_dir": str(data_dir), "seed_demo": False})
    services = server.extensions[EXTENSION]
    services.prepare(seed_demo=False)
    assert seed_demo(services.warehouse, services.calendar, today=DEMO_TODAY)
    with server.app_context():
        for username, (role, departments) in PEOPLE.items():
            accounts.create_user(services, username, password=password_of(username), role=role,
                                 departments=departments, display_name=f"{label} {role.title()}", actor="tests")
        if meetings:
            from data.demo_meetings import seed_demo_meetings
            seed_demo_meetings(services, DEMO_TODAY)
    return server


def own_demo_app(folder: str, label: str, *, meetings: bool = False):
    """Module-scoped `app` and `services` fixtures of a demo city for one module alone, which
    may then write freely: `app, services = own_demo_app("goals", "Goals")`. No app context
    is held open (its `g` would carry one client's sign-in into the next)."""
    @pytest.fixture(scope="module")
    def app(tmp_path_factory):
        server = seeded_demo_app(tmp_path_factory.mktemp(folder), label=label, meetings=meetings)
        yield server
        server.extensions[EXTENSION].close()

    @pytest.fixture(scope="module")
    def services(app):
        return app.extensions[EXTENSION]
    return app, services


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """One app holding the demo city and one person per role, shared by the HTTP and
    browser tests."""
    server = seeded_demo_app(tmp_path_factory.mktemp("demo"))
    yield server
    server.extensions[EXTENSION].close()


@pytest.fixture
def anonymous(demo_app):
    """A client that has not signed in."""
    return demo_app.test_client()


@pytest.fixture
def client_as(demo_app):
    """`client_as("analyst")`: a test client signed in as that demo person."""
    from tests.helpers import sign_in

    def make(username: str):
        client = demo_app.test_client()
        sign_in(client, username, password_of(username))
        return client
    return make


@pytest.fixture(scope="module")
def signed_in(app):
    """For a module with a demo app of its own (its `app` fixture): `signed_in("manager", "es")`
    is a client of that app signed in as that person, reading that language if given (one
    client each: a language cookie stays in the client that got it)."""
    from tests.helpers import sign_in
    clients = {}

    def get(who: str, language: str | None = None):
        if (who, language) not in clients:
            client = clients[(who, language)] = app.test_client()
            sign_in(client, who, password_of(who))
            if language:   # otherwise the person's preference, then the request's Accept-Language
                client.set_cookie("citystat_lang", language)
        return clients[(who, language)]
    return get


@pytest.fixture
def client(client_as):
    """A signed-in viewer: reads everything internal, changes nothing."""
    return client_as("viewer")


@pytest.fixture
def undo(services):
    """Reverts every batch the test committed, newest first, so each test starts from the
    seed (for a module whose `services` fixture is its own demo app's)."""
    from metrics import imports
    first = services.warehouse.query("SELECT coalesce(max(id), 0) FROM import_batches").scalar()
    yield
    for batch in imports.list_batches(services.warehouse):
        if batch["id"] > first and batch["status"] == "committed":
            imports.revert_batch(services.warehouse, batch["id"], "tests")


def forget_kpis(services, pattern: str) -> None:
    """Remove the KPIs a test created in the shared demo app (ids LIKE `pattern`), with their
    values, targets and definitions, so later tests see the demo city as seeded."""
    with services.warehouse.transaction() as tx:
        for table, column in (("observations", "kpi_id"), ("targets", "kpi_id"), ("kpi_definitions", "kpi_id"),
                              ("kpis", "id")):
            tx.execute(f"DELETE FROM {table} WHERE {column} LIKE ?", [pattern])
        tx.execute("DELETE FROM catalogue_versions WHERE item_type = 'kpi' AND item_id LIKE ?", [pattern])
