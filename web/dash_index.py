"""The HTML page Dash serves for every internal address, in the reader's language: its
<html> element says which (screen readers choose their voice by it, WCAG 3.1.1)."""
from __future__ import annotations

import html

import dash

from i18n import current_language


class CityStatDash(dash.Dash):
    """Dash, with `lang` on the index page for the request's language. A language change
    reloads the page (/lang/<code>), so the attribute never goes stale."""

    def interpolate_index(self, **kwargs) -> str:
        page = super().interpolate_index(**kwargs)
        return page.replace("<html>", f'<html lang="{html.escape(current_language())}">', 1)
