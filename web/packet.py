"""The briefing packet of a stat meeting (DESIGN §6): cover, agenda, a section per agenda
item with its KPI's chart, values, narrative, commentary, questions and open commitments, and every
open action item of the meeting's departments, in the reader's language.

`assemble` reads everything once into a `Packet` of ready-worded text and chart figures;
`packet_html` lays it out for print (the HTML view, and the PDF through web.packet_pdf),
and web.packet_docx writes the Word file from the same `Packet` and the same chart images.
Values are those of the agenda's date, as the agenda drafted them.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date
from flask import render_template
from markupsafe import Markup

from appdb.models import Meeting
from dashboards.components import STATUS_ICONS, kpi_name, period_text, target_text, value_text
from dashboards.figures import chart_summary, target_vs_actual
from i18n import LOCALES, format_day, format_value, translate
from metrics import catalog, status
from metrics.access import Scope
from metrics.periods import Period
from web.action_items import kpi_movement, list_action_items
from web.commentary import list_commentary
from web.meetings import get_meeting, meeting_dict
from web.narratives import PARTS, as_html, as_plain, current_narrative
from web.packet_charts import FAILED, HEIGHT, WIDTH, ChartRenderer
from web.packet_text import action_row, city_name, css_string, department_names, when_text

CHART_PERIODS, TABLE_PERIODS, COMMENTS, MOVEMENT_PERIODS = 24, 8, 3, 6
KIND_ORDER = ("off_track", "worsening", "stale", "win", "follow_up", "custom")
PRINT_FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"


@dataclass
class Packet:
    """What the packet says, worded in `language`; `figures[i]` is the chart of the section
    whose "chart" is i."""
    language: str
    city: str
    meeting: dict[str, Any]
    when: str
    facts: list[tuple[str, str]]
    counts: list[dict[str, Any]]
    agenda: list[dict[str, Any]]
    total_minutes: int
    sections: list[dict[str, Any]]
    open_actions: list[dict[str, Any]]
    figures: list[Any] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.meeting["title"]


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _clock(start: datetime, minutes: int) -> str:
    return (start + timedelta(minutes=minutes)).strftime("%H:%M")


# -- a KPI's part of a section ------------------------------------------------------------------------
def _evaluation(services, item: dict[str, Any], as_of: date) -> dict[str, Any] | None:
    """The KPI's status row as the agenda drafted it; follow-ups carry none, so read it."""
    if item["values"].get("status"):
        return item["values"]
    rows = status.kpi_statuses(services.warehouse, services.calendar, as_of, kpi_id=item["kpi_id"])
    return rows[0] if rows else None


def _facts(kpi, evaluation, latest_row, language: str, services) -> list[tuple[str, str, str]]:
    """(label, value, note) for status, trend, latest value and target, in words. A KPI
    judged on its year to date shows the latest period's own target beside its value, and
    the year-to-date comparison under it."""
    def value(v):
        return value_text(kpi, v, language, services)

    state = evaluation.get("status") or "no_data"
    stale = translate("status.stale", language) if evaluation.get("stale") else ""
    latest = _day(evaluation.get("latest_period_start"))
    year_to_date = evaluation.get("target_basis") == "fiscal_year_to_date"
    if year_to_date and latest_row is not None:
        target = target_text(kpi, latest_row, language, services)
    elif evaluation.get("compared_low") is not None:
        target = f"{value(evaluation['compared_low'])} – {value(evaluation['compared_high'])}"
    else:
        target = value(evaluation.get("compared_target"))
    share, note = evaluation.get("percent_of_target"), ""
    if share is not None:
        percent = format_value(share, "percent", language)
        note = (translate("kpi.percent_of_ytd_target", language, value=value(evaluation["compared_value"]),
                          target=value(evaluation["compared_target"]), percent=percent)
                if year_to_date else translate("kpi.percent_of_target", language, percent=percent))
    return [
        (translate("kpi.tile_status", language), f"{STATUS_ICONS[state]} {translate('status.' + state, language)}",
         stale),
        (translate("packet.trend", language), translate("trend." + (evaluation.get("trend") or "insufficient"),
                                                         language), ""),
        (translate("kpi.tile_latest", language), value(evaluation.get("latest_value")),
         period_text(kpi, latest, language, services)),
        (translate("kpi.tile_target", language), target, note),
    ]


def _row_of(history: list[dict[str, Any]], start) -> dict[str, Any] | None:
    start = _day(start)
    return next((row for row in reversed(history) if row["period_start"] == start), None)


def _chart_figure(kpi, history, comments, language: str, services):
    said: dict[date, list[str]] = {}
    for comment in comments:
        said.setdefault(comment["period_start"], []).append(comment["text"])
    figure = target_vs_actual(kpi, history, language, services, said)
    figure.update_layout(width=WIDTH, height=HEIGHT, hovermode=False,
                         font={"family": PRINT_FONT, "size": 12}, margin={"l": 64, "r": 16, "t": 36, "b": 44},
                         legend={"font": {"size": 11}})
    return figure


