"""CityStat's application factory.

`create_app(config)` builds the Flask server, the guard, sign-in, the Dash pages in
dashboards/ and the /api/v1 blueprint; it opens no database. `python app.py` prepares the
stores (seeding the demo city and its logins on a first start) and serves. `app.server`
builds a WSGI app for servers that import one.
"""
from __future__ import annotations

import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

import dash
from flask import Flask

from web.cli import register_commands
from config import Config, ConfigError, load_config
from dashboards.shell import shell
from metrics.warehouse import WarehouseBusy
from web import api_imports, api_kpis, api_meetings  # noqa: F401  (add their routes to the API blueprint)
from web import api_packets  # noqa: F401  (the packet and memo routes)
from web import api_datasets  # noqa: F401  (the raw dataset routes)
from web import api_kpi_write  # noqa: F401  (creating and changing KPIs, computed ones too)
from web import api_catalog  # noqa: F401  (departments, publishing goals, observation exports)
from web import api_narratives  # noqa: F401  (a KPI's narratives: read and write)
from web import api_due  # noqa: F401  (what is due: values owed and overdue)
from web import api_targets  # noqa: F401  (a KPI's targets: one batch per save, and their history)
from web import openapi  # noqa: F401  (GET /api/v1/openapi.json, the document of all the routes)
from web.api import api
from web.auth import init_auth
from web.dash_index import CityStatDash
from web.dash_safety import init_validation_scrub
from web.errors import init_errors
from web.guard import init_guard
from web.public import public
from web.rules import CALLBACK_RULES
from web.services import EXTENSION, Services
from web.site import site

HERE = Path(__file__).parent


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """A CityStat app for `config` (a Config, or overrides of the settings table)."""
    config = config if isinstance(config, Config) else load_config(config)
    server = Flask(__name__, static_folder=None, template_folder=str(HERE / "web" / "templates"))
    if config.is_production and (server.debug or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true")):
        raise ConfigError("CityStat refuses to run in production with debug on: unset FLASK_DEBUG")
    server.config.update(
        SECRET_KEY=_secret_key(config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.is_production,
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config.is_production,
        MAX_CONTENT_LENGTH=config.max_upload_mb * 1024 * 1024,
        PROPAGATE_EXCEPTIONS=False,
    )
    server.extensions[EXTENSION] = Services(config)
    init_auth(server)
    init_guard(server)       # before Dash, so the guard runs before any Dash hook
    init_errors(server)
    server.register_blueprint(api)
    server.register_blueprint(site)
    server.register_blueprint(public)   # the public site and the embeddable chart

    dash_app = CityStatDash(
        __name__, server=server, use_pages=True, pages_folder="dashboards",
        assets_folder=str(HERE / "assets"), title="CityStat", update_title=None,
        suppress_callback_exceptions=False, serve_locally=True,
    )
    dash_app.layout = shell
    init_validation_scrub(server, dash_app)
    server.extensions["dash"] = dash_app
    _register_page_callbacks(dash_app)
    register_commands(server)
    return server


def _register_page_callbacks(dash_app: dash.Dash) -> None:
    """Each page module registers its callbacks on this app (not on Dash's global list),
    so every app built in a process gets its own, complete set. Every page and callback
    must say who may use it; the app refuses to start otherwise."""
    for page in dash.page_registry.values():
        if page.get("access") is None:
            raise RuntimeError(f"page {page['module']} has no access level: register_page(..., access=...)")
        register = getattr(sys.modules[page["module"]], "register_callbacks", None)
        if register:
            register(dash_app)
    unguarded = set(dash_app.callback_map) - set(dash_app.server.extensions.get(CALLBACK_RULES, {}))
    if unguarded:
        raise RuntimeError(f"callbacks without an access level: {sorted(unguarded)}; use web.guard.callback")


def _secret_key(config: Config) -> str:
    if config.secret_key:
        return config.secret_key
    if config.is_production:
        raise ConfigError("CITYSTAT_SECRET_KEY must be set in production: generate one with "
                          "`python -c 'import secrets; print(secrets.token_hex(32))'`")
    # Development: one random key per data directory, so sessions survive a restart.
    key_file = config.data_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def __getattr__(name: str):
    # `app:server` for WSGI servers, built on first access rather than at import.
    if name == "server":
        return create_app()
    raise AttributeError(name)


def ready_to_serve(config: Config | None = None) -> Flask:
    """The app with its stores prepared for serving: migrated, the demo city seeded on a
    first start, and how to sign in printed. Shared by the development server (`main`) and
    the production one (web.production). Exits with a message a person can act on, not a
    traceback, when a setting is wrong or another process holds the warehouse."""
    from web.demo_logins import ensure_demo_logins

    try:
        config = config or load_config()
        server = create_app(config)
    except ConfigError as error:
        sys.exit(f"CityStat cannot start: {error}")
    services: Services = server.extensions[EXTENSION]
    started = time.perf_counter()
    try:
        seeded = services.prepare()
    except WarehouseBusy as error:
        sys.exit(f"CityStat cannot start: {error}")
    if seeded:
        print(f"Seeded the demo city in {time.perf_counter() - started:.1f} s (data in {config.data_path}).")
    with server.app_context():
        print(ensure_demo_logins(services) if config.seed_demo else "")
    return server


def main() -> None:
    """The development server (`make run`); `make serve` runs web.production instead."""
    server = ready_to_serve()
    config = server.extensions[EXTENSION].config
    print(f"CityStat is serving at http://{config.host}:{config.port}/  (Ctrl+C stops it)\n", flush=True)
    server.run(host=config.host, port=config.port, threaded=True, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
