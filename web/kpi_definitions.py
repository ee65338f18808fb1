"""Writing a KPI: creating one, changing its fields, and giving it a SQL definition over the
raw datasets (DESIGN §3, §8; issue #7).

Managers and administrators write any KPI; analysts only KPIs of their own departments,
and only managers publish. The department is read from the warehouse, never taken from
the caller. A definition is checked and trial-run (metrics.computed.preview) BEFORE
anything is written, so a refused body changes nothing; then the KPI row is written and
the definition saved, which replaces the KPI's values with what it computes. Every write
and every refusal is audited ("kpi.create", "kpi.update", "kpi.definition").
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from i18n import translate
from metrics import catalog, computed
from metrics.access import Scope
from metrics.kpi_sql import DefinitionError
from metrics.profiles import CATEGORIES
from web import audit
from web.reasons import reason_of, say_all, web_reason

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_TEXT_FIELDS = ("name", "description", "unit_label", "owner", "data_source", "methodology")
FIELDS = ("id", "name", "department", "goal_id", "unit", "unit_label", "direction", "frequency", "aggregation",
          "tolerance", "decimals", "lag", "published", "critical", "owner", "data_source", "methodology",
          "description", "breakdowns", "sql")
_COLUMN = {"department": "department_id", "lag": "lag_days"}   # body name -> kpis column
_AUDIT_SQL_CHARS = 4000
_TRUNCATE = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "annual": "year"}
# Refusals and the HTTP status each answers with.
STATUS = {"kpi_write.unknown_kpi": 404, "kpi_write.not_allowed": 403, "kpi_write.not_publisher": 403,
          "kpi_write.exists": 409, "kpi_write.invalid": 400, "kpi_write.bad_sql": 422}


class KpiWriteError(ValueError):
    """A KPI write refused: `key` translates into the reason, `problems` say what to fix
    (field by field, or the definition checker's words). Already audited; nothing written."""

    def __init__(self, key: str, problems: list[str] | None = None, **params):
        self.key, self.problems, self.params = key, list(problems or []), params
        super().__init__(translate(key, "en", **params) + (": " + " ".join(self.problems) if self.problems else ""))

    @property
    def status(self) -> int:
        return STATUS.get(self.key, 400)

    def message(self, language: str) -> str:
        return translate(self.key, language, **self.params)

    def problem_texts(self, language: str) -> list[str]:
        """The problems in `language` (the definition checker's own words stay as they are)."""
        return say_all(self.problems, language)


def may_edit(scope: Scope, kpi: Mapping[str, Any] | None) -> bool:
    """Whether `scope` may change this KPI (its definition included)."""
    return kpi is not None and scope.can_edit_department(kpi.get("department_id"))


# -- checking a body ----------------------------------------------------------------------------------
def _text(name: str, value, problems: list[str], *, required: bool = False, limit: int = 2000):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(web_reason("kpi_field.required", name=name))
        return None
    if not isinstance(value, str) or len(value) > limit:
        problems.append(web_reason("kpi_field.text", name=name, limit=f"{limit:,}"))
        return None
    return value.strip()


def _fields(services, body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The body's fields as kpis columns (plus "sql"); KpiWriteError("kpi_write.invalid")
    listing every problem. Only the fields the body gives are returned."""
    problems: list[str] = []
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        problems.append(web_reason("kpi_field.unknown", unknown=", ".join(repr(u)[:60] for u in unknown[:20]),
                                   fields=", ".join(FIELDS)))
    out: dict[str, Any] = {}
    if creating:
        kpi_id = body.get("id")
        if not isinstance(kpi_id, str) or not _SAFE_ID.match(kpi_id):
            problems.append(web_reason("kpi_field.id"))
        else:
            out["id"] = kpi_id
    elif "id" in body and body["id"] is not None:
        problems.append(web_reason("kpi_field.id_fixed"))
    for name in _TEXT_FIELDS:
        if name in body or (creating and name == "name"):
            out[name] = _text(name, body.get(name), problems, required=name == "name",
                              limit=200 if name == "name" else 4000)
    for name, allowed in CATEGORIES.items():
        if name in body or (creating and name == "frequency"):
            if body.get(name) not in allowed:
                problems.append(web_reason("kpi_field.one_of", name=name, allowed=", ".join(allowed),
                                           value=repr(body.get(name))[:130]))
            else:
                out[name] = body[name]
    if "department" in body or creating:
        departments = {d["id"] for d in catalog.list_departments(services.warehouse)}
        # A list or object is no department: checked as text first (it cannot be looked up in a set).
        if not isinstance(body.get("department"), str) or body["department"] not in departments:
            problems.append(web_reason("kpi_field.department", allowed=", ".join(sorted(departments)),
                                       value=repr(body.get("department"))[:130]))
        else:
            out["department_id"] = body["department"]
    if "goal_id" in body and body["goal_id"] is not None:
        goals = {g["id"] for g in catalog.list_goals(services.warehouse)}
        if not isinstance(body["goal_id"], str) or body["goal_id"] not in goals:
            problems.append(web_reason("kpi_field.goal", value=repr(body["goal_id"])[:130],
                                       allowed=", ".join(sorted(goals))))
        else:
            out["goal_id"] = body["goal_id"]
    elif "goal_id" in body:
        out["goal_id"] = None
    _numbers(body, out, problems)
    if "breakdowns" in body:
        given = body["breakdowns"]
        if not isinstance(given, list) or not all(isinstance(b, str) and _SAFE_ID.match(b) for b in given):
            problems.append(web_reason("kpi_field.breakdowns"))
        else:
            out["breakdowns"] = given
    if "sql" in body:
        if not isinstance(body["sql"], str) or not body["sql"].strip():
            problems.append(web_reason("kpi_field.sql"))
        else:
            out["sql"] = body["sql"]
    if problems:
        raise KpiWriteError("kpi_write.invalid", problems)
    if creating:   # the catalogue's defaults, as imports choose them
        out.setdefault("unit", "count")
        out.setdefault("direction", "neutral")
        out.setdefault("aggregation", "sum" if out["unit"] in ("count", "currency") else "mean")
    return out


def _numbers(body, out: dict[str, Any], problems: list[str]) -> None:
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if "tolerance" in body:
        if not number(body["tolerance"]) or not 0 <= body["tolerance"] <= 10:
            problems.append(web_reason("kpi_field.tolerance"))
        else:
            out["tolerance"] = float(body["tolerance"])
    if "decimals" in body:
        if not isinstance(body["decimals"], int) or isinstance(body["decimals"], bool) or \
                not 0 <= body["decimals"] <= 6:
            problems.append(web_reason("kpi_field.decimals"))
        else:
            out["decimals"] = body["decimals"]
    if "lag" in body:
        lag = body["lag"]
        if lag is not None and (not isinstance(lag, int) or isinstance(lag, bool) or not 0 <= lag <= 3660):
            problems.append(web_reason("kpi_field.lag"))
        else:
            out["lag_days"] = lag
    for name in ("published", "critical"):
        if name in body:
            if not isinstance(body[name], bool):
                problems.append(web_reason("kpi_field.flag", name=name))
            else:
                out[name] = body[name]


# -- writing -------------------------------------------------------------------------------------------
def _refuse(services, scope: Scope, action: str, target, error: KpiWriteError, department=None):
    audit.record(services, action, "denied" if error.status == 403 else "failure", actor=scope.username,
                 target=str(target)[:255], details={"reason": error.key.removeprefix("kpi_write."),
                                                    "department": department, "problems": error.problems[:10]})
    raise error


def _trial(services, kpi_fields: Mapping[str, Any], sql: str) -> None:
    """Refuse a definition that would not save, before anything is written."""
    try:
        result = computed.preview(services.warehouse, services.sandbox, services.calendar, kpi_fields, sql, limit=0)
    except DefinitionError as error:
        raise KpiWriteError("kpi_write.bad_sql", [reason_of(error)]) from None
    if not result["ok"]:
        raise KpiWriteError("kpi_write.bad_sql", [p["message"] for p in result["problems"] if p["severity"] == "error"])


def _save_sql(services, scope: Scope, kpi_id: str, sql: str) -> dict[str, Any]:
    try:
        saved = computed.save_definition(services.warehouse, services.sandbox, services.calendar, kpi_id, sql,
                                         actor=scope.username)
    except DefinitionError as error:
        raise KpiWriteError("kpi_write.bad_sql", [reason_of(error)]) from None
    previous = saved["previous"]
    audit.record(services, "kpi.definition", "success", actor=scope.username, target=kpi_id,
                 details={"old_version": previous["version"] if previous else None, "new_version": saved["version"],
                          "changed": saved["changed"], "old_sql": previous["sql"][:_AUDIT_SQL_CHARS] if previous
                          else None, "new_sql": saved["sql"][:_AUDIT_SQL_CHARS], "datasets": saved["datasets"],
                          "observations": saved["observations"]})
    return {key: saved[key] for key in ("version", "changed", "datasets", "observations", "warnings", "raw_batch")}


def create_kpi(services, scope: Scope, body: Mapping[str, Any]) -> dict[str, Any]:
    """Create a KPI from `body` (§8 field names; with "sql" it is computed). Returns
    {"id", "definition": {...} or None}; raises KpiWriteError (audited, nothing written)."""
    target = body.get("id") if isinstance(body, Mapping) else None
    try:
        if not isinstance(body, Mapping):
            raise KpiWriteError("kpi_write.invalid", [web_reason("kpi_field.object")])
        fields = _fields(services, body, creating=True)
        if not scope.can_edit_department(fields["department_id"]):
            raise KpiWriteError("kpi_write.not_allowed", department=fields["department_id"])
        if fields.get("published") and not scope.all_departments:
            raise KpiWriteError("kpi_write.not_publisher")
        if catalog.get_kpi(services.warehouse, services.calendar, fields["id"]) is not None:
            raise KpiWriteError("kpi_write.exists", kpi_id=fields["id"])
        sql = fields.pop("sql", None)
        if sql is not None:
            _trial(services, {"id": fields["id"], "frequency": fields["frequency"],
                              "breakdowns": fields.get("breakdowns")}, sql)
    except KpiWriteError as error:
        _refuse(services, scope, "kpi.create", target, error,
                body.get("department") if isinstance(body, Mapping) else None)
    with services.warehouse.transaction() as tx:
        tx.execute(f"INSERT INTO kpis ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                   list(fields.values()))
    audit.record(services, "kpi.create", "success", actor=scope.username, target=fields["id"],
                 details={"department": fields["department_id"], "computed": sql is not None})
    definition = None
    if sql is not None:
        try:
            definition = _save_sql(services, scope, fields["id"], sql)
        except KpiWriteError as error:   # the data changed since the trial: take the KPI back out
            with services.warehouse.transaction() as tx:
                tx.execute("DELETE FROM kpis WHERE id = ?", [fields["id"]])
            _refuse(services, scope, "kpi.definition", fields["id"], error, fields["department_id"])
    return {"id": fields["id"], "definition": definition}


def update_kpi(services, scope: Scope, kpi_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Change the fields `body` gives and/or save its "sql" as the next definition version.
    Returns {"id", "changed": [...fields], "definition": {...} or None}; raises KpiWriteError."""
    kpi = (catalog.get_kpi(services.warehouse, services.calendar, kpi_id)
           if isinstance(kpi_id, str) and 0 < len(kpi_id) <= 128 else None)
    department = kpi["department_id"] if kpi else None
    try:
        if kpi is None:
            raise KpiWriteError("kpi_write.unknown_kpi", kpi_id=str(kpi_id)[:128])
        if not may_edit(scope, kpi):
            raise KpiWriteError("kpi_write.not_allowed", department=department)
        if not isinstance(body, Mapping):
            raise KpiWriteError("kpi_write.invalid", [web_reason("kpi_field.fields_object")])
        fields = _fields(services, body, creating=False)
        if not scope.can_edit_department(fields.get("department_id", department)):
            raise KpiWriteError("kpi_write.not_allowed", department=fields["department_id"])
        if "published" in fields and fields["published"] != kpi["published"] and not scope.all_departments:
            raise KpiWriteError("kpi_write.not_publisher")
        sql = fields.pop("sql", None)
        changes = {k: v for k, v in fields.items() if kpi.get(k) != v}
        current = computed.definition(services.warehouse, kpi["id"])
        if sql is not None or (current and {"frequency", "breakdowns"} & set(changes)):
            _trial(services, {"id": kpi["id"], "frequency": changes.get("frequency", kpi["frequency"]),
                              "breakdowns": changes.get("breakdowns", kpi["breakdowns"])},
                   sql if sql is not None else current["sql"])
    except KpiWriteError as error:
        action = "kpi.definition" if isinstance(body, Mapping) and set(body) == {"sql"} else "kpi.update"
        _refuse(services, scope, action, kpi_id, error, department)
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with services.warehouse.transaction() as tx:
            tx.execute(f"UPDATE kpis SET {assignments}, updated_at = current_localtimestamp() WHERE id = ?",
                       [*changes.values(), kpi["id"]])
        audit.record(services, "kpi.update", "success", actor=scope.username, target=kpi["id"],
                     details={"department": department, "changed": sorted(changes),
                              "before": {k: _plain(kpi.get(k)) for k in changes},
                              "after": {k: _plain(v) for k, v in changes.items()}})
    definition = None
    if sql is not None or (current and {"frequency", "breakdowns"} & set(changes)):
        try:
            definition = _save_sql(services, scope, kpi["id"], sql if sql is not None else current["sql"])
        except KpiWriteError as error:
            _refuse(services, scope, "kpi.definition", kpi["id"], error, department)
    return {"id": kpi["id"], "changed": sorted(changes), "definition": definition}


def _plain(value):
    return value if value is None or isinstance(value, (str, int, float, bool, list)) else str(value)


def preview_sql(services, scope: Scope, kpi_id: str, sql: str, *, limit: int = 200) -> dict[str, Any]:
    """What `sql` would store for the KPI, without writing; analysts and above only.
    Raises KpiWriteError for an unknown KPI or a definition that is refused or fails."""
    kpi = catalog.get_kpi(services.warehouse, services.calendar, kpi_id) if isinstance(kpi_id, str) else None
    if kpi is None:
        raise KpiWriteError("kpi_write.unknown_kpi", kpi_id=str(kpi_id)[:128])
    if not scope.allows("analyst"):
        raise KpiWriteError("kpi_write.not_allowed", department=kpi["department_id"])
    if not isinstance(sql, str) or not sql.strip():
        raise KpiWriteError("kpi_write.bad_sql", [web_reason("kpi_field.write_select")])
    try:
        return computed.preview(services.warehouse, services.sandbox, services.calendar, kpi["id"], sql, limit=limit)
    except DefinitionError as error:
        raise KpiWriteError("kpi_write.bad_sql", [reason_of(error)]) from None


def lineage(services, kpi_id: str) -> dict[str, Any] | None:
    """Where a computed KPI's values come from: its current definition (version, who, when,
    datasets) and the newest raw batch among its values; None for a KPI kept by hand."""
    current = computed.definition(services.warehouse, kpi_id)
    if current is None:
        return None
    batch = services.warehouse.query("SELECT max(raw_batch) FROM observations WHERE kpi_id = ?", [kpi_id]).scalar()
    return {**current, "raw_batch": batch}


def example_sql(kpi, tables: dict[str, list[tuple[str, str]]]) -> str:
    """A definition to start from: the KPI's periods counted over the first dataset's first date column."""
    for table, columns in sorted(tables.items()):
        day = next((c for c, kind in columns if kind.startswith(("DATE", "TIMESTAMP"))), None)
        if day:
            unit = _TRUNCATE[kpi["frequency"]]
            return (f"SELECT date_trunc('{unit}', {day}) AS period, count(*) AS value\n"
                    f"FROM {table}\nWHERE {day} IS NOT NULL\nGROUP BY 1\nORDER BY 1")
    return "SELECT date_trunc('month', created) AS period, count(*) AS value\nFROM requests\nGROUP BY 1"
