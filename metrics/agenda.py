"""Drafting a stat meeting's agenda from the data (DESIGN §6).

In order: follow-ups (open action items of earlier meetings of these departments, overdue
first); off-track KPIs, worst first (gap relative to target, doubled on a mayoral
priority), then worsening at-risk KPIs; stale KPIs; wins (KPIs that reached on track
since the last meeting). Each KPI appears once, under the first heading it fits. Time
boxes share out the meeting's length by weight and add up to it exactly; when there are
more items than the meeting can hold at two minutes each, the lowest-ranked are left off
and counted, never squeezed to nothing.

Questions are language-neutral here (a key and its parameters); the web layer words them
in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from metrics import status as status_engine
from metrics.catalog import list_goals
from metrics.periods import FiscalCalendar
from metrics.warehouse import Warehouse

KINDS = ("follow_up", "off_track", "worsening", "stale", "win", "custom")
# Relative share of the meeting an item of each kind gets: a problem needs more time than
# a win or a quick "is it done?".
WEIGHTS = {"follow_up": 1.0, "off_track": 2.0, "worsening": 1.5, "stale": 1.0, "win": 0.5, "custom": 1.0}
MIN_MINUTES = 2
PRIORITY_FACTOR = 2.0

# The values an item carries from the status engine (what the agenda shows).
VALUE_FIELDS = ("department_id", "goal_id", "unit", "unit_label", "decimals", "direction", "frequency",
                "latest_period_start", "latest_value", "compared_value", "compared_target", "compared_low",
                "compared_high", "target_basis", "status", "trend", "stale", "next_due", "percent_of_target")


@dataclass
class DraftItem:
    kind: str
    minutes: int = 0
    kpi_id: str | None = None
    kpi_name: str | None = None
    action_item_id: int | None = None
    title: str | None = None
    severity: float | None = None
    priority: bool = False
    overdue: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    questions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Draft:
    items: list[DraftItem]
    as_of: date
    since: date | None
    omitted: dict[str, int] = field(default_factory=dict)


def severity(row: dict[str, Any]) -> float | None:
    """How far a KPI is from its target, relative to the target: |gap| / |target|, or to the
    nearest bound of a band. A zero target makes the gap itself the measure."""
    value = row.get("compared_value")
    if value is None:
        return None
    if row.get("direction") == "band":
        low, high = row.get("compared_low"), row.get("compared_high")
        if low is None or high is None:
            return None
        bound = low if value < low else high if value > high else None
        if bound is None:
            return 0.0
        return abs(value - bound) / abs(bound) if bound else abs(value - bound)
    target = row.get("compared_target")
    if target is None:
        return None
    return abs(value - target) / abs(target) if target else abs(value - target)


def priority_goals(goals: Iterable[dict[str, Any]]) -> set[str]:
    """Goals that are a mayoral priority or sit under one."""
    goals = list(goals)
    parents = {g["id"]: g.get("parent_id") for g in goals}
    flagged = {g["id"] for g in goals if g.get("mayoral_priority")}
    result = set()
    for goal in parents:
        seen, current = set(), goal
        while current is not None and current not in seen:
            if current in flagged:
                result.add(goal)
                break
            seen.add(current)
            current = parents.get(current)
    return result


def allocate_minutes(weights: list[float], total: int, minimum: int = MIN_MINUTES) -> list[int]:
    """Whole minutes per item, each at least `minimum`, shared by weight (largest remainder),
    adding up to `total` exactly. The caller keeps len(weights) * minimum <= total."""
    if not weights:
        return []
    if len(weights) * minimum > total:
        raise ValueError("more items than the meeting can hold")
    spare = total - minimum * len(weights)
    if not any(weights):   # no weights at all: share evenly (the spare must still all be given out)
        weights = [1.0] * len(weights)
    weight_sum = sum(weights)
    shares = [spare * w / weight_sum for w in weights]
    minutes = [minimum + int(share) for share in shares]
    left = total - sum(minutes)
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in order[:left]:
        minutes[i] += 1
    return minutes


def _values(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in VALUE_FIELDS}


def _kpi_item(kind: str, row: dict[str, Any], priorities: set[str]) -> DraftItem:
    gap = severity(row)
    priority = row.get("goal_id") in priorities
    ranked = None if gap is None else gap * (PRIORITY_FACTOR if priority else 1.0)
    questions = {
        "off_track": [("agenda.q.off_track_why", {}), ("agenda.q.off_track_plan", {})],
        "worsening": [("agenda.q.worsening_why", {}), ("agenda.q.worsening_turn", {})],
        "stale": [("agenda.q.stale_when", {"due": row.get("next_due")}), ("agenda.q.stale_blocking", {})],
        "win": [("agenda.q.win_what", {}), ("agenda.q.win_spread", {})],
    }[kind]
    return DraftItem(kind=kind, kpi_id=row["id"], kpi_name=row["name"], severity=ranked, priority=priority,
                     values=_values(row), questions=questions)


def _follow_up_item(action: dict[str, Any], meeting_day: date) -> DraftItem:
    due = action.get("due_date")
    overdue = due is not None and due < meeting_day
    questions = [("agenda.q.follow_up_overdue" if overdue else "agenda.q.follow_up_done", {"due": due}),
                 ("agenda.q.follow_up_effect", {})]
    return DraftItem(kind="follow_up", action_item_id=action["id"], title=action["description"], overdue=overdue,
                     kpi_id=(action.get("kpi_ids") or [None])[0],
                     values={"owner": action.get("owner_name"), "due_date": due,
                             "department_id": action.get("department_id"), "meeting_id": action.get("meeting_id"),
                             "kpi_ids": list(action.get("kpi_ids") or [])},
                     questions=questions)


def draft(statuses: list[dict[str, Any]], follow_ups: list[dict[str, Any]], *, meeting_day: date,
          duration_minutes: int, priorities: set[str], as_of: date, since: date | None = None) -> Draft:
    """The agenda for KPI rows `statuses` (from `status.kpi_statuses` with `previous_status`
    as of `since`, the last meeting) and the open action items `follow_ups`."""
    follow = sorted(follow_ups, key=lambda a: (not (a.get("due_date") and a["due_date"] < meeting_day),
                                               a.get("due_date") or date.max, a["id"]))
    items = [_follow_up_item(action, meeting_day) for action in follow]
    placed: set[str] = set()

    def take(kind: str, rows: list[dict[str, Any]], ranked: bool) -> None:
        chosen = [_kpi_item(kind, row, priorities) for row in rows if row["id"] not in placed]
        if ranked:
            chosen.sort(key=lambda item: (-(item.severity or 0.0), item.kpi_name or ""))
        else:
            chosen.sort(key=lambda item: item.kpi_name or "")
        placed.update(item.kpi_id for item in chosen)
        items.extend(chosen)

    take("off_track", [r for r in statuses if r["status"] == "off_track"], True)
    take("worsening", [r for r in statuses if r["status"] == "at_risk" and r["trend"] == "worsening"], True)
    take("stale", [r for r in statuses if r["stale"]], False)
    take("win", [r for r in statuses if r["status"] == "on_track"
                 and r.get("previous_status") in ("at_risk", "off_track")], False)
    capacity = max(duration_minutes // MIN_MINUTES, 0)
    omitted: dict[str, int] = {}
    for item in items[capacity:]:
        omitted[item.kind] = omitted.get(item.kind, 0) + 1
    items = items[:capacity]
    for item, minutes in zip(items, allocate_minutes([WEIGHTS[i.kind] for i in items], duration_minutes)):
        item.minutes = minutes
    return Draft(items=items, as_of=as_of, since=since, omitted=omitted)


def draft_for_meeting(warehouse: Warehouse, calendar: FiscalCalendar, departments: Iterable[str], *,
                      meeting_day: date, duration_minutes: int, follow_ups: list[dict[str, Any]],
                      since: date | None = None) -> Draft:
    """Read the status engine as of the meeting's day (and as of `since`, the last meeting
    of these departments, else a month before, for wins) and draft the agenda."""
    wanted = set(departments)
    compare_with = since if since is not None and since < meeting_day else status_engine.one_month_before(meeting_day)
    rows = [row for row in status_engine.kpi_statuses(warehouse, calendar, meeting_day, compare_with=compare_with)
            if row["department_id"] in wanted]
    return draft(rows, follow_ups, meeting_day=meeting_day, duration_minutes=duration_minutes,
                 priorities=priority_goals(list_goals(warehouse)), as_of=meeting_day, since=compare_with)
