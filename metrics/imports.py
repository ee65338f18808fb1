"""Imports (DESIGN §5): a city's file and a profile in; a report of every rejected row, or
the data in, in one transaction, all or nothing.

The file is staged as text (metrics.sources), shaped by the profile into one row per KPI,
period and breakdown, and parsed set-wise in SQL: numbers with thousands separators,
percent signs, scientific notation or decimal commas; missing-value words. The few
distinct KPIs and period texts are resolved in Python with the same rules as the rest of
CityStat (metrics.periods), then joined back. Nothing per row happens in Python, so a
million-row file streams through DuckDB.
"""
from __future__ import annotations

import json
import re
import shutil
import unicodedata
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Sequence

from metrics import versions
from metrics.access import Scope
from metrics.periods import FiscalCalendar, Period, PeriodError
from metrics.profiles import CATEGORIES, KPI_FIELDS, Profile, ProfileError
from metrics.reasons import Reason, reason_of
from metrics.sources import SourceError, Staged, file_sha256, stage_file
from metrics.warehouse import Warehouse

REPORT_ERRORS = 1000
# Batch kinds a person may revert: files, and the app's data-entry and targets grids.
REVERTIBLE = ("import", "manual", "targets")
VALUE_COLUMNS = ("value", "target", "target_low", "target_high", "numerator", "denominator")
TEXT_FIELDS = ("dimension", "member", "note")
_SLASH_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")


class ImportError_(ValueError):
    """A file or profile problem that stops the import before any row is judged."""


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    empty: int = 0
    replaced: int = 0
    targets: int = 0
    targets_cleared: int = 0
    kpis_created: list[str] = field(default_factory=list)
    kpis_updated: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    committed: bool = False
    batch_id: int | None = None
    shape: str | None = None
    headers: list[str] = field(default_factory=list)
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- small pure helpers ---------------------------------------------------------------------------
def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80]


def _literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _boolean(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "y", "1", "x", "published", "critical"):
        return True
    if lowered in ("false", "no", "n", "0", ""):
        return False
    return None


def parse_period(text: str, frequency: str, calendar: FiscalCalendar, period_format: str | None) -> Period:
    """The period a file means: a period label as written (its own frequency, which must sit
    on the city's fiscal calendar), or a date - ISO, in the profile's format, an Excel serial
    number (format "excel") or an unambiguous d/m/y - mapped to the KPI's `frequency`."""
    raw = " ".join(str(text).split())
    day: date | None = None
    if period_format == "excel":
        try:
            day = date(1899, 12, 30) + timedelta(days=int(float(raw)))
        except (ValueError, OverflowError):
            raise PeriodError(Reason("period.excel", text=repr(raw))) from None
    elif period_format:
        try:
            day = datetime.strptime(raw, period_format).date()
        except ValueError:
            raise PeriodError(Reason("period.format", text=repr(raw), format=period_format)) from None
    elif match := _ISO_DAY.match(raw):
        day = calendar.parse(match[1]).start
    elif match := _SLASH_DATE.match(raw):
        first, second = int(match[1]), int(match[2])
        if first != second and first <= 12 and second <= 12:
            raise PeriodError(Reason("period.ambiguous", text=repr(raw)))
        month, day_number = (first, second) if second > 12 or first == second else (second, first)
        try:
            day = date(int(match[3]), month, day_number)
        except ValueError:
            raise PeriodError(Reason("period.not_real", text=repr(raw))) from None
    if day is not None:
        return calendar.containing(frequency, day)
    period = calendar.parse(raw)
    if calendar.containing(period.frequency, period.start) != period:
        raise PeriodError(Reason("period.off_calendar", text=repr(raw), month=calendar.start_month,
                                 label=calendar.label(calendar.containing(period.frequency, period.start))))
    return period


# -- building SQL from the profile ------------------------------------------------------------------
def _plain_columns(ws, staged: Staged, profile: Profile) -> set[str]:
    """The staged columns the profile reads that have nothing to trim: all ASCII, nothing at
    or below ' ' first, no ' ' last. DuckDB's trim looks up the Unicode class of the characters
    at both ends, a real share of every pass over a million cells, and most exports have
    nothing to trim; one pass here spares it in the several passes that read `shaped`."""
    columns = sorted({c for source in profile.columns.values() for header in source.columns
                      if (c := staged.column_of(header)) is not None})
    if not columns:
        return set()
    row = ws.execute("SELECT " + ", ".join(
        f"coalesce(bool_or({c} < '!' OR ends_with({c}, ' ') OR strlen({c}) <> length({c})), false) AS {c}"
        for c in columns) + " FROM raw").first()
    return {c for c in columns if not row[c]}


def _cell_sql(column: str, plain: set[str]) -> str:
    return column if column in plain else f"trim({column})"


def _source_sql(source, staged: Staged, problems: list[str], field_name: str, plain: set[str]) -> str:
    if source.column is not None:
        column = staged.column_of(source.column)
        if column is None:
            problems.append(Reason("import.no_column", name=field_name, column=repr(source.column)))
            return "NULL"
        return f"nullif({_cell_sql(column, plain)}, '')"
    if source.template is not None:
        parts, position = [], 0
        for match in re.finditer(r"{([^{}]+)}", source.template):
            if match.start() > position:
                parts.append(_literal(source.template[position:match.start()]))
            column = staged.column_of(match[1])
            if column is None:
                problems.append(Reason("import.no_template_column", name=field_name, column=repr(match[1])))
                return "NULL"
            parts.append(_cell_sql(column, plain))
            position = match.end()
        if position < len(source.template):
            parts.append(_literal(source.template[position:]))
        return "nullif(concat(" + ", ".join(parts) + "), '')"
    return "NULL" if source.constant is None else _literal(source.constant)


def _kpi_selects(profile: Profile, staged: Staged, problems: list[str], plain: set[str]) -> list[str]:
    return [f"{_source_sql(profile.columns[n], staged, problems, n, plain) if n in profile.columns else 'NULL'}"
            f" AS f_{n}" for n in KPI_FIELDS]


