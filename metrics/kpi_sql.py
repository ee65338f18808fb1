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

from metrics.reasons import Reason
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
        raise DefinitionError(Reason("definition.does_not_run", problem=str(error))) from None
    columns = tuple(column.lower() for column in result.columns)
    # A repeated name comes back from DuckDB as value_1 and is refused here as unknown.
    extra = [column for column in columns if column not in OUTPUT_COLUMNS]
    if extra:
        raise DefinitionError(Reason("definition.extra_columns", columns=", ".join(extra),
                                     allowed=", ".join(OUTPUT_COLUMNS)))
    if "period" not in columns:
        raise DefinitionError(Reason("definition.no_period"))
    has_ratio = "numerator" in columns and "denominator" in columns
    if "value" in columns and ("numerator" in columns or "denominator" in columns):
        raise DefinitionError(Reason("definition.value_and_ratio"))
    if "value" not in columns and not has_ratio:
        raise DefinitionError(Reason("definition.no_value"))
    return columns


# -- parsing --------------------------------------------------------------------------------
def _normalise(sql: str) -> str:
    """Trim the text and drop one trailing statement terminator (possibly followed by a
    comment), so the definition can sit inside a subquery."""
    if not isinstance(sql, str) or not sql.strip():
        raise DefinitionError(Reason("definition.empty"))
    if len(sql) > MAX_LENGTH:
        raise DefinitionError(Reason("definition.too_long", length=f"{len(sql):,}", limit=f"{MAX_LENGTH:,}"))
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
        raise DefinitionError(Reason("definition.not_sql", problem=_first_line(error))) from None
    if len(statements) != 1:
        raise DefinitionError(Reason("definition.statements", count=len(statements)))
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise DefinitionError(Reason("definition.not_select", kind=kind.name))
    # A throwaway connection: the parser needs one, and it never sees any data.
    with duckdb.connect(":memory:") as connection:
        tree = json.loads(connection.execute("SELECT json_serialize_sql($1)", [text]).fetchone()[0])
    if tree.get("error"):
        # e.g. PIVOT/DESCRIBE-style SELECTs the serialiser cannot represent: refuse rather
        # than run something we could not inspect.
        raise DefinitionError(Reason("definition.unchecked",
                                     problem=tree.get("error_message", "unknown parser error")))
    if len(tree["statements"]) != 1:
        raise DefinitionError(Reason("definition.one_select"))
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
        raise DefinitionError(Reason("definition.table_function", name=name))
    if kind == "SHOW_REF":
        raise DefinitionError(Reason("definition.describe"))
    if node.get("class") == "PARAMETER":
        raise DefinitionError(Reason("definition.parameters"))
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
        raise DefinitionError(Reason("definition.schema", table=qualified,
                                     datasets=", ".join(dataset_names) or Reason("definition.none")))
    if name.lower() in ctes:
        return
    if name.lower() not in allowed:
        code = "definition.file_path" if any(c in name for c in "/\\.:") else "definition.not_a_dataset"
        raise DefinitionError(Reason(code, table=repr(name),
                                     datasets=", ".join(dataset_names) or Reason("definition.no_datasets")))
    yield name.lower()


def _function_name(node: dict) -> str:
    function = node.get("function") or {}
    return str(function.get("function_name") or "a table function")
