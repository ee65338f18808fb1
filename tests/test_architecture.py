"""House rules that keep the layers honest (DESIGN §2, §9)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_metrics_imports_neither_dash_nor_flask():
    offenders = {}
    for path in sorted((ROOT / "metrics").rglob("*.py")):
        bad = _imports(path) & {"dash", "flask", "flask_login", "werkzeug", "plotly", "web", "dashboards"}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"metrics/ must stay free of the web layer: {offenders}"


def test_importing_the_app_opens_nothing(tmp_path):
    """Importing app.py (and so every page) must not create a database or read data."""
    code = (f"import os, sys; sys.path.insert(0, {str(ROOT)!r}); os.chdir({str(tmp_path)!r});"
            "os.environ['CITYSTAT_DATA_DIR'] = 'instance';"
            "import app, metrics.catalog, metrics.warehouse, data.demo_city;"
            "import dashboards.components, dashboards.figures, dashboards.shell;"
            "print(sorted(os.listdir('.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_sql_in_the_dashboards():
    for path in (ROOT / "dashboards").glob("*.py"):
        text = path.read_text(encoding="utf-8").upper()
        assert "SELECT " not in text and ".QUERY(" not in text, f"{path.name} runs SQL; put it in metrics/"
