"""CityStat settings: one table of (name, default, help), read from CITYSTAT_* variables.

`load_config(overrides)` returns a `Config`; `create_app(config)` accepts either. Every
setting here is listed in the README (a test checks it).
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

LANGUAGES = ("en", "es", "pt")
ENVIRONMENTS = ("development", "production")
NARRATIVE_RULES = ("never", "off_track")


class ConfigError(ValueError):
    """A setting has a value CityStat cannot use; the message says which and why."""


def _boolean(name: str, raw: str) -> bool:
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _whole(low: int | None = None, high: int | None = None) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
        return value
    return parse


def _positive_number(name: str, raw: str) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, got {value}")
    return value


def _one_of(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value
    return parse


def _text(name: str, raw: str) -> str:
    return str(raw).strip()


def _address(name: str, raw: str) -> str:
    """An IP address, written the way the server sees a peer's (so `::1`, not `0::1`)."""
    text = str(raw).strip()
    if not text:
        return ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ConfigError(f"{name} must be an IP address such as 127.0.0.1, got {raw!r}") from None


def _memory(name: str, raw: str) -> str:
    """A DuckDB memory size such as 2GB or 512MB, checked here so a typo stops the start,
    not the first load."""
    value = str(raw).strip().replace(" ", "").upper()
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", value):
        raise ConfigError(f"{name} must be a size such as 512MB or 2GB, got {raw!r}")
    return value


# One source of a CSP frame-ancestors list: *, 'self', a scheme (https:) or an origin whose
# host may start with a wildcard label (https://*.city.gov:8443). Nothing else reaches the header.
_FRAME_SOURCE = re.compile(r"\*|'self'|https?:(//(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:([0-9]{1,5}|\*))?)?",
                           re.IGNORECASE)


def _frame_origins(name: str, raw: str) -> str:
    """The sites that may frame the embeddable chart, space-separated; 'none' for no site."""
    sources = str(raw).replace(",", " ").split()
    if sources == ["'none'"] or sources == ["none"]:
        return "'none'"
    bad = [source for source in sources if not _FRAME_SOURCE.fullmatch(source)]
    if not sources or bad:
        raise ConfigError(f"{name} must be * or origins separated by spaces, such as "
                          f"https://www.city.gov https://*.city.gov (or 'none'), got {raw!r}")
    return " ".join(sources)


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str, str], Any] = _text

    @property
    def key(self) -> str:
        """The attribute name on Config: CITYSTAT_DATA_DIR -> data_dir."""
        return self.name.removeprefix("CITYSTAT_").lower()


