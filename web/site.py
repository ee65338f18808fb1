"""Plain Flask routes around the Dash pages: choosing the language."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, request

from i18n import COOKIE, LANGUAGES
from web.auth import remember_language
from web.rules import access
from web.urls import same_origin_path

site = Blueprint("site", __name__)


@site.get("/lang/<code>")
@access("public")
def choose_language(code: str):
    """Remember the language (cookie, and the person's preference when signed in) and go
    back to the page the person was on."""
    if code not in LANGUAGES:
        abort(404)
    remember_language(code)
    response = redirect(same_origin_path(request.args.get("next") or request.referrer))
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response
