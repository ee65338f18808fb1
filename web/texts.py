"""Checking what people type into meetings and action items: plain text of a bounded
length, days in ISO form. A refusal is a MeetingError that words itself in any language."""
from __future__ import annotations

import re
from datetime import date

from i18n import translate

# Plain text may hold line breaks and tabs, never other control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MeetingError(ValueError):
    """A meeting or action-item change that cannot be made; nothing was written."""

    def __init__(self, key: str, *, status: int = 400, **params):
        self.key, self.status, self.params = key, status, params
        super().__init__(self.message("en"))

    def message(self, language: str) -> str:
        params = dict(self.params)
        if "field" in params:   # the name of what was typed, itself a message key
            params["field"] = translate(params["field"], language)
        return translate(self.key, language, **params)


def clean_text(value, field: str, limit: int, *, required: bool = False) -> str | None:
    """`value` stripped; None when empty and not `required`. `field` is the message key
    naming what was typed (e.g. "meeting.title")."""
    if value is not None and not isinstance(value, str):
        raise MeetingError("text.not_text", field=field)
    text = (value or "").strip()
    if not text:
        if required:
            raise MeetingError("text.required", field=field)
        return None
    if len(text) > limit:
        raise MeetingError("text.too_long", field=field, limit=limit, length=len(text))
    if _CONTROL.search(text):
        raise MeetingError("text.control", field=field)
    return text


def parse_day(value, key: str) -> date:
    """An ISO day (YYYY-MM-DD), or MeetingError(`key`)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise MeetingError(key, value=str(value)[:20])
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise MeetingError(key, value=value.strip()) from None
