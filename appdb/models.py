"""SQLAlchemy models of the app database. Each new table comes with an Alembic revision."""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every app-database table."""