def _shape_rows(ws, profile: Profile, staged: Staged) -> set[str]:
    """Create `shaped`: one row per file line, period and breakdown. Returns the value and
    text fields (VALUE_COLUMNS, TEXT_FIELDS) the profile fills; the others are NULL."""
    problems: list[str] = []
    # A long file's `shaped` is a view, read several times; a wide one's is built once.
    plain = _plain_columns(ws, staged, profile) if profile.shape == "long" else set()
    kpi = _kpi_selects(profile, staged, problems, plain)
    if profile.shape == "long":
        values = [(_source_sql(profile.columns[n], staged, problems, n, plain) if n in profile.columns else "NULL")
                  + f" AS v_{n}" for n in VALUE_COLUMNS + TEXT_FIELDS + ("period",)]
        if problems:
            raise ProfileError(problems + [_columns_hint(staged)])
        ws.execute("DROP VIEW IF EXISTS shaped")
        ws.execute(f"CREATE TEMP VIEW shaped AS SELECT _line, {', '.join(kpi + values)} FROM raw")
        return {n for n in VALUE_COLUMNS + TEXT_FIELDS if n in profile.columns}
    selects, filled = [], {n for n in ("dimension", "member") if n in profile.columns}
    for index, _header, period, kind in profile.wide_columns(staged.headers):
        target = {"actual": "value"}.get(kind, kind)
        filled.add(target)
        cells = ", ".join(f"trim(c{index}) AS v_{name}" if name == target else f"NULL AS v_{name}"
                          for name in VALUE_COLUMNS + ("note",))
        selects.append(f"SELECT _line, {_literal(period)} AS v_period, {cells} FROM raw")
    if not selects:
        problems.append(Reason("import.no_wide_column", headers=", ".join(staged.headers)))
    text = {n: (_source_sql(profile.columns[n], staged, problems, n, plain) if n in profile.columns else "NULL")
            for n in ("dimension", "member")}
    if problems:
        raise ProfileError(problems)
    merged = ", ".join(f"max(v_{name}) AS v_{name}" for name in VALUE_COLUMNS + ("note",))
    ws.execute("DROP VIEW IF EXISTS shaped")
    ws.execute(f"""CREATE TEMP TABLE shaped AS
        WITH cells AS ({' UNION ALL '.join(selects)}),
        per_period AS (SELECT _line, v_period, {merged} FROM cells GROUP BY _line, v_period)
        SELECT p._line, {', '.join(kpi)}, p.*  EXCLUDE (_line),
               {text['dimension']} AS v_dimension, {text['member']} AS v_member
        FROM per_period p JOIN raw USING (_line)""")
    return filled


def _columns_hint(staged: Staged) -> Reason:
    headers = ", ".join(staged.headers)
    if len(staged.headers) == 1:
        other = next((d for d in (";", "\t", "|", ",") if d in staged.headers[0]), None)
        if other:
            return Reason("import.delimiter_hint", headers=headers, delimiter=repr(other))
    return Reason("import.columns_are", headers=headers)


def _number_sql(column: str, profile: Profile) -> str:
    """Text to number in SQL: thousands separators, %, scientific notation, decimal commas."""
    # Currency signs ($, R$, €, £) and percent signs go; the unit says what the number is.
    symbols = f"regexp_replace({column}, '(R\\$|[$€£%\\s\\x{{00A0}}])', '', 'g')"
    if profile.decimal == ",":
        return f"TRY_CAST(replace(replace({symbols}, '.', ''), ',', '.') AS DOUBLE)"
    # Most cells are plain numbers: cast those as they are and clean only the rest (the
    # regular expression is the costly part). A cell that casts has nothing cleaning would
    # remove but whitespace at its ends, which the cast ignores too, so the value is the same.
    return f"coalesce(TRY_CAST({column} AS DOUBLE), TRY_CAST(replace({symbols}, ',', '') AS DOUBLE))"


def _missing_sql(column: str, profile: Profile) -> str:
    words = ", ".join(["''"] + [_literal(w.strip().lower()) for w in profile.missing])
    return f"({column} IS NULL OR lower(trim({column})) IN ({words}))"


# -- KPIs and periods: few distinct values, resolved with the catalogue's rules ---------------------------
@dataclass
class _Kpi:
    key: str                       # the id text as the file wrote it (or made from the name)
    kpi_id: str | None = None
    error: Reason | None = None
    error_column: str | None = None
    frequency: str | None = None
    unit: str | None = None
    create: dict[str, Any] | None = None
    update: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)   # the stored fields `update` changes
    computed: bool = False         # its values come from its SQL definition, not from files


def _field(profile: Profile, name: str, raw: Any) -> Any:
    if raw is None:
        return None
    text = str(raw).strip()
    mapped = profile.value_maps.get(name, {}).get(text.lower())
    return mapped if mapped is not None else text


def _resolve_kpis(ws, profile: Profile, scope: Scope, warehouse: Warehouse) -> dict[str, _Kpi]:
    # Each KPI field the profile fills: its first value in the file (fields it does not fill
    # are NULL, and aggregating a million NULLs still costs a pass each).
    fields = "".join(f", arg_min(f_{n}, _line) FILTER (WHERE f_{n} IS NOT NULL) AS {n}" for n in KPI_FIELDS
                     if n != "kpi_id" and n in profile.columns)
    rows = ws.execute(f"SELECT coalesce(f_kpi_id, f_kpi_name) AS key{fields} FROM shaped GROUP BY ALL").dicts()
    existing = {k["id"]: k for k in ws.execute("SELECT * FROM kpis").dicts()}
    computed = {r["kpi_id"] for r in ws.execute("SELECT DISTINCT kpi_id FROM kpi_definitions").dicts()}
    departments = ws.execute("SELECT id, name FROM departments").dicts()
    by_department = {d["id"]: d["id"] for d in departments} | {d["name"].lower(): d["id"] for d in departments}
    goals = {g["id"]: g for g in ws.execute("SELECT id, title, archived FROM goals").dicts()}
    goals_by_title = {g["title"].lower(): g["id"] for g in goals.values()}
    resolved: dict[str, _Kpi] = {}
    for row in rows:
        key = row["key"]
        if key is None:
            continue
        given_id = key.strip() if "kpi_id" in profile.columns else None
        # Ids appear in addresses (/kpi/<id>): keep a city's own codes (AM01), make the rest slugs.
        kpi_id = given_id if given_id and _SAFE_ID.match(given_id) else slug(given_id or row.get("kpi_name") or key)
        item = _Kpi(key=key, kpi_id=kpi_id, computed=kpi_id in computed)
        resolved[key] = item
        values = {n: _field(profile, n, row.get(n)) for n in KPI_FIELDS if n != "kpi_id"}
        current = existing.get(kpi_id)
        problem = _kpi_problem(item, values, current, scope, by_department, goals, goals_by_title)
        if problem:
            source = profile.columns.get(problem[1]) or profile.columns.get("kpi_name" if problem[1] == "kpi_id" else "")
            item.error, item.error_column = problem[0], (source.column if source and source.column else problem[1])
    return resolved


