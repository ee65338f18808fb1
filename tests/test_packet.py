"""The briefing packet, read back: the PDF (pypdf) and the Word file (python-docx) hold
every agenda item's KPI, its latest value as worded, and every action item with its
owner; Spanish readers get Spanish; who may not read the meeting gets nothing; without
Chromium the packet still comes, with a note where each chart would be.

Each packet with charts starts a browser (~2 s), so each is made once per module."""
from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from dashboards.components import value_text
from metrics import catalog
from metrics.access import Scope
from tests.conftest import password_of
from tests.helpers import sign_in
from web import audit
from web.action_items import add_action_item
from web.meetings import add_decision, create_meeting, get_meeting, meeting_dict, save_agenda
from web.packet_text import css_string
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture(scope="module")
def meeting(services):
    """PublicWorksStat on 2026-11-19, after an October meeting whose commitment is now overdue."""
    earlier = create_meeting(services, MANAGER, {"title": "PublicWorksStat", "departments": ["public-works"],
                                                 "date": "2026-10-15", "duration_minutes": 45})
    add_action_item(services, MANAGER, earlier.id, {
        "description": "Add a second night crew for pothole repairs in District 3", "owner_name": "Dana Ortiz",
        "due_date": "2026-11-10", "kpi_ids": ["potholes-repaired"]})
    held = create_meeting(services, MANAGER, {
        "title": "PublicWorksStat", "departments": ["public-works"], "date": "2026-11-19", "time": "09:30",
        "duration_minutes": 60, "location": "City Hall, Room 301", "attendees": "Deputy Mayor R. Chen; A. Patel"})
    add_action_item(services, MANAGER, held.id, {
        "description": "Repave the Elm Street corridor before the winter freeze", "owner_name": "Alex Patel",
        "due_date": "2026-12-10", "kpi_ids": ["pavement-condition"]})
    add_decision(services, MANAGER, held.id, "Move two crews from sidewalks to pothole repair until January.")
    # People add their own items too: one with a title and questions but no KPI.
    drafted = [{"id": item.id, "minutes": item.minutes} for item in held.agenda]
    max(drafted, key=lambda item: item["minutes"])["minutes"] -= 5   # the meeting keeps its length
    save_agenda(services, MANAGER, held.id, drafted + [
        {"title": "Winter storm readiness", "minutes": 5, "questions": "Are the salt domes full?"}])
    return meeting_dict(services, get_meeting(services, MANAGER, held.id), "en")


@pytest.fixture(scope="module")
def manager(demo_app):
    client = demo_app.test_client()
    sign_in(client, "manager", password_of("manager"))
    return client


