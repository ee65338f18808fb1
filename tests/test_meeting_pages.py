"""The meeting pages through their Dash callbacks, as a browser (or anyone crafting the
request) calls them: creating a meeting, editing and saving its agenda, recording action
items, and owners closing their own items; refusals write nothing."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from appdb.models import ActionItem, AgendaItem, Meeting
from metrics.access import Scope
from tests.dash_client import _output_key, call, render_page, texts
from web import action_items, meetings
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
ERRORS = ("title", "departments", "date", "time", "duration", "location", "attendees")
CREATE_OUTPUTS = [("meetings-create-message", "children"), *[(f"meetings-error-{n}", "children") for n in ERRORS],
                  ("meetings-go", "href")]
AGENDA_OUTPUTS = [("meeting-items", "data"), ("meeting-agenda", "children"), ("meeting-agenda-message", "children"),
                  ("meeting-custom-title", "value"), ("meeting-custom-questions", "value"),
                  ("meeting-as-of", "children")]
ACTION_OUTPUTS = [("actions-message", "children"), ("actions-changed", "data")]


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


def _count(services, model) -> int:
    with services.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _create(client, title="Fleet stat", departments=("public-works",), day="2026-11-19", at="09:30",
            minutes=60, place="", attendees="", headers=None):
    return call(client, CREATE_OUTPUTS, [("meetings-create", "n_clicks", 1)], state=[
        ("meetings-new-title", "value", title), ("meetings-new-departments", "value", list(departments)),
        ("meetings-new-date", "date", day), ("meetings-new-time", "value", at),
        ("meetings-new-duration", "value", minutes), ("meetings-new-location", "value", place),
        ("meetings-new-attendees", "value", attendees)], headers=headers)


def _meeting(services, title="Police stat", departments=("police",), day="2026-11-12"):
    return meetings.create_meeting(services, MANAGER, {"title": title, "departments": list(departments),
                                                       "date": day, "duration_minutes": 60})


def _pattern(kind: str, keys: list[str], prop: str, pressed: str | None = None, value=None) -> list[dict]:
    return [{"id": {"type": kind, "key": key}, "property": prop,
             "value": (1 if key == pressed else 0) if value is None else value[key]} for key in keys]


def _edit_agenda(client, meeting, items, *, changed: str, pressed: dict | None = None, minutes=None,
                 custom=("", 5, ""), add=0, save=0, redraft=None, headers=None):
    """The agenda editor's callback, with its pattern-matching buttons and minute inputs."""
    keys = [item["key"] for item in items]
    minutes = minutes or {item["key"]: item["minutes"] for item in items}
    buttons = {kind: _pattern(f"meeting-{kind}", keys, "n_clicks", (pressed or {}).get(kind))
               for kind in ("up", "down", "remove")}
    body = {
        "output": _output_key(AGENDA_OUTPUTS),
        "outputs": [{"id": cid, "property": prop} for cid, prop in AGENDA_OUTPUTS],
        "inputs": [buttons["up"], buttons["down"], buttons["remove"],
                   {"id": "meeting-custom-add", "property": "n_clicks", "value": add},
                   {"id": "meeting-agenda-save", "property": "n_clicks", "value": save},
                   {"id": "meeting-confirm-redraft", "property": "submit_n_clicks", "value": redraft}],
        "changedPropIds": [changed],
        "state": [{"id": "meeting-items", "property": "data", "value": items},
                  _pattern("meeting-minutes", keys, "value", value=minutes),
                  {"id": "meeting-custom-title", "property": "value", "value": custom[0]},
                  {"id": "meeting-custom-minutes", "property": "value", "value": custom[1]},
                  {"id": "meeting-custom-questions", "property": "value", "value": custom[2]},
                  {"id": "meeting-id", "property": "data", "value": meeting.id}],
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers={"Origin": "http://localhost", **(headers or {})})


def _store(services, meeting_id) -> list[dict]:
    from dashboards.meeting_agenda import store_items

    return store_items(meetings.meeting_dict(services, meetings.get_meeting(services, MANAGER, meeting_id),
                                             "en")["agenda"])


