"""Raw operational datasets (311 requests, permits, inspections): CSV files loaded as tables
of the sandbox database, where computed KPIs read them (issue #7).

A dataset profile names the table and how to read the file:

    {"name": "la_311", "encoding": "auto", "delimiter": null, "mode": "append",
     "columns": {"createddate": {"type": "timestamp", "format": "%m/%d/%Y %I:%M:%S %p"}}}

Column names are the file's headers made plain (lower case, letters, digits and _), so SQL
can name them without quotes: "CreatedDate" is `createddate`, "Request Type" is
`request_type`. DuckDB types the other columns from the data, but never as dates: a day or
time is typed only where the profile names its format (DuckDB guesses day/month order per
file, and a city's dates must not be guessed), else it stays text.

Each load is a batch: appended rows carry its number (`_batch`), a replaced table is kept
until the next replace, so the latest batch can be reverted exactly. Every load is one
transaction; a cell that does not fit its column's type or format rejects the file with the
line, column and value, and changes nothing.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The profile's names, importable from here too: callers load and describe with this module.
from metrics.dataset_profiles import (GUESSED_TYPES, MAX_COLUMNS, NAME, REPORT_ERRORS, TYPES,  # noqa: F401
                                      DatasetError, DatasetProfile, plain_name)
from metrics.reasons import Reason, reason_of
from metrics.sources import SourceError, as_utf8, detect_encoding, file_sha256

REGISTRY_SQL = """
CREATE TABLE IF NOT EXISTS _datasets (
    name VARCHAR PRIMARY KEY, profile JSON NOT NULL, created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(), updated_at TIMESTAMP);
CREATE SEQUENCE IF NOT EXISTS _dataset_batch_ids START 1;
CREATE TABLE IF NOT EXISTS _dataset_batches (
    id INTEGER PRIMARY KEY, dataset VARCHAR NOT NULL, mode VARCHAR NOT NULL, file_name VARCHAR,
    file_size BIGINT, sha256 VARCHAR, rows_loaded BIGINT NOT NULL, rows_before BIGINT NOT NULL,
    created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    status VARCHAR NOT NULL DEFAULT 'loaded', reverted_at TIMESTAMP, reverted_by VARCHAR);
