"""A meeting's page, apart from its agenda and action items: the header with the facts of
the meeting, the documents (briefing packet before, commitments memo after), and the
record: held or planned, notes and decisions."""
from __future__ import annotations

from datetime import date
from typing import Any

from dash import dcc, html

from dashboards.meeting_parts import join_names, meeting_status, minutes_text, when_text
from i18n import format_day, translate

P = "meeting-"
PACKET = (("packet.pdf", "meeting_page.packet_pdf"), ("packet.docx", "meeting_page.packet_docx"),
          ("packet.html", "meeting_page.packet_html"))
MEMO = (("memo.pdf", "meeting_page.memo_pdf"), ("memo.docx", "meeting_page.memo_docx"),
        ("memo.txt", "meeting_page.memo_txt"))


def as_of_text(meeting: dict[str, Any], language: str) -> str:
    if not meeting["agenda_as_of"]:
        return ""
    return translate("meeting_page.as_of", language, day=format_day(date.fromisoformat(meeting["agenda_as_of"]),
                                                                      language))


def header(meeting: dict[str, Any], language: str) -> list:
    facts = [
        ("when", when_text(meeting["date"], meeting["time"], language), None),
        ("length", minutes_text(meeting["duration_minutes"], language), None),
        ("place", meeting["location"] or "–", None),
        ("status", meeting_status(meeting["status"], language), P + "status"),
    ]
    departments = join_names([d["name"] for d in meeting["departments"]])
    return [
        html.Nav([dcc.Link(translate("meetings.title", language), href="/meetings"), html.Span(" › "),
                  html.Span(meeting["title"], **{"aria-current": "page"})],
                 className="breadcrumb", **{"aria-label": translate("kpi.breadcrumb", language)}),
        html.Div([html.H1(meeting["title"]), html.P(departments, className="lede")], className="page-head"),
        html.Dl([html.Div([html.Dt(translate(f"meeting_page.fact_{name}", language)),
                           html.Dd(value, **({"id": fact_id} if fact_id else {}))], className="tile")
                 for name, value, fact_id in facts], className="tiles meeting-facts"),
        html.P([html.Strong(translate("meeting.attendees", language) + ": "), meeting["attendees"]],
               className="meeting-attendees pre-line") if meeting["attendees"] else None,
    ]


def documents(meeting: dict[str, Any], language: str) -> list:
    """Links to the packet (always) and to the memo (once the meeting is held)."""
    base = f"/api/v1/meetings/{meeting['id']}/"

    def links(entries):
        return html.Ul([html.Li(html.A(translate(key, language), href=base + name, className="doc-link",
                                       target="_blank" if name.endswith(".html") else None,
                                       rel="noopener" if name.endswith(".html") else None))
                        for name, key in entries], className="doc-links")
    after = links(MEMO) if meeting["status"] == "held" else \
        html.P(translate("meeting_page.memo_after", language), className="muted small")
    return [
        html.Div([html.H3(translate("meeting_page.before_heading", language), className="form-heading"),
                  html.P(translate("meeting_page.packet_lede", language), className="muted small"), links(PACKET)],
                 className="doc-group"),
        html.Div([html.H3(translate("meeting_page.after_heading", language), className="form-heading"),
                  html.P(translate("meeting_page.memo_lede", language), className="muted small"), after],
                 className="doc-group"),
    ]


def decisions_list(meeting: dict[str, Any], language: str):
    if not meeting["decisions"]:
        return html.P(translate("meeting_page.no_decisions", language), className="muted")
    return html.Ol([html.Li(d["text"], className="pre-line") for d in meeting["decisions"]], className="decision-list")


def held_buttons(status: str, language: str) -> list:
    return [
        html.Button(translate("meeting_page.mark_held", language), id=P + "held", n_clicks=0, type="button",
                    className="button", hidden=status == "held"),
        html.Button(translate("meeting_page.mark_planned", language), id=P + "planned", n_clicks=0, type="button",
                    className="button", hidden=status != "held"),
    ]


def notes_form(meeting: dict[str, Any], language: str) -> html.Div:
    return html.Div([
        html.Label(translate("meeting.notes", language), htmlFor=P + "notes", className="form-heading"),
        dcc.Textarea(id=P + "notes", value=meeting["notes"] or "", rows=5, maxLength=20000,
                     className="text-input textarea"),
        html.Button(translate("meeting_page.save_notes", language), id=P + "notes-save", n_clicks=0, type="button",
                    className="button align-start"),
    ], className="stacked-form")


def notes_text(meeting: dict[str, Any], language: str) -> html.Div:
    return html.Div([
        html.H3(translate("meeting.notes", language), className="form-heading"),
        html.P(meeting["notes"], className="pre-line") if meeting["notes"]
        else html.P(translate("meeting_page.no_notes", language), className="muted"),
    ])


def decision_form(language: str) -> html.Div:
    return html.Div([
        html.Label(translate("meeting_page.new_decision", language), htmlFor=P + "decision-text"),
        dcc.Textarea(id=P + "decision-text", value="", rows=2, maxLength=4000, className="text-input textarea short"),
        html.Button(translate("meeting_page.add_decision", language), id=P + "decision-add", n_clicks=0,
                    type="button", className="button align-start"),
    ], className="stacked-form")
