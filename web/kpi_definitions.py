"""Writing a KPI: creating one, changing its fields, archiving and restoring it, and giving it
a SQL definition over the raw datasets (DESIGN §3, §8; issues #7 and #10).

Managers and administrators write any KPI; analysts only KPIs of their own departments,
and only managers publish (or archive and restore a published KPI, which takes it off the
public pages or puts it back). The department is read from the warehouse, never taken from
the caller. Every field is checked (web.kpi_edit_rules), against the KPI's data too, and a
definition is trial-run (metrics.computed.preview) BEFORE anything is written, so a refused
body changes nothing. Each change of fields is a numbered version (metrics.versions: who,
when, which fields from what to what) written in the same transaction as the change; a
definition's SQL keeps its own versions (kpi_definitions). A KPI is archived, never
deleted: its values, targets and versions stay. Every write and every refusal is audited
("kpi.create", "kpi.update", "kpi.archive", "kpi.restore", "kpi.definition").
"""
from __future__ import annotations

from typing import Any, Mapping

from metrics import catalog, computed, versions
from metrics.access import Scope
from metrics.kpi_sql import DefinitionError
from web import audit
from web.kpi_edit_rules import FIELDS, SAFE_ID, as_body, changed, checked_fields, data_rules
from web.reasons import Refusal, reason_of, web_reason

__all__ = ["FIELDS", "KpiWriteError", "create_kpi", "update_kpi", "kpi_row", "kpi_versions", "may_edit",
           "preview_sql", "lineage", "example_sql"]

_SAFE_ID = SAFE_ID   # read by web.goals_write, which makes goal ids the same way
_AUDIT_SQL_CHARS = 4000
_TRUNCATE = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "annual": "year"}
# Refusals and the HTTP status each answers with.
STATUS = {"kpi_write.unknown_kpi": 404, "kpi_write.not_allowed": 403, "kpi_write.not_publisher": 403,
          "kpi_edit.archive_published": 403, "kpi_write.exists": 409, "kpi_write.invalid": 400,
          "kpi_write.bad_sql": 422}


class KpiWriteError(Refusal):
    """A KPI write refused: `problems` say what to fix, field by field, or in the definition
    checker's words. Already audited; nothing written."""

    STATUSES = STATUS


def may_edit(scope: Scope, kpi: Mapping[str, Any] | None) -> bool:
    """Whether `scope` may change this KPI (its definition included)."""
    return kpi is not None and scope.can_edit_department(kpi.get("department_id"))


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


def _checked(services, body: Mapping[str, Any], *, creating: bool, kept_goal: str | None = None) -> dict[str, Any]:
    fields, problems = checked_fields(services, body, creating=creating, kept_goal=kept_goal)
    if problems:
        raise KpiWriteError("kpi_write.invalid", problems)
    return fields


def kpi_row(services, kpi_id) -> dict[str, Any] | None:
    """The KPI's row as the warehouse holds it (archived or not), or None."""
    if not isinstance(kpi_id, str) or not 0 < len(kpi_id) <= 128:
        return None
    return services.warehouse.query("SELECT * FROM kpis WHERE id = ?", [kpi_id]).first()


def kpi_versions(services, kpi_id) -> list[dict[str, Any]] | None:
    """The KPI's field versions, newest first (metrics.versions.history); None for no such KPI."""
    kpi = kpi_row(services, kpi_id)
    return None if kpi is None else versions.history(services.warehouse, "kpi", kpi["id"])


def create_kpi(services, scope: Scope, body: Mapping[str, Any]) -> dict[str, Any]:
    """Create a KPI from `body` (§8 field names; with "sql" it is computed) as its version 1.
    Returns {"id", "version", "definition": {...} or None}; raises KpiWriteError (audited,
    nothing written)."""
    target = body.get("id") if isinstance(body, Mapping) else None
    try:
        if not isinstance(body, Mapping):
            raise KpiWriteError("kpi_write.invalid", [web_reason("kpi_field.object")])
        fields = _checked(services, body, creating=True)
        if not scope.can_edit_department(fields["department_id"]):
            raise KpiWriteError("kpi_write.not_allowed", department=fields["department_id"])
        if fields.get("published") and not scope.all_departments:
            raise KpiWriteError("kpi_write.not_publisher")
        if kpi_row(services, fields["id"]) is not None:   # archived ones keep their id too
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
        version = versions.record(tx, "kpi", fields["id"], scope.username, "create",
                                  versions.diff({}, as_body(fields)))
    audit.record(services, "kpi.create", "success", actor=scope.username, target=fields["id"],
                 details={"department": fields["department_id"], "computed": sql is not None, "version": version})
    definition = None
    if sql is not None:
        try:
            definition = _save_sql(services, scope, fields["id"], sql)
        except KpiWriteError as error:   # the data changed since the trial: the KPI was never made
            with services.warehouse.transaction() as tx:
                tx.execute("DELETE FROM kpis WHERE id = ?", [fields["id"]])
                tx.execute("DELETE FROM catalogue_versions WHERE item_type = 'kpi' AND item_id = ?", [fields["id"]])
            _refuse(services, scope, "kpi.definition", fields["id"], error, fields["department_id"])
    return {"id": fields["id"], "version": version, "definition": definition}