"""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def ensure_registry(con) -> None:
    con.execute(REGISTRY_SQL)



@dataclass
class LoadReport:
    dataset: str
    mode: str
    batch_id: int | None = None
    rows: int = 0
    rows_before: int = 0
    columns: list[dict[str, str]] = field(default_factory=list)
    text_dates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "mode": self.mode, "batch_id": self.batch_id, "rows": self.rows,
                "rows_before": self.rows_before, "columns": self.columns, "text_dates": self.text_dates}


# -- loading --------------------------------------------------------------------------------------------
def _file_columns(con, text: Path, delimiter: str) -> list[str]:
    described = con.execute("SELECT * FROM read_csv($path, delim = $delim, header = true, all_varchar = true) "
                            "LIMIT 0", {"path": str(text), "delim": delimiter}).description
    return [d[0] for d in described]


def _delimiter(con, text: Path, given: str | None) -> str:
    if given:
        return given
    found = con.execute("SELECT Delimiter FROM sniff_csv($path)", {"path": str(text)}).fetchone()
    return found[0] if found and found[0] else ","


def _read_sql(profile: DatasetProfile, headers: list[str], names: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """The SELECT that reads the file into typed, plainly named columns, and the columns
    with a format as (name, raw column) for the check of unparsed cells."""
    typed = {}
    for header, name in zip(headers, names):
        spec = profile.columns.get(name)
        if spec is not None:
            typed[header] = "VARCHAR" if spec.format else TYPES[spec.type]
    types = "{" + ", ".join(f"'{h.replace(chr(39), chr(39) * 2)}': '{t}'" for h, t in typed.items()) + "}"
    select, formatted = [], []
    for i, (header, name) in enumerate(zip(headers, names)):
        spec = profile.columns.get(name)
        if spec is not None and spec.format:
            sql_type = TYPES[spec.type]
            fmt = spec.format.replace("'", "''")
            select.append(f"CAST(try_strptime(trim({_quote(header)}), '{fmt}') AS {sql_type}) AS {_quote(name)}")
            select.append(f"{_quote(header)} AS {_quote(f'__raw_{i}')}")
            formatted.append((name, f"__raw_{i}"))
        else:
            select.append(f"{_quote(header)} AS {_quote(name)}")
    reader = (f"read_csv($path, delim = $delim, header = true, auto_type_candidates = {GUESSED_TYPES}, "
              f"types = {types}, quote = '\"', escape = '\"')")
    return f"SELECT {', '.join(select)} FROM {reader}", formatted


def _bad_cells(con, formatted: list[tuple[str, str]], profile: DatasetProfile) -> tuple[int, list[dict[str, Any]]]:
    if not formatted:
        return 0, []
    # Rows staged inside a transaction are numbered from a large base: count from the first.
    first = con.execute("SELECT min(rowid) FROM _incoming").fetchone()[0] or 0
    checks = " UNION ALL ".join(
        f"SELECT rowid - {int(first)} + 2 AS line, '{name}' AS col, {_quote(raw)} AS value FROM _incoming "
        f"WHERE {_quote(name)} IS NULL AND nullif(trim({_quote(raw)}), '') IS NOT NULL" for name, raw in formatted)
    total = con.execute(f"SELECT count(*) FROM ({checks})").fetchone()[0]
    rows = con.execute(f"SELECT line, col, value FROM ({checks}) ORDER BY line, col LIMIT {REPORT_ERRORS}").fetchall()
    return total, [{"line": line, "column": col, "value": value,
                    "reason": Reason("dataset.bad_cell", type=profile.columns[col].type,
                                     format=profile.columns[col].format)}
                   for line, col, value in rows]


def _table_columns(con, table: str) -> list[tuple[str, str]]:
    return con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' "
                       "AND table_name = $t ORDER BY ordinal_position", {"t": table}).fetchall()


def load(con, path: Path, profile: DatasetProfile, *, actor: str, workdir: Path,
         file_name: str | None = None) -> LoadReport:
    """Load the CSV at `path` into the dataset `profile.name` on `con` (a connection that
    may read files: the sandbox's loader), in one transaction; DatasetError for a file that
    cannot be loaded, with nothing written."""
    ensure_registry(con)
    try:
        encoding = detect_encoding(path, profile.encoding)
        text = as_utf8(path, encoding, workdir)
    except SourceError as error:
        raise DatasetError([reason_of(error)]) from None
    try:
        return _load_text(con, text, path, profile, actor=actor, file_name=file_name or path.name)
    finally:
        if text != path:
            text.unlink(missing_ok=True)


def _load_text(con, text: Path, original: Path, profile: DatasetProfile, *, actor: str, file_name: str) -> LoadReport:
    params = {"path": str(text)}
    try:
        params["delim"] = _delimiter(con, text, profile.delimiter)
        headers = _file_columns(con, text, params["delim"])
    except Exception as error:   # DuckDB's CSV errors: say them plainly
        raise DatasetError([Reason("dataset.not_csv", problem=_first_line(error))]) from None
    if not headers or len(headers) > MAX_COLUMNS:
        raise DatasetError([Reason("dataset.header", limit=MAX_COLUMNS)])
    taken: set[str] = set()
    names = [plain_name(h, taken) for h in headers]
    missing = sorted(set(profile.columns) - set(names))
    if missing:
        raise DatasetError([Reason("dataset.missing_columns", missing=", ".join(missing), columns=", ".join(names))])
    select, formatted = _read_sql(profile, headers, names)
    with ThreadPoolExecutor(max_workers=1) as pool:
        sha = pool.submit(file_sha256, original)   # meanwhile: hashlib lets go of the GIL
        con.execute("BEGIN TRANSACTION")
        try:
            report = _stage_and_apply(con, select, params, formatted, profile, names, actor, original, file_name,
                                      sha)
            con.execute("COMMIT")
            return report
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _first_line(error: Exception) -> str:
    return str(error).split("\n")[0].split(": ", 1)[-1][:300]


def _unreadable(error: Exception) -> DatasetError:
    return DatasetError([Reason("dataset.unreadable", problem=_first_line(error))])


def _stage(con, select: str, params: dict, formatted, profile: DatasetProfile) -> None:
    """The file in the temp table `_incoming`, or DatasetError naming its bad cells."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _incoming AS {select}", params)
    except Exception as error:
        raise _unreadable(error) from None
    total, bad = _bad_cells(con, formatted, profile)
    if total:
        raise DatasetError([Reason("dataset.bad_cells", total=total)], bad, total)


