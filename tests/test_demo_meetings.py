"""The demo city's meetings: a held PublicWorksStat whose open commitments lead the next
one's agenda, written through the same rules people use."""
from __future__ import annotations

from data.demo_city import seed_demo
from data.demo_meetings import DEMO_ACTOR, seed_demo_meetings
from tests.conftest import DEMO_TODAY
from web import accounts, action_items, meetings
from web.services import EXTENSION


def test_demo_meetings_carry_commitments_into_the_next_agenda(make_app):
    server = make_app()
    services = server.extensions[EXTENSION]
    services.prepare(seed_demo=False)
    seed_demo(services.warehouse, services.calendar, today=DEMO_TODAY)
    with server.app_context():
        accounts.create_user(services, "analyst", password="River trail at dawn, bench 7", role="analyst",
                             departments=["public-works"], display_name="Demo Analyst", actor="tests")
        assert seed_demo_meetings(services, DEMO_TODAY) == 3
        assert seed_demo_meetings(services, DEMO_TODAY) == 0      # only once
    listed = meetings.list_meetings(services, DEMO_ACTOR)
    assert sorted(m.title for m in listed) == ["PoliceStat", "PublicWorksStat", "PublicWorksStat"]
    held = [m for m in listed if m.status == "held"]
    assert len(held) == 1 and held[0].starts_at.date() < DEMO_TODAY and held[0].decisions
    recorded = action_items.meeting_action_items(services, held[0].id)
    assert [a.status for a in recorded].count("open") == 2 and any(a.owner_username == "analyst" for a in recorded)
    upcoming = next(m for m in listed if m.title == "PublicWorksStat" and m.status == "planned")
    assert upcoming.starts_at.date() > DEMO_TODAY
    follow_ups = [item for item in upcoming.agenda if item.kind == "follow_up"]
    assert {item.action_item_id for item in follow_ups} == {a.id for a in recorded if a.status == "open"}
    assert upcoming.agenda[0].kind == "follow_up"
    assert sum(item.minutes for item in upcoming.agenda) == upcoming.duration_minutes
