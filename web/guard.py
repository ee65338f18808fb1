"""One server-side guard for every request: pages, Dash's `/_dash-*` routes and /api/v1.

Every endpoint and every Dash callback carries an access level (metrics.access.LEVELS);
anything without one is refused, so a new route or callback cannot slip through
unguarded. Page access is checked when Dash's router renders a page, because that
callback, not the HTML shell, is what carries the page's content.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import dash
import plotly.utils
from dash import dcc, html
from flask import Response, current_app, g, jsonify, redirect, request, url_for

from i18n import current_language, translate
from web import audit
from web.auth import current_scope, preferred_language
from web.rules import CALLBACK_RULES
from web.services import current_services

ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# Dash's own endpoints. Page URLs serve the same empty shell; their content comes through
# the router callback, which is checked per page.
DASH_ENDPOINTS = {
    "_dash_assets.static": "public",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": "public",
    "/_favicon.ico": "public",
    "/_reload-hash": "viewer",
    "/_dash-layout": "viewer",
    "/_dash-dependencies": "viewer",
    "/_dash-update-component": "callback",
    "/": "page",
    "/<path:path>": "page",
}


def endpoint_level(server, endpoint: str | None) -> str | None:
    if endpoint is None:
        return None
    if endpoint in DASH_ENDPOINTS:
        return DASH_ENDPOINTS[endpoint]
    view = server.view_functions.get(endpoint)
    return getattr(view, "citystat_access", None)


def page_for(pathname: str) -> dict | None:
    """The registered page serving `pathname` (None: no page there)."""
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template:
            pattern = "^" + re.sub(r"<[^>/]+>", "[^/]+", template) + "/?$"
            if re.match(pattern, pathname):
                return page
        elif pathname.rstrip("/") == page["path"].rstrip("/") or pathname == page["path"]:
            return page
    return None


def page_level(pathname: str) -> str | None:
    page = page_for(pathname)
    if page is None:   # Dash shows its not-found page, which every signed-in person may see
        page = next((p for p in dash.page_registry.values() if p["module"].endswith("not_found_404")), None)
    return page.get("access") if page else None


# -- answers ------------------------------------------------------------------------------------------
def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/_dash-"))


def _unauthenticated():
    if _wants_json():
        response = jsonify({"error": translate("guard.sign_in", g.language_for_errors), "details": []})
        response.status_code = 401
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _forbidden(why: str, target: str, level: str | None = None):
    """403: the audit log keeps the reason in English, the caller reads it in their language."""
    language = g.language_for_errors
    reason = translate(f"guard.why.{why}", "en", level=level or "")
    audit.record(current_services(), "access", "denied", target=target[:255], details={"reason": reason})
    role = translate(f"role.{level}", language) if level else ""
    response = jsonify({"error": translate("guard.forbidden", language),
                        "details": [translate(f"guard.why.{why}", language, level=role)]})
    response.status_code = 403
    return response


def forbidden_page(pathname: str):
    """The router's answer for a page this person may not open: a page that says so."""
    language = g.language_for_errors
    layout = html.Div([
        html.H1(translate("guard.forbidden_title", language)),
        html.P(translate("guard.forbidden_body", language)),
        dcc.Link(translate("kpi.back_to_overview", language), href="/"),
    ], className="page-head")
    audit.record(current_services(), "access", "denied", target=pathname[:255], details={"reason": "page"})
    body = {"multi": True, "response": {
        "_pages_content": {"children": layout},
        "_pages_store": {"data": {"title": translate("guard.forbidden_title", language)}}}}
    return Response(json.dumps(body, cls=plotly.utils.PlotlyJSONEncoder), mimetype="application/json")


def _same_origin() -> bool:
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return False
    parts = urlsplit(source)
    return parts.netloc == request.host and parts.scheme in ("http", "https")


# -- the guard ------------------------------------------------------------------------------------------
def guard_request():
    g.user_language = preferred_language()
    g.language_for_errors = current_language()
    scope = current_scope()
    level = endpoint_level(current_app, request.endpoint)
    if level is None:
        if request.endpoint is None:
            return None   # Flask answers 404 / 405 itself
        return _forbidden("no_rule", request.path)

    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    if request.method not in SAFE_METHODS and not bearer and level != "public" and not _same_origin():
        return _forbidden("cross_site", request.path)

    if level == "page":
        return None if scope.authenticated else _unauthenticated()
    if level == "callback":
        return _guard_callback(scope)
    if scope.allows(level):
        return None
    return _unauthenticated() if not scope.authenticated else _forbidden("needs", request.path, level)


def _guard_callback(scope):
    if not scope.authenticated:
        return _unauthenticated()
    body = request.get_json(silent=True) or {}
    output = body.get("output")
    if output == ROUTER_OUTPUT:
        pathname = next((i.get("value") for i in body.get("inputs", [])
                         if isinstance(i, dict) and i.get("property") == "pathname"), None)
        if not isinstance(pathname, str):
            return _forbidden("no_page", "router")
        level = page_level(urlsplit(pathname).path)
        if level is None:
            return _forbidden("page_no_rule", pathname)
        return None if scope.allows(level) else forbidden_page(pathname)
    level = current_app.extensions.get(CALLBACK_RULES, {}).get(output) if isinstance(output, str) else None
    if level is None:
        return _forbidden("callback_no_rule", str(output)[:200])
    if not scope.allows(level):
        return _forbidden("callback_needs", output, level)
    return _malformed_callback(body, output)


def _malformed_callback(body: dict, output: str):
    """400 for a callback request whose inputs or state do not match the callback's own
    (Dash would fail on it with a 500): only crafted requests look like that."""
    spec = current_app.extensions["dash"].callback_map.get(output, {})
    for part in ("inputs", "state"):
        given, wanted = body.get(part, []), spec.get(part, [])
        if not isinstance(given, list) or len(given) != len(wanted) or \
                not all(isinstance(item, (dict, list)) for item in given):
            response = jsonify({"error": translate("guard.bad_callback", g.language_for_errors), "details": [part]})
            response.status_code = 400
            return response
    return None


# A response that other sites may frame carries the allowed sources here (see allow_framing).
FRAME_ANCESTORS = "citystat_frame_ancestors"


def allow_framing(response, sources: str):
    """Let the sites in `sources` (a checked CSP source list, config.CITYSTAT_EMBED_ORIGINS)
    frame this one response. Only the embeddable chart view (web.public) calls this."""
    setattr(response, FRAME_ANCESTORS, sources)
    return response


def security_headers(response):
    """Headers every answer carries. Dash's inline scripts are allowed by their hashes.
    Nothing may be framed (frame-ancestors 'none' and X-Frame-Options DENY) except a
    response marked by allow_framing, which gets its own frame-ancestors and no
    X-Frame-Options (that header cannot name several sites, and CSP supersedes it)."""
    dash_app = current_app.extensions.get("dash")
    hashes = " ".join(dash_app.csp_hashes()) if dash_app else ""
    framed_by = getattr(response, FRAME_ANCESTORS, None)
    ancestors = framed_by or "'none'"
    response.headers.setdefault("Content-Security-Policy", (
        "default-src 'self'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        f"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if framed_by is None:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_guard(server) -> None:
    server.before_request(guard_request)
    server.after_request(security_headers)
