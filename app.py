"""CityStat's application factory.

`create_app(config)` builds the Flask server, the Dash pages in dashboards/ and the
/api/v1 blueprint; it opens no database. `python app.py` prepares the stores (seeding the
demo city on a first start) and serves. `app.server` builds a WSGI app for servers that
import one.
"""
from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Any, Mapping

import click
import dash
from flask import Flask

from config import Config, ConfigError, load_config
from dashboards.shell import shell
from metrics.warehouse import WarehouseBusy
from web.api import api
from web.services import EXTENSION, Services
from web.site import site

HERE = Path(__file__).parent


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """A CityStat app for `config` (a Config, or overrides of the settings table)."""
    config = config if isinstance(config, Config) else load_config(config)
    server = Flask(__name__, static_folder=None)
    server.config.update(
        SECRET_KEY=_secret_key(config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.is_production,
    )
    server.extensions[EXTENSION] = Services(config)
    server.register_blueprint(api)
    server.register_blueprint(site)

    dash_app = dash.Dash(
        __name__, server=server, use_pages=True, pages_folder="dashboards",
        assets_folder=str(HERE / "assets"), title="CityStat", update_title=None,
        suppress_callback_exceptions=False, serve_locally=True,
    )
    dash_app.layout = shell
    _register_page_callbacks(dash_app)
    server.extensions["dash"] = dash_app
    _register_commands(server)
    return server


def _register_page_callbacks(dash_app: dash.Dash) -> None:
    """Each page module registers its callbacks on this app (not on Dash's global list),
    so every app built in a process gets its own, complete set."""
    for page in dash.page_registry.values():
        register = getattr(sys.modules[page["module"]], "register_callbacks", None)
        if register:
            register(dash_app)


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


def _register_commands(server: Flask) -> None:
    @server.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Seed the demo city into an empty warehouse (does nothing if it holds KPIs)."""
        services: Services = server.extensions[EXTENSION]
        started = time.perf_counter()
        try:
            seeded = services.prepare(seed_demo=True)
        except WarehouseBusy as error:
            raise click.ClickException(str(error)) from None
        if seeded:
            click.echo(f"Seeded the demo city into {services.config.warehouse_file} "
                       f"in {time.perf_counter() - started:.1f} s.")
        else:
            click.echo(f"The warehouse {services.config.warehouse_file} already holds KPIs; nothing seeded.")


def __getattr__(name: str):
    # `app:server` for WSGI servers, built on first access rather than at import.
    if name == "server":
        return create_app()
    raise AttributeError(name)


def main() -> None:
    config = load_config()
    server = create_app(config)
    services: Services = server.extensions[EXTENSION]
    started = time.perf_counter()
    try:
        seeded = services.prepare()
    except WarehouseBusy as error:
        sys.exit(f"CityStat cannot start: {error}")
    if seeded:
        print(f"Seeded the demo city in {time.perf_counter() - started:.1f} s "
              f"(data in {config.data_path}).")
    print(f"\nCityStat is serving at http://{config.host}:{config.port}/  (Ctrl+C stops it)\n",
          flush=True)
    server.run(host=config.host, port=config.port, threaded=True, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
