"""Wording shared by the briefing packet and the commitments memo: action items as rows,
the meeting's when and who, and text made safe for a CSS string."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date

from dashboards.components import kpi_name
from i18n import LOCALES, format_day, translate
from metrics import catalog


def city_name(services, language: str) -> str:
    return catalog.get_meta(services.warehouse, "city_name") or translate("shell.your_city", language)


def department_names(meeting: dict[str, Any]) -> str:
    return ", ".join(d["name"] for d in meeting["departments"])


def when_text(starts_at: datetime, minutes: int, language: str) -> str:
    """'Thursday, November 19, 2026 · 09:00–10:00' in the reader's language."""
    end = starts_at + timedelta(minutes=minutes)
    return (f"{format_date(starts_at.date(), format='full', locale=LOCALES[language])} · "
            f"{starts_at:%H:%M}–{end:%H:%M}")


def kpi_names(kpi_ids: list[str], kpis: dict[str, dict[str, Any]], language: str) -> str:
    return ", ".join(kpi_name(kpis[k], language) if k in kpis else k for k in kpi_ids)


def action_row(action: dict[str, Any], language: str, kpis: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An action item (web.action_items' dict) as the packet and memo print it."""
    due = date.fromisoformat(action["due_date"]) if action["due_date"] else None
    origin = None
    if action.get("meeting_title"):
        origin = f"{action['meeting_title']}, {format_day(date.fromisoformat(action['meeting_date']), language)}"
    return {"id": action["id"], "description": action["description"], "owner": action["owner_name"],
            "due": format_day(due, language) if due else translate("packet.no_due", language),
            "due_iso": action["due_date"] or translate("packet.no_due", language),
            "status": translate(f"action.status.{action['status']}", language), "overdue": action["overdue"],
            "kpis": kpi_names(action["kpi_ids"], kpis, language), "origin": origin,
            "progress_note": action.get("progress_note")}


def css_string(text: str) -> str:
    """`text` as a quoted CSS string that cannot end the string or the <style> element."""
    escaped = "".join(
        "\\" + ch if ch in '"\\' else "\\a " if ch == "\n" else f"\\{ord(ch):x} " if ch in "<>&" else ch
        for ch in text)
    return f'"{escaped}"'
