"""KPI definitions in SQL: the checker refuses everything but one SELECT over allowed
datasets, and the sandbox refuses files and settings even if the checker were bypassed
(issue #7, "Done when": reading files, table functions, writes, several statements)."""
from __future__ import annotations

import time
from datetime import date

import duckdb
import pytest

from metrics.kpi_sql import DefinitionError, check_definition, output_columns, wrap
from metrics.sandbox import Sandbox, SandboxError

DATASETS = {"requests": ["id", "kind", "district", "created", "closed"], "districts": ["district", "name"]}


@pytest.fixture()
def sandbox():
    box = Sandbox(":memory:", memory_limit="64MB", threads=1)
    box.create_table_from_values(
        "requests", {"id": "INTEGER", "kind": "VARCHAR", "district": "INTEGER", "created": "DATE", "closed": "DATE"},
        [(1, "pothole", 1, date(2026, 1, 3), date(2026, 1, 9)),
         (2, "pothole", 2, date(2026, 1, 20), None),
         (3, "graffiti", 1, date(2026, 2, 2), date(2026, 2, 3)),
         (4, "pothole", 2, date(2026, 2, 14), date(2026, 3, 1))])
    box.create_table_from_values("districts", {"district": "INTEGER", "name": "VARCHAR"},
                                 [(1, "North"), (2, "South")])
    box.create_table_from_values("secrets", {"password": "VARCHAR"}, [("hunter2",)])
    yield box
    box.close()


def refused(sql: str, *words: str) -> str:
    with pytest.raises(DefinitionError) as caught:
        check_definition(sql, DATASETS)
    message = str(caught.value)
    for word in words:
        assert word.lower() in message.lower(), message
    return message


# -- the checker ----------------------------------------------------------------------------
@pytest.mark.parametrize("sql, words", [
    ("SELECT * FROM read_csv('/etc/passwd')", ["read_csv", "not allowed"]),
    ("SELECT * FROM read_text('/etc/passwd')", ["read_text"]),
    ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", ["read_parquet"]),
    ("SELECT * FROM '/etc/passwd'", ["file path", "requests"]),
    ("SELECT * FROM 'https://example.com/data.csv'", ["file path"]),
    ("SELECT * FROM glob('/etc/*')", ["glob"]),
    ("SELECT * FROM duckdb_settings()", ["duckdb_settings"]),
    ("SELECT range AS period, 1 AS value FROM range(10)", ["range"]),
    ("SELECT * FROM query_table('secrets')", ["query_table"]),
    ("SELECT * FROM query('SELECT * FROM secrets')", ["query"]),
    ("SELECT * FROM duckdb_tables()", ["duckdb_tables"]),
])
def test_reading_files_and_table_functions_are_refused(sql, words):
    refused(sql, *words)


@pytest.mark.parametrize("sql", [
    # table functions hidden in every place a table can appear
    "SELECT 1 AS period, 1 AS value FROM requests WHERE id IN (SELECT * FROM range(3))",
    "SELECT (SELECT count(*) FROM read_csv('/etc/passwd')) AS period, 1 AS value",
    "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x",
    "SELECT * FROM requests JOIN glob('/etc/*') ON true",
    "SELECT id FROM requests UNION ALL SELECT * FROM range(3)",
    "SELECT * FROM requests, LATERAL (SELECT * FROM duckdb_settings()) s",
    "SELECT EXISTS (SELECT 1 FROM read_text('/etc/passwd')) AS period, 1 AS value",
])
def test_table_functions_are_found_anywhere(sql):
    refused(sql, "not allowed")


@pytest.mark.parametrize("sql, kind", [
    ("INSERT INTO requests VALUES (9, 'x', 1, NULL, NULL)", "INSERT"),
    ("UPDATE requests SET kind = 'x'", "UPDATE"),
    ("DELETE FROM requests", "DELETE"),
    ("DROP TABLE requests", "DROP"),
    ("CREATE TABLE copy AS SELECT * FROM requests", "CREATE"),
    ("COPY requests TO '/tmp/out.csv'", "COPY"),
    ("ATTACH '/tmp/other.db' AS other", "ATTACH"),
    ("INSTALL httpfs", "LOAD"),
    ("LOAD httpfs", "LOAD"),
    ("SET memory_limit = '100GB'", "SET"),
    ("PRAGMA threads = 8", "SET"),  # DuckDB parses a setting PRAGMA as SET
    ("CALL duckdb_settings()", "CALL"),
    ("EXPLAIN SELECT * FROM requests", "EXPLAIN"),
])
def test_writes_and_settings_are_refused(sql, kind):
    refused(sql, "single SELECT", kind)


