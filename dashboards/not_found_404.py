"""Shown for any address that is not a page: says so and offers the way back."""
from __future__ import annotations

import dash
from dash import dcc, html

from i18n import _


def _title() -> str:
    return f"{_('not_found.title')} · CityStat"


dash.register_page(__name__, path="/404", title=_title, access="viewer")


def layout(**_query):
    return html.Div([
        html.H1(_("not_found.title")),
        html.P(_("not_found.body")),
        dcc.Link(_("kpi.back_to_overview"), href="/"),
    ], className="page-head")
