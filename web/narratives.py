"""Narratives (issue #10): the official story of one period of a KPI, in three parts: what
happened, why, and what comes next ("turn the curve"). Unlike commentary (staff discussion),
a narrative is public on the city's site when its KPI is published.

The one service behind the KPI page, the API, the packets and the public pages. As with
commentary, the KPI's department is read from the warehouse and checked against the
writer's scope here, whoever calls; every save and every refusal is audited. Saving again
for the same period adds a version: the newest is the current narrative, the older ones its
history. Text is plain text with a small safe Markdown (web.narrative_markdown).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterable

from sqlalchemy import and_, or_, select

from appdb.models import Narrative, User
from i18n import translate
from metrics import catalog
from metrics.access import Scope
from metrics.periods import Period, PeriodError
from web import audit
from web.commentary import CommentaryError, _period as commentary_period
from web.narrative_markdown import as_dash, as_html, as_plain  # noqa: F401  (the ways to show a narrative)

PARTS = ("happened", "why", "next_steps")   # `happened` is required, the others optional
FIELDS = ("period", *PARTS)
MAX_LENGTH = 4000                           # characters per part
ACTION = "narrative.save"
# Line breaks and tabs are text; other control characters are not (a NUL, say, which
# PostgreSQL refuses and no person means to write).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STATUS = {"narratives.unknown_kpi": 404, "narratives.not_allowed": 403}


class NarrativeError(ValueError):
    """A narrative that cannot be saved; `key` and `params` translate into the reason, and
    `problems` holds every (key, params) found, the first being this one."""

    def __init__(self, key: str, problems: list[tuple[str, dict]] | None = None, **params):
        self.key, self.params = key, params
        self.problems = problems or [(key, params)]
        super().__init__(_say(key, params, "en"))

    @property
    def status(self) -> int:
        return _STATUS.get(self.key, 400)

    def message(self, language: str) -> str:
        return _say(self.key, self.params, language)

    def details(self, language: str) -> list[str]:
        """Every problem found, in `language`: what to fix."""
        return [_say(key, params, language) for key, params in self.problems]


def _say(key: str, params: dict, language: str) -> str:
    """A problem in `language`; a part is named in words ("What comes next") beside its
    field name ("next_steps"), so that the form and the API both say which to fix."""
    if "field" in params:
        params = {**params, "part": translate(f"narratives.part.{params['field']}", language)}
    return translate(key, language, **params)


# -- validation -------------------------------------------------------------------------------------------
def _part_problems(body) -> list[tuple[str, dict]]:
    if not isinstance(body, dict):
        return [("narratives.bad_body", {})]
    found: list[tuple[str, dict]] = []
    unknown = sorted(str(name)[:40] for name in body if name not in FIELDS)
    if unknown:
        found.append(("narratives.unknown_fields", {"fields": ", ".join(unknown)}))
    for part in PARTS:
        text = body.get(part)
        if text is not None and not isinstance(text, str):
            found.append(("narratives.not_text", {"field": part}))
        elif text is None or not text.strip():
            if part == "happened":
                found.append(("narratives.no_happened", {}))
        elif len(text.strip()) > MAX_LENGTH:
            found.append(("narratives.too_long", {"field": part, "limit": MAX_LENGTH, "length": len(text.strip())}))
        elif _CONTROL.search(text):
            found.append(("narratives.bad_text", {"field": part}))
    return found


def narrative_problems(body, language: str = "en") -> list[str]:
    """What is wrong with the narrative parts of `body` ({"happened", "why", "next_steps"}),
    in `language`; empty when they can be saved. Checks the text only, not the period or who
    writes: for forms that collect a narrative with values (save_narrative checks the rest)."""
    return [_say(key, params, language) for key, params in _part_problems(body)]


def _checked(services, kpi: dict[str, Any], period, body) -> tuple[Period, dict[str, str | None]]:
    """The period and the parts to save, or NarrativeError naming every problem at once."""
    problems, found = [], None
    try:
        found = _period_of(services, kpi, period)
    except NarrativeError as error:
        problems.append((error.key, error.params))
    problems += _part_problems(body)
    if problems:
        key, params = problems[0]
        raise NarrativeError(key, problems, **params)
    texts = {part: (body.get(part) or "").replace("\r\n", "\n").replace("\r", "\n").strip() for part in PARTS}
    return found, {part: text or None for part, text in texts.items()}


def _period_of(services, kpi: dict[str, Any], given) -> Period:
    """The KPI's period named by `given`, by commentary's rules (one way to name a period)."""
    try:
        return commentary_period(services, kpi, given)
    except CommentaryError as error:
        raise NarrativeError(error.key.replace("commentary.", "narratives.", 1), **error.params) from None


# -- saving -----------------------------------------------------------------------------------------------
def save_narrative(services, scope: Scope, kpi_id, period, body) -> dict[str, Any]:
    """Save the narrative of one period of a KPI for `scope`, or raise NarrativeError
    (audited, nothing written). `period` is the KPI's period text ("2026-10", "FY2027-Q1"),
    a start date or a Period; None takes `body["period"]`. `body` holds "happened" (required),
    "why" and "next_steps". The KPI's department comes from the warehouse, never the caller.
    Returns the saved narrative, with "unchanged" True when it was the current text already
    (then nothing is written)."""
    kpi = (catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
           if isinstance(kpi_id, str) and 0 < len(kpi_id) <= 128 else None)
    department = kpi["department_id"] if kpi else None
    try:
        if kpi is None:
            raise NarrativeError("narratives.unknown_kpi", kpi_id=str(kpi_id)[:128])
        if not scope.can_edit_department(department):
            raise NarrativeError("narratives.not_allowed")
        if period is None and isinstance(body, dict):
            period = body.get("period")
        found, parts = _checked(services, kpi, period, body)
    except NarrativeError as error:
        audit.record(services, ACTION, "denied", actor=scope.username, target=str(kpi_id)[:255],
                     details={"reason": error.key.removeprefix("narratives."), "department": department})
        raise
    label = services.calendar.label(found)
    current = current_narrative(services, kpi["id"], found.start, kpi=kpi)
    if current is not None and all(current[part] == parts[part] for part in PARTS):
        audit.record(services, ACTION, "success", actor=scope.username, target=kpi["id"],
                     details={"department": department, "period": label, "id": current["id"], "unchanged": True})
        return {**current, "unchanged": True}
    with services.session() as session, session.begin():
        row = Narrative(kpi_id=kpi["id"], department_id=department, period_start=found.start,
                        author=scope.username, **parts)
        session.add(row)
        session.flush()
        author_name = session.scalar(select(User.display_name).where(User.username == scope.username))
        saved = {**_item(row, label, author_name), "version": current["version"] + 1 if current else 1,
                 "current": True, "unchanged": False}
    audit.record(services, ACTION, "success", actor=scope.username, target=kpi["id"],
                 details={"department": department, "period": label, "id": saved["id"],
                          "version": "new" if current is None else "revised"})
    return saved


# -- reading ----------------------------------------------------------------------------------------------
def _item(row: Narrative, label: str, author_name: str | None) -> dict[str, Any]:
    return {"id": row.id, "kpi_id": row.kpi_id, "department_id": row.department_id, "period": label,
            "period_start": row.period_start, "happened": row.happened, "why": row.why,
            "next_steps": row.next_steps, "author": row.author, "author_name": author_name or row.author,
            "created_at": row.created_at}


def _labeller(services, kpi: dict[str, Any] | None):
    def label(start: date) -> str:
        try:
            return services.calendar.label(Period(kpi["frequency"], start)) if kpi else start.isoformat()
        except PeriodError:   # the KPI changed frequency since: the start day still says when
            return start.isoformat()
    return label


def _rows(services, where, limit: int | None = None) -> list[tuple[Narrative, str | None]]:
    query = (select(Narrative, User.display_name).outerjoin(User, User.username == Narrative.author)
             .where(where).order_by(Narrative.period_start.desc(), Narrative.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    with services.session() as session:
        return list(session.execute(query).all())


def current_narrative(services, kpi_id: str, period_start: date, *,
                      kpi: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The newest narrative of the KPI's period starting `period_start`, or None."""
    rows = _rows(services, and_(Narrative.kpi_id == kpi_id, Narrative.period_start == period_start))
    if not rows:
        return None
    if kpi is None:
        kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    row, name = rows[0]
    return {**_item(row, _labeller(services, kpi)(row.period_start), name), "version": len(rows), "current": True}


