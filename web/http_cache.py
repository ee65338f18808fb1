"""Conditional GET for the API's read routes (issue #8): a strong ETag over the body and a
Last-Modified from when the warehouse last changed, so programs that poll the API get
`304 Not Modified` instead of the same numbers again."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from functools import wraps
from typing import Callable

from flask import make_response, request

from web.auth import current_scope
from web.services import current_services

_NEVER = datetime(2000, 1, 1, tzinfo=timezone.utc)


def last_modified(as_of_given: bool) -> datetime:
    """When this answer last changed: the warehouse's last write, and, when the answer is
    as of today, today's start (freshness and status move with the date)."""
    changed = current_services().warehouse.changed_at() or _NEVER
    if not as_of_given:
        changed = max(changed, datetime.combine(date.today(), time(), tzinfo=timezone.utc))
    return changed.replace(microsecond=0)


def conditional(view: Callable) -> Callable:
    """Wrap a GET view: 200 answers get ETag, Last-Modified, Cache-Control and Vary, and
    a request whose If-None-Match / If-Modified-Since still holds gets 304."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        if response.status_code != 200 or request.method not in ("GET", "HEAD"):
            return response
        response.last_modified = last_modified("as_of" in request.args)
        response.add_etag()
        # Who asks changes the answer (anonymous callers see published data only) and the
        # language changes error texts: shared caches must keep them apart.
        response.cache_control.no_cache = True
        if current_scope().authenticated:
            response.cache_control.private = True
        else:
            response.cache_control.public = True
        response.vary.update(("Cookie", "Authorization", "Accept-Language"))
        return response.make_conditional(request)
    return wrapped
