"""What the public site shows, as plain values for its templates: the published KPIs and
goals (never anything else, whoever asks), each KPI's row in words, and each goal's roll-up.

Everything comes from metrics.status with `published_only=True`: a KPI that is not
published does not exist here, and a published KPI under an unpublished goal has no goal.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from dashboards.components import (STATUS_ICONS, TREND_ARROWS, department_name, goal_title, kpi_name,
                                   period_text, target_text, value_text)
from dashboards.scorecard import folded
from i18n import format_value, localized, translate
from metrics import catalog, status
from web.services import Services

MAX_ID_LENGTH = 128   # longer ids name nothing; they are answered without a query
COUNTED = ("on_track", "at_risk", "off_track")


def city_name(services: Services, language: str) -> str:
    return catalog.get_meta(services.warehouse, "city_name") or translate("shell.your_city", language)


def plausible_id(item_id: str) -> bool:
    return 0 < len(item_id) <= MAX_ID_LENGTH and "/" not in item_id


# -- the published catalogue -----------------------------------------------------------------------
def published_kpis(services: Services, as_of: date) -> list[dict[str, Any]]:
    """Every published live KPI with its status as of `as_of` (goal_id None when its goal is
    not published)."""
    return status.kpi_statuses(services.warehouse, services.calendar, as_of, published_only=True)


def published_goals(services: Services, as_of: date, kpis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Published goals with their roll-up over `kpis` (the published KPIs), sub-goals' included."""
    return status.goal_statuses(services.warehouse, services.calendar, as_of, kpis, published_only=True)


def descendants(goal_id: str, goals: list[dict[str, Any]]) -> set[str]:
    """The goal and every published goal below it."""
    children = defaultdict(list)
    for goal in goals:
        if goal["parent_id"]:
            children[goal["parent_id"]].append(goal["id"])
    found, todo = set(), [goal_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children[current])
    return found


def kpis_of_goal(kpis: list[dict[str, Any]], goal_id: str, goals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The KPIs the goal's roll-up counts: its own and its sub-goals'."""
    wanted = descendants(goal_id, goals)
    return [kpi for kpi in kpis if kpi["goal_id"] in wanted]


# -- words and icons -------------------------------------------------------------------------------
def status_view(code: str | None, language: str) -> dict[str, str]:
    """A status as icon and word (the tint in CSS is never the only signal)."""
    code = code or "no_data"
    return {"code": code, "icon": STATUS_ICONS[code], "word": translate(f"status.{code}", language)}


def rollup_status_view(code: str | None, language: str) -> dict[str, str]:
    if code is None:
        return {"code": "no_target", "icon": STATUS_ICONS["no_target"],
                "word": translate("rollup.no_status", language)}
    return status_view(code, language)


def trend_view(trend: str, change: float | None, language: str) -> dict[str, str]:
    """An arrow for where the values move and a word for whether that is good."""
    movement = "flat" if change is None or abs(change) <= 0.02 else ("up" if change > 0 else "down")
    return {"code": trend, "arrow": "" if trend == "insufficient" else TREND_ARROWS[movement],
            "word": translate(f"trend.{trend}", language)}


def compared_target_text(row: dict[str, Any], language: str, services: Services) -> str:
    """The target the status compares with: a value, or a band for a band KPI."""
    band = row["direction"] == "band" and row["compared_low"] is not None
    return target_text(row, {"target_value": row["compared_target"],
                             "target_low": row["compared_low"] if band else None,
                             "target_high": row["compared_high"] if band else None}, language, services)


def kpi_row(row: dict[str, Any], language: str, services: Services) -> dict[str, Any]:
    """One published KPI as the public lists show it."""
    year_to_date = row["target_basis"] == "fiscal_year_to_date"
    return {
        "id": row["id"], "name": kpi_name(row, language), "department": department_name(row, language),
        "goal_id": row["goal_id"], "goal": goal_title(row, language) if row["goal_id"] else None,
        "period": period_text(row, row["latest_period_start"], language, services),
        "value": value_text(row, row["latest_value"], language, services),
        "target": compared_target_text(row, language, services),
        "year_to_date": value_text(row, row["compared_value"], language, services) if year_to_date else None,
        "status": status_view(row["status"], language), "trend": trend_view(row["trend"], row["trend_change"], language),
        "stale": row["stale"],
    }


def kpi_rows(rows: list[dict[str, Any]], language: str, services: Services) -> list[dict[str, Any]]:
    """Rows in the reader's alphabet order, accents aside."""
    shown = [kpi_row(row, language, services) for row in rows]
    return sorted(shown, key=lambda r: folded(r["name"]))


def goal_view(goal: dict[str, Any], language: str) -> dict[str, Any]:
    """A goal with its roll-up in words: status, score, and how many KPIs stand where."""
    counts = [{"code": code, "icon": STATUS_ICONS[code], "word": translate(f"status.{code}", language),
               "count": goal["counts"][code]} for code in COUNTED]
    counts.append({"code": "unscored", "icon": STATUS_ICONS["no_target"],
                   "word": translate("rollup.unscored", language), "count": goal["unscored"]})
    return {
        "id": goal["id"], "title": localized(goal, "title", language),
        "description": localized(goal, "description", language), "owner": goal.get("owner"),
        "priority": bool(goal["mayoral_priority"]), "parent_id": goal["parent_id"],
        "status": rollup_status_view(goal["status"], language),
        "score": format_value(goal["score"], "percent", language) if goal["score"] is not None else None,
        "total": goal["kpi_total"], "counts": counts,
    }


def goal_cards(goals: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Top-level goals (priorities first, as the catalogue orders them), each with its sub-goals."""
    views = [goal_view(goal, language) for goal in goals]
    children = defaultdict(list)
    for view in views:
        if view["parent_id"]:
            children[view["parent_id"]].append(view)
    return [{**view, "subgoals": children[view["id"]]} for view in views if not view["parent_id"]]


def status_totals(rows: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """How many published KPIs are on track, at risk and off track, for the home page's tiles."""
    found = defaultdict(int)
    for row in rows:
        found[row["status"]] += 1
    return [{**status_view(code, language), "count": found[code]} for code in COUNTED]


# -- filters ---------------------------------------------------------------------------------------
def department_options(services: Services, language: str) -> list[dict[str, str]]:
    """Departments with a published KPI, by name in the reader's language."""
    found = catalog.list_departments(services.warehouse, published_only=True)
    options = [{"id": d["id"], "name": localized(d, "name", language) or d["id"]} for d in found]
    return sorted(options, key=lambda o: folded(o["name"]))


def goal_options(goals: list[dict[str, Any]], language: str) -> list[dict[str, str]]:
    """Published goals, sub-goals indented under their parent."""
    by_parent = defaultdict(list)
    for goal in goals:
        by_parent[goal["parent_id"]].append(goal)
    options, seen = [], set()

    def add(parent: str | None, depth: int) -> None:
        for goal in by_parent[parent]:
            if goal["id"] in seen:   # a loop in the parents would otherwise never end
                continue
            seen.add(goal["id"])
            options.append({"id": goal["id"], "name": "\u2003" * depth + (localized(goal, "title", language) or "")})
            add(goal["id"], depth + 1)
    add(None, 0)
    return options
