"""The first start as a user lives it: a process killed while seeding leaves no half city,
and the next start builds a whole one; a second start neither reseeds nor duplicates."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app import create_app
from metrics import catalog
from web.services import EXTENSION

ROOT = Path(__file__).resolve().parents[1]

# Dies like `kill -9` in the middle of the seed's transaction, after the KPIs are written.
_KILLED_MID_SEED = """
import os, sys
sys.path.insert(0, {root!r})
from metrics import warehouse
original = warehouse.Transaction.insert_frame
def insert_then_die(self, table, frame, columns):
    count = original(self, table, frame, columns)
    if table == "observations":
        os._exit(9)
    return count
warehouse.Transaction.insert_frame = insert_then_die
from app import create_app
create_app({{"data_dir": {data_dir!r}}}).extensions["citystat"].prepare()
"""


def _counts(server):
    store = server.extensions[EXTENSION].warehouse
    return {table: store.query(f"SELECT count(*) FROM {table}").scalar()
            for table in ("kpis", "goals", "targets", "observations", "import_batches")}


def test_killed_seed_leaves_nothing_and_the_next_start_completes(tmp_path):
    data_dir = str(tmp_path / "instance")
    script = _KILLED_MID_SEED.format(root=str(ROOT), data_dir=data_dir)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 9, result.stderr

    server = create_app({"data_dir": data_dir})
    services = server.extensions[EXTENSION]
    assert catalog.is_empty(services.warehouse)
    assert _counts(server)["observations"] == 0

    assert services.prepare() is True
    complete = _counts(server)
    assert complete["kpis"] >= 80 and complete["observations"] > 10_000 and complete["import_batches"] == 1
    services.close()

    again = create_app({"data_dir": data_dir})
    assert again.extensions[EXTENSION].prepare() is False
    assert _counts(again) == complete
    again.extensions[EXTENSION].close()


def test_seed_demo_command_seeds_once(tmp_path):
    server = create_app({"data_dir": str(tmp_path / "instance")})
    runner = server.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Seeded the demo city" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already holds KPIs; nothing seeded" in second.output
    server.extensions[EXTENSION].close()


def test_seeding_can_be_turned_off(tmp_path):
    server = create_app({"data_dir": str(tmp_path / "instance"), "seed_demo": "false"})
    services = server.extensions[EXTENSION]
    assert services.prepare() is False and catalog.is_empty(services.warehouse)
    assert (tmp_path / "instance" / "citystat.sqlite3").exists()
    services.close()


def test_a_command_says_plainly_when_the_running_app_holds_the_warehouse(tmp_path):
    data_dir = tmp_path / "instance"
    running = create_app({"data_dir": str(data_dir), "seed_demo": "false"})
    running.extensions[EXTENSION].prepare()
    env = {"PATH": "/usr/bin:/bin", "CITYSTAT_DATA_DIR": str(data_dir), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "seed-demo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "held by another CityStat process" in result.stderr
    assert "Traceback" not in result.stderr
    running.extensions[EXTENSION].close()
