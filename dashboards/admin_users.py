"""Users, for administrators: everyone with an account, creating one, and changing a
person's role, departments, status or password. Every change goes through web.accounts,
which audits it.

The page's layout holds no accounts: Dash keeps the first layout it builds of each page
(to check callback ids) and sends it to every signed-in browser, so the people are filled
in by a callback, which only an administrator can call.
"""
from __future__ import annotations

import dash
from babel.dates import format_date, format_time
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import login_user

from dashboards.components import dropdown_labels, table_region
from i18n import LOCALES, _, current_language, localized
from metrics import catalog
from metrics.access import ROLES
from web import accounts
from web.accounts import AccountError
from web.auth import SessionUser, current_scope
from web.rules import callback
from web.services import current_services

P = "admin-users-"


def _title() -> str:
    return f"{_('admin_users.title')} · CityStat"


dash.register_page(__name__, path="/admin/users", title=_title, order=10, access="admin")


# -- checks: every value comes from the browser and may be anything --------------------------------
def _admin() -> str:
    """The acting administrator's username. The guard already refused everyone else; this
    is the second lock, so a mistaken rule cannot open the page's actions."""
    scope = current_scope()
    if scope.role != "admin":
        raise PreventUpdate
    return scope.username


def _clicks(*values) -> int:
    if not all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0) for v in values):
        raise PreventUpdate
    return sum(v or 0 for v in values)


def _text(value, limit: int = 200) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise AccountError("admin_users.unreadable")
    return value.strip()


def _password(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AccountError("admin_users.unreadable")
    return value   # never stripped or echoed: every character counts


def _email(value) -> str | None:
    email = _text(value, 320)
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise AccountError("admin_users.bad_email")
    return email or None


def _role(value) -> str:
    if not isinstance(value, str) or value not in ROLES:
        raise AccountError("account.unknown_role", role=str(value)[:40], roles=", ".join(ROLES))
    return value


def _departments(value, role: str) -> list[str]:
    """Known department ids; only analysts keep theirs (the others reach every department)."""
    value = [] if value is None else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AccountError("admin_users.unreadable")
    known = {d["id"] for d in catalog.list_departments(current_services().warehouse)}
    unknown = [v for v in value if v not in known]
    if unknown:
        raise AccountError("account.unknown_department", departments=", ".join(unknown)[:200])
    return sorted(set(value)) if role == "analyst" else []


def _person(value) -> accounts.Account:
    if value is None or value == "":
        raise AccountError("admin_users.choose_person")
    if not isinstance(value, str) or len(value) > 64:
        raise AccountError("admin_users.unreadable")
    account = accounts.find_account(current_services(), value)
    if account is None or account.username != value:
        raise AccountError("account.no_such_user", username=value)
    return account


# -- pieces ---------------------------------------------------------------------------------------
def _moment(moment, language: str) -> str:
    if moment is None:
        return "–"
    locale = LOCALES[language]
    return f"{format_date(moment, 'medium', locale=locale)} {format_time(moment, 'short', locale=locale)}"


def _department_names(language: str) -> dict[str, str]:
    return {d["id"]: localized(d, "name", language) or d["id"]
            for d in catalog.list_departments(current_services().warehouse)}


def _departments_text(account, names: dict[str, str]) -> str:
    if account.role in ("admin", "manager"):
        return _("admin_users.all_departments")
    if account.role == "analyst":
        return ", ".join(names.get(d, d) for d in account.departments) or "–"
    return "–"


def _status(account) -> html.Span:
    if account.active:
        return html.Span(_("admin_users.active"), className="badge badge-ok")
    return html.Span(_("admin_users.deactivated"), className="badge badge-off")


def _users_table(people, me: str, language: str) -> html.Table:
    names = _department_names(language)
    rows = [html.Tr([
        html.Th([html.Span(a.username, className="mono"),
                 html.Span(" " + _("admin_users.you"), className="muted small") if a.username == me else None],
                scope="row"),
        html.Td([a.display_name, html.Span(a.email, className="muted small block") if a.email else None]),
        html.Td(_(f"role.{a.role}")),
        html.Td(_departments_text(a, names)),
        html.Td(_status(a)),
        html.Td(_moment(a.last_login_at, language), className="nowrap"),
        html.Td(_moment(a.created_at, language), className="nowrap"),
    ], className=None if a.active else "inactive-row") for a in people]
    return html.Table([
        html.Caption(_("admin_users.table_caption"), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(_(f"admin_users.col_{c}"), scope="col") for c in
                            ("username", "name", "role", "departments", "status", "last_login", "created")])),
        html.Tbody(rows),
    ], className="kpi-table users-table")


