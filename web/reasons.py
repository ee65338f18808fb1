"""Saying why something was refused in the reader's language.

metrics/ gives its refusals as Reasons (metrics.reasons): English sentences that carry a
stable code and the values they quote. The web layer's own refusals that travel inside
the same errors (a profile that is not JSON, a load that is not yours) are Reasons too,
made here. Either is said through the message key "reason.<code>"; text that is not a
Reason (a library's words, a SQL checker's) is passed on as it is.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from i18n import catalogue, month_name, translate
from metrics.reasons import Reason, reason_of

__all__ = ["Reason", "reason_of", "web_reason", "say", "say_all", "said_rows", "Refusal"]


def _template(code: str, language: str) -> str | None:
    key = "reason." + code
    return catalogue(language).get(key) or catalogue("en").get(key)


def web_reason(code: str, **params: Any) -> Reason:
    """A refusal of the web layer, worded in English by the catalogue's "reason.<code>"."""
    template = _template(code, "en")
    if template is None:
        raise KeyError(f"no message reason.{code}")
    return Reason.worded(code, template.format(**params), **params)


def say(text: Any, language: str) -> str:
    """`text` in `language`: a Reason through its code (its params said too), anything else
    as it is. Falls back to the English sentence rather than fail."""
    if not isinstance(text, Reason):
        return str(text)
    template = _template(text.code, language)
    if template is None:
        return str(text)
    params = {name: say(value, language) if isinstance(value, Reason) else value
              for name, value in text.params.items()}
    if isinstance(params.get("month"), int) and "month_name" in params and 1 <= params["month"] <= 12:
        params["month_name"] = month_name(params["month"], language)   # "February" -> "febrero"
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return str(text)


def say_all(items: Iterable[Any], language: str) -> list[str]:
    return [say(item, language) for item in items]


def said_rows(rows: Iterable[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Rejected rows or cells ({"line", "column", ..., "reason"}) with the reason in `language`."""
    return [{**row, "reason": say(row.get("reason"), language)} for row in rows]


class Refusal(ValueError):
    """A write the catalogue refused: `key` translates into the reason, `problems` say what
    to fix (Reasons or text). Subclasses map each key to its HTTP status in STATUSES (400
    when not named). Raised once audited, with nothing written."""

    STATUSES: Mapping[str, int] = {}

    def __init__(self, key: str, problems: Iterable[Any] | None = None, **params):
        self.key, self.problems, self.params = key, list(problems or []), params
        super().__init__(translate(key, "en", **params) + self._english_problems())

    def _english_problems(self) -> str:
        return ": " + " ".join(map(str, self.problems)) if self.problems else ""

    @property
    def status(self) -> int:
        return self.STATUSES.get(self.key, 400)

    def message(self, language: str) -> str:
        return translate(self.key, language, **self.params)

    def problem_texts(self, language: str) -> list[str]:
        """The problems in `language` (words from outside, such as a SQL checker's, stay as they are)."""
        return say_all(self.problems, language)
