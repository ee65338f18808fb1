"""The append-only audit log: who, what, when, from where, and how it ended. Never a
password or a token: details are scrubbed of any key that could hold one."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from appdb.models import AuditEvent

_SECRET_WORDS = ("password", "token", "secret", "hash", "authorization", "cookie")


def _scrub(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if not details:
        return None
    return {key: ("[removed]" if any(word in key.lower() for word in _SECRET_WORDS) else value)
            for key, value in details.items()}


def record(services, action: str, outcome: str, *, actor: str | None = None,
           target: str | None = None, details: dict[str, Any] | None = None) -> None:
    """Append one event; `actor` defaults to the signed-in person (or 'anonymous')."""
    if actor is None:
        from web.auth import current_scope
        actor = current_scope().username
    address = request.remote_addr if has_request_context() else "cli"
    with services.session() as session, session.begin():
        session.add(AuditEvent(actor=actor, action=action, outcome=outcome, target=target,
                               client_address=address, details=_scrub(details)))


def events(services, *, action: str | None = None, actor: str | None = None, outcome: str | None = None,
           since=None, until=None, limit: int = 200, before_id: int | None = None) -> list[AuditEvent]:
    """Newest first, filtered; `before_id` pages back through older events."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    with services.session() as session:
        return list(session.scalars(query))


def actions(services) -> list[str]:
    """The distinct actions the log holds, for filters."""
    with services.session() as session:
        return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
