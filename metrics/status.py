"""The status engine (DESIGN §4): status, freshness and trend for every KPI in one
set-wise query, evaluated as of a date, and the goal roll-up on top of it.

As of a date, a KPI's data are the values of periods that ended by that date. Status
compares the latest such value with the target that applies to its period: the period's
own target, else the fiscal year's. A sum KPI measured more often than yearly whose only
target is annual compares its fiscal-year-to-date total with the target pro-rated by the
periods elapsed. Freshness, trend and status are separate answers.
"""
from __future__ import annotations

from calendar import monthrange
from collections import Counter
from datetime import date
from typing import Any, Iterable

from metrics import sql
from metrics.periods import FiscalCalendar
from metrics.warehouse import Warehouse

STATUSES = ("on_track", "at_risk", "off_track", "no_target", "no_direction", "no_data")
SCORED = {"on_track": 1.0, "at_risk": 0.5, "off_track": 0.0}
TRENDS = ("improving", "worsening", "flat", "insufficient")
TREND_PERIODS = 6        # the window the trend looks at
TREND_MIN_POINTS = 4     # fewer values than this: 'insufficient'
TREND_THRESHOLD = 0.02   # a move of more than 2 % of the mean counts

_STATUS_BODY = f"""
WITH dates AS (
    SELECT DISTINCT unnest(CAST($dates AS DATE[])) AS as_of
),
k AS (
    -- with $published_only (anonymous visitors), goals that are not published (or are archived)
    -- do not exist: a published KPI under one shows no goal, and filtering by one finds nothing
    SELECT k.* REPLACE (CASE WHEN $published_only AND g.id IS NULL THEN NULL ELSE k.goal_id END AS goal_id),
           d.name AS department_name, d.name_es AS department_name_es, d.name_pt AS department_name_pt,
           g.title AS goal_title, g.title_es AS goal_title_es, g.title_pt AS goal_title_pt,
           gp.id AS goal_parent_id
    FROM kpis k
    LEFT JOIN departments d ON d.id = k.department_id
    LEFT JOIN goals g ON g.id = k.goal_id AND (NOT $published_only OR (coalesce(g.published, FALSE) AND NOT g.archived))
    LEFT JOIN goals gp ON gp.id = g.parent_id
                      AND (NOT $published_only OR (coalesce(gp.published, FALSE) AND NOT gp.archived))
    WHERE NOT k.archived
      AND ($department IS NULL OR k.department_id = $department)
      AND ($goal IS NULL OR (k.goal_id = $goal AND (NOT $published_only OR g.id IS NOT NULL))
           OR gp.id = $goal)
      AND ($kpi_id IS NULL OR k.id = $kpi_id)
      AND (NOT $published_only OR k.published)
),
obs AS (
    -- every value read and indexed once, whatever the number of dates evaluated; `latest`
    -- keeps, per date, what had ended by then, and the other steps stay at or before it
    SELECT o.kpi_id, o.period_start, o.value, {sql.period_index('k.frequency', 'o.period_start')} AS idx,
           {sql.period_end('k.frequency', 'o.period_start')} AS period_end
    FROM observations o JOIN k ON k.id = o.kpi_id
    WHERE o.dimension = '' AND o.value IS NOT NULL
),
latest AS (
    -- per date, the latest period ended by then; earlier values are those with a smaller index
    SELECT d.as_of, o.kpi_id, max(o.idx) AS idx
    FROM obs o JOIN dates d ON o.period_end <= d.as_of
    GROUP BY d.as_of, o.kpi_id
),
lv AS (
    SELECT l.as_of, o.kpi_id, o.period_start, o.value, o.idx, {sql.fiscal_year_start('o.period_start')} AS fy_start
    FROM obs o JOIN latest l ON l.kpi_id = o.kpi_id AND l.idx = o.idx
),
window_stats AS (
    SELECT l.as_of, o.kpi_id, count(*) AS points, regr_slope(o.value, o.idx) AS slope,
           avg(abs(o.value)) AS mean_abs
    FROM obs o JOIN latest l ON l.kpi_id = o.kpi_id
    WHERE o.idx > l.idx - {TREND_PERIODS} AND o.idx <= l.idx
    GROUP BY l.as_of, o.kpi_id
),
ytd AS (
    SELECT lv.as_of, o.kpi_id, sum(o.value) AS total, count(*) AS points
    FROM obs o JOIN lv ON lv.kpi_id = o.kpi_id
    WHERE o.period_start >= lv.fy_start AND o.period_start <= lv.period_start
    GROUP BY lv.as_of, o.kpi_id
),
joined AS (
    SELECT dates.as_of, k.*, lv.period_start AS latest_period_start, lv.value AS latest_value, lv.fy_start,
           w.points AS trend_points, w.slope, w.mean_abs, ytd.total AS ytd_total,
           tp.kpi_id IS NOT NULL AS has_period_target,
           coalesce(tp.value, ta.value) AS raw_target, coalesce(tp.low, ta.low) AS raw_low,
           coalesce(tp.high, ta.high) AS raw_high, ta.kpi_id IS NOT NULL AS has_annual_target,
           ta.value AS annual_target_value,
           {sql.elapsed_in_fiscal_year('k.frequency', 'lv.fy_start', 'lv.period_start')} AS elapsed,
           {sql.periods_in_fiscal_year('k.frequency', 'lv.fy_start')} AS periods_in_year
    FROM k CROSS JOIN dates
    LEFT JOIN lv ON lv.kpi_id = k.id AND lv.as_of = dates.as_of
    LEFT JOIN window_stats w ON w.kpi_id = k.id AND w.as_of = dates.as_of
    LEFT JOIN ytd ON ytd.kpi_id = k.id AND ytd.as_of = dates.as_of
    LEFT JOIN targets tp ON tp.kpi_id = k.id AND tp.frequency = k.frequency AND tp.period_start = lv.period_start
    LEFT JOIN targets ta ON tp.kpi_id IS NULL AND ta.kpi_id = k.id AND ta.frequency = 'annual'
                        AND ta.period_start = lv.fy_start
),
compared AS (
    SELECT *,
        -- sum KPIs with only an annual target: fiscal year to date against the pro-rated target
        (NOT has_period_target AND has_annual_target AND aggregation = 'sum' AND frequency <> 'annual')
            AS year_to_date,
        CASE WHEN NOT has_period_target AND has_annual_target AND aggregation = 'sum' AND frequency <> 'annual'
             THEN elapsed * 1.0 / periods_in_year ELSE 1.0 END AS share
    FROM joined
),
evaluated AS (
    SELECT *,
        CASE WHEN year_to_date THEN ytd_total ELSE latest_value END AS compared_value,
        raw_target * share AS compared_target, raw_low * share AS compared_low, raw_high * share AS compared_high
    FROM compared
),
statuses AS (
-- the rules of DESIGN §4, row by row
SELECT *,
    CASE
        WHEN latest_value IS NULL THEN 'no_data'
        WHEN direction = 'neutral' THEN 'no_direction'
        WHEN direction = 'band' AND (compared_low IS NULL OR compared_high IS NULL) THEN 'no_target'
        WHEN direction <> 'band' AND compared_target IS NULL THEN 'no_target'
        WHEN direction = 'up' THEN CASE
            WHEN compared_value >= compared_target THEN 'on_track'
            WHEN compared_value >= compared_target - tolerance * abs(compared_target) THEN 'at_risk'
            ELSE 'off_track' END
        WHEN direction = 'down' THEN CASE
            WHEN compared_value <= compared_target THEN 'on_track'
            WHEN compared_value <= compared_target + tolerance * abs(compared_target) THEN 'at_risk'
            ELSE 'off_track' END
        ELSE CASE
            WHEN compared_value BETWEEN compared_low AND compared_high THEN 'on_track'
            WHEN compared_value < compared_low
                 AND compared_value >= compared_low - tolerance * abs(compared_low) THEN 'at_risk'
            WHEN compared_value > compared_high
                 AND compared_value <= compared_high + tolerance * abs(compared_high) THEN 'at_risk'
            ELSE 'off_track' END
    END AS status,
    CASE WHEN latest_value IS NULL THEN NULL
         WHEN lag_days IS NULL THEN {sql.period_end('frequency', sql.shift('frequency', 'latest_period_start', '2'))}
         ELSE CAST({sql.period_end('frequency', sql.shift('frequency', 'latest_period_start', '1'))}
                   + to_days(lag_days) AS DATE)
    END AS next_due,
    CASE WHEN coalesce(trend_points, 0) < {TREND_MIN_POINTS} THEN NULL
         WHEN coalesce(mean_abs, 0) = 0 THEN 0.0
         ELSE coalesce(slope, 0) * {TREND_PERIODS} / mean_abs END AS trend_change
FROM evaluated
)
"""

