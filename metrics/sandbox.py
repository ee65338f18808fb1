"""The sandbox where people's SQL runs: a DuckDB database of its own holding the raw
operational datasets as tables, opened so that nothing run there can reach files, the
network or extensions, nor change its own limits.

The KPI-definition checker (metrics.kpi_sql) is the first guard; this is the second, so
that a gap in the checker still cannot read /etc/passwd or raise the memory limit:
- `enable_external_access = false`: read_csv, COPY ... TO, ATTACH of a file, INSTALL and
  LOAD, EXPORT DATABASE and secrets are all refused by DuckDB with a PermissionException;
- extension auto-install/auto-load and Python replacement scans (which would let
  `FROM some_name` read a Python variable of this process) are off;
- `lock_configuration = true` afterwards, so SET/RESET/PRAGMA cannot undo any of that;
- `run()` accepts one SELECT only, on a fresh cursor, with a time limit and a row cap.

Loading raw files (metrics.datasets) needs file access, which the locked connection
refuses: `loading()` closes it, lends the file to an unlocked connection of our own code
for the load, and the next use reopens it locked. Every use of the sandbox holds one
lock, so no person's SQL ever runs while an unlocked connection is open.
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import duckdb

Params = Mapping[str, Any] | Sequence[Any] | None

NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Column types a helper-made table may use; anything else is a caller's mistake.
TYPES = frozenset({"BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "DECIMAL(18,4)", "VARCHAR", "DATE", "TIMESTAMP"})


class SandboxError(RuntimeError):
    """User SQL was refused or failed in the sandbox; the message says why in plain words."""


@dataclass
class SandboxResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool = False


def _plain(error: Exception) -> str:
    """DuckDB's first line without its 'Binder Error:' style prefix: what went wrong,
    not where in the engine (the caret lines and tuning hints are dropped)."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", first)


class Sandbox:
    """Raw datasets in a locked-down DuckDB database (a file path or ":memory:").

    Thread-safe: every call opens its own cursor; writes (creating tables) take a lock.
    Nothing is opened until first use."""

    def __init__(self, path: str | Path = ":memory:", *, memory_limit: str = "1GB", threads: int = 2):
        self.path = str(path)
        self.memory_limit = memory_limit
        self.threads = threads
        self._connection = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        # Held by every use; `loading()` holds it while the unlocked loader has the file.
        self._use = threading.RLock()

    def _connect(self):
        if self._connection is not None:
            return self._connection
        with self._open_lock:
            if self._connection is None:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                connection = duckdb.connect(self.path, config={
                    "enable_external_access": False,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                    "python_enable_replacements": False,
                    "memory_limit": self.memory_limit,
                    "threads": self.threads,
                })
                # Locked last: from here on no statement can change any setting above.
                connection.execute("SET lock_configuration = true")
                self._connection = connection
        return self._connection

    def close(self) -> None:
        with self._open_lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A raw cursor on the locked connection, for this module's loaders and for tests
        that prove DuckDB itself refuses what the checker should have stopped."""
        with self._use:
            cursor = self._connect().cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    @contextmanager
    def loading(self) -> Iterator[Any]:
        """An unlocked connection to the sandbox file, for our own loaders (reading CSV files
        needs file access). No other use of the sandbox runs meanwhile; the locked
        connection reopens on the next use."""
        if self.path == ":memory:":
            raise SandboxError("loading needs a sandbox file, not an in-memory database")
        with self._use, self._write_lock:
            self.close()
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(self.path, config={"memory_limit": self.memory_limit,
                                                           "threads": self.threads,
                                                           "autoinstall_known_extensions": False,
                                                           "python_enable_replacements": False})
            try:
                yield connection
            finally:
                connection.close()

    # -- running people's SQL ------------------------------------------------------------
    def run(self, sql: str, params: Params = None, *, timeout: float, max_rows: int) -> SandboxResult:
        """Run one SELECT and return at most `max_rows` rows (`truncated` says if there were
        more). Raises SandboxError for anything but a single SELECT, a time-out, running
        out of memory, or any DuckDB error (its first line, in plain words)."""
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as error:
            raise SandboxError(_plain(error)) from None
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise SandboxError("Only a single SELECT statement runs in the sandbox.")
        with self.cursor() as cursor:
            # Interrupt from another thread, as metrics.warehouse does: DuckDB checks the
            # flag between vectors, so even a runaway cross join stops promptly.
            timer = threading.Timer(timeout, cursor.interrupt)
            timer.daemon = True
            timer.start()
            try:
                cursor.execute(sql, params if params is not None else [])
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchmany(max_rows + 1) if cursor.description else []
            except duckdb.InterruptException:
                raise SandboxError(f"The definition ran longer than {timeout:g} s and was stopped; "
                                   "narrow it (fewer rows, a date range) or simplify the joins.") from None
            except duckdb.OutOfMemoryException:
                raise SandboxError(f"The definition needs more memory than the {self.memory_limit} allowed; "
                                   "aggregate earlier or avoid building large lists.") from None
            except duckdb.Error as error:
                raise SandboxError(_plain(error)) from None
            finally:
                timer.cancel()
        return SandboxResult(columns, rows[:max_rows], len(rows) > max_rows)

    # -- what is in the sandbox ----------------------------------------------------------
    def tables(self) -> dict[str, list[tuple[str, str]]]:
        """Each dataset table of the main schema with its (column, type) pairs, in order.
        Tables whose names start with _ are CityStat's own bookkeeping, never datasets."""
        with self.cursor() as cursor:
            rows = cursor.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'main' AND NOT starts_with(table_name, '_') "
                "ORDER BY table_name, ordinal_position").fetchall()
        tables: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in rows:
            tables.setdefault(table, []).append((column, data_type))
        return tables

    def create_table_from_values(self, name: str, columns: Mapping[str, str],
                                 rows: Sequence[Sequence[Any]]) -> None:
        """Replace table `name` with `columns` ({name: type}, types from TYPES) holding
        `rows`. A small helper for tests and fixtures; raw CSV loading comes later."""
        for identifier in (name, *columns):
            if not NAME.fullmatch(identifier):
                raise SandboxError(f"{identifier!r} is not a valid name: use lower-case letters, digits and _")
        for column_type in columns.values():
            if column_type.upper() not in TYPES:
                raise SandboxError(f"column type {column_type!r} is not one of {sorted(TYPES)}")
        column_list = ", ".join(f"{column} {column_type}" for column, column_type in columns.items())
        marks = ", ".join("?" for _ in columns)
        with self._write_lock, self.cursor() as cursor:
            cursor.execute("BEGIN TRANSACTION")
            try:
                cursor.execute(f"CREATE OR REPLACE TABLE {name} ({column_list})")
                if rows:
                    cursor.executemany(f"INSERT INTO {name} VALUES ({marks})", [list(row) for row in rows])
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise

    def create_table_as(self, name: str, select_sql: str) -> None:
        """Replace table `name` with the result of a trusted SELECT (our own code, never a
        person's text), e.g. generated test data from range()."""
        if not NAME.fullmatch(name):
            raise SandboxError(f"{name!r} is not a valid name: use lower-case letters, digits and _")
        with self._write_lock, self.cursor() as cursor:
            cursor.execute(f"CREATE OR REPLACE TABLE {name} AS {select_sql}")