def _kpi_problem(item: _Kpi, values: dict, current: dict | None, scope: Scope, by_department: dict,
                 goals: dict, goals_by_title: dict) -> tuple[Reason, str] | None:
    """Fill `item` from the file's values over the catalogue's; return (reason, field) when it cannot load."""
    changes: dict[str, Any] = {}
    for name in ("unit", "direction", "frequency", "aggregation"):
        if values[name] is not None:
            if values[name] not in CATEGORIES[name]:
                return (Reason("import.not_a_category", value=repr(values[name]), name=name,
                               allowed=", ".join(CATEGORIES[name])), name)
            changes[name] = values[name]
    for name, column in (("kpi_name", "name"), ("description", "description"), ("owner", "owner"),
                         ("data_source", "data_source"), ("methodology", "methodology"), ("unit_label", "unit_label"),
                         ("name_es", "name_es"), ("name_pt", "name_pt"), ("description_es", "description_es"),
                         ("description_pt", "description_pt")):
        if values[name] is not None:
            changes[column] = values[name]
    if values["tolerance"] is not None:
        text = values["tolerance"].rstrip("%").strip()
        try:
            number = float(text) / (100 if values["tolerance"].endswith("%") or float(text) > 1 else 1)
        except ValueError:
            return (Reason("import.tolerance", value=repr(values["tolerance"])), "tolerance")
        changes["tolerance"] = number
    if values["lag"] is not None:
        digits = re.match(r"^\s*(\d+)\s*(days?)?\s*$", values["lag"])
        if not digits:
            return (Reason("import.lag", value=repr(values["lag"])), "lag")
        changes["lag_days"] = int(digits[1])
    for name in ("published", "critical"):
        if values[name] is not None:
            flag = _boolean(values[name])
            if flag is None:
                return (Reason("import.yes_no", name=name, value=repr(values[name])), name)
            changes[name] = flag
    if values["department"] is not None:
        department = by_department.get(values["department"].lower()) or by_department.get(values["department"])
        if department is None:
            department = slug(values["department"])
            changes["_new_department"] = values["department"]
        changes["department_id"] = department
    if values["goal_id"] is not None or values["goal_title"] is not None:
        goal = values["goal_id"] or goals_by_title.get((values["goal_title"] or "").lower()) or slug(values["goal_title"])
        if goal not in goals:
            if not values["goal_title"]:
                return (Reason("import.no_goal", goal=repr(goal)), "goal_id")
            changes["_new_goal"] = values["goal_title"]
        elif goals[goal]["archived"] and goal != (current or {}).get("goal_id"):
            return (Reason("import.goal_archived", goal=repr(goal)), "goal_id")
        changes["goal_id"] = goal
    if current is not None and current.get("archived"):
        return (Reason("import.archived", kpi=repr(item.kpi_id)), "kpi_id")
    department = changes.get("department_id") or (current or {}).get("department_id")
    if not scope.can_edit_department(department):
        return (Reason("import.not_yours", kpi=repr(item.kpi_id), department=department or "none"), "department")
    if current is None:
        if not changes.get("name"):
            return (Reason("import.unknown_kpi", kpi=repr(item.kpi_id)), "kpi_id")
        if "frequency" not in changes:
            return (Reason("import.needs_frequency", kpi=repr(item.kpi_id)), "frequency")
        unit = changes.get("unit", "count")
        changes.setdefault("unit", unit)
        changes.setdefault("direction", "neutral")
        changes.setdefault("aggregation", "sum" if unit in ("count", "currency") else "mean")
        item.create = {"id": item.kpi_id, **changes}
    else:
        item.update = {k: v for k, v in changes.items() if k.startswith("_") or current.get(k) != v}
        item.before = {k: current.get(k) for k in item.update if not k.startswith("_")}
    merged = {**(current or {}), **changes}
    item.frequency, item.unit = merged["frequency"], merged["unit"]
    return None


def _coded(reason: Reason | None) -> tuple[str | None, str | None]:
    """A reason as the two columns the SQL checks carry: its code and its params as JSON."""
    return (None, None) if reason is None else (reason.code, json.dumps(reason.params))


def _resolve_periods(ws, kpis: dict[str, _Kpi], profile: Profile, calendar: FiscalCalendar) -> list[tuple]:
    """Each distinct (KPI frequency, period text) of the file, parsed once, under one key
    "frequency:text". (With the two apart, the planner may join the KPIs to the periods
    first, on frequency alone: a hash table of every KPI times every period.)"""
    frequencies = sorted({k.frequency for k in kpis.values() if k.frequency})
    texts = [row[0] for row in ws.execute("SELECT DISTINCT v_period FROM shaped WHERE v_period IS NOT NULL").rows]
    out = []
    for frequency in frequencies:
        for text in texts:
            try:
                period = parse_period(text, frequency, calendar, profile.period_format)
                out.append((f"{frequency}:{text}", period.start, period.frequency, None, None))
            except PeriodError as error:
                out.append((f"{frequency}:{text}", None, None, *_coded(reason_of(error))))
    return out


_MAX_KEY_BITS = 1 << 27   # a 16 MB bitmap: 20,000 KPIs with ten years of days, say


