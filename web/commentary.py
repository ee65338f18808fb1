"""Commentary on a KPI's period: what happened, why, what comes next.

The first write scoped by department (DESIGN §7): whoever calls, the page, the API or a
crafted request, the KPI's department is read from the warehouse and checked against the
writer's scope here, and every refusal is audited. Text is plain text, kept as written;
pages render it as text, never as HTML.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from appdb.models import Commentary, User
from i18n import translate
from metrics import catalog
from metrics.access import Scope
from metrics.periods import Period, PeriodError
from web import audit

MAX_LENGTH = 4000
ACTION = "commentary.create"
# Plain text may hold line breaks and tabs, never other control characters (a NUL, say,
# which PostgreSQL refuses and no person means to write).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The HTTP status each refusal answers with; any other refusal is a 400.
_STATUS = {"commentary.unknown_kpi": 404, "commentary.not_allowed": 403}


class CommentaryError(ValueError):
    """A comment that cannot be saved; `key` and `params` translate into the reason."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(translate(key, "en", **params))

    @property
    def status(self) -> int:
        return _STATUS.get(self.key, 400)

    def message(self, language: str) -> str:
        return translate(self.key, language, **self.params)


def _period(services, kpi: dict[str, Any], given) -> Period:
    """The KPI's period named by `given` (its calendar text, a start date or a Period)."""
    frequency = kpi["frequency"]
    example = services.calendar.label(
        Period(frequency, kpi["latest_period_start"]) if kpi["latest_period_start"]
        else services.calendar.containing(frequency, date.today()))
    if given is None or (isinstance(given, str) and not given.strip()):
        raise CommentaryError("commentary.no_period")
    shown = str(given)[:40]
    try:
        if isinstance(given, Period):
            named = given
        elif isinstance(given, date):
            named = Period(frequency, given.date() if isinstance(given, datetime) else given)
        elif isinstance(given, str) and len(given) <= 40:
            named = services.calendar.parse(given)
        else:
            raise PeriodError("not period text")
        period = Period(frequency, named.start)
    except PeriodError:
        raise CommentaryError("commentary.bad_period", period=shown, example=example) from None
    # A day names a period only when it is that period's first day; any other form must be
    # a period of the KPI's own frequency on the city's calendar (not a month of a
    # quarterly KPI, not a calendar year of a fiscal-year KPI).
    if named.frequency not in (frequency, "daily") or \
            services.calendar.containing(frequency, period.start) != period:
        raise CommentaryError("commentary.bad_period", period=shown, example=example)
    return period


def _text(text) -> str:
    if text is not None and not isinstance(text, str):
        raise CommentaryError("commentary.not_text")
    if text is None or not text.strip():
        raise CommentaryError("commentary.no_text")
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise CommentaryError("commentary.too_long", limit=MAX_LENGTH, length=len(text))
    if _CONTROL.search(text):
        raise CommentaryError("commentary.bad_text")
    return text


def add_commentary(services, scope: Scope, kpi_id, period_text_or_start, text) -> dict[str, Any]:
    """Save `text` about one period of a KPI for `scope`, or raise CommentaryError (audited,
    nothing written). The KPI's department comes from the warehouse, never the caller."""
    kpi = (catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
           if isinstance(kpi_id, str) and 0 < len(kpi_id) <= 128 else None)
    department = kpi["department_id"] if kpi else None
    try:
        if kpi is None:
            raise CommentaryError("commentary.unknown_kpi", kpi_id=str(kpi_id)[:128])
        if not scope.can_edit_department(department):
            raise CommentaryError("commentary.not_allowed")
        period = _period(services, kpi, period_text_or_start)
        text = _text(text)
    except CommentaryError as error:
        audit.record(services, ACTION, "denied", actor=scope.username, target=str(kpi_id)[:255],
                     details={"reason": error.key.removeprefix("commentary."), "department": department})
        raise
    with services.session() as session, session.begin():
        row = Commentary(kpi_id=kpi["id"], department_id=department, period_start=period.start,
                         text=text, author=scope.username)
        session.add(row)
        session.flush()
        author_name = session.scalar(select(User.display_name).where(User.username == scope.username))
        created = _item(row, services.calendar.label(period), author_name)
    audit.record(services, ACTION, "success", actor=scope.username, target=kpi["id"],
                 details={"department": department, "period": created["period"], "id": created["id"]})
    return created


def _item(row: Commentary, label: str, author_name: str | None) -> dict[str, Any]:
    return {"id": row.id, "kpi_id": row.kpi_id, "department_id": row.department_id,
            "period": label, "period_start": row.period_start, "text": row.text,
            "author": row.author, "author_name": author_name or row.author, "created_at": row.created_at}


def list_commentary(services, kpi_id: str, *, kpi: dict[str, Any] | None = None,
                    limit: int = 500) -> list[dict[str, Any]]:
    """A KPI's comments, newest first, each with its period's calendar text and the
    author's display name. Pass `kpi` when it is at hand, to save looking it up."""
    if kpi is None:
        kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    query = (select(Commentary, User.display_name)
             .outerjoin(User, User.username == Commentary.author)
             .where(Commentary.kpi_id == kpi_id)
             .order_by(Commentary.created_at.desc(), Commentary.id.desc())
             .limit(limit))
    with services.session() as session:
        rows = session.execute(query).all()

    def label(start: date) -> str:
        try:
            return services.calendar.label(Period(kpi["frequency"], start)) if kpi else start.isoformat()
        except PeriodError:   # the KPI changed frequency since: the start day still says when
            return start.isoformat()

    return [_item(row, label(row.period_start), name) for row, name in rows]
