"""The commitments memo, read back from its plain text, PDF and Word forms: every decision
and every action item recorded in the meeting (what, owner, due date, KPIs, status), and
the open follow-ups carried from earlier meetings, in the reader's language."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from metrics.access import Scope
from tests.conftest import password_of
from tests.helpers import sign_in
from web import audit
from web.action_items import add_action_item, update_action_item
from web.meetings import add_decision, create_meeting
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
LONG = ("Publish the weekly streetlight outage backlog by district on the open data portal, with the "
        "repair crew assigned to each outage and the date it was reported")


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture(scope="module")
def meeting(services):
    """A held StreetsStat with two decisions and three items (one done), after a September
    meeting whose open commitment is carried, and whose finished one is not."""
    earlier = create_meeting(services, MANAGER, {"title": "StreetsStat", "departments": ["transportation"],
                                                 "date": "2026-09-17", "duration_minutes": 30})
    add_action_item(services, MANAGER, earlier.id, {"description": "Retime the signals on Harbor Avenue",
                                                    "owner_name": "Jordan Kim", "due_date": "2026-10-01"})
    finished = add_action_item(services, MANAGER, earlier.id, {"description": "Count bike lane users on Main",
                                                               "owner_name": "Jordan Kim"})
    update_action_item(services, MANAGER, finished["id"], {"status": "done"})
    held = create_meeting(services, MANAGER, {"title": "StreetsStat", "departments": ["transportation"],
                                              "date": "2026-11-18", "duration_minutes": 45})
    items = [add_action_item(services, MANAGER, held.id, given) for given in (
        {"description": LONG, "owner_name": "Morgan Reyes", "due_date": "2026-12-10"},
        {"description": "Report crash hot spots to the council", "owner_name": "Priya Shah",
         "due_date": "2026-12-17", "kpi_ids": ["traffic-fatalities", "serious-injury-crashes"]},
        {"description": "Audit the crosswalk paint contract", "owner_name": "Lee Wong", "due_date": "2027-01-15"})]
    update_action_item(services, MANAGER, items[2]["id"], {"status": "done"})
    decisions = ["Fund two more signal technicians from the January budget amendment.",
                 "Review pedestrian safety first at every StreetsStat until spring."]
    for text in decisions:
        add_decision(services, MANAGER, held.id, text)
    return {"id": held.id, "items": items, "decisions": decisions}


@pytest.fixture(scope="module")
def manager(demo_app):
    client = demo_app.test_client()
    sign_in(client, "manager", password_of("manager"))
    return client


def _flat(text: str) -> str:
    return " ".join(text.split())


def _get(client, meeting, fmt, lang=""):
    response = client.get(f"/api/v1/meetings/{meeting['id']}/memo.{fmt}" + (f"?lang={lang}" if lang else ""))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def test_the_text_memo_lists_every_decision_and_commitment(manager, meeting):
    response = _get(manager, meeting, "txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'inline; filename="streetsstat-2026-11-18-memo.txt"'
    text = response.get_data(as_text=True)
    flat = _flat(text)
    for decision in meeting["decisions"]:
        assert f"- {decision}" in flat
    for item in meeting["items"]:
        assert f"- {_flat(item['description'])}" in flat and item["owner_name"] in flat
    assert "Owner: Morgan Reyes · Due: 2026-12-10 · Status: Open" in flat
    assert "Owner: Lee Wong · Due: 2027-01-15 · Status: Done" in flat
    assert "KPIs: Traffic fatalities, Serious injury traffic crashes" in flat
    assert "Retime the signals on Harbor Avenue" in flat and "Due: 2026-10-01 (overdue)" in flat
    assert "Count bike lane users" not in flat           # done before: nothing to carry
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 78
    for heading in ("Decisions", "Action items recorded in this meeting", "Open follow-ups from earlier meetings"):
        at = lines.index(heading)
        assert lines[at + 1] == "=" * len(heading)


def test_the_text_memo_in_spanish(manager, meeting):
    text = _flat(_get(manager, meeting, "txt", "es").get_data(as_text=True))
    assert text.startswith("Memorando de compromisos: StreetsStat")
    assert "Responsable: Morgan Reyes · Vence: 2026-12-10 · Estado: Abierto" in text
    assert "Decisiones" in text and "Seguimientos abiertos de reuniones anteriores" in text


def test_the_pdf_memo(manager, meeting, services):
    response = _get(manager, meeting, "pdf")
    assert response.headers["Content-Disposition"] == 'attachment; filename="streetsstat-2026-11-18-memo.pdf"'
    reader = PdfReader(BytesIO(response.data))
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    for phrase in [*meeting["decisions"], *(i["description"] for i in meeting["items"]),
                   *(i["owner_name"] for i in meeting["items"]), "Commitments memo", "Retime the signals"]:
        assert _flat(phrase) in text, phrase
    document = pdfium.PdfDocument(response.data)
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        document[0].render(scale=1.5).to_pil().save(SCREENSHOTS / "memo-page-1-en.png")
    finally:
        document.close()
    events = audit.events(services, action="meeting.memo", limit=20)
    assert any(e.target == str(meeting["id"]) and e.details["format"] == "pdf" for e in events)


def test_the_word_memo(manager, meeting):
    response = _get(manager, meeting, "docx")
    document = docx.Document(BytesIO(response.data))
    assert document.core_properties.title == "StreetsStat · Commitments memo"
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    text = _flat(" ".join([p.text for p in document.paragraphs] + cells))
    for phrase in [*meeting["decisions"], *(i["description"] for i in meeting["items"]),
                   *(i["owner_name"] for i in meeting["items"]), "Dec 10, 2026", "Done"]:
        assert _flat(phrase) in text, phrase


def test_who_may_read_the_memo(client_as, anonymous, meeting):
    path = f"/api/v1/meetings/{meeting['id']}/memo.txt"
    assert anonymous.get(path).status_code == 401
    assert client_as("viewer").get(path).status_code == 200
    refused = client_as("analyst").get(path)             # Public Works only; this is Transportation
    assert refused.status_code == 404 and "StreetsStat" not in refused.get_data(as_text=True)
