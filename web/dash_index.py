"""The HTML page Dash serves for every internal address, in the reader's language: its
<html> element says which (screen readers choose their voice by it, WCAG 3.1.1), and the
text shown while the page loads is in that language too."""
from __future__ import annotations

import html

import dash

from i18n import current_language, translate


class CityStatDash(dash.Dash):
    """Dash, with `lang` on the index page for the request's language. A language change
    reloads the page (/lang/<code>), so the attribute never goes stale."""

    def interpolate_index(self, **kwargs) -> str:
        language = current_language()
        page = super().interpolate_index(**kwargs)
        page = page.replace("<html>", f'<html lang="{html.escape(language)}">', 1)
        page = page.replace("Loading...", html.escape(translate("shell.loading", language)), 1)
        # Dash wraps its scripts in a <footer>: a second footer landmark beside the shell's own.
        return page.replace("<footer>", "<div>", 1).replace("</footer>", "</div>", 1)
