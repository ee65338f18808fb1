"""The KPI list under load: the production server (`make serve`, waitress) against Flask's
development server (`make run`), on the same city of 2,000 KPIs, on loopback, with wrk.

What one request is: a page of `GET /api/v1/kpis?limit=1000` (the API's largest page), the
load alternating between the two pages (offset 0 and 1000) that make up the whole list of
2,000, as a client reading the whole catalogue does. Four loads per server:
- anonymous: the published list (all 2,000 are published, so the answer is the real size),
  as the API serves it: while the warehouse does not change, a repeated question is
  answered from the app's memo of recent answers (web.http_cache);
- viewer: the same with a viewer's bearer token (the token is checked on every request);
- anonymous, uncached: every request's query made unique with a parameter the API ignores,
  so each one computes the status of all 2,000 KPIs and the forecasts of its 1,000: the
  cost of a question asked for the first time since the numbers last changed;
- the same, one connection at a time: the latency of one such evaluation.
Each round starts each server afresh on the same data, warms it up, and runs the loads;
medians over the rounds are printed, with the ratios production / development. Needs wrk
(`apt-get install -y wrk`); one run takes about two and a half minutes.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("wrk_report.lua")
KPIS = 2000
MONTHS = 36
PAGE = 1000
PAGES = [f"/api/v1/kpis?limit={PAGE}&offset={offset}" for offset in range(0, KPIS, PAGE)]
ROUNDS = 3
# (name, what it is, seconds per run, connections, a viewer's token?, every request unique?)
LOADS = (("anonymous", "published list, as served", 4, 8, False, False),
         ("viewer", "bearer token, full list", 3, 8, True, False),
         ("uncached", "anonymous, every query unique", 7, 8, False, True),
         ("uncached, one at a time", "one connection: the cost of one evaluation", 5, 1, False, True))
WRK_THREADS = 2
SERVERS = {  # how each is started, the same settings otherwise
    "production (waitress)": [sys.executable, "-m", "web.production"],
    "development (Flask)": [sys.executable, "app.py"],
}
LINE = re.compile(r"CITYSTAT (.*)")


def build_city(data_dir: Path) -> str:
    """A city of 2,000 published KPIs with 36 months of values and monthly targets, ending
    last month; returns a viewer's API token."""
    from app import create_app
    from metrics.periods import Period
    from web import accounts
    from web.services import EXTENSION

    server = create_app({"data_dir": str(data_dir), "seed_demo": "false"})
    services = server.extensions[EXTENSION]
    services.prepare()
    rng = np.random.default_rng(8)
    first = Period("monthly", date.today().replace(day=1)) - MONTHS
    months = [(first + i).start for i in range(MONTHS)]
    ids = [f"kpi-{i:04d}" for i in range(KPIS)]
    departments = pd.DataFrame({"id": [f"dept-{i}" for i in range(12)],
                                "name": [f"Department {i}" for i in range(12)]})
    goals = pd.DataFrame({"id": [f"goal-{i}" for i in range(8)], "title": [f"Goal {i}" for i in range(8)],
                          "published": True})
    direction = rng.choice(["up", "down", "band", "neutral"], KPIS, p=[0.5, 0.35, 0.1, 0.05])
    kpis = pd.DataFrame({
        "id": ids, "name": [f"Measure {i}" for i in range(KPIS)], "unit": "count", "direction": direction,
        "frequency": "monthly", "aggregation": rng.choice(["sum", "mean"], KPIS),
        "department_id": [f"dept-{i % 12}" for i in range(KPIS)], "goal_id": [f"goal-{i % 8}" for i in range(KPIS)],
        "published": True,
    })
    level = rng.uniform(50, 500, KPIS)
    values = level[:, None] * (1 + 0.1 * rng.standard_normal((KPIS, MONTHS)))
    observations = pd.DataFrame({"kpi_id": np.repeat(ids, MONTHS), "frequency": "monthly",
                                 "period_start": np.tile(months, KPIS), "value": values.ravel()})
    aimed = np.repeat(level * 1.02, MONTHS)
    band = np.repeat(direction == "band", MONTHS)
    targets = pd.DataFrame({"kpi_id": np.repeat(ids, MONTHS), "frequency": "monthly",
                            "period_start": np.tile(months, KPIS), "value": np.where(band, np.nan, aimed),
                            "low": np.where(band, aimed * 0.95, np.nan), "high": np.where(band, aimed * 1.05, np.nan)})
    targets = targets[np.repeat(direction != "neutral", MONTHS)]
    with services.warehouse.transaction() as tx:
        for table, frame in (("departments", departments), ("goals", goals), ("kpis", kpis),
                             ("observations", observations), ("targets", targets)):
            tx.insert_frame(table, frame, list(frame.columns))
    with server.app_context():
        accounts.create_user(services, "bench-viewer", password=secrets.token_urlsafe(24), role="viewer",
                             actor="bench")
        token, _ = accounts.create_token(services, "bench-viewer", "load bench", actor="bench")
    services.close()
    return token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
        return response.status, response.headers, response.read()