def _person_option(account) -> dict:
    label = f"{account.username} · {account.display_name}"
    if not account.active:
        label += f" ({_('admin_users.deactivated').lower()})"
    return {"label": label, "value": account.username}


def _message(text: str, ok: bool) -> html.Div:
    if ok:
        return html.Div(text, className="form-ok", role="status")
    return html.Div(text, className="form-error", role="alert")


def _field(label: str, control, *, hint: str | None = None, field_id: str | None = None,
           hidden: bool = False, wide: bool = False) -> html.Div:
    parts = [html.Label(label, htmlFor=control.id), control]
    if hint:
        parts.append(html.Span(hint, className="muted small"))
    extra = {"id": field_id, "hidden": hidden} if field_id else {}
    return html.Div(parts, className="field wide" if wide else "field", **extra)


def _text_input(name: str, kind: str = "text", **kwargs) -> dcc.Input:
    return dcc.Input(id=P + name, type=kind, className="text-input", **kwargs)


def _role_dropdown(name: str, value: str | None) -> dcc.Dropdown:
    return dcc.Dropdown(id=P + name, options=[{"label": _(f"role.{r}"), "value": r} for r in ROLES],
                        value=value, clearable=False, searchable=False, labels=dropdown_labels(current_language()))


def _departments_dropdown(name: str, language: str) -> dcc.Dropdown:
    options = [{"label": label, "value": key} for key, label in
               sorted(_department_names(language).items(), key=lambda item: item[1])]
    return dcc.Dropdown(id=P + name, options=options, value=[], multi=True,
                        placeholder=_("admin_users.pick_departments"),
                        labels=dropdown_labels(language))


def _create_card(language: str) -> html.Section:
    return html.Section([
        html.H2(_("admin_users.create_heading"), id=P + "create-heading"),
        html.Div([
            _field(_("admin_users.field_username"), _text_input("new-username", maxLength=64, autoComplete="off"),
                   hint=_("admin_users.username_hint")),
            _field(_("admin_users.field_name"), _text_input("new-name", maxLength=200, autoComplete="off")),
            _field(_("admin_users.field_email"),
                   _text_input("new-email", "email", maxLength=320, autoComplete="off")),
            _field(_("admin_users.field_role"), _role_dropdown("new-role", "viewer")),
            _field(_("admin_users.field_departments"), _departments_dropdown("new-departments", language),
                   hint=_("admin_users.departments_hint"), field_id=P + "new-departments-field", hidden=True,
                   wide=True),
            _field(_("admin_users.field_password"),
                   _text_input("new-password", "password", autoComplete="new-password"),
                   hint=_("admin_users.password_hint"), wide=True),
        ], className="form-grid"),
        html.Button(_("admin_users.create_button"), id=P + "create", n_clicks=0, className="button primary"),
        html.Div(id=P + "create-message", className="form-message", **{"aria-live": "polite"}),
    ], className="card", **{"aria-labelledby": P + "create-heading"})