def _replace(con, table: str, select: str, params: dict, formatted, profile, names, batch: int) -> None:
    """A new table straight from the file, in one pass: each row flags a cell that missed
    its format, and only when some did is the file staged again to say which."""
    keep = ", ".join(_quote(n) for n in names)
    flagged = " OR ".join(f"({_quote(n)} IS NULL AND nullif(trim({_quote(raw)}), '') IS NOT NULL)"
                          for n, raw in formatted) or "false"
    try:
        con.execute(f"CREATE TABLE {_quote(table)} AS SELECT {keep}, {int(batch)} AS _batch, "
                    f"({flagged}) AS _bad FROM ({select})", params)
    except Exception as error:
        raise _unreadable(error) from None
    if con.execute(f"SELECT count(*) FILTER (WHERE _bad) FROM {_quote(table)}").fetchone()[0]:
        _stage(con, select, params, formatted, profile)   # raises with the lines
    con.execute(f"ALTER TABLE {_quote(table)} DROP COLUMN _bad")


def _append(con, table: str, select: str, params: dict, formatted, profile, names, batch: int) -> None:
    _stage(con, select, params, formatted, profile)
    have = [c for c in _table_columns(con, table) if c[0] != "_batch"]
    incoming = _table_columns_temp(con, names)
    if have != incoming:
        raise DatasetError([Reason("dataset.columns_differ", incoming=_describe(incoming), have=_describe(have))])
    keep = ", ".join(_quote(n) for n in names)
    con.execute(f"INSERT INTO {_quote(table)} SELECT {keep}, {int(batch)} FROM _incoming")
    con.execute("DROP TABLE _incoming")


