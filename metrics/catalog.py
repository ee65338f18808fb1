"""Reading the catalogue: departments, goals, KPIs, and each KPI's values beside the target
that applies to them. All SQL is parameterised and goes through `Warehouse.query`.

The target that applies to a period (DESIGN §4) is the KPI's target for that period, else
the annual target of the fiscal year holding it. For a sum KPI measured more often than
yearly, an annual target is a full-year total, so a single period is compared with its
even share of it (`target_basis = 'fiscal_year_share'`).
"""
from __future__ import annotations

from typing import Any

from metrics import sql
from metrics.periods import FiscalCalendar, Period
from metrics.warehouse import Warehouse


_PERIODS_PER_YEAR = sql.periods_in_fiscal_year("k.frequency", "fy.start")

# Joins the target that applies to `o.period_start` of KPI `k`; `o` and `k` must be in scope.
_APPLICABLE_TARGET = f"""
    CROSS JOIN LATERAL (SELECT {sql.fiscal_year_start('o.period_start')} AS start) fy
    LEFT JOIN targets tp ON tp.kpi_id = k.id AND tp.frequency = k.frequency AND tp.period_start = o.period_start
    LEFT JOIN targets ta ON ta.kpi_id = k.id AND ta.frequency = 'annual' AND ta.period_start = fy.start
"""

_TARGET_COLUMNS = f"""
    CASE WHEN tp.kpi_id IS NOT NULL THEN tp.value
         WHEN ta.value IS NOT NULL AND k.aggregation = 'sum' AND k.frequency <> 'annual'
              THEN ta.value / ({_PERIODS_PER_YEAR}) 
         ELSE ta.value END AS target_value,
    CASE WHEN tp.kpi_id IS NOT NULL THEN tp.low ELSE ta.low END AS target_low,
    CASE WHEN tp.kpi_id IS NOT NULL THEN tp.high ELSE ta.high END AS target_high,
    CASE WHEN tp.kpi_id IS NOT NULL THEN 'period'
         WHEN ta.kpi_id IS NULL THEN NULL
         WHEN ta.value IS NOT NULL AND k.aggregation = 'sum' AND k.frequency <> 'annual' THEN 'fiscal_year_share'
         ELSE 'fiscal_year' END AS target_basis,
    ta.value AS annual_target_value,
    fy.start AS fiscal_year_start
"""

_KPI_COLUMNS = """
    k.id, k.name, k.name_es, k.name_pt, k.description, k.description_es, k.description_pt,
    k.department_id, d.name AS department_name, d.name_es AS department_name_es,
    d.name_pt AS department_name_pt, k.goal_id, g.title AS goal_title, g.title_es AS goal_title_es,
    g.title_pt AS goal_title_pt, k.unit, k.unit_label, k.direction, k.frequency, k.aggregation,
    k.tolerance, k.decimals, k.owner, k.data_source, k.methodology, k.lag_days, k.published,
    k.critical, k.breakdowns
"""


def is_empty(warehouse: Warehouse) -> bool:
    """True when the warehouse holds no KPI at all (a new city)."""
    return warehouse.query("SELECT count(*) FROM kpis").scalar() == 0


def get_meta(warehouse: Warehouse, key: str, default: str | None = None) -> str | None:
    value = warehouse.query("SELECT value FROM meta WHERE key = $key", {"key": key}).scalar()
    return default if value is None else value


def list_departments(warehouse: Warehouse, *, published_only: bool = False) -> list[dict[str, Any]]:
    """Departments with their count of live KPIs. With `published_only` (anonymous visitors),
    only departments that have a published KPI, counting those alone."""
    return warehouse.query("""
        SELECT d.id, d.name, d.name_es, d.name_pt, d.head, count(k.id) AS kpi_count
        FROM departments d
        LEFT JOIN kpis k ON k.department_id = d.id AND NOT k.archived AND (NOT $published_only OR k.published)
        GROUP BY ALL
        HAVING NOT $published_only OR count(k.id) > 0
        ORDER BY d.name
    """, {"published_only": published_only}).dicts()


