"""The users and audit pages through the Flask test client: only administrators reach
them or their callbacks, every change goes through web.accounts and lands in the audit
log, and hostile or mistaken inputs change nothing."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from i18n import catalogue, translate
from tests.conftest import password_of
from tests.dash_client import call, render_page, texts
from tests.helpers import sign_in
from web import accounts, audit
from web.services import EXTENSION

FORBIDDEN_PAGE = translate("guard.forbidden_title", "en")
PASSWORD = "Lantern light over the quiet harbour"
OTHER_PASSWORD = "Seven herons fishing by the old mill"

# The callbacks as a browser calls them: outputs, inputs, state.
SHOW_PEOPLE = [("admin-users-table", "children"), ("admin-users-who", "options")]
CREATE = [("admin-users-create-message", "children"), ("admin-users-new-password", "value"),
          ("admin-users-new-username", "value"), ("admin-users-new-name", "value"),
          ("admin-users-new-email", "value"), ("admin-users-created", "data")]
CHANGE = [("admin-users-manage-message", "children"), ("admin-users-password", "value"),
          ("admin-users-updated", "data")]
CHANGE_BUTTONS = ("save-role", "deactivate", "reactivate", "reset")
SHOW_PERSON = [("admin-users-role", "value"), ("admin-users-departments", "value"),
               ("admin-users-who-status", "children"), ("admin-users-save-role", "disabled"),
               ("admin-users-deactivate", "disabled"), ("admin-users-reactivate", "disabled"),
               ("admin-users-reset", "disabled")]
EVENTS = [("admin-audit-table", "children"), ("admin-audit-action", "options"), ("admin-audit-summary", "children"),
          ("admin-audit-cursor", "data"), ("admin-audit-older", "disabled"), ("admin-audit-newest", "disabled")]


@pytest.fixture
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def admin(client_as):
    return client_as("admin")


def fresh_name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def press(client, outputs, inputs, state=(), changed: str | None = None, headers=None):
    """Like tests.dash_client.call, but says which input changed (the button pressed)."""
    if changed is None:
        return call(client, outputs, inputs, state, headers=headers)
    headers = dict(headers or {})
    for pair in filter(None, headers.pop("Cookie", "").split(";")):
        name, _, value = pair.strip().partition("=")
        client.set_cookie(name, value)
    body = {
        "output": ".." + "...".join(f"{cid}.{prop}" for cid, prop in outputs) + "..",
        "outputs": [{"id": cid, "property": prop} for cid, prop in outputs],
        "inputs": [{"id": cid, "property": prop, "value": value} for cid, prop, value in inputs],
        "changedPropIds": [changed],
        "state": [{"id": cid, "property": prop, "value": value} for cid, prop, value in state],
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers={"Origin": "http://localhost", **headers})


def create(client, username, *, role="viewer", departments=None, password=PASSWORD, display_name="Test Person",
           email="", headers=None):
    return call(client, CREATE, [("admin-users-create", "n_clicks", 1)],
                [("admin-users-new-username", "value", username), ("admin-users-new-name", "value", display_name),
                 ("admin-users-new-email", "value", email), ("admin-users-new-role", "value", role),
                 ("admin-users-new-departments", "value", departments if departments is not None else []),
                 ("admin-users-new-password", "value", password)], headers=headers)


def change(client, button, username, *, role=None, departments=None, password=None, headers=None):
    inputs = [(f"admin-users-{name}", "n_clicks", 1 if name == button else 0) for name in CHANGE_BUTTONS]
    state = [("admin-users-who", "value", username), ("admin-users-role", "value", role),
             ("admin-users-departments", "value", departments), ("admin-users-password", "value", password)]
    return press(client, CHANGE, inputs, state, changed=f"admin-users-{button}.n_clicks", headers=headers)


def show_events(client, action=None, actor=None, outcome=None, start=None, end=None, *, older=False, cursor=None,
                headers=None):
    inputs = [("admin-audit-action", "value", action), ("admin-audit-actor", "value", actor),
              ("admin-audit-outcome", "value", outcome), ("admin-audit-dates", "start_date", start),
              ("admin-audit-dates", "end_date", end), ("admin-audit-older", "n_clicks", 1 if older else 0),
              ("admin-audit-newest", "n_clicks", 0)]
    return press(client, EVENTS, inputs, [("admin-audit-cursor", "data", cursor)],
                 changed="admin-audit-older.n_clicks" if older else "admin-audit-action.value", headers=headers)


def answer(response, component: str, prop: str):
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"][component][prop]


def table_text(response) -> str:
    """What the audit table shows, without the filter options beside it."""
    return texts(json.dumps(answer(response, "admin-audit-table", "children")))


def message(response, component="admin-users-create-message"):
    """(class, role, text) of the message a form shows."""
    shown = answer(response, component, "children")["props"]
    return shown["className"], shown["role"], shown["children"]


# -- who may open the pages -----------------------------------------------------------------------------
@pytest.mark.parametrize("path, heading", [("/admin/users", "Create a user"), ("/admin/audit", "Audit log")])
def test_an_administrator_opens_both_pages(admin, path, heading):
    page = texts(render_page(admin, path))
    assert heading in page and FORBIDDEN_PAGE not in page
    # The layout holds no accounts or events: callbacks fill them in, for administrators only.
    assert "Test Viewer" not in page and "Test Analyst" not in page


@pytest.mark.parametrize("person", ["viewer", "analyst", "manager"])
@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_other_roles_get_the_not_available_page(client_as, person, path):
    page = texts(render_page(client_as(person), path))
    assert FORBIDDEN_PAGE in page and "Create a user" not in page and "Client address" not in page


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_anonymous_visitors_are_asked_to_sign_in(anonymous, path):
    response = call(anonymous, [("_pages_content", "children"), ("_pages_store", "data")],
                    [("_pages_location", "pathname", path), ("_pages_location", "search", "")])
    assert response.status_code == 401
    assert "response" not in response.get_json()


# -- who may call the callbacks ---------------------------------------------------------------------------
@pytest.mark.parametrize("person", ["viewer", "analyst", "manager"])
def test_other_roles_cannot_call_the_admin_callbacks(client_as, services, person):
    client = client_as(person)
    username = fresh_name()
    assert create(client, username).status_code == 403
    assert accounts.find_account(services, username) is None

    assert change(client, "save-role", "viewer", role="admin").status_code == 403
    assert change(client, "deactivate", "viewer").status_code == 403
    assert change(client, "reset", "viewer", password=OTHER_PASSWORD).status_code == 403
    viewer = accounts.find_account(services, "viewer")
    assert viewer.role == "viewer" and viewer.active
    assert accounts.authenticate(services, "viewer", password_of("viewer"))

    people = call(client, SHOW_PEOPLE, [("admin-users-created", "data", None), ("admin-users-updated", "data", 1)])
    assert people.status_code == 403 and "Test Admin" not in people.get_data(as_text=True)
    person = call(client, SHOW_PERSON, [("admin-users-who", "value", "admin"), ("admin-users-updated", "data", 1)])
    assert person.status_code == 403
    events = show_events(client)
    assert events.status_code == 403 and "login" not in events.get_data(as_text=True)


# -- what an administrator can do ----------------------------------------------------------------------------
def test_the_people_table_lists_everyone_in_words(admin):
    response = call(admin, SHOW_PEOPLE, [("admin-users-created", "data", None), ("admin-users-updated", "data", None)])
    shown = texts(response.get_data(as_text=True))
    for name in ("Test Admin", "Test Manager", "Test Analyst", "Test Viewer"):
        assert name in shown
    assert "Public Works" in shown and "public-works" not in shown.splitlines()
    assert "Analyst" in shown and "Active" in shown and "All departments" in shown
    options = answer(response, "admin-users-who", "options")
    assert {"viewer", "analyst", "manager", "admin"} <= {o["value"] for o in options}


def test_create_a_user_who_can_then_sign_in(admin, demo_app, services):
    username = fresh_name()
    response = create(admin, username, role="analyst", departments=["public-works"], email="pat@example.org")
    css, role, text = message(response)
    assert css == "form-ok" and role == "status" and username in text
    outputs = response.get_json()["response"]
    assert outputs["admin-users-new-password"]["value"] == ""
    assert PASSWORD not in response.get_data(as_text=True)
    account = accounts.find_account(services, username)
    assert (account.role, account.departments, account.email) == ("analyst", ("public-works",), "pat@example.org")

    person = demo_app.test_client()
    assert sign_in(person, username, PASSWORD).status_code == 302
    assert person.get("/_dash-layout").status_code == 200

    event = audit.events(services, action="user.create", limit=1)[0]
    assert (event.actor, event.target, event.outcome) == ("admin", username, "success")
    page = table_text(show_events(admin, action="user.create"))
    assert username in page and "User created" in page


def test_departments_are_kept_for_analysts_only(admin, services):
    username = fresh_name()
    create(admin, username, role="manager", departments=["public-works"])
    assert accounts.find_account(services, username).departments == ()


def test_change_role_and_departments(admin, services):
    username = fresh_name()
    create(admin, username)
    response = change(admin, "save-role", username, role="analyst", departments=["public-works"])
    css, role, text = message(response, "admin-users-manage-message")
    assert css == "form-ok" and "Analyst" in text
    account = accounts.find_account(services, username)
    assert account.role == "analyst" and account.departments == ("public-works",)
    event = audit.events(services, action="user.role", limit=1)[0]
    assert event.target == username and event.details["after"]["role"] == "analyst"

    shown = call(admin, SHOW_PERSON, [("admin-users-who", "value", username), ("admin-users-updated", "data", 5)])
    assert answer(shown, "admin-users-role", "value") == "analyst"
    assert answer(shown, "admin-users-departments", "value") == ["public-works"]


def test_deactivating_ends_the_persons_session_and_reactivating_lets_them_back(admin, demo_app, services):
    username = fresh_name()
    create(admin, username)
    person = demo_app.test_client()
    sign_in(person, username, PASSWORD)
    assert person.get("/_dash-layout").status_code == 200

    css, _role, text = message(change(admin, "deactivate", username), "admin-users-manage-message")
    assert css == "form-ok" and username in text
    assert person.get("/_dash-layout").status_code == 401
    assert not accounts.find_account(services, username).active
    assert audit.events(services, action="user.deactivate", limit=1)[0].target == username
    shown = call(admin, SHOW_PEOPLE, [("admin-users-created", "data", None), ("admin-users-updated", "data", 9)])
    assert "Deactivated" in texts(shown.get_data(as_text=True))

    message(change(admin, "reactivate", username), "admin-users-manage-message")
    assert accounts.find_account(services, username).active
    assert sign_in(demo_app.test_client(), username, PASSWORD).status_code == 302
    assert audit.events(services, action="user.activate", limit=1)[0].target == username


def test_reset_a_password(admin, demo_app, services):
    username = fresh_name()
    create(admin, username)
    person = demo_app.test_client()
    sign_in(person, username, PASSWORD)
    response = change(admin, "reset", username, password=OTHER_PASSWORD)
    css, _role, _text = message(response, "admin-users-manage-message")
    assert css == "form-ok"
    assert answer(response, "admin-users-password", "value") == ""
    assert OTHER_PASSWORD not in response.get_data(as_text=True)
    assert person.get("/_dash-layout").status_code == 401   # the old session ended
    assert accounts.authenticate(services, username, OTHER_PASSWORD)
    assert not accounts.authenticate(services, username, PASSWORD)
    event = audit.events(services, action="user.password_reset", limit=1)[0]
    assert event.target == username and OTHER_PASSWORD not in json.dumps(event.details)
    assert username in table_text(show_events(admin, action="user.password_reset"))


def test_an_administrator_resetting_their_own_password_stays_signed_in(demo_app, services):
    username = fresh_name()
    accounts.create_user(services, username, password=PASSWORD, role="admin", actor="tests")
    client = demo_app.test_client()
    sign_in(client, username, PASSWORD)
    css, _role, _text = message(change(client, "reset", username, password=OTHER_PASSWORD),
                                "admin-users-manage-message")
    assert css == "form-ok"
    assert client.get("/_dash-layout").status_code == 200
    assert accounts.authenticate(services, username, OTHER_PASSWORD)


@pytest.mark.parametrize("button, role", [("deactivate", None), ("save-role", "manager"), ("save-role", "viewer")])
def test_an_administrator_cannot_lock_themself_out(admin, services, button, role):
    css, alert, text = message(change(admin, button, "admin", role=role), "admin-users-manage-message")
    assert css == "form-error" and alert == "alert" and "another administrator" in text
    account = accounts.find_account(services, "admin")
    assert account.active and account.role == "admin"
    assert admin.get("/_dash-layout").status_code == 200


# -- mistakes and hostile inputs change nothing ---------------------------------------------------------------
@pytest.mark.parametrize("fields, key", [
    ({"role": "superuser"}, "account.unknown_role"),
    ({"role": "analyst", "departments": ["no-such-department"]}, "account.unknown_department"),
    ({"role": "analyst", "departments": []}, "account.analyst_needs_department"),
    ({"password": "short"}, "password.too_short"),
    ({"password": "password1234"}, "password.common"),
    ({"email": "not an address"}, "admin_users.bad_email"),
    ({"username": ["a", "list"]}, "admin_users.unreadable"),
    ({"username": {"nested": "object"}}, "admin_users.unreadable"),
    ({"role": {"admin": True}}, "account.unknown_role"),
    ({"role": "analyst", "departments": "public-works"}, "admin_users.unreadable"),
    ({"role": "analyst", "departments": [17]}, "admin_users.unreadable"),
    ({"password": 123456789012345}, "admin_users.unreadable"),
    ({"display_name": 42}, "admin_users.unreadable"),
    ({"email": ["x@example.org"]}, "admin_users.unreadable"),
])
def test_bad_new_users_are_refused_in_words(admin, services, fields, key):
    username = fresh_name()
    before = len(accounts.list_accounts(services))
    response = create(admin, fields.pop("username", username), **fields, headers={"Cookie": "citystat_lang=es"})
    css, role, text = message(response)
    assert css == "form-error" and role == "alert"
    assert text.startswith(catalogue("es")[key].split("{")[0]), text
    assert answer(response, "admin-users-new-password", "value") == ""
    assert accounts.find_account(services, username) is None
    assert len(accounts.list_accounts(services)) == before


def test_a_taken_username_is_refused(admin, services):
    response = create(admin, "viewer", role="admin", password=OTHER_PASSWORD)
    css, _role, text = message(response)
    assert css == "form-error" and text == translate("account.exists", "en", username="viewer")
    viewer = accounts.find_account(services, "viewer")
    assert viewer.role == "viewer"
    assert not accounts.authenticate(services, "viewer", OTHER_PASSWORD)


@pytest.mark.parametrize("button, who, fields, key", [
    ("save-role", "no-such-person", {"role": "viewer"}, "account.no_such_user"),
    ("deactivate", None, {}, "admin_users.choose_person"),
    ("deactivate", ["viewer"], {}, "admin_users.unreadable"),
    ("reset", {"username": "viewer"}, {"password": OTHER_PASSWORD}, "admin_users.unreadable"),
    ("save-role", "FRESH", {"role": "owner"}, "account.unknown_role"),
    ("save-role", "FRESH", {"role": "analyst", "departments": ["nowhere"]}, "account.unknown_department"),
    ("save-role", "FRESH", {"role": "analyst", "departments": {"a": 1}}, "admin_users.unreadable"),
    ("reset", "FRESH", {"password": "tiny"}, "password.too_short"),
    ("reset", "FRESH", {"password": ["a long and quiet river morning"]}, "admin_users.unreadable"),
])
def test_bad_changes_are_refused_in_words(admin, services, button, who, fields, key):
    username = fresh_name()
    create(admin, username)
    who = username if who == "FRESH" else who
    response = change(admin, button, who, **fields)
    css, role, text = message(response, "admin-users-manage-message")
    assert css == "form-error" and role == "alert"
    assert text.startswith(catalogue("en")[key].split("{")[0]), text
    assert answer(response, "admin-users-password", "value") == ""
    assert "admin-users-updated" not in response.get_json()["response"]
    account = accounts.find_account(services, username)
    assert account.role == "viewer" and account.active and accounts.authenticate(services, username, PASSWORD)


@pytest.mark.parametrize("clicks", ["1", [1], -3, True, {"n": 1}])
def test_button_clicks_that_are_not_counts_do_nothing(admin, services, clicks):
    username = fresh_name()
    response = call(admin, CREATE, [("admin-users-create", "n_clicks", clicks)],
                    [("admin-users-new-username", "value", username), ("admin-users-new-name", "value", "X"),
                     ("admin-users-new-email", "value", ""), ("admin-users-new-role", "value", "viewer"),
                     ("admin-users-new-departments", "value", []), ("admin-users-new-password", "value", PASSWORD)])
    assert response.status_code == 204
    assert accounts.find_account(services, username) is None


# -- the audit page ---------------------------------------------------------------------------------------------
def test_audit_page_shows_events_newest_first_in_words(admin, services):
    response = show_events(admin)
    rows = answer(response, "admin-audit-table", "children")["props"]["children"][2]["props"]["children"]
    assert 0 < len(rows) <= 100
    shown = texts(response.get_data(as_text=True))
    assert "Client address" in shown and "Outcome" in shown and "Success" in shown
    actions = {o["value"] for o in answer(response, "admin-audit-action", "options")}
    assert {"login", "user.create"} <= actions
    assert any(o["label"] == "Sign-in (login)" for o in answer(response, "admin-audit-action", "options"))


def test_audit_filters(admin, services):
    only_logins = table_text(show_events(admin, action="login", outcome="success", actor="admin"))
    assert "Sign-in" in only_logins and "User created" not in only_logins and "Failure" not in only_logins
    assert "Test Viewer" not in only_logins and "viewer" not in only_logins.splitlines()
    empty = table_text(show_events(admin, action="login", start="2000-01-01", end="2000-01-02"))
    assert "No events match these filters." in empty
    today = datetime.now(timezone.utc).date().isoformat()
    assert "Sign-in" in table_text(show_events(admin, action="login", start=today, end=today))
    spanish = show_events(admin, action="login", outcome="success", headers={"Cookie": "citystat_lang=es"})
    assert "Correcto" in table_text(spanish) and "Dirección del cliente" in table_text(spanish)


def test_audit_pages_back_100_at_a_time(admin, services):
    action = f"test.paging.{uuid.uuid4().hex[:6]}"
    for n in range(105):
        audit.record(services, action, "success", actor="tests", target=f"item-{n}")
    first = show_events(admin, action=action)
    first_rows = texts(first.get_data(as_text=True)).splitlines()
    assert "item-104" in first_rows and "item-5" in first_rows and "item-4" not in first_rows
    assert answer(first, "admin-audit-older", "disabled") is False
    cursor = answer(first, "admin-audit-cursor", "data")
    assert cursor["page"] == 1

    older = show_events(admin, action=action, older=True, cursor=cursor)
    older_rows = texts(older.get_data(as_text=True)).splitlines()
    assert "item-4" in older_rows and "item-0" in older_rows and "item-5" not in older_rows
    assert answer(older, "admin-audit-older", "disabled") is True
    assert answer(older, "admin-audit-newest", "disabled") is False
    assert "Page 2: 5 events, newest first" in older_rows


@pytest.mark.parametrize("filters", [
    {"action": "no-such-action"}, {"action": ["login"]}, {"actor": {"x": 1}}, {"actor": "x" * 65},
    {"outcome": "maybe"}, {"start": "yesterday"}, {"end": 20240101},
])
def test_audit_refuses_bad_filters(admin, filters):
    assert show_events(admin, **filters).status_code == 204


def test_audit_ignores_a_cursor_that_is_not_one(admin):
    response = show_events(admin, older=True, cursor={"oldest": "1 OR 1=1", "page": 3})
    assert answer(response, "admin-audit-cursor", "data")["page"] == 1
