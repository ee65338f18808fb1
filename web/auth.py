"""Signing in and out: flask-login sessions, API bearer tokens, CSRF tokens for our forms,
and throttling of failed logins per account and per client address."""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import delete, func, select

from appdb.models import LoginFailure, utcnow
from i18n import LANGUAGES, current_language, translate
from metrics import catalog
from metrics.access import ANONYMOUS, Scope
from web import accounts, audit
from web.services import current_services
from web.rules import access
from web.urls import same_origin_path

auth = Blueprint("auth", __name__)

ACCOUNT_FREE_FAILURES = 5      # failures allowed per account before waiting
ADDRESS_FREE_FAILURES = 20     # ... and per client address (many names, one machine)
WINDOW = timedelta(minutes=15)
MAX_WAIT_SECONDS = 15 * 60


class SessionUser:
    """What flask-login keeps for a signed-in person. The session id carries the account's
    session token, so a password reset or deactivation ends existing sessions."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, account: accounts.Account):
        self.account = account

    @property
    def is_active(self) -> bool:
        return self.account.active

    def get_id(self) -> str:
        return f"{self.account.id}:{self.account.session_token}"


def current_scope() -> Scope:
    """The person the current request acts for (anonymous outside a sign-in)."""
    if getattr(current_user, "is_authenticated", False):
        return current_user.account.scope
    return ANONYMOUS


def current_account() -> accounts.Account | None:
    return current_user.account if getattr(current_user, "is_authenticated", False) else None


def init_auth(server) -> None:
    manager = LoginManager()
    manager.session_protection = "strong"
    manager.login_view = "auth.login"
    manager.init_app(server)

    @manager.user_loader
    def _load(session_id: str):
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit():
            return None
        account = accounts.get_account(current_services(), int(user_id))
        if account is None or not account.active or not hmac.compare_digest(account.session_token, token):
            return None
        return SessionUser(account)

    @server.before_request
    def _bearer_first():
        """A request with a bearer token acts for the token's owner (or no one, when the
        token is wrong), whatever cookie it also carries. Left to flask-login, a cookie
        session without a sign-in (one that only holds a CSRF token) would make it treat
        the request as anonymous before it ever looked at the token."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            account = accounts.account_for_token(current_services(), header.removeprefix("Bearer ").strip())
            g._login_user = SessionUser(account) if account else manager.anonymous_user()

    server.register_blueprint(auth)
    server.jinja_env.globals.update(csrf_token=csrf_token)


# -- CSRF for our own forms ---------------------------------------------------------------------
def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(value: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and value and hmac.compare_digest(expected, value))


# -- throttling -------------------------------------------------------------------------------------
def _keys(username: str) -> list[tuple[str, int]]:
    return [(f"user:{username.strip().lower()[:100]}", ACCOUNT_FREE_FAILURES),
            (f"addr:{request.remote_addr}", ADDRESS_FREE_FAILURES)]


def seconds_to_wait(services, username: str) -> int:
    """How long this account or address must wait before another try (0: go ahead)."""
    now = utcnow()
    wait = 0
    with services.session() as db:
        for key, free in _keys(username):
            count, latest = db.execute(select(func.count(), func.max(LoginFailure.at))
                                       .where(LoginFailure.key == key, LoginFailure.at >= now - WINDOW)).one()
            if count >= free and latest is not None:
                delay = min(MAX_WAIT_SECONDS, 30 * 2 ** (count - free))
                wait = max(wait, int(delay - (now - latest).total_seconds()) + 1)
    return max(wait, 0)


def _note_failure(services, username: str) -> None:
    with services.session() as db, db.begin():
        db.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - WINDOW))
        db.add_all([LoginFailure(key=key) for key, _ in _keys(username)])


def _clear_failures(services, username: str) -> None:
    with services.session() as db, db.begin():
        db.execute(delete(LoginFailure).where(LoginFailure.key == _keys(username)[0][0]))


# -- routes -------------------------------------------------------------------------------------------
def _page(language: str, *, error: str | None = None, username: str = "", status: int = 200):
    services = current_services()
    city = catalog.get_meta(services.warehouse, "city_name") or translate("shell.your_city", language)
    html = render_template("login.html", t=lambda key, **kw: translate(key, language, **kw), language=language,
                           languages=LANGUAGES, city=city, error=error, username=username,
                           next=same_origin_path(request.values.get("next"), ""))
    return html, status


@auth.route("/login", methods=["GET", "POST"])
@access("public")
def login():
    language = current_language()
    if request.method != "POST":   # GET, and HEAD from monitoring probes
        if current_account():
            return redirect(same_origin_path(request.args.get("next")))
        return _page(language)
    services = current_services()
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    if not csrf_ok(request.form.get("csrf_token")):
        return _page(language, error=translate("login.expired_form", language), username=username, status=400)
    wait = seconds_to_wait(services, username)
    if wait:
        audit.record(services, "login", "denied", actor=username[:64] or "anonymous",
                     details={"reason": "throttled", "wait_seconds": wait})
        return _page(language, error=translate("login.throttled", language, seconds=wait),
                     username=username, status=429)
    account = accounts.authenticate(services, username, password)
    if account is None:
        _note_failure(services, username)
        audit.record(services, "login", "failure", actor=username[:64] or "anonymous")
        return _page(language, error=translate("login.failed", language), username=username, status=401)
    _clear_failures(services, username)
    session.pop("csrf", None)   # a fresh CSRF token for the signed-in session
    login_user(SessionUser(account), remember=bool(request.form.get("remember")))
    audit.record(services, "login", "success", actor=account.username)
    return redirect(same_origin_path(request.form.get("next")))


@auth.post("/logout")
@access("public")
def logout():
    services = current_services()
    account = current_account()
    if account and csrf_ok(request.form.get("csrf_token")):
        audit.record(services, "logout", "success", actor=account.username)
        logout_user()
        session.clear()
    return redirect(url_for("auth.login"))


def preferred_language() -> str | None:
    """The signed-in person's language, which wins over cookie and browser."""
    account = current_account()
    return account.preferred_language if account else None


def remember_language(code: str) -> None:
    account = current_account()
    if account and account.preferred_language != code:
        accounts.set_language(current_services(), account.id, code)
        current_app.logger.debug("language of %s set to %s", account.username, code)