@pytest.fixture(scope="module")
def pdf(manager, meeting):
    response = manager.get(f"/api/v1/meetings/{meeting['id']}/packet.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture(scope="module")
def word(manager, meeting):
    response = manager.get(f"/api/v1/meetings/{meeting['id']}/packet.docx")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def _flat(text: str) -> str:
    return " ".join(text.split()).casefold()


def _pdf_text(data: bytes) -> str:
    return _flat(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


def _docx_text(data: bytes) -> str:
    document = docx.Document(BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return _flat(" ".join([p.text for p in document.paragraphs] + cells))


def _expected(services, meeting) -> list[str]:
    """What the packet must say: each item's KPI and latest value, each action and owner."""
    wanted = []
    for item in meeting["agenda"]:
        wanted.append(item["kpi_name"] or item["title"])
        if item["kpi_id"] and item["values"].get("latest_value") is not None:
            kpi = catalog.get_kpi(services.warehouse, services.calendar, item["kpi_id"])
            wanted.append(value_text(kpi, item["values"]["latest_value"], "en", services))
    for action in meeting["action_items"]:
        wanted += [action["description"], action["owner_name"]]
    return wanted + ["Add a second night crew for pothole repairs in District 3", "Dana Ortiz"]


# -- the PDF ---------------------------------------------------------------------------------------
def test_the_pdf_holds_every_item_value_and_action(pdf, meeting, services):
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="publicworksstat-2026-11-19-packet.pdf"'
    text = _pdf_text(pdf.data)
    assert any(item["kpi_id"] for item in meeting["agenda"]), "the demo meeting drafts KPI items"
    missing = [phrase for phrase in _expected(services, meeting) if _flat(phrase) not in text]
    assert not missing, missing
    for label in ("Briefing packet", "Agenda", "At a glance", "Open action items", "Recent values", "Overdue",
                  "Page 1 of"):
        assert _flat(label) in text, label
    assert "09:30–" in text and "city of riverton" in text


def test_the_pdf_pages_render_and_are_saved_for_people_to_look_at(pdf, meeting):
    document = pdfium.PdfDocument(pdf.data)
    try:
        kpi_items = sum(1 for item in meeting["agenda"] if item["kpi_id"])
        assert len(document) >= 3 + kpi_items        # cover, agenda, a page per KPI, the open actions
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number in range(min(len(document), 5)):
            page = document[number]
            image = page.render(scale=1.5).to_pil()
            image.save(SCREENSHOTS / f"packet-page-{number + 1}-en.png")
            assert image.getextrema() != ((255, 255), (255, 255), (255, 255)), f"page {number + 1} is blank"
            page.close()
    finally:
        document.close()


def test_each_kpi_section_carries_its_chart(pdf, meeting):
    # WeasyPrint shares one resource dictionary among pages: count the distinct images.
    charts = {image.name for page in PdfReader(BytesIO(pdf.data)).pages for image in page.images}
    assert len(charts) == sum(1 for item in meeting["agenda"] if item["kpi_id"])


def _alt_texts(node, found):
    """Every /Alt in a PDF structure tree."""
    node = node.get_object()
    if isinstance(node, list):
        for child in node:
            _alt_texts(child, found)
    elif hasattr(node, "get"):
        if "/Alt" in node:
            found.append(str(node["/Alt"]))
        if "/K" in node:
            _alt_texts(node["/K"], found)
    return found


def test_the_pdf_is_tagged_and_each_chart_has_its_summary_as_alt_text(pdf, meeting):
    root = PdfReader(BytesIO(pdf.data)).trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    alts = _alt_texts(root["/StructTreeRoot"], [])
    assert len(alts) == sum(1 for item in meeting["agenda"] if item["kpi_id"])
    assert all("chart" in alt.lower() for alt in alts), alts[:3]


def test_downloads_are_audited(pdf, services, meeting):
    event = audit.events(services, action="meeting.packet", limit=50)
    assert any(e.target == str(meeting["id"]) and e.details["format"] == "pdf" and e.actor == "manager"
               for e in event)


# -- the Word file ---------------------------------------------------------------------------------
def test_the_docx_holds_every_item_value_and_action(word, meeting, services):
    assert word.headers["Content-Disposition"] == 'attachment; filename="publicworksstat-2026-11-19-packet.docx"'
    document = docx.Document(BytesIO(word.data))
    assert document.core_properties.title == "PublicWorksStat · Briefing packet"
    text = _docx_text(word.data)
    missing = [phrase for phrase in _expected(services, meeting) if _flat(phrase) not in text]
    assert not missing, missing
    assert len(document.inline_shapes) == sum(1 for item in meeting["agenda"] if item["kpi_id"])
    alts = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert all(alt and "chart" in alt.lower() for alt in alts), alts[:3]
    agenda = next(t for t in document.tables if t.rows[0].cells[0].text == "#")
    assert len(agenda.rows) == len(meeting["agenda"]) + 2          # header, items, total
    assert agenda.rows[-1].cells[-1].text == str(meeting["duration_minutes"])


# -- language, and without Chromium ----------------------------------------------------------------
def test_without_chromium_the_packet_comes_with_a_note_per_chart_in_spanish(manager, meeting, monkeypatch, caplog):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    response = manager.get(f"/api/v1/meetings/{meeting['id']}/packet.html?lang=es")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("inline;")
    page = response.get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "<img" not in page and "https://" not in page and "http://" not in page
    notes = page.count("Los gráficos necesitan Chromium en el servidor: apt-get install chromium")
    assert notes == sum(1 for item in meeting["agenda"] if item["kpi_id"])
    for label in ("Dosier informativo", "En resumen", "Valores recientes", "Compromisos abiertos", "Preguntas"):
        assert label in page, label
    assert "Chromium is missing" in caplog.text


def test_a_chart_that_fails_leaves_a_note_and_the_rest_of_the_pdf(manager, meeting, monkeypatch):
    from web import packet_charts

    real, calls = packet_charts.opaque, []

    def first_fails(png):
        calls.append(png)
        if len(calls) == 1:
            raise OSError("broken image")
        return real(png)
    monkeypatch.setattr(packet_charts, "opaque", first_fails)
    response = manager.get(f"/api/v1/meetings/{meeting['id']}/packet.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data)
    assert text.count(_flat("This chart could not be drawn on the server")) == 1
    charts = {image.name for page in PdfReader(BytesIO(response.data)).pages for image in page.images}
    assert len(charts) == sum(1 for item in meeting["agenda"] if item["kpi_id"]) - 1


def test_without_weasyprint_a_pdf_is_a_503_that_says_what_to_install(manager, meeting, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    response = manager.get(f"/api/v1/meetings/{meeting['id']}/memo.pdf")
    assert response.status_code == 503
    assert "libpango" in response.get_json()["error"]


def test_an_unknown_language_is_a_400(manager, meeting):
    response = manager.get(f"/api/v1/meetings/{meeting['id']}/memo.txt?lang=fr")
    assert response.status_code == 400 and "en, es or pt" in response.get_json()["error"]


# -- who may ---------------------------------------------------------------------------------------
def test_anonymous_callers_must_sign_in(anonymous, meeting):
    for fmt in ("pdf", "docx", "html"):
        assert anonymous.get(f"/api/v1/meetings/{meeting['id']}/packet.{fmt}").status_code == 401


def test_an_analyst_of_another_department_gets_a_404(client_as, services):
    police = create_meeting(services, MANAGER, {"title": "PoliceStat", "departments": ["police"],
                                                "date": "2026-11-20", "duration_minutes": 30})
    analyst = client_as("analyst")      # works for Public Works only
    for fmt in ("pdf", "docx", "html"):
        response = analyst.get(f"/api/v1/meetings/{police.id}/packet.{fmt}")
        assert response.status_code == 404, fmt
        assert "PoliceStat" not in response.get_data(as_text=True)
    assert client_as("viewer").get("/api/v1/meetings/999999/packet.pdf").status_code == 404


# -- pieces ----------------------------------------------------------------------------------------
def test_css_strings_cannot_break_out_of_the_stylesheet():
    assert css_string('Say "hi" \\ </style><b>') == '"Say \\"hi\\" \\\\ \\3c /style\\3e \\3c b\\3e "'
    assert css_string("two\nlines") == '"two\\a lines"'
