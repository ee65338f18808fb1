"""SQLAlchemy models of the app database. Each new table comes with an Alembic revision."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "manager", "analyst", "viewer")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base shared by every app-database table."""


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    # Rotated on password reset and deactivation: sessions carrying an old one stop working.
    session_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    departments: Mapped[list["UserDepartment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", lazy="select")

    @property
    def department_ids(self) -> list[str]:
        return sorted(d.department_id for d in self.departments)


class UserDepartment(Base):
    """An analyst's department (a warehouse department id; the stores are separate)."""

    __tablename__ = "user_departments"
    __table_args__ = (UniqueConstraint("user_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    department_id: Mapped[str] = mapped_column(String(64), nullable=False)
    user: Mapped[User] = relationship(back_populates="departments")


class ApiToken(Base):
    """An API token: only its SHA-256 is kept; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEvent(Base):
    """Append-only: who did what, when, from where, and how it ended."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)   # success, failure, denied
    target: Mapped[str | None] = mapped_column(String(255))
    client_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(_mapper, _connection, _target):
    raise PermissionError("the audit log is append-only")


class LoginFailure(Base):
    """A failed login, kept briefly to throttle by account and by client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Commentary(Base):
    """What an analyst says about a KPI's period: what happened, why, what comes next."""

    __tablename__ = "commentary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi_id: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    department_id: Mapped[str | None] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Narrative(Base):
    """The official story of one KPI period (issue #10): what happened, why, what comes next.
    Public for published KPIs. Saving again adds a row; the newest row per KPI and period is
    the current narrative, the older ones its history."""

    __tablename__ = "narratives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi_id: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    department_id: Mapped[str | None] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    happened: Mapped[str] = mapped_column(Text, nullable=False)
    why: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class ImportProfile(Base):
    """A saved import profile: a city sets up its export once and reuses it by name."""

    __tablename__ = "import_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


# -- stat meetings (DESIGN §6) ------------------------------------------------------------------------
MEETING_STATUSES = ("planned", "held")
ACTION_STATUSES = ("open", "done", "dropped")


class Meeting(Base):
    """A stat meeting reviewing one or more departments."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # The city's local date and time of the meeting (naive, as people write it).
    starts_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="planned")
    location: Mapped[str | None] = mapped_column(String(200))
    attendees: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # The date the agenda's values were read as of, and when it was drafted.
    agenda_as_of: Mapped[date | None] = mapped_column(Date)
    agenda_drafted_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    departments: Mapped[list["MeetingDepartment"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MeetingDepartment.id")
    agenda: Mapped[list["AgendaItem"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AgendaItem.position")
    decisions: Mapped[list["MeetingDecision"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MeetingDecision.id")

    @property
    def department_ids(self) -> list[str]:
        return [d.department_id for d in self.departments]


class MeetingDepartment(Base):
    """A department (warehouse id) a meeting reviews."""

    __tablename__ = "meeting_departments"
    __table_args__ = (UniqueConstraint("meeting_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False)
    department_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)


class AgendaItem(Base):
    """One agenda item: drafted from the data (with the values shown, as of the agenda's
    date) or added by a person (`custom`)."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    kpi_id: Mapped[str | None] = mapped_column(String(128))
    action_item_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    # People's own questions, one per line; None means the drafted ones, in the reader's language.
    questions: Mapped[str | None] = mapped_column(Text)
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ActionItem(Base):
    """A commitment or request made in a meeting, followed up until done or dropped."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    department_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    owner_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Set when the owner has an account: they may then update the item themselves.
    owner_username: Mapped[str | None] = mapped_column(String(64), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    progress_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    kpis: Mapped[list["ActionItemKpi"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ActionItemKpi.id")

    @property
    def kpi_ids(self) -> list[str]:
        return [k.kpi_id for k in self.kpis]


class ActionItemKpi(Base):
    """A KPI an action item is meant to move."""

    __tablename__ = "action_item_kpis"
    __table_args__ = (UniqueConstraint("action_item_id", "kpi_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False)
    kpi_id: Mapped[str] = mapped_column(String(128), nullable=False, index=True)


class MeetingDecision(Base):
    """A decision taken in a meeting, as recorded."""

    __tablename__ = "meeting_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
