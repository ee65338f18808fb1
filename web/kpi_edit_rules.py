"""What a KPI's fields may hold (DESIGN §3), field by field and against the data it already has
(issue #10): the checks web.kpi_definitions runs before it writes anything.

`checked_fields` reads a body with the field names of §8 into kpis columns and lists every
problem; `data_rules` refuses a change its stored values and targets would no longer fit
(a frequency they were not stored by, a percent unit over values written as points, a ratio
without numerators and denominators) and warns where status would lose its target (a band
direction over single-value targets, or the reverse). Problems and warnings are Reasons,
said in the reader's language by the caller.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from metrics import catalog
from metrics.profiles import CATEGORIES
from metrics.reasons import Reason
from metrics.versions import plain
from web.reasons import web_reason

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# Text fields and their longest accepted length (names show in headings and lists; a
# methodology is a page of text).
TEXT_LIMITS = {"name": 200, "name_es": 200, "name_pt": 200, "description": 4000, "description_es": 4000,
               "description_pt": 4000, "unit_label": 60, "owner": 200, "data_source": 500, "methodology": 4000}
FIELDS = ("id", "name", "name_es", "name_pt", "department", "goal_id", "unit", "unit_label", "direction",
          "frequency", "aggregation", "tolerance", "decimals", "lag", "published", "critical", "archived", "owner",
          "data_source", "methodology", "description", "description_es", "description_pt", "breakdowns", "sql")
COLUMN = {"department": "department_id", "lag": "lag_days"}   # body name -> kpis column
BODY_NAME = {column: name for name, column in COLUMN.items()}
MAX_BREAKDOWNS = 5


def as_body(columns: Mapping[str, Any]) -> dict[str, Any]:
    """kpis columns under their §8 body names (department, lag): how versions and answers name them."""
    return {BODY_NAME.get(name, name): value for name, value in columns.items()}


# -- one field at a time ---------------------------------------------------------------------------------------
def _text(name: str, value, problems: list[Reason], *, required: bool = False):
    limit = TEXT_LIMITS[name]
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(web_reason("kpi_field.required", name=name))
        return None
    if not isinstance(value, str) or len(value) > limit:
        problems.append(web_reason("kpi_field.text", name=name, limit=f"{limit:,}"))
        return None
    return value.strip()


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _numbers(body: Mapping[str, Any], out: dict[str, Any], problems: list[Reason]) -> None:
    if "tolerance" in body:
        given = body["tolerance"]
        if not isinstance(given, (int, float)) or isinstance(given, bool) or not 0 <= given <= 10:
            problems.append(web_reason("kpi_field.tolerance"))
        else:
            out["tolerance"] = float(given)
    if "decimals" in body:
        if not _whole(body["decimals"], 0, 6):
            problems.append(web_reason("kpi_field.decimals"))
        else:
            out["decimals"] = body["decimals"]
    if "lag" in body:
        if body["lag"] is not None and not _whole(body["lag"], 0, 3660):
            problems.append(web_reason("kpi_field.lag"))
        else:
            out["lag_days"] = body["lag"]
    for name in ("published", "critical", "archived"):
        if name in body:
            if not isinstance(body[name], bool):
                problems.append(web_reason("kpi_field.flag", name=name))
            else:
                out[name] = body[name]


def _references(services, body: Mapping[str, Any], out: dict[str, Any], problems: list[Reason], *,
                creating: bool, kept_goal: str | None) -> None:
    """The department (one of the city's) and the goal (a live one, the KPI's own even if
    since archived, so that a form sent back unchanged is not refused, or null)."""
    if "department" in body or creating:
        departments = {d["id"] for d in catalog.list_departments(services.warehouse)}
        # A list or object is no department: checked as text first (it cannot be looked up in a set).
        if not isinstance(body.get("department"), str) or body["department"] not in departments:
            problems.append(web_reason("kpi_field.department", allowed=", ".join(sorted(departments)),
                                       value=repr(body.get("department"))[:130]))
        else:
            out["department_id"] = body["department"]
    if "goal_id" in body and body["goal_id"] is not None:
        goals = {g["id"] for g in catalog.list_goals(services.warehouse)}   # archived goals are not offered
        if not isinstance(body["goal_id"], str) or body["goal_id"] not in goals | {kept_goal} - {None}:
            problems.append(web_reason("kpi_field.goal", value=repr(body["goal_id"])[:130],
                                       allowed=", ".join(sorted(goals))))
        else:
            out["goal_id"] = body["goal_id"]
    elif "goal_id" in body:
        out["goal_id"] = None


def checked_fields(services, body: Mapping[str, Any], *, creating: bool,
                   kept_goal: str | None = None) -> tuple[dict[str, Any], list[Reason]]:
    """The body's fields as kpis columns (plus "sql"), and every problem with them. Only the
    fields the body gives are returned; creating, the catalogue's defaults fill the rest.
    `kept_goal` is the KPI's goal as stored, accepted even when archived."""
    problems: list[Reason] = []
    unknown = sorted(set(body) - set(FIELDS), key=str)
    if unknown:
        problems.append(web_reason("kpi_field.unknown", unknown=", ".join(repr(u)[:60] for u in unknown[:20]),
                                   fields=", ".join(FIELDS)))
    out: dict[str, Any] = {}
    if creating:
        kpi_id = body.get("id")
        if not isinstance(kpi_id, str) or not SAFE_ID.match(kpi_id):
            problems.append(web_reason("kpi_field.id"))
        else:
            out["id"] = kpi_id
        if body.get("archived"):
            problems.append(web_reason("kpi_edit.archived_on_create"))
    elif "id" in body and body["id"] is not None:
        problems.append(web_reason("kpi_field.id_fixed"))
    for name in TEXT_LIMITS:
        if name in body or (creating and name == "name"):
            out[name] = _text(name, body.get(name), problems, required=name == "name")
    for name, allowed in CATEGORIES.items():
        if name in body or (creating and name == "frequency"):
            if not isinstance(body.get(name), str) or body[name] not in allowed:
                problems.append(web_reason("kpi_field.one_of", name=name, allowed=", ".join(allowed),
                                           value=repr(body.get(name))[:130]))
            else:
                out[name] = body[name]
    _references(services, body, out, problems, creating=creating, kept_goal=kept_goal)
    _numbers(body, out, problems)
    if "breakdowns" in body:
        given = body["breakdowns"]
        if not isinstance(given, list) or len(given) > MAX_BREAKDOWNS or len(set(map(str, given))) != len(given) \
                or not all(isinstance(b, str) and SAFE_ID.match(b) for b in given):
            problems.append(web_reason("kpi_edit.breakdowns", limit=MAX_BREAKDOWNS))
        else:
            out["breakdowns"] = given
    if "sql" in body:
        if not isinstance(body["sql"], str) or not body["sql"].strip():
            problems.append(web_reason("kpi_field.sql"))
        else:
            out["sql"] = body["sql"]
    if creating and not problems:
        if out.get("archived") is False:
            del out["archived"]
        out.setdefault("unit", "count")   # the catalogue's defaults, as imports choose them
        out.setdefault("direction", "neutral")
        out.setdefault("aggregation", "sum" if out["unit"] in ("count", "currency") else "mean")
    return out, problems


