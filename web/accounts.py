"""People and their keys: creating and changing users, checking passwords, API tokens.
Used by the login route, the admin pages and the CLI alike, and audited in one place."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from appdb.models import ApiToken, User, UserDepartment, utcnow
from i18n import translate
from metrics import catalog
from metrics.access import ROLES, Scope
from web import audit
from web.passwords import password_problem

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "cst_"
# Checked against when the username is unknown, so both paths cost one scrypt.
_DUMMY_HASH = generate_password_hash("not a real password, only for timing", method="scrypt")


class AccountError(ValueError):
    """A change that cannot be made; `key` and `params` translate into the reason."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(translate(key, "en", **params))

    def message(self, language: str) -> str:
        return translate(self.key, language, **self.params)


@dataclass(frozen=True)
class Account:
    """A user as the rest of the app sees it, detached from any database session."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    departments: tuple[str, ...]
    active: bool
    preferred_language: str | None
    session_token: str
    created_at: object
    last_login_at: object

    @property
    def scope(self) -> Scope:
        return Scope(self.username, self.role, frozenset(self.departments))


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.display_name, user.email, user.role,
                   tuple(user.department_ids), user.active, user.preferred_language, user.session_token,
                   user.created_at, user.last_login_at)


def _hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def _check_password(password: str, username: str) -> None:
    problem = password_problem(password, username=username)
    if problem:
        raise AccountError(problem, minimum=12)


def _check_role(services, role: str, departments) -> list[str]:
    if role not in ROLES:
        raise AccountError("account.unknown_role", role=role, roles=", ".join(ROLES))
    departments = sorted(set(departments or ()))
    if role != "analyst":
        return []
    if not departments:
        raise AccountError("account.analyst_needs_department")
    known = {d["id"] for d in catalog.list_departments(services.warehouse)}
    unknown = [d for d in departments if d not in known]
    if unknown:
        raise AccountError("account.unknown_department", departments=", ".join(unknown))
    return departments


def _find(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise AccountError("account.no_such_user", username=username)
    return user


# -- reading -------------------------------------------------------------------------------
def get_account(services, user_id: int) -> Account | None:
    with services.session() as session:
        user = session.get(User, user_id)
        return _account(user) if user else None


def find_account(services, username: str) -> Account | None:
    with services.session() as session:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        return _account(user) if user else None


def list_accounts(services) -> list[Account]:
    with services.session() as session:
        return [_account(u) for u in session.scalars(select(User).order_by(User.username))]


def has_users(services) -> bool:
    with services.session() as session:
        return bool(session.scalar(select(func.count()).select_from(User)))


# -- changing --------------------------------------------------------------------------------
def create_user(services, username: str, *, password: str, role: str, departments=(),
                display_name: str | None = None, email: str | None = None,
                language: str | None = None, actor: str = "cli") -> Account:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("account.bad_username")
    departments = _check_role(services, role, departments)
    _check_password(password, username)
    with services.session() as session, session.begin():
        if session.scalar(select(User).where(User.username == username)):
            raise AccountError("account.exists", username=username)
        user = User(username=username, display_name=(display_name or username).strip()[:200],
                    email=(email or None), password_hash=_hash(password), role=role,
                    preferred_language=language, session_token=secrets.token_hex(16),
                    departments=[UserDepartment(department_id=d) for d in departments])
        session.add(user)
        session.flush()
        account = _account(user)
    audit.record(services, "user.create", "success", actor=actor, target=username,
                 details={"role": role, "departments": departments})
    return account


def change_role(services, username: str, role: str, departments=(), *, actor: str) -> Account:
    departments = _check_role(services, role, departments)
    with services.session() as session, session.begin():
        user = _find(session, username)
        before = {"role": user.role, "departments": user.department_ids}
        user.role = role
        user.departments = [UserDepartment(department_id=d) for d in departments]
        session.flush()
        account = _account(user)
    audit.record(services, "user.role", "success", actor=actor, target=account.username,
                 details={"before": before, "after": {"role": role, "departments": departments}})
    return account


def set_active(services, username: str, active: bool, *, actor: str) -> Account:
    """Deactivating also ends every session the person has open."""
    with services.session() as session, session.begin():
        user = _find(session, username)
        user.active = active
        if not active:
            user.session_token = secrets.token_hex(16)
        session.flush()
        account = _account(user)
    audit.record(services, "user.activate" if active else "user.deactivate", "success", actor=actor,
                 target=account.username)
    return account


def reset_password(services, username: str, password: str, *, actor: str) -> Account:
    """A new password ends the person's other sessions."""
    with services.session() as session, session.begin():
        user = _find(session, username)
        _check_password(password, user.username)
        user.password_hash = _hash(password)
        user.session_token = secrets.token_hex(16)
        session.flush()
        account = _account(user)
    audit.record(services, "user.password_reset", "success", actor=actor, target=account.username)
    return account


def set_language(services, user_id: int, language: str) -> None:
    with services.session() as session, session.begin():
        user = session.get(User, user_id)
        if user:
            user.preferred_language = language


def authenticate(services, username: str, password: str) -> Account | None:
    """The active account for these credentials, or None; as slow for unknown names."""
    with services.session() as session, session.begin():
        user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
        if user is None:
            check_password_hash(_DUMMY_HASH, password or "")
            return None
        if not check_password_hash(user.password_hash, password or "") or not user.active:
            return None
        user.last_login_at = utcnow()
        session.flush()
        return _account(user)


# -- API tokens ------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(services, username: str, name: str, *, actor: str) -> tuple[str, int]:
    """A new token for `username`: returns (the token, shown only now; its id)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with services.session() as session, session.begin():
        user = _find(session, username)
        if not user.active:
            raise AccountError("account.inactive", username=user.username)
        row = ApiToken(user_id=user.id, name=name.strip()[:200] or "API token", prefix=token[:12],
                       token_hash=_token_hash(token))
        session.add(row)
        session.flush()
        token_id = row.id
    audit.record(services, "token.create", "success", actor=actor, target=username,
                 details={"token_id": token_id, "name": name, "prefix": token[:12]})
    return token, token_id


def revoke_token(services, token_id: int, *, actor: str) -> None:
    with services.session() as session, session.begin():
        row = session.get(ApiToken, token_id)
        if row is None:
            raise AccountError("account.no_such_token", token_id=token_id)
        row.revoked_at = row.revoked_at or utcnow()
        owner = row.user.username
    audit.record(services, "token.revoke", "success", actor=actor, target=owner, details={"token_id": token_id})


def account_for_token(services, token: str) -> Account | None:
    """The active account a presented token belongs to, if the token is live."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with services.session() as session, session.begin():
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
        if row is None or row.revoked_at is not None or not row.user.active:
            return None
        now = utcnow()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            row.last_used_at = now   # once a minute is enough to tell a live token
        return _account(row.user)