def _check_change(services, scope: Scope, kpi, body) -> tuple[dict[str, Any], str | None, list, bool]:
    """(changes as kpis columns, the SQL to save, warnings, whether to save it) for a change
    of `kpi` (its row) this person may make; KpiWriteError otherwise."""
    if not may_edit(scope, kpi):
        raise KpiWriteError("kpi_write.not_allowed", department=kpi["department_id"])
    if not isinstance(body, Mapping):
        raise KpiWriteError("kpi_write.invalid", [web_reason("kpi_field.fields_object")])
    fields = _checked(services, body, creating=False, kept_goal=kpi.get("goal_id"))
    if not scope.can_edit_department(fields.get("department_id", kpi["department_id"])):
        raise KpiWriteError("kpi_write.not_allowed", department=fields["department_id"])
    sql = fields.pop("sql", None)
    changes = changed(kpi, fields)
    if "published" in changes and not scope.all_departments:
        raise KpiWriteError("kpi_write.not_publisher")
    if "archived" in changes and (kpi["published"] or changes.get("published")) and not scope.all_departments:
        raise KpiWriteError("kpi_edit.archive_published")
    current = computed.definition(services.warehouse, kpi["id"])
    problems, warnings = data_rules(services, kpi, changes, current)
    if problems:
        raise KpiWriteError("kpi_write.invalid", problems)
    rerun = sql is not None or bool(current and {"frequency", "breakdowns"} & set(changes))
    if rerun:
        _trial(services, {"id": kpi["id"], "frequency": changes.get("frequency", kpi["frequency"]),
                          "breakdowns": changes.get("breakdowns", kpi["breakdowns"])},
               sql if sql is not None else current["sql"])
    return changes, (sql if sql is not None else current["sql"] if rerun else None), warnings, rerun


def update_kpi(services, scope: Scope, kpi_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Change the fields `body` gives (archived true/false archives or restores) and/or save
    its "sql" as the next definition version. Only fields whose value differs make the next
    version. Returns {"id", "changed": [...body names], "version": number or None,
    "warnings": [Reason, ...], "definition": {...} or None}; raises KpiWriteError."""
    kpi = kpi_row(services, kpi_id)
    department = kpi["department_id"] if kpi else None
    try:
        if kpi is None:
            raise KpiWriteError("kpi_write.unknown_kpi", kpi_id=str(kpi_id)[:128])
        changes, sql, warnings, rerun = _check_change(services, scope, kpi, body)
    except KpiWriteError as error:
        action = "kpi.definition" if isinstance(body, Mapping) and set(body) == {"sql"} else "kpi.update"
        _refuse(services, scope, action, kpi_id, error, department)
    version = None
    if changes:
        action = ("archive" if changes["archived"] else "restore") if "archived" in changes else "update"
        before, after = as_body({k: kpi.get(k) for k in changes}), as_body(changes)
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with services.warehouse.transaction() as tx:
            tx.execute(f"UPDATE kpis SET {assignments}, updated_at = current_localtimestamp() WHERE id = ?",
                       [*changes.values(), kpi["id"]])
            version = versions.record(tx, "kpi", kpi["id"], scope.username, action, versions.diff(before, after))
        audit.record(services, f"kpi.{action}", "success", actor=scope.username, target=kpi["id"],
                     details={"department": department, "changed": sorted(after), "version": version,
                              "before": {k: versions.plain(v) for k, v in before.items()},
                              "after": {k: versions.plain(v) for k, v in after.items()}})
    definition = None
    if rerun:
        try:
            definition = _save_sql(services, scope, kpi["id"], sql)
        except KpiWriteError as error:
            _refuse(services, scope, "kpi.definition", kpi["id"], error, department)
    return {"id": kpi["id"], "changed": sorted(as_body(changes)), "version": version, "warnings": warnings,
            "definition": definition}


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
