"""The frame around every page: skip link, header with the city, navigation and the
language switcher, the page itself, and the footer. Built per request, in its language."""
from __future__ import annotations

import json
from datetime import date

import dash
from dash import dcc, html
from flask import has_request_context

from i18n import LANGUAGES, current_language, format_number, month_name, translate
from metrics import catalog, due, status
from web.auth import csrf_token, current_account
from web.services import Services, current_services


def _language_switcher(language: str) -> html.Nav:
    links = []
    for code, label in LANGUAGES.items():
        current = code == language
        links.append(html.A(label, href=f"/lang/{code}", lang=code, hrefLang=code,
                            className="lang-link current" if current else "lang-link",
                            **({"aria-current": "true"} if current else {})))
    return html.Nav(links, className="lang-switch", **{"aria-label": translate("shell.language", language)})


def shell() -> html.Div:
    """The app layout. Dash also calls it once outside any request, when the layout is
    assigned, to check its structure: then it is built without the city's data."""
    if not has_request_context():
        return _frame("en", "CityStat", 1, None, 0)
    services = current_services()
    language = current_language()
    city = catalog.get_meta(services.warehouse, "city_name") or translate("shell.your_city", language)
    account = current_account()
    overdue = overdue_for(services, account, date.today()) if account is not None else 0
    return _frame(language, city, services.calendar.start_month, account, overdue)


def _user_menu(account, language: str):
    if account is None:
        return None
    return html.Div([
        html.Span([account.display_name, " · ",
                   html.Span(translate(f"role.{account.role}", language), className="role")]),
        html.Form([
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token()),
            html.Button(translate("shell.sign_out", language), type="submit", className="link-button"),
        ], method="POST", action="/logout"),
    ], className="user-menu")


def overdue_for(services: Services, account, today: date) -> int:
    """How many KPIs of `account`'s departments owe an overdue value (analysts: their own
    departments; everyone else: all). Built into every page's header, so kept per write of the
    warehouse, day and departments: one status query (~25 ms on the demo city) per change, not
    per page."""
    departments = frozenset(account.departments) if account.role == "analyst" else None
    key = (services.warehouse.generation, today, departments)
    kept = services.overdue_counts.get(key)
    if kept is None:
        rows = status.kpi_statuses(services.warehouse, services.calendar, today)
        kept = (due.overdue_count(rows, services.calendar, today, departments),)
        services.overdue_counts.put(key, kept)
    return kept[0]


def _due_link(language: str, overdue: int) -> dcc.Link:
    """"What is due", with a badge counting overdue KPIs when there are any; the badge's
    number is read out in words ("3 overdue"), never left as a bare number."""
    label = translate("nav.due", language)
    if not overdue:
        return dcc.Link(label, href="/due", className="nav-link")
    count = format_number(overdue, language)
    in_words = translate("shell.due_overdue", language, count=count)
    return dcc.Link([label, html.Span(count, className="nav-count", **{"aria-hidden": "true"}),
                     html.Span(", " + in_words, className="visually-hidden")],   # "What is due, 3 overdue"
                    href="/due", className="nav-link", title=in_words)


def _nav(account, language: str, overdue: int = 0) -> html.Nav:
    links = [dcc.Link(translate("nav.overview", language), href="/", className="nav-link")]
    if account is not None:
        links += [_due_link(language, overdue),
                  dcc.Link(translate("nav.meetings", language), href="/meetings", className="nav-link"),
                  dcc.Link(translate("nav.action_items", language), href="/action-items", className="nav-link")]
    if account is not None and account.role in ("analyst", "manager", "admin"):
        links += [dcc.Link(translate("nav.data_entry", language), href="/entry", className="nav-link"),
                  dcc.Link(translate("nav.imports", language), href="/imports", className="nav-link"),
                  dcc.Link(translate("nav.datasets", language), href="/datasets", className="nav-link")]
    if account is not None:
        links.append(dcc.Link(translate("nav.import_history", language), href="/imports/history",
                              className="nav-link"))
    if account is not None and account.role in ("manager", "admin"):
        links += [dcc.Link(translate("nav.goals_manage", language), href="/goals/manage", className="nav-link"),
                  dcc.Link(translate("nav.publishing", language), href="/publishing", className="nav-link")]
    if account is not None and account.role == "admin":
        links += [dcc.Link(translate("nav.users", language), href="/admin/users", className="nav-link"),
                  dcc.Link(translate("nav.audit", language), href="/admin/audit", className="nav-link")]
    return html.Nav(links, className="site-nav", **{"aria-label": translate("shell.main_navigation", language)})


def _frame(language: str, city: str, fiscal_start_month: int, account, overdue: int) -> html.Div:
    return html.Div([
        html.A(translate("shell.skip_to_content", language), href="#main", className="skip-link"),
        html.Header([
            html.A([html.Span("CityStat", className="brand-mark"),
                    html.Span(city, className="brand-city")], href="/", className="brand"),
            # The links come last, on a row of their own (assets/citystat.css): in the order
            # they are seen, so that Tab follows the eye.
            _language_switcher(language),
            _user_menu(account, language),
            _nav(account, language, overdue),
        ], className="site-header"),
        html.Main(dash.page_container, id="main", className="page", tabIndex="-1"),
        html.Footer([
            html.Span(translate("shell.footer", language, month=month_name(fiscal_start_month, language))),
        ], className="site-footer"),
    ], className="app", lang=language, **{"data-component-labels": _component_labels(language)})


# What Dash's date pickers and number inputs say by themselves, in English, -> our key.
# assets/component_labels.js puts the translation in their place (they take no prop for it).
COMPONENT_LABELS = {
    "Previous month": "component.previous_month", "Next month": "component.next_month",
    "Clear Dates": "component.clear_dates", "Clear date": "component.clear_date",
    "Close calendar": "component.close_calendar", "Increase value": "component.increase_value",
    "Decrease value": "component.decrease_value",
    "Year": "component.year",   # given by assets/a11y.js to the calendar's year field, which has no name
}


def _component_labels(language: str) -> str:
    return json.dumps({english: translate(key, language) for english, key in COMPONENT_LABELS.items()},
                      ensure_ascii=False)