_STATUS_SQL = _STATUS_BODY + "SELECT * FROM statuses ORDER BY goal_id, name"

# Today's rows, each with the status the same KPI had as of $compare_with.
_COMPARED_SQL = _STATUS_BODY + """
SELECT s.*, p.status AS previous_status
FROM statuses s LEFT JOIN statuses p ON p.id = s.id AND p.as_of = $compare_with
WHERE s.as_of = $as_of
ORDER BY s.goal_id, s.name
"""


def _trend(row: dict[str, Any]) -> str:
    change = row["trend_change"]
    if change is None:
        return "insufficient"
    direction = row["direction"]
    if direction == "band" and row["compared_low"] is not None:
        middle = (row["compared_low"] + row["compared_high"]) / 2
        direction = "down" if row["compared_value"] > middle else "up"
    if direction not in ("up", "down") or abs(change) <= TREND_THRESHOLD:
        return "flat"
    return "improving" if (change > 0) == (direction == "up") else "worsening"


def _percent_of_target(row: dict[str, Any]) -> float | None:
    target, value = row["compared_target"], row["compared_value"]
    if target in (None, 0) or value is None:
        return None
    return value / target


def kpi_statuses(warehouse: Warehouse, calendar: FiscalCalendar, as_of: date, *,
                 department: str | None = None, goal: str | None = None, kpi_id: str | None = None,
                 published_only: bool = False, compare_with: date | None = None) -> list[dict[str, Any]]:
    """Every live KPI (filtered) with its latest value, target, status, freshness and trend
    as of `as_of`. One query for all KPIs; the classification of the trend is the only
    per-row work done in Python.

    With `compare_with` (an earlier date, e.g. a month before), each row also carries
    `previous_status`, the KPI's status as of then, evaluated in the same query: the values
    are read once for both dates (the overview's "what changed since last month")."""
    params = {"as_of": as_of, "dates": [as_of] if compare_with is None else [compare_with, as_of],
              "fy_month": calendar.start_month, "department": department, "goal": goal, "kpi_id": kpi_id,
              "published_only": published_only}
    if compare_with is None:
        rows = warehouse.query(_STATUS_SQL, {k: v for k, v in params.items() if k != "as_of"}).dicts()
    else:
        rows = warehouse.query(_COMPARED_SQL, {**params, "compare_with": compare_with}).dicts()
    for row in rows:
        row["trend"] = _trend(row)
        row["stale"] = row["next_due"] is not None and as_of > row["next_due"]
        row["percent_of_target"] = _percent_of_target(row)
        row["target_basis"] = ("period" if row["has_period_target"] else
                               "fiscal_year_to_date" if row["year_to_date"] else
                               "fiscal_year" if row["has_annual_target"] else None)
    return rows