def _pattern_id(kind: str, key: str) -> str:
    return json.dumps({"key": key, "type": kind}, separators=(",", ":"))


def _set_status(client, item_id: int, status: str):
    body = {
        "output": _output_key(ACTION_OUTPUTS),
        "outputs": [{"id": cid, "property": prop} for cid, prop in ACTION_OUTPUTS],
        "inputs": [[{"id": {"type": "actions-set-status", "item": item_id, "status": status},
                     "property": "n_clicks", "value": 1}], []],
        "changedPropIds": [json.dumps({"item": item_id, "status": status, "type": "actions-set-status"},
                                      separators=(",", ":")) + ".n_clicks"],
        "state": [[], {"id": "actions-changed", "property": "data", "value": 0}],
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers={"Origin": "http://localhost"})


# -- the meetings page ------------------------------------------------------------------------------
def test_a_manager_creates_a_meeting_through_the_form(client_as, services):
    before = _count(services, Meeting)
    response = _create(client_as("manager"), title="Public Works stat, from the form", place="Room 301")
    assert response.status_code == 200, response.data[:300]
    result = response.get_json()["response"]
    assert result["meetings-create-message"]["children"]["props"]["className"] == "form-ok"
    href = result["meetings-go"]["href"]
    assert href.startswith("/meetings/") and href.endswith("?created=1")
    assert all(result[f"meetings-error-{n}"]["children"] is None for n in ERRORS)
    created = meetings.get_meeting(services, MANAGER, int(href.split("/")[2].split("?")[0]))
    assert _count(services, Meeting) == before + 1
    assert created.title == "Public Works stat, from the form" and created.location == "Room 301"
    assert created.starts_at.isoformat() == "2026-11-19T09:30:00" and created.duration_minutes == 60
    assert created.department_ids == ["public-works"] and created.agenda


@pytest.mark.parametrize("person", ["viewer", "analyst"])
def test_people_who_may_not_create_meetings_are_refused(client_as, services, person):
    before = _count(services, Meeting)
    assert _create(client_as(person), title=f"A {person}'s meeting").status_code == 403
    assert _count(services, Meeting) == before


@pytest.mark.parametrize("given, field, words", [
    ({"title": "  "}, "title", "Title is required"),
    ({"departments": ()}, "departments", "at least one department"),
    ({"day": None}, "date", "Choose the day"),
    ({"day": "2026-02-30"}, "date", "is not a date"),
    ({"at": "25:99"}, "time", "not a time of day"),
    ({"minutes": 5}, "duration", "between 15 and 480 minutes"),
    ({"minutes": None}, "duration", "between 15 and 480 minutes"),
    ({"departments": ("no-such-department",)}, "departments", "no department no-such-department"),
    ({"place": "x" * 201}, "location", "the limit is 200"),
])
def test_bad_input_is_named_under_its_field_and_nothing_is_written(client_as, services, given, field, words):
    before = _count(services, Meeting)
    response = _create(client_as("manager"), **given)
    result = response.get_json()["response"]
    assert result["meetings-create-message"]["children"]["props"]["className"] == "form-error"
    assert words in texts(json.dumps(result[f"meetings-error-{field}"]))
    assert "meetings-go" not in result or result["meetings-go"].get("href") is None
    assert _count(services, Meeting) == before


def test_errors_read_in_the_persons_language(client_as):
    response = _create(client_as("manager"), minutes=5, headers={"Cookie": "citystat_lang=es"})
    shown = texts(json.dumps(response.get_json()["response"]))
    assert "Una reunión dura entre 15 y 480 minutos" in shown and "No se guardó nada" in shown