SETTINGS: tuple[Setting, ...] = (
    Setting("CITYSTAT_DATA_DIR", "instance",
            "Directory for runtime state: the DuckDB warehouse, the app database, uploaded "
            "originals. Created on start."),
    Setting("CITYSTAT_HOST", "127.0.0.1", "Address the server listens on."),
    Setting("CITYSTAT_PORT", 8050, "Port the server listens on.", _whole(1, 65535)),
    Setting("CITYSTAT_THREADS", 8,
            "Threads of the production server (`make serve`) answering requests at once, in "
            "its one process (1 to 64).", _whole(1, 64)),
    Setting("CITYSTAT_TRUSTED_PROXY", "",
            "Address of the reverse proxy in front of `make serve` (such as 127.0.0.1), whose "
            "X-Forwarded-For and X-Forwarded-Proto headers are believed. Empty believes none.",
            _address),
    Setting("CITYSTAT_ENV", "development",
            "`development` or `production`. Production refuses to start without a secret "
            "key and marks cookies Secure.", _one_of(ENVIRONMENTS)),
    Setting("CITYSTAT_SECRET_KEY", "",
            "Key that signs session cookies. Required in production; in development a "
            "random key is generated once and kept in the data directory."),
    Setting("CITYSTAT_FISCAL_YEAR_START_MONTH", 7,
            "First month of the city's fiscal year (7 = July: FY2024 runs 2023-07-01 to "
            "2024-06-30; 1 makes fiscal years calendar years).", _whole(1, 12)),
    Setting("CITYSTAT_DEFAULT_LANGUAGE", "en",
            "Language used when neither the user nor the browser asks for one: en, es or pt.",
            _one_of(LANGUAGES)),
    Setting("CITYSTAT_CURRENCY", "USD", "ISO 4217 code used to show currency KPIs."),
    Setting("CITYSTAT_WAREHOUSE_PATH", "",
            "DuckDB warehouse file. Empty means `warehouse.duckdb` in the data directory."),
    Setting("CITYSTAT_DATABASE_URL", "",
            "SQLAlchemy URL of the app database (users, meetings, audit log). Empty means "
            "SQLite `citystat.sqlite3` in the data directory; use postgresql://... in "
            "production."),
    Setting("CITYSTAT_SANDBOX_PATH", "",
            "DuckDB file holding the raw operational datasets computed KPIs read. Empty means "
            "`raw.duckdb` in the data directory."),
    Setting("CITYSTAT_SANDBOX_MEMORY", "2GB",
            "Most memory the raw-dataset database may use, for loads and KPI definitions alike "
            "(a size such as 512MB or 2GB).", _memory),
    Setting("CITYSTAT_QUERY_TIMEOUT", 10.0,
            "Seconds a warehouse query may run before it is interrupted.", _positive_number),
    Setting("CITYSTAT_QUERY_ROW_CAP", 100_000,
            "Most rows one warehouse query returns; larger results are cut and flagged.",
            _whole(1)),
    Setting("CITYSTAT_MAX_UPLOAD_MB", 50,
            "Largest request body accepted, in megabytes; bigger uploads get 413.", _whole(1, 2048)),
    Setting("CITYSTAT_SEED_DEMO", True,
            "Seed the demo city on start when the warehouse is empty (true or false).",
            _boolean),
    Setting("CITYSTAT_EMBED_ORIGINS", "*",
            "Sites that may show the embeddable KPI charts (/embed/kpis/<id>) in a frame: * for "
            "any site, or origins separated by spaces such as https://www.city.gov "
            "https://*.city.gov, or 'none'. Every other page refuses to be framed.", _frame_origins),
    Setting("CITYSTAT_NARRATIVE_REQUIRED", "never",
            "When a KPI's period needs a narrative (what happened, why, what comes next): never, "
            "or off_track: a KPI off track for its latest period owes one until it is written: "
            "its page says so, what is due lists it, and data entry asks for it as soon as a "
            "saved value turns the KPI off track.", _one_of(NARRATIVE_RULES)),
)

SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}


class Config:
    """Resolved settings with attribute access (`config.fiscal_year_start_month`)."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = dict(values)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def warehouse_file(self) -> Path:
        return Path(self.warehouse_path).resolve() if self.warehouse_path else self.data_path / "warehouse.duckdb"

    @property
    def sandbox_file(self) -> Path:
        return Path(self.sandbox_path).resolve() if self.sandbox_path else self.data_path / "raw.duckdb"

    @property
    def database_url(self) -> str:
        url = self._values.get("database_url") or ""
        return url or f"sqlite:///{self.data_path / 'citystat.sqlite3'}"


def load_config(overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Defaults, then CITYSTAT_* environment variables, then `overrides`.

    Overrides may use either the variable name or the short key (`data_dir`); every
    value is parsed and checked the same way, wherever it came from.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        values[setting.key] = setting.default if raw is None or raw == "" else setting.parse(setting.name, raw)
    for name, value in (overrides or {}).items():
        setting = SETTINGS_BY_KEY.get(name.removeprefix("CITYSTAT_").lower())
        if setting is None:
            raise ConfigError(f"Unknown setting {name!r}; see the settings table in the README")
        values[setting.key] = setting.parse(setting.name, str(value))
    return Config(values)

VERSION = "0.1.0"