@pytest.mark.parametrize("sql", ["DESCRIBE requests", "SHOW TABLES", "SUMMARIZE requests"])
def test_catalog_peeking_is_refused(sql):
    refused(sql, "not allowed")


def test_more_than_one_statement_is_refused_and_cannot_run_through_wrap(sandbox):
    sql = "SELECT 1 AS period, 2 AS value; DROP TABLE requests"
    refused(sql, "2 statements", "single SELECT")
    refused("SELECT 1 AS period, 2 AS value; SELECT 3", "2 statements")
    # Even unchecked, the wrapped form is one statement with a syntax error, and nothing is dropped.
    with pytest.raises(SandboxError):
        sandbox.run(wrap(sql), timeout=2, max_rows=10)
    assert "requests" in sandbox.tables()


@pytest.mark.parametrize("sql, words", [
    ("SELECT * FROM secrets", ["'secrets' is not a dataset", "districts, requests"]),
    ("SELECT * FROM information_schema.tables", ["information_schema.tables", "without a schema"]),
    ("SELECT * FROM main.requests", ["main.requests"]),
    ("SELECT * FROM memory.main.requests", ["memory.main.requests"]),
    ("SELECT * FROM duckdb_tables", ["duckdb_tables"]),
    ("SELECT * FROM pg_catalog.pg_tables", ["pg_catalog.pg_tables"]),
    ("SELECT * FROM requests WHERE id IN (SELECT 1 FROM secrets)", ["secrets"]),
    ("SELECT (SELECT max(password) FROM secrets) AS period, 1 AS value", ["secrets"]),
    ("SELECT id FROM requests UNION SELECT 1 FROM secrets", ["secrets"]),
    # a CTE named like a hidden table unlocks it only inside its own subquery
    ("SELECT * FROM (WITH secrets AS (SELECT 1) SELECT * FROM secrets) q, secrets", ["secrets"]),
])
def test_tables_outside_the_allowlist_are_refused(sql, words):
    refused(sql, *words)


def test_empty_long_and_broken_text_is_refused():
    refused("", "empty")
    refused("   \n\t", "empty")
    refused("SELECT 1 AS period, 1 AS value -- " + "x" * 20_001, "limit is 20,000")
    refused("SELEC period FROM requests", "not valid SQL", "syntax error")
    refused("SELECT $1 AS period, 2 AS value", "parameters")


VALID = """
WITH closed AS (
    SELECT r.*, d.name, date_diff('day', created, closed) AS days
    FROM requests AS r JOIN districts AS d USING (district)
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY name ORDER BY created) AS n FROM closed
)
SELECT date_trunc('month', created) AS period,
       name AS member,
       count(*) FILTER (WHERE days <= 7) AS numerator,
       count(*) FILTER (WHERE CASE WHEN kind = 'pothole' THEN true ELSE closed IS NOT NULL END) AS denominator
FROM ranked
GROUP BY ALL
ORDER BY period;  -- trailing comment after the terminator
"""


def test_a_valid_definition_passes_and_runs(sandbox):
    checked = check_definition(VALID, DATASETS, sandbox)
    assert checked.tables == ("districts", "requests")
    assert checked.columns == ("period", "member", "numerator", "denominator")
    assert not checked.sql.rstrip().endswith(";")
    result = sandbox.run(wrap(checked.sql, checked.columns), timeout=5, max_rows=100)
    assert result.columns == ["period", "member", "numerator", "denominator"]
    assert len(result.rows) == 4


def test_median_and_a_trailing_comment_survive_wrapping(sandbox):
    sql = ("SELECT date_trunc('month', created) AS period, median(date_diff('day', created, closed)) AS value "
           "FROM requests GROUP BY 1 ORDER BY 1 -- by month")
    checked = check_definition(sql, DATASETS, sandbox)
    assert checked.columns == ("period", "value")
    rows = sandbox.run(wrap(checked.sql), timeout=5, max_rows=10).rows
    assert [row[1] for row in rows] == [6.0, 8.0]


@pytest.mark.parametrize("sql, words", [
    ("SELECT 1 AS value FROM requests", ["period"]),
    ("SELECT created AS period FROM requests", ["value, or both numerator and denominator"]),
    ("SELECT created AS period, 1 AS numerator FROM requests", ["numerator and denominator"]),
    ("SELECT created AS period, 1 AS value, 2 AS numerator, 3 AS denominator FROM requests", ["not both"]),
    ("SELECT created AS period, 1 AS value, kind FROM requests", ["kind", "period, member, value"]),
    # DuckDB renames a repeated column in a subquery, so the second one shows as value_1
    ("SELECT created AS period, 1 AS value, 2 AS value FROM requests", ["value_1"]),
    ("SELECT created AS period, nope AS value FROM requests", ["does not run", "nope"]),
])
def test_output_columns_are_checked(sandbox, sql, words):
    with pytest.raises(DefinitionError) as caught:
        check_definition(sql, DATASETS, sandbox)
    for word in words:
        assert word.lower() in str(caught.value).lower(), str(caught.value)