def test_an_analyst_lists_only_their_departments_meetings(client_as, services):
    ours, theirs = _meeting(services, "Streets review", ("public-works",)), _meeting(services, "Patrol review")
    response = call(client_as("analyst"), [("meetings-upcoming", "children"), ("meetings-history", "children")],
                    [("meetings-department", "value", None)])
    shown = texts(response.get_data(as_text=True))
    assert ours.title in shown and theirs.title not in shown
    assert theirs.title in texts(call(client_as("viewer"), [("meetings-upcoming", "children"),
                                                            ("meetings-history", "children")],
                                      [("meetings-department", "value", None)]).get_data(as_text=True))


# -- the meeting page --------------------------------------------------------------------------------
def test_a_meeting_the_person_may_not_read_reads_as_no_meeting(client_as, services):
    theirs = _meeting(services, "Confidential patrol review")
    shown = texts(render_page(client_as("analyst"), f"/meetings/{theirs.id}"))
    assert "No such meeting" in shown and "Confidential patrol review" not in shown
    assert "Confidential patrol review" in texts(render_page(client_as("viewer"), f"/meetings/{theirs.id}"))
    assert "No such meeting" in texts(render_page(client_as("manager"), "/meetings/not-a-number"))


def test_the_editor_is_only_for_managers(client_as, services):
    ours = _meeting(services, "Streets review two", ("public-works",))
    analyst = json.loads(render_page(client_as("analyst"), f"/meetings/{ours.id}"))
    manager = json.loads(render_page(client_as("manager"), f"/meetings/{ours.id}"))
    assert '"meeting-up"' not in json.dumps(analyst) and '"meeting-up"' in json.dumps(manager)
    assert "Save the agenda" in texts(json.dumps(manager)) and "Save the agenda" not in texts(json.dumps(analyst))


def test_a_manager_moves_an_item_and_saves_the_agenda(client_as, services):
    meeting = _meeting(services, "Agenda editing", ("public-works",))
    items = _store(services, meeting.id)
    assert len(items) >= 2
    client = client_as("manager")
    moved = _edit_agenda(client, meeting, items, changed=_pattern_id("meeting-up", items[1]["key"]) + ".n_clicks",
                         pressed={"up": items[1]["key"]}, minutes={**{i["key"]: i["minutes"] for i in items},
                                                               items[1]["key"]: 20})
    assert moved.status_code == 200, moved.data[:300]
    edited = moved.get_json()["response"]["meeting-items"]["data"]
    assert [i["key"] for i in edited[:2]] == [items[1]["key"], items[0]["key"]] and edited[0]["minutes"] == 20
    added = _edit_agenda(client, meeting, edited, changed="meeting-custom-add.n_clicks", add=1,
                         custom=("Budget hearing prep", 7, "Who presents?\n\nWhat is asked?"))
    edited = added.get_json()["response"]["meeting-items"]["data"]
    assert edited[-1]["title"] == "Budget hearing prep" and edited[-1]["questions"] == ["Who presents?",
                                                                                       "What is asked?"]
    saved = _edit_agenda(client, meeting, edited, changed="meeting-agenda-save.n_clicks", save=1)
    result = saved.get_json()["response"]
    assert result["meeting-agenda-message"]["children"]["props"]["className"] == "form-ok"
    kept = meetings.get_meeting(services, MANAGER, meeting.id).agenda
    assert [i.id for i in kept[:2]] == [items[1]["id"], items[0]["id"]] and kept[0].minutes == 20
    assert kept[-1].kind == "custom" and kept[-1].questions == "Who presents?\nWhat is asked?"


def test_redrafting_replaces_the_edited_agenda(client_as, services):
    meeting = _meeting(services, "Redraft me", ("public-works",))
    drafted = [(i.kind, i.kpi_id, i.minutes) for i in meetings.get_meeting(services, MANAGER, meeting.id).agenda]
    meetings.save_agenda(services, MANAGER, meeting.id, [{"title": "Only this", "minutes": 60}])
    response = _edit_agenda(client_as("manager"), meeting, _store(services, meeting.id),
                            changed="meeting-confirm-redraft.submit_n_clicks", redraft=1)
    result = response.get_json()["response"]
    assert "drafted again from the data" in result["meeting-agenda-message"]["children"]["props"]["children"]
    assert result["meeting-as-of"]["children"] == "Agenda drafted from the data as of Nov 12, 2026."
    again = [(i.kind, i.kpi_id, i.minutes) for i in meetings.get_meeting(services, MANAGER, meeting.id).agenda]
    assert again == drafted and [i["kpi_id"] for i in result["meeting-items"]["data"]] == [k for _, k, _ in drafted]