# -- against the KPI's data -------------------------------------------------------------------------------------
def _count(services, sql: str, params: list) -> int:
    return services.warehouse.query(sql, params).scalar() or 0


def data_rules(services, kpi: Mapping[str, Any], changes: Mapping[str, Any],
               definition: Mapping[str, Any] | None) -> tuple[list[Reason], list[Reason]]:
    """(problems, warnings) of changing `kpi` (its kpis row) by `changes` (kpis columns),
    given its current SQL definition (None for a KPI kept by hand)."""
    problems: list[Reason] = []
    warnings: list[Reason] = []
    kpi_id = kpi["id"]
    frequency = changes.get("frequency")
    if frequency is not None:
        # A computed KPI's values are recomputed for the new periods (after a trial run);
        # values kept by hand cannot be. Annual targets hold for any frequency.
        if definition is None:
            stored = _count(services, "SELECT count(*) FROM observations WHERE kpi_id = ? AND frequency <> ?",
                            [kpi_id, frequency])
            if stored:
                problems.append(web_reason("kpi_edit.frequency_values", count=stored))
        set_per_period = _count(services, "SELECT count(*) FROM targets WHERE kpi_id = ? AND frequency <> ? "
                                          "AND frequency <> 'annual'", [kpi_id, frequency])
        if set_per_period:
            problems.append(web_reason("kpi_edit.frequency_targets", count=set_per_period))
    if changes.get("unit") == "percent":
        # As an import reads "auto" percents: above 1 is points (85), not a fraction (0.85).
        points = _count(services, """
            SELECT (SELECT count(*) FROM observations WHERE kpi_id = $id AND abs(value) > 1)
                 + (SELECT count(*) FROM targets WHERE kpi_id = $id
                    AND greatest(abs(coalesce(value, 0)), abs(coalesce(low, 0)), abs(coalesce(high, 0))) > 1)
        """, {"id": kpi_id})
        if points:
            problems.append(web_reason("kpi_edit.percent_points", count=points))
    if changes.get("aggregation") == "ratio":
        if definition is not None:
            if not {"numerator", "denominator"} <= set(definition.get("output") or ()):
                problems.append(web_reason("kpi_edit.ratio_definition"))
        else:
            missing = _count(services, "SELECT count(*) FROM observations WHERE kpi_id = ? AND value IS NOT NULL "
                                       "AND (numerator IS NULL OR denominator IS NULL)", [kpi_id])
            if missing:
                problems.append(web_reason("kpi_edit.ratio_parts", count=missing))
    direction = changes.get("direction")
    if direction is not None and (direction == "band") != (kpi["direction"] == "band"):
        column = "value" if direction == "band" else "low"
        mismatched = _count(services, f"SELECT count(*) FROM targets WHERE kpi_id = ? AND {column} IS NOT NULL",
                            [kpi_id])
        if mismatched:
            warnings.append(web_reason("kpi_edit.band_needs_bands" if direction == "band"
                                       else "kpi_edit.value_needs_values", count=mismatched))
    return problems, warnings


def changed(kpi: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields (kpis columns) whose value differs from the KPI's row."""
    return {name: value for name, value in fields.items() if plain(kpi.get(name)) != plain(value)}