def _stage_and_apply(con, select, params, formatted, profile, names, actor, original, file_name, sha) -> LoadReport:
    table, exists = profile.name, bool(_table_columns(con, profile.name))
    rows_before = con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0] if exists else 0
    batch = con.execute("SELECT nextval('_dataset_batch_ids')").fetchone()[0]
    mode = profile.mode if exists else "replace"
    if mode == "append":
        _append(con, table, select, params, formatted, profile, names, batch)
        rows = con.execute(f"SELECT count(*) FROM {_quote(table)} WHERE _batch = ?", [batch]).fetchone()[0]
    else:
        if exists:
            con.execute(f"DROP TABLE IF EXISTS {_quote('_prev_' + table)}")
            con.execute(f"ALTER TABLE {_quote(table)} RENAME TO {_quote('_prev_' + table)}")
        _replace(con, table, select, params, formatted, profile, names, batch)
        rows = con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]
    if rows == 0:
        raise DatasetError([Reason("dataset.no_rows")])
    con.execute("""INSERT INTO _dataset_batches (id, dataset, mode, file_name, file_size, sha256, rows_loaded,
                   rows_before, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [batch, table, mode, file_name, original.stat().st_size, sha.result(), rows, rows_before, actor])
    con.execute("""INSERT INTO _datasets (name, profile, created_by) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET profile = excluded.profile, updated_at = current_localtimestamp()""",
                [table, json.dumps(profile.document), actor])
    columns = [{"name": n, "type": t} for n, t in _table_columns(con, table) if n != "_batch"]
    text_dates = [c["name"] for c in columns if c["type"] == "VARCHAR" and _looks_like_dates(con, table, c["name"])]
    return LoadReport(table, mode, batch, rows, rows_before, columns, text_dates)


def _table_columns_temp(con, names: list[str]) -> list[tuple[str, str]]:
    described = con.execute(f"SELECT {', '.join(_quote(n) for n in names)} FROM _incoming LIMIT 0").description
    types = con.execute(f"SELECT {', '.join('typeof(' + _quote(n) + ')' for n in names)} FROM _incoming LIMIT 1"
                        ).fetchone()
    return [(d[0], t) for d, t in zip(described, types)]


def _describe(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{n} {t.lower()}" for n, t in columns)


def _looks_like_dates(con, table: str, column: str) -> bool:
    """Text that reads like days or times in the first rows: the report suggests naming its format."""
    quoted = _quote(column)
    pattern = r"'^\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}'"
    found = con.execute(f"SELECT count(*) FILTER (WHERE regexp_matches({quoted}, {pattern})), count({quoted}) "
                        f"FROM (SELECT {quoted} FROM {_quote(table)} LIMIT 1000)").fetchone()
    return bool(found[1]) and found[0] >= 0.9 * found[1]


# -- history, revert, what is there ------------------------------------------------------------------------
_BATCH_FIELDS = ("id", "dataset", "mode", "file_name", "file_size", "sha256", "rows_loaded", "rows_before",
                 "created_by", "created_at", "status", "reverted_at", "reverted_by")


def batches(cursor, dataset: str | None = None, *, limit: int = 200) -> list[dict[str, Any]]:
    """Loads, newest first (of one dataset, or all)."""
    if not _table_columns(cursor, "_dataset_batches"):
        return []
    rows = cursor.execute(f"SELECT {', '.join(_BATCH_FIELDS)} FROM _dataset_batches "
                          "WHERE $dataset IS NULL OR dataset = $dataset ORDER BY id DESC LIMIT $limit",
                          {"dataset": dataset, "limit": limit}).fetchall()
    return [dict(zip(_BATCH_FIELDS, row)) for row in rows]


def revert(con, batch_id: int, *, actor: str) -> dict[str, Any]:
    """Undo one load on `con` (the loader connection), in one transaction: an append's rows
    go; a replace brings the previous table back, when no later load stands on it."""
    ensure_registry(con)
    found = [b for b in batches(con, None, limit=10**6) if b["id"] == batch_id]
    if not found or found[0]["status"] != "loaded":
        raise DatasetError([Reason("dataset.no_load", batch=batch_id)])
    batch = found[0]
    table = batch["dataset"]
    later = [b for b in batches(con, table, limit=10**6) if b["id"] > batch_id and b["status"] == "loaded"]
    con.execute("BEGIN TRANSACTION")
    try:
        if batch["mode"] == "append":
            removed = con.execute(f"DELETE FROM {_quote(table)} WHERE _batch = ?", [batch_id]).fetchone()[0]
        else:
            if later:
                raise DatasetError([Reason("dataset.later_load", later=later[-1]["id"])])
            removed = con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]
            con.execute(f"DROP TABLE {_quote(table)}")
            if _table_columns(con, "_prev_" + table):
                con.execute(f"ALTER TABLE {_quote('_prev_' + table)} RENAME TO {_quote(table)}")
            else:
                con.execute("DELETE FROM _datasets WHERE name = ?", [table])
        con.execute("UPDATE _dataset_batches SET status = 'reverted', reverted_at = current_localtimestamp(), "
                    "reverted_by = ? WHERE id = ?", [actor, batch_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"batch_id": batch_id, "dataset": table, "rows_removed": removed}


def describe(cursor) -> list[dict[str, Any]]:
    """Every dataset: its columns, row count, the span of its first date or time column,
    and when it was last loaded."""
    if not _table_columns(cursor, "_datasets"):
        return []
    found = []
    for name, profile, updated in cursor.execute(
            "SELECT name, profile, coalesce(updated_at, created_at) FROM _datasets ORDER BY name").fetchall():
        columns = [(n, t) for n, t in _table_columns(cursor, name) if n != "_batch"]
        if not columns:
            continue
        rows = cursor.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]
        dated = next((n for n, t in columns if t in ("DATE", "TIMESTAMP")), None)
        span = cursor.execute(f"SELECT min({_quote(dated)}), max({_quote(dated)}) FROM {_quote(name)}").fetchone() \
            if dated else (None, None)
        found.append({"name": name, "rows": rows, "columns": [{"name": n, "type": t} for n, t in columns],
                      "date_column": dated, "first": span[0], "last": span[1], "loaded_at": updated,
                      "profile": json.loads(profile) if isinstance(profile, str) else profile})
    return found


def preview(cursor, name: str, *, limit: int = 20) -> dict[str, Any]:
    """The first rows of a dataset (its own columns, not the batch number)."""
    columns = [n for n, _ in _table_columns(cursor, name) if n != "_batch"] if NAME.match(name) else []
    if not columns:
        raise DatasetError([Reason("dataset.unknown", name=repr(name))])
    rows = cursor.execute(f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(name)} LIMIT ?",
                          [int(limit)]).fetchall()
    return {"name": name, "columns": columns, "rows": rows}
