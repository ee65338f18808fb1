"""Checking a computed KPI's definition: one SELECT over the city's raw datasets, and
nothing else.

The check uses DuckDB's own parser (`json_serialize_sql`), so what we inspect is exactly
what DuckDB would run, then walks the whole parse tree generically: any table function
anywhere (read_csv, glob, query, range, duckdb_settings() ...) and any table reference that
is neither an allowed dataset nor a CTE in scope is refused, wherever it hides (subquery,
join, CTE, set operation, IN (SELECT ...), scalar subquery, or a node kind DuckDB adds
later). The sandbox (metrics.sandbox) is the second guard should this one have a gap.

Every execution goes through `wrap()`, which puts the definition inside a subquery, so a
trailing second statement can never run even if it slipped past the check.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import duckdb

from metrics.sandbox import Sandbox, SandboxError

MAX_LENGTH = 20_000
OUTPUT_COLUMNS = ("period", "member", "value", "numerator", "denominator")
CHECK_TIMEOUT = 5.0


class DefinitionError(ValueError):
    """A KPI definition was refused; the message says what to change."""


@dataclass(frozen=True)
class CheckedDefinition:
    """A definition that passed: its text (trimmed, no trailing semicolon), the datasets it
    reads, and its output columns (empty until checked against a sandbox)."""
    sql: str
    tables: tuple[str, ...]
    columns: tuple[str, ...] = ()


def check_definition(sql: str, datasets: Mapping[str, Sequence[str]],
                     sandbox: Sandbox | None = None, *, timeout: float = CHECK_TIMEOUT) -> CheckedDefinition:
    """Check `sql` as a KPI definition over `datasets` (allowed table name -> its columns).

    Raises DefinitionError for empty or over-long text, anything but a single SELECT, table
    functions, tables not in `datasets`, parameters, and (when `sandbox` is given) the
    wrong output columns or a definition that fails to bind there. Column names inside
    the query are left to DuckDB's binder in the sandbox."""
    text = _normalise(sql)
    tree = _parse(text)
    allowed = {name.lower() for name in datasets}
    tables = sorted(set(_table_references(tree, allowed, sorted(datasets))))
    columns: tuple[str, ...] = ()
    if sandbox is not None:
        columns = output_columns(sandbox, text, timeout=timeout)
    return CheckedDefinition(text, tuple(tables), columns)


def wrap(sql: str, columns: Sequence[str] = ("period", "value")) -> str:
    """The statement every execution runs: the definition as a subquery, selecting only
    the known output columns. A stray `; DROP TABLE t` inside becomes a syntax error, and
    the newlines keep a trailing `-- comment` from swallowing the closing parenthesis."""
    for column in columns:
        if column not in OUTPUT_COLUMNS:
            raise DefinitionError(f"{column!r} is not a KPI output column ({', '.join(OUTPUT_COLUMNS)})")
    return f"SELECT {', '.join(columns)} FROM (\n{sql}\n) AS definition"


def output_columns(sandbox: Sandbox, sql: str, *, timeout: float = CHECK_TIMEOUT) -> tuple[str, ...]:
    """Bind the definition in the sandbox without reading rows and check its columns:
    `period`, then `value` or both `numerator` and `denominator`, optionally `member`."""
    try:
        result = sandbox.run(f"SELECT * FROM (\n{sql}\n) AS definition LIMIT 0", timeout=timeout, max_rows=0)
    except SandboxError as error:
        raise DefinitionError(f"The definition does not run: {error}") from None
    columns = tuple(column.lower() for column in result.columns)
    # A repeated name comes back from DuckDB as value_1 and is refused here as unknown.
    extra = [column for column in columns if column not in OUTPUT_COLUMNS]
    if extra:
        raise DefinitionError(f"Unexpected output column(s) {', '.join(extra)}: a definition returns only "
                              f"{', '.join(OUTPUT_COLUMNS)} (rename with AS, or drop them).")
    if "period" not in columns:
        raise DefinitionError("The definition must return a column named period (e.g. "
                              "date_trunc('month', created) AS period).")
    has_ratio = "numerator" in columns and "denominator" in columns
    if "value" in columns and ("numerator" in columns or "denominator" in columns):
        raise DefinitionError("Return either value, or numerator and denominator, not both.")
    if "value" not in columns and not has_ratio:
        raise DefinitionError("The definition must return value, or both numerator and denominator.")
    return columns


