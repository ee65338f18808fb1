"""Stat meetings and action items through the service layer and /api/v1: who may do what,
the drafted agenda and people's edits of it, decisions, action items and their follow-up
in the next meeting, the audit trail, and bad input that is refused (4xx, never 500)
with nothing written.

The demo app is shared by the whole session and other tests create meetings too: every
test uses its own titles and never assumes a meeting's id.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from appdb.models import ActionItem, AgendaItem, Meeting, MeetingDecision
from i18n import translate
from metrics.access import Scope
from tests.helpers import ORIGIN
from web import audit
from web.meetings import create_meeting, list_meetings, save_agenda
from web.services import EXTENSION
from web.texts import MeetingError

MANAGER = Scope("manager", "manager")
ANALYST = Scope("analyst", "analyst", frozenset({"public-works"}))
OURS = "potholes-repaired"        # a Public Works KPI: the demo analyst's department
API = "/api/v1"


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture(scope="module")
def manager(demo_app):
    from tests.conftest import password_of
    from tests.helpers import sign_in

    client = demo_app.test_client()
    sign_in(client, "manager", password_of("manager"))
    return client


def title(what: str) -> str:
    return f"{what} {uuid.uuid4().hex[:8]}"


def body(what: str = "Stat", **fields) -> dict:
    return {"title": title(what), "departments": ["public-works"], "date": "2026-12-03", "duration_minutes": 60,
            **fields}


def post(client, path: str, payload=None, method: str = "POST", **kwargs):
    return client.open(API + path, method=method, json=payload, headers={**ORIGIN, **kwargs.pop("headers", {})},
                       **kwargs)


def create(client, **fields) -> dict:
    response = post(client, "/meetings", body(**fields))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def counts(services) -> tuple[int, ...]:
    with services.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Meeting, AgendaItem, ActionItem, MeetingDecision))


def refused(response, status: int, key: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    answer = response.get_json()
    assert answer["error"], answer
    if key:
        assert answer["details"] == [key], answer
    return answer


# -- creating -----------------------------------------------------------------------------------------
def test_a_manager_creates_a_meeting_with_a_drafted_agenda(manager, services):
    payload = body("Public Works stat", time="14:30", location="Room 201", attendees="Director; Deputy",
                   duration_minutes=75)
    response = post(manager, "/meetings", payload)
    assert response.status_code == 201
    meeting = response.get_json()
    assert response.headers["Location"] == f"{API}/meetings/{meeting['id']}"
    assert meeting["title"] == payload["title"] and meeting["status"] == "planned"
    assert (meeting["date"], meeting["time"], meeting["duration_minutes"]) == ("2026-12-03", "14:30", 75)
    assert meeting["location"] == "Room 201" and meeting["attendees"] == "Director; Deputy"
    assert meeting["departments"] == [{"id": "public-works", "name": "Department of Public Works"}]
    assert meeting["agenda_as_of"] == "2026-12-03"
    agenda = meeting["agenda"]
    assert agenda and sum(item["minutes"] for item in agenda) == 75 == meeting["agenda_minutes"]
    kpi_items = [item for item in agenda if item["kind"] != "follow_up"]
    assert kpi_items and all(item["kpi_id"] and item["kpi_name"] and item["questions"] for item in kpi_items)
    first = kpi_items[0]
    assert set(first) >= {"id", "position", "kind", "kpi_id", "kpi_name", "minutes", "questions", "values"}
    assert {"compared_value", "compared_target", "status", "trend", "latest_period_start"} <= set(first["values"])
    assert first["values"]["department_id"] == "public-works"
    assert all(re.fullmatch(r"\d{4}(-\d{2}|-W\d{2}|-Q\d)?|FY\d{4}(-Q\d)?", item["values"]["latest_period"])
               for item in kpi_items if item["values"]["latest_period_start"])
    assert [item["position"] for item in agenda] == list(range(len(agenda)))
    created = audit.events(services, action="meeting.create", outcome="success", limit=1)[0]
    assert created.actor == "manager" and created.target == str(meeting["id"])
    assert created.details == {"title": payload["title"], "departments": ["public-works"]}


@pytest.mark.parametrize("person, status", [("viewer", 403), ("analyst", 403), (None, 401)])
def test_only_managers_and_admins_create_meetings(person, status, client_as, anonymous, services):
    client = anonymous if person is None else client_as(person)
    before = counts(services)
    refused(post(client, "/meetings", body("Not allowed")), status)
    assert counts(services) == before


def test_an_admin_creates_meetings_too(client_as):
    assert create(client_as("admin"), departments=["police", "fire"])["departments"][1]["id"] == "fire"


def test_a_refusal_in_the_service_is_audited_and_writes_nothing(services):
    before = counts(services)
    with pytest.raises(MeetingError) as caught:
        create_meeting(services, ANALYST, body("Analyst's own"))
    assert caught.value.status == 403 and counts(services) == before
    denied = audit.events(services, action="meeting.create", outcome="denied", limit=1)[0]
    assert denied.actor == "analyst" and denied.details == {"reason": "meeting.not_allowed"}


def test_a_body_that_is_not_json_is_refused_with_what_to_send(manager, services):
    before = counts(services)
    answer = refused(manager.post(f"{API}/meetings", data="title=Stat", headers=ORIGIN,
                                  content_type="application/x-www-form-urlencoded"), 400, "meeting.not_object")
    assert answer["error"] == translate("meeting.not_object", "en")
    refused(manager.post(f"{API}/meetings", data="{not json", headers=ORIGIN, content_type="application/json"),
            400, "meeting.not_object")
    refused(post(manager, "/meetings", {"title": title("No date"), "departments": ["police"]}), 400, "meeting.no_date")
    assert counts(services) == before


def test_errors_are_in_the_readers_language(manager):
    answer = refused(post(manager, "/meetings", body(date="2024-02-30"), headers={"Accept-Language": "es"}), 400)
    assert answer["error"] == translate("meeting.bad_date", "es", value="2024-02-30")
    assert answer["error"] != translate("meeting.bad_date", "en", value="2024-02-30")


# -- reading ------------------------------------------------------------------------------------------
def test_who_reads_which_meeting(manager, client_as, anonymous, services):
    ours = create(manager, title=title("Public Works"), departments=["public-works", "transportation"])
    theirs = create(manager, title=title("Police only"), departments=["police"])
    viewer, analyst = client_as("viewer"), client_as("analyst")
    assert viewer.get(f"{API}/meetings/{theirs['id']}").get_json()["title"] == theirs["title"]
    read = analyst.get(f"{API}/meetings/{ours['id']}")
    assert read.status_code == 200 and read.get_json()["agenda"] == ours["agenda"]
    hidden = analyst.get(f"{API}/meetings/{theirs['id']}")
    unknown = analyst.get(f"{API}/meetings/999999999")
    # Someone who may not read a meeting cannot tell it from one that does not exist.
    assert refused(hidden, 404, "meeting.unknown") == refused(unknown, 404, "meeting.unknown")
    refused(anonymous.get(f"{API}/meetings/{ours['id']}"), 401)
    listed = {m["id"] for m in analyst.get(f"{API}/meetings?limit=200").get_json()}
    assert ours["id"] in listed and theirs["id"] not in listed
    assert theirs["id"] not in {m["id"] for m in analyst.get(f"{API}/meetings?department=police").get_json()}
    assert theirs["id"] in {m["id"] for m in viewer.get(f"{API}/meetings?department=police").get_json()}
    assert audit.events(services, action="meeting.read", outcome="denied", actor="analyst", limit=1)[0].target \
        == "999999999"


def test_the_list_is_newest_first_with_summaries(manager, client_as):
    later = create(manager, date="2027-03-04", time="10:00", departments=["parks"])
    earlier = create(manager, date="2027-03-02", departments=["parks"])
    post(manager, f"/meetings/{earlier['id']}/action-items", {"description": "Fix the fountain", "owner_name": "Ana"})
    listed = client_as("viewer").get(f"{API}/meetings?department=parks").get_json()
    days = [m["date"] + m["time"] for m in listed]
    assert days == sorted(days, reverse=True)
    summary = {m["id"]: m for m in listed}[earlier["id"]]
    assert summary == {"id": earlier["id"], "title": earlier["title"], "date": "2027-03-02", "time": "09:00",
                       "duration_minutes": 60, "status": "planned",
                       "departments": [{"id": "parks", "name": "Parks & Recreation"}],
                       "agenda_items": len(earlier["agenda"]), "open_action_items": 1}
    assert [m["id"] for m in listed].index(later["id"]) < [m["id"] for m in listed].index(earlier["id"])


def test_the_list_pages_in_date_order_with_a_next_link(manager, client_as):
    # Created out of date order, so that paging by id alone would skip some.
    for day in ("2027-05-20", "2027-05-06", "2027-05-27", "2027-05-13", "2027-05-06"):
        create(manager, date=day, departments=["library"])
    viewer = client_as("viewer")
    everything = viewer.get(f"{API}/meetings?department=library&limit=200").get_json()
    assert len(everything) >= 5
    pages, path = [], f"{API}/meetings?department=library&limit=2"
    while path:
        response = viewer.get(path)
        assert response.status_code == 200 and len(response.get_json()) <= 2
        pages.extend(m["id"] for m in response.get_json())
        link = response.headers.get("Link")
        path = link.split(">", 1)[0].lstrip("<") if link else None
        assert not link or link.endswith('rel="next"')
    assert pages == [m["id"] for m in everything]
    assert len(viewer.get(f"{API}/meetings").get_json()) <= 50


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=ten", "limit=-1", "before=x", "before=-3", "limit=²", "limit=1e3"])
def test_bad_list_parameters_are_400(query, client_as):
    refused(client_as("viewer").get(f"{API}/meetings?{query}"), 400, "meeting.bad_number")


def test_list_meetings_pages_on_from_a_meeting_in_date_order(services):
    made = [create_meeting(services, MANAGER, body("Paging", departments=["water"], date=day))
            for day in ("2027-07-01", "2027-06-01", "2027-08-01")]
    listed = [m.id for m in list_meetings(services, MANAGER, department="water")]
    for anchor in made:
        after = [m.id for m in list_meetings(services, MANAGER, department="water", before_id=anchor.id)]
        assert after == listed[listed.index(anchor.id) + 1:]
    # After June come the earlier meetings only, not July's (which has a smaller id).
    after_june = [m.id for m in list_meetings(services, MANAGER, department="water", before_id=made[1].id)]
    assert made[0].id not in after_june and made[2].id not in after_june


# -- editing the meeting and its agenda ---------------------------------------------------------------
def test_a_manager_edits_the_agenda_and_reads_it_back(manager, services):
    meeting = create(manager)
    drafted = meeting["agenda"]
    assert len(drafted) >= 3
    kept = list(reversed(drafted[1:]))      # reordered, the first one removed
    edited = [{"id": item["id"], "minutes": 5 + i} for i, item in enumerate(kept)]
    edited[0]["questions"] = ["Who owns the backlog?", "What is the plan for December?"]
    edited.insert(1, {"title": "Snow plan for the winter", "minutes": 12, "questions": "Are the crews ready?"})
    response = post(manager, f"/meetings/{meeting['id']}/agenda", {"agenda": edited}, method="PUT")
    assert response.status_code == 200, response.get_json()
    saved = response.get_json()["agenda"]
    assert [item["id"] for item in saved][:1] + [item["id"] for item in saved][2:] == [item["id"] for item in kept]
    assert [item["minutes"] for item in saved] == [e["minutes"] for e in edited]
    assert saved[0]["questions"] == ["Who owns the backlog?", "What is the plan for December?"]
    assert saved[1]["kind"] == "custom" and saved[1]["title"] == "Snow plan for the winter"
    assert saved[1]["questions"] == ["Are the crews ready?"] and saved[1]["kpi_id"] is None
    assert saved[2]["questions"] == next(d for d in drafted if d["id"] == kept[1]["id"])["questions"]
    assert drafted[0]["id"] not in {item["id"] for item in saved}
    assert [item["position"] for item in saved] == list(range(len(saved)))
    again = manager.get(f"{API}/meetings/{meeting['id']}").get_json()
    assert again["agenda"] == saved and again["agenda_minutes"] == sum(e["minutes"] for e in edited)
    event = audit.events(services, action="meeting.save_agenda", outcome="success", limit=1)[0]
    assert event.target == str(meeting["id"]) and event.details["items"] == len(edited)
    # Redrafting starts again from the data.
    redrafted = post(manager, f"/meetings/{meeting['id']}/agenda/draft")
    assert redrafted.status_code == 200
    assert [(i["kind"], i["kpi_id"]) for i in redrafted.get_json()["agenda"]] == \
        [(i["kind"], i["kpi_id"]) for i in drafted]
    assert audit.events(services, action="meeting.draft_agenda", outcome="success", limit=1)[0].target \
        == str(meeting["id"])


def test_bad_agendas_are_refused_and_change_nothing(manager, services):
    meeting = create(manager)
    first = meeting["agenda"][0]
    other = create(manager, departments=["fire"])["agenda"][0]
    bad = {
        "minutes 0": {"agenda": [{"id": first["id"], "minutes": 0}]},
        "minutes as text": {"agenda": [{"id": first["id"], "minutes": "5"}]},
        "minutes missing": {"agenda": [{"id": first["id"]}]},
        "minutes too long": {"agenda": [{"id": first["id"], "minutes": 10_000}]},
        "minutes true": {"agenda": [{"id": first["id"], "minutes": True}]},
        "unknown item": {"agenda": [{"id": 987654321, "minutes": 5}]},
        "another meeting's item": {"agenda": [{"id": other["id"], "minutes": 5}]},
        "item twice": {"agenda": [{"id": first["id"], "minutes": 5}, {"id": first["id"], "minutes": 5}]},
        "id as text": {"agenda": [{"id": str(first["id"]), "minutes": 5}]},
        "not a list": {"agenda": {"id": first["id"], "minutes": 5}},
        "no agenda": {"items": []},
        "a bare list": [{"id": first["id"], "minutes": 5}],
        "item not an object": {"agenda": ["Budget"]},
        "drafted kind added": {"agenda": [{"kind": "off_track", "kpi_id": OURS, "title": "Potholes", "minutes": 5}]},
        "custom without title": {"agenda": [{"minutes": 5}]},
        "custom title too long": {"agenda": [{"title": "x" * 301, "minutes": 5}]},
        "questions not text": {"agenda": [{"id": first["id"], "minutes": 5, "questions": {"q": 1}}]},
        "too many items": {"agenda": [{"title": f"item {n}", "minutes": 1} for n in range(101)]},
    }
    before, denials = counts(services), len(audit.events(services, action="meeting.save_agenda", outcome="denied",
                                                         limit=1000))
    for label, payload in bad.items():
        response = post(manager, f"/meetings/{meeting['id']}/agenda", payload, method="PUT")
        assert response.status_code == 400, (label, response.status_code)
        assert response.get_json()["error"], label
    assert manager.get(f"{API}/meetings/{meeting['id']}").get_json()["agenda"] == meeting["agenda"]
    assert counts(services) == before
    assert len(audit.events(services, action="meeting.save_agenda", outcome="denied", limit=1000)) \
        == denials + len(bad)


def test_only_managers_edit_a_meeting(client_as, manager):
    meeting = create(manager)
    analyst, viewer = client_as("analyst"), client_as("viewer")
    for client in (analyst, viewer):
        refused(post(client, f"/meetings/{meeting['id']}", {"status": "held"}, method="PATCH"), 403)
        refused(post(client, f"/meetings/{meeting['id']}/agenda", {"agenda": []}, method="PUT"), 403)
        refused(post(client, f"/meetings/{meeting['id']}/agenda/draft"), 403)
        refused(post(client, f"/meetings/{meeting['id']}/decisions", {"text": "No"}), 403)
        refused(post(client, f"/meetings/{meeting['id']}/action-items", {"description": "x", "owner_name": "y"}), 403)
    assert manager.get(f"{API}/meetings/{meeting['id']}").get_json() == meeting


def test_a_service_refusal_to_edit_is_audited(services, manager):
    meeting = create(manager)
    with pytest.raises(MeetingError) as caught:
        save_agenda(services, ANALYST, meeting["id"], [])
    assert caught.value.status == 403
    denied = audit.events(services, action="meeting.save_agenda", outcome="denied", limit=1)[0]
    assert denied.actor == "analyst" and denied.details == {"reason": "meeting.not_allowed"}


def test_a_meeting_is_marked_held_and_its_fields_change(manager, services):
    meeting = create(manager)
    response = post(manager, f"/meetings/{meeting['id']}", {"status": "held", "notes": "Quorum at 9:05.",
                                                              "time": "09:30"}, method="PATCH")
    assert response.status_code == 200
    changed = response.get_json()
    assert (changed["status"], changed["notes"], changed["time"], changed["date"]) == \
        ("held", "Quorum at 9:05.", "09:30", "2026-12-03")
    assert changed["agenda"] == meeting["agenda"]           # the agenda stays as people left it
    event = audit.events(services, action="meeting.update", outcome="success", limit=1)[0]
    assert event.target == str(meeting["id"]) and event.details == {"fields": ["notes", "status", "time"]}
    refused(post(manager, f"/meetings/{meeting['id']}", {"status": "cancelled"}, method="PATCH"), 400,
            "meeting.bad_status")
    refused(post(manager, f"/meetings/{meeting['id']}", {"agenda": []}, method="PATCH"), 400, "meeting.unknown_field")
    refused(post(manager, "/meetings/999999999", {"status": "held"}, method="PATCH"), 404, "meeting.unknown")
    assert manager.get(f"{API}/meetings/{meeting['id']}").get_json()["status"] == "held"


def test_decisions_are_recorded(manager, services):
    meeting = create(manager)
    response = post(manager, f"/meetings/{meeting['id']}/decisions", {"text": "  Shift two crews to night patching. "})
    assert response.status_code == 201
    decision = response.get_json()
    assert decision["text"] == "Shift two crews to night patching." and decision["created_by"] == "manager"
    assert manager.get(f"{API}/meetings/{meeting['id']}").get_json()["decisions"] == [
        {key: decision[key] for key in ("id", "text", "created_by", "created_at")}]
    assert audit.events(services, action="meeting.add_decision", outcome="success", limit=1)[0].details \
        == {"decision": decision["id"]}
    for payload in ({"text": ""}, {"text": 5}, {}, ["text"], {"text": "x" * 4001}):
        refused(post(manager, f"/meetings/{meeting['id']}/decisions", payload), 400)
    assert len(manager.get(f"{API}/meetings/{meeting['id']}").get_json()["decisions"]) == 1


# -- action items -------------------------------------------------------------------------------------
def test_action_items_and_what_their_owner_may_change(manager, client_as, services):
    meeting = create(manager)
    response = post(manager, f"/meetings/{meeting['id']}/action-items",
                    {"description": "Clear the pothole backlog on Main St", "owner_username": "analyst",
                     "due_date": "2027-01-15", "kpi_ids": [OURS]})
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert (item["owner_username"], item["owner_name"], item["department_id"]) == ("analyst", "Test Analyst",
                                                                                   "public-works")
    assert (item["kpi_ids"], item["due_date"], item["status"], item["meeting_id"]) == \
        ([OURS], "2027-01-15", "open", meeting["id"])
    assert manager.get(f"{API}/meetings/{meeting['id']}").get_json()["action_items"][0]["id"] == item["id"]
    created = audit.events(services, action="action_item.create", outcome="success", limit=1)[0]
    assert created.target == str(item["id"]) and created.details["meeting"] == meeting["id"]
    someone_elses = post(manager, f"/meetings/{meeting['id']}/action-items",
                         {"description": "Report on crew overtime", "owner_name": "Budget office"}).get_json()

    analyst = client_as("analyst")
    done = post(analyst, f"/action-items/{item['id']}", {"status": "done", "progress_note": "Backlog cleared."},
                method="PATCH")
    assert done.status_code == 200
    assert (done.get_json()["status"], done.get_json()["progress_note"]) == ("done", "Backlog cleared.")
    assert done.get_json()["closed_at"]
    event = audit.events(services, action="action_item.update", outcome="success", limit=1)[0]
    assert event.actor == "analyst" and event.details["status"] == ["open", "done"]

    refused(post(analyst, f"/action-items/{item['id']}", {"description": "Something easier"}, method="PATCH"), 403,
            "action.not_allowed")
    refused(post(analyst, f"/action-items/{someone_elses['id']}", {"status": "done"}, method="PATCH"), 403,
            "action.not_allowed")
    denied = audit.events(services, action="action_item.update", outcome="denied", actor="analyst", limit=1)[0]
    assert denied.target == str(someone_elses["id"]) and denied.details == {"reason": "action.not_allowed"}
    refused(post(client_as("viewer"), f"/action-items/{item['id']}", {"status": "open"}, method="PATCH"), 403)
    refused(post(analyst, "/action-items/999999999", {"status": "done"}, method="PATCH"), 404, "action.unknown")
    read = {a["id"]: a for a in manager.get(f"{API}/meetings/{meeting['id']}").get_json()["action_items"]}
    assert read[item["id"]]["description"] == "Clear the pothole backlog on Main St"
    assert read[someone_elses["id"]]["status"] == "open"

    # A manager changes anything, and may reopen.
    reopened = post(manager, f"/action-items/{item['id']}", {"status": "open", "due_date": "2027-02-01"},
                    method="PATCH").get_json()
    assert (reopened["status"], reopened["due_date"], reopened["closed_at"]) == ("open", "2027-02-01", None)


def test_an_analyst_cannot_touch_another_departments_items(manager, client_as):
    police = create(manager, departments=["police"])
    item = post(manager, f"/meetings/{police['id']}/action-items",
                {"description": "Overtime report", "owner_username": "analyst"}).get_json()
    # Even an item named after them: they cannot read the meeting, so the item is not theirs to see.
    refused(post(client_as("analyst"), f"/action-items/{item['id']}", {"status": "done"}, method="PATCH"), 404)
    assert item["id"] not in {a["id"] for a in client_as("analyst").get(f"{API}/action-items").get_json()}


def test_action_items_list_overdue_first(manager, client_as):
    meeting = create(manager, departments=["solid-waste"])
    made = {}
    for due in ("2099-03-01", "2020-05-01", None, "2099-01-01", "2020-01-01"):
        response = post(manager, f"/meetings/{meeting['id']}/action-items",
                        {"description": f"Due {due}", "owner_name": "Route supervisor", "due_date": due})
        made[due] = response.get_json()["id"]
    done = post(manager, f"/meetings/{meeting['id']}/action-items",
                {"description": "Already done", "owner_name": "Route supervisor", "status": "done"}).get_json()
    viewer = client_as("viewer")
    listed = viewer.get(f"{API}/action-items?department=solid-waste").get_json()
    mine = [a["id"] for a in listed if a["meeting_id"] == meeting["id"]]
    assert mine == [made["2020-01-01"], made["2020-05-01"], made["2099-01-01"], made["2099-03-01"], made[None]]
    overdue = [a["overdue"] for a in listed]
    assert overdue == sorted(overdue, reverse=True)
    assert all(a["status"] == "open" and a["department_id"] == "solid-waste" for a in listed)
    first = next(a for a in listed if a["id"] == made["2020-01-01"])
    assert first["meeting_title"] == meeting["title"] and first["meeting_date"] == "2026-12-03"
    everything = viewer.get(f"{API}/action-items?status=all&department=solid-waste").get_json()
    assert done["id"] in {a["id"] for a in everything}
    assert [a["id"] for a in viewer.get(f"{API}/action-items?status=done&department=solid-waste").get_json()] \
        .count(done["id"]) == 1
    by_owner = viewer.get(f"{API}/action-items?owner=Route supervisor&status=all").get_json()
    assert {a["id"] for a in by_owner} >= set(made.values()) | {done["id"]}
    refused(viewer.get(f"{API}/action-items?status=late"), 400, "action.bad_status_filter")


def test_an_open_action_item_comes_back_first_in_the_next_meeting(manager, services):
    department = "library"
    earlier = create(manager, title=title("Library stat, October"), departments=[department], date="2026-10-15")
    assert not [i for i in earlier["agenda"] if i["kind"] == "follow_up" and i["title"] == "Extend Sunday hours"]
    item = post(manager, f"/meetings/{earlier['id']}/action-items",
                {"description": "Extend Sunday hours", "owner_name": "Library director", "due_date": "2026-11-01",
                 "kpi_ids": ["library-visits"]}).get_json()
    later = create(manager, title=title("Library stat, November"), departments=[department], date="2026-11-19",
                   duration_minutes=90)
    first = later["agenda"][0]
    assert first["kind"] == "follow_up" and first["action_item_id"] == item["id"]
    assert first["title"] == "Extend Sunday hours" and first["values"]["overdue"] is True
    assert first["values"]["due_date"] == "2026-11-01" and first["values"]["owner"] == "Library director"
    assert first["kpi_id"] == "library-visits" and first["kpi_name"] == "Library visits"
    assert first["questions"][0] == translate("agenda.q.follow_up_overdue", "en", due="Nov 1, 2026")
    assert sum(i["minutes"] for i in later["agenda"]) == 90
    # Once done, it is no longer followed up.
    post(manager, f"/action-items/{item['id']}", {"status": "done"}, method="PATCH")
    redrafted = post(manager, f"/meetings/{later['id']}/agenda/draft").get_json()
    assert item["id"] not in {i["action_item_id"] for i in redrafted["agenda"]}


# -- bad input is 4xx, never 500 ---------------------------------------------------------------------
MEETING_FUZZ = [
    None, [], "meeting", 42, {"title": None}, {"title": 5}, {"title": ["a"]}, {"title": "x" * 100_000},
    {"title": "null\x00byte"}, {"date": "2024-02-30"}, {"date": "2024-13-01"}, {"date": "tomorrow"},
    {"date": 20240101}, {"date": None}, {"date": ["2024-01-01"]}, {"date": "2024-1-1"}, {"time": "25:00"},
    {"time": "09:30Z"}, {"time": 930}, {"time": ["09:30"]}, {"duration_minutes": "sixty"},
    {"duration_minutes": 10**9}, {"duration_minutes": -5}, {"duration_minutes": True}, {"duration_minutes": 60.5},
    {"duration_minutes": None}, {"duration_minutes": "9" * 5000}, {"departments": "police"}, {"departments": []},
    {"departments": [1]}, {"departments": ["nowhere"]}, {"departments": [None]}, {"departments": {"police": 1}},
    {"location": 5}, {"attendees": "a" * 5000}, {"notes": {"x": 1}},
]


def test_fuzzed_meetings_are_refused_and_nothing_is_written(manager, services):
    before = counts(services)
    for fuzz in MEETING_FUZZ:
        payload = {**body("Fuzz"), **fuzz} if isinstance(fuzz, dict) else fuzz
        response = post(manager, "/meetings", payload)
        assert response.status_code == 400, (fuzz if not isinstance(fuzz, dict) else list(fuzz), response.status_code)
        assert response.get_json()["error"]
    # Python's JSON reader takes Infinity, which int() cannot.
    text = json.dumps(body("Fuzz")).replace('"duration_minutes": 60', '"duration_minutes": Infinity')
    infinite = manager.post(f"{API}/meetings", headers=ORIGIN, content_type="application/json", data=text)
    refused(infinite, 400, "meeting.bad_duration")
    assert counts(services) == before


def test_fuzzed_changes_are_refused(manager, services):
    meeting = create(manager)
    before = counts(services)
    for fuzz in MEETING_FUZZ:
        response = post(manager, f"/meetings/{meeting['id']}", fuzz, method="PATCH")
        assert response.status_code == 400, (fuzz if not isinstance(fuzz, dict) else list(fuzz), response.status_code)
    items = [None, [], "x", {}, {"description": 5, "owner_name": "A"}, {"description": "x" * 2001, "owner_name": "A"},
             {"description": "A", "owner_name": "B", "due_date": "2024-02-30"},
             {"description": "A", "owner_name": "B", "due_date": 20240101},
             {"description": "A", "owner_name": "B", "kpi_ids": OURS},
             {"description": "A", "owner_name": "B", "kpi_ids": ["no-such-kpi"]},
             {"description": "A", "owner_name": "B", "kpi_ids": [OURS] * 21},
             {"description": "A", "owner_username": 5}, {"description": "A", "owner_username": "nobody-here"},
             {"description": "A", "owner_name": "B", "department_id": "police"},
             {"description": "A", "owner_name": "B", "status": "late"},
             {"description": "A", "owner_name": "B", "meeting_id": 1}, {"description": "A"}]
    for fuzz in items:
        response = post(manager, f"/meetings/{meeting['id']}/action-items", fuzz)
        assert response.status_code == 400, (fuzz, response.status_code)
    assert counts(services) == before
    item = post(manager, f"/meetings/{meeting['id']}/action-items", {"description": "A", "owner_name": "B"}).get_json()
    for fuzz in [None, [], {}, {"status": "late"}, {"status": None}, {"progress_note": 5},
                 {"due_date": "2024-02-30"}, {"owner_name": ""}, {"id": 3}, {"kpi_ids": [5]}]:
        response = post(manager, f"/action-items/{item['id']}", fuzz, method="PATCH")
        assert response.status_code == 400, (fuzz, response.status_code)
    assert manager.get(f"{API}/meetings/{meeting['id']}").get_json()["action_items"][0] == item


@pytest.mark.parametrize("path", ["/meetings/0", "/meetings/99999999999999999999999999", "/meetings/-1",
                                  "/meetings/abc", "/action-items?status=", "/meetings?department=" + "x" * 5000])
def test_odd_paths_are_not_errors(path, client_as):
    response = client_as("viewer").get(API + path)
    assert response.status_code in (200, 404), response.status_code
    assert response.is_json


def test_odd_ids_in_changes_are_404(manager):
    for path in ("/meetings/99999999999999999999999999", "/action-items/99999999999999999999999999"):
        assert post(manager, path, {"status": "held"}, method="PATCH").status_code == 404


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_messages_exist_in_every_language(language):
    for key in ("meeting.no_date", "meeting.bad_number", "action.bad_status_filter"):
        assert translate(key, language) != key


def test_a_meeting_on_a_day_without_data_still_drafts(manager):
    meeting = create(manager, date="2019-01-07", departments=["finance"], duration_minutes=15)
    assert sum(i["minutes"] for i in meeting["agenda"]) in (0, 15)
    assert all(i["minutes"] >= 2 for i in meeting["agenda"])


def test_dates_in_the_answer_are_iso_strings(manager):
    meeting = create(manager, departments=["fire"])
    for item in meeting["agenda"]:
        for value in item["values"].values():
            if isinstance(value, str) and len(value) == 10 and value[4] == "-":
                assert date.fromisoformat(value)
    assert date.fromisoformat(meeting["date"]) == date(2026, 12, 3)
