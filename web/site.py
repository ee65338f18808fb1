"""Plain Flask routes around the Dash pages: choosing the language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request

from i18n import COOKIE, LANGUAGES

site = Blueprint("site", __name__)


def same_origin_path(target: str | None, fallback: str = "/") -> str:
    """`target` reduced to a path on this site; anything pointing elsewhere becomes `fallback`."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        return fallback
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return fallback
    return path + (f"?{parts.query}" if parts.query else "")


@site.get("/lang/<code>")
def choose_language(code: str):
    """Remember the language in a cookie and go back to the page the person was on."""
    if code not in LANGUAGES:
        abort(404)
    response = redirect(same_origin_path(request.args.get("next") or request.referrer))
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response