def narrative_of_period(services, kpi: dict[str, Any], period) -> dict[str, Any] | None:
    """The current narrative of the KPI's period named by `period` (text, start date or
    Period), or None; NarrativeError when `period` names no period of this KPI."""
    return current_narrative(services, kpi["id"], _period_of(services, kpi, period).start, kpi=kpi)


def list_narratives(services, kpi_id: str, *, history: bool = False, kpi: dict[str, Any] | None = None,
                    limit: int = 500) -> list[dict[str, Any]]:
    """A KPI's narratives, newest period first: the current one of each period, or with
    `history` every version (newest first within a period), each with `version` (1 the
    first written) and `current`. Pass `kpi` when it is at hand, to save looking it up."""
    if kpi is None:
        kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
    label = _labeller(services, kpi)
    rows = _rows(services, Narrative.kpi_id == kpi_id)
    by_period: dict[date, list[dict[str, Any]]] = {}
    for row, name in rows:
        by_period.setdefault(row.period_start, []).append(_item(row, label(row.period_start), name))
    out: list[dict[str, Any]] = []
    for versions in by_period.values():
        for number, item in enumerate(versions):
            item["version"], item["current"] = len(versions) - number, number == 0
        out += versions if history else versions[:1]
    return out[:limit]


# -- the setting: when a narrative is owed ----------------------------------------------------------------
def narrative_required(services) -> bool:
    """True when CITYSTAT_NARRATIVE_REQUIRED says an off-track period needs a narrative."""
    return services.config.narrative_required == "off_track"


def owes_narrative(row: dict[str, Any]) -> bool:
    """Whether a status row (metrics.status.kpi_statuses) is of the kind that owes one:
    off track for its latest period. Whether one was written is narratives_owed's to check."""
    return row.get("status") == "off_track" and row.get("latest_period_start") is not None


def narratives_owed(services, kpis: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given rows of metrics.status.kpi_statuses: when the setting requires narratives, each
    off-track KPI whose latest period has none, as {"kpi_id", "period_start", "period",
    "department_id"}, in the rows' order. Empty when the setting is "never"."""
    if not narrative_required(services):
        return []
    off = [row for row in kpis if owes_narrative(row)]
    if not off:
        return []
    written = set()
    for start in range(0, len(off), 200):   # bounded IN-lists, whatever the city's size
        chunk = off[start:start + 200]
        pairs = or_(*(and_(Narrative.kpi_id == row["id"], Narrative.period_start == row["latest_period_start"])
                      for row in chunk))
        with services.session() as session:
            written |= set(session.execute(select(Narrative.kpi_id, Narrative.period_start).where(pairs)).all())
    return [{"kpi_id": row["id"], "period_start": row["latest_period_start"],
             "period": _labeller(services, row)(row["latest_period_start"]), "department_id": row["department_id"]}
            for row in off if (row["id"], row["latest_period_start"]) not in written]
