"""Demo logins: on the first start of a demo city, one person per role with a random
password, printed once and kept in a file only the owner can read."""
from __future__ import annotations

import os
import secrets

from data.demo_meetings import seed_demo_meetings
from metrics import catalog
from web import accounts

FILE_NAME = "demo-logins.txt"


def _analyst_departments(services) -> list[str]:
    ids = [d["id"] for d in catalog.list_departments(services.warehouse)]
    preferred = [d for d in ("public-works", "transportation") if d in ids]
    return preferred or ids[:1]


def ensure_demo_logins(services) -> str:
    """Create the demo people if nobody can sign in yet; returns what to tell the operator."""
    path = services.config.data_path / FILE_NAME
    if accounts.has_users(services):
        if path.exists():
            return f"Sign in with one of the demo logins in {path}"
        return "Sign in with your CityStat account."
    people = [("admin", "Demo Administrator", []), ("manager", "Demo Performance Manager", []),
              ("analyst", "Demo Analyst", _analyst_departments(services)), ("viewer", "Demo Viewer", [])]
    lines = []
    for role, name, departments in people:
        password = secrets.token_urlsafe(12)   # 16 characters, random
        accounts.create_user(services, role, password=password, role=role, departments=departments,
                             display_name=name, actor="seed-demo")
        scope = f" ({', '.join(departments)})" if departments else ""
        lines.append(f"  {role:<8} {password}{scope}")
    seed_demo_meetings(services)   # needs the people: the demo analyst owns commitments
    text = "Demo logins (username, password):\n" + "\n".join(lines) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return f"{text}These are shown once and kept in {path} (readable only by you)."
