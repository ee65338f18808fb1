"""Signing in and out, throttling, sessions that end, API tokens, the CLI, the audit log
and the hardening around them."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import text

from appdb.models import AuditEvent
from tests.dash_client import texts
from tests.helpers import ORIGIN, sign_in
from web import accounts, audit
from web.passwords import password_problem
from web.services import EXTENSION


@pytest.fixture
def app(make_app):
    """A fresh app with its own app database (and an empty warehouse)."""
    server = make_app()
    server.extensions[EXTENSION].prepare(seed_demo=False)
    return server


@pytest.fixture
def services(app):
    return app.extensions[EXTENSION]


def _person(services, username="dana", role="viewer", password="a long and quiet river morning"):
    return accounts.create_user(services, username, password=password, role=role, actor="tests")


# -- passwords -------------------------------------------------------------------------------------
@pytest.mark.parametrize("password, problem", [
    ("short pass", "password.too_short"),
    ("x" * 1025, "password.too_long"),
    ("password1234", "password.common"),
    ("qwertyuiop12", "password.common"),
    ("Dragon2024!!!!", "password.common"),
    ("aaaaaaaaaaaaaaaa", "password.common"),
    ("monkeymonkeymonkey", "password.common"),
    ("123456789012", "password.common"),
    ("citystat1234", "password.common"),
    ("dana likes long walks", "password.has_username"),
    ("correct horse battery staple", None),
    ("ñandú sobre la colina verde", None),
    ("the long road home " * 12, None),
])
def test_password_rules_follow_nist(password, problem):
    assert password_problem(password, username="dana") == problem


def test_long_passwords_are_not_truncated(services):
    long = "river " * 30 + "end-a"
    _person(services, password=long)
    assert accounts.authenticate(services, "dana", long) is not None
    assert accounts.authenticate(services, "dana", long[:-1] + "b") is None


def test_passwords_are_stored_as_scrypt_hashes(services):
    _person(services)
    with services.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users WHERE username = 'dana'")).scalar()
    assert stored.startswith("scrypt:") and "river" not in stored


def _csrf_in_layout(node):
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("name") == "csrf_token":
            return props.get("value")
        return next((found for found in map(_csrf_in_layout, node.values()) if found), None)
    if isinstance(node, list):
        return next((found for found in map(_csrf_in_layout, node) if found), None)
    return None


# -- signing in ---------------------------------------------------------------------------------------
def test_sign_in_and_out(app, services):
    _person(services)
    client = app.test_client()
    response = sign_in(client, "Dana", "a long and quiet river morning", next_path="/kpi/x")
    assert response.status_code == 302 and response.headers["Location"] == "/kpi/x"
    layout = client.get("/_dash-layout").get_json()
    value = _csrf_in_layout(layout)
    assert value, "the header carries a sign-out form with a CSRF token"
    assert client.post("/logout", data={"csrf_token": "forged"}, headers=ORIGIN).status_code == 302
    assert client.get("/_dash-layout").status_code == 200, "a forged sign-out must not sign out"
    assert client.post("/logout", data={"csrf_token": value}, headers=ORIGIN).status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    actions = [(e.action, e.outcome) for e in audit.events(services)]
    assert ("login", "success") in actions and ("logout", "success") in actions


def test_unknown_user_and_wrong_password_look_the_same(app, services):
    _person(services)
    client = app.test_client()
    unknown = sign_in(client, "nobody", "a long and quiet river morning")
    wrong = sign_in(client, "dana", "a long and quiet river evening")
    assert unknown.status_code == wrong.status_code == 401
    message = "That username and password do not match an active account"
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)
    failures = [e for e in audit.events(services, action="login", outcome="failure")]
    assert {e.actor for e in failures} == {"nobody", "dana"}


def test_next_is_followed_only_on_this_site(app, services):
    _person(services)
    for target, expected in [("/kpi/abc?x=1", "/kpi/abc?x=1"), ("https://evil.example/", "/"),
                             ("//evil.example/x", "/"), ("javascript:alert(1)", "/")]:
        client = app.test_client()
        response = sign_in(client, "dana", "a long and quiet river morning", next_path=target)
        assert response.headers["Location"] == expected, target


def test_a_form_without_its_csrf_token_is_refused(app, services):
    _person(services)
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "dana", "password": "a long and quiet river morning"},
                           headers=ORIGIN)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_failed_logins_are_throttled_per_account(app, services):
    _person(services)
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "dana", "wrong but long enough password").status_code == 401
    blocked = sign_in(client, "dana", "a long and quiet river morning")
    assert blocked.status_code == 429
    assert re.search(r"Try again in \d+ seconds", blocked.get_data(as_text=True))
    other = app.test_client()
    _person(services, "erin", password="another long quiet river morning")
    assert sign_in(other, "erin", "another long quiet river morning").status_code == 302
    assert audit.events(services, action="login", outcome="denied")


def test_failed_logins_are_throttled_per_address(app, services):
    client = app.test_client()
    for n in range(20):
        sign_in(client, f"guess{n}", "wrong but long enough password")
    _person(services)
    assert sign_in(client, "dana", "a long and quiet river morning").status_code == 429


def test_remember_me_lasts_at_most_fourteen_days(app, services):
    _person(services)
    client = app.test_client()
    response = sign_in(client, "dana", "a long and quiet river morning", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    days = (expires - datetime.now(timezone.utc)).total_seconds() / 86400
    assert 13.9 < days <= 14 and "HttpOnly" in remember
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)


def test_deactivation_ends_an_existing_session_on_the_next_request(app, services):
    _person(services)
    client = app.test_client()
    sign_in(client, "dana", "a long and quiet river morning", remember=True)
    assert client.get("/_dash-layout").status_code == 200
    accounts.set_active(services, "dana", False, actor="tests")
    assert client.get("/_dash-layout").status_code == 401
    assert sign_in(app.test_client(), "dana", "a long and quiet river morning").status_code == 401


def test_a_password_reset_ends_other_sessions(app, services):
    _person(services)
    client = app.test_client()
    sign_in(client, "dana", "a long and quiet river morning")
    accounts.reset_password(services, "dana", "a brand new evening by the lake", actor="tests")
    assert client.get("/_dash-layout").status_code == 401


# -- API tokens ------------------------------------------------------------------------------------------
def test_bearer_tokens_work_until_revoked_and_are_stored_hashed(app, services):
    _person(services)
    token, token_id = accounts.create_token(services, "dana", "reporting script", actor="tests")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/_dash-layout", headers=headers).status_code == 200
    assert client.get("/_dash-layout", headers={"Authorization": "Bearer cst_wrong"}).status_code == 401
    with services.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM api_tokens")).scalar()
    assert token not in stored and len(stored) == 64
    accounts.revoke_token(services, token_id, actor="tests")
    assert client.get("/_dash-layout", headers=headers).status_code == 401
    for event in audit.events(services):
        assert token not in repr(event.details) and token[4:] not in repr(event.details)


def test_monitoring_may_probe_the_login_page_with_head(app):
    assert app.test_client().head("/login").status_code == 200


def test_a_bearer_token_wins_over_a_cookie_without_a_sign_in(app, services):
    """A client that keeps cookies (requests.Session, a browser that saw /login) carries a
    session holding only a CSRF token; its bearer token must still count."""
    _person(services)
    token, _ = accounts.create_token(services, "dana", "reporting script", actor="tests")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/login")   # the session now holds a CSRF token, and no one
    assert client.get("/_dash-layout", headers=headers).status_code == 200
    assert client.get("/api/v1/imports", headers=headers).status_code == 200
    assert client.get("/_dash-layout", headers={"Authorization": "Bearer cst_wrong"}).status_code == 401
    assert client.get("/_dash-layout").status_code == 401


# -- the command line --------------------------------------------------------------------------------------
def test_cli_creates_users_and_tokens(app, services):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "frank", "--role", "viewer", "--password-stdin"],
                           input="a quiet walk along the harbour\n")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate(services, "frank", "a quiet walk along the harbour")
    weak = runner.invoke(args=["create-user", "gina", "--role", "viewer", "--password-stdin"], input="password\n")
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    no_department = runner.invoke(args=["create-user", "hal", "--role", "analyst", "--password-stdin"],
                                  input="a quiet walk along the harbour\n")
    assert no_department.exit_code != 0 and "needs at least one department" in no_department.output

    token_run = runner.invoke(args=["create-token", "frank", "--name", "nightly export"])
    assert token_run.exit_code == 0
    token = token_run.output.strip().splitlines()[-1]
    assert token.startswith("cst_")
    assert app.test_client().get("/_dash-layout", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = re.search(r"Token (\d+)", token_run.output).group(1)
    assert runner.invoke(args=["revoke-token", token_id]).exit_code == 0
    assert app.test_client().get("/_dash-layout", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(args=["revoke-token", "999"]).exit_code != 0


# -- the audit log --------------------------------------------------------------------------------------------
def test_audit_log_is_append_only_in_the_database(services):
    audit.record(services, "test.event", "success", actor="tests", details={"password": "hunter2", "n": 1})
    with services.session() as session:
        event = session.query(AuditEvent).filter_by(action="test.event").one()
        assert event.details == {"password": "[removed]", "n": 1}
    with services.engine.connect() as connection:
        with pytest.raises(Exception, match="append-only"):
            connection.execute(text("UPDATE audit_events SET outcome = 'failure'"))
        with pytest.raises(Exception, match="append-only"):
            connection.execute(text("DELETE FROM audit_events"))
    with services.session() as session, pytest.raises(PermissionError):
        with session.begin():
            session.query(AuditEvent).filter_by(action="test.event").one().outcome = "failure"


# -- hardening ------------------------------------------------------------------------------------------------
def test_security_headers_on_every_answer(app):
    client = app.test_client()
    for path in ("/login", "/", "/api/v1/health"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_state_changing_requests_need_this_sites_origin(app, services):
    _person(services)
    client = app.test_client()
    sign_in(client, "dana", "a long and quiet river morning")
    body = {"output": "..overview-kpis.children...overview-show-all.hidden..",
            "outputs": [{"id": "overview-kpis", "property": "children"}, {"id": "overview-show-all", "property": "hidden"}],
            "inputs": [{"id": f"overview-{name}", "property": "value", "value": None}
                       for name in ("department", "goal", "status", "search")]
            + [{"id": "overview-show-all", "property": "n_clicks", "value": 0}], "changedPropIds": []}
    forged = client.post("/_dash-update-component", json=body, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert client.post("/_dash-update-component", json=body).status_code == 403  # no Origin at all
    assert client.post("/_dash-update-component", json=body, headers=ORIGIN).status_code in (200, 204)


def test_uploads_above_the_limit_get_413(make_app):
    small = make_app(max_upload_mb=1)
    response = small.test_client().post("/login", data={"x": "y" * (2 * 1024 * 1024)}, headers=ORIGIN)
    assert response.status_code == 413


def test_no_stack_trace_reaches_anyone(app):
    @app.route("/boom")
    def boom():  # pragma: no cover - raises
        raise RuntimeError("secret internals")
    boom.citystat_access = "public"
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body


def test_production_refuses_debug(tmp_path, monkeypatch):
    from app import create_app
    from config import ConfigError

    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="debug"):
        create_app({"data_dir": str(tmp_path), "env": "production", "secret_key": "k" * 64})


def test_signed_in_language_preference_wins(app, services):
    _person(services)
    client = app.test_client()
    sign_in(client, "dana", "a long and quiet river morning")
    client.get("/lang/pt", headers={"Referer": "http://localhost/"})
    assert accounts.find_account(services, "dana").preferred_language == "pt"
    fresh = app.test_client()
    sign_in(fresh, "dana", "a long and quiet river morning")
    layout = texts(fresh.get("/_dash-layout", headers={"Accept-Language": "es"}).get_data(as_text=True))
    assert "Visão geral" in layout.splitlines()


def test_demo_logins_are_created_once_and_kept_private(app, services):
    from data.demo_city import seed_demo
    from web.demo_logins import ensure_demo_logins

    seed_demo(services.warehouse, services.calendar)
    with app.app_context():
        first = ensure_demo_logins(services)
        second = ensure_demo_logins(services)
    path = services.config.data_path / "demo-logins.txt"
    assert "admin" in first and "analyst" in first and str(path) in second
    assert path.stat().st_mode & 0o077 == 0
    for line in path.read_text().splitlines()[1:]:
        username, password = line.split()[:2]
        assert accounts.authenticate(services, username, password), username
    assert accounts.find_account(services, "analyst").departments
