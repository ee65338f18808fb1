"""Keep Dash's validation layout free of data.

On its first request Dash calls every page's layout and the app layout, as whoever made
that request, and embeds the result ("validation_layout") in the page config it sends to
every later browser, signed in or not. Left alone, that would hand one person's view
(KPI values, their name, their CSRF token) to the next. Only the component ids and types
matter for validating callbacks, so that is all we keep.
"""
from __future__ import annotations

from dash import html
from dash.development.base_component import Component


def ids_only(layout: Component) -> html.Div:
    """A flat Div of empty components carrying the ids (and types) found in `layout`."""
    kept = []
    for component in [layout, *layout._traverse()]:
        component_id = getattr(component, "id", None)
        if component_id is None:
            continue
        try:
            kept.append(type(component)(id=component_id))
        except TypeError:   # a component type that insists on more props
            kept.append(html.Div(id=component_id))
    return html.Div(kept)


def init_validation_scrub(server, dash_app) -> None:
    # Registered after Dash's own hooks, so it runs right after Dash builds the layout.
    @server.before_request
    def _scrub_validation_layout():
        layout = dash_app.validation_layout
        if layout is not None and not getattr(dash_app, "_citystat_scrubbed", False):
            dash_app.validation_layout = ids_only(layout)
            dash_app._citystat_scrubbed = True