@dataclass(frozen=True)
class _KeySpace:
    """The KPI ids (`kpi_map.kpi_number` indexes them) and how many period starts
    `period_map.period_number` numbers; whether rows carry a breakdown."""
    kpi_ids: tuple[str, ...]
    periods: int
    breakdowns: bool

    @property
    def pair_bits(self) -> int:
        """Bits in a bitmap of every (KPI, period) pair; 0 when keys are not just such pairs."""
        bits = len(self.kpi_ids) * self.periods
        return 0 if self.breakdowns or bits > _MAX_KEY_BITS else bits


def _maps(ws, kpis: dict[str, _Kpi], profile: Profile, calendar: FiscalCalendar, filled: set[str]) -> _KeySpace:
    """Temp tables `kpi_map` (by the KPI text of the file) and `period_map` (by "frequency:
    text"), each entry numbered by its KPI id or its period start, so that KPIs and
    (KPI, period) pairs can be counted in bitmaps."""
    ids = sorted({k.kpi_id for k in kpis.values()})
    number = {kpi_id: n for n, kpi_id in enumerate(ids)}
    _table(ws, "kpi_map", "kpi_key VARCHAR, kpi_id VARCHAR, kpi_number INTEGER, frequency VARCHAR, unit VARCHAR, "
           "error VARCHAR, error_params VARCHAR, error_column VARCHAR, computed BOOLEAN",
           [(k.key, k.kpi_id, number[k.kpi_id], k.frequency, k.unit, *_coded(k.error), k.error_column, k.computed)
            for k in kpis.values()])
    periods = _resolve_periods(ws, kpis, profile, calendar)
    starts = {start: n for n, start in enumerate(sorted({p[1] for p in periods if p[1] is not None}))}
    _table(ws, "period_map", "lookup VARCHAR, period_start DATE, period_number INTEGER, period_frequency VARCHAR, "
           "error VARCHAR, error_params VARCHAR", [(lookup, start, starts.get(start), *rest) for lookup, start, *rest in periods])
    return _KeySpace(tuple(ids), len(starts), breakdowns=bool({"dimension", "member"} & filled))


def _table(ws, name: str, columns: str, rows: list[tuple]) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[c.split()[0] for c in columns.split(",")])
    ws.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
    if rows:
        ws.cursor.register("_citystat_rows", frame)
        try:
            ws.execute(f"INSERT INTO {name} SELECT * FROM _citystat_rows")
        finally:
            ws.cursor.unregister("_citystat_rows")


# -- the import ---------------------------------------------------------------------------------------
# Which parsed rows give what: one definition each, for counting and for writing.
_OBSERVED = "period_start IS NOT NULL AND (n_value IS NOT NULL OR n_numerator IS NOT NULL)"
_TARGETED = "period_start IS NOT NULL AND dimension = '' AND (n_target IS NOT NULL OR n_target_low IS NOT NULL)"
_LOADS = ("period_start IS NOT NULL AND (n_value IS NOT NULL OR n_numerator IS NOT NULL OR n_target IS NOT NULL "
          "OR n_target_low IS NOT NULL)")
# A problem's reason is a code of metrics.reasons and its params as JSON, worded in _report_errors.
_PROBLEMS = "_line BIGINT, col VARCHAR, period VARCHAR, value VARCHAR, code VARCHAR, params VARCHAR"


@dataclass
class _Tally:
    """One pass over every parsed row: enough to report on a clean file and load it without
    materialising its rows."""
    bad_rows: int          # rows with at least one problem
    observed: int          # rows that give an observation
    repeated: bool         # a KPI, period and breakdown on more than one of those (or a hash collision)
    targeted: int          # rows that give a target
    loaded_lines: int      # rows that give an observation or a target (one per line in a long file)
    kpis: set[str]         # the KPIs of the rows that give an observation or a target

    @property
    def clean(self) -> bool:
        return not self.bad_rows and not self.repeated


def _parse(ws, profile: Profile, filled: set[str], keys: _KeySpace) -> _Tally:
    """The view `parsed` (every shaped row, typed) and the temp table `problems` (line, column,
    value, reason). Every row is judged in one pass; only a file with bad or repeated rows
    pays for listing them, on a materialised `parsed` since listing reads it many times."""
    _parsed_view(ws, profile, filled)
    checks = _checks(profile, filled)
    tally = _tally(ws, checks, keys)
    ws.execute(f"CREATE OR REPLACE TEMP TABLE problems ({_PROBLEMS})")
    if tally.clean:
        return tally
    ws.execute("CREATE OR REPLACE TEMP TABLE parsed_rows AS FROM parsed")
    ws.execute("CREATE OR REPLACE TEMP VIEW parsed AS FROM parsed_rows")
    ws.execute("INSERT INTO problems " + " UNION ALL ".join(
        f"SELECT _line, {column}, v_period, {value}, {code}, {params} FROM parsed WHERE {where}"
        for where, column, value, code, params in checks))
    if tally.repeated:
        _conflicting_repeats(ws)
    return tally