def list_goals(warehouse: Warehouse, *, published_only: bool = False,
               include_archived: bool = False) -> list[dict[str, Any]]:
    """Goals that are not archived (with `include_archived`, archived ones too, for the page
    that manages goals), mayoral priorities first, with their live KPI counts. With
    `published_only`, only published goals. A parent that is not listed (archived, missing,
    or not published) is not named: such a goal shows at the top level, never lost."""
    return warehouse.query("""
        SELECT g.id, g.title, g.title_es, g.title_pt, g.description, g.description_es,
               g.description_pt, g.owner,
               CASE WHEN p.id IS NULL THEN NULL ELSE g.parent_id END AS parent_id,
               g.mayoral_priority, g.sort_order, coalesce(g.published, FALSE) AS published,
               g.archived, count(k.id) AS kpi_count
        FROM goals g
        LEFT JOIN goals p ON p.id = g.parent_id AND (NOT p.archived OR $include_archived)
                         AND (NOT $published_only OR coalesce(p.published, FALSE))
        LEFT JOIN kpis k ON k.goal_id = g.id AND NOT k.archived AND (NOT $published_only OR k.published)
        WHERE (NOT g.archived OR $include_archived) AND (NOT $published_only OR coalesce(g.published, FALSE))
        GROUP BY ALL
        ORDER BY g.mayoral_priority DESC, g.sort_order, g.title
    """, {"published_only": published_only, "include_archived": include_archived}).dicts()


def get_goal(warehouse: Warehouse, goal_id: str) -> dict[str, Any] | None:
    """One goal as stored, archived or not (its parent as written), with its live KPI count;
    None when there is no such goal."""
    return warehouse.query("""
        SELECT g.id, g.title, g.title_es, g.title_pt, g.description, g.description_es,
               g.description_pt, g.owner, g.parent_id, g.mayoral_priority, g.sort_order,
               coalesce(g.published, FALSE) AS published, g.archived, g.created_at, g.updated_at,
               (SELECT count(*) FROM kpis k WHERE k.goal_id = g.id AND NOT k.archived) AS kpi_count
        FROM goals g WHERE g.id = $goal_id
    """, {"goal_id": goal_id}).first()


def kpi_summaries(warehouse: Warehouse, calendar: FiscalCalendar, *,
                  kpi_id: str | None = None, include_archived: bool = False) -> list[dict[str, Any]]:
    """Every live KPI (or one) with its latest city-wide value and the target applying to it;
    with `include_archived`, archived ones too (the editor and staff's KPI page show them)."""
    return warehouse.query(f"""
        WITH latest AS (
            SELECT kpi_id, max(period_start) AS period_start
            FROM observations WHERE dimension = '' AND value IS NOT NULL GROUP BY kpi_id
        ), o AS (
            SELECT obs.kpi_id, obs.period_start, obs.value
            FROM observations obs JOIN latest USING (kpi_id, period_start)
            WHERE obs.dimension = ''
        )
        SELECT {_KPI_COLUMNS}, o.period_start AS latest_period_start, o.value AS latest_value,
               {_TARGET_COLUMNS}
        FROM kpis k
        LEFT JOIN departments d ON d.id = k.department_id
        LEFT JOIN goals g ON g.id = k.goal_id
        LEFT JOIN o ON o.kpi_id = k.id
        {_APPLICABLE_TARGET}
        WHERE ($include_archived OR NOT k.archived) AND ($kpi_id IS NULL OR k.id = $kpi_id)
        ORDER BY g.sort_order, k.name
    """, {"fy_month": calendar.start_month, "kpi_id": kpi_id, "include_archived": include_archived}).dicts()