def _kpi_part(services, item, kpi, as_of: date, language: str, figures: list) -> dict[str, Any]:
    calendar = services.calendar
    history = [row for row in catalog.kpi_history(services.warehouse, calendar, kpi["id"])
               if Period(kpi["frequency"], row["period_start"]).end <= as_of][-CHART_PERIODS:]
    comments = list_commentary(services, kpi["id"], kpi=kpi, limit=50)
    evaluation = _evaluation(services, item, as_of) or {}
    figures.append(_chart_figure(kpi, history, comments, language, services))
    return {
        "facts": _facts(kpi, evaluation, _row_of(history, evaluation.get("latest_period_start")), language,
                        services),
        "status": evaluation.get("status") or "no_data",
        "chart": len(figures) - 1,
        "chart_summary": chart_summary(kpi, history, evaluation if evaluation.get("status") else None, None,
                                       language, services),
        "chart_caption": translate("packet.chart_caption", language, count=len(history)),
        "values": [{"period": period_text(kpi, row["period_start"], language, services),
                    "value": value_text(kpi, row["value"], language, services),
                    "target": target_text(kpi, row, language, services)}
                   for row in history[-TABLE_PERIODS:]],
        "commentary": _commentary(kpi, history, comments, language, services),
        "narrative": _narrative(services, kpi, _day(evaluation.get("latest_period_start")) or
                                (history[-1]["period_start"] if history else None), language),
    }


def _narrative(services, kpi, start: date | None, language: str) -> dict[str, Any] | None:
    """The narrative of the KPI's latest period, worded for print: each part as safe HTML
    (the print view) and as plain text (the Word file), or None when there is none."""
    narrative = current_narrative(services, kpi["id"], start, kpi=kpi) if start else None
    if narrative is None:
        return None
    return {"heading": translate("narratives.packet_heading", language,
                                 period=period_text(kpi, start, language, services)),
            "parts": [{"label": translate(f"narratives.part.{part}", language), "html": as_html(narrative[part]),
                       "text": as_plain(narrative[part])} for part in PARTS if narrative[part]],
            "by": translate("narratives.written", language, author=narrative["author_name"],
                            date=format_day(narrative["created_at"].date(), language))}


def _commentary(kpi, history, comments, language: str, services) -> list[dict[str, str]]:
    """The latest comments, then the notes that came with the charted values (the chart
    marks both), newest first."""
    said = [{"text": c["text"], "by": c["author_name"], "period": period_text(kpi, c["period_start"], language,
                                                                             services),
             "day": format_day(c["created_at"].date(), language)} for c in comments[:COMMENTS]]
    notes = [{"text": row["note"], "by": translate("packet.data_note", language),
              "period": period_text(kpi, row["period_start"], language, services), "day": ""}
             for row in reversed(history) if row.get("note")]
    return said + notes[:max(COMMENTS - len(said), 1)]


def _movement(services, kpi_id: str, since: date, language: str) -> dict[str, Any] | None:
    moved = kpi_movement(services, kpi_id, since, before_periods=MOVEMENT_PERIODS)
    if moved is None:
        return None
    kpi = moved["kpi"]

    def cells(rows):
        return [(period_text(kpi, r["period_start"], language, services), value_text(kpi, r["value"], language,
                                                                                   services)) for r in rows]
    return {"kpi": kpi_name(kpi, language), "since_day": format_day(since, language),
            "before": cells(moved["before"]), "since": cells(moved["since"][:MOVEMENT_PERIODS])}


# -- the whole packet ---------------------------------------------------------------------------------------
def _section(services, item, number, start, context, figures) -> dict[str, Any]:
    language, kpis, actions, as_of = context["language"], context["kpis"], context["actions"], context["as_of"]
    kpi = kpis.get(item["kpi_id"]) if item["kpi_id"] else None
    name = kpi_name(kpi, language) if kpi else (item["kpi_name"] or item["title"] or item["kpi_id"] or "")
    section = {"number": number, "kind": item["kind"], "kind_label": translate(f"agenda.kind.{item['kind']}", language),
               "heading": name, "time_box": translate("packet.time_box", language, start=_clock(start, 0),
                                                      end=_clock(start, item["minutes"]), minutes=item["minutes"]),
               "questions": item["questions"], "missing_kpi": bool(item["kpi_id"]) and kpi is None,
               "follow_up": None, "movement": None, "actions": [], "values": []}
    if item["kind"] == "follow_up":
        action = actions.get(item["action_item_id"])
        section["heading"] = item["title"] or name
        if action is not None:
            section["follow_up"] = action_row(action, language, kpis)
            if kpi is not None:
                section["movement"] = _movement(services, kpi["id"], _day(action["meeting_date"]), language)
    if kpi is not None:
        section.update(_kpi_part(services, item, kpi, as_of, language, figures))
        if section["movement"] is not None:   # the values before and since say it for a follow-up
            section["values"] = []
        section["actions"] = [action_row(a, language, kpis) for a in context["open"]
                              if kpi["id"] in a["kpi_ids"] and a["id"] != item["action_item_id"]]
    return section