def _record(client, meeting, changed: str, *, notes=None, decision=None):
    outputs = [("meeting-status", "children"), ("meeting-documents", "children"), ("meeting-held", "hidden"),
               ("meeting-planned", "hidden"), ("meeting-decisions", "children"), ("meeting-decision-text", "value"),
               ("meeting-record-message", "children")]
    inputs = [(f"meeting-{name}", "n_clicks", 1 if changed == name else 0)
              for name in ("held", "planned", "notes-save", "decision-add")]
    return call(client, outputs, inputs, state=[("meeting-notes", "value", notes),
                                                ("meeting-decision-text", "value", decision),
                                                ("meeting-id", "data", meeting.id)],
                changed=f"meeting-{changed}.n_clicks")


def test_notes_and_the_held_status_are_kept_and_only_managers_change_them(client_as, services):
    meeting = _meeting(services, "Record keeping", ("public-works",))
    assert _record(client_as("analyst"), meeting, "notes-save", notes="An analyst's notes").status_code == 403
    assert _record(client_as("analyst"), meeting, "held").status_code == 403
    saved = _record(client_as("manager"), meeting, "notes-save", notes="Crews short by two.\nRevisit in January.")
    assert saved.get_json()["response"]["meeting-record-message"]["children"]["props"]["children"] == "Notes saved."
    held = _record(client_as("manager"), meeting, "held").get_json()["response"]
    assert held["meeting-held"]["hidden"] is True and held["meeting-planned"]["hidden"] is False
    assert "/memo.txt" in json.dumps(held["meeting-documents"])
    kept = meetings.get_meeting(services, MANAGER, meeting.id)
    assert kept.notes == "Crews short by two.\nRevisit in January." and kept.status == "held"
    empty = _record(client_as("manager"), meeting, "decision-add", decision="   ").get_json()["response"]
    assert empty["meeting-record-message"]["children"]["props"]["className"] == "form-error"
    assert not meetings.get_meeting(services, MANAGER, meeting.id).decisions


@pytest.mark.parametrize("person", ["viewer", "analyst"])
def test_people_who_may_not_edit_cannot_save_an_agenda(client_as, services, person):
    meeting = _meeting(services, f"Not for {person}s", ("public-works",))
    items = _store(services, meeting.id)
    rows = _count(services, AgendaItem)
    response = _edit_agenda(client_as(person), meeting, items[::-1], changed="meeting-agenda-save.n_clicks", save=1)
    assert response.status_code == 403
    assert _count(services, AgendaItem) == rows
    assert [i.id for i in meetings.get_meeting(services, MANAGER, meeting.id).agenda] == [i["id"] for i in items]


def test_a_crafted_save_for_a_meeting_the_analyst_cannot_read_is_refused(client_as, services):
    theirs = _meeting(services, "Police agenda, not the analyst's")
    items = _store(services, theirs.id)
    response = _edit_agenda(client_as("analyst"), theirs, items[:1], changed="meeting-agenda-save.n_clicks", save=1)
    assert response.status_code == 403 and "response" not in (response.get_json() or {})
    assert len(meetings.get_meeting(services, MANAGER, theirs.id).agenda) == len(items)


def test_items_of_another_meeting_cannot_be_saved_into_this_one(client_as, services):
    here, there = _meeting(services, "Here", ("public-works",)), _meeting(services, "There", ("public-works",))
    stolen = _store(services, there.id)[:1]
    response = _edit_agenda(client_as("manager"), here, stolen, changed="meeting-agenda-save.n_clicks", save=1)
    message = response.get_json()["response"]["meeting-agenda-message"]["children"]["props"]
    assert message["className"] == "form-error" and "not an item of this meeting" in message["children"]
    assert [i.id for i in meetings.get_meeting(services, MANAGER, here.id).agenda] == \
        [i["id"] for i in _store(services, here.id)]