def test_wrap_selects_only_known_columns():
    assert wrap("SELECT 1 AS period, 2 AS value").startswith("SELECT period, value FROM (\n")
    with pytest.raises(DefinitionError):
        wrap("SELECT 1", ["period", "password"])


# -- the sandbox, as if the checker were bypassed ---------------------------------------------
@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM 'https://example.com/data.csv'",
])
def test_the_sandbox_refuses_files(sandbox, sql):
    with pytest.raises(SandboxError, match="file system operations are disabled"):
        sandbox.run(sql, timeout=2, max_rows=10)


def test_the_sandbox_runs_only_one_select(sandbox):
    for sql in ("DROP TABLE requests", "SET threads = 8", "SELECT 1; SELECT 2"):
        with pytest.raises(SandboxError, match="single SELECT"):
            sandbox.run(sql, timeout=2, max_rows=10)


@pytest.mark.parametrize("sql, error", [
    ("COPY requests TO '/tmp/citystat-sandbox-leak.csv'", duckdb.PermissionException),
    ("ATTACH '/tmp/citystat-sandbox-other.db' AS other", duckdb.PermissionException),
    ("INSTALL httpfs", duckdb.PermissionException),
    ("LOAD httpfs", duckdb.PermissionException),
    ("SET memory_limit = '100GB'", duckdb.InvalidInputException),
    ("SET enable_external_access = true", duckdb.InvalidInputException),
    ("RESET lock_configuration", duckdb.InvalidInputException),
    ("PRAGMA threads = 8", duckdb.InvalidInputException),
])
def test_duckdb_itself_refuses_files_and_settings_on_the_raw_connection(sandbox, sql, error):
    with sandbox.cursor() as cursor, pytest.raises(error):
        cursor.execute(sql)
    settings = sandbox.run("SELECT current_setting('memory_limit'), current_setting('enable_external_access')",
                           timeout=2, max_rows=1).rows[0]
    assert settings == ("61.0 MiB", False)  # 64MB as DuckDB reports it, unchanged


def test_python_variables_are_not_reachable(sandbox):
    hidden = [1, 2, 3]  # noqa: F841 - DuckDB's replacement scan would find a local like this
    import pandas as pd
    frame = pd.DataFrame({"x": [1]})  # noqa: F841
    with pytest.raises(SandboxError, match="frame"):
        sandbox.run("SELECT * FROM frame", timeout=2, max_rows=10)


def test_errors_come_back_in_one_plain_line(sandbox):
    with pytest.raises(SandboxError) as caught:
        sandbox.run("SELECT nope FROM requests", timeout=2, max_rows=10)
    assert "\n" not in str(caught.value) and not str(caught.value).startswith("Binder Error")
    assert "nope" in str(caught.value)


def test_the_time_limit_stops_a_slow_definition(sandbox):
    sandbox.create_table_as("numbers", "SELECT range AS i FROM range(100000)")
    started = time.monotonic()
    with pytest.raises(SandboxError, match="ran longer than 0.5 s"):
        sandbox.run("SELECT count(*) FROM numbers a, numbers b WHERE (a.i * b.i) % 7 = 3",
                    timeout=0.5, max_rows=1)
    assert time.monotonic() - started < 3
    assert sandbox.run("SELECT 1 AS x", timeout=2, max_rows=1).rows == [(1,)]


def test_the_memory_limit_refuses_a_greedy_definition(sandbox):
    # list() must hold every string at once and cannot spill, so 64 MB runs out every time.
    with pytest.raises(SandboxError, match="more memory than the 64MB allowed"):
        sandbox.run("SELECT list(i::VARCHAR || repeat('x', 100)) FROM range(2000000) r(i)",
                    timeout=10, max_rows=1)


def test_row_cap_and_tables(sandbox):
    result = sandbox.run("SELECT id FROM requests ORDER BY id", timeout=2, max_rows=3)
    assert result.rows == [(1,), (2,), (3,)] and result.truncated
    tables = sandbox.tables()
    assert set(tables) == {"requests", "districts", "secrets"}
    assert tables["districts"] == [("district", "INTEGER"), ("name", "VARCHAR")]
    with pytest.raises(SandboxError, match="not a valid name"):
        sandbox.create_table_from_values("bad name; DROP", {"x": "INTEGER"}, [])


def test_output_columns_step_alone(sandbox):
    assert output_columns(sandbox, "SELECT created AS period, 1 AS value FROM requests") == ("period", "value")