def _parsed_view(ws, profile: Profile, filled: set[str]) -> None:
    scale = {"fraction": "1.0", "points": "0.01"}.get(profile.percent)

    def number(name: str) -> str:
        # Percents become fractions: "85%" always; "85" when the profile says points, or
        # (auto) when it is above 1, so "85%", "85" and "0.85" in one column agree.
        text = "s.v_" + name
        factor = (f"CASE WHEN contains({text}, '%') THEN 0.01 ELSE {scale} END" if scale else
                  f"CASE WHEN contains({text}, '%') OR abs({_number_sql(text, profile)}) > 1 THEN 0.01 ELSE 1.0 END")
        return f"{_number_sql(text, profile)} * (CASE WHEN k.unit = 'percent' THEN {factor} ELSE 1.0 END) AS n_{name}"

    # Fields the profile leaves empty are written as typed NULLs: DuckDB does not carry a
    # constant through the `shaped` view, and would otherwise parse a million NULLs per field.
    values = ", ".join(f"s.v_{n}, {number(n)}" if n in filled else f"NULL::VARCHAR AS v_{n}, NULL::DOUBLE AS n_{n}"
                       for n in VALUE_COLUMNS)
    note = (f"CASE WHEN {_missing_sql('s.v_note', profile)} THEN NULL ELSE s.v_note END" if "note" in filled
            else "NULL::VARCHAR")
    breakdown = ", ".join((f"coalesce(s.v_{n}, '')" if n in filled else "''") + f" AS {n}"
                          for n in ("dimension", "member"))
    ws.execute(f"""CREATE OR REPLACE TEMP VIEW parsed AS
        SELECT s._line, s.v_period, k.kpi_id, k.frequency, k.unit, k.error AS kpi_error,
               k.error_params AS kpi_error_params, k.error_column AS kpi_column,
               coalesce(s.f_kpi_id, s.f_kpi_name) AS kpi_key, p.period_start, p.period_frequency,
               p.error AS period_error, p.error_params AS period_error_params, k.kpi_number, p.period_number, k.computed, {breakdown}, {note} AS note,
               {values}
        FROM shaped s
        LEFT JOIN kpi_map k ON k.kpi_key = coalesce(s.f_kpi_id, s.f_kpi_name)
        LEFT JOIN period_map p ON p.lookup = k.frequency || ':' || s.v_period""")


def _checks(profile: Profile, filled: set[str]) -> list[tuple[str, str, str, str, str]]:
    """Each way a parsed row is rejected, as SQL over `parsed`: (condition, column, value,
    reason code, reason params as JSON). One list, so that counting the bad rows and listing
    them cannot disagree. Checks of fields the profile leaves empty (always NULL, so never
    failing) are left out."""
    key_column = _literal(profile.columns["kpi_id"].column if "kpi_id" in profile.columns and
                          profile.columns["kpi_id"].column else "kpi_id")
    period_column = _literal(profile.columns["period"].column if "period" in profile.columns and
                             profile.columns["period"].column else "period")
    checks = [
        ("kpi_error IS NOT NULL OR kpi_key IS NULL", f"coalesce(kpi_column, {key_column})", "kpi_key",
         "coalesce(kpi_error, 'import.no_kpi')", "coalesce(kpi_error_params, '{}')"),
        ("kpi_error IS NULL AND kpi_key IS NOT NULL AND period_start IS NULL", period_column, "v_period",
         "coalesce(period_error, 'import.no_period')", "coalesce(period_error_params, '{}')"),
        ("kpi_error IS NULL AND period_start IS NOT NULL AND period_frequency <> frequency "
         "AND (n_value IS NOT NULL OR n_numerator IS NOT NULL "
         "OR (period_frequency <> 'annual' AND (n_target IS NOT NULL OR n_target_low IS NOT NULL)))",
         period_column, "v_period", "'import.wrong_frequency'",
         "json_object('period', v_period, 'period_frequency', period_frequency, 'frequency', frequency)::VARCHAR"),
    ]
    for name in (n for n in VALUE_COLUMNS if n in filled):
        column = _literal(profile.columns[name].column if name in profile.columns else name)
        # The missing-word test only runs on the cells that are not numbers.
        checks.append((f"n_{name} IS NULL AND kpi_error IS NULL AND NOT {_missing_sql('v_' + name, profile)}",
                       column, f"v_{name}", "'import.not_a_number'", "'{}'"))
        checks.append((f"n_{name} IS NOT NULL AND contains(v_{name}, '%') AND unit <> 'percent' AND kpi_error IS NULL",
                       column, f"v_{name}", "'import.percent_sign'", "json_object('unit', unit)::VARCHAR"))
    if {"value", "numerator"} & filled:
        column = _literal(profile.columns["value"].column if "value" in profile.columns else "value")
        checks.append(("computed AND kpi_error IS NULL AND (n_value IS NOT NULL OR n_numerator IS NOT NULL)",
                       column, "coalesce(v_value, v_numerator)", "'import.computed'", "'{}'"))
    if {"target_low", "target_high"} & filled:
        # A band needs both ends; the targets table could not hold half of one.
        low = "n_target_low" if "target_low" in filled else "NULL"
        high = "n_target_high" if "target_high" in filled else "NULL"
        checks.append((f"kpi_error IS NULL AND ({low} IS NULL) <> ({high} IS NULL)",
                       "'target_low'" if "target_low" in filled else "'target_high'",
                       "coalesce(v_target_low, v_target_high)", "'import.target_half_band'", "'{}'"))
    if {"target_low", "target_high"} <= filled:
        checks.append(("n_target_low > n_target_high", "'target_low'", "v_target_low || ' > ' || v_target_high",
                       "'import.target_range'", "'{}'"))
    return checks


def _tally(ws, checks: list[tuple[str, str, str, str, str]], keys: _KeySpace) -> _Tally:
    """One aggregate over every parsed row (one more only for breakdowns or a vast key space)."""
    # As a CASE, each check runs only on the rows no earlier one has failed, and its costly
    # parts (the missing words) only where its cheap ones hold; an aggregate's FILTER with
    # ORs and ANDs would evaluate every part on every row.
    bad = "CASE " + " ".join(f"WHEN {where} THEN true" for where, *_ in checks) + " ELSE false END"
    observed = f"{_OBSERVED} AND kpi_error IS NULL"
    # Bitmaps of the KPIs used and of the keys seen: exact, a few kilobytes, and no DISTINCT,
    # which DuckDB, next to plain aggregates, would answer by materialising every row.
    used = (f"bitstring_agg(kpi_number, 0, {len(keys.kpi_ids) - 1}) FILTER ({_OBSERVED} OR {_TARGETED})"
            if keys.kpi_ids else "NULL")
    pairs = (f"bit_count(bitstring_agg(kpi_number::BIGINT * {keys.periods} + period_number, 0, "
             f"{keys.pair_bits - 1}) FILTER ({observed}))" if keys.pair_bits else "NULL")
    row = ws.execute(f"""SELECT count(*) FILTER ({bad}) AS bad_rows, count(*) FILTER ({observed}) AS observed,
               {pairs} AS keys, count(*) FILTER ({_TARGETED}) AS targeted,
               count(*) FILTER ({_LOADS}) AS loaded_lines, {used} AS used
        FROM parsed""").first()
    if not keys.pair_bits and row["observed"]:
        # Distinct hashes: a collision can only make the file look repeated, the exact path.
        row["keys"] = ws.execute(f"SELECT count(DISTINCT hash(kpi_id, period_start, dimension, member)) FROM parsed "
                                 f"WHERE {observed}").scalar()
    return _Tally(bad_rows=row["bad_rows"], observed=row["observed"], repeated=row["observed"] > (row["keys"] or 0),
                  targeted=row["targeted"], loaded_lines=row["loaded_lines"],
                  kpis={keys.kpi_ids[n] for n, bit in enumerate(row["used"] or "") if bit == "1"})