def _manage_card(language: str) -> html.Section:
    return html.Section([
        html.H2(_("admin_users.manage_heading"), id=P + "manage-heading"),
        html.Div([
            _field(_("admin_users.field_person"),
                   dcc.Dropdown(id=P + "who", options=[], placeholder=_("admin_users.choose_person"), clearable=True,
                                labels=dropdown_labels(language)),
                   wide=True),
        ], className="form-grid"),
        html.P(id=P + "who-status", className="muted small person-status", **{"aria-live": "polite"}),
        html.Fieldset([
            html.Legend(_("admin_users.role_heading")),
            html.Div([
                _field(_("admin_users.field_role"), _role_dropdown("role", None)),
                _field(_("admin_users.field_departments"), _departments_dropdown("departments", language),
                       field_id=P + "departments-field", hidden=True, wide=True),
            ], className="form-grid"),
            html.Button(_("admin_users.save_role_button"), id=P + "save-role", n_clicks=0, disabled=True,
                        className="button"),
        ], className="form-group"),
        html.Fieldset([
            html.Legend(_("admin_users.status_heading")),
            html.P(_("admin_users.status_hint"), className="muted small"),
            html.Div([
                html.Button(_("admin_users.deactivate_button"), id=P + "deactivate", n_clicks=0, disabled=True,
                            className="button danger"),
                html.Button(_("admin_users.reactivate_button"), id=P + "reactivate", n_clicks=0, disabled=True,
                            className="button"),
            ], className="button-row"),
        ], className="form-group"),
        html.Fieldset([
            html.Legend(_("admin_users.password_heading")),
            html.Div([
                _field(_("admin_users.field_new_password"),
                       _text_input("password", "password", autoComplete="new-password"),
                       hint=_("admin_users.reset_hint"), wide=True),
            ], className="form-grid"),
            html.Button(_("admin_users.reset_button"), id=P + "reset", n_clicks=0, disabled=True, className="button"),
        ], className="form-group"),
        html.Div(id=P + "manage-message", className="form-message", **{"aria-live": "polite"}),
    ], className="card", **{"aria-labelledby": P + "manage-heading"})


def layout(**_query):
    language = current_language()
    return html.Div([
        html.Div([html.H1(_("admin_users.title")), html.P(_("admin_users.lede"), className="lede")],
                 className="page-head"),
        dcc.Store(id=P + "created"),
        dcc.Store(id=P + "updated"),
        html.Section([
            html.H2(_("admin_users.people_heading"), id=P + "people-heading"),
            dcc.Loading(table_region(None, _("admin_users.people_heading"), id=P + "table", className="table-scroll"),
                        type="dot"),
        ], className="card", **{"aria-labelledby": P + "people-heading"}),
        html.Div([_create_card(language), _manage_card(language)], className="card-columns"),
    ])


# -- changes -----------------------------------------------------------------------------------------
def _save_role(person, actor, role, departments, _password_value):
    role = _role(role)
    if person.username == actor and role != "admin":
        raise AccountError("admin_users.cannot_demote_self")
    account = accounts.change_role(current_services(), person.username, role, _departments(departments, role),
                                   actor=actor)
    return _("admin_users.role_changed", username=account.username, role=_(f"role.{account.role}"))


def _deactivate(person, actor, *_values):
    if person.username == actor:
        raise AccountError("admin_users.cannot_deactivate_self")
    accounts.set_active(current_services(), person.username, False, actor=actor)
    return _("admin_users.deactivated_done", username=person.username)


def _reactivate(person, actor, *_values):
    accounts.set_active(current_services(), person.username, True, actor=actor)
    return _("admin_users.reactivated_done", username=person.username)


def _reset(person, actor, _role_value, _departments_value, password):
    account = accounts.reset_password(current_services(), person.username, _password(password), actor=actor)
    if account.username == actor:
        login_user(SessionUser(account))   # a new password ends sessions: keep this one
    return _("admin_users.password_reset_done", username=account.username)


CHANGES = {P + "save-role": _save_role, P + "deactivate": _deactivate, P + "reactivate": _reactivate,
           P + "reset": _reset}


