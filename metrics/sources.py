"""Reading a city's file into a staging table, as text, whatever it was saved as.

CSV: UTF-8 with or without BOM, UTF-16 (by its BOM) or cp1252, detected or named; the
delimiter sniffed or named; quoted cells with line breaks. XLSX: checked as a zip (size
and compression ratio) before python-calamine reads it. Every cell lands as text in the
temp relation `raw` (columns c0, c1, ... and `_line`, the row's number in the file with the
header as row 1; for a CSV a view over the staged temp table `raw_cells`), so parsing and
validation can happen set-wise in SQL.
"""
from __future__ import annotations

import codecs
import hashlib
import csv
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from metrics.reasons import Reason

MAX_COLUMNS = 500
MAX_ROWS = 5_000_000
MAX_XLSX_UNPACKED = 300 * 1024 * 1024   # bytes, all members together
MAX_XLSX_RATIO = 200                     # uncompressed / compressed, per member
_SNIFF_BYTES = 256 * 1024
# DuckDB reads a CSV in buffers of 32 MB by default: a whole export in one, held while the
# table fills, read by one thread. 4 MB buffers staged a million-row file faster (both
# threads read) with 12 MB less at the peak. (It must stay above max_line_size, 2 MB.)
_CSV_BUFFER = 4 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_UTF8_LETTER = re.compile(rb"[\xc3\xc2][\x80-\xbf]")   # é, ñ, ü, ...: the Latin letters cp1252 also has


class SourceError(ValueError):
    """The file cannot be read as a table; the message says why and what to do."""


@dataclass
class Staged:
    kind: str                  # csv or xlsx
    headers: list[str]         # the header texts as written
    rows: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()

    def column_of(self, header: str) -> str | None:
        """The staging column holding `header` (exact, then ignoring case and spaces)."""
        if header in self.headers:
            return f"c{self.headers.index(header)}"
        wanted = " ".join(header.split()).lower()
        for index, text in enumerate(self.headers):
            if " ".join(text.split()).lower() == wanted:
                return f"c{index}"
        return None


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in 1 MB pieces (hashlib lets go of the GIL meanwhile)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- encodings ---------------------------------------------------------------------------------
def detect_encoding(path: Path, named: str = "auto") -> str:
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head:
        raise SourceError(Reason("file.empty"))
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if named != "auto":
        return named
    if b"\x00" in head:
        raise SourceError(Reason("file.binary"))
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8. If it still holds well-formed UTF-8 letters (é as C3 A9), two encodings were
    # pasted together; reading it either way would garble one part, so say so instead.
    with open(path, "rb") as handle:
        if _UTF8_LETTER.search(handle.read()):
            raise SourceError(Reason("file.mixed_encodings"))
    return "cp1252"


def as_utf8(path: Path, encoding: str, workdir: Path) -> Path:
    """`path` itself when it is plain UTF-8; else a UTF-8 copy (streamed, not in memory)."""
    if encoding == "utf-8":
        return path
    descriptor, name = tempfile.mkstemp(suffix=".csv", dir=workdir)
    os.close(descriptor)
    target = Path(name)
    errors = "strict"
    try:
        with open(path, encoding=encoding, errors=errors, newline="") as source, \
                open(target, "w", encoding="utf-8", newline="") as out:
            for chunk in iter(lambda: source.read(1 << 20), ""):
                out.write(chunk)
    except UnicodeDecodeError as error:
        target.unlink(missing_ok=True)
        raise SourceError(Reason("file.bad_encoding", encoding=encoding, byte=error.start)) from None
    return target


