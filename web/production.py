"""CityStat's production server: waitress, one process, several threads (`make serve`).

One process, because DuckDB lets one process own the warehouse file read-write; threads,
because each request takes its own cursor of that process's one connection, and waitress
answers up to CITYSTAT_THREADS requests at once. TLS belongs to a reverse proxy in front;
CITYSTAT_TRUSTED_PROXY names it, so that sign-in throttling and the audit log see the
visitor's address, not the proxy's, and the app knows the visitor came over https. `python -m web.production` serves until Ctrl+C
or SIGTERM, then closes the stores.
"""
from __future__ import annotations

import logging
import signal
import sys
from typing import Any

from flask import Flask
from waitress.server import create_server

from config import Config
from web.services import EXTENSION, Services

log = logging.getLogger("citystat")

# Only the two headers CityStat needs: who the visitor is and whether they came over HTTPS.
# The proxy sets both; waitress believes them from its address alone and drops them from
# anyone else (without a trusted proxy nothing reads them).
PROXY_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto"})


def server_options(config: Config) -> dict[str, Any]:
    """waitress' keyword arguments for these settings."""
    options: dict[str, Any] = {"host": config.host, "port": config.port, "threads": config.threads,
                               "ident": "CityStat"}
    if config.trusted_proxy:
        options.update(trusted_proxy=config.trusted_proxy, trusted_proxy_headers=set(PROXY_HEADERS),
                       clear_untrusted_proxy_headers=True)
    return options


def build_server(app: Flask, config: Config, **overrides: Any):
    """A bound, not yet running waitress server for `app` (`.run()` serves, `.close()` stops)."""
    return create_server(app, **{**server_options(config), **overrides})


def addresses(server) -> list[str]:
    """The URLs a built server listens on (one per socket: `localhost` may give two)."""
    pairs = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    return [f"http://{f'[{host}]' if ':' in str(host) else host}:{port}/" for host, port in pairs]


def _stop_on_sigterm(signum, frame) -> None:
    # waitress ends its loop cleanly on SystemExit, as on Ctrl+C; service managers send SIGTERM.
    raise SystemExit(0)


def main() -> None:
    from app import ready_to_serve

    # Warnings from every library (waitress says when requests queue for a thread), and
    # CityStat's own start and stop lines.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    app = ready_to_serve()
    services: Services = app.extensions[EXTENSION]
    config = services.config
    try:
        server = build_server(app, config)
    except OSError as error:
        services.close()
        sys.exit(f"CityStat cannot listen on {config.host}:{config.port}: {error.strerror or error}")
    proxy = f", trusting proxy {config.trusted_proxy}" if config.trusted_proxy else ""
    log.info("CityStat (%s) serving at %s with waitress, %d threads%s",
             config.env, " and ".join(addresses(server)), config.threads, proxy)
    print("Ctrl+C stops it.", flush=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.run()   # returns after Ctrl+C or SIGTERM, its worker threads shut down
    finally:
        server.close()
        services.close()
        log.info("CityStat stopped; the warehouse is closed")


if __name__ == "__main__":
    main()
