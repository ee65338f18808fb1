"""The commitments memo that goes out after a stat meeting (DESIGN §6): its decisions,
every action item recorded in it (what, owner, due date, linked KPIs, status), and the
open follow-ups carried from earlier meetings of its departments. As PDF (the packet's
print stylesheet), Word, and plain text ready to paste into an email."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any

from flask import render_template
from markupsafe import Markup

from i18n import format_day, translate
from metrics import catalog
from metrics.access import Scope
from web.action_items import list_action_items
from web.meetings import get_meeting, meeting_dict
from web.packet import page_of
from web.packet_docx import action_rows, kicker, new_document, table
from web.packet_text import action_row, city_name, css_string, department_names, when_text

WIDTH = 78   # columns of the plain-text memo, as email clients wrap


@dataclass
class Memo:
    language: str
    city: str
    title: str
    day: str        # the meeting's date, ISO
    when: str
    facts: list[tuple[str, str]]
    decisions: list[str]
    actions: list[dict[str, Any]]
    carried: list[dict[str, Any]]
    notes: str | None


def assemble_memo(services, scope: Scope, meeting_id, language: str) -> Memo:
    """What the memo of meeting `meeting_id` says; MeetingError (404) when `scope` may not read it."""
    meeting = get_meeting(services, scope, meeting_id)
    shown = meeting_dict(services, meeting, language)
    kpis = {k["id"]: k for k in catalog.kpi_summaries(services.warehouse, services.calendar)}
    today = date.today()
    recorded = shown["action_items"]   # overdue as of today, as the memo is read
    day = meeting.starts_at.date().isoformat()
    carried = [a for d in meeting.department_ids
               for a in list_action_items(services, scope, status="open", department=d, today=today)
               if a["meeting_id"] != meeting.id and a["meeting_date"] <= day]
    carried.sort(key=lambda a: (not a["overdue"], a["due_date"] or "9999-12-31", a["id"]))
    facts = [(translate("packet.departments", language), department_names(shown)),
             (translate("packet.when", language), when_text(meeting.starts_at, meeting.duration_minutes, language)),
             (translate("meeting.location", language), meeting.location or "–"),
             (translate("meeting.attendees", language), meeting.attendees or "–")]
    return Memo(language=language, city=city_name(services, language), title=meeting.title, day=day,
                when=format_day(meeting.starts_at.date(), language), facts=facts,
                decisions=[d["text"] for d in shown["decisions"]],
                actions=[action_row(a, language, kpis) for a in recorded],
                carried=[action_row(a, language, kpis) for a in carried], notes=meeting.notes)


# -- PDF (through its print HTML) and Word ----------------------------------------------------------------
def memo_html(memo: Memo) -> str:
    language = memo.language
    return render_template(
        "memo.html", memo=memo, t=lambda key, **params: translate(key, language, **params),
        prepared=translate("packet.prepared", language, date=format_day(date.today(), language)),
        page_css=Markup(css_string(f"CityStat · {memo.city}")), running_css=Markup(css_string(
            f"{memo.title} · {memo.when}")), footer_css=Markup(css_string(translate("memo.title", language))),
        page_of_css=Markup(page_of(language)))


def memo_docx(memo: Memo) -> bytes:
    language = memo.language

    def t(key, **params):
        return translate(key, language, **params)
    doc = new_document(f"{memo.title} · {t('memo.title')}", language, f"CityStat · {memo.city}",
                       t("memo.title"))
    doc.sections[0].different_first_page_header_footer = False
    kicker(doc, f"CityStat · {memo.city}")
    doc.add_paragraph(t("memo.title"), style="Title")
    doc.add_heading(f"{memo.title} · {memo.when}", level=2)
    for label, value in memo.facts:
        line = doc.add_paragraph()
        line.add_run(f"{label}: ").bold = True
        line.add_run(value)
    doc.add_paragraph(t("memo.lede"))
    doc.add_heading(t("memo.decisions"), level=1)
    for decision in memo.decisions:
        doc.add_paragraph(decision, style="List Bullet")
    if not memo.decisions:
        doc.add_paragraph(t("memo.no_decisions"))
    for heading, rows, empty, origin in ((t("memo.actions"), memo.actions, t("memo.no_actions"), False),
                                         (t("memo.carried"), memo.carried, t("memo.no_carried"), True)):
        doc.add_heading(heading, level=1)
        if rows:
            table(doc, *action_rows(rows, language, status=True, origin=origin))
        else:
            doc.add_paragraph(empty)
    if memo.notes:
        doc.add_heading(t("meeting.notes"), level=1)
        doc.add_paragraph(memo.notes)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


# -- plain text for an email ------------------------------------------------------------------------------
def _heading(lines: list[str], text: str) -> None:
    """`text` underlined with '=', a blank line before (unless first) and after."""
    if lines and lines[-1]:
        lines.append("")
    lines += [text, "=" * len(text), ""]


def _bullet(text: str) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), WIDTH, initial_indent="- ", subsequent_indent="  ") or ["-"]


def _indented(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent="  ", subsequent_indent="    ")


def _action_lines(a: dict[str, Any], t) -> list[str]:
    due = a["due_iso"] + (f" ({t('packet.overdue').lower()})" if a["overdue"] else "")
    lines = _bullet(a["description"])
    lines += _indented(f"{t('memo.owner_due', owner=a['owner'], due=due)} · {t('memo.status', status=a['status'])}")
    if a["origin"]:
        lines += _indented(t("packet.recorded_in", meeting=a["origin"]))
    if a["kpis"]:
        lines += _indented(t("packet.kpis", names=a["kpis"]))
    if a["progress_note"]:
        lines += _indented(f"{t('action.progress_note')}: {a['progress_note']}")
    return lines


def memo_text(memo: Memo) -> str:
    """The memo as plain text wrapped at 78 columns: headings underlined with '=', items as
    '- ' lines with 'Owner: X · Due: 2026-12-10' under them."""
    def t(key, **params):
        return translate(key, memo.language, **params)
    lines: list[str] = []
    _heading(lines, f"{t('memo.title')}: {memo.title}")
    for label, value in memo.facts:
        lines += textwrap.wrap(f"{label}: {value}", WIDTH, subsequent_indent="  ")
    lines += ["", *textwrap.wrap(t("memo.lede"), WIDTH)]
    _heading(lines, t("memo.decisions"))
    for decision in memo.decisions:
        lines += _bullet(decision)
    lines += [] if memo.decisions else [t("memo.no_decisions")]
    for heading, rows, empty in ((t("memo.actions"), memo.actions, t("memo.no_actions")),
                                 (t("memo.carried"), memo.carried, t("memo.no_carried"))):
        _heading(lines, heading)
        for row in rows:
            lines += _action_lines(row, t) + [""]
        lines += [] if rows else [empty]
    if memo.notes:
        _heading(lines, t("meeting.notes"))
        for paragraph in memo.notes.splitlines():
            lines += textwrap.wrap(paragraph, WIDTH) or [""]
    if lines[-1]:
        lines.append("")
    lines.append(f"CityStat · {memo.city}")
    return "\n".join(line.rstrip() for line in lines) + "\n"