def register_callbacks(app: dash.Dash) -> None:
    @callback(app, "admin", Output(P + "table", "children"), Output(P + "who", "options"),
              Input(P + "created", "data"), Input(P + "updated", "data"))
    def show_people(_created, _updated):
        me = _admin()
        people = accounts.list_accounts(current_services())
        return _users_table(people, me, current_language()), [_person_option(a) for a in people]

    @callback(app, "admin", Output(P + "new-departments-field", "hidden"), Output(P + "departments-field", "hidden"),
              Input(P + "new-role", "value"), Input(P + "role", "value"))
    def departments_for_analysts(new_role, role):
        _admin()
        return new_role != "analyst", role != "analyst"

    @callback(app, "admin", Output(P + "create-message", "children"), Output(P + "new-password", "value"),
              Output(P + "new-username", "value"), Output(P + "new-name", "value"), Output(P + "new-email", "value"),
              Output(P + "created", "data"),
              Input(P + "create", "n_clicks"),
              State(P + "new-username", "value"), State(P + "new-name", "value"), State(P + "new-email", "value"),
              State(P + "new-role", "value"), State(P + "new-departments", "value"),
              State(P + "new-password", "value"), prevent_initial_call=True)
    def create(clicks, username, display_name, email, role, departments, password):
        actor = _admin()
        if not _clicks(clicks):
            raise PreventUpdate
        try:
            role = _role(role)
            account = accounts.create_user(
                current_services(), _text(username), password=_password(password), role=role,
                departments=_departments(departments, role), display_name=_text(display_name) or None,
                email=_email(email), actor=actor)
        except AccountError as error:
            return _message(error.message(current_language()), False), "", *[no_update] * 4
        return _message(_("admin_users.created", username=account.username), True), "", "", "", "", clicks

    @callback(app, "admin", Output(P + "manage-message", "children"), Output(P + "password", "value"),
              Output(P + "updated", "data"),
              Input(P + "save-role", "n_clicks"), Input(P + "deactivate", "n_clicks"),
              Input(P + "reactivate", "n_clicks"), Input(P + "reset", "n_clicks"),
              State(P + "who", "value"), State(P + "role", "value"), State(P + "departments", "value"),
              State(P + "password", "value"), prevent_initial_call=True)
    def change(save, deactivate, reactivate, reset, username, role, departments, password):
        actor = _admin()
        clicks = _clicks(save, deactivate, reactivate, reset)
        action = CHANGES.get(ctx.triggered_id) if isinstance(ctx.triggered_id, str) else None
        if action is None or not clicks:
            raise PreventUpdate
        try:
            done = action(_person(username), actor, role, departments, password)
        except AccountError as error:
            return _message(error.message(current_language()), False), "", no_update
        return _message(done, True), "", clicks

    @callback(app, "admin", Output(P + "role", "value"), Output(P + "departments", "value"),
              Output(P + "who-status", "children"), Output(P + "save-role", "disabled"),
              Output(P + "deactivate", "disabled"), Output(P + "reactivate", "disabled"),
              Output(P + "reset", "disabled"),
              Input(P + "who", "value"), Input(P + "updated", "data"), prevent_initial_call=True)
    def show_person(username, _updated):
        me = _admin()
        if username is None:
            return None, [], "", True, True, True, True
        try:
            person = _person(username)
        except AccountError:
            raise PreventUpdate from None
        language = current_language()
        parts = [_(f"role.{person.role}"), _departments_text(person, _department_names(language)),
                 _("admin_users.active") if person.active else _("admin_users.deactivated"),
                 _("admin_users.last_login", when=_moment(person.last_login_at, language))
                 if person.last_login_at else _("admin_users.never_signed_in")]
        status = " · ".join(part for part in parts if part != "–")
        return (person.role, list(person.departments), status, False,
                not person.active or person.username == me, person.active, False)
