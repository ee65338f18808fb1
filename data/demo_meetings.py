"""The demo city's stat-meeting history: last month's PublicWorksStat, held, with the
commitments it left, and the next PublicWorksStat and PoliceStat, planned, their agendas
drafted from the data (so the follow-ups of the held meeting lead the next agenda).

Written through the same service functions people use, so the demo obeys every rule.
"""
from __future__ import annotations

from datetime import date, timedelta

from metrics import catalog
from metrics.access import Scope
from web import action_items, meetings

DEMO_ACTOR = Scope("seed-demo", "admin")


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7 or 7)


def seed_demo_meetings(services, today: date | None = None) -> int:
    """Create the demo meetings when there are none; returns how many were created."""
    today = today or date.today()
    if meetings.list_meetings(services, DEMO_ACTOR, limit=1):
        return 0
    departments = {d["id"] for d in catalog.list_departments(services.warehouse)}
    if not {"public-works", "police"} <= departments:
        return 0
    held_day = _next_weekday(today - timedelta(days=35), 3)   # a Thursday about five weeks ago
    held = meetings.create_meeting(services, DEMO_ACTOR, {
        "title": "PublicWorksStat", "departments": ["public-works"], "date": held_day.isoformat(),
        "time": "09:00", "duration_minutes": 60, "location": "City Hall, Room 301",
        "attendees": "Deputy Mayor for Operations; Director of Public Works; CitiStat team"})
    kpis = [item.kpi_id for item in held.agenda if item.kpi_id and item.kind in ("off_track", "worsening")]
    commitments = [
        ("Bring a plan to clear the pothole backlog, with crews and dates", "analyst", 14, "open"),
        ("Report which streetlight outages wait on the utility company", "analyst", 7, "done"),
        ("Draft the spring resurfacing list with council district offices", None, 45, "open"),
    ]
    for (text, owner, days, status), kpi in zip(commitments, kpis + [None] * len(commitments)):
        given = {"description": text, "due_date": (held_day + timedelta(days=days)).isoformat(),
                 "kpi_ids": [kpi] if kpi else []}
        given.update({"owner_username": owner} if owner else {"owner_name": "Director of Public Works"})
        created = action_items.add_action_item(services, DEMO_ACTOR, held.id, given)
        if status != "open":
            action_items.update_action_item(services, DEMO_ACTOR, created["id"], {"status": status})
    meetings.add_decision(services, DEMO_ACTOR, held.id,
                          "Pothole crews move to two shifts until the backlog is under 500 requests.")
    meetings.update_meeting(services, DEMO_ACTOR, held.id, {
        "status": "held", "notes": "Backlog growth traced to the October storms; overtime approved."})
    next_day = _next_weekday(today, 3)
    meetings.create_meeting(services, DEMO_ACTOR, {
        "title": "PublicWorksStat", "departments": ["public-works"], "date": next_day.isoformat(),
        "time": "09:00", "duration_minutes": 60, "location": "City Hall, Room 301"})
    meetings.create_meeting(services, DEMO_ACTOR, {
        "title": "PoliceStat", "departments": ["police"], "date": (next_day + timedelta(days=1)).isoformat(),
        "time": "10:00", "duration_minutes": 90, "location": "Police Headquarters"})
    return 3
