"""The production server (`make serve`): waitress with the configured threads over one
process, proxy headers believed only from the configured proxy, clear refusals instead
of tracebacks, and a clean stop."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from waitress import wasyncore

from config import ConfigError, load_config
from metrics.warehouse import Warehouse
from web.production import addresses, build_server, server_options

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def serving(app, config):
    """`app` under waitress on a free loopback port, in a thread; yields the base URL."""
    server = build_server(app, config, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Closing the sockets inside the server's own loop ends it without racing it.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_threads_come_from_the_setting_and_are_checked():
    assert load_config(environ={}).threads == 8
    assert server_options(load_config({"threads": 3}, environ={}))["threads"] == 3
    for raw, message in (("0", "between 1 and 64"), ("65", "between 1 and 64"), ("many", "whole number")):
        with pytest.raises(ConfigError, match=message) as caught:
            load_config(environ={"CITYSTAT_THREADS": raw})
        assert "CITYSTAT_THREADS" in str(caught.value)


def test_proxy_headers_are_believed_only_with_a_trusted_proxy():
    plain = server_options(load_config(environ={}))
    assert not {"trusted_proxy", "trusted_proxy_headers"} & set(plain)
    proxied = server_options(load_config({"trusted_proxy": " 127.0.0.1 "}, environ={}))
    assert proxied["trusted_proxy"] == "127.0.0.1"
    assert proxied["trusted_proxy_headers"] == {"x-forwarded-for", "x-forwarded-proto"}
    assert load_config({"trusted_proxy": "0:0::1"}, environ={}).trusted_proxy == "::1"
    with pytest.raises(ConfigError, match="CITYSTAT_TRUSTED_PROXY must be an IP address"):
        load_config(environ={"CITYSTAT_TRUSTED_PROXY": "proxy.city.example"})


def test_waitress_serves_the_app_with_the_configured_threads(demo_app):
    config = load_config({"threads": 3}, environ={})
    with serving(demo_app, config) as (server, base):
        assert server.adj.threads == 3 and len(server.task_dispatcher.threads) == 3
        assert addresses(server) == [base + "/"]
        status, headers, body = _get(base + "/api/v1/health")
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert headers["Server"] == "CityStat"
        status, _, body = _get(base + "/login")
        assert status == 200 and b'name="password"' in body
        status, headers, body = _get(base + "/api/v1/kpis?limit=5")
        assert status == 200 and len(json.loads(body)) == 5 and int(headers["X-Total-Count"]) >= 5


def _seen_by_the_app(app_config, peer_headers):
    """The scheme and address a WSGI app sees behind waitress with these settings."""
    def echo(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps([environ["wsgi.url_scheme"], environ["REMOTE_ADDR"]]).encode()]

    with serving(echo, app_config) as (_, base):
        return json.loads(_get(base + "/", peer_headers)[2])


def test_a_trusted_proxy_tells_the_visitors_address_and_https_and_nobody_else_can():
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    trusted = load_config({"trusted_proxy": "127.0.0.1"}, environ={})
    assert _seen_by_the_app(trusted, forwarded) == ["https", "203.0.113.9"]
    assert _seen_by_the_app(load_config(environ={}), forwarded) == ["http", "127.0.0.1"]
    elsewhere = load_config({"trusted_proxy": "10.0.0.5"}, environ={})
    assert _seen_by_the_app(elsewhere, forwarded) == ["http", "127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(tmp_path, **settings) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    environ = {key: value for key, value in os.environ.items() if not key.startswith("CITYSTAT_")}
    environ.update({"CITYSTAT_DATA_DIR": str(tmp_path / "instance"), "CITYSTAT_SEED_DEMO": "false",
                    "CITYSTAT_PORT": str(port), **settings})
    process = subprocess.Popen([sys.executable, "-m", "web.production"], cwd=ROOT, env=environ,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, port


def _wait_until_up(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {process.communicate()[1]}")
        try:
            if _get(f"http://127.0.0.1:{port}/api/v1/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("the server did not answer /api/v1/health within 90 s")


def test_make_serve_starts_logs_one_line_and_stops_cleanly_on_ctrl_c(tmp_path):
    process, port = _start(tmp_path, CITYSTAT_THREADS="4")
    try:
        _wait_until_up(process, port)
        assert _get(f"http://127.0.0.1:{port}/login")[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    started = [line for line in err.splitlines() if "serving at" in line]
    assert len(started) == 1
    assert re.search(rf"serving at http://127\.0\.0\.1:{port}/ with waitress, 4 threads", started[0])
    assert "the warehouse is closed" in err
    # Closed, not abandoned: another process may open the warehouse read-write at once.
    Warehouse(tmp_path / "instance" / "warehouse.duckdb").close()


def test_sigterm_stops_it_cleanly_too(tmp_path):
    process, port = _start(tmp_path)
    try:
        _wait_until_up(process, port)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "the warehouse is closed" in err, err


def _refusal(tmp_path, **settings) -> tuple[int, str]:
    process, _ = _start(tmp_path, **settings)
    try:
        _, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, err


def test_production_without_a_secret_key_says_so_without_a_traceback(tmp_path):
    code, err = _refusal(tmp_path, CITYSTAT_ENV="production")
    assert code == 1
    assert "CityStat cannot start: CITYSTAT_SECRET_KEY must be set in production" in err
    assert "Traceback" not in err


def test_a_bad_setting_stops_the_start_with_its_name(tmp_path):
    code, err = _refusal(tmp_path, CITYSTAT_THREADS="100")
    assert code == 1 and "CITYSTAT_THREADS must be between 1 and 64, got 100" in err
    assert "Traceback" not in err


def test_a_warehouse_held_by_another_process_stops_the_start_plainly(tmp_path):
    holder = Warehouse(tmp_path / "instance" / "warehouse.duckdb")
    holder.schema_version   # opens the file read-write in this process
    try:
        code, err = _refusal(tmp_path)
    finally:
        holder.close()
    assert code == 1 and "is held by another CityStat process" in err
    assert "Traceback" not in err


def test_makefile_has_a_serve_target_next_to_run():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # target name -> its recipe lines (those starting with a tab)
    targets = {name: recipe for name, _, recipe
               in re.findall(r"^([a-z-]+):([^\n]*)\n((?:\t[^\n]*\n)*)", makefile, re.M)}
    assert "serve" in targets and "run" in targets
    assert "$(BIN)/python -m web.production" in targets["serve"]
    assert "$(BIN)/python app.py" in targets["run"]   # the development server stays
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
    assert "serve" in phony
    prerequisites = re.search(r"^serve:(.*)$", makefile, re.M).group(1).split()
    assert prerequisites == re.search(r"^run:(.*)$", makefile, re.M).group(1).split()