def _sniff_delimiter(first_lines: str) -> str:
    counts = {d: sum(line.count(d) for line in first_lines.splitlines()[:5]) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _header(text_path: Path, delimiter: str, header_row: int) -> list[str]:
    with open(text_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for number, row in enumerate(reader, start=1):
            if number == header_row:
                return [cell.strip() for cell in row]
    raise SourceError(Reason("file.no_header") if header_row == 1 else Reason("file.few_rows", rows=header_row))


def stage_csv(workspace, path: Path, *, encoding: str = "auto", delimiter: str | None = None,
              header_row: int = 1, workdir: Path) -> Staged:
    if os.path.getsize(path) == 0:
        raise SourceError(Reason("file.empty"))
    encoding = detect_encoding(path, encoding)
    text_path = as_utf8(path, encoding, workdir)
    try:
        with open(text_path, encoding="utf-8", newline="") as handle:
            head = handle.read(_SNIFF_BYTES)
        delimiter = delimiter or _sniff_delimiter(head)
        headers = _header(text_path, delimiter, header_row)
        if len(headers) > MAX_COLUMNS:
            raise SourceError(Reason("file.too_wide", count=len(headers), limit=MAX_COLUMNS))
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
        try:
            workspace.execute(
                f"CREATE OR REPLACE TEMP TABLE raw_cells AS "
                f"FROM read_csv($path, header = false, skip = {int(header_row)}, all_varchar = true, "
                f"delim = $delim, quote = '\"', escape = '\"', columns = {columns}, auto_detect = false, "
                f"buffer_size = {_CSV_BUFFER})",
                {"path": str(text_path), "delim": delimiter})
            # A row's number is its place in the staged table: DuckDB keeps the file's order
            # (preserve_insertion_order), and numbering with row_number() OVER () would cost
            # another pass, with every row held at once.
            workspace.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT rowid + {int(header_row) + 1} AS _line, * "
                              "FROM raw_cells")
        except Exception as error:   # DuckDB's CSV errors carry the line; say it plainly
            message = str(error).split("\n")[0].removeprefix("Invalid Input Error: ")
            raise SourceError(Reason("file.not_a_table", delimiter=repr(delimiter), problem=message)) from None
    finally:
        if text_path != path:
            text_path.unlink(missing_ok=True)
    rows = workspace.execute("SELECT count(*) FROM raw_cells").scalar()
    if rows > MAX_ROWS:
        raise SourceError(Reason("file.too_long", rows=f"{rows:,}", limit=f"{MAX_ROWS:,}"))
    return Staged("csv", headers, rows, encoding=encoding, delimiter=delimiter)


# -- XLSX ---------------------------------------------------------------------------------------
def check_xlsx(path: Path) -> None:
    """A workbook is a zip: refuse one that is not, or that would unpack to far too much."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise SourceError(Reason("file.zip_not_xlsx"))
            unpacked = sum(m.file_size for m in members)
            if unpacked > MAX_XLSX_UNPACKED:
                raise SourceError(Reason("file.xlsx_too_big", size=unpacked // (1024 * 1024),
                                         limit=MAX_XLSX_UNPACKED // (1024 * 1024)))
            for member in members:
                if member.compress_size and member.file_size / member.compress_size > MAX_XLSX_RATIO:
                    raise SourceError(Reason("file.zip_bomb"))
    except zipfile.BadZipFile:
        raise SourceError(Reason("file.bad_xlsx")) from None


def _cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def stage_xlsx(workspace, path: Path, *, sheet: str | None = None, header_row: int = 1) -> Staged:
    from python_calamine import CalamineWorkbook

    check_xlsx(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:
        raise SourceError(Reason("file.xlsx_unopened", problem=str(error))) from None
    sheets = tuple(workbook.sheet_names)
    if not sheets:
        raise SourceError(Reason("file.no_sheets"))
    chosen = sheet or sheets[0]
    if chosen not in sheets:
        raise SourceError(Reason("file.no_sheet", sheet=repr(chosen), sheets=", ".join(sheets)))
    rows = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    if len(rows) < header_row:
        raise SourceError(Reason("file.empty_sheet", sheet=repr(chosen)) if header_row == 1 else
                          Reason("file.sheet_few_rows", sheet=repr(chosen), rows=header_row))
    headers = [(_cell_text(h) or "").strip() for h in rows[header_row - 1]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise SourceError(Reason("file.sheet_too_wide", count=len(headers), limit=MAX_COLUMNS))
    body = rows[header_row:]
    if len(body) > MAX_ROWS:
        raise SourceError(Reason("file.sheet_too_long", rows=f"{len(body):,}", limit=f"{MAX_ROWS:,}"))
    width = len(headers)
    data = {f"c{i}": [(_cell_text(row[i]) if i < len(row) else None) for row in body] for i in range(width)}
    frame = pd.DataFrame(data, dtype="string")
    frame.insert(0, "_line", range(header_row + 1, header_row + 1 + len(body)))
    workspace.cursor.register("_citystat_sheet", frame)
    try:
        workspace.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM _citystat_sheet")
    finally:
        workspace.cursor.unregister("_citystat_sheet")
    return Staged("xlsx", headers, len(body), sheet=chosen, sheets=sheets)


def stage_file(workspace, path: Path, profile, *, workdir: Path) -> Staged:
    """Stage `path` (CSV or XLSX, by its content, not its name) as the temp table `raw`."""
    if os.path.getsize(path) == 0:
        raise SourceError(Reason("file.empty"))
    if is_xlsx(path):
        return stage_xlsx(workspace, path, sheet=profile.sheet, header_row=profile.header_row)
    return stage_csv(workspace, path, encoding=profile.encoding, delimiter=profile.delimiter,
                     header_row=profile.header_row, workdir=workdir)