def _conflicting_repeats(ws) -> None:
    # The same KPI, period and breakdown twice is fine when the values agree (exports repeat
    # rows, e.g. once per fiscal year of the plan); with different values it is an error.
    ws.execute(f"""INSERT INTO problems
        WITH loadable AS (
            SELECT * FROM parsed WHERE {_OBSERVED} AND kpi_error IS NULL
        ), doubled AS (
            SELECT kpi_id, period_start, dimension, member, list(_line ORDER BY _line) AS lines
            FROM loadable GROUP BY ALL
            HAVING count(DISTINCT (n_value, n_numerator, n_denominator)) > 1
        )
        SELECT l._line, 'period', l.v_period, l.v_period, 'import.repeated',
               json_object('lines', array_to_string(list_filter(d.lines, lambda x: x <> l._line), ', '))::VARCHAR
        FROM loadable l JOIN doubled d USING (kpi_id, period_start, dimension, member)""")


def _report_errors(ws, report: ImportReport) -> None:
    report.error_count = ws.execute("SELECT count(*) FROM problems").scalar()
    report.rejected = ws.execute("SELECT count(DISTINCT _line) FROM problems").scalar()
    report.errors = [{"line": r[0], "column": r[1], "period": r[2], "value": r[3],
                      "reason": Reason(r[4], **json.loads(r[5]))}
                     for r in ws.execute(f"SELECT _line, col, period, value, code, params FROM problems "
                                         f"ORDER BY _line, col LIMIT {REPORT_ERRORS}").rows]


def _final(ws, tally: _Tally) -> None:
    """`final_obs` and `final_targets`: what would be written. For a clean file `final_obs`
    is a view, read when written rather than stored a second time."""
    exclude = "" if tally.clean else "AND _line NOT IN (SELECT _line FROM problems)"
    if tally.repeated:
        _final_grouped(ws)
    else:
        kind = "VIEW" if tally.clean else "TABLE"
        ws.execute(f"""CREATE OR REPLACE TEMP {kind} final_obs AS
            SELECT kpi_id, frequency, period_start, dimension, member,
                   coalesce(n_value, CASE WHEN n_denominator <> 0 THEN n_numerator / n_denominator END) AS value,
                   n_numerator AS numerator, n_denominator AS denominator, note
            FROM parsed WHERE {_OBSERVED} {exclude}""")
    _final_targets(ws, exclude if tally.targeted else "AND false")


def _final_grouped(ws) -> None:
    ws.execute(f"""CREATE OR REPLACE TEMP TABLE final_obs AS
        SELECT kpi_id, frequency, period_start, dimension, member,
               any_value(coalesce(n_value, CASE WHEN n_denominator <> 0 THEN n_numerator / n_denominator END))
                   AS value,
               any_value(n_numerator) AS numerator, any_value(n_denominator) AS denominator,
               arg_min(note, _line) AS note
        FROM parsed WHERE _line NOT IN (SELECT _line FROM problems) AND {_OBSERVED}
        GROUP BY kpi_id, frequency, period_start, dimension, member""")


def _final_targets(ws, exclude: str) -> None:
    # `exclude` is "AND false" when no row gives a target: a constant DuckDB can fold, unlike
    # the NULLs of a file's empty target column, which it would test on every row.
    ws.execute(f"""CREATE OR REPLACE TEMP TABLE final_targets AS
        SELECT kpi_id, period_frequency AS frequency, period_start,
               arg_max(n_target, _line) AS value, arg_max(n_target_low, _line) AS low,
               arg_max(n_target_high, _line) AS high
        FROM parsed WHERE {_TARGETED} {exclude}
        GROUP BY kpi_id, period_frequency, period_start""")


def _counts(ws, tally: _Tally) -> tuple[int, int, set[str]]:
    """Lines that load something, observations to write, and the KPIs they touch: from the
    tally for a clean file, else counted over what is left once the bad rows are dropped."""
    if tally.clean:
        return tally.loaded_lines, tally.observed, tally.kpis
    loaded_lines = ws.execute(f"SELECT count(DISTINCT _line) FROM parsed WHERE _line NOT IN "
                              f"(SELECT _line FROM problems) AND {_LOADS}").scalar()
    accepted = ws.execute("SELECT count(*) FROM final_obs").scalar()
    used = {r[0] for r in ws.execute("SELECT DISTINCT kpi_id FROM final_obs UNION SELECT DISTINCT kpi_id "
                                     "FROM final_targets").rows}
    return loaded_lines, accepted, used


def _replaced(ws) -> int:
    """How many stored observations `final_obs` would replace."""
    return ws.execute("""SELECT count(*) FROM observations o JOIN final_obs f
        USING (kpi_id, period_start, dimension, member)""").scalar()



