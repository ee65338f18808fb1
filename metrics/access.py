"""Who may do what (DESIGN §7), as plain values the web layer and the data layer share.

Levels order what a request needs: `public` (anyone, signed in or not), `viewer` (any
signed-in person), `analyst` (edits, within their departments), `manager` (all
departments: goals, targets, meetings, publishing), `admin` (everything, users).
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "manager", "analyst", "viewer")
LEVELS = ("public", "viewer", "analyst", "manager", "admin")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Scope:
    """The person a request acts for: anonymous when `role` is None."""

    username: str = "anonymous"
    role: str | None = None
    departments: frozenset[str] = field(default_factory=frozenset)

    @property
    def authenticated(self) -> bool:
        return self.role is not None

    def allows(self, level: str) -> bool:
        """True when this person reaches `level` (an unknown level allows no one)."""
        if level not in _RANK:
            return False
        if level == "public":
            return True
        return self.role is not None and _RANK[self.role] >= _RANK[level]

    @property
    def all_departments(self) -> bool:
        return self.role in ("admin", "manager")

    def can_edit_department(self, department_id: str | None) -> bool:
        """Analysts edit only their own departments' numbers; managers and admins any."""
        if self.all_departments:
            return True
        return self.role == "analyst" and department_id is not None and department_id in self.departments

    @property
    def published_only(self) -> bool:
        """Anonymous visitors see only what the city published."""
        return not self.authenticated


ANONYMOUS = Scope()
