"""The DuckDB warehouse: one long-lived connection per process, a cursor per query, one
query function with parameters, a time limit and a row cap, and writes under one lock in
one transaction. Nothing here runs at import time.
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import duckdb

from metrics.schema import MIGRATIONS

Params = Mapping[str, Any] | Sequence[Any] | None


class WarehouseError(RuntimeError):
    """A warehouse problem a person can act on."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse file."""


class QueryTimeout(WarehouseError):
    """A query ran past its time limit and was interrupted."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool = False

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def first(self) -> dict[str, Any] | None:
        return dict(zip(self.columns, self.rows[0])) if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


def _run(cursor, sql: str, params: Params, timeout: float | None, max_rows: int) -> QueryResult:
    timer = threading.Timer(timeout, cursor.interrupt) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        cursor.execute(sql, params if params is not None else [])
        if cursor.description is None:
            return QueryResult([], [])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        raise QueryTimeout(f"The query took longer than {timeout:g} seconds and was stopped") from None
    finally:
        if timer:
            timer.cancel()
    truncated = len(rows) > max_rows
    return QueryResult(columns, rows[:max_rows], truncated)


class Transaction:
    """The one writer's view inside `Warehouse.transaction()`."""

    def __init__(self, cursor, warehouse: "Warehouse"):
        self.cursor = cursor
        self._warehouse = warehouse

    def execute(self, sql: str, params: Params = None, *, timeout: float | None = None,
                max_rows: int | None = None) -> QueryResult:
        return _run(self.cursor, sql, params, timeout, max_rows or self._warehouse.row_cap)

    def insert_frame(self, table: str, frame, columns: Sequence[str]) -> int:
        """Bulk-insert a pandas DataFrame into an allowlisted table; returns the row count."""
        self._warehouse.check_table(table)
        for column in columns:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", column):
                raise WarehouseError(f"invalid column name {column!r}")
        column_list = ", ".join(columns)
        self.cursor.register("_citystat_frame", frame)
        try:
            self.cursor.execute(f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM _citystat_frame")
        finally:
            self.cursor.unregister("_citystat_frame")
        return len(frame)


# Every write stamps when the warehouse last changed, in the same transaction: the API's
# Last-Modified comes from it, and caches key on the process's count of writes.
_STAMP = ("INSERT OR REPLACE INTO meta (key, value) "
          "VALUES ('data_changed_at', strftime(now() AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'))")


class Workspace(Transaction):
    """One cursor for a job of several steps: temp tables made on it stay visible to it.
    Reads run as they come; `write()` takes the writer's lock and one transaction."""

    @contextmanager
    def write(self) -> Iterator["Workspace"]:
        with self._warehouse._write_lock:
            self.cursor.execute("BEGIN TRANSACTION")
            try:
                yield self
                self.cursor.execute(_STAMP)
            except BaseException:
                self.cursor.execute("ROLLBACK")
                raise
            self.cursor.execute("COMMIT")
            self._warehouse._changed()


class Warehouse:
    """The city's numbers in one DuckDB file (or `:memory:` for tests)."""

    def __init__(self, path: str | Path, *, timeout: float = 10.0, row_cap: int = 100_000):
        self.path = str(path)
        self.timeout = timeout
        self.row_cap = row_cap
        self._connection = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._writes = 0

    # -- what changed when -----------------------------------------------------------------
    def _changed(self) -> None:
        with self._open_lock:
            self._writes += 1

    @property
    def generation(self) -> int:
        """How many write transactions this process has committed: a cache key part that
        moves whenever the numbers may have changed (one process owns the file)."""
        return self._writes

    def changed_at(self) -> datetime | None:
        """When a write last committed (UTC), None for a warehouse never written to."""
        raw = self.query("SELECT value FROM meta WHERE key = 'data_changed_at'").scalar()
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc) if raw else None

    # -- lifecycle -----------------------------------------------------------------------
    def _connect(self):
        if self._connection is not None:
            return self._connection
        with self._open_lock:
            if self._connection is None:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                try:
                    connection = duckdb.connect(self.path)
                except duckdb.IOException as error:
                    if "lock" in str(error).lower():
                        pid = re.search(r"PID (\d+)", str(error))
                        holder = f" (process {pid[1]})" if pid else ""
                        raise WarehouseBusy(
                            f"The warehouse {self.path} is held by another CityStat process{holder}. "
                            "Stop the running app, or make the change through it.") from None
                    raise
                self._migrate(connection)
                self._connection = connection
        return self._connection

    def close(self) -> None:
        with self._open_lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @staticmethod
    def _migrate(connection) -> None:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp())")
        applied = {row[0] for row in connection.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, name, sql in MIGRATIONS:
            if version in applied:
                continue
            connection.execute("BEGIN TRANSACTION")
            try:
                connection.execute(sql)
                connection.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
                connection.execute("COMMIT")
            except Exception:
                connection.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return self.query("SELECT coalesce(max(version), 0) FROM schema_migrations").scalar()

    def tables(self) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").rows
        return {row[0] for row in rows}

    def check_table(self, table: str) -> str:
        """Table names never come from user text unchecked: they must exist in this schema."""
        if table not in self.tables():
            raise WarehouseError(f"unknown table {table!r}")
        return table

    # -- reading and writing ---------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor of the shared connection, for one request or thread."""
        cursor = self._connect().cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def query(self, sql: str, params: Params = None, *, timeout: float | None = None,
              max_rows: int | None = None) -> QueryResult:
        """Run one parameterised statement with a time limit and a row cap."""
        with self.cursor() as cursor:
            return _run(cursor, sql, params, timeout or self.timeout, max_rows or self.row_cap)

    @contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """A cursor of its own for a multi-step job such as an import."""
        with self.cursor() as cursor:
            yield Workspace(cursor, self)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All writes go through here: one writer at a time, all or nothing."""
        with self._write_lock, self.cursor() as cursor:
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield Transaction(cursor, self)
                cursor.execute(_STAMP)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
            self._changed()