def run_import(warehouse: Warehouse, calendar: FiscalCalendar, path: Path, profile: Profile, scope: Scope, *,
               dry_run: bool = False, file_name: str | None = None, profile_name: str | None = None,
               originals: Path | None = None, workdir: Path | None = None, kind: str = "import",
               clear_targets: Sequence[tuple[str, str, date]] = ()) -> ImportReport:
    """Judge every row of `path` under `profile`; unless `dry_run`, load the file in one
    transaction when no row is rejected (or the profile says "on_error": "skip").

    `kind` names where the rows came from in the batch ("import", or "manual" and "targets"
    for the app's own grids, which write their rows as a file and load it here so that they
    are checked, recorded and reverted exactly like an import). `clear_targets` lists
    targets (KPI id, frequency, period start) the same batch removes, kept for a revert."""
    if kind not in REVERTIBLE:
        raise ValueError(f"unknown batch kind {kind!r}")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The batch records the file's hash: computed meanwhile (hashlib lets go of the GIL).
        sha = None if dry_run else pool.submit(file_sha256, path)
        with warehouse.workspace() as ws:
            # A bulk insert buffers five row groups before writing them (50 MB more at the
            # peak of a million-row import); one at a time writes as fast. This cursor only.
            ws.execute("SET write_buffer_row_group_count = 1")
            return _import(ws, warehouse, calendar, path, profile, scope, dry_run=dry_run, sha=sha,
                           file_name=file_name, profile_name=profile_name, originals=originals,
                           workdir=workdir or path.parent, kind=kind, clear_targets=list(clear_targets))


def _import(ws, warehouse: Warehouse, calendar: FiscalCalendar, path: Path, profile: Profile, scope: Scope, *,
            dry_run: bool, sha: Future | None, file_name: str | None, profile_name: str | None,
            originals: Path | None, workdir: Path, kind: str = "import",
            clear_targets: list[tuple[str, str, date]] | None = None) -> ImportReport:
    report = ImportReport(dry_run=dry_run, shape=profile.shape)
    try:
        staged = stage_file(ws, path, profile, workdir=workdir)
    except SourceError as error:
        raise ImportError_(reason_of(error)) from None
    if staged.rows == 0:
        raise ImportError_(Reason("import.no_rows"))
    report.headers, report.sheet, report.sheets = staged.headers, staged.sheet, list(staged.sheets)
    report.encoding, report.delimiter = staged.encoding, staged.delimiter
    filled = _shape_rows(ws, profile, staged)
    report.rows = staged.rows
    kpis = _resolve_kpis(ws, profile, scope, warehouse)
    tally = _parse(ws, profile, filled, _maps(ws, kpis, profile, calendar, filled))
    _report_errors(ws, report)
    _final(ws, tally)
    loaded_lines, report.accepted, used = _counts(ws, tally)
    report.targets = ws.execute("SELECT count(*) FROM final_targets").scalar()
    report.empty = max(report.rows - loaded_lines - report.rejected, 0) if profile.shape == "long" else 0
    good = [k for k in kpis.values() if k.error is None]
    report.kpis_created = sorted(k.kpi_id for k in good if k.create and k.kpi_id in used)
    report.kpis_updated = sorted(k.kpi_id for k in good if k.update and k.kpi_id in used)
    if report.error_count and profile.on_error == "skip":
        report.skipped, report.rejected = report.rejected, 0
    blocked = report.error_count and profile.on_error == "reject"
    _cleared_targets(ws, clear_targets or [])
    report.targets_cleared = ws.execute("SELECT count(*) FROM cleared_targets").scalar()
    if dry_run or blocked or (report.accepted == 0 and report.targets == 0 and report.targets_cleared == 0):
        report.replaced = _replaced(ws)
        return report
    with ws.write():   # which counts `replaced` itself, in the transaction
        report.batch_id = _commit(ws, kpis, used, path, sha.result(), report, profile, file_name, profile_name,
                                  originals, scope.username, kind)
    report.committed = True
    return report


def _cleared_targets(ws, clear: list[tuple[str, str, date]]) -> None:
    """`cleared_targets`: the stored targets among `clear` that the file does not set anew."""
    _table(ws, "clear_requests", "kpi_id VARCHAR, frequency VARCHAR, period_start DATE", list(clear))
    ws.execute("""CREATE OR REPLACE TEMP TABLE cleared_targets AS
        SELECT DISTINCT t.kpi_id, t.frequency, t.period_start FROM targets t
        JOIN clear_requests c USING (kpi_id, frequency, period_start)
        ANTI JOIN final_targets f USING (kpi_id, frequency, period_start)""")