def get_kpi(warehouse: Warehouse, calendar: FiscalCalendar, kpi_id: str, *,
            include_archived: bool = False) -> dict[str, Any] | None:
    """One KPI as kpi_summaries gives it, or None; archived ones only with `include_archived`."""
    rows = kpi_summaries(warehouse, calendar, kpi_id=kpi_id, include_archived=include_archived)
    return rows[0] if rows else None


def kpi_history(warehouse: Warehouse, calendar: FiscalCalendar, kpi_id: str, *,
                dimension: str = "", since: Period | None = None) -> list[dict[str, Any]]:
    """A KPI's values in period order, each with the target that applies to its period.

    With `dimension='district'`, one row per period and member of that breakdown.
    """
    return warehouse.query(f"""
        SELECT o.period_start, o.member, o.value, o.numerator, o.denominator, o.note,
               {_TARGET_COLUMNS}
        FROM observations o
        JOIN kpis k ON k.id = o.kpi_id
        {_APPLICABLE_TARGET}
        WHERE o.kpi_id = $kpi_id AND o.dimension = $dimension
          AND ($since IS NULL OR o.period_start >= $since)
        ORDER BY o.period_start, o.member
    """, {"fy_month": calendar.start_month, "kpi_id": kpi_id, "dimension": dimension,
          "since": since.start if since else None}).dicts()


def kpi_targets(warehouse: Warehouse, kpi_id: str) -> list[dict[str, Any]]:
    """All targets set for a KPI, by period."""
    return warehouse.query("""
        SELECT frequency, period_start, value, low, high
        FROM targets WHERE kpi_id = $kpi_id ORDER BY period_start, frequency
    """, {"kpi_id": kpi_id}).dicts()


def kpi_observations(warehouse: Warehouse, calendar: FiscalCalendar, kpi_id: str, as_of) -> list[dict[str, Any]]:
    """Every value of a KPI for periods ended by `as_of`, totals and breakdowns, in order."""
    return warehouse.query(f"""
        SELECT o.period_start, o.dimension, o.member, o.value, o.numerator, o.denominator, o.note,
               o.batch_id, o.definition_version, o.raw_batch
        FROM observations o JOIN kpis k ON k.id = o.kpi_id
        WHERE o.kpi_id = $kpi_id AND {sql.period_end('k.frequency', 'o.period_start')} <= $as_of
        ORDER BY o.period_start, o.dimension, o.member
    """, {"kpi_id": kpi_id, "as_of": as_of}).dicts()


def recent_values(warehouse: Warehouse, kpi_ids: list[str], as_of, periods: int = 12) -> dict[str, list[float | None]]:
    """Each KPI's city-wide values over its last `periods` periods ended by `as_of` (the last
    one being its latest with data), oldest first, None where a period has no value: what a
    sparkline draws. KPIs without data are left out."""
    if not kpi_ids:
        return {}
    rows = warehouse.query(f"""
        WITH obs AS (
            SELECT o.kpi_id, o.value, {sql.period_index('k.frequency', 'o.period_start')} AS idx
            FROM observations o JOIN kpis k ON k.id = o.kpi_id
            WHERE list_contains(CAST($kpi_ids AS VARCHAR[]), o.kpi_id) AND o.dimension = '' AND o.value IS NOT NULL
              AND {sql.period_end('k.frequency', 'o.period_start')} <= $as_of
        ), latest AS (
            SELECT kpi_id, max(idx) AS idx FROM obs GROUP BY kpi_id
        )
        SELECT o.kpi_id, o.value, o.idx - l.idx + $periods - 1 AS slot
        FROM obs o JOIN latest l USING (kpi_id)
        WHERE o.idx > l.idx - $periods
    """, {"kpi_ids": list(kpi_ids), "as_of": as_of, "periods": periods}).rows
    series: dict[str, list[float | None]] = {}
    for kpi_id, value, slot in rows:
        series.setdefault(kpi_id, [None] * periods)[slot] = value
    return series
