"""The public site: server-rendered pages for residents, council and press, and the one view
other sites may frame (the embeddable chart). Plain Flask and Jinja, no Dash: the pages are
fast, readable without JavaScript except for the chart, and anonymous visitors never reach a
Dash callback.

Every route shows published data only, even to a signed-in person: these pages are the
city's public face. An id that is unknown, unpublished or malformed gets the same 404 page.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import quote

import plotly
from flask import Blueprint, make_response, render_template, request, send_file, send_from_directory

from i18n import LANGUAGES, current_language, format_day, translate
from web.auth import current_scope
from web.guard import allow_framing
from web.public_kpi import chart, embed_snippet, headline, methodology, narrative_views, published_kpi, value_rows
from web.public_views import (city_name, department_options, descendants, goal_cards, goal_options, goal_view,
                              kpi_rows, plausible_id, published_goals, published_kpis, status_totals)
from web.rules import access
from web.services import current_services

public = Blueprint("public", __name__)   # no static folder: every route needs an access rule

STATIC = Path(__file__).parent / "static" / "public"
STATIC_FILES = frozenset({"public.css", "public_charts.js", "favicon.svg"})   # nothing else is served from there
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ASSET_MAX_AGE = 365 * 24 * 3600    # asset URLs carry a version, so a change is a new URL
FILTER_ECHO = 80                   # characters of a bad filter value repeated in the message


# -- rendering -------------------------------------------------------------------------------------
def _asset(name: str) -> str:
    if name == "plotly.min.js":
        return f"/public/static/plotly.min.js?v={plotly.__version__}"
    return f"/public/static/{name}?v={(STATIC / name).stat().st_mtime_ns:x}"


def _language_links(language: str, back_to: str) -> list[dict[str, str | bool]]:
    return [{"code": code, "label": label, "current": code == language,
             "href": f"/lang/{code}?next={quote(back_to, safe='/')}"} for code, label in LANGUAGES.items()]


def _here() -> str:
    return request.full_path.rstrip("?")


def _render(template: str, language: str, *, status: int = 200, back_to: str | None = None, **context):
    """A public page in `language`. Caches must ask again each time (with its ETag, so an
    unchanged page costs a 304): a KPI the city withdraws disappears at once, not after a
    cache's minute. Kept privately when someone is signed in."""
    services = current_services()
    body = render_template(
        template, language=language, t=lambda key, **params: translate(key, language, **params),
        city=city_name(services, language), languages=_language_links(language, back_to or _here()),
        asset=_asset, **context)
    response = make_response(body, status)
    visibility = "private" if current_scope().authenticated else "public"
    response.headers["Cache-Control"] = f"{visibility}, no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    if status != 200:
        return response
    response.add_etag()
    return response.make_conditional(request)


def _not_found(language: str):
    """One page for every id that names nothing published: it repeats nothing of the
    request, so an unpublished id cannot be told from a made-up one."""
    return _render("public_not_found.html", language, status=404, back_to="/public")


def _today() -> date:
    return date.today()


# -- pages -----------------------------------------------------------------------------------------
@public.get("/public", strict_slashes=False)
@access("public")
def home():
    """Published goals with their roll-up, and the published KPIs, filtered by department and goal."""
    language, services, today = current_language(), current_services(), _today()
    rows = published_kpis(services, today)
    goals = published_goals(services, today, rows)
    departments = department_options(services, language)
    goal_choices = goal_options(goals, language)
    chosen = {"department": request.args.get("department", "").strip(), "goal": request.args.get("goal", "").strip()}
    problems, shown = [], rows
    if chosen["department"]:
        if chosen["department"] in {d["id"] for d in departments}:
            shown = [row for row in shown if row["department_id"] == chosen["department"]]
        else:
            problems.append(translate("public.unknown_department", language, value=chosen["department"][:FILTER_ECHO]))
            chosen["department"] = ""
    if chosen["goal"]:
        if chosen["goal"] in {g["id"] for g in goal_choices}:
            wanted = descendants(chosen["goal"], goals)
            shown = [row for row in shown if row["goal_id"] in wanted]
        else:
            problems.append(translate("public.unknown_goal", language, value=chosen["goal"][:FILTER_ECHO]))
            chosen["goal"] = ""
    return _render("public_home.html", language, status=400 if problems else 200,
                   as_of=format_day(today, language), totals=status_totals(rows, language), kpi_total=len(rows),
                   goals=goal_cards(goals, language), departments=departments, goal_choices=goal_choices,
                   chosen=chosen, filtered=bool(chosen["department"] or chosen["goal"]), problems=problems,
                   kpis=kpi_rows(shown, language, services))


