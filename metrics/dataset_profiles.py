"""Dataset profiles: how a raw operational file (311 requests, permits, inspections) maps
onto a table of the sandbox, checked before anything is read, every problem listed.

    {"name": "la_311", "encoding": "auto", "delimiter": null, "mode": "append",
     "columns": {"createddate": {"type": "timestamp", "format": "%m/%d/%Y %I:%M:%S %p"}}}
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from metrics.reasons import Reason

TYPES = {"text": "VARCHAR", "varchar": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "double": "DOUBLE",
         "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}
MODES = ("append", "replace")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
# Names DuckDB or CityStat itself use; a dataset may not shadow them.
RESERVED = ("information_schema", "pg_catalog", "main", "temp", "system", "memory")
RESERVED_PREFIXES = ("duckdb_", "pg_", "sqlite_")
# Dates never guessed: DuckDB chooses among these when the profile does not type a column.
GUESSED_TYPES = ["BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR"]
MAX_COLUMNS = 300
REPORT_ERRORS = 100

class DatasetError(ValueError):
    """A profile or file that cannot be loaded; `problems` say what to fix, `rows` list bad
    cells (line, column, value, reason). Nothing was written."""

    def __init__(self, problems: list[str], rows: list[dict[str, Any]] | None = None, total: int = 0):
        self.problems, self.rows, self.total = problems, rows or [], total
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ColumnSpec:
    type: str
    format: str | None = None


@dataclass(frozen=True)
class DatasetProfile:
    name: str
    mode: str = "append"
    encoding: str = "auto"
    delimiter: str | None = None
    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, document: Any) -> "DatasetProfile":
        """A checked profile, or DatasetError listing every problem at once."""
        if not isinstance(document, dict):
            raise DatasetError([Reason("dataset.not_object")])
        problems = []
        unknown = sorted(set(document) - {"name", "mode", "encoding", "delimiter", "columns"})
        if unknown:
            problems.append(Reason("dataset.unknown_fields", fields=", ".join(unknown)))
        name = document.get("name")
        if not isinstance(name, str) or not NAME.match(name) or name in RESERVED or name.startswith(RESERVED_PREFIXES):
            problems.append(Reason("dataset.name", name=repr(name)))
        mode = document.get("mode", "append")
        if mode not in MODES:
            problems.append(Reason("dataset.mode", mode=repr(mode)))
        encoding = document.get("encoding", "auto") or "auto"
        if encoding not in ("auto", "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"):
            problems.append(Reason("dataset.encoding", encoding=repr(encoding)))
        delimiter = document.get("delimiter")
        if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
            problems.append(Reason("dataset.delimiter"))
        columns: dict[str, ColumnSpec] = {}
        given = document.get("columns") or {}
        if not isinstance(given, dict):
            problems.append(Reason("dataset.columns"))
            given = {}
        for column, spec in given.items():
            problem = _column_problem(column, spec)
            if problem:
                problems.append(problem)
            else:
                columns[column] = ColumnSpec(spec["type"], spec.get("format"))
        if problems:
            raise DatasetError(problems)
        return cls(name, mode, encoding, delimiter, columns, document)


def _column_problem(column: str, spec: Any) -> Reason | None:
    if not isinstance(spec, dict) or spec.get("type") not in TYPES:
        return Reason("dataset.column_type", column=repr(column), types=", ".join(sorted(TYPES)))
    fmt = spec.get("format")
    if fmt is not None and (spec["type"] not in ("date", "timestamp") or not isinstance(fmt, str) or "%" not in fmt):
        return Reason("dataset.column_format", column=repr(column))
    if set(spec) - {"type", "format"}:
        return Reason("dataset.column_keys", column=repr(column))
    return None


def plain_name(header: str, taken: set[str]) -> str:
    """A header as a column name SQL can use bare: "Request Type" -> request_type."""
    name = re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_") or "column"
    if not name[0].isalpha():
        name = "c_" + name
    candidate, n = name[:60], 2
    while candidate in taken or candidate.startswith("_"):
        candidate, n = f"{name[:56]}_{n}", n + 1
    taken.add(candidate)
    return candidate
