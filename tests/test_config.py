"""The settings table: defaults, parsing with clear errors, and the README listing them all."""
from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from config import SETTINGS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_hold_without_environment():
    config = load_config(environ={})
    assert config.data_dir == "instance"
    assert (config.host, config.port, config.env) == ("127.0.0.1", 8050, "development")
    assert config.fiscal_year_start_month == 7
    assert config.default_language == "en"
    assert config.database_url.startswith("sqlite:///") and config.database_url.endswith("citystat.sqlite3")
    assert config.warehouse_file.name == "warehouse.duckdb"


def test_environment_then_overrides():
    environ = {"CITYSTAT_PORT": "9000", "CITYSTAT_FISCAL_YEAR_START_MONTH": "1", "CITYSTAT_SEED_DEMO": "no"}
    config = load_config({"CITYSTAT_PORT": 9100}, environ=environ)
    assert (config.port, config.fiscal_year_start_month, config.seed_demo) == (9100, 1, False)
    assert load_config({"default_language": "PT"}, environ={}).default_language == "pt"


@pytest.mark.parametrize("name, raw, message", [
    ("CITYSTAT_PORT", "eighty", "whole number"),
    ("CITYSTAT_PORT", "70000", "between 1 and 65535"),
    ("CITYSTAT_FISCAL_YEAR_START_MONTH", "13", "between 1 and 12"),
    ("CITYSTAT_ENV", "staging", "development, production"),
    ("CITYSTAT_DEFAULT_LANGUAGE", "fr", "en, es, pt"),
    ("CITYSTAT_SEED_DEMO", "perhaps", "true or false"),
    ("CITYSTAT_QUERY_TIMEOUT", "0", "greater than zero"),
])
def test_bad_values_say_which_setting_and_why(name, raw, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(environ={name: raw})
    assert name in str(caught.value)


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="Unknown setting"):
        load_config({"CITYSTAT_NOPE": 1}, environ={})


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"README.md does not list: {', '.join(missing)}"


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="CITYSTAT_SECRET_KEY must be set in production"):
        create_app({"data_dir": str(tmp_path), "env": "production"})
    server = create_app({"data_dir": str(tmp_path), "env": "production", "secret_key": "x" * 64})
    assert server.config["SESSION_COOKIE_SECURE"] is True
    assert server.config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_key_is_generated_once_per_data_directory(tmp_path):
    first = create_app({"data_dir": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"data_dir": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