class Served:
    """One server process on the bench's data, on a free loopback port, until closed."""

    def __init__(self, command: list[str], data_dir: Path, log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYSTAT_")}
        environ.update(CITYSTAT_DATA_DIR=str(data_dir), CITYSTAT_SEED_DEMO="false", CITYSTAT_HOST="127.0.0.1",
                       CITYSTAT_PORT=str(self.port))
        self.log = log.open("a")   # a file, not a pipe: the development server logs every request
        self.process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{' '.join(command[1:])} stopped on start; see {log}:\n{log.read_text()[-2000:]}")
            try:
                if _get(self.base + "/api/v1/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.close()
        raise SystemExit(f"{' '.join(command[1:])} did not answer /api/v1/health in 120 s; see {log}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def check_answers(base: str, token: str | None) -> int:
    """Both pages answer 200 with 1,000 KPIs each, 2,000 in all; returns the bytes of a page."""
    sizes = []
    for path in PAGES:
        status, headers, body = _get(base + path, token)
        kpis = json.loads(body)
        if status != 200 or len(kpis) != PAGE or headers["X-Total-Count"] != str(KPIS):
            raise SystemExit(f"{path} answered {status} with {len(kpis)} KPIs of {headers['X-Total-Count']}")
        sizes.append(len(body))
    return max(sizes)


def load(base: str, seconds: int, connections: int, token: str | None, uncached: bool) -> dict[str, float]:
    """One wrk run over the two pages; fails loudly on any answer but 2xx or socket error."""
    command = ["wrk", f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{seconds}s",
               "--timeout", "60s", "--latency", "-s", str(LUA), base,
               "--", *PAGES, *(["uncached"] if uncached else []), *([token] if token else [])]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    found = LINE.search(result.stdout)
    if not found:
        raise SystemExit(f"wrk printed no CITYSTAT line:\n{result.stdout}\n{result.stderr}")
    numbers = {key: float(value) for key, value in (pair.split("=") for pair in found[1].split())}
    if numbers["non2xx"] or numbers["socket_errors"]:
        raise SystemExit(f"{base}: {numbers['non2xx']:.0f} answers were not 2xx and "
                         f"{numbers['socket_errors']:.0f} socket errors in {numbers['requests']:.0f} requests")
    return numbers


def report(results: dict[tuple[str, str], list[dict[str, float]]]) -> None:
    for load_name, what, seconds, connections, _, _ in LOADS:
        print(f"  {load_name} ({what}; {connections} connection{'s' * (connections > 1)}, {seconds} s per run):")
        medians = {}
        for name in SERVERS:
            runs = results[(name, load_name)]
            medians[name] = {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50_ms", "p95_ms")}
            print(f"    {name:<22} {medians[name]['rps']:8.1f} requests/s   p50 {medians[name]['p50_ms']:7.1f} ms"
                  f"   p95 {medians[name]['p95_ms']:7.1f} ms   ({sum(run['requests'] for run in runs):.0f} requests,"
                  f" all 200)")
        production, development = (medians[name] for name in SERVERS)
        print(f"    production / development: {production['rps'] / development['rps']:.2f}x the requests/s, "
              f"{production['p95_ms'] / development['p95_ms']:.2f}x the p95 latency")


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench_api_load needs the load tool wrk: apt-get install -y wrk")
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "instance"
        started = time.perf_counter()
        token = build_city(data_dir)
        print(f"built a city of {KPIS} published KPIs x {MONTHS} months (values and targets) "
              f"in {time.perf_counter() - started:.1f} s")
        page_bytes = None
        for round_number in range(1, ROUNDS + 1):
            # Taking turns, and the first place in turn, spreads the machine's other load over both.
            order = list(SERVERS.items())
            for name, command in order if round_number % 2 else order[::-1]:
                server = Served(command, data_dir, Path(folder) / "server.log")
                try:
                    page_bytes = check_answers(server.base, None)
                    check_answers(server.base, token)
                    load(server.base, 1, 8, None, False)   # warm up: first queries, lazy imports
                    for load_name, _, seconds, connections, with_token, uncached in LOADS:
                        results.setdefault((name, load_name), []).append(
                            load(server.base, seconds, connections, token if with_token else None, uncached))
                finally:
                    server.close()
            print(f"  round {round_number} of {ROUNDS} done", flush=True)
    print(f"GET {PAGES[0]} and {PAGES[1]} in turn: one request = one page of {PAGE} of the {KPIS} KPIs"
          f" ({page_bytes / 1e6:.2f} MB of JSON); wrk on loopback; production with its default 8 threads;"
          f" medians of {ROUNDS} rounds")
    report(results)


if __name__ == "__main__":
    main()