# -- parsing --------------------------------------------------------------------------------
def _normalise(sql: str) -> str:
    """Trim the text and drop one trailing statement terminator (possibly followed by a
    comment), so the definition can sit inside a subquery."""
    if not isinstance(sql, str) or not sql.strip():
        raise DefinitionError("The definition is empty: write a SELECT that returns period and value.")
    if len(sql) > MAX_LENGTH:
        raise DefinitionError(f"The definition is {len(sql):,} characters long; the limit is {MAX_LENGTH:,}.")
    text = sql.strip()
    try:
        tokens = [t for t in duckdb.tokenize(text) if t[1] != duckdb.token_type.comment]
    except duckdb.Error:
        tokens = []
    if tokens and text[tokens[-1][0]] == ";":
        text = text[:tokens[-1][0]].rstrip()
    return text


def _parse(text: str) -> dict:
    """The parse tree of a single SELECT, or DefinitionError saying what else it was."""
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as error:
        raise DefinitionError(f"The definition is not valid SQL: {_first_line(error)}") from None
    if len(statements) != 1:
        raise DefinitionError(f"The definition holds {len(statements)} statements; a KPI definition is a "
                              "single SELECT (remove everything after the first semicolon).")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise DefinitionError(f"A KPI definition is a single SELECT; this is a {kind.name} statement, "
                              "which cannot change data or settings here.")
    # A throwaway connection: the parser needs one, and it never sees any data.
    with duckdb.connect(":memory:") as connection:
        tree = json.loads(connection.execute("SELECT json_serialize_sql($1)", [text]).fetchone()[0])
    if tree.get("error"):
        # e.g. PIVOT/DESCRIBE-style SELECTs the serialiser cannot represent: refuse rather
        # than run something we could not inspect.
        raise DefinitionError("The definition cannot be checked: "
                              f"{tree.get('error_message', 'unknown parser error')}. "
                              "Write it as a plain SELECT ... FROM dataset.")
    if len(tree["statements"]) != 1:
        raise DefinitionError("A KPI definition is a single SELECT statement.")
    return tree["statements"][0]


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# -- walking the tree -------------------------------------------------------------------------
def _table_references(node: Any, allowed: set[str], dataset_names: list[str],
                      ctes: frozenset[str] = frozenset()) -> Iterator[str]:
    """Yield every dataset the tree reads; raise DefinitionError on anything else.

    Generic on purpose: every dict and list is visited, so a table reference inside a node
    kind this code has never heard of is still seen. CTE names count only in the scope of
    the query that defines them (a CTE body sees itself and the CTEs before it), so a CTE
    named like a hidden table inside one subquery cannot unlock that table elsewhere."""
    if isinstance(node, list):
        for item in node:
            yield from _table_references(item, allowed, dataset_names, ctes)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "TABLE_FUNCTION":
        name = _function_name(node)
        raise DefinitionError(f"Table functions such as {name}() are not allowed in a KPI definition: "
                              "read from the datasets by name (FROM dataset).")
    if kind == "SHOW_REF":
        raise DefinitionError("DESCRIBE, SHOW and SUMMARIZE are not allowed in a KPI definition.")
    if node.get("class") == "PARAMETER":
        raise DefinitionError("A KPI definition cannot take parameters ($1, ?): write the values in.")
    entries = (node.get("cte_map") or {}).get("map") or []
    if entries:
        names = [entry["key"].lower() for entry in entries]
        for position, entry in enumerate(entries):
            # Recursive CTEs reference themselves; later CTEs see earlier ones.
            yield from _table_references(entry["value"], allowed, dataset_names,
                                         ctes | frozenset(names[:position + 1]))
        ctes = ctes | frozenset(names)
    if "table_name" in node and kind != "SHOW_REF":
        yield from _check_table(node, allowed, dataset_names, ctes)
    for key, value in node.items():
        if key != "cte_map":
            yield from _table_references(value, allowed, dataset_names, ctes)


def _check_table(node: dict, allowed: set[str], dataset_names: list[str], ctes: frozenset[str]) -> Iterator[str]:
    name = str(node.get("table_name") or "")
    if not name:
        return
    qualified = ".".join(part for part in (node.get("catalog_name"), node.get("schema_name"), name) if part)
    if node.get("catalog_name") or node.get("schema_name"):
        raise DefinitionError(f"{qualified} is not a dataset: name datasets without a schema "
                              f"(available: {', '.join(dataset_names) or 'none'}).")
    if name.lower() in ctes:
        return
    if name.lower() not in allowed:
        what = "a file path" if any(c in name for c in "/\\.:") else "not a dataset"
        raise DefinitionError(f"{name!r} is {what}: a KPI definition can read only the datasets "
                              f"{', '.join(dataset_names) or '(none loaded yet)'}.")
    yield name.lower()


def _function_name(node: dict) -> str:
    function = node.get("function") or {}
    return str(function.get("function_name") or "a table function")
