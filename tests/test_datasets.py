"""Raw datasets: CSV files loaded into the sandbox by a profile, typed without guessing
dates, appended or replaced as batches that can be reverted exactly; a bad file changes
nothing. The real LA 311 export is one of the files."""
from __future__ import annotations

from pathlib import Path

import pytest

from metrics import datasets
from metrics.datasets import DatasetError, DatasetProfile
from metrics.sandbox import Sandbox

LA_311 = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "la_311" / \
    "MyLA311_Service_Request_Data_2017_Subset.csv"
LA_FORMAT = "%m/%d/%Y %I:%M:%S %p"


@pytest.fixture
def sandbox(tmp_path):
    store = Sandbox(tmp_path / "raw.duckdb", memory_limit="256MB")
    yield store
    store.close()


def _load(sandbox, path, document, tmp_path, actor="analyst"):
    with sandbox.loading() as con:
        return datasets.load(con, Path(path), DatasetProfile.parse(document), actor=actor, workdir=tmp_path)


def _csv(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_the_la_311_export_loads_with_its_dates_typed_by_the_profile(sandbox, tmp_path):
    report = _load(sandbox, LA_311, {"name": "la_311", "columns": {
        "createddate": {"type": "timestamp", "format": LA_FORMAT},
        "closeddate": {"type": "timestamp", "format": LA_FORMAT}}}, tmp_path)
    assert report.rows == 9999 and report.batch_id == 1
    types = {c["name"]: c["type"] for c in report.columns}
    assert types["createddate"] == "TIMESTAMP" and types["closeddate"] == "TIMESTAMP"
    assert types["cd"] == "BIGINT" and types["requesttype"] == "VARCHAR"
    # Dates the profile did not type stay text, and the report says which look like dates.
    assert types["servicedate"] == "VARCHAR" and "servicedate" in report.text_dates
    with sandbox.cursor() as cursor:
        first, last = cursor.execute("SELECT min(createddate), max(createddate) FROM la_311").fetchone()
        closed_before_open = cursor.execute("SELECT count(*) FROM la_311 WHERE closeddate < createddate").fetchone()[0]
        described = datasets.describe(cursor)
    assert (first.date().isoformat(), last.date().isoformat()) == ("2017-12-27", "2017-12-31")
    assert closed_before_open == 12     # as SOURCES.md says of this file
    assert described[0]["name"] == "la_311" and described[0]["rows"] == 9999
    assert described[0]["date_column"] == "createddate"


def test_cells_that_miss_the_format_reject_the_file_with_their_lines(sandbox, tmp_path):
    good = _csv(tmp_path, "good.csv", "id,opened\n1,2024-03-01\n2,2024-03-02\n")
    _load(sandbox, good, {"name": "requests", "columns": {"opened": {"type": "date", "format": "%Y-%m-%d"}}}, tmp_path)
    bad = _csv(tmp_path, "bad.csv", "id,opened\n3,2024-03-03\n4,03/04/2024\n5,2024-02-30\n")
    with pytest.raises(DatasetError) as raised:
        _load(sandbox, bad, {"name": "requests", "columns": {"opened": {"type": "date", "format": "%Y-%m-%d"}}},
              tmp_path)
    assert raised.value.total == 2
    assert [(r["line"], r["value"]) for r in raised.value.rows] == [(3, "03/04/2024"), (4, "2024-02-30")]
    with sandbox.cursor() as cursor:   # nothing changed
        assert cursor.execute("SELECT count(*) FROM requests").fetchone()[0] == 2
        assert len(datasets.batches(cursor)) == 1


def test_append_then_replace_then_revert_each_exactly(sandbox, tmp_path):
    profile = {"name": "permits", "mode": "append"}
    first = _load(sandbox, _csv(tmp_path, "a.csv", "id,kind\n1,roof\n2,fence\n"), profile, tmp_path)
    second = _load(sandbox, _csv(tmp_path, "b.csv", "id,kind\n3,pool\n"), profile, tmp_path)
    replaced = _load(sandbox, _csv(tmp_path, "c.csv", "id,kind\n9,deck\n"), {**profile, "mode": "replace"}, tmp_path)
    assert (first.mode, second.mode, replaced.mode) == ("replace", "append", "replace")
    assert replaced.rows_before == 3

    def ids():
        with sandbox.cursor() as cursor:
            return sorted(r[0] for r in cursor.execute("SELECT id FROM permits").fetchall())

    assert ids() == [9]
    with sandbox.loading() as con:
        with pytest.raises(DatasetError, match="revert it first"):
            datasets.revert(con, first.batch_id, actor="manager")    # the replace stands on it
        datasets.revert(con, replaced.batch_id, actor="manager")
    assert ids() == [1, 2, 3]
    with sandbox.loading() as con:
        assert datasets.revert(con, second.batch_id, actor="manager")["rows_removed"] == 1
    assert ids() == [1, 2]
    with sandbox.cursor() as cursor:
        statuses = {b["id"]: b["status"] for b in datasets.batches(cursor, "permits")}
    assert statuses == {first.batch_id: "loaded", second.batch_id: "reverted", replaced.batch_id: "reverted"}


def test_an_append_with_other_columns_is_refused(sandbox, tmp_path):
    _load(sandbox, _csv(tmp_path, "a.csv", "id,kind\n1,roof\n"), {"name": "permits"}, tmp_path)
    with pytest.raises(DatasetError, match="differ from the dataset's"):
        _load(sandbox, _csv(tmp_path, "b.csv", "id,kind,fee\n2,pool,10\n"), {"name": "permits"}, tmp_path)


def test_headers_become_plain_column_names_and_cp1252_is_read(sandbox, tmp_path):
    path = _csv(tmp_path, "x.csv", "Request Type;Año;2nd Value\nBaches;2024;1,5\n", encoding="cp1252")
    report = _load(sandbox, path, {"name": "solicitudes", "delimiter": ";"}, tmp_path)
    assert [c["name"] for c in report.columns] == ["request_type", "a_o", "c_2nd_value"]
    with sandbox.cursor() as cursor:
        assert cursor.execute("SELECT request_type FROM solicitudes").fetchone()[0] == "Baches"


@pytest.mark.parametrize("document, message", [
    ({"name": "Bad Name"}, "lower-case letters"),
    ({"name": "information_schema"}, "system name"),
    ({"name": "ok", "mode": "merge"}, "append or replace"),
    ({"name": "ok", "columns": {"d": {"type": "date", "format": "no codes"}}}, "strftime codes"),
    ({"name": "ok", "columns": {"d": {"type": "money"}}}, "type must be one of"),
    ({"name": "ok", "extra": 1}, "unknown profile fields"),
    ("not an object", "JSON object"),
])
def test_profiles_are_checked_with_messages_that_say_what_to_fix(document, message):
    with pytest.raises(DatasetError, match=message):
        DatasetProfile.parse(document)


def test_a_profile_naming_a_missing_column_lists_the_files_columns(sandbox, tmp_path):
    with pytest.raises(DatasetError, match="the file's columns are id, kind"):
        _load(sandbox, _csv(tmp_path, "a.csv", "id,kind\n1,roof\n"),
              {"name": "permits", "columns": {"opened": {"type": "date", "format": "%Y-%m-%d"}}}, tmp_path)


def test_people_sql_in_the_sandbox_cannot_see_the_bookkeeping(sandbox, tmp_path):
    _load(sandbox, _csv(tmp_path, "a.csv", "id,kind\n1,roof\n"), {"name": "permits"}, tmp_path)
    assert list(sandbox.tables()) == ["permits"]
