"""What one CityStat app owns: its settings, calendar, warehouse and app database.

Kept on `flask_app.extensions["citystat"]`, never in a module global, so several apps
(tests, say) can live in one process.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

import appdb
from config import Config
from metrics import catalog
from metrics.periods import FiscalCalendar
from metrics.sandbox import Sandbox
from metrics.warehouse import Warehouse

EXTENSION = "citystat"


@dataclass
class Services:
    config: Config

    @cached_property
    def calendar(self) -> FiscalCalendar:
        return FiscalCalendar(self.config.fiscal_year_start_month)

    @cached_property
    def warehouse(self) -> Warehouse:
        """Opened on first use, not at import or factory time."""
        return Warehouse(self.config.warehouse_file, timeout=self.config.query_timeout,
                         row_cap=self.config.query_row_cap)

    @cached_property
    def sandbox(self) -> Sandbox:
        """The raw datasets' locked DuckDB file; opened on first use, like the warehouse."""
        return Sandbox(self.config.sandbox_file, memory_limit=self.config.sandbox_memory)

    @cached_property
    def answers(self) -> "AnswerMemo":
        """Recent read answers of the API, keyed by everything that changes them."""
        from web.http_cache import AnswerMemo
        return AnswerMemo()

    @cached_property
    def overdue_counts(self) -> "AnswerMemo":
        """The header's overdue counts (dashboards/shell.py), keyed by write, day and departments."""
        from web.http_cache import AnswerMemo
        return AnswerMemo()

    @cached_property
    def engine(self) -> Engine:
        return appdb.make_engine(self.config.database_url)

    @cached_property
    def _sessions(self) -> sessionmaker:
        return sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new app-database session; use as `with services.session() as s, s.begin():`."""
        return self._sessions()

    def prepare(self, *, seed_demo: bool | None = None) -> bool:
        """Migrate both stores and seed the demo city when asked and the warehouse is empty.

        Returns True when the demo city was seeded now.
        """
        from data.demo_311 import seed_demo_311
        from data.demo_city import seed_demo as _seed_demo

        appdb.upgrade(self.engine)
        self.warehouse.schema_version  # opens and migrates
        if not (self.config.seed_demo if seed_demo is None else seed_demo):
            return False
        seeded = _seed_demo(self.warehouse, self.calendar)
        # The demo city's raw 311 requests and the KPIs computed from them: also on the start
        # after one that stopped between the two (the demo city is marked by its seed day).
        demo_day = catalog.get_meta(self.warehouse, "demo_today")
        if demo_day:
            seed_demo_311(self.warehouse, self.sandbox, self.calendar, today=date.fromisoformat(demo_day),
                          workdir=self.config.data_path)
        return seeded

    def close(self) -> None:
        if "warehouse" in self.__dict__:
            self.warehouse.close()
        if "sandbox" in self.__dict__:
            self.sandbox.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def current_services() -> Services:
    return current_app.extensions[EXTENSION]
