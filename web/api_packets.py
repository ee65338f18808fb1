"""/api/v1 meeting documents: the briefing packet (PDF, Word, print HTML) and the
commitments memo (PDF, Word, plain text), in the reader's language or `?lang=`.

Whoever may read the meeting may read its documents (get_meeting checks; a meeting they
may not read is 404, as if it did not exist). Every download is audited.
"""
from __future__ import annotations

import re
import unicodedata

from flask import Response, request

from i18n import LANGUAGES, current_language, translate
from web import audit
from web.api import api, error_response
from web.auth import current_scope
from web.memo import assemble_memo, memo_docx, memo_html, memo_text
from web.packet import make_packet, packet_html
from web.packet_docx import packet_docx
from web.packet_pdf import PdfUnavailable, html_to_pdf, packet_pdf
from web.rules import access
from web.services import current_services
from web.texts import MeetingError

TYPES = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "html": "text/html; charset=utf-8", "txt": "text/plain; charset=utf-8"}


class BadLanguage(ValueError):
    pass


def _language() -> str:
    asked = request.args.get("lang")
    if asked is None or asked == "":
        return current_language()
    if asked not in LANGUAGES:
        raise BadLanguage(asked[:20])
    return asked


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-") or "meeting"


def _answer(body, fmt: str, title: str, day: str, what: str) -> Response:
    response = Response(body, content_type=TYPES[fmt])
    disposition = "attachment" if fmt in ("pdf", "docx") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{_slug(title)}-{day}-{what}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"   # meeting documents are internal
    return response


def _document(meeting_id: int, fmt: str, what: str):
    services, scope = current_services(), current_scope()
    try:
        language = _language()
    except BadLanguage as error:
        return error_response(400, translate("packet.bad_language", current_language(), value=str(error)))
    try:
        if what == "packet" and fmt == "pdf":
            packet, body = packet_pdf(services, scope, meeting_id, language)
            title, day = packet.title, packet.meeting["date"]
        elif what == "packet":
            packet, charts, problem = make_packet(services, scope, meeting_id, language)
            title, day = packet.title, packet.meeting["date"]
            body = packet_html(packet, charts, problem) if fmt == "html" else packet_docx(packet, charts, problem)
        else:
            memo = assemble_memo(services, scope, meeting_id, language)
            title, day = memo.title, memo.day
            body = {"pdf": lambda: html_to_pdf(memo_html(memo)), "docx": lambda: memo_docx(memo),
                    "txt": lambda: memo_text(memo)}[fmt]()
    except MeetingError as error:
        return error_response(error.status, error.message(language), [error.key])
    except PdfUnavailable as error:
        return error_response(503, translate("packet.pdf_unavailable", language), [str(error)[:300]])
    audit.record(services, f"meeting.{what}", "success", target=str(meeting_id), details={"format": fmt,
                                                                                         "language": language})
    return _answer(body, fmt, title, day, what)


@api.get("/meetings/<int:meeting_id>/packet.pdf", defaults={"fmt": "pdf"})
@api.get("/meetings/<int:meeting_id>/packet.docx", defaults={"fmt": "docx"})
@api.get("/meetings/<int:meeting_id>/packet.html", defaults={"fmt": "html"})
@access("viewer")
def meeting_packet(meeting_id: int, fmt: str):
    """The briefing packet: cover, agenda, a section per item with its chart, values,
    commentary, questions and open action items; all open action items last."""
    return _document(meeting_id, fmt, "packet")


@api.get("/meetings/<int:meeting_id>/memo.pdf", defaults={"fmt": "pdf"})
@api.get("/meetings/<int:meeting_id>/memo.docx", defaults={"fmt": "docx"})
@api.get("/meetings/<int:meeting_id>/memo.txt", defaults={"fmt": "txt"})
@access("viewer")
def meeting_memo(meeting_id: int, fmt: str):
    """The commitments memo: decisions, the meeting's action items, open follow-ups."""
    return _document(meeting_id, fmt, "memo")