# -- action items ------------------------------------------------------------------------------------
def test_an_owner_marks_their_own_item_done_but_not_someone_elses(client_as, services):
    meeting = _meeting(services, "Follow-through", ("public-works",))
    mine = action_items.add_action_item(services, MANAGER, meeting.id, {
        "description": "Publish the repaving schedule", "owner_username": "analyst", "due_date": "2026-12-01"})
    other = action_items.add_action_item(services, MANAGER, meeting.id, {
        "description": "Brief the council", "owner_name": "Director Okafor", "due_date": "2026-12-01"})
    analyst = client_as("analyst")
    done = _set_status(analyst, mine["id"], "done")
    assert done.status_code == 200, done.data[:300]
    assert done.get_json()["response"]["actions-message"]["children"]["props"]["className"] == "form-ok"
    refused = _set_status(analyst, other["id"], "done")
    message = refused.get_json()["response"]["actions-message"]["children"]["props"]
    assert message["className"] == "form-error" and "their owner may update" in message["children"]
    with services.session() as session:
        assert session.get(ActionItem, mine["id"]).status == "done"
        assert session.get(ActionItem, other["id"]).status == "open"
    action_items.update_action_item(services, MANAGER, other["id"], {"status": "dropped"})


def test_the_action_items_page_lists_what_the_person_may_read(client_as, services):
    ours, theirs = _meeting(services, "Streets follow-up", ("public-works",)), _meeting(services, "Patrol follow-up")
    kept = [action_items.add_action_item(services, MANAGER, m.id, {"description": d, "owner_name": "Ana Souza",
                                                                   "kpi_ids": kpis})
            for m, d, kpis in ((ours, "Fix the asphalt plant", ["potholes-48h"]), (theirs, "Audit overtime", []))]
    response = call(client_as("analyst"), [("actions-list", "children"), ("actions-summary", "children")],
                    [("actions-department", "value", None), ("actions-owner", "value", None),
                     ("actions-status", "value", "open"), ("actions-changed", "data", 0)])
    shown = texts(response.get_data(as_text=True))
    assert "Fix the asphalt plant" in shown and "Audit overtime" not in shown
    assert "Potholes repaired within 48 hours" in shown
    for item in kept:
        action_items.update_action_item(services, MANAGER, item["id"], {"status": "dropped"})


def test_the_meeting_page_status_buttons_follow_the_same_rule(client_as, services, demo_app):
    meeting = _meeting(services, "Status from the meeting page", ("public-works",))
    mine = action_items.add_action_item(services, MANAGER, meeting.id, {
        "description": "Count the open trenches", "owner_username": "analyst"})
    key = next(k for k in demo_app.extensions["dash"].callback_map if k.startswith("..meeting-actions.children@"))
    outputs = [tuple(part.rsplit(".", 1)) for part in key.strip(".").split("...")]

    def press(client, item_id, status):
        body = {"output": key, "outputs": [{"id": cid, "property": prop} for cid, prop in outputs],
                "inputs": [[{"id": {"type": "meeting-set-status", "item": item_id, "status": status},
                             "property": "n_clicks", "value": 1}]],
                "changedPropIds": [json.dumps({"item": item_id, "status": status, "type": "meeting-set-status"},
                                              separators=(",", ":")) + ".n_clicks"],
                "state": [{"id": "meeting-id", "property": "data", "value": meeting.id}]}
        return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                           headers={"Origin": "http://localhost"})

    assert press(client_as("viewer"), mine["id"], "done").status_code == 403
    done = press(client_as("analyst"), mine["id"], "done")
    assert done.status_code == 200, done.data[:300]
    assert "Count the open trenches" in texts(done.get_data(as_text=True))
    with services.session() as session:
        assert session.get(ActionItem, mine["id"]).status == "done"