def _counts(agenda: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """How many items of each kind: {"kind", "n", "label"}; "3 off track" reads n, then label."""
    counts = {kind: sum(1 for item in agenda if item["kind"] == kind) for kind in KIND_ORDER}
    return [{"kind": kind, "n": n, "label": translate(f"packet.count.{kind}.{'one' if n == 1 else 'other'}", language)}
            for kind, n in counts.items() if n]


def assemble(services, scope: Scope, meeting: Meeting, language: str) -> Packet:
    """Everything the packet says about `meeting` (loaded by get_meeting, which checked
    that `scope` may read it), with the action items `scope` may read."""
    shown = meeting_dict(services, meeting, language)
    as_of = meeting.agenda_as_of or meeting.starts_at.date()
    day = meeting.starts_at.date()
    departments = meeting.department_ids
    everything = [a for d in departments
                  for a in list_action_items(services, scope, status=None, department=d, today=day)]
    open_items = sorted((a for a in everything if a["status"] == "open"),
                        key=lambda a: (not a["overdue"], a["due_date"] or "9999-12-31", a["owner_name"].lower(),
                                       a["id"]))
    kpis = {k["id"]: k for k in catalog.kpi_summaries(services.warehouse, services.calendar)}
    context = {"language": language, "kpis": kpis, "as_of": as_of, "open": open_items,
               "actions": {a["id"]: a for a in everything}}
    figures: list = []
    sections, agenda, elapsed = [], [], 0
    for number, item in enumerate(shown["agenda"], start=1):
        start = meeting.starts_at + timedelta(minutes=elapsed)
        section = _section(services, item, number, start, context, figures)
        sections.append(section)
        agenda.append({"number": number, "start": _clock(start, 0), "end": _clock(start, item["minutes"]),
                       "kind_label": section["kind_label"], "name": section["heading"], "minutes": item["minutes"]})
        elapsed += item["minutes"]
    names = department_names(shown)
    facts = [(translate("packet.departments", language), names),
             (translate("packet.when", language), when_text(meeting.starts_at, meeting.duration_minutes, language)),
             (translate("meeting.location", language), meeting.location or "–"),
             (translate("packet.length", language), translate("packet.minutes", language,
                                                              minutes=meeting.duration_minutes)),
             (translate("meeting.attendees", language), meeting.attendees or "–"),
             (translate("packet.as_of", language), format_day(as_of, language))]
    return Packet(language=language, city=city_name(services, language), meeting=shown,
                  when=format_date(day, format="full", locale=LOCALES[language]), facts=facts,
                  counts=_counts(shown["agenda"], language), agenda=agenda, total_minutes=elapsed,
                  sections=sections, open_actions=[action_row(a, language, kpis) for a in open_items],
                  figures=figures)


# -- print HTML ---------------------------------------------------------------------------------------------
def image_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def chart_note(problem: str | None, language: str) -> str:
    """What the packet prints where a chart could not be drawn."""
    return translate("packet.chart_failed" if problem == FAILED else "packet.chart_unavailable", language)


def packet_html(packet: Packet, charts: list[bytes | None], problem: str | None = None, *,
                sources: list[str] | None = None) -> str:
    """The packet as one self-contained print HTML page, charts inline as data: images
    (or at `sources`, addresses only the PDF writer resolves)."""
    language = packet.language
    day = format_day(_day(packet.meeting["date"]), language)
    images = sources if sources is not None else [image_uri(png) if png else None for png in charts]
    return render_template(
        "packet.html", packet=packet, t=lambda key, **params: translate(key, language, **params),
        images=images, chart_note=chart_note(problem, language),
        departments=department_names(packet.meeting),
        prepared=translate("packet.prepared", language, date=format_day(date.today(), language)),
        page_css=Markup(css_string(f"CityStat · {packet.city}")),
        running_css=Markup(css_string(f"{packet.title} · {day}")),
        footer_css=Markup(css_string(translate("packet.title", language))), page_of_css=Markup(page_of(language)))


def page_of(language: str) -> str:
    """'Page N of M' as CSS content, counters in place of the numbers."""
    text = translate("packet.page_of", language, page="\x00P", pages="\x00N")
    return css_string(text).replace("\x00P", '" counter(page) "').replace("\x00N", '" counter(pages) "')


def make_packet(services, scope: Scope, meeting_id, language: str) -> tuple[Packet, list[bytes | None], str | None]:
    """The packet of meeting `meeting_id` with its chart images, and why charts are missing
    if they are. Raises MeetingError (404) before any work when `scope` may not read it.
    The browser starts first, so that it comes up while the data is read."""
    meeting = get_meeting(services, scope, meeting_id)
    with ChartRenderer() as renderer:
        packet = assemble(services, scope, meeting, language)
        charts = renderer.render(packet.figures)
    return packet, charts, renderer.problem