def _commit(ws, kpis: dict[str, _Kpi], used: set[str], path: Path, sha: str, report: ImportReport,
            profile: Profile, file_name: str | None, profile_name: str | None, originals: Path | None,
            actor: str, kind: str = "import") -> int:
    batch = ws.execute("SELECT nextval('import_batch_ids')").scalar()
    stored = None
    if originals is not None:
        originals.mkdir(parents=True, exist_ok=True)
        stored = originals / f"{batch:06d}-{sha[:12]}{Path(file_name or path.name).suffix.lower()[:8]}"
        shutil.copyfile(path, stored)
    for item in kpis.values():
        if item.error or item.kpi_id not in used:
            continue
        changes = item.create or item.update
        if "_new_department" in changes:
            ws.execute("INSERT INTO departments (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       [changes["department_id"], changes["_new_department"]])
        if "_new_goal" in changes:
            ws.execute("INSERT INTO goals (id, title) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       [changes["goal_id"], changes["_new_goal"]])
        columns = {k: v for k, v in changes.items() if not k.startswith("_")}
        if item.create:
            names = ", ".join(columns)
            ws.execute(f"INSERT INTO kpis ({names}) VALUES ({', '.join('?' * len(columns))})", list(columns.values()))
            versions.record(ws, "kpi", item.kpi_id, actor, "create", versions.diff({}, _version_fields(columns)))
        elif columns:
            assignments = ", ".join(f"{name} = ?" for name in columns)
            ws.execute(f"UPDATE kpis SET {assignments}, updated_at = current_localtimestamp() WHERE id = ?",
                       [*columns.values(), item.kpi_id])
            versions.record(ws, "kpi", item.kpi_id, actor, "update",
                            versions.diff(_version_fields(item.before), _version_fields(columns)))
    _write_observations(ws, batch, report)
    for replaced in ("final_targets", "cleared_targets"):   # both kept for a revert, then gone
        ws.execute(f"""INSERT INTO import_replaced_targets
            SELECT ?, t.kpi_id, t.frequency, t.period_start, t.value, t.low, t.high, t.batch_id, t.updated_at
            FROM targets t JOIN {replaced} f USING (kpi_id, frequency, period_start)""", [batch])
        ws.execute(f"DELETE FROM targets t USING {replaced} f WHERE t.kpi_id = f.kpi_id AND "
                   "t.frequency = f.frequency AND t.period_start = f.period_start")
    ws.execute("""INSERT INTO targets (kpi_id, frequency, period_start, value, low, high, batch_id)
        SELECT kpi_id, frequency, period_start, CASE WHEN low IS NULL THEN value END, low, high, ? FROM final_targets""",
               [batch])
    summary = {k: v for k, v in report.as_dict().items() if k != "errors"}
    ws.execute("""INSERT INTO import_batches (id, kind, file_name, file_size, sha256, stored_path, profile_name,
                  profile, created_by, rows_accepted, rows_rejected, rows_replaced, targets_loaded, kpis_created,
                  report)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
               [batch, kind, file_name or path.name, path.stat().st_size, sha, str(stored) if stored else None,
                profile_name, json.dumps(profile.document), actor, report.accepted, report.rejected + report.skipped,
                report.replaced, report.targets, len(report.kpis_created), json.dumps(summary, default=str)])
    return batch


def _version_fields(columns: dict[str, Any]) -> dict[str, Any]:
    """kpis columns under the names the KPI editor's versions use (DESIGN §8 body names)."""
    names = {"department_id": "department", "lag_days": "lag"}
    return {names.get(k, k): v for k, v in columns.items() if k != "id"}


def _write_observations(ws, batch: int, report: ImportReport) -> None:
    """Replace the stored observations of the file's keys with its own, keeping the old rows
    for a revert. The observations table has no key index (building one costs more than the
    rest of a big import): this delete-then-insert, under the writer's lock and in the same
    transaction, is what keeps one row per KPI, period and breakdown."""
    # Counted inside the transaction, so that a concurrent import cannot slip a row in between.
    report.replaced = _replaced(ws)
    if report.replaced:
        ws.execute("""INSERT INTO import_replaced_observations
            SELECT ?, o.kpi_id, o.frequency, o.period_start, o.dimension, o.member, o.value, o.numerator,
                   o.denominator, o.note, o.batch_id, o.updated_at
            FROM observations o JOIN final_obs f USING (kpi_id, period_start, dimension, member)""", [batch])
        ws.execute("DELETE FROM observations o USING final_obs f WHERE o.kpi_id = f.kpi_id AND "
                   "o.period_start = f.period_start AND o.dimension = f.dimension AND o.member = f.member")
    ws.execute("""INSERT INTO observations (kpi_id, frequency, period_start, dimension, member, value, numerator,
               denominator, note, batch_id)
        SELECT kpi_id, frequency, period_start, dimension, member, value, numerator, denominator, note, ?
        FROM final_obs""", [batch])


_BATCH_COLUMNS = """id, kind, file_name, file_size, sha256, profile_name, created_by, created_at, rows_accepted,
    rows_rejected, rows_replaced, targets_loaded, kpis_created, status, reverted_at, reverted_by"""


def list_batches(warehouse: Warehouse, *, limit: int = 200) -> list[dict[str, Any]]:
    """Import history, newest first."""
    return warehouse.query(f"SELECT {_BATCH_COLUMNS} FROM import_batches ORDER BY id DESC LIMIT $limit",
                           {"limit": limit}).dicts()


def get_batch(warehouse: Warehouse, batch_id: int) -> dict[str, Any] | None:
    return warehouse.query(f"SELECT {_BATCH_COLUMNS} FROM import_batches WHERE id = $id", {"id": batch_id}).first()


def revert_batch(warehouse: Warehouse, batch_id: int, username: str) -> dict[str, int]:
    """Undo a committed import: remove what it wrote and restore exactly what it replaced
    (where a later import has not since written the same period)."""
    with warehouse.transaction() as tx:
        batch = tx.execute("SELECT status, kind FROM import_batches WHERE id = ?", [batch_id]).first()
        if batch is None:
            raise ImportError_(Reason("import.no_import", batch=batch_id))
        if batch["kind"] not in REVERTIBLE:
            raise ImportError_(Reason("import.not_an_import", batch=batch_id, kind=batch["kind"]))
        if batch["status"] == "reverted":
            raise ImportError_(Reason("import.reverted", batch=batch_id))
        restored = tx.execute("SELECT count(*) FROM import_replaced_observations WHERE replaced_by = ?",
                              [batch_id]).scalar()
        tx.execute("DELETE FROM observations WHERE batch_id = ?", [batch_id])
        tx.execute("""INSERT INTO observations (kpi_id, frequency, period_start, dimension, member, value, numerator,
                   denominator, note, batch_id, updated_at)
            SELECT r.kpi_id, r.frequency, r.period_start, r.dimension, r.member, r.value, r.numerator, r.denominator,
                   r.note, r.batch_id, r.updated_at
            FROM import_replaced_observations r
            WHERE r.replaced_by = ? AND NOT EXISTS (SELECT 1 FROM observations o WHERE o.kpi_id = r.kpi_id
              AND o.period_start = r.period_start AND o.dimension = r.dimension AND o.member = r.member)""", [batch_id])
        tx.execute("DELETE FROM targets WHERE batch_id = ?", [batch_id])
        tx.execute("""INSERT INTO targets (kpi_id, frequency, period_start, value, low, high, batch_id, updated_at)
            SELECT r.kpi_id, r.frequency, r.period_start, r.value, r.low, r.high, r.batch_id, r.updated_at
            FROM import_replaced_targets r
            WHERE r.replaced_by = ? AND NOT EXISTS (SELECT 1 FROM targets t WHERE t.kpi_id = r.kpi_id
              AND t.frequency = r.frequency AND t.period_start = r.period_start)""", [batch_id])
        tx.execute("UPDATE import_batches SET status = 'reverted', reverted_at = current_localtimestamp(), "
                   "reverted_by = ? WHERE id = ?", [username, batch_id])
        return {"restored": restored}