def roll_up(statuses: Iterable[str]) -> dict[str, Any]:
    """Goal roll-up: on/at risk/off score 1/0.5/0, averaged over KPIs that have one of them;
    on_track from 0.8, at_risk from 0.5. KPIs without such a status are counted apart."""
    counts = Counter(statuses)
    scored = [SCORED[s] for s in counts.elements() if s in SCORED]
    score = sum(scored) / len(scored) if scored else None
    status = (None if score is None else "on_track" if score >= 0.8 else "at_risk" if score >= 0.5
              else "off_track")
    return {"status": status, "score": score, "counts": {s: counts.get(s, 0) for s in STATUSES},
            "unscored": sum(counts.get(s, 0) for s in STATUSES if s not in SCORED)}


def goal_statuses(warehouse: Warehouse, calendar: FiscalCalendar, as_of: date,
                  kpis: list[dict[str, Any]] | None = None, *, published_only: bool = False) -> list[dict[str, Any]]:
    """Goals with the roll-up of their KPIs, a parent goal including its sub-goals' KPIs.
    With `published_only`, only published goals, rolled up over the `kpis` given (which
    must then be the published ones)."""
    from metrics.catalog import list_goals

    kpis = kpis if kpis is not None else kpi_statuses(warehouse, calendar, as_of, published_only=published_only)
    goals = list_goals(warehouse, published_only=published_only)
    parents = {g["id"]: g["parent_id"] for g in goals}
    members: dict[str, list[str]] = {g["id"]: [] for g in goals}
    for kpi in kpis:
        goal = kpi["goal_id"]
        while goal is not None and goal in members:
            members[goal].append(kpi["status"])
            goal = parents.get(goal)
    return [{**goal, **roll_up(members[goal["id"]]), "kpi_total": len(members[goal["id"]])} for goal in goals]


def changes_since(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`status_changes` for the rows of one `kpi_statuses(..., compare_with=...)` call: the
    KPIs whose status moved since that earlier date, worst news first."""
    return status_changes([{"id": row["id"], "status": row["previous_status"]} for row in rows], rows)


def one_month_before(day: date) -> date:
    """The same day a month earlier, or the last day of that month when it is shorter (the
    'last month' that the overview's changes are measured from)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def status_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """KPIs whose status moved between two evaluations (e.g. a month apart), worst news first:
    each row of `after` with `previous_status` added."""
    earlier = {row["id"]: row["status"] for row in before}
    rank = {"off_track": 0, "at_risk": 1, "on_track": 2}
    moved = [{**row, "previous_status": earlier[row["id"]]} for row in after
             if row["id"] in earlier and earlier[row["id"]] != row["status"]
             and row["status"] in SCORED and earlier[row["id"]] in SCORED]
    return sorted(moved, key=lambda r: (rank[r["status"]] - rank[r["previous_status"]], r["name"]))
