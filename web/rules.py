"""Access levels attached where endpoints and callbacks are declared, so the guard can
refuse anything that has none."""
from __future__ import annotations

from typing import Callable

import dash

from metrics.access import LEVELS

CALLBACK_RULES = "citystat_callback_access"


def access(level: str) -> Callable:
    """Declare who may call a Flask view: @access("viewer")."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def mark(view):
        view.citystat_access = level
        return view
    return mark


def callback(app: dash.Dash, level: str, *args, **kwargs) -> Callable:
    """`app.callback(...)` that also records who may call it; the guard refuses callbacks
    without a record."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def decorator(function):
        before = set(app.callback_map)
        registered = app.callback(*args, **kwargs)(function)
        rules = app.server.extensions.setdefault(CALLBACK_RULES, {})
        for key in set(app.callback_map) - before:
            rules[key] = level
        return registered
    return decorator
