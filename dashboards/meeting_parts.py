"""What the stat meeting pages share: form fields with their own message line, messages,
checks on values the browser sends, and how a meeting's day, departments and status read."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from babel.dates import format_skeleton, format_time
from dash import html
from dash.exceptions import PreventUpdate

from i18n import LOCALES, localized, translate
from metrics import catalog
from web.dash_safety import ids_only


# -- values from the browser: anything may arrive ----------------------------------------------------
def clicked(value) -> bool:
    """True for a real click count (a whole number of at least one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def text_of(value, limit: int = 20000) -> str:
    """A text field's value ('' when empty); anything but text of a sane length is refused."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise PreventUpdate
    return value


def meeting_number(value) -> int:
    """A meeting id kept in the page: a positive whole number, else no update."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise PreventUpdate
    return value


# -- pieces ------------------------------------------------------------------------------------------
def field(label: str, control, *, hint: str | None = None, error_id: str | None = None,
          wide: bool = False) -> html.Div:
    """A labelled control, an optional hint, and a line for what is wrong with it."""
    parts = [html.Label(label, htmlFor=control.id), control]
    if hint:
        parts.append(html.Span(hint, className="muted small"))
    if error_id:
        parts.append(html.Div(id=error_id, className="field-error", **{"aria-live": "polite"}))
    return html.Div(parts, className="field wide" if wide else "field")


def message(text: str, ok: bool) -> html.Div:
    if ok:
        return html.Div(text, className="form-ok", role="status")
    return html.Div(text, className="form-error", role="alert")


def note(text: str) -> html.Div:
    """A reminder, not a result: e.g. that edits are not saved yet."""
    return html.Div(["✎ ", text], className="form-note", role="status")


def field_error(text: str) -> html.Span:
    return html.Span(["⚠ ", text], role="alert")


def placeholders(component) -> html.Div:
    """The ids of `component`, empty and hidden: what a page keeps of a form this person
    may not use, so that Dash finds every id its callbacks name (whoever loaded it first)."""
    return html.Div(ids_only(component).children, hidden=True)


def department_names(services, language: str) -> dict[str, str]:
    return {d["id"]: localized(d, "name", language) or d["id"] for d in catalog.list_departments(services.warehouse)}


def department_options(services, language: str, only: list[str] | None = None) -> list[dict[str, str]]:
    names = department_names(services, language)
    chosen = [d for d in only if d in names] if only is not None else list(names)
    return sorted(({"label": names[d], "value": d} for d in chosen), key=lambda option: option["label"])


def when_text(day: str | date, at: str | time | None, language: str) -> str:
    """'Thu, Nov 19, 2026 · 9:00 AM' in the reader's language."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    text = format_skeleton("yMMMEd", day, locale=LOCALES[language])
    if at is None:
        return text
    at = time.fromisoformat(at) if isinstance(at, str) else at
    return f"{text} · {format_time(datetime.combine(day, at), 'short', locale=LOCALES[language])}"


def meeting_status(status: str, language: str) -> html.Span:
    """Planned or held, in words (the tint is a second cue only)."""
    icon = "✔" if status == "held" else "◷"
    return html.Span([html.Span(icon, className="status-icon", **{"aria-hidden": "true"}),
                      translate(f"meeting.status.{status}", language)],
                     className=f"meeting-status meeting-status-{status}")


def minutes_text(minutes: int, language: str) -> str:
    return translate("meeting_page.minutes", language, minutes=minutes)


def join_names(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values if v) or "–"