@public.get("/public/goals/<goal_id>")
@access("public")
def goal_page(goal_id: str):
    """One published goal: what it sets out to do, its roll-up over its published KPIs, its
    published sub-goals and KPIs."""
    language, services, today = current_language(), current_services(), _today()
    if not plausible_id(goal_id):
        return _not_found(language)
    rows = published_kpis(services, today)
    goals = published_goals(services, today, rows)
    by_id = {goal["id"]: goal for goal in goals}
    if goal_id not in by_id:
        return _not_found(language)
    goal = goal_view(by_id[goal_id], language)
    parent = goal_view(by_id[goal["parent_id"]], language) if goal["parent_id"] in by_id else None
    wanted = descendants(goal_id, goals)
    return _render("public_goal.html", language, goal=goal, parent=parent, as_of=format_day(today, language),
                   subgoals=[goal_view(g, language) for g in goals if g["parent_id"] == goal_id],
                   kpis=kpi_rows([row for row in rows if row["goal_id"] in wanted], language, services))


@public.get("/public/kpis/<kpi_id>")
@access("public")
def kpi_page(kpi_id: str):
    """One published KPI: headline, chart, values table, methodology, downloads, embed code."""
    language, services, today = current_language(), current_services(), _today()
    row = published_kpi(services, kpi_id, today)
    if row is None:
        return _not_found(language)
    drawn = chart(row, language, services, today)
    top = headline(row, drawn["forecast"], language, services)
    embed_url = f"{request.url_root.rstrip('/')}/embed/kpis/{quote(row['id'], safe='')}"
    if language != "en":
        embed_url += f"?lang={language}"
    return _render("public_kpi.html", language, kpi=top, kpi_id=row["id"], quoted_id=quote(row["id"], safe=""),
                   chart=drawn, values=value_rows(row, drawn["history"], language, services),
                   methodology=methodology(row, language, services), as_of=format_day(today, language),
                   snippet=embed_snippet(embed_url, top["name"]), narratives=narrative_views(row, language, services))


@public.get("/embed/kpis/<kpi_id>")
@access("public")
def embed_kpi(kpi_id: str):
    """The chart alone, for an iframe on another site: the only response that may be framed
    (by the sites in CITYSTAT_EMBED_ORIGINS). `?lang=es` picks the language, since a
    framed page gets no cookie of ours."""
    services = current_services()
    asked = request.args.get("lang")
    language = asked if asked in LANGUAGES else current_language()
    today = _today()
    row = published_kpi(services, kpi_id, today)
    if row is None:
        response = _not_found(language)
    else:
        drawn = chart(row, language, services, today, embed=True)
        response = _render("public_embed.html", language, kpi=headline(row, drawn["forecast"], language, services),
                           chart=drawn, quoted_id=quote(row["id"], safe=""))
    return allow_framing(response, services.config.embed_origins)


@public.get("/public/<path:_rest>")
@public.get("/embed/<path:_rest>")
@access("public")
def nothing_here(_rest: str):
    """Any other address under the public site: the public 404, not a sign-in page."""
    return _not_found(current_language())


# -- files: plotly.js from the installed plotly package, and the site's own CSS and JS ---------------
@public.get("/public/static/plotly.min.js")
@access("public")
def plotly_js():
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=ASSET_MAX_AGE)


@public.get("/public/static/<name>")
@access("public")
def static_file(name: str):
    if name not in STATIC_FILES:
        return _not_found(current_language())
    return send_from_directory(STATIC, name, max_age=ASSET_MAX_AGE)
