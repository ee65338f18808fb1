"""Conditional GET for the API's read routes (issue #8): a strong ETag over the body and a
Last-Modified from when the warehouse last changed, so programs that poll the API get
`304 Not Modified` instead of the same numbers again; and a small memo of recent answers,
so many callers asking the same question while nothing changed cost one evaluation."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime, time, timezone
from functools import wraps
from typing import Callable, Hashable

from flask import Response, make_response, request

from web.auth import current_scope
from web.services import current_services

_NEVER = datetime(2000, 1, 1, tzinfo=timezone.utc)
MEMO_ENTRIES = 64
MEMO_LARGEST = 4 * 1024 * 1024   # bytes; bigger answers are not kept
_KEPT = ("Content-Type", "Content-Disposition", "Link", "X-Total-Count", "ETag", "Last-Modified")


class AnswerMemo:
    """Least-recently-used answers (body, content type, headers), kept per app."""

    def __init__(self, entries: int = MEMO_ENTRIES):
        self._entries = entries
        self._answers: OrderedDict[Hashable, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: Hashable, answer: tuple) -> None:
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self._entries:
                self._answers.popitem(last=False)


def _memo_key(view: Callable, kwargs: dict) -> Hashable:
    """Everything that changes a read answer: the route and its arguments, the query, who
    asks (anonymous callers see published data only), the warehouse's write count (it moves
    with every commit), and the day (freshness and status move with the date). The language
    only words errors, which are never kept."""
    services = current_services()
    return (view.__module__, view.__name__, tuple(sorted(kwargs.items())),
            tuple(sorted(request.args.items(multi=True))), current_scope().published_only,
            services.warehouse.generation, date.today())


def last_modified(as_of_given: bool) -> datetime:
    """When this answer last changed: the warehouse's last write, and, when the answer is
    as of today, today's start (freshness and status move with the date)."""
    changed = current_services().warehouse.changed_at() or _NEVER
    if not as_of_given:
        changed = max(changed, datetime.combine(date.today(), time(), tzinfo=timezone.utc))
    return changed.replace(microsecond=0)


def conditional(view: Callable) -> Callable:
    """Wrap a GET view: 200 answers get ETag, Last-Modified, Cache-Control and Vary, and
    a request whose If-None-Match / If-Modified-Since still holds gets 304. Only for views
    whose answer depends on the caller through `published_only` alone (see _memo_key)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        memo = current_services().answers
        key = _memo_key(view, kwargs)
        kept = memo.get(key)
        if kept is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or request.method not in ("GET", "HEAD"):
                return response
            response.last_modified = last_modified("as_of" in request.args)
            response.add_etag()
            kept = (response.get_data(), {name: value for name, value in response.headers.items() if name in _KEPT})
            if len(kept[0]) <= MEMO_LARGEST:
                memo.put(key, kept)
        else:
            response = Response(kept[0])
            response.headers.update(kept[1])
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
